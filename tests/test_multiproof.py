"""Multi-leaf inclusion proofs (ledger/multiproof.py) against a from-the-RFC tree hash."""

import hashlib
import random

import pytest

from ledger import merkle, multiproof
from ledger.merkle import ProofError


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH over leaf hashes, written from the RFC's recursion."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def tree(size: int) -> list[bytes]:
    return [merkle.leaf_hash(b"entry %d" % i) for i in range(size)]


def prove(leaves: list[bytes], spans: list[tuple[int, int]]) -> list[bytes]:
    return [mth(leaves[lo:hi]) for lo, hi in multiproof.proof_ranges(spans, len(leaves))]


def chosen(leaves, spans):
    return iter([leaves[i] for s, e in spans for i in range(s, e)])


@pytest.mark.parametrize("seed", range(40))
def test_any_set_of_leaves_rebuilds_the_root(seed):
    rng = random.Random(seed)
    size = rng.randint(1, 300)
    leaves = tree(size)
    indexes = sorted(rng.sample(range(size), rng.randint(1, size)))
    spans = multiproof.runs(indexes)
    proof = prove(leaves, spans)
    assert multiproof.root(spans, size, chosen(leaves, spans), iter(proof)) == mth(leaves)


def test_one_leaf_needs_exactly_its_inclusion_proof():
    leaves = tree(13)
    for i in range(13):
        proof = prove(leaves, [(i, i + 1)])
        assert sorted(proof) == sorted(merkle.hashes_from(merkle.inclusion_ranges(i, 13),
                                                          {(0, j): h for j, h in
                                                           enumerate(leaves)}
                                                          | _all_nodes(leaves)))


def _all_nodes(leaves):
    nodes = {}
    level, row = 0, leaves
    while len(row) > 1:
        level += 1
        row = [merkle.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        nodes |= {(level, j): h for j, h in enumerate(row)}
    return nodes


def test_a_stretch_costs_about_two_hashes_per_level():
    size = 2_000_003
    spans = [(123_457, 1_900_000)]
    assert len(multiproof.proof_ranges(spans, size)) <= 2 * size.bit_length()


def test_a_changed_leaf_or_proof_hash_gives_another_root():
    leaves = tree(100)
    spans = multiproof.runs([3, 4, 5, 40, 41, 99])
    proof = prove(leaves, spans)
    good = mth(leaves)
    altered = [leaves[i] for s, e in spans for i in range(s, e)]
    altered[2] = hashlib.sha256(b"forged").digest()
    assert multiproof.root(spans, 100, iter(altered), iter(proof)) != good
    forged = [*proof[:-1], hashlib.sha256(b"x").digest()]
    assert multiproof.root(spans, 100, chosen(leaves, spans), iter(forged)) != good


def test_short_or_long_inputs_and_bad_runs_are_refused():
    leaves = tree(20)
    spans = [(2, 5), (9, 10)]
    proof = prove(leaves, spans)
    with pytest.raises(ProofError, match="proof ran out"):
        multiproof.root(spans, 20, chosen(leaves, spans), iter(proof[:-1]))
    with pytest.raises(ProofError, match="more hashes"):
        multiproof.root(spans, 20, chosen(leaves, spans), iter([*proof, proof[0]]))
    with pytest.raises(ProofError, match="entries ran out"):
        multiproof.root(spans, 20, iter(list(chosen(leaves, spans))[:-1]), iter(proof))
    with pytest.raises(ProofError, match="more entries"):
        multiproof.root(spans, 20, iter([*chosen(leaves, spans), leaves[0]]), iter(proof))
    for bad in ([], [(5, 5)], [(3, 6), (6, 8)], [(3, 6), (1, 2)], [(18, 21)]):
        with pytest.raises(ProofError):
            multiproof.proof_ranges(bad, 20)
    with pytest.raises(ProofError, match="must increase"):
        multiproof.runs([1, 3, 3])
    assert multiproof.runs([1, 2, 3, 7, 9, 10]) == [(1, 4), (7, 8), (9, 11)]
