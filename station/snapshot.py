"""The kiosk's snapshot of a station (GET /api/state): who is signed in, the unit open with
its steps and figures, the cylinder and lot selected, the prompt and the actions offered now,
the scales, the last outcome, the outbox, and the names the page shows (the catalogue in
force and the sources of the rules)."""

from __future__ import annotations

from typing import Any

from ledger.catalogue import Category
from ledger.rules import units
from ledger.rules.codes import SOURCE_NAMES, SOURCES
from ledger.rules.facts import UnitFacts
from station import workflow as wf
from station.context import StepContext
from station.outbox import Courier
from station.polling import ScalePoller
from station.session import DETAILS, Intake
from station.workflow import N_, Message


def state(ctx: StepContext, courier: Courier, mode: str, last: dict[str, Any] | None
          ) -> dict[str, Any]:
    """The snapshot; `mode` is the ledger client's, `last` the last outcome shown."""
    session, outbox = ctx.session, ctx.outbox
    counts = outbox.counts()
    return {
        "station": {"id": ctx.config.station_id, "name": ctx.config.name,
                    "language": ctx.config.language},
        "operator": {"badge": session.operator} if session.operator else None,
        "unit": _unit(ctx),
        "cylinder": _cylinder(ctx),
        "selected": {"lot": session.lot,
                     "cylinder": session.cylinder.id if session.cylinder else None},
        "prompt": _prompt(ctx).as_json(),
        "actions": _actions(ctx),
        "scales": [_scale(p) for p in ctx.scales.values()],
        "last": last,
        "outbox": {"pending": counts["pending"], "delivered": counts["delivered"],
                   "held": counts["held"], "online": bool(courier.online),
                   "mode": mode, "last_error": courier.last_error,
                   "held_events": [{"id": h.event_id, "subject": h.subject,
                                    "type": h.type, "reason": h.reason}
                                   for h in outbox.held()[:10]]},
        "lots": _lots(ctx),
        "catalogue": _catalogue(ctx),
    }


def _catalogue(ctx: StepContext) -> dict[str, Any]:
    """The names the page shows: the catalogue in force, and the sources of the rules."""
    catalogue = ctx.catalogue
    names = catalogue.as_json() if catalogue else {
        "categories": [], "fractions": [], "components": [], "absent_reasons": []}
    return {**names, "sources": [{"code": code, "name": SOURCE_NAMES[code]}
                                 for code in SOURCES]}


def _scale(poller: ScalePoller) -> dict[str, Any]:
    view = poller.view()
    return {"name": view.name, "role": poller.config.role, "status": view.status,
            "mass_g": view.mass_g, "stable": view.status == "stable",
            "message": view.message}


def _unit(ctx: StepContext) -> dict[str, Any] | None:
    unit = ctx.session.unit
    if not unit:
        return None
    if isinstance(unit, Intake):
        category = ctx.categories().get(unit.category or "")
        return {"label": unit.label, "received": False,
                "category": unit.category,
                "category_name": category.name if category else None,
                "gross_g": None,
                "refrigerant_bearing": bool(category and category.refrigerant_bearing),
                "trade_in_code": unit.trade_in_code, "details": unit.details,
                "steps": _steps(ctx, None, category), "next": "intake",
                "recovered_g": None, "outputs": [], "outputs_g": 0}
    facts = ctx.world().unit(unit.label)
    received = facts.received or {}
    category = ctx.categories().get(received.get("category", ""))
    outputs = [{"fraction": d["fraction"], "lot": d["lot"], "mass_g": d["mass_g"]}
               for d in facts.outputs]
    return {"label": unit.label, "received": True,
            "category": received.get("category"),
            "category_name": category.name if category else None,
            "gross_g": received.get("gross_g"),
            "refrigerant_bearing": bool(category and category.refrigerant_bearing),
            "trade_in_code": received.get("trade_in_code"),
            "details": {k: received.get(k) for k in DETAILS},
            "steps": _steps(ctx, facts, category),
            "next": units.next_step(facts, category) if category else None,
            "recovered_g": (facts.recovered_g if facts.data_of("refrigerant.recovered")
                            else None),
            "outputs": outputs, "outputs_g": facts.weighed_g()}


def _steps(ctx: StepContext, facts: UnitFacts | None, category: Category | None
           ) -> list[dict[str, Any]]:
    steps = wf.steps_of(category) if category else [("intake", True), ("complete", True)]
    catalogue = ctx.catalogue
    result = []
    for code, required in steps:
        count = facts.done(code) if facts else 0
        result.append({"code": code, "name": catalogue.step_name(code) if catalogue
                       else code,
                       "required": required, "done": count > 0, "count": count})
    return result


def _cylinder(ctx: StepContext) -> dict[str, Any] | None:
    cylinder = ctx.session.cylinder
    if not cylinder:
        return None
    registered = ctx.world().cylinder(cylinder.id).registered or {}
    return {"id": cylinder.id, "before_g": cylinder.before_g,
            "refrigerant": registered.get("refrigerant"),
            "max_gross_g": registered.get("max_gross_g")}


def _lots(ctx: StepContext) -> list[dict[str, Any]]:
    lot = ctx.session.lot
    if not lot:
        return []
    facts = ctx.world().lot(lot)
    return [{"lot": lot, "fraction": (facts.opened or {}).get("fraction"),
             "state": facts.state, "selected": True}]


def _prompt(ctx: StepContext) -> Message:
    session = ctx.session
    if not session.operator:
        return Message(N_("Scan your badge to sign in"))
    unit = session.unit
    platform = ctx.config.scale("platform")
    cylinder_scale = ctx.config.scale("cylinder") or platform
    assert platform is not None and cylinder_scale is not None
    if not unit:
        return Message(N_("Scan the unit label or trade-in code"))
    label = unit.label
    if isinstance(unit, Intake):
        if not unit.category:
            return Message(N_("Choose the category of unit %(label)s"), {"label": label})
        return Message(N_("Put unit %(label)s on scale %(scale)s and press Weigh"),
                       {"label": label, "scale": platform.name})
    facts = ctx.world().unit(label)
    category = ctx.categories().get((facts.received or {}).get("category", ""))
    step = units.next_step(facts, category) if category else None
    cylinder = session.cylinder
    if step == "refrigerant":
        if not cylinder:
            return Message(N_("Scan the recovery cylinder, or record why there is no "
                              "refrigerant"))
        if cylinder.before_g is None:
            return Message(N_("Put cylinder %(cylinder)s on scale %(scale)s and press Weigh "
                              "before"), {"cylinder": cylinder.id,
                                          "scale": cylinder_scale.name})
        return Message(N_("Recover the refrigerant into %(cylinder)s, then press Weigh "
                          "after"), {"cylinder": cylinder.id})
    if step and step.startswith("component:"):
        return Message(N_("Remove the %(component)s and record it"),
                       {"component": step.split(":", 1)[1]})
    if step and step.startswith("output:"):
        return Message(N_("Scan the lot for %(fraction)s and weigh the output"),
                       {"fraction": step.split(":", 1)[1]})
    return Message(N_("Weigh any further outputs, then press Complete"))


def _actions(ctx: StepContext) -> list[str]:
    """The actions (station.actions) the kiosk offers now."""
    session = ctx.session
    if not session.operator:
        return []
    actions = ["sign_out"]
    unit = session.unit
    if isinstance(unit, Intake):
        actions += ["select_category", "set_details", "cancel"]
        if unit.category:
            actions.append("weigh_intake")
    elif unit:
        facts = ctx.world().unit(unit.label)
        category = ctx.categories().get((facts.received or {}).get("category", ""))
        if category and category.refrigerant_bearing and not facts.done("refrigerant") \
                and not facts.outputs:
            cylinder = session.cylinder
            if cylinder:
                actions.append("recovery_before" if cylinder.before_g is None
                               else "recovery_after")
            actions.append("refrigerant_absent")
        actions += ["component", "cancel"]
        if session.lot:
            actions.append("output")
        actions.append("complete")
    lot = session.lot
    if lot:
        lot_state = ctx.world().lot(lot).state
        actions += {"new": ["open_lot"], "open": ["seal_lot"]}.get(lot_state, [])
    return actions
