"""Lots pages on the sample day: the list and its awaiting-manifest count, a lot's contents
against the JSONL, shipping a sealed lot and confirming its receipt, refusals that show their
message and append nothing, and 404s."""

from __future__ import annotations

import html
import json
import re
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from ledger.events import PLANT_STATION, parse_event, utc_now_ms
from ledger.log import Submission
from web import lots as lots_area
from web.context import ledger

from .conftest import REPO, USERS

EN = {"Accept-Language": "en"}
STEEL = "LOT-20261120-STEEL"  # shipped (not hazardous)
FUNNEL = "LOT-20261120-CRTFUNNEL"  # hazardous, shipped and received
PCB = "LOT-20261120-PCB"  # hazardous, open
STEEL_RECEIVER = "91330101MA2H1P7T1N"  # the sample's: steel, copper, cables...
GLASS_RECEIVER = "91330106MA27RC0M75"  # the sample's: CRT glass only
PCB_RECEIVER = "91350100M000100Y43"  # registered by the tests that need it
FIRST = 1  # the sample's first event is entry 1: entry 0 publishes the catalogue


def sample() -> list[dict[str, Any]]:
    lines = (REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    return [(obj.get("event") or obj) for obj in map(json.loads, lines)]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plant(app: Flask, lot: str, etype: str, data: dict[str, Any]) -> None:
    with app.app_context():
        ledger().append([Submission(parse_event({
            "id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
            "station": PLANT_STATION, "operator": "M-0001", "subject": f"lot:{lot}",
            "data": data}))])


def register_pcb_receiver(app: Flask) -> None:
    with app.app_context():
        ledger().append([Submission(parse_event({
            "id": str(uuid.uuid4()), "type": "receiver.registered", "time": utc_now_ms(),
            "station": PLANT_STATION, "operator": "M-0001",
            "subject": f"receiver:{PCB_RECEIVER}",
            "data": {"legal_name": "Sample PCB Treatment Co.", "licence_no": "ZJ-HW-0001",
                     "fractions": ["pcb"], "hw_codes": ["HW49 900-045-49"],
                     "valid_from": "2025-12-31T16:00:00.000Z",
                     "valid_until": "2099-12-31T16:00:00.000Z", "address": "Hangzhou"}}))])


def size(app: Flask) -> int:
    with app.app_context():
        return ledger().size()


def last_event(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return json.loads(ledger().entry(ledger().size() - 1))["event"]


def test_lot_contents_sum_and_link_their_units(sample_app, client_for):
    events = sample()
    mine = [(i, e) for i, e in enumerate(events, FIRST) if e["type"] in (
        "material.output", "component.removed") and e["data"].get("lot") == PCB]
    total = sum(e["data"].get("mass_g") or 0 for _, e in mine)
    page = text(client_for("inspector").get(f"/lots/{PCB}", headers=EN))
    contents = page.split('id="contents"')[1].split("</table>")[0]
    assert f'id="contents-total">{total / 1000:,.3f} kg' in contents
    assert f'id="fig-contents">{total / 1000:,.3f} kg' in page
    rows = re.findall(r'<td class="num">(\d+)</td>\s*<td class="ul-nowrap"><a class="ul-mono" '
                      r'href="/units/([^"#]+)#entry-\d+">', contents)
    assert [(int(i), label) for i, label in rows] == [(i, e["subject"][5:]) for i, e in mine]
    assert f"{len(mine)} outputs from {len({e['subject'] for _, e in mine})} units" in page


def test_corrected_output_counts_with_its_corrected_mass_in_the_lot(sample_app, client_for):
    events = sample()
    copper = [(i, e) for i, e in enumerate(events, FIRST) if e["type"] == "material.output"
              and e["data"]["lot"] == "LOT-20261120-COPPER"]
    fix = next(e for e in events if e["type"] == "correction")
    total = sum(fix["data"]["set"]["mass_g"] if i == fix["data"]["corrects"]
                else e["data"]["mass_g"] for i, e in copper)
    page = text(client_for("manager").get("/lots/LOT-20261120-COPPER", headers=EN))
    assert f'id="contents-total">{total / 1000:,.3f} kg' in page


def test_lots_list_counts_hazardous_lots_awaiting_their_manifest(sample_app, client_for):
    client = client_for("manager")
    page = text(client.get("/lots/", headers=EN))
    assert 'id="count-awaiting">0' in page and 'id="awaiting"' not in page
    assert "disposed of · manifest returned" in page.split(f'id="lot-{FUNNEL}"')[1]
    # seal and ship a hazardous lot: now it is awaiting its manifest, prominently
    plant(sample_app, PCB, "lot.sealed", {"net_g": 20_000})
    register_pcb_receiver(sample_app)
    plant(sample_app, PCB, "lot.shipped", {"receiver_code": PCB_RECEIVER,
                                          "manifest_no": "2026330100049999"})
    page = text(client.get("/lots/", headers=EN))
    assert 'id="count-awaiting">1' in page
    assert "1 hazardous lots awaiting their manifest" in page
    assert "shipped · awaiting manifest" in page.split(f'id="lot-{PCB}"')[1].split("</tr>")[0]
    only = text(client.get("/lots/", query_string={"state": "awaiting"}, headers=EN))
    assert re.findall(r'<tr id="lot-([^"]+)"', only) == [PCB]
    lot_page = text(client.get(f"/lots/{PCB}", headers=EN))
    assert "Awaiting the transfer manifest" in lot_page and "2026330100049999" in lot_page


def test_ship_a_sealed_lot_then_confirm_its_receipt(sample_app, client_for, csrf_token):
    lot = "LOT-20261120-CABLES"
    plant(sample_app, lot, "lot.sealed", {"net_g": 31_250})
    client = client_for("manager")
    form = text(client.get(f"/lots/{lot}", headers=EN))
    assert "Record the shipment" in form and "Confirm the receipt" not in form
    assert f'<option value="{STEEL_RECEIVER}">' in form  # chosen from the register
    response = client.post(f"/lots/{lot}/ship", headers=EN, data={
        "csrf_token": csrf_token(client), "receiver_code": STEEL_RECEIVER,
        "manifest_no": " DN-CN3301-20261120-07 ", "vehicle": "浙A·12345"})
    assert response.status_code == 302 and response.headers["Location"] == f"/lots/{lot}"
    shipped = last_event(sample_app)
    assert shipped["type"] == "lot.shipped" and shipped["operator"] == USERS["manager"]
    assert shipped["station"] == PLANT_STATION and shipped["subject"] == f"lot:{lot}"
    assert shipped["data"] == {"receiver_code": STEEL_RECEIVER,
                               "manifest_no": "DN-CN3301-20261120-07", "vehicle": "浙A·12345"}
    page = text(client.get(f"/lots/{lot}", headers=EN))
    assert "is recorded as shipped to 杭州示例钢铁回收有限公司" in page  # the flash
    assert "Confirm the receipt" in page and "Record the shipment" not in page
    assert "浙再生备3301000127 (sample)" in page  # the register's licence, shown

    response = client.post(f"/lots/{lot}/receive", headers=EN, data={
        "csrf_token": csrf_token(client), "manifest_no": "DN-CN3301-20261120-07",
        "received_kg": "31.1"})
    assert response.status_code == 302
    received = last_event(sample_app)
    assert received["type"] == "lot.received" and received["operator"] == USERS["manager"]
    assert received["data"] == {"receiver_code": STEEL_RECEIVER,
                                "manifest_no": "DN-CN3301-20261120-07", "received_g": 31_100}
    page = text(client.get(f"/lots/{lot}", headers=EN))
    assert "Receipt of lot" in page and 'id="fig-received">31.100 kg' in page
    assert "-0.150 kg against the net weight" in page

    # its sales voucher: the amount must be price × quantity; the counterparty is the receiver
    voucher = {"csrf_token": csrf_token(client), "kind": "sale", "voucher_no": "INV-07",
               "quantity_kg": "31.1", "price_per_t": "2650.5", "amount": "82.00",
               "currency": "CNY"}
    before = size(sample_app)
    response = client.post(f"/lots/{lot}/voucher", headers=EN, data=voucher)
    assert response.status_code == 422 and "is not the price × the quantity, 82.43" in \
        text(response)
    assert size(sample_app) == before
    response = client.post(f"/lots/{lot}/voucher", headers=EN, data={**voucher,
                                                                     "amount": "82.43"})
    assert response.status_code == 302
    assert last_event(sample_app)["data"] == {
        "kind": "sale", "voucher_no": "INV-07", "counterparty": STEEL_RECEIVER,
        "quantity_g": 31_100, "price_per_t": "2650.5", "amount": "82.43", "currency": "CNY"}
    page = text(client.get(f"/lots/{lot}", headers=EN))
    assert 'id="vouchers"' in page and "82.43 CNY" in page


def test_wrong_manifest_on_receipt_is_refused_and_nothing_appended(sample_app, client_for,
                                                                    csrf_token):
    client = client_for("admin")
    before = size(sample_app)
    response = client.post(f"/lots/{STEEL}/receive", headers=EN, data={
        "csrf_token": csrf_token(client), "manifest_no": "DN-CN3301-20261120-99",
        "received_kg": "500.1"})
    assert response.status_code == 422
    page = text(response)
    assert (f"Manifest number “DN-CN3301-20261120-99” is not the one lot {STEEL} was shipped "
            "with") in page
    assert 'value="DN-CN3301-20261120-99"' in page and 'value="500.1"' in page
    assert size(sample_app) == before


@pytest.mark.parametrize(("kg", "message"), [
    ("", "Enter the weight the receiver recorded"),
    ("12,5", "Received weight “12,5” is not a weight in kilograms"),
    ("-1", "Received weight “-1” is not a weight in kilograms"),
    ("1.0005", "has more than three decimals"),
    ("NaN", "Received weight “NaN” is not a weight in kilograms"),
])
def test_receipt_weight_is_checked(sample_app, client_for, csrf_token, kg, message):
    client = client_for("manager")
    before = size(sample_app)
    response = client.post(f"/lots/{STEEL}/receive", headers=EN, data={
        "csrf_token": csrf_token(client), "manifest_no": "DN-CN3301-20261120-01",
        "received_kg": kg})
    assert response.status_code == 422 and message in text(response)
    assert size(sample_app) == before


def test_shipping_an_open_lot_is_refused_and_nothing_appended(sample_app, client_for,
                                                             csrf_token):
    client = client_for("manager")
    before = size(sample_app)
    response = client.post(f"/lots/{PCB}/ship", headers=EN, data={
        "csrf_token": csrf_token(client), "receiver": "X", "manifest_no": "M-1",
        "receiver_licence": "L-1"})
    assert response.status_code == 409
    assert f"Lot {PCB} is open: only a sealed lot can be shipped." in text(response)
    assert size(sample_app) == before


def test_ship_form_problems_name_the_value(sample_app, client_for, csrf_token):
    plant(sample_app, PCB, "lot.sealed", {"net_g": 20_000})
    client = client_for("manager")
    before = size(sample_app)
    response = client.post(f"/lots/{PCB}/ship", headers=EN, data={
        "csrf_token": csrf_token(client), "receiver_code": "", "manifest_no": "NO 12"})
    assert response.status_code == 422
    page = text(response)
    assert "Choose the receiver from the register." in page
    assert "Manifest number “NO 12” cannot be recorded" in page
    assert size(sample_app) == before
    # the licence is the ledger's rule (the form keeps no copy of it): its refusal is shown,
    # naming the receiver, the lot's fraction and what the licence covers
    response = client.post(f"/lots/{PCB}/ship", headers=EN, data={
        "csrf_token": csrf_token(client), "receiver_code": GLASS_RECEIVER,
        "manifest_no": "M-2"})
    assert response.status_code == 409
    page = text(response)
    assert "under rule “Licence does not cover the fraction”, and nothing was recorded" in page
    assert f"Lot {PCB} is pcb, which receiver 浙江示例含铅玻璃处置有限公司" in page
    assert "covers crt_funnel_glass, crt_panel_glass" in page
    assert size(sample_app) == before


def test_the_ledgers_refusal_is_shown_and_nothing_appended(sample_app, client_for, csrf_token,
                                                          monkeypatch):
    """The lot changed between the form's check and the append: the ledger refuses."""
    client = client_for("manager")
    real = lots_area._lot_row
    monkeypatch.setattr(lots_area, "_lot_row",
                        lambda lot: SimpleNamespace(**{**real(lot)._asdict(), "state": "sealed"}))
    before = size(sample_app)
    response = client.post(f"/lots/{STEEL}/ship", headers=EN, data={
        "csrf_token": csrf_token(client), "receiver_code": STEEL_RECEIVER,
        "manifest_no": "M-2"})
    assert response.status_code == 409
    assert ("The ledger refused this under rule “Lot in the wrong state”, and nothing was "
            "recorded: Lot LOT-20261120-STEEL is shipped; lot.shipped needs it sealed"
            ) in text(response)
    assert size(sample_app) == before


def test_forms_need_a_csrf_token_and_a_writer(sample_app, client_for, csrf_token):
    client = client_for("manager")
    assert client.post(f"/lots/{STEEL}/receive", data={}).status_code == 400
    inspector = client_for("inspector")
    assert "Confirm the receipt" not in text(inspector.get(f"/lots/{STEEL}", headers=EN))
    assert inspector.post(f"/lots/{STEEL}/receive",
                          data={"csrf_token": csrf_token(inspector)}).status_code == 403


def test_unknown_lot_is_404(sample_app, client_for, csrf_token):
    client = client_for("manager")
    response = client.get("/lots/LOT-NOPE", headers=EN)
    assert response.status_code == 404 and "There is no such page" in text(response)
    assert client.post("/lots/LOT-NOPE/ship",
                       data={"csrf_token": csrf_token(client)}).status_code == 404


@pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
def test_lot_timeline_and_proof(sample_app, client_for):
    indexes = [i for i, e in enumerate(sample(), FIRST) if e["subject"] == f"lot:{FUNNEL}"]
    client = client_for("inspector")
    page = text(client.get(f"/lots/{FUNNEL}", query_string={"proof": indexes[-1]}))
    assert [int(i) for i in re.findall(r'<tr id="entry-(\d+)"', page)] == indexes
    with sample_app.app_context():
        hashes = ledger().leaf_hashes(indexes)
    for index in indexes:
        assert f'title="{hashes[index].hex()}"' in page
    assert f"c2sp.org/tlog-proof@v1\nindex {indexes[-1]}\n" in page
