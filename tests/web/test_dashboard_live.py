"""The live dashboard: a range that includes now refreshes its figures by itself (htmx polls
the page and swaps #dash-figures in), keeping the reader's place; a past range does not poll.
The browser test completes a unit behind the open page's back and watches the count rise.
Screenshots: test-artifacts/dashboard-live-en.png, dashboard-live-top-en.png."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import catalogue
from ledger.events import parse_event
from ledger.log import Submission
from web.context import ledger
from web.dashboard import settings

from .conftest import ARTIFACTS, PASSWORD, REPO, USERS, serving
from .test_dashboard_browser import stat

NOW = "2026-11-20T12:00:00+00:00"  # 20:00 on the sample day in Shanghai: "today" is live
PAST = "/dashboard/?range=custom&from=2026-11-19&to=2026-11-19"


def finish_a_unit() -> list[Submission]:
    """A sample unit received but not completed, finished as station ST-03 would hand it in
    (signed with the sample station's key, examples/make_sample_events.py `station_key`): an
    output into an open lot of a fraction of its category's route, then its completion. The
    unit is one whose category has no required step the sample left undone."""
    lines = (REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [obj.get("event", obj) for obj in map(json.loads, lines)]
    completed = {e["subject"] for e in events if e["type"] == "unit.completed"}
    lots: dict[str, tuple[str, str]] = {}  # lot -> (its last event type, its fraction)
    for e in events:
        if e["type"].startswith("lot.") and e["type"] != "lot.stored":  # the lot's state
            fraction = e["data"].get("fraction") or lots[e["subject"]][1]
            lots[e["subject"]] = (e["type"], fraction)
    open_lots = {fraction: lot[4:] for lot, (last, fraction) in lots.items()
                 if last == "lot.opened"}
    cat = catalogue.load()
    received = next(e for e in events if e["type"] == "unit.received"
                    and e["subject"] not in completed
                    and not any(s.required for s in cat.categories[e["data"]["category"]].steps))
    route = cat.categories[received["data"]["category"]].steps
    fraction = next(s.target for s in route if s.kind == "output" and s.target in open_lots)
    output = {"fraction": fraction, "mass_g": received["data"]["gross_g"] // 2,
              "lot": open_lots[fraction], "scale": "SC-3"}
    return [signed(received["subject"], "material.output", "2026-11-20T11:29:00.000Z", output),
            signed(received["subject"], "unit.completed", "2026-11-20T11:30:00.000Z", {})]


def signed(subject: str, etype: str, time: str, data: dict) -> Submission:
    station = "ST-03"
    event = parse_event({"id": str(uuid.uuid4()), "type": etype, "time": time,
                         "station": station, "operator": "W-0031", "subject": subject,
                         "data": data})
    key = Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"dledger-sample-station:" + station.encode()).digest())
    return Submission(event, base64.b64encode(key.sign(event.canonical)).decode())


def test_a_live_range_polls_and_a_past_one_does_not(sample_app, client_for):
    sample_app.config["DLEDGER_DASHBOARD_NOW"] = NOW
    manager = client_for("manager")
    today = manager.get("/dashboard/?range=today").get_data(as_text=True)
    assert 'id="dash-figures" class="live" data-refresh-s="30"' in today
    assert 'hx-trigger="every 30s"' in today and 'hx-select="#dash-figures"' in today
    assert 'hx-get="/dashboard/?range=today"' in today
    assert "/dashboard/static/live.js" in today
    past = manager.get(PAST).get_data(as_text=True)
    assert 'id="dash-figures"' in past and "hx-trigger" not in past and "live.js" not in past
    assert manager.get("/dashboard/static/live.js").status_code == 200


@pytest.fixture
def live_url(sample_app) -> Iterator[str]:
    sample_app.config["DLEDGER_DASHBOARD_NOW"] = NOW
    sample_app.extensions[settings.EXTENSION] = dataclasses.replace(
        sample_app.extensions[settings.EXTENSION], refresh_s=0.5)
    with serving(sample_app) as url:
        yield url


def test_todays_page_refreshes_itself_without_losing_its_place(live_url, sample_app, browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_url}/dashboard/?range=today")
    page.fill("#name", USERS["manager"])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_url}/dashboard/?range=today")
    before = int(stat(page, "Units completed"))
    assert page.locator("#dash-figures.live").count() == 1

    # the reader's place: all yields open, scrolled down to them, and a mark on the window
    page.click("#all-yields summary")
    page.locator("#yields").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    page.evaluate("window.stillThisPage = true")

    with sample_app.app_context():
        ledger().append(finish_a_unit())

    page.wait_for_function(
        "n => Number(document.querySelector('.dash-stats .stat .stat-value').innerText) === n",
        arg=before + 1, timeout=15_000)
    assert int(stat(page, "Units completed")) == before + 1
    assert page.url == f"{live_url}/dashboard/?range=today"
    assert page.evaluate("window.stillThisPage") is True  # no navigation, no reload
    assert page.locator("#all-yields").get_attribute("open") is not None
    assert abs(page.evaluate("window.scrollY") - scrolled) < 5
    page.screenshot(path=str(ARTIFACTS / "dashboard-live-en.png"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "dashboard-live-top-en.png"))

    # a past range: the page stays as it was served
    page.goto(f"{live_url}{PAST}")
    assert page.locator("#dash-figures.live").count() == 0
    assert page.locator("#dash-figures[hx-trigger]").count() == 0
    assert problems == []  # nothing refused by the CSP, no script error
    context.close()
