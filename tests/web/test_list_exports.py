"""Every list of the console exports CSV and XLSX (issue 17, point 6): the list's filter
honoured, every row (not one page), streamed, headers in the reader's language, the page's
roles; and the certificates list names each certificate's subject."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import text

from web.context import engine

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
IN_PROGRESS = "CN3301-2026-0004880"  # received on the sample day, never completed


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[2]]
    assert all(c.font.bold for c in sheet[2])
    return [dict(zip(header, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=3)]


def _count(app, sql: str) -> int:
    with app.app_context(), engine().connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_units_export_every_unit_streamed_with_the_state_filter(sample_app, client_for):
    manager = client_for("manager")
    response = manager.get("/units/?format=csv", headers=EN)
    assert response.is_streamed  # written as it is read, never held whole
    rows = _csv(response)
    assert len(rows) == _count(sample_app, "SELECT COUNT(*) FROM units") == 72  # > one page
    assert list(rows[0])[:4] == ["Label", "Category", "State", "Received"]
    done = _csv(manager.get("/units/?state=completed&format=csv", headers=EN))
    assert len(done) == 68 and {r["State"] for r in done} == {"completed"}
    assert IN_PROGRESS not in {r["Label"] for r in done}
    going = _xlsx(manager.get("/units/?state=received&format=xlsx", headers=EN))
    assert {r["Label"] for r in going} == {f"CN3301-2026-000{n}" for n in (4880, 4881, 4882,
                                                                           4883)}
    first = next(r for r in rows if r["Label"] == "CN3301-2026-0004812")
    gross = _count(sample_app, "SELECT gross_g FROM units WHERE label = 'CN3301-2026-0004812'")
    assert first["Gross weight (kg)"] == f"{gross / 1000:.3f}"  # a number, no unit, no grouping
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", first["Received"])  # plant time
    assert first["Category"] != "refrigerator" and "_" not in first["Category"]  # its name


def test_units_export_of_a_search_and_in_chinese(sample_app, client_for):
    manager = client_for("manager")
    found = _csv(manager.get("/units/?q=CN3301-2026-000481&format=csv", headers=EN))
    assert found and all(r["Label"].startswith("CN3301-2026-000481") for r in found)
    page = manager.get("/units/?q=CN3301-2026-000481", headers=EN).get_data(as_text=True)
    assert "/units/?q=CN3301-2026-000481&amp;format=csv" in page
    chinese = _xlsx(manager.get("/units/?format=xlsx", headers=ZH))
    assert {"标签", "类别", "状态"} <= set(chinese[0])
    assert isinstance(chinese[0]["毛重（千克）"], float)


def test_lots_export_honours_the_filter(sample_app, client_for):
    inspector = client_for("inspector")
    every = _csv(inspector.get("/lots/?format=csv", headers=EN))
    assert len(every) == _count(sample_app, "SELECT COUNT(*) FROM lots")
    sealed = _xlsx(inspector.get("/lots/?state=sealed&format=xlsx", headers=EN))
    assert len(sealed) == _count(sample_app, "SELECT COUNT(*) FROM lots WHERE state = 'sealed'")
    assert {r["State"] for r in sealed} <= {"sealed"}
    assert all(r["Fraction"] and "_" not in r["Fraction"] for r in every)
    page = inspector.get("/lots/?state=sealed", headers=EN).get_data(as_text=True)
    assert "/lots/?state=sealed&amp;format=xlsx" in page


def test_exports_keep_the_pages_roles(sample_app, client_for):
    assert client_for("worker").get("/units/?format=csv").status_code == 200  # workers look up
    for url in ("/lots/?format=csv", "/certificates/?format=xlsx", "/stations/?format=csv"):
        assert client_for("worker").get(url).status_code == 403, url
    anonymous = client_for(None).get("/units/?format=csv")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize("url", ["/units/?format=pdf", "/lots/?format=json",
                                 "/certificates/?format=xls", "/stations/?format=ods"])
def test_an_unknown_format_is_refused_with_the_choices(sample_app, client_for, url):
    response = client_for("admin").get(url, headers=EN)
    assert response.status_code == 400
    assert "?format=csv" in response.get_data(as_text=True)


def test_certificates_list_names_each_subject_and_exports_it(sample_app, client_for,
                                                             csrf_token):
    manager = client_for("manager")
    for form in ({"kind": "unit", "unit": "CN3301-2026-0004812"},
                 {"kind": "lot", "lot": "LOT-20261120-STEEL"}):
        response = manager.post("/certificates/issue",
                                data={"csrf_token": csrf_token(manager), **form}, headers=EN)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = manager.get("/certificates/", headers=EN).get_data(as_text=True)
    page = re.sub(r"<[^>]+>", "", page)  # the text a reader sees (codes are kept whole in spans)
    assert "CN3301-2026-0004812 · " in page and "LOT-20261120-STEEL · " in page
    rows = _csv(manager.get("/certificates/?format=csv", headers=EN))
    # newest first; the sample day's two older ones were issued elsewhere: no copy, no subject
    assert [r["Kind"] for r in rows] == ["Lot shipment manifest"] + [
        "Unit dismantling certificate"] * 3
    assert rows[1]["Subject"].startswith("CN3301-2026-0004812 · ")
    assert rows[0]["Subject"].startswith("LOT-20261120-STEEL · ") and rows[3]["Subject"] == "—"
    assert rows[1]["Status"] == "valid" and len(rows[1]["SHA-256"]) == 64
    chinese = _xlsx(manager.get("/certificates/?format=xlsx", headers=ZH))
    assert chinese[1]["种类"] == "整机拆解证书"


def test_a_unit_in_progress_gets_no_dismantling_certificate(sample_app, client_for,
                                                           csrf_token):
    """Point 7: the form refuses it in the reader's words, and nothing is issued."""
    manager = client_for("manager")
    before = _count(sample_app, "SELECT COUNT(*) FROM ledger_entries")
    for headers, words in ((EN, "is still being dismantled"), (ZH, "尚在拆解")):
        response = manager.post("/certificates/issue", headers=headers, data={
            "csrf_token": csrf_token(manager), "kind": "unit", "unit": IN_PROGRESS})
        assert response.status_code == 422
        assert words in response.get_data(as_text=True) and IN_PROGRESS in response.text
    unknown = manager.post("/certificates/issue", headers=EN, data={
        "csrf_token": csrf_token(manager), "kind": "unit", "unit": "CN3301-2026-9999999"})
    assert unknown.status_code == 422 and "No unit has the label" in unknown.text
    assert _count(sample_app, "SELECT COUNT(*) FROM ledger_entries") == before
    unit_page = manager.get(f"/units/{IN_PROGRESS}", headers=EN).get_data(as_text=True)
    assert "Issue certificate" not in unit_page  # not offered for a unit in progress
    done_page = manager.get("/units/CN3301-2026-0004812", headers=EN).get_data(as_text=True)
    assert "Issue certificate" in done_page
