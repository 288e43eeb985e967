"""The certificate as a PDF people read: PDF/A-3b (as WeasyPrint writes it), zh-CN and English
side by side in Noto Sans CJK SC (ledger.certificates.fonts), the certificate JSON attached as
`certificate.json` (AFRelationship Data), a QR code opening the verify page, entry indexes and
leaf hashes in small print, "page X of Y" on every page, times in the plant's time zone,
masses in kg, codes in words (ledger.certificates.words).

The PDF only *shows*; what is proven is the attached JSON (the verifier reads that). So the
page is laid out from the statements, and the evidence section names the entries, their
leaf hashes and the checkpoint they are proven against.

Period reports print their summary (totals by status, category and fraction; the units
flagged or excluded; the catalogues that judged them; the checkpoint). Their lines, read only
through `document.period_lines`, are printed after it when there are at most
`PRINTED_LINES_MAX`: in page-sized tables of `LINES_PER_PAGE` lines (a line never wraps, so
the page count is known before layout, which puts "page X of Y" on every page), laid out
`PAGES_PER_CHUNK` pages at a time (WeasyPrint's layout of one long table grows faster than
linearly), each chunk reported to `progress(lines done, lines in all)`. A longer report is
not printed line by line: its lines are written as they stream by to `lines.csv`
(ledger.certificates.lines_csv), attached beside certificate.json, and its first page says
so. Its pages are then the summary alone, and the attachments are compressed a block at a
time, so what rendering holds besides the document is the few summary pages and the
compressed attachments (figures in benchmarks/bench_certificate_pdf.py).
"""

from __future__ import annotations

import base64
import gc
import hashlib
import io
import json
import re
import tempfile
import threading
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ledger.certificates import document as certificate_document
from ledger.certificates import fonts, fund_form, lines_csv
from ledger.certificates import words as certificate_words
from ledger.certificates.words import Words, kg
from ledger.checkpoint import Checkpoint
from ledger.fund.classify import NO_TABLES
from ledger.note import split as split_note
from ledger.rules.codes import OPERATOR_ROLE_NAMES, STATUSES
from ledger.rules.reasons import LANGUAGES

Progress = Callable[[int, int], None]  # (lines laid out or written, lines in all)
ATTACHMENT = "certificate.json"
LINES_ATTACHMENT = "lines.csv"
VARIANT = "pdf/a-3b"
PRINTED_LINES_MAX = 1_000  # a longer period report carries its lines as lines.csv
QUESTIONED_PRINTED_MAX = 50  # flagged and excluded units listed when the lines are attached
PROGRESS_EVERY = 1_000  # lines written to lines.csv between progress reports
COMPRESSION = 6  # zlib level of the attachments (WeasyPrint's 9 is three times slower)
LINES_PER_PAGE = 28
PAGES_PER_CHUNK = 20
FRONT_PAGES_GUESS = 2  # a period report's summary: totals by category and by fraction
PAGE_SIZES = {"fund_table": "A4 landscape"}  # the form's table is wide; others are A4
TITLES = {"unit": ("废弃电器电子产品拆解证明", "Unit dismantling certificate"),
          "period": ("拆解处理期间报告", "Dismantling period report"),
          "lot": ("批次转移清单", "Lot shipment manifest"),
          "fund_table": ("废弃电器电子产品拆解处理情况表",
                         "WEEE dismantling and treatment statement")}


class RenderError(ValueError):
    """The document cannot be rendered; the message names what is wrong with it."""


def render(document: dict[str, Any], *, verify_url: str, timezone: str = "Asia/Shanghai",
           progress: Progress | None = None, attachment: Path | None = None,
           sha256: str | None = None) -> bytes:
    """The PDF of an issued (or not yet issued) certificate.

    `verify_url` is what the QR code opens (e.g. `<console>/verify/<sha256>`, see
    `verify_url_for`). `attachment`, if given, is a file holding the document's JSON exactly
    (a large period report need not be serialised twice); otherwise the document is
    serialised here. `sha256`, if given, is the document's (a large report need not be
    hashed again to print it). A fund table is rendered by ledger.certificates.fund_pdf.
    """
    if document.get("kind") == "fund_table":
        from ledger.certificates.fund_pdf import render_fund_table

        return render_fund_table(document, verify_url=verify_url, timezone=timezone,
                                 attachment=attachment, sha256=sha256, progress=progress)
    certificate_document.check_shape(document)
    zone = zone_of(timezone)
    context = context_of(document, verify_url, zone, sha256)
    with collecting_rarely(), ExitStack() as stack:
        attached = [Attached(ATTACHMENT, "application/json",
                             f"dledger certificate (JSON), SHA-256 {context['sha256']}",
                             attachment, None if attachment else partial(
                                 certificate_document.serialise, document))]
        if document["kind"] != "period":
            documents = [front(context, None)]
        elif context["line_count"] > PRINTED_LINES_MAX:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="dledger-pdf-"))
            lines_file = Path(folder) / LINES_ATTACHMENT
            context.update(_summary(document["statements"], Words(zone), zone.key,
                                    lines_file, progress))
            attached.append(Attached(LINES_ATTACHMENT, "text/csv", LINES_DESCRIPTION,
                                     lines_file, None))
            documents = [front(context, None)]
        else:
            context.update(_summary(document["statements"], Words(zone), zone.key, None, None))
            documents = _printed_lines(context, document["statements"], progress)
        return write(documents, attached, moment(document["issued_at"]))


GC_THRESHOLD = 20_000  # objects allocated between young collections while rendering (700)
_gc_lock = threading.Lock()
_gc_state: dict[str, Any] = {"renders": 0, "threshold": gc.get_threshold()}


@contextmanager
def collecting_rarely() -> Iterator[None]:
    """Let Python's cyclic garbage collector run rarely while a PDF is laid out. Layout
    allocates boxes by the hundred thousand, so at the default threshold a young collection
    runs every 700 of them and each tenth of those a middle one, and the full ones walk the
    whole heap of the process (a console's is large): a sixth of a unit certificate's time.
    Garbage is still collected, in fewer, larger rounds. Thresholds are process-wide: the
    first render running in the process saves and raises them, the last one to end puts
    them back."""
    with _gc_lock:
        if _gc_state["renders"] == 0:
            _gc_state["threshold"] = gc.get_threshold()
            gc.set_threshold(GC_THRESHOLD, *_gc_state["threshold"][1:])
        _gc_state["renders"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["renders"] -= 1
            if _gc_state["renders"] == 0:
                gc.set_threshold(*_gc_state["threshold"])


LINES_DESCRIPTION = ("the report's lines, one row per unit (CSV, UTF-8 with BOM, headers in "
                     "Chinese and English)")


@dataclass(frozen=True)
class Attached:
    """A file the PDF carries (AFRelationship Data): from `path`, or made by `make`."""

    name: str
    mime: str
    description: str
    path: Path | None
    make: Callable[[], bytes] | None

    def compressed(self) -> tuple[bytes, int, str]:
        """(FlateDecode stream, size, MD5 hex: the PDF's CheckSum, not a security hash), read
        from the file a block at a time."""
        packer, digest, size = zlib.compressobj(COMPRESSION), hashlib.md5(usedforsecurity=False), 0
        parts = []  # compressed blocks, joined once at the end
        with ExitStack() as stack:
            blocks: Iterable[bytes]
            if self.path is not None:
                blocks = iter(partial(stack.enter_context(self.path.open("rb")).read, 1 << 20),
                              b"")
            else:
                assert self.make is not None
                blocks = (self.make(),)
            for block in blocks:
                digest.update(block)
                size += len(block)
                parts.append(packer.compress(block))
        parts.append(packer.flush())
        return b"".join(parts), size, digest.hexdigest()


def front(context: dict[str, Any], total: int | None) -> Any:
    """The certificate's own pages (all of them but a printed report's lines), laid out;
    `total` is the number of pages in all, when more pages follow."""
    font_config, font_css = _fonts()
    of = "counter(pages)" if total is None else f'"{total}"'
    html = _environment(context["timezone"]).get_template(f"{context['kind']}.html").render(
        **context, page_numbers=_page_numbers("counter(page)", of))
    return _html()(string=html).render(font_config=font_config,
                                       stylesheets=[font_css, _stylesheet("certificate.css")])


def _printed_lines(context: dict[str, Any], statements: dict[str, Any],
                   progress: Progress | None) -> list[Any]:
    """The front pages and the pages of a report's lines, `LINES_PER_PAGE` a page, laid out
    `PAGES_PER_CHUNK` pages at a time."""
    count = context["line_count"]
    if progress:
        progress(0, count)
    line_pages = -(-count // LINES_PER_PAGE)
    if not line_pages:
        return [front(context, None)]
    # The front pages' footers say "of Y" before the front is laid out: guess its length
    # (margin boxes do not change the layout) and lay it out again only if it was wrong.
    documents = [front(context, FRONT_PAGES_GUESS + line_pages)]
    if len(documents[0].pages) != FRONT_PAGES_GUESS:
        documents[0] = front(context, len(documents[0].pages) + line_pages)
    total = len(documents[0].pages) + line_pages
    first_page = len(documents[0].pages) + 1
    font_config, font_css = _fonts()
    template = _environment(context["timezone"]).get_template("lines.html")
    lines = certificate_document.period_lines(statements)
    done = 0
    while chunk := list(islice(lines, LINES_PER_PAGE * PAGES_PER_CHUNK)):
        pages = [{"number": first_page + (done + offset) // LINES_PER_PAGE,
                  "first": done + offset + 1, "lines": chunk[offset:offset + LINES_PER_PAGE]}
                 for offset in range(0, len(chunk), LINES_PER_PAGE)]
        html = template.render(**context, pages=pages,
                               page_numbers=_page_numbers("string(pageno)", f'"{total}"'))
        documents.append(_html()(string=html).render(
            font_config=font_config, stylesheets=[font_css, _stylesheet("lines.css")]))
        done += len(chunk)
        if progress:
            progress(done, count)
    return documents


def _summary(statements: dict[str, Any], words: Words, time_zone: str, lines_file: Path | None,
             progress: Progress | None) -> dict[str, Any]:
    """What the front pages print from a report's lines, read once as they stream by: the
    units flagged or excluded (at most `QUESTIONED_PRINTED_MAX` when the lines are attached),
    and the catalogues that judged them; with `lines_file`, the lines are written to it as
    CSV on the way, and `progress` hears of it every `PROGRESS_EVERY` lines."""
    attached = lines_file is not None
    count = statements["totals"]["all"]["units"]
    questioned: list[dict[str, Any]] = []
    catalogues: Counter[int] = Counter()
    out = (lines_file.open("w", encoding=lines_csv.ENCODING, newline="")
           if lines_file is not None else None)
    try:
        table = lines_csv.LinesCsv(out, words, time_zone) if out is not None else None
        if progress:
            progress(0, count)
        for done, line in enumerate(certificate_document.period_lines(statements), 1):
            catalogues[line["catalogue_entry"]] += 1
            if line["status"] != "creditable" and (
                    not attached or len(questioned) < QUESTIONED_PRINTED_MAX):
                questioned.append(line)
            if table is not None:
                table.add(line)
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, count)
    finally:
        if out is not None:
            out.close()
    if table is not None and table.rows != count:
        raise RenderError(f"the report states {count} units in its totals but has "
                          f"{table.rows} lines")
    if progress:
        progress(count, count)
    questioned_count = count - statements["totals"]["creditable"]["units"]
    return {"lines_attached": attached, "questioned": questioned,
            "questioned_left": questioned_count - len(questioned),
            "catalogues": sorted(catalogues.items())}


def write(documents: list[Any], attached: list[Attached], issued: datetime) -> bytes:
    """The pages as PDF/A-3b with `attached`. WeasyPrint reads an attachment whole and
    compresses it at level 9 in memory; so it is given a placeholder, and the finisher puts
    in its place the file compressed here a block at a time (level `COMPRESSION`)."""
    from weasyprint import Attachment

    placeholders = {_placeholder(item.name): item for item in attached}
    weasy = [Attachment(string=placeholder.decode(), name=item.name, relationship="Data",
                        created=issued, modified=issued, description=item.description)
             for placeholder, item in placeholders.items()]

    def finish(_document: Any, pdf: Any) -> None:
        _associate_once(pdf)
        for stream in pdf.objects:
            content = _stream_bytes(stream)
            item = placeholders.get(content) if content is not None else None
            if item is None:
                continue
            data, size, md5 = item.compressed()
            stream.stream, stream.compress = [data], False
            stream.extra["Filter"] = "/FlateDecode"
            stream.extra["Subtype"] = "/" + item.mime.replace("/", "#2f")
            stream.extra["Params"]["Size"] = size
            stream.extra["Params"]["CheckSum"] = f"<{md5}>"
        _compress(pdf)

    pages = [page for rendered in documents for page in rendered.pages]
    # Written to a file and read back once written: in memory, the compressed attachments
    # would be held again by the PDF being assembled and by its copy on return.
    with tempfile.TemporaryFile(prefix="dledger-pdf-") as out:
        documents[0].copy(pages).write_pdf(out, pdf_variant=VARIANT, attachments=weasy,
                                           finisher=finish)
        out.seek(0)
        return out.read()


def _compress(pdf: Any) -> None:
    """Compress the pages' streams (content, fonts, images) at level `COMPRESSION` rather than
    pydyf's 9: a tenth of a unit certificate's time, for files 2 % smaller. A stream's bytes
    are taken from its serialised form (`<<dictionary>>` newline `stream` newline bytes
    newline `endstream`, what pydyf writes uncompressed)."""
    for item in pdf.objects:
        if not getattr(item, "compress", False) or not hasattr(item, "stream"):
            continue
        item.compress = False
        written = item.data
        start = written.index(b"\nstream\n") + len(b"\nstream\n")
        item.stream = [zlib.compress(written[start:-len(b"\nendstream")], COMPRESSION)]
        item.extra["Filter"] = "/FlateDecode"


def _placeholder(name: str) -> bytes:
    return f"dledger attachment placeholder: {name}".encode()


def _stream_bytes(item: Any) -> bytes | None:
    """The content of a pydyf stream holding one bytes item (what an attachment is), else
    None."""
    content = getattr(item, "stream", None)
    if isinstance(content, list) and len(content) == 1 and isinstance(content[0], bytes) \
            and getattr(item, "extra", {}).get("Type") == "/EmbeddedFile":
        return content[0]
    return None


def _associate_once(pdf: Any) -> None:
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


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RenderError(f"time zone {name!r} is unknown; use an IANA name such as "
                          "Asia/Shanghai") from None


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def context_of(document: dict[str, Any], verify_url: str, zone: ZoneInfo,
             sha256: str | None) -> dict[str, Any]:
    kind = document["kind"]
    checkpoint = _checkpoint(document["checkpoint"])
    issuance = document.get("issuance")
    context = {
        "kind": kind, "title_zh": TITLES[kind][0], "title_en": TITLES[kind][1],
        "origin": document["origin"], "issued_at": document["issued_at"],
        "sha256": sha256 or certificate_document.sha256(document),
        "statements": document["statements"], "checkpoint": checkpoint,
        "entry_count": certificate_document.entry_count(document),
        "issuance": None, "verify_url": verify_url, "qr": _qr(verify_url),
        "timezone": zone.key, "statuses": STATUSES, "lines_attachment": LINES_ATTACHMENT,
        "json_attachment": ATTACHMENT, "page_size": PAGE_SIZES.get(kind, "A4"),
    }
    if issuance is not None:
        context["issuance"] = {"index": issuance["entry"]["index"],
                               "checkpoint": _checkpoint(issuance["checkpoint"])}
    if kind == "period":  # a period report's lines carry their entry indexes instead
        context["line_count"] = document["statements"]["totals"]["all"]["units"]
    elif document["format"] != certificate_document.FORMAT_V2:  # v2: one bundle, not listed
        context["entries"] = _entry_columns(_entries(document["entries"]), Words(zone))
    return context


ENTRY_HEADERS = (("条目", "Entry"), ("类型", "Type"), ("主体", "Subject"), ("时间", "Time"),
                 ("叶哈希 SHA-256(0x00‖entry)", "Leaf hash"))


def _entry_columns(entries: Iterable[dict[str, Any]], words: Words) -> Markup:
    """The evidence's entries as monospaced lines under a bilingual header (index, type,
    subject, time, leaf hash): one text block instead of a table of five cells an entry,
    a quarter of a unit certificate's layout time (docs/console.md)."""
    rows = [(str(e["index"]), e["type"] or "—", e["subject"] or "—", words.time(e["time"]),
             e["hash"]) for e in entries]
    widths = [max([_columns_of(zh), len(en), *(len(row[n]) for row in rows)])
              for n, (zh, en) in enumerate(ENTRY_HEADERS)]

    def line(cells: Iterable[str], chinese: bool = False) -> Markup:
        parts = []
        for n, cell in enumerate(cells):
            room = " " * (widths[n] - _columns_of(cell))
            text = escape(cell)
            if chinese:
                text = Markup('<span class="sans">{}</span>').format(cell)
            parts.append(Markup("{}{}").format(room, text) if n == 0
                         else Markup("{}{}").format(text, room if n < len(widths) - 1 else ""))
        return Markup("  ").join(parts)

    lines = [line((zh for zh, _ in ENTRY_HEADERS), chinese=True),
             line(en for _, en in ENTRY_HEADERS), *(line(row) for row in rows)]
    return Markup("\n").join(lines)


def _columns_of(text: str) -> int:
    """How many monospaced columns `text` takes: a wide (East Asian) character two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


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
    """The QR code for `url` (segno; error correction M) as a PNG data URI, `QR_SCALE` pixels
    a module, scaled up unsmoothed (`image-rendering: pixelated`, certificate.css): as sharp on
    screen and paper as a vector drawing of each module, without drawing a path of a thousand
    segments (an SVG) at every render. Grey, 8 bits a pixel: WeasyPrint converts a PNG of
    any other mode (segno's are 1 bit) to RGB, three times the pixels to compress again."""
    from PIL import Image

    code = segno.make(url, error="m", micro=False)
    matrix = [bytes(0 if dark else 255 for dark in row)
              for row in code.matrix_iter(scale=1, border=QR_BORDER)]
    size = len(matrix)
    image = Image.frombytes("L", (size, size), b"".join(matrix))
    png = io.BytesIO()
    image.resize((size * QR_SCALE,) * 2, Image.Resampling.NEAREST).save(png, format="PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


QR_SCALE = 4  # pixels a module: fewer, and PDF viewers that smooth images anyway blur it
QR_BORDER = 2  # modules of light margin around the code (the page is white around it too)


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
        _local.fonts = config, CSS(string=fonts.stylesheet(_written()), font_config=config)
    found: tuple[Any, Any] = _local.fonts
    return found


@cache
def _written() -> str:
    """Every character the certificates' own words are written in (the first font is cut to
    them, ledger.certificates.fonts): their templates, the names and messages of
    ledger.certificates.words, the fund table's form (ledger.certificates.fund_form), the
    titles, headers and page numbers here."""
    folder = Path(__file__).parent / "templates"
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())]
    texts += [certificate_words.characters(), fund_form.characters(), _page_numbers("", ""),
              *(zh + en for zh, en in TITLES.values()),
              *(zh + en for zh, en in ENTRY_HEADERS)]
    return "".join(sorted(set("".join(texts))))


@cache
def _html() -> Any:
    """WeasyPrint's HTML, for the templates' pages: parsed as the XML they are written in
    (XHTML) by the standard library's expat rather than by WeasyPrint's HTML5 parser, written
    in Python (a twentieth of a unit certificate's time); and with the user-agent rules the
    templates use (templates/ua.css) in place of its whole html5_ua.css, which was matched
    against every element of every page (a tenth). The pages are identical pixel for pixel
    (a test renders with WeasyPrint's own HTML). `_ua_stylesheets`, `wrapper_element` and
    `etree_element` are how WeasyPrint's HTML varies its rules (for forms) and holds its tree;
    they are not public API, so that test also guards an upgrade."""
    import cssselect2
    from weasyprint import HTML

    user_agent = [_stylesheet("ua.css")]

    class CertificateHTML(HTML):  # type: ignore[misc]
        def __init__(self, string: str) -> None:
            super().__init__(string=NOTHING_TO_PARSE)  # WeasyPrint's own state otherwise
            # The templates' own markup, every value escaped into it: no entity but theirs.
            root = ElementTree.fromstring(string)  # noqa: S314
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return user_agent

    return CertificateHTML


NOTHING_TO_PARSE = "<html></html>"
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> Any:
    """A value as the templates print it, with the characters XML cannot hold (a control
    character such as the group separator a barcode scanner sends) as U+FFFD."""
    if not isinstance(value, str) or not NOT_IN_XML.search(value):
        return value
    cleaned = NOT_IN_XML.sub("\ufffd", value)
    return Markup(cleaned) if isinstance(value, Markup) else cleaned  # noqa: S704 (was Markup)


@cache
def _stylesheet(name: str) -> Any:
    """A static stylesheet of the templates folder, parsed once per process (parsing it for
    every certificate is a noticeable share of a unit certificate's time)."""
    from weasyprint import CSS

    return CSS(string=(Path(__file__).parent / "templates" / name).read_text(encoding="utf-8"))


# -- filters ----------------------------------------------------------------------------------


def role_names(role: str) -> str:
    """An operator's role in Chinese, then English (ledger/rules/codes.py); the code itself
    for a role it does not know."""
    names = OPERATOR_ROLE_NAMES.get(role)
    return " ".join(names[language] for language in LANGUAGES) if names else role


def _environment(zone_key: str) -> Environment:
    return _environment_for(zone_key)


@cache
def _environment_for(zone_key: str) -> Environment:
    environment = Environment(loader=PackageLoader("ledger.certificates", "templates"),
                              autoescape=select_autoescape(["html", "css"]),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              finalize=_xml_text)
    environment.filters.update(Words(ZoneInfo(zone_key)).filters())
    environment.filters["kg"] = kg
    environment.filters["number"] = lambda value: "—" if value is None else f"{value:,}"
    environment.filters["indexes"] = lambda values: ", ".join(str(v) for v in values)
    environment.filters["last_entry"] = lines_csv.last_entry
    environment.filters["reason_text"] = fund_form.reason_text
    environment.filters["figure"] = fund_form.figure_text
    environment.filters["role"] = role_names
    environment.globals["no_fund_tables"] = {"code": NO_TABLES}  # a unit's reason for no class
    return environment
