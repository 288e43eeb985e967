"""`dledger demo --headless --units 50`, run as a user runs it: 50 units through the three real
stations and simulated devices, judged by the catalogue published at entry 0, with complete
histories the ledger's rules accept, the deliberate faults as the ledger shows them (a low
recovery in its rule_flags, a duplicate trade-in code as a recorded attempt.refused), a clean
audit and a valid station signature on every station event; the plant's storage as the
ledger holds it (every unit and lot in a zone of its kind, a unit set aside and taken back,
stock counts whose every difference is explained); then run again on the same folder."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dledger.demo.setup import DEMO_MARKER, IDENTITY, SetupError, prepare_instance
from dledger.demo.storage import COUNTING_SCALE, REASON_BINS
from ledger.canonical import canonical_bytes
from ledger.catalogue import Catalogue, from_content
from ledger.certificates.build import build_unit
from ledger.events import PLANT_STATION
from ledger.fund import book, stock
from ledger.instance import Instance
from ledger.log import station_signature_ok
from ledger.rules import judge, units
from ledger.rules.facts import UnitFacts
from ledger.store import execute, read_transaction
from ledger.witness.home import WitnessHome
from ledger.witness.plant import cosignatures_at, cosigned_note
from ledger.witness.settings import DEFAULT_EVERY_SECONDS

UNITS = 50
pytestmark = pytest.mark.slow


def dledger(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DLEDGER_DATABASE_URL", "DLEDGER_KEY_PASSPHRASE")}
    env["DLEDGER_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "dledger", *args], env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One headless run for the whole session, shared by pytest-xdist's workers (the first
    to get the lock runs it, the others read its summary). Under xdist the session's folder
    is the workers' base folders' parent; without it that parent is every session's, so the
    run is kept in the session's own base folder."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-headless"
    shared.mkdir(exist_ok=True)
    home, result = shared / "plant", shared / "summary.json"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            done = dledger(home, "demo", "--headless", "--units", str(UNITS), "--port", "0")
            assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
            assert "Traceback" not in done.stderr, done.stderr
            result.write_text(done.stdout, encoding="utf-8")
    return home, json.loads(result.read_text(encoding="utf-8"))


def entries(home: Path) -> list[tuple[int, dict[str, Any]]]:
    """Every entry of the log, read through the Ledger API."""
    ledger = Instance.locate(home).ledger()
    try:
        return [(index, json.loads(ledger.entry(index))) for index in range(ledger.size())]
    finally:
        ledger.engine.dispose()


def read_model(home: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a read model (rule_flags, refusals), as the console reads them."""
    engine = Instance.locate(home).engine()
    try:
        with read_transaction(engine) as tx:
            return [tuple(row) for row in execute(tx, sql).fetchall()]
    finally:
        engine.dispose()


def catalogue_at_zero(log: list[tuple[int, dict[str, Any]]]) -> Catalogue:
    index, entry = log[0]
    assert index == 0 and entry["event"]["type"] == "catalogue.published"
    return from_content(entry["event"]["data"]["content"], "entry 0")


def test_fifty_units_are_completed_and_the_summary_says_what_happened(run):
    home, summary = run
    assert summary["ok"], summary
    assert summary["units"]["received"] == UNITS
    assert summary["units"]["completed"] == UNITS
    assert summary["audit"]["ok"] and summary["audit"]["entries"] == summary["entries"]
    for station in ("ST-01", "ST-02", "ST-03"):
        assert summary["stations"][station]["pending"] == 0
        assert summary["stations"][station]["held"] == 0
        assert summary["stations"][station]["delivered"] > 0
    # what a plant really sees, all within 50 units: a duplicate trade-in code refused and
    # recorded, its unit put aside; a scale that would not settle, refused until it did (no
    # record: nothing was attempted); a low recovery, flagged by the ledger
    assert summary["refused"]["duplicate_trade_in"]["count"] >= 1
    assert "already received with unit" in summary["refused"]["duplicate_trade_in"]["example"]
    put_aside = [p["unit"] for p in summary["units"]["put_aside"]]
    assert put_aside and all(p["why"] == "duplicate_trade_in"
                             for p in summary["units"]["put_aside"])
    assert sorted(summary["refused"]["duplicate_trade_in"]["about"]) == sorted(
        f"unit:{label}" for label in put_aside)
    assert summary["station_refusals"]["unstable"]["count"] >= 1
    assert "unstable" not in summary["refused"]
    assert summary["flags"]["low_recovery"] >= 1
    assert summary["flags"]["low_recovery"] == summary["incidents"]["low_recovery"]
    assert summary["incidents"]["circuit_empty"] >= 1
    outage = summary["outages"][0]
    assert outage["station"] == "ST-01" and outage["events_kept_in_outbox"] >= 1
    assert summary["instance"] == str(home)
    assert summary["checkpoints"]["witnessed"] == summary["entries"]


def test_dledger_audit_passes(run):
    home, summary = run
    done = dledger(home, "audit")
    assert done.returncode == 0, done.stderr
    assert f"{summary['entries']} entries" in done.stderr + done.stdout


def test_every_station_event_carries_a_valid_signature_of_its_registered_key(run):
    home, _ = run
    keys: dict[str, str] = {}
    station_events = 0
    for _, entry in entries(home):
        event = entry["event"]
        if event["type"] == "station.registered":
            keys[event["subject"].split(":", 1)[1]] = event["data"]["public_key"]
        if event["station"] == PLANT_STATION:
            assert entry.get("station_sig") is None
            continue
        station_events += 1
        key = keys[event["station"]]
        assert station_signature_ok(key, entry["station_sig"], canonical_bytes(event)), event
    assert set(keys) == {"ST-01", "ST-02", "ST-03"}
    assert station_events > 10 * UNITS


def test_the_summary_counts_the_ledgers_flags_and_recorded_refusals(run):
    home, summary = run
    flags = read_model(home, "SELECT subject, code FROM rule_flags")
    assert {code: sum(1 for _, c in flags if c == code) for _, code in flags} \
        == summary["flags"]
    assert {code: sorted(s for s, c in flags if c == code) for _, code in flags} \
        == summary["flagged"]
    refusals = read_model(home, "SELECT station, rule, attempted, about FROM refusals")
    assert len(refusals) == sum(r["count"] for r in summary["refused"].values())
    assert all(r[:3] == ("ST-01", "duplicate_trade_in", "unit.received") for r in refusals)
    log = entries(home)
    recorded = [e["event"] for _, e in log if e["event"]["type"] == "attempt.refused"]
    assert [(e["station"], e["subject"], e["data"]["rule"], e["data"]["about"])
            for e in recorded] == [("ST-01", "station:ST-01", r[1], r[3]) for r in refusals]
    subjects = {e["event"]["subject"] for _, e in log}
    for about in summary["refused"]["duplicate_trade_in"]["about"]:
        assert about not in subjects  # the unit put aside left nothing but the refusal


def test_each_unit_has_a_complete_rule_checked_history_across_the_three_stations(run):
    home, _ = run
    log = entries(home)
    catalogue = catalogue_at_zero(log)
    passes = [(index, e["event"]) for index, e in log if e["event"]["type"] == "scale.calibrated"
              and e["event"]["data"]["passed"]]

    def last_pass(scale: str, at: str, index: int | None) -> str | None:
        times = [e["time"] for i, e in passes if e["subject"] == f"scale:{scale}"
                 and (index is None or i < index) and e["time"] <= at]
        return max(times, default=None)

    raised = {(subject, code) for subject, code in
              read_model(home, "SELECT subject, code FROM rule_flags")}
    by_unit: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, entry in log:
        if entry["event"]["subject"].startswith("unit:"):
            by_unit.setdefault(entry["event"]["subject"], []).append((index, entry))
    assert len(by_unit) == UNITS
    for subject, history in by_unit.items():
        previous = None
        for index, entry in history:  # the unit's chain through the log
            assert entry["subject_prev"] == previous, subject
            previous = index
        events = [entry["event"] for _, entry in history]
        label = subject.split(":", 1)[1]
        assert events[0]["type"] == "unit.received" and events[0]["station"] == "ST-01"
        assert events[-1]["type"] == "unit.completed" and events[-1]["station"] == "ST-03"
        assert [e["type"] for e in events].count("unit.completed") == 1
        assert events[-1]["data"] == {}, subject  # a completion declares no flags
        category = catalogue.category(events[0]["data"]["category"])
        facts = UnitFacts(label, tuple(events[:-1]))
        units.check_completion(facts, category)
        assert units.next_step(facts, category) == "complete", subject
        # the ledger's rules find nothing wrong in the record, and the flags they compute
        # are the ones the ledger raised
        judgement = judge.judge_unit([(i, e["event"]) for i, e in history], label, catalogue,
                                     last_pass)
        assert judgement.violations == [], subject
        assert {(subject, f.code) for f in judgement.flags} == {
            (s, c) for s, c in raised if s == subject}, subject
        assert {f.code for f in judgement.flags} <= {"low_recovery"}, subject
        if category.refrigerant_bearing:
            refrigerant = [e for e in events if e["type"].startswith("refrigerant.")]
            assert len(refrigerant) == 1 and refrigerant[0]["station"] == "ST-02", subject
        # the stations record the work, the console (the warehouse, the manager) the storage
        for event in events:
            assert (event["station"] == PLANT_STATION) == (event["type"] in STORAGE), event
        assert all(e["station"] in ("ST-01", "ST-02", "ST-03", PLANT_STATION) for e in events)


STORAGE = ("unit.stored", "unit.set_aside", "unit.taken_back")
DISMANTLING = ("refrigerant.recovered", "refrigerant.absent", "component.removed",
               "material.output", "unit.completed")


def chains(log: list[tuple[int, dict[str, Any]]], prefix: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for _, entry in log:
        if entry["event"]["subject"].startswith(prefix):
            found.setdefault(entry["event"]["subject"], []).append(entry["event"])
    return found


def test_every_unit_is_stored_in_a_units_zone_before_its_next_bench(run):
    home, summary = run
    log = entries(home)
    catalogue = catalogue_at_zero(log)
    units_by_subject = chains(log, "unit:")
    assert sorted(summary["stock"]["units_stored"]) == sorted(
        s.split(":", 1)[1] for s in units_by_subject)
    for subject, events in units_by_subject.items():
        types = [e["type"] for e in events]
        assert types[0] == "unit.received" and types[1] == "unit.stored", (subject, types)
        stored = events[1]
        assert stored["station"] == PLANT_STATION and stored["operator"] == "worker"
        assert catalogue.zones[stored["data"]["zone"]].kind == "units", stored
        assert types.count("unit.stored") == 1
    # each category stands in one zone
    zones: dict[str, set[str]] = {}
    for events in units_by_subject.values():
        zones.setdefault(events[0]["data"]["category"], set()).add(events[1]["data"]["zone"])
    assert all(len(z) == 1 for z in zones.values()), zones


def test_every_lot_is_stored_in_a_zone_of_its_kind_when_opened(run):
    home, summary = run
    log = entries(home)
    catalogue = catalogue_at_zero(log)
    lots = chains(log, "lot:")
    assert lots and sorted(summary["stock"]["lots_stored"]) == sorted(
        s.split(":", 1)[1] for s in lots)
    hazardous = 0
    for subject, events in lots.items():
        types = [e["type"] for e in events]
        assert types[0] == "lot.opened" and types.count("lot.stored") == 1, (subject, types)
        stored = next(e for e in events if e["type"] == "lot.stored")
        assert stored["station"] == PLANT_STATION
        wanted = "hazardous" if events[0]["data"]["hazardous"] else "products"
        assert catalogue.zones[stored["data"]["zone"]].kind == wanted, (subject, stored)
        hazardous += events[0]["data"]["hazardous"]
    assert 0 < hazardous < len(lots)


def test_a_unit_is_set_aside_and_taken_back_before_it_is_dismantled(run):
    home, summary = run
    held = []
    for subject, events in chains(entries(home), "unit:").items():
        types = [e["type"] for e in events]
        if "unit.set_aside" not in types:
            assert "unit.taken_back" not in types
            continue
        held.append(subject.split(":", 1)[1])
        aside, back = types.index("unit.set_aside"), types.index("unit.taken_back")
        assert types.count("unit.set_aside") == types.count("unit.taken_back") == 1
        assert events[aside]["data"]["reason"] and events[aside]["operator"] == "manager"
        first_work = min(types.index(t) for t in DISMANTLING if t in types)
        assert aside < back < first_work, types  # its bench waited for it
    assert held and sorted(held) == sorted(summary["stock"]["set_aside"])
    assert summary["incidents"]["set_aside"] == len(held)


def test_stock_counts_find_the_floor_and_every_difference_is_explained(run):
    home, summary = run
    log = entries(home)
    counts = summary["stock"]["counts"]
    assert len(counts) == 2  # halfway through the day, and at its end
    ledger = Instance.locate(home).ledger()
    try:
        held = book.held(ledger).counts_held()  # the console's read models
        result = book.held(ledger, log[0][1]["event"]["time"], summary_end(log)
                           ).reconciliation()
    finally:
        ledger.engine.dispose()
    # ... the same as ledger.fund.stock computes from the entries, as the verifier does
    from_entries = stock.book_of([(i, e["event"]) for i, e in log], log[0][1]["event"]["time"],
                                 summary_end(log))
    assert from_entries.counts_held() == held
    assert from_entries.reconciliation() == result
    assert [c["count"] for c in held] == [c["count"] for c in counts]
    for count in held:
        assert count["unexplained"] == 0, count
        units = [line for line in count["lines"] if line["kind"] == "units"]
        for line in units:  # the units stood where they were recorded
            assert line["zone"] is not None and line["difference"] == 0, line
        for line in count["lines"]:
            if line["kind"] == "fraction":  # every bin weighed on the floor scale
                assert line["counted"] % COUNTING_SCALE.resolution_g == 0, line
            if line["difference"]:
                assert line["adjustment"]["difference"] == line["difference"], line
                assert line["adjustment"]["reason"] == REASON_BINS, line
                assert line["adjustment"]["approved_by"] == "manager"
            else:
                assert line["adjustment"] is None, line
    assert any(line["counted"] for line in held[0]["lines"] if line["kind"] == "units")
    assert any(line["adjustment"] for c in held for line in c["lines"])
    assert result["counts"] == [c["count"] for c in held]
    assert result["unexplained"] == [] and result["balanced"]
    assert summary["stock"]["balanced"] and summary["stock"]["unexplained"] == 0
    count_events = [e["event"] for _, e in log if e["event"]["subject"].startswith("count:")]
    assert {e["station"] for e in count_events} == {PLANT_STATION}
    assert {e["type"] for e in count_events} == {"stock.counted", "stock.adjusted"}


def summary_end(log: list[tuple[int, dict[str, Any]]]) -> str:
    """A bound just after the run's last entry (a range is half-open)."""
    last = datetime.fromisoformat(max(e["event"]["time"] for _, e in log))
    later = last + timedelta(milliseconds=1)
    return later.strftime("%Y-%m-%dT%H:%M:%S.") + f"{later.microsecond // 1000:03d}Z"


def test_checkpoints_keep_up_with_the_log_cosigned_by_the_demo_witness(run):
    home, summary = run
    checkpoints = summary["checkpoints"]
    assert checkpoints["witnessed"] == summary["entries"] == checkpoints["signed"][-1]
    assert len(checkpoints["cosigned"]) >= 3
    assert set(checkpoints["cosigned"]) <= set(checkpoints["signed"])
    verifier = WitnessHome.locate(home / "witness").verifier()
    assert checkpoints["witness"] == verifier.vkey
    ledger = Instance.locate(home).ledger()
    try:
        for size in checkpoints["cosigned"]:
            signed = ledger.checkpoint_at(size)
            assert verifier.verify(cosigned_note(ledger, signed.note)) is not None
        arrived = sorted((c.size, datetime.fromisoformat(c.received_at))
                         for c in cosignatures_at(ledger, checkpoints["cosigned"]))
    finally:
        ledger.engine.dispose()
    # Keeping up: every entry was cosigned soon after it was logged (the publisher's cadence,
    # with room for a loaded machine), never only at the end.
    allowed = timedelta(seconds=DEFAULT_EVERY_SECONDS + 10)
    for index, entry in entries(home):
        covered = next(at for size, at in arrived if size > index)
        assert covered - datetime.fromisoformat(entry["logged"]) <= allowed, (index, covered)


def test_a_second_run_reuses_the_instance_and_continues_the_labels(run, tmp_path):
    home = tmp_path / "plant"  # a copy: the other tests read the first run's instance
    shutil.copytree(run[0], home)
    summary = run[1]

    def completed() -> set[str]:
        return {e["event"]["subject"] for _, e in entries(home)
                if e["event"]["type"] == "unit.completed"}

    before = completed()
    done = dledger(home, "demo", "--headless", "--units", "2", "--port", "0",
                   "--outage-every", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"reusing the demo instance in {home}" in done.stderr
    again = json.loads(done.stdout)
    assert again["ok"] and again["units"]["completed"] == 2
    assert again["entries"] > summary["entries"]
    new = completed() - before
    assert len(new) == 2 and min(new) > max(before)


def test_fresh_deletes_only_a_demo_folder(tmp_path):
    other = tmp_path / "someone-elses"
    other.mkdir()
    (other / "dledger.toml").write_text('origin = "x"\n', encoding="utf-8")
    with pytest.raises(SetupError, match="was not made by `dledger demo`"):
        prepare_instance(other, fresh=True)
    with pytest.raises(SetupError, match="did not make"):
        prepare_instance(other, fresh=False)
    assert (other / "dledger.toml").exists()
    made, created = prepare_instance(tmp_path / "demo", fresh=False)
    assert created and (made.home / DEMO_MARKER).exists()
    _, created = prepare_instance(tmp_path / "demo", fresh=True)
    assert created


def test_the_demos_certificates_name_the_plant_and_its_operators(run):
    """The demo records its identity and its operators register before work starts: a unit
    certificate of a completed unit states the legal name and licence, and names the
    people behind every operator code of the unit's events."""
    home, _ = run
    instance = Instance.locate(home)
    ledger = instance.ledger()
    try:
        label = next(event["subject"][len("unit:"):] for _, event in
                     ((i, e["event"]) for i, e in entries(home))
                     if event["type"] == "unit.completed")
        statements = build_unit(ledger, label, signer=instance.signer())["statements"]
    finally:
        ledger.engine.dispose()
    identity = statements["plant_identity"]
    assert (identity["legal_name"], identity["licence_no"]) == (IDENTITY["legal_name"],
                                                                IDENTITY["licence_no"])
    assert identity["violations"] == []
    register = statements["operator_register"]
    assert set(register) == set(statements["operators"])
    assert all(person is not None and person["name"] for person in register.values()), register
