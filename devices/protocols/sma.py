"""SMA (Scale Manufacturers Association) standard serial protocol.

Commands are `LF <letter> CR`: `W` weigh, `Z` zero, `T` tare. The reply is

    LF s r n m f xxxxxx.xxx uuu CR

with s = status (`O` over, `U` under, `Z` centre of zero, `E`/`T` zero/tare error),
r = range, n = gross/net, m = `M` while moving, f = reserved, a 10-character weight and a
3-character unit. `LF ? CR` means an unknown command, `LF ! CR` a communication error.
Frames are resynchronised on the last LF.
"""

from __future__ import annotations

import re

from devices.protocols.base import ScaleProtocol, SerialSettings, Weight, ascii_text
from devices.reading import CommandError, FrameError, OverloadError, UnderloadError

NUMBER = re.compile(r"-?\d+(\.\d+)?")
BODY_LENGTH = 18  # between LF and CR


class Sma(ScaleProtocol):
    name = "sma"
    serial = SerialSettings(baudrate=9600, bytesize=8, parity="N")
    terminator = b"\r"
    weigh = b"\nW\r"
    stream = None
    zero = b"\nZ\r"
    tare = b"\nT\r"
    acknowledges = True

    def parse(self, frame: bytes) -> Weight:
        body = _body(frame)
        status, motion = body[0], body[3]
        if status == "O":
            raise OverloadError("scale reports over capacity (SMA O): remove load")
        if status == "U":
            raise UnderloadError("scale reports under capacity (SMA U): check the platter")
        value = body[5:15].strip()
        unit = body[15:18].strip()
        if motion not in " M" or not NUMBER.fullmatch(value) or not unit:
            raise FrameError("malformed SMA weight reply", frame)
        return Weight(value=value, unit=unit, stable=motion == " ")

    def reply_to(self, command: bytes, frame: bytes) -> str | None:
        status = _body(frame)[0]
        if command == self.zero and status == "E":
            raise CommandError("scale could not zero (SMA E): let the load settle, clear it, retry")
        if command == self.tare and status == "T":
            raise CommandError("scale could not tare (SMA T): let the load settle and retry")
        return ""


def _body(frame: bytes) -> str:
    """The characters between the last LF and the CR, checked for length and error replies."""
    start = frame.rfind(b"\n")
    if start < 0 or not frame.endswith(b"\r"):
        raise FrameError("partial SMA frame (no LF .. CR)", frame)
    body = ascii_text(frame[start + 1 : -1])
    if body == "?":
        raise CommandError("scale did not understand the command (SMA ?)")
    if body == "!":
        raise FrameError("scale reports a communication error (SMA !)", frame)
    if len(body) != BODY_LENGTH:
        raise FrameError(f"SMA frame has {len(body)} characters, not {BODY_LENGTH}", frame)
    return body
