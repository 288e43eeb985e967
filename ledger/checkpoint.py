"""C2SP tlog-checkpoint: the note text that commits to a log's size and root.

    <origin>
    <decimal size>
    <base64 root>
    [extension lines]
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from ledger.encoding import decode_base64

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class CheckpointError(ValueError):
    """The text is not a well-formed checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise CheckpointError("a checkpoint ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise CheckpointError("a checkpoint is at least three non-empty lines")
        origin, size, root_b64, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise CheckpointError(f"tree size {size!r} is not a decimal without leading zeros")
        root = decode_base64(root_b64)
        if root is None or len(root) != 32:
            raise CheckpointError(f"root {root_b64!r} is not the base64 of a 32-byte hash")
        return cls(origin, int(size), root, tuple(extensions))
