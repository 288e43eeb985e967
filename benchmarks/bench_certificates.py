"""The certificates benchmark: building, issuing and verifying, on a ledger of realistic size.

    .venv/bin/python benchmarks/bench_certificates.py           # ~100k entries, 10,000-line report
    .venv/bin/python benchmarks/bench_certificates.py --quick   # smoke run, well under a minute

Figures (median and p95 over samples, min-max where few):

1. unit certificate: build (entries, proofs, statements; the checkpoint already signed),
   issue (append certificate.issued, sign a checkpoint, proofs), verify in-process from
   the JSON bytes (every check the verifier makes offline), and its JSON size.
2. period report of 10,000 lines (one unit each, its whole chain): build, JSON size (raw and
   gzip), issue, and verification time.

The seed: 12,500 fridges, each eight station-signed entries (intake, refrigerant recovery,
two components, three outputs, completion), 10,000 of them completed from 2026-11-01 to
2026-11-20 (plant time), ~100,000 entries in all, on SQLite. It is cached under
`<tempdir>/dledger-bench-cache` and copied for each run, so only the first run pays for it.
Progress goes to stderr, the figures to stdout.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ledger import catalogue  # noqa: E402
from ledger.certificates import pdf  # noqa: E402
from ledger.certificates.build import build_period, build_unit  # noqa: E402
from ledger.certificates.document import serialise  # noqa: E402
from ledger.certificates.issue import issue  # noqa: E402
from ledger.certificates.verify import verify  # noqa: E402
from ledger.events import PLANT_STATION, parse_event  # noqa: E402
from ledger.log import Ledger, Submission  # noqa: E402
from ledger.note import Signer, new_signer, signing_key_string  # noqa: E402
from ledger.store import migrate, open_engine  # noqa: E402

ORIGIN = "ledger.bench-plant.example/CN3301"
CACHE = Path(tempfile.gettempdir()) / "dledger-bench-cache"
FORMAT_VERSION = "certs-2"  # bump when the seed's content changes
STATION = "ST-01"
LOTS = {"ferrous": "LOT-FE", "plastic": "LOT-PL", "copper": "LOT-CU", "pcb": "LOT-PCB",
        "compressor": "LOT-CP"}
UNITS_PER_DAY = 500


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Seeder:
    """Builds the seed ledger through Ledger.append, as the stations would."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.key = Ed25519PrivateKey.generate()

    def event(self, etype: str, subject: str, data: dict[str, Any], at: datetime,
              station: str = STATION) -> Submission:
        obj = {"id": str(uuid.uuid4()), "type": etype,
               "time": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
               "station": station, "operator": "W-0042", "subject": subject, "data": data}
        event = parse_event(obj)
        if station == PLANT_STATION:
            return Submission(event)
        return Submission(event, base64.b64encode(self.key.sign(event.canonical)).decode())

    def setup(self) -> None:
        start = datetime(2026, 10, 31, tzinfo=UTC)
        public = base64.b64encode(self.key.public_key().public_bytes_raw()).decode()
        subs = [self.event("station.registered", f"station:{STATION}",
                           {"public_key": public, "name": "Depollution 1",
                            "approved_by": "A-0001"}, start, PLANT_STATION),
                self.event("scale.calibrated", "scale:SC-1",
                           {"reference_g": 10_000, "reading_g": 10_001, "tolerance_g": 5,
                            "passed": True}, start, PLANT_STATION)]
        for fraction, lot in LOTS.items():
            subs.append(self.event("lot.opened", f"lot:{lot}",
                                   {"fraction": fraction, "hazardous": fraction == "pcb"},
                                   start, PLANT_STATION))
        self.ledger.append(subs)

    def unit(self, n: int) -> list[Submission]:
        day, slot = divmod(n, UNITS_PER_DAY)
        at = datetime(2026, 11, 1, 1, tzinfo=UTC) + timedelta(days=day, seconds=slot * 57)
        label, step = f"CN3301-2026-{n:07d}", timedelta(minutes=1)
        subject = f"unit:{label}"
        gross = 45_000 + n % 900
        parts = [("unit.received", {"category": "fridge", "gross_g": gross, "scale": "SC-1",
                                    "source": "trade_in", "trade_in_code": f"TI-{n:08d}",
                                    "brand": "Haier", "model": "BCD-190",
                                    "serial": f"SN{n:010d}", "nameplate_refrigerant": "R-600a",
                                    "nameplate_charge_g": 55}),
                 ("refrigerant.recovered", {"refrigerant": "R-600a", "cylinder": "CYL-0007",
                                            "cylinder_gross_before_g": 18_000,
                                            "cylinder_gross_after_g": 18_052,
                                            "recovered_g": 52, "scale": "SC-1",
                                            "nameplate_charge_g": 55}),
                 ("component.removed", {"component": "pcb", "count": 1, "mass_g": 700,
                                        "scale": "SC-1", "lot": LOTS["pcb"]}),
                 ("component.removed", {"component": "compressor", "count": 1,
                                        "mass_g": 9_000, "scale": "SC-1",
                                        "lot": LOTS["compressor"]}),
                 ("material.output", {"fraction": "ferrous", "mass_g": 20_000,
                                      "lot": LOTS["ferrous"], "scale": "SC-1"}),
                 ("material.output", {"fraction": "plastic", "mass_g": 11_000,
                                      "lot": LOTS["plastic"], "scale": "SC-1"}),
                 ("material.output", {"fraction": "copper", "mass_g": 1_200,
                                      "lot": LOTS["copper"], "scale": "SC-1"}),
                 ("unit.completed", {})]
        return [self.event(etype, subject, data, at + i * step)
                for i, (etype, data) in enumerate(parts)]


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
    ledger, signer = Ledger(engine), new_signer(ORIGIN)
    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    seeder = Seeder(ledger)
    seeder.setup()
    started = time.perf_counter()
    batch: list[Submission] = []
    for n in range(units):
        batch += seeder.unit(n)
        if len(batch) >= 1000 or n == units - 1:
            ledger.append(batch)
            batch = []
        if n % 2500 == 2499:
            log(f"  seeded {n + 1:,} units ({ledger.size():,} entries, "
                f"{time.perf_counter() - started:.0f} s)")
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
    units = 1_250 if args.quick else 12_500
    lines = 1_000 if args.quick else 10_000
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
        labels = [f"CN3301-2026-{n:07d}" for n in range(0, units, step)][:samples]

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

        days = lines // UNITS_PER_DAY
        end = (datetime(2026, 11, 1) + timedelta(days=days - 1)).strftime("%Y-%m-%d")

        def progress(done: int, total: int) -> None:
            if done == total or done % 2000 == 0:
                log(f"  period report: {done:,}/{total:,} units collected")

        ms, report_doc = timed(lambda: build_period(ledger, "2026-11-01", end, None, progress,
                                                    signer=signer))
        count = len(report_doc["statements"]["lines"])
        print(f"period report ({count:,} lines, {len(report_doc['entries']):,} entries): "
              f"build {ms / 1000:.2f} s")
        ms, report_doc = timed(lambda: issue(ledger, report_doc, signer))
        print(f"period report: issue {ms / 1000:.2f} s")
        ms, data = timed(lambda: serialise(report_doc))
        packed = len(gzip.compress(data, 6))
        print(f"period report: JSON {len(data) / 1e6:.1f} MB ({len(data) / count:,.0f} bytes "
              f"per line; gzip {packed / 1e6:.1f} MB), serialised in {ms / 1000:.2f} s")
        ms, result = timed(lambda: verify(data, vkeys=[vkey]))
        assert result.ok, [c for c in result.checks if c.ok is False]
        print(f"period report: verify {ms / 1000:.2f} s")
        engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
