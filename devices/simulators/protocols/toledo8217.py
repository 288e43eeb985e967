"""Simulated 8217 POS scale: `W` weigh, `Z` zero, `T` tare, `C` clear tare; no terminators."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from devices.simulators.load import Display
from devices.simulators.protocols.base import Dialect

if TYPE_CHECKING:
    from devices.simulators.scale import ScaleSimulator

MOTION, OVER, UNDER, ALWAYS = 0b1, 0b10, 0b100, 0b1000000


class Toledo8217Dialect(Dialect):
    command = re.compile(rb"([WZTC])")
    delimiters = b"\x02\r"

    def frame(self, shown: Display) -> bytes:
        status = ALWAYS
        if shown.over:
            status |= OVER
        if shown.under or shown.net_g < 0:
            status |= UNDER
        if shown.moving:
            status |= MOTION
        if status != ALWAYS:
            return b"\x02?" + bytes([status]) + b"\r"
        width = 7 if self.decimals() else 6
        return b"\x02" + self.value(shown.net_g).rjust(width, "0").encode() + b"\r"

    def respond(self, command: bytes, sim: ScaleSimulator) -> bytes | None:
        if command == b"W":
            return self.frame(sim.display())
        if command == b"Z":
            sim.zero()
        elif command == b"T":
            sim.tare()
        elif command == b"C":
            sim.load.tare_g = 0
        return None
