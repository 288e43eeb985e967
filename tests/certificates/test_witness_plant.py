"""The plant's side: asking real witnesses (served on local ports) to cosign, keeping their
cosignatures, and the inspector's policy over the cosigned checkpoint."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from witness_helpers import ORIGIN, body, grow, new_ledger, post, serving

from ledger.log import Ledger
from ledger.note import Signer, new_signer
from ledger.witness.cosignature import Cosigner
from ledger.witness.plant import (
    WitnessRequestError,
    cosigned_note,
    latest_cosigned,
    request_cosignature,
    witnessed_size,
)
from ledger.witness.policy import Policy
from ledger.witness.server import Witness
from ledger.witness.state import WitnessState


def start_witness(stack: ExitStack, tmp_path: Path, name: str, plant_key: Signer
                  ) -> tuple[Cosigner, str]:
    cosigner = Cosigner(f"witness.test.example/{name}", Ed25519PrivateKey.generate())
    state = WitnessState(tmp_path / name / "witness.db")
    state.create()
    state.add_log(ORIGIN, plant_key.verifier.vkey)
    return cosigner, stack.enter_context(serving(Witness(cosigner, state)))


@pytest.fixture
def plant_key() -> Signer:
    return new_signer(ORIGIN)


def test_quorum_two_of_three_end_to_end(tmp_path, plant_key):
    ledger = new_ledger(tmp_path / "plant.db")
    grow(ledger, 5)
    with ExitStack() as stack:
        witnesses = {n: start_witness(stack, tmp_path, n, plant_key) for n in ("A", "B", "C")}
        policy = Policy.parse(f"log {plant_key.verifier.vkey}\n" + "".join(
            f"witness {n} {c.verifier.vkey} {url}\n" for n, (c, url) in witnesses.items())
            + "group two 2 A B C\nquorum two\n")
        cosigner, url = witnesses["A"]
        first = request_cosignature(ledger, plant_key, url, cosigner.verifier)
        ok, detail = policy.check(first.note)
        assert not ok and "cosigned by A" in detail and "NOT met" in detail
        cosigner, url = witnesses["C"]
        second = request_cosignature(ledger, plant_key, url, cosigner.verifier)
        ok, detail = policy.check(second.note)
        assert ok, detail
        assert "cosigned by A" in detail and "C (" in detail
        # The log grows; A follows with a consistency proof from what it cosigned.
        grow(ledger, 4)
        cosigner, url = witnesses["A"]
        third = request_cosignature(ledger, plant_key, url, cosigner.verifier)
        assert third.checkpoint.checkpoint.size == 9
        assert witnessed_size(ledger, cosigner.verifier) == 9
        assert not policy.check(third.note)[0]  # only A so far at size 9
    latest = latest_cosigned(ledger)
    assert latest is not None and latest.checkpoint.size == 9
    assert latest.note == third.note


def test_conflict_is_resolved_from_the_witness_size(tmp_path, plant_key):
    """Our records say nothing (e.g. restored from an older backup of cosignatures); the
    witness answers 409 with its size and the plant proves consistency from there."""
    ledger = new_ledger(tmp_path / "plant.db")
    grow(ledger, 3)
    with ExitStack() as stack:
        cosigner, url = start_witness(stack, tmp_path, "A", plant_key)
        assert post(url, body(ledger, ledger.checkpoint(plant_key), 0))[0] == 200
        assert witnessed_size(ledger, cosigner.verifier) == 0
        grow(ledger, 2)
        result = request_cosignature(ledger, plant_key, url, cosigner.verifier)
        assert result.checkpoint.checkpoint.size == 5
        assert cosigner.verifier.verify(result.note) == result.timestamp


def test_refusals_are_explained(tmp_path, plant_key):
    honest, forked = new_ledger(tmp_path / "a.db"), new_ledger(tmp_path / "b.db")
    grow(honest, 4)
    grow(forked, 4, "SC-2")
    with ExitStack() as stack:
        cosigner, url = start_witness(stack, tmp_path, "A", plant_key)
        request_cosignature(honest, plant_key, url, cosigner.verifier)
        with pytest.raises(WitnessRequestError, match=r"HTTP 409.*fork"):
            request_cosignature(forked, plant_key, url, cosigner.verifier)
        other = Cosigner("witness.test.example/other", Ed25519PrivateKey.generate())
        with pytest.raises(WitnessRequestError, match=r"no cosignature by witness\.test\.example/"
                                                      r"other"):
            request_cosignature(honest, plant_key, url, other.verifier)
        # The witness has cosigned 4 entries; a plant restored to 2 entries is told so.
        small = new_ledger(tmp_path / "c.db")
        grow(small, 2)
        with pytest.raises(WitnessRequestError, match=r"has cosigned 4 entries .* holds 2: the "
                                                      r"log was rolled back"):
            request_cosignature(small, plant_key, url, cosigner.verifier)
    with pytest.raises(WitnessRequestError, match="cannot reach the witness"):
        request_cosignature(honest, plant_key, url, cosigner.verifier)
    with pytest.raises(WitnessRequestError, match="must start with http"):
        request_cosignature(honest, plant_key, "ftp://x", cosigner.verifier)


def test_cosignatures_are_stored_once_per_witness(ledger: Ledger, tmp_path):
    """On SQLite and PostgreSQL: the note of a checkpoint gains each witness's line once."""
    plant_key = new_signer(ORIGIN)
    grow(ledger, 3)
    with ExitStack() as stack:
        a, url_a = start_witness(stack, tmp_path, "A", plant_key)
        b, url_b = start_witness(stack, tmp_path, "B", plant_key)
        request_cosignature(ledger, plant_key, url_a, a.verifier)
        request_cosignature(ledger, plant_key, url_a, a.verifier)
        request_cosignature(ledger, plant_key, url_b, b.verifier)
    signed = ledger.checkpoint(plant_key)
    note = cosigned_note(ledger, signed.note)
    assert note.startswith(signed.note)
    assert note.count("— witness.test.example/A ") == 1
    assert note.count("— witness.test.example/B ") == 1
    assert a.verifier.verify(note) and b.verifier.verify(note)
