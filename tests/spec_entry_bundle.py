"""The entries of a v2 period report, written from docs/certificates.md section 5 alone (and
RFC 6962 for the tree): the runs of indexes, the gzip-compressed entry bundle (each entry
preceded by its length as a big-endian 16-bit unsigned integer) and the multi-leaf inclusion
proof, folded as the entries stream so a quarter's bundle is never held whole.

It imports nothing from the project: the standard library and spec_verifier (the independent
verifier of the RFC 9162 / C2SP formats in this folder).
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from spec_verifier import VerificationError, node_hash

Opener = Callable[[], BinaryIO]  # a fresh binary stream of the gzip-compressed bundle
LENGTH = struct.Struct(">H")


def parse_runs(runs: Any, count: Any, size: int) -> list[tuple[int, int]]:
    """Section 5.1: sorted, disjoint, non-adjacent half-open ranges inside the tree, holding
    `count` indexes."""
    if not isinstance(runs, list):
        raise VerificationError(f"entries.runs is not a list: {runs!r}")
    parsed: list[tuple[int, int]] = []
    for run in runs:
        if (not isinstance(run, list) or len(run) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in run)):
            raise VerificationError(f"entries.runs: {run!r} is not [start, end]")
        start, end = run
        if not 0 <= start < end:
            raise VerificationError(f"entries.runs: [{start}, {end}) is empty or negative")
        if parsed and start <= parsed[-1][1]:
            raise VerificationError(f"entries.runs: [{start}, {end}) does not start after "
                                    f"the end of the run before ({parsed[-1][1]})")
        parsed.append((start, end))
    if parsed and parsed[-1][1] > size:
        raise VerificationError(f"entries.runs end at {parsed[-1][1]}, past the checkpoint's "
                                f"size {size}")
    held = sum(end - start for start, end in parsed)
    if count != held:
        raise VerificationError(f"entries.count is {count!r}, the runs hold {held}")
    return parsed


def read_bundle(opener: Opener, runs: list[tuple[int, int]],
                digest: str) -> Iterator[tuple[int, bytes]]:
    """(index, entry bytes) of each entry of the bundle, the indexes taken from the runs in
    order. Once the stream is read to its end: exactly as many entries as the runs hold, no
    byte left over, and the uncompressed bundle's SHA-256 is `digest`."""
    indexes = (i for start, end in runs for i in range(start, end))
    sha = hashlib.sha256()
    with opener() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        try:
            while head := stream.read(LENGTH.size):
                if len(head) < LENGTH.size:
                    raise VerificationError("the entry bundle ends inside a length")
                (length,) = LENGTH.unpack(head)
                body = stream.read(length)
                if len(body) < length:
                    raise VerificationError("the entry bundle ends inside an entry")
                sha.update(head + body)
                index = next(indexes, None)
                if index is None:
                    raise VerificationError("the entry bundle holds more entries than "
                                            "entries.count")
                yield index, body
        except (OSError, EOFError, zlib.error) as exc:
            raise VerificationError(f"the entry bundle is not gzip: {exc}") from exc
    if next(indexes, None) is not None:
        raise VerificationError("the entry bundle holds fewer entries than entries.count")
    if sha.hexdigest() != digest:
        raise VerificationError(f"the entry bundle's SHA-256 is {sha.hexdigest()}, "
                                f"entries.sha256 says {digest!r}")


def multileaf_root(size: int, runs: list[tuple[int, int]], leaves: Iterator[bytes],
                   proof: list[bytes]) -> bytes:
    """Section 5.2: the root of a tree of `size` leaves whose leaves in the runs are
    `leaves` (in index order) and whose maximal subtrees without any are `proof` (left to
    right); every leaf and every proof hash used exactly once."""
    if size == 0:
        raise VerificationError("a checkpoint of size 0 holds no entry")
    starts = [start for start, _ in runs]
    before = [0]  # how many indexes the runs before each run hold
    for start, end in runs:
        before.append(before[-1] + end - start)
    hashes = iter(proof)

    def below(x: int) -> int:
        """How many indexes of the runs are smaller than x."""
        n = bisect_right(starts, x) - 1
        return 0 if n < 0 else before[n] + min(x, runs[n][1]) - runs[n][0]

    def fold(lo: int, hi: int) -> bytes:
        if below(hi) == below(lo):
            found = next(hashes, None)
            if found is None:
                raise VerificationError("the multi-leaf proof has too few hashes")
            return found
        if hi - lo == 1:
            leaf = next(leaves, None)
            if leaf is None:
                raise VerificationError("the entry bundle holds fewer entries than the runs")
            return leaf
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        return node_hash(fold(lo, lo + k), fold(lo + k, hi))

    root = fold(0, size)
    if next(hashes, None) is not None:
        raise VerificationError("the multi-leaf proof has hashes left over")
    for _ in leaves:  # reads the bundle to its end: its count and SHA-256 are checked there
        raise VerificationError("the entry bundle holds more entries than the runs")
    return root
