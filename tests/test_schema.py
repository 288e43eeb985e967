"""schema.sql is the reviewed DDL: equal to what the models generate, and what init creates."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_postgresql_compares_labels_and_subjects_bytewise(pg_url):
    """Prefix ranges on the indexes (`subject >= 'cert:' AND subject < 'cert;'`, label
    prefixes) are exact only where the columns compare byte-wise, whatever the database's
    own collation (a plant's server may well run zh_CN.UTF-8)."""
    engine = open_engine(pg_url)
    migrate(engine)
    with engine.connect() as conn:
        collations = dict(conn.execute(text(
            "SELECT table_name || '.' || column_name, collation_name "
            "FROM information_schema.columns WHERE table_schema = current_schema() AND "
            "(column_name IN ('label', 'lot') OR "
            "(table_name = 'ledger_entries' AND column_name = 'subject'))")).all())
    engine.dispose()
    assert "ledger_entries.subject" in collations and "units.label" in collations
    assert {column: "C" for column in collations} == collations
