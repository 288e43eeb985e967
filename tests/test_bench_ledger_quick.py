"""The benchmark's smoke run finishes and prints every figure (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "bench_ledger.py"

LABELS = [
    "cpus:",
    "python:",
    "sqlite:",
    "temp dir:",
    "event validation (parse_event)",
    "single appends, ledger",
    "bare SQLite insert+commit",
    "single appends, ledger / bare SQLite",
    "single appends, CPU per append: ledger",
    "single appends, CPU per commit: bare",
    "group commit, 1 thread",
    "group commit, 8 threads",
    "group commit, 8 threads / 1 thread",
    "batched appends of 100",
    "batched appends of 1,000",
    "durable single appends, rules on",
    "durable single appends, rules off",
    "durable single appends, added by the rules",
    "batched appends of 100, rules on",
    "batched appends of 100, rules off",
    "batched appends of 1,000, added by the rules",
    "inclusion proof, ledger",
    "audit, station signatures on",
    "audit, station signatures off",
    "pymerkle single appends",
    "single appends, ledger / pymerkle",
    "pymerkle batched appends of 100",
    "pymerkle batched appends of 1,000",
    "pymerkle inclusion proof",
    "inclusion proof, pymerkle / ledger time",
    "total run time:",
]


@pytest.mark.slow
def test_quick_benchmark_prints_every_figure(tmp_path: Path) -> None:
    pytest.importorskip("pymerkle")
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=180, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    missing = [label for label in LABELS if label not in result.stdout]
    assert not missing, f"not printed: {missing}\n{result.stdout}"
