"""The ledger benchmark: every figure in one run.

    .venv/bin/python benchmarks/bench_ledger.py            # full run (seeds 10^6 once, cached)
    .venv/bin/python benchmarks/bench_ledger.py --quick    # smoke run, well under a minute
    .venv/bin/python benchmarks/bench_ledger.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Figures (median and min-max over repeated trials, or over samples for per-call latencies):

1. durable single-event appends/s next to a bare SQLite insert+commit loop on the same disk with
   the same pragmas (WAL, synchronous=FULL, BEGIN IMMEDIATE): the physical limit (target:
   ledger >= 80 % of bare). That ratio is of wall time, so it moves with the commit's fsync:
   the CPU per append beside the bare loop's says what the ledger's own work costs, and with
   it the ratio at any commit time (a fast disk makes 80 % harder). And 1b. eight threads of
   one process appending single events at once, which share commits (group commit,
   ledger.log): events/s next to one thread's (target >= 2x).
2. batched appends (batches of 100 and 1,000), events/s; and 2b. durable single and batched
   appends with rule checking on and off side by side (issue 12's targets: the rules add at
   most 15 % to single and 20 % to batched appends); off is the Projector with judge=False.
3. inclusion-proof latency at a random index of the full tree, at 10^5 and 10^6 entries.
4. full audit, entries/s, with station-signature checking on and off, at 10^6 entries.
5. pymerkle 7's SqliteTree side by side: single and batched appends, inclusion proofs.

Every event is a PLANT event (the console's own events carry no station signature), so no
append pays the Ed25519 verify (about 60 us per event) a station-signed event costs, and the
audit has no signature to check either way. Seeded databases are cached under
`<tempdir>/dledger-bench-cache` (named by size and a fingerprint of the storage format), so
only the first full run pays for seeding 10^6 entries. Progress goes to stderr, the table to
stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import hashlib
import inspect
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ledger import catalogue, merkle  # noqa: E402
from ledger import log as ledger_log  # noqa: E402
from ledger.audit import audit  # noqa: E402
from ledger.events import Event, parse_event, utc_now_ms  # noqa: E402
from ledger.log import Ledger, Submission, entry_bytes  # noqa: E402
from ledger.projections import Projector  # noqa: E402
from ledger.store import migrate, open_engine  # noqa: E402

SEED_BATCH = 10_000
PG_SCRATCH_DB = "dledger_bench"
BLOB_BYTES = 450  # the bare SQLite row: an integer key and a blob about an entry's size
SEEDED: list[str] = []  # what this run had to seed, and how long it took (reported)


@dataclass(frozen=True)
class Plan:
    """How much of each workload a run does."""

    single_appends: int  # per trial
    single_trials: int
    batch_events: dict[int, int]  # batch size -> events per trial
    batch_trials: int
    proof_sizes: tuple[int, ...]
    proof_samples: int
    proof_time_cap_s: float  # per size: stop sampling early past this (reported)
    audit_size: int
    audit_trials: int
    pymerkle_proof_size: int
    pg_proof_size: int


FULL = Plan(single_appends=1000, single_trials=5, batch_events={100: 5000, 1000: 10_000},
            batch_trials=5, proof_sizes=(10**5, 10**6), proof_samples=1000,
            proof_time_cap_s=60.0, audit_size=10**6, audit_trials=3,
            pymerkle_proof_size=10**5, pg_proof_size=10**5)
QUICK = Plan(single_appends=200, single_trials=3, batch_events={100: 1000, 1000: 2000},
             batch_trials=3, proof_sizes=(10**3, 10**4), proof_samples=200,
             proof_time_cap_s=5.0, audit_size=10**4, audit_trials=2,
             pymerkle_proof_size=10**4, pg_proof_size=10**4)


# -- output ------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}/s"


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds:,.2f} s"


@dataclass
class Figure:
    label: str
    n: str
    median: str
    spread: str = ""
    p95: str = ""
    note: str = ""


@dataclass
class Table:
    rows: list[Figure | str] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.rows.append(title)

    def add(self, *args: str, **kwargs: str) -> None:
        self.rows.append(Figure(*args, **kwargs))

    def render(self) -> str:
        head = Figure("figure", "n", "median", "range (min-max)", "p95", "target / ratio")
        figures = [head] + [r for r in self.rows if isinstance(r, Figure)]
        widths = [max(len(getattr(f, a)) for f in figures)
                  for a in ("label", "n", "median", "spread", "p95")]

        def line(f: Figure) -> str:
            cells = (f.label.ljust(widths[0]), f.n.rjust(widths[1]), f.median.rjust(widths[2]),
                     f.spread.rjust(widths[3]), f.p95.rjust(widths[4]), f.note)
            return "  ".join(cells).rstrip()

        out = [line(head), "-" * len(line(head))]
        for row in self.rows:
            out.append(f"[{row}]" if isinstance(row, str) else line(row))
        return "\n".join(out)


def rate_figure(table: Table, label: str, n: int, rates: Sequence[float], note: str = "") -> float:
    med = statistics.median(rates)
    table.add(label, f"{n:,}", fmt_rate(med), f"{min(rates):,.0f}-{max(rates):,.0f}/s",
              note=note)
    return med


def latency_figure(table: Table, label: str, n: str, times: Sequence[float],
                   note: str = "") -> float:
    med = statistics.median(times)
    table.add(label, n, fmt_time(med), f"{fmt_time(min(times))}-{fmt_time(max(times))}",
              fmt_time(percentile(times, 95)), note)
    return med


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# -- events ------------------------------------------------------------------------------------


class Events:
    """PLANT events as the console would log them, each accepted by the plant's rules: two
    lots opened first, then for each unit unit.received (a fridge), refrigerant.absent,
    component.removed (compressor oil, weighed, into the oil lot), material.output (the
    compressor, into its lot) and unit.completed; a scale calibration every 100 units.
    `prefix` keeps unit labels and lots unique per database."""

    def __init__(self, prefix: str = "CN3301-2026"):
        self.prefix = prefix
        self.unit = 0
        self.step = 0
        self.lots = [("oil", True), ("compressor", False)]

    def lot(self, fraction: str) -> str:
        return f"LOT-{self.prefix}-{fraction}"

    def _obj(self) -> dict[str, object]:
        base = {"id": str(uuid.uuid4()), "time": utc_now_ms(), "station": "PLANT",
                "operator": "M-0001"}
        if self.lots:
            fraction, hazardous = self.lots.pop(0)
            return {**base, "type": "lot.opened", "subject": f"lot:{self.lot(fraction)}",
                    "data": {"fraction": fraction, "hazardous": hazardous}}
        subject = f"unit:{self.prefix}-{self.unit:07d}"
        step, self.step = self.step, self.step + 1
        if step == 0 and self.unit % 100 == 0:
            return {**base, "type": "scale.calibrated", "subject": "scale:SC-1",
                    "data": {"reference_g": 10000, "reading_g": 10001, "tolerance_g": 5,
                             "passed": True}}
        if step <= 1:
            self.step = 2
            return {**base, "type": "unit.received", "subject": subject,
                    "data": {"category": "fridge", "gross_g": 45210, "scale": "SC-1",
                             "source": "trade_in"}}
        if step == 2:
            return {**base, "type": "refrigerant.absent", "subject": subject,
                    "data": {"reason": "circuit_empty"}}
        if step == 3:
            return {**base, "type": "component.removed", "subject": subject,
                    "data": {"component": "compressor_oil", "count": 1, "mass_g": 210,
                             "scale": "SC-1", "lot": self.lot("oil")}}
        if step == 4:
            return {**base, "type": "material.output", "subject": subject,
                    "data": {"fraction": "compressor", "mass_g": 9120, "scale": "SC-1",
                             "lot": self.lot("compressor")}}
        self.unit, self.step = self.unit + 1, 0
        return {**base, "type": "unit.completed", "subject": subject, "data": {}}

    def take(self, n: int) -> list[Event]:
        return [parse_event(self._obj()) for _ in range(n)]

    def submissions(self, n: int) -> list[Submission]:
        return [Submission(e) for e in self.take(n)]


def event_objs(events: Events, n: int) -> list[dict[str, object]]:
    """The next n events as JSON objects, for a station to sign and post (bench_serve); not
    a method, so the seeded databases' fingerprint (Events' source) stays as it is."""
    return [events._obj() for _ in range(n)]


@contextlib.contextmanager
def rules_off() -> Iterator[None]:
    """Benchmark only: appends inside skip judging each event against the rules (the
    Projector of `dledger rebuild`, judge=False); flags are still computed at completion."""
    saved = ledger_log.Projector
    ledger_log.Projector = functools.partial(Projector, judge=False)  # type: ignore[misc]
    try:
        yield
    finally:
        ledger_log.Projector = saved  # type: ignore[misc]


# -- machine facts -----------------------------------------------------------------------------


def disk_facts(path: str) -> str:
    real = os.path.realpath(path)
    device, fstype, mount = "?", "?", "/"
    with contextlib.suppress(OSError), open("/proc/mounts") as mounts:
        for line in mounts:
            dev, mnt, fs = line.split()[:3]
            if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(mount):
                device, fstype, mount = dev, fs, mnt
    st = os.statvfs(real)
    free = st.f_bavail * st.f_frsize / 2**30
    rotational = ""  # as the kernel reports it; virtual disks often claim 1
    name = os.path.basename(device)
    for candidate in (name, name.rstrip("0123456789"), name.rsplit("p", 1)[0]):
        flag = Path(f"/sys/block/{candidate}/queue/rotational")
        if candidate and flag.exists():
            rotational = f", sysfs rotational={flag.read_text().strip()}"
            break
    return f"{real} on {device} ({fstype}, mounted at {mount}{rotational}), {free:,.0f} GiB free"


def machine_facts(work: str) -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        import pymerkle
        pm = pymerkle.__version__
    except ImportError:
        pm = "not installed"
    return [
        f"cpus: {os.cpu_count()} ({cpu})",
        f"python: {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}",
        f"sqlite: {sqlite3.sqlite_version}; pymerkle: {pm}",
        f"temp dir: {disk_facts(work)}",
        "load average (1, 5, 15 min) at the end: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]


# -- databases ---------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


def format_fingerprint() -> str:
    """Changes when what a stored ledger holds changes: schema, entry bytes, hashing."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "ledger" / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    for path in (REPO / "ledger" / "canonical.py", REPO / "ledger" / "merkle.py"):
        digest.update(path.read_bytes())
    digest.update(inspect.getsource(entry_bytes).encode())
    digest.update(inspect.getsource(Events).encode())  # what the seeded entries are
    return digest.hexdigest()[:10]


def fresh_ledger(url: str) -> Ledger:
    """A migrated ledger with the default catalogue in force (entry 0, as `dledger init`)."""
    engine = open_engine(url)
    migrate(engine)
    ledger = Ledger(engine)
    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    return ledger


def seed(ledger: Ledger, n: int, what: str) -> None:
    events = Events(prefix="SEED")
    start = time.perf_counter()
    done = ledger.size()
    while done < n:
        k = min(SEED_BATCH, n - done)
        ledger.append(events.submissions(k))
        done += k
        if done % (10 * SEED_BATCH) == 0 or done == n:
            spent = time.perf_counter() - start
            eta = spent / done * (n - done)
            log(f"  seeding {what}: {done:,}/{n:,} ({done / spent:,.0f}/s, ~{eta:,.0f} s left)")


def cached_ledger(cache: Path, n: int) -> Path:
    """A SQLite ledger of exactly n entries, seeded once and kept in the cache folder."""
    fp = format_fingerprint()
    path = cache / f"ledger-n{n}-{fp}.db"
    if path.exists():
        return path
    for stale in cache.glob(f"ledger-n{n}-*.db*"):
        stale.unlink()
    partial = cache / f"ledger-n{n}-{fp}.partial.db"
    remove_db(partial)
    log(f"seeding a {n:,}-entry ledger into {path} (once; cached for later runs)")
    start = time.perf_counter()
    ledger = fresh_ledger(sqlite_url(partial))
    seed(ledger, n, f"ledger {n:,}")
    with ledger.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger.engine.dispose()
    remove_db_sidecars(partial)
    os.replace(partial, path)
    spent = time.perf_counter() - start
    log(f"  seeded {n:,} entries in {spent:,.1f} s")
    SEEDED.append(f"seeded the {n:,}-entry SQLite ledger in {spent:,.1f} s "
                  f"({n / spent:,.0f} events/s incl. validation; cached in {path.parent})")
    return path


def remove_db_sidecars(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


def cached_pymerkle(cache: Path, n: int) -> Path:
    import pymerkle

    path = cache / f"pymerkle-n{n}-{pymerkle.__version__}.db"
    if path.exists():
        return path
    partial = cache / f"pymerkle-n{n}.partial.db"
    remove_db(partial)
    log(f"seeding a {n:,}-leaf pymerkle SqliteTree (bulk append_entries; cached)")
    events = Events(prefix="PM")
    began = time.perf_counter()
    tree = pymerkle.SqliteTree(str(partial))
    for start in range(0, n, SEED_BATCH):
        tree.append_entries([e.canonical for e in events.take(min(SEED_BATCH, n - start))])
    assert tree.get_size() == n
    tree.close()
    os.replace(partial, path)
    SEEDED.append(f"seeded the {n:,}-leaf pymerkle tree in {time.perf_counter() - began:,.1f} s")
    return path


# -- timing helpers ----------------------------------------------------------------------------


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Collect first, then keep the collector out of a timed loop (the same for every side)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed_rate(n: int, work: Callable[[], None]) -> float:
    return timed(n, work)[0]


def timed(n: int, work: Callable[[], None]) -> tuple[float, float]:
    """(operations per wall-clock second, CPU seconds of this process per operation): the
    CPU figure does not move with what the other processes do to the disk and the cores."""
    with no_gc():
        start, cpu = time.perf_counter(), time.process_time()
        work()
        return n / (time.perf_counter() - start), (time.process_time() - cpu) / n


# -- 1. single appends vs bare SQLite ----------------------------------------------------------


class BareSqlite:
    """The physical limit: one integer key and a blob per durable transaction, same pragmas."""

    def __init__(self, path: Path):
        self.con = sqlite3.connect(path, isolation_level=None)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.con.execute("CREATE TABLE IF NOT EXISTS rows (k INTEGER PRIMARY KEY, body BLOB "
                         "NOT NULL)")
        self.next = 0

    def run(self, blobs: Sequence[bytes]) -> None:
        con = self.con
        for blob in blobs:
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO rows (k, body) VALUES (?, ?)", (self.next, blob))
            con.execute("COMMIT")
            self.next += 1


class BarePostgres:
    """The same loop on PostgreSQL: one row per committed transaction."""

    def __init__(self, dsn: str):
        import psycopg

        self.con = psycopg.connect(dsn, autocommit=True)
        self.con.execute("CREATE TABLE IF NOT EXISTS bare_rows (k BIGINT PRIMARY KEY, "
                         "body BYTEA NOT NULL)")
        self.next = 0

    def run(self, blobs: Sequence[bytes]) -> None:
        con = self.con
        for blob in blobs:
            with con.transaction():
                con.execute("INSERT INTO bare_rows (k, body) VALUES (%s, %s)", (self.next, blob))
            self.next += 1


@dataclass
class Trials:
    rates: list[float] = field(default_factory=list)  # per wall-clock second
    cpu: list[float] = field(default_factory=list)  # CPU seconds per operation

    def add(self, measured: tuple[float, float]) -> None:
        self.rates.append(measured[0])
        self.cpu.append(measured[1])


def single_appends(plan: Plan, ledger: Ledger, events: Events,
                   bare: Callable[[Sequence[bytes]], None] | None) -> tuple[Trials, Trials]:
    """Alternating trials: ledger, then the bare loop; returns both."""
    ours, limit = Trials(), Trials()
    n = plan.single_appends
    for sub in events.submissions(20):  # warm up: connection pool, statement caches
        ledger.append([sub])
    if bare:
        bare([os.urandom(BLOB_BYTES) for _ in range(20)])
    for _ in range(plan.single_trials):
        subs = events.submissions(n)

        def one_by_one(subs: list[Submission] = subs) -> None:
            for sub in subs:
                ledger.append([sub])

        ours.add(timed(n, one_by_one))
        if bare:
            blobs = [os.urandom(BLOB_BYTES) for _ in range(n)]
            limit.add(timed(n, lambda blobs=blobs: bare(blobs)))
    return ours, limit


def cpu_figures(table: Table, label: str, ours: Trials, limit: Trials) -> None:
    """CPU per durable append next to the bare loop's: what the ledger's own work costs, as
    the wall-clock ratio cannot say on a machine whose disk others share."""
    a, b = statistics.median(ours.cpu), statistics.median(limit.cpu)
    table.add(f"{label}, CPU per append: ledger", "", fmt_time(a),
              f"{fmt_time(min(ours.cpu))}-{fmt_time(max(ours.cpu))}")
    table.add(f"{label}, CPU per commit: bare", "", fmt_time(b),
              f"{fmt_time(min(limit.cpu))}-{fmt_time(max(limit.cpu))}",
              note=f"the ledger's work beyond a bare commit: {fmt_time(a - b)} of CPU; at a "
              f"commit's wall time T the ratio is at most T / (T + {fmt_time(a - b)})")


def threaded_appends(plan: Plan, ledger: Ledger, prefix: str, threads: int) -> list[float]:
    """Events/s of `threads` threads each appending single events at once (they share
    commits), over trials of plan.single_appends events in all; `prefix` names this call's
    units and lots (unique per call: the rules refuse a unit received twice)."""
    rates = []
    each = max(1, plan.single_appends // threads)
    for trial in range(plan.single_trials):
        work = [[[sub] for sub in Events(f"{prefix}-{trial}-{t}").submissions(each)]
                for t in range(threads)]
        start = threading.Barrier(threads + 1)
        failures: list[BaseException] = []

        def run(batches: list[list[Submission]], start: threading.Barrier,
                failures: list[BaseException] = failures) -> None:
            start.wait()
            try:
                for batch in batches:
                    ledger.append(batch)
            except BaseException as exc:  # re-raised below: a refusal must not time as fast
                failures.append(exc)

        workers = [threading.Thread(target=run, args=(w, start)) for w in work]
        for w in workers:
            w.start()
        with no_gc():
            start.wait()
            began = time.perf_counter()
            for w in workers:
                w.join()
            rates.append(threads * each / (time.perf_counter() - began))
        if failures:
            raise failures[0]
    return rates


def group_commit_figures(table: Table, plan: Plan, ledger: Ledger, prefix: str,
                         label: str) -> None:
    """1b: eight threads against one, alternating trials, on the same ledger."""
    one: list[float] = []
    eight: list[float] = []
    for round_ in range(2):
        one += threaded_appends(plan, ledger, f"{prefix}{round_}-1", 1)
        eight += threaded_appends(plan, ledger, f"{prefix}{round_}-8", 8)
    a = rate_figure(table, f"{label}, 1 thread", plan.single_appends, one)
    b = rate_figure(table, f"{label}, 8 threads", plan.single_appends, eight,
                    note="single-event appends; concurrent calls share commits")
    table.add(f"{label}, 8 threads / 1 thread", "", f"{b / a:.2f}x",
              note=f"target >= 2x: {verdict(b / a >= 2)}")


def batched_appends(plan: Plan, ledger: Ledger, events: Events, size: int) -> list[float]:
    rates = []
    per_trial = plan.batch_events[size]
    ledger.append(events.submissions(size))  # warm up
    for _ in range(plan.batch_trials):
        batches = [events.submissions(size) for _ in range(per_trial // size)]

        def run(batches: list[list[Submission]] = batches) -> None:
            for batch in batches:
                ledger.append(batch)

        rates.append(timed_rate(per_trial, run))
    return rates


# -- 2b. rule checking on and off ------------------------------------------------------------


def rules_on_off(plan: Plan, work: Path, size: int | None) -> tuple[list[float], list[float]]:
    """Alternating trials of the same workload on two fresh ledgers, rules on then off:
    single appends (size None) or batches of `size`; returns (on, off) events/s."""
    on_ledger = fresh_ledger(sqlite_url(work / f"rules-on-{size}.db"))
    off_ledger = fresh_ledger(sqlite_url(work / f"rules-off-{size}.db"))
    sides = [(on_ledger, Events("ON"), contextlib.nullcontext), (off_ledger, Events("OFF"),
                                                                 rules_off)]
    n = plan.single_appends if size is None else plan.batch_events[size]
    rates: list[list[float]] = [[], []]
    for ledger, events, mode in sides:  # warm up
        with mode():
            ledger.append(events.submissions(size or 20))
    for _ in range(max(plan.single_trials, plan.batch_trials)):
        for side, (ledger, events, mode) in enumerate(sides):
            if size is None:
                batches = [[sub] for sub in events.submissions(n)]
            else:
                batches = [events.submissions(size) for _ in range(n // size)]

            def run(ledger: Ledger = ledger, batches: list[list[Submission]] = batches) -> None:
                for batch in batches:
                    ledger.append(batch)

            with mode():
                rates[side].append(timed_rate(n, run))
    for ledger, _, _ in sides:
        ledger.engine.dispose()
    return rates[0], rates[1]


def rules_figures(table: Table, plan: Plan, work: Path) -> None:
    table.section("2b. rule checking (judge.check on every append) on vs off, side by side; "
                  "alternating trials on two fresh ledgers")
    for size, label, target in [(None, "durable single appends", 15),
                                *((s, f"batched appends of {s:,}", 20)
                                  for s in plan.batch_events)]:
        log(f"rules on / off: {label}")
        on, off = rules_on_off(plan, work, size)
        n = plan.single_appends if size is None else plan.batch_events[size]
        a = rate_figure(table, f"{label}, rules on", n, on)
        b = rate_figure(table, f"{label}, rules off", n, off)
        added = b / a - 1  # the time per event rule checking adds
        table.add(f"{label}, added by the rules", "", f"{added:+.1%}",
                  note=f"time per event; target <= {target}%: {verdict(added <= target / 100)}")


# -- 3. proofs ---------------------------------------------------------------------------------


def proof_latencies(plan: Plan, prove: Callable[[int], object], size: int,
                    ) -> tuple[list[float], bool]:
    """Per-call latencies at random indexes; True when the time cap cut the sampling short."""
    rng = random.Random(size)
    for _ in range(20):  # warm up
        prove(rng.randrange(size))
    times: list[float] = []
    deadline = time.perf_counter() + plan.proof_time_cap_s
    with no_gc():
        for _ in range(plan.proof_samples):
            index = rng.randrange(size)
            start = time.perf_counter()
            prove(index)
            end = time.perf_counter()
            times.append(end - start)
            if end > deadline:
                break
    return times, len(times) < plan.proof_samples


def check_our_proof(ledger: Ledger, size: int) -> None:
    """One proof verified against the root, untimed: the figures are for correct proofs."""
    index = random.Random(7).randrange(size)
    root = ledger.root(size)
    leaf = ledger.leaf_hashes([index])[index]
    merkle.verify_inclusion(index, size, leaf, ledger.inclusion_hashes(index, size), root)


def our_proof_figure(table: Table, plan: Plan, ledger: Ledger, size: int, label: str,
                     what: str) -> float:
    assert ledger.size() == size, f"the {what} holds {ledger.size()} entries, not {size}"
    check_our_proof(ledger, size)
    log(f"inclusion proofs at {size:,} ({what})")
    times, capped = proof_latencies(plan, lambda i: ledger.inclusion_hashes(i, size), size)
    note = f"{len(times):,} random indexes"
    if capped:
        note += f" (cut at the {plan.proof_time_cap_s:.0f} s cap)"
    med = latency_figure(table, label, f"{size:,}", times)
    table.rows[-1].note = f"target <= 1 ms: {verdict(med <= 1e-3)}; {note}"
    return med


# -- 4. audit ----------------------------------------------------------------------------------


def audit_figures(table: Table, plan: Plan, path: Path) -> None:
    engine = open_engine(sqlite_url(path))
    rates: dict[bool, list[float]] = {True: [], False: []}
    cpu_rates: dict[bool, list[float]] = {True: [], False: []}
    for trial in range(plan.audit_trials):
        for signatures in (True, False):
            log(f"audit of {plan.audit_size:,} entries, signatures "
                f"{'on' if signatures else 'off'} (trial {trial + 1}/{plan.audit_trials})")
            cpu, start = time.process_time(), time.perf_counter()
            report = audit(engine, vkeys=[], signatures=signatures)
            spent, cpu = time.perf_counter() - start, time.process_time() - cpu
            if not report.ok or report.entries != plan.audit_size:
                raise SystemExit(f"the audit of the benchmark ledger failed: {report.as_dict()}")
            rates[signatures].append(report.entries / spent)
            cpu_rates[signatures].append(report.entries / cpu)
    engine.dispose()
    for signatures in (True, False):
        med = rate_figure(table, f"audit, station signatures {'on' if signatures else 'off'}",
                          plan.audit_size, rates[signatures])
        table.rows[-1].note = (f"target >= 100,000/s: {verdict(med >= 100_000)}; "
                               f"{statistics.median(cpu_rates[signatures]):,.0f} per CPU-second"
                               + ("; PLANT events: no signature to check" if signatures else ""))


# -- 5. pymerkle -------------------------------------------------------------------------------


def open_pymerkle(path: Path) -> object:
    """A SqliteTree with the ledger's pragmas (pymerkle's default is a rollback journal)."""
    import pymerkle

    tree = pymerkle.SqliteTree(str(path))
    tree.con.execute("PRAGMA journal_mode=WAL")
    tree.con.execute("PRAGMA synchronous=FULL")
    return tree


def pymerkle_appends(plan: Plan, path: Path) -> tuple[list[float], dict[int, list[float]]]:
    tree = open_pymerkle(path)
    events = Events(prefix="PMA")
    single: list[float] = []
    n = plan.single_appends
    for e in events.take(20):
        tree.append_entry(e.canonical)
    for _ in range(plan.single_trials):
        data = [e.canonical for e in events.take(n)]

        def one_by_one(data: list[bytes] = data) -> None:
            for d in data:
                tree.append_entry(d)

        single.append(timed_rate(n, one_by_one))
    batched: dict[int, list[float]] = {}
    for size, per_trial in plan.batch_events.items():
        batched[size] = []
        for _ in range(plan.batch_trials):
            batches = [[e.canonical for e in events.take(size)] for _ in range(per_trial // size)]

            def run(batches: list[list[bytes]] = batches) -> None:
                for batch in batches:
                    tree.append_entries(batch)

            batched[size].append(timed_rate(per_trial, run))
    tree.close()
    return single, batched


def pymerkle_proofs(plan: Plan, path: Path, size: int) -> tuple[list[float], float]:
    """Latencies of prove_inclusion (1-based index; no verification inside), on a tree opened
    fresh, so its subroot cache starts cold and warms as a long-running server's would; also
    the very first (cold-cache) proof's time."""
    import pymerkle

    tree = open_pymerkle(path)
    assert tree.get_size() == size
    index = random.Random(7).randrange(size) + 1
    proof = tree.prove_inclusion(index, size)
    pymerkle.verify_inclusion(tree.get_leaf(index), tree.get_root(size), proof)
    tree.close()
    tree = open_pymerkle(path)
    rng = random.Random(size)
    start = time.perf_counter()
    tree.prove_inclusion(rng.randrange(size) + 1, size)
    cold = time.perf_counter() - start
    times, _ = proof_latencies(plan, lambda i: tree.prove_inclusion(i + 1, size), size)
    tree.close()
    return times, cold


# -- PostgreSQL --------------------------------------------------------------------------------


@contextlib.contextmanager
def pg_scratch(url: str) -> Iterator[tuple[str, str]]:
    """Create the scratch database, yield (SQLAlchemy URL, libpq DSN), drop it afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    scratch = make_url(url).set(database=PG_SCRATCH_DB)
    admin_dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_SCRATCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_SCRATCH_DB}"')
    try:
        yield (scratch.render_as_string(hide_password=False),
               scratch.set(drivername="postgresql").render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_SCRATCH_DB}" WITH (FORCE)')


def pg_figures(table: Table, plan: Plan, url: str) -> None:
    table.section(f"PostgreSQL at {url.split('@')[-1]}, scratch database {PG_SCRATCH_DB}; "
                  "appends and proofs only")
    log(f"PostgreSQL: appends in the scratch database {PG_SCRATCH_DB}")
    with pg_scratch(url) as (sa_url, dsn):
        ledger = fresh_ledger(sa_url)
        bare = BarePostgres(dsn)
        try:
            with ledger.engine.connect() as conn:
                settings = {name: conn.exec_driver_sql(f"SHOW {name}").scalar()
                            for name in ("server_version", "synchronous_commit", "fsync")}
            table.section(", ".join(f"{k}={v}" for k, v in settings.items()))
            events = Events(prefix="PG")
            ours, limit = single_appends(plan, ledger, events, bare.run)
            a = rate_figure(table, "PG single appends, ledger", plan.single_appends, ours.rates,
                            note=f"{1e6 / statistics.median(ours.rates):,.0f} us per append")
            b = rate_figure(table, "PG bare insert+commit", plan.single_appends, limit.rates,
                            note=f"{1e6 / statistics.median(limit.rates):,.0f} us per commit; "
                            f"bigint key + {BLOB_BYTES}-byte bytea")
            table.add("PG single appends, ledger / bare", "", f"{a / b:.0%}",
                      note=f"target >= 80%: {verdict(a / b >= 0.8)}")
            cpu_figures(table, "PG single appends", ours, limit)
            log("PostgreSQL: group commit, 8 threads against 1")
            group_commit_figures(table, plan, ledger, "PGT", "PG group commit")
            for size in plan.batch_events:
                log(f"PostgreSQL: batched appends of {size:,}")
                rates = batched_appends(plan, ledger, events, size)
                med = rate_figure(table, f"PG batched appends of {size:,}",
                                  plan.batch_events[size], rates)
                table.rows[-1].note = f"target >= 20,000/s: {verdict(med >= 20_000)}"
        finally:
            bare.con.close()
            ledger.engine.dispose()
    size = plan.pg_proof_size
    with pg_scratch(url) as (sa_url, _dsn):  # a fresh one, to hold exactly `size` entries
        ledger = fresh_ledger(sa_url)
        try:
            log(f"PostgreSQL: seeding {size:,} entries (not cached: the database is scratch)")
            start = time.perf_counter()
            seed(ledger, size, f"PostgreSQL {size:,}")
            table.section(f"seeded {size:,} entries in {time.perf_counter() - start:,.1f} s "
                          "for the proofs")
            our_proof_figure(table, plan, ledger, size, "PG inclusion proof, ledger",
                             "PostgreSQL ledger")
        finally:
            ledger.engine.dispose()


# -- the run -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a reduced smoke run (well under a minute)")
    parser.add_argument("--pg", metavar="URL",
                        help="also run appends and proofs on PostgreSQL (a scratch database "
                        f"{PG_SCRATCH_DB} is created there and dropped)")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "dledger-bench-cache",
                        help="where seeded databases are kept between runs")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    began = time.perf_counter()
    load_at_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dledger-bench-"))
    table = Table()
    try:
        run(plan, args, work, table)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Dismantle Ledger benchmark ({'quick' if args.quick else 'full'} run), "
          f"load average at the start: {load_at_start}")
    for fact in machine_facts(str(work.parent)):
        print("  " + fact)
    print("  workload: PLANT events only, each accepted by the rules (a fridge: unit.received, "
          "refrigerant.absent, component.removed, material.output, unit.completed; "
          "scale.calibrated), no station signatures;")
    print("            a station-signed event costs one Ed25519 verify (~60 us) more at append")
    print()
    print(table.render())
    print()
    for line in SEEDED:
        print(line)
    print(f"total run time: {time.perf_counter() - began:,.1f} s"
          + ("" if SEEDED else " (seeded databases came from the cache)"), flush=True)
    return 0


def run(plan: Plan, args: argparse.Namespace, work: Path, table: Table) -> None:
    # 0. what the appends below exclude: validating the submitted JSON
    log("event validation")
    objs = [Events(prefix="V")._obj() for _ in range(2000)]
    rate = timed_rate(len(objs), lambda: [parse_event(o) for o in objs])
    table.section("0. not in the append figures: validating submitted events")
    table.add("event validation (parse_event)", f"{len(objs):,}", fmt_rate(rate))

    # 1. single appends
    log("single appends vs bare SQLite")
    ledger = fresh_ledger(sqlite_url(work / "appends.db"))
    bare = BareSqlite(work / "bare.db")
    events = Events()
    ours, limit = single_appends(plan, ledger, events, bare.run)
    bare.con.close()
    table.section("1. durable single-event appends (one append call, one commit each); "
                  f"{plan.single_trials} trials")
    a = rate_figure(table, "single appends, ledger", plan.single_appends, ours.rates)
    b = rate_figure(table, "bare SQLite insert+commit", plan.single_appends, limit.rates)
    table.rows[-2].note = f"{1e6 / a:,.0f} us per append"
    table.rows[-1].note = (f"{1e6 / b:,.0f} us per commit; int key + {BLOB_BYTES}-byte blob, "
                           "WAL, synchronous=FULL, BEGIN IMMEDIATE")
    table.add("single appends, ledger / bare SQLite", "", f"{a / b:.0%}",
              note=f"target >= 80%: {verdict(a / b >= 0.8)}")
    cpu_figures(table, "single appends", ours, limit)
    log("group commit: 8 threads against 1")
    table.section("1b. group commit: threads of one process appending single events at once; "
                  f"{2 * plan.single_trials} trials each, alternating")
    group_commit_figures(table, plan, ledger, "GT", "group commit")

    # 2. batched appends
    table.section(f"2. durable batched appends; {plan.batch_trials} trials")
    batched: dict[int, float] = {}
    for size in plan.batch_events:
        log(f"batched appends of {size:,}")
        rates = batched_appends(plan, ledger, events, size)
        batched[size] = rate_figure(table, f"batched appends of {size:,}",
                                    plan.batch_events[size], rates)
        table.rows[-1].note = f"target >= 20,000/s: {verdict(batched[size] >= 20_000)}"
    ledger.engine.dispose()
    rules_figures(table, plan, work)

    # 3. inclusion proofs
    table.section("3. inclusion proof: hashes for a random index at the full size "
                  "(Ledger.inclusion_hashes)")
    our_proofs: dict[int, float] = {}
    for size in plan.proof_sizes:
        path = cached_ledger(args.cache_dir, size)
        ledger = Ledger(open_engine(sqlite_url(path)))
        our_proofs[size] = our_proof_figure(table, plan, ledger, size, "inclusion proof, ledger",
                                            "SQLite ledger")
        ledger.engine.dispose()

    # 4. audit
    table.section("4. full audit (ledger.audit.audit), every entry, node, chain and head")
    audit_figures(table, plan, cached_ledger(args.cache_dir, plan.audit_size))

    # 5. pymerkle
    size = plan.pymerkle_proof_size
    if size not in our_proofs:  # keep the comparison at one size: measure ours there too
        ledger = Ledger(open_engine(sqlite_url(cached_ledger(args.cache_dir, size))))
        our_proofs[size] = our_proof_figure(table, plan, ledger, size,
                                            "inclusion proof, ledger", "SQLite ledger")
        ledger.engine.dispose()
    log("pymerkle SqliteTree appends")
    table.section("5. pymerkle SqliteTree, same disk and pragmas (WAL, synchronous=FULL); "
                  "ratios ledger / pymerkle")
    pm_single, pm_batched = pymerkle_appends(plan, work / "pymerkle.db")
    med = rate_figure(table, "pymerkle single appends", plan.single_appends, pm_single,
                      note="append_entry")
    table.add("single appends, ledger / pymerkle", "", f"{a / med:.2f}x")
    for batch, rates in pm_batched.items():
        med = rate_figure(table, f"pymerkle batched appends of {batch:,}",
                          plan.batch_events[batch], rates, note="append_entries")
        table.add(f"batched appends of {batch:,}, ledger / pymerkle", "",
                  f"{batched[batch] / med:.2f}x")
    pm_path = cached_pymerkle(args.cache_dir, size)
    log(f"pymerkle inclusion proofs at {size:,}")
    times, cold = pymerkle_proofs(plan, pm_path, size)
    med = latency_figure(table, "pymerkle inclusion proof", f"{size:,}", times,
                         note=f"prove_inclusion (1-based, does not verify); the first, "
                         f"cold-cache call took {fmt_time(cold)}")
    speedup = med / our_proofs[size]
    table.add("inclusion proof, pymerkle / ledger time", f"{size:,}", f"{speedup:.2f}x",
              note=f"the ledger is this much faster; target >= 10x: {verdict(speedup >= 10)}")

    if args.pg:
        pg_figures(table, plan, args.pg)


if __name__ == "__main__":
    sys.exit(main())
