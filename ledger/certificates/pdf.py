"""The certificate as a PDF people read: PDF/A-3b (as WeasyPrint writes it), zh-CN and English
side by side in Noto Sans CJK SC, the certificate JSON attached as `certificate.json`
(AFRelationship Data), a QR code opening the verify page, entry indexes and leaf hashes in
small print, "page X of Y" on every page, times in the plant's time zone, masses in kg.

The PDF only *shows*; what is proven is the attached JSON (the verifier reads that). So the
page is laid out from the statements, and the evidence section names the entries, their
leaf hashes and the checkpoint they are proven against.

Long period reports: WeasyPrint's layout of one long table grows faster than linearly with
its length. So the lines of a period report are laid out in page-sized tables,
`LINES_PER_PAGE` lines each (a line never wraps, so a page always holds exactly that many),
in separate WeasyPrint documents of `PAGES_PER_CHUNK` pages whose pages are then joined into
one PDF: time grows linearly, and each chunk done is reported to `progress(lines done, lines
in all)`. The page count is known before the lines are laid out, which is what puts "page X
of Y" on every page. The laid-out pages stay in memory until the PDF is written, so memory
grows with the report (figures in benchmarks/bench_certificate_pdf.py); that is one reason
the console renders big reports in a process of their own (ledger.certificates.jobs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ledger import catalogue
from ledger.certificates import document as certificate_document
from ledger.certificates import fonts
from ledger.checkpoint import Checkpoint
from ledger.note import split as split_note
from ledger.rules.codes import RESOLUTION_NAMES, STATUS_NAMES, STATUSES
from ledger.rules.reasons import FLAGS, REFUSALS

Progress = Callable[[int, int], None]  # (lines laid out, lines in all)
ATTACHMENT = "certificate.json"
VARIANT = "pdf/a-3b"
LINES_PER_PAGE = 28
PAGES_PER_CHUNK = 20
FRONT_PAGES_GUESS = 2  # a period report's summary: totals by category and by fraction
TITLES = {"unit": ("废弃电器电子产品拆解证明", "Unit dismantling certificate"),
          "period": ("拆解处理期间报告", "Dismantling period report"),
          "lot": ("批次转移清单", "Lot shipment manifest")}


def _both(names: dict[str, dict[str, str]], code: str) -> str:
    """A code's name as the bilingual PDF prints it: Chinese, then English."""
    return f"{names[code]['zh-CN']} {names[code]['en']}"


class RenderError(ValueError):
    """The document cannot be rendered; the message names what is wrong with it."""


def render(document: dict[str, Any], *, verify_url: str, timezone: str = "Asia/Shanghai",
           progress: Progress | None = None, attachment: Path | None = None) -> bytes:
    """The PDF of an issued (or not yet issued) certificate.

    `verify_url` is what the QR code opens (e.g. `<console>/verify/<sha256>`, see
    `verify_url_for`). `attachment`, if given, is a file holding the document's JSON exactly
    (a large period report need not be serialised twice); otherwise the document is
    serialised here.
    """
    from weasyprint import HTML, Attachment

    certificate_document.check_shape(document)
    zone = _zone(timezone)
    context = _context(document, verify_url, zone)
    font_config, font_css = _fonts()
    environment = _environment(zone)
    lines = document["statements"].get("lines", []) if document["kind"] == "period" else []
    line_pages = -(-len(lines) // LINES_PER_PAGE)

    def front(total: int | None) -> Any:
        of = "counter(pages)" if total is None else f'"{total}"'
        html = environment.get_template(f"{document['kind']}.html").render(
            **context, page_numbers=_page_numbers("counter(page)", of))
        return HTML(string=html).render(font_config=font_config,
                                        stylesheets=[font_css,
                                                     _stylesheet("certificate.css")])

    if progress:
        progress(0, len(lines))
    if line_pages:
        # The front pages' footers say "of Y" before the front is laid out: guess its length
        # (margin boxes do not change the layout) and lay it out again only if it was wrong.
        documents = [front(FRONT_PAGES_GUESS + line_pages)]
        if len(documents[0].pages) != FRONT_PAGES_GUESS:
            documents[0] = front(len(documents[0].pages) + line_pages)
        total = len(documents[0].pages) + line_pages
        first_page = len(documents[0].pages) + 1
        template = environment.get_template("lines.html")
        for start in range(0, len(lines), LINES_PER_PAGE * PAGES_PER_CHUNK):
            chunk = lines[start:start + LINES_PER_PAGE * PAGES_PER_CHUNK]
            pages = [{"number": first_page + (start + offset) // LINES_PER_PAGE,
                      "first": start + offset + 1,
                      "lines": chunk[offset:offset + LINES_PER_PAGE]}
                     for offset in range(0, len(chunk), LINES_PER_PAGE)]
            html = template.render(**context, pages=pages,
                                   page_numbers=_page_numbers("string(pageno)", f'"{total}"'))
            documents.append(HTML(string=html).render(
                font_config=font_config, stylesheets=[font_css, _stylesheet("lines.css")]))
            if progress:
                progress(start + len(chunk), len(lines))
    else:
        documents = [front(None)]
    if attachment is not None:
        source = {"filename": str(attachment)}
    else:
        source = {"string": certificate_document.serialise(document)}
    issued = _moment(document["issued_at"])
    attached = Attachment(**source, name=ATTACHMENT, relationship="Data", created=issued,
                          modified=issued, description="dledger certificate (JSON), "
                          f"SHA-256 {context['sha256']}")
    pages = [page for rendered in documents for page in rendered.pages]
    return documents[0].copy(pages).write_pdf(pdf_variant=VARIANT, attachments=[attached],
                                              finisher=_associate_once)


def _associate_once(_document: Any, pdf: Any) -> None:
    """List each associated file once in the catalog's /AF (PDF/A-3): WeasyPrint 70 adds the
    attachment twice, once from the EmbeddedFiles name tree and once from its file spec."""
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(unique)


def verify_url_for(console_url: str, sha256: str) -> str:
    """The verify page of certificate `sha256` on the console at `console_url`."""
    return f"{console_url.rstrip('/')}/verify/{sha256}"


# -- what the templates see -------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RenderError(f"time zone {name!r} is unknown; use an IANA name such as "
                          "Asia/Shanghai") from None


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _context(document: dict[str, Any], verify_url: str, zone: ZoneInfo) -> dict[str, Any]:
    kind = document["kind"]
    checkpoint = _checkpoint(document["checkpoint"])
    issuance = document.get("issuance")
    context = {
        "kind": kind, "title_zh": TITLES[kind][0], "title_en": TITLES[kind][1],
        "origin": document["origin"], "issued_at": document["issued_at"],
        "sha256": certificate_document.sha256(document), "statements": document["statements"],
        "checkpoint": checkpoint, "entry_count": len(document["entries"]),
        "issuance": None, "verify_url": verify_url, "qr": _qr(verify_url),
        "timezone": zone.key, "statuses": STATUSES,
    }
    if issuance is not None:
        context["issuance"] = {"index": issuance["entry"]["index"],
                               "checkpoint": _checkpoint(issuance["checkpoint"])}
    if kind != "period":  # a period report's lines carry their entry indexes instead
        context["entries"] = list(_entries(document["entries"]))
    return context


def _checkpoint(note: str) -> dict[str, Any]:
    try:
        text, signatures = split_note(note)
        parsed = Checkpoint.parse(text)
    except ValueError as exc:
        raise RenderError(f"the certificate's checkpoint is not a signed note: {exc}") from None
    return {"origin": parsed.origin, "size": parsed.size,
            "root": base64.b64encode(parsed.root).decode(),
            "signers": sorted({line.name for line in signatures})}


def _entries(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each entry's index, leaf hash (hex of SHA-256(0x00 || entry bytes)), type and time."""
    for item in items:
        try:
            raw = base64.b64decode(item["entry"], validate=True)
            event = json.loads(raw)["event"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RenderError(f"entry {item['index']} is not base64 of an entry: {exc}") from None
        yield {"index": item["index"], "hash": hashlib.sha256(b"\x00" + raw).hexdigest(),
               "type": event.get("type"), "subject": event.get("subject"),
               "time": event.get("time")}


def _page_numbers(page: str, of: str) -> str:
    """The CSS `content` of the page-number margin box: 第 X 页，共 Y 页 · page X of Y."""
    return f'"第 " {page} " 页，共 " {of} " 页 · page " {page} " of " {of}'


def _qr(url: str) -> str:
    """The QR code for `url` (segno; error correction M) as a PNG data URI, four pixels a
    module, scaled up unsmoothed (`image-rendering: pixelated`, certificate.css): as sharp on
    screen and paper as a vector drawing of each module, without drawing a path of a thousand
    segments (an SVG) at every render."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=4, border=2)


_local = threading.local()


def _fonts() -> tuple[Any, Any]:
    """This thread's WeasyPrint font configuration and the stylesheet that sets the font
    (ledger.certificates.fonts) registered in it: made once, since loading the CJK font for
    every certificate costs about as much as laying out a page (not shared between threads:
    Pango's font maps are not thread-safe)."""
    if not hasattr(_local, "fonts"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        config = FontConfiguration()
        _local.fonts = config, CSS(string=fonts.stylesheet(), font_config=config)
    return _local.fonts


@cache
def _stylesheet(name: str) -> Any:
    """A static stylesheet of the templates folder, parsed once per process (parsing it for
    every certificate is a noticeable share of a unit certificate's time)."""
    from weasyprint import CSS

    return CSS(string=(Path(__file__).parent / "templates" / name).read_text(encoding="utf-8"))


# -- filters ----------------------------------------------------------------------------------


@cache
def _environment_for(zone_key: str) -> Environment:
    zone = ZoneInfo(zone_key)
    environment = Environment(loader=PackageLoader("ledger.certificates", "templates"),
                              autoescape=select_autoescape(["html"]),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["kg"] = kg
    environment.filters["local"] = lambda value, pattern="%Y-%m-%d %H:%M:%S": (
        "—" if value is None else _moment(value).astimezone(zone).strftime(pattern))
    environment.filters["number"] = lambda value: "—" if value is None else f"{value:,}"
    environment.filters["indexes"] = lambda values: ", ".join(str(v) for v in values)
    environment.filters["named"] = named
    environment.filters["status"] = partial(_both, STATUS_NAMES)
    environment.filters["resolution"] = partial(_both, RESOLUTION_NAMES)
    environment.filters["flag_text"] = lambda flag, language: FLAGS[flag["code"]].text(
        flag["params"], language)
    environment.filters["rule_text"] = lambda violation, language: REFUSALS[
        violation["rule"]].text(violation["params"], language)
    return environment


def named(code: str, section: str) -> str:
    """A catalogue code as a reader says it, "电冰箱 Refrigerator/freezer"; the code itself
    when the catalogue does not know it (a plant's own code)."""
    entry = getattr(_catalogue(), section).get(code)
    if entry is None:
        return code
    return f"{entry.name['zh-CN']} {entry.name['en']}"


@cache
def _catalogue() -> catalogue.Catalogue:
    return catalogue.load()


def _environment(zone: ZoneInfo) -> Environment:
    return _environment_for(zone.key)


def kg(grams: int | None, places: int = 3) -> str:
    """Integer grams as kg with `places` decimals and thousands commas: 18302 -> 18.302."""
    if grams is None:
        return "—"
    return f"{Decimal(grams) / 1000:,.{places}f}"
