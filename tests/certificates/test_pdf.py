"""Certificate PDFs from real issued certificates: opened with pypdf (the attachment is the
JSON, PDF/A-3b metadata, the CJK font embedded), rendered with pdftoppm (the title is ink,
not blank), read back with pdftotext (Chinese text, page X of Y, times in plant time)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from ledger import catalogue
from ledger.canonical import canonical_bytes
from ledger.certificates import document as doc_format
from ledger.certificates import pdf
from ledger.certificates.build import build_lot, build_period, build_unit
from ledger.certificates.issue import issue
from ledger.certificates.statements import period_totals
from ledger.certificates.verify import PRINTED_CHECK
from ledger.certificates.verify_pdf import verify_pdf

from .conftest import LOT_FE, UNIT_A, Plant, dismantle

URL = "https://ledger.example-plant.cn"
TITLE_ZH = "废弃电器电子产品拆解证明"


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: ./scripts/setup installs poppler-utils")
    return found


def _issued_unit(p: Plant) -> dict:
    return issue(p.ledger, build_unit(p.ledger, UNIT_A, signer=p.signer), p.signer)


def _render(document: dict, **kw) -> bytes:
    url = pdf.verify_url_for(URL, doc_format.sha256(document))
    return pdf.render(document, verify_url=url, **kw)


def _text(data: bytes, tmp_path: Path, page: int | None = None, layout: bool = True) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    options = ["-f", str(page), "-l", str(page)] if page else []
    options += ["-layout"] if layout else []
    return subprocess.run([_poppler("pdftotext"), *options, str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def test_unit_pdf_carries_the_json_and_is_pdfa3b_with_the_cjk_font(plant_ledger):
    document = _issued_unit(plant_ledger)
    reader = PdfReader(io.BytesIO(_render(document)))

    attached = reader.attachments["certificate.json"]
    assert attached == [doc_format.serialise(document)]
    root = reader.trailer["/Root"]
    filespec = root["/Names"]["/EmbeddedFiles"]["/Names"][1].get_object()
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"
    assert [ref.idnum for ref in root["/AF"]] == [filespec.indirect_reference.idnum]

    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B",
                                                                 xmp)
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"

    fonts = {font.get_object()["/BaseFont"]
             for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all(re.search(r"\+Noto-Sans-(Mono-)?CJK-SC", name) for name in fonts), fonts
    descendant = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()
    descriptor = descendant["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    assert "/FontFile3" in descriptor.get_object()  # embedded (CFF), not referenced


def _font_names(data: bytes) -> set[str]:
    return {font.get_object()["/BaseFont"].partition("+")[2]
            for page in PdfReader(io.BytesIO(data)).pages
            for font in page["/Resources"]["/Font"].values()}


def test_a_unit_pdf_is_written_in_the_face_cut_to_the_certificates_words(plant_ledger):
    """What a unit certificate says in its own words is in the small face cut to them
    (ledger.certificates.fonts), which WeasyPrint subsets quickly: with the brand (海尔, what
    the plant wrote) in Latin, the GB 2312 face is not embedded."""
    document = _issued_unit(plant_ledger)
    assert document["statements"]["unit"]["brand"] == "海尔"
    document["statements"]["unit"]["brand"] = "Haier"
    assert _font_names(_render(document)) == {"Noto-Sans-CJK-SC-Words",
                                              "Noto-Sans-Mono-CJK-SC-Core"}


def test_what_a_plant_wrote_outside_the_words_is_printed_from_the_fuller_faces(plant_ledger,
                                                                             tmp_path):
    """A brand in hanzi the templates and names never use: 鑫 (GB 2312) from the Core face,
    喆 (beyond GB 2312) from the whole Noto Sans CJK SC."""
    document = _issued_unit(plant_ledger)
    document["statements"]["unit"]["brand"] = "鑫喆电器"
    data = _render(document)
    assert "鑫喆电器" in _text(data, tmp_path)
    assert {"Noto-Sans-CJK-SC-Words", "Noto-Sans-CJK-SC-Core"} <= _font_names(data)
    assert any(name.startswith("Noto-Sans-CJK-SC") and not name.endswith(("Words", "Core"))
               for name in _font_names(data)), _font_names(data)


def test_unit_pdf_page_shows_chinese_text_numbers_and_times(plant_ledger, tmp_path):
    document = _issued_unit(plant_ledger)
    data = _render(document)
    text = _text(data, tmp_path)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert TITLE_ZH in text and "Unit dismantling certificate" in text
    assert UNIT_A in text and "江苏再生金属有限公司" not in text  # a lot's receiver: not here
    for number in range(1, pages + 1):
        assert f"page {number} of {pages}" in text and f"第 {number} 页，共 {pages} 页" in text
    # masses in kg; times in the plant's zone (entries are logged 08:00Z onwards: 16:00 +08)
    intake = document["statements"]["intake"]
    assert f"{intake['gross_g'] / 1000:,.3f} kg" in text
    assert re.search(r"2026-11-21 1[6-9]:\d\d:\d\d", text)
    assert "(Asia/Shanghai)" in text
    # catalogue codes by their names in both languages
    assert "电冰箱 Refrigerator/freezer" in text
    fractions = catalogue.load().fractions
    codes = {output["fraction"] for output in document["statements"]["outputs"]}
    for code in codes:  # a code the catalogue does not know is shown as it is
        assert (fractions[code].name["en"] if code in fractions else code) in text
    # every entry's index and leaf hash in the small print
    for item in document["entries"]:
        assert f"#{item['index']}" in text or f" {item['index']} " in text
    url = pdf.verify_url_for(URL, doc_format.sha256(document))
    assert url in "".join(_text(data, tmp_path, page=1, layout=False).split())


def test_first_page_renders_ink_where_the_title_is(plant_ledger, tmp_path):
    """pdftoppm at 80 dpi: the title's band has dark pixels (text drawn, not empty boxes or a
    blank page), and the page is mostly white."""
    path = tmp_path / "unit.pdf"
    path.write_bytes(_render(_issued_unit(plant_ledger)))
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "80", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = image.size
    # the title: left part of the page, between ~12 mm and ~24 mm from the top (A4 at 80 dpi)
    title = image.crop((int(width * 0.05), int(height * 0.045), int(width * 0.45),
                        int(height * 0.085)))
    dark = sum(title.histogram()[:100])
    assert dark > 400, f"only {dark} dark pixels where the title should be"
    page_dark = sum(image.histogram()[:100]) / (width * height)
    assert 0.005 < page_dark < 0.3


def test_the_lean_user_agent_sheet_lays_out_the_pages_as_weasyprints_own(plant_ledger, tmp_path,
                                                                       monkeypatch):
    """templates/ua.css stands in for WeasyPrint's html5_ua.css, and expat for its HTML5
    parser (ledger.certificates.pdf `_html`): the pages must come out the same, pixel for
    pixel, with the same outline."""
    from weasyprint import HTML

    document = _issued_unit(plant_ledger)
    lean = _render(document)
    monkeypatch.setattr(pdf, "_html", lambda: HTML)
    full = _render(document)
    images = []
    for name, data in (("lean", lean), ("full", full)):
        (tmp_path / f"{name}.pdf").write_bytes(data)
        subprocess.run([_poppler("pdftoppm"), "-png", "-r", "60", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True)
        images.append(sorted(tmp_path.glob(f"{name}-*.png")))
    assert len(images[0]) == len(images[1]) >= 2
    for lean_page, full_page in zip(*images, strict=True):
        difference = ImageChops.difference(Image.open(lean_page).convert("L"),
                                           Image.open(full_page).convert("L"))
        assert difference.getbbox() is None, (lean_page.name, difference.getbbox())
    outlines = [[item.title for item in PdfReader(io.BytesIO(data)).outline
                 if not isinstance(item, list)] for data in (lean, full)]
    assert outlines[0] == outlines[1] and outlines[0]


def test_a_control_character_a_plant_recorded_is_printed_as_a_replacement(plant_ledger,
                                                                          tmp_path):
    """XML holds no control character: the group separator a barcode scanner may leave in a
    serial is printed as U+FFFD, and the rest of the page as it is."""
    document = _issued_unit(plant_ledger)
    document["statements"]["unit"]["serial"] = "SN0042\x1d21XYZ"
    text = _text(_render(document), tmp_path)
    assert "SN0042\ufffd21XYZ" in text


def test_the_pdf_verifies_as_the_certificate(plant_ledger):
    report = verify_pdf(_render(_issued_unit(plant_ledger)), vkeys=[plant_ledger.vkey])
    assert report.ok, [c for c in report.checks if c.ok is False]


def _period(p: Plant) -> dict:
    return issue(p.ledger, build_period(p.ledger, "2026-11-21", "2026-11-21", signer=p.signer),
                 p.signer)


def test_period_report_pages_every_line_and_counts_pages_right(plant_ledger, tmp_path):
    p = plant_ledger
    lines = pdf.LINES_PER_PAGE + 5  # two pages of lines, the second part full
    for number in range(lines - 2):  # make_plant completed two units already
        dismantle(p, f"CN3301-2026-01{number:05d}", "R-134a", 100 + number, 20_000 + number,
                  f"TI-1{number:04d}", lot="LOT-FE-0002")
    document = _period(p)
    labels = [line["label"] for line in doc_format.period_lines(document["statements"])]
    assert len(labels) == lines
    seen: list[tuple[int, int]] = []
    data = _render(document, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, lines) and seen[-1] == (lines, lines)
    reader = PdfReader(io.BytesIO(data))
    assert list(reader.attachments) == ["certificate.json"]  # printed: nothing else attached
    pages = len(reader.pages)
    text = _text(data, tmp_path)
    assert "拆解处理期间报告" in text and "By category" in text and "lines.csv" not in text
    for number in range(1, pages + 1):
        assert f"page {number} of {pages}" in text
    assert f"page {pages + 1} of" not in text
    for label in labels:
        assert label in text
    last = _text(data, tmp_path, page=pages)
    assert f"lines {pdf.LINES_PER_PAGE + 1}–{lines} / {lines}" in last
    # dates with their year, category names whole (issue 17)
    assert re.search(r"2026-11-21 1[6-9]:\d\d", last)
    assert "电冰箱" in last and "Refrigerator/freezer" in last


def _large_report(p: Plant, count: int) -> dict:
    """A period report of `count` lines, its statements built directly from the lines of a
    real one (each copied under a new label), every tenth one flagged with figures and codes
    in its flags' and broken rules' parameters; the totals added up as the builder does."""
    document = _period(p)
    statements = document["statements"]
    columns = statements["columns"]
    real = list(doc_format.period_lines(statements))
    lines = []
    for number in range(count):
        line = {**real[number % len(real)], "label": f"CN3301-2026-9{number:06d}"}
        if number % 10 == 3:
            line.update(QUESTIONED)
        lines.append(line)
    rows = [canonical_bytes([line[column] for column in columns]).decode() for line in lines]
    return {**document, "statements": {**statements, "lines": rows,
                                       "totals": period_totals(lines)}}


QUESTIONED = {
    "status": "flagged",
    "flags": [{"code": "yield_out_of_range", "key": "pu_foam",
               "params": {"fraction": "pu_foam", "mass_g": 5_500, "gross_g": 45_210,
                          "min_pct": "1", "max_pct": "5"}},
              {"code": "calibration_overdue", "key": "SC-1",
               "params": {"scale": "SC-1", "hours": 24, "at": "2026-11-21T08:00:00.000Z",
                          "last_pass": "none"}}],
    "violations": [{"entry": 12, "rule": "wrong_lot",
                    "params": {"lot": "LOT-PL-0001", "lot_fraction": "plastics",
                               "fraction": "pu_foam"}}],
    "reviews": [{"entry": 30, "flag": "mass_balance", "key": None, "resolution": "exclude"}],
}
RAW = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|\{'|\bNone\b")


def test_a_large_report_attaches_its_lines_as_csv_and_says_so_first(plant_ledger, tmp_path):
    count = 5_000
    document = _large_report(plant_ledger, count)
    seen: list[tuple[int, int]] = []
    data = _render(document, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, count) and seen[-1] == (count, count) and len(seen) > 3
    reader = PdfReader(io.BytesIO(data))
    assert sorted(reader.attachments) == ["certificate.json", "lines.csv"]
    assert reader.attachments["certificate.json"] == [doc_format.serialise(document)]
    assert len(reader.pages) <= 8  # the summary only (printed, 5,000 lines take 179 pages)

    raw = reader.attachments["lines.csv"][0]
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == count
    assert header[:3] == ["序号 No.", "单元标签 Unit label", "以旧换新编号 Trade-in reference"]
    assert all(re.search("[\u4e00-\u9fff].* [A-Za-z]", name) for name in header[1:]), header
    lines = list(doc_format.period_lines(document["statements"]))
    assert [row[1] for row in body] == [line["label"] for line in lines]
    flagged = body[3]
    assert "聚氨酯泡沫" in flagged[header.index("待复核标记 Open flags")]
    assert not RAW.search(flagged[header.index("违反的规则 Rules broken")])
    assert re.fullmatch(r"2026-11-21 1[6-9]:\d\d:\d\d",
                        body[0][header.index("完成时间 Completed (Asia/Shanghai)")])
    assert body[0][header.index("类别 Category")] == "电冰箱 Refrigerator/freezer"

    first = _text(data, tmp_path, page=1)
    flat = " ".join(first.split())
    assert f"{count:,} lines are attached as lines.csv" in flat
    assert f"本报告共 {count:,} 行逐单元明细，作为附件 lines.csv" in flat
    assert f"{count - pdf.QUESTIONED_PRINTED_MAX - 4_500:,} more flagged or excluded" in \
        " ".join(_text(data, tmp_path).split())


def test_a_large_reports_pages_print_no_raw_codes(plant_ledger, tmp_path):
    """Issue 17: the flags' and rules' parameters in words (no `pu_foam`, no
    `share_permille=506`), the reviews' flags named, no repr, no None."""
    data = _render(_large_report(plant_ledger, 1_200))
    text = _text(data, tmp_path)
    _assert_no_raw_codes(text)
    fonts = {font.get_object()["/BaseFont"] for page in PdfReader(io.BytesIO(data)).pages
             for font in page["/Resources"]["/Font"].values()}
    assert all(re.search(r"\+Noto-Sans-(Mono-)?CJK-SC", name) for name in fonts), fonts  # ▲ ×
    assert "聚氨酯泡沫 为 5500 g" in text and "PU foam is 5500 g" in text
    assert "（上次：无）" in text and "(last: none)" in text


def _assert_no_raw_codes(text: str) -> None:
    """No snake_case word, Python repr or None in the rendered text. The leaf hashes and
    base64 roots are not words; an underscore in them would be a code."""
    found = sorted(set(RAW.findall(text)))
    assert not found, found


def test_unit_and_lot_pdfs_print_no_raw_codes(plant_ledger, tmp_path):
    p = plant_ledger
    text = _text(_render(_issued_unit(p)), tmp_path)
    _assert_no_raw_codes(text)
    assert "以旧换新 Trade-in programme" in text  # the source, named
    assert "质量 mass 19.400 kg" in text  # the correction, in words
    _assert_no_raw_codes(_text(_render(issue(p.ledger, build_lot(p.ledger, LOT_FE,
                                                                 signer=p.signer), p.signer)),
                               tmp_path))


def test_a_large_reports_first_page_is_ink_not_blank(plant_ledger, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(_render(_large_report(plant_ledger, 1_500)))
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(image.histogram()[:100]) / (image.size[0] * image.size[1])
    assert 0.005 < dark < 0.3, dark


def test_a_report_with_its_lines_attached_verifies_as_its_certificate(plant_ledger, monkeypatch):
    """The attached JSON is what verifies, read with pypdf or with the verifier's own reader
    (the inspector's zipapp); lines.csv beside it changes nothing."""
    from ledger.certificates.pdf_attachment import attachment

    monkeypatch.setattr(pdf, "PRINTED_LINES_MAX", 1)  # a real report, lines attached
    document = _period(plant_ledger)
    data = pdf.render(document, verify_url="https://x.example/verify",
                      sha256=doc_format.sha256(document))
    assert sorted(PdfReader(io.BytesIO(data)).attachments) == ["certificate.json", "lines.csv"]
    assert attachment(data) == doc_format.serialise(document)
    assert attachment(data, "lines.csv").startswith(codecs.BOM_UTF8 + "序号 No.".encode())
    report = verify_pdf(data, vkeys=[plant_ledger.vkey])
    assert report.ok, [c for c in report.checks if c.ok is False]


def test_lot_manifest_names_receiver_and_contents(plant_ledger, tmp_path):
    p = plant_ledger
    document = issue(p.ledger, build_lot(p.ledger, LOT_FE, signer=p.signer), p.signer)
    text = _text(_render(document), tmp_path)
    assert "批次转移清单" in text and "江苏再生金属有限公司" in text
    assert "JS-2026-000123" in text and UNIT_A in text and "40.880 kg" in text


def test_unknown_time_zone_is_refused_by_name(plant_ledger):
    with pytest.raises(pdf.RenderError, match="Mars/Olympus"):
        _render(_issued_unit(plant_ledger), timezone="Mars/Olympus")


def test_the_qr_code_opens_this_certificates_verify_page(plant_ledger, tmp_path):
    """Decoded from the rendered page with zbarimg, as a phone's camera would read it."""
    document = _issued_unit(plant_ledger)
    path = tmp_path / "unit.pdf"
    path.write_bytes(_render(document))
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "150", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is missing: ./scripts/setup installs zbar-tools")
    decoded = subprocess.run([zbarimg, "--quiet", "--raw", str(next(tmp_path.glob("page*.png")))],
                             check=True, capture_output=True, text=True).stdout.split()
    assert decoded == [pdf.verify_url_for(URL, doc_format.sha256(document))]


def _printed_check(report) -> tuple[bool | None, str]:
    found = [c for c in report.checks if c.name == PRINTED_CHECK]
    assert found, report.checks
    return found[0].ok, found[0].detail


def test_pages_of_one_certificate_with_another_attached_do_not_verify(plant_ledger):
    """Issue 13, break 8: the paper said one unit, the attachment certified another."""
    from pypdf import PdfWriter

    printed = _render(_issued_unit(plant_ledger))
    other = issue(plant_ledger.ledger, build_lot(plant_ledger.ledger, LOT_FE,
                                                 signer=plant_ledger.signer), plant_ledger.signer)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(printed)))
    del writer.root_object["/Names"]  # the embedded files: replaced by the other certificate
    writer.add_attachment("certificate.json", doc_format.serialise(other))
    swapped = io.BytesIO()
    writer.write(swapped)
    report = verify_pdf(swapped.getvalue(), vkeys=[plant_ledger.vkey])
    ok, detail = _printed_check(report)
    assert ok is False and "not those of the attached certificate" in detail
    assert not report.ok


def test_a_pdf_with_damaged_page_content_does_not_verify(plant_ledger):
    data = _render(_issued_unit(plant_ledger))
    contents = PdfReader(io.BytesIO(data)).pages[0].raw_get("/Contents")
    start = data.index(b"stream", data.index(b"\n%d 0 obj" % contents.idnum)) + 8
    damaged = data[:start + 500] + bytes(200) + data[start + 700:]
    report = verify_pdf(damaged, vkeys=[plant_ledger.vkey])
    ok, detail = _printed_check(report)
    assert ok is False and "no readable text" in detail
    assert not report.ok
    assert _printed_check(verify_pdf(data, vkeys=[plant_ledger.vkey]))[0] is True
