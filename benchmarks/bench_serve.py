"""Stations posting signed batches through the console: throughput, and latency per post.

    .venv/bin/python benchmarks/bench_serve.py            # SQLite; every worker model
    .venv/bin/python benchmarks/bench_serve.py --quick    # the headline figures in minutes
    .venv/bin/python benchmarks/bench_serve.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

For each database and worker model: a fresh instance (`dledger init`), 50 stations registered
and approved (PLANT events), and gunicorn serving the console (web.wsgi:app) as `dledger serve`
does (access log to a file, gc.freeze after start-up), with the worker model's options: the
chosen one (web.serving.gunicorn_options), and for comparison gunicorn's default (two sync
workers, the old `dledger serve`) and the other process count. Each station posts its own
signed batches of five events (its two lots opened, then fridges: received, refrigerant
absent, compressor oil removed, compressor output, completed; a scale check every 100 units,
as bench_ledger.Events makes them) through station.client.HttpClient, the stations' own HTTP
client (POST /api/v1/events). Every batch is signed before the clock starts. Clients run as
threads in up to four processes, so their own work is spread over the cores as stations'
would be over machines (on one small machine they still take CPU from the server).

Two kinds of phase, and two kinds of target (issue 14):

1. Saturation (closed loop): 1, 5, 8 and 50 clients, each posting its next batch as soon as
   the last is answered. This measures capacity: events/s from the common start to the last
   answer. Targets: 8 clients >= 2x the events/s of 1 (they share commits); throughput flat
   from 5 to 50 clients (50 clients >= 90 % of 5's). The latency of a closed loop at
   saturation is not a target: by Little's law it is clients / throughput (50 posts in
   flight at 400 posts/s wait 125 ms on average, whatever the server does).
2. Paced (open loop): 50 stations, each posting on its own fixed timer (a random phase per
   station), at offered loads of 25 %, 50 % and 75 % of the 50-client saturated throughput
   measured in the same run, and at a plant's rate (each station one batch every
   --plant-interval seconds, 5 by default: a unit's steps take seconds at a station). The
   latency of a post counts from the time it was due, not from when it was sent, so a slow
   answer that delays the station's next post is charged to that post as well (no
   coordinated omission). Target: p95 <= 100 ms at the plant's rate and at 50 % load.

Figures per phase: events/s, post latency p50/p95/p99/max, and after the phase the log is
read back through the Ledger API: every acknowledged event at the index its answer named,
exactly once (0 lost, 0 duplicated), and the audit of chain and tree. Progress goes to
stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_ledger import (  # noqa: E402
    Events,
    event_objs,
    machine_facts,
    percentile,
    pg_scratch,
    verdict,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ledger.audit import audit  # noqa: E402
from ledger.events import PLANT_STATION, parse_event, utc_now_ms  # noqa: E402
from ledger.log import Ledger, Submission  # noqa: E402
from ledger.store import open_engine  # noqa: E402
from station.client import HttpClient  # noqa: E402
from station.outbox import Refused, Unreachable  # noqa: E402
from web.serving import gunicorn_options  # noqa: E402

STATIONS = 50
BATCH = 5  # events per post, unless --batch says otherwise
CLIENT_PROCESSES = 4
P95_TARGET_MS = 100.0
FLAT_TARGET = 0.9  # 50 clients' saturated events/s at least this share of 5 clients'
PLANT_INTERVAL_S = 5.0  # a station's batch every this many seconds, at a plant's rate
GUNICORN_CONFIG = "import gc\n\n\ndef post_worker_init(worker):\n    gc.freeze()\n"


@dataclass(frozen=True)
class Plan:
    clients: tuple[int, ...]  # saturation phases
    events_per_phase: int  # spread over the phase's clients
    all_models: bool
    paced_seconds: float  # how long each paced phase offers its load
    loads: tuple[float, ...] = (0.25, 0.5, 0.75)  # shares of the saturated throughput
    plant_interval: float = PLANT_INTERVAL_S
    batch: int = 5  # events per post


FULL = Plan(clients=(1, 5, 8, 50), events_per_phase=5000, all_models=True, paced_seconds=60)
QUICK = Plan(clients=(1, 5, 8, 50), events_per_phase=2000, all_models=False, paced_seconds=20)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- worker models ---------------------------------------------------------------------------


def models(db_url: str, every: bool) -> list[tuple[str, dict[str, Any]]]:
    """(name, gunicorn options): the chosen model first, then those it was chosen over."""
    chosen = gunicorn_options(db_url)
    found = [(f"chosen: {chosen['workers']} x {chosen['threads']} gthread", chosen)]
    if every:
        other = gunicorn_options(db_url, workers=2 if chosen["workers"] == 1 else 1)
        found += [(f"{other['workers']} x {other['threads']} gthread", other),
                  ("gunicorn default: 2 sync workers", {"workers": 2, "worker_class": "sync"})]
    return found


def gunicorn_args(options: dict[str, Any]) -> list[str]:
    return [arg for key, value in options.items()
            for arg in (f"--{key.replace('_', '-')}", str(value))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def console(home: Path, env: dict[str, str], options: dict[str, Any]) -> Iterator[str]:
    """gunicorn serving the console of the instance at `home`; yields its base URL."""
    port = free_port()
    config = home / "gunicorn_bench.py"
    config.write_text(GUNICORN_CONFIG)
    logfile = (home / "gunicorn.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "web.wsgi:app", "--bind", f"127.0.0.1:{port}",
         "--config", str(config), "--access-logfile", "-", "--error-logfile", "-",
         "--timeout", "120", "--no-control-socket", *gunicorn_args(options)],
        cwd=REPO, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/api/v1/catalogue", timeout=2):
                    break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start ({exc}); see "
                                     f"{home / 'gunicorn.log'}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        logfile.close()


# -- stations ---------------------------------------------------------------------------------


@dataclass
class Station:
    name: str
    key: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.key.public_key().public_bytes_raw()).decode()

    def registration(self) -> Submission:
        return Submission(parse_event({
            "id": f"00000000-0000-4000-8000-{int(self.name[3:]):012d}", "type":
            "station.registered", "time": utc_now_ms(), "station": PLANT_STATION,
            "operator": "A-0001", "subject": f"station:{self.name}",
            "data": {"public_key": self.public_key, "name": f"Bench {self.name}",
                     "approved_by": "A-0001"}}))

    def signed(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = {**obj, "station": self.name, "operator": "W-0001"}
        canonical = parse_event(obj).canonical
        return {"event": obj, "station_sig": base64.b64encode(self.key.sign(canonical)).decode()}


def batches(station: Station, phase: str, posts: int, batch: int) -> list[list[dict[str, Any]]]:
    """The station's posts for one phase, signed: `batch` events each, in order."""
    signed = [station.signed(obj)
              for obj in event_objs(Events(prefix=f"{station.name}-{phase}"), posts * batch)]
    return [signed[i:i + batch] for i in range(0, len(signed), batch)]


# A post: when it is due, in seconds after the phase's start (None: at once), and its batch.
Post = tuple[float | None, list[dict[str, Any]]]


def client_process(base: str, work: list[list[Post]], start_at: float, out: Any) -> None:
    """Threads, one per station: post each batch when it is due (or at once), timing it from
    then; send back what was answered."""
    answers: list[Any] = []
    lock = threading.Lock()

    def station(posts: list[Post]) -> None:
        client = HttpClient(base, timeout=60)
        mine = []
        time.sleep(max(0.0, start_at - time.time()))
        for due, batch in posts:
            began = time.time() if due is None else start_at + due
            time.sleep(max(0.0, began - time.time()))
            try:
                indexes = client.submit(batch)
            except (Refused, Unreachable) as exc:  # counted as failed posts, and said
                log(f"a post failed: {exc}")
                indexes = []
            mine.append((began, time.time(), [s["event"]["id"] for s in batch], indexes))
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=station, args=(posts,)) for posts in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.send(answers)
    out.close()


@dataclass
class Phase:
    clients: int
    offered: float | None  # posts/s offered (paced phases), None for saturation
    label: str
    events: int
    posts: int
    rate: float  # events/s answered
    latencies: list[float]
    lost: int  # acknowledged, but not in the log at the index answered
    duplicated: int  # in the log more than once, or without an acknowledgement
    failed: int  # posts refused or unanswered
    audit_ok: bool

    @property
    def post_rate(self) -> float:
        return self.rate * self.posts / max(1, self.events)


def saturation_work(stations: Sequence[Station], clients: int, plan: Plan, phase: str
                    ) -> list[list[Post]]:
    """Each of `clients` stations posts its batches back to back."""
    posts = max(2, -(-plan.events_per_phase // (clients * plan.batch)))
    return [[(None, b) for b in batches(stations[c], phase, posts, plan.batch)]
            for c in range(clients)]


def paced_work(stations: Sequence[Station], interval: float, plan: Plan, phase: str
               ) -> list[list[Post]]:
    """Every station posts one batch per `interval` seconds for plan.paced_seconds, from a
    random phase in its first interval (stations' timers are not in step)."""
    posts = max(2, round(plan.paced_seconds / interval))
    rng = random.Random(phase)
    work = []
    for station in stations:
        first = rng.uniform(0, interval)
        work.append([(first + k * interval, b)
                     for k, b in enumerate(batches(station, phase, posts, plan.batch))])
    return work


def run_phase(base: str, ledger: Ledger, work: list[list[Post]], offered: float | None,
              label: str, start_at: float) -> Phase:
    size_before = ledger.size()
    processes = min(len(work), CLIENT_PROCESSES)
    pipes, procs = [], []
    context = multiprocessing.get_context("fork")
    for p in range(processes):
        receive, send = context.Pipe(duplex=False)
        proc = context.Process(target=client_process,
                               args=(base, work[p::processes], start_at, send))
        proc.start()
        pipes.append(receive)
        procs.append(proc)
    answers = [a for receive in pipes for a in receive.recv()]
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a client process failed (exit {proc.exitcode})")
    end = max(a[1] for a in answers)
    failed = sum(1 for _, _, _, indexes in answers if not indexes)
    sent = {event_id: index for _, _, ids, indexes in answers if indexes
            for event_id, index in zip(ids, indexes, strict=True)}
    logged = Counter()
    at: dict[str, int] = {}
    for idx, _subject, body in ledger.entries_between(size_before, ledger.size()):
        event_id = json.loads(body)["event"]["id"]
        logged[event_id] += 1
        at[event_id] = idx
    lost = sum(1 for event_id, index in sent.items() if at.get(event_id) != index)
    duplicated = sum(n - 1 for n in logged.values()) + len(set(logged) - set(sent))
    events = sum(len(ids) for _, _, ids, indexes in answers if indexes)
    report = audit(ledger.engine, [])
    return Phase(len(work), offered, label, events, len(answers) - failed,
                 events / (end - start_at), [a[1] - a[0] for a in answers], lost, duplicated,
                 failed, report.ok)


def start_time() -> float:
    """When a phase's clients start: after its processes have forked and connected."""
    return time.time() + 1.5


# -- the run ----------------------------------------------------------------------------------


@contextlib.contextmanager
def instance(kind: str, pg: str | None, work: Path, name: str) -> Iterator[tuple[Path, dict]]:
    """A fresh instance (`dledger init`) on SQLite in `work` or a PostgreSQL scratch database."""
    home = work / name
    env = {**os.environ, "DLEDGER_HOME": str(home), "PYTHONPATH": str(REPO)}
    with contextlib.ExitStack() as stack:
        if kind == "postgresql":
            env["DLEDGER_DATABASE_URL"] = stack.enter_context(pg_scratch(pg))[0]
        else:
            env.pop("DLEDGER_DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "dledger", "init", "--insecure-plaintext-key"],
                       env=env, cwd=REPO, check=True, capture_output=True)
        yield home, env


def measure(kind: str, pg: str | None, plan: Plan, work: Path) -> list[tuple[str, Phase]]:
    url = (pg or "") if kind == "postgresql" else f"sqlite:///{work}/x.db"
    rows: list[tuple[str, Phase]] = []
    for number, (name, options) in enumerate(models(url, plan.all_models)):
        with instance(kind, pg, work, f"{kind}-{number}") as (home, env):
            db = env.get("DLEDGER_DATABASE_URL") or f"sqlite:///{home / 'ledger.db'}"
            ledger = Ledger(open_engine(db))
            stations = [Station(f"ST-{i:02d}", Ed25519PrivateKey.generate())
                        for i in range(STATIONS)]
            ledger.append([s.registration() for s in stations])
            try:
                with console(home, env, options) as base:
                    saturated = 0.0
                    for clients in plan.clients:
                        log(f"{kind}, {name}: saturation, {clients} clients")
                        phase = f"{number}-{clients}"
                        found = run_phase(base, ledger,
                                          saturation_work(stations, clients, plan, phase),
                                          None, "saturation", start_time())
                        rows.append((name, found))
                        if clients == max(plan.clients):
                            saturated = found.post_rate
                    if number == 0:  # the chosen model: its latency under a paced load
                        rows += paced(base, ledger, stations, plan, saturated, kind, number)
            finally:
                ledger.engine.dispose()
    return rows


def paced(base: str, ledger: Ledger, stations: Sequence[Station], plan: Plan,
          saturated: float, kind: str, number: int) -> list[tuple[str, Phase]]:
    """The paced phases: the plant's rate, then each share of the saturated posts/s."""
    loads = [(f"plant: 1 post/{plan.plant_interval:g} s each", plan.plant_interval),
             *((f"{share:.0%} of saturation", len(stations) / (share * saturated))
               for share in plan.loads)]
    rows = []
    for step, (label, interval) in enumerate(loads):
        offered = len(stations) / interval
        log(f"{kind}: paced, {label} ({offered:,.0f} posts/s offered)")
        work = paced_work(stations, interval, plan, f"{number}-paced{step}")
        rows.append(("chosen, paced", run_phase(base, ledger, work, offered, label,
                                                start_time())))
    return rows


def render(kind: str, rows: list[tuple[str, Phase]]) -> list[str]:
    head = (f"{'worker model':34s} {'clients':>7s} {'events':>7s} {'events/s':>9s} "
            f"{'p50':>8s} {'p95':>8s} {'p99':>8s} {'max':>8s}  lost dup failed audit  target")
    out = [f"[{kind}] 1. saturation (closed loop: each client posts again as soon as "
           "answered); latency = clients / throughput, not a target", head, "-" * len(head)]
    single = {name: p.rate for name, p in rows if p.offered is None and p.clients == 1}
    five = {name: p.rate for name, p in rows if p.offered is None and p.clients == 5}
    for name, p in rows:
        if p.offered is not None:
            continue
        notes = []
        if p.clients == 8 and name in single:
            ratio = p.rate / single[name]
            notes.append(f"{ratio:.2f}x the 1-client rate, >= 2x: {verdict(ratio >= 2)}")
        if p.clients == STATIONS and name in five:
            ratio = p.rate / five[name]
            notes.append(f"{ratio:.0%} of the 5-client rate, >= {FLAT_TARGET:.0%}: "
                         f"{verdict(ratio >= FLAT_TARGET)}")
        out.append(f"{name:34s} {p.clients:7d} {p.events:7,d} {p.rate:9,.0f} "
                   f"{latencies(p)}  {'; '.join(notes)}")
    paced_rows = [p for _, p in rows if p.offered is not None]
    if paced_rows:
        head = (f"{'offered load':34s} {'posts/s':>7s} {'events':>7s} {'events/s':>9s} "
                f"{'p50':>8s} {'p95':>8s} {'p99':>8s} {'max':>8s}  lost dup failed audit  "
                "target")
        out += ["", f"[{kind}] 2. paced (open loop: {STATIONS} stations on their own timers, "
                "the chosen model); latency from the time each post was due", head,
                "-" * len(head)]
        for p in paced_rows:
            target = ""
            if p.label.startswith("plant") or p.label.startswith("50%"):
                ms = [x * 1000 for x in p.latencies]
                target = (f"p95 <= {P95_TARGET_MS:.0f} ms: "
                          f"{verdict(percentile(ms, 95) <= P95_TARGET_MS)}")
            out.append(f"{p.label:34s} {p.offered or 0:7,.0f} {p.events:7,d} {p.rate:9,.0f} "
                       f"{latencies(p)}  {target}")
    return out


def latencies(p: Phase) -> str:
    ms = [x * 1000 for x in p.latencies]
    return (f"{statistics.median(ms):6.1f}ms {percentile(ms, 95):6.1f}ms "
            f"{percentile(ms, 99):6.1f}ms {max(ms):6.1f}ms  {p.lost:4d} {p.duplicated:3d} "
            f"{p.failed:6d} {'ok' if p.audit_ok else 'FAIL':>5s}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: the chosen model "
                        "only, fewer events")
    parser.add_argument("--batch", type=int, default=BATCH, help="events per post")
    parser.add_argument("--plant-interval", type=float, default=PLANT_INTERVAL_S,
                        metavar="SECONDS", help="at the plant's rate, each station posts a "
                        "batch every this many seconds (default %(default)s)")
    parser.add_argument("--paced-seconds", type=float, metavar="SECONDS",
                        help="how long each paced phase lasts (default: 20 quick, 60 full)")
    parser.add_argument("--pg", metavar="URL", help="also on PostgreSQL (a scratch database "
                        "is created there and dropped)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.batch < 1:
        parser.error(f"--batch must be at least 1, not {args.batch}")
    if args.plant_interval <= 0:
        parser.error(f"--plant-interval must be positive, not {args.plant_interval}")
    if args.paced_seconds is not None and args.paced_seconds <= 0:
        parser.error(f"--paced-seconds must be positive, not {args.paced_seconds}")
    plan = dataclasses.replace(plan, batch=args.batch, plant_interval=args.plant_interval,
                               paced_seconds=args.paced_seconds or plan.paced_seconds)
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="dledger-bench-serve-"))
    lines: list[str] = []
    failed = False
    try:
        for kind in ("sqlite", *(("postgresql",) if args.pg else ())):
            rows = measure(kind, args.pg, plan, work)
            failed |= any(p.lost or p.duplicated or p.failed or not p.audit_ok for _, p in rows)
            lines += [*render(kind, rows), ""]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Dismantle Ledger console benchmark ({'quick' if args.quick else 'full'} run): "
          f"{STATIONS} stations registered, {plan.batch} signed events per post; paced "
          f"phases of {plan.paced_seconds:g} s")
    for fact in machine_facts(str(work.parent)):
        print("  " + fact)
    print()
    print("\n".join(lines))
    print(f"total run time: {time.perf_counter() - began:,.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
