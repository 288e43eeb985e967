"""Read models on the sample day: what the console shows, and that rebuild derives the same."""

import json
from pathlib import Path

import pytest

from ledger.log import Ledger, Submission
from ledger.projections import rebuild
from ledger.store import execute, migrate, open_engine, read_transaction, write_transaction
from ledger.tables import PROJECTION_TABLES

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample-events.jsonl"


@pytest.fixture
def sample_ledger(db_url):
    engine = open_engine(db_url)
    migrate(engine)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    Ledger(engine).append([Submission.from_json(json.loads(line)) for line in lines])
    yield Ledger(engine)
    engine.dispose()


def _tables(ledger):
    with read_transaction(ledger.engine) as conn:
        return {table: sorted(map(tuple, execute(conn, f"SELECT * FROM {table}").fetchall()),
                              key=repr)
                for table in PROJECTION_TABLES}


def _count(ledger, sql):
    with read_transaction(ledger.engine) as conn:
        return execute(conn, sql).fetchone()[0]


def test_sample_day_read_models(sample_ledger):
    entries = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    events = [e.get("event", e) for e in entries]
    by_type = {t: sum(e["type"] == t for e in events) for t in {e["type"] for e in events}}
    assert _count(sample_ledger, "SELECT COUNT(*) FROM units") == by_type["unit.received"]
    assert _count(sample_ledger, "SELECT COUNT(*) FROM units WHERE state = 'completed'") == \
        by_type["unit.completed"]
    assert _count(sample_ledger, "SELECT COUNT(*) FROM unit_outputs") == \
        by_type["material.output"] + by_type["component.removed"]
    assert _count(sample_ledger, "SELECT COUNT(*) FROM refrigerant_recoveries") == \
        by_type["refrigerant.recovered"]
    assert _count(sample_ledger, "SELECT COUNT(*) FROM scales WHERE last_check_passed") == 3
    assert _count(sample_ledger, "SELECT COUNT(*) FROM stations WHERE last_seen_index IS NOT NULL"
                  ) >= 3
    assert _count(sample_ledger, "SELECT COUNT(*) FROM units WHERE completed_station IS NULL "
                  "AND state = 'completed'") == 0


def test_correction_reaches_the_output_rows_and_rebuild_agrees(sample_ledger):
    correction = next(e for e in map(json.loads, SAMPLE.read_text().splitlines())
                      if e.get("type") == "correction")
    target, new_mass = correction["data"]["corrects"], correction["data"]["set"]["mass_g"]
    assert _count(sample_ledger, f"SELECT mass_g FROM unit_outputs WHERE idx = {target}") == \
        new_mass
    label = correction["subject"].split(":", 1)[1]
    outputs = _count(sample_ledger, f"SELECT SUM(mass_g) FROM unit_outputs WHERE label = '{label}'")
    assert _count(sample_ledger, f"SELECT outputs_g FROM units WHERE label = '{label}'") == outputs
    before = _tables(sample_ledger)
    with write_transaction(sample_ledger.engine) as conn:
        rebuild(conn, batch=97)  # batch edges fall in the middle of units' histories
    assert _tables(sample_ledger) == before
