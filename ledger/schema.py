"""The reviewed DDL: tables from the models plus the triggers that make the ledger append-only.

`schema.sql` at the top of the repository is this module's output (`python -m ledger.schema >
schema.sql`); a test keeps the two equal, and checks that the Alembic migrations (the first one
executes a frozen copy of this DDL) build exactly the models' schema.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from ledger.tables import LEDGER_TABLES, METADATA

DIALECTS: dict[str, Dialect] = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy
}
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.sql"
_SECTION = re.compile(r"^-- dialect: (\w+)$", re.MULTILINE)


def _triggers(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            *(f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
              f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
              for table in LEDGER_TABLES
              for op in ("UPDATE", "DELETE")),
            *insert_guards(dialect),
        ]
    return [
        "CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION USING MESSAGE = "
        "TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused'; END $$",
        *(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
            for table in LEDGER_TABLES
        ),
        *insert_guards(dialect),
    ]


# When the database refuses an insert into a log table (or a change of the head) that the
# append path would never make: an entry that is not the next one, or at or past the head's
# size (the append path moves the head first); a node that exists or whose subtree the head
# does not cover; a checkpoint that exists or is beyond the head; a head that shrinks, a
# second head or none. This closes SQLite's INSERT OR REPLACE (which deletes without firing
# DELETE triggers) and junk rows past the end.
_REFUSE = {
    "ledger_entries": (
        "NEW.idx <> (SELECT COALESCE(MAX(idx), -1) + 1 FROM ledger_entries) "
        "OR NEW.idx >= (SELECT size FROM ledger_state WHERE id = 1)",
        "only the next entry below the head may be inserted"),
    "ledger_nodes": (
        "EXISTS (SELECT 1 FROM ledger_nodes WHERE level = NEW.level AND idx = NEW.idx) "
        "OR (NEW.idx + 1) * {power} > (SELECT size FROM ledger_state WHERE id = 1)",
        "only a new node of a subtree below the head may be inserted"),
    "ledger_checkpoints": (
        "EXISTS (SELECT 1 FROM ledger_checkpoints WHERE size = NEW.size AND key_id = NEW.key_id) "
        "OR NEW.size > (SELECT size FROM ledger_state WHERE id = 1)",
        "only a new checkpoint within the head may be inserted"),
    "ledger_state": (
        "EXISTS (SELECT 1 FROM ledger_state)",
        "the log has one head; it is never inserted again"),
}


def insert_guards(dialect: str, schema: str = "public") -> list[str]:
    """The triggers that refuse what `_REFUSE` names. Frozen: migration 0011 executes these
    statements, so a change to them needs a migration of its own.

    On PostgreSQL each function looks its tables up in `schema` only, then pg_temp: a
    session's temporary tables come first in the default search path, and a temporary
    `ledger_state` would otherwise answer for the real one."""
    if dialect == "sqlite":
        power = "(1 << NEW.level)"
        guards = [
            f"CREATE TRIGGER {table}_insert_guard BEFORE INSERT ON {table} "
            f"WHEN {when.format(power=power)} "
            f"BEGIN SELECT RAISE(ABORT, '{table}: {why}'); END"
            for table, (when, why) in _REFUSE.items()]
        return [*guards,
                "CREATE TRIGGER ledger_state_no_delete BEFORE DELETE ON ledger_state "
                "BEGIN SELECT RAISE(ABORT, 'ledger_state: the head is never deleted'); END",
                "CREATE TRIGGER ledger_state_grows_only BEFORE UPDATE ON ledger_state "
                "WHEN NEW.size < OLD.size OR NEW.id <> OLD.id "
                "BEGIN SELECT RAISE(ABORT, 'ledger_state: the head only grows'); END"]
    power = "(1::bigint << NEW.level)"
    statements = []
    for table, (when, why) in _REFUSE.items():
        statements += [
            f"CREATE FUNCTION {table}_insert_guard() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path = {schema}, pg_temp AS "
            f"$$ BEGIN IF {when.format(power=power)} THEN RAISE EXCEPTION USING MESSAGE = "
            f"'{table}: {why}'; END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {table}_insert_guard BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_insert_guard()"]
    return [*statements,
            "CREATE FUNCTION ledger_state_guard() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path = {schema}, pg_temp AS "
            "$$ BEGIN IF TG_OP = 'DELETE' OR NEW.size < OLD.size OR NEW.id <> OLD.id THEN "
            "RAISE EXCEPTION USING MESSAGE = 'ledger_state: the head only grows and is never "
            "deleted'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER ledger_state_guard BEFORE UPDATE OR DELETE ON ledger_state "
            "FOR EACH ROW EXECUTE FUNCTION ledger_state_guard()",
            "CREATE TRIGGER ledger_state_no_truncate BEFORE TRUNCATE ON ledger_state "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"]


def statements(dialect: str) -> list[str]:
    """Every DDL statement for one dialect, in order, without trailing semicolons."""
    d = DIALECTS[dialect]
    out: list[str] = []
    for table in METADATA.sorted_tables:
        out.append(str(CreateTable(table).compile(dialect=d)).strip())
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            out.append(str(CreateIndex(index).compile(dialect=d)).strip())
    return out + _triggers(dialect)


def render() -> str:
    parts = ["-- Dismantle Ledger database schema. Generated by `python -m ledger.schema`;\n"
             "-- tests/test_schema.py keeps it equal to the models. Review changes here.\n"]
    for dialect in DIALECTS:
        parts.append(f"\n-- dialect: {dialect}\n\n")
        parts.append("".join(stmt + ";\n\n" for stmt in statements(dialect)))
    return "".join(parts).rstrip("\n") + "\n"


def read_statements(dialect: str, text: str | None = None) -> list[str]:
    """The statements of one dialect's section of schema.sql."""
    text = SCHEMA_FILE.read_text(encoding="utf-8") if text is None else text
    sections = _SECTION.split(text)
    by_dialect = dict(zip(sections[1::2], sections[2::2], strict=True))
    return [s.strip() for s in by_dialect[dialect].split(";\n\n") if s.strip()]


if __name__ == "__main__":
    print(render(), end="")
