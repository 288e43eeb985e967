"""The certificates benchmark: building, issuing and verifying, on a ledger of realistic size.

    .venv/bin/python benchmarks/bench_certificates.py           # ~110k entries, 11,000-line report
    .venv/bin/python benchmarks/bench_certificates.py --quick   # smoke run

Figures (median and p95 over samples, min-max where few):

1. unit certificate: build (entries, proofs, statements; the checkpoint already signed),
   issue (append certificate.issued, sign a checkpoint, proofs), verify in-process from
   the JSON bytes (every check the verifier makes offline), its JSON size and its PDF.
2. period report of 11,000 lines (four plant days; format v2, the entry bundle beside it):
   build, issue, sizes, and verification time. A quarter's report is benchmarks/
   bench_period.py.

The seed: 12,500 fridges of benchmarks/quarter_seed.py, nine station-signed entries each, on
SQLite. It is cached under `<tempdir>/dledger-bench-cache` and copied for each run, so only
the first run pays for it. Progress goes to stderr, the figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import quarter_seed  # noqa: E402

from ledger.certificates import pdf  # noqa: E402
from ledger.certificates.build import build_period, build_unit  # noqa: E402
from ledger.certificates.document import serialise  # noqa: E402
from ledger.certificates.issue import issue  # noqa: E402
from ledger.certificates.verify import verify  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.note import Signer, new_signer, signing_key_string  # noqa: E402
from ledger.store import migrate, open_engine  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "dledger-bench-cache"
FORMAT_VERSION = "certs-4"  # bump when the seed's content changes


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seed(path: Path, units: int) -> Signer:
    """The cached seed at `path` (and its plant key beside it), made if missing."""
    key_file = path.with_suffix(".key")
    if path.exists() and key_file.exists():
        return Signer.parse(key_file.read_text())
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = open_engine(f"sqlite:///{partial}")
    migrate(engine)
    ledger, signer = Ledger(engine), new_signer(quarter_seed.ORIGIN)
    quarter_seed.seed(ledger, units, log)
    ledger.checkpoint(signer)
    engine.dispose()
    key_file.write_text(signing_key_string(signer))
    partial.rename(path)
    return signer


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"median {statistics.median(ordered):8.2f} ms   p95 {p95:8.2f} ms   "
            f"(min {ordered[0]:.2f}, max {ordered[-1]:.2f}, n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small seed (smoke run)")
    args = parser.parse_args()
    units = 3_000 if args.quick else 12_500
    lines = 2_750 if args.quick else 11_000  # whole plant days of quarter_seed
    samples = 20 if args.quick else 100
    cached = CACHE / f"{FORMAT_VERSION}-{units}.db"
    log(f"seed: {units:,} units at {cached}")
    signer = seed(cached, units)
    work = Path(tempfile.mkdtemp(prefix="dledger-bench-certs-"))
    try:
        shutil.copy(cached, work / "ledger.db")
        engine = open_engine(f"sqlite:///{work / 'ledger.db'}")
        ledger = Ledger(engine)
        vkey = signer.verifier.vkey
        print(f"ledger: {ledger.size():,} entries, {units:,} units (SQLite)")
        step = max(1, units // samples)
        labels = [quarter_seed.label(n) for n in range(0, units, step)][:samples]

        ledger.checkpoint(signer)
        build_ms = [timed(lambda label=label: build_unit(ledger, label, signer=signer))[0]
                    for label in labels]
        print(f"unit certificate, build:  {figures(build_ms)}")
        issued, issue_ms = [], []
        for label in labels:
            draft = build_unit(ledger, label, signer=signer)
            ms, document = timed(lambda draft=draft: issue(ledger, draft, signer))
            issue_ms.append(ms)
            issued.append(serialise(document))
        print(f"unit certificate, issue:  {figures(issue_ms)}  (append + sign + proofs)")
        verify_ms = []
        for data in issued:
            ms, report = timed(lambda data=data: verify(data, vkeys=[vkey]))
            assert report.ok, [c for c in report.checks if c.ok is False]
            verify_ms.append(ms)
        print(f"unit certificate, verify: {figures(verify_ms)}  (in-process, from JSON bytes)")
        print(f"unit certificate, JSON:   {statistics.median(len(d) for d in issued):,.0f} "
              f"bytes ({len(json.loads(issued[0])['entries'])} entries)")
        # The PDF part (cert-pdf-web); a 10,000-line report's PDF as a background job is in
        # benchmarks/bench_certificate_pdf.py.
        documents = [json.loads(data) for data in issued[:30]]
        url = pdf.verify_url_for("https://ledger.bench-plant.example", "0" * 64)
        pdf.render(documents[0], verify_url=url)  # warm-up: fonts and templates
        pdf_ms = [timed(lambda d=d: pdf.render(d, verify_url=url))[0] for d in documents]
        print(f"unit certificate, PDF:    {figures(pdf_ms)}  (PDF/A-3b, JSON attached; target "
              "p50 <= 250 ms)")

        end = quarter_seed.day_of(lines)

        def progress(done: int, total: int) -> None:
            if done == total or done % 2000 == 0:
                log(f"  period report: {done:,}/{total:,} units collected")

        bundle = work / "report.entries.gz"
        ms, report_doc = timed(lambda: build_period(ledger, "2026-07-01", end, None, progress,
                                                    signer=signer, bundle_to=bundle))
        count = len(report_doc["statements"]["lines"])
        print(f"period report ({count:,} lines, {report_doc['entries']['count']:,} entries, "
              f"format v2): build {ms / 1000:.2f} s")
        ms, report_doc = timed(lambda: issue(ledger, report_doc, signer))
        print(f"period report: issue {ms / 1000:.2f} s")
        ms, data = timed(lambda: serialise(report_doc))
        carried = "inside" if report_doc["entries"]["bundle"] else "beside it"
        bundle_bytes = bundle.stat().st_size if bundle.exists() else 0
        print(f"period report: JSON {len(data) / 1e6:.1f} MB ({len(data) / count:,.0f} bytes "
              f"per line, the entry bundle {carried}; bundle file {bundle_bytes / 1e6:.1f} MB),"
              f" serialised in {ms / 1000:.2f} s")
        ms, result = timed(lambda: verify(data, vkeys=[vkey], entries=lambda: bundle.open("rb")))
        assert result.ok, [c for c in result.checks if c.ok is False]
        print(f"period report: verify {ms / 1000:.2f} s  (250,000 lines: "
              "benchmarks/bench_period.py)")
        engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
