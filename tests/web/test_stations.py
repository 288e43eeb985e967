"""Stations and scales: the list, approving and revoking station keys, calibration checks."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

import web.stations as stations_area
from ledger import catalogue
from web import accounts
from web.context import engine, ledger

from .conftest import ARTIFACTS, PASSWORD, USERS

EN = {"Accept-Language": "en"}


def _key() -> str:
    return base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()


def _size(app) -> int:
    with app.app_context():
        return ledger().size()


def _station(app, station: str):
    with app.app_context(), engine().connect() as conn:
        return conn.execute(text("SELECT * FROM stations WHERE station = :s"),
                            {"s": station}).mappings().first()


def _last_event(app) -> dict:
    with app.app_context():
        return json.loads(ledger().entry(ledger().size() - 1))["event"]


def test_index_lists_stations_and_scales(sample_app, client_for):
    page = client_for("inspector").get("/stations/", headers=EN).get_data(as_text=True)
    for station in ("ST-01", "ST-02", "ST-03", "ST-09"):
        assert f"<strong>{station}</strong>" in page
    assert page.count(">Active<") == 3 and page.count(">Revoked<") == 1
    assert stations_area.fingerprint("30G8uI5+gGHjMkvTBml3E/+hwwR6XEWts2aSkULn2KE=") in page
    for scale in ("SC-1", "SC-2", "SC-3"):
        assert f"/stations/scales/{scale}" in page
    # The sample day's checks are from 2026-11-20: older than the default 24 hours.
    assert page.count("Check overdue") == 3
    assert "+20 g" in page and "100.020 kg" in page
    # Inspectors see no forms; admins and managers do.
    assert "Approve a station key" not in page and "Record a check" not in page
    admin = client_for("admin").get("/stations/", headers=EN).get_data(as_text=True)
    assert "Approve a station key" in admin and "/stations/ST-01/revoke" in admin
    assert "/stations/ST-09/revoke" not in admin  # revoked already
    manager = client_for("manager").get("/stations/", headers=EN).get_data(as_text=True)
    assert "Record a check" in manager and "Approve a station key" not in manager


def test_the_calibration_period_is_the_catalogues(sample_app, client_for, console_env):
    """A scale is overdue by the catalogue in force's calibration_period_h, the period the
    ledger flags weighings by; the console has no setting of its own any more."""
    console_env.setenv("DLEDGER_CALIBRATION_PERIOD_H", "a day")  # no longer read
    client = client_for("manager")
    page = client.get("/stations/", headers=EN).get_data(as_text=True)
    assert ">Calibrated<" not in page  # the sample day's morning checks, 24 h long past
    assert "within the last 24 hours" in page
    default = catalogue.load()
    longer = dataclasses.replace(default, tolerances=dataclasses.replace(
        default.tolerances, calibration_period_h=24 * 366))
    with sample_app.app_context():
        ledger().publish_catalogue(longer, "a year's calibration period", operator="A-0001")
    page = client.get("/stations/", headers=EN).get_data(as_text=True)
    assert page.count(">Calibrated<") == 3 and "within the last 8784 hours" in page
    scale = client.get("/stations/scales/SC-1", headers=EN).get_data(as_text=True)
    assert "within the last 8784 hours" in scale


def test_last_seen_comes_from_the_stations_read_model(sample_app, client_for):
    page = client_for("admin").get("/stations/", headers=EN).get_data(as_text=True)
    rows = {name: row for row in page.split("<tr")[1:]
            for name in ("ST-01", "ST-02", "ST-03", "ST-09") if name in row}
    assert "never" in rows["ST-09"]  # registered and revoked without ever speaking
    for name in ("ST-01", "ST-02", "ST-03"):  # they spoke on the sample day (Shanghai time)
        assert "never" not in rows[name] and "2026-11-20" in rows[name], name


def test_approve_a_station_key(sample_app, client_for, csrf_token):
    client = client_for("admin")
    assert client.get("/stations/new").status_code == 200
    key = _key()
    before = _size(sample_app)
    response = client.post("/stations/new", headers=EN, data={
        "csrf_token": csrf_token(client), "station": "ST-04", "name": "ST-04 intake 2",
        "public_key": key})
    assert response.status_code == 302 and response.headers["Location"] == "/stations/"
    assert _size(sample_app) == before + 1
    row = _station(sample_app, "ST-04")
    assert row["state"] == "active" and row["public_key"] == key
    assert row["registered_index"] == before
    event = _last_event(sample_app)
    assert event["type"] == "station.registered" and event["station"] == "PLANT"
    assert event["operator"] == USERS["admin"]
    assert event["data"] == {"public_key": key, "name": "ST-04 intake 2",
                             "approved_by": USERS["admin"]}
    page = client.get("/stations/", headers=EN).get_data(as_text=True)
    assert f"Station ST-04 approved: its key {stations_area.fingerprint(key)} is registered at " \
           f"entry {before}." in page


def test_a_revoked_station_gets_a_new_key(sample_app, client_for, csrf_token):
    client = client_for("admin")
    response = client.post("/stations/new", data={
        "csrf_token": csrf_token(client), "station": "ST-09", "name": "ST-09 back in use",
        "public_key": _key()})
    assert response.status_code == 302
    assert _station(sample_app, "ST-09")["state"] == "active"


@pytest.mark.parametrize(("field", "value", "words"), [
    ("station", "ST 04", "Station id 'ST 04': use 1 to 32 letters"),
    ("station", "PLANT", "PLANT is reserved"),
    # entry 0 is the catalogue, so the sample's first entry (ST-01's registration) is entry 1
    ("station", "ST-01", "Station ST-01 is already registered and active (entry 4)"),
    ("public_key", "not a key", "Public key 'not a key' is not a base64 Ed25519 public key"),
    ("public_key", base64.b64encode(bytes(31)).decode(), "is not a base64 Ed25519 public key"),
    ("public_key", "", "Public key '' is not"),
    ("name", "", "Give the station a name"),
])
def test_approval_refusals_append_nothing(sample_app, client_for, csrf_token, field, value,
                                          words):
    client = client_for("admin")
    data = {"csrf_token": csrf_token(client), "station": "ST-05", "name": "ST-05 bench",
            "public_key": _key(), field: value}
    before = _size(sample_app)
    response = client.post("/stations/new", data=data, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert words.replace("'", "&#39;") in page
    assert 'aria-invalid="true"' in page
    assert _size(sample_app) == before and _station(sample_app, "ST-05") is None


def test_an_approver_name_the_ledger_cannot_hold_is_refused(sample_app, client_for,
                                                             csrf_token):
    with sample_app.app_context():
        accounts.create_user(engine(), "ana@plant", "admin", PASSWORD)
    client = sample_app.test_client()
    client.post("/login", data={"csrf_token": csrf_token(client), "name": "ana@plant",
                                "password": PASSWORD})
    before = _size(sample_app)
    response = client.post("/stations/new", headers=EN, data={
        "csrf_token": csrf_token(client), "station": "ST-05", "name": "bench",
        "public_key": _key()})
    assert response.status_code == 422
    assert "Your user name ana@plant cannot be recorded" in response.get_data(as_text=True)
    assert _size(sample_app) == before


def test_revoke_a_station(sample_app, client_for, csrf_token):
    client = client_for("admin")
    page = client.get("/stations/ST-01/revoke", headers=EN).get_data(as_text=True)
    assert "Revoke station ST-01" in page
    before = _size(sample_app)
    refused = client.post("/stations/ST-01/revoke", headers=EN,
                          data={"csrf_token": csrf_token(client), "reason": "  "})
    assert refused.status_code == 422
    assert "Say why the key is revoked" in refused.get_data(as_text=True)
    assert _size(sample_app) == before and _station(sample_app, "ST-01")["state"] == "active"
    done = client.post("/stations/ST-01/revoke", data={"csrf_token": csrf_token(client),
                                                       "reason": "tablet lost"})
    assert done.status_code == 302
    assert _station(sample_app, "ST-01")["state"] == "revoked"
    event = _last_event(sample_app)
    assert event["type"] == "station.revoked" and event["subject"] == "station:ST-01"
    assert event["data"] == {"reason": "tablet lost", "approved_by": USERS["admin"]}
    # Revoking again, or a station that never was: nothing to do, nothing appended.
    for station in ("ST-01", "ST-77"):
        again = client.post(f"/stations/{station}/revoke", headers=EN, follow_redirects=True,
                            data={"csrf_token": csrf_token(client), "reason": "again"})
        assert f"Station {station} is not registered and active" in again.get_data(as_text=True)
    assert _size(sample_app) == before + 1


def test_record_a_passing_calibration_check(sample_app, client_for, csrf_token):
    client = client_for("manager")
    form = client.get("/stations/calibrations/new?scale=SC-2", headers=EN).get_data(as_text=True)
    assert 'name="scale" type="text" value="SC-2"' in form
    before = _size(sample_app)
    response = client.post("/stations/calibrations/new", headers=EN, data={
        "csrf_token": csrf_token(client), "scale": "SC-2", "reference_g": "20000",
        "reading_g": " 20004 ", "tolerance_g": "5", "reference_certificate": "ZJ-JL-2026-F0418"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/stations/scales/SC-2"
    event = _last_event(sample_app)
    assert event["type"] == "scale.calibrated" and event["subject"] == "scale:SC-2"
    assert event["operator"] == USERS["manager"] and event["station"] == "PLANT"
    assert event["data"] == {"reference_g": 20000, "reading_g": 20004, "tolerance_g": 5,
                             "passed": True, "reference_certificate": "ZJ-JL-2026-F0418"}
    page = client.get("/stations/scales/SC-2", headers=EN).get_data(as_text=True)
    assert f"Calibration check of SC-2 recorded at entry {before}: passed." in page
    assert ">Calibrated<" in page and "+4 g" in page and "W-0023" in page
    index = client.get("/stations/", headers=EN).get_data(as_text=True)
    assert index.count("Check overdue") == 2 and index.count(">Calibrated<") == 1


def test_a_failed_check_is_recorded_and_shown(sample_app, client_for, csrf_token):
    client = client_for("admin")
    response = client.post("/stations/calibrations/new", headers=EN, follow_redirects=True,
                           data={"csrf_token": csrf_token(client), "scale": "SC-NEW",
                                 "reference_g": "20000", "reading_g": "20011",
                                 "tolerance_g": "10"})
    page = response.get_data(as_text=True)
    assert "FAILED, the reading is outside the tolerance" in page
    assert "Last check failed" in page
    assert _last_event(sample_app)["data"]["passed"] is False
    assert "/stations/scales/SC-NEW" in client.get("/stations/").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "words"), [
    ("reference_g", "20.5", "Reference mass '20.5': enter whole grams from 1 to 1,000,000,000"),
    ("reference_g", "0", "Reference mass '0': enter whole grams from 1"),
    ("reading_g", "-3", "Reading '-3': enter whole grams from 0"),
    ("reading_g", "", "Reading '': enter whole grams"),
    ("tolerance_g", "5 g", "Tolerance '5 g': enter whole grams"),
    ("tolerance_g", "99999999999", "Tolerance '99999999999'"),
    ("scale", "SC 1", "Scale id 'SC 1': use the id on the scale"),
    ("reference_certificate", "x" * 501, "longer than 500 characters"),
])
def test_calibration_refusals_append_nothing(sample_app, client_for, csrf_token, field, value,
                                             words):
    client = client_for("manager")
    data = {"csrf_token": csrf_token(client), "scale": "SC-1", "reference_g": "20000",
            "reading_g": "20000", "tolerance_g": "5", field: value}
    before = _size(sample_app)
    response = client.post("/stations/calibrations/new", data=data, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert words.replace("'", "&#39;") in page
    assert _size(sample_app) == before


def test_scale_page_of_an_unknown_scale(sample_app, client_for):
    page = client_for("inspector").get("/stations/scales/SC-404", headers=EN)
    assert page.status_code == 200
    assert "The ledger holds no calibration check of scale SC-404." in page.get_data(as_text=True)


def test_pages_in_chinese(sample_app, client_for):
    page = client_for("admin").get("/stations/").get_data(as_text=True)
    assert "工位和秤" in page and "核查逾期" in page and "批准工位密钥" in page


def test_screenshots(sample_url, browser):
    for locale, lang, title in (("zh-CN", "zh", "工位和秤"),
                                ("en-US", "en", "Stations and scales")):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{sample_url}/login?next=/stations/")
        page.fill("#name", USERS["admin"])
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{sample_url}/stations/")
        assert page.locator("h1").inner_text() == title
        page.screenshot(path=str(ARTIFACTS / f"console-stations-{lang}.png"), full_page=True)
        context.close()
