"""A dashboard table as a CSV or XLSX file, with the same figures as the page.

CSV starts with a UTF-8 byte-order mark so that Excel opens Chinese headers and names
correctly; numbers are written plainly (`1234.5`, no grouping). XLSX has bold headers,
masses in kg as numbers (format 0.000) and a first line naming the range and time zone.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from web.dashboard.report import Column, Table, export, export_title

BOM = "\ufeff"
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_NUMBER_FORMATS = {"kg": "#,##0.000", "t": "0.000000", "pct": "0.00", "duration": "0.0",
                   "int": "0", "factor": "0.0"}


def rows(table: Table) -> list[list[Any]]:
    """Header, body and total rows with export values."""
    out: list[list[Any]] = [[export_title(c) for c in table.columns]]
    body = table.rows + ([table.total] if table.total is not None else [])
    for row in body:
        out.append([export(value, column) for value, column in zip(row, table.columns,
                                                                      strict=True)])
    return out


def to_csv(table: Table, caption: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(table):
        writer.writerow(["" if v is None else (format(v, "f") if isinstance(v, Decimal) else v)
                         for v in row])
    del caption  # a CSV's first line is its header, for tools that read it back
    return (BOM + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table, caption: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    sheet.append([caption])
    sheet["A1"].font = Font(italic=True)
    header, *body = rows(table)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in body:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    _number_formats(sheet, table.columns, first=3, last=len(body) + 2)
    if table.total is not None and body:
        for cell in sheet[len(body) + 2]:
            cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for i in range(1, len(table.columns) + 1):
        width = max(len(str(header[i - 1])), *(len(str(r[i - 1] or "")) for r in body), 8)
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number_formats(sheet: Any, columns: list[Column], first: int, last: int) -> None:
    for i, column in enumerate(columns, start=1):
        number_format = _NUMBER_FORMATS.get(column.kind)
        if number_format is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=first, max_row=last, min_col=i, max_col=i):
            cell.number_format = number_format
