"""Identifiers are matched whole and event times are bounded (issue 13, breaks 4 and 5): a
label plus a newline is not a second unit, and a clock that was never set is refused."""

import pytest
from factories import SigningStation, event_obj, received

from ledger.events import EventError, parse_event
from ledger.log import AppendError, Submission

LABEL = "unit:CN3301-2026-0004812"


@pytest.mark.parametrize(("field", "value"), [
    ("subject", LABEL + "\n"), ("station", "ST-01\n"), ("operator", "W-0042\n"),
    ("time", "2026-11-21T08:00:00.000Z\n"), ("subject", "\n" + LABEL)])
def test_a_final_or_leading_newline_is_refused(field, value):
    obj = {**event_obj("unit.received", LABEL, received(LABEL)), field: value}
    with pytest.raises(EventError) as refused:
        parse_event(obj)
    assert refused.value.field == field


def test_a_code_with_a_newline_inside_data_is_refused():
    obj = event_obj("unit.received", LABEL, {**received(LABEL), "trade_in_code": "TI-1\n"})
    with pytest.raises(EventError, match="trade_in_code"):
        parse_event(obj)


@pytest.mark.parametrize(("time", "rule"), [
    ("1970-01-01T00:00:00.000Z", "time_too_early"),
    ("2099-12-31T23:59:59.999Z", "time_in_future")])
def test_times_outside_the_window_are_refused(ledger, time, rule):
    obj = {**event_obj("unit.received", LABEL, received(LABEL)), "time": time}
    with pytest.raises(AppendError) as refused:
        ledger.append([Submission(parse_event(obj))])
    assert refused.value.rule == rule


def test_a_station_event_before_its_registration_is_refused(ledger):
    station = SigningStation("ST-09")
    early = event_obj("unit.received", LABEL, received(LABEL), station="ST-09")
    ledger.append([station.registration()])
    with pytest.raises(AppendError) as refused:
        ledger.append([station.sign(early)])
    assert refused.value.rule == "time_too_early"
