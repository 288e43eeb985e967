"""Headless Chromium (Debian's, never a downloaded one): a manager signs in and sees the
dashboard in Chinese, then switches to English. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from .conftest import PASSWORD, USERS

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def base_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing, and CI=true makes that a failure")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_manager_signs_in_and_sees_the_dashboard_in_both_languages(base_url, browser):
    ARTIFACTS.mkdir(exist_ok=True)
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
