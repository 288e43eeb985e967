"""Eight OS processes append at once to one ledger: one unbroken chain, nothing lost or doubled.

Also: an appender killed with SIGKILL at random moments never loses an acknowledged event.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.audit import audit
from ledger.log import Ledger
from ledger.store import execute, migrate, open_engine, read_transaction

APPENDER = Path(__file__).resolve().parent / "appender.py"
WORKERS, EACH = 8, 500


def _run_workers(url: str) -> list[str]:
    start_at = time.time() + 3.0  # every process is up and connected before any appends
    procs = [subprocess.Popen([sys.executable, str(APPENDER), url, f"W{w}", str(EACH),
                               str(start_at)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for w in range(WORKERS)]
    acknowledged = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
        acknowledged += out.decode().split()[::2]
    return acknowledged


@pytest.mark.slow
def test_eight_processes_append_one_unbroken_chain(db_url):
    engine = open_engine(db_url)
    migrate(engine)
    acknowledged = _run_workers(db_url)
    assert len(acknowledged) == len(set(acknowledged)) == WORKERS * EACH
    assert Ledger(engine).size() == WORKERS * EACH
    with read_transaction(engine) as conn:
        ids = {row[0] for row in execute(conn, "SELECT event_id FROM ledger_entries").fetchall()}
    assert ids == set(acknowledged)
    report = audit(engine, [])
    assert report.ok and report.entries == WORKERS * EACH, report.problems[:3]
    engine.dispose()


@pytest.mark.slow
def test_sigkill_never_loses_an_acknowledged_event(tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = open_engine(url)
    migrate(engine)
    ledger = Ledger(engine)
    rng = random.Random(20261121)
    trials = 24
    for trial in range(trials):
        proc = subprocess.Popen([sys.executable, str(APPENDER), url, f"T{trial}", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()  # appending has begun
        assert first, proc.stderr.read().decode()
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate()
        lines = (first + rest).decode().splitlines()
        acknowledged = [line.split() for line in lines if len(line.split()) == 2]
        with read_transaction(engine) as conn:
            for event_id, index in acknowledged:
                stored = execute(conn, "SELECT idx FROM ledger_entries WHERE event_id = ?",
                                 (event_id,)).fetchone()
                assert stored is not None and stored[0] == int(index), (trial, event_id)
        report = audit(engine, [])
        assert report.ok, (trial, report.problems[:3])
    assert ledger.size() > trials
    engine.dispose()
