"""The quarter benchmark's smoke run of the fund table finishes, verifies what it issued and
prints every figure (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_fund_table_benchmark_prints_every_figure() -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_period.py"),
                             "--fund", "--only", "sqlite", "--sizes", "100,300"],
                            capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    assert "quarter benchmark: fund tables of 100, 300 units" in out
    assert "sqlite, fund table" in out
    figures = [line.split() for line in out.splitlines() if line.strip().startswith("300 ")]
    assert figures and len(figures[-1]) == 12, out  # lines ... verify s, CPU, MB
    assert "verify peak memory from 100 to 300 lines" in out
    assert "targets (fund table, 250,000 units): issue and verify each ≤ 60 s and ≤ 500 MB" \
        in out
