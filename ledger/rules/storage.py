"""Storage: units and lots go only into zones meant for them (HJ 527 zoned storage; hazardous
outputs only into a hazardous-waste store), a unit set aside is not dismantled until taken
back, and a stock count is recorded once and each of its differences adjusted once."""

from __future__ import annotations

from typing import Any

from ledger.catalogue import Catalogue
from ledger.rules import reasons
from ledger.rules.facts import CountFacts, CountLine, LotFacts, UnitFacts, count_line
from ledger.rules.reasons import Refusal

# What a unit's dismantling records: refused while the unit is set aside.
DISMANTLING = frozenset({"refrigerant.recovered", "refrigerant.absent", "component.removed",
                         "material.output", "unit.completed"})


def check_zone(zone: str, needs: str, what: str, catalogue: Catalogue) -> None:
    """`zone` is in the catalogue and holds `needs` (codes.ZONE_KINDS, named in the message
    by their codes, which the console's Stock page explains)."""
    found = catalogue.zones.get(zone)
    if found is None:
        raise Refusal(reasons.UNKNOWN_ZONE, zone=zone,
                      known=", ".join(sorted(catalogue.zones)) or "none yet")
    if found.kind != needs:
        fitting = sorted(code for code, z in catalogue.zones.items() if z.kind == needs)
        raise Refusal(reasons.WRONG_ZONE, zone=zone, kind=found.kind, what=what, needs=needs,
                      zones=", ".join(fitting) or "none in the catalogue")


def check_unit_storage(etype: str, data: dict[str, Any], facts: UnitFacts,
                       catalogue: Catalogue) -> None:
    """unit.stored, unit.set_aside, unit.taken_back and the dismantling of a unit set aside
    (the unit is known to be received and not completed)."""
    aside = facts.aside
    if etype in DISMANTLING and aside is not None:
        raise Refusal(reasons.UNIT_SET_ASIDE, label=facts.label, reason=aside)
    if etype == "unit.stored" or (etype == "unit.set_aside" and data.get("zone")):
        check_zone(data["zone"], "units", f"unit {facts.label}", catalogue)
    if etype == "unit.set_aside" and aside is not None:
        raise Refusal(reasons.UNIT_SET_ASIDE, label=facts.label, reason=aside)
    if etype == "unit.taken_back" and aside is None:
        raise Refusal(reasons.NOT_SET_ASIDE, label=facts.label)


def check_lot_stored(data: dict[str, Any], lot: LotFacts, catalogue: Catalogue) -> None:
    state = lot.state
    if state not in ("open", "sealed"):
        raise Refusal(reasons.LOT_NOT_IN_PLANT, lot=lot.lot, state=state)
    hazardous = bool((lot.opened or {}).get("hazardous"))
    check_zone(data["zone"], "hazardous" if hazardous else "products",
               f"{'hazardous ' if hazardous else ''}lot {lot.lot}", catalogue)


def check_count(etype: str, data: dict[str, Any], count: CountFacts,
                catalogue: Catalogue) -> None:
    if etype == "stock.counted":
        if count.counted is not None:
            raise Refusal(reasons.COUNT_RECORDED, count=count.count)
        for line in data["units"]:
            check_zone(line["zone"], "units", f"a count of {line['category']}", catalogue)
            if line["category"] not in catalogue.categories:
                raise Refusal(reasons.UNKNOWN_CATEGORY, category=line["category"],
                              known=", ".join(catalogue.categories))
        for line in data["fractions"]:
            if line["fraction"] not in catalogue.fractions:
                raise Refusal(reasons.UNKNOWN_FRACTION, fraction=line["fraction"],
                              known=", ".join(sorted(catalogue.fractions)))
        return
    counted = count.counted
    if counted is None:
        raise Refusal(reasons.NO_COUNT, count=count.count)
    key = count_line(data)
    if data.get("fraction") is not None:
        if data["fraction"] not in {f["fraction"] for f in counted["fractions"]}:
            raise Refusal(reasons.NOT_COUNTED, count=count.count, line=line_name(key))
    elif data.get("zone") is not None \
            and data["zone"] not in {u["zone"] for u in counted["units"]}:
        raise Refusal(reasons.NOT_COUNTED, count=count.count, line=line_name(key))
    if key in count.adjusted:
        raise Refusal(reasons.ALREADY_ADJUSTED, count=count.count, line=line_name(key))


def line_name(key: CountLine) -> str:
    kind, zone, code = key
    if kind == "fraction":
        return f"fraction {code}"
    return f"{code} in zone {zone}" if zone else f"{code} in no zone"
