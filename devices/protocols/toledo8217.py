"""Mettler Toledo 8217, the weight-only point-of-sale protocol (7E1).

Single-letter commands with no terminator: `W` weigh, `Z` zero, `T` tare, `C` clear tare.
`W` answers `STX 012.345 CR` (six digits) when the weight is valid, or `STX ? <status> CR` where the
status byte says motion (bit 0), over capacity (1), under zero (2), outside the zero
capture range (3). The unit is not sent: it is whatever the scale is set to.
"""

from __future__ import annotations

import re

from devices.protocols.base import ScaleProtocol, SerialSettings, Weight, ascii_text
from devices.reading import (
    FrameError,
    NotStableError,
    OutOfRangeError,
    OverloadError,
    UnderloadError,
)

STX = 0x02
# A fixed-width field: six digits, with or without a decimal point. With no checksum,
# the width is what keeps a stray STX in line noise from passing for a weight.
NUMBER = re.compile(r"\d{6}|(?=.{7}$)\d+\.\d+")


class Toledo8217(ScaleProtocol):
    name = "8217"
    serial = SerialSettings(baudrate=9600, bytesize=7, parity="E")
    terminator = b"\r"
    weigh = b"W"
    stream = None
    zero = b"Z"
    tare = b"T"

    def parse(self, frame: bytes) -> Weight:
        start = frame.rfind(STX)
        if start < 0:
            raise FrameError("no STX: partial 8217 frame", frame)
        body = ascii_text(frame[start + 1 : -1])
        if body.startswith("?") and len(body) == 2:
            status = ord(body[1])
            if status & 0b10:
                raise OverloadError("scale reports over capacity: remove load")
            if status & 0b1:
                raise NotStableError("scale reports motion: no weight while the load moves")
            if status & 0b100:
                raise UnderloadError("scale reports under zero: check the platter, then zero")
            raise OutOfRangeError(f"scale sent status {status:#04x} without a weight: zero it")
        if not NUMBER.fullmatch(body):
            raise FrameError("malformed 8217 weight", frame)
        return Weight(value=body, unit=None, stable=True)
