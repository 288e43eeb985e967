"""`dledger devices ...`: list ports, read a scale, read scans, run a simulator.

Exit status: 0 done, 1 the device failed (message says what to check), 2 bad usage.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click
from serial.tools import list_ports

from devices.barcode import UNIT_LABEL, label_kinds
from devices.protocols import PROTOCOLS
from devices.reading import DeviceError
from devices.scale import Scale
from devices.scanner import Scanner
from devices.simulators import ScaleSimulator, ScannerSimulator

SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}
BY_ID = Path("/dev/serial/by-id")


def fail(exc: DeviceError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@click.group(name="devices")
def devices() -> None:
    """Scales and barcode scanners: list ports, read, simulate."""


@devices.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per port.")
def list_(as_json: bool) -> None:
    """List serial ports, with their stable /dev/serial/by-id names where there are any."""
    stable = {str(p.resolve()): str(p) for p in BY_ID.iterdir()} if BY_ID.is_dir() else {}
    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    for port in ports:
        entry = {"device": port.device, "by_id": stable.get(port.device, ""),
                 "description": port.description, "hwid": port.hwid}
        if as_json:
            click.echo(json.dumps(entry))
        else:
            click.echo("  ".join(v for v in (entry["by_id"] or port.device, port.description,
                                              port.hwid) if v and v != "n/a"))
    if not ports and not as_json:
        click.echo("no serial ports found (USB adapters show up as /dev/ttyUSB* or /dev/ttyACM*)")


@devices.command()
@click.option("--url", required=True, help="Port path or pyserial URL (socket://host:port, ...).")
@click.option("--protocol", required=True, type=click.Choice(list(PROTOCOLS)))
@click.option("--stable", is_flag=True, help="Wait for a stable reading.")
@click.option("--timeout", default=3.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait, reconnects included.")
@click.option("--json", "as_json", is_flag=True, help="Print the reading as JSON.")
@click.option("--resolution-g", default=1, show_default=True, type=click.IntRange(min=1),
              help="The scale's division in grams.")
@click.option("--unit", default="kg", show_default=True,
              help="The scale's unit, for protocols that do not send it (8217).")
def read(url: str, protocol: str, stable: bool, timeout: float, as_json: bool,
         resolution_g: int, unit: str) -> None:
    """Read one weight from a scale."""
    scale = Scale(url, protocol, resolution_g=resolution_g, unit=unit)
    try:
        reading = scale.wait_stable(timeout) if stable else scale.current(timeout)
    except DeviceError as exc:
        fail(exc)
    finally:
        scale.close()
    if as_json:
        click.echo(json.dumps(reading.as_json()))
    else:
        state = "stable" if reading.stable else "moving"
        click.echo(f"{reading.mass_g} g  {state}  (sent in {reading.unit}: {reading.raw!r})")


@devices.command()
@click.option("--url", required=True, help="Port path or pyserial URL of the scanner.")
@click.option("--suffix", default="cr", show_default=True, type=click.Choice(list(SUFFIXES)),
              help="What the scanner sends after each code.")
@click.option("--count", default=1, show_default=True, type=click.IntRange(min=0),
              help="Scans to read; 0 reads until interrupted.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for each scan.")
@click.option("--unit-label", default=UNIT_LABEL, show_default=True,
              help="Regex of the plant's unit labels.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per scan.")
def scan(url: str, suffix: str, count: int, timeout: float, unit_label: str,
         as_json: bool) -> None:
    """Read scans from a serial (USB-CDC) scanner and say what each one is."""
    try:
        kinds = label_kinds(unit_label)
    except re.error as exc:
        raise click.BadParameter(f"{unit_label!r} is not a valid regex: {exc}") from None
    scanner = Scanner(url, suffix=SUFFIXES[suffix], kinds=kinds)
    done = 0
    try:
        while count == 0 or done < count:
            result = scanner.read(timeout)
            if result is None:
                click.echo(f"error: no scan within {timeout:g} s on {url}: scan a code, or "
                           "check the suffix setting (--suffix)", err=True)
                sys.exit(1)
            done += 1
            if as_json:
                click.echo(json.dumps(result.as_json()))
            else:
                extra = " ".join(f"{k}={v}" for k, v in result.gs1.items())
                click.echo(f"{result.kind:9} {result.text} {result.symbology} {extra}".rstrip())
    except DeviceError as exc:
        fail(exc)
    finally:
        scanner.close()


@devices.command()
@click.option("--protocol", required=True, type=click.Choice([*PROTOCOLS, "scanner"]))
@click.option("--tcp", "tcp_port", type=click.IntRange(0, 65535),
              help="Serve on this TCP port (0 = any free) instead of a pty.")
@click.option("--link", "link_path", type=click.Path(dir_okay=False),
              help="Where to put the pty's stable symlink (default: a temporary dir).")
@click.option("--resolution-g", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--capacity-g", default=150_000, show_default=True, type=click.IntRange(min=1))
@click.option("--unit", default="kg", show_default=True, type=click.Choice(["g", "kg", "lb"]))
@click.option("--place", "place_g", type=int, help="Grams on the platter at start.")
def simulate(protocol: str, tcp_port: int | None, link_path: str | None, resolution_g: int,
             capacity_g: int, unit: str, place_g: int | None) -> None:
    """Run a simulated scale (or scanner) and print the URL it serves.

    Then reads commands, one per line, from standard input, and answers `ok` or
    `error: ...`: place GRAMS [SETTLE_MS [NOISE_G]], remove, overload, underload,
    inject FAULT [COUNT_OR_SECONDS], unplug, replug, scan CODE [AIM], quit.
    After end of input it serves until interrupted.
    """
    sim: ScaleSimulator | ScannerSimulator
    if protocol == "scanner":
        sim = ScannerSimulator()
    else:
        sim = ScaleSimulator(protocol, resolution_g=resolution_g, capacity_g=capacity_g,
                             unit=unit)
        if place_g is not None:
            sim.place(place_g, settle_ms=0)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        url = sim.serve_tcp(tcp_port) if tcp_port is not None else sim.serve_pty(link_path)
        click.echo(url)
        sys.stdout.flush()
        for line in sys.stdin:
            if _run(sim, line) == "quit":
                return
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        click.echo(f"error: cannot serve: {exc}", err=True)
        sys.exit(1)
    finally:
        sim.close()


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _run(sim: ScaleSimulator | ScannerSimulator, line: str) -> str:
    """Carry out one stdin command; prints and returns `ok`, `quit` or the error."""
    words = shlex.split(line)
    if not words:
        return ""
    name, args = words[0], words[1:]
    try:
        if name == "quit":
            return "quit"
        if name == "unplug":
            sim.unplug()
        elif name == "replug":
            sim.replug()
        elif isinstance(sim, ScannerSimulator) and name == "scan":
            sim.scan(args[0], *args[1:2])
        elif isinstance(sim, ScaleSimulator) and name == "place":
            sim.place(*[float(a) for a in args[:3]])
        elif isinstance(sim, ScaleSimulator) and name in ("remove", "overload", "underload"):
            getattr(sim, name)()
        elif isinstance(sim, ScaleSimulator) and name == "inject":
            fault, amount = args[0], float(args[1]) if len(args) > 1 else 1.0
            sim.inject(fault, count=int(amount), seconds=amount)
        else:
            raise ValueError(f"unknown command {name!r}")
    except (ValueError, IndexError, TypeError) as exc:
        answer = f"error: {str(exc) or 'missing argument'}"
    else:
        answer = "ok"
    click.echo(answer)
    sys.stdout.flush()
    return answer
