"""Station latency: scan-to-acknowledged and stable-reading-to-acknowledged, in-process and
over HTTP.

A complete station runs in this process: simulated scanner and scales on real ptys (9600-baud
pacing), the station's local server on a free port, its outbox on disk, and the ledger either
in-process (SQLite instance) or behind the real console over HTTP (same machine). The
benchmark plays a worker through N flat-panel monitors and times, per step, what the kiosk
waits for:

- scan → acknowledged: POST /api/scan with a new unit label (the kiosk's wedge path) until
  its answer; and a scan on the serial scanner until the station has handled it.
- stable reading → acknowledged: from the moment the scale's stable frame arrived (the
  reading's own timestamp) until POST /api/act/<weigh_intake | output> answers, i.e. the
  events are signed and committed to the outbox (WAL, synchronous=FULL).

    .venv/bin/python benchmarks/bench_station.py [--units 40 | --quick]

Every step must be accepted (the station judges with the catalogue in force, which it fetches
from the ledger): a refused step stops the benchmark rather than timing a refusal.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from devices.simulators import ScaleSimulator, ScannerSimulator  # noqa: E402
from station import identity  # noqa: E402
from station.agent import Workstation  # noqa: E402
from station.client import HttpClient, LocalClient  # noqa: E402
from station.config import load as load_config  # noqa: E402
from station.outbox import Outbox  # noqa: E402
from station.server import create_app  # noqa: E402
from tests.station.conftest import (  # noqa: E402
    BADGE,
    PASSPHRASE,
    STATION_ID,
    console_on,
    free_port,
    seed_ledger,
    station_toml,
)
from tests.web.conftest import make_instance  # noqa: E402


@contextmanager
def serving(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


class Kiosk:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def post(self, path: str, body: dict[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-Kiosk-Token": self.token})
        with urllib.request.urlopen(request) as answer:
            outcome = json.loads(answer.read())
        if not outcome["ok"]:
            raise RuntimeError(f"{path}: {outcome}")
        return outcome


def stable_at(ws: Workstation, scale: str, grams: int) -> float:
    """When the scale's stable frame showing `grams` arrived (monotonic), once it has."""
    poller = ws.scales[scale]
    while True:
        view = poller.view()
        if view.status == "stable" and view.mass_g == grams and view.age_s is not None:
            return time.monotonic() - view.age_s
        time.sleep(0.0005)


def run(mode: str, units: int, folder: Path) -> dict[str, list[float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        instance = make_instance(folder / "instance")
    scanner = ScannerSimulator()
    scanner.serve_pty()
    sims = {role: ScaleSimulator("mtsics", capacity_g=300_000, seed=1) for role in
            ("platform", "cylinder")}
    for sim in sims.values():
        sim.serve_pty()
    port = free_port()
    ledger_table = (f'mode = "http"\nurl = "http://127.0.0.1:{port}"' if mode == "http"
                    else f'mode = "local"\nhome = "{instance.home}"')
    (folder / "station").mkdir()
    config = load_config(station_toml(folder / "station", ledger=ledger_table,
                                      scanner=scanner.url, platform=sims["platform"].url,
                                      cylinder=sims["cylinder"].url))
    me = identity.create(config.key_file, STATION_ID)
    seed_ledger(instance.ledger(), me.public_key)
    client = HttpClient(f"http://127.0.0.1:{port}") if mode == "http" else LocalClient(instance)
    outbox = Outbox(config.data_dir / "outbox.db")
    ws = Workstation(config, me, client, outbox).start()
    app = create_app(ws)
    figures: dict[str, list[float]] = {"wedge scan": [], "serial scan": [], "stable reading": []}
    console = console_on(instance, port) if mode == "http" else _nothing()
    try:
        with console, serving(app) as url:
            kiosk = Kiosk(url, app.config["KIOSK_TOKEN"])
            kiosk.post("/api/scan", {"text": BADGE})
            kiosk.post("/api/scan", {"text": "LOT-BENCH-LCD"})
            kiosk.post("/api/act/open_lot", {"fraction": "lcd_panel"})
            for n in range(units):
                label = f"CN3301-2026-{8_000_000 + n:07d}"
                if n % 2:
                    before = ws.last
                    start = time.monotonic()
                    scanner.scan(label)
                    while ws.last is before:
                        time.sleep(0.0005)
                    figures["serial scan"].append(time.monotonic() - start)
                    if not ws.last["ok"]:
                        raise RuntimeError(f"serial scan of {label}: {ws.last}")
                else:
                    start = time.monotonic()
                    kiosk.post("/api/scan", {"text": label})
                    figures["wedge scan"].append(time.monotonic() - start)
                kiosk.post("/api/act/select_category", {"category": "flat_monitor"})
                for action, grams in (("weigh_intake", 5_000 + n), ("output", 1_000 + n)):
                    sims["platform"].place(grams, settle_ms=0)
                    arrived = stable_at(ws, "SC-1", grams)
                    kiosk.post(f"/api/act/{action}", {})
                    figures["stable reading"].append(time.monotonic() - arrived)
                kiosk.post("/api/act/complete", {})
            deadline = time.monotonic() + 60
            while outbox.counts()["pending"] and time.monotonic() < deadline:
                time.sleep(0.05)
            figures["delivered"] = [float(outbox.counts()["delivered"])]
    finally:
        ws.stop()
        outbox.close()
        client.close()
        scanner.close()
        for sim in sims.values():
            sim.close()
    return figures


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def report(mode: str, figures: dict[str, list[float]], show: Callable[[str], None]) -> None:
    for name in ("wedge scan", "serial scan", "stable reading"):
        values = sorted(figures[name])
        if not values:
            continue
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        show(f"{mode:10} {name + ' → acknowledged':34} n={len(values):4}  "
             f"median {statistics.median(values) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
             f"max {values[-1] * 1000:7.1f} ms")
    show(f"{mode:10} events delivered to the ledger afterwards: {int(figures['delivered'][0])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=40, help="units per mode (default 40)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 4 units per mode (figures not meaningful)")
    args = parser.parse_args()
    if args.quick:
        args.units = 4
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    os.environ[identity.PASSPHRASE_ENV] = PASSPHRASE
    print(f"{args.units} flat-panel monitors per mode; simulated devices on ptys at 9600 baud; "
          "outbox on disk (WAL, synchronous=FULL)")
    for mode, label in (("local", "in-process"), ("http", "over HTTP")):
        with tempfile.TemporaryDirectory(prefix="dledger-bench-station-") as folder:
            figures = run(mode, args.units, Path(folder))
        report(label, figures, print)


if __name__ == "__main__":
    main()
