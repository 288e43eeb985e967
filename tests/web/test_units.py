"""Units pages on the sample day: search (label, trade-in code, serial, label prefix), the
recent list's keyset pages, a unit's figures against the JSONL, its timeline with the ledger's
leaf hashes, the in-page inclusion proof (checked by the independent spec verifier), 404s,
and that every query the pages run is answered from an index."""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import spec_verifier
from sqlalchemy import event as sa_event

from web.context import console, engine, ledger

from .conftest import REPO, serving

AC = "CN3301-2026-0004840"  # room air conditioner whose copper mass was corrected
WASHER = "CN3301-2026-0004812"
FIRST = 1  # the sample's first event is entry 1: entry 0 publishes the catalogue


def sample() -> list[dict[str, Any]]:
    """The sample day's events; on a fresh instance (the catalogue at entry 0) entry N is
    line N, i.e. sample()[N - FIRST]."""
    lines = (REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    return [(obj.get("event") or obj) for obj in map(json.loads, lines)]


def by_subject() -> dict[str, list[int]]:
    subjects: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(sample(), FIRST):
        subjects[event["subject"]].append(index)
    return subjects


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


EN = {"Accept-Language": "en"}


def test_search_by_label_trade_in_code_and_serial_opens_the_unit(sample_app, client_for):
    client = client_for("manager")
    received = {e["subject"][5:]: e["data"] for e in sample() if e["type"] == "unit.received"}
    with_serial = next(label for label, d in received.items() if d.get("serial"))
    cases = {WASHER: WASHER, received[WASHER]["trade_in_code"]: WASHER,
             received[with_serial]["serial"]: with_serial, WASHER.lower(): WASHER,
             f"  {WASHER}  ": WASHER}
    for query, label in cases.items():
        response = client.get("/units/", query_string={"q": query})
        assert response.status_code == 302, query
        assert response.headers["Location"] == f"/units/{label}"


def test_search_by_label_prefix_lists_the_matches(sample_app, client_for):
    response = client_for("inspector").get("/units/", query_string={"q": "CN3301-2026-000484"},
                                           headers=EN)
    assert response.status_code == 200
    page = text(response).split('id="recent-title"')[0]
    labels = set(re.findall(r'href="/units/(CN3301-2026-\d+)"', page))
    expected = {s[5:] for s in by_subject() if s.startswith("unit:CN3301-2026-000484")}
    assert labels == expected and len(expected) == 10
    assert "label starts with it" in page


def test_search_without_a_match_says_what_to_do(sample_app, client_for):
    page = text(client_for("manager").get("/units/", query_string={"q": "NOPE-1"}, headers=EN))
    assert "No unit has the label, trade-in code or serial number “NOPE-1”" in page
    long = text(client_for("manager").get("/units/", query_string={"q": "X" * 300}, headers=EN))
    assert "is longer than any label" in long


def test_recent_units_page_by_keyset(sample_app, client_for):
    client = client_for("manager")
    received = [e for e in sample() if e["type"] == "unit.received"]
    newest_first = [e["subject"][5:] for e in sorted(received, key=lambda e: (e["time"],
                                                     e["subject"]), reverse=True)]
    def pager(page: str) -> str:
        return page.split('class="ul-pager"')[1]

    first = text(client.get("/units/"))
    seen = re.findall(r'class="ul-label-link" href="/units/([^"]+)"', first)
    assert seen == newest_first[:50]
    older = re.search(r'href="(/units/\?before=[^"]+)"', pager(first))
    assert older and "after=" not in pager(first)
    second = text(client.get(older.group(1)))
    assert re.findall(r'class="ul-label-link" href="/units/([^"]+)"', second) == newest_first[50:]
    assert "before=" not in pager(second)
    newer = re.search(r'href="(/units/\?after=[^"]+)"', pager(second))
    assert newer
    back = text(client.get(newer.group(1)))
    assert re.findall(r'class="ul-label-link" href="/units/([^"]+)"', back) == newest_first[:50]
    completed = text(client.get("/units/", query_string={"state": "received"}))
    in_progress = {e["subject"][5:] for e in received} - {
        e["subject"][5:] for e in sample() if e["type"] == "unit.completed"}
    assert set(re.findall(r'class="ul-label-link" href="/units/([^"]+)"', completed)) == \
        in_progress


def test_corrected_air_conditioner_shows_corrected_figures_and_the_correction(
        sample_app, client_for):
    events = sample()
    mine = [e for e in events if e["subject"] == f"unit:{AC}"]
    correction = next(e for e in mine if e["type"] == "correction")
    fixed = correction["data"]["corrects"]
    gross = next(e for e in mine if e["type"] == "unit.received")["data"]["gross_g"]
    refrigerant = sum(e["data"]["recovered_g"] for e in mine if e["type"] ==
                      "refrigerant.recovered")
    masses = {events.index(e) + FIRST: e["data"].get("mass_g") or 0 for e in mine
              if e["type"] in ("material.output", "component.removed")}
    typed = masses[fixed]
    masses[fixed] = correction["data"]["set"]["mass_g"]
    outputs = sum(masses.values())
    assert typed != masses[fixed]  # the sample's correction changes the copper mass
    charge = next(e for e in mine if e["type"] == "unit.received")["data"]["nameplate_charge_g"]
    times = [datetime.fromisoformat(e["time"]) for e in mine
             if e["type"] in ("unit.received", "unit.completed")]
    minutes = int((times[1] - times[0]).total_seconds() // 60)

    page = text(client_for("manager").get(f"/units/{AC}", headers=EN))
    assert f'id="fig-gross">{gross / 1000:,.3f} kg' in page
    assert f'id="fig-outputs">{outputs / 1000:,.3f} kg' in page
    assert f'id="fig-refrigerant">{refrigerant / 1000:,.3f} kg' in page
    # the deviation, signed, as the dashboard and the mass_balance flag state it
    assert f'id="fig-balance">{100 * (outputs + refrigerant - gross) / gross:.1f} %' in page
    assert "Mass balance deviation" in page
    assert (f"{100 * refrigerant / charge:.1f} % of the nameplate charge "
            f"{charge / 1000:,.3f} kg") in page
    assert 'id="fig-serial">7632D3CB19' in page
    # the outputs table has the corrected copper mass, flagged; the typo only in the timeline
    outputs_table = page.split('id="outputs"')[1].split("</table>")[0]
    assert f"{masses[fixed] / 1000:,.3f} kg" in outputs_table
    assert f"{typed / 1000:,.3f} kg" not in outputs_table
    assert "corrected" in outputs_table
    assert "This unit's record was corrected." in page
    assert correction["data"]["reason"] in page
    assert f"Corrected by entry {events.index(correction) + FIRST}" in page
    assert "approved by M-0001" in page
    assert (f"<del>{typed / 1000:,.3f} kg</del> → <ins>{masses[fixed] / 1000:,.3f} kg</ins>"
            in page)
    fix_row = page.split(f'<tr id="entry-{events.index(correction) + FIRST}"')[1]
    fix_row = fix_row.split("</tr>")[0]
    assert f"Corrects entry {fixed}" in fix_row and f"{masses[fixed] / 1000:,.3f} kg" in fix_row
    assert "True" not in fix_row and "<del>" not in fix_row
    assert "Cycle time" in page and f"{minutes // 60} h {minutes % 60} min" in page


def test_timeline_lists_every_entry_with_the_ledgers_leaf_hash(sample_app, client_for):
    client = client_for("inspector")
    for label in (AC, WASHER):
        indexes = by_subject()[f"unit:{label}"]
        page = text(client.get(f"/units/{label}"))
        shown = [int(i) for i in re.findall(r'<tr id="entry-(\d+)"', page)]
        assert shown == indexes
        with sample_app.app_context():
            hashes = ledger().leaf_hashes(indexes)
        for index in indexes:
            row = page.split(f'<tr id="entry-{index}"')[1].split("</tr>")[0]
            assert f'title="{hashes[index].hex()}"' in row
            assert f'value="{hashes[index].hex()}"' in row
            assert f'href="/api/v1/proof/inclusion/{index}"' in row
            assert f"?proof={index}#proof" in row


@pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
def test_in_page_proof_verifies_with_the_spec_verifier(sample_app, client_for):
    index = by_subject()[f"unit:{AC}"][3]
    response = client_for("worker").get(f"/units/{AC}", query_string={"proof": index})
    assert response.status_code == 200
    proof = re.search(r'<pre class="ul-proof-text">(.*?)</pre>', text(response), re.S)
    assert proof
    with sample_app.app_context():
        entry, vkey = ledger().entry(index), console().instance.vkey()
        size = ledger().size()
    checkpoint = spec_verifier.verify_tlog_proof(proof.group(1), entry, [vkey])
    assert checkpoint.size == size
    assert proof.group(1).startswith(f"c2sp.org/tlog-proof@v1\nindex {index}\n")


def test_unknown_unit_and_foreign_proof_index_are_404(sample_app, client_for):
    client = client_for("manager")
    missing = client.get("/units/CN3301-2026-9999999", headers=EN)
    assert missing.status_code == 404
    assert "There is no such page" in text(missing)
    other = by_subject()[f"unit:{WASHER}"][0]
    assert client.get(f"/units/{AC}", query_string={"proof": other}).status_code == 404


def test_workers_read_units_without_lot_links(sample_app, client_for):
    page = text(client_for("worker").get(f"/units/{WASHER}"))
    assert "LOT-20261120-STEEL" in page and 'href="/lots/' not in page
    assert 'href="/lots/LOT-20261120-STEEL"' in text(client_for("manager").get(f"/units/{WASHER}"))
    assert client_for("worker").get("/lots/").status_code == 403


def test_chinese_is_the_default(sample_app, client_for):
    page = text(client_for("manager").get(f"/units/{AC}"))
    assert "物料平衡" in page and "台账记录时间线" in page


@pytest.mark.parametrize("url", ["/units/?q=CN3301-2026-000484", "/units/?q=TI-2026-33-0877275",
                                 "/units/?q=7632D3CB19", "/units/", "/units/?state=received",
                                 f"/units/{AC}"])
def test_every_query_uses_an_index(sample_app, client_for, url):
    """No full scan of units, unit_outputs or ledger_entries (SQLite's plan says SCAN)."""
    client = client_for("manager")
    first = text(client.get("/units/"))
    cursor = re.search(r'href="/units/\?before=([^"&]+)', first)
    assert cursor
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor_, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with sample_app.app_context():
        db = engine()
    sa_event.listen(db, "before_cursor_execute", capture)
    try:
        client.get(url)
        client.get(f"/units/?before={cursor.group(1)}")
    finally:
        sa_event.remove(db, "before_cursor_execute", capture)
    assert statements
    with db.connect() as conn:
        raw = conn.connection.driver_connection
        for statement, parameters in statements:
            plan = " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement,
                                                            parameters))
            for table in ("units", "unit_outputs", "ledger_entries", "refrigerant_recoveries"):
                assert not re.search(rf"\bSCAN {table}\b(?! USING)", plan), (statement, plan)


# -- In a real browser ------------------------------------------------------------------------

@pytest.fixture
def served(sample_app) -> Iterator[str]:
    """The sample day's console over HTTP, with one hazardous lot shipped (awaiting its
    manifest) and one sealed lot ready to ship, for the screenshots."""
    import uuid

    from ledger.events import PLANT_STATION, parse_event, utc_now_ms
    from ledger.log import Submission

    def plant(lot: str, etype: str, data: dict[str, Any]) -> Submission:
        return Submission(parse_event({
            "id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
            "station": PLANT_STATION, "operator": "M-0001", "subject": f"lot:{lot}",
            "data": data}))

    def contents(lot: str) -> int:  # what went in, less a little dust: a plausible net weight
        return sum(e["data"].get("mass_g") or 0 for e in sample()
                   if e["data"].get("lot") == lot and e["subject"].startswith("unit:")) - 90

    pcb_receiver = "91350100M000100Y43"
    with sample_app.app_context():
        ledger().append([
            Submission(parse_event({
                "id": str(uuid.uuid4()), "type": "receiver.registered", "time": utc_now_ms(),
                "station": PLANT_STATION, "operator": "M-0001",
                "subject": f"receiver:{pcb_receiver}",
                "data": {"legal_name": "浙江示例线路板处置有限公司 (Zhejiang Sample PCB Treatment "
                                       "Co., Ltd.)", "licence_no": "浙危废经第3301990077号",
                         "fractions": ["pcb"], "hw_codes": ["HW49 900-045-49"],
                         "valid_from": "2025-12-31T16:00:00.000Z",
                         "valid_until": "2099-12-31T16:00:00.000Z",
                         "address": "杭州市示例路 9 号"}})),
            plant("LOT-20261120-PCB", "lot.sealed", {"net_g": contents("LOT-20261120-PCB")}),
            plant("LOT-20261120-PCB", "lot.shipped", {
                "receiver_code": pcb_receiver, "manifest_no": "2026330100042210",
                "vehicle": "浙A·D5521"}),
            plant("LOT-20261120-CABLES", "lot.sealed",
                  {"net_g": contents("LOT-20261120-CABLES")})])
    with serving(sample_app) as url:
        yield url


@pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
def test_manager_finds_a_unit_and_sees_its_proof_in_a_browser(served, browser, sample_app):
    from .conftest import ARTIFACTS, PASSWORD, USERS

    correction = next(i for i, e in enumerate(sample(), FIRST)
                      if e["subject"] == f"unit:{AC}" and e["type"] == "correction")
    correction_of = sample()[correction - FIRST]["data"]["corrects"]  # the mistyped copper
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{served}/units/")
    page.fill("#name", USERS["manager"])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{served}/units/")
    assert page.locator("h1").inner_text() == "整机"
    page.fill("#q", "CN3301-2026-000484")
    page.press("#q", "Enter")
    page.wait_for_load_state()
    assert page.locator("#results-title").inner_text() == "与“CN3301-2026-000484”匹配的整机"
    page.screenshot(path=str(ARTIFACTS / "units-search-zh.png"), full_page=True)
    page.click(f"#results-title + .ul-scroll a[href='/units/{AC}']")
    page.wait_for_url(f"{served}/units/{AC}")
    assert page.locator("h1").inner_text() == AC
    assert "此整机的记录已被更正" in page.locator(".ul-callout").inner_text()
    page.screenshot(path=str(ARTIFACTS / "units-unit-zh.png"), full_page=True)
    api_link = page.locator(f"#entry-{correction_of} a[href$='/proof/inclusion/{correction_of}']")
    assert api_link.get_attribute("href") == f"/api/v1/proof/inclusion/{correction_of}"
    page.click(f"#entry-{correction_of} a.ul-small-button")
    page.wait_for_url(f"{served}/units/{AC}?proof={correction_of}#proof")
    proof = page.locator("pre.ul-proof-text").inner_text()
    assert proof.startswith(f"c2sp.org/tlog-proof@v1\nindex {correction_of}\n")
    with sample_app.app_context():
        spec_verifier.verify_tlog_proof(proof if proof.endswith("\n") else proof + "\n",
                                        ledger().entry(correction_of),
                                        [console().instance.vkey()])
    page.locator("#proof").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "units-proof-zh.png"))
    page.click("button[lang=en]")
    page.wait_for_load_state()
    assert page.locator("#outputs-title").inner_text() == "Outputs"
    page.screenshot(path=str(ARTIFACTS / "units-unit-en.png"), full_page=True)
    fix = page.locator(f"#entry-{correction}")
    assert f"Corrects entry {correction_of}" in fix.inner_text() and "True" not in fix.inner_text()
    fix.screenshot(path=str(ARTIFACTS / "units-correction-en.png"))
    page.goto(f"{served}/units/")
    page.screenshot(path=str(ARTIFACTS / "units-index-en.png"), full_page=True)
    for lang, name in (("en", "en"), ("zh_Hans_CN", "zh")):
        if lang == "zh_Hans_CN":
            page.click("button[lang=zh-Hans-CN]")
            page.wait_for_load_state()
        page.goto(f"{served}/lots/")
        assert page.locator("#count-awaiting").inner_text() == "1"
        page.screenshot(path=str(ARTIFACTS / f"lots-index-{name}.png"), full_page=True)
        page.goto(f"{served}/lots/LOT-20261120-PCB")
        assert page.locator("#awaiting").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"lots-awaiting-{name}.png"), full_page=True)
        page.goto(f"{served}/lots/LOT-20261120-CABLES")
        page.screenshot(path=str(ARTIFACTS / f"lots-ship-{name}.png"), full_page=True)
    # a refused receipt keeps what was typed and says what to do
    page.goto(f"{served}/lots/LOT-20261120-PCB")
    page.fill("#manifest_no", "2026330100099999")
    page.fill("#received_kg", "21.3")
    page.click("form[action$='/receive'] button.primary")
    page.wait_for_load_state()
    error = page.locator("#manifest_no-error").inner_text()
    assert "不是批次 LOT-20261120-PCB 发运时使用的联单" in error
    page.screenshot(path=str(ARTIFACTS / "lots-refused-zh.png"), full_page=True)
    context.close()
