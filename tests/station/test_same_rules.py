"""The station and the ledger judge with the same rules: the same event is refused with the
same rule code at the kiosk and by `Ledger.append`; and a refusal at the station is itself a
record (attempt.refused) that reaches the ledger.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.log import AppendError, Submission
from station import workflow as wf
from tests.station.conftest import BADGE, CYLINDER, CYLINDER_R134A, STATION_ID, Station
from tests.station.test_rules import FRIDGE, receive, recover

OTHER = "CN3301-2026-0000301"


def ledger_refuses(station: Station, etype: str, subject: str, data: dict[str, Any]) -> str:
    """The rule code with which the ledger refuses this event, signed by the station."""
    submission = station.ws.context.event(etype, subject, data)
    with pytest.raises(AppendError) as caught:
        station.ledger.append([Submission.from_json(submission)])
    return caught.value.rule


def recovery(before_g: int, after_g: int, cylinder: str, refrigerant: str = "R-600a"
             ) -> dict[str, Any]:
    return wf.recovered_data({"nameplate_charge_g": 55}, refrigerant, cylinder, before_g,
                             wf.Weighing("SC-2", after_g))


def test_a_duplicate_trade_in_code(station: Station) -> None:
    code = "TI-2026-33-0000001"
    station.scan(BADGE)
    station.scan(code)
    receive(station, FRIDGE)
    station.wait_delivered()
    station.scan(OTHER)
    station.scan(code)
    assert station.ws.last["refusal"] == "duplicate_trade_in"
    assert ledger_refuses(station, "unit.received", f"unit:{OTHER}", {
        "category": "fridge", "gross_g": 45_000, "scale": "SC-1", "source": "trade_in",
        "trade_in_code": code}) == "duplicate_trade_in"


def test_a_cylinder_for_another_gas(station: Station) -> None:
    receive(station, FRIDGE)
    station.wait_delivered()
    station.scan(CYLINDER_R134A)
    station.place("cylinder", 12_000)
    assert station.act("recovery_before")["refusal"] == "wrong_cylinder"
    assert ledger_refuses(station, "refrigerant.recovered", f"unit:{FRIDGE}",
                          recovery(12_000, 12_050, CYLINDER_R134A)) == "wrong_cylinder"


def test_an_overfill(station: Station) -> None:
    receive(station, FRIDGE)
    station.wait_delivered()
    station.scan(CYLINDER)  # limit 17 241 g
    station.place("cylinder", 17_100)
    assert station.act("recovery_before")["ok"]
    station.place("cylinder", 17_300)
    assert station.act("recovery_after")["refusal"] == "cylinder_overfill"
    assert ledger_refuses(station, "refrigerant.recovered", f"unit:{FRIDGE}",
                          recovery(17_100, 17_300, CYLINDER)) == "cylinder_overfill"


def test_a_cylinder_weight_that_does_not_continue_from_its_last_recovery(station: Station
                                                                         ) -> None:
    receive(station, FRIDGE)
    assert recover(station, before_g=8_000, recovered_g=53)["ok"]  # the cylinder: 8 053 g
    station.act("cancel")
    receive(station, OTHER)
    # Not yet delivered: the station knows the last gross after from its own outbox.
    station.place("cylinder", 9_000)
    assert station.act("recovery_before")["refusal"] == "cylinder_discontinuous"
    station.wait_delivered()
    assert ledger_refuses(station, "refrigerant.recovered", f"unit:{OTHER}",
                          recovery(9_000, 9_050, CYLINDER)) == "cylinder_discontinuous"
    station.place("cylinder", 8_053)  # the same cylinder, as it was left: accepted
    assert station.act("recovery_before")["ok"]


def test_a_refusal_is_recorded_and_reaches_the_ledger(station: Station) -> None:
    receive(station, FRIDGE)
    station.scan(CYLINDER_R134A)
    station.place("cylinder", 12_000)
    outcome = station.act("recovery_before")
    assert outcome["refusal"] == "wrong_cylinder" and outcome["events"] == []
    assert outcome["attempt"]
    station.wait_delivered()
    (recorded,) = station.entries(f"station:{STATION_ID}")[-1:]
    assert recorded["id"] == outcome["attempt"] and recorded["type"] == "attempt.refused"
    assert recorded["data"] == {"rule": "wrong_cylinder", "attempted": "refrigerant.recovered",
                                "about": f"unit:{FRIDGE}",
                                "params": {"cylinder": CYLINDER_R134A,
                                           "cylinder_gas": "R-134a", "gas": "R-600a"}}
    assert recorded["operator"] == BADGE
    # An interaction refusal (the scale not steady) is not recorded.
    station.place("cylinder", 12_000, stable=False)
    before = station.outbox.counts()
    assert station.act("recovery_before")["refusal"] == "unstable"
    assert station.outbox.counts() == before
