"""Toledo Continuous output: fixed 18-byte frames the indicator sends unasked, ~7-20 a second.

    STX SWA SWB SWC wwwwww tttttt CR CHK

SWA bits 0-2 hold the decimal-point code; SWB says negative (bit 1), out of range
(bit 2), motion (bit 3) and kg vs lb (bit 4); SWC bits 0-2 may name g, t or oz (Ohaus).
CHK is the two's complement of the low 7 bits of the sum of all bytes before it. The
constant bits differ between makers (Fairbanks clears SWB bit 5), so we do not check them.
Frames are resynchronised on the last STX: bytes before it belong to a broken frame.
"""

from __future__ import annotations

from devices.protocols.base import ScaleProtocol, SerialSettings, Weight
from devices.reading import FrameError, OverloadError, UnderloadError

STX = 0x02
CR = 0x0D
FRAME_LENGTH = 17  # STX .. CR, without the checksum

SWC_UNITS = {1: "g", 2: "t", 3: "oz"}


def checksum(data: bytes) -> int:
    """Two's complement of the low 7 bits of the byte sum."""
    return -sum(data) & 0x7F


def decimal_point(code: int, digits: str) -> str:
    """Place the decimal point per SWA code: 0 = XXXX00, 1 = XXXXX0, 2 = XXXXXX, 3.. = decimals."""
    if code <= 2:
        return digits + "0" * (2 - code)
    places = code - 2
    return f"{digits[:-places]}.{digits[-places:]}"


class ToledoContinuous(ScaleProtocol):
    name = "toledo"
    serial = SerialSettings(baudrate=9600, bytesize=7, parity="E")
    terminator = b"\r"
    weigh = None
    stream = b""
    zero = b"Z\r\n"
    tare = b"T\r\n"

    def __init__(self, with_checksum: bool = True) -> None:
        self.trailer = 1 if with_checksum else 0

    def parse(self, frame: bytes) -> Weight:
        body_end = len(frame) - self.trailer
        start = frame.rfind(STX, 0, body_end)
        if start < 0:
            raise FrameError("no STX: partial Toledo frame", frame)
        body = frame[start:body_end]
        if len(body) != FRAME_LENGTH or body[-1] != CR:
            raise FrameError(f"Toledo frame has {len(body)} bytes, expected {FRAME_LENGTH}", frame)
        if self.trailer and frame[body_end] != checksum(body):
            raise FrameError("Toledo checksum mismatch", frame)
        swa, swb, swc = body[1], body[2], body[3]
        digits = body[4:10].decode("ascii", "replace").replace(" ", "0")
        if not digits.isdigit() or not digits.isascii():
            raise FrameError("Toledo weight field is not digits", frame)
        if swb & 0b100:
            if swb & 0b10:
                raise UnderloadError("scale reports under range: check the platter, then zero")
            raise OverloadError("scale reports over range: remove load")
        unit = SWC_UNITS.get(swc & 0b111, "kg" if swb & 0b10000 else "lb")
        value = decimal_point(swa & 0b111, digits)
        sign = "-" if swb & 0b10 else ""
        return Weight(value=sign + value, unit=unit, stable=not swb & 0b1000)
