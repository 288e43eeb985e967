"""Simulated A&D balance: Q/SI now, S when stable, SIR stream, C cancel, Z/R zero, T tare."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from devices.simulators.load import Display
from devices.simulators.protocols.base import Dialect

if TYPE_CHECKING:
    from devices.simulators.scale import ScaleSimulator

WAIT_FOR_STILL_S = 3.0


class AandDDialect(Dialect):
    command = re.compile(rb"([A-Z]+)\r\n")

    def frame(self, shown: Display) -> bytes:
        if shown.over or shown.under:
            sign = "-" if shown.under else "+"
            return f"OL,{sign}9999999{self.unit:>3}\r\n".encode()
        header = "US" if shown.moving else "ST"
        sign = "-" if shown.net_g < 0 else "+"
        return f"{header},{sign}{self.value(shown.net_g):0>8}{self.unit:>3}\r\n".encode()

    def respond(self, command: bytes, sim: ScaleSimulator) -> bytes | None:
        if command in (b"Q", b"SI"):
            return self.frame(sim.display())
        if command == b"S":
            return sim.when_still(WAIT_FOR_STILL_S, lambda: self.frame(sim.display()), None)
        if command in (b"SIR", b"C"):
            sim.streaming = command == b"SIR"
        elif command in (b"Z", b"R"):
            sim.zero()
        elif command == b"T":
            sim.tare()
        else:
            return b"EC,E1\r\n"
        return None
