"""The fund table (废弃电器电子产品拆解处理情况表, certificate kind `fund_table`) as a PDF in
the form's layout: A4 landscape, the head as every certificate's (title, plant, period, the
catalogue whose fund tables class the units, QR code to the verify page, SHA-256), the form's
body (ledger.certificates.fund_form: by fund category and sub-class, Chinese first; opening
stock, received, dismantled as creditable, flagged and excluded, closing stock, counted,
rate, amount, standardised volume; the units outside the fund shown below, never counted;
the totals), then its annexes: units received and dismantled per day, product in and out
per fraction, output destinations with their manifests, the last stock count against the
book, and the evidence.

Everything but the form is as ledger.certificates.pdf does it (fonts, XHTML parsed by
expat, page numbers, PDF/A-3b, the JSON attached as certificate.json, attachments compressed
a block at a time): this module lays out the pages and hands them to it. The per-unit lines
are never printed: a quarter holds a quarter of a million. They are written, as they stream
by, to `units.csv` (one row per unit, headers in Chinese and English), attached beside the
JSON (which holds them too, `statements.units`), and the first page says so; so rendering
holds the document's few pages and the compressed attachments, whatever the units' count.
A long list of destinations is attached as `destinations.csv` likewise.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from ledger.certificates import document as certificate_document
from ledger.certificates import fund_form, pdf
from ledger.certificates.fund_form import Column
from ledger.certificates.lines_csv import ENCODING
from ledger.certificates.words import Words, named

UNITS_ATTACHMENT = "units.csv"
DESTINATIONS_ATTACHMENT = "destinations.csv"
DESTINATIONS_PRINTED_MAX = 300  # more lots than that are attached, not printed
DAY_BLOCKS = 3  # the days annex runs in three side-by-side blocks of columns
PROGRESS_EVERY = 1_000  # units written to units.csv between progress reports
UNITS_DESCRIPTION = ("the fund table's units, one row per unit (CSV, UTF-8 with BOM, headers "
                     "in Chinese and English)")
DESTINATIONS_DESCRIPTION = ("the fund table's output destinations, one row per lot (CSV, "
                            "UTF-8 with BOM, headers in Chinese and English)")


def render_fund_table(document: dict[str, Any], *, verify_url: str, timezone: str,
                      attachment: Path | None = None, sha256: str | None = None,
                      progress: pdf.Progress | None = None) -> bytes:
    """The PDF of a fund table; the arguments are those of ledger.certificates.pdf.render
    (which hands a fund table here). `progress(units written, units in all)` hears of the
    units' CSV, which is most of the time a large table takes."""
    _check(document)
    zone = pdf.zone_of(timezone)
    words = Words(zone)
    statements = document["statements"]
    context = pdf.context_of(document, verify_url, zone, sha256)
    with pdf.collecting_rarely(), tempfile.TemporaryDirectory(prefix="dledger-pdf-") as folder:
        attached = [pdf.Attached(pdf.ATTACHMENT, "application/json",
                                 f"dledger certificate (JSON), SHA-256 {context['sha256']}",
                                 attachment, None if attachment else partial(
                                     certificate_document.serialise, document))]
        units_file = Path(folder) / UNITS_ATTACHMENT
        count = write_units_csv(statements, units_file, words, zone.key, progress)
        attached.append(pdf.Attached(UNITS_ATTACHMENT, "text/csv", UNITS_DESCRIPTION,
                                     units_file, None))
        destinations = statements["destinations"]
        printed = len(destinations) <= DESTINATIONS_PRINTED_MAX
        if not printed:
            lots_file = Path(folder) / DESTINATIONS_ATTACHMENT
            write_csv(lots_file, fund_form.DESTINATION_COLUMNS, destinations, words, zone.key)
            attached.append(pdf.Attached(DESTINATIONS_ATTACHMENT, "text/csv",
                                         DESTINATIONS_DESCRIPTION, lots_file, None))
        context.update(
            form=fund_form.body(statements), versions=fund_form.versions(statements),
            unit_count=count, units_attachment=UNITS_ATTACHMENT,
            destinations_printed=printed, destinations_attachment=DESTINATIONS_ATTACHMENT,
            day_blocks=_day_blocks(statements["days"]), day_columns=fund_form.DAY_COLUMNS,
            fraction_columns=fund_form.FRACTION_COLUMNS,
            destination_columns=fund_form.DESTINATION_COLUMNS,
            cell=partial(fund_form.cell_text, words=words), amount=fund_form.amount_text,
            figure=fund_form.figure_text, statuses=fund_form.STATUSES,
            stock_count=statements["stock_count"], reconciliation=statements["reconciliation"],
            kg_column=fund_form.FRACTION_COLUMNS[2],
            time_column=fund_form.Column("at", "时间", "Time", "time"),
            zone_name=lambda code: named(code, "zones"),
            code_name=lambda kind, code: named(code, "fractions" if kind == "fraction"
                                                else "categories"))
        return pdf.write([pdf.front(context, None)], attached,
                         pdf.moment(document["issued_at"]))


def _check(document: Any) -> None:
    """What the pages need of the document, named when it is not there (the certificate's
    truth is the verifier's to check, not the renderer's)."""
    if not isinstance(document, dict):
        raise pdf.RenderError("a certificate is a JSON object")
    for name in ("format", "kind", "origin", "issued_at", "statements", "checkpoint",
                 "entries"):
        if name not in document:
            raise pdf.RenderError(f"the fund table has no member {name!r}")
    if document["format"] != certificate_document.FORMAT_V2:
        raise pdf.RenderError(f"a fund table is issued in format "
                              f"{certificate_document.FORMAT_V2}, not {document['format']!r}")
    try:
        fund_form.check(document["statements"])
    except fund_form.FormError as exc:
        raise pdf.RenderError(str(exc)) from None


def write_units_csv(statements: dict[str, Any], path: Path, words: Words, time_zone: str,
                    progress: pdf.Progress | None) -> int:
    """The units as CSV in `path`, numbered, written as they stream by; how many there
    were. `progress` hears every PROGRESS_EVERY units."""
    columns = fund_form.unit_columns(statements)
    total = len(statements["units"])
    if progress:
        progress(0, total)
    with path.open("w", encoding=ENCODING, newline="") as out:
        writer = csv.writer(out)
        writer.writerow([fund_form.NUMBERED.header(time_zone),
                         *(column.header(time_zone) for column in columns)])
        done = 0
        try:
            for done, line in enumerate(fund_form.unit_lines(statements), 1):
                writer.writerow([done, *(fund_form.csv_text(column, line[column.key], words)
                                         for column in columns)])
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done, total)
        except fund_form.FormError as exc:
            raise pdf.RenderError(str(exc)) from None
    if progress:
        progress(done, total)
    return done


def write_csv(path: Path, columns: Iterable[Column], lines: Iterable[dict[str, Any]],
              words: Words, time_zone: str) -> None:
    """An annex's lines as CSV in `path`, one row per line under a bilingual header."""
    chosen = tuple(columns)
    with path.open("w", encoding=ENCODING, newline="") as out:
        writer = csv.writer(out)
        writer.writerow([column.header(time_zone) for column in chosen])
        for line in lines:
            writer.writerow([fund_form.csv_text(column, line.get(column.key), words)
                             for column in chosen])


def _day_blocks(days: list[dict[str, Any]]) -> list[list[dict[str, Any] | None]]:
    """The days as table rows of DAY_BLOCKS days side by side, read down each block first
    (a quarter's 92 days in 31 rows)."""
    height = -(-len(days) // DAY_BLOCKS)
    return [[days[block * height + row] if block * height + row < len(days) else None
             for block in range(DAY_BLOCKS)] for row in range(height)]


