"""An issued fund table (拆解处理情况表) on the console: its page names it and offers its XLSX
workbook, which managers and inspectors download (written once from the stored JSON, then
kept) and workers may not; a certificate of another kind has none."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from ledger.certificates import archive, jobs
from ledger.certificates.build_fund import build_fund_table
from ledger.certificates.issue import issue
from web.context import console, ledger

DAY = "2026-11-20"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def fund_sha256(sample_app) -> str:
    """The sample day's fund table, issued and kept as the console keeps certificates."""
    with sample_app.app_context():
        instance = console().instance
        signer = instance.signer()
        document = issue(ledger(), build_fund_table(ledger(), DAY, DAY, signer=signer,
                                                    time_zone="Asia/Shanghai"), signer)
        return archive.save_json(instance.home, document)


def _client(client_for, role):
    client = client_for(role)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_fund_tables_page_offers_its_workbook(sample_app, client_for, fund_sha256):
    manager = _client(client_for, "manager")
    page = manager.get(f"/certificates/{fund_sha256}")
    assert page.status_code == 200
    assert "Fund dismantling table" in page.text
    assert f'href="/certificates/{fund_sha256}/xlsx"' in page.text and "Download XLSX" in page.text
    chinese = client_for("manager")
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert "下载 XLSX" in chinese.get(f"/certificates/{fund_sha256}").text


def test_managers_and_inspectors_download_the_workbook_workers_may_not(
        sample_app, client_for, fund_sha256):
    download = _client(client_for, "inspector").get(f"/certificates/{fund_sha256}/xlsx")
    assert download.status_code == 200 and download.mimetype == XLSX
    assert f"filename=fund-table-{fund_sha256[:16]}.xlsx" in \
        download.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(download.data))
    assert book.sheetnames == ["拆解处理情况表", "每日", "产物", "去向", "盘点", "明细"]
    document = json.loads(_client(client_for, "manager").get(
        f"/certificates/{fund_sha256}/json").data)
    assert book["明细"].max_row == 1 + len(document["statements"]["units"])
    with sample_app.app_context():
        kept = archive.xlsx_path(console().instance.home, fund_sha256)
    assert kept.read_bytes() == download.data  # written once, then served as kept
    again = _client(client_for, "manager").get(f"/certificates/{fund_sha256}/xlsx")
    assert again.status_code == 200 and again.data == download.data
    assert _client(client_for, "worker").get(f"/certificates/{fund_sha256}/xlsx") \
        .status_code == 403
    assert _client(client_for, None).get(f"/certificates/{fund_sha256}/xlsx").status_code == 302


def test_a_certificate_of_another_kind_has_no_workbook(sample_app, client_for):
    instance = sample_app.extensions["dledger"].instance
    digest = jobs.issue_and_store(instance, jobs.Request(
        kind="lot", console_url="http://console.test", lot="LOT-20261120-STEEL"))
    manager = _client(client_for, "manager")
    assert "Download XLSX" not in manager.get(f"/certificates/{digest}").text
    refused = manager.get(f"/certificates/{digest}/xlsx")
    assert refused.status_code == 302
    assert "Only a fund table" in manager.get(refused.headers["Location"]).text
    unknown = manager.get(f"/certificates/{'0' * 64}/xlsx")
    assert unknown.status_code == 302
