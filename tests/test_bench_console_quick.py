"""The console benchmark's smoke run finishes and prints every row (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "bench_console.py"

ROWS = [
    "SQLite ",
    "dashboard, today (last day to 15:00)",
    "dashboard, this shift",
    "dashboard, this week",
    "dashboard, month 2026-10",
    "unit search by label",
    "unit search by trade-in code",
    "unit search by serial",
    "unit page",
    "total run time:",
]


@pytest.mark.slow
def test_quick_console_benchmark_prints_every_row(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--units", "600", "--requests", "5",
         "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=240, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    missing = [row for row in ROWS if row not in result.stdout]
    assert not missing, f"not printed: {missing}\n{result.stdout}"
    assert re.search(r"SQLite [\d.]+: [\d,]+ units, [\d,]+ entries", result.stdout)
