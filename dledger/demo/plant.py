"""The running plant: its witness, the console, three stations with their simulated devices,
the links.

- The witness (witness.py) starts first and the instance's settings name it, so the console's
  checkpoint publisher pushes every checkpoint to it; it stops last, after the console's
  publisher made its last round.
- The console is `dledger serve` (gunicorn) in its own process and session: Ctrl-C in the
  terminal reaches the demo, which first lets the stations' outboxes drain into the console
  and only then stops it.
- Each station is the real thing (station/): its station.toml written into its folder under
  the instance (new device paths each run), its key approved, a `Workstation` with its
  durable outbox, reaching the console over HTTP through its own `Link`, and (unless
  headless) its kiosk page served on a port of its own.
- Its scanner and scales are the project's simulators on pseudo-terminals, read by the
  station's drivers exactly as hardware.
- A station judges with the catalogue in force, which it fetches from the console: the plant
  is started (and workers sent to the benches) only once every station has it, as a real
  station is commissioned by connecting it to the console before the first unit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from devices.simulators import ScaleSimulator, ScannerSimulator
from dledger.demo.network import Link
from dledger.demo.setup import STATIONS, SetupError, StationSpec, approve, station_identity
from dledger.demo.witness import DemoWitness
from dledger.demo.worker import Rig
from ledger.instance import Instance
from ledger.log import Ledger
from station.agent import Workstation
from station.cli import outbox_file
from station.client import HttpClient
from station.config import load as load_config
from station.outbox import Outbox
from station.server import create_app

CATALOGUE_WAIT_S = 30.0


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _check_free(host: str, port: int, what: str, option: str) -> None:
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
            probe.bind((host, port))
    except OSError as exc:
        raise SetupError(f"{what} cannot listen on {host}:{port} ({exc}): is another demo or "
                         f"server running? Choose another port with {option}") from None


class Console:
    """`dledger serve` for the instance, in its own process group (gunicorn's worker model
    for the database, web/serving.py); output to console.log."""

    def __init__(self, instance: Instance, host: str, port: int):
        self.instance, self.host = instance, host
        self.port = port or free_port(host)
        self.log_path = instance.home / "console.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> Console:
        _check_free(self.host, self.port, "the console", "--port")
        env = {**os.environ, "DLEDGER_HOME": str(self.instance.home)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dledger", "serve", "--host", self.host, "--port",
                 str(self.port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise SetupError(f"the console stopped at start (exit {self.process.returncode}"
                                 f"); the end of {self.log_path}:\n{tail}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/checkpoint",  # noqa: S310
                                            timeout=2):
                    pass
            except urllib.error.HTTPError:
                pass  # it answers (404 while the ledger is empty)
            except OSError:
                time.sleep(0.2)
                continue
            time.sleep(0.5)  # and keeps running: it did not lose the port to another server
            if self.process.poll() is None:
                return self
        self.stop()
        raise SetupError(f"the console did not answer on {self.url} within {timeout:g} s; "
                         f"see {self.log_path} (is the port taken? choose another with --port)")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@dataclass
class RunningStation:
    spec: StationSpec
    rig: Rig
    outbox: Outbox
    client: HttpClient
    link: Link
    sims: list[Any]
    kiosk: BaseWSGIServer | None = None
    kiosk_thread: threading.Thread | None = None

    @property
    def kiosk_url(self) -> str | None:
        if self.kiosk is None:
            return None
        return f"http://{self.kiosk.host}:{self.kiosk.server_port}/"


def _await_catalogue(ws: Workstation, spec: StationSpec, url: str, timeout: float) -> None:
    """Wait until the station holds the catalogue in force (it asks the console anew until
    it has an answer)."""
    deadline = time.monotonic() + timeout
    while ws.catalogue is None:
        if time.monotonic() >= deadline:
            raise SetupError(f"{spec.id} did not get the process catalogue from the console at "
                             f"{url} within {timeout:g} s: is a catalogue published "
                             "(`dledger catalogue show`)?")
        time.sleep(0.2)


def station_toml(spec: StationSpec, console_url: str, scanner: str,
                 scales: dict[str, str], listen: str) -> str:
    """The station's configuration, as a plant writes it (see examples/station.toml)."""
    lines = [
        "# Written by `dledger demo` at each start (the simulated devices' paths change).",
        "[station]", f'id = "{spec.id}"', f'name = "{spec.name}"', 'language = "zh-CN"',
        f'listen = "{listen}"', 'key_file = "station-key.json"', 'data_dir = "data"',
        f"intake_only = {'true' if spec.intake_only else 'false'}",
        'default_source = "collector"', "",
        "[ledger]", 'mode = "http"', f'url = "{console_url}"', "",
        "[scanner]", f'url = "{scanner}"', 'suffix = "\\r"', "",
    ]
    for scale in spec.scales:
        lines += ["[[scales]]", f'name = "{scale.name}"', f'role = "{scale.role}"',
                  f'url = "{scales[scale.name]}"', f'protocol = "{scale.protocol}"',
                  f"resolution_g = {scale.resolution_g}", f"capacity_g = {scale.capacity_g}", ""]
    return "\n".join(lines)


@dataclass
class Plant:
    """Everything that runs; `start()` then `stop()` (safe after a partial start)."""

    instance: Instance
    ledger: Ledger
    host: str = "127.0.0.1"
    port: int = 8000
    kiosk_port: int | None = 8701  # None: no kiosk pages (headless); 0: any free port
    catalogue_wait_s: float = CATALOGUE_WAIT_S  # for each station to get the catalogue
    console: Console | None = None
    witness: DemoWitness | None = None
    stations: dict[str, RunningStation] = field(default_factory=dict)

    def start(self) -> Plant:
        self.witness = DemoWitness(self.instance, self.host).start()
        self.console = Console(self.instance, self.host, self.port).start()
        for number, spec in enumerate(STATIONS):
            self.stations[spec.work] = self._station(spec, number)
        return self

    def _station(self, spec: StationSpec, number: int) -> RunningStation:
        assert self.console is not None
        port = 0 if not self.kiosk_port else self.kiosk_port + number
        if self.kiosk_port:
            _check_free(self.host, port, f"the kiosk page of {spec.id}", "--kiosk-port")
        folder = self.instance.home / "stations" / spec.id
        me = station_identity(folder, spec)
        approve(self.ledger, spec, me)
        sims: list[Any] = []
        scanner = ScannerSimulator()
        scanner.serve_pty()
        sims.append(scanner)
        scales: dict[str, tuple[ScaleSimulator, str]] = {}
        for scale in spec.scales:
            sim = ScaleSimulator(scale.protocol, resolution_g=scale.resolution_g,
                                 capacity_g=scale.capacity_g, seed=number)
            sim.serve_pty()
            sims.append(sim)
            scales[scale.role] = (sim, scale.name)
        link = Link((self.console.host, self.console.port)).start()
        path = folder / "station.toml"
        path.write_text(station_toml(spec, link.url, scanner.url,
                                     {name: sim.url for sim, name in scales.values()},
                                     f"{self.host}:{port}"), encoding="utf-8")
        config = load_config(path)
        client = HttpClient(link.url, quiet_after_failure_s=1.0)
        outbox = Outbox(outbox_file(config))
        ws = Workstation(config, me, client, outbox).start()
        running = RunningStation(spec, Rig(spec.id, ws, scanner, scales), outbox, client, link,
                                 sims)
        try:
            _await_catalogue(ws, spec, link.url, self.catalogue_wait_s)
        except SetupError:
            self._close_station(running)
            raise
        if self.kiosk_port is not None:
            try:
                running.kiosk = make_server(self.host, port, create_app(ws), threaded=True)
            except OSError as exc:
                self._close_station(running)
                raise SetupError(f"the kiosk page of {spec.id} cannot listen on "
                                 f"{self.host}:{port} ({exc}); choose other ports with "
                                 "--kiosk-port") from None
            running.kiosk_thread = threading.Thread(target=running.kiosk.serve_forever,
                                                    name=f"kiosk-{spec.id}", daemon=True)
            running.kiosk_thread.start()
        return running

    def drain(self, timeout: float = 20.0) -> dict[str, dict[str, int]]:
        """Reconnect every station and wait (up to `timeout`) for the outboxes to empty;
        what each holds then."""
        for running in self.stations.values():
            running.link.restore()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(r.outbox.counts()["pending"] == 0 for r in self.stations.values()):
                break
            time.sleep(0.1)
        return {r.spec.id: r.outbox.counts() for r in self.stations.values()}

    def stop(self) -> None:
        for running in self.stations.values():
            self._close_station(running)
        if self.console is not None:
            self.console.stop()  # its checkpoint publisher's last round reaches the witness
        if self.witness is not None:
            self.witness.stop()
        self.ledger.engine.dispose()

    def _close_station(self, running: RunningStation) -> None:
        if running.kiosk is not None:
            running.kiosk.shutdown()
            if running.kiosk_thread is not None:
                running.kiosk_thread.join(5)
            running.kiosk.server_close()
        running.rig.ws.stop()
        running.outbox.close()
        running.link.stop()
        for sim in running.sims:
            with contextlib.suppress(Exception):
                sim.close()
