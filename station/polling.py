"""The station's devices, read continuously: each scale by a poller thread that keeps its
latest reading and status with their age, and the serial scanner by a thread that hands each
scan to the same method the kiosk page posts to (so a serial scan and a keyboard-wedge scan
are the same thing)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from devices.reading import (
    DeviceError,
    DisconnectedError,
    NotStableError,
    OverloadError,
    UnderloadError,
)
from devices.scale import Scale
from devices.scanner import Scanner
from station import workflow as wf
from station.config import ScaleConfig


class ScalePoller:
    """Reads one scale continuously; the latest reading and status, with their age."""

    def __init__(self, config: ScaleConfig, interval_s: float = 0.05):
        self.config = config
        self.scale = Scale(config.url, config.protocol, resolution_g=config.resolution_g,
                           capacity_g=config.capacity_g, unit=config.unit)
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._status = "disconnected"
        self._mass: int | None = None
        self._at: float | None = None  # monotonic time the reading arrived
        self._message = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"scale-{config.name}",
                                        daemon=True)

    def start(self) -> ScalePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(3)
        self.scale.close()

    def view(self) -> wf.ScaleView:
        with self._lock:
            age = None if self._at is None else time.monotonic() - self._at
            return wf.ScaleView(self.config.name, self._status, self._mass, age, self._message)

    def wait_reading(self, after: float, timeout: float) -> wf.ScaleView:
        """The view once it has a reading that arrived after monotonic time `after` (or, after
        `timeout` seconds, whatever it has)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                fresh = self._at is not None and self._at > after
            if fresh:
                return self.view()
            time.sleep(0.01)
        return self.view()

    def _set(self, status: str, mass: int | None, at: float | None, message: str) -> None:
        with self._lock:
            self._status, self._mass, self._at, self._message = status, mass, at, message

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reading = self.scale.current(timeout=1.0)
                self._set("stable" if reading.stable else "motion", reading.mass_g, reading.at,
                          "")
            except OverloadError as exc:
                self._set("overload", None, time.monotonic(), str(exc))
            except UnderloadError as exc:
                self._set("underload", None, time.monotonic(), str(exc))
            except NotStableError as exc:
                self._set("motion", None, time.monotonic(), str(exc))
            except DisconnectedError as exc:
                self._set("disconnected", None, None, str(exc))
                self._stop.wait(0.2)
            except DeviceError as exc:
                self._set("error", None, None, str(exc))
                self._stop.wait(0.1)
            self._stop.wait(self.interval_s)


class ScannerReader:
    """Reads the serial scanner in a thread of its own and hands each scan's text to `scanned`;
    a device error is waited out (the scanner reconnects)."""

    def __init__(self, scanner: Scanner, scanned: Callable[[str], object]):
        self.scanner = scanner
        self.scanned = scanned
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)

    def start(self) -> ScannerReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(3)
        self.scanner.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                scan = self.scanner.read(timeout=0.5)
            except DeviceError:
                self._stop.wait(0.5)
                continue
            if scan is not None:
                self.scanned(scan.text)
