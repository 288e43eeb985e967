"""Recovery cylinders: the list, registering one, refusals, roles, zh-CN, and a station using a
cylinder registered here.

Real parts: the console on SQLite with the sample day (CYL-0007 etc. registered, recoveries
into them), and for the end-to-end check the station of tests/station/conftest.py (simulated
scanner and scales on PTYs) on the same instance as a console app.
"""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import text

from ledger import catalogue
from tests.station.conftest import Station, devices, station_factory  # noqa: F401  fixtures
from tests.station.test_rules import FRIDGE, receive, recover
from web import accounts
from web.app import create_app
from web.auth import User
from web.context import engine, ledger

from .conftest import ARTIFACTS, PASSWORD, USERS

EN = {"Accept-Language": "en"}
FORM = {"cylinder": "CYL-0099", "refrigerant": "R-600a", "tare_kg": "7.72",
        "water_capacity_kg": "21.6"}


def _size(app: Flask) -> int:
    with app.app_context():
        return ledger().size()


def _last_entry(app: Flask) -> tuple[int, dict]:
    with app.app_context():
        index = ledger().size() - 1
        return index, json.loads(ledger().entry(index))["event"]


def test_register_a_cylinder(sample_app, client_for, csrf_token):
    client = client_for("admin")
    before = _size(sample_app)
    # First the maximum gross is worked out and shown; nothing is written yet.
    preview = client.post("/stations/cylinders/new", headers=EN,
                          data={"csrf_token": csrf_token(client), **FORM})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and _size(sample_app) == before
    assert "Maximum gross (Guideline K): 17.241 kg" in page
    assert "= 7.720 kg + 0.8 × 21.600 kg × 0.551" in page
    assert 'name="confirm_max_gross_g" value="17241"' in page
    response = client.post("/stations/cylinders/new", headers=EN, data={
        "csrf_token": csrf_token(client), **FORM, "confirm_max_gross_g": "17241"})
    assert response.status_code == 302 and response.location.endswith("/stations/cylinders/")
    assert _size(sample_app) == before + 1
    index, event = _last_entry(sample_app)
    assert (event["type"], event["subject"], event["station"], event["operator"]) == (
        "cylinder.registered", "cylinder:CYL-0099", "PLANT", USERS["admin"])
    expected = catalogue.guideline_k_max_gross_g("R-600a", 21_600, 7_720, catalogue.load())
    assert expected == 17_241  # as the sample day's CYL-0007, same cylinder type
    assert event["data"] == {"refrigerant": "R-600a", "tare_g": 7_720,
                             "water_capacity_g": 21_600, "max_gross_g": expected}
    page = client.get("/stations/cylinders/", headers=EN).get_data(as_text=True)
    assert f"Cylinder CYL-0099 registered at entry {index} for R-600a" in page
    assert "maximum gross (Guideline K) 17.241 kg" in page
    row = next(r for r in page.split("<tr")[1:] if "CYL-0099" in r)
    assert "7.720 kg" in row and "21.600 kg" in row and "17.241 kg" in row
    assert "no recovery yet" in row


def test_a_manager_registers_too(sample_app, client_for, csrf_token):
    client = client_for("manager")
    response = client.post("/stations/cylinders/new", headers=EN, data={
        "csrf_token": csrf_token(client), "cylinder": "cyl-12345678", "refrigerant": "R-134a",
        "tare_kg": "10", "water_capacity_kg": "26.200", "confirm_max_gross_g": "35277"})
    assert response.status_code == 302
    _, event = _last_entry(sample_app)
    assert event["subject"] == "cylinder:CYL-12345678"  # typed in lower case, label is upper
    assert event["data"]["max_gross_g"] == 10_000 + int(0.8 * 26_200 * 1.206) == 35_277


def test_the_list_shows_the_sample_cylinders_and_their_last_gross(sample_app, client_for):
    page = client_for("inspector").get("/stations/cylinders/", headers=EN).get_data(as_text=True)
    rows = {r.split("<strong>")[1].split("<")[0]: r for r in page.split("<tr")[2:]}
    assert {"CYL-0003", "CYL-0007", "CYL-0011"} <= set(rows)
    assert "R-600a" in rows["CYL-0007"] and "17.241 kg" in rows["CYL-0007"]
    with sample_app.app_context(), engine().connect() as conn:
        idx = conn.execute(text("SELECT MAX(idx) FROM refrigerant_recoveries "
                                "WHERE cylinder = 'CYL-0007'")).scalar_one()
    after = json.loads(ledger_entry(sample_app, idx))["event"]["data"]["cylinder_gross_after_g"]
    assert f"{after / 1000:,.3f} kg" in rows["CYL-0007"]
    assert "Register a cylinder" not in page  # inspectors only read
    stations = client_for("inspector").get("/stations/", headers=EN).get_data(as_text=True)
    assert "/stations/cylinders/" in stations  # reachable from the stations page


def ledger_entry(app: Flask, index: int) -> bytes:
    with app.app_context():
        return ledger().entry(index)


def test_a_confirmation_of_other_figures_is_previewed_again(sample_app, client_for,
                                                            csrf_token):
    """Values edited after the preview give another maximum gross: shown, not written."""
    client = client_for("admin")
    before = _size(sample_app)
    response = client.post("/stations/cylinders/new", headers=EN, data={
        "csrf_token": csrf_token(client), **FORM, "water_capacity_kg": "26.2",
        "confirm_max_gross_g": "17241"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _size(sample_app) == before
    assert 'name="confirm_max_gross_g" value="19268"' in page  # 7720 + 0.8 × 26200 × 0.551


@pytest.mark.parametrize("field, value, words", [
    ("cylinder", "CYL-0007", ["CYL-0007 is already registered", "R-600a", "new label"]),
    ("cylinder", "CYL-ABC", ["'CYL-ABC'", "CYL- followed by 1 to 8 digits"]),
    ("cylinder", "CYL-123456789", ["'CYL-123456789'", "CYL-0007"]),
    ("cylinder", "", ["''", "cylinder's label"]),
    ("refrigerant", "R-999", ["'R-999'", "process catalogue", "R-600a"]),
    ("refrigerant", "", ["''", "choose one of"]),
    ("tare_kg", "7,72", ["Tare '7,72'", "7.720"]),
    ("tare_kg", "0", ["Tare '0'", "above 0"]),
    ("tare_kg", "7.7201", ["Tare '7.7201'", "3 decimals"]),
    ("water_capacity_kg", "-21.6", ["Water capacity '-21.6'"]),
    ("water_capacity_kg", "21.6 kg", ["Water capacity '21.6 kg'", "no unit"]),
    ("water_capacity_kg", "9000", ["Water capacity '9000'", "at most 5000"]),
])
def test_refusals_append_nothing(sample_app, client_for, csrf_token, field, value, words):
    client = client_for("admin")
    before = _size(sample_app)
    response = client.post("/stations/cylinders/new", headers=EN,
                           data={"csrf_token": csrf_token(client), **FORM, field: value,
                                 "confirm_max_gross_g": "17241"})
    assert response.status_code == 422
    page = response.get_data(as_text=True).replace("&#39;", "'")
    for word in words:
        assert word in page, word
    assert f'id="{field}-error"' in page
    assert _size(sample_app) == before


def test_without_csrf_nothing_is_appended(sample_app, client_for):
    before = _size(sample_app)
    response = client_for("admin").post("/stations/cylinders/new",
                                        data={**FORM, "confirm_max_gross_g": "17241"})
    assert response.status_code == 400 and _size(sample_app) == before


@pytest.mark.parametrize("role", ["worker", "inspector"])
def test_workers_and_inspectors_cannot_register(sample_app, client_for, csrf_token, role):
    client = client_for(role)
    before = _size(sample_app)
    assert client.get("/stations/cylinders/new").status_code == 403
    assert client.post("/stations/cylinders/new", data={
        "csrf_token": csrf_token(client), **FORM, "confirm_max_gross_g": "17241"}
    ).status_code == 403
    assert _size(sample_app) == before
    assert client.get("/stations/cylinders/").status_code == (403 if role == "worker" else 200)


def test_pages_in_chinese(sample_app, client_for, csrf_token):
    client = client_for("admin")
    page = client.get("/stations/cylinders/").get_data(as_text=True)
    assert "回收钢瓶" in page and "登记钢瓶" in page and "最大总重" in page
    form = client.get("/stations/cylinders/new").get_data(as_text=True)
    assert "皮重 (kg)" in form and "水容积 (kg)" in form and "计算最大总重" in form
    preview = client.post("/stations/cylinders/new", data={"csrf_token": csrf_token(client),
                                                           **FORM}).get_data(as_text=True)
    assert "R-600a 的比重" in preview and "记录一经写入便不能删除" in preview
    refused = client.post("/stations/cylinders/new", data={
        "csrf_token": csrf_token(client), **FORM, "cylinder": "CYL-0007"})
    assert "钢瓶 CYL-0007 已登记" in refused.get_data(as_text=True)
    stations = client.get("/stations/").get_data(as_text=True)
    assert "回收钢瓶" in stations


def test_screenshot(sample_app, browser):
    from .conftest import serving

    with serving(sample_app) as url:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{url}/login?next=/stations/cylinders/new")
        page.fill("#name", USERS["admin"])
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{url}/stations/cylinders/new")
        page.fill("#cylinder", "CYL-0099")
        page.select_option("#refrigerant", "R-600a")
        page.fill("#tare_kg", "7.72")
        page.fill("#water_capacity_kg", "21.6")
        page.click("button.primary")  # work out the maximum gross
        assert "17.241 kg" in page.locator("#preview").inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-cylinder-preview-zh.png"), full_page=True)
        page.click("button.primary")  # register
        page.wait_for_url(f"{url}/stations/cylinders/")
        assert "CYL-0099" in page.locator("table").inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-cylinders-zh.png"), full_page=True)
        context.close()


def test_a_station_recovers_into_a_cylinder_registered_here(station_factory):  # noqa: F811
    station: Station = station_factory()
    console = create_app(station.instance, {"TESTING": True})
    with console.app_context():
        accounts.create_user(engine(), "admin-1", "admin", PASSWORD)
        account = accounts.get_user(engine(), "admin-1")
    client = console.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = User(account).get_id()
        sess["_fresh"] = True
    form = client.get("/stations/cylinders/new", headers=EN).get_data(as_text=True)
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/stations/cylinders/new", headers=EN, data={
        "csrf_token": token, **FORM, "cylinder": "CYL-0100", "confirm_max_gross_g": "17241"})
    assert response.status_code == 302
    receive(station, FRIDGE)  # nameplate R-600a, 55 g
    outcome = recover(station, before_g=8_000, recovered_g=53, cylinder="CYL-0100")
    assert outcome["ok"], outcome
    station.wait_delivered()
    recovered = [e for e in station.entries(f"unit:{FRIDGE}")
                 if e["type"] == "refrigerant.recovered"]
    assert [e["data"]["cylinder"] for e in recovered] == ["CYL-0100"]
    page = client.get("/stations/cylinders/", headers=EN).get_data(as_text=True)
    row = next(r for r in page.split("<tr")[1:] if "CYL-0100" in r)
    assert "8.053 kg" in row  # the gross after that recovery
