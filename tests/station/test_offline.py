"""Offline: the console is down while a real `dledger station run` process works through 20
units in HTTP mode; the station process is killed (SIGKILL) midway and started again; then
the console comes back. Every event arrives exactly once, in order per unit, each with a
valid station signature, and `dledger audit` passes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import pytest

from ledger.canonical import canonical_bytes
from ledger.log import station_signature_ok
from station import identity
from tests.station.conftest import (
    BADGE,
    PASSPHRASE,
    STATION_ID,
    Devices,
    console_on,
    free_port,
    seed_ledger,
    station_toml,
    wait_for,
)
from tests.web.conftest import make_instance

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent.parent
UNITS = [f"CN3301-2026-{7000 + n:07d}" for n in range(20)]
LOTS = {"lcd_panel": "LOT-LCD-OFF", "plastics": "LOT-PLASTICS-OFF"}


class StationProcess:
    """`dledger station run` in a subprocess, driven through its /api endpoints."""

    def __init__(self, config: Path, env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dledger", "station", "run", "--config", str(config)],
            env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        line = ""
        deadline = time.monotonic() + 30
        while "serving its kiosk on" not in line:
            line = self.proc.stderr.readline()
            if (not line and self.proc.poll() is not None) or time.monotonic() > deadline:
                raise AssertionError(f"the station did not start: {line}")
        self.url = re.search(r"http://[0-9.:]+", line).group(0)  # type: ignore[union-attr]
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # drain
        page = urllib.request.urlopen(self.url + "/").read().decode()
        self.token = re.search(r'name="kiosk-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/api/state") as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-Kiosk-Token": self.token})
        try:
            with urllib.request.urlopen(request) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read())

    def scan(self, text: str) -> dict[str, Any]:
        return self.post("/api/scan", {"text": text})

    def act(self, action: str, **fields: Any) -> dict[str, Any]:
        outcome = self.post(f"/api/act/{action}", {k: str(v) for k, v in fields.items()})
        assert outcome["ok"], outcome
        return outcome

    def place(self, devices: Devices, role: str, grams: int) -> None:
        devices.scales[role].place(grams, settle_ms=0)
        wait_for(lambda: any(s["role"] == role and s["stable"] and s["mass_g"] == grams
                             for s in self.state()["scales"]), what=f"{role} at {grams} g")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(15) == 0


def process_unit(station: StationProcess, devices: Devices, label: str, n: int,
                 kill_after_intake: bool = False) -> StationProcess | None:
    station.scan(label)
    station.act("select_category", category="flat_monitor")
    station.place(devices, "platform", 5_000 + n)
    station.act("weigh_intake")
    if kill_after_intake:
        return None
    finish_unit(station, devices, n)
    return station


def finish_unit(station: StationProcess, devices: Devices, n: int) -> None:
    for fraction, grams in (("lcd_panel", 900 + n), ("plastics", 1_500 + n)):
        assert station.scan(LOTS[fraction])["ok"]
        station.place(devices, "platform", grams)
        station.act("output", fraction=fraction)
    station.act("complete")


def test_twenty_units_offline_with_a_killed_station(tmp_path: Path, devices: Devices) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        instance = make_instance(tmp_path / "instance")
    port = free_port()
    folder = tmp_path / "station"
    folder.mkdir()
    config = station_toml(folder, ledger=f'mode = "http"\nurl = "http://127.0.0.1:{port}"',
                          scanner=devices.scanner.url, platform=devices.scales["platform"].url,
                          cylinder=devices.scales["cylinder"].url)
    env = {**os.environ, identity.PASSPHRASE_ENV: PASSPHRASE, "DLEDGER_HOME": str(instance.home)}
    os.environ[identity.PASSPHRASE_ENV] = PASSPHRASE
    try:
        me = identity.create(folder / "station-key.json", STATION_ID)
    finally:
        del os.environ[identity.PASSPHRASE_ENV]
    seed_ledger(instance.ledger(), me.public_key)
    size_before = instance.ledger().size()

    # The console is up just long enough for the station to fetch the catalogue in force
    # (a station judges with the ledger's catalogue only), then down for the whole shift.
    with console_on(instance, port):
        station = StationProcess(config, env)
        wait_for(lambda: station.state()["catalogue"]["categories"], 10, "the catalogue")
    station.scan(BADGE)
    for fraction, lot in LOTS.items():
        station.scan(lot)
        station.act("open_lot", fraction=fraction)
    for n, label in enumerate(UNITS[:10]):
        process_unit(station, devices, label, n)
    # A label received while offline is a duplicate when scanned again (and the refusal is
    # recorded: an attempt.refused event waits in the outbox with the others).
    again = station.scan(UNITS[0])
    assert again["refusal"] == "duplicate_label" and again["attempt"], again
    # Killed in the middle of unit 11, between its intake and its outputs.
    process_unit(station, devices, UNITS[10], 10, kill_after_intake=True)
    station.kill()
    station = StationProcess(config, env)
    state = station.state()
    assert state["operator"] == {"badge": BADGE}
    assert state["unit"]["label"] == UNITS[10] and state["unit"]["received"]
    finish_unit(station, devices, 10)
    for n, label in enumerate(UNITS[11:], start=11):
        process_unit(station, devices, label, n)
    state = station.state()["outbox"]
    # two lots opened; per unit: received, 2 outputs, completed; the refused duplicate
    expected = 2 + 20 * 4 + 1
    assert state["pending"] == expected and state["delivered"] == 0 and not state["online"]
    assert instance.ledger().size() == size_before

    with console_on(instance, port):
        wait_for(lambda: station.state()["outbox"]["pending"] == 0, 30, "delivery")
        outbox = station.state()["outbox"]
        assert outbox["delivered"] == expected and outbox["held"] == 0
        station.stop()

    check_delivered(instance, folder / "data" / "outbox.db", me.public_key, size_before,
                    expected)
    audit = subprocess.run([sys.executable, "-m", "dledger", "audit"], env=env,
                           capture_output=True, text=True, cwd=REPO)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def check_delivered(instance: Any, outbox_db: Path, public_key: str, size_before: int,
                    expected: int) -> None:
    """Exactly once, in the station's order per subject, each signed by the station."""
    import sqlite3

    made = sqlite3.connect(outbox_db).execute(
        "SELECT id, subject FROM events ORDER BY seq").fetchall()
    led = instance.ledger()
    assert led.size() == size_before + expected
    entries = [json.loads(led.entry(i)) for i in range(size_before, led.size())]
    assert sorted(e["event"]["id"] for e in entries) == sorted(i for i, _ in made)
    for subject in {s for _, s in made}:
        assert [e["event"]["id"] for e in entries if e["event"]["subject"] == subject] == \
            [i for i, s in made if s == subject]
    for entry in entries:
        assert entry["event"]["station"] == STATION_ID
        assert station_signature_ok(public_key, entry["station_sig"],
                                    canonical_bytes(entry["event"]))
