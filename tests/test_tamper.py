"""Someone edits the database by hand (after dropping the triggers): `dledger audit` notices.

Each case names the first bad index and what is wrong, and exits 1.
"""

import shutil
import sqlite3

import pytest
from clihelp import dledger
from factories import event_obj

N = 40


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    home = tmp_path_factory.mktemp("pristine")
    assert dledger(home, "init", "--origin", "ledger.test-plant.example/TAMPER").returncode == 0
    lines = [event_obj("scale.calibrated", f"scale:SC-{i % 3}",
                       {"reference_g": 10_000 + i, "reading_g": 10_000 + i, "tolerance_g": 5,
                        "passed": True}) for i in range(N)]
    import json

    assert dledger(home, "append", stdin="".join(json.dumps(x) + "\n" for x in lines)
                   ).returncode == 0
    assert dledger(home, "checkpoint").returncode == 0
    assert dledger(home, "audit").returncode == 0
    return home


@pytest.fixture
def home(pristine, tmp_path):
    copy = tmp_path / "instance"
    shutil.copytree(pristine, copy)
    return copy


def _tamper(home, *statements):
    """Run `statements` as someone who first drops every trigger of the database."""
    db = sqlite3.connect(home / "ledger.db")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f'DROP TRIGGER "{name}"')
    for statement, params in statements:
        db.execute(statement, params)
    db.commit()
    db.close()


def _audit_fails_at(home, index, words):
    result = dledger(home, "audit")
    out = result.stdout.decode()
    assert result.returncode == 1, out
    assert out.startswith(f"FAILED at entry {index}:"), out
    assert words in out, out


def test_triggers_refuse_edits(home):
    db = sqlite3.connect(home / "ledger.db")
    for statement in ("UPDATE ledger_entries SET station = 'X'", "DELETE FROM ledger_nodes",
                      "DELETE FROM ledger_checkpoints"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)


def test_one_byte_changed(home):
    db = sqlite3.connect(home / "ledger.db")
    body = bytearray(db.execute("SELECT body FROM ledger_entries WHERE idx = 17").fetchone()[0])
    db.close()
    at = body.index(b'"reading_g":') + len(b'"reading_g":') + 1
    body[at] = ord("9") if body[at] != ord("9") else ord("8")
    _tamper(home, ("UPDATE ledger_entries SET body = ? WHERE idx = 17", (bytes(body),)))
    _audit_fails_at(home, 17, "does not match the entries")


def test_row_deleted(home):
    _tamper(home, ("DELETE FROM ledger_entries WHERE idx = 23", ()))
    _audit_fails_at(home, 23, "entry 23 is missing")


def test_two_rows_swapped(home):
    _tamper(home, ("UPDATE ledger_entries SET idx = -1 WHERE idx = 5", ()),
            ("UPDATE ledger_entries SET idx = 5 WHERE idx = 9", ()),
            ("UPDATE ledger_entries SET idx = 9 WHERE idx = -1", ()))
    _audit_fails_at(home, 5, "entry 5 holds the bytes of entry 9")


def test_tail_truncated(home):
    _tamper(home, ("DELETE FROM ledger_entries WHERE idx >= 30", ()),
            ("DELETE FROM ledger_nodes WHERE (idx + 1) * (1 << level) > 30", ()))
    _audit_fails_at(home, 30, f"{N + 1} entries")  # the catalogue at entry 0, then N


def test_tail_truncated_and_head_rewritten_is_caught_by_the_checkpoint(home):
    db = sqlite3.connect(home / "ledger.db")
    head = db.execute("SELECT body FROM ledger_entries WHERE idx = 29").fetchone()[0]
    db.close()
    import hashlib

    leaf = hashlib.sha256(b"\x00" + head).digest()
    _tamper(home, ("DELETE FROM ledger_entries WHERE idx >= 30", ()),
            ("DELETE FROM ledger_nodes WHERE (idx + 1) * (1 << level) > 30", ()),
            ("UPDATE ledger_state SET size = 30, head = ?, frontier = ?",
             (leaf, _frontier(home, 30))))
    _audit_fails_at(home, 30, "beyond the 30 entries present")


def _frontier(home, size):
    from ledger.merkle import range_nodes

    db = sqlite3.connect(home / "ledger.db")
    hashes = [db.execute("SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?",
                         node).fetchone()[0] for node in range_nodes(0, size)]
    db.close()
    return b"".join(hashes)


def test_subtree_hash_altered(home):
    _tamper(home, ("UPDATE ledger_nodes SET hash = ? WHERE level = 2 AND idx = 3", (bytes(32),)))
    _audit_fails_at(home, 12, "stored tree node (2, 3) over entries 12..15 does not match")


def test_one_subtree_node_deleted_names_only_that_node(home):
    _tamper(home, ("DELETE FROM ledger_nodes WHERE level = 1 AND idx = 4", ()))
    result = dledger(home, "audit")
    out = result.stdout.decode()
    assert result.returncode == 1 and out.startswith("FAILED at entry 8:"), out
    assert "node (1, 4) over entries 8..9 is missing" in out and "also" not in out, out
