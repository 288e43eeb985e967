"""The demo's made-up units are realistic by the catalogue's own measures: weights in range,
refrigerants a category holds, outputs within their yield ranges adding up to the unit, the
ledger's rules (ledger.rules) accepting their records and raising only the flags an incident
explains."""

from __future__ import annotations

from collections import Counter

from dledger.demo.units import FIRST_BY, MIX, UnitSource
from ledger.catalogue import load as load_catalogue
from ledger.rules import flags as rule_flags
from ledger.rules import units
from ledger.rules.facts import UnitFacts

CATALOGUE = load_catalogue(None)


def calibrated(scale: str, at: str, index: int | None) -> str:
    """Every scale passed a check just before each weighing (the demo calibrates them)."""
    return at


def facts(plan) -> UnitFacts:
    """The unit's record as the stations write it (only what the rules read)."""
    received = {"category": plan.category, "gross_g": plan.gross_g,
                "nameplate_charge_g": plan.charge_g}
    events = [{"type": "unit.received", "data": received, "time": "2026-11-22T08:00:00.000Z"}]
    if plan.recovered_g is not None:
        events.append({"type": "refrigerant.recovered", "data": {"recovered_g": plan.recovered_g},
                       "time": "2026-11-22T08:01:00.000Z"})
    if plan.absent_reason is not None:
        events.append({"type": "refrigerant.absent", "data": {"reason": plan.absent_reason},
                       "time": "2026-11-22T08:01:00.000Z"})
    for c in plan.components:
        events.append({"type": "component.removed", "time": "2026-11-22T08:02:00.000Z",
                       "data": {"component": c.code, "count": c.count, "mass_g": c.mass_g}})
    for o in plan.outputs:
        events.append({"type": "material.output", "time": "2026-11-22T08:03:00.000Z",
                       "data": {"fraction": o.fraction, "mass_g": o.mass_g}})
    return UnitFacts(plan.label, tuple(events))


def test_units_are_what_the_catalogue_expects():
    source = UnitSource(CATALOGUE, seed=7, first_label=4812)
    plans = [source.next() for _ in range(1500)]
    assert plans[0].label == "CN3301-2026-0004812" and plans[-1].label.endswith("0006311")
    mix = Counter(p.category for p in plans)
    assert set(mix) == set(MIX)
    assert mix.most_common(1)[0][0] == "fridge"
    flags: Counter[str] = Counter()
    for plan in plans:
        category = CATALOGUE.category(plan.category)
        low, high = category.weight_g
        assert low <= plan.gross_g <= high and plan.gross_g % 10 == 0
        if plan.refrigerant:
            assert plan.refrigerant in category.refrigerants
            assert 0 < plan.recovered_g <= plan.charge_g
        assert plan.recovery == category.refrigerant_bearing
        assert plan.outputs, plan
        required = {s.code for s in category.steps if s.required}
        done = {f"output:{o.fraction}" for o in plan.outputs} | {
            f"component:{c.code}" for c in plan.components}
        assert required - {"refrigerant"} <= done, plan
        unit = facts(plan)
        units.check_completion(unit, category)  # the ledger's completion rule accepts it
        assert units.next_step(unit, category) == "complete", plan
        raised = rule_flags.unit_flags([(None, e) for e in unit.events], plan.label, category,
                                       CATALOGUE, calibrated)
        for flag in raised:
            flags[flag.code] += 1
            assert flag.code == "low_recovery" and "low_recovery" in plan.incidents, plan
        assert ("low_recovery" in plan.incidents) == bool(raised), plan
    assert flags["low_recovery"] > 10


def test_every_incident_shows_early_and_a_refused_unit_shows_nothing_else():
    source = UnitSource(CATALOGUE, seed=1)
    plans = [source.next() for _ in range(40)]
    seen = Counter(i for p in plans for i in p.incidents)
    for incident in ("low_recovery", "circuit_empty", "duplicate_trade_in", "unstable_scale"):
        assert seen[incident] >= 1, incident
    assert source.eligible["unstable_scale"] >= FIRST_BY
    codes = [p.trade_in_code for p in plans if p.trade_in_code]
    for plan in plans:
        if "duplicate_trade_in" in plan.incidents:
            assert plan.incidents == {"duplicate_trade_in"}
            assert codes.count(plan.trade_in_code) >= 2  # the first unit brought it
    again = UnitSource(CATALOGUE, seed=1)
    assert [again.next() for _ in range(40)] == plans
