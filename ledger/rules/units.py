"""A unit's route: intake, the order of its steps, and what completing it needs."""

from __future__ import annotations

from typing import Any

from ledger.catalogue import Catalogue, Category
from ledger.rules import reasons
from ledger.rules.facts import UnitFacts
from ledger.rules.reasons import Refusal


def category_of(code: str, catalogue: Catalogue) -> Category:
    try:
        return catalogue.categories[code]
    except KeyError:
        raise Refusal(reasons.UNKNOWN_CATEGORY, category=code,
                      known=", ".join(sorted(catalogue.categories))) from None


def check_intake(data: dict[str, Any], catalogue: Catalogue) -> Category:
    """`unit.received` data on its own: a known category, a plausible weight and gas."""
    category = category_of(data["category"], catalogue)
    low, high = category.weight_g
    if not low <= data["gross_g"] <= high:
        raise Refusal(reasons.WEIGHT_OUT_OF_RANGE, gross_g=data["gross_g"],
                      category=category.code, low_g=low, high_g=high)
    gas = data.get("nameplate_refrigerant")
    if gas and gas not in category.refrigerants:
        raise Refusal(reasons.NAMEPLATE_GAS, refrigerant=gas, category=category.code,
                      allowed=", ".join(category.refrigerants) or "none")
    product = catalogue.fund.products.get(category.code) if catalogue.fund else None
    for field, implied in (product.implies.items() if product else ()):
        if data.get(field) not in (None, implied):
            raise Refusal(reasons.NAMEPLATE_CONTRADICTS, field=field, value=data[field],
                          category=category.code, implied=implied)
    return category


def check_new_label(facts: UnitFacts) -> None:
    received = facts.received
    if received is not None:
        raise Refusal(reasons.DUPLICATE_LABEL, label=facts.label,
                      category=received["category"], gross_g=received["gross_g"])


def check_trade_in(code: str, holder: str | None, label: str) -> None:
    if holder is not None and holder != label:
        raise Refusal(reasons.DUPLICATE_TRADE_IN, code=code, holder=holder)


def open_unit(facts: UnitFacts) -> dict[str, Any]:
    """The unit's intake data; refused unless it was received and is not completed."""
    received = facts.received
    if received is None:
        raise Refusal(reasons.NOT_RECEIVED, label=facts.label)
    if facts.completed:
        raise Refusal(reasons.ALREADY_COMPLETED, label=facts.label)
    return received


def missing_depollution(facts: UnitFacts, category: Category) -> list[str]:
    return [s.code for s in category.steps
            if s.required and s.kind != "output" and not facts.done(s.code)]


def check_before_outputs(facts: UnitFacts) -> None:
    if facts.outputs:
        raise Refusal(reasons.AFTER_OUTPUTS, label=facts.label)


def check_output_mass(facts: UnitFacts, mass_g: int | None) -> None:
    """No single output or component outweighs the unit it came out of."""
    gross = (facts.received or {}).get("gross_g")
    if mass_g is not None and gross is not None and mass_g > gross:
        raise Refusal(reasons.IMPOSSIBLE_MASS, mass_g=mass_g, label=facts.label, gross_g=gross)


def check_completion(facts: UnitFacts, category: Category) -> None:
    if category.refrigerant_bearing and not facts.done("refrigerant"):
        raise Refusal(reasons.NO_REFRIGERANT_RECORD, label=facts.label, category=category.code)
    missing = [s.code for s in category.steps if s.required and not facts.done(s.code)]
    if missing:
        raise Refusal(reasons.STEPS_MISSING, label=facts.label, steps=", ".join(missing))
    if not facts.outputs:
        raise Refusal(reasons.NO_OUTPUTS, label=facts.label)


def next_step(facts: UnitFacts, category: Category) -> str | None:
    """The first required step not yet done, else the first output, else complete."""
    if facts.completed:
        return None
    steps = [("intake", True), *((s.code, s.required) for s in category.steps)]
    for step, required in steps:
        if required and not facts.done(step):
            return step
    if not facts.outputs:
        return next((s for s, _ in steps if s.startswith("output:")), "complete")
    return "complete"
