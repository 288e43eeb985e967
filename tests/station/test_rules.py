"""Each refusal shows its message and writes nothing about the unit (a ledger rule's refusal
is itself recorded: one attempt.refused event about the station); each flag is raised by the
ledger from the entries (its `rule_flags` read model) and shown.

Real parts: the station of tests/station/conftest.py (simulated scanner and scales on PTYs,
SQLite instance), and the console's own dashboard on the same instance for the alerts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask

from ledger import catalogue as catalogues
from ledger.rules.reasons import REFUSALS
from station.workflow import Message
from tests.station.conftest import (
    BADGE,
    CYLINDER,
    CYLINDER_R134A,
    STATION_ID,
    Station,
    wait_for,
)
from tests.web.conftest import PASSWORD

FRIDGE = "CN3301-2026-0000201"
CRT = "CN3301-2026-0000202"


def snapshot(station: Station) -> tuple[int, dict[str, int]]:
    station.wait_delivered()
    return station.size(), station.outbox.counts()


def refused(station: Station, before: tuple[int, dict[str, int]], outcome: dict[str, Any],
            code: str, *words: str) -> str:
    """The outcome is refusal `code`, its message has `words`, and nothing of the step was
    written: a ledger rule's refusal adds exactly its attempt.refused record (about the
    station, naming the rule), a refusal of the worker's session adds nothing."""
    assert not outcome["ok"] and outcome["refusal"] == code, outcome
    assert outcome["events"] == []
    text = Message(outcome["message"]["template"], outcome["message"]["params"]).text()
    for word in words:
        assert word in text, text
    size, counts = snapshot(station)
    if outcome["attempt"] is None:
        assert code not in REFUSALS, f"the ledger's rule {code} refused without a record"
        assert (size, counts) == before, "a refused step wrote something"
    else:
        assert code in REFUSALS
        assert size == before[0] + 1, "a refused step wrote more than its attempt.refused"
        assert counts == {**before[1], "delivered": before[1]["delivered"] + 1}
        _, entry = station.ledger.subject_entries(f"station:{STATION_ID}")[-1]
        assert entry["id"] == outcome["attempt"] and entry["type"] == "attempt.refused"
        assert entry["data"]["rule"] == code
    assert station.ws.state()["last"]["refusal"] == code
    return text


def receive(station: Station, label: str, category: str = "fridge", gross_g: int = 45_200,
            **details: Any) -> None:
    if station.ws.state()["operator"] is None:
        station.scan(BADGE)
    station.scan(label)
    assert station.act("select_category", category=category)["ok"]
    if category == "fridge":
        details = {"nameplate_refrigerant": "R-600a", "nameplate_charge_g": 55, **details}
    if details:
        assert station.act("set_details", **details)["ok"]
    station.place("platform", gross_g)
    outcome = station.act("weigh_intake")
    assert outcome["ok"], outcome


def recover(station: Station, before_g: int = 8_000, recovered_g: int = 53,
            cylinder: str = CYLINDER) -> dict[str, Any]:
    station.scan(cylinder)
    station.place("cylinder", before_g)
    assert station.act("recovery_before")["ok"]
    station.place("cylinder", before_g + recovered_g)
    return station.act("recovery_after")


def output(station: Station, lot: str, fraction: str, grams: int) -> dict[str, Any]:
    station.scan(lot)
    if station.ws.state()["lots"][0]["state"] == "new":
        assert station.act("open_lot", fraction=fraction)["ok"]
    station.place("platform", grams)
    return station.act("output", fraction=fraction)


def finish_fridge(station: Station, gross_g: int = 45_200) -> None:
    """Oil, then outputs adding up to the gross weight (the refrigerant aside)."""
    station.place("platform", 200)
    assert station.act("component", component="compressor_oil", weigh=1)["ok"]
    assert output(station, "LOT-COMP-1", "compressor", 8_000)["ok"]
    assert output(station, "LOT-STEEL-1", "steel", gross_g - 8_000 - 200 - 9_000 - 6_000)["ok"]
    assert output(station, "LOT-PLAST-1", "plastics", 9_000)["ok"]
    assert output(station, "LOT-FOAM-1", "pu_foam", 6_000)["ok"]


# -- refusals ----------------------------------------------------------------------------------

def test_a_label_already_received_is_refused(station: Station) -> None:
    receive(station, FRIDGE)
    recover(station)
    finish_fridge(station)
    assert station.act("complete")["ok"]
    before = snapshot(station)
    station.scan(FRIDGE)
    refused(station, before, station.ws.last, "duplicate_label", FRIDGE, "already received")


def test_an_intake_only_station_refuses_a_received_label(station_factory: Any) -> None:
    first = station_factory()
    receive(first, FRIDGE)
    first.wait_delivered()
    first.close()
    intake = station_factory(extra="intake_only = true", folder="intake")
    intake.scan(BADGE)
    before = snapshot(intake)
    intake.scan(FRIDGE)
    refused(intake, before, intake.ws.last, "duplicate_label", FRIDGE)


def test_at_an_intake_station_the_next_trade_in_code_may_come_first(station_factory: Any
                                                                    ) -> None:
    intake = station_factory(extra="intake_only = true")
    receive(intake, FRIDGE)
    assert intake.ws.state()["unit"] is None  # weighed in: off to depollution
    intake.scan("TI-2026-33-0000002")
    assert intake.ws.last["ok"], intake.ws.last
    intake.scan(CRT)
    assert intake.ws.state()["unit"]["trade_in_code"] == "TI-2026-33-0000002"


def test_a_trade_in_code_already_received_is_refused(station: Station) -> None:
    code = "TI-2026-33-0000001"
    station.scan(BADGE)
    station.scan(code)
    receive(station, FRIDGE)
    station.wait_delivered()
    assert station.entries(f"unit:{FRIDGE}")[0]["data"]["trade_in_code"] == code
    station.scan("CN3301-2026-0000999")
    before = snapshot(station)
    station.scan(code)
    refused(station, before, station.ws.last, "duplicate_trade_in", code, FRIDGE)
    before = snapshot(station)
    outcome = station.act("set_details", trade_in_code=code)
    refused(station, before, outcome, "duplicate_trade_in", code)


def test_completing_a_fridge_without_recovery_or_reason_is_refused(station: Station) -> None:
    receive(station, FRIDGE)
    before = snapshot(station)
    text = refused(station, before, station.act("complete"), "no_recovery", FRIDGE)
    assert "record why" in text
    # with a recorded reason it goes on
    assert station.act("refrigerant_absent", reason="circuit_empty", note="0 bar")["ok"]


def test_a_recovery_past_the_cylinders_limit_is_refused(station: Station) -> None:
    receive(station, FRIDGE)
    station.scan(CYLINDER)  # limit 17 241 g; the fridge's nameplate charge is 55 g
    station.place("cylinder", 17_200)
    before = snapshot(station)
    refused(station, before, station.act("recovery_before"), "cylinder_overfill", CYLINDER,
            "17241", "another cylinder")
    # the gross measured after the recovery is over the limit: refused as well
    station.place("cylinder", 17_100)
    assert station.act("recovery_before")["ok"]
    station.place("cylinder", 17_300)
    before = snapshot(station)
    refused(station, before, station.act("recovery_after"), "cylinder_overfill", "17300")


def test_a_cylinder_for_another_refrigerant_is_refused(station: Station) -> None:
    receive(station, FRIDGE)
    station.scan(CYLINDER_R134A)
    station.place("cylinder", 12_000)
    before = snapshot(station)
    refused(station, before, station.act("recovery_before"), "wrong_cylinder", "R-134a",
            "R-600a")


def test_an_unstable_reading_is_refused(station: Station) -> None:
    station.scan(BADGE)
    station.scan(FRIDGE)
    station.act("select_category", category="fridge")
    station.place("platform", 45_000, stable=False)
    before = snapshot(station)
    refused(station, before, station.act("weigh_intake"), "unstable", "SC-1", "steady")


def test_out_of_range_readings_are_refused(station: Station) -> None:
    station.scan(BADGE)
    station.scan(FRIDGE)
    station.act("select_category", category="fridge")
    before = snapshot(station)
    station.place("platform", 2_000)  # 2 kg is no fridge
    refused(station, before, station.act("weigh_intake"), "weight_out_of_range", "2000",
            "check the category")
    station.devices.scales["platform"].overload()
    poller = station.ws.scales["SC-1"]
    wait_for(lambda: poller.view().status == "overload", what="overload")
    before = snapshot(station)
    refused(station, before, station.act("weigh_intake"), "out_of_range", "overload")


def test_steps_out_of_order_are_refused(station: Station) -> None:
    station.scan(BADGE)
    station.scan(FRIDGE)
    before = snapshot(station)
    refused(station, before, station.act("weigh_intake"), "out_of_order", "category")
    refused(station, before, station.act("complete"), "out_of_order", "Weigh unit")
    receive(station, FRIDGE)
    before = snapshot(station)
    station.scan("LOT-STEEL-9")
    station.act("open_lot", fraction="steel")
    before = snapshot(station)
    station.place("platform", 20_000)
    refused(station, before, station.act("output", fraction="steel"), "depollution_first",
            "refrigerant", "compressor_oil")


def test_signed_out_and_unknown_scans_are_refused(station: Station) -> None:
    before = snapshot(station)
    station.scan(FRIDGE)
    refused(station, before, station.ws.last, "not_signed_in", "badge")
    station.scan(BADGE)
    station.scan("HELLO-WORLD")
    refused(station, before, station.ws.last, "unknown_scan", "HELLO-WORLD")


# -- flags -------------------------------------------------------------------------------------

def console(station: Station, **config: Any) -> Flask:
    """The console on the station's instance, with a manager who can see the dashboard."""
    from web import accounts
    from web.app import create_app
    from web.context import engine

    app = create_app(station.instance, {"TESTING": True, **config})
    with app.app_context():
        accounts.create_user(engine(), "manager-1", "manager", PASSWORD)
    return app


def dashboard(app: Flask) -> str:
    from web import accounts
    from web.auth import User
    from web.context import engine

    client = app.test_client()
    with app.app_context():
        account = accounts.get_user(engine(), "manager-1")
    with client.session_transaction() as sess:
        sess["_user_id"] = User(account).get_id()
        sess["_fresh"] = True
    page = client.get("/dashboard/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def ledger_flags(station: Station, label: str) -> list[dict[str, Any]]:
    """The flags the ledger raised for the unit (its `rule_flags` read model), as
    Flag.record(): computed from the entries at completion, never declared by the station."""
    station.wait_delivered()
    last = station.entries(f"unit:{label}")[-1]
    assert last["type"] == "unit.completed" and "flags" not in last["data"]
    with station.ledger.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT code, flag_key, params FROM rule_flags WHERE subject = ? "
            "ORDER BY raised_index, code, flag_key", (f"unit:{label}",)).fetchall()
    return [{"code": code, "key": key or None, "params": json.loads(params)}
            for code, key, params in rows]


def shown(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The kiosk's flags as Flag.record() (without their message)."""
    return [{"code": f["code"], "key": f["key"], "params": f["params"]} for f in flags]


def test_low_recovery_is_flagged_and_shown_on_the_dashboard(station: Station) -> None:
    receive(station, FRIDGE)
    outcome = recover(station, recovered_g=40)  # 40 of 55 g: 72.7 %
    assert outcome["ok"] and [f["code"] for f in outcome["flags"]] == ["low_recovery"]
    low = {"code": "low_recovery", "key": None,
           "params": {"recovered_g": 40, "nameplate_charge_g": 55, "threshold_pct": "90"}}
    assert shown(outcome["flags"]) == [low]
    finish_fridge(station, 45_200 - 40)
    done = station.act("complete")
    assert shown(done["flags"]) == [low]
    assert ledger_flags(station, FRIDGE) == [low]
    page = dashboard(console(station))
    assert FRIDGE in page and "Low refrigerant recovery" in page


def test_mass_balance_outside_tolerance_is_flagged_and_shown(station: Station) -> None:
    receive(station, CRT, category="crt_tv", gross_g=30_000)
    assert station.act("refrigerant_absent", reason="not_refrigerant_bearing")["ok"]
    assert output(station, "LOT-FUNNEL-1", "crt_funnel_glass", 6_000)["ok"]
    assert output(station, "LOT-PANEL-1", "crt_panel_glass", 11_000)["ok"]
    done = station.act("complete")  # 17 kg of 30 kg accounted for
    assert done["ok"] and "mass_balance" in [f["code"] for f in done["flags"]]
    flag = next(f for f in ledger_flags(station, CRT) if f["code"] == "mass_balance")
    assert flag["params"] == {"accounted_g": 17_000, "gross_g": 30_000, "tolerance_pct": "5"}
    assert flag in shown(done["flags"])
    page = dashboard(console(station))
    assert CRT in page and "Mass balance" in page


def test_yields_outside_the_category_range_are_flagged(station: Station) -> None:
    receive(station, CRT, category="crt_tv", gross_g=30_000)
    assert output(station, "LOT-FUNNEL-1", "crt_funnel_glass", 2_000)["ok"]  # 6.7 %: low
    assert output(station, "LOT-PANEL-1", "crt_panel_glass", 11_000)["ok"]  # 36.7 %: fine
    assert output(station, "LOT-PLAST-2", "plastics", 17_000)["ok"]  # 56.7 %: high
    done = station.act("complete")
    yields = [f for f in shown(done["flags"]) if f["code"] == "yield_out_of_range"]
    assert sorted(f["key"] for f in yields) == ["crt_funnel_glass", "plastics"]
    assert [f["params"]["fraction"] for f in yields] == [f["key"] for f in yields]
    recorded = [f for f in ledger_flags(station, CRT) if f["code"] == "yield_out_of_range"]
    assert recorded == yields


def test_a_scale_past_its_calibration_period_is_flagged_and_shown(station_factory: Any,
                                                                  tmp_path: Path) -> None:
    """The period is the catalogue's in force: one of 0 h makes the seed's checks too old
    for any later weighing; the station fetches it from the ledger when it starts."""
    seeded = station_factory()
    plant_file = tmp_path / "plant.toml"
    plant_file.write_text("[tolerances]\ncalibration_period_h = 0\n", encoding="utf-8")
    seeded.ledger.publish_catalogue(catalogues.load(plant_file), "short-period", "M-0001")
    seeded.close()
    station = station_factory(folder="after-publication")
    receive(station, CRT, category="crt_tv", gross_g=30_000)
    assert station.ws.last["flags"][0]["code"] == "calibration_overdue"
    assert station.ws.last["flags"][0]["params"]["scale"] == "SC-1"
    assert station.ws.last["flags"][0]["params"]["hours"] == 0
    assert output(station, "LOT-FUNNEL-1", "crt_funnel_glass", 6_000)["ok"]
    assert output(station, "LOT-PANEL-1", "crt_panel_glass", 12_000)["ok"]
    station.place("platform", 12_000)
    assert output(station, "LOT-PLAST-3", "plastics", 12_000)["ok"]
    done = station.act("complete")
    assert [f["key"] for f in done["flags"] if f["code"] == "calibration_overdue"] == ["SC-1"]
    assert [f["key"] for f in ledger_flags(station, CRT)
            if f["code"] == "calibration_overdue"] == ["SC-1"]
    page = dashboard(console(station))
    assert "Calibration overdue" in page and "SC-1" in page
