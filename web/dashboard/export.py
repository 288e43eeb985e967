"""A dashboard table as a CSV or XLSX file, with the same figures as the page: its cells as
`report.export` writes them, the file as every console table is written (web/export.py)."""

from __future__ import annotations

from typing import Any

from web import export as files
from web.dashboard.report import Table, export, export_title

FORMATS = files.FORMATS


def rows(table: Table) -> list[list[Any]]:
    """Header, body and total rows with export values."""
    out: list[list[Any]] = [[export_title(c) for c in table.columns]]
    body = table.rows + ([table.total] if table.total is not None else [])
    for row in body:
        out.append([export(value, column) for value, column in zip(row, table.columns,
                                                                      strict=True)])
    return out


def sheet(table: Table, caption: str) -> files.Sheet:
    header, *body = rows(table)
    total = body.pop() if table.total is not None else None
    return files.Sheet(key=table.key, caption=caption, header=header,
                       kinds=[c.kind for c in table.columns], rows=body, total=total)


def to_csv(table: Table, caption: str) -> bytes:
    return files.to_bytes(sheet(table, caption), "csv")


def to_xlsx(table: Table, caption: str) -> bytes:
    return files.to_bytes(sheet(table, caption), "xlsx")
