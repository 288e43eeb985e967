"""Simulated SMA indicator: `LF W CR` weigh, `LF Z CR` zero, `LF T CR` tare, `LF ? CR` otherwise."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from devices.simulators.load import Display
from devices.simulators.protocols.base import Dialect

if TYPE_CHECKING:
    from devices.simulators.scale import ScaleSimulator


class SmaDialect(Dialect):
    command = re.compile(rb"\n([^\r\n]*)\r")

    def frame(self, shown: Display, status: str | None = None) -> bytes:
        if status is None:
            status = "O" if shown.over else "U" if shown.under else " "
            if status == " " and shown.net_g == 0 and not shown.moving:
                status = "Z"
        gross_net = "N" if shown.tare_g else "G"
        motion = "M" if shown.moving else " "
        weight = ("-" if shown.net_g < 0 else "") + self.value(shown.net_g)
        if shown.over or shown.under:
            weight = "-" * 10
        return f"\n{status}1{gross_net}{motion} {weight:>10}{self.unit:<3}\r".encode()

    def respond(self, command: bytes, sim: ScaleSimulator) -> bytes | None:
        if command == b"W":
            return self.frame(sim.display())
        if command == b"Z":
            ok = sim.zero()
            return self.frame(sim.display(), status=None if ok else "E")
        if command == b"T":
            ok = sim.tare()
            return self.frame(sim.display(), status=None if ok else "T")
        return b"\n?\r"
