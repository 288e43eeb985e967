"""`dledger tiles export DIR`: the log's tlog-tiles resources as files, for a plain web server
or an offline copy (docs/tiles.md).

Incremental: a full tile or bundle already in DIR is kept when its bytes are right (tiles
compared with the stored hashes, bundles by their entries' leaf hashes), rewritten when not.
Partial tiles of the checkpoint are written beside the ones older exports left (other
widths, other names). Every file is written to a temporary name and renamed, and the
checkpoint comes last: a reader of DIR sees the old checkpoint and its tiles, or the new one
and all of its tiles. Memory is bounded by one batch of hashes and one bundle.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledger import merkle
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.log import Ledger, LedgerError, SignedCheckpoint
from ledger.note import NoteError, split
from ledger.tiles import (
    CHECKPOINT,
    HASH_SIZE,
    Tile,
    TileError,
    decode_bundle,
    tiles_for_size,
)
from ledger.tiles_log import bundles, tiles_bytes

BATCH = 64  # tiles whose hashes are read in one query
Progress = Callable[[int, int], None]  # (files checked so far, files in all)


class ExportError(Exception):
    """The folder cannot take this log's tiles; the message says why and what to do."""


@dataclass
class ExportReport:
    size: int
    written: int = 0  # tiles and bundles written (new, or replacing wrong ones)
    kept: int = 0  # tiles and bundles already there and right

    def count(self, written: bool) -> None:
        if written:
            self.written += 1
        else:
            self.kept += 1


def export(ledger: Ledger, folder: Path, signed: SignedCheckpoint,
           progress: Progress | None = None) -> ExportReport:
    """Write the checkpoint `signed` and every tile and bundle of its tree into `folder`."""
    size = signed.checkpoint.size
    _check_folder(ledger, folder, signed.checkpoint)
    report = ExportReport(size)
    hash_tiles = list(tiles_for_size(size))
    level0 = [t for t in hash_tiles if t.level == 0]
    total, done = len(hash_tiles) + len(level0), 0
    for batch in _batches(hash_tiles):
        for tile, data in zip(batch, tiles_bytes(ledger, batch), strict=True):
            report.count(_put(folder, tile.path, data, keep_if_same=True))
        done += len(batch)
        if progress:
            progress(done, total)
    for batch in _batches(level0):
        leaves = tiles_bytes(ledger, batch)
        wrong = [t for t, hashes in zip(batch, leaves, strict=True)
                 if not _bundle_ok(folder, t.bundle(), hashes)]
        report.kept += len(batch) - len(wrong)
        for run in _runs(wrong):
            for bundle, data in bundles(ledger, run[0].n, run[-1].n + 1, size):
                report.count(_put(folder, bundle.path, data, keep_if_same=False))
        done += len(batch)
        if progress:
            progress(done, total)
    _put(folder, CHECKPOINT, signed.note.encode(), keep_if_same=False, sync=True)
    return report


def _check_folder(ledger: Ledger, folder: Path, checkpoint: Checkpoint) -> None:
    """Refuse a folder that holds another log, or a later or different tree of this one."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is not a folder")
    old_file = folder / CHECKPOINT
    if not old_file.exists():
        return
    try:
        text, _ = split(old_file.read_text(encoding="utf-8"))
        old = Checkpoint.parse(text)
    except (UnicodeDecodeError, NoteError, CheckpointError) as exc:
        raise ExportError(f"{old_file} is not a checkpoint ({exc}): export into an empty "
                          "folder, or the one an earlier export wrote") from None
    if old.origin != checkpoint.origin:
        raise ExportError(f"{folder} holds the tiles of log {old.origin!r}, not "
                          f"{checkpoint.origin!r}: export into another folder")
    if old.size > checkpoint.size:
        raise ExportError(f"{folder} holds a checkpoint of size {old.size}, later than this "
                          f"log's latest checkpoint ({checkpoint.size}): is it the right "
                          "folder, and the right database?")
    try:
        root = ledger.root(old.size)
    except LedgerError as exc:
        raise ExportError(f"{folder}'s checkpoint (size {old.size}) cannot be checked: {exc}") \
            from None
    if root != old.root:
        raise ExportError(f"{folder}'s checkpoint of size {old.size} has root "
                          f"{old.root.hex()}, but this log's tree of that size has "
                          f"{root.hex()}: the folder is another tree's; export elsewhere")


def _bundle_ok(folder: Path, bundle: Tile, leaves: bytes) -> bool:
    """Whether `bundle` is in `folder` with entries hashing to `leaves`, its level-0 tile."""
    try:
        entries = decode_bundle((folder / bundle.path).read_bytes(), bundle.path)
    except (FileNotFoundError, TileError):
        return False
    return len(entries) == bundle.width and all(
        merkle.leaf_hash(body) == leaves[j * HASH_SIZE:(j + 1) * HASH_SIZE]
        for j, body in enumerate(entries))


def _put(folder: Path, path: str, data: bytes, *, keep_if_same: bool, sync: bool = False
         ) -> bool:
    """Write `data` at `path` in `folder` (False: kept, it was there already)."""
    target = folder / path
    if keep_if_same and target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        if sync:
            out.flush()
            os.fsync(out.fileno())
    os.replace(temporary, target)
    return True


def _batches(tiles: list[Tile]) -> list[list[Tile]]:
    """Consecutive tiles of one level, at most BATCH at a time."""
    out: list[list[Tile]] = []
    for tile in tiles:
        if out and len(out[-1]) < BATCH and out[-1][-1].level == tile.level:
            out[-1].append(tile)
        else:
            out.append([tile])
    return out


def _runs(tiles: list[Tile]) -> list[list[Tile]]:
    """Consecutive tiles grouped, so that each group's entries are read in one stream."""
    runs: list[list[Tile]] = []
    for tile in tiles:
        if runs and runs[-1][-1].n + 1 == tile.n:
            runs[-1].append(tile)
        else:
            runs.append([tile])
    return runs
