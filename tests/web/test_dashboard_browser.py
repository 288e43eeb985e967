"""The dashboard in headless Chromium (Debian's): a manager signs in through the login page,
sees the sample day in Chinese and English, picks dates and downloads a CSV. Screenshots go
to test-artifacts/dashboard-*.png. Without Chromium this skips, under CI=true it fails."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest

from ledger import catalogue

from .conftest import ARTIFACTS, PASSWORD, REPO, USERS, serving

NOW = "2026-11-21T23:00:00+00:00"  # 07:00 on the 22nd in Shanghai: "today" is empty
SAMPLE = [obj.get("event", obj) for obj in map(json.loads, (
    REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines())]
COMPLETED = str(sum(1 for e in SAMPLE if e["type"] == "unit.completed"))
RECOVERED_G = sum(e["data"]["recovered_g"] for e in SAMPLE if e["type"] == "refrigerant.recovered")
RECOVERED_KG = f"{RECOVERED_G / 1000:,.3f}"
FRIDGE = catalogue.load().categories["fridge"].name


@pytest.fixture
def dashboard_url(sample_app) -> Iterator[str]:
    sample_app.config["DLEDGER_DASHBOARD_NOW"] = NOW
    with serving(sample_app) as url:
        yield url


def stat(page, label: str) -> str:
    card = page.locator(".dash-stats .stat", has=page.locator(".stat-label", has_text=label))
    return card.locator(".stat-value").inner_text()


def test_manager_reads_the_sample_day_filters_and_exports(dashboard_url, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(f"{dashboard_url}/dashboard/")
    assert "/login?next=" in page.url
    page.fill("#name", USERS["manager"])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{dashboard_url}/dashboard/")
    assert page.locator("h1").inner_text() == "生产看板"
    assert stat(page, "完成拆解台数") == "0"  # today (the 22nd) has nothing yet
    page.screenshot(path=str(ARTIFACTS / "dashboard-today-empty-zh.png"), full_page=True)

    # pick the sample day with the date fields
    page.fill("#from", "2026-11-20")
    page.fill("#to", "2026-11-20")
    page.click(".range-custom button[type=submit]")
    page.wait_for_url("**/dashboard/?range=custom&from=2026-11-20&to=2026-11-20")
    assert stat(page, "完成拆解台数") == COMPLETED
    assert "指定日期" in page.locator(".range-line").inner_text()
    assert "Asia/Shanghai" in page.locator(".range-line").inner_text()
    assert page.locator("svg.chart rect.bar").count() == 24
    # the sample's flags (low_recovery, yield_out_of_range, receipt_weight), the scales due a
    # check on the 21st evening and its one refused duplicate trade-in
    assert page.locator("#alerts .alert-kind.has-alerts").count() == 5
    assert FRIDGE["zh-CN"] in page.locator("#categories").inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard-sample-day-zh.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-sample-day-zh-top.png"))

    page.click("button[lang=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dashboard"
    assert "from=2026-11-20" in page.url  # the switch keeps the range
    assert stat(page, "Units completed") == COMPLETED
    assert stat(page, "Refrigerant recovered") == f"{RECOVERED_KG} kg"
    assert FRIDGE["en"] in page.locator("#categories").inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard-sample-day-en.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-sample-day-en-top.png"))

    with page.expect_download() as download_info:
        page.click("#refrigerants .exports a:text('CSV')")
    download = download_info.value
    assert download.suggested_filename == "dashboard-refrigerants-20261120-20261120.csv"
    target = ARTIFACTS / download.suggested_filename
    download.save_as(str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert {r["Refrigerant"] for r in rows} >= {"R-134a", "R-600a", "R-12", "Total"}
    assert next(r for r in rows if r["Refrigerant"] == "Total")["Recovered (kg)"] == RECOVERED_KG
    context.close()
