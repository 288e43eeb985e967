"""The quarter benchmark: period reports of 50,000, 100,000 and 250,000 units (a mid-size
plant's quarter, ~2.25 M entries) issued and verified, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_period.py            # the quarter (seeding: once, minutes)
    .venv/bin/python benchmarks/bench_period.py --quick    # 3,000 units, a smoke run
    .venv/bin/python benchmarks/bench_period.py --only postgresql --sizes 10000,25000,50000
    .venv/bin/python benchmarks/bench_period.py --fund --only sqlite --sizes 250000

Each report is built and issued (certificate format v2: entry bundle beside it, one
multi-leaf proof) in a process of its own, then verified in another, so each figure's peak
memory (maximum resident set) is that step's alone. Figures: time, peak memory, the
certificate's size per line (without the bundle), the bundle's size, and whether memory stays
flat from the smallest to the largest report. Targets (issue "A plant's real volume"):
250,000 lines issued in ≤ 5 min with ≤ 512 MB, ≤ 300 bytes per line plus the proof, verified
in ≤ 2 min with ≤ 512 MB; 100,000 lines in ≤ 2 min; memory flat (±10 %) from 50,000 to
250,000 lines. Seeded ledgers are kept (SQLite in the temp folder, PostgreSQL as a database
named after the seed) for later runs. Progress on stderr, figures on stdout.

Figures (2-core machine shared with other work; `--only sqlite --sizes 50000,100000,250000`,
and `--only postgresql --sizes 50000,250000`), peak memory is not affected by the load:

    lines streamed (report_spool, streamed_json)       lines held in memory (before)
             issue s  CPU s   MB  verify s  CPU s  MB   issue s  MB  verify s  MB
    SQLite
     52,245  19–32     16     98   17–33     15    94    40–63  177   21–32  138
    101,745  33–64     30     98   28–55     28    94    35–68  249   38–53  194
    250,000  69–140    70     98–99 67–200   69    95      170  448     107  364
    PostgreSQL
     52,245     18     17    108      15     15    95
    250,000     98     81    108     109     76    95    102    468      80  361 (last session)

Memory is flat: +0 % (issue) and +1 % (verify) from 50,000 to 250,000 lines, where it grew
+153 % and +163 %. Ranges over 3–4 runs (median at 250,000 lines: issue 70 s, verify 70 s);
the longer times are runs with the load at 4–6.

The fund table (`--fund`, docs/certificates.md §3.4) of the quarter, 250,000 units on the
table (target: issued and verified each in ≤ 60 s with ≤ 500 MB); its units are derived in
a worker process (ledger/fund/workers.py), whose CPU and peak memory are the second figure:

             issue s  CPU s     MB       verify s  CPU s    MB      bytes/line  bundle MB
    SQLite (another session's tests beside it, load 1.6-3)
    250,000     98    49+56   122+89        86    70+56   118+87       183        388
    PostgreSQL (load about 4)
    250,000    138    52+63   120+85       218    72+61   121+88       183        388
    before the workers (SQLite, load about 5)
    250,000    251      141      109       243      145      106       183        361
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import quarter_seed  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "dledger-bench-cache"
PG_ADMIN = os.environ.get("DLEDGER_TEST_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FULL = (50_000, 100_000, 250_000)
QUICK = (1_000, 3_000)
FUND_TARGETS = {"seconds": 60, "mb": 500}  # issue 15: the fund table of a quarter
TARGETS = {"issue_s": 300, "issue_mb": 512, "verify_s": 120, "verify_mb": 512,
           "line_bytes": 300, "issue_100k_s": 120, "flat_pct": 10}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workers() -> dict[str, float]:
    """The peak memory of the largest worker process (a fund table's, ledger/fund/workers.py)
    and the CPU seconds of all of them."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"workers_mb": used.ru_maxrss / 1024, "workers_cpu_s": used.ru_utime + used.ru_stime}


# -- the two measured steps, each in its own process ------------------------------------------

def issue_step(url: str, units: int, out: Path, kind: str) -> dict[str, Any]:
    from ledger.certificates import build
    from ledger.certificates.archive import write_atomically
    from ledger.certificates.build import build_period
    from ledger.certificates.build_fund import build_fund_table
    from ledger.certificates.document import LINES, serialised
    from ledger.certificates.issue import issue
    from ledger.log import Ledger
    from ledger.note import Signer
    from ledger.store import open_engine

    signer = Signer.parse((out.parent / "plant.key").read_text())
    ledger = Ledger(open_engine(url))
    bundle = out.with_suffix(".entries.gz")
    build.EMBED_BUNDLE_MAX = 0  # the bundle beside the certificate, so its size is apart
    started = time.perf_counter()
    make = build_fund_table if kind == "fund_table" else build_period
    draft = make(ledger, "2026-07-01", quarter_seed.day_of(units), signer=signer,
                 bundle_to=bundle)
    built = time.perf_counter() - started
    document = issue(ledger, draft, signer)
    write_atomically(out, serialised(document))  # written as it is encoded, never held
    seconds = time.perf_counter() - started
    lines = len(document["statements"][LINES[kind]])
    proof = len(json.dumps(document["entries"]["proof"]))
    size = out.stat().st_size
    return {"seconds": seconds, "cpu_s": time.process_time(), "build_s": built,
            "peak_mb": peak_mb(), "lines": lines,
            "entries": document["entries"]["count"], "runs": len(document["entries"]["runs"]),
            "bytes": size, "line_bytes": (size - proof) / lines,
            "proof_bytes": proof,
            "bundle_bytes": bundle.stat().st_size if bundle.exists() else 0, **workers()}


def verify_step(cert: Path, vkey: str) -> dict[str, Any]:
    from ledger.certificates.verify import verify

    bundle = cert.with_suffix(".entries.gz")
    started = time.perf_counter()
    report = verify(cert, vkeys=[vkey], entries=lambda: bundle.open("rb"))  # read as checked
    return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time(),
            "peak_mb": peak_mb(), **workers(), "ok": report.ok,
            "failed": [f"{c.name}: {c.detail}" for c in report.checks if c.ok is False]}


def in_process(*args: str) -> dict[str, Any]:
    """Run one step in a fresh Python process; its figures."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"step {args[:2]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- seeds ------------------------------------------------------------------------------------

def seeded(kind: str, units: int, work: Path) -> str:
    """The URL of a ledger holding `units` units (seeded now if it is not cached), and the
    plant key beside the work folder."""
    from ledger.log import Ledger
    from ledger.note import new_signer, signing_key_string
    from ledger.store import migrate, open_engine

    name = quarter_seed.seed_name(units)
    key_file = CACHE / f"{name}.key"
    CACHE.mkdir(exist_ok=True)
    if not key_file.exists():
        key_file.write_text(signing_key_string(new_signer(quarter_seed.ORIGIN)))
    (work / "plant.key").write_text(key_file.read_text())
    if kind == "sqlite":
        path = CACHE / f"{name}.db"
        url = f"sqlite:///{path}"
        if path.exists():
            return url
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        target = f"sqlite:///{partial}"
    else:
        done = CACHE / f"{name}.postgresql-seeded"  # written once the seed is whole
        url = _pg_database(name.replace("-", "_"), fresh=not done.exists())
        if done.exists():
            return url
        target = url
    quarter_seed.stderr(f"seeding {units:,} units on {kind} (once; cached)")
    engine = open_engine(target)
    migrate(engine)
    quarter_seed.seed(Ledger(engine), units, quarter_seed.stderr)
    engine.dispose()
    if kind == "sqlite":
        partial.rename(path)
    else:
        done.write_text(url)
    return url


def _pg_database(name: str, fresh: bool) -> str:
    """The URL of the seed's database on the server; `fresh`: dropped and made again (a seed
    that was interrupted)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN)
    database = f"dledger_bench_{name}"
    with psycopg.connect(admin.set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (database,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{database}"')
    return admin.set(database=database).render_as_string(hide_password=False)


# -- the run ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small reports (smoke run)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database")
    parser.add_argument("--sizes", help="report sizes in units, comma-separated (the largest "
                                        "is seeded)")
    parser.add_argument("--fund", action="store_true",
                        help="the fund table (拆解处理情况表) of the period, not its report")
    parser.add_argument("--step", choices=("issue", "verify"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--units", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vkey", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "issue":
        print(json.dumps(issue_step(args.url, args.units, args.out,
                                    "fund_table" if args.fund else "period")))
        return
    if args.step == "verify":
        print(json.dumps(verify_step(args.out, args.vkey)))
        return
    sizes = (tuple(int(n) for n in args.sizes.split(",")) if args.sizes
             else QUICK if args.quick else FULL)
    kinds = (args.only,) if args.only else ("sqlite", "postgresql")
    what = "fund tables" if args.fund else "reports"
    print(f"quarter benchmark: {what} of {', '.join(f'{n:,}' for n in sizes)} units, "
          f"{quarter_seed.STEPS} entries each, on {' and '.join(kinds)}")
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="dledger-bench-period-") as folder:
            work = Path(folder)
            url = seeded(kind, sizes[-1], work)
            from ledger.note import Signer

            vkey = Signer.parse((work / "plant.key").read_text()).verifier.vkey
            rows = []
            for units in sizes:
                cert = work / f"report-{units}.json"
                quarter_seed.stderr(f"{kind}: issuing the report of {units:,} units")
                issued = in_process("--step", "issue", "--url", url, "--units", str(units),
                                    "--out", str(cert), *(["--fund"] if args.fund else []))
                quarter_seed.stderr(f"{kind}: verifying it")
                checked = in_process("--step", "verify", "--out", str(cert), "--vkey", vkey)
                if not checked["ok"]:
                    raise SystemExit(f"the report did not verify: {checked['failed']}")
                rows.append((units, issued, checked))
                cert.unlink()
                cert.with_suffix(".entries.gz").unlink(missing_ok=True)
            report(kind, rows, args.fund)


def report(kind: str, rows: list[tuple[int, dict[str, Any], dict[str, Any]]],
           fund: bool) -> None:
    print(f"\n{kind}{', fund table' if fund else ''}")
    print(f"  {'lines':>8} {'entries':>10} {'issue s':>8} {'(build)':>8} {'(CPU)':>9} "
          f"{'MB':>8} {'bytes/line':>10} {'proof B':>8} {'bundle MB':>9} {'verify s':>8} "
          f"{'(CPU)':>9} {'MB':>8}")
    for _units, issued, checked in rows:
        print(f"  {issued['lines']:>8,} {issued['entries']:>10,} {issued['seconds']:>8.1f} "
              f"{issued['build_s']:>8.1f} {_cpu(issued):>9} {_mb(issued):>8} "
              f"{issued['line_bytes']:>10.0f} {issued['proof_bytes']:>8,} "
              f"{issued['bundle_bytes'] / 1e6:>9.1f} {checked['seconds']:>8.1f} "
              f"{_cpu(checked):>9} {_mb(checked):>8}")
    print("  (CPU: the process's + its workers'; MB: the process's peak + the largest "
          "worker's)")
    (_, small, small_v), (_, large, large_v) = rows[0], rows[-1]
    for step, a, b in (("issue", small, large), ("verify", small_v, large_v)):
        change = 100 * (b["peak_mb"] - a["peak_mb"]) / a["peak_mb"]
        print(f"  {step} peak memory from {rows[0][0]:,} to {rows[-1][0]:,} lines: "
              f"{change:+.0f} % (target within ±{TARGETS['flat_pct']} %)")
    if fund:
        print(f"  targets (fund table, 250,000 units): issue and verify each ≤ "
              f"{FUND_TARGETS['seconds']} s and ≤ {FUND_TARGETS['mb']} MB")
        return
    print(f"  targets: issue ≤ {TARGETS['issue_s']} s and ≤ {TARGETS['issue_mb']} MB, "
          f"≤ {TARGETS['line_bytes']} bytes per line plus the proof, verify ≤ "
          f"{TARGETS['verify_s']} s and ≤ {TARGETS['verify_mb']} MB, 100,000 lines issued in "
          f"≤ {TARGETS['issue_100k_s']} s")


def _cpu(step: dict[str, Any]) -> str:
    return f"{step['cpu_s']:.0f}+{step['workers_cpu_s']:.0f}"


def _mb(step: dict[str, Any]) -> str:
    return f"{step['peak_mb']:.0f}+{step['workers_mb']:.0f}"


if __name__ == "__main__":
    main()
