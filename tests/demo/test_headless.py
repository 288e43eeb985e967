"""`dledger demo --headless --units 50`, run as a user runs it: 50 units through the three real
stations and simulated devices, with complete, rule-checked histories, a clean audit and a
valid station signature on every station event; then run again on the same folder."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dledger.demo.setup import DEMO_MARKER, SetupError, prepare_instance
from ledger.canonical import canonical_bytes
from ledger.catalogue import load as load_catalogue
from ledger.events import PLANT_STATION
from ledger.instance import Instance
from ledger.log import station_signature_ok
from ledger.store import execute, read_transaction
from station import workflow as wf

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
    to get the lock runs it, the others read its summary)."""
    shared = tmp_path_factory.getbasetemp().parent / "demo-headless"
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
    engine = Instance.locate(home).engine()
    try:
        with read_transaction(engine) as tx:
            rows = execute(tx, "SELECT idx, body FROM ledger_entries ORDER BY idx").fetchall()
    finally:
        engine.dispose()
    return [(idx, json.loads(bytes(body))) for idx, body in rows]


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
    # what a plant really sees, all within 50 units
    assert summary["refused"]["duplicate_trade_in"]["count"] >= 1
    assert "already received with unit" in summary["refused"]["duplicate_trade_in"]["example"]
    assert summary["refused"]["unstable"]["count"] >= 1
    assert summary["flags"]["low_recovery"] >= 1
    assert summary["incidents"]["circuit_empty"] >= 1
    outage = summary["outages"][0]
    assert outage["station"] == "ST-01" and outage["events_kept_in_outbox"] >= 1
    assert summary["instance"] == str(home)


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


def test_each_unit_has_a_complete_rule_checked_history_across_the_three_stations(run):
    home, _ = run
    catalogue = load_catalogue(None)
    by_unit: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, entry in entries(home):
        if entry["event"]["subject"].startswith("unit:"):
            by_unit.setdefault(entry["event"]["subject"], []).append((index, entry))
    assert len(by_unit) == UNITS
    for subject, history in by_unit.items():
        previous = None
        for index, entry in history:  # the unit's chain through the log
            assert entry["subject_prev"] == previous, subject
            previous = index
        events = [entry["event"] for _, entry in history]
        assert events[0]["type"] == "unit.received" and events[0]["station"] == "ST-01"
        assert events[-1]["type"] == "unit.completed" and events[-1]["station"] == "ST-03"
        assert [e["type"] for e in events].count("unit.completed") == 1
        category = catalogue.category(events[0]["data"]["category"])
        facts = wf.UnitFacts(subject.split(":", 1)[1], tuple(events[:-1]))
        # the station's own completion rules accept the history before the completion...
        data, _ = wf.complete(facts, category, catalogue, {}, wf.Rules())
        # ...and the completion records exactly the flags those rules raise
        assert events[-1]["data"].get("flags", []) == data.get("flags", []), subject
        if category.refrigerant_bearing:
            refrigerant = [e for e in events if e["type"].startswith("refrigerant.")]
            assert len(refrigerant) == 1 and refrigerant[0]["station"] == "ST-02", subject
        assert wf.next_step(facts, category) == "complete", subject
        assert all(e["station"] in ("ST-01", "ST-02", "ST-03") for e in events)


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
