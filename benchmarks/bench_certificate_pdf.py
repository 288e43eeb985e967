"""The certificate PDF benchmark: how long a unit certificate's PDF takes, and a 10,000-line
period report issued in the background with progress (time and peak memory).

    .venv/bin/python benchmarks/bench_certificate_pdf.py            # unit PDFs + 10,000 lines
    .venv/bin/python benchmarks/bench_certificate_pdf.py --quick    # smoke run: 1,000 lines
    .venv/bin/python benchmarks/bench_certificate_pdf.py --lines 3000 --renders 50

Plant: the console benchmark's generator (benchmarks/bench_console.py: categories, gases,
components and outputs as a plant records them, ~7.9 entries a unit), two working days of
`lines` units each, appended with `Ledger.append` to a fresh SQLite instance in a temporary
folder. The report covers the first day: exactly `lines` units completed.

Unit certificate: one issued certificate of that plant, rendered `renders` times in this
process after one warm-up (`ledger.certificates.pdf.render`, PDF/A-3b with its JSON attached);
wall time per render, median (p50), p95, min and max (and the process's CPU time, which
other work on the machine does not inflate). Target: p50 <= 250 ms.

Period report: issued as the console issues it, `ledger.certificates.jobs.start` (its own
process), polled every 0.25 s through the job record as the progress page does: time per
phase, render time per 1,000 lines, and the job process's peak resident memory (VmHWM from
/proc). Progress goes to stderr, the figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_console import LAST_DAY, ORIGIN, Plant, seed  # noqa: E402

from ledger.certificates import archive, jobs, pdf  # noqa: E402
from ledger.certificates import document as doc_format  # noqa: E402
from ledger.instance import KEY_FILE, Instance, write_config  # noqa: E402
from ledger.keys import new_plant_signer, write_key  # noqa: E402
from ledger.store import migrate  # noqa: E402

TARGET_P50_MS = 250.0
CONSOLE = "https://ledger.bench-plant.example"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_instance(home: Path) -> Instance:
    write_config(home, ORIGIN, plaintext_key=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_key(home / KEY_FILE, new_plant_signer(ORIGIN), None, allow_plaintext=True)
    instance = Instance.locate(home, new=True)
    engine = instance.engine()
    migrate(engine)
    engine.dispose()
    return instance


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def bench_unit(instance: Instance, label: str, renders: int) -> tuple[list[float], list[float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        digest = jobs.issue_and_store(instance, jobs.Request(kind="unit", label=label,
                                                             console_url=CONSOLE))
    document = archive.load(instance.home, digest)
    assert document is not None
    url = pdf.verify_url_for(CONSOLE, doc_format.sha256(document))
    pdf.render(document, verify_url=url)  # warm-up: fonts, templates
    wall, cpu = [], []
    for _ in range(renders):
        began, began_cpu = time.perf_counter(), time.process_time()
        pdf.render(document, verify_url=url)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return wall, cpu


def bench_period(instance: Instance, day: str) -> dict[str, float]:
    request = jobs.Request(kind="period", start=day, end=day, console_url=CONSOLE)
    began = time.perf_counter()
    job_id = jobs.start(instance, request, by="bench")
    phases: dict[str, float] = {}
    peak = 0.0
    last_log = 0.0
    while True:
        job = jobs.read(instance.home, job_id)
        assert job is not None
        now = time.perf_counter() - began
        phases.setdefault(job["phase"], now)
        if job["pid"]:
            peak = max(peak, peak_rss_mb(job["pid"]) or 0.0)
        if now - last_log >= 5:
            last_log = now
            log(f"  {now:6.1f} s  {job['state']:<8} {job['phase']:<8} "
                f"{job['done']:,}/{job['total']:,}  ({jobs.fraction(job):.0%})")
        if job["state"] not in ("starting", "running"):
            break
        time.sleep(0.25)
    total = time.perf_counter() - began
    if job["state"] != "done":
        raise SystemExit(f"the period report job ended {job['state']}: {job['error']}")
    document = json.loads(archive.json_path(instance.home, job["sha256"]).read_bytes())
    lines = len(document["statements"]["lines"])
    render_s = total - phases.get("render", total)
    return {"lines": lines, "entries": len(document["entries"]), "total_s": total,
            "collect_s": phases.get("issue", total) - phases.get("collect", 0.0),
            "issue_s": phases.get("render", total) - phases.get("issue", total),
            "render_s": render_s, "render_per_1000_s": render_s / lines * 1000,
            "peak_mb": peak,
            "pdf_mb": archive.pdf_path(instance.home, job["sha256"]).stat().st_size / 2**20,
            "json_mb": archive.json_path(instance.home, job["sha256"]).stat().st_size / 2**20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000, help="units in the period report")
    parser.add_argument("--renders", type=int, default=30, help="unit certificate renders")
    parser.add_argument("--quick", action="store_true", help="1,000 lines, 10 renders")
    args = parser.parse_args(argv)
    lines, renders = (1_000, 10) if args.quick else (args.lines, args.renders)
    with tempfile.TemporaryDirectory(prefix="dledger-bench-pdf-") as folder:
        instance = make_instance(Path(folder) / "instance")
        plant = Plant(2 * lines, per_day=lines)
        log(f"seeding {2 * lines:,} units over 2 days ...")
        ledger = instance.ledger()
        entries, seconds = seed(ledger, plant, "units")
        log(f"  {entries:,} entries in {seconds:.1f} s")
        label = plant.samples.labels[0]
        log(f"unit certificate PDF of {label}: {renders} renders ...")
        times, cpu = bench_unit(instance, label, renders)
        first_day = str(LAST_DAY.fromordinal(LAST_DAY.toordinal() - 1))
        log(f"period report {first_day}: job in the background ...")
        period = bench_period(instance, first_day)
        ledger.engine.dispose()

    p50 = statistics.median(times)
    print("Certificate PDFs (WeasyPrint, PDF/A-3b, JSON attached)")
    print(f"  unit certificate PDF, {renders} renders: p50 {p50:.0f} ms, "
          f"p95 {percentile(times, 0.95):.0f} ms, min {min(times):.0f} ms, "
          f"max {max(times):.0f} ms  (target p50 <= {TARGET_P50_MS:.0f} ms: "
          f"{'met' if p50 <= TARGET_P50_MS else 'NOT met'})")
    print(f"    CPU time per render: p50 {statistics.median(cpu):.0f} ms, p95 "
          f"{percentile(cpu, 0.95):.0f} ms (wall time includes waiting for a core: load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end)")
    print(f"  period report, {period['lines']:,} lines ({period['entries']:,} entries) as a "
          f"background job: {period['total_s']:.1f} s in all (collect {period['collect_s']:.1f} "
          f"s, issue {period['issue_s']:.1f} s, render {period['render_s']:.1f} s = "
          f"{period['render_per_1000_s']:.1f} s per 1,000 lines)")
    print(f"    job process peak memory {period['peak_mb']:.0f} MB; PDF {period['pdf_mb']:.1f} "
          f"MB, JSON {period['json_mb']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
