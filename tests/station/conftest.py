"""A complete station for tests: simulated scanner and two scales on pseudo-terminals, an
in-process ledger on a fresh instance, the station key created and approved, a recovery
cylinder registered and both scales calibrated.

    def test_something(station):
        station.scan("W-0042")                      # through the serial scanner's PTY
        station.place("platform", 45_200)           # waits until the poller sees it stable
        outcome = station.ws.act("weigh_intake", {})
        station.wait_delivered()                    # the outbox reached the ledger
        with serving(station.app) as url: ...       # the kiosk over HTTP (tests/web/conftest)

Also `station_factory(**options)` for a second configuration (an intake-only station, an
HTTP client, ...).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from devices.simulators import ScaleSimulator, ScannerSimulator
from ledger.events import parse_event, utc_now_ms
from ledger.instance import Instance
from ledger.log import Ledger, Submission
from station import identity
from station.agent import Workstation
from station.client import HttpClient, LocalClient
from station.config import load as load_config
from station.outbox import Outbox
from station.server import create_app
from tests.conftest import publish_default_catalogue
from tests.factories import plant
from tests.web.conftest import make_instance

PASSPHRASE = "station test passphrase"
STATION_ID = "ST-01"
PLATFORM = "SC-1"
CYLINDER_SCALE = "SC-2"
CYLINDER = "CYL-0007"  # R-600a, tare 7720 g, limit 17241 g (as examples/sample-events.jsonl)
CYLINDER_R134A = "CYL-0012"  # R-134a, tare 10 000 g, water capacity 26 200 g
BADGE = "W-0042"


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def station_toml(folder: Path, *, ledger: str, scanner: str, platform: str, cylinder: str,
                 extra: str = "", rules: str = "") -> Path:
    """A station.toml for simulators: `ledger` is the [ledger] table's body."""
    path = folder / "station.toml"
    path.write_text(f"""
[station]
id = "{STATION_ID}"
name = "ST-01 test bench"
language = "en"
listen = "127.0.0.1:0"
key_file = "station-key.json"
data_dir = "data"
{extra}

[ledger]
{ledger}

[rules]
{rules}

[scanner]
url = "{scanner}"

[[scales]]
name = "{PLATFORM}"
role = "platform"
url = "{platform}"
protocol = "mtsics"
resolution_g = 1
capacity_g = 300000

[[scales]]
name = "{CYLINDER_SCALE}"
role = "cylinder"
url = "{cylinder}"
protocol = "mtsics"
resolution_g = 1
capacity_g = 60000
""", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def console_on(instance: Any, port: int) -> Iterator[str]:
    """The real console app over HTTP on `port` (restartable on the same port)."""
    from web.app import create_app

    server = make_server("127.0.0.1", port, create_app(instance, {"TESTING": True}),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Devices:
    scanner: ScannerSimulator
    scales: dict[str, ScaleSimulator]

    def close(self) -> None:
        self.scanner.close()
        for sim in self.scales.values():
            sim.close()


@pytest.fixture
def devices() -> Iterator[Devices]:
    scanner = ScannerSimulator()
    scanner.serve_pty()
    scales = {}
    for role in ("platform", "cylinder"):
        sim = ScaleSimulator("mtsics", resolution_g=1, capacity_g=300_000, seed=1)
        sim.serve_pty()
        scales[role] = sim
    found = Devices(scanner, scales)
    yield found
    found.close()


def seed_ledger(ledger: Ledger, public_key: str) -> None:
    """The default catalogue in force (as `dledger init` publishes it), the station approved,
    two cylinders registered, both scales calibrated just now."""
    if ledger.catalogue() is None:
        publish_default_catalogue(ledger)
    ledger.append([
        plant("station.registered", f"station:{STATION_ID}",
              {"public_key": public_key, "name": "ST-01 test bench", "approved_by": "A-0001"}),
        plant("cylinder.registered", f"cylinder:{CYLINDER}",
              {"refrigerant": "R-600a", "tare_g": 7720, "water_capacity_g": 21600,
               "max_gross_g": 17241}),
        plant("cylinder.registered", f"cylinder:{CYLINDER_R134A}",
              {"refrigerant": "R-134a", "tare_g": 10_000, "water_capacity_g": 26_200,
               "max_gross_g": 35_277}),
        *(calibrated(scale) for scale in (PLATFORM, CYLINDER_SCALE)),
    ])


def calibrated(scale: str, time: str | None = None, passed: bool = True) -> Submission:
    """A calibration check of `scale` by the console, now unless `time` is given."""
    return Submission(parse_event({
        "id": str(uuid.uuid4()), "type": "scale.calibrated", "time": time or utc_now_ms(),
        "station": "PLANT", "operator": "M-0001", "subject": f"scale:{scale}",
        "data": {"reference_g": 10_000, "reading_g": 10_001 if passed else 10_100,
                 "tolerance_g": 5, "passed": passed}}))


@dataclass
class Station:
    """A running station and everything around it (see the module docstring)."""

    ws: Workstation
    app: Flask
    devices: Devices
    instance: Instance
    ledger: Ledger
    config_path: Path
    outbox: Outbox
    closers: list[Callable[[], None]] = field(default_factory=list)

    def scan(self, text: str) -> None:
        """Scan through the serial scanner; returns once the station has handled it."""
        before = self.ws.last
        self.devices.scanner.scan(text)
        wait_for(lambda: self.ws.last is not before and self.ws.last, what=f"scan {text}")

    def place(self, role: str, grams: int, stable: bool = True) -> None:
        sim = self.devices.scales[role]
        name = PLATFORM if role == "platform" else CYLINDER_SCALE
        sim.place(grams, settle_ms=0 if stable else 60_000, noise_g=0 if stable else 50)
        poller = self.ws.scales[name]
        if stable:
            wait_for(lambda: poller.view().status == "stable" and poller.view().mass_g == grams,
                     what=f"{name} stable at {grams} g")
        else:
            wait_for(lambda: poller.view().status == "motion", what=f"{name} in motion")

    def act(self, action: str, **fields: Any) -> dict[str, Any]:
        return self.ws.act(action, {k: str(v) for k, v in fields.items()}).as_json()

    def wait_delivered(self, timeout: float = 10.0) -> None:
        wait_for(lambda: self.outbox.counts()["pending"] == 0, timeout, "the outbox to empty")

    def entries(self, subject: str) -> list[dict[str, Any]]:
        return [event for _, event in self.ledger.subject_entries(subject)]

    def entry_bodies(self, subject: str) -> list[tuple[int, dict[str, Any]]]:
        """(index, entry) of every entry about `subject`, as logged."""
        return [(idx, json.loads(self.ledger.entry(idx)))
                for idx, _ in self.ledger.subject_entries(subject)]

    def size(self) -> int:
        return self.ledger.size()

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()


@pytest.fixture
def station_factory(tmp_path: Path, devices: Devices, monkeypatch: pytest.MonkeyPatch
                    ) -> Iterator[Callable[..., Station]]:
    """Make a station; options: extra (lines for [station]), rules (lines for [rules]),
    console_url (HTTP mode), folder (its own folder: key, outbox)."""
    monkeypatch.setenv(identity.PASSPHRASE_ENV, PASSPHRASE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        instance = make_instance(tmp_path / "instance")
    made: list[Station] = []

    def make(extra: str = "", console_url: str | None = None, folder: str = "station",
             rules: str = "") -> Station:
        home = tmp_path / folder
        home.mkdir(exist_ok=True)
        ledger_table = (f'mode = "http"\nurl = "{console_url}"' if console_url
                        else f'mode = "local"\nhome = "{instance.home}"')
        path = station_toml(home, ledger=ledger_table, scanner=devices.scanner.url,
                            platform=devices.scales["platform"].url,
                            cylinder=devices.scales["cylinder"].url, extra=extra, rules=rules)
        config = load_config(path)
        key_path = config.key_file
        if made and not key_path.exists():  # another folder of the same, registered station
            shutil.copyfile(made[0].ws.config.key_file, key_path)
        me = identity.load(key_path, STATION_ID) if key_path.exists() else \
            identity.create(key_path, STATION_ID)
        led = instance.ledger()
        if not made:
            seed_ledger(led, me.public_key)
        client = HttpClient(console_url, quiet_after_failure_s=0.5) if console_url \
            else LocalClient(instance)
        box = Outbox(config.data_dir / "outbox.db")
        ws = Workstation(config, me, client, box).start()
        rig = Station(ws, create_app(ws), devices, instance, led, path, box)
        rig.closers += [led.engine.dispose, client.close, box.close, ws.stop]
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.close()


@pytest.fixture
def station(station_factory: Callable[..., Station]) -> Station:
    """A complete local station, signed out, nothing open."""
    return station_factory()
