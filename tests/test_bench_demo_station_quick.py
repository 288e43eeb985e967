"""The demo and station benchmarks' smoke runs finish with every step accepted and print their
rows, the demo's with the ledger's own flags and recorded refusals (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def bench(name: str) -> str:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / name), "--quick"],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]
    return result.stdout


@pytest.mark.slow
def test_quick_demo_benchmark_completes_every_unit_and_shows_the_ledgers_records() -> None:
    out = bench("bench_demo.py")
    assert re.search(r"--units 20: 20 completed in [\d.]+ s .* audit ok: True", out), out
    for bench_name in ("intake", "recovery", "dismantling"):
        assert re.search(rf"^{bench_name}\s+\d+\s+[\d.]+", out, re.M), out
    assert re.search(r"^ledger: flags low_recovery \d+; refusals recorded duplicate_trade_in "
                     r"\d+; put aside \d+$", out, re.M), out


@pytest.mark.slow
def test_quick_station_benchmark_prints_both_modes() -> None:
    out = bench("bench_station.py")
    for mode in ("in-process", "over HTTP"):
        for step in ("wedge scan", "serial scan", "stable reading"):
            assert re.search(rf"^{mode}\s+{step} → acknowledged\s+n=\s*\d+  median", out,
                             re.M), out
        assert f"{mode.ljust(10)} events delivered to the ledger afterwards: 13" in out, out
