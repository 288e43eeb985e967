"""The fund table (废弃电器电子产品拆解处理情况表) as an XLSX workbook, for the plant's own
filing: the same table as the PDF (ledger.certificates.fund_form lays out both), one sheet
each for the form and its annexes, headers in Chinese and English.

Sheets: 拆解处理情况表 (the form), 每日 (days), 产物 (fractions), 去向 (destinations), 盘点
(stock count and reconciliation), 明细 (one row per unit). Numbers are numbers: unit counts
as integers, masses in kg from the statements' grams (format 0.000), amounts in 元 (0.00),
rates and standardised volumes as written; times are the plant's local times. Written by
XlsxWriter in constant-memory mode: each row goes to disk once the next one is begun, so a
quarter's 250,000 units take the memory of one row. The workbook is a copy for filing, not
evidence: what verifies is the certificate's JSON, which holds every figure here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from ledger.certificates import fund_form
from ledger.certificates.fund_form import Column
from ledger.certificates.pdf import TITLES, moment, zone_of
from ledger.certificates.words import NO_VALUE, Words

Progress = Callable[[int, int], None]  # (units written, units in all)
SHEETS = ("拆解处理情况表", "每日", "产物", "去向", "盘点", "明细")
MAX_ROWS = 1_048_576  # rows in a worksheet (Excel's limit)
PROGRESS_EVERY = 1_000
FORMATS = {"title": {"bold": True, "font_size": 14}, "bold": {"bold": True},
           "header": {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1},
           "group": {"bold": True, "align": "center", "bottom": 1},
           "heading": {"bold": True, "bg_color": "#EEEEEE"},
           "total": {"bold": True, "top": 1}, "total_int": {"bold": True, "top": 1,
                                                           "num_format": "#,##0"},
           "total_amount": {"bold": True, "top": 1, "num_format": "#,##0.00"},
           "total_figure": {"bold": True, "top": 1, "num_format": "#,##0.###"},
           "int": {"num_format": "#,##0"}, "kg": {"num_format": "#,##0.000"},
           "amount": {"num_format": "#,##0.00"}, "figure": {"num_format": "#,##0.###"},
           "time": {"num_format": "yyyy-mm-dd hh:mm:ss"}, "date": {"num_format": "yyyy-mm-dd"},
           "note": {"italic": True, "font_color": "#444444"}}


class XlsxError(ValueError):
    """The fund table cannot be written as a workbook; the message says why."""


def write_fund_table(document: dict[str, Any], path: Path, *, timezone: str,
                     progress: Progress | None = None) -> int:
    """Write the fund table `document` to `path` as XLSX; the number of units written.
    `timezone` is the plant's (times are written in it)."""
    if document.get("kind") != "fund_table":
        raise XlsxError(f"a {document.get('kind')!r} certificate is not a fund table; the "
                        "workbook is written for fund tables only")
    statements = document["statements"]
    try:
        fund_form.check(statements)
    except fund_form.FormError as exc:
        raise XlsxError(str(exc)) from None
    if len(statements["units"]) >= MAX_ROWS:
        raise XlsxError(f"the table holds {len(statements['units']):,} units; a worksheet "
                        f"holds {MAX_ROWS - 1:,} rows: issue it for a shorter period")
    zone = zone_of(timezone)
    words = Words(zone)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False,
                                           "strings_to_urls": False})
    styles = {name: book.add_format(spec) for name, spec in FORMATS.items()}
    try:
        _form(book.add_worksheet(SHEETS[0]), document, styles)
        _lines(book.add_worksheet(SHEETS[1]), fund_form.DAY_COLUMNS, statements["days"],
               styles, words, zone.key)
        _lines(book.add_worksheet(SHEETS[2]), fund_form.FRACTION_COLUMNS,
               statements["fractions"], styles, words, zone.key)
        _lines(book.add_worksheet(SHEETS[3]), fund_form.DESTINATION_COLUMNS,
               statements["destinations"], styles, words, zone.key)
        _stock(book.add_worksheet(SHEETS[4]), statements, styles)
        count = _units(book.add_worksheet(SHEETS[5]), statements, styles, words, zone.key,
                       progress)
    except fund_form.FormError as exc:
        raise XlsxError(str(exc)) from None
    finally:
        try:
            book.close()
        except FileCreateError as exc:
            raise XlsxError(f"cannot write {path}: {exc}") from None
    return count


FORM_HEADERS = (("类别 · 品种", 30), ("Category · sub-class", 34), ("期初库存 Opening stock", 10),
                ("接收 Received", 10), ("可计入 Creditable", 10), ("有待复核 Flagged", 10),
                ("不予计入 Excluded", 10), ("合计 All", 10), ("期末库存 Closing stock", 10),
                ("计入数量 Counted", 10), ("补贴标准 元/台 Rate, yuan/unit", 12),
                ("金额 元 Amount, yuan", 14), ("标准化处理量 Standardised", 12),
                ("版本 Fund version", 12))
DISMANTLED = (4, 7)  # the columns under 拆解 Dismantled


def _form(sheet: Any, document: dict[str, Any], styles: dict[str, Any]) -> None:
    """The form: title, facts, the two header rows, the body as fund_form lays it out."""
    statements = document["statements"]
    period, catalogue = statements["period"], statements["catalogue"]
    for column, (_, width) in enumerate(FORM_HEADERS):
        sheet.set_column(column, column, width)
    zh, en = TITLES["fund_table"]
    sheet.write(0, 0, zh, styles["title"])
    sheet.write(1, 0, en, styles["bold"])
    versions = " · ".join(f"{v['code']}: {v['zh']} {v['en']}"
                          for v in fund_form.versions(statements)) or NO_VALUE
    facts = (("处理企业 Plant", statements["plant"]),
             ("期间 Period", f"{period['from']} — {period['to']} ({period['time_zone']})"),
             ("基金表版本 Fund tables", f"工艺目录 catalogue {catalogue['version']}, 条目 entry "
                                    f"{catalogue['entry']}, SHA-256 {catalogue['sha256']}"),
             ("补贴标准版本 Fund versions", versions),
             ("签发时间 Issued (UTC)", document["issued_at"]),
             ("说明 Note", "本表为申报用副本；可验证的是证书 JSON。A copy for filing; the "
                         "certificate's JSON is what verifies."))
    for row, (label, value) in enumerate(facts, 2):
        sheet.write(row, 0, label, styles["bold"])
        sheet.write(row, 1, value)
    top = 2 + len(facts) + 1
    for column, (title, _) in enumerate(FORM_HEADERS):
        if DISMANTLED[0] <= column <= DISMANTLED[1]:
            continue
        sheet.write(top, column, title, styles["header"])
    sheet.merge_range(top, DISMANTLED[0], top, DISMANTLED[1], "拆解 Dismantled",
                      styles["group"])
    for column in range(len(FORM_HEADERS)):
        inside = DISMANTLED[0] <= column <= DISMANTLED[1]
        sheet.write(top + 1, column, FORM_HEADERS[column][0] if inside else None,
                    styles["header"])
    sheet.freeze_panes(top + 2, 2)
    row = top + 2
    for line in fund_form.body(statements):
        if line.row is None:
            sheet.write(row, 0, line.zh, styles["heading"])
            sheet.write(row, 1, line.en, styles["heading"])
        else:
            _form_row(sheet, row, line, styles)
        row += 1


def _form_row(sheet: Any, row: int, line: fund_form.FormRow, styles: dict[str, Any]) -> None:
    figures = line.row
    assert figures is not None
    total = line.total
    text_style = styles["total"] if total else None
    sheet.write(row, 0, ("    " if line.level else "") + line.zh, text_style)
    sheet.write(row, 1, line.en, text_style)
    counts = [figures["opening"], figures["received"],
              *(figures["dismantled"][status] for status in fund_form.STATUSES),
              figures["dismantled"]["all"], figures["closing"], figures["counted"]]
    for column, value in enumerate(counts, 2):
        sheet.write_number(row, column, value, styles["total_int" if total else "int"])
    amounts, volumes = figures["amounts"], figures["standardised"]
    rates = [a["rate"] for a in amounts if a.get("rate") is not None]
    if len(rates) == 1:
        sheet.write_number(row, 10, float(Decimal(rates[0])), styles["figure"])
    elif rates:  # a period across a change of rate: each with its version
        sheet.write(row, 10, "; ".join(f"{a['rate']} ({a['version']})" for a in amounts))
    if amounts:
        sheet.write_number(row, 11, float(sum(Decimal(a["amount"]) for a in amounts)),
                           styles["total_amount" if total else "amount"])
    if volumes:
        sheet.write_number(row, 12, float(sum(Decimal(v["volume"]) for v in volumes)),
                           styles["total_figure" if total else "figure"])
    used = sorted({item["version"] for item in (*amounts, *volumes)})
    if used:
        sheet.write(row, 13, ", ".join(used), text_style)


def _lines(sheet: Any, columns: Iterable[Column], lines: Iterable[dict[str, Any]],
           styles: dict[str, Any], words: Words, time_zone: str) -> int:
    """An annex: a bilingual header row, then one row per line; how many lines."""
    chosen = tuple(columns)
    for column, spec in enumerate(chosen):
        sheet.set_column(column, column, WIDTHS.get(spec.kind, 14))
        sheet.write(0, column, spec.header(time_zone), styles["header"])
    sheet.freeze_panes(1, 0)
    count = 0
    for count, line in enumerate(lines, 1):
        for column, spec in enumerate(chosen):
            _cell(sheet, count, column, spec, line.get(spec.key), styles, words)
    return count


WIDTHS = {"text": 18, "int": 10, "kg": 13, "time": 19, "date": 11, "bool": 8, "fraction": 20,
          "category": 20, "scope": 22, "fund_category": 22, "sub_class": 36, "reason": 24,
          "status": 18}


def _cell(sheet: Any, row: int, column: int, spec: Column, value: Any,
          styles: dict[str, Any], words: Words) -> None:
    """One cell: integers and kg as numbers, times and dates as such, the rest in words."""
    if value is None:
        return
    if spec.kind == "int":
        sheet.write_number(row, column, value, styles["int"])
    elif spec.kind == "kg":
        sheet.write_number(row, column, value / 1000, styles["kg"])
    elif spec.kind == "time":
        local = moment(value).astimezone(words.zone).replace(tzinfo=None)
        sheet.write_datetime(row, column, local, styles["time"])
    elif spec.kind == "date":
        sheet.write_datetime(row, column, datetime.combine(date.fromisoformat(value),
                                                           datetime.min.time()), styles["date"])
    else:
        sheet.write_string(row, column, fund_form.cell_text(spec, value, words))


def _stock(sheet: Any, statements: dict[str, Any], styles: dict[str, Any]) -> None:
    """The last stock count and the reconciliation, member by member (JSON for what nests),
    or the words saying none was recorded."""
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 80)
    row = 0
    for name, title, none in (("stock_count", "盘点 Stock count", "未记录盘点 no stock count "
                               "recorded"),
                              ("reconciliation", "对账 Reconciliation", "未记录对账 no "
                               "reconciliation recorded")):
        sheet.write(row, 0, title, styles["bold"])
        row += 1
        value = statements[name]
        if value is None:
            sheet.write(row, 0, none, styles["note"])
            row += 2
            continue
        for member, item in sorted(value.items()):
            sheet.write(row, 0, member)
            if isinstance(item, int) and not isinstance(item, bool):
                sheet.write_number(row, 1, item, styles["int"])
            else:
                sheet.write_string(row, 1, item if isinstance(item, str) else json.dumps(
                    item, ensure_ascii=False, sort_keys=True))
            row += 1
        row += 1


def _units(sheet: Any, statements: dict[str, Any], styles: dict[str, Any], words: Words,
           time_zone: str, progress: Progress | None) -> int:
    """One row per unit, numbered, as they stream by."""
    columns = (fund_form.NUMBERED, *fund_form.unit_columns(statements))
    total = len(statements["units"])
    if progress:
        progress(0, total)

    def numbered() -> Iterable[dict[str, Any]]:
        for done, line in enumerate(fund_form.unit_lines(statements), 1):
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)
            yield {"": done, **line}

    count = _lines(sheet, columns, numbered(), styles, words, time_zone)
    if progress:
        progress(count, total)
    return count
