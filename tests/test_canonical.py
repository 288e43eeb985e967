"""Canonical bytes equal RFC 8785 (the `rfc8785` package) for every value the ledger allows."""

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.canonical import MAX_SAFE_INTEGER, NotCanonicalizable, canonical_bytes

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
ascii_keys = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=10)
scalars = st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | text
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ascii_keys, inner, max_size=5),
    max_leaves=30,
)


@given(values)
def test_canonical_bytes_match_rfc8785(value):
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_refuses_floats_big_integers_non_ascii_keys_and_surrogates():
    for bad in ({"a": 1.5}, {"a": 2**53}, {"é": 1}, {"a": "\ud800"}):
        try:
            canonical_bytes(bad)
        except NotCanonicalizable:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_canonical_chunks_join_to_the_canonical_bytes():
    from ledger.canonical import canonical_bytes, canonical_chunks

    value = {"b": ["é" * 40_000, 1, None, True], "a": {"z": list(range(20_000)), "y": "x"}}
    chunks = list(canonical_chunks(value))
    assert len(chunks) > 1 and b"".join(chunks) == canonical_bytes(value)
