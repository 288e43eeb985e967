"""Helpers for the tlog-tiles tests: a builder and a reader of tiles written from the spec
alone (c2sp.org/tlog-tiles: tile n at level l, uint16 entry bundles), with the independent
RFC 6962 functions of spec_verifier, and ways to grow a test ledger."""

from __future__ import annotations

import spec_verifier as spec
from factories import SigningStation, event_obj, plant

from ledger.log import Ledger


def spec_path(level: str, n: int, width: int) -> str:
    digits = str(n).zfill(-(-len(str(n)) // 3) * 3)
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    index = "/".join([*("x" + g for g in groups[:-1]), groups[-1]])
    return f"tile/{level}/{index}" + ("" if width == 256 else f".p/{width}")


def spec_tiles(entries: list[bytes]) -> dict[str, bytes]:
    """Every tile and bundle of the tree over `entries`: tile n at level l holds
    MTH(D[(n*256+i)*256**l : (n*256+i+1)*256**l]), i < width; those are perfect subtrees, so
    row 8*l of the tree of perfect subtrees."""
    rows = [[spec.leaf_hash(e) for e in entries]]
    while len(rows[-1]) > 1:
        row = rows[-1]
        rows.append([spec.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)])
    files: dict[str, bytes] = {}
    level = 0
    while 8 * level < len(rows) and rows[8 * level]:
        row = rows[8 * level]
        for n in range(0, len(row), 256):
            files[spec_path(str(level), n // 256, len(row[n:n + 256]))] = b"".join(row[n:n + 256])
        level += 1
    for n in range(0, len(entries), 256):
        chunk = entries[n:n + 256]
        files[spec_path("entries", n // 256, len(chunk))] = b"".join(
            len(e).to_bytes(2, "big") + e for e in chunk)
    return files


def spec_entries(files: dict[str, bytes], size: int, root: bytes) -> list[bytes]:
    """A second reader: every bundle of the tree, the entries' root recomputed naively."""
    entries: list[bytes] = []
    for n in range(0, size, 256):
        data, at = files[spec_path("entries", n // 256, min(256, size - n))], 0
        while at < len(data):
            length = int.from_bytes(data[at:at + 2], "big")
            entries.append(data[at + 2:at + 2 + length])
            at += 2 + length
    if spec.root_from_leaves([spec.leaf_hash(e) for e in entries]) != root:
        raise ValueError("the entries do not make the checkpoint's root")
    return entries


def grow(ledger: Ledger, count: int) -> None:
    subs = [plant("scale.calibrated", f"scale:T{i % 5}",
                  {"reference_g": 1000 + i, "reading_g": 1000 + i, "tolerance_g": 1,
                   "passed": True}) for i in range(count)]
    for i in range(0, count, 500):
        ledger.append(subs[i:i + 500])


def refusal_params(size: int) -> dict[str, str]:
    """attempt.refused params of about `size` bytes (keys are a-z, values up to 500)."""
    keys = (a + b + c for a in "abcdefghij" for b in "abcdefghij" for c in "abcdefghij")
    return {next(keys): "y" * 480 for _ in range(size // 488)}


def refusal(station: SigningStation, size: int) -> dict:
    return event_obj("attempt.refused", f"station:{station.name}",
                     {"rule": "duplicate_label", "attempted": "unit.received",
                      "about": "unit:A-1", "params": refusal_params(size)},
                     station=station.name)
