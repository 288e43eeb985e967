"""Text formats for proofs: C2SP tlog-proof@v1 (inclusion) and RFC 9162 consistency lines.

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <N>
    <base64 hash, the leaf's sibling first>
    ...
    <blank line>
    <signed checkpoint note, verbatim>
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from ledger.encoding import decode_base64

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")


class ProofFormatError(ValueError):
    """The text is not a well-formed proof."""


def _hash(line: str) -> bytes:
    raw = decode_base64(line)
    if raw is None or len(raw) != 32:
        raise ProofFormatError(f"proof line {line!r} is not the base64 of a 32-byte hash")
    return raw


@dataclass(frozen=True)
class InclusionProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint_note

    @classmethod
    def parse(cls, text: str) -> InclusionProof:
        head, sep, note = text.partition("\n\n")
        if not sep or not note:
            raise ProofFormatError("a tlog-proof has a blank line before its checkpoint")
        lines = head.split("\n")
        if lines[0] != HEADER:
            raise ProofFormatError(f"a tlog-proof starts with {HEADER!r}")
        rest = lines[1:]
        extra = None
        if rest and rest[0].startswith("extra "):
            extra = decode_base64(rest[0][6:])
            if extra is None:
                raise ProofFormatError("the extra line is not base64")
            rest = rest[1:]
        if not rest or not (match := _INDEX.fullmatch(rest[0])):
            raise ProofFormatError("a tlog-proof names its entry with 'index N'")
        hashes = tuple(_hash(line) for line in rest[1:])
        return cls(int(match.group(1)), hashes, note, extra)


def consistency_text(hashes: list[bytes]) -> str:
    return "".join(base64.b64encode(h).decode() + "\n" for h in hashes)


def parse_consistency(text: str) -> list[bytes]:
    return [_hash(line) for line in text.splitlines() if line]
