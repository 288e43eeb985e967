"""MT-SICS (Mettler Toledo Standard Interface Command Set), level 0/1 subset.

Replies are whitespace-separated tokens ending in CR LF; the weight field is padded, so
we split on whitespace rather than counting columns. `SI` gives the current weight with
`S S` (stable) or `S D` (dynamic); `S +` / `S -` mean over / under range.

The driver polls `SI` rather than sending `S` (wait until stable): an `S` given up at our
deadline would still be answered later, and that late reply could be taken for the answer
to the next request.
"""

from __future__ import annotations

import re

from devices.protocols.base import ScaleProtocol, SerialSettings, Weight, ascii_text
from devices.reading import (
    CommandError,
    FrameError,
    NotStableError,
    OverloadError,
    UnderloadError,
)

NUMBER = re.compile(r"-?\d+(\.\d+)?")

GENERAL_ERRORS = {
    "ES": "syntax error: the scale did not recognise the command",
    "ET": "transmission error: the scale received a garbled command",
    "EL": "logical error: the command cannot be carried out now",
}

COMMAND_STATUS = {
    "I": "the scale is busy or the load did not settle in time; let it settle and retry",
    "L": "the scale rejected the parameter",
    "+": "above the allowed range; remove load and retry",
    "-": "below the allowed range; check the platter and retry",
}


class MtSics(ScaleProtocol):
    name = "mtsics"
    serial = SerialSettings(baudrate=9600, bytesize=8, parity="N")
    terminator = b"\r\n"
    weigh = b"SI\r\n"
    stream = b"SIR\r\n"
    zero = b"Z\r\n"
    tare = b"T\r\n"
    reset = b"@\r\n"
    acknowledges = True

    def parse(self, frame: bytes) -> Weight:
        tokens = _tokens(frame)
        if tokens[0] != "S":
            raise FrameError("not an MT-SICS weight reply", frame)
        status = tokens[1] if len(tokens) > 1 else ""
        if status == "+":
            raise OverloadError("scale reports overload (S +): remove load")
        if status == "-":
            raise UnderloadError("scale reports underload (S -): check the platter, then zero")
        if status == "I":
            raise NotStableError("scale busy (S I): it could not give a weight yet")
        if status not in ("S", "D") or len(tokens) != 4 or not NUMBER.fullmatch(tokens[2]):
            raise FrameError("malformed MT-SICS weight reply", frame)
        return Weight(value=tokens[2], unit=tokens[3], stable=status == "S")

    def reply_to(self, command: bytes, frame: bytes) -> str | None:
        tokens = _tokens(frame)
        expected = {self.zero: "Z", self.tare: "T", self.reset: "I4"}[command]
        if tokens[0] != expected:
            return None
        status = tokens[1] if len(tokens) > 1 else ""
        if expected == "Z" and status == "A":
            return ""
        if expected == "T" and status == "S" and len(tokens) == 4:
            return f"{tokens[2]} {tokens[3]}"
        if expected == "I4" and status == "A" and len(tokens) >= 3:
            return " ".join(tokens[2:]).strip('"')
        reason = COMMAND_STATUS.get(status, f"unexpected reply {frame!r}")
        name = command.strip().decode()
        raise CommandError(f"scale refused {name} ({expected} {status}): {reason}")


def _tokens(frame: bytes) -> list[str]:
    """Whitespace tokens of one CR LF-terminated reply; general errors raise CommandError."""
    text = ascii_text(frame)
    if not text.endswith("\r\n") or "\r" in text[:-2] or "\n" in text[:-2]:
        raise FrameError("MT-SICS reply not terminated by one CR LF", frame)
    tokens = text.split()
    if not tokens:
        raise FrameError("empty MT-SICS reply", frame)
    if len(tokens) == 1 and tokens[0] in GENERAL_ERRORS:
        raise CommandError(f"scale answered {tokens[0]}: {GENERAL_ERRORS[tokens[0]]}")
    return tokens
