"""The database itself refuses every way to change the log other than the append path, on
SQLite and PostgreSQL (issue 13, break 6): no UPDATE or DELETE, no INSERT OR REPLACE of an
entry, node or checkpoint, no junk row past the end, no second or shrunk head."""

import pytest
from factories import calibration
from sqlalchemy import exc, text

from ledger.log import LedgerError
from ledger.note import new_signer

REFUSALS = {
    "update an entry": "UPDATE ledger_entries SET station = 'X' WHERE idx = 1",
    "delete an entry": "DELETE FROM ledger_entries WHERE idx = 1",
    "replace an entry": "{replace} INTO ledger_entries (idx, event_id, type, subject, station, "
                        "body) SELECT idx, event_id, type, subject, 'X', body FROM "
                        "ledger_entries WHERE idx = 1{upsert}",
    "insert a junk entry past the end": "INSERT INTO ledger_entries (idx, event_id, type, "
                                        "subject, station, body) VALUES (99, 'x', 't', "
                                        "'unit:X', 'PLANT', {blob})",
    "insert the next entry without the head": "INSERT INTO ledger_entries (idx, event_id, "
                                              "type, subject, station, body) VALUES (3, 'y', "
                                              "'t', 'unit:X', 'PLANT', {blob})",
    "replace a node": "{replace} INTO ledger_nodes (level, idx, hash) SELECT level, idx, hash "
                      "FROM ledger_nodes WHERE level = 0 AND idx = 1{upsert}",
    "insert a node past the end": "INSERT INTO ledger_nodes (level, idx, hash) VALUES (0, 50, "
                                  "{blob})",
    "delete a node": "DELETE FROM ledger_nodes",
    "replace a checkpoint": "{replace} INTO ledger_checkpoints (size, key_id, root, note, "
                            "signed_at) SELECT size, key_id, root, 'forged', signed_at FROM "
                            "ledger_checkpoints{upsert}",
    "insert a checkpoint past the end": "INSERT INTO ledger_checkpoints (size, key_id, root, "
                                        "note, signed_at) VALUES (99, 'abcd1234', {blob}, "
                                        "'n', 'now')",
    "shrink the head": "UPDATE ledger_state SET size = 1",
    "delete the head": "DELETE FROM ledger_state",
    "insert a second head": "{replace} INTO ledger_state (id, size, head, frontier) "
                            "SELECT id, size, head, frontier FROM ledger_state{upsert}",
}


@pytest.fixture
def grown(empty_ledger):
    empty_ledger.append([calibration(), calibration(), calibration()])
    empty_ledger.checkpoint(new_signer("ledger.test-plant.example/GUARD"))
    return empty_ledger


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_the_database_refuses(grown, case):
    dialect = grown.engine.dialect.name
    # SQLite's INSERT OR REPLACE deletes the row it replaces without firing DELETE triggers;
    # PostgreSQL's nearest is an upsert.
    sqlite = dialect == "sqlite"
    statement = REFUSALS[case].format(
        replace="INSERT OR REPLACE" if sqlite else "INSERT",
        upsert="" if sqlite else " ON CONFLICT DO NOTHING",
        blob="x'00'" if sqlite else "'\\x00'::bytea")
    before = [grown.entry(i) for i in range(grown.size())]
    with pytest.raises(exc.DBAPIError) as refused, grown.engine.begin() as conn:
        conn.execute(text(statement))
    assert any(words in str(refused.value) for words in (
        "append-only", "may be inserted", "never inserted", "only grows", "never deleted"
        )), refused.value
    assert [grown.entry(i) for i in range(grown.size())] == before
    grown.append([calibration()])  # the append path still works
    with pytest.raises(LedgerError):
        grown.entry(99)


def test_a_temporary_table_does_not_answer_for_the_head(pg_url):
    """PostgreSQL searches a session's temporary tables first: the guards look up the real
    ledger_state and ledger_entries, so a temporary twin cannot let a junk entry in."""
    from ledger.log import Ledger
    from ledger.store import migrate, open_engine

    engine = open_engine(pg_url)
    migrate(engine)
    Ledger(engine).append([calibration(), calibration(), calibration()])
    with pytest.raises(exc.DBAPIError, match="may be inserted"), engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE ledger_state (id int, size bigint)"))
        conn.execute(text("INSERT INTO ledger_state VALUES (1, 1000000)"))
        conn.execute(text("CREATE TEMPORARY TABLE ledger_entries (idx bigint)"))
        conn.execute(text("INSERT INTO ledger_entries VALUES (2)"))  # "the next is 3"
        conn.execute(text("INSERT INTO public.ledger_entries (idx, event_id, type, subject, "
                          "station, body) VALUES (3, 'x', 't', 'unit:X', 'PLANT', '\\x00')"))
    assert Ledger(engine).size() == 3
    engine.dispose()
