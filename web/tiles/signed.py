"""Which tree sizes have a signed checkpoint, as the tiles need to know: a tile is served
only when a signed checkpoint covers it.

The sizes are read from `Ledger.checkpoints()` and kept per process; they only ever grow.
Most questions are answered without reading them all: the current size, when it is signed,
covers every full tile; a level-0 partial tile needs one exact size (`checkpoint_at`). The
rest (a tile beyond every size known here, a partial tile of level 1 or more) reads the
list again, at most once every REFRESH seconds.
"""

from __future__ import annotations

import bisect
import threading
import time

from flask import current_app

from ledger.tiles import HEIGHT, Tile
from web.context import ledger

REFRESH = 1.0  # seconds between two full reads of the signed sizes
_EXTENSION = "dledger.tiles.signed"


class SignedSizes:
    """The signed sizes this process knows of, and whether one covers a tile."""

    def __init__(self) -> None:
        self._sizes: list[int] = []
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def add(self, size: int) -> None:
        with self._lock:
            at = bisect.bisect_left(self._sizes, size)
            if at == len(self._sizes) or self._sizes[at] != size:
                self._sizes.insert(at, size)

    def refusal(self, tile: Tile) -> str | None:
        """None when a signed checkpoint covers `tile`, else why it is not served (404)."""
        low, high = _sizes_needing(tile)
        if self._known(low, high) or self._current(low, high) or self._reread(low, high):
            return None
        latest = self._sizes[-1] if self._sizes else None
        if latest is None:
            return f"{tile.path}: no checkpoint is signed yet; GET /tlog/checkpoint signs one"
        if tile.full or low > latest:
            return (f"{tile.path} is beyond the latest signed checkpoint (size {latest:,}): "
                    "fetch /tlog/checkpoint, then the tiles its size needs")
        return (f"{tile.path}: no signed checkpoint has a size that makes this tile "
                f"{tile.width} wide; fetch the tiles of a checkpoint you hold")

    def _known(self, low: int, high: int) -> bool:
        with self._lock:
            at = bisect.bisect_left(self._sizes, low)
            return at < len(self._sizes) and self._sizes[at] < high

    def _current(self, low: int, high: int) -> bool:
        """The log's current size if it is signed, or the one size a level-0 partial needs."""
        led = ledger()
        size = low if high == low + 1 else led.size()
        if low <= size < high and led.checkpoint_at(size) is not None:
            self.add(size)
            return True
        return False

    def _reread(self, low: int, high: int) -> bool:
        if time.monotonic() - self._read_at < REFRESH:
            return False
        sizes = sorted({signed.checkpoint.size for signed in ledger().checkpoints()})
        with self._lock:
            self._sizes = sorted(set(self._sizes) | set(sizes))
            self._read_at = time.monotonic()
        return self._known(low, high)


def _sizes_needing(tile: Tile) -> tuple[int, int]:
    """The tree sizes [low, high) whose checkpoint needs `tile` (a full tile: every size from
    its end on; a partial one: those giving its width at its level)."""
    if tile.full:
        return tile.end, 2 ** 64
    return tile.end, tile.end + (1 << (HEIGHT * tile.hash_level))


def signed_sizes() -> SignedSizes:
    """This app's SignedSizes, made on first use."""
    return current_app.extensions.setdefault(_EXTENSION, SignedSizes())
