"""A&D standard data format: `HH,+00012.345  kg CR LF`.

The header says `ST` stable, `US` unstable, `QT` stable (counting mode) or `OL` out of
range (the sign tells over from under). `Q` sends the weight now, `SIR` streams, `C`
cancels; `Z` re-zeros and `T` tares without a reply. `EC,Exx` is an error reply.
"""

from __future__ import annotations

import re

from devices.protocols.base import ScaleProtocol, SerialSettings, Weight, ascii_text
from devices.reading import CommandError, FrameError, OverloadError, UnderloadError

LINE = re.compile(
    r"(?P<header>[A-Z]{2}),(?P<sign>[+-])(?P<value>[\d. ]+?)\s*(?P<unit>[A-Za-z%]*)\s*"
)
NUMBER = re.compile(r"\d+(\.\d+)?")


class AandD(ScaleProtocol):
    name = "aandd"
    serial = SerialSettings(baudrate=9600, bytesize=7, parity="E")
    terminator = b"\r\n"
    weigh = b"Q\r\n"
    stream = b"SIR\r\n"
    zero = b"Z\r\n"
    tare = b"T\r\n"

    def parse(self, frame: bytes) -> Weight:
        text = ascii_text(frame)
        if text.startswith("EC,"):
            raise CommandError(f"scale answered error {text.strip()}: check the command")
        match = LINE.fullmatch(text[:-2]) if text.endswith("\r\n") else None
        if match is None:
            raise FrameError("malformed A&D line", frame)
        header, sign = match["header"], match["sign"]
        if header == "OL":
            if sign == "-":
                raise UnderloadError("scale reports under range (OL -): check the platter")
            raise OverloadError("scale reports overload (OL): remove load")
        value = match["value"].strip()
        if header not in ("ST", "US", "QT") or not NUMBER.fullmatch(value) or not match["unit"]:
            raise FrameError("malformed A&D weight", frame)
        return Weight(value=("-" if sign == "-" else "") + value, unit=match["unit"],
                      stable=header != "US")
