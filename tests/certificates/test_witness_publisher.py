"""The checkpoint publisher (ledger/witness/publisher.py): it signs at the cadence (time driven
by a fake clock, not sleeps), pushes to a real witness served on a local port, retries with
backoff after the witness was down, follows a 409 to the witness's size, never loses a
cosignature the database refused once, logs no secret, and runs once per instance."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server
from witness_helpers import ORIGIN, body, grow, post

import ledger.witness.plant as plant
from ledger import catalogue
from ledger.instance import KEY_FILE, Instance, rotate_key, write_config
from ledger.keys import new_plant_signer, write_key
from ledger.log import Ledger
from ledger.note import Signer, Verifier, new_signer, open_note
from ledger.store import migrate
from ledger.witness.cosignature import Cosigner
from ledger.witness.publisher import (
    BACKOFF_FIRST_S,
    Publisher,
    PublisherBusy,
    backoff,
    exclusive,
    read_status,
)
from ledger.witness.server import Witness
from ledger.witness.settings import CheckpointSettings, WitnessTarget
from ledger.witness.state import WitnessState


class Clock:
    """POSIX seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def plant_key() -> Signer:
    return new_signer(ORIGIN)


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner("witness.test.example/p1", Ed25519PrivateKey.generate())


@pytest.fixture
def state(tmp_path: Path, plant_key: Signer) -> WitnessState:
    state = WitnessState(tmp_path / "witness" / "witness.db")
    state.create()
    state.add_log(ORIGIN, plant_key.verifier.vkey)
    return state


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def witness_on(port: int, cosigner: Cosigner, state: WitnessState) -> Iterator[None]:
    server = make_server("127.0.0.1", port, Witness(cosigner, state).wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def settings(url: str, cosigner: Cosigner, **kw: float) -> CheckpointSettings:
    return CheckpointSettings(witnesses=(WitnessTarget(url, cosigner.verifier),), **kw)


def sizes(ledger: Ledger) -> list[int]:
    return [signed.checkpoint.size for signed in ledger.checkpoints()]


def cosigned(ledger: Ledger) -> list[int]:
    return sorted({c.size for c in plant.cosignatures_at(ledger, sizes(ledger))})


def test_signs_every_n_entries_or_t_seconds_when_the_log_grew(tmp_path, empty_ledger, plant_key):
    ledger, clock = empty_ledger, Clock()
    publisher = Publisher(tmp_path, ledger, plant_key,
                          CheckpointSettings(every_entries=5, every_seconds=10), clock=clock)
    publisher.step()
    assert sizes(ledger) == []  # an empty log: nothing to sign
    grow(ledger, 3)
    publisher.step()  # the first round after start signs what is there
    assert sizes(ledger) == [3]
    grow(ledger, 4)
    clock.advance(1)
    publisher.step()
    assert sizes(ledger) == [3]  # 4 entries, 1 s: not yet
    grow(ledger, 1)
    publisher.step()
    assert sizes(ledger) == [3, 8]  # 5 entries since the last checkpoint
    grow(ledger, 1)
    clock.advance(9.9)
    publisher.step()
    assert sizes(ledger) == [3, 8]
    clock.advance(0.2)
    publisher.step()
    assert sizes(ledger) == [3, 8, 9]  # 10 s since, and the log grew
    clock.advance(3600)
    publisher.step()
    assert sizes(ledger) == [3, 8, 9]  # no growth, no checkpoint, however long
    # Someone else signs (a certificate): the cadence counts from that checkpoint.
    grow(ledger, 2)
    ledger.checkpoint(plant_key)
    publisher.step()
    grow(ledger, 1)
    clock.advance(9)
    publisher.step()
    assert sizes(ledger) == [3, 8, 9, 11]
    clock.advance(1.5)
    publisher.step()
    assert sizes(ledger) == [3, 8, 9, 11, 12]
    status = read_status(tmp_path)
    assert status["running"] and status["checkpoint"]["size"] == 12


def test_pushes_to_a_witness_that_was_down_then_up(tmp_path, empty_ledger, plant_key, cosigner,
                                                   state):
    ledger, clock, port = empty_ledger, Clock(), free_port()
    url = f"http://127.0.0.1:{port}"
    publisher = Publisher(tmp_path, ledger, plant_key, settings(url, cosigner), clock=clock)
    grow(ledger, 4)
    publisher.step()  # signed at 4; the witness is down
    track = publisher.tracks[0]
    assert sizes(ledger) == [4] and cosigned(ledger) == []
    assert track.failures == 1 and "cannot reach the witness" in track.error
    assert read_status(tmp_path)["witnesses"][0]["failures"] == 1
    with witness_on(port, cosigner, state):
        clock.advance(BACKOFF_FIRST_S / 2)
        publisher.step()
        assert cosigned(ledger) == []  # waits out its backoff
        clock.advance(BACKOFF_FIRST_S)
        publisher.step()
        assert cosigned(ledger) == [4] and track.failures == 0 and track.error is None
        grow(ledger, 3)
        clock.advance(11)
        publisher.step()  # the next checkpoint, proved consistent with 4
        assert cosigned(ledger) == [4, 7]
    assert state.latest(ORIGIN).size == 7
    note = plant.cosigned_note(ledger, ledger.checkpoint_at(7).note)
    assert cosigner.verifier.verify(note) is not None
    status = read_status(tmp_path)["witnesses"][0]
    assert status["witnessed"] == 7 and status["error"] is None


def test_backoff_doubles_up_to_its_limit():
    assert [backoff(n) for n in (1, 2, 3)] == [BACKOFF_FIRST_S, 2 * BACKOFF_FIRST_S,
                                               4 * BACKOFF_FIRST_S]
    assert backoff(100) == backoff(50) == 300.0


def test_a_409_is_proved_again_from_the_witnesss_size(tmp_path, empty_ledger, plant_key,
                                                      cosigner, state):
    ledger, port = empty_ledger, free_port()
    grow(ledger, 3)
    first = ledger.checkpoint(plant_key)
    with witness_on(port, cosigner, state):
        url = f"http://127.0.0.1:{port}"
        assert post(url, body(ledger, first, 0))[0] == 200  # cosigned, not recorded by us
        grow(ledger, 2)
        publisher = Publisher(tmp_path, ledger, plant_key, settings(url, cosigner),
                              clock=Clock())
        publisher.step()
    assert cosigned(ledger) == [5] and state.latest(ORIGIN).size == 5


def test_a_cosignature_the_database_refused_is_stored_later(tmp_path, empty_ledger, plant_key,
                                                            cosigner, state, monkeypatch):
    ledger, port, clock = empty_ledger, free_port(), Clock()
    real = plant.store_cosignature
    calls = []

    def busy_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        real(*args)

    monkeypatch.setattr(plant, "store_cosignature", busy_once)
    grow(ledger, 2)
    with witness_on(port, cosigner, state):
        publisher = Publisher(tmp_path, ledger, plant_key,
                              settings(f"http://127.0.0.1:{port}", cosigner), clock=clock)
        publisher.step()
        assert cosigned(ledger) == [] and len(publisher.kept) == 1
        assert read_status(tmp_path)["kept_cosignatures"] == 1
        assert publisher.tracks[0].witnessed == 2  # the witness has it: no push again
        clock.advance(0.5)
        publisher.step()
    assert cosigned(ledger) == [2] and publisher.kept == []
    assert len(calls) == 2 and calls[0] == calls[1]  # the same cosignature, stored


def test_failures_are_logged_without_secrets(tmp_path, empty_ledger, plant_key, cosigner,
                                             caplog):
    url = f"http://127.0.0.1:{free_port()}/w?token=s3cret-token"
    grow(empty_ledger, 1)
    publisher = Publisher(tmp_path, empty_ledger, plant_key, settings(url, cosigner),
                          clock=Clock())
    with caplog.at_level(logging.INFO, logger="ledger.witness.publisher"):
        publisher.step()
    assert "not cosigned (failure 1 in a row" in caplog.text
    status = (tmp_path / "checkpoint-publisher.json").read_text(encoding="utf-8")
    for text in (caplog.text, status):
        assert "s3cret" not in text and "127.0.0.1" in text
    # name+hash+key: the key is base64 and may itself hold a "+", so split from the left
    key = plant_key.verifier.vkey.split("+", 2)[2]
    assert key not in caplog.text


def test_one_lock_holder_per_instance(tmp_path):
    with exclusive(tmp_path):
        with pytest.raises(PublisherBusy, match=rf"process {os.getpid()}"), exclusive(tmp_path):
            pass
    with exclusive(tmp_path):  # released: the next one gets it
        pass


def make_instance(home: Path) -> Instance:
    """An instance as `dledger init --insecure-plaintext-key` makes it (catalogue at 0)."""
    write_config(home, ORIGIN, plaintext_key=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_key(home / KEY_FILE, new_plant_signer(ORIGIN), None, allow_plaintext=True)
    instance = Instance.locate(home, new=True)
    engine = instance.engine()
    migrate(engine)
    Ledger(engine).publish_catalogue(catalogue.load(), "default", operator="A-0001")
    engine.dispose()
    return instance


def test_a_rotated_plant_key_signs_from_the_next_round(tmp_path):
    instance = make_instance(tmp_path / "instance")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the test instance's key is unencrypted
        publisher = Publisher(instance.home, instance.ledger(), instance.signer(),
                              instance.checkpoints, clock=Clock(), unlock=instance.signer)
        publisher.step()
        new_vkey = rotate_key(instance, "A-0001", "test")
        publisher.step(now_or_never=True)
    latest = publisher.ledger.checkpoints()[-1]
    assert latest.checkpoint.size == 2 and open_note(latest.note, [Verifier.parse(new_vkey)])


def test_two_publisher_processes_on_one_instance_run_as_one(tmp_path):
    instance = make_instance(tmp_path / "instance")
    env = {**os.environ, "DLEDGER_HOME": str(instance.home)}
    env.pop("DLEDGER_DATABASE_URL", None)
    command = [sys.executable, "-m", "dledger", "witness", "publish"]
    first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while (read_status(instance.home) or {}).get("pid") != first.pid:
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0
        assert f"a checkpoint publisher already runs for this instance (process {first.pid})" \
            in second.stderr
        assert first.poll() is None and read_status(instance.home)["running"]
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    assert read_status(instance.home)["running"] is False
    ledger = instance.ledger()
    assert sizes(ledger) == [1]  # the catalogue at entry 0, signed once at start
