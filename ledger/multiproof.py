"""Multi-leaf inclusion proofs: many entries of one RFC 6962 tree proven by one set of hashes.

A period report proves hundreds of thousands of entries, mostly one contiguous stretch of the
log. One inclusion proof per entry repeats the same upper hashes for every entry; instead, the
proof of a set S of leaf indexes in a tree of size n is the hashes of the *maximal subtrees
that hold no leaf of S*, in left-to-right order, where the subtrees are those of the RFC 6962
recursion (MTH(D[lo:hi]) splits at k, the largest power of two below hi - lo):

    PROOF(S, lo, hi) = []                                  if hi - lo == 1 (the leaf is in S)
                     = [MTH(D[lo:lo+k])] or PROOF(S, lo, lo+k)   for the left half
                       + [MTH(D[lo+k:hi])] or PROOF(S, lo+k, hi) for the right half

(a half's hash when it holds no leaf of S, else its own proof). A verifier rebuilds the root
from the leaves of S in index order and the proof hashes in order, and compares it with the
checkpoint's root. A contiguous stretch [a, b) needs about 2·log2(n) hashes; every gap in S
adds at most two per level. Hashing a stretch of leaves needs no recursion: its subtrees are
folded as they come (`_stretch_root`), so millions of leaves verify in seconds.

S is given as *runs*: sorted, disjoint, non-adjacent half-open ranges [start, end).
Only the standard library: certificate verifiers import this module offline.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence

from ledger.merkle import ProofError, node_hash, split_point

Run = tuple[int, int]  # [start, end) of consecutive leaf indexes


def runs(indexes: Iterable[int]) -> list[Run]:
    """The runs of a set of leaf indexes given in increasing order (each at most once)."""
    out: list[list[int]] = []
    previous = -1
    for index in indexes:
        if index <= previous:
            raise ProofError(f"leaf indexes must increase: {index} follows {previous}")
        if out and index == out[-1][1]:
            out[-1][1] = index + 1
        else:
            out.append([index, index + 1])
        previous = index
    return [(start, end) for start, end in out]


class _Cover:
    """How many leaves of the runs fall in [lo, hi), in O(log runs)."""

    def __init__(self, spans: Sequence[Run]):
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]
        self.before = [0]
        for start, end in spans:
            self.before.append(self.before[-1] + end - start)

    def _upto(self, x: int) -> int:
        """Leaves of the runs below x."""
        i = bisect_right(self.starts, x) - 1
        if i < 0:
            return 0
        return self.before[i] + min(x, self.ends[i]) - self.starts[i]

    def count(self, lo: int, hi: int) -> int:
        return self._upto(hi) - self._upto(lo)


def check_runs(spans: Sequence[Run], size: int) -> None:
    """Raise ProofError unless `spans` are non-empty, sorted, disjoint, non-adjacent runs
    inside a tree of `size` leaves."""
    if not spans:
        raise ProofError("a multi-leaf proof proves at least one leaf")
    previous_end = -1
    for start, end in spans:
        if not (type(start) is int and type(end) is int and 0 <= start < end):
            raise ProofError(f"run [{start}, {end}) is not a range of leaf indexes")
        if start <= previous_end:
            raise ProofError(f"run [{start}, {end}) overlaps or touches the run before it: "
                             "runs are sorted, disjoint and not adjacent")
        previous_end = end
    if previous_end > size:
        raise ProofError(f"run ending at {previous_end} is outside a tree of size {size}")


def proof_ranges(spans: Sequence[Run], size: int) -> list[Run]:
    """The leaf ranges whose subtree hashes form the proof of `spans` in a tree of `size`,
    left to right (each a subtree of the RFC recursion, so `merkle.range_nodes` covers it)."""
    check_runs(spans, size)
    cover = _Cover(spans)
    out: list[Run] = []

    def walk(lo: int, hi: int) -> None:
        inside = cover.count(lo, hi)
        if inside == 0:
            out.append((lo, hi))
        elif inside < hi - lo:
            k = split_point(hi - lo)
            walk(lo, lo + k)
            walk(lo + k, hi)

    walk(0, size)
    return out


def root(spans: Sequence[Run], size: int, leaves: Iterator[bytes],
         proof: Iterator[bytes]) -> bytes:
    """The tree root that the leaf hashes of `spans` (in index order) and the proof hashes (in
    order) give. Raises ProofError if either runs short or has hashes left over."""
    check_runs(spans, size)
    cover = _Cover(spans)

    def take(source: Iterator[bytes], what: str) -> bytes:
        value = next(source, None)
        if value is None:
            raise ProofError(f"the {what} ran out before the tree was complete")
        if len(value) != 32:
            raise ProofError(f"a {what} hash is {len(value)} bytes, not 32")
        return value

    def walk(lo: int, hi: int) -> bytes:
        inside = cover.count(lo, hi)
        if inside == 0:
            return take(proof, "proof")
        if inside == hi - lo:
            return _stretch_root(hi - lo, lambda: take(leaves, "entries"))
        k = split_point(hi - lo)
        left = walk(lo, lo + k)
        return node_hash(left, walk(lo + k, hi))

    result = walk(0, size)
    if next(proof, None) is not None:
        raise ProofError("the proof has more hashes than the tree needs")
    if next(leaves, None) is not None:
        raise ProofError("there are more entries than the runs say")
    return result


def _stretch_root(count: int, next_leaf: Callable[[], bytes]) -> bytes:
    """MTH of `count` consecutive leaves: perfect subtrees merged as the leaves come, then
    folded right to left (the RFC tree of `count` leaves)."""
    frontier: list[bytes] = []
    for i in range(count):
        carry = next_leaf()
        j = i
        while j & 1:
            carry = node_hash(frontier.pop(), carry)
            j >>= 1
        frontier.append(carry)
    result = frontier[-1]
    for h in reversed(frontier[:-1]):
        result = node_hash(h, result)
    return result

