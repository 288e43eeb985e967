"""Flags are computed, not declared: the dashboard lists the ledger's flags (rule_flags) and
refused attempts (refusals) with the catalogue's thresholds, and a manager reviews a flag on
the unit page with a PLANT flag.reviewed entry; the flag stays, with its review."""

from __future__ import annotations

import pytest

from web.context import engine, ledger

from .flagged import LABEL, append_flagged_fridge, append_refused_duplicate

pytestmark = pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
EN = {"Accept-Language": "en"}
DAY = "?range=custom&from=2026-11-21&to=2026-11-21"


@pytest.fixture
def flagged_app(app):
    append_flagged_fridge(app)
    return app


def _size(app) -> int:
    with app.app_context():
        return ledger().size()


def _flags(app) -> list[tuple]:
    with app.app_context(), engine().connect() as conn:
        return conn.exec_driver_sql(
            "SELECT code, resolution FROM rule_flags WHERE subject = ?",
            (f"unit:{LABEL}",)).fetchall()


def test_the_dashboard_lists_the_ledgers_flags_with_the_catalogues_threshold(
        flagged_app, client_for):
    assert ("low_recovery", None) in _flags(flagged_app)
    page = client_for("manager").get("/dashboard/" + DAY, headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert LABEL in html
    assert "Recovered 10 g of a 120 g nameplate charge, below 90 %" in html
    assert "less than 90 % of the nameplate charge" in html  # tolerances.low_recovery_pct


def test_the_refused_duplicate_intake_figure_reads_the_refusals(flagged_app, client_for):
    append_refused_duplicate(flagged_app)
    client = client_for("manager")
    html = client.get("/dashboard/" + DAY, headers=EN).get_data(as_text=True)
    assert "No data source yet" not in html
    assert "Duplicate label" in html and "ST-61" in html
    export = client.get("/dashboard/" + DAY + "&format=csv&table=refusals", headers=EN)
    assert export.status_code == 200 and "Duplicate label" in export.get_data(as_text=True)


def test_a_manager_reviews_a_flag_and_it_stays_with_its_review(flagged_app, client_for,
                                                               csrf_token):
    client = client_for("manager")
    page = client.get(f"/units/{LABEL}", headers=EN).get_data(as_text=True)
    assert 'data-flag="low_recovery"' in page and f"/units/{LABEL}/review" in page
    before = _size(flagged_app)
    answer = client.post(f"/units/{LABEL}/review", data={
        "csrf_token": csrf_token(client), "flag": "low_recovery", "key": "",
        "resolution": "credit", "reason": "Circuit found leaking at intake; photo on file"},
        follow_redirects=True, headers=EN)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "is recorded at entry" in html
    assert _size(flagged_app) == before + 1
    assert ("low_recovery", "credit") in _flags(flagged_app)
    assert "Circuit found leaking at intake; photo on file" in html  # the flag, reviewed
    assert 'data-flag="low_recovery"' in html
    with flagged_app.app_context():
        event = ledger().subject_entries(f"unit:{LABEL}")[-1][1]
    assert event["type"] == "flag.reviewed" and event["station"] == "PLANT"
    assert event["data"]["approved_by"] == "manager-1"


@pytest.mark.parametrize(("form", "message"), [
    ({"flag": "low_recovery", "resolution": "credit", "reason": ""}, "Give the reason"),
    ({"flag": "low_recovery", "resolution": "forgive", "reason": "x"}, "forgive"),
    ({"flag": "bogus", "resolution": "credit", "reason": "x"}, "bogus"),
    ({"flag": "receipt_weight", "resolution": "credit", "reason": "x"}, "no “Receipt weight” flag"),
])
def test_a_bad_review_is_refused_with_a_message_and_nothing_written(
        flagged_app, client_for, csrf_token, form, message):
    client = client_for("manager")
    before = _size(flagged_app)
    answer = client.post(f"/units/{LABEL}/review", data={"csrf_token": csrf_token(client),
                                                         "key": "", **form},
                         follow_redirects=True, headers=EN)
    assert message in answer.get_data(as_text=True)
    assert _size(flagged_app) == before


@pytest.mark.parametrize("role", ["worker", "inspector"])
def test_only_managers_and_admins_review(flagged_app, client_for, csrf_token, role):
    client = client_for(role)
    assert "/review" not in client.get(f"/units/{LABEL}", headers=EN).get_data(as_text=True)
    before = _size(flagged_app)
    answer = client.post(f"/units/{LABEL}/review", data={
        "csrf_token": csrf_token(client), "flag": "low_recovery", "resolution": "credit",
        "reason": "x"})
    assert answer.status_code == 403
    assert _size(flagged_app) == before


def test_a_review_needs_a_csrf_token(flagged_app, client_for):
    before = _size(flagged_app)
    answer = client_for("admin").post(f"/units/{LABEL}/review", data={
        "flag": "low_recovery", "resolution": "exclude", "reason": "x"})
    assert answer.status_code == 400
    assert _size(flagged_app) == before
