"""Issue 12 point 7 for the console: it reads the log only through the Ledger API (never SQL
on ledger_entries) and keeps no threshold of its own (the calibration period is the
catalogue's)."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"


def _sources() -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(WEB.rglob("*.py"))]


def test_no_sql_on_ledger_entries_in_the_console():
    sql = re.compile(r"(FROM|JOIN|INTO|UPDATE)\s+ledger_entries\b", re.IGNORECASE)
    found = [f"{path.relative_to(WEB.parent)}:{text[:m.start()].count(chr(10)) + 1}"
             for path, text in _sources() for m in sql.finditer(text)]
    assert found == []
    assert not [path for path, text in _sources() if "LedgerEntry" in text]


def test_the_console_has_no_calibration_period_setting():
    assert not [path for path, text in _sources() if "DLEDGER_CALIBRATION_PERIOD_H" in text]
