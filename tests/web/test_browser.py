"""Headless Chromium (Debian's, never a downloaded one): a manager signs in and sees the
dashboard in Chinese, then switches to English. Screenshots go to test-artifacts/."""

from __future__ import annotations

from .conftest import ARTIFACTS, PASSWORD, USERS


def test_manager_signs_in_and_sees_the_dashboard_in_both_languages(base_url, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{base_url}/dashboard/")
    assert page.url.startswith(f"{base_url}/login?next=")
    assert page.locator("h1").inner_text() == "登录"
    page.screenshot(path=str(ARTIFACTS / "console-login-zh.png"))
    page.fill("#name", USERS["manager"])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base_url}/dashboard/")
    assert page.locator("h1").inner_text() == "生产看板"
    assert page.locator("nav.nav a[aria-current=page]").inner_text() == "生产看板"
    page.screenshot(path=str(ARTIFACTS / "console-dashboard-zh.png"), full_page=True)
    page.click("button[lang=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.url == f"{base_url}/dashboard/"
    page.screenshot(path=str(ARTIFACTS / "console-dashboard-en.png"), full_page=True)
    context.close()
