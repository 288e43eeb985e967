"""The tiles benchmark's smoke run finishes and prints every figure (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LABELS = ["tiles export, into an empty folder", "tiles export again, nothing changed",
          "read and verify every entry, from the folder",
          "read and verify every entry, over HTTP (/tlog/)",
          "reader's peak memory, whole log from the folder", "total run time:"]


@pytest.mark.slow
def test_quick_tiles_benchmark_prints_every_figure() -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_tiles.py"),
                             "--quick"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-4000:]
    missing = [label for label in LABELS if label not in result.stdout]
    assert not missing, f"not printed: {missing}\n{result.stdout}"
