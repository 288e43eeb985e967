"""A period report's lines as `lines.csv`, the attachment a large report's PDF carries instead
of printing them (ledger.certificates.pdf).

One row per line, in the report's order, after one header row that names each column in
Chinese and English. UTF-8 with a byte-order mark, so that Excel opens the Chinese as Chinese;
times in the plant's time zone (named in the header), masses in kg with three decimals and no
thousands separator (so that a spreadsheet reads them as numbers), codes in words as the PDF
prints them (ledger.certificates.words). Rows are written as the lines stream by: nothing
holds the report.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

from ledger.certificates.words import Words, both, named
from ledger.rules.codes import FLAG_NAMES, RESOLUTION_NAMES, STATUS_NAMES

ENCODING = "utf-8-sig"  # with a BOM: Excel reads UTF-8 only with one
Cell = Callable[[dict[str, Any], Words], Any]


def _kg(grams: int | None) -> str:
    return "" if grams is None else f"{Decimal(grams) / 1000:.3f}"


def _by_code(amounts: dict[str, int], section: str, unit: str) -> str:
    return "; ".join(f"{named(code, section)} {_kg(grams) if unit == 'kg' else grams}"
                     for code, grams in amounts.items())


def _flags(line: dict[str, Any], words: Words) -> str:
    return "; ".join(f"{words.flag_text(flag, 'zh-CN')} / {words.flag_text(flag, 'en')}"
                     for flag in line["flags"])


def _rules(line: dict[str, Any], words: Words) -> str:
    return "; ".join(f"#{v['entry']}: {words.rule_text(v, 'zh-CN')} / {words.rule_text(v, 'en')}"
                     for v in line["violations"])


def _reviews(line: dict[str, Any], _words: Words) -> str:
    return "; ".join(f"#{r['entry']}: {both(FLAG_NAMES, r['flag'])} · "
                     f"{both(RESOLUTION_NAMES, r['resolution'])}" for r in line["reviews"])


def last_entry(line: dict[str, Any]) -> int:
    """The last entry of the line's unit chain (format v2 states it; v1 lists the chain)."""
    last: int = line["last_entry"] if "last_entry" in line else line["entries"][-1]
    return last


def columns(time_zone: str) -> tuple[tuple[str, Cell], ...]:
    """(header, cell) of every column; times are in `time_zone`."""
    return (
        ("单元标签 Unit label", lambda line, w: line["label"]),
        ("以旧换新编号 Trade-in reference", lambda line, w: line["trade_in_code"] or ""),
        ("类别 Category", lambda line, w: named(line["category"], "categories")),
        (f"入厂时间 Received ({time_zone})", lambda line, w: w.time(line["received_at"])),
        (f"完成时间 Completed ({time_zone})", lambda line, w: w.time(line["completed_at"])),
        ("入厂重量 kg Intake weight", lambda line, w: _kg(line["gross_g"])),
        ("制冷剂回收 kg Refrigerant recovered", lambda line, w: _kg(line["refrigerant_g"])),
        ("按制冷剂 kg By refrigerant", lambda line, w: "; ".join(
            f"{gas} {_kg(grams)}" for gas, grams in line["refrigerant"].items())),
        ("二氧化碳当量 kg CO2e", lambda line, w: _kg(line["co2e_g"])),
        ("拆解产物 kg Outputs", lambda line, w: _kg(line["outputs_g"])),
        ("按物料 kg By fraction", lambda line, w: _by_code(line["outputs"], "fractions", "kg")),
        ("危险部件（数量） Components (count)",
         lambda line, w: _by_code(line["components"], "components", "count")),
        ("状态 Status", lambda line, w: both(STATUS_NAMES, line["status"])),
        ("待复核标记 Open flags", _flags),
        ("违反的规则 Rules broken", _rules),
        ("复核 Reviews", _reviews),
        ("判定目录条目 Catalogue entry", lambda line, w: line["catalogue_entry"]),
        ("末条目 Last entry of the unit", lambda line, w: last_entry(line)),
    )


class LinesCsv:
    """The CSV of a report's lines, written to `out` (a text file opened with
    `newline=""` and `ENCODING`) one line at a time."""

    def __init__(self, out: TextIO, words: Words, time_zone: str):
        self.columns = columns(time_zone)
        self.words = words
        self.writer = csv.writer(out)
        self.writer.writerow(["序号 No.", *(header for header, _ in self.columns)])
        self.rows = 0

    def add(self, line: dict[str, Any]) -> None:
        self.rows += 1
        self.writer.writerow([self.rows, *(cell(line, self.words) for _, cell in self.columns)])
