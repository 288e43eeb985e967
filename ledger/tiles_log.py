"""The plant's log as tlog-tiles (ledger.tiles): each tile's bytes from the Ledger's stored
nodes, each entry bundle from its stored entries, the checkpoint they are published for.

What the console serves under /tlog/ and `dledger tiles export` writes: one home for how a
tile is made, so the two cannot differ. A tile at tile level L is the row of merkle nodes at
level 8*L (`Ledger.node_hashes`), a bundle the entries of its level-0 tile.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import closing

from ledger.log import Ledger, LedgerError, SignedCheckpoint
from ledger.tiles import ENTRIES, HEIGHT, WIDTH, Tile, encode_bundle


def tile_bytes(ledger: Ledger, tile: Tile) -> bytes:
    """A hash tile's bytes: `tile.width` stored hashes of merkle level 8 * tile.level."""
    return tiles_bytes(ledger, [tile])[0]


def tiles_bytes(ledger: Ledger, tiles: Sequence[Tile]) -> list[bytes]:
    """The bytes of consecutive hash tiles of one level, from one read of their row."""
    first, last = tiles[0], tiles[-1]
    if first.level == ENTRIES or any(t.level != first.level for t in tiles) or \
            last.n - first.n != len(tiles) - 1:
        raise ValueError(f"{first.path} .. {last.path} are not consecutive hash tiles")
    row = ledger.node_hashes(HEIGHT * first.level, first.n * WIDTH, last.n * WIDTH + last.width)
    return [b"".join(row[i * WIDTH:i * WIDTH + t.width]) for i, t in enumerate(tiles)]


def bundle_bytes(ledger: Ledger, tile: Tile) -> bytes:
    """An entry bundle's bytes; TileError naming the entry if one is too large for it."""
    if tile.level != ENTRIES:
        raise ValueError(f"{tile.path} is not an entry bundle: use tile_bytes")
    with closing(_entries(ledger, tile.start, tile.end)) as entries:
        return encode_bundle(entries)


def bundles(ledger: Ledger, start_tile: int, end_tile: int, size: int
            ) -> Iterator[tuple[Tile, bytes]]:
    """The full entry bundles [start_tile, end_tile) of a tree of `size` and its partial one if
    in range, from one stream of the entries: an export reads millions this way."""
    end = min(end_tile * WIDTH, size)
    with closing(_entries(ledger, start_tile * WIDTH, end)) as stream:
        n = start_tile
        while n * WIDTH < end:
            width = min(WIDTH, end - n * WIDTH)
            chunk = [next(stream) for _ in range(width)]
            yield Tile(ENTRIES, n, width), encode_bundle(chunk)
            n += 1


def _entries(ledger: Ledger, start: int, end: int) -> Generator[tuple[int, bytes], None, None]:
    expected = start
    with closing(ledger.entries_between(start, end)) as rows:
        for index, _subject, body in rows:
            if index != expected:
                raise LedgerError(f"entry {expected} is not stored: the log is damaged (run "
                                  "`dledger audit`)")
            expected += 1
            yield index, body
    if expected != end:
        raise LedgerError(f"entries {expected} to {end - 1} are not stored: the log is smaller "
                          "than the tile, or damaged (run `dledger audit`)")


def latest_signed(ledger: Ledger) -> SignedCheckpoint | None:
    """The latest signed checkpoint (the largest size; of those, the last signed)."""
    return ledger.latest_checkpoint()
