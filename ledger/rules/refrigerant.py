"""Refrigerant: recovery into a registered cylinder of the same gas, within its Guideline K
fill limit and continuing from its last weight; or a recorded reason why there is none."""

from __future__ import annotations

from typing import Any

from ledger.catalogue import Catalogue, Category, guideline_k_max_gross_g
from ledger.rules import reasons
from ledger.rules.facts import CylinderFacts, UnitFacts
from ledger.rules.reasons import Refusal


def unit_gas(facts: UnitFacts, category: Category, refrigerant: str) -> None:
    """The gas recovered is the nameplate's, or at least one the category holds."""
    received = facts.received or {}
    nameplate = received.get("nameplate_refrigerant")
    if nameplate and refrigerant != nameplate:
        raise Refusal(reasons.WRONG_GAS, label=facts.label, gas=nameplate,
                      why="its nameplate", refrigerant=refrigerant)
    if refrigerant not in category.refrigerants:
        raise Refusal(reasons.WRONG_GAS, label=facts.label,
                      gas=" / ".join(category.refrigerants), why=f"a {category.code}",
                      refrigerant=refrigerant)


def check_recovery_room(facts: UnitFacts, category: Category, cylinder: CylinderFacts,
                        refrigerant: str, before_g: int, tolerance_g: int) -> dict[str, Any]:
    """Before a recovery: the unit may take one and the cylinder fits it (registered, same
    gas, the same weight as after its last recovery, room for the nameplate charge).
    Returns the cylinder's registration."""
    if not category.refrigerant_bearing:
        raise Refusal(reasons.NOT_REFRIGERANT_BEARING, category=category.code)
    if facts.data_of("refrigerant.absent"):
        raise Refusal(reasons.REFRIGERANT_RECORDED, label=facts.label,
                      recorded=facts.data_of("refrigerant.absent")[0]["reason"])
    unit_gas(facts, category, refrigerant)
    registration = cylinder.registered
    if registration is None:
        raise Refusal(reasons.UNKNOWN_CYLINDER, cylinder=cylinder.cylinder)
    if registration["refrigerant"] != refrigerant:
        raise Refusal(reasons.WRONG_CYLINDER, cylinder=cylinder.cylinder,
                      cylinder_gas=registration["refrigerant"], gas=refrigerant)
    if cylinder.last_after_g is not None and abs(before_g - cylinder.last_after_g) > tolerance_g:
        raise Refusal(reasons.CYLINDER_DISCONTINUOUS, cylinder=cylinder.cylinder,
                      before_g=before_g, last_after_g=cylinder.last_after_g,
                      last_entry=("not yet logged" if cylinder.last_entry is None
                                  else cylinder.last_entry), tolerance_g=tolerance_g)
    charge = (facts.received or {}).get("nameplate_charge_g") or 0
    if before_g + charge > registration["max_gross_g"]:
        raise Refusal(reasons.CYLINDER_OVERFILL, cylinder=cylinder.cylinder,
                      gross_g=before_g + charge, limit_g=registration["max_gross_g"])
    return registration


def check_recovery(data: dict[str, Any], facts: UnitFacts, category: Category,
                   cylinder: CylinderFacts | None, catalogue: Catalogue) -> None:
    """A `refrigerant.recovered` record. Without the cylinder's facts (the verifier), only
    what the unit's own record shows is judged."""
    received = facts.received or {}
    stated = data.get("nameplate_charge_g")
    if stated is not None and stated != received.get("nameplate_charge_g"):
        raise Refusal(reasons.CHARGE_MISMATCH, stated_g=stated,
                      charge_g=received.get("nameplate_charge_g"))
    before, after = data["cylinder_gross_before_g"], data["cylinder_gross_after_g"]
    if after < before:
        raise Refusal(reasons.CYLINDER_LIGHTER, cylinder=data["cylinder"], after_g=after,
                      before_g=before)
    if cylinder is None:
        if not category.refrigerant_bearing:
            raise Refusal(reasons.NOT_REFRIGERANT_BEARING, category=category.code)
        unit_gas(facts, category, data["refrigerant"])
        return
    registration = check_recovery_room(facts, category, cylinder, data["refrigerant"], before,
                                       catalogue.tolerances.cylinder_reweigh_g)
    if after > registration["max_gross_g"]:
        raise Refusal(reasons.CYLINDER_OVERFILL, cylinder=data["cylinder"], gross_g=after,
                      limit_g=registration["max_gross_g"])


def check_absent(data: dict[str, Any], facts: UnitFacts, category: Category,
                 catalogue: Catalogue) -> None:
    reason = data["reason"]
    if reason not in catalogue.absent_reasons:
        raise Refusal(reasons.UNKNOWN_ABSENT_REASON, reason=reason,
                      known=", ".join(catalogue.absent_reasons))
    if facts.done("refrigerant"):
        recorded = facts.data_of("refrigerant.absent") or facts.data_of("refrigerant.recovered")
        raise Refusal(reasons.REFRIGERANT_RECORDED, label=facts.label,
                      recorded=recorded[0].get("reason") or "recovered")
    if not category.refrigerant_bearing and reason != "not_refrigerant_bearing":
        raise Refusal(reasons.ABSENT_REASON_WRONG, category=category.code, reason=reason)


def check_cylinder(data: dict[str, Any], cylinder: CylinderFacts, catalogue: Catalogue) -> None:
    """A `cylinder.registered` record: a new id, a known gas, a max gross within Guideline K."""
    if cylinder.registered is not None:
        raise Refusal(reasons.CYLINDER_REGISTERED, cylinder=cylinder.cylinder,
                      entry=cylinder.registered_entry)
    gas = data["refrigerant"]
    if gas not in catalogue.refrigerant_sg:
        raise Refusal(reasons.UNKNOWN_GAS, refrigerant=gas,
                      known=", ".join(catalogue.refrigerant_sg))
    limit = guideline_k_max_gross_g(gas, data["water_capacity_g"], data["tare_g"], catalogue)
    if data["max_gross_g"] > limit:
        raise Refusal(reasons.MAX_GROSS_ABOVE_LIMIT, max_gross_g=data["max_gross_g"],
                      limit_g=limit, refrigerant=gas, tare_g=data["tare_g"],
                      water_capacity_g=data["water_capacity_g"],
                      sg=str(catalogue.refrigerant_sg[gas]))
