"""Certificate PDFs from real issued certificates: opened with pypdf (the attachment is the
JSON, PDF/A-3b metadata, the CJK font embedded), rendered with pdftoppm (the title is ink,
not blank), read back with pdftotext (Chinese text, page X of Y, times in plant time)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from ledger import catalogue
from ledger.certificates import document as doc_format
from ledger.certificates import pdf
from ledger.certificates.build import build_lot, build_period, build_unit
from ledger.certificates.issue import issue
from ledger.certificates.verify import PRINTED_CHECK, verify_pdf

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
    assert fonts and all("Noto-Sans-CJK-SC" in name for name in fonts), fonts
    descendant = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()
    descriptor = descendant["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    assert "/FontFile3" in descriptor.get_object()  # embedded (CFF), not referenced


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


def test_the_pdf_verifies_as_the_certificate(plant_ledger):
    report = verify_pdf(_render(_issued_unit(plant_ledger)), vkeys=[plant_ledger.vkey])
    assert report.ok, [c for c in report.checks if c.ok is False]


def test_period_report_pages_every_line_and_counts_pages_right(plant_ledger, tmp_path):
    p = plant_ledger
    lines = pdf.LINES_PER_PAGE + 5  # two pages of lines, the second part full
    for number in range(lines - 2):  # make_plant completed two units already
        dismantle(p, f"CN3301-2026-01{number:05d}", "R-134a", 100 + number, 20_000 + number,
                  f"TI-1{number:04d}", lot="LOT-FE-0002")
    document = issue(p.ledger, build_period(p.ledger, "2026-11-21", "2026-11-21",
                                            signer=p.signer), p.signer)
    assert len(document["statements"]["lines"]) == lines
    seen: list[tuple[int, int]] = []
    data = _render(document, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, lines) and seen[-1] == (lines, lines)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    text = _text(data, tmp_path)
    assert "拆解处理期间报告" in text and "By category" in text
    for number in range(1, pages + 1):
        assert f"page {number} of {pages}" in text
    assert f"page {pages + 1} of" not in text
    for line in document["statements"]["lines"]:
        assert line["label"] in text
    last = _text(data, tmp_path, page=pages)
    assert f"lines {pdf.LINES_PER_PAGE + 1}–{lines} / {lines}" in last


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
