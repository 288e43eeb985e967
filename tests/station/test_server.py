"""The station's local JSON endpoints, and the outbox in HTTP mode: held events shown with the
ledger's reason (never dropped), rules reading the console."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from ledger.events import parse_event, utc_now_ms
from ledger.log import Submission
from tests.station.conftest import BADGE, Station, console_on, free_port, wait_for

REPO = Path(__file__).resolve().parent.parent.parent
LABEL = "CN3301-2026-0000301"


def test_endpoints_answer_with_outcomes_and_statuses(station: Station) -> None:
    client = station.app.test_client()
    token = {"X-Kiosk-Token": station.app.config["KIOSK_TOKEN"]}
    state = client.get("/api/state").get_json()
    assert state["operator"] is None and state["station"]["id"] == "ST-01"
    assert {s["name"] for s in state["scales"]} == {"SC-1", "SC-2"}
    assert "fridge" in [c["code"] for c in state["catalogue"]["categories"]]
    page = client.get("/").get_data(as_text=True)
    assert station.app.config["KIOSK_TOKEN"] in page
    rebound = client.get("/", headers={"Host": "attacker.example:8700"})
    assert rebound.status_code == 403 and "KIOSK" not in rebound.get_data(as_text=True)
    assert station.app.config["KIOSK_TOKEN"] not in rebound.get_data(as_text=True)

    forbidden = client.post("/api/scan", json={"text": BADGE})
    assert forbidden.status_code == 403 and client.get("/api/state").get_json()["operator"] is None
    wrong = client.post("/api/scan", json={"text": BADGE}, headers={"X-Kiosk-Token": "guess"})
    assert wrong.status_code == 403

    assert client.post("/api/scan", json={"text": BADGE}, headers=token).status_code == 200
    refused = client.post("/api/act/weigh_intake", json={}, headers=token)
    assert refused.status_code == 409 and refused.get_json()["refusal"] == "no_unit"
    client.post("/api/scan", json={"text": LABEL}, headers=token)
    # a category the catalogue in force does not have: the ledger's rule refuses it
    unknown_category = client.post("/api/act/select_category", json={"category": "spaceship"},
                                   headers=token)
    assert unknown_category.status_code == 409
    assert unknown_category.get_json()["refusal"] == "unknown_category"
    assert unknown_category.get_json()["message"]["params"]["category"] == "spaceship"
    bad = client.post("/api/act/set_details", json={"nameplate_charge_g": "lots"},
                      headers=token)
    assert bad.status_code == 400
    assert bad.get_json()["message"]["params"] == {"value": "lots"}
    assert client.get("/api/state").get_json()["last"]["refusal"] == "bad_input"
    unknown = client.post("/api/act/teleport", json={}, headers=token)
    assert unknown.status_code == 400 and "teleport" in str(unknown.get_json()["message"])
    not_json = client.post("/api/scan", data="[1]", headers={**token,
                                                             "Content-Type": "application/json"})
    assert not_json.status_code == 400
    state = client.get("/api/state").get_json()
    assert state["unit"]["label"] == LABEL and "select_category" in state["actions"]
    assert state["prompt"]["params"] == {"label": LABEL}


def _plant(etype: str, subject: str, data: dict[str, Any]) -> Submission:
    return Submission(parse_event({"id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
                                   "station": "PLANT", "operator": "M-0001", "subject": subject,
                                   "data": data}))


def test_a_refused_event_is_held_with_its_reason_and_later_ones_wait(station_factory: Any
                                                                     ) -> None:
    port = free_port()
    seeded = station_factory()  # a local station first: it seeds the ledger
    seeded.close()
    # The console is up just long enough for the station to fetch the catalogue in force.
    with console_on(seeded.instance, port):
        station = station_factory(console_url=f"http://127.0.0.1:{port}", folder="http")
        wait_for(lambda: station.ws.state()["catalogue"]["categories"], what="the catalogue")
    station.scan(BADGE)
    station.scan("LOT-HELD-1")
    assert station.act("open_lot", fraction="steel")["ok"]  # offline: the console is down
    station.scan(LABEL)
    station.act("select_category", category="crt_tv")
    station.place("platform", 25_000)
    assert station.act("weigh_intake")["ok"]
    # Meanwhile the console opened the same lot itself.
    station.ledger.append([_plant("lot.opened", "lot:LOT-HELD-1",
                                  {"fraction": "plastics", "hazardous": False})])
    with console_on(station.instance, port):
        station.scan("LOT-HELD-1")  # the station reads the console again: delivery resumes
        wait_for(lambda: station.ws.state()["outbox"]["online"], what="delivery")
        outbox = station.ws.state()["outbox"]
        assert outbox["pending"] == 0 and outbox["held"] == 1 and outbox["delivered"] == 1
        held = outbox["held_events"][0]
        assert held["subject"] == "lot:LOT-HELD-1" and "(rule lot_state)" in held["reason"]
        assert [e["type"] for e in station.entries(f"unit:{LABEL}")] == ["unit.received"]
        # The station still believes the lot is its own: sealing it waits behind the held one.
        station.place("platform", 3_000)
        assert station.act("seal_lot")["ok"]
        outbox = station.ws.state()["outbox"]
        assert outbox["held"] == 2 and "waits for held event" in \
            outbox["held_events"][1]["reason"]
    listing = subprocess.run([sys.executable, "-m", "dledger", "station", "outbox", "--config",
                              str(station.config_path)], capture_output=True, text=True,
                             cwd=REPO, check=True)
    assert "held=2" in listing.stdout and "(rule lot_state)" in listing.stdout


def test_in_http_mode_the_rules_read_the_console(station_factory: Any) -> None:
    port = free_port()
    station = station_factory(console_url=f"http://127.0.0.1:{port}")
    code = "TI-2026-33-0000077"
    station.ledger.append([_plant("unit.received", "unit:CN3301-2026-0000777",
                                  {"category": "fridge", "gross_g": 40_000, "scale": "SC-9",
                                   "source": "trade_in", "trade_in_code": code})])
    station.scan(BADGE)
    with console_on(station.instance, port):
        station.scan(code)
        assert station.ws.last["refusal"] == "duplicate_trade_in"
        assert station.ws.last["message"]["params"]["holder"] == "CN3301-2026-0000777"
        station.scan("CN3301-2026-0000777")  # received elsewhere, not completed: continue it
        state = station.ws.state()
        assert state["unit"]["received"] and state["unit"]["gross_g"] == 40_000
        assert state["unit"]["next"] == "refrigerant"


def test_a_fault_is_an_outcome_and_nothing_is_acknowledged(station: Station,
                                                           monkeypatch: Any) -> None:
    import sqlite3

    station.scan(BADGE)
    station.scan(LABEL)
    station.act("select_category", category="crt_tv")
    station.place("platform", 25_000)

    def disk_full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(station.outbox, "commit", disk_full)
    client = station.app.test_client()
    answer = client.post("/api/act/weigh_intake", json={},
                         headers={"X-Kiosk-Token": station.app.config["KIOSK_TOKEN"]})
    assert answer.status_code == 500 and answer.get_json()["refusal"] == "error"
    assert answer.get_json()["message"]["params"] == {"action": "weigh_intake"}
    monkeypatch.undo()
    assert not station.ws.state()["unit"]["received"]
    assert station.outbox.counts()["pending"] == 0
