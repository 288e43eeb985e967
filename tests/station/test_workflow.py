"""The rules as pure logic: readings the station must never record, and a unit's next step."""

from __future__ import annotations

import pytest

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


def test_the_station_keeps_no_copy_of_the_ledgers_rules() -> None:
    """Thresholds and rule checks are the ledger's (ledger.rules): the workflow has none."""
    assert set(vars(RULES)) == {"max_reading_age_s"}
    for name in ("check_label", "check_trade_in", "complete", "calibration_flag",
                 "low_recovery_flag", "next_step", "UnitFacts", "LotFacts"):
        assert not hasattr(wf, name), name
