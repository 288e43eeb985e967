"""The rules as pure logic: readings the station must never record, and a unit's next step."""

from __future__ import annotations

import pytest

from ledger import catalogue
from station import workflow as wf

RULES = wf.Rules()


@pytest.mark.parametrize(("view", "code"), [
    (wf.ScaleView("SC-1", "stable", 12_000, 5.0), "unstable"),  # stale: from 5 s ago
    (wf.ScaleView("SC-1", "motion", 12_000, 0.1), "unstable"),
    (wf.ScaleView("SC-1", "disconnected", None, None), "scale_error"),
    (wf.ScaleView("SC-1", "error", None, None), "scale_error"),
    (wf.ScaleView("SC-1", "overload", None, 0.1), "out_of_range"),
    (wf.ScaleView("SC-1", "underload", None, 0.1), "out_of_range"),
    (wf.ScaleView("SC-1", "stable", 0, 0.1), "out_of_range"),
])
def test_readings_that_are_never_recorded(view: wf.ScaleView, code: str) -> None:
    with pytest.raises(wf.Refusal) as caught:
        wf.stable_weighing(view, RULES)
    assert caught.value.code == code and "SC-1" in str(caught.value)


def test_a_fresh_stable_reading_is_a_weighing() -> None:
    view = wf.ScaleView("SC-1", "stable", 12_000, 0.2)
    assert wf.stable_weighing(view, RULES) == wf.Weighing("SC-1", 12_000)


def _event(etype: str, **data: object) -> dict[str, object]:
    return {"type": etype, "time": "2026-11-22T01:00:00.000Z", "data": data}


def test_next_step_follows_the_required_route() -> None:
    fridge = catalogue.load().category("fridge")
    facts = wf.UnitFacts("U", (_event("unit.received", category="fridge", gross_g=40_000),))
    assert wf.next_step(facts, fridge) == "refrigerant"
    facts = wf.UnitFacts("U", (*facts.events, _event("refrigerant.absent",
                                                     reason="circuit_empty")))
    assert wf.next_step(facts, fridge) == "component:compressor_oil"
    facts = wf.UnitFacts("U", (*facts.events, _event("component.removed",
                                                     component="compressor_oil", count=1)))
    assert wf.next_step(facts, fridge) == "output:compressor"
    facts = wf.UnitFacts("U", (*facts.events, _event("material.output", fraction="compressor",
                                                     mass_g=9_000, lot="L", scale="SC-1")))
    assert wf.next_step(facts, fridge) == "complete"


def test_calibration_is_overdue_after_the_period_or_without_a_pass() -> None:
    checks = wf.Calibrations("SC-1", (("2026-11-20T08:00:00.000Z", True),
                                      ("2026-11-21T08:00:00.000Z", False)))
    assert wf.calibration_flag(checks, "2026-11-20T20:00:00.000Z", RULES) is None
    late = wf.calibration_flag(checks, "2026-11-21T09:00:00.000Z", RULES)
    assert late is not None and late.params["last_pass"] == "2026-11-20T08:00:00.000Z"
    never = wf.calibration_flag(wf.Calibrations("SC-9", ()), "2026-11-21T09:00:00.000Z", RULES)
    assert never is not None and never.params["last_pass"] == "none"
