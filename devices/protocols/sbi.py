"""Sartorius SBI: `ESC P` prints one line, `ESC V` zeros, `ESC U` tares (no replies).

The line is about 16 characters (`+   123.56 g   CR LF`) or 22 with a 6-character
identifier in front (`N     `, `G#    `); models differ by a space here and there, so we
match the fields, not the columns. A unit means stable; a blank unit means the load
is moving. `High`/`Low` (or `Stat H`/`Stat L`) mean over/under range.
"""

from __future__ import annotations

import re

from devices.protocols.base import ScaleProtocol, SerialSettings, Weight, ascii_text
from devices.reading import FrameError, OverloadError, UnderloadError

DATA = re.compile(r"(?P<sign>[+-]?) *(?P<value>\d+(\.\d+)?) *(?P<unit>[A-Za-z]{0,3}) *")
SHORT = range(12, 17)  # data length without CR LF
ID_LENGTH = 6


class Sbi(ScaleProtocol):
    name = "sbi"
    serial = SerialSettings(baudrate=9600, bytesize=8, parity="N")
    terminator = b"\r\n"
    weigh = b"\x1bP\r\n"
    stream = None
    zero = b"\x1bV\r\n"
    tare = b"\x1bU\r\n"

    def parse(self, frame: bytes) -> Weight:
        text = ascii_text(frame)
        line = text[:-2] if text.endswith("\r\n") else ""
        data = line[ID_LENGTH:] if len(line) - ID_LENGTH in SHORT else line
        if len(data) not in SHORT:
            raise FrameError(f"SBI line has {len(line)} characters, expected 14 or 20", frame)
        words = data.split()
        if "High" in words or words[-2:] == ["Stat", "H"]:
            raise OverloadError("scale reports High (over range): remove load")
        if "Low" in words or words[-2:] == ["Stat", "L"]:
            raise UnderloadError("scale reports Low (under range): check the platter")
        match = DATA.fullmatch(data)
        if match is None:
            raise FrameError("malformed SBI weight", frame)
        unit = match["unit"]
        value = ("-" if match["sign"] == "-" else "") + match["value"]
        return Weight(value=value, unit=unit or None, stable=bool(unit))
