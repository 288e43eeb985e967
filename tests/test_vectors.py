"""The project's own Merkle and signed-note code against every public vector in tests/vectors."""

import base64
import json
from pathlib import Path

import pytest
from conftest import VECTORS

from ledger import merkle, note
from ledger.checkpoint import Checkpoint


def _files(kind: str) -> list[Path]:
    return sorted((VECTORS / "rfc6962" / kind).rglob("*.json"))


def _b64(values):
    return [base64.b64decode(v) if v is not None else b"" for v in values or []]


@pytest.fixture(autouse=True)
def _vectors_present(vectors_dir):
    assert vectors_dir == VECTORS


def _case_id(path: Path) -> str:
    return str(path.relative_to(VECTORS / "rfc6962"))


@pytest.mark.parametrize("path", _files("inclusion"), ids=_case_id)
def test_inclusion_vectors(path):
    case = json.loads(path.read_text())
    args = (case["leafIdx"], case["treeSize"], base64.b64decode(case["leafHash"] or ""),
            _b64(case["proof"]), base64.b64decode(case["root"] or ""))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _files("consistency"), ids=_case_id)
def test_consistency_vectors(path):
    case = json.loads(path.read_text())
    args = (case["size1"], case["size2"], base64.b64decode(case["root1"] or ""),
            base64.b64decode(case["root2"] or ""), _b64(case["proof"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_vector_folders_are_not_empty():
    assert len(_files("inclusion")) > 50 and len(_files("consistency")) > 50


def test_reference_roots_for_every_size():
    ref = json.loads((VECTORS / "rfc6962-reference.json").read_text())
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in ref["leaves_hex"]]
    for size, root_hex in enumerate(ref["roots_hex"]):
        nodes = {}
        frontier: list[bytes] = []
        for i, leaf in enumerate(leaves[:size]):
            for level, idx, h in merkle.grow(frontier, i, leaf):
                nodes[(level, idx)] = h
        assert merkle.root_from(size, nodes).hex() == root_hex


SIGNED = json.loads((VECTORS / "signed-note.json").read_text()) if VECTORS.is_dir() else {}


@pytest.mark.parametrize("case", SIGNED.get("vectors", []), ids=lambda c: c["name"])
def test_signed_notes_verify(case):
    verifiers = [note.Verifier.parse(k) for k in case["vkeys"]]
    text, signed_by = note.open_note(case["note"], verifiers)
    assert text == case["text"] and signed_by
    if "checkpoint" in case:
        cp = Checkpoint.parse(text)
        want = case["checkpoint"]
        assert (cp.origin, cp.size, base64.b64encode(cp.root).decode()) == (
            want["origin"], want["size"], want["root_b64"])
    if "skey" in case:
        signer = note.Signer.parse(case["skey"])
        assert note.sign(case["text"], [signer]) == case["note"]  # byte for byte
        assert signer.verifier.vkey == case["vkeys"][0]


@pytest.mark.parametrize("case", SIGNED.get("must_reject", []), ids=lambda c: c["why"])
def test_signed_notes_rejected(case):
    with pytest.raises(note.NoteError):
        note.open_note(case["note"], [note.Verifier.parse(k) for k in case["vkeys"]])


def test_note_with_only_unknown_signers_is_rejected():
    case = SIGNED["vectors"][0]
    stranger = note.new_signer("stranger.example/log")
    with pytest.raises(note.NoteError, match="no trusted key"):
        note.open_note(case["note"], [stranger.verifier])


def test_non_canonical_base64_is_refused_everywhere():
    from ledger.encoding import decode_base64

    assert decode_base64("AB==") is None  # 'B' carries padding bits: canonical is "AA=="
    assert decode_base64("AA==") == b"\x00"
    case = SIGNED["vectors"][3]
    text, sigline = case["note"].rsplit("— sum.golang.org ", 1)
    b64 = sigline.strip()
    bent = b64[:-2] + chr(ord(b64[-2]) + 1) + b64[-1]  # flip a padding bit of the last char
    assert bent != b64 and decode_base64(bent) is None
    with pytest.raises(note.NoteError):
        note.open_note(f"{text}— sum.golang.org {bent}\n",
                       [note.Verifier.parse(k) for k in case["vkeys"]])
