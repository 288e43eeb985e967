"""The console's screens, measured in headless Chromium (issue 17, point 4): every main page,
filled with the sample day, at 1280×800 and 1920×1080, in English and in Chinese, has no
horizontal overflow (the document's nor a table's beyond its container), no clipped cell, no
code, date or word broken across lines, no Chinese header with a character alone on a line,
the top bar on one line and the certificate form's checkboxes each on one line. Each page is
loaded once per size and language, in one browser, and every check is asserted on it at once
(one test: under pytest-xdist, tests of one module may run on two workers).
Screenshots go to test-artifacts/layout-*.png. Without Chromium this skips, under CI=true it
fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.station.conftest import (  # noqa: F401 -- fixtures, for the kiosk
    devices,
    station,
    station_factory,
)
from web import accounts
from web.app import create_app
from web.context import engine, ledger

from .conftest import (
    ARTIFACTS,
    PASSWORD,
    REPO,
    USERS,
    browser,  # noqa: F401 -- a fixture, for the kiosk
    make_instance,
    serving,
)

pytestmark = pytest.mark.slow

SIZES = {"1280": {"width": 1280, "height": 800}, "1920": {"width": 1920, "height": 1080}}
LANGUAGES = ("en", "zh-CN")
UNIT = "CN3301-2026-0004815"  # a completed unit of the sample day, with a trade-in code
PAGES = {
    "dashboard": "/dashboard/?range=custom&from=2026-11-20&to=2026-11-20",
    "units": "/units/", "unit": f"/units/{UNIT}",
    "corrected-unit": "/units/CN3301-2026-0004840",  # its timeline shows a correction
    "lots": "/lots/", "lot": "/lots/LOT-20261120-STEEL", "certificates": "/certificates/",
    "certificate": "/certificates/{sha256}", "verify": "/verify/{sha256}",
    "stations": "/stations/", "scale": "/stations/scales/SC-1",
    "cylinders": "/stations/cylinders/",
    "ledger": "/ledger/", "users": "/admin/",
    "sampling": "/sampling/?from=2026-11-01&to=2026-11-30&count=1&seed=42",
}

# One pass over the page in the browser: everything the checks below look at, as plain data.
MEASURE = r"""() => {
  const doc = document.documentElement;
  const main = document.querySelector("main") || document.body;
  const shown = e => e.getClientRects().length > 0;
  const where = e => {
    const cls = (e.className && typeof e.className === "string") ? "." + e.className.trim()
      .split(/\s+/).join(".") : "";
    const id = e.id ? "#" + e.id : "";
    return e.tagName.toLowerCase() + id + cls;
  };
  // how many lines a range's boxes take: a box whose middle is below the current line's
  // boxes starts a new line (text boxes of tight lines overlap a little)
  const lines = range => {
    let count = 0, bottom = -Infinity;
    const boxes = [...range.getClientRects()].filter(r => r.width > 0)
      .sort((a, b) => a.top - b.top);
    for (const r of boxes) {
      if (r.top + r.height / 2 > bottom) { count++; bottom = r.bottom; }
    }
    return count;
  };
  // text nodes a reader sees, with the element that holds them
  const texts = root => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode: node =>
      node.textContent.trim() && node.parentElement && shown(node.parentElement)
      && !node.parentElement.closest("script, style, svg, .wrap-anywhere")
        ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
    const found = [];
    while (walker.nextNode()) found.push(walker.currentNode);
    return found;
  };
  const out = {overflow: null, tables: [], clipped: [], broken: [], lone: [], checkboxes: [],
               checked_labels: 0, topbar: null};
  if (doc.scrollWidth > doc.clientWidth) out.overflow = [doc.scrollWidth, doc.clientWidth];
  for (const table of main.querySelectorAll("table")) {
    if (!shown(table)) continue;
    const box = table.parentElement;
    if (table.scrollWidth > box.clientWidth + 1 || table.offsetWidth > box.clientWidth + 1)
      out.tables.push([where(table.closest("section, details") || table),
                       table.offsetWidth, box.clientWidth]);
  }
  for (const e of main.querySelectorAll("*")) {
    if (!shown(e)) continue;
    const style = getComputedStyle(e);
    const hides = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    const cell = e.matches("td, th");
    if ((hides || (cell && style.overflowX !== "visible")) && e.scrollWidth > e.clientWidth + 1)
      out.clipped.push([where(e), e.textContent.trim().slice(0, 60)]);
  }
  // a code, number, date or word (no CJK, no space) that runs over two lines
  const token = /[^\s\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]{2,40}/g;
  for (const node of texts(main)) {
    for (const m of node.textContent.matchAll(token)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      if (lines(range) > 1) out.broken.push([where(node.parentElement), m[0]]);
    }
  }
  // a heading, button or label in Chinese with a character alone on a line
  const cjk = /[\u2e80-\u9fff]/;
  for (const e of main.querySelectorAll("th, button, label, .badge, .ul-badge, .status-badge")) {
    if (!shown(e)) continue;
    for (const node of texts(e)) {
      if (!cjk.test(node.textContent)) continue;
      const perLine = new Map();
      const text = node.textContent;
      for (let i = 0; i < text.length; i++) {
        if (!text[i].trim()) continue;
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        const at = Math.round(rect.top + rect.height / 2);
        perLine.set(at, (perLine.get(at) || 0) + 1);
      }
      if (perLine.size > 1 && [...perLine.values()].some(n => n === 1))
        out.lone.push([where(e), text.trim()]);
    }
  }
  for (const label of main.querySelectorAll("label")) {
    if (!shown(label) || !label.querySelector("input[type=checkbox], input[type=radio]"))
      continue;
    out.checked_labels++;
    const range = document.createRange();
    range.selectNodeContents(label);
    if (lines(range) > 1) out.checkboxes.push(label.textContent.trim());
  }
  const bar = document.querySelector(".topbar");
  if (bar) {
    const items = [...bar.querySelectorAll("a, button, .who")].filter(shown);
    const words = [...bar.querySelectorAll("a, button, .who > *")].filter(shown);
    const centres = items.map(e => { const r = e.getBoundingClientRect();
                                     return r.top + r.height / 2; });
    const wrapped = words.filter(e => { const r = document.createRange();
                                        r.selectNodeContents(e); return lines(r) > 1; });
    out.topbar = {spread: Math.max(...centres) - Math.min(...centres),
                  wrapped: wrapped.map(e => e.textContent.trim())};
  }
  return out;
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The console with the sample day and a unit certificate, over HTTP: (base URL, pages)."""
    from ledger.log import Submission

    with pytest.MonkeyPatch.context() as patch:
        for name in ("DLEDGER_DATABASE_URL", "DLEDGER_TIMEZONE", "DLEDGER_GWP", "DLEDGER_HTTPS",
                     "DLEDGER_TRUSTED_PROXIES"):
            patch.delenv(name, raising=False)
        instance = make_instance(tmp_path_factory.mktemp("layout") / "instance")
        app: Flask = create_app(instance, {"TESTING": True, "WTF_CSRF_ENABLED": False})
        lines = (REPO / "examples" / "sample-events.jsonl").read_text("utf-8").splitlines()
        with app.app_context():
            accounts.create_user(engine(), USERS["admin"], "admin", PASSWORD)
            ledger().append([Submission.from_json(json.loads(line)) for line in lines])
        issued = _signed_in(app).post("/certificates/issue", data={"kind": "unit", "unit": UNIT})
        assert issued.status_code == 302, issued.get_data(as_text=True)[:500]
        sha256 = issued.headers["Location"].rsplit("/", 1)[1]
        pages = {name: path.format(sha256=sha256) for name, path in PAGES.items()}
        with serving(app) as url:
            yield url, pages


def _signed_in(app: Flask) -> Any:
    from web.auth import User

    client = app.test_client()
    with app.app_context():
        account = accounts.get_user(engine(), USERS["admin"])
    with client.session_transaction() as sess:
        sess["_user_id"] = User(account).get_id()
        sess["_fresh"] = True
    return client


def measure(browser: Any, url: str, pages: dict[str, str]) -> dict[str, dict[str, Any]]:  # noqa: F811
    """Every page's measures, keyed "page size language", each page loaded once."""
    ARTIFACTS.mkdir(exist_ok=True)
    found = {}
    for size, viewport in SIZES.items():
        for language in LANGUAGES:
            context = browser.new_context(locale=language, viewport=viewport)
            page = context.new_page()
            page.goto(f"{url}/login")
            page.fill("#name", USERS["admin"])
            page.fill("#password", PASSWORD)
            page.click("button.primary")
            page.wait_for_load_state()
            for name, path in pages.items():
                response = page.goto(url + path)
                assert response is not None and response.status == 200, (name, path)
                if name == "dashboard":
                    page.click("#all-yields summary")  # its table of every yield, open
                shot = ARTIFACTS / f"layout-{name}-{size}-{language}.png"
                page.screenshot(path=str(shot), full_page=True)
                found[f"{name} {size} {language}"] = page.evaluate(MEASURE)
            context.close()
    return found


# What each check finds wrong on a page, from its measures (empty or None: nothing).
CHECKS = {
    # the document never scrolls sideways, and each table fits its container
    "overflow": lambda m: m["overflow"],
    "table wider than its container": lambda m: m["tables"],
    # no cell or box hides part of its content (overflow hidden, an ellipsis)
    "clipped": lambda m: m["clipped"],
    # labels, trade-in codes, lots, stations, dates, figures and words stay whole
    "broken across lines": lambda m: m["broken"],
    # a header, button, label or badge in Chinese never leaves a character alone on a line
    "Chinese character alone on a line": lambda m: m["lone"],
    # the certificate form's checkboxes, each with its words on one line
    "checkbox label on two lines": lambda m: m["checkboxes"],
    # brand, navigation (an administrator's: the longest), language, user and sign-out on
    # one line from 1280 px, in both languages; no entry wraps
    "top bar not on one line": lambda m: m["topbar"] is None or m["topbar"]["spread"] > 2
    or m["topbar"]["wrapped"],
}


def problems(measured: dict[str, dict[str, Any]], checks: dict[str, Any]) -> dict[str, Any]:
    return {case: found for case, m in measured.items()
            if (found := {check: seen for check, find in checks.items() if (seen := find(m))})}


def test_every_console_page_fits_at_both_sizes_in_both_languages(browser, site):  # noqa: F811
    """One test for every page and check (the pages are loaded once, in one browser): each
    page at 1280×800 and 1920×1080, in English and Chinese, passes every check of CHECKS."""
    measured = measure(browser, *site)
    assert all(measured[f"certificates {size} {language}"]["checked_labels"]
               for size in SIZES for language in LANGUAGES)  # the form was there to measure
    assert problems(measured, CHECKS) == {}


# -- the kiosk ---------------------------------------------------------------------------------

def test_the_kiosk_fits_at_both_sizes_in_both_languages(browser, station):  # noqa: F811
    """A worker's kiosk mid-unit (a refrigerator weighed in, its refrigerant recovered, two
    lots open, a refusal in the message box), then its components sheet: measured like the
    console's pages at 1280×800 and 1920×1080, in English and Chinese."""
    from station.kiosk import i18n
    from tests.station.conftest import BADGE, CYLINDER

    station.scan(BADGE)
    station.scan("CN3301-2026-0000201")
    assert station.act("select_category", category="fridge")["ok"]
    assert station.act("set_details", brand="Haier", model="BCD-215", source="trade_in",
                       trade_in_code="TI-2026-33-0000201", nameplate_refrigerant="R-600a",
                       nameplate_charge_g=55)["ok"]
    station.place("platform", 45_200)
    assert station.act("weigh_intake")["ok"]
    station.scan(CYLINDER)
    station.place("cylinder", 8_000)
    assert station.act("recovery_before")["ok"]
    station.place("cylinder", 8_053)
    assert station.act("recovery_after")["ok"]
    for lot, fraction in (("LOT-FR-COMP-01", "compressor"), ("LOT-FR-STEEL-01", "steel")):
        station.scan(lot)
        assert station.act("open_lot", fraction=fraction)["ok"]
    assert not station.act("complete")["ok"]  # outputs missing: a refusal, in large type
    found = {}
    with serving(station.app) as url:
        for size, viewport in SIZES.items():
            for code in ("en", "zh_Hans_CN"):
                context = browser.new_context(viewport=viewport)
                context.add_cookies([{"name": i18n.COOKIE, "value": code, "url": url}])
                page = context.new_page()
                page.goto(url)
                page.locator("#message[data-kind=refusal]").wait_for()
                page.locator("#unit:not([hidden])").wait_for()
                page.screenshot(path=str(ARTIFACTS / f"layout-kiosk-{size}-{code}.png"))
                found[f"kiosk {size} {code}"] = page.evaluate(MEASURE)
                page.click("#actions [data-action='component']")
                page.locator("#sheet:not([hidden])").wait_for()
                page.screenshot(path=str(ARTIFACTS / f"layout-kiosk-sheet-{size}-{code}.png"))
                found[f"kiosk sheet {size} {code}"] = page.evaluate(MEASURE)
                context.close()
    kiosk_checks = {check: find for check, find in CHECKS.items()
                    if check not in ("top bar not on one line", "checkbox label on two lines")}
    assert problems(found, kiosk_checks) == {}
