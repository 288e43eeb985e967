"""Whether a signed checkpoint covers a tile: a tile is served only then.

A full tile is needed by every size from its end on; a partial one by the sizes that give its
width at its level. One indexed query answers it (`Ledger.signed_size_between`), so the answer
needs no cache and never lags behind a checkpoint just signed.
"""

from __future__ import annotations

from ledger.tiles import HEIGHT, Tile
from web.context import ledger


def refusal(tile: Tile) -> str | None:
    """None when a signed checkpoint covers `tile`, else why it is not served (404)."""
    low, high = _sizes_needing(tile)
    led = ledger()
    if led.signed_size_between(low, high) is not None:
        return None
    latest = led.latest_checkpoint()
    if latest is None:
        return f"{tile.path}: no checkpoint is signed yet; GET /tlog/checkpoint signs one"
    size = latest.checkpoint.size
    if tile.full or low > size:
        return (f"{tile.path} is beyond the latest signed checkpoint (size {size:,}): "
                "fetch /tlog/checkpoint, then the tiles its size needs")
    return (f"{tile.path}: no signed checkpoint has a size that makes this tile "
            f"{tile.width} wide; fetch the tiles of a checkpoint you hold")


def _sizes_needing(tile: Tile) -> tuple[int, int]:
    """The tree sizes [low, high) whose checkpoint needs `tile` (a full tile: every size from
    its end on; a partial one: those giving its width at its level)."""
    if tile.full:
        return tile.end, 2 ** 64
    return tile.end, tile.end + (1 << (HEIGHT * tile.hash_level))
