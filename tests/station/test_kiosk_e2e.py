"""The kiosk in headless Chromium against a real station: simulated scanner and scales on
pseudo-terminals, an in-process ledger. A worker signs in and takes a refrigerator and a CRT
TV end to end through the page; the ledger then holds the expected entries, each station
entry signed with the key the ledger registered and each subject's chain intact.

Also: a refusal in large type (screenshots at 1280x800 and 1024x600, zh-CN and English, in
test-artifacts/), the language switch, and the scan field keeping the focus.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from playwright.sync_api import Page, expect

from station.kiosk import i18n
from tests.station.conftest import (
    BADGE,
    CYLINDER,
    STATION_ID,
    Station,
    console_on,
    free_port,
    wait_for,
)
from tests.web.conftest import ARTIFACTS, browser, serving  # noqa: F401 -- browser: a fixture

pytestmark = pytest.mark.slow

LARGE, SMALL = {"width": 1280, "height": 800}, {"width": 1024, "height": 600}
# Frequencies kiosk.js plays: OK one high beep, a flag a chime, a refusal a low buzz.
OK_HZ, FLAG_HZ, REFUSAL_HZ = 880, 660, 196

# Records the tones the page plays (WebAudio works headless, but nobody listens).
RECORD_TONES = """
window.kioskTones = [];
const RealContext = window.AudioContext;
window.AudioContext = class extends RealContext {
  createOscillator() {
    const oscillator = super.createOscillator();
    const start = oscillator.start.bind(oscillator);
    oscillator.start = (when) => {
      window.kioskTones.push(oscillator.frequency.value);
      start(when);
    };
    return oscillator;
  }
};
"""


@pytest.fixture
def kiosk_url(station: Station) -> Iterator[str]:
    with serving(station.app) as url:
        yield url


def open_page(browser: Any, url: str, viewport: dict[str, int] = LARGE,  # noqa: F811
              language: str | None = None) -> Page:
    context = browser.new_context(viewport=viewport)
    if language:
        context.add_cookies([{"name": i18n.COOKIE, "value": language, "url": url}])
    context.add_init_script(RECORD_TONES)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(url)
    expect(page.locator("#scan")).to_be_focused()
    return page


class Worker:
    """What a worker does at the kiosk, each step waited for until the station answered and
    the page shows the answer."""

    def __init__(self, page: Page, station: Station):
        self.page, self.station = page, station

    def _answered(self, before: Any, expect_ok: bool | None) -> dict[str, Any]:
        last = wait_for(lambda: self.station.ws.last is not before and self.station.ws.last,
                        what="the station's answer")
        if expect_ok is not None:
            assert last["ok"] is expect_ok, last
        message = self.page.locator("#message")
        expect(message).to_have_attribute("data-at", last["at"])
        expect(message).to_have_attribute(
            "data-kind", "refusal" if not last["ok"] else "flag" if last["flags"] else "ok")
        expect(self.page.locator("#scan")).to_be_focused()
        return last

    def wedge(self, text: str, ok: bool | None = True) -> dict[str, Any]:
        """A keyboard-wedge scanner: types into whatever has the focus, then Enter."""
        before = self.station.ws.last
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        return self._answered(before, ok)

    def serial(self, text: str) -> dict[str, Any]:
        """The station's serial scanner, on its pseudo-terminal."""
        before = self.station.ws.last
        self.station.devices.scanner.scan(text)
        return self._answered(before, True)

    def press(self, action: str, ok: bool | None = True) -> dict[str, Any]:
        before = self.station.ws.last
        self.page.click(f"#actions [data-action='{action}']")
        return self._answered(before, ok)

    def choose(self, action: str, choice: str, ok: bool | None = True) -> dict[str, Any]:
        """Press a button that opens a sheet, then one of its choices."""
        before = self.station.ws.last
        self.page.click(f"#actions [data-action='{action}']")
        self.page.click(f"#sheet [data-choice='{choice}']")
        return self._answered(before, ok)

    def place(self, role: str, grams: int) -> None:
        """Put a load on a scale; the page shows it stable before anyone presses Weigh."""
        self.station.place(role, grams)
        card = self.page.locator("#scales .scale").nth(0 if role == "platform" else 1)
        expect(card).to_have_attribute("data-status", "stable")
        expect(card.locator(".scale-mass")).to_have_text(f"{grams / 1000:.3f} kg")

    def message(self) -> str:
        return self.page.locator("#message-text").inner_text()

    def tones(self) -> list[float]:
        return self.page.evaluate("window.kioskTones")


def shot(page: Page, name: str) -> None:
    """A screenshot in test-artifacts/ for people to look at; then the layout must fit."""
    size = page.viewport_size
    page.screenshot(path=ARTIFACTS / f"kiosk-{name}-{size['width']}x{size['height']}.png")
    fits(page)


# -- the ledger, checked from its bytes -------------------------------------------------------

def ledger_entries(station: Station) -> list[dict[str, Any]]:
    return [json.loads(station.ledger.entry(i)) for i in range(station.size())]


def check_ledger(station: Station, subject: str, types: list[str]) -> list[dict[str, Any]]:
    """`subject`'s entries have `types`; every station entry verifies with the key the
    ledger registered for the station, and every `subject_prev` names the subject's previous
    entry. Returns the subject's entries."""
    entries = ledger_entries(station)
    registered = [e["event"]["data"]["public_key"] for e in entries
                  if e["event"]["type"] == "station.registered"
                  and e["event"]["subject"] == f"station:{STATION_ID}"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(registered[-1]))
    last_of: dict[str, int] = {}
    for entry in entries:
        event = entry["event"]
        assert entry["subject_prev"] == last_of.get(event["subject"]), entry["index"]
        last_of[event["subject"]] = entry["index"]
        if event["station"] == STATION_ID:
            canonical = json.dumps(event, sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False).encode()
            key.verify(base64.b64decode(entry["station_sig"]), canonical)  # raises if bad
    mine = [e for e in entries if e["event"]["subject"] == subject]
    assert [e["event"]["type"] for e in mine] == types
    assert {e["event"]["station"] for e in mine} == {STATION_ID}
    assert {e["event"]["operator"] for e in mine} == {BADGE}
    return mine


# -- a refrigerator ---------------------------------------------------------------------------

FRIDGE = "CN3301-2026-0000201"


def test_a_refrigerator_end_to_end(browser, kiosk_url, station):  # noqa: F811
    page = open_page(browser, kiosk_url)
    worker = Worker(page, station)
    expect(page.locator("#signin")).to_contain_text("Scan your badge to sign in")
    expect(page.locator("#actions")).to_be_hidden()
    shot(page, "fridge-signed-out-en")

    worker.serial(BADGE)
    expect(page.locator("#operator-badge")).to_have_text(BADGE)
    expect(page.locator("#outbox")).to_have_attribute("data-online", "true")

    # Intake: label (typed by a wedge scanner), category, nameplate, weight.
    worker.wedge(FRIDGE)
    expect(page.locator("#unit-label")).to_have_text(FRIDGE)
    worker.choose("select_category", "fridge")
    expect(page.locator("#unit-category")).to_have_text("Refrigerator/freezer")
    page.click("#actions [data-action='set_details']")
    shot(page, "fridge-details-en")
    # what the fund's tables need of a fridge comes first, named in the page's language
    expect(page.locator("#sheet .field").first).to_contain_text("Total volume (L)")
    page.fill("#sheet [name=volume_l]", "215")
    page.fill("#sheet [name=brand]", "Haier")
    page.fill("#sheet [name=model]", "BCD-215")
    page.fill("#sheet [name=nameplate_refrigerant]", "R-600a")
    page.fill("#sheet [name=nameplate_charge_g]", "55")
    page.select_option("#sheet [name=source]", "trade_in")
    before = station.ws.last
    page.click("#sheet button[type=submit]")
    worker._answered(before, True)
    assert station.ws.state()["unit"]["details"]["nameplate_charge_g"] == 55
    assert station.ws.state()["unit"]["details"]["volume_l"] == 215
    worker.place("platform", 45_200)
    worker.press("weigh_intake")
    assert "45.200 kg" in worker.message()
    expect(page.locator(".step[data-step='intake']")).to_have_attribute("data-done", "true")
    expect(page.locator(".step[data-step='refrigerant'] .step-required")).to_be_visible()

    # Completing now is refused: the refrigerant is neither recovered nor accounted for.
    size = station.size()
    refused = worker.press("complete", ok=False)
    assert refused["refusal"] == "no_recovery"
    assert REFUSAL_HZ in worker.tones()

    # Recovery: scan the cylinder, weigh it before and after on the cylinder scale.
    worker.wedge(CYLINDER)
    expect(page.locator("#cylinder")).to_contain_text(CYLINDER)
    worker.place("cylinder", 8_000)
    worker.press("recovery_before")
    worker.place("cylinder", 8_053)
    shot(page, "fridge-recovery-en")
    worker.press("recovery_after")
    assert "0.053 kg" in worker.message() and OK_HZ in worker.tones()
    expect(page.locator(".step[data-step='refrigerant']")).to_have_attribute("data-done", "true")

    # The compressor oil, weighed (the sheet's weigh toggle is on by default).
    worker.place("platform", 180)
    page.click("#actions [data-action='component']")
    page.click("#sheet .stepper button:has-text('+')")
    page.click("#sheet .stepper button:has-text('−')")
    shot(page, "fridge-component-en")
    expect(page.locator("#sheet .toggle")).to_have_attribute("aria-pressed", "true")
    before = station.ws.last
    page.click("#sheet [data-choice='compressor_oil']")
    worker._answered(before, True)

    # Five outputs: scan a new lot label, open it for its fraction, weigh into it.
    outputs = [("LOT-FR-COMP-01", "compressor", 8_600), ("LOT-FR-STEEL-01", "steel", 19_800),
               ("LOT-FR-PLAST-01", "plastics", 9_400), ("LOT-FR-FOAM-01", "pu_foam", 5_300),
               ("LOT-FR-CU-01", "copper", 1_000)]
    for lot, fraction, grams in outputs:
        worker.serial(lot)
        worker.choose("open_lot", fraction)
        expect(page.locator("#lots .lot[data-selected='true']")).to_contain_text(lot)
        worker.place("platform", grams)
        worker.press("output")  # the lot's fraction is known: no sheet
        assert f"{grams / 1000:.3f} kg" in worker.message()
        if fraction == "pu_foam":
            shot(page, "fridge-outputs-en")
        expect(page.locator(f".step[data-step='output:{fraction}']")).to_have_attribute(
            "data-done", "true")

    done = worker.press("complete")
    assert done["flags"] == [], done
    expect(page.locator("#unit")).to_be_hidden()

    station.wait_delivered()
    assert station.size() > size
    check_ledger(station, f"unit:{FRIDGE}", ["unit.received", "refrigerant.recovered",
                                             "component.removed"] + ["material.output"] * 5
                 + ["unit.completed"])
    for lot, _, _ in outputs:
        check_ledger(station, f"lot:{lot}", ["lot.opened"])
    expect(page.locator("#outbox-pending")).to_have_text(re.compile(r"\b0$"))
    assert page.errors == []  # type: ignore[attr-defined]


# -- a CRT TV ---------------------------------------------------------------------------------

CRT = "CN3301-2026-0000202"


def test_a_crt_tv_end_to_end(browser, kiosk_url, station):  # noqa: F811
    page = open_page(browser, kiosk_url, SMALL, language="zh_Hans_CN")
    worker = Worker(page, station)
    expect(page.locator("#signin")).to_contain_text("请扫描工牌登录")
    shot(page, "crt-signed-out-zh")

    worker.wedge(BADGE)  # the badge, typed by a wedge scanner into the focused field
    expect(page.locator("#operator-badge")).to_have_text(BADGE)
    worker.serial(CRT)
    page.click("#actions [data-action='select_category']")
    shot(page, "crt-category-zh")
    page.click("#sheet [data-close]")
    worker.choose("select_category", "crt_tv")
    expect(page.locator("#unit-category")).to_have_text("CRT电视机")
    worker.place("platform", 20_000)
    worker.press("weigh_intake")
    assert "20.000 kg" in worker.message()
    # Not refrigerant-bearing: no recovery to do, none offered.
    actions = page.locator("#actions [data-action]")
    expect(actions.first).to_be_visible()
    assert "recovery_before" not in actions.evaluate_all("bs => bs.map(b => b.dataset.action)")
    assert "refrigerant_absent" not in actions.evaluate_all(
        "bs => bs.map(b => b.dataset.action)")

    # The circuit board, weighed, into an open lot of its fraction.
    worker.serial("LOT-TV-PCB-01")
    worker.choose("open_lot", "pcb")
    worker.place("platform", 1_000)
    page.click("#actions [data-action='component']")
    shot(page, "crt-component-zh")
    before = station.ws.last
    page.click("#sheet [data-choice='pcb']")
    worker._answered(before, True)

    outputs = [("LOT-TV-FUNNEL-01", "crt_funnel_glass", 4_200),
               ("LOT-TV-PANEL-01", "crt_panel_glass", 7_600),
               ("LOT-TV-PLAST-01", "plastics", 4_000), ("LOT-TV-STEEL-01", "steel", 1_800),
               ("LOT-TV-CU-01", "copper", 800)]
    for lot, fraction, grams in outputs:
        worker.wedge(lot)
        worker.choose("open_lot", fraction)
        worker.place("platform", grams)
        worker.press("output")
        assert f"{grams / 1000:.3f} kg" in worker.message()
    funnel = page.locator(".step[data-step='output:crt_funnel_glass']")
    expect(funnel).to_have_attribute("data-done", "true")
    expect(funnel).to_contain_text("CRT锥玻璃（含铅）")

    shot(page, "crt-outputs-zh")
    done = worker.press("complete")
    assert done["flags"] == [], done
    assert "完成" in worker.message()
    shot(page, "crt-completed-zh")

    station.wait_delivered()
    entries = check_ledger(station, f"unit:{CRT}", ["unit.received", "component.removed"]
                           + ["material.output"] * 5 + ["unit.completed"])
    funnel_entry = [e for e in entries if e["event"]["data"].get("fraction") == "crt_funnel_glass"]
    assert funnel_entry[0]["event"]["data"]["mass_g"] == 4_200
    lot_opened = check_ledger(station, "lot:LOT-TV-FUNNEL-01", ["lot.opened"])
    assert lot_opened[0]["event"]["data"]["hazardous"] is True
    assert page.errors == []  # type: ignore[attr-defined]


# -- a refusal, as the worker sees it ---------------------------------------------------------

REFUSED = "CN3301-2026-0000203"


def fits(page: Page) -> None:
    """Nothing runs off the screen sideways, and the scan field and the message are in view."""
    width = page.viewport_size["width"]
    height = page.viewport_size["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    visible = [s for s in ("#scan", "#message", "#sheet .sheet-box") if page.is_visible(s)]
    for selector in visible:
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, selector
    assert page.evaluate("(e => e.scrollHeight <= e.clientHeight + 1)"
                         "(document.querySelector('.left'))"), "the buttons are scrolled away"
    overflowing = page.evaluate("""[...document.querySelectorAll('.button, .step, .scale')]
        .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent.trim())""")
    assert overflowing == []


def test_a_refusal_shows_in_large_type_and_nothing_is_written(browser, kiosk_url,  # noqa: F811
                                                               station):
    page = open_page(browser, kiosk_url)
    worker = Worker(page, station)
    worker.serial(BADGE)
    worker.serial(REFUSED)
    worker.choose("select_category", "fridge")
    worker.place("platform", 45_200)
    worker.press("weigh_intake")
    station.wait_delivered()
    size = station.size()

    refused = worker.press("complete", ok=False)
    assert refused["refusal"] == "no_recovery"
    text = page.locator("#message-text")
    expect(text).to_have_text(f"Unit {REFUSED} (Refrigerator/freezer) holds refrigerant: "
                              "recover it by weighing the cylinder before and after, or record "
                              "why there is none, before completing")
    assert text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 30
    assert page.locator("#message").evaluate(
        "e => getComputedStyle(e).backgroundColor") == "rgb(179, 0, 27)"
    assert REFUSAL_HZ in worker.tones() and OK_HZ not in worker.tones()[-2:]
    station.wait_delivered()
    # nothing about the unit was appended: only the refusal's own record, about the station
    assert [e["type"] for e in station.entries(f"unit:{REFUSED}")] == ["unit.received"]
    assert station.size() == size + 1
    _, attempt = station.ledger.subject_entries(f"station:{STATION_ID}")[-1]
    assert attempt["id"] == refused["attempt"] and attempt["data"] == {
        "rule": "no_recovery", "attempted": "unit.completed", "about": f"unit:{REFUSED}",
        "params": refused["message"]["params"]}

    for language, button in (("zh_Hans_CN", "中文"), ("en", "English")):
        page.click(f"[data-language='{language}']")
        expect(page.locator("#message")).to_have_attribute("data-kind", "refusal")
        assert button in page.locator(f"[data-language='{language}']").inner_text()
        if language == "zh_Hans_CN":
            expect(text).to_contain_text("含制冷剂")
            expect(text).to_contain_text("电冰箱")
        for viewport in (LARGE, SMALL):
            page.set_viewport_size(viewport)
            page.screenshot(path=ARTIFACTS / f"kiosk-refusal-{viewport['width']}x"
                            f"{viewport['height']}-{language}.png")
            fits(page)
    assert page.errors == []  # type: ignore[attr-defined]


# -- language and focus -----------------------------------------------------------------------

def test_the_language_switch_is_kept_on_that_screen(browser, kiosk_url, station):  # noqa: F811
    page = open_page(browser, kiosk_url)  # the station's language: English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#signin")).to_have_text("Scan your badge to sign in")
    page.click("[data-language='zh_Hans_CN']")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#signin")).to_have_text("请扫描工牌登录")
    expect(page.locator("[data-language='zh_Hans_CN']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#scan")).to_be_focused()

    again = page.context.new_page()
    again.goto(kiosk_url)
    expect(again.locator("#signin")).to_have_text("请扫描工牌登录")
    status = again.locator("#scales .scale-status").first
    expect(status).to_have_text(re.compile("稳定|晃动|已断开"))
    again.click("[data-language='en']")
    expect(again.locator("#signin")).to_have_text("Scan your badge to sign in")


def focused_now(page: Page) -> str:
    """The focused element's id once the page's pending zero-delay work has run — before its
    next refresh of the state (every 300 ms) could put the focus back by chance."""
    return page.evaluate("() => new Promise(done => setTimeout("
                         "() => done(document.activeElement.id), 0))")


def test_the_scan_field_keeps_the_focus(browser, kiosk_url, station):  # noqa: F811
    page = open_page(browser, kiosk_url)
    worker = Worker(page, station)
    worker.serial(BADGE)
    worker.wedge("CN3301-2026-0000204")

    page.click("#scales")  # a tap on no button
    assert focused_now(page) == "scan"
    page.evaluate("document.getElementById('scan').blur()")
    assert focused_now(page) == "scan"
    page.click("#actions [data-action='select_category']")  # opens a sheet
    assert focused_now(page) == "scan"
    page.click("#sheet [data-close]")
    expect(page.locator("#sheet")).to_be_hidden()
    assert focused_now(page) == "scan"

    # Typing in a form field keeps the focus there, across the page's refreshes.
    page.click("#actions [data-action='set_details']")
    brand = page.locator("#sheet [name=brand]")
    expect(brand).to_be_focused()
    brand.type("Haier")
    page.wait_for_timeout(800)  # a few refreshes of the state
    expect(brand).to_be_focused()
    expect(brand).to_have_value("Haier")
    page.click("#sheet button[type=submit]")
    assert focused_now(page) == "scan"

    # A scan typed right after a button press goes to the station, not nowhere.
    worker.choose("select_category", "fridge")
    page.keyboard.type("CYL-0007")
    page.keyboard.press("Enter")
    outcome = wait_for(lambda: station.ws.last["message"]["params"].get("cylinder") == CYLINDER
                       and station.ws.last, what="the cylinder scan")
    assert outcome["refusal"] in ("out_of_order", "no_unit", None)
    assert page.errors == []  # type: ignore[attr-defined]


# -- flags and the outbox ---------------------------------------------------------------------

FLAGGED = "CN3301-2026-0000205"


def test_a_flag_shows_in_amber_with_its_words(browser, kiosk_url, station):  # noqa: F811
    page = open_page(browser, kiosk_url, SMALL, language="zh_Hans_CN")
    worker = Worker(page, station)
    worker.serial(BADGE)
    worker.serial(FLAGGED)
    worker.choose("select_category", "fridge")
    page.click("#actions [data-action='set_details']")
    page.fill("#sheet [name=nameplate_refrigerant]", "R-600a")
    page.fill("#sheet [name=nameplate_charge_g]", "55")
    before = station.ws.last
    page.click("#sheet button[type=submit]")
    worker._answered(before, True)
    worker.place("platform", 45_200)
    worker.press("weigh_intake")
    worker.serial(CYLINDER)
    worker.place("cylinder", 8_000)
    worker.press("recovery_before")
    worker.place("cylinder", 8_040)  # 40 g of a 55 g charge: 72.7 %, below 90 %
    flagged = worker.press("recovery_after")
    assert [f["code"] for f in flagged["flags"]] == ["low_recovery"]
    flag = page.locator("#message-flags li[data-code='low_recovery']")
    expect(flag).to_have_text("回收 0.040 kg，铭牌充注量 0.055 kg，低于 90 %："
                              "已记录并标记；请检查回路是否泄漏或注明原因")
    assert flag.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 176, 0)"
    assert FLAG_HZ in worker.tones()
    shot(page, "flag-zh")


def test_offline_the_outbox_says_so_and_the_work_goes_on(browser, station_factory):  # noqa: F811
    port = free_port()
    seeded = station_factory()  # a local station first: it seeds the ledger
    seeded.close()
    # The console is up just long enough for the station to fetch the catalogue in force,
    # then nothing listens there any more.
    with console_on(seeded.instance, port):
        station = station_factory(console_url=f"http://127.0.0.1:{port}", folder="http")
        wait_for(lambda: station.ws.state()["catalogue"]["categories"], what="the catalogue")
    with serving(station.app) as url:
        page = open_page(browser, url)
        worker = Worker(page, station)
        worker.serial(BADGE)
        worker.serial("CN3301-2026-0000206")
        worker.choose("select_category", "crt_tv")
        worker.place("platform", 20_000)
        worker.press("weigh_intake")
        outbox = page.locator("#outbox")
        expect(outbox).to_have_attribute("data-online", "false")
        expect(page.locator("#outbox-link")).to_have_text("Offline")
        expect(page.locator("#outbox-pending")).to_have_text("Waiting to send 1")
        shot(page, "offline-en")


def test_no_refrigerant_with_a_reason_and_signing_out(browser, kiosk_url, station):  # noqa: F811
    page = open_page(browser, kiosk_url)
    worker = Worker(page, station)
    worker.wedge(BADGE)
    worker.wedge("CN3301-2026-0000207")
    worker.choose("select_category", "fridge")
    worker.place("platform", 38_000)
    worker.press("weigh_intake")

    page.click("#actions [data-action='refrigerant_absent']")
    page.fill("#sheet [name=note]", "pipe cut at collection")
    before = station.ws.last
    page.click("#sheet [data-choice='circuit_damaged']")
    worker._answered(before, True)
    assert "Circuit damaged" in worker.message()
    expect(page.locator(".step[data-step='refrigerant']")).to_have_attribute("data-done", "true")
    station.wait_delivered()
    absent = [e for e in ledger_entries(station)
              if e["event"]["type"] == "refrigerant.absent"]
    assert absent[-1]["event"]["data"] == {"reason": "circuit_damaged",
                                           "note": "pipe cut at collection"}

    # Put aside (asked first), then taken up again by scanning its label.
    page.click("#actions [data-action='cancel']")
    expect(page.locator("#sheet-title")).to_have_text(
        "Put this unit aside? Scan its label to continue later.")
    before = station.ws.last
    page.click("#sheet button.danger")
    worker._answered(before, True)
    expect(page.locator("#unit")).to_be_hidden()
    worker.wedge("CN3301-2026-0000207")
    expect(page.locator(".step[data-step='refrigerant']")).to_have_attribute("data-done", "true")

    before = station.ws.last
    page.click("#operator [data-action='sign_out']")
    worker._answered(before, True)
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#operator")).to_be_hidden()
    assert station.ws.state()["operator"] is None


# -- the scales' states, the agent, a restarted agent -----------------------------------------

def test_each_scale_state_is_shown_in_words_and_colour(browser, kiosk_url, station):  # noqa: F811
    page = open_page(browser, kiosk_url, SMALL)
    worker = Worker(page, station)
    worker.serial(BADGE)
    platform = page.locator("#scales .scale").nth(0)
    cylinder = page.locator("#scales .scale").nth(1)
    sims = station.devices.scales

    worker.place("platform", 12_345)
    expect(platform.locator(".scale-status")).to_have_text("Stable")
    station.place("platform", 30_000, stable=False)
    expect(platform).to_have_attribute("data-status", "motion")
    expect(platform.locator(".scale-status")).to_have_text("Moving")
    sims["platform"].overload()
    expect(platform).to_have_attribute("data-status", "overload")
    expect(platform.locator(".scale-status")).to_have_text("Overload")
    expect(platform.locator(".scale-mass")).to_have_text("—")
    sims["cylinder"].unplug()
    expect(cylinder).to_have_attribute("data-status", "disconnected")
    expect(cylinder.locator(".scale-status")).to_have_text("Disconnected")
    colours = [card.locator(".scale-status").evaluate("e => getComputedStyle(e).backgroundColor")
               for card in (platform, cylinder)]
    assert colours == ["rgb(179, 0, 27)", "rgb(90, 90, 90)"]
    shot(page, "scales-en")
    sims["cylinder"].replug()
    expect(cylinder).not_to_have_attribute("data-status", "disconnected", timeout=10_000)


def test_the_page_says_when_the_agent_is_gone(browser, station):  # noqa: F811
    with serving(station.app) as url:
        page = open_page(browser, url)
        expect(page.locator("#agent-down")).to_be_hidden()
    expect(page.locator("#agent-down")).to_be_visible()


def test_a_restarted_agent_new_token_the_scan_still_goes_through(browser, kiosk_url,  # noqa: F811
                                                                 station):
    page = open_page(browser, kiosk_url)
    station.app.config["KIOSK_TOKEN"] = "the next process's token"
    Worker(page, station).wedge(BADGE)
    expect(page.locator("#operator-badge")).to_have_text(BADGE)


def test_a_very_long_scan_is_cut_with_an_ellipsis(browser, kiosk_url, station):  # noqa: F811
    """Issue 17, point 8: a 300-character barcode does not overflow the message box; the
    message shows its start and an ellipsis, its title carries it whole."""
    page = open_page(browser, kiosk_url, language="en")
    worker = Worker(page, station)
    worker.serial(BADGE)
    scan = "X" + "7" * 299
    station.devices.scanner.scan(scan)
    wait_for(lambda: (station.ws.last or {}).get("refusal") == "unknown_scan",
             what="the refusal of the long scan")
    text = page.locator("#message-text")
    expect(text).to_contain_text("…")
    shown = text.inner_text()
    assert scan not in shown and scan[:40] in shown and len(shown) < 200
    assert scan in (text.get_attribute("title") or "")
    for viewport in (LARGE, SMALL):
        page.set_viewport_size(viewport)
        box = page.locator("#message")
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the message overflows"
        shot(page, "long-scan")
    assert page.errors == []  # type: ignore[attr-defined]
