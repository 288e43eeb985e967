"""examples/sample-events.jsonl: made by its script, complete, and accepted by a real ledger
whose rules judge it (the default catalogue `dledger init` publishes at entry 0)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from ledger import catalogue
from ledger.events import EVENT_TYPES, PLANT_STATION
from ledger.log import Ledger
from ledger.store import open_engine

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "examples" / "make_sample_events.py"
SAMPLE = REPO / "examples" / "sample-events.jsonl"


@pytest.fixture(scope="module")
def maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_sample_events", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.fixture(scope="module")
def events() -> list[dict]:
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    return [r["event"] if "event" in r else r for r in records]


def test_the_committed_file_is_what_the_script_makes(maker: ModuleType) -> None:
    made = "".join(line + "\n" for line in maker.sample_lines())
    assert made.encode("utf-8") == SAMPLE.read_bytes(), (
        "examples/sample-events.jsonl is out of date: run "
        "`python examples/make_sample_events.py` and commit the result")


def test_a_full_day_with_every_event_type(events: list[dict]) -> None:
    assert len(events) >= 500
    counts = Counter(e["type"] for e in events)
    # the catalogue is the instance's own entry 0 (dledger init), not the sample's
    assert "catalogue.published" not in counts
    missing = set(EVENT_TYPES) - set(counts) - {"catalogue.published"}
    assert not missing, sorted(missing)
    categories = {e["data"]["category"] for e in events if e["type"] == "unit.received"}
    assert len(categories) >= 5
    times = [e["time"] for e in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(t.startswith("2026-11-20T") for t in times)


def test_station_events_are_signed_and_plant_events_bare() -> None:
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "event" in record:
            assert record["event"]["station"] != PLANT_STATION and record["station_sig"]
        else:
            assert record["station"] == PLANT_STATION


def _dledger(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLEDGER_")}
    env.update(DLEDGER_HOME=str(home), DLEDGER_KEY_PASSPHRASE="sample passphrase 1")
    return subprocess.run([sys.executable, "-m", "dledger", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_fresh_ledger_appends_and_audits_it(tmp_path: Path, events: list[dict]) -> None:
    home = tmp_path / "instance"
    init = _dledger(home, "init")
    assert init.returncode == 0, init.stderr
    append = _dledger(home, "append", str(SAMPLE))
    assert append.returncode == 0, append.stderr
    results = [json.loads(line) for line in append.stdout.splitlines()]
    assert [r["index"] for r in results] == list(range(1, 1 + len(events)))
    assert not any(r.get("existed") for r in results)
    ledger = Ledger(open_engine(f"sqlite:///{home / 'ledger.db'}"))
    found = ledger.catalogue()
    assert found is not None and found[0] == 0
    assert found[1].sha256() == catalogue.load().sha256()
    with ledger.engine.connect() as conn:
        flags = conn.exec_driver_sql("SELECT subject, code, resolution FROM rule_flags "
                                     "ORDER BY subject, code").fetchall()
        refusals = conn.exec_driver_sql("SELECT rule, attempted FROM refusals").fetchall()
    ledger.engine.dispose()
    # the day's deliberate faults, flagged by the ledger itself (no writer declared them),
    # and two yields just past the default catalogue's ranges (a laptop's battery at 18.1 %
    # of 18 %, a CCFL TV's tubes at 0.51 % of 0.5 %): what a plant's own ranges would settle
    assert [tuple(f) for f in flags] == [
        ("lot:LOT-20261120-CRTFUNNEL", "receipt_weight", "credit"),
        ("unit:CN3301-2026-0004826", "yield_out_of_range", None),
        ("unit:CN3301-2026-0004829", "yield_out_of_range", None),
        ("unit:CN3301-2026-0004834", "low_recovery", None)]
    assert [tuple(r) for r in refusals] == [("duplicate_trade_in", "unit.received")]
    audit = _dledger(home, "audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    signed = sum(e["station"] != PLANT_STATION for e in events)
    assert audit.stdout.startswith(f"ok: {1 + len(events)} entries, 0 signed checkpoints and "
                                   f"{signed} station signatures verified")


def test_the_readme_counts_the_sample_day(events: list[dict]) -> None:
    units = {e["subject"] for e in events if e["type"] == "unit.received"}
    stations = {e["station"] for e in events} - {PLANT_STATION}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sentence = (f"into a fresh instance ({len(events)} events after the catalogue `dledger init` "
                f"publishes at entry 0, {len(units)} units, three stations;")
    assert sentence in " ".join(readme.split()), "README.md: how many events the sample day has"
    assert len(stations) == 3
