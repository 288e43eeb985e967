"""Demo plant throughput: `dledger demo --headless` on a fresh folder, as a user runs it.

Prints units per minute through the three real stations (simulated scanners and scales on
pseudo-terminals, the console over HTTP) and each bench's time per unit (median, p95, max):
what a unit costs in the station code, the device drivers and the console, with no worker
think time. Then what the ledger recorded: the flags it computed (rule_flags) and the
refusals the stations recorded (refusals), as the demo's summary counts them.

    .venv/bin/python benchmarks/bench_demo.py [--units 100 | --quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run of 20 units (figures dominated by start-up)")
    args = parser.parse_args()
    if args.quick:
        args.units = 20
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as folder:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DLEDGER_DATABASE_URL", "DLEDGER_KEY_PASSPHRASE")}
        env["DLEDGER_HOME"] = str(Path(folder) / "plant")
        done = subprocess.run([sys.executable, "-m", "dledger", "demo", "--headless", "--units",
                               str(args.units), "--port", "0"], env=env, capture_output=True,
                              text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the demo failed:\n{done.stderr[-3000:]}\n{done.stdout[-3000:]}")
    summary = json.loads(done.stdout)
    print(f"demo --headless --units {args.units}: {summary['units']['completed']} completed "
          f"in {summary['seconds']} s ({summary['units_per_minute']} units/min), "
          f"{summary['entries']} entries, audit ok: {summary['audit']['ok']}")
    print(f"{'bench':<12} {'units':>6} {'median s':>9} {'p95 s':>8} {'max s':>8}")
    for bench in ("intake", "recovery", "dismantling"):
        figures = summary["seconds_per_unit"].get(bench)
        if figures:
            print(f"{bench:<12} {figures['units']:>6} {figures['median']:>9.3f} "
                  f"{figures['p95']:>8.3f} {figures['max']:>8.3f}")
    flags = ", ".join(f"{code} {n}" for code, n in summary["flags"].items()) or "none"
    refused = ", ".join(f"{rule} {r['count']}" for rule, r in summary["refused"].items())
    print(f"ledger: flags {flags}; refusals recorded {refused or 'none'}; put aside "
          f"{len(summary['units']['put_aside'])}")


if __name__ == "__main__":
    main()
