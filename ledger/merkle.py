"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

A tree of size n over leaf hashes is addressed by *nodes*: node (level, index) is the
perfect subtree over leaves [index * 2**level, (index + 1) * 2**level). The store keeps every
completed node, so any root or proof needs O(log n) of them: the functions here say which
nodes (``*_nodes``) and then fold the fetched hashes (``*_from``). Nothing here touches storage.

Only the standard library: certificate verifiers import this module offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

Node = tuple[int, int]  # (level, index)
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify, or its sizes, index or hashes are out of range."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees that make up leaves [start, end), left to right.

    Valid for every range the RFC's recursion produces: start is a multiple of the largest
    power of two not above end - start. An empty range has no subtree (the empty tree).
    """
    size = end - start
    if size == 0:
        return []
    if size & (size - 1) == 0 and start % size == 0:  # one perfect subtree: most proof hashes
        return [(size.bit_length() - 1, start // size)]
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start % (1 << level):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root over consecutive perfect subtrees, largest first (RFC 6962 right fold)."""
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def grow(frontier: list[bytes], index: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Add leaf `index` to `frontier` (the perfect subtrees of a tree of size `index`, largest
    first); return the nodes this completes as (level, index, hash), the leaf first."""
    nodes = [(0, index, leaf)]
    carry, level = leaf, 0
    while index & 1:
        carry = node_hash(frontier.pop(), carry)
        level, index = level + 1, index >> 1
        nodes.append((level, index, carry))
    frontier.append(carry)
    return nodes


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PATH(index, D[0:size]), leaf's sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PROOF(old, D[0:new]) (RFC 9162 §2.1.4.1)."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    ranges: list[tuple[int, int]] = []
    start, end, m, complete = 0, new, old, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def nodes_for(ranges: Sequence[tuple[int, int]]) -> set[Node]:
    """Every stored node needed to hash the given ranges."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def hashes_from(ranges: Sequence[tuple[int, int]], nodes: Mapping[Node, bytes]) -> list[bytes]:
    return [fold([nodes[n] for n in range_nodes(start, end)]) for start, end in ranges]


def root_from(size: int, nodes: Mapping[Node, bytes]) -> bytes:
    return fold([nodes[n] for n in range_nodes(0, size)]) if size else EMPTY_ROOT


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless `leaf` is at `index` of the tree `root`."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check_hashes([leaf, root, *proof])
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    if r != root:
        raise ProofError(f"the proof leads to root {r.hex()}, not {root.hex()}")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless tree `old` is a prefix of tree `new`."""
    if old < 1 or new < old:
        raise ProofError(f"no consistency between sizes {old} and {new}")
    if old == new:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError("equal sizes with different roots: the log forked")
        return
    _check_hashes([old_root, new_root, *proof])
    if not proof:
        raise ProofError("the proof is empty")
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError(f"the proof does not lead to the old root {old_root.hex()}")
    if sr != new_root:
        raise ProofError(f"the proof does not lead to the new root {new_root.hex()}")


def _check_hashes(hashes: Sequence[bytes]) -> None:
    for h in hashes:
        if len(h) != 32:
            raise ProofError(f"a hash is {len(h)} bytes long, not 32")
