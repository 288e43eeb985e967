"""The fund's nameplate facts at intake: the station asks what the fund's tables need of the
category, checks what the worker types, and records it in unit.received."""

from __future__ import annotations

from tests.station.conftest import BADGE, Station

LABEL = "CN3301-2026-0000301"


def test_the_catalogue_tells_the_kiosk_what_to_ask_of_each_category(station: Station) -> None:
    station.scan(BADGE)
    station.scan(LABEL)
    asked = station.ws.state()["catalogue"]["nameplate"]
    assert [f["field"] for f in asked["fridge"]] == ["volume_l"]
    assert [f["field"] for f in asked["crt_tv"]] == ["screen_in"]
    washer = {f["field"]: f for f in asked["washing_machine"]}
    assert washer["washer_type"]["kind"] == "choice"
    assert "drum" in [c["code"] for c in washer["washer_type"]["choices"]]
    assert "microwave" not in asked  # not a fund product: nothing to ask


def test_a_fridge_volume_is_recorded_at_intake(station: Station) -> None:
    station.scan(BADGE)
    station.scan(LABEL)
    assert station.act("select_category", category="fridge")["ok"]
    assert station.act("set_details", volume_l="600")["ok"]
    assert station.ws.state()["unit"]["details"]["volume_l"] == 600
    station.place("platform", 45_200)
    assert station.act("weigh_intake")["ok"]
    station.wait_delivered()
    received = station.entries(f"unit:{LABEL}")[0]
    assert received["type"] == "unit.received" and received["data"]["volume_l"] == 600


def test_a_bad_nameplate_figure_is_refused_naming_field_and_value(station: Station) -> None:
    station.scan(BADGE)
    station.scan(LABEL)
    assert station.act("select_category", category="crt_tv")["ok"]
    out = station.act("set_details", screen_in="fourteen")
    assert not out["ok"] and out["refusal"] == "bad_input"
    params = out["message"]["params"]
    assert params["value"] == "fourteen" and params["field"]["en"] == "Screen size (inches)"
    assert (params["low"], params["high"]) == (1, 150)
    out = station.act("set_details", display="hologram")
    assert not out["ok"] and out["message"]["params"]["value"] == "hologram"
    assert "screen_in" not in station.ws.state()["unit"]["details"]
