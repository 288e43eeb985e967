"""The fund table's XLSX (ledger.certificates.fund_xlsx), opened with openpyxl (a dependency
of the console's exports): its six sheets, bilingual headers, numbers as numbers (kg from
grams, amounts in 元), one row per unit."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from clihelp import dledger
from openpyxl import load_workbook
from pypdf import PdfReader

from ledger.certificates import fund_xlsx, pdf
from ledger.certificates.document import serialise

from .fund_fixture import fund_document, sample_table
from .test_fund_table import CRT_TV_12, DAY, ORIGIN, SAMPLE


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    document = fund_document(60)
    path = tmp_path_factory.mktemp("xlsx") / "fund.xlsx"
    count = fund_xlsx.write_fund_table(document, path, timezone="Asia/Shanghai")
    assert count == 60
    return document, load_workbook(path)


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_the_workbook_has_the_forms_sheets(workbook):
    _, book = workbook
    assert book.sheetnames == ["拆解处理情况表", "每日", "产物", "去向", "盘点", "明细"]


def test_the_form_sheet_holds_the_rows_as_numbers(workbook):
    document, book = workbook
    rows = _rows(book["拆解处理情况表"])
    assert rows[0][0] == "废弃电器电子产品拆解处理情况表"
    assert rows[1][0] == "WEEE dismantling and treatment statement"
    header = next(n for n, row in enumerate(rows) if row[0] == "类别 · 品种")
    assert rows[header][4] == "拆解 Dismantled" and rows[header + 1][4] == "可计入 Creditable"
    assert rows[header][11] == "金额 元 Amount, yuan"
    named = {row[0].strip(): row for row in rows[header + 2:] if row[0]}
    assert "电视机" in named and named["电视机"][1] == "Televisions" and named["电视机"][2] is None
    stated = next(r for r in document["statements"]["rows"] if r["sub_class"] == "tv_crt_small")
    row = named["阴极射线管电视机（14英寸及以上且25英寸以下）"]
    assert row[1] == "CRT TV, 14″ to under 25″"
    assert row[2:10] == (stated["opening"], stated["received"],
                         stated["dismantled"]["creditable"], stated["dismantled"]["flagged"],
                         stated["dismantled"]["excluded"], stated["dismantled"]["all"],
                         stated["closing"], stated["counted"])
    assert all(isinstance(value, int) for value in row[2:10])
    amount = stated["amounts"][0]
    assert row[10] == int(amount["rate"]) and row[11] == int(amount["amount"])
    assert row[12] == sum(Decimal(v["volume"]) for v in stated["standardised"])
    totals = document["statements"]["totals"]
    total = named["全部单元合计"]
    assert total[2] == totals["opening"] and total[7] == totals["dismantled"]["all"]
    in_scope = named["属基金范围合计"]
    assert in_scope[9] == totals["in_scope"]["counted"]
    assert in_scope[11] == sum(int(a["amount"]) for a in totals["in_scope"]["amounts"]) == \
        sum(int(a["amount"]) for r in document["statements"]["rows"] for a in r["amounts"])
    outside = [name for name in named if name.startswith(("超出基金范围", "无法归类",
                                                         "非基金目录产品"))]
    assert "超出基金范围 · 电视机 · 超出范围限值：屏幕尺寸（英寸）" in outside
    assert len(outside) >= 4


def test_the_annex_sheets_write_kg_times_and_days_as_values(workbook):
    document, book = workbook
    days = _rows(book["每日"])
    assert days[0] == ("日期 Date", "接收 Received", "拆解 Dismantled")
    assert len(days) == 1 + len(document["statements"]["days"])
    assert days[1][0] == datetime(2023, 12, 1)
    fractions = _rows(book["产物"])
    steel = document["statements"]["fractions"][0]
    assert fractions[1][0] == "废钢铁 Steel"
    assert fractions[1][2] == pytest.approx(steel["opening_g"] / 1000)
    assert book["产物"]["C2"].number_format == "#,##0.000"
    lots = _rows(book["去向"])
    assert lots[0][7] == "发运时间 Shipped (Asia/Shanghai)"
    first = document["statements"]["destinations"][0]
    assert lots[1][0] == first["lot"] and lots[1][8] == pytest.approx(first["net_g"] / 1000)
    assert lots[1][7] == datetime(2023, 12, 1, 9, 0)  # 01:00 UTC, in plant time
    stock = _rows(book["盘点"])
    assert stock[1][0] == "未记录盘点 no stock count recorded"


def test_the_units_sheet_has_one_row_per_unit(workbook):
    document, book = workbook
    rows = _rows(book["明细"])
    assert rows[0][:3] == ("序号 No.", "单元标签 Unit label", "类别 Category")
    assert len(rows) == 61
    units = [json.loads(text) for text in document["statements"]["units"]]
    assert [row[1] for row in rows[1:]] == [unit[0] for unit in units]
    assert [row[0] for row in rows[1:]] == list(range(1, 61))
    last = rows[0].index("末条目 Last entry")
    assert [row[last] for row in rows[1:]] == [unit[-1] for unit in units]


def test_a_stock_count_is_written_member_by_member(tmp_path):
    document = fund_document(5)
    document["statements"]["stock_count"] = {"entry": 812, "zones": [{"zone": "Z-A"}]}
    fund_xlsx.write_fund_table(document, tmp_path / "f.xlsx", timezone="Asia/Shanghai")
    rows = _rows(load_workbook(tmp_path / "f.xlsx")["盘点"])
    assert rows[1] == ("entry", 812) and rows[2] == ("zones", '[{"zone": "Z-A"}]')


def test_another_kind_is_refused_by_name(tmp_path):
    document = fund_document(5)
    document["kind"] = "period"
    with pytest.raises(fund_xlsx.XlsxError, match="'period' certificate is not a fund table"):
        fund_xlsx.write_fund_table(document, Path(tmp_path / "f.xlsx"), timezone="UTC")


def test_cert_xlsx_writes_the_workbook_of_an_issued_fund_table(tmp_path):
    """`dledger cert xlsx` on the sample plant's table, from its JSON and from its PDF: no
    instance needed, the times in the period's zone, one row per unit."""
    document, _ = sample_table(tmp_path)
    units = [json.loads(text)[0] for text in document["statements"]["units"]]
    source = tmp_path / "fund.json"
    source.write_bytes(serialise(document))
    pdf_file = tmp_path / "fund.pdf"
    pdf_file.write_bytes(pdf.render(document, verify_url="https://ledger.example/verify/x",
                                    timezone="Asia/Shanghai"))
    for given in (source, pdf_file):
        out = tmp_path / f"{given.suffix[1:]}.xlsx"
        result = dledger(tmp_path, "cert", "xlsx", str(given), "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert f"wrote {out} ({len(units)} units)" in result.stderr.decode()
        book = load_workbook(out)
        rows = _rows(book["明细"])
        assert [row[1] for row in rows[1:]] == units and CRT_TV_12 in units
        assert rows[0][8] == "入厂时间 Received (Asia/Shanghai)"
        form = [row[0].strip() for row in _rows(book["拆解处理情况表"]) if row[0]]
        assert "超出基金范围 · 电冰箱 · 超出范围限值：总容积（升）" in form


def test_cert_xlsx_refuses_what_is_not_a_fund_table(tmp_path):
    document, _ = sample_table(tmp_path)
    document["kind"] = "period"
    source = tmp_path / "not-fund.json"
    source.write_bytes(serialise(document))
    result = dledger(tmp_path, "cert", "xlsx", str(source), "--out", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2
    assert f"error: {source}: a v2 period certificate states columns" in result.stderr.decode()
    assert not (tmp_path / "x.xlsx").exists()


def test_cert_issue_fund_writes_the_workbook_with_the_pdf(tmp_path):
    """`dledger cert issue --fund START END --xlsx FILE` (beside --out and --json); --xlsx
    with another kind is refused by name."""
    home = tmp_path / "instance"
    assert dledger(home, "init", "--origin", ORIGIN).returncode == 0
    assert dledger(home, "append", str(SAMPLE)).returncode == 0
    out = tmp_path / "fund.xlsx"
    issued = dledger(home, "cert", "issue", "--fund", DAY, DAY, "--xlsx", str(out),
                     "--out", str(tmp_path / "fund.pdf"), "--console-url", "https://c.test")
    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["kind"] == "fund_table"
    book = load_workbook(out)
    assert book.sheetnames[0] == "拆解处理情况表" and book["明细"].max_row == 73
    attached = PdfReader(tmp_path / "fund.pdf").attachments["certificate.json"][0]
    units = [json.loads(text)[0] for text in json.loads(attached)["statements"]["units"]]
    assert [row[1] for row in _rows(book["明细"])[1:]] == units
    refused = dledger(home, "cert", "issue", "--lot", "L", "--xlsx", str(tmp_path / "l.xlsx"))
    assert refused.returncode == 2 and b"--xlsx applies to --fund only" in refused.stderr


def test_a_workbook_that_cannot_be_written_is_named(tmp_path):
    with pytest.raises(fund_xlsx.XlsxError, match=r"cannot write .*missing"):
        fund_xlsx.write_fund_table(fund_document(5), tmp_path / "missing" / "f.xlsx",
                                   timezone="UTC")
    source = tmp_path / "fund.json"
    source.write_bytes(serialise(fund_document(5)))
    result = dledger(tmp_path, "cert", "xlsx", str(source), "--out",
                     str(tmp_path / "missing" / "f.xlsx"))
    assert result.returncode == 2
    assert f"there is no folder {tmp_path / 'missing'}" in result.stderr.decode()
