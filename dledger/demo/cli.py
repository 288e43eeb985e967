"""`dledger demo`: run the simulated plant (live, with pages) or headless for N units.

    dledger demo                         console + three stations + workers, until Ctrl-C
    dledger demo --headless --units 50   no pages; 50 units; a JSON summary on stdout
    dledger demo --fresh                 delete the demo's instance first and start over
    dledger demo --count-every 10        a stock count every 10 units received

The plant stores what it receives and makes (storage.py): units and lots in the catalogue's
zones, now and then a unit set aside and taken back, and at the end of each demo day a blind
stock count with an adjustment of each difference, which the console's Stock pages show (the
book now, the counts, the reconciliation). A demo day ends every --count-every units
received and when the line has done its --units.

The summary's flags and refusals are the ledger's (records.py): the flags it computed from
the entries (`rule_flags`) and the refusals the stations recorded (`refusals`); beside them
the refusals a station answered without a record (a scale not yet steady). Its checkpoints
are the ones the console's publisher signed during the run, with the demo witness's
cosignatures (witness.py).

Times printed are plant time (DLEDGER_TIMEZONE, default Asia/Shanghai), as the console shows
them. At the end the demo prints the exact command line that points `dledger` at its instance
(`dledger audit` and `dledger cert` look in ./instance by default).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import statistics
import sys
import threading
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from dledger.demo.line import Line
from dledger.demo.plant import Plant
from dledger.demo.records import recorded_since
from dledger.demo.setup import (
    PASSWORD,
    Cylinders,
    SetupError,
    calibrate,
    ensure_catalogue,
    ensure_register,
    ensure_users,
    home_folder,
    next_label_number,
    prepare_instance,
)
from dledger.demo.storage import Storekeeper
from dledger.demo.units import UnitSource
from dledger.demo.witness import DemoWitness
from dledger.demo.worker import Pace, Tally, Worker
from ledger.audit import audit
from ledger.events import utc_now_ms
from ledger.fund import book
from ledger.instance import Instance, retired_vkeys
from ledger.log import Ledger
from ledger.witness.plant import cosignatures_at, last_cosignature
from web.config import ConfigError, plant_timezone

STATUS_EVERY_S = 30.0
DAY_UNITS = 24  # units received in a demo day, live: then the stock count


def say(message: str) -> None:
    click.echo(f"demo: {message}", err=True)


@click.command()
@click.option("--headless", is_flag=True, help="No pages: process --units units as fast as the "
              "devices allow, print a JSON summary, leave the instance in place.")
@click.option("--units", type=click.IntRange(min=1), help="Stop after this many units are "
              "received (default: 50 headless, endless otherwise).")
@click.option("--fresh", is_flag=True, help="Delete the demo's instance and start over.")
@click.option("--speed", type=click.FloatRange(min=0.1, max=100), default=3.0,
              show_default=True, help="How fast the simulated workers are (1 = a brisk real "
              "pace; live mode only).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address of the console and the kiosk pages.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The console's port (0: any free one).")
@click.option("--kiosk-port", type=click.IntRange(0, 65535), default=8701, show_default=True,
              help="The first station's kiosk port; the next ones follow (0: any free ones).")
@click.option("--seed", type=int, help="Seed of the made-up units (default: from the next "
              "label, so each run brings new ones).")
@click.option("--outage-every", type=click.IntRange(min=0), help="Take the intake station "
              "offline for 3 units every this many units (0: never; default 25, headless "
              "once halfway).")
@click.option("--count-every", type=click.IntRange(min=0), help="End a demo day with a stock "
              f"count every this many units received (0: only when --units are done; default "
              f"{DAY_UNITS}, headless once halfway).")
def demo(headless: bool, units: int | None, fresh: bool, speed: float, host: str, port: int,
         kiosk_port: int, seed: int | None, outage_every: int | None,
         count_every: int | None) -> None:
    """A simulated dismantling plant on this machine: console, stations, workers.

    Its instance is $DLEDGER_HOME, or ./demo-instance: made on first use (SQLite), reused
    after. Ctrl-C stops it; the stations' outboxes reach the console first.
    """
    stop = threading.Event()
    _on_signals(stop)
    logging.basicConfig(format="demo: %(message)s", level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the kiosks' polling, not news
    if os.environ.pop("DLEDGER_DATABASE_URL", None):
        say("DLEDGER_DATABASE_URL is ignored: the demo keeps its ledger in SQLite in its folder")
    home = home_folder(None)
    try:
        zone = ZoneInfo(plant_timezone())
        instance, made = prepare_instance(home, fresh)
    except (SetupError, ConfigError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    os.environ["DLEDGER_HOME"] = str(home)
    say(f"created a demo instance in {home}" if made else
        f"reusing the demo instance in {home} (its ledger stays; --fresh starts over)")
    if instance.plaintext_key:
        say("no DLEDGER_KEY_PASSPHRASE set: this demo keeps its plant key unencrypted")
    try:
        users = ensure_users(instance)
    except SetupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    ledger = instance.ledger()
    catalogue = ensure_catalogue(ledger)
    ensure_register(ledger)
    calibrate(ledger)
    first_entry = ledger.size()  # this run's records start here
    started_utc = utc_now_ms()
    first_checkpoint = len(ledger.checkpoints())  # and its checkpoints
    if headless:
        units = units or 50
    plant = Plant(instance, ledger, host, port, None if headless else kiosk_port)
    tally = Tally()
    started = time.monotonic()
    line: Line | None = None
    try:
        pace = Pace(0 if headless else speed)
        store = Storekeeper(ledger, catalogue, pace, stop, zone)  # the catalogue has zones
        say("starting the console and three stations...")
        plant.start()
        assert plant.console is not None
        workers = {work: Worker(s.rig, s.spec.badge, pace, tally, stop)
                   for work, s in plant.stations.items()}
        first = next_label_number(ledger)
        source = UnitSource(catalogue, seed=first if seed is None else seed,
                            first_label=first)
        halfway = max(3, units // 2) if headless and units and units >= 6 else 0
        every = outage_every if outage_every is not None else halfway if headless else 25
        days = count_every if count_every is not None else halfway if headless else DAY_UNITS
        line = Line(workers, {s.spec.id: s.link for s in plant.stations.values()},
                    plant.console.url, source, Cylinders(ledger, catalogue), store, pace,
                    tally, stop, units, datetime.now().strftime("%m%d%H%M%S"), every,
                    count_every=days)
        if not headless:
            _announce(plant, users, zone)
        runner = threading.Thread(target=line.run, name="line", daemon=True)
        runner.start()
        next_status = time.monotonic() + STATUS_EVERY_S
        while runner.is_alive():
            runner.join(0.5)
            if not headless and time.monotonic() >= next_status:
                next_status += STATUS_EVERY_S
                _status(plant, ledger, first_entry, tally, line, zone)
    except SetupError as exc:
        click.echo(f"error: {exc}", err=True)
        stop.set()
    finally:
        stop.set()
        if plant.stations:
            say("stopping: the stations' outboxes go to the console first...")
        outboxes = plant.drain()
        if line is not None:
            _stored(line)
        plant.stop()  # the console's publisher signs and has the witness cosign the last entries
        summary = _summary(instance, ledger, first_entry, tally, line, outboxes, units,
                           time.monotonic() - started, plant.witness, first_checkpoint,
                           started_utc) if headless and line else None
        if plant.stations:
            _stopped(outboxes, tally)
            say("the instance stays; point dledger at it with: " + dledger_line(home, "audit"))
    if summary is not None:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        if not summary["ok"]:
            sys.exit(1)
    if line is None or line.errors:
        sys.exit(1)


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: Any) -> None:
        if not stop.is_set():
            say("stopping (Ctrl-C again does not hurry it; give it a few seconds)")
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def dledger_line(home: Path, *args: str) -> str:
    """The exact command that runs `dledger ARGS` on the demo's instance, to paste."""
    command = Path(sys.argv[0]) if Path(sys.argv[0]).name == "dledger" else \
        Path(sys.executable).with_name("dledger")
    shown = [_relative(home), _relative(command) if command.exists() else "dledger"]
    return f"DLEDGER_HOME={shlex.quote(shown[0])} {shlex.quote(shown[1])} " + \
        " ".join(shlex.quote(a) for a in args)


def _relative(path: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def _stored(line: Line) -> None:
    """What the storekeeper had left when the line stopped, done now that the outboxes
    reached the console (a unit weighed in still goes to its zone)."""
    waiting = line.store.finish()
    if waiting:
        say(f"not stored (the console does not hold what they follow): {', '.join(waiting)}")


def _announce(plant: Plant, users: dict[str, str], zone: ZoneInfo) -> None:
    assert plant.console is not None and plant.witness is not None
    out = ["", "Dismantle Ledger demo plant is running.", "",
           f"  Console          {plant.console.url}/   (dashboard: {plant.console.url}/dashboard/)"]
    for work in ("intake", "recovery", "dismantling"):
        running = plant.stations[work]
        out.append(f"  {running.spec.id} {work:<12}{running.kiosk_url}   (kiosk page)")
    out.append(f"  Witness          {plant.witness.url}/   (cosigns the checkpoints; "
               f"see {plant.console.url}/ledger/)")
    out += ["", "  Sign in to the console (password for all: " + PASSWORD + "):"]
    out += [f"    {role:<10} {name}" for role, name in users.items()]
    out += [f"  Stock            {plant.console.url}/stock/   (the book, stock counts, "
            "reconciliation)"]
    out += ["", f"  Public verify page: {plant.console.url}/verify   ·   "
            f"Console log: {plant.console.log_path}",
            f"  Times are plant time ({zone.key}), as the console shows them.",
            f"  The ledger from the command line: {dledger_line(plant.instance.home, 'audit')}",
            "", "  Ctrl-C stops the plant.", ""]
    click.echo("\n".join(out), err=True)


def _status(plant: Plant, ledger: Ledger, first_entry: int, tally: Tally, line: Line,
            zone: ZoneInfo) -> None:
    pending = "/".join(str(s.outbox.counts()["pending"]) for s in plant.stations.values())
    offline = [s.spec.id for s in plant.stations.values() if not s.link.connected]
    recorded = recorded_since(ledger, first_entry)
    assert plant.witness is not None and plant.witness.verifier is not None
    cosigned = last_cosignature(ledger, plant.witness.verifier)
    say(f"{datetime.now(zone):%H:%M:%S} received {line.received}, completed "
        f"{len(tally.completed)}, put aside {len(tally.put_aside)}, refusals recorded "
        f"{recorded.refusals.total()}, flags {recorded.flags.total()}, stock counts "
        f"{len(line.store.counts)}; outboxes "
        f"pending {pending}" + (f"; offline: {', '.join(offline)}" if offline else "")
        + f"; ledger {ledger.size()} entries, witnessed {cosigned.size if cosigned else 0}")


def _stopped(outboxes: dict[str, dict[str, int]], tally: Tally) -> None:
    waiting = {k: v["pending"] for k, v in outboxes.items() if v["pending"]}
    say(f"stopped: {len(tally.completed)} units completed this run; " + (
        "every station event reached the console" if not waiting else
        f"still in the outboxes (kept on disk, sent at the next start): {waiting}"))


def _summary(instance: Instance, ledger: Ledger, first_entry: int, tally: Tally,
             line: Line | None, outboxes: dict[str, dict[str, int]], units: int | None,
             seconds: float, witness: DemoWitness | None, first_checkpoint: int,
             started_utc: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unencrypted demo key was announced at start
        signer = instance.signer()
    ledger.checkpoint(signer)
    report = audit(ledger.engine, [*retired_vkeys(instance), instance.vkey()])
    held = sum(v["held"] for v in outboxes.values())
    pending = sum(v["pending"] for v in outboxes.values())
    completed = len(tally.completed)
    errors = line.errors if line else []
    recorded = recorded_since(ledger, first_entry)
    checkpoints = _checkpoints(ledger, witness, first_checkpoint)
    stock = _stock(ledger, line, first_entry, started_utc) if line else None
    return {
        "ok": report.ok and not errors and not held and not pending
        and completed == (line.received if line else 0)
        and checkpoints["witnessed"] == ledger.size()
        and stock is not None and stock["balanced"]
        and len(stock["units_stored"]) == (line.received if line else 0),
        "instance": str(instance.home),
        "units": {"requested": units, "received": line.received if line else 0,
                  "completed": completed, "put_aside": tally.put_aside},
        "refused": recorded.refused_json(),
        "station_refusals": {code: {"count": n, "example": tally.refusal_examples[code]}
                             for code, n in sorted(tally.refusals.items())},
        "flags": dict(sorted(recorded.flags.items())),
        "flagged": {code: sorted(set(subjects))
                    for code, subjects in sorted(recorded.flagged.items())},
        "incidents": dict(sorted(tally.incidents.items())),
        "outages": tally.outages,
        "stations": {sid: counts for sid, counts in outboxes.items()},
        "entries": ledger.size(),
        "checkpoints": checkpoints,
        "stock": stock,
        "audit": {"ok": report.ok, "entries": report.entries,
                  "checkpoints": report.checkpoints, "signatures": report.signatures,
                  "problems": [p.as_dict() for p in report.problems[:10]]},
        "errors": errors,
        "seconds": round(seconds, 1),
        "units_per_minute": round(60 * completed / seconds, 1) if seconds else None,
        "seconds_per_unit": {bench: _spread(times) for bench, times in tally.seconds.items()},
    }


def _stock(ledger: Ledger, line: Line, first_entry: int, started_utc: str) -> dict[str, Any]:
    """What the storekeeper did, this run's stock counts held against the book, and the
    reconciliation of the run's time (ledger/fund/book.py, as the console's Stock pages)."""
    store = line.store
    counts = [c for c in book.held(ledger).counts_held() if c["entry"] >= first_entry]
    result = book.held(ledger, started_utc, utc_now_ms()).reconciliation()
    return {
        "units_stored": store.units_stored, "lots_stored": store.lots_stored,
        "set_aside": store.set_aside,
        "counts": [{"count": c["count"], "lines": len(c["lines"]),
                    "differences": sum(1 for r in c["lines"] if r["difference"]),
                    "adjusted": sum(1 for r in c["lines"] if r["adjustment"]),
                    "unexplained": c["unexplained"]} for c in counts],
        "balanced": result["balanced"], "unexplained": len(result["unexplained"]),
    }


def _checkpoints(ledger: Ledger, witness: DemoWitness | None, first: int) -> dict[str, Any]:
    """The checkpoints signed during the run (from the `first`-th on) and the demo witness's
    cosignatures of them."""
    signed = [s.checkpoint.size for s in ledger.checkpoints()[first:]]
    verifier = witness.verifier if witness else None
    cosigned = sorted({c.size for c in cosignatures_at(ledger, signed)
                       if verifier and c.witness_key_id == verifier.key_id.hex()})
    last = last_cosignature(ledger, verifier) if verifier else None
    return {"signed": signed, "witness": verifier.vkey if verifier else None,
            "cosigned": cosigned, "witnessed": last.size if last else 0}


def _spread(times: list[float]) -> dict[str, float]:
    """Median, p95 and maximum of one bench's per-unit times, in seconds."""
    ordered = sorted(times)
    return {"units": len(ordered), "median": round(statistics.median(ordered), 3),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
            "max": round(ordered[-1], 3)}
