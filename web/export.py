"""How a console table leaves as a file, CSV or XLSX: the one home of it, for the dashboard's
tables and every list (units, lots, stations, scales, certificates).

A list can be far longer than a page (a year of units is half a million rows), so its rows
come as an iterator and are never held together: CSV is streamed to the browser as it is
written, XLSX is written row by row by openpyxl's write-only mode into a spooled temporary
file (memory bounded), then sent in chunks. CSV starts with a UTF-8 byte-order mark so that
Excel opens Chinese headers and names correctly; numbers are written plainly (`1234.5`, no
grouping). XLSX has a first line naming the table (italic), bold headers, masses in kg as
numbers (format 0.000), and the header row frozen.

Cells are export values (`cell`): kilograms as Decimal, times in plant time, names in the
reader's language; the header is the page's own column titles, so a file reads like its page.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from flask import Response, request, stream_with_context
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select

from web.context import engine
from web.formatting import localtime

BOM = "\ufeff"
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NUMBER_FORMATS = {"kg": "#,##0.000", "t": "0.000000", "pct": "0.00", "duration": "0.0",
                  "int": "0", "factor": "0.0"}
_CSV_BATCH = 500  # rows per chunk sent
_CHUNK = 1 << 16  # bytes per chunk of an XLSX file
_SPOOL = 8 << 20  # an XLSX up to this size stays in memory, a larger one goes to disk
_WIDTHS = {"kg": 12, "time": 17, "int": 9}  # columns of a streamed list (rows unknown yet)


@dataclass(frozen=True)
class Sheet:
    """One table for a file: `kinds` name each column's kind (text, int, kg, time, pct, t,
    factor, duration) for its number format; `rows` and `total` hold export values."""

    key: str  # the sheet's name (and the file name's stem)
    caption: str  # what it is: the file's first line in XLSX
    header: list[str]
    kinds: list[str]
    rows: Iterable[list[Any]]
    total: list[Any] | None = None  # a last row in bold (the dashboard's totals)


@dataclass(frozen=True)
class Field:
    """A list's column in its file: the row attribute, its kind, its title (translated when
    the file is written) and, for a code, how to name it."""

    name: str
    kind: str
    title: Callable[[], str]
    named: Callable[[Any], Any] | None = None

    def value(self, row: Any) -> Any:
        value = getattr(row, self.name)
        return cell(self.named(value) if self.named and value is not None else value,
                    self.kind)


def sheet(key: str, caption: str, fields: Sequence[Field], rows: Iterable[Any]) -> Sheet:
    """A list's sheet: `rows` (database rows, read lazily) through its fields."""
    return Sheet(key=key, caption=caption, header=[f.title() for f in fields],
                 kinds=[f.kind for f in fields],
                 rows=([f.value(row) for f in fields] for row in rows))


def streamed(query: Select[Any]) -> Iterator[Any]:
    """The rows of `query`, fetched from the database a thousand at a time while the file is
    written (never the whole list in memory)."""
    with engine().connect() as conn:
        yield from conn.execution_options(stream_results=True, max_row_buffer=1000
                                          ).execute(query)


def cell(value: Any, kind: str = "text") -> Any:
    """A list's value as a file holds it: kg as a number of kilograms, a ledger time in plant
    time, text as text, a missing value empty."""
    if value is None:
        return None
    if kind == "kg":
        return (Decimal(value) / 1000).quantize(Decimal("0.001"))
    if kind == "time":
        return localtime(value)
    if kind == "int":
        return int(value)
    return str(value)


def requested() -> str | None:
    """The `format` the request asks for (csv or xlsx), None for the page itself; a
    ValueError with the sentence to show for any other."""
    fmt = request.args.get("format")
    if fmt is None or fmt in FORMATS:
        return fmt
    raise ValueError(gettext("“%(value)s” is not an export format: ask for ?format=csv or "
                             "?format=xlsx.", value=fmt[:20]))


def refused(message: str) -> Response:
    """The answer to a bad export request: 400, the sentence as text."""
    return Response(message, status=400, mimetype="text/plain")


def csv_chunks(sheet: Sheet) -> Iterator[bytes]:
    """The sheet as CSV, a few hundred rows per chunk, BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(sheet.header)
    count = 0
    for row in _body(sheet):
        writer.writerow(["" if v is None else (format(v, "f") if isinstance(v, Decimal) else v)
                         for v in row])
        count += 1
        if count % _CSV_BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(sheet: Sheet) -> IO[bytes]:
    """The sheet as an XLSX workbook, written row by row; the file is at its start."""
    book = Workbook(write_only=True)
    page = book.create_sheet(sheet.key[:31])
    page.freeze_panes = "A3"
    rows = sheet.rows if isinstance(sheet.rows, Sequence) else None
    for i, (title, kind) in enumerate(zip(sheet.header, sheet.kinds, strict=True), start=1):
        page.column_dimensions[get_column_letter(i)].width = _width(title, kind, i, rows)
    caption = WriteOnlyCell(page, value=sheet.caption)
    caption.font = Font(italic=True)
    page.append([caption])
    page.append([_styled(page, title, bold=True) for title in sheet.header])
    for row in sheet.rows:
        page.append(_cells(page, row, sheet.kinds, bold=False))
    if sheet.total is not None:
        page.append(_cells(page, sheet.total, sheet.kinds, bold=True))
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # returned open: the caller closes
    book.save(out)
    out.seek(0)
    return out


def response(sheet: Sheet, fmt: str, filename: str) -> Response:
    """The sheet as a download (`filename` without its extension), streamed."""
    if fmt == "csv":
        body: Iterator[bytes] = stream_with_context(csv_chunks(sheet))
    else:
        body = _chunks(xlsx_file(sheet))
    return Response(body, content_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
                             "Cache-Control": "no-store"})


def to_bytes(sheet: Sheet, fmt: str) -> bytes:
    """The whole file at once, for small tables."""
    if fmt == "csv":
        return b"".join(csv_chunks(sheet))
    with xlsx_file(sheet) as out:
        return out.read()


def _body(sheet: Sheet) -> Iterator[list[Any]]:
    yield from sheet.rows
    if sheet.total is not None:
        yield sheet.total


def _chunks(out: IO[bytes]) -> Iterator[bytes]:
    with out:
        while chunk := out.read(_CHUNK):
            yield chunk


def _styled(page: Any, value: Any, bold: bool) -> Cell:
    found = WriteOnlyCell(page, value=value)
    if bold:
        found.font = Font(bold=True)
    return found


def _cells(page: Any, row: list[Any], kinds: list[str], bold: bool) -> list[Cell]:
    cells = []
    for value, kind in zip(row, kinds, strict=True):
        found = _styled(page, float(value) if isinstance(value, Decimal) else value, bold)
        if kind in NUMBER_FORMATS:
            found.number_format = NUMBER_FORMATS[kind]
        cells.append(found)
    return cells


def _width(title: str, kind: str, column: int, rows: Sequence[list[Any]] | None) -> int:
    """A column's width: from its cells when they are all known (a small table), else from
    its title and kind."""
    if rows is not None:
        longest = max((len(str(r[column - 1] or "")) for r in rows), default=0)
        return min(max(len(title), longest, 8) + 2, 60)
    return min(max(len(title) + 2, _WIDTHS.get(kind, 14)), 60)
