"""The certificate PDF benchmark: a unit certificate's PDF (wall and CPU time per render), a
period report issued in the background with progress, and large reports rendered with their
lines attached as lines.csv (time and peak memory).

    .venv/bin/python benchmarks/bench_certificate_pdf.py            # all, 10,000-line job
    .venv/bin/python benchmarks/bench_certificate_pdf.py --quick    # smoke run
    .venv/bin/python benchmarks/bench_certificate_pdf.py --unit-only  # the unit certificate
    .venv/bin/python benchmarks/bench_certificate_pdf.py --lines 3000 --renders 50 \
        --large 50000,250000

Plant: the console benchmark's generator (benchmarks/bench_console.py: categories, gases,
components and outputs as a plant records them, ~7.9 entries a unit), two working days of
`lines` units each, appended with `Ledger.append` to a fresh SQLite instance in a temporary
folder. The report covers the first day: exactly `lines` units completed.

Unit certificate: one issued certificate of that plant, rendered `renders` times in this
process after one warm-up (`ledger.certificates.pdf.render`, PDF/A-3b with its JSON attached,
as the console renders it): wall time and the process's CPU time per render (CPU time is what
other work on a shared machine inflates least), median and range. Targets: p50 <= 250 ms
wall, <= 150 ms CPU.

Period report: issued as the console issues it, `ledger.certificates.jobs.start` (its own
process), polled every 0.25 s through the job record as the progress page does: time per
phase, render time per 1,000 lines, the job process's peak resident memory (VmHWM from /proc).

Large reports: the period report's lines copied under new labels to `--large` sizes (totals
added up again), each rendered in a process of its own from its JSON file as the job renders
(attachment from the file, lines.csv written as the lines stream): render time, and the
render's peak memory beyond what the process held with the document loaded (VmHWM reset
before rendering). Progress goes to stderr, the figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_console import LAST_DAY, ORIGIN, Plant, seed  # noqa: E402

from ledger.canonical import canonical_bytes  # noqa: E402
from ledger.certificates import archive, jobs, pdf  # noqa: E402
from ledger.certificates import document as doc_format  # noqa: E402
from ledger.certificates.statements import period_totals  # noqa: E402
from ledger.instance import KEY_FILE, Instance, write_config  # noqa: E402
from ledger.keys import new_plant_signer, write_key  # noqa: E402
from ledger.store import migrate  # noqa: E402

TARGET_WALL_MS = 250.0
TARGET_CPU_MS = 150.0
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
    lines = document["statements"]["totals"]["all"]["units"]
    starts, following = {}, total  # a phase the polling missed began when the next one did
    for phase in ("done", "render", "issue", "collect"):
        following = starts[phase] = phases.get(phase, following)
    render_s = total - starts["render"]
    return {"lines": lines, "entries": doc_format.entry_count(document), "total_s": total,
            "collect_s": starts["issue"] - min(starts["collect"], phases.get("starting", 0.0)),
            "issue_s": starts["render"] - starts["issue"],
            "render_s": render_s, "render_per_1000_s": render_s / lines * 1000,
            "peak_mb": peak,
            "pdf_mb": archive.pdf_path(instance.home, job["sha256"]).stat().st_size / 2**20,
            "json_mb": archive.json_path(instance.home, job["sha256"]).stat().st_size / 2**20,
            "sha256": job["sha256"]}


def status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise SystemExit(f"/proc/self/status has no {name}")


def grown(document: dict[str, Any], count: int) -> dict[str, Any]:
    """The period report with its lines copied under new labels to `count` lines."""
    statements = document["statements"]
    columns = statements["columns"]
    real = list(doc_format.period_lines(statements))

    def lines() -> Iterator[dict[str, Any]]:
        for number in range(count):
            yield {**real[number % len(real)], "label": f"BENCH-{number:07d}"}

    rows = [canonical_bytes([line[column] for column in columns]).decode() for line in lines()]
    return {**document, "statements": {**statements, "lines": rows,
                                       "totals": period_totals(lines())}}


def render_large(source: Path, count: int, folder: Path) -> dict[str, float]:
    """In a process of its own: the report at `source` grown to `count` lines, written to a
    JSON file, loaded back and rendered from it; time and the render's own peak memory."""
    path = folder / f"large-{count}.json"
    path.write_bytes(doc_format.serialise(grown(json.loads(source.read_bytes()), count)))
    document = json.loads(path.read_bytes())
    digest = doc_format.sha256(document)
    held = status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    began, began_cpu = time.perf_counter(), time.process_time()
    data = pdf.render(document, verify_url=pdf.verify_url_for(CONSOLE, digest),
                      attachment=path, sha256=digest)
    return {"lines": count, "render_s": time.perf_counter() - began,
            "cpu_s": time.process_time() - began_cpu, "held_mb": held / 1024,
            "peak_mb": (status_kb("VmHWM") - held) / 1024, "pdf_mb": len(data) / 2**20,
            "json_mb": path.stat().st_size / 2**20}


def bench_large(source: Path, sizes: list[int], folder: Path) -> list[dict[str, float]]:
    context = multiprocessing.get_context("spawn")
    found = []
    for count in sizes:
        log(f"large report of {count:,} lines: rendering in a process of its own ...")
        with context.Pool(1) as pool:
            found.append(pool.apply(render_large, (source, count, folder)))
    return found


def spread(values: list[float]) -> str:
    """Median and range, in ms."""
    return (f"median {statistics.median(values):.0f} ms, range {min(values):.0f}–"
            f"{max(values):.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000, help="units in the period report")
    parser.add_argument("--renders", type=int, default=30, help="unit certificate renders")
    parser.add_argument("--large", default="50000,250000",
                        help="sizes of the large reports rendered, comma-separated ('' none)")
    parser.add_argument("--quick", action="store_true",
                        help="1,000 lines, 10 renders, one large report of 20,000 lines")
    parser.add_argument("--unit-only", action="store_true",
                        help="the unit certificate only (same plant), no period reports")
    args = parser.parse_args(argv)
    lines, renders = (1_000, 10) if args.quick else (args.lines, args.renders)
    sizes = [20_000] if args.quick else [int(n) for n in args.large.split(",") if n.strip()]
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
        period: dict[str, float] | None = None
        large = []
        if not args.unit_only:
            first_day = str(LAST_DAY.fromordinal(LAST_DAY.toordinal() - 1))
            log(f"period report {first_day}: job in the background ...")
            period = bench_period(instance, first_day)
        ledger.engine.dispose()
        if period is not None:
            large = bench_large(archive.json_path(instance.home, str(period["sha256"])),
                                sizes, Path(folder))

    wall_p50, cpu_p50 = statistics.median(times), statistics.median(cpu)
    print("Certificate PDFs (WeasyPrint, PDF/A-3b, JSON attached)")
    print(f"  unit certificate PDF, {renders} renders after a warm-up:")
    print(f"    wall per render: {spread(times)}, p95 {percentile(times, 0.95):.0f} ms  (target "
          f"p50 <= {TARGET_WALL_MS:.0f} ms: {'met' if wall_p50 <= TARGET_WALL_MS else 'NOT met'})")
    print(f"    CPU per render:  {spread(cpu)}, p95 {percentile(cpu, 0.95):.0f} ms  (target "
          f"p50 <= {TARGET_CPU_MS:.0f} ms: {'met' if cpu_p50 <= TARGET_CPU_MS else 'NOT met'})")
    print(f"    load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end "
          "(wall time includes waiting for a core)")
    if period is None:
        return 0
    print(f"  period report, {period['lines']:,} lines ({period['entries']:,} entries) as a "
          f"background job: {period['total_s']:.1f} s in all (collect {period['collect_s']:.1f} "
          f"s, issue {period['issue_s']:.1f} s, render {period['render_s']:.1f} s = "
          f"{period['render_per_1000_s']:.1f} s per 1,000 lines)")
    print(f"    job process peak memory {period['peak_mb']:.0f} MB; PDF {period['pdf_mb']:.1f} "
          f"MB, JSON {period['json_mb']:.1f} MB")
    for found in large:
        print(f"  large report, {found['lines']:,} lines (lines.csv attached): render "
              f"{found['render_s']:.1f} s ({found['cpu_s']:.1f} s CPU), peak memory "
              f"+{found['peak_mb']:.0f} MB over the {found['held_mb']:.0f} MB held with the "
              f"document loaded; PDF {found['pdf_mb']:.1f} MB, JSON {found['json_mb']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
