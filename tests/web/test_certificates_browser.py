"""Headless Chromium: a manager issues a unit certificate, downloads its PDF, and anyone
uploads that PDF on the public verify page and sees every check pass; then a period report
is prepared in the background while the page shows its progress. Screenshots go to
test-artifacts/."""

from __future__ import annotations

from pathlib import Path

from .conftest import ARTIFACTS, PASSWORD, USERS

LABEL = "CN3301-2026-0004812"
DAY = "2026-11-20"


def _sign_in(page, base_url: str, role: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#name", USERS[role])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()


def test_issue_download_and_verify_a_unit_certificate(sample_url, browser, tmp_path: Path):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    _sign_in(page, sample_url, "manager")
    page.goto(f"{sample_url}/certificates/")
    assert page.locator("h1").inner_text() == "证书"
    page.screenshot(path=str(ARTIFACTS / "certificates-index-zh.png"), full_page=True)
    page.fill("#unit", LABEL)
    page.click("form:has(input[name=kind][value=unit]) button[type=submit]")
    page.wait_for_url(f"{sample_url}/certificates/*")
    assert LABEL in page.locator("h1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "certificates-issued-zh.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=下载 PDF")
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    visitor = browser.new_context(locale="en", viewport={"width": 1280, "height": 900})
    anonymous = visitor.new_page()
    anonymous.goto(f"{sample_url}/verify")
    anonymous.set_input_files("#certificate", str(pdf))
    anonymous.click("form[enctype] button[type=submit]")
    anonymous.wait_for_selector("#verify-result")
    assert anonymous.get_attribute("#verify-result", "data-ok") == "true"
    checks = anonymous.locator("tr.check")
    states = [checks.nth(i).get_attribute("data-ok") for i in range(checks.count())]
    assert states.count("true") >= 6 and "false" not in states, states
    assert "Verified: every check passed." in anonymous.locator(".verdict").inner_text()
    anonymous.screenshot(path=str(ARTIFACTS / "certificates-verify-en.png"), full_page=True)
    visitor.close()
    context.close()


def test_period_report_shows_progress_until_done(sample_url, browser):
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, sample_url, "manager")
    page.goto(f"{sample_url}/certificates/")
    page.fill("input[name=start]", DAY)
    page.fill("input[name=end]", DAY)
    page.click("form:has(input[name=kind][value=period]) button[type=submit]")
    page.wait_for_url(f"{sample_url}/certificates/jobs/*")
    page.wait_for_selector("#job-status")
    page.screenshot(path=str(ARTIFACTS / "certificates-job-en.png"), full_page=True)
    page.wait_for_selector("#job-status[data-state=done]", timeout=120_000)  # htmx polling
    page.click("text=Open the certificate")
    page.wait_for_load_state()
    assert "Period report" in page.locator("h1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "certificates-period-en.png"), full_page=True)
    context.close()
