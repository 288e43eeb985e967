"""examples/sample-events.jsonl: made by its script, complete, and accepted by a real ledger."""

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

from ledger.events import EVENT_TYPES, PLANT_STATION

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
    assert set(EVENT_TYPES) <= set(counts), sorted(set(EVENT_TYPES) - set(counts))
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
    assert [r["index"] for r in results] == list(range(len(events)))
    assert not any(r.get("existed") for r in results)
    audit = _dledger(home, "audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    signed = sum(e["station"] != PLANT_STATION for e in events)
    assert audit.stdout.startswith(f"ok: {len(events)} entries, 0 signed checkpoints and "
                                   f"{signed} station signatures verified")
