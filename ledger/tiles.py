"""C2SP tlog-tiles: the log's static read API, and a reader that authenticates what it reads.

The format (https://c2sp.org/tlog-tiles): a tile at level L holds up to 256 consecutive
hashes of merkle level 8*L (level 0: leaf hashes); tile N at level L is full (256 hashes,
8,192 bytes) once the tree holds (N + 1) * 256**(L + 1) entries, and is partial before
(width floor(size / 256**L) mod 256, written `.p/<W>`). Entry bundle N holds the entries of
level-0 tile N, each as a big-endian uint16 length and its bytes. Paths, relative to the
log's prefix::

    checkpoint                          the signed checkpoint note (c2sp.org/tlog-checkpoint)
    tile/<L>/<N>[.p/<W>]                hashes; N as 3-digit groups, all but the last 'x'-led:
                                        1234067 -> x001/x234/067
    tile/entries/<N>[.p/<W>]            entry bundles

Reading, verified (what x/mod's sumdb/tlog TileHashReader does, for tlog-tiles paths)::

    source = open_source("https://ledger.example-plant.cn/tlog")   # or a folder
    checkpoint, note = read_checkpoint(source, [Verifier.parse(vkey)])
    log = TileLog(source, checkpoint)
    for index, entry in log.entries(1000, 2000): ...   # each entry checked against its leaf
    log.leaf_hash(41); log.inclusion(41); log.consistency(old_size)

`TileLog` trusts only the checkpoint's size and root. The right edge of partial tiles must
fold to that root; every full tile must hash to its entry in the tile above, down from
there; every entry must hash to its leaf in the level-0 tile. A tile or entry that fails
raises `TileError`, whose `path` names the tile or bundle (and `index` the entry). Only the
standard library (and the pure ledger.merkle, ledger.checkpoint, ledger.note): the offline
verifier imports this module.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ledger import merkle
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.note import NoteError, Verifier, open_note

HEIGHT = 8  # merkle levels per tile level
WIDTH = 1 << HEIGHT  # hashes in a full tile
HASH_SIZE = 32
MAX_LEVEL = 63
MAX_ENTRY = 0xFFFF  # bytes: an entry bundle's uint16 length prefix
ENTRIES = -1  # the "level" of entry bundles
CHECKPOINT = "checkpoint"
MAX_BUNDLE = WIDTH * (2 + MAX_ENTRY)  # the largest entry bundle, in bytes


class TileError(ValueError):
    """A tile path is malformed, or a tile, bundle or checkpoint is missing, malformed or does
    not match the checkpoint; `path` names the resource, `index` the entry if one is at fault.
    """

    def __init__(self, message: str, path: str | None = None, index: int | None = None):
        super().__init__(message)
        self.path = path
        self.index = index


@dataclass(frozen=True, order=True)
class Tile:
    """Tile `n` at `level` (ENTRIES for an entry bundle), `width` hashes or entries wide."""

    level: int
    n: int
    width: int = WIDTH

    def __post_init__(self) -> None:
        if not ENTRIES <= self.level <= MAX_LEVEL or self.n < 0 or not 1 <= self.width <= WIDTH:
            raise ValueError(f"no tile at level {self.level}, index {self.n}, width {self.width}")

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    @property
    def hash_level(self) -> int:
        """The tile level whose hashes this tile holds or hashes to (0 for a bundle)."""
        return max(self.level, 0)

    @property
    def start(self) -> int:
        """The first entry the tile spans."""
        return self.n << (HEIGHT * (self.hash_level + 1))  # n * WIDTH ** (hash_level + 1)

    @property
    def end(self) -> int:
        """The smallest tree size that holds the whole tile (as wide as it is)."""
        return (self.n * WIDTH + self.width) << (HEIGHT * self.hash_level)

    @property
    def path(self) -> str:
        groups = [f"{self.n % 1000:03d}"]
        rest = self.n // 1000
        while rest:
            groups.insert(0, f"x{rest % 1000:03d}")
            rest //= 1000
        level = "entries" if self.level == ENTRIES else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{'/'.join(groups)}{suffix}"

    def bundle(self) -> Tile:
        """The entry bundle beside this level-0 tile (same index and width)."""
        if self.level != 0:
            raise ValueError(f"only level-0 tiles have entry bundles, not {self.path}")
        return Tile(ENTRIES, self.n, self.width)

    def hashes(self) -> Tile:
        """The level-0 tile beside this entry bundle (same index and width)."""
        if self.level != ENTRIES:
            raise ValueError(f"{self.path} is not an entry bundle")
        return Tile(0, self.n, self.width)


def parse_path(path: str) -> Tile:
    """The tile a tlog-tiles path names, refusing every other spelling of it."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TileError(f"{path!r} is not a tile path: tile/<L>/<N>[.p/<W>] or "
                        "tile/entries/<N>[.p/<W>]", path)
    level_text, groups, width = parts[1], parts[2:], WIDTH
    if level_text == "entries":
        level = ENTRIES
    elif _decimal(level_text) and int(level_text) <= MAX_LEVEL:
        level = int(level_text)
    else:
        raise TileError(f"{path!r}: the level {level_text!r} is not 'entries' or 0 to "
                        f"{MAX_LEVEL} without leading zeros", path)
    if len(groups) >= 2 and groups[-2].endswith(".p"):
        width_text = groups[-1]
        if not _decimal(width_text) or not 1 <= int(width_text) < WIDTH:
            raise TileError(f"{path!r}: the width {width_text!r} of a partial tile is 1 to "
                            f"{WIDTH - 1} without leading zeros", path)
        width, groups = int(width_text), [*groups[:-2], groups[-2][:-2]]
    n = 0
    for i, group in enumerate(groups):
        last = i == len(groups) - 1
        digits = group if last else group.removeprefix("x")
        if (not last and digits == group) or len(digits) != 3 or not digits.isascii() \
                or not digits.isdigit():
            raise TileError(f"{path!r}: the index is 3-digit groups, every one but the last "
                            "led by 'x' (1234067 is x001/x234/067)", path)
        n = n * 1000 + int(digits)
    tile = Tile(level, n, width)
    if tile.path != path:  # x000/001 for 1, say: one path per tile
        raise TileError(f"{path!r} is not how tile {n} is written: {tile.path}", path)
    return tile


def _decimal(text: str) -> bool:
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def tile_at(level: int, n: int, size: int) -> Tile | None:
    """Tile `n` at `level` (ENTRIES: its bundle) as a tree of `size` has it: full, partial,
    or None when the tree has none of it."""
    row = size >> (HEIGHT * max(level, 0))
    if (n + 1) * WIDTH <= row:
        return Tile(level, n)
    if n == row >> HEIGHT and row & (WIDTH - 1):
        return Tile(level, n, row & (WIDTH - 1))
    return None


def tiles_for_size(size: int, *, bundles: bool = False) -> Iterator[Tile]:
    """Every hash tile of a tree of `size` (and entry bundle if `bundles`), level by level,
    full tiles first and the partial tile last in each level."""
    levels = [ENTRIES] if bundles else []
    level = 0
    while size >> (HEIGHT * level):
        levels.append(level)
        level += 1
    for level in levels:
        row = size >> (HEIGHT * max(level, 0))
        for n in range(row >> HEIGHT):
            yield Tile(level, n)
        if row & (WIDTH - 1):
            yield Tile(level, row >> HEIGHT, row & (WIDTH - 1))


def partial_tiles(size: int) -> list[Tile]:
    """The partial hash tiles of a tree of `size`, top level first: what its root folds."""
    return sorted((t for t in tiles_for_size(size) if not t.full), key=lambda t: -t.level)


def encode_bundle(entries: Iterable[tuple[int, bytes]]) -> bytes:
    """An entry bundle of (index, bytes) entries; an entry over 65,535 bytes is refused by
    index: the format has no way to hold it."""
    parts: list[bytes] = []
    for index, body in entries:
        if len(body) > MAX_ENTRY:
            raise TileError(f"entry {index} is {len(body):,} bytes: an entry bundle holds at "
                            f"most {MAX_ENTRY:,} (tlog-tiles' uint16 length); it cannot be "
                            "published as tiles", index=index)
        parts += (len(body).to_bytes(2, "big"), body)
    return b"".join(parts)


def decode_bundle(data: bytes, path: str | None = None) -> list[bytes]:
    """The entries of an entry bundle, in order."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError(f"{path or 'the bundle'} ends inside a length prefix, at byte {at}",
                            path)
        length = int.from_bytes(data[at:at + 2], "big")
        if at + 2 + length > len(data):
            raise TileError(f"{path or 'the bundle'}: entry {len(entries)} of the bundle runs "
                            f"past its end ({length} bytes from byte {at + 2})", path)
        entries.append(data[at + 2:at + 2 + length])
        at += 2 + length
    return entries


def subtree_hash(hashes: bytes) -> bytes:
    """The merkle root over a power-of-two number of consecutive 32-byte hashes."""
    row = [hashes[i:i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)]
    while len(row) > 1:
        row = [merkle.node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def edge_hashes(tile: Tile, data: bytes) -> list[bytes]:
    """The perfect subtrees a partial tile's hashes make, largest first (its share of the
    root of the tree it is the right edge of)."""
    hashes, at = [], 0
    for bit in range(HEIGHT - 1, -1, -1):
        if tile.width >> bit & 1:
            hashes.append(subtree_hash(data[at * HASH_SIZE:(at + (1 << bit)) * HASH_SIZE]))
            at += 1 << bit
    return hashes


# -- where tiles come from --------------------------------------------------------------------

class TileSource(Protocol):
    """Where a log's tlog-tiles resources are read from, by path relative to its prefix."""

    def read(self, path: str) -> bytes: ...


class DirSource:
    """A folder holding the resources under their paths (what `dledger tiles export` writes)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise TileError(f"{self.root} is not a folder of tiles")

    def read(self, path: str) -> bytes:
        if path != CHECKPOINT:
            parse_path(path)  # nothing but a tile path is read from the folder
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            raise TileError(f"{path} is missing from {self.root}", path) from None
        except OSError as exc:
            raise TileError(f"{path} cannot be read from {self.root}: {exc}", path) from None


class HttpSource:
    """A log served over HTTP(S) at `prefix` (say https://ledger.example-plant.cn/tlog)."""

    def __init__(self, prefix: str, timeout: float = 30.0):
        scheme = urllib.parse.urlsplit(prefix).scheme
        if scheme not in ("http", "https"):
            raise TileError(f"{prefix!r} is not an http:// or https:// address")
        self.prefix = prefix.rstrip("/")
        self.timeout = timeout

    def read(self, path: str) -> bytes:
        url = f"{self.prefix}/{path}"
        request = urllib.request.Request(url, headers={  # noqa: S310  scheme checked above
            "Accept-Encoding": "gzip, identity", "User-Agent": "dismantle-ledger-tiles/1"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                data: bytes = answer.read(MAX_BUNDLE + 1)
                encoding: str = answer.headers.get("Content-Encoding", "identity").lower()
        except urllib.error.HTTPError as exc:
            raise TileError(f"{url} answered {exc.code} {exc.reason}", path) from None
        except (urllib.error.URLError, OSError) as exc:
            raise TileError(f"{url} cannot be read: {exc}", path) from None
        if encoding == "gzip":
            data = _gunzip(data, url, path)
        elif encoding != "identity":
            raise TileError(f"{url} came with Content-Encoding {encoding!r}, not gzip", path)
        if len(data) > MAX_BUNDLE:
            raise TileError(f"{url} is larger than any tile or bundle can be", path)
        return data


def _gunzip(data: bytes, url: str, path: str) -> bytes:
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(data, MAX_BUNDLE + 1)
    except zlib.error as exc:
        raise TileError(f"{url} is not valid gzip: {exc}", path) from None
    if len(out) > MAX_BUNDLE or not inflate.eof:
        raise TileError(f"{url} is truncated gzip, or larger than any bundle can be", path)
    return out


def open_source(location: str | Path) -> TileSource:
    """An http(s):// prefix, or a folder."""
    text = str(location)
    if text.startswith(("http://", "https://")):
        return HttpSource(text)
    return DirSource(text)


def read_checkpoint(source: TileSource, verifiers: Sequence[Verifier]) -> tuple[Checkpoint, str]:
    """The source's checkpoint and its note, signed by one of `verifiers` whose name is the
    checkpoint's origin (tlog-checkpoint: the log's key is named after the log)."""
    try:
        note = source.read(CHECKPOINT).decode("utf-8")
        text, signed_by = open_note(note, verifiers)
        checkpoint = Checkpoint.parse(text)
    except (UnicodeDecodeError, NoteError, CheckpointError) as exc:
        raise TileError(f"the checkpoint does not verify: {exc}", CHECKPOINT) from None
    names = sorted({v.name for v in signed_by})
    if checkpoint.origin not in names:
        raise TileError(f"the checkpoint is of log {checkpoint.origin!r}, but signed by "
                        f"{', '.join(names)}: not this log's checkpoint", CHECKPOINT)
    return checkpoint, note


# -- reading, verified ------------------------------------------------------------------------

class TileLog:
    """The tree of one checkpoint, read tile by tile from `source`, every tile authenticated
    against the checkpoint's root before any hash or entry of it is returned."""

    def __init__(self, source: TileSource, checkpoint: Checkpoint, *, cache: int = 256,
                 read_ahead: int = 8):
        self.source = source
        self.size = checkpoint.size
        self.root = checkpoint.root
        self._cache: OrderedDict[Tile, bytes] = OrderedDict()  # authenticated full tiles
        self._cache_size = cache
        self._read_ahead = read_ahead
        self._edge: dict[Tile, bytes] | None = None

    # -- what callers ask for --

    def leaf_hash(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise TileError(f"entry {index} is not in the tree of size {self.size}", index=index)
        return self.node(0, index)

    def inclusion(self, index: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of entry `index`, leaf's sibling first."""
        return self._hashes(merkle.inclusion_ranges(index, self.size))

    def consistency(self, old: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of size `old` to this one."""
        return self._hashes(merkle.consistency_ranges(old, self.size))

    def root_of(self, size: int) -> bytes:
        """The root of the tree's first `size` entries (an older checkpoint's root)."""
        if not 0 <= size <= self.size:
            raise TileError(f"size {size} is beyond the tree of size {self.size}")
        return merkle.fold([self.node(*node) for node in merkle.range_nodes(0, size)]) \
            if size else merkle.EMPTY_ROOT

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(index, exact bytes) of entries [start, end), each checked against its leaf hash."""
        end = self.size if end is None else end
        if not 0 <= start <= end <= self.size:
            raise TileError(f"entries [{start}, {end}) are not within the tree of size "
                            f"{self.size}")
        if start == end:
            return
        tiles = [t for n in range(start // WIDTH, (end - 1) // WIDTH + 1)
                 if (t := tile_at(0, n, self.size)) is not None]
        with ThreadPoolExecutor(max_workers=4) as pool:
            ahead: list[tuple[Tile, Future[bytes], Future[bytes]]] = []
            for i, tile in enumerate(tiles):
                while len(ahead) < self._read_ahead and i + len(ahead) < len(tiles):
                    nxt = tiles[i + len(ahead)]
                    ahead.append((nxt, pool.submit(self.source.read, nxt.path),
                                  pool.submit(self.source.read, nxt.bundle().path)))
                queued, hashes_read, bundle_read = ahead.pop(0)
                assert queued == tile
                hashes = self._tile(tile, hashes_read.result())
                checked = self._check_bundle(tile.bundle(), bundle_read.result(), hashes)
                yield from ((tile.start + j, body) for j, body in enumerate(checked)
                            if start <= tile.start + j < end)

    def node(self, level: int, index: int) -> bytes:
        """The hash of stored merkle node (level, index): the perfect subtree over entries
        [index * 2**level, (index + 1) * 2**level), which must lie within the tree."""
        if level < 0 or index < 0 or (index + 1) << level > self.size:
            raise TileError(f"node ({level}, {index}) is not a complete subtree of the tree "
                            f"of size {self.size}")
        tile_level, inner = divmod(level, HEIGHT)
        first = index << inner  # its first hash in the row of tile_level
        tile = tile_at(tile_level, first >> HEIGHT, self.size)
        assert tile is not None  # the node is complete, so its row is there
        data = self._tile(tile)
        at = first & (WIDTH - 1)
        return subtree_hash(data[at * HASH_SIZE:(at + (1 << inner)) * HASH_SIZE])

    # -- authentication --

    def _hashes(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        return [merkle.fold([self.node(*node) for node in merkle.range_nodes(start, end)])
                for start, end in ranges]

    def _tile(self, tile: Tile, data: bytes | None = None) -> bytes:
        """The tile's bytes once authenticated: a partial tile by the right edge folding to the
        root, a full one by its hash in the (authenticated) tile above."""
        if not tile.full:
            edge = self._right_edge()
            if tile not in edge:
                raise TileError(f"{tile.path} is not a partial tile of the tree of size "
                                f"{self.size}", tile.path)
            return edge[tile]
        if tile in self._cache:
            self._cache.move_to_end(tile)
            return self._cache[tile]
        data = self._read_tile(tile) if data is None else data
        self._check_length(tile, data)
        parent = tile_at(tile.level + 1, tile.n >> HEIGHT, self.size)
        assert parent is not None  # a full tile's hash is in the row above
        parent_data = self._tile(parent)
        at = tile.n & (WIDTH - 1)
        if subtree_hash(data) != parent_data[at * HASH_SIZE:(at + 1) * HASH_SIZE]:
            raise TileError(f"{tile.path} does not match its hash (number {at}) in "
                            f"{parent.path}: the tile was altered, or belongs to another log",
                            tile.path)
        self._cache[tile] = data
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return data

    def _right_edge(self) -> dict[Tile, bytes]:
        if self._edge is None:
            tiles = partial_tiles(self.size)
            edge = {t: self._read_tile(t) for t in tiles}
            for tile, data in edge.items():
                self._check_length(tile, data)
            folded = merkle.fold([h for t in tiles for h in edge_hashes(t, edge[t])]) \
                if tiles else merkle.EMPTY_ROOT
            if tiles and folded != self.root:
                paths = ", ".join(t.path for t in tiles)
                raise TileError(f"the partial tiles {paths} do not lead to the checkpoint's "
                                f"root {self.root.hex()}: one of them was altered, or they "
                                "belong to another tree", tiles[-1].path)
            self._edge = edge
        return self._edge

    def _read_tile(self, tile: Tile) -> bytes:
        return self.source.read(tile.path)

    def _check_length(self, tile: Tile, data: bytes) -> None:
        if len(data) != tile.width * HASH_SIZE:
            raise TileError(f"{tile.path} is {len(data)} bytes, not {tile.width * HASH_SIZE}",
                            tile.path)

    def _check_bundle(self, bundle: Tile, data: bytes, hashes: bytes) -> list[bytes]:
        entries = decode_bundle(data, bundle.path)
        if len(entries) != bundle.width:
            raise TileError(f"{bundle.path} holds {len(entries)} entries, not {bundle.width}",
                            bundle.path)
        for j, body in enumerate(entries):
            if merkle.leaf_hash(body) != hashes[j * HASH_SIZE:(j + 1) * HASH_SIZE]:
                index = bundle.start + j
                raise TileError(f"entry {index} in {bundle.path} does not match its leaf hash "
                                f"in {bundle.hashes().path}: the entry was altered", bundle.path,
                                index)
        return entries
