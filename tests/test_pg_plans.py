"""PostgreSQL: the append path's lookups keep using their indexes as tables grow, with no
ANALYZE and no autovacuum (ledger.store, plan_cache_mode).

psycopg prepares a statement on the server after a few executions; with the server's default
plan cache the statement soon runs one generic plan made from the statistics of that moment.
Made on a new ledger's empty tables, that plan scans the whole `units` table for one label.
The test warms the append path's statements on small tables, grows the tables in bulk with
autovacuum off, and asks the server how it would run each prepared statement now.
"""

from __future__ import annotations

import re

from factories import depolluted, plant, received

from ledger import catalogue
from ledger.log import Ledger
from ledger.store import migrate, open_engine

GROWN_UNITS = 20_000
WARM_UNITS = 12  # 36 appends on small tables
# A value of each parameter type, to EXPLAIN EXECUTE a prepared statement with.
SAMPLE = {"text": "'unit:NONE'", "character varying": "'NONE'", "bigint": "0",
          "integer": "0", "boolean": "true", "bytea": "'\\x00'::bytea"}


def _fridge(label: str) -> list:
    subject = f"unit:{label}"
    return [plant("unit.received", subject, received(label)), *depolluted(subject)]


def test_append_lookups_use_indexes_on_grown_tables_without_analyze(pg_url):
    engine = open_engine(pg_url)
    migrate(engine)
    ledger = Ledger(engine)
    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    raw = engine.raw_connection()  # the pool's one connection: the appends below use it too
    conn = raw.driver_connection
    with conn.cursor() as cur:
        for table in ("units", "unit_outputs", "refrigerant_recoveries"):
            cur.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    raw.commit()
    raw.close()
    for i in range(WARM_UNITS):  # past psycopg's prepare threshold and the server's custom plans
        for sub in _fridge(f"WARM-{i:03d}"):
            ledger.append([sub])
    raw = engine.raw_connection()
    conn = raw.driver_connection
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO units SELECT 'G-' || g, 'fridge', 'received', NULL, 'ST-01', "
            "'2026-11-21T08:00:00.000Z', NULL, 45210, 0, 0, 1000 + g, 1000 + g FROM "
            f"generate_series(1, {GROWN_UNITS}) g")
        cur.execute(
            "INSERT INTO unit_outputs SELECT 1000000 + g, 'G-' || (g / 3), 'component', "
            "'compressor_oil', NULL, 210, 1, 'ST-01', '2026-11-21T08:00:00.000Z' FROM "
            f"generate_series(1, {3 * GROWN_UNITS}) g")
        raw.commit()
        cur.execute("SELECT name, statement, parameter_types::text[] FROM "
                    "pg_prepared_statements")
        prepared = cur.fetchall()
        looked_at = []
        for name, statement, types in prepared:
            if not re.search(r"\bFROM (units|unit_outputs)\b", statement) or \
                    statement.lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE")):
                continue
            args = ", ".join(SAMPLE[t] for t in types)
            cur.execute(f"EXPLAIN EXECUTE {name}({args})" if args else f"EXPLAIN EXECUTE {name}")
            plan = "\n".join(row[0] for row in cur.fetchall())
            looked_at.append(statement)
            assert not re.search(r"Seq Scan on (units|unit_outputs)\b", plan), \
                f"{statement}\n{plan}"
    raw.rollback()
    raw.close()
    engine.dispose()
    assert any("FROM units" in s for s in looked_at), [p[1] for p in prepared]
