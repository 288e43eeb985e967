"""What is recorded but questioned: computed from the entries, never declared by a writer.

The ledger computes a unit's flags when it is completed (and again when a correction changes
its record), certificates state them, and the verifier computes them again from the
certificate's entries with the same functions. Comparisons are exact (integers and decimals).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta

from ledger.catalogue import Catalogue, Category, Tolerances, decimal_text
from ledger.rules import evidence
from ledger.rules.facts import Event, LotFacts, UnitFacts
from ledger.rules.reasons import Flag
from ledger.rules.timing import parse

# (scale, weighing time, the weighing's entry or None) -> the time of the latest passing
# check of that scale logged before the entry, at or before the weighing time; or None.
LastPass = Callable[[str, str, int | None], str | None]
Indexed = tuple[int | None, Event]


def low_recovery(facts: UnitFacts, tolerances: Tolerances) -> Flag | None:
    charge = (facts.received or {}).get("nameplate_charge_g")
    if not charge or not facts.data_of("refrigerant.recovered"):
        return None
    recovered = facts.recovered_g
    if recovered * 100 >= tolerances.low_recovery_pct * charge:
        return None
    return Flag("low_recovery", {"recovered_g": recovered, "nameplate_charge_g": charge,
                                 "threshold_pct": decimal_text(tolerances.low_recovery_pct)})


def mass_balance_deviation_pct(accounted_g: int, gross_g: int) -> float | None:
    """How far what was accounted for (weighed out, components included, plus refrigerant)
    is off the intake weight, in per cent of it and signed (+: more came out than went in):
    the one way every screen states a mass balance. The flag below compares the same
    quantity with its tolerance, in exact integers."""
    return (accounted_g - gross_g) * 100 / gross_g if gross_g else None


def mass_balance(facts: UnitFacts, tolerances: Tolerances) -> Flag | None:
    gross = (facts.received or {})["gross_g"]
    accounted = facts.weighed_g() + facts.recovered_g
    if abs(accounted - gross) * 100 <= tolerances.mass_balance_pct * gross:
        return None
    return Flag("mass_balance", {"accounted_g": accounted, "gross_g": gross,
                                 "tolerance_pct": decimal_text(tolerances.mass_balance_pct)})


def yields(facts: UnitFacts, category: Category, catalogue: Catalogue) -> list[Flag]:
    """One flag per fraction whose share of the gross is outside the category's range
    (weighed components count in their component's fraction)."""
    gross = (facts.received or {})["gross_g"]
    by_fraction: Counter[str] = Counter()
    for data in facts.outputs:
        by_fraction[data["fraction"]] += data["mass_g"]
    for data in facts.data_of("component.removed"):
        component = catalogue.components.get(data["component"])
        if data.get("mass_g") and component is not None:
            by_fraction[component.fraction] += data["mass_g"]
    flags = []
    for fraction, mass in sorted(by_fraction.items()):
        bounds = category.yields.get(fraction)
        if bounds is None or bounds[0] * gross <= mass * 100 <= bounds[1] * gross:
            continue
        flags.append(Flag("yield_out_of_range",
                          {"fraction": fraction, "mass_g": mass, "gross_g": gross,
                           "min_pct": decimal_text(bounds[0]),
                           "max_pct": decimal_text(bounds[1])}, key=fraction))
    return flags


def calibration(scale: str, at: str, last_pass: str | None, tolerances: Tolerances) -> Flag | None:
    """A flag if `scale` had no passing check within the period before the weighing at `at`."""
    period = tolerances.calibration_period_h
    if last_pass is not None and parse(at) - parse(last_pass) <= timedelta(hours=period):
        return None
    return Flag("calibration_overdue", {"scale": scale, "hours": period, "at": at,
                                        "last_pass": last_pass or "none"}, key=scale)


def calibrations(weighings: Sequence[Indexed], last_pass: LastPass,
                 tolerances: Tolerances) -> list[Flag]:
    """One flag per scale, at its first weighing without a passing check in the period."""
    flags: dict[str, Flag] = {}
    for index, event in weighings:
        scale = event["data"].get("scale")
        if not scale or scale in flags or event["type"] == "unit.completed":
            continue
        if event["type"] == "component.removed" and event["data"].get("mass_g") is None:
            continue
        found = calibration(scale, event["time"], last_pass(scale, event["time"], index),
                            tolerances)
        if found:
            flags[scale] = found
    return list(flags.values())


def unit_flags(events: Sequence[Indexed], label: str, category: Category,
               catalogue: Catalogue, last_pass: LastPass) -> list[Flag]:
    """Every flag a unit's effective record raises, in a fixed order."""
    facts = UnitFacts(label, tuple(event for _, event in events))
    tolerances = catalogue.tolerances
    found = [low_recovery(facts, tolerances), mass_balance(facts, tolerances)]
    flags = [f for f in found if f is not None]
    flags += yields(facts, category, catalogue)
    flags += calibrations(events, last_pass, tolerances)
    excused = evidence.excused(facts, catalogue)
    return flags + ([excused] if excused else [])


def receipt_weight(lot: LotFacts, tolerances: Tolerances) -> Flag | None:
    sealed, received = lot.data_of("lot.sealed"), lot.data_of("lot.received")
    if sealed is None or received is None:
        return None
    net, got = sealed["net_g"], received["received_g"]
    if abs(got - net) * 100 <= tolerances.receipt_pct * net:
        return None
    return Flag("receipt_weight", {"lot": lot.lot, "received_g": got, "net_g": net,
                                   "tolerance_pct": decimal_text(tolerances.receipt_pct)})
