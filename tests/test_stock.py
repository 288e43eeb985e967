"""Storage and stock counts (issue 15, points 3 and 5): the book at a count's moment, read
from the read models (ledger/fund/book.py) and from the entries (ledger/fund/stock.py) alike;
a count's differences stay unexplained until a reasoned adjustment; the reconciliation of a
range balances on the book and lists what is unexplained."""

from __future__ import annotations

import json
from typing import Any

from factories import event_obj, plant, received

from ledger.events import parse_event
from ledger.fund import book, stock
from ledger.log import Ledger, Submission


def unit(label: str, etype: str, data: dict[str, Any]) -> Submission:
    return plant(etype, f"unit:{label}", data)


def _plant(ledger: Ledger) -> str:
    """Three fridges (one dismantled, one in no zone), a CRT TV, a steel lot; returns the
    moment before anything happened."""
    first = event_obj("scale.calibrated", "scale:SC-1", {})["time"]
    ledger.append([
        plant("lot.opened", "lot:LOT-S", {"fraction": "steel", "hazardous": False}),
        plant("lot.stored", "lot:LOT-S", {"zone": "b1"}),
        plant("lot.opened", "lot:LOT-C", {"fraction": "compressor", "hazardous": False}),
        unit("F1", "unit.received", received("F1")), unit("F1", "unit.stored", {"zone": "a1"}),
        unit("F2", "unit.received", received("F2")), unit("F2", "unit.stored", {"zone": "a1"}),
        unit("F3", "unit.received", received("F3")),
        unit("TV1", "unit.received", {"category": "crt_tv", "gross_g": 20_000, "scale": "SC-1",
                                      "source": "municipal"}),
        unit("TV1", "unit.stored", {"zone": "a2"}),
        unit("F1", "refrigerant.absent", {"reason": "circuit_empty"}),
        unit("F1", "component.removed", {"component": "compressor_oil", "count": 1}),
        unit("F1", "material.output", {"fraction": "compressor", "mass_g": 9_000,
                                       "lot": "LOT-C", "scale": "SC-1"}),
        unit("F1", "material.output", {"fraction": "steel", "mass_g": 20_000, "lot": "LOT-S",
                                       "scale": "SC-1"}),
        unit("F1", "unit.completed", {}),
    ])
    return first


def _count(ledger: Ledger) -> None:
    ledger.append([plant("stock.counted", "count:C1", {
        "units": [{"zone": "a1", "category": "fridge", "units": 2},
                  {"zone": "a2", "category": "crt_tv", "units": 1}],
        "fractions": [{"fraction": "steel", "mass_g": 19_000}], "counted_by": "Li Wei"})])


def _pairs(ledger: Ledger) -> list[tuple[int, dict[str, Any]]]:
    return [(i, json.loads(body)["event"]) for i, _, body in ledger.entries_between(
        0, ledger.size())]


def _lines(held: list[dict[str, Any]]) -> dict[tuple[str | None, str], tuple[int, int, int]]:
    return {(line["zone"], line["code"]): (line["book"], line["counted"], line["unexplained"])
            for line in held[-1]["lines"]}


def test_a_count_that_disagrees_shows_its_differences_until_adjusted(ledger: Ledger) -> None:
    _plant(ledger)
    _count(ledger)
    held = book.held(ledger).counts_held()
    assert _lines(held) == {
        ("a1", "fridge"): (1, 2, 1),  # F2 on the book, two found
        ("a2", "crt_tv"): (1, 1, 0),
        (None, "fridge"): (1, 0, -1),  # F3 was never put in a zone
        (None, "steel"): (20_000, 19_000, -1_000),
    }
    assert held[-1]["unexplained"] == 3
    ledger.append([plant("stock.adjusted", "count:C1", {
        "zone": "a1", "category": "fridge", "difference": 1,
        "reason": "F4 arrived on the evening truck, intake not yet recorded",
        "approved_by": "M-0007"})])
    after = book.held(ledger).counts_held()[-1]
    assert after["unexplained"] == 2
    adjusted = next(line for line in after["lines"] if line["zone"] == "a1")
    assert adjusted["unexplained"] == 0 and adjusted["adjustment"]["difference"] == 1
    # an adjustment that explains only part leaves the rest unexplained
    ledger.append([plant("stock.adjusted", "count:C1", {
        "fraction": "steel", "difference": -400, "reason": "dust and rust scale lost",
        "approved_by": "M-0007"})])
    steel = next(line for line in book.held(ledger).counts_held()[-1]["lines"]
                 if line["code"] == "steel")
    assert steel["unexplained"] == -600


def test_the_book_from_read_models_equals_the_book_from_entries(ledger: Ledger) -> None:
    start = _plant(ledger)
    _count(ledger)
    ledger.append([plant("stock.adjusted", "count:C1", {
        "zone": "a1", "category": "fridge", "difference": 1, "reason": "found",
        "approved_by": "M-0007"})])
    until = "2027-01-01T00:00:00.000Z"
    from_models = book.held(ledger, start, until)
    from_entries = stock.book_of(_pairs(ledger), start, until)
    assert from_models.counts_held() == from_entries.counts_held()
    assert from_models.reconciliation() == from_entries.reconciliation()


def test_the_reconciliation_balances_on_the_book_and_lists_what_is_unexplained(
        ledger: Ledger) -> None:
    start = _plant(ledger)
    _count(ledger)
    result = book.held(ledger, start, "2027-01-01T00:00:00.000Z").reconciliation()
    rows = {(r["kind"], r["code"]): r for r in result["rows"]}
    assert rows[("units", "fridge")] == {
        "kind": "units", "code": "fridge", "opening": 0, "in": 3, "out": 1, "closing": 2,
        "balance": 0, "adjustments": 0}
    assert rows[("fraction", "steel")]["closing"] == 20_000
    assert all(r["balance"] == 0 for r in result["rows"])
    assert not result["balanced"] and len(result["unexplained"]) == 3


def test_a_unit_set_aside_stays_in_stock_and_is_not_dismantled(ledger: Ledger) -> None:
    _plant(ledger)
    ledger.append([unit("F2", "unit.set_aside", {"reason": "owner disputes the trade-in"})])
    figures = book.book_at(ledger, "2027-01-01T00:00:00.000Z")
    assert figures[("units", "a1", "fridge")] == 1
    ledger.append([unit("F2", "unit.taken_back", {})])
    ledger.append([unit("F2", "refrigerant.absent", {"reason": "circuit_empty"})])


def test_a_count_names_each_line_once() -> None:
    obj = event_obj("stock.counted", "count:C2", {
        "units": [{"zone": "a1", "category": "fridge", "units": 1},
                  {"zone": "a1", "category": "fridge", "units": 2}],
        "fractions": [], "counted_by": "Li Wei"})
    try:
        parse_event(obj)
    except ValueError as exc:
        assert "'a1', category 'fridge' is counted twice" in str(exc)
    else:
        raise AssertionError("a line counted twice was accepted")
