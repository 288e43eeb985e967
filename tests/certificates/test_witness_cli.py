"""`dledger witness` as its users run it: the witness operator sets up and serves a witness
(gunicorn, two workers), the plant has it cosign, an inspector's policy accepts the result."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from clihelp import PASSPHRASE, dledger
from factories import calibration

from ledger.witness.policy import Policy

ORIGIN = "ledger.test-plant.example/WCLI"
WITNESS = "witness.recycling-association.example/w1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def homes(tmp_path):
    plant, witness = tmp_path / "plant", tmp_path / "witness"
    assert dledger(plant, "init", "--origin", ORIGIN).returncode == 0
    return plant, witness


def event_lines(n: int) -> str:
    import json

    return "".join(json.dumps({"event": json.loads(calibration().event.canonical)}) + "\n"
                   for _ in range(n))


@pytest.mark.slow
def test_witness_operator_and_plant_end_to_end(homes):
    plant, witness_home = homes
    env = {"DLEDGER_WITNESS_HOME": str(witness_home)}
    created = dledger(plant, "witness", "init", "--name", WITNESS, env=env)
    assert created.returncode == 0, created.stderr
    witness_vkey = created.stdout.decode().strip()
    assert witness_vkey.startswith(WITNESS + "+")
    key_file = (witness_home / "witness-key.json").read_text()
    assert "ciphertext" in key_file and "PRIVATE" not in key_file
    again = dledger(plant, "witness", "init", "--name", WITNESS, env=env)
    assert again.returncode == 2 and b"already exists" in again.stderr

    plant_vkey = dledger(plant, "key", "show").stdout.decode().strip()
    wrong = dledger(plant, "witness", "add-log", "ledger.other.example/X", plant_vkey, env=env)
    assert wrong.returncode == 2 and b"is named" in wrong.stderr
    assert dledger(plant, "witness", "add-log", ORIGIN, plant_vkey, env=env).returncode == 0

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dledger", "witness", "run", "--listen", f"127.0.0.1:{port}"],
        env={**os.environ, **env, "DLEDGER_KEY_PASSPHRASE": PASSPHRASE},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:
                    assert witness_vkey in response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the witness did not start"
                time.sleep(0.2)

        assert dledger(plant, "append", stdin=event_lines(5)).returncode == 0
        first = dledger(plant, "witness", "cosign", url, "--vkey", witness_vkey)
        assert first.returncode == 0, first.stderr
        assert b"cosigned size 6" in first.stderr  # the catalogue at entry 0, then 5
        assert dledger(plant, "append", stdin=event_lines(3)).returncode == 0
        second = dledger(plant, "witness", "cosign", url, "--vkey", witness_vkey)
        assert second.returncode == 0, second.stderr
        note = second.stdout.decode()
        assert f"\n— {WITNESS} " in note

        policy = Policy.parse(f"log {plant_vkey}\nwitness w1 {witness_vkey}\nquorum w1\n")
        ok, detail = policy.check(note)
        assert ok, detail
        assert "size 9" in detail
        assert dledger(plant, "witness", "checkpoint").stdout.decode() == note

        status = dledger(plant, "witness", "status", env=env).stdout.decode()
        assert f"log {ORIGIN}: cosigned up to size 9" in status
        assert f"verifier key {witness_vkey}" in status
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_clear_errors(homes, tmp_path):
    plant, _ = homes
    env = {"DLEDGER_WITNESS_HOME": str(tmp_path / "nowhere")}
    missing = dledger(plant, "witness", "status", env=env)
    assert missing.returncode == 2 and b"run `dledger witness init --name NAME`" in missing.stderr
    bad_key = dledger(plant, "witness", "cosign", "http://127.0.0.1:9", "--vkey", "nonsense")
    assert bad_key.returncode == 2 and b"witness key 'nonsense'" in bad_key.stderr
    none_yet = dledger(plant, "witness", "checkpoint")
    assert none_yet.returncode == 2 and b"no witness has cosigned" in none_yet.stderr
    no_pass = dledger(plant, "witness", "init", "--name", WITNESS,
                      env={**env, "DLEDGER_KEY_PASSPHRASE": ""})
    assert no_pass.returncode == 2 and b"DLEDGER_KEY_PASSPHRASE" in no_pass.stderr


def test_init_after_a_half_finished_init_says_what_to_do(homes):
    plant, witness_home = homes
    env = {"DLEDGER_WITNESS_HOME": str(witness_home)}
    assert dledger(plant, "witness", "init", "--name", WITNESS, env=env).returncode == 0
    (witness_home / "witness.toml").unlink()  # as if init had stopped after writing the key
    (witness_home / "witness.db").unlink()
    again = dledger(plant, "witness", "init", "--name", WITNESS, env=env)
    assert again.returncode == 2
    assert b"exists without the witness's settings" in again.stderr
    assert b"Traceback" not in again.stderr


def test_a_wrong_passphrase_names_the_witness_key(homes):
    plant, witness_home = homes
    env = {"DLEDGER_WITNESS_HOME": str(witness_home)}
    assert dledger(plant, "witness", "init", "--name", WITNESS, env=env).returncode == 0
    wrong = dledger(plant, "witness", "run", "--listen", f"127.0.0.1:{free_port()}",
                    env={**env, "DLEDGER_KEY_PASSPHRASE": "not the witness passphrase"})
    assert wrong.returncode == 2
    assert b"DLEDGER_KEY_PASSPHRASE does not open the witness key" in wrong.stderr
