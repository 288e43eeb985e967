"""What a certificate states, derived from `(entry index, event)` pairs alone.

The builder derives statements from the entries it puts in a certificate; the verifier derives
them again from the entries it received and compares field by field. So this module is the one
definition of every figure, and it uses the standard library only (plus ledger.gwp).

Corrections are applied as ledger.projections applies them: for each corrected entry the
latest correction wins; `void` drops the entry, `set` replaces those data fields of the
original. Every figure names the entry index(es) it comes from (`entry`, `entries`). No
floats: grams, counts, and CO2e in integer grams with the GWP factor stated as a decimal string.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger import gwp

Pair = tuple[int, dict[str, Any]]  # (entry index, event object)
DEFAULT_BASIS = "AR4"


class StatementError(ValueError):
    """The entries cannot support the statements asked for; the message says why."""


# -- corrections ----------------------------------------------------------------------------

def corrected(pairs: Iterable[Pair]) -> tuple[list[Pair], list[dict[str, Any]]]:
    """The effective events (corrections applied, voided ones dropped) and the corrections."""
    ordered = sorted(pairs, key=lambda pair: pair[0])
    fixes: dict[int, dict[str, Any]] = {}
    corrections = []
    for index, event in ordered:
        if event["type"] == "correction":
            data = event["data"]
            fixes[data["corrects"]] = data
            corrections.append({"entry": index, "corrects": data["corrects"],
                                "reason": data["reason"], "approved_by": data["approved_by"],
                                "set": data.get("set"), "void": bool(data.get("void")),
                                "time": event["time"], "operator": event["operator"]})
    effective = []
    for index, event in ordered:
        fix = fixes.get(index)
        if event["type"] == "correction" or (fix and fix.get("void")):
            continue
        if fix:
            event = {**event, "data": {**event["data"], **fix["set"]}}
        effective.append((index, event))
    return effective, corrections


def _who(index: int, event: dict[str, Any]) -> dict[str, Any]:
    return {"time": event["time"], "station": event["station"], "operator": event["operator"],
            "entry": index}


def _pick(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: data.get(name) for name in names}


# -- CO2e -----------------------------------------------------------------------------------

def co2e(gas: str, grams: int, basis: str) -> dict[str, Any]:
    """The GWP factor stated as text and CO2e in integer grams (half up), or nulls if unknown."""
    factor = gwp.factor(gas)
    if factor is None:
        return {"gwp": None, "gwp_conventional": None, "co2e_g": None}
    value = factor.of(basis)
    grams_co2e = int((Decimal(grams) * value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {"gwp": str(value), "gwp_conventional": factor.conventional, "co2e_g": grams_co2e}


def _check_basis(basis: str) -> None:
    if basis not in gwp.BASES:
        raise StatementError(f"GWP basis {basis!r}: use one of {', '.join(gwp.BASES)}")


# -- unit certificate -----------------------------------------------------------------------

def unit_statements(pairs: Iterable[Pair], label: str, *,
                    gwp_basis: str = DEFAULT_BASIS) -> dict[str, Any]:
    """A unit's dismantling certificate: from the entries of its subject chain."""
    _check_basis(gwp_basis)
    subject = "unit:" + label
    chain = [(i, e) for i, e in pairs if e["subject"] == subject]
    effective, corrections = corrected(chain)
    unit = intake = completed = None
    recovered, absent, components, outputs = [], [], [], []
    for index, event in effective:
        data, etype = event["data"], event["type"]
        if etype == "unit.received":
            unit = {"label": label, **_pick(data, "category", "source", "trade_in_code", "brand",
                                             "model", "serial", "nameplate_refrigerant",
                                             "nameplate_charge_g"), "entry": index}
            intake = {"gross_g": data["gross_g"], "scale": data["scale"], **_who(index, event)}
        elif etype == "refrigerant.recovered":
            recovered.append({**_pick(data, "refrigerant", "recovered_g", "cylinder",
                                      "cylinder_gross_before_g", "cylinder_gross_after_g",
                                      "scale", "nameplate_charge_g"),
                              **co2e(data["refrigerant"], data["recovered_g"], gwp_basis),
                              **_who(index, event)})
        elif etype == "refrigerant.absent":
            absent.append({**_pick(data, "reason", "note"), **_who(index, event)})
        elif etype == "component.removed":
            components.append({**_pick(data, "component", "count", "mass_g", "scale", "lot"),
                               **_who(index, event)})
        elif etype == "material.output":
            outputs.append({**_pick(data, "fraction", "mass_g", "lot", "scale"),
                            **_who(index, event)})
        elif etype == "unit.completed":
            completed = {**_pick(data, "note", "flags"), **_who(index, event)}
    if unit is None or intake is None:
        raise StatementError(f"the entries hold no unit.received for unit {label}")
    refrigerant_g = sum(r["recovered_g"] for r in recovered)
    outputs_g = sum(o["mass_g"] for o in outputs)
    components_g = sum(c["mass_g"] or 0 for c in components)
    return {
        "unit": unit,
        "intake": intake,
        "refrigerant": {
            "gwp_basis": gwp_basis, "gwp_source": gwp.SOURCES[gwp_basis],
            "recovered": recovered, "absent": absent, "recovered_g": refrigerant_g,
            "co2e_g": sum(r["co2e_g"] or 0 for r in recovered),
            "without_gwp_g": sum(r["recovered_g"] for r in recovered if r["co2e_g"] is None),
        },
        "components": components,
        "outputs": outputs,
        "balance": {"intake_g": intake["gross_g"], "outputs_g": outputs_g,
                    "components_g": components_g, "refrigerant_g": refrigerant_g,
                    "difference_g": intake["gross_g"] - outputs_g - components_g - refrigerant_g},
        "completed": completed,
        "state": "completed" if completed else "in progress",
        "stations": sorted({e["station"] for _, e in effective}),
        "operators": sorted({e["operator"] for _, e in effective}),
        "corrections": corrections,
        "entries": [index for index, _ in sorted(chain, key=lambda pair: pair[0])],
    }


# -- period report --------------------------------------------------------------------------

def period_bounds(start: str, end: str, time_zone: str) -> dict[str, str]:
    """The period from the start of `start` to the end of `end` (inclusive dates) in the
    plant's time zone, with its UTC bounds [from_utc, until_utc)."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise StatementError(f"time zone {time_zone!r} is unknown; use an IANA name such as "
                             "Asia/Shanghai") from None
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise StatementError(f"dates {start!r} and {end!r} must be YYYY-MM-DD") from None
    if last < first:
        raise StatementError(f"the period ends ({end}) before it starts ({start})")

    def utc(day: date) -> str:
        moment = datetime.combine(day, time(0), zone).astimezone(ZoneInfo("UTC"))
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return {"from": first.isoformat(), "to": last.isoformat(), "time_zone": time_zone,
            "from_utc": utc(first), "until_utc": utc(last + timedelta(days=1))}


def period_line(unit: dict[str, Any]) -> dict[str, Any]:
    """One unit's line in a period report, from its unit statements."""
    refrigerant: dict[str, int] = {}
    for r in unit["refrigerant"]["recovered"]:
        refrigerant[r["refrigerant"]] = refrigerant.get(r["refrigerant"], 0) + r["recovered_g"]
    outputs: dict[str, int] = {}
    for o in unit["outputs"]:
        outputs[o["fraction"]] = outputs.get(o["fraction"], 0) + o["mass_g"]
    components: dict[str, int] = {}
    for c in unit["components"]:
        components[c["component"]] = components.get(c["component"], 0) + (c["count"] or 1)
    completed = unit["completed"]
    return {
        "label": unit["unit"]["label"], "category": unit["unit"]["category"],
        "trade_in_code": unit["unit"]["trade_in_code"],
        "received_at": unit["intake"]["time"], "completed_at": completed["time"],
        "gross_g": unit["intake"]["gross_g"],
        "refrigerant": dict(sorted(refrigerant.items())),
        "refrigerant_g": unit["refrigerant"]["recovered_g"],
        "co2e_g": unit["refrigerant"]["co2e_g"],
        "outputs": dict(sorted(outputs.items())), "outputs_g": unit["balance"]["outputs_g"],
        "components": dict(sorted(components.items())),
        "flags": sorted(flag["code"] for flag in completed["flags"] or []),
        "entries": unit["entries"],
    }


def period_statements(pairs: Iterable[Pair], *, plant: str, start: str, end: str,
                      time_zone: str, categories: list[str] | None = None,
                      gwp_basis: str = DEFAULT_BASIS) -> dict[str, Any]:
    """A period report: one line per unit completed in the period (and categories), totals
    per category and per output fraction. Units not completed in the period are left out."""
    _check_basis(gwp_basis)
    period = period_bounds(start, end, time_zone)
    wanted = set(categories) if categories else None
    by_unit: dict[str, list[Pair]] = {}
    for index, event in pairs:
        kind, _, name = event["subject"].partition(":")
        if kind == "unit":
            by_unit.setdefault(name, []).append((index, event))
    lines = []
    for label, chain in by_unit.items():
        try:
            unit = unit_statements(chain, label, gwp_basis=gwp_basis)
        except StatementError:
            continue  # its unit.received was voided: not a unit the plant dismantled
        completed = unit["completed"]
        if completed is None or not period["from_utc"] <= completed["time"] < period["until_utc"]:
            continue
        if wanted is not None and unit["unit"]["category"] not in wanted:
            continue
        lines.append(period_line(unit))
    lines.sort(key=lambda line: (line["completed_at"], line["label"]))
    return {"plant": plant, "period": period,
            "categories": sorted(wanted) if wanted is not None else None,
            "gwp_basis": gwp_basis, "gwp_source": gwp.SOURCES[gwp_basis],
            "lines": lines, "totals": period_totals(lines)}


def period_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    figures = ("gross_g", "refrigerant_g", "co2e_g", "outputs_g")
    totals: dict[str, Any] = {"units": len(lines), **dict.fromkeys(figures, 0)}
    by_category: dict[str, dict[str, int]] = {}
    by_fraction: dict[str, dict[str, int]] = {}
    for line in lines:
        category = by_category.setdefault(line["category"],
                                          {"units": 0, **dict.fromkeys(figures, 0)})
        category["units"] += 1
        for name in figures:
            totals[name] += line[name]
            category[name] += line[name]
        for fraction, grams in line["outputs"].items():
            row = by_fraction.setdefault(fraction, {"units": 0, "mass_g": 0})
            row["units"] += 1
            row["mass_g"] += grams
    totals["by_category"] = dict(sorted(by_category.items()))
    totals["by_fraction"] = dict(sorted(by_fraction.items()))
    return totals


# -- lot shipment manifest ------------------------------------------------------------------

def lot_statements(pairs: Iterable[Pair], lot: str) -> dict[str, Any]:
    """A lot's shipment manifest: the lot's own chain, the unit outputs put in it (with the
    corrections made to them), the receiver and manifest number, and the receipt if any."""
    subject = "lot:" + lot
    pairs = list(pairs)
    effective, corrections = corrected(pairs)
    opened = sealed = shipped = received = None
    outputs = []
    for index, event in effective:
        data, etype = event["data"], event["type"]
        if event["subject"] == subject:
            if etype == "lot.opened":
                opened = {**_pick(data, "fraction", "hazardous", "container"),
                          **_who(index, event)}
            elif etype == "lot.sealed":
                sealed = {**_pick(data, "net_g", "scale"), **_who(index, event)}
            elif etype == "lot.shipped":
                shipped = {**_pick(data, "receiver", "manifest_no", "receiver_licence",
                                   "vehicle"), **_who(index, event)}
            elif etype == "lot.received":
                received = {**_pick(data, "receiver", "manifest_no", "received_g"),
                            **_who(index, event)}
        elif etype in ("material.output", "component.removed") and data.get("lot") == lot:
            material = etype == "material.output"
            outputs.append({"unit": event["subject"].partition(":")[2],
                            "kind": "material" if material else "component",
                            "code": data["fraction"] if material else data["component"],
                            "mass_g": data.get("mass_g"), "count": data.get("count"),
                            **_who(index, event)})
    if opened is None:
        raise StatementError(f"the entries hold no lot.opened for lot {lot}")
    state = ("received" if received else "shipped" if shipped else "sealed" if sealed
             else "open")
    return {"lot": lot, "opened": opened, "sealed": sealed, "shipped": shipped,
            "received": received, "state": state, "outputs": outputs,
            "outputs_g": sum(o["mass_g"] or 0 for o in outputs),
            "units": sorted({o["unit"] for o in outputs}),
            "corrections": corrections,
            "entries": sorted(index for index, _ in pairs)}


# -- dispatch -------------------------------------------------------------------------------

def derive(kind: str, pairs: list[Pair], statements: dict[str, Any],
           origin: str) -> dict[str, Any]:
    """Derive `kind`'s statements again, with the parameters the given statements name
    (label, lot, period, categories, GWP basis): what a verifier compares them with."""
    if kind not in ("unit", "period", "lot"):
        raise StatementError(f"kind {kind!r} is not unit, period or lot")
    try:
        if kind == "unit":
            label, basis = statements["unit"]["label"], statements["refrigerant"]["gwp_basis"]
        elif kind == "period":
            period = statements["period"]
            params = {"start": period["from"], "end": period["to"],
                      "time_zone": period["time_zone"], "categories": statements["categories"],
                      "gwp_basis": statements["gwp_basis"]}
        else:
            lot = statements["lot"]
    except (KeyError, TypeError) as exc:
        raise StatementError(f"the statements do not name what they are about: missing "
                             f"{exc}") from None
    if kind == "unit":
        return unit_statements(pairs, label, gwp_basis=basis)
    if kind == "period":
        return period_statements(pairs, plant=origin, **params)
    return lot_statements(pairs, lot)
