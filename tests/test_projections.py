"""Read models on the sample day: what the console shows, and that rebuild derives the same."""

import json
from pathlib import Path

import pytest
from factories import event_obj

from ledger.log import Ledger, Submission
from ledger.projections import rebuild
from ledger.store import execute, migrate, open_engine, read_transaction, write_transaction
from ledger.tables import PROJECTION_TABLES

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample-events.jsonl"


@pytest.fixture
def sample_ledger(ledger):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    ledger.append([Submission.from_json(json.loads(line)) for line in lines])
    return ledger


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


# -- the hourly roll-up ------------------------------------------------------------------------

def _migration(name):
    """A migration module (their file names start with a digit: not importable by name)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "ledger" / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILL = _migration("0005_hourly_totals.py").FILL  # the roll-up recomputed in SQL, per figure


def _rollup(ledger):
    """(hourly_totals as kept, as recomputed from the unit, output and recovery rows)."""
    with read_transaction(ledger.engine) as conn:
        kept = execute(conn, "SELECT * FROM hourly_totals").fetchall()
        again = [row for sql in FILL.values() for row in execute(conn, sql).fetchall()]
    return (sorted(tuple(map(int_or_text, row)) for row in kept),
            sorted(tuple(map(int_or_text, row)) for row in again))


def int_or_text(value):
    return value if isinstance(value, str) else int(value)  # PostgreSQL sums are Decimal


def _assert_rollup_recomputes(ledger):
    kept, again = _rollup(ledger)
    assert kept == again
    return kept


def _entry(ledger, index):
    return json.loads(ledger.entry(index))["event"]


TWINS = {"crt_tv": "crt_monitor", "crt_monitor": "crt_tv", "flat_tv": "flat_monitor",
         "flat_monitor": "flat_tv"}


def _twin_category(ledger, completed):
    """(a completed unit, another category its record also fits): a category correction the
    rules accept (a TV recorded as a monitor of the same technology, within its weights; not
    a monitor in a desktop set, which a TV cannot be: rule not_a_set)."""
    from ledger import catalogue

    categories = catalogue.load().categories
    for subject in completed:
        data = next(e for _, e in ledger.subject_entries(subject)
                    if e["type"] == "unit.received")["data"]
        twin = TWINS.get(data["category"])
        if twin and not data.get("set_with") and \
                categories[twin].weight_g[0] <= data["gross_g"] <= categories[twin].weight_g[1]:
            return subject, twin
    raise AssertionError("the sample day has no TV or monitor that fits its twin category")


def _last_recovery_of_a_cylinder(ledger):
    """(entry, unit subject, cylinder gross before) of a cylinder's last recovery: correcting
    it leaves every later recovery's continuity as it was."""
    with read_transaction(ledger.engine) as conn:
        idx = execute(conn, "SELECT MAX(idx) FROM refrigerant_recoveries GROUP BY cylinder "
                      "ORDER BY 1 LIMIT 1").fetchone()[0]
    event = _entry(ledger, idx)
    return idx, event["subject"], event["data"]["cylinder_gross_before_g"]


def test_rollup_equals_recomputation_through_corrections_and_voids(sample_ledger):
    """The sample day (one correction), then corrections of every kind on top, each in its own
    append and some in one batch with new events; rebuild derives the same roll-up."""
    from factories import plant

    kept = _assert_rollup_recomputes(sample_ledger)
    assert {row[0] for row in kept} == {"received", "completed", "recovered", "output", "yield"}
    size = sample_ledger.size()
    first = {}  # (type, subject) -> first entry index
    for index in range(size):
        event = _entry(sample_ledger, index)
        first.setdefault((event["type"], event["subject"]), index)
    completed = [s for (t, s) in first if t == "unit.completed"]
    outputs = [(i, s) for (t, s), i in first.items() if t == "material.output"]
    regrouped = _twin_category(sample_ledger, completed)
    last_recovery = _last_recovery_of_a_cylinder(sample_ledger)

    def fix(subject, target, **data):
        return plant("correction", subject, {"corrects": target, "reason": "test",
                                             "approved_by": "M-0001", **data})

    steps = [
        [fix(regrouped[0], first[("unit.received", regrouped[0])],  # regroups its yields
             set={"category": regrouped[1]})],
        [fix(completed[1], first[("unit.completed", completed[1])], void=True)],  # uncompleted
        [fix(completed[2], first[("unit.received", completed[2])], void=True)],  # orphan rows
        [fix(last_recovery[1], last_recovery[0],
             set={"recovered_g": 7, "cylinder_gross_after_g": last_recovery[2] + 7})],
        [fix(outputs[0][1], outputs[0][0], set={"mass_g": 1}),  # two corrections, one batch
         fix(outputs[1][1], outputs[1][0], void=True)],
    ]
    for batch in steps:
        sample_ledger.append(batch)
        _assert_rollup_recomputes(sample_ledger)
    # the voided completion can be completed again, then its completion corrected, in one batch
    again = plant("unit.completed", completed[1], {"note": "done"})
    sample_ledger.append([again])
    completion = sample_ledger.size() - 1
    intake = _entry(sample_ledger, first[("unit.received", completed[1])])["data"]
    sample_ledger.append([fix(completed[1], completion, set={"note": "re-checked"}),
                          fix(completed[1], first[("unit.received", completed[1])],
                              set={"gross_g": intake["gross_g"] + 345})])
    final = _assert_rollup_recomputes(sample_ledger)
    assert final != kept
    with write_transaction(sample_ledger.engine) as conn:
        rebuild(conn, batch=61)
    assert _assert_rollup_recomputes(sample_ledger) == final


def test_migration_0005_fills_the_rollup_from_existing_rows(sample_ledger):
    """A database with read models and no roll-up (as at 0004) gets it from migration 0005."""
    from alembic import command
    from alembic.config import Config

    kept = _assert_rollup_recomputes(sample_ledger)
    with write_transaction(sample_ledger.engine) as conn:
        execute(conn, "DROP TABLE hourly_totals")
        execute(conn, "UPDATE alembic_version SET version_num = '0004'")
    config = Config()
    config.set_main_option("script_location", "ledger:migrations")
    with sample_ledger.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
    assert _rollup(sample_ledger)[0] == kept


LOTS = {"LOT-P-STEEL": "steel", "LOT-P-PCB": "pcb"}
CATEGORIES = ("fridge", "crt_tv", "laptop")


def _plant_event(etype, subject, data, minute):
    from factories import event_obj

    obj = event_obj(etype, subject, data)
    obj["time"] = (f"2026-11-21T{7 + minute // 60:02d}:{minute % 60:02d}:{minute % 7:02d}."
                   f"{minute:03d}Z")
    return Submission.from_json(obj)


def _random_event(draw, stage):
    """A plausible event for a unit at `stage` (0: not received, 1: received); it may still
    break a rule (after a void, say): then the batch is cut there."""
    from hypothesis import strategies as st

    kind = "unit.received" if stage == 0 else draw(st.sampled_from([
        "refrigerant.recovered", "component.removed", "material.output", "material.output",
        "unit.completed"]))
    grams = st.integers(1, 90_000)
    if kind == "unit.received":
        data = {"category": draw(st.sampled_from(CATEGORIES)), "gross_g": draw(grams),
                "scale": "SC-1", "source": "collector"}
    elif kind == "refrigerant.recovered":
        got = draw(st.integers(0, 2_000))
        data = {"refrigerant": draw(st.sampled_from(["R-600a", "R-134a"])), "cylinder": "C-1",
                "cylinder_gross_before_g": 9_000, "cylinder_gross_after_g": 9_000 + got,
                "recovered_g": got, "scale": "SC-2",
                "nameplate_charge_g": draw(st.none() | st.integers(0, 2_000))}
    elif kind == "component.removed":
        data = {"component": "capacitor", "count": draw(st.integers(1, 3)),
                "mass_g": draw(grams), "scale": "SC-3"}
        if draw(st.booleans()):
            data["lot"] = "LOT-P-PCB"
    elif kind == "material.output":
        lot = draw(st.sampled_from(sorted(LOTS)))
        data = {"fraction": LOTS[lot], "mass_g": draw(grams), "lot": lot, "scale": "SC-3"}
    else:
        data = {}
    return kind, data


def _random_fix(draw, target):
    """A correction of an earlier entry: void it, or set one of its fields."""
    from hypothesis import strategies as st

    index, _subject, _kind, data = target
    choices = {"category": st.sampled_from(CATEGORIES), "gross_g": st.integers(1, 90_000),
               "mass_g": st.integers(1, 90_000), "recovered_g": st.integers(0, 2_000),
               "refrigerant": st.sampled_from(["R-600a", "R-32"]),
               "nameplate_charge_g": st.none() | st.integers(0, 2_000),
               "lot": st.sampled_from(sorted(LOTS)), "count": st.integers(1, 5)}
    fields = sorted(set(choices) & set(data))
    if not fields or draw(st.booleans()):
        change = {"void": True}
    else:
        field = draw(st.sampled_from(fields))
        change = {"set": {field: draw(choices[field])}}
    return "correction", {"corrects": index, "reason": "test", "approved_by": "M-0001",
                          **change}


def test_rollup_equals_recomputation_for_random_histories(db_url):
    """Property: after every append of random unit events and corrections (including ones
    that name entries of the same batch), the roll-up equals its recomputation."""
    import uuid

    from conftest import publish_default_catalogue
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from ledger.log import AppendError

    engine = open_engine(db_url)
    migrate(engine)
    ledger = Ledger(engine)
    publish_default_catalogue(ledger)
    ledger.append([_plant_event("lot.opened", f"lot:{lot}", {"fraction": fraction,
                                                              "hazardous": fraction == "pcb"}, 0)
                   for lot, fraction in LOTS.items()])
    examples = 30 if db_url.startswith("sqlite") else 12

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def run(data):
        draw = data.draw
        labels = [f"P-{uuid.uuid4().hex[:8]}-{n}" for n in range(3)]
        known = []  # (index, subject, type, data) of entries appended in this example
        for _ in range(draw(st.integers(1, 5))):
            size = ledger.size()
            batch, planned = [], []
            for _ in range(draw(st.integers(1, 12))):
                minute = draw(st.integers(0, 239))
                if known + planned and draw(st.integers(0, 3)) == 0:
                    target = draw(st.sampled_from(known + planned))
                    subject = target[1]
                    kind, payload = _random_fix(draw, target)
                else:
                    subject = "unit:" + draw(st.sampled_from(labels))
                    done = [p[2] for p in known + planned if p[1] == subject]
                    if "unit.completed" in done:
                        continue
                    kind, payload = _random_event(draw, 1 if done else 0)
                planned.append((size + len(batch), subject, kind, payload))
                batch.append(_plant_event(kind, subject, payload, minute))
            if not batch:
                continue
            try:
                ledger.append(batch)
            except AppendError as error:  # keep what came before the refused event
                batch, planned = batch[:error.position], planned[:error.position]
                if batch:
                    ledger.append(batch)
            known += [p for p in planned if p[2] != "correction"]
            _assert_rollup_recomputes(ledger)

    run()
    engine.dispose()


def _at(time: str, etype: str, subject: str, data: dict) -> Submission:
    return Submission.from_json({**event_obj(etype, subject, data), "time": time})


def test_a_weighing_is_judged_by_the_last_pass_before_it_not_the_latest(ledger):
    """Calibration flags read the scale's last passing check at or before each weighing:
    a check logged earlier but timed after the weighing does not count for it."""
    check = {"reference_g": 10_000, "reading_g": 10_001, "tolerance_g": 5, "passed": True}
    ledger.append([_at("2026-11-19T12:00:00.000Z", "scale.calibrated", "scale:SC-9", check),
                   _at("2026-11-21T14:00:00.000Z", "scale.calibrated", "scale:SC-9", check),
                   _at("2026-11-19T12:00:00.000Z", "lot.opened", "lot:LOT-CAL",
                       {"fraction": "compressor", "hazardous": False})])
    for label, hour in (("unit:CAL-EARLY", 10), ("unit:CAL-LATE", 15)):
        ledger.append([_at(f"2026-11-21T{hour}:00:00.000Z", "unit.received", label,
                           {"category": "fridge", "gross_g": 45_210, "scale": "SC-9",
                            "source": "trade_in"}),
                       _at(f"2026-11-21T{hour}:01:00.000Z", "refrigerant.absent", label,
                           {"reason": "circuit_empty"}),
                       _at(f"2026-11-21T{hour}:02:00.000Z", "component.removed", label,
                           {"component": "compressor_oil", "count": 1}),
                       _at(f"2026-11-21T{hour}:02:30.000Z", "material.output", label,
                           {"fraction": "compressor", "mass_g": 9120, "scale": "SC-9",
                            "lot": "LOT-CAL"}),
                       _at(f"2026-11-21T{hour}:03:00.000Z", "unit.completed", label, {})])
    with read_transaction(ledger.engine) as conn:
        flags = {subject: json.loads(params) for subject, params in execute(
            conn, "SELECT subject, params FROM rule_flags WHERE code = 'calibration_overdue'")}
    assert flags == {"unit:CAL-EARLY": {**flags.get("unit:CAL-EARLY", {}),
                                        "last_pass": "2026-11-19T12:00:00.000Z"}}
