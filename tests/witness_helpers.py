"""Helpers for the witness tests: plant ledgers on SQLite, a witness served over real HTTP."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from factories import plant
from werkzeug.serving import make_server

from ledger.log import Ledger, SignedCheckpoint
from ledger.proof import consistency_text
from ledger.store import migrate, open_engine
from ledger.witness.server import Witness

ORIGIN = "ledger.test-plant.example/W"


def new_ledger(path: Path) -> Ledger:
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    return Ledger(engine)


def grow(ledger: Ledger, n: int, scale: str = "SC-1") -> None:
    """Append n events (calibrations of `scale`: another scale gives another tree)."""
    ledger.append([plant("scale.calibrated", f"scale:{scale}",
                         {"reference_g": 10_000, "reading_g": 10_001, "tolerance_g": 5,
                          "passed": True}) for _ in range(n)])


@contextmanager
def serving(witness: Witness) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, witness.wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def post(url: str, body: str) -> tuple[int, str, str]:
    request = urllib.request.Request(url + "/add-checkpoint", data=body.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


def body(ledger: Ledger, signed: SignedCheckpoint, old: int) -> str:
    size = signed.checkpoint.size
    proof = ledger.consistency_hashes(old, size) if 0 < old < size else []
    return f"old {old}\n{consistency_text(proof)}\n{signed.note}"
