"""Simulated Sartorius SBI balance: ESC P print, ESC V zero, ESC U tare, ESC T zero-or-tare."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from devices.simulators.load import Display
from devices.simulators.protocols.base import Dialect

if TYPE_CHECKING:
    from devices.simulators.scale import ScaleSimulator


class SbiDialect(Dialect):
    command = re.compile(rb"\x1b([A-Za-z])(?:\r\n)?")
    delimiters = b"\r\n\x1b"

    def frame(self, shown: Display) -> bytes:
        if shown.over or shown.under:
            return f"{'High' if shown.over else 'Low':^14}\r\n".encode()
        sign = "-" if shown.net_g < 0 else "+"
        unit = "" if shown.moving else self.unit
        return f"{sign}{self.value(shown.net_g):>9} {unit:<3}\r\n".encode()

    def respond(self, command: bytes, sim: ScaleSimulator) -> bytes | None:
        if command == b"P":
            return self.frame(sim.display())
        if command == b"V" or (command == b"T" and not sim.display().net_g):
            sim.zero()
        elif command in (b"U", b"T"):
            sim.tare()
        return None
