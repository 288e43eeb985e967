"""Simulated Toledo Continuous indicator: 18-byte frames streamed unasked; Z, T, C commands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from devices.protocols.toledo import checksum
from devices.simulators.load import Display
from devices.simulators.protocols.base import Dialect

if TYPE_CHECKING:
    from devices.simulators.scale import ScaleSimulator

UNIT_BITS = {"g": (0b10000, 1), "t": (0b10000, 2), "kg": (0b10000, 0), "lb": (0, 0)}


class ToledoDialect(Dialect):
    command = re.compile(rb"([PTZC])\r\n")
    streams = True
    delimiters = b"\x02\r"

    def frame(self, shown: Display) -> bytes:
        decimals = self.decimals()
        kg_bit, swc_unit = UNIT_BITS[self.unit]
        swa = 0x20 | 0b01000 | (decimals + 2)  # increment x1, decimal-point code
        swb = (0x20 | (shown.tare_g != 0) | (shown.net_g < 0) << 1
               | (shown.over or shown.under) << 2 | shown.moving << 3 | kg_bit)
        if shown.under:
            swb |= 0b10
        swc = 0x20 | swc_unit
        weight = self.value(shown.net_g).replace(".", "").rjust(6, "0")[-6:]
        tare = self.value(shown.tare_g).replace(".", "").rjust(6, "0")[-6:]
        body = bytes([0x02, swa, swb, swc]) + f"{weight}{tare}\r".encode()
        return body + bytes([checksum(body)])

    def respond(self, command: bytes, sim: ScaleSimulator) -> bytes | None:
        if command == b"Z":
            sim.zero()
        elif command == b"T":
            sim.tare()
        elif command == b"C":
            sim.load.tare_g = 0
        elif command == b"P":
            return self.frame(sim.display())
        return None

    def corrupt_checksum(self, frame: bytes) -> bytes:
        return frame[:-1] + bytes([(frame[-1] + 1) & 0x7F])
