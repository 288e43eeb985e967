"""Tests of the independent spec verifier (tests/spec_verifier.py) against the public vectors.

- every transparency-dev/merkle inclusion and consistency vector file (test id = its path),
- the RFC 6962 reference roots for sizes 0..8,
- the C2SP signed-note / checkpoint vectors (Go sumdb/note, sum.golang.org),
- tlog-proof, checkpoint and consistency-proof text parsing,
- property tests against a naive proof builder written here from RFC 6962 §2.1.1-2.1.2.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import VECTORS
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_verifier import (
    Checkpoint,
    VerificationError,
    leaf_hash,
    node_hash,
    parse_checkpoint,
    parse_consistency_proof,
    parse_tlog_proof,
    parse_vkey,
    root_from_leaves,
    sign_note,
    verify_checkpoint_consistency,
    verify_consistency,
    verify_inclusion,
    verify_note,
    verify_tlog_proof,
)

# conftest's folder, read at collection time to parametrize over the files. Each test still
# goes through the `vectors_dir` fixture, so a missing folder fails under CI=true;
# `test_every_vector_file_was_collected` guards the list.
_COLLECT_DIR = VECTORS
_MISSING = "<vectors folder missing at collection>"


def _vector_files(kind: str) -> list[str]:
    base = _COLLECT_DIR / "rfc6962" / kind
    files = sorted(p.relative_to(_COLLECT_DIR).as_posix() for p in base.rglob("*.json"))
    return files or [_MISSING]


INCLUSION_FILES = _vector_files("inclusion")
CONSISTENCY_FILES = _vector_files("consistency")

# Where this verifier is deliberately stricter than an upstream vector, with the reason. The
# vector is still run: it must be rejected, for exactly this reason.
STRICTER_THAN_VECTOR = {
    "rfc6962/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json": (
        "its roots are 12 bytes ('don't care 2'); README policy: every hash is 32 bytes"
    ),
}


def _load(vectors_dir: Path, rel: str) -> dict[str, Any]:
    if rel == _MISSING:
        pytest.fail(f"no vector files were found under {_COLLECT_DIR} at collection time")
    return json.loads((vectors_dir / rel).read_text(encoding="utf-8"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _expect(want_err: bool, rel: str, check: Callable[[], None]) -> None:
    if want_err or rel in STRICTER_THAN_VECTOR:
        with pytest.raises(VerificationError):
            check()
    else:
        check()


# --------------------------------------------------------------------------------------------
# RFC 6962 vector files
# --------------------------------------------------------------------------------------------


def test_every_vector_file_was_collected(vectors_dir: Path) -> None:
    on_disk = sorted(
        p.relative_to(vectors_dir).as_posix() for p in (vectors_dir / "rfc6962").rglob("*.json")
    )
    assert on_disk == sorted(INCLUSION_FILES + CONSISTENCY_FILES)
    assert len(INCLUSION_FILES) > 50 and len(CONSISTENCY_FILES) > 50
    assert set(STRICTER_THAN_VECTOR) <= set(on_disk)


@pytest.mark.parametrize("rel", INCLUSION_FILES, ids=INCLUSION_FILES)
def test_inclusion_vector(vectors_dir: Path, rel: str) -> None:
    v = _load(vectors_dir, rel)
    proof = [_b64(p) for p in v["proof"] or []]
    _expect(
        v["wantErr"],
        rel,
        lambda: verify_inclusion(
            v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), proof, _b64(v["root"])
        ),
    )


@pytest.mark.parametrize("rel", CONSISTENCY_FILES, ids=CONSISTENCY_FILES)
def test_consistency_vector(vectors_dir: Path, rel: str) -> None:
    v = _load(vectors_dir, rel)
    proof = [_b64(p) for p in v["proof"] or []]
    _expect(
        v["wantErr"],
        rel,
        lambda: verify_consistency(
            v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]), proof
        ),
    )


def test_equal_sizes_with_equal_32_byte_roots_and_empty_proof_verify() -> None:
    """The stricter-than-vector case, with 32-byte roots: accepted."""
    root = leaf_hash(b"x")
    verify_consistency(1, 1, root, root, [])
    verify_consistency(7, 7, root, root, [])


# --------------------------------------------------------------------------------------------
# RFC 6962 reference tree
# --------------------------------------------------------------------------------------------


def _reference(vectors_dir: Path) -> tuple[list[bytes], list[bytes]]:
    ref = json.loads((vectors_dir / "rfc6962-reference.json").read_text(encoding="utf-8"))
    leaves = [leaf_hash(bytes.fromhex(h)) for h in ref["leaves_hex"]]
    roots = [bytes.fromhex(h) for h in ref["roots_hex"]]
    assert len(leaves) == 8 and len(roots) == 9
    return leaves, roots


def test_reference_roots(vectors_dir: Path) -> None:
    leaves, roots = _reference(vectors_dir)
    for size in range(9):
        assert root_from_leaves(leaves[:size]) == roots[size], size
    assert roots[0] == hashlib.sha256(b"").digest()


def test_reference_tree_all_proofs(vectors_dir: Path) -> None:
    leaves, roots = _reference(vectors_dir)
    for n in range(1, 9):
        for i in range(n):
            verify_inclusion(i, n, leaves[i], _inclusion_proof(leaves[:n], i), roots[n])
        for m in range(1, n + 1):
            verify_consistency(m, n, roots[m], roots[n], _consistency_proof(leaves[:n], m))


# --------------------------------------------------------------------------------------------
# A naive proof builder, from RFC 6962 §2.1.1 (PATH) and §2.1.2 (PROOF/SUBPROOF), over leaf
# ranges [lo, hi) so that each proof element says which subtree it hashes.
# --------------------------------------------------------------------------------------------

Range = tuple[int, int]


def _split(lo: int, hi: int) -> int:
    """lo + k, k the largest power of two smaller than hi - lo (> 1)."""
    return lo + (1 << ((hi - lo - 1).bit_length() - 1))


def _path_ranges(m: int, lo: int, hi: int) -> list[Range]:
    """PATH(m, D[lo:hi]): the sibling subtrees of leaf lo+m, lowest first."""
    if hi - lo == 1:
        return []
    mid = _split(lo, hi)
    if lo + m < mid:
        return [*_path_ranges(m, lo, mid), (mid, hi)]
    return [*_path_ranges(m - (mid - lo), mid, hi), (lo, mid)]


def _subproof_ranges(m: int, lo: int, hi: int, whole: bool) -> list[Range]:
    """SUBPROOF(m, D[lo:hi], b)."""
    if m == hi - lo:
        return [] if whole else [(lo, hi)]
    mid = _split(lo, hi)
    if m <= mid - lo:
        return [*_subproof_ranges(m, lo, mid, whole), (mid, hi)]
    return [*_subproof_ranges(m - (mid - lo), mid, hi, False), (lo, mid)]


def _mth(leaves: list[bytes], r: Range) -> bytes:
    return root_from_leaves(leaves[r[0] : r[1]])


def _inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    return [_mth(leaves, r) for r in _path_ranges(index, 0, len(leaves))]


def _consistency_proof(leaves: list[bytes], m: int) -> list[bytes]:
    return [_mth(leaves, r) for r in _subproof_ranges(m, 0, len(leaves), True)]


def _root_from_cover(lo: int, hi: int, cover: dict[Range, bytes]) -> bytes | None:
    """MTH(D[lo:hi]) from known subtree hashes; None when a leaf is not covered."""
    if (lo, hi) in cover:
        return cover[(lo, hi)]
    if hi - lo <= 1:
        return None
    mid = _split(lo, hi)
    left, right = _root_from_cover(lo, mid, cover), _root_from_cover(mid, hi, cover)
    return None if left is None or right is None else node_hash(left, right)


def _inclusion_should_verify(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> bool:
    """Reference answer by structure: read `proof` as the path for (index, size)."""
    if not 0 <= index < size:
        return False
    ranges = _path_ranges(index, 0, size)
    if len(ranges) != len(proof):
        return False
    cover = dict(zip(ranges, proof, strict=True)) | {(index, index + 1): leaf}
    return _root_from_cover(0, size, cover) == root


def _consistency_should_verify(
    m: int, n: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> bool:
    """Reference answer by structure: read `proof` as PROOF(m, D[n]) (RFC 9162 §2.1.4.2 takes
    root1 as the [0, m) subtree when m is a power of two)."""
    if not 0 < m <= n:
        return False
    if m == n:
        return not proof and root1 == root2
    ranges = _subproof_ranges(m, 0, n, True)
    if len(ranges) != len(proof):
        return False
    cover = dict(zip(ranges, proof, strict=True))
    if m & (m - 1) == 0:
        cover[(0, m)] = root1
    return _root_from_cover(0, m, cover) == root1 and _root_from_cover(0, n, cover) == root2


def _accepts(check: Callable[[], None]) -> bool:
    try:
        check()
    except VerificationError:
        return False
    return True


def _flip(proof: list[bytes], which: int, bit: int) -> list[bytes]:
    out = list(proof)
    h = bytearray(out[which])
    h[bit // 8] ^= 1 << (bit % 8)
    out[which] = bytes(h)
    return out


def test_builder_against_verifier_exhaustively_up_to_24() -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(24)]
    roots = [root_from_leaves(leaves[:n]) for n in range(25)]
    for n in range(1, 25):
        for i in range(n):
            verify_inclusion(i, n, leaves[i], _inclusion_proof(leaves[:n], i), roots[n])
        for m in range(1, n + 1):
            verify_consistency(m, n, roots[m], roots[n], _consistency_proof(leaves[:n], m))


LEAF_LISTS = st.lists(st.binary(max_size=16), min_size=1, max_size=64, unique=True)


@settings(max_examples=150, deadline=None)
@given(data_list=LEAF_LISTS, data=st.data())
def test_inclusion_property(data_list: list[bytes], data: st.DataObject) -> None:
    leaves = [leaf_hash(d) for d in data_list]
    n = len(leaves)
    i = data.draw(st.integers(0, n - 1), label="index")
    root = root_from_leaves(leaves)
    proof = _inclusion_proof(leaves, i)
    verify_inclusion(i, n, leaves[i], proof, root)

    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="which")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(VerificationError):
            verify_inclusion(i, n, leaves[i], _flip(proof, which, bit), root)

    # Another index is always rejected (the leaves are distinct).
    for i2 in (i - 1, i + 1):
        if i2 >= 0:
            with pytest.raises(VerificationError):
                verify_inclusion(i2, n, leaves[i], proof, root)
    # Another size is rejected unless the path reads the same at that size (e.g. leaf 0 of 5
    # and of 6 have equal-shaped paths): a proof binds the root, the signed checkpoint binds
    # the size.
    for n2 in (n - 1, n + 1):
        if n2 >= 1:
            accepted = _accepts(lambda n2=n2: verify_inclusion(i, n2, leaves[i], proof, root))
            assert accepted == _inclusion_should_verify(i, n2, leaves[i], proof, root)


@settings(max_examples=150, deadline=None)
@given(data_list=LEAF_LISTS, data=st.data())
def test_consistency_property(data_list: list[bytes], data: st.DataObject) -> None:
    leaves = [leaf_hash(d) for d in data_list]
    n = len(leaves)
    m = data.draw(st.integers(1, n), label="size1")
    root1, root2 = root_from_leaves(leaves[:m]), root_from_leaves(leaves)
    proof = _consistency_proof(leaves, m)
    verify_consistency(m, n, root1, root2, proof)

    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="which")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(VerificationError):
            verify_consistency(m, n, root1, root2, _flip(proof, which, bit))
    with pytest.raises(VerificationError):
        verify_consistency(m, n, root2 if m < n else leaf_hash(b"other"), root2, proof)

    # Off-by-one sizes: rejected unless the proof reads the same way at those sizes.
    for m2, n2 in ((m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1)):
        accepted = _accepts(lambda m2=m2, n2=n2: verify_consistency(m2, n2, root1, root2, proof))
        assert accepted == _consistency_should_verify(m2, n2, root1, root2, proof), (m2, n2)
        if m2 == 0 or m2 > n2 or (m2 == n2 and proof):
            assert not accepted


def test_size_ambiguity_example() -> None:
    """Documented example: a proof binds roots, not sizes. Leaf 0's path in a tree of 5 has
    the same shape as in a tree of 6, so it also verifies with size 6 against the size-5 root."""
    leaves = [leaf_hash(bytes([i])) for i in range(5)]
    root = root_from_leaves(leaves)
    proof = _inclusion_proof(leaves, 0)
    verify_inclusion(0, 6, leaves[0], proof, root)
    with pytest.raises(VerificationError):
        verify_inclusion(0, 4, leaves[0], proof, root)


def test_hash_lengths_and_ranges_are_checked() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(3)]
    root = root_from_leaves(leaves)
    proof = _inclusion_proof(leaves, 1)
    verify_inclusion(1, 3, leaves[1], proof, root)
    bad_cases: list[Callable[[], None]] = [
        lambda: verify_inclusion(1, 3, leaves[1][:31], proof, root),
        lambda: verify_inclusion(1, 3, leaves[1], proof, root + b"\x00"),
        lambda: verify_inclusion(1, 3, leaves[1], [proof[0] + b"\x00", proof[1]], root),
        lambda: verify_inclusion(-1, 3, leaves[1], proof, root),
        lambda: verify_inclusion(3, 3, leaves[1], proof, root),
        lambda: verify_inclusion(0, 0, leaves[1], [], hashlib.sha256(b"").digest()),
        lambda: verify_inclusion(1, 2**64, leaves[1], proof, root),
        lambda: verify_consistency(0, 0, root, root, []),
        lambda: verify_consistency(2, 1, root, root, []),
        lambda: verify_consistency(1, 3, leaves[0], root, []),
    ]
    for case in bad_cases:
        with pytest.raises(VerificationError):
            case()


# --------------------------------------------------------------------------------------------
# signed-note vectors
# --------------------------------------------------------------------------------------------


def _notes(vectors_dir: Path) -> dict[str, Any]:
    return json.loads((vectors_dir / "signed-note.json").read_text(encoding="utf-8"))


def _note_vector(vectors_dir: Path, name: str) -> dict[str, Any]:
    matches = [v for v in _notes(vectors_dir)["vectors"] if v["name"] == name]
    assert len(matches) == 1, name
    return matches[0]


NOTE_NAMES = [
    "go-note-peterneumann",
    "go-note-two-signers-one-known",
    "c2sp-example-foo",
    "sum.golang.org-checkpoint-2024-09-23",
]


def test_note_vector_names_are_all_tested(vectors_dir: Path) -> None:
    assert sorted(v["name"] for v in _notes(vectors_dir)["vectors"]) == sorted(NOTE_NAMES)


@pytest.mark.parametrize("name", NOTE_NAMES)
def test_signed_note_vector(vectors_dir: Path, name: str) -> None:
    v = _note_vector(vectors_dir, name)
    assert v["note"].startswith(v["text"] + "\n\u2014 ")
    assert verify_note(v["note"], v["vkeys"]) == v["text"]
    for vkey in v["vkeys"]:
        key = parse_vkey(vkey)
        assert vkey.startswith(f"{key.name}+{key.keyid.hex()}+")
        assert len(key.public_key) == 32
    if "unknown_vkeys" in v:
        # The other signature does not count for `vkeys`: without the trusted key's own line
        # the note is rejected...
        trusted = {parse_vkey(k).name for k in v["vkeys"]}
        lines = v["note"].split("\n")
        others = [ln for ln in lines if not any(ln.startswith(f"\u2014 {n} ") for n in trusted)]
        assert len(others) < len(lines)
        with pytest.raises(VerificationError):
            verify_note("\n".join(others), v["vkeys"])
        # ...but it is itself a valid signature (Go sumdb/note's EnochRoot test key), so a
        # verifier that trusts that key accepts the note, as signed-note requires.
        assert verify_note(v["note"], v["unknown_vkeys"]) == v["text"]
        assert verify_note(v["note"], v["vkeys"] + v["unknown_vkeys"]) == v["text"]
    if "skey" in v:
        assert sign_note(v["text"], v["skey"]) == v["note"]
    if "checkpoint" in v:
        cp = parse_checkpoint(v["text"])
        want = v["checkpoint"]
        assert cp == Checkpoint(want["origin"], want["size"], _b64(want["root_b64"]), ())


def test_signed_note_must_reject(vectors_dir: Path) -> None:
    rejects = _notes(vectors_dir)["must_reject"]
    assert rejects
    for v in rejects:
        with pytest.raises(VerificationError):
            verify_note(v["note"], v["vkeys"])


def _tamper_cases(note: str) -> dict[str, str]:
    """Malformed variants of a valid one-signature note."""
    text, sig_line = note.rsplit("\n\n", 1)
    return {
        "no final newline": note[:-1],
        "no signature": text + "\n\n",
        "hyphen instead of em dash": note.replace("\u2014", "-"),
        "no space after dash": note.replace("\u2014 ", "\u2014"),
        "control character": note.replace("\n\n", "\r\n\n", 1),
        "tab in text": "\t" + note,
        "blank line in signatures": note + "\n",
        "trailing garbage line": note + "garbage\n",
        "non-canonical base64": _noncanonical(note),
        "sig too short": text + "\n\n\u2014 PeterNeumann AAAA\n",
        "key name with plus": note.replace("\u2014 PeterNeumann", "\u2014 Peter+Neumann"),
        "duplicate signature": note + sig_line,
    }


def _noncanonical(note: str) -> str:
    """Set a padding bit in the last signature's base64 (decodes leniently to the same bytes)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    assert note.endswith("=\n") and not note.endswith("==\n")
    last = alphabet.index(note[-3])
    assert last & 3 == 0
    return note[:-3] + alphabet[last | 1] + "=\n"


def test_malformed_notes_are_rejected(vectors_dir: Path) -> None:
    v = _note_vector(vectors_dir, "go-note-peterneumann")
    assert verify_note(v["note"], v["vkeys"]) == v["text"]
    for why, bad in _tamper_cases(v["note"]).items():
        assert bad != v["note"], why
        with pytest.raises(VerificationError):
            verify_note(bad, v["vkeys"])
            pytest.fail(f"accepted: {why}")


def test_text_with_blank_lines_splits_at_the_last_one() -> None:
    """signed-note: "the text is separated from the signatures by the last empty line"."""
    text = "first paragraph\n\nsecond paragraph\n"
    note = sign_note(text, SKEY)
    assert note.count("\n\n") == 2
    assert verify_note(note, [VKEY]) == text


def test_control_characters_are_rejected_even_when_signed() -> None:
    """signed-note: notes "MUST NOT contain any ASCII control characters (those below U+0020)
    other than newline". Signed here with raw Ed25519, since sign_note refuses such text."""
    seed = bytes(range(32))
    keyid = parse_vkey(VKEY).keyid
    for text in ["tab\there\n", "crlf\r\n", "nul\x00\n"]:
        sig = Ed25519PrivateKey.from_private_bytes(seed).sign(text.encode())
        note = f"{text}\n\u2014 {ORIGIN} {base64.b64encode(keyid + sig).decode()}\n"
        with pytest.raises(VerificationError):
            verify_note(note, [VKEY])
        with pytest.raises(VerificationError):
            sign_note(text, SKEY)


def test_bad_signature_by_a_trusted_key_rejects_the_note(vectors_dir: Path) -> None:
    """signed-note: "If a signature from a known key fails to verify, clients SHOULD reject the
    whole note." — even when another trusted key's signature is valid."""
    v = _note_vector(vectors_dir, "go-note-two-signers-one-known")
    known = _note_vector(vectors_dir, "go-note-peterneumann")["vkeys"]
    other = v["unknown_vkeys"]
    lines = v["note"].split("\n")
    enoch = lines[-2]
    sig = bytearray(_b64(enoch.split(" ")[2]))
    sig[10] ^= 1
    lines[-2] = f"\u2014 EnochRoot {base64.b64encode(bytes(sig)).decode()}"
    bad = "\n".join(lines)
    assert verify_note(bad, known) == v["text"]  # the broken signature is by an unknown key
    with pytest.raises(VerificationError):
        verify_note(bad, known + other)


def test_same_name_other_keyid_is_ignored(vectors_dir: Path) -> None:
    """ "Verifiers MUST ignore signatures from unknown keys, even if they share a name or ID
    (but not both) with a known key.\""""
    v = _note_vector(vectors_dir, "go-note-peterneumann")
    impostor, _ = _make_keys("PeterNeumann", b"\x07" * 32)
    signed = sign_note(v["text"], impostor)
    both = v["note"] + signed.rsplit("\n\n", 1)[1]
    assert verify_note(both, v["vkeys"]) == v["text"]
    with pytest.raises(VerificationError):
        verify_note(signed, v["vkeys"])


def test_bad_keys_are_rejected(vectors_dir: Path) -> None:
    v = _note_vector(vectors_dir, "go-note-peterneumann")
    vkey, skey = v["vkeys"][0], v["skey"]
    name, hex_id, b64 = vkey.split("+")
    wrong_id = f"{int(hex_id, 16) ^ 1:08x}"
    type2 = base64.b64encode(b"\x02" + _b64(b64)[1:]).decode()
    for bad in [
        f"{name}+{wrong_id}+{b64}",
        f"{name}x+{hex_id}+{b64}",
        f"{name}+{hex_id[:7]}+{b64}",
        f"{name}+{hex_id}",
        f"+{hex_id}+{b64}",
        f"{name}+{hex_id}+{type2}",
        f"{name}+{hex_id}+{b64}+",
    ]:
        with pytest.raises(VerificationError):
            parse_vkey(bad)
    for bad in [skey.replace("PRIVATE+KEY+", ""), skey.replace(hex_id, wrong_id)]:
        with pytest.raises(VerificationError):
            sign_note(v["text"], bad)
    with pytest.raises(VerificationError):
        sign_note(v["text"].rstrip("\n"), skey)


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------

ROOT = base64.b64encode(bytes(range(32))).decode()
URLSAFE_ROOT = base64.urlsafe_b64encode(b"\xff" * 32).decode()


def test_checkpoint_parsing() -> None:
    cp = parse_checkpoint(f"example.com/log\n0\n{ROOT}\n")
    assert cp == Checkpoint("example.com/log", 0, bytes(range(32)), ())
    cp = parse_checkpoint(f"o\n18446744073709551615\n{ROOT}\next one\next two\n")
    assert cp.size == 2**64 - 1 and cp.extensions == ("ext one", "ext two")


@pytest.mark.parametrize(
    "text",
    [
        f"o\n01\n{ROOT}\n",
        f"o\n+1\n{ROOT}\n",
        f"o\n 1\n{ROOT}\n",
        f"o\n1 \n{ROOT}\n",
        f"o\n\u0661\n{ROOT}\n",
        f"o\n18446744073709551616\n{ROOT}\n",
        f"o\n1\n{ROOT}",
        f"\n1\n{ROOT}\n",
        f"o\n1\n{ROOT}\n\n",
        f"o\n1\n{ROOT}\n\next\n",
        "o\n1\n\n",
        "o\n1\n",
        f"o\n1\n{ROOT[:-1]}\n",
        f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n",
        f"o\n1\n{URLSAFE_ROOT}\n",
        f"o\n1\n{ROOT[:-2]}B=\n",
    ],
)
def test_checkpoint_rejects(text: str) -> None:
    with pytest.raises(VerificationError):
        parse_checkpoint(text)


# --------------------------------------------------------------------------------------------
# tlog-proof and consistency proof text, with a locally generated key
# --------------------------------------------------------------------------------------------


def _make_keys(name: str, seed: bytes) -> tuple[str, str]:
    """(skey, vkey) in the note key encodings, computed here from the signed-note spec."""
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    keyid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4].hex()
    seed_b64 = base64.b64encode(b"\x01" + seed).decode()
    pub_b64 = base64.b64encode(b"\x01" + pub).decode()
    skey = f"PRIVATE+KEY+{name}+{keyid}+{seed_b64}"
    vkey = f"{name}+{keyid}+{pub_b64}"
    return skey, vkey


ORIGIN = "ledger.example-plant.cn/CN3301"
SKEY, VKEY = _make_keys(ORIGIN, bytes(range(32)))
ENTRIES = [f'{{"v":1,"index":{i}}}'.encode() for i in range(11)]


def _checkpoint_note(size: int, origin: str = ORIGIN, skey: str = SKEY) -> str:
    root = root_from_leaves([leaf_hash(e) for e in ENTRIES[:size]])
    return sign_note(f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n", skey)


def _tlog_proof(index: int, size: int, extra: str | None = None, **kw: str) -> str:
    leaves = [leaf_hash(e) for e in ENTRIES[:size]]
    lines = ["c2sp.org/tlog-proof@v1"]
    if extra is not None:
        lines.append(f"extra {extra}")
    lines.append(f"index {index}")
    lines += [base64.b64encode(h).decode() for h in _inclusion_proof(leaves, index)]
    return "\n".join(lines) + "\n\n" + _checkpoint_note(size, **kw)


def test_tlog_proof_verifies() -> None:
    for size in (1, 2, 7, 11):
        for index in range(size):
            proof_text = _tlog_proof(index, size)
            cp = verify_tlog_proof(
                proof_text, ENTRIES[index], [VKEY], require_origin_is_key_name=True
            )
            assert (cp.origin, cp.size) == (ORIGIN, size)
            parsed = parse_tlog_proof(proof_text)
            assert parsed.index == index and parsed.extra is None
            assert parsed.checkpoint_note == _checkpoint_note(size)


def test_tlog_proof_with_extra_line() -> None:
    proof_text = _tlog_proof(3, 7, extra="aGVsbG8=")
    assert parse_tlog_proof(proof_text).extra == b"hello"
    verify_tlog_proof(proof_text, ENTRIES[3], [VKEY])


def test_tlog_proof_origin_must_be_key_name_when_required() -> None:
    other_skey, other_vkey = _make_keys("someone.else/key", b"\x05" * 32)
    proof_text = _tlog_proof(2, 5, skey=other_skey)
    verify_tlog_proof(proof_text, ENTRIES[2], [other_vkey])
    with pytest.raises(VerificationError):
        verify_tlog_proof(proof_text, ENTRIES[2], [other_vkey], require_origin_is_key_name=True)


def test_tlog_proof_rejects() -> None:
    good = _tlog_proof(3, 7)
    verify_tlog_proof(good, ENTRIES[3], [VKEY])
    header, rest = good.split("\n", 1)
    index_line, rest2 = rest.split("\n", 1)
    first_hash, after = rest2.split("\n", 1)
    _, other_vkey = _make_keys(ORIGIN, b"\x09" * 32)
    flipped = base64.b64encode(bytes([_b64(first_hash)[0] ^ 1]) + _b64(first_hash)[1:]).decode()
    cases: dict[str, tuple[str, bytes, list[str]]] = {
        "wrong entry": (good, ENTRIES[4], [VKEY]),
        "untrusted key": (good, ENTRIES[3], [other_vkey]),
        "no keys": (good, ENTRIES[3], []),
        "wrong index": (good.replace("index 3", "index 2"), ENTRIES[3], [VKEY]),
        "leading zero index": (good.replace("index 3", "index 03"), ENTRIES[3], [VKEY]),
        "signed index": (good.replace("index 3", "index +3"), ENTRIES[3], [VKEY]),
        "misspelled index": (good.replace("index 3", "Index 3"), ENTRIES[3], [VKEY]),
        "bad header": (good.replace("@v1", "@v2"), ENTRIES[3], [VKEY]),
        "no index": (f"{header}\n{rest2}", ENTRIES[3], [VKEY]),
        "extra after index": (
            f"{header}\n{index_line}\nextra aGVsbG8=\n{rest2}",
            ENTRIES[3],
            [VKEY],
        ),
        "bad extra": (f"{header}\nextra !!\n{rest}", ENTRIES[3], [VKEY]),
        "unknown line": (f"{header}\n{index_line}\ncomment hi\n{rest2}", ENTRIES[3], [VKEY]),
        "flipped hash": (f"{header}\n{index_line}\n{flipped}\n{after}", ENTRIES[3], [VKEY]),
        "dropped hash": (f"{header}\n{index_line}\n{after}", ENTRIES[3], [VKEY]),
        "short hash": (
            f"{header}\n{index_line}\n{base64.b64encode(bytes(31)).decode()}\n{after}",
            ENTRIES[3],
            [VKEY],
        ),
        "no blank line": (good.replace("\n\n", "\n", 1), ENTRIES[3], [VKEY]),
        "no checkpoint": (good.split("\n\n", 1)[0] + "\n\n", ENTRIES[3], [VKEY]),
        "checkpoint of another size": (
            good.split("\n\n", 1)[0] + "\n\n" + _checkpoint_note(8),
            ENTRIES[3],
            [VKEY],
        ),
        "tampered checkpoint": (good.replace("\n7\n", "\n8\n"), ENTRIES[3], [VKEY]),
    }
    for why, (text, entry, vkeys) in cases.items():
        assert text != good or why in {"wrong entry", "untrusted key", "no keys"}, why
        with pytest.raises(VerificationError):
            verify_tlog_proof(text, entry, vkeys)
            pytest.fail(f"accepted: {why}")


def test_consistency_proof_text_between_checkpoints() -> None:
    leaves = [leaf_hash(e) for e in ENTRIES]
    old = parse_checkpoint(verify_note(_checkpoint_note(3), [VKEY]))
    new = parse_checkpoint(verify_note(_checkpoint_note(11), [VKEY]))
    proof = _consistency_proof(leaves, 3)
    text = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    assert parse_consistency_proof(text) == proof
    assert parse_consistency_proof("") == []
    verify_checkpoint_consistency(old, new, text)
    verify_checkpoint_consistency(new, new, "")

    other = Checkpoint("other/log", new.size, new.root, ())
    for bad_old, bad_new, bad_text in [
        (new, old, text),
        (old, other, text),
        (old, new, ""),
        (old, new, text.rstrip("\n")),
        (old, new, text + "\n"),
        (old, new, "\n" + text),
        (old, new, text.replace("=\n", "\n", 1)),
        (old, new, text.replace("\n", "\r\n")),
        (new, new, text),
    ]:
        with pytest.raises(VerificationError):
            verify_checkpoint_consistency(bad_old, bad_new, bad_text)
