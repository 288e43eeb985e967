"""Eight OS processes append at once to one ledger: one unbroken chain, nothing lost or doubled.

Also: an appender killed with SIGKILL at random moments never loses an acknowledged event;
and threads of one process share commits (group commit, ledger.log): each caller gets its own
results or its own refusal, a refused batch in a group leaves the others' batches whole, a
resubmitted event inside one group is one entry, and the chain and tree verify afterwards.
"""

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import calibration, plant

from ledger import log as ledger_log
from ledger.audit import audit
from ledger.log import Appended, AppendError, Ledger, Submission
from ledger.store import Tx, execute, migrate, open_engine, read_transaction, write_transaction

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


# -- group commit: threads of one process ------------------------------------------------------


def _indexes_by_id(engine) -> dict[str, int]:
    with read_transaction(engine) as conn:
        return dict(execute(conn, "SELECT event_id, idx FROM ledger_entries").fetchall())


def _check_log(ledger: Ledger, results: dict[int, list[Appended]],
               batches: dict[int, list[Submission]]) -> None:
    """Every result names the entry its event is at; the audit finds chain and tree whole."""
    logged = _indexes_by_id(ledger.engine)
    for thread, appended in results.items():
        assert [logged[s.event.id] for s in batches[thread]] == [a.index for a in appended]
    report = audit(ledger.engine, [])
    assert report.ok and report.entries == ledger.size() == len(logged), report.problems[:3]


def _run_threads(ledger: Ledger, batches: dict[int, list[Submission]],
                 catch: type[BaseException] = AppendError
                 ) -> tuple[dict[int, list[Appended]], dict[int, BaseException]]:
    results: dict[int, list[Appended]] = {}
    errors: dict[int, BaseException] = {}
    start = threading.Barrier(len(batches))

    def work(thread: int) -> None:
        start.wait()
        try:
            results[thread] = ledger.append(batches[thread])
        except catch as exc:
            errors[thread] = exc

    threads = [threading.Thread(target=work, args=(t,)) for t in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results, errors


def test_threads_appending_at_once_each_get_their_own_entries(ledger):
    threads, appends = 8, 15
    per_thread: dict[int, list[list[Submission]]] = {
        t: [[calibration(f"T{t}"), calibration("SHARED")] for _ in range(appends)]
        for t in range(threads)}
    results: dict[int, list[Appended]] = {t: [] for t in range(threads)}
    start = threading.Barrier(threads)

    def work(thread: int) -> None:
        start.wait()
        for batch in per_thread[thread]:
            results[thread] += ledger.append(batch)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    batches = {t: [s for batch in per_thread[t] for s in batch] for t in range(threads)}
    indexes = [a.index for appended in results.values() for a in appended]
    assert len(indexes) == len(set(indexes)) == threads * appends * 2
    assert not any(a.existed for appended in results.values() for a in appended)
    _check_log(ledger, results, batches)


@contextlib.contextmanager
def _head_held(engine) -> Iterator[Tx]:
    """Hold the ledger's write lock, as another process's append would."""
    with write_transaction(engine) as conn:
        if conn.dialect == "postgresql":
            execute(conn, "SELECT size FROM ledger_state WHERE id = 1 FOR UPDATE")
        yield conn


@contextlib.contextmanager
def _one_group(ledger: Ledger, monkeypatch, calls: int) -> Iterator[list[list[int]]]:
    """While the head is held, the first caller leads and waits for the lock, and the other
    calls queue; once the lock is free the leader takes them all as its group. Yields each
    group's batch sizes (recorded as each group is taken)."""
    groups: list[list[int]] = []
    real = ledger_log._append_group

    def recording(engine, take):
        def taking():
            group = take()
            groups.append([len(call.work) for call in group])
            return group

        real(engine, taking)

    monkeypatch.setattr(ledger_log, "_append_group", recording)
    committer = ledger_log._group_commit(ledger.engine)
    with _head_held(ledger.engine):
        yield groups
        deadline = time.monotonic() + 60
        while committer.waiting != calls:
            assert time.monotonic() < deadline, (groups, committer.waiting)
            time.sleep(0.01)


def test_a_refused_batch_in_a_group_leaves_the_others_whole(ledger, monkeypatch):
    batches: dict[int, list[Submission]] = {
        t: [calibration(f"T{t}"), plant("unit.received", f"unit:G-{t}", {
            "category": "fridge", "gross_g": 45_210, "scale": "SC-1", "source": "trade_in"})]
        for t in range(6)}
    # the middle caller's second event completes a unit never received: a rule refuses it
    batches[3] = [calibration("T3"), plant("unit.completed", "unit:NEVER-RECEIVED", {})]
    with _one_group(ledger, monkeypatch, len(batches)) as groups:
        outcome: dict[str, tuple] = {}
        runner = threading.Thread(target=lambda: outcome.update(r=_run_threads(ledger, batches)))
        runner.start()
    runner.join(timeout=120)
    results, errors = outcome["r"]
    assert max(len(g) for g in groups) > 1 and sum(len(g) for g in groups) == len(batches)
    assert set(errors) == {3} and set(results) == set(batches) - {3}
    assert errors[3].position == 1 and errors[3].rule, errors[3]
    logged = _indexes_by_id(ledger.engine)
    assert not {s.event.id for s in batches[3]} & set(logged)  # nothing of it was written
    assert sorted(a.index for r in results.values() for a in r) == list(range(1, 11))
    _check_log(ledger, results, {t: b for t, b in batches.items() if t != 3})


def test_resubmission_inside_one_group_is_one_entry(ledger, monkeypatch):
    same = calibration("SAME")
    batches = {0: [calibration("T0")], 1: [same], 2: [calibration("T2"), same]}
    with _one_group(ledger, monkeypatch, len(batches)) as groups:
        outcome: dict[str, tuple] = {}
        runner = threading.Thread(target=lambda: outcome.update(r=_run_threads(ledger, batches)))
        runner.start()
    runner.join(timeout=120)
    results, errors = outcome["r"]
    assert not errors
    assert len(groups) == 1 and sorted(groups[0]) == [1, 1, 2]  # those that came meanwhile too
    first, again = results[1][0], results[2][1]
    assert first.index == again.index and first.leaf_hash == again.leaf_hash
    assert {first.existed, again.existed} == {False, True}
    assert ledger.size() == 1 + 3  # the catalogue, T0, SAME, T2
    _check_log(ledger, results, batches)


def test_an_error_that_is_not_a_refusal_fails_its_own_call_alone(ledger, monkeypatch):
    """A fault inside one call of a group (here one injected into the projection of one
    subject) fails that call with its own error; the group's other calls are logged."""
    real_apply = ledger_log.Projector.apply

    def apply(self, index, event, logged=None):
        if event.subject == "scale:BROKEN":
            raise RuntimeError("injected fault")
        return real_apply(self, index, event, logged)

    batches = {t: [calibration(f"T{t}")] for t in range(4)}
    batches[2] = [calibration("T2"), calibration("BROKEN")]
    monkeypatch.setattr(ledger_log.Projector, "apply", apply)
    with _one_group(ledger, monkeypatch, len(batches)) as groups:
        outcome: dict[str, tuple] = {}
        runner = threading.Thread(target=lambda: outcome.update(
            r=_run_threads(ledger, batches, catch=RuntimeError)))
        runner.start()
    runner.join(timeout=120)
    results, errors = outcome["r"]
    assert max(len(g) for g in groups) > 1
    assert set(errors) == {2} and str(errors[2]) == "injected fault"
    assert set(results) == {0, 1, 3}
    assert not {s.event.id for s in batches[2]} & set(_indexes_by_id(ledger.engine))
    _check_log(ledger, results, {t: b for t, b in batches.items() if t != 2})
