"""The fund table's renderings (拆解处理情况表): its PDF (ledger.certificates.fund_pdf) and its
XLSX (ledger.certificates.fund_xlsx), each in a process of its own from the document's JSON
file, as the console and `dledger cert xlsx` render an issued table (units read from the file
as they stream by): wall time, CPU time, and peak resident memory (VmHWM from /proc; reset
once the document is loaded, so "render" is what rendering added to the process).

    .venv/bin/python benchmarks/bench_fund_render.py                    # 250,000 units once,
                                                                        # 3 runs of 2,000
    .venv/bin/python benchmarks/bench_fund_render.py --large 0 --runs 3 --small 500

The document is the renderers' test fixture (tests/certificates/fund_fixture.py: units drawn
from a seed, every row, total and day summed from them, a lot per 2,000 units), written to a
temporary folder. Figures go to stdout, one JSON object a measurement.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from certificates.fund_fixture import fund_document  # noqa: E402

from ledger.certificates import document as doc_format  # noqa: E402

CONSOLE = "https://ledger.example-plant.cn"
ZONE = "Asia/Shanghai"


def status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {name}")


def _render(path: Path, what: str) -> dict[str, Any]:
    """In a fresh process: load the document from `path`, then render it as `what`."""
    from ledger.certificates import fund_xlsx, pdf

    document = doc_format.parse(path)
    digest = doc_format.sha256(document)
    held = status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    began, began_cpu = time.perf_counter(), time.process_time()
    if what == "pdf":
        size = len(pdf.render(document, verify_url=pdf.verify_url_for(CONSOLE, digest),
                              timezone=ZONE, attachment=path, sha256=digest))
    else:
        out = path.with_suffix(".xlsx")
        fund_xlsx.write_fund_table(document, out, timezone=ZONE)
        size = out.stat().st_size
    return {"render_s": time.perf_counter() - began, "cpu_s": time.process_time() - began_cpu,
            "held_mb": held / 1024, "peak_mb": status_kb("VmHWM") / 1024,
            "render_mb": (status_kb("VmHWM") - held) / 1024, "out_mb": size / 2**20}


def measure(units: int, what: str, folder: Path) -> dict[str, Any]:
    path = folder / f"fund-{units}.json"
    if not path.exists():
        began = time.perf_counter()
        with path.open("wb") as out:
            out.writelines(doc_format.serialised(fund_document(units)))
        print(f"wrote {units:,} units in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        found: dict[str, Any] = pool.apply(_render, (path, what))
    return {"units": units, "what": what, "json_mb": path.stat().st_size / 2**20, **found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", type=int, default=250_000, help="units, rendered once (0: "
                        "none)")
    parser.add_argument("--small", type=int, default=2_000, help="units, rendered --runs times")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dledger-bench-fund-") as name:
        folder = Path(name)
        for what in ("pdf", "xlsx"):
            runs = [measure(args.small, what, folder) for _ in range(args.runs)]
            for run in runs:
                print(json.dumps(run))
            for key in ("render_s", "cpu_s", "render_mb"):
                values = [run[key] for run in runs]
                print(json.dumps({"units": args.small, "what": what, "figure": key,
                                  "median": statistics.median(values), "min": min(values),
                                  "max": max(values)}))
            if args.large:
                print(json.dumps(measure(args.large, what, folder)))


if __name__ == "__main__":
    main()
