"""A barcode scanner in USB-CDC mode: each scan is one line, with an optional AIM prefix.

    sim = ScannerSimulator(suffix=b"\\r")
    url = sim.serve_pty()
    sim.scan("CN3301-2026-0001234", aim="]C0")
"""

from __future__ import annotations

from devices.protocols.base import SerialSettings
from devices.simulators.base import Simulator


class ScannerSimulator(Simulator):
    """Sends what it is told to scan, terminated by `suffix`, paced at `baudrate`."""

    def __init__(self, suffix: bytes = b"\r", baudrate: int = 9600) -> None:
        super().__init__(SerialSettings(baudrate=baudrate))
        self.suffix = suffix

    def scan(self, code: str | bytes, aim: str = "") -> None:
        """Scan `code`; `aim` is the symbology identifier to prefix (e.g. "]C1")."""
        data = code.encode("latin-1") if isinstance(code, str) else code
        self._on_loop(lambda: self.send(aim.encode() + data + self.suffix))
