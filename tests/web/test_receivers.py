"""The register of receivers on the console (issue 16): the sample day's two receivers
listed with their licences, registering one (its credit code checked, a licence's dates
turned into the plant's midnights), a change recorded as an update, and what is refused."""

from __future__ import annotations

import html
import json

from flask import Flask

from web.context import ledger

from .conftest import USERS

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
GLASS = "91330106MA27RC0M75"
NEW = "91350100M000100Y43"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def last_event(app: Flask) -> dict:
    with app.app_context():
        return json.loads(ledger().entry(ledger().size() - 1))["event"]


def size(app: Flask) -> int:
    with app.app_context():
        return ledger().size()


def form(csrf: str, **change: object) -> dict[str, object]:
    return {"csrf_token": csrf, "code": NEW, "legal_name": "福建示例电路板处置有限公司",
            "licence_no": "闽危废经第3501号", "fractions": ["pcb", "capacitor"],
            "hw_codes": "HW49 900-045-49\n", "valid_from": "2026-01-01",
            "valid_until": "2028-12-31", "address": "福州市示例路 1 号", **change}


def test_the_register_lists_the_sample_days_receivers(sample_app, client_for) -> None:
    page = text(client_for("inspector").get("/lots/receivers/", headers=EN))
    assert "浙江示例含铅玻璃处置有限公司" in page and GLASS in page
    assert "浙危废经第3301990042号 (sample)" in page
    assert "2024-01-01 – 2028-12-31" in page  # the licence's days in the plant's zone
    assert "Register a receiver" not in page  # an inspector reads only
    assert "接收单位" in text(client_for("manager").get("/lots/receivers/", headers=ZH))
    one = text(client_for("inspector").get(f"/lots/receivers/{GLASS}", headers=EN))
    assert 'value="2028-12-31"' in one and "CRT funnel glass" in one


def test_a_manager_registers_a_receiver_then_records_a_change(sample_app, client_for,
                                                             csrf_token) -> None:
    client = client_for("manager")
    before = size(sample_app)
    bad = client.post("/lots/receivers/new", headers=EN,
                      data=form(csrf_token(client), code=NEW[:-1] + "4"))
    assert bad.status_code == 422 and "fails its check character" in text(bad)
    again = client.post("/lots/receivers/new", headers=EN,
                        data=form(csrf_token(client), code=GLASS))
    assert again.status_code == 422 and "already registered" in text(again)
    none = client.post("/lots/receivers/new", headers=EN,
                       data=form(csrf_token(client), fractions=[]))
    assert none.status_code == 422 and "Tick every fraction" in text(none)
    assert size(sample_app) == before
    done = client.post("/lots/receivers/new", headers=EN, data=form(csrf_token(client)))
    assert done.status_code == 302 and done.headers["Location"] == f"/lots/receivers/{NEW}"
    event = last_event(sample_app)
    assert (event["type"], event["subject"], event["operator"]) == (
        "receiver.registered", f"receiver:{NEW}", USERS["manager"])
    assert event["data"] == {
        "legal_name": "福建示例电路板处置有限公司", "licence_no": "闽危废经第3501号",
        "fractions": ["pcb", "capacitor"], "hw_codes": ["HW49 900-045-49"],
        "valid_from": "2025-12-31T16:00:00.000Z", "valid_until": "2028-12-31T16:00:00.000Z",
        "address": "福州市示例路 1 号"}
    changed = client.post(f"/lots/receivers/{NEW}", headers=EN,
                          data=form(csrf_token(client), valid_until="2029-06-30"))
    assert changed.status_code == 302
    event = last_event(sample_app)
    assert event["type"] == "receiver.updated"
    assert event["data"]["valid_until"] == "2029-06-30T16:00:00.000Z"
    inspector = client_for("inspector")
    assert inspector.post(f"/lots/receivers/{NEW}",
                          data=form(csrf_token(inspector))).status_code == 403
