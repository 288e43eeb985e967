"""Simulated MT-SICS balance: SI, S, SIR, Z, T, @; ES for unknown, ET for garbled commands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from devices.simulators.load import Display
from devices.simulators.protocols.base import Dialect

if TYPE_CHECKING:
    from devices.simulators.scale import ScaleSimulator

WAIT_FOR_STILL_S = 3.0  # S, Z and T wait this long for no-motion, then answer "I"
SERIAL_NUMBER = "B021002593"


class MtSicsDialect(Dialect):
    command = re.compile(rb"([^\r\n]*)\r\n")

    def frame(self, shown: Display) -> bytes:
        if shown.over:
            return b"S +\r\n"
        if shown.under:
            return b"S -\r\n"
        sign = "-" if shown.net_g < 0 else ""
        status = "D" if shown.moving else "S"
        return f"S {status} {sign + self.value(shown.net_g):>10} {self.unit}\r\n".encode()

    def respond(self, command: bytes, sim: ScaleSimulator) -> bytes | None:
        if not command.isascii():
            return b"ET\r\n"
        name = command.decode().strip()
        if name in ("SI", "S", "SIR", "@"):
            sim.streaming = False
        if name == "SI":
            return self.frame(sim.display())
        if name == "S":
            return sim.when_still(WAIT_FOR_STILL_S, lambda: self.frame(sim.display()), b"S I\r\n")
        if name == "SIR":
            sim.streaming = True
            return None
        if name == "Z":
            return sim.when_still(WAIT_FOR_STILL_S, lambda: self._zero(sim), b"Z I\r\n")
        if name == "T":
            return sim.when_still(WAIT_FOR_STILL_S, lambda: self._tare(sim), b"T I\r\n")
        if name == "@":
            sim.load.tare_g = 0
            return f'I4 A "{SERIAL_NUMBER}"\r\n'.encode()
        return b"ES\r\n"

    def _zero(self, sim: ScaleSimulator) -> bytes:
        if sim.zero():
            return b"Z A\r\n"
        return b"Z +\r\n" if sim.display().net_g + sim.load.tare_g > 0 else b"Z -\r\n"

    def _tare(self, sim: ScaleSimulator) -> bytes:
        if not sim.tare():
            shown = sim.display()
            return b"T +\r\n" if shown.over else b"T -\r\n" if shown.under else b"T I\r\n"
        return f"T S {self.value(sim.load.tare_g):>10} {self.unit}\r\n".encode()
