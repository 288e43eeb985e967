"""Appending, idempotency, invariants, proofs and checkpoints, on SQLite and PostgreSQL.

Proofs and checkpoints are checked with tests/spec_verifier.py, written from the specs alone.
"""

import base64
import random

import pytest
import spec_verifier as spec
from factories import SigningStation, calibration, depolluted, event_obj, plant, received

from ledger import merkle
from ledger.events import parse_event
from ledger.log import AppendError, LedgerError, Submission
from ledger.note import new_signer
from ledger.proof import InclusionProof, consistency_text

ORIGIN = "ledger.test-plant.example/T1"


def test_entries_chain_and_are_returned_byte_for_byte(empty_ledger):
    ledger = empty_ledger
    results = ledger.append([calibration(), calibration("SC-2"), calibration()])
    assert [r.index for r in results] == [0, 1, 2]
    prev = "0" * 64
    for r in results:
        body = ledger.entry(r.index)
        entry = __import__("json").loads(body)
        assert entry["prev"] == prev and entry["index"] == r.index and entry["v"] == 1
        assert merkle.leaf_hash(body) == r.leaf_hash
        prev = r.leaf_hash.hex()
    assert [__import__("json").loads(ledger.entry(i))["subject_prev"] for i in range(3)] == [
        None, None, 0]


def test_same_id_same_content_returns_existing_entry(empty_ledger):
    ledger = empty_ledger
    sub = calibration()
    first = ledger.append([sub])[0]
    again = ledger.append([sub, sub])
    assert [a.index for a in again] == [first.index, first.index]
    assert all(a.existed for a in again) and ledger.size() == 1


def test_same_id_other_content_is_refused_and_nothing_written(empty_ledger):
    ledger = empty_ledger
    obj = event_obj("scale.calibrated", "scale:SC-1",
                    {"reference_g": 10_000, "reading_g": 10_001, "tolerance_g": 5, "passed": True})
    ledger.append([Submission(parse_event(obj))])
    changed = {**obj, "data": {**obj["data"], "reading_g": 10_002}}
    with pytest.raises(AppendError, match="already logged at entry 0 with other content"):
        ledger.append([calibration(), Submission(parse_event(changed))])
    assert ledger.size() == 1


def test_batch_is_all_or_nothing(ledger):
    label = "unit:CN3301-2026-0000001"
    ok = plant("unit.received", label, received(label))
    with pytest.raises(AppendError) as err:
        ledger.append([calibration(), ok, plant("unit.received", label, received(label))])
    assert err.value.position == 2 and "already received" in str(err.value)
    assert err.value.rule == "duplicate_label"
    assert ledger.size() == 1  # the catalogue alone


def test_unit_invariants(ledger):
    label = "unit:CN3301-2026-0000002"
    with pytest.raises(AppendError, match="has not been weighed in"):
        ledger.append([plant("refrigerant.absent", label, {"reason": "circuit_empty"})])
    lot = "lot:LOT-CMP"
    ledger.append([plant("lot.opened", lot, {"fraction": "compressor", "hazardous": False}),
                   plant("unit.received", label, received(label, trade_in_code="TI-1")),
                   plant("refrigerant.absent", label, {"reason": "circuit_empty"}),
                   plant("component.removed", label, {"component": "compressor_oil",
                                                      "count": 1}),
                   plant("material.output", label, {"fraction": "compressor", "mass_g": 9_000,
                                                    "lot": "LOT-CMP", "scale": "SC-3"}),
                   plant("unit.completed", label, {})])
    with pytest.raises(AppendError, match="already completed") as err:
        ledger.append([plant("refrigerant.absent", label, {"reason": "circuit_empty"})])
    assert err.value.rule == "already_completed"
    other = "unit:CN3301-2026-0000003"
    with pytest.raises(AppendError,
                       match=r"Trade-in code TI-1 was already received.*rule duplicate_trade_in"):
        ledger.append([plant("unit.received", other, received(other, trade_in_code="TI-1"))])


def test_station_events_need_a_valid_signature_from_a_registered_key(ledger):
    station, stranger = SigningStation("ST-01"), SigningStation("ST-01")
    label = "unit:CN3301-2026-0000004"
    obj = event_obj("unit.received", label, received(label), station="ST-01")
    with pytest.raises(AppendError, match="not registered"):
        ledger.append([station.sign(obj)])
    ledger.append([station.registration()])
    with pytest.raises(AppendError, match=r"before .* was registered then") as err:
        ledger.append([station.sign(obj)])
    assert err.value.rule == "time_too_early"
    obj = event_obj("unit.received", label, received(label), station="ST-01")
    with pytest.raises(AppendError, match="does not verify"):
        ledger.append([stranger.sign(obj)])
    tampered = station.sign(obj)
    altered = parse_event({**obj, "data": {**obj["data"], "gross_g": 1}})
    with pytest.raises(AppendError, match="does not verify"):
        ledger.append([Submission(altered, tampered.station_sig)])
    assert ledger.append([station.sign(obj)])[0].index == 2
    ledger.append([plant("station.revoked", "station:ST-01",
                         {"reason": "stolen", "approved_by": "A-0001"})])
    with pytest.raises(AppendError, match="not registered and active"):
        ledger.append([station.submit("refrigerant.absent", label, {"reason": "circuit_empty"})])


def test_correction_is_applied_by_the_projection_and_rebuild_agrees(ledger):
    from ledger.projections import rebuild
    from ledger.store import execute, read_transaction, write_transaction

    label = "unit:CN3301-2026-0000005"
    lot = "lot:LOT-STEEL"
    ledger.append([plant("lot.opened", lot, {"fraction": "steel", "hazardous": False}),
                   plant("unit.received", label, received(label)), *depolluted(label),
                   plant("material.output", label, {"fraction": "steel", "mass_g": 9_000,
                                                    "lot": "LOT-STEEL", "scale": "SC-3"})])
    ledger.append([plant("correction", label, {"corrects": 5, "reason": "typo: 900 g",
                                               "approved_by": "M-0001", "set": {"mass_g": 900}})])

    def unit_row():
        with read_transaction(ledger.engine) as conn:
            return execute(conn, "SELECT outputs_g, last_index FROM units WHERE label = ?",
                           (label.split(":", 1)[1],)).fetchone()

    assert tuple(unit_row()) == (900, 6)
    with write_transaction(ledger.engine) as conn:
        assert rebuild(conn) == 7
    assert tuple(unit_row()) == (900, 6)
    with pytest.raises(AppendError, match="not about"):
        ledger.append([plant("correction", label, {"corrects": 1, "reason": "x",
                                                   "approved_by": "M-0001", "void": True})])


def _grow_log(ledger, n: int, signer) -> list[str]:
    """Append n random events one by one, signing a checkpoint at every size."""
    rng = random.Random(n)
    notes = []
    for _ in range(n):
        scale = f"SC-{rng.randrange(5)}"
        ledger.append([plant("scale.calibrated", f"scale:{scale}",
                             {"reference_g": rng.randrange(1, 10**6), "reading_g": 0,
                              "tolerance_g": 10**6, "passed": True})])
        notes.append(ledger.checkpoint(signer).note)
    return notes


def test_proofs_verify_with_the_spec_verifier_for_every_size_and_index(tmp_path):
    from ledger.log import Ledger
    from ledger.store import migrate, open_engine

    engine = open_engine(f"sqlite:///{tmp_path / 'l.db'}")
    migrate(engine)
    ledger = Ledger(engine)
    signer = new_signer(ORIGIN)
    vkeys = [signer.verifier.vkey]
    n = 300
    notes = _grow_log(ledger, n, signer)
    bodies = [ledger.entry(i) for i in range(n)]
    leaves = [spec.leaf_hash(b) for b in bodies]
    roots = []
    for size in range(1, n + 1):
        checkpoint = spec.parse_checkpoint(spec.verify_note(notes[size - 1], vkeys))
        assert checkpoint.size == size
        assert checkpoint.root == spec.root_from_leaves(leaves[:size])
        roots.append(checkpoint.root)
        for index in range(size):
            proof = InclusionProof(index, tuple(ledger.inclusion_hashes(index, size)),
                                   notes[size - 1]).text()
            assert spec.verify_tlog_proof(proof, bodies[index], vkeys).size == size
    for old in range(1, n + 1):
        for new in range(old, n + 1):
            text = consistency_text(ledger.consistency_hashes(old, new))
            spec.verify_consistency(old, new, roots[old - 1], roots[new - 1],
                                    spec.parse_consistency_proof(text))


def test_proofs_on_both_databases(empty_ledger):
    ledger = empty_ledger
    signer = new_signer(ORIGIN)
    notes = _grow_log(ledger, 37, signer)
    body = ledger.entry(20)
    proof = InclusionProof(20, tuple(ledger.inclusion_hashes(20, 37)), notes[-1]).text()
    spec.verify_tlog_proof(proof, body, [signer.verifier.vkey])
    with pytest.raises(spec.VerificationError):
        spec.verify_tlog_proof(proof, ledger.entry(21), [signer.verifier.vkey])


def test_checkpoint_is_reused_until_the_log_grows_and_all_are_kept(empty_ledger):
    ledger = empty_ledger
    signer = new_signer(ORIGIN)
    ledger.append([calibration()])
    first = ledger.checkpoint(signer)
    assert ledger.checkpoint(signer).note == first.note
    ledger.append([calibration()])
    second = ledger.checkpoint(signer)
    assert second.checkpoint.size == 2
    assert [c.checkpoint.size for c in ledger.checkpoints([signer.verifier])] == [1, 2]


def test_refuses_to_sign_a_tree_inconsistent_with_an_earlier_checkpoint(empty_ledger):
    ledger = empty_ledger
    from ledger.store import execute, write_transaction

    signer = new_signer(ORIGIN)
    ledger.append([calibration(), calibration()])
    ledger.checkpoint(signer)
    ledger.append([calibration()])
    # Forge an earlier checkpoint with another root at size 2, as if the log had forked.
    forged_root = bytes(32)
    from ledger.checkpoint import Checkpoint
    from ledger.note import sign

    note = sign(Checkpoint(ORIGIN, 2, forged_root).text(), [signer])
    other = new_signer(ORIGIN)
    with write_transaction(ledger.engine) as conn:
        execute(conn, "INSERT INTO ledger_checkpoints (size, key_id, root, note, signed_at) "
                "VALUES (?, ?, ?, ?, ?)", (2, other.verifier.key_id.hex(), forged_root, note,
                                           "2026-11-21T00:00:00.000Z"))
    with pytest.raises(LedgerError, match="not consistent"):
        ledger.checkpoint(signer)


def test_reading_beyond_the_log_is_a_clear_error(empty_ledger):
    ledger = empty_ledger
    ledger.append([calibration()])
    with pytest.raises(LedgerError, match="no entry 5"):
        ledger.entry(5)
    with pytest.raises(LedgerError, match="beyond the log's size"):
        ledger.inclusion_hashes(0, 9)
    with pytest.raises(LedgerError, match="no consistency proof"):
        ledger.consistency_hashes(2, 1)


def test_station_signature_covers_the_canonical_event_bytes():
    station = SigningStation()
    sub = station.submit("refrigerant.absent", "unit:CN3301-2026-0000009",
                         {"reason": "circuit_empty"})
    station.key.public_key().verify(base64.b64decode(sub.station_sig), sub.event.canonical)


def test_an_empty_log_has_a_signed_checkpoint_of_the_empty_tree(empty_ledger):
    """tlog-checkpoint defines the empty tree: size 0, root SHA-256 of nothing (issue 13,
    break 9: signing it divided by zero)."""
    signer = new_signer(ORIGIN)
    note = empty_ledger.checkpoint(signer).note
    checkpoint = spec.parse_checkpoint(spec.verify_note(note, [signer.verifier.vkey]))
    assert (checkpoint.size, checkpoint.root) == (0, merkle.EMPTY_ROOT)
    with pytest.raises(LedgerError, match="no consistency proof"):
        empty_ledger.consistency_hashes(1, 0)


def test_reading_a_stretch_of_entries_a_row_of_nodes_and_where_chains_end(empty_ledger):
    ledger = empty_ledger
    ledger.append([calibration(), calibration("SC-2"), calibration(), calibration("SC-3")])
    assert [(i, s) for i, s, _ in ledger.entries_between(1, 3)] == [(1, "scale:SC-2"),
                                                                    (2, "scale:SC-1")]
    assert [b for _, _, b in ledger.entries_between(0, 9)] == [ledger.entry(i) for i in range(4)]
    assert ledger.node_hashes(0, 1, 3) == [merkle.leaf_hash(ledger.entry(i)) for i in (1, 2)]
    assert ledger.node_hashes(2, 0, 1) == [ledger.root(4)]
    with pytest.raises(LedgerError, match=r"tree node \(1, 2\) is not stored"):
        ledger.node_hashes(1, 0, 3)
    assert ledger.subject_heads(["scale:SC-1", "scale:SC-3", "scale:none"], 4) == {
        "scale:SC-1": 2, "scale:SC-3": 3}
    assert ledger.subject_heads(["scale:SC-1", "scale:SC-3"], 2) == {"scale:SC-1": 0}


def test_the_latest_checkpoint_and_a_signed_size_in_a_range(empty_ledger):
    ledger, signer = empty_ledger, new_signer(ORIGIN)
    assert ledger.latest_checkpoint() is None and ledger.signed_size_between(0, 9) is None
    ledger.append([calibration(), calibration()])
    ledger.checkpoint(signer)
    ledger.append([calibration()])
    third = ledger.checkpoint(signer)
    assert ledger.latest_checkpoint() == third
    assert ledger.signed_size_between(0, 2 ** 64) == 2
    assert ledger.signed_size_between(3, 4) == 3 and ledger.signed_size_between(4, 9) is None


def test_a_signature_checked_before_the_lock_counts_only_with_the_key_in_force(ledger):
    """Appends verify signatures ahead of the write lock with each station's key as last
    seen; a station given a new key meanwhile has its events judged by the new key alone."""
    old, new = SigningStation("ST-07"), SigningStation("ST-07")
    ledger.append([old.registration()])
    ledger.append([old.submit("scale.calibrated", "scale:SC-7", {
        "reference_g": 1000, "reading_g": 1000, "tolerance_g": 1, "passed": True})])
    ledger.append([plant("station.revoked", "station:ST-07",
                         {"reason": "replaced", "approved_by": "A-0001"}), new.registration()])
    check = {"reference_g": 2000, "reading_g": 2000, "tolerance_g": 1, "passed": True}
    with pytest.raises(AppendError, match="does not verify"):
        ledger.append([old.submit("scale.calibrated", "scale:SC-7", check)])
    assert not ledger.append([new.submit("scale.calibrated", "scale:SC-7", check)])[0].existed
