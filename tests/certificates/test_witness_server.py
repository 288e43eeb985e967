"""The witness over real HTTP (a threaded werkzeug server on a local port), fed by real plant
ledgers on SQLite: what it cosigns, what it refuses and with which status, and that its state
survives a restart and concurrent requests."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from witness_helpers import ORIGIN, body, grow, new_ledger, post, serving

from ledger.checkpoint import Checkpoint
from ledger.note import Signer, new_signer, sign
from ledger.proof import consistency_text
from ledger.witness.cosignature import Cosigner
from ledger.witness.server import Witness
from ledger.witness.state import WitnessState


@pytest.fixture
def plant_key() -> Signer:
    return new_signer(ORIGIN)


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner("witness.test.example/w1", Ed25519PrivateKey.generate())


@pytest.fixture
def state(tmp_path: Path, plant_key: Signer) -> WitnessState:
    state = WitnessState(tmp_path / "witness" / "witness.db")
    state.create()
    state.add_log(ORIGIN, plant_key.verifier.vkey)
    return state


@pytest.fixture
def url(cosigner: Cosigner, state: WitnessState) -> Iterator[str]:
    with serving(Witness(cosigner, state)) as url:
        yield url


def test_cosigns_a_consistent_sequence(tmp_path, plant_key, cosigner, state, url):
    ledger = new_ledger(tmp_path / "plant.db")
    old = 0
    for step in (3, 1, 5, 8):
        grow(ledger, step)
        signed = ledger.checkpoint(plant_key)
        status, _, answer = post(url, body(ledger, signed, old))
        assert status == 200, answer
        assert answer.startswith("— witness.test.example/w1 ") and answer.endswith("\n")
        assert cosigner.verifier.verify(signed.note + answer) is not None
        old = signed.checkpoint.size
        assert state.latest(ORIGIN).size == old
    # The same checkpoint again is cosigned again (nothing changes).
    assert post(url, body(ledger, signed, old))[0] == 200


def test_same_size_with_another_root_is_refused(tmp_path, plant_key, state, url):
    honest, forked = new_ledger(tmp_path / "a.db"), new_ledger(tmp_path / "b.db")
    grow(honest, 4, "SC-1")
    grow(forked, 4, "SC-2")
    a, b = honest.checkpoint(plant_key), forked.checkpoint(plant_key)
    assert a.checkpoint.size == b.checkpoint.size and a.checkpoint.root != b.checkpoint.root
    assert post(url, body(honest, a, 0))[0] == 200
    status, _, answer = post(url, body(forked, b, 4))
    assert status == 409 and "fork" in answer
    # Growing the forked log does not help: its tree does not extend the cosigned one.
    grow(forked, 3, "SC-2")
    status, _, answer = post(url, body(forked, forked.checkpoint(plant_key), 4))
    assert status == 422 and "does not verify" in answer
    assert state.latest(ORIGIN).root == a.checkpoint.root
    assert [log.evidence for log in state.logs()] == [2]


def test_rollback_is_refused(tmp_path, plant_key, state, url):
    ledger = new_ledger(tmp_path / "plant.db")
    grow(ledger, 3)
    small = ledger.checkpoint(plant_key)
    grow(ledger, 4)
    large = ledger.checkpoint(plant_key)
    assert post(url, body(ledger, large, 0))[0] == 200
    status, content_type, answer = post(url, body(ledger, small, 7))
    assert status == 400 and "never cosigns a smaller tree" in answer
    status, content_type, answer = post(url, body(ledger, small, 3))
    assert (status, content_type, answer) == (409, "text/x.tlog.size", "7\n")
    assert state.latest(ORIGIN).size == 7


def test_wrong_old_size_gets_the_known_size(tmp_path, plant_key, url):
    ledger = new_ledger(tmp_path / "plant.db")
    grow(ledger, 2)
    first = ledger.checkpoint(plant_key)
    assert post(url, body(ledger, first, 0))[0] == 200
    grow(ledger, 2)
    status, content_type, answer = post(url, body(ledger, ledger.checkpoint(plant_key), 0))
    assert (status, content_type, answer) == (409, "text/x.tlog.size", "2\n")


def test_bad_signature_unknown_origin_bad_proof_and_malformed(tmp_path, plant_key, url):
    ledger = new_ledger(tmp_path / "plant.db")
    grow(ledger, 5)
    signed = ledger.checkpoint(plant_key)
    text = signed.checkpoint.text()
    impostor = sign(text, [Signer(ORIGIN, Ed25519PrivateKey.generate())])
    status, _, answer = post(url, f"old 0\n\n{impostor}")
    assert status == 403 and "not signed by a key trusted" in answer
    stranger = new_signer("ledger.unknown.example/X")
    other = Checkpoint("ledger.unknown.example/X", 5, signed.checkpoint.root).text()
    status, _, answer = post(url, f"old 0\n\n{sign(other, [stranger])}")
    assert status == 404 and "does not follow" in answer
    status, _, answer = post(url, f"old 0\n{'A' * 43}=\n\n{signed.note}")
    assert status == 422  # a proof when old is 0
    assert post(url, body(ledger, signed, 0))[0] == 200
    grow(ledger, 3)
    later = ledger.checkpoint(plant_key)
    proof = ledger.consistency_hashes(5, 8)
    proof[0] = bytes(32)
    status, _, answer = post(url, f"old 5\n{consistency_text(proof)}\n{later.note}")
    assert status == 422 and "does not verify" in answer
    for bad in ("", "old 05\n\n" + later.note, "old 5\n" + later.note,
                "old 5\nnot-base64\n\n" + later.note, "old 5\n\nnot a note\n"):
        assert post(url, bad)[0] == 400, bad
    request = urllib.request.Request(url + "/add-checkpoint")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 405


def test_restart_keeps_state(tmp_path, plant_key, cosigner, state):
    ledger = new_ledger(tmp_path / "plant.db")
    grow(ledger, 6)
    signed = ledger.checkpoint(plant_key)
    with serving(Witness(cosigner, state)) as url:
        assert post(url, body(ledger, signed, 0))[0] == 200
    restarted = WitnessState(state.path)
    with serving(Witness(cosigner, restarted)) as url:
        assert post(url, body(ledger, signed, 0))[:3] == (409, "text/x.tlog.size", "6\n")
        grow(ledger, 1)
        assert post(url, body(ledger, ledger.checkpoint(plant_key), 6))[0] == 200
    assert WitnessState(state.path).latest(ORIGIN).size == 7


def test_concurrent_requests_from_one_size_advance_once(tmp_path, plant_key, state, url):
    """Every request claims the same old size; exactly one wins, the rest learn its size."""
    ledger = new_ledger(tmp_path / "plant.db")
    grow(ledger, 3)
    base = ledger.checkpoint(plant_key)
    assert post(url, body(ledger, base, 0))[0] == 200
    bodies = []
    for _ in range(8):
        grow(ledger, 1)
        bodies.append(body(ledger, ledger.checkpoint(plant_key), 3))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda b: post(url, b), bodies))
    winners = [i for i, r in enumerate(results) if r[0] == 200]
    assert len(winners) == 1, results
    won = 4 + winners[0]
    assert all(r == (409, "text/x.tlog.size", f"{won}\n") for r in results if r[0] != 200)
    assert state.latest(ORIGIN).size == won
