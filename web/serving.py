"""How `dledger serve` runs gunicorn for the ledger's database: processes and threads.

Appends commit together only inside one process (group commit, ledger.log): the requests a
process handles at once share a transaction and one commit. So the console runs threaded
workers (gunicorn's gthread), and:

- on SQLite, one worker process: every commit takes the one file's write lock, so a second
  process adds no throughput, only waits for that lock (and the tail latency they cause);
  its threads wait for each other's commits instead, and share them;
- on PostgreSQL, one worker per CPU core: the server takes the commits' work off the
  console's processes, and each process groups its own requests' commits (the head row's
  lock orders them between processes).

benchmarks/bench_serve.py measures these against gunicorn's default (sync workers, one
request at a time each).
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.engine import make_url

DEFAULT_THREADS = 16  # requests in flight per worker: enough for 50 stations to share commits


def gunicorn_options(db_url: str, workers: int | None = None,
                     threads: int | None = None) -> dict[str, Any]:
    """gunicorn settings (workers, threads, worker_class) for a console on `db_url`; a
    number given explicitly is kept, None picks the database's default (module docstring)."""
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    backend = make_url(db_url).get_backend_name()
    if workers is None:
        workers = 1 if backend == "sqlite" else max(1, os.cpu_count() or 1)
    return {"workers": workers, "threads": threads or DEFAULT_THREADS,
            "worker_class": "gthread"}
