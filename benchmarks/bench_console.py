"""The console benchmark: server-side latency of the dashboard, unit search and unit page on a
ledger of years of data.

    .venv/bin/python benchmarks/bench_console.py            # 10^6 units (~8 M entries), cached
    .venv/bin/python benchmarks/bench_console.py --quick    # smoke run, a few thousand units
    .venv/bin/python benchmarks/bench_console.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Seeding: a plant of ~1,400 units a day over ~2 years, through `Ledger.append` in batches of
10,000 PLANT events (durable commits, projections updated and every event judged by the
rules in the same transaction), after the default catalogue at entry 0. The generator follows
that catalogue: per day a scale calibration per scale and one lot per fraction its routes use
(marked hazardous as the catalogue says); per unit unit.received (within its category's weight
range, with a nameplate gas of the category), refrigerant.recovered into a registered
cylinder of that gas (a new one registered when the charge might not fit under its Guideline K
limit) or refrigerant.absent, component.removed for the required components (and some
optional ones) into a lot of the component's fraction, material.output for the route's
output fractions (shares drawn from the yield ranges) and unit.completed (~10 entries a
unit); some units come out low on recovery, mass balance or yields, and are flagged. The
last day stops at 15:00 plant time, which the console takes as "now" (so "today" is a
working day in progress). The seeded SQLite file is cached under
`<tempdir>/dledger-bench-cache`, named by size and a fingerprint of the schema and of this
generator; PostgreSQL is seeded afresh in a scratch database `dledger_bench_console`,
dropped at the end (or, with --pg-keep, kept under a name with the size and fingerprint and
reused by later runs).

Timing: requests through Flask's test client, in process (server-side time: routing,
queries, rendering; no network), signed in as a manager, after two warm-up requests per
kind; p50 and p95 over >= 50 requests each (fewer with --quick), and the median CPU time
of this process per request (the machine's other work stretches elapsed times, not that;
PostgreSQL's own work is in its server, not counted there). Unit search and the unit
page are the units area's routes (`/units/?q=`, `/units/<label>`) when they exist, else the
equivalent indexed queries (said so in the table). Progress goes to stderr, the table to
stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ledger import catalogue as process_catalogue  # noqa: E402
from ledger.events import parse_event  # noqa: E402
from ledger.log import Ledger, Submission  # noqa: E402
from ledger.store import migrate, open_engine  # noqa: E402

SEED_BATCH = 10_000
PG_SCRATCH_DB = "dledger_bench_console"
ZONE = ZoneInfo("Asia/Shanghai")
LAST_DAY = date(2026, 11, 20)
NOW_LOCAL = datetime(2026, 11, 20, 15, 0, tzinfo=ZONE)  # the console's "now"
MONTH = ("2026-10-01", "2026-10-31")
UNITS_PER_DAY = 1_400
TARGET_P95_MS = 200.0
ORIGIN = "ledger.bench-plant.example/BENCH"
MANAGER = "bench-manager"

# The catalogue the seeded ledger publishes at entry 0 and that its rules judge every event
# by: categories, weight ranges, nameplate gases, required steps, fractions and their hazard
# class, components and their fractions, yield ranges. The generator reads them all from it,
# so what it makes passes the rules (its faults are the flagged kind, never the refused kind).
CATALOGUE = process_catalogue.load()
# What the catalogue does not say: the plant's intake mix (share of units, by category) ...
INTAKE_MIX = {"fridge": 20, "room_ac": 12, "washing_machine": 18, "crt_tv": 15, "flat_tv": 12,
              "desktop_pc": 8, "laptop": 4, "crt_monitor": 3, "flat_monitor": 4,
              "range_hood": 1.5, "electric_water_heater": 1.2, "gas_water_heater": 0.8,
              "microwave": 0.5}
# ... and, per nameplate gas, its share among a category's gases and its charge range (g).
CHARGES = {"R-600a": (60, (40, 80)), "R-134a": (35, (100, 160)), "R-12": (5, (120, 145)),
           "R-22": (40, (900, 1800)), "R-410A": (40, (800, 1700)), "R-32": (20, (600, 1100)),
           "R-290": (5, (250, 500))}
DEFAULT_CHARGE = (1, (100, 500))  # a gas a plant's catalogue adds
CYLINDER_TARE_G, CYLINDER_WATER_G = 15_000, 50_000  # a 50 L recovery cylinder, empty
OPTIONAL_COMPONENT = 0.5  # how often an optional component is removed (and weighed)
OPTIONAL_OUTPUT = 0.9  # how often an optional output fraction is sorted out
FRACTIONS = sorted({s.target for c in CATALOGUE.categories.values() for s in c.steps
                    if s.kind == "output"}
                   | {CATALOGUE.components[s.target].fraction
                      for c in CATALOGUE.categories.values() for s in c.steps
                      if s.kind == "component"})
SCALES = ("SC-1", "SC-2", "SC-3")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ms(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# -- the plant's days ----------------------------------------------------------------------------


@dataclass
class Samples:
    """Some of what was seeded, to look up: labels, trade-in codes, serials."""

    labels: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)


def after_now(moment: datetime) -> bool:
    """Whether `moment` is after the console's "now" (what the seeded ledger has not seen)."""
    return moment > NOW_LOCAL


class Plant:
    """Deterministic events of `days` working days ending on LAST_DAY (NOW_LOCAL cut-off),
    after the catalogue (entry 0, published by whoever seeds): every event passes its rules."""

    def __init__(self, units: int, seed: int = 20261120, per_day: int = UNITS_PER_DAY):
        self.rng = random.Random(seed)
        self.units = units
        self.per_day = min(per_day, units)
        self.days = -(-units // self.per_day)
        self.seq = 0
        self.samples = Samples()
        self.every = max(1, units // 400)  # ~400 sampled units to look up
        names = [c for c in CATALOGUE.categories if INTAKE_MIX.get(c)]
        self.category_weights = ([INTAKE_MIX[c] for c in names], names)
        self.cylinders = 0
        self.cylinder: dict[str, tuple[str, int, int]] = {}  # gas -> (id, gross now, max gross)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, etype: str, moment: datetime, subject: str,
              data: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.uid(), "type": etype, "time": ms(moment), "station": "PLANT",
                "operator": "M-0001", "subject": subject, "data": data}

    def events(self) -> Iterator[dict[str, Any]]:
        first = LAST_DAY - timedelta(days=self.days - 1)
        for n in range(self.days):
            day = first + timedelta(days=n)
            count = min(self.per_day, self.units - self.seq)
            yield from self.day(day, count)

    def day(self, day: date, count: int) -> Iterator[dict[str, Any]]:
        r = self.rng
        opening = datetime(day.year, day.month, day.day, 7, 40, tzinfo=ZONE)
        stamp = f"{day:%Y%m%d}"
        for i, scale in enumerate(SCALES):
            yield self.event("scale.calibrated", opening + timedelta(minutes=i), f"scale:{scale}",
                             {"reference_g": 20000, "reading_g": 20001, "tolerance_g": 5,
                              "passed": True})
        for i, fraction in enumerate(FRACTIONS):
            yield self.event("lot.opened", opening + timedelta(minutes=5, seconds=i),
                             f"lot:LOT-{stamp}-{fraction.upper()}",
                             {"fraction": fraction,
                              "hazardous": CATALOGUE.fractions[fraction].hazardous})
        start = datetime(day.year, day.month, day.day, 8, 0, tzinfo=ZONE)
        spread = timedelta(hours=10, minutes=30) / max(count, 1)
        weights, names = self.category_weights
        for i in range(count):
            received = start + spread * i + timedelta(seconds=r.randint(0, 20))
            if day == LAST_DAY and received > NOW_LOCAL:
                break
            self.seq += 1
            category = r.choices(names, weights)[0]
            yield from self.unit(stamp, CATALOGUE.categories[category], received)

    def recovery(self, gas: str, charge: int, moment: datetime,
                 events: list[tuple[str, datetime, str, dict[str, Any]]]) -> dict[str, Any]:
        """A recovery of up to `charge` g of `gas` into the gas's current cylinder, which is
        replaced by a newly registered one (an event added to `events`) when the charge might
        not fit under its Guideline K limit."""
        r = self.rng
        current = self.cylinder.get(gas)
        if current is None or current[1] + charge > current[2]:
            self.cylinders += 1
            name = f"CYL-{self.cylinders:06d}"
            limit = process_catalogue.guideline_k_max_gross_g(gas, CYLINDER_WATER_G,
                                                              CYLINDER_TARE_G, CATALOGUE)
            events.append(("cylinder.registered", moment - timedelta(seconds=30),
                           f"cylinder:{name}", {"refrigerant": gas, "tare_g": CYLINDER_TARE_G,
                                                "water_capacity_g": CYLINDER_WATER_G,
                                                "max_gross_g": limit}))
            current = (name, CYLINDER_TARE_G, limit)
        name, before, limit = current
        recovered = max(1, round(charge * r.uniform(0.91, 0.99)))
        if r.random() < 0.01:
            recovered = max(1, round(charge * r.uniform(0.5, 0.85)))  # a leaker: low_recovery
        self.cylinder[gas] = (name, before + recovered, limit)
        return {"refrigerant": gas, "cylinder": name, "cylinder_gross_before_g": before,
                "cylinder_gross_after_g": before + recovered, "recovered_g": recovered,
                "scale": "SC-2", "nameplate_charge_g": charge}

    def unit(self, stamp: str, category: process_catalogue.Category,
             received: datetime) -> Iterator[dict[str, Any]]:
        r = self.rng
        label = f"CN3301-{received.year}-{self.seq:07d}"
        subject = f"unit:{label}"
        low, high = category.weight_g
        gross = max(low, r.randint(low, high) // 20 * 20)
        data: dict[str, Any] = {"category": category.code, "gross_g": gross, "scale": "SC-1",
                                "source": "trade_in" if r.random() < 0.6 else "collector"}
        if data["source"] == "trade_in":
            data["trade_in_code"] = f"TI-{self.seq:010d}"
        if r.random() < 0.5:
            data["serial"] = f"{r.getrandbits(40):010X}"
        gas = None
        if category.refrigerants:
            mix = [CHARGES.get(g, DEFAULT_CHARGE) for g in category.refrigerants]
            gas, (_, (lo, hi)) = r.choices(list(zip(category.refrigerants, mix, strict=True)),
                                           [w for w, _ in mix])[0]
            data["nameplate_refrigerant"] = gas
            data["nameplate_charge_g"] = r.randint(lo, hi) // 5 * 5
        if self.seq % self.every == 0:
            self.samples.labels.append(label)
            if "trade_in_code" in data:
                self.samples.codes.append(data["trade_in_code"])
            if "serial" in data:
                self.samples.serials.append(data["serial"])
        events: list[tuple[str, datetime, str, dict[str, Any]]] = [
            ("unit.received", received, subject, data)]
        t = received + timedelta(minutes=r.randint(8, 20))
        recovered = 0
        if gas:
            if r.random() < 0.04:
                events.append(("refrigerant.absent", t, subject, {"reason": "circuit_empty"}))
            elif not after_now(t):  # a cylinder only takes what is logged
                recovery = self.recovery(gas, data["nameplate_charge_g"], t, events)
                recovered = recovery["recovered_g"]
                events.append(("refrigerant.recovered", t, subject, recovery))
        removed = 0
        for step in category.steps:
            if step.kind != "component" or not (step.required or
                                                r.random() < OPTIONAL_COMPONENT):
                continue
            fraction = CATALOGUE.components[step.target].fraction
            low_pct, high_pct = category.yields.get(fraction, (Decimal("0.2"), Decimal("1")))
            mass = max(20, round(gross * r.uniform(float(low_pct), float(high_pct)) / 100))
            removed += mass
            t += timedelta(minutes=r.randint(2, 6))
            events.append(("component.removed", t, subject, {
                "component": step.target, "count": 1, "mass_g": mass, "scale": "SC-3",
                "lot": f"LOT-{stamp}-{fraction.upper()}"}))
        shares = {}
        for step in category.steps:
            if step.kind == "output" and (step.required or r.random() < OPTIONAL_OUTPUT):
                low_pct, high_pct = category.yields.get(step.target, (Decimal(1), Decimal(1)))
                shares[step.target] = r.uniform(float(low_pct), float(high_pct))
        whole = sum(shares.values())
        kept = r.uniform(0.955, 0.995) if r.random() > 0.02 else r.uniform(0.85, 0.95)
        target = gross * kept - recovered - removed  # ~2 % of units out of mass balance
        for fraction, share in shares.items():
            t += timedelta(minutes=r.randint(2, 6))
            mass = max(1, round(target * share / whole))
            events.append(("material.output", t, subject, {
                "fraction": fraction, "mass_g": mass, "lot": f"LOT-{stamp}-{fraction.upper()}",
                "scale": "SC-3"}))
        events.append(("unit.completed", t + timedelta(minutes=r.randint(2, 8)), subject, {}))
        for etype, moment, about, payload in events:
            if after_now(moment):
                return  # still on the line at "now": work in progress
            yield self.event(etype, moment, about, payload)


def generator_fingerprint() -> str:
    """Changes when this generator or what entries and projections hold changes (the cache
    key, with the size)."""
    source = Path(__file__).read_bytes()
    generator = source[source.index(b"SEED_BATCH = "):source.index(b"def generator_fingerprint")]
    digest = hashlib.sha256(generator)
    # what the entries and read models hold; new indexes and tables come from `migrate`
    # on the cached file at each run instead
    for name in ("projections.py", "hourly.py", "events.py", "canonical.py", "log.py",
                 "catalogue.py", "catalogue.toml", "corrections.py"):
        digest.update((REPO / "ledger" / name).read_bytes())
    for path in sorted((REPO / "ledger" / "rules").glob("*.py")):  # what the rules accept
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def seed(ledger: Ledger, plant: Plant, what: str,
         every_million: Callable[[], None] | None = None) -> tuple[int, float]:
    """Append the plant's events; returns (entries, seconds). `every_million` runs after the
    first 20,000 entries and then every million (PostgreSQL: ANALYZE, see seed_pg). Entry 0
    publishes CATALOGUE, as `dledger init` does: the rules judge the plant's events by it."""
    began = time.perf_counter()
    ledger.publish_catalogue(CATALOGUE, "default", operator="A-0001")
    batch: list[Submission] = []
    done = 1
    last_report = began
    for obj in plant.events():
        batch.append(Submission(parse_event(obj)))
        if len(batch) == SEED_BATCH:
            ledger.append(batch)
            done += len(batch)
            batch = []
            if every_million and (done == 2 * SEED_BATCH or done % 1_000_000 == 0):
                every_million()
            if time.perf_counter() - last_report > 15:
                last_report = time.perf_counter()
                spent = last_report - began
                log(f"  seeding {what}: {done:,} entries, {plant.seq:,}/{plant.units:,} units "
                    f"({done / spent:,.0f} entries/s)")
    if batch:
        ledger.append(batch)
        done += len(batch)
    return done, time.perf_counter() - began


# -- databases -----------------------------------------------------------------------------------


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


@dataclass
class Seeded:
    url: str
    entries: int
    units: int
    seconds: float | None  # None: from the cache
    samples: Samples


def cached_sqlite(cache: Path, units: int) -> Seeded:
    fp = generator_fingerprint()
    path = cache / f"console-u{units}-{fp}.db"
    info = cache / f"console-u{units}-{fp}.json"
    fresh = False
    if not path.exists() or not info.exists():
        for stale in cache.glob(f"console-u{units}-*.db*"):
            stale.unlink()
        partial = cache / f"console-u{units}-{fp}.partial.db"
        remove_db(partial)
        log(f"seeding {units:,} units into {path} (once; cached for later runs)")
        engine = open_engine(f"sqlite:///{partial}")
        migrate(engine)
        plant = Plant(units)
        entries, seconds = seed(Ledger(engine), plant, f"SQLite {units:,} units")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{partial}{suffix}")
        os.replace(partial, path)
        info.write_text(json.dumps({"seconds": seconds, "units": plant.seq,
                                    "samples": asdict(plant.samples)}))
        fresh = True
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)  # a no-op when current; else adds what later migrations add
    engine.dispose()
    saved = json.loads(info.read_text())
    with sqlite3.connect(path) as con:
        entries = con.execute("SELECT size FROM ledger_state").fetchone()[0]
    return Seeded(f"sqlite:///{path}", entries, saved["units"],
                  saved["seconds"] if fresh else None, Samples(**saved["samples"]))


@contextlib.contextmanager
def pg_scratch(url: str) -> Iterator[str]:
    """Create the scratch database, yield its SQLAlchemy URL, drop it afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    scratch = make_url(url).set(database=PG_SCRATCH_DB)
    admin_dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_SCRATCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_SCRATCH_DB}"')
    try:
        yield scratch.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_SCRATCH_DB}" WITH (FORCE)')


def kept_pg(url: str, cache: Path, units: int) -> Seeded:
    """--pg-keep: a seeded database kept on the server, named like the SQLite cache (size and
    fingerprint) and reused while its record in the cache folder says it is complete; other
    sizes' or fingerprints' kept databases are dropped when a new one is seeded."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"{PG_SCRATCH_DB}_u{units}_{generator_fingerprint()}"
    info = cache / f"{name}.json"
    admin_dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    target = make_url(url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               (name,)).fetchone()
        if exists and info.exists():
            engine = open_engine(target)
            migrate(engine)  # a no-op when current; else adds what later migrations add
            with engine.connect() as conn:
                entries = conn.exec_driver_sql("SELECT size FROM ledger_state").scalar_one()
            engine.dispose()
            saved = json.loads(info.read_text())
            return Seeded(target, entries, saved["units"], None, Samples(**saved["samples"]))
        stale = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                              (f"{PG_SCRATCH_DB}_u%",)).fetchall()
        for (old,) in stale:
            admin.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    seeded = seed_pg(target, units)
    info.write_text(json.dumps({"units": seeded.units, "samples": asdict(seeded.samples)}))
    return seeded


def seed_pg(url: str, units: int) -> Seeded:
    engine = open_engine(url)
    migrate(engine)
    plant = Plant(units)
    log(f"seeding {units:,} units into PostgreSQL {engine.url.database}")

    def analyze() -> None:
        # A fresh database has no statistics until autovacuum's first ANALYZE, which lags a
        # bulk load: meanwhile the append's `event_id IN (...)` lookup of 10,000 ids was
        # planned as a sequential scan of ledger_entries and seeding slowed as it grew.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")

    entries, seconds = seed(Ledger(engine), plant, f"PostgreSQL {units:,} units", analyze)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum would have done by then
    engine.dispose()
    return Seeded(url, entries, plant.seq, seconds, plant.samples)


# -- timing ----------------------------------------------------------------------------------------


Timing = tuple[list[float], list[float]]  # per request: elapsed seconds, this process's CPU


@dataclass
class Row:
    label: str
    timing: Timing
    note: str = ""

    @property
    def times(self) -> list[float]:
        return self.timing[0]

    def pct(self, q: float, cpu: bool = False) -> float:
        values = sorted(self.timing[1] if cpu else self.timing[0])
        if len(values) == 1:
            return values[0] * 1000
        return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def console_app(url: str, home: Path) -> Any:
    """The console on the database at `url`, with one manager; returns (app, client)."""
    from ledger.instance import KEY_FILE, Instance, write_config
    from ledger.keys import new_plant_signer, write_key
    from web import accounts
    from web.app import create_app
    from web.auth import User
    from web.context import engine

    write_config(home, ORIGIN, plaintext_key=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_key(home / KEY_FILE, new_plant_signer(ORIGIN), None, allow_plaintext=True)
    app = create_app(Instance(home, ORIGIN, url, True),
                     {"TESTING": True, "DLEDGER_DASHBOARD_NOW": NOW_LOCAL.astimezone(UTC)})
    with app.app_context():
        if accounts.get_user(engine(), MANAGER) is None:
            accounts.create_user(engine(), MANAGER, "manager", "bench password 1234")
        account = accounts.get_user(engine(), MANAGER)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = User(account).get_id()
        session["_fresh"] = True
    return app, client


def time_requests(client: Any, paths: Sequence[str], n: int,
                  ok: tuple[int, ...] = (200,)) -> Timing:
    for path in paths[:2]:  # warm-up: templates compiled, pages cached
        client.get(path)
    times: Timing = ([], [])
    for i in range(n):
        path = paths[i % len(paths)]
        began, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times[0].append(time.perf_counter() - began)
        times[1].append(time.process_time() - cpu)
        if response.status_code not in ok:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        response.close()
    return times


def time_calls(call: Callable[[Any], object], args: Sequence[Any], n: int) -> Timing:
    for arg in args[:2]:
        call(arg)
    times: Timing = ([], [])
    for i in range(n):
        began, cpu = time.perf_counter(), time.process_time()
        call(args[i % len(args)])
        times[0].append(time.perf_counter() - began)
        times[1].append(time.process_time() - cpu)
    return times


def measure(seeded: Seeded, n: int, home: Path, explain: bool = False) -> list[Row]:
    from sqlalchemy import text

    from web.context import engine

    app, client = console_app(seeded.url, home)
    rows = [
        Row("dashboard, today (last day to 15:00)", time_requests(
            client, ["/dashboard/?range=today"], n)),
        Row("dashboard, this shift", time_requests(client, ["/dashboard/?range=shift"], n)),
        Row("dashboard, this week", time_requests(client, ["/dashboard/?range=week"], n)),
        Row(f"dashboard, month {MONTH[0][:7]}", time_requests(
            client, [f"/dashboard/?range=custom&from={MONTH[0]}&to={MONTH[1]}"], n)),
    ]
    s = seeded.samples
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    if "/units/" in routes and "/units/<path:label>" in routes:
        for what, values in (("label", s.labels), ("trade-in code", s.codes),
                             ("serial", s.serials)):
            rows.append(Row(f"unit search by {what} (/units/?q=)",
                            time_requests(client, [f"/units/?q={v}" for v in values], n,
                                          ok=(200, 302)), "one match: 302 to its page"))
        rows.append(Row("unit page (/units/<label>)",
                        time_requests(client, [f"/units/{v}" for v in s.labels], n)))
    else:
        note = "routes absent: indexed queries"
        with app.app_context(), engine().connect() as conn:
            for what, column, values in (("label", "label", s.labels),
                                         ("trade-in code", "trade_in_code", s.codes),
                                         ("serial", "serial", s.serials)):
                sql = text(f"SELECT * FROM units WHERE {column} = :v")
                rows.append(Row(f"unit search by {what}", time_calls(
                    lambda v, sql=sql: conn.execute(sql, {"v": v}).all(), values, n), note))

            def page(label: str) -> None:
                conn.execute(text("SELECT * FROM units WHERE label = :v"), {"v": label}).all()
                conn.execute(text("SELECT * FROM unit_outputs WHERE label = :v"),
                             {"v": label}).all()
                conn.execute(text("SELECT idx, body FROM ledger_entries WHERE subject = :s "
                                  "ORDER BY idx"), {"s": f"unit:{label}"}).all()
            rows.append(Row("unit page", time_calls(page, s.labels, n), note))
    if explain:
        with app.app_context(), engine().connect() as conn:
            print_plans(conn)
    app.extensions["dledger"].ledger.engine.dispose()
    return rows


def print_plans(conn: Any) -> None:
    """The plan of each dashboard query for the month (stderr): SQLite's EXPLAIN QUERY PLAN,
    PostgreSQL's EXPLAIN."""
    from sqlalchemy import text

    from web.dashboard import queries, ranges

    span = ranges.parse({"range": "custom", "from": MONTH[0], "to": MONTH[1]}, ZONE, (),
                        NOW_LOCAL)
    log(f"query plans ({conn.dialect.name}), month {MONTH[0]} to {MONTH[1]}:")
    if conn.dialect.name == "sqlite":
        for name, lines in queries.explain(conn, span).items():
            log(f"  {name}: " + " | ".join(lines))
        return
    binds = {**queries.example_binds(span), "l0": "LOT"}
    for name, sql in queries.SQL.items():
        sql = sql.replace("{cycle_times}", queries._cycle_times("postgresql")).replace(
            "{names}", ":l0")
        lines = [row[0].strip() for row in conn.execute(text("EXPLAIN " + sql), binds)]
        log(f"  {name}: " + " | ".join(lines))


def render(title: str, rows: list[Row]) -> str:
    """The table: elapsed p50 and p95 (the target), and the median CPU time of this process
    per request (Flask, Python and SQLite; not PostgreSQL's server), which tells what a
    request costs when other work on the machine stretches the elapsed times."""
    out = [title, f"  {'request':44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8}  "
                  f"p95 <= {TARGET_P95_MS:.0f} ms"]
    for row in rows:
        p95 = row.pct(95)
        out.append(f"  {row.label:44} {len(row.times):>4} {row.pct(50):>8.1f} {p95:>8.1f} "
                   f"{row.pct(50, cpu=True):>8.1f}  "
                   f"{'ok' if p95 <= TARGET_P95_MS else 'MISSED'}"
                   + (f"  ({row.note})" if row.note else ""))
    return "\n".join(out)


def describe(engine_name: str, seeded: Seeded) -> str:
    how = ("from the cache" if seeded.seconds is None else
           f"seeded in {seeded.seconds:,.0f} s ({seeded.entries / seeded.seconds:,.0f} entries/s, "
           f"batches of {SEED_BATCH:,})")
    return (f"{engine_name}: {seeded.units:,} units, {seeded.entries:,} entries, "
            f"{-(-seeded.units // UNITS_PER_DAY):,} days to {LAST_DAY} ({how})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--units", type=int, help="units to seed (default 1,000,000; "
                        "--quick: 3,000)")
    parser.add_argument("--requests", type=int, help="requests per kind (default 60; "
                        "--quick: 10)")
    parser.add_argument("--pg", metavar="URL", help="also on PostgreSQL (a scratch database "
                        f"{PG_SCRATCH_DB} is created there and dropped)")
    parser.add_argument("--pg-units", type=int, help="units to seed on PostgreSQL "
                        "(default: as --units)")
    parser.add_argument("--pg-keep", action="store_true", help="keep the seeded PostgreSQL "
                        "database for later runs (and reuse a kept one) instead of a scratch "
                        "database")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--explain", action="store_true",
                        help="print the dashboard queries' plans for the month (stderr)")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "dledger-bench-cache",
                        help="where the seeded SQLite database is kept between runs")
    args = parser.parse_args(argv)
    units = args.units or (3_000 if args.quick else 1_000_000)
    n = args.requests or (10 if args.quick else 60)
    began = time.perf_counter()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dledger-bench-console-"))
    tables = []
    try:
        if not args.no_sqlite:
            seeded = cached_sqlite(args.cache_dir, units)
            log("timing on SQLite")
            tables.append(render(describe(f"SQLite {sqlite3.sqlite_version}", seeded),
                                 measure(seeded, n, work / "sqlite", args.explain)))
        if args.pg:
            with contextlib.ExitStack() as stack:
                if args.pg_keep:
                    seeded = kept_pg(args.pg, args.cache_dir, args.pg_units or units)
                else:
                    seeded = seed_pg(stack.enter_context(pg_scratch(args.pg)),
                                     args.pg_units or units)
                log("timing on PostgreSQL")
                tables.append(render(describe("PostgreSQL", seeded),
                                     measure(seeded, n, work / "pg", args.explain)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Dismantle Ledger console benchmark ({'quick' if args.quick else 'full'} run): "
          "server-side time per request (Flask test client, in process)")
    print(f"  cpus: {os.cpu_count()}; load average (1, 5, 15 min) at the start: {load}, at the "
          f"end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  now = {NOW_LOCAL:%Y-%m-%d %H:%M} {ZONE.key}; {n} requests per kind after 2 "
          "warm-up requests")
    for table in tables:
        print()
        print(table)
    print()
    print(f"total run time: {time.perf_counter() - began:,.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
