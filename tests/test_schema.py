"""schema.sql is the reviewed DDL: equal to what the models generate, and what init creates."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ledger.schema import SCHEMA_FILE, render
from ledger.store import migrate, open_engine
from ledger.tables import LEDGER_TABLES, SQLModel


def test_schema_sql_is_generated_from_the_models():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "schema.sql is stale: run `python -m ledger.schema > schema.sql` and review the diff")


def test_migrated_database_matches_the_models(db_url):
    engine = open_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert set(LEDGER_TABLES) <= set(inspect(engine).get_table_names())
    migrate(engine)  # running it again is harmless
    engine.dispose()
