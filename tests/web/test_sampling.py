"""The auditor's sampling pages: the sample day (2026-11-20) and a second day with two fridges
out of the catalogue's coefficients (2026-11-21, plant time): the draw as ledger/ makes it,
repeated by its address; each drawn day's units with records and leaf hashes, and the day's
物料系数 check marking the out-of-range figures with the units behind them; roles; bad input
named; the day's units a page at a time; the page in headless Chromium, on screen and print."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from factories import depolluted, plant
from flask import Flask
from sqlalchemy import event as sa_event

from ledger.fund import sampling
from ledger.merkle import leaf_hash
from web.context import engine, ledger
from web.sampling.days import PAGE

from .conftest import ARTIFACTS, PASSWORD, USERS, serving
from .flagged import LABEL, append_flagged_fridge

TWIN = "CN3301-2026-0009101"  # a fridge with two compressor outputs
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def two_days(sample_app: Flask) -> Flask:
    """The sample day, and on 2026-11-21 LABEL (steel 79.6 % of its intake, above 28-55 %,
    and a low recovery) and TWIN (two compressors, above the [1, 1] count; its yields within
    their ranges and its mass balance within 5 %)."""
    append_flagged_fridge(sample_app)
    subject = f"unit:{TWIN}"
    with sample_app.app_context():
        ledger().append([
            plant("unit.received", subject, {"category": "fridge", "gross_g": 40_000,
                                             "scale": "SC-1", "source": "trade_in"}),
            *depolluted(subject),
            plant("material.output", subject, {"fraction": "compressor", "mass_g": 4_500,
                                               "lot": "LOT-COMP", "scale": "SC-2"}),
            plant("material.output", subject, {"fraction": "compressor", "mass_g": 4_500,
                                               "lot": "LOT-COMP", "scale": "SC-2"}),
            plant("material.output", subject, {"fraction": "steel", "mass_g": 21_000,
                                               "lot": "LOT-STEEL", "scale": "SC-2"}),
            plant("lot.opened", "lot:LOT-FOAM", {"fraction": "pu_foam", "hazardous": False}),
            plant("material.output", subject, {"fraction": "pu_foam", "mass_g": 8_000,
                                               "lot": "LOT-FOAM", "scale": "SC-2"}),
            plant("unit.completed", subject, {}),
        ])
    return sample_app


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def section(page: str, day: str) -> str:
    """The part of the page about one drawn day."""
    start = page.index(f'id="day-{day}"')
    end = page.find('<section class="card sp-day"', start + 1)
    return page[start:end if end > 0 else len(page)]


def row(part: str, category: str, code: str) -> str:
    table = part[part.index(f'data-category="{category}"'):]
    table = table[:table.index("</table>")]
    start = table.index(f'data-code="{code}"')
    return table[start:table.index("</tr>", start)]


def test_the_inspector_sees_the_drawn_days_units_and_coefficient_check(two_days, client_for):
    query = {**NOVEMBER, "count": "2", "seed": "7"}
    response = client_for("inspector").get("/sampling/", query_string=query, headers=EN)
    assert response.status_code == 200
    page = text(response)
    expected = sampling.draw(7, [date(2026, 11, 20), date(2026, 11, 21)], 2)
    for drawn in expected:
        assert f'data-day="{drawn.day}"' in page and drawn.key in page
    assert "printf '%s' '7:2026-11-20' | sha256sum" in page
    assert "/sampling/?from=2026-11-01&to=2026-11-30&count=2&seed=7" in page  # the address

    second = section(page, "2026-11-21")
    assert "2 units completed" in second
    steel = row(second, "fridge", "steel")
    assert 'data-verdict="above"' in steel and LABEL in steel and TWIN not in steel
    assert "79.63 %" in steel  # LABEL's own share; the day's: 57 of 85.21 kg
    assert "66.9 %" in steel
    compressors = row(second, "fridge", "output:compressor")
    assert 'data-verdict="above"' in compressors and TWIN in compressors
    assert "Compressors per unit" in compressors and "1.50" in compressors
    assert LABEL not in compressors
    # the units, with their records and each entry's leaf hash
    with two_days.app_context():
        chain = ledger().subject_bodies([f"unit:{TWIN}"])
    card = second[second.index(f'id="unit-{TWIN}"'):]
    for index, body in chain:
        assert leaf_hash(body).hex() in card and f'<td class="num">{index}</td>' in card
    assert "Compressors 4.500 kg; Compressors 4.500 kg" in card
    assert "None to recover: Circuit already empty" in card
    flagged = second[second.index(f'id="unit-{LABEL}"'):second.index(f'id="unit-{TWIN}"')]
    assert 'data-status="flagged"' in flagged and "Low refrigerant recovery" in flagged
    assert "R-134a 0.010 kg" in flagged and "PLANT" in flagged and "W-0042" in flagged
    assert f'href="/units/{LABEL}"' in flagged
    # the sample day is within its ranges but for the named units
    first = section(page, "2026-11-20")
    assert "68 units completed" in first
    assert 'data-verdict="within"' in row(first, "fridge", "output:compressor")


def test_a_units_certificate_is_referenced(sample_app, client_for, csrf_token):
    manager = client_for("manager")
    first = "CN3301-2026-0004814"  # the day's first unit completed
    issued = manager.post("/certificates/issue", data={
        "csrf_token": csrf_token(manager), "kind": "unit", "unit": first})
    sha256 = issued.headers["Location"].rsplit("/", 1)[1]
    page = text(client_for("inspector").get("/sampling/", query_string={
        **NOVEMBER, "count": "1", "seed": "1"}, headers=EN))
    card = page[page.index(f'id="unit-{first}"'):]
    card = card[:card.index("</article>")]
    assert f'href="/certificates/{sha256}"' in card and "none issued" not in card
    assert page.count(sha256) == 2  # its link and its text, on that unit alone


def test_the_draw_repeats_from_its_address_and_varies_with_the_seed(two_days, client_for):
    client = client_for("inspector")
    days_of = {}
    for seed in range(12):
        page = text(client.get("/sampling/", query_string={**NOVEMBER, "count": "1",
                                                            "seed": str(seed)}))
        drawn = re.findall(r'<section class="card sp-day" id="day-([0-9-]+)"', page)
        again = text(client.get("/sampling/", query_string={**NOVEMBER, "count": "1",
                                                             "seed": str(seed)}))
        assert re.findall(r'<section class="card sp-day" id="day-([0-9-]+)"', again) == drawn
        days_of[seed] = drawn
        expected = sampling.draw(seed, [date(2026, 11, 20), date(2026, 11, 21)], 1)
        assert drawn == [expected[0].day.isoformat()]
    assert {tuple(d) for d in days_of.values()} == {("2026-11-20",), ("2026-11-21",)}


def test_a_fresh_page_offers_a_fresh_seed(app, client_for):
    seeds = set()
    for _ in range(3):
        page = text(client_for("inspector").get("/sampling/", headers=EN))
        seeds.add(re.search(r'id="seed" name="seed" value="([0-9]+)"', page).group(1))
        assert 'name="count" value="3"' in page
    assert len(seeds) > 1


@pytest.mark.parametrize(("role", "status"), [("inspector", 200), ("manager", 200),
                                              ("admin", 200), ("worker", 403)])
def test_who_may_sample(sample_app, client_for, role, status):
    query = {**NOVEMBER, "count": "1", "seed": "1"}
    client = client_for(role)
    assert client.get("/sampling/", query_string=query).status_code == status
    assert client.get("/sampling/day/2026-11-20", query_string=query).status_code == status
    nav = text(client.get("/units/", headers=EN))
    assert ('href="/sampling/"' in nav) == (status == 200)


@pytest.mark.parametrize(("args", "words"), [
    ({"count": "3", "seed": "1"}, "You asked for 3 days, but only 2 days of this range had "
                                  "units completed: draw 2 or fewer"),
    ({"count": "2", "seed": "12ab"}, "The seed “12ab” is not a whole number"),
    ({"count": "two", "seed": "1"}, "“two” is not a number of days to draw: give a whole "
                                    "number from 1 to 31"),
    ({"count": "2", "seed": "1", "from": "2026-11-31"}, "“2026-11-31” is not a date: give "
                                                        "“From” as YYYY-MM-DD"),
    ({"count": "2", "seed": "1", "to": "2026-10-01"}, "The range ends on 2026-10-01, before "
                                                      "it starts on 2026-11-01"),
    ({"count": "1", "seed": "1", "from": "2026-12-01", "to": "2026-12-31"},
     "No unit was completed from 2026-12-01 to 2026-12-31"),
    ({"count": "1", "seed": "1", "from": "2024-01-01"}, "The range has 1065 days"),
])
def test_bad_input_is_named(two_days, client_for, args, words):
    response = client_for("inspector").get("/sampling/", query_string={**NOVEMBER, **args},
                                           headers=EN)
    assert response.status_code == 400
    assert words in text(response)


def test_a_day_page_at_a_time_and_only_a_day_of_the_draw(sample_app, client_for):
    client = client_for("inspector")
    query = {**NOVEMBER, "count": "1", "seed": "1"}
    page = text(client.get("/sampling/", query_string=query, headers=EN))
    assert f"Showing units 1–{PAGE} of 68" in page
    labels = re.findall(r'<article class="ul-card sp-unit" id="unit-([^"]+)"', page)
    assert len(labels) == PAGE
    following = re.search(r'href="(/sampling/day/2026-11-20\?[^"]+)"', page).group(1)
    assert "seed=1" in following and "after=" in following
    second = text(client.get(html.unescape(following), headers=EN))
    assert f"Showing units {PAGE + 1}–{2 * PAGE} of 68" in second
    more = re.findall(r'<article class="ul-card sp-unit" id="unit-([^"]+)"', second)
    assert len(more) == PAGE and not set(more) & set(labels)
    assert "Drawn with seed 1 from 2026-11-01 – 2026-11-30 (1 days)." in second
    wrong = client.get("/sampling/day/2026-11-19", query_string=query, headers=EN)
    assert wrong.status_code == 400
    assert "2026-11-19 is not one of the days this draw gives (2026-11-20)" in text(wrong)
    bad = client.get("/sampling/day/2026-02-30", headers=EN)
    assert bad.status_code == 400 and "“2026-02-30” is not a date" in text(bad)
    alone = client.get("/sampling/day/2026-11-20", headers=EN)  # any day, without a draw
    assert alone.status_code == 200 and "68 units completed" in text(alone)


def test_every_query_ranges_over_an_index(two_days, client_for):
    """No full scan of a read model or of ledger_entries (SQLite's plan says SCAN), and the
    day's units found on the completion index."""
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor_, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with two_days.app_context():
        db = engine()
    client = client_for("inspector")
    query = {**NOVEMBER, "count": "2", "seed": "7"}
    sa_event.listen(db, "before_cursor_execute", capture)
    try:
        page = text(client.get("/sampling/", query_string=query))
        following = re.search(r'href="(/sampling/day/2026-11-20\?[^"]+)"', page).group(1)
        client.get(html.unescape(following))
    finally:
        sa_event.remove(db, "before_cursor_execute", capture)
    on_completion = 0
    with db.connect() as conn:
        raw = conn.connection.driver_connection
        for statement, parameters in statements:
            plan = " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement,
                                                            parameters))
            # (catalogues: one row per version published, read newest first by its key)
            for table in ("units", "unit_outputs", "ledger_entries", "refrigerant_recoveries",
                          "rule_flags"):
                assert not re.search(rf"\bSCAN {table}\b(?! USING)", plan), (statement, plan)
            on_completion += "ix_units_completed_at_figures" in plan
    assert on_completion >= 30  # a probe per day of November, then each day's units


def test_the_page_in_chinese(two_days, client_for):
    page = text(client_for("inspector").get(
        "/sampling/", query_string={**NOVEMBER, "count": "2", "seed": "7"},
        headers={"Accept-Language": "zh-CN"}))
    assert "审核抽样" in page and "当日物料系数" in page and "高于范围" in page
    assert "每台压缩机数量" in page and "在范围内" in page


def test_the_browser_shows_the_drawn_days_and_prints_the_parameters(two_days, browser):
    with serving(two_days) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      locale="en-US")
        page = context.new_page()
        page.goto(f"{url}/sampling/")
        assert "/login?next=" in page.url
        page.fill("#name", USERS["inspector"])
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{url}/sampling/")
        seed = page.input_value("#seed")
        assert seed.isdigit()
        page.fill("#from", "2026-11-01")
        page.fill("#to", "2026-11-30")
        page.fill("#count", "2")
        page.fill("#seed", "7")
        page.click("button:has-text('Draw')")
        page.wait_for_selector("section.sp-day")
        assert "count=2" in page.url and "seed=7" in page.url
        days = page.eval_on_selector_all("section.sp-day", "els => els.map(e => e.dataset.day)")
        assert days == ["2026-11-20", "2026-11-21"]
        assert page.locator("#day-2026-11-21 tr[data-code='steel'] [data-verdict='above']"
                            ).count() == 1
        page.screenshot(path=str(ARTIFACTS / "sampling.png"), full_page=False)
        page.emulate_media(media="print")
        assert not page.is_visible(".topbar") and not page.is_visible("form.sp-form")
        assert page.is_visible("#draw-seed") and page.inner_text("#draw-seed") == "7"
        pdf = page.pdf()
        assert pdf.startswith(b"%PDF")
        (ARTIFACTS / "sampling-print.pdf").write_bytes(pdf)
        context.close()
