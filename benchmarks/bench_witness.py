"""The witness benchmark: one cosigning round trip, as a plant runs it after each batch.

    .venv/bin/python benchmarks/bench_witness.py              # 200 rounds on a 100,000-entry log
    .venv/bin/python benchmarks/bench_witness.py --quick      # smoke run

A plant ledger (SQLite, temporary) is seeded with PLANT calibration events; a witness (its own
SQLite state, synchronous=FULL) is served by werkzeug's threaded server on a local port. Each
round appends 50 entries, then times (a) `request_cosignature`: sign the checkpoint, build the
consistency proof, POST, verify and store the cosignature; (b) the witness's share alone:
POST of the same body again (same size and root: signature check, state read, CAS, cosign).
Prints p50, p95 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server

from ledger.events import PLANT_STATION, parse_event
from ledger.log import Ledger, Submission
from ledger.note import new_signer
from ledger.proof import consistency_text
from ledger.store import migrate, open_engine
from ledger.witness.cosignature import Cosigner
from ledger.witness.plant import request_cosignature
from ledger.witness.server import Witness
from ledger.witness.state import WitnessState

ORIGIN = "ledger.bench-plant.example/W"


def events(n: int, start: int) -> list[Submission]:
    return [Submission(parse_event({
        "id": str(uuid.uuid4()), "type": "scale.calibrated", "time": "2026-11-21T08:00:00.000Z",
        "station": PLANT_STATION, "operator": "W-1", "subject": f"scale:SC-{(start + i) % 7}",
        "data": {"reference_g": 10_000, "reading_g": 10_001, "tolerance_g": 5, "passed": True}}))
        for i in range(n)]


def summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"{name:<44} n={len(ms):<4} p50 {statistics.median(ms):7.2f} ms   "
            f"p95 {p95:7.2f} ms   max {ms[-1]:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seed, rounds = (2_000, 20) if args.quick else (100_000, 200)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'plant.db'}")
        migrate(engine)
        ledger = Ledger(engine)
        print(f"seeding {seed} entries...", file=sys.stderr)
        for start in range(0, seed, 10_000):
            ledger.append(events(min(10_000, seed - start), start))
        plant_key = new_signer(ORIGIN)
        cosigner = Cosigner("witness.bench.example/w1", Ed25519PrivateKey.generate())
        state = WitnessState(Path(tmp) / "witness" / "witness.db")
        state.create()
        state.add_log(ORIGIN, plant_key.verifier.vkey)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        server = make_server("127.0.0.1", 0, Witness(cosigner, state).wsgi, threaded=True)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}"
        plant_side: list[float] = []
        witness_side: list[float] = []
        try:
            request_cosignature(ledger, plant_key, url, cosigner.verifier)  # warm-up, old 0
            for r in range(rounds):
                ledger.append(events(50, r))
                t0 = time.perf_counter()
                result = request_cosignature(ledger, plant_key, url, cosigner.verifier)
                plant_side.append(time.perf_counter() - t0)
                size = result.checkpoint.checkpoint.size
                body = f"old {size}\n{consistency_text([])}\n{result.checkpoint.note}".encode()
                t0 = time.perf_counter()
                with urllib.request.urlopen(urllib.request.Request(
                        url + "/add-checkpoint", data=body, method="POST"), timeout=30) as resp:
                    assert resp.status == 200
                witness_side.append(time.perf_counter() - t0)
        finally:
            server.shutdown()
            thread.join()
            engine.dispose()
        print(f"log of {seed} + {50 * rounds} entries, 50 entries per round")
        print(summary("plant: sign + prove + POST + verify + store", plant_side))
        print(summary("witness: POST add-checkpoint (HTTP round trip)", witness_side))


if __name__ == "__main__":
    main()
