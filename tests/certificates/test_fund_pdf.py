"""The fund table's PDF (ledger.certificates.fund_pdf), rendered through pdf.render as every
caller does: read back with pypdf and pdftotext (the form's words, Chinese first, names from
the fund's tables, the units attached as CSV and said so on the first page), and rendered
with pdftoppm (the first page is ink, not blank)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from ledger import catalogue
from ledger.certificates import document as doc_format
from ledger.certificates import fund_pdf, pdf
from ledger.certificates.verify_pdf import verify_pdf
from ledger.fund.classify import REASON_TEXT
from ledger.rules.codes import FUND_REASON_NAMES

from .fund_fixture import fund_document, sample_table
from .test_fund_table import CRT_TV_12, FRIDGE_600, LATE_FRIDGE

URL = "https://ledger.example-plant.cn"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: ./scripts/setup installs poppler-utils")
    return found


def _render(document: dict, **kw) -> bytes:
    url = pdf.verify_url_for(URL, doc_format.sha256(document))
    return pdf.render(document, verify_url=url, timezone="Asia/Shanghai", **kw)


def _text(data: bytes, tmp_path: Path, page: int | None = None) -> str:
    path = tmp_path / "fund.pdf"
    path.write_bytes(data)
    options = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run([_tool("pdftotext"), "-layout", *options, str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def rendered() -> tuple[dict, bytes]:
    document = fund_document(60)
    return document, _render(document)


def test_the_fund_table_pdf_reads_as_the_form_chinese_first(rendered, tmp_path):
    document, data = rendered
    text = _flat(_text(data, tmp_path))
    first = _flat(_text(data, tmp_path, page=1))
    assert "废弃电器电子产品拆解处理情况表" in first
    assert "WEEE dismantling and treatment statement" in first
    assert "2023-12-01 — 2024-01-31" in first and document["origin"] in first
    assert "工艺目录 catalogue default, 条目 entry 0" in first
    assert doc_format.sha256(document) in first
    for words in ("期初库存", "接收", "拆解 Dismantled", "可计入", "有待复核", "不予计入",
                  "期末库存", "计入数量", "补贴标准", "金额", "标准化处理量"):
        assert words in text, words
    tables = catalogue.load().fund
    assert tables is not None
    for found in tables.classes.values():  # every sub-class, named from the fund's tables
        zh, en = found.name["zh-CN"], found.name["en"]
        at = text.index(zh[:8])
        assert 0 < text.find(en[:12], at) - at < 400, (zh, en)  # English under it
    for name in tables.categories.values():
        assert f"{name['zh-CN']} {name['en']}" in text
    assert text.index("电视机 Televisions") < text.index("电冰箱 Refrigerators")
    assert "属基金范围合计" in text and "全部单元合计" in text
    assert "超出基金范围 · 电视机 · 超出范围限值：屏幕尺寸" in text
    assert "Outside the fund's scope · Televisions · Outside a scope limit: Screen size" in text
    assert "非基金目录产品 · 微波炉" in text
    assert "无法归类（缺铭牌信息） · 洗衣机 · 额定洗涤容量" in text
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert f"第 1 页，共 {pages} 页 · page 1 of {pages}" in first


def test_the_totals_and_amounts_are_printed_from_the_statements(rendered, tmp_path):
    document, data = rendered
    text = _flat(_text(data, tmp_path))
    totals = document["statements"]["totals"]
    row = next(r for r in document["statements"]["rows"] if r["sub_class"] == "tv_crt_small")
    amount = row["amounts"][0]
    assert f"{amount['rate']} ({amount['version']})" in text
    assert f"{int(amount['amount']):,}.00" in text
    summed = sum(int(a["amount"]) for r in document["statements"]["rows"]
                 for a in r["amounts"])
    assert f"{summed:,}.00" in text
    assert f"全部单元合计 {totals['opening']} {totals['received']}" in text or \
        str(totals["dismantled"]["all"]) in text


def test_the_annexes_are_printed_bilingual(rendered, tmp_path):
    document, data = rendered
    text = _flat(_text(data, tmp_path))
    for heading in ("附表一 每日接收与拆解", "Units received and dismantled per day",
                    "附表二 产物产出与去向（按物料）", "Product in and out, by fraction",
                    "附表三 产物去向及转移联单", "Output destinations and their manifests",
                    "附表四 盘点与账面对账", "Last stock count against the book"):
        assert heading in text, heading
    assert "未记录盘点 no stock count recorded" in text
    assert "Hazardous outputs count only once the receiver's manifest has come back" in text
    assert "废钢铁 Steel" in text and "电路板 Circuit boards" in text
    lot = document["statements"]["destinations"][3]  # a hazardous lot not yet returned
    assert not lot["returned"] and lot["manifest_no"] in text
    for day in ("2023-12-01", "2023-12-31", "2024-01-31"):
        assert day in text


def test_the_units_are_attached_as_csv_and_the_first_page_says_so(rendered, tmp_path):
    document, data = rendered
    first = _flat(_text(data, tmp_path, page=1))
    assert "60 个单元的逐单元明细不逐行打印，作为附件 units.csv" in first
    assert "The 60 units of this table are not printed line by line: they are attached as " \
        "units.csv" in first
    attachments = PdfReader(io.BytesIO(data)).attachments
    assert sorted(attachments) == ["certificate.json", "units.csv"]
    assert json.loads(attachments["certificate.json"][0])["kind"] == "fund_table"
    assert attachments["certificate.json"][0] == doc_format.serialise(document)
    rows = list(csv.reader(io.StringIO(attachments["units.csv"][0].decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号 No.", "单元标签 Unit label", "类别 Category"]
    assert "入厂时间 Received (Asia/Shanghai)" in rows[0]
    assert len(rows) == 61
    units = [json.loads(text) for text in document["statements"]["units"]]
    assert [row[1] for row in rows[1:]] == [unit[0] for unit in units]
    scope = rows[0].index("基金范围 Fund scope")
    assert {row[scope] for row in rows[1:]} >= {"属基金范围 In the fund's scope",
                                               "非基金目录产品 Not a fund product"}


def test_the_first_page_is_ink_not_blank(rendered, tmp_path):
    """pdftoppm at 80 dpi, landscape A4: the title's band has dark pixels, the page is
    mostly white."""
    _, data = rendered
    path = tmp_path / "fund.pdf"
    path.write_bytes(data)
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "80", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = image.size
    assert width > height  # landscape, as the form is
    title = image.crop((int(width * 0.03), int(height * 0.05), int(width * 0.4),
                        int(height * 0.12)))
    dark = sum(title.histogram()[:100])
    assert dark > 400, f"only {dark} dark pixels where the title should be"
    assert 0.005 < sum(image.histogram()[:100]) / (width * height) < 0.3


def test_the_stock_count_and_reconciliation_are_printed_as_tables(tmp_path):
    """The shape ledger/fund/stock.py states (StockBook.counts_held, reconciliation)."""
    document = fund_document(20)
    document["statements"]["stock_count"] = {
        "count": "2024-01-31-1", "entry": 812, "at": "2024-01-31T09:00:00.000Z",
        "counted_by": "Li Wei", "unexplained": 1, "lines": [
            {"kind": "units", "zone": "a1", "code": "fridge", "book": 14, "counted": 15,
             "difference": 1, "unexplained": 0, "adjustment": {
                 "entry": 815, "difference": 1, "reason": "late truck", "approved_by": "M-1",
                 "at": "2024-01-31T10:00:00.000Z"}},
            {"kind": "fraction", "zone": None, "code": "steel", "book": 20_000,
             "counted": 19_500, "difference": -500, "unexplained": -500,
             "adjustment": None}]}
    document["statements"]["reconciliation"] = {
        "rows": [{"kind": "units", "code": "fridge", "opening": 3, "in": 10, "out": 9,
                  "closing": 4, "balance": 0, "adjustments": 1}],
        "counts": ["2024-01-31-1"], "unexplained": [], "balanced": True}
    text = _flat(_text(_render(document), tmp_path))
    assert "未记录盘点" not in text and "未记录对账" not in text
    assert "2024-01-31-1" in text and "late truck" in text and "-0.500" in text
    assert "Balanced: every row balances" in text


def test_many_destinations_are_attached_not_printed(tmp_path):
    document = fund_document(20)
    lots = document["statements"]["destinations"]
    document["statements"]["destinations"] = [
        {**lots[n % len(lots)], "lot": f"LOT-{n:04d}"}
        for n in range(fund_pdf.DESTINATIONS_PRINTED_MAX + 1)]
    data = _render(document)
    text = _flat(_text(data, tmp_path))
    assert "作为附件 destinations.csv" in text and "LOT-0007" not in text
    attached = PdfReader(io.BytesIO(data)).attachments["destinations.csv"][0]
    rows = list(csv.reader(io.StringIO(attached.decode("utf-8-sig"))))
    assert len(rows) == fund_pdf.DESTINATIONS_PRINTED_MAX + 2 and rows[8][0] == "LOT-0007"


def test_progress_is_told_of_the_units_written():
    heard = []
    _render(fund_document(2_500), progress=lambda done, total: heard.append((done, total)))
    assert heard[0] == (0, 2_500) and heard[-1] == (2_500, 2_500)
    assert (2_000, 2_500) in heard


def test_a_statement_the_pages_need_is_named_when_missing():
    document = fund_document(5)
    del document["statements"]["fractions"]
    with pytest.raises(pdf.RenderError, match="'fractions'"):
        _render(document)
    document = fund_document(5)
    document["statements"]["columns"] = [*document["statements"]["columns"], "colour"]
    with pytest.raises(pdf.RenderError, match="'colour'"):
        _render(document)


def test_every_reason_a_unit_is_outside_the_fund_has_a_name():
    assert set(REASON_TEXT) <= set(FUND_REASON_NAMES)


# -- the real thing: the sample plant's table, issued by the builder --------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[dict, str]:
    return sample_table(tmp_path_factory.mktemp("fund-pdf"))


def test_the_sample_plants_table_prints_what_it_certifies_and_verifies(sample, tmp_path):
    """The 12-inch CRT TV and the 600 L fridge in rows of their own, outside the fund; the
    fridge received the next day and left in stock in the closing stock; the PDF verifies
    as the certificate it carries (its first page prints the attachment's SHA-256)."""
    document, vkey = sample
    data = _render(document)
    report = verify_pdf(data, vkeys=[vkey])
    assert report.ok, [c for c in report.checks if c.ok is False]
    text = _flat(_text(data, tmp_path))
    assert "超出基金范围 · 电视机 · 超出范围限值：屏幕尺寸" in text
    assert "超出基金范围 · 电冰箱 · 超出范围限值：总容积" in text
    assert text.index("电视机 Televisions") < text.index("电冰箱 Refrigerators") < \
        text.index("洗衣机 Washing machines") < text.index("微型计算机 Microcomputers")
    attachments = PdfReader(io.BytesIO(data)).attachments
    rows = {row[1]: row for row in csv.reader(io.StringIO(
        attachments["units.csv"][0].decode("utf-8-sig")))}
    header = rows["单元标签 Unit label"]
    reason, closing = header.index("原因 Reason"), header.index("期末在库 In closing stock")
    assert "屏幕尺寸（英寸） 12 超出基金范围（≥ 14）" in rows[CRT_TV_12][reason]
    assert "Total volume (L) 600 is outside the fund's scope" in rows[FRIDGE_600][reason]
    assert rows[LATE_FRIDGE][closing] == "是 yes"
    assert len(rows) - 1 == len(document["statements"]["units"])
    path = tmp_path / "sample.pdf"
    path.write_bytes(data)
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "80", str(path), str(tmp_path / "p")],
                   check=True)
    for page in sorted(tmp_path.glob("p-*.png")):  # every page drawn, none blank
        image = Image.open(page).convert("L")
        dark = sum(image.histogram()[:100]) / (image.size[0] * image.size[1])
        assert 0.003 < dark < 0.3, (page.name, dark)


def test_the_form_is_written_in_the_face_cut_to_the_certificates_words():
    """The form's own words (headers, headings, names of the fund's tables and of the
    nameplate fields) are in the small face (ledger.certificates.fonts): with the receivers,
    what the plant wrote, in Latin, the GB 2312 face is not embedded."""
    document = fund_document(30)
    for lot in document["statements"]["destinations"]:
        lot["receiver"], lot["receiver_licence"] = "Jiangsu Metals", None
    fonts = {font.get_object()["/BaseFont"].partition("+")[2]
             for page in PdfReader(io.BytesIO(_render(document))).pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts == {"Noto-Sans-CJK-SC-Words"}, fonts
