"""The checkpoint publisher benchmark: what a round costs, and what it costs the appends.

    .venv/bin/python benchmarks/bench_publisher.py            # a 50,000-entry log on SQLite
    .venv/bin/python benchmarks/bench_publisher.py --quick    # smoke run

A plant ledger (SQLite, temporary, WAL, synchronous=FULL) is seeded with PLANT calibration
events; a witness (its own SQLite state) is served by werkzeug on a local port. Times:
(a) an idle round (the log did not grow: two small reads and the status file);
(b) a round that signs a checkpoint after 256 new entries and has the witness cosign it;
(c) `Ledger.checkpoint` alone: the time the ledger's write lock is held for signing;
(d) single-event appends, one after the other, without and then with the publisher running
    as `dledger serve` runs it (`dledger witness publish`, a process of its own) at its
    default poll (0.5 s) and a cadence of every 64 entries, so that it signs and pushes many
    times during the run.
Prints median, p95, min and max in milliseconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_witness import ORIGIN, events

from ledger.instance import KEY_FILE, Instance, write_config
from ledger.keys import new_plant_signer, write_key
from ledger.store import migrate
from ledger.witness.cosignature import Cosigner
from ledger.witness.publisher import Publisher
from ledger.witness.server import Witness
from ledger.witness.settings import CheckpointSettings, WitnessTarget
from ledger.witness.state import WitnessState


def summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"{name:<52} n={len(ms):<5} median {statistics.median(ms):7.2f} ms   "
            f"p95 {p95:7.2f}   range {ms[0]:.2f}–{ms[-1]:.2f} ms")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    entries, rounds, appends = (2_000, 10, 200) if args.quick else (50_000, 40, 2_000)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        home = tmp / "instance"
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        write_config(home, ORIGIN, plaintext_key=True)
        plant_key = new_plant_signer(ORIGIN)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a benchmark's throwaway key
            write_key(home / KEY_FILE, plant_key, None, allow_plaintext=True)
        instance = Instance.locate(home, new=True)
        ledger = instance.ledger()
        migrate(ledger.engine)
        for start in range(0, entries, 5_000):
            ledger.append(events(min(5_000, entries - start), start))
        cosigner = Cosigner("witness.bench.example/p", Ed25519PrivateKey.generate())
        state = WitnessState(tmp / "witness.db")
        state.create()
        state.add_log(ORIGIN, plant_key.verifier.vkey)
        server = make_server("127.0.0.1", 0, Witness(cosigner, state).wsgi, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        target = WitnessTarget(f"http://127.0.0.1:{server.server_port}", cosigner.verifier)
        clock = [time.time()]
        publisher = Publisher(tmp, ledger, plant_key,
                              CheckpointSettings(witnesses=(target,)), clock=lambda: clock[0])
        publisher.step()  # the first checkpoint and cosignature
        print(f"log of {ledger.size():,} entries, SQLite; witness on a local port")

        idle = [timed(publisher.step) for _ in range(rounds * 5)]
        print(summary("(a) idle round (no growth)", idle))

        signing = []
        for i in range(rounds):
            ledger.append(events(256, entries + 256 * i))
            clock[0] += 1
            signing.append(timed(publisher.step))
        assert publisher.tracks[0].witnessed == ledger.size()
        print(summary("(b) round: sign after 256 entries, witness cosigns", signing))

        lock = []
        for i in range(rounds):
            ledger.append(events(1, 10_000_000 + i))
            lock.append(timed(lambda: ledger.checkpoint(plant_key)))
        print(summary("(c) Ledger.checkpoint alone (write lock held)", lock))

        def append_run(offset: int) -> list[float]:
            return [timed(lambda i=i: ledger.append(events(1, offset + i)))
                    for i in range(appends)]

        without = append_run(20_000_000)
        print(summary("(d) single appends, no publisher", without))
        write_config(home, ORIGIN, plaintext_key=True,
                     witnesses=((target.url, cosigner.verifier.vkey),))
        config = home / "dledger.toml"
        config.write_text(config.read_text() + "[checkpoints]\nevery_entries = 64\n")
        before = len(ledger.checkpoints())
        env = {**os.environ, "DLEDGER_HOME": str(home)}
        env.pop("DLEDGER_DATABASE_URL", None)
        publisher_process = subprocess.Popen(
            [sys.executable, "-m", "dledger", "witness", "publish"], env=env,
            stderr=subprocess.DEVNULL)
        while not (home / "checkpoint-publisher.json").exists() or \
                len(ledger.checkpoints()) == before:
            time.sleep(0.1)
        with_publisher = append_run(30_000_000)
        publisher_process.send_signal(signal.SIGTERM)
        publisher_process.wait(30)
        signed = len(ledger.checkpoints()) - before
        print(summary(f"(d) single appends, publisher running ({signed} checkpoints)",
                      with_publisher))
        server.shutdown()
        ledger.engine.dispose()


if __name__ == "__main__":
    main()
