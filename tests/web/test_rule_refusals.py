"""Issue 12's "Why" records, written through the console (its forms and POST /api/v1/events):
each is refused by the ledger's rule, the answer names the rule's code, and nothing is
written."""

from __future__ import annotations

from typing import Any

import pytest
from factories import SigningStation, plant, received
from flask import Flask

from web.context import ledger

pytestmark = pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
STATION = SigningStation("ST-60")
LOT = "LOT-20261121-CRTF"


def _append(app: Flask, *submissions: Any) -> None:
    with app.app_context():
        ledger().append(list(submissions))


def _size(app: Flask) -> int:
    with app.app_context():
        return ledger().size()


def _post(app: Flask, etype: str, subject: str, data: dict[str, Any]) -> Any:
    sub = STATION.submit(etype, subject, data)
    item = {"event": sub.event.obj, "station_sig": sub.station_sig}
    return app.test_client().post("/api/v1/events", json={"events": [item]})


@pytest.fixture
def station_app(app: Flask) -> Flask:
    """The console with station ST-60 registered (and so allowed to post)."""
    _append(app, STATION.registration())
    return app


def _refused(app: Flask, answer: Any, rule: str, *words: str) -> None:
    body = answer.get_json()
    assert answer.status_code == 409, body
    assert body["rule"] == rule
    assert "nothing was appended" in body["error"]
    for word in words:
        assert word in body["error"]


@pytest.mark.parametrize(("data", "rule", "words"), [
    (received("X", gross_g=1_000), "weight_out_of_range", ("1000 g", "15000")),
    (received("X", category="spaceship"), "unknown_category", ("spaceship",)),
])
def test_an_impossible_unit_is_refused_through_the_api(station_app, data, rule, words):
    before = _size(station_app)
    answer = _post(station_app, "unit.received", "unit:CN3301-2026-0009001", data)
    _refused(station_app, answer, rule, *words)
    assert _size(station_app) == before


def test_a_recovery_into_an_unregistered_cylinder_is_refused_through_the_api(station_app):
    label = "CN3301-2026-0009002"
    _append(station_app, STATION.submit("unit.received", f"unit:{label}", received(
        label, nameplate_refrigerant="R-600a", nameplate_charge_g=60)))
    before = _size(station_app)
    answer = _post(station_app, "refrigerant.recovered", f"unit:{label}", {
        "refrigerant": "R-600a", "cylinder": "CYL-9999", "cylinder_gross_before_g": 9_000,
        "cylinder_gross_after_g": 9_055, "recovered_g": 55, "scale": "SC-2",
        "nameplate_charge_g": 60})
    _refused(station_app, answer, "unknown_cylinder", "CYL-9999")
    assert _size(station_app) == before


def _sealed_hazardous_lot(app: Flask) -> None:
    _append(app, plant("lot.opened", f"lot:{LOT}", {"fraction": "crt_funnel_glass",
                                                    "hazardous": True}),
            plant("lot.sealed", f"lot:{LOT}", {"net_g": 100}))


def test_shipping_a_hazardous_lot_without_a_licence_is_refused_by_the_rule(
        app, client_for, csrf_token):
    _sealed_hazardous_lot(app)
    before = _size(app)
    client = client_for("manager")
    answer = client.post(f"/lots/{LOT}/ship", headers={"Accept-Language": "en"}, data={
        "csrf_token": csrf_token(client), "receiver": "Hangzhou Glass Recycling",
        "manifest_no": "HW-2026-0001"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "No receiver licence" in page and LOT in page
    assert "nothing was recorded" in page and "Traceback" not in page
    assert _size(app) == before


def test_a_receipt_by_another_receiver_is_refused_through_the_api(app):
    _sealed_hazardous_lot(app)
    _append(app, STATION.registration(),
            plant("lot.shipped", f"lot:{LOT}", {"receiver": "Hangzhou Glass Recycling",
                                                "manifest_no": "HW-2026-0001",
                                                "receiver_licence": "ZJ-HW-0042"}))
    before = _size(app)
    answer = _post(app, "lot.received", f"lot:{LOT}", {
        "receiver": "Somebody Else Ltd", "manifest_no": "HW-2026-0001", "received_g": 999_999})
    _refused(app, answer, "wrong_receiver", "Somebody Else Ltd")
    assert _size(app) == before
