"""The command line as a user runs it: init, append (good and bad input), entry, proofs, keys."""

import json
import uuid

import pytest
import spec_verifier as spec
from clihelp import dledger
from factories import event_obj, received

ORIGIN = "ledger.test-plant.example/CLI"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("instance")
    result = dledger(home, "init", "--origin", ORIGIN)
    assert result.returncode == 0, result.stderr
    return home


def _line(obj) -> str:
    return json.dumps(obj) + "\n"


def _size(home) -> int:
    result = dledger(home, "audit", "--json", "--no-signatures")
    return json.loads(result.stdout)["entries"]


def test_init_prints_only_the_verifier_key_and_encrypts_the_key(home):
    vkey = dledger(home, "key", "show").stdout.decode().strip()
    assert spec.parse_vkey(vkey).name == ORIGIN
    key_file = (home / "plant-key.json").read_text()
    assert "ciphertext" in key_file and "argon2id" in key_file and "PRIVATE" not in key_file
    assert (home / "plant-key.json").stat().st_mode & 0o077 == 0
    again = dledger(home, "init")
    assert again.returncode == 2 and b"already exists" in again.stderr


def test_init_refuses_without_a_passphrase_unless_told(tmp_path):
    result = dledger(tmp_path / "a", "init", env={"DLEDGER_KEY_PASSPHRASE": ""})
    assert result.returncode == 2 and b"DLEDGER_KEY_PASSPHRASE" in result.stderr
    demo = dledger(tmp_path / "b", "init", "--insecure-plaintext-key",
                   env={"DLEDGER_KEY_PASSPHRASE": ""})
    assert demo.returncode == 0 and b"UNENCRYPTED" in demo.stderr


def test_append_prints_one_line_per_event_and_entry_returns_exact_bytes(home):
    label = f"unit:CN3301-2026-{uuid.uuid4().int % 10**7:07d}"
    events = [event_obj("unit.received", label, received(label)),
              event_obj("refrigerant.absent", label, {"reason": "circuit_empty"})]
    result = dledger(home, "append", "-", stdin="".join(_line(e) for e in events))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == 2 and out[1]["index"] == out[0]["index"] + 1
    body = dledger(home, "entry", str(out[1]["index"])).stdout
    assert spec.leaf_hash(body).hex() == out[1]["leaf_hash"]
    assert json.loads(body)["event"] == events[1]
    retry = dledger(home, "append", stdin=_line(events[0]))
    assert json.loads(retry.stdout) == {**out[0], "existed": True}


BAD_INPUTS = {
    "malformed JSON": lambda ok: '{"id": "x",\n',
    "unknown type": lambda ok: _line({**ok, "type": "unit.teleported"}),
    "negative mass": lambda ok: _line({**ok, "data": {**ok["data"], "gross_g": -5}}),
    "float mass": lambda ok: _line({**ok, "data": {**ok["data"], "gross_g": 45.5}}),
    "missing field": lambda ok: _line({k: v for k, v in ok.items() if k != "operator"}),
    "unknown field": lambda ok: _line({**ok, "colour": "red"}),
    "unknown data field": lambda ok: _line({**ok, "data": {**ok["data"], "colour": "red"}}),
}
MESSAGES = {"malformed JSON": "malformed JSON", "unknown type": "unknown type 'unit.teleported'",
            "negative mass": "data.gross_g -5", "float mass": "data.gross_g 45.5",
            "missing field": "missing field 'operator'", "unknown field": "unknown field 'colour'",
            "unknown data field": "unknown field 'data.colour'"}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_names_the_line_and_appends_nothing(home, case):
    label = f"unit:CN3301-2026-{uuid.uuid4().int % 10**7:07d}"
    ok = event_obj("unit.received", label, received(label))
    before = _size(home)
    text = _line(ok) + BAD_INPUTS[case](ok)
    result = dledger(home, "append", stdin=text)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "line 2" in err and MESSAGES[case] in err and "nothing was appended" in err
    assert _size(home) == before


def test_duplicate_id_with_other_content_is_refused_with_its_line(home):
    label = f"unit:CN3301-2026-{uuid.uuid4().int % 10**7:07d}"
    ok = event_obj("unit.received", label, received(label))
    assert dledger(home, "append", stdin=_line(ok)).returncode == 0
    before = _size(home)
    other = event_obj("unit.received", "unit:CN3301-2026-7777777",
                      received("unit:CN3301-2026-7777777"))
    changed = {**ok, "data": {**ok["data"], "gross_g": 1}}
    result = dledger(home, "append", stdin=_line(other) + _line(changed))
    assert result.returncode == 2
    assert b"line 2: event id" in result.stderr and b"other content" in result.stderr
    assert _size(home) == before


def test_checkpoint_and_proofs_verify_with_the_spec_verifier(home):
    label = f"unit:CN3301-2026-{uuid.uuid4().int % 10**7:07d}"
    dledger(home, "append", stdin=_line(event_obj("unit.received", label, received(label))))
    vkey = dledger(home, "key", "show").stdout.decode().strip()
    note = dledger(home, "checkpoint").stdout.decode()
    checkpoint = spec.parse_checkpoint(spec.verify_note(note, [vkey]))
    assert checkpoint.origin == ORIGIN
    for index in (0, checkpoint.size - 1):
        proof = dledger(home, "proof", "inclusion", str(index), "--size", str(checkpoint.size))
        assert proof.returncode == 0, proof.stderr
        body = dledger(home, "entry", str(index)).stdout
        spec.verify_tlog_proof(proof.stdout.decode(), body, [vkey])
    old = checkpoint
    dledger(home, "append", stdin=_line(event_obj("refrigerant.absent", label,
                                                  {"reason": "circuit_empty"})))
    new = spec.parse_checkpoint(spec.verify_note(dledger(home, "checkpoint").stdout.decode(),
                                                 [vkey]))
    lines = dledger(home, "proof", "consistency", str(old.size), str(new.size)).stdout.decode()
    spec.verify_consistency(old.size, new.size, old.root, new.root,
                            spec.parse_consistency_proof(lines))
    missing = dledger(home, "proof", "inclusion", "0", "--size", str(new.size + 5))
    assert missing.returncode == 2 and b"no checkpoint was signed at size" in missing.stderr


def test_wrong_passphrase_is_a_clear_error(home):
    result = dledger(home, "checkpoint", env={"DLEDGER_KEY_PASSPHRASE": "wrong passphrase!"})
    assert result.returncode == 2 and b"does not open the plant key" in result.stderr


def test_key_rotation_keeps_old_checkpoints_verifiable(tmp_path):
    home = tmp_path / "rot"
    old_vkey = dledger(home, "init", "--origin", ORIGIN).stdout.decode().strip()
    label = "unit:CN3301-2026-0000001"
    appended = dledger(home, "append",
                       stdin=_line(event_obj("unit.received", label, received(label))))
    assert appended.returncode == 0, appended.stderr
    old_note = dledger(home, "checkpoint").stdout.decode()
    rotated = dledger(home, "key", "rotate", "--operator", "A-0001", "--reason", "yearly")
    assert rotated.returncode == 0, rotated.stderr
    new_vkey = rotated.stdout.decode().strip()
    assert new_vkey != old_vkey and dledger(home, "key", "show").stdout.decode().strip() == new_vkey
    new_note = dledger(home, "checkpoint").stdout.decode()
    spec.verify_note(old_note, [old_vkey])
    spec.verify_note(new_note, [new_vkey])
    # the log starts with the catalogue (entry 0): find the rotation by its type
    events = [json.loads(dledger(home, "entry", str(index)).stdout)["event"]
              for index in range(_size(home))]
    rotations = [e for e in events if e["type"] == "key.rotated"]
    assert len(rotations) == 1 and rotations[0]["data"]["old_vkey"] == old_vkey
    audit = dledger(home, "audit")
    assert audit.returncode == 0 and b"2 signed checkpoints" in audit.stdout


def test_rebuild(home):
    result = dledger(home, "rebuild")
    assert result.returncode == 0 and b"rebuilt projections" in result.stderr


def test_a_missing_or_empty_database_is_named_not_recreated(home):
    """Issue 13, break 12: SQLite made an empty file and append crashed with a traceback."""
    line = json.dumps(event_obj("scale.calibrated", "scale:SC-1", {
        "reference_g": 10_000, "reading_g": 10_000, "tolerance_g": 5, "passed": True}))
    (home / "ledger.db").rename(home / "kept.db")
    gone = dledger(home, "append", stdin=line + "\n")
    assert gone.returncode == 2 and b"ledger.db is missing" in gone.stderr, gone.stderr
    assert b"Traceback" not in gone.stderr and not (home / "ledger.db").exists()
    (home / "ledger.db").touch()
    empty = dledger(home, "append", stdin=line + "\n")
    assert empty.returncode == 2 and b"holds no ledger" in empty.stderr, empty.stderr
