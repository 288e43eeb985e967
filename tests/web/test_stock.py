"""The Stock pages on the sample day: the book by zone, the evening's count (one difference,
adjusted), a blind count that disagrees and shows its differences until a manager explains
them, moving units (all or none), who may do what, and the reconciliation."""

from __future__ import annotations

import html
import json

from flask import Flask

from web.context import ledger

from .conftest import USERS

EN = {"Accept-Language": "en"}
SAMPLE_COUNT = "20261120-1"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def size(app: Flask) -> int:
    with app.app_context():
        return ledger().size()


def last_event(app: Flask) -> dict:
    with app.app_context():
        return json.loads(ledger().entry(ledger().size() - 1))["event"]


def test_the_book_and_the_sample_count(sample_app, client_for):
    page = text(client_for("inspector").get("/stock/", headers=EN))
    assert "A1 Awaiting dismantling (large appliances)" in page
    assert "H1 Hazardous waste store" in page and "bunded floor" in page
    assert SAMPLE_COUNT in page
    count = text(client_for("inspector").get(f"/stock/counts/{SAMPLE_COUNT}", headers=EN))
    assert "walk-in customer" in count and 'id="explained"' in count
    assert "Adjust</button>" not in count  # an inspector reads, never adjusts


def test_a_disagreeing_count_shows_its_difference_until_adjusted(sample_app, client_for,
                                                                 csrf_token):
    client = client_for("manager")
    form = text(client.get("/stock/count", headers=EN))
    assert 'name="u:a1:fridge"' in form and 'name="f:steel"' in form
    before = size(sample_app)
    response = client.post("/stock/count", headers=EN, data={
        "csrf_token": csrf_token(client), "u:a1:fridge": "4", "f:steel": "181.744",
        "counted_by": "Li Wei"})
    assert response.status_code == 302, text(response)
    assert size(sample_app) == before + 1
    recorded = last_event(sample_app)
    assert recorded["type"] == "stock.counted" and recorded["operator"] == USERS["manager"]
    name = recorded["subject"].split(":", 1)[1]
    page = text(client.get(f"/stock/counts/{name}", headers=EN))
    assert 'id="unexplained"' in page and "1 differences to the book are unexplained" in page
    response = client.post(f"/stock/counts/{name}/adjust", headers=EN, data={
        "csrf_token": csrf_token(client), "kind": "units", "zone": "a1", "code": "fridge",
        "reason": "three fridges from the late truck, intake tomorrow"})
    assert response.status_code == 302
    adjusted = last_event(sample_app)
    assert adjusted["type"] == "stock.adjusted"
    assert adjusted["data"] == {"zone": "a1", "category": "fridge", "difference": 3,
                                "reason": "three fridges from the late truck, intake tomorrow",
                                "approved_by": USERS["manager"]}
    page = text(client.get(f"/stock/counts/{name}", headers=EN))
    assert 'id="explained"' in page and "three fridges from the late truck" in page


def test_count_form_problems_name_the_value_and_write_nothing(sample_app, client_for,
                                                             csrf_token):
    client = client_for("manager")
    before = size(sample_app)
    response = client.post("/stock/count", headers=EN, data={
        "csrf_token": csrf_token(client), "u:a1:fridge": "two", "f:steel": "1.2345",
        "counted_by": ""})
    page = text(response)
    assert response.status_code == 400
    assert "“two” is not a whole number" in page and "“1.2345” is not a mass" in page
    assert "Name who counted" in page
    assert size(sample_app) == before


def test_moving_units_is_all_or_none(sample_app, client_for, csrf_token):
    client = client_for("worker")
    with sample_app.app_context():
        completed, received = ({json.loads(body)["event"]["subject"].split(":", 1)[1]
                                for _, _, body in ledger().prefix_bodies("unit:", etype=etype)}
                               for etype in ("unit.completed", "unit.received"))
    done, waiting = sorted(completed)[0], sorted(received - completed)[0]
    before = size(sample_app)
    response = client.post("/stock/move", headers=EN, follow_redirects=True, data={
        "csrf_token": csrf_token(client), "zone": "a2",
        "labels": f"{waiting}\n{done}\n"})
    assert "nothing was recorded" in text(response)
    assert size(sample_app) == before
    response = client.post("/stock/move", headers=EN, follow_redirects=True, data={
        "csrf_token": csrf_token(client), "zone": "b1", "labels": waiting})
    assert (f"Zone b1 is a 'products' zone; unit {waiting} belongs in a 'units' zone "
            "(a1, a2)") in text(response)
    assert size(sample_app) == before


def test_who_may_do_what(sample_app, client_for, csrf_token):
    assert client_for("worker").get("/stock/count").status_code == 403
    inspector = client_for("inspector")
    assert inspector.post("/stock/count", data={"csrf_token": csrf_token(inspector)}
                          ).status_code == 403
    assert inspector.post("/stock/aside", data={"csrf_token": csrf_token(inspector),
                                                "label": "X", "reason": "r"}).status_code == 403
    assert client_for(None).get("/stock/").status_code in (302, 401)


def test_the_reconciliation_of_the_sample_day_balances(sample_app, client_for):
    page = text(client_for("inspector").get(
        "/stock/reconciliation?from=2026-11-20&to=2026-11-20", headers=EN))
    assert 'id="balanced"' in page, page
    bad = client_for("inspector").get("/stock/reconciliation?from=2026-13-01", headers=EN)
    assert bad.status_code == 400 and "from=2026-13-01 is not a date" in text(bad)
