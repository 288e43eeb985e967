"""The worker's actions (the kiosk's buttons and forms), by name: each reads the session's
preconditions, weighs if it must, and records its event judged by the ledger's rules; the
kiosk posts them to /api/act/<action> with the fields of their form.

`ACTIONS` is the whole list; the snapshot (station.snapshot) says which of them the kiosk
offers now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from ledger.fund import nameplate
from ledger.rules import flags as rule_flags
from ledger.rules import lots, refrigerant, units
from ledger.rules.codes import NAMEPLATE_FIELD_NAMES, SOURCES
from ledger.rules.facts import UnitFacts
from station import workflow as wf
from station.context import StepContext
from station.outcome import Outcome, done, judging
from station.session import TEXT_DETAILS, Details, OpenUnit, Session
from station.workflow import N_, BadInput, Refusal

Fields = dict[str, str]
Action = Callable[[StepContext, Fields], Outcome]

_GRAMS = re.compile(r"^[0-9]{1,10}$")


def _field(fields: Fields, name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise BadInput(N_("Give %(field)s"), field=name)
    return value


# -- the session --------------------------------------------------------------------------------

def sign_out(ctx: StepContext, fields: Fields) -> Outcome:
    badge = ctx.signed_in()
    ctx.save(Session(cylinder=ctx.session.kept_cylinder(), lot=ctx.session.lot))
    return done(N_("%(badge)s signed out"), badge=badge)


def cancel(ctx: StepContext, fields: Fields) -> Outcome:
    ctx.signed_in()
    unit = ctx.session.unit
    ctx.save(replace(ctx.session, unit=None, trade_in=None,
                     cylinder=ctx.session.kept_cylinder()))
    if unit is None:
        return done(N_("Nothing was open"))
    if isinstance(unit, OpenUnit):
        return done(N_("Unit %(label)s is put aside: scan its label to continue"),
                    label=unit.label)
    return done(N_("Intake of %(label)s cancelled: nothing was recorded"), label=unit.label)


# -- intake -------------------------------------------------------------------------------------

def select_category(ctx: StepContext, fields: Fields) -> Outcome:
    intake = ctx.intake()
    code = _field(fields, "category")
    units.category_of(code, ctx.known_catalogue())
    ctx.save(replace(ctx.session, unit=replace(intake, category=code)))
    return done(N_("Unit %(label)s is a %(category)s"), label=intake.label, category=code)


def set_details(ctx: StepContext, fields: Fields) -> Outcome:
    intake = ctx.intake()
    details: Details = dict(intake.details)
    for name in TEXT_DETAILS:
        if name in fields:
            value = fields[name].strip()
            if len(value) > 500:
                raise BadInput(N_("%(field)s is longer than 500 characters"), field=name)
            details[name] = value or None
    if "nameplate_refrigerant" in fields:
        gas = fields["nameplate_refrigerant"].strip()
        if gas and gas not in ctx.known_catalogue().refrigerant_sg:
            raise BadInput(N_("Refrigerant %(value)s is not known: use the code on the "
                              "nameplate, e.g. R-600a"), value=gas)
        details["nameplate_refrigerant"] = gas or None
    if "nameplate_charge_g" in fields:
        charge = fields["nameplate_charge_g"].strip()
        if charge and not _GRAMS.match(charge):
            raise BadInput(N_("Nameplate charge %(value)s is not a whole number of grams"),
                           value=charge)
        details["nameplate_charge_g"] = int(charge) if charge else None
    if "source" in fields:
        source = fields["source"].strip()
        if source and source not in SOURCES:
            raise BadInput(N_("Source %(value)s is not one of %(known)s"), value=source,
                           known=", ".join(SOURCES))
        details["source"] = source or None
    for name, spec in nameplate.FIELDS.items():
        if name in fields:
            details[name] = _nameplate_value(spec, fields[name].strip())
    trade_in_code = intake.trade_in_code
    if fields.get("trade_in_code", "").strip():
        code = fields["trade_in_code"].strip()
        if not re.fullmatch(ctx.config.kinds["trade_in"], code):
            raise BadInput(N_("Trade-in code %(value)s does not look like one (%(pattern)s)"),
                           value=code, pattern=ctx.config.kinds["trade_in"])
        ctx.check_trade_in(code, intake.label)
        trade_in_code = code
    ctx.save(replace(ctx.session, unit=replace(intake, details=details,
                                               trade_in_code=trade_in_code)))
    return done(N_("Details of %(label)s noted"), label=intake.label)


def _nameplate_value(spec: nameplate.Field, text: str) -> int | str | None:
    """A nameplate field as the worker gave it (empty: not given), checked as the ledger will."""
    if not text:
        return None
    try:
        return nameplate.parse(spec.name, text)
    except nameplate.NameplateError:
        name = NAMEPLATE_FIELD_NAMES[spec.name]
        if spec.kind == "number":
            raise BadInput(N_("%(field)s %(value)s is not a whole number from %(low)s to "
                              "%(high)s"), field=name, value=text, low=spec.low,
                           high=spec.high) from None
        if spec.kind == "choice":
            raise BadInput(N_("%(field)s %(value)s is not one of the choices: pick one from "
                              "the list"), field=name, value=text) from None
        raise BadInput(N_("%(field)s %(value)s is not a unit label: scan the other unit's "
                          "label"), field=name, value=text) from None


def weigh_intake(ctx: StepContext, fields: Fields) -> Outcome:
    intake = ctx.intake()
    if not intake.category:
        raise Refusal("out_of_order", N_("Choose the category of unit %(label)s first"),
                      label=intake.label)
    world = ctx.world(refresh=True)
    category = units.category_of(intake.category, ctx.known_catalogue())
    weighing = ctx.weigh("platform")
    details = {k: v for k, v in intake.details.items() if v is not None}
    details.setdefault("source", "trade_in" if intake.trade_in_code
                       else ctx.config.default_source)
    if intake.trade_in_code:
        details["trade_in_code"] = intake.trade_in_code
    data = wf.received_data(category, weighing, details)
    event = ctx.signed("unit.received", f"unit:{intake.label}", data, world)
    flags = ctx.calibration_flags(world, event)
    # At an intake-only station the unit leaves once weighed in; elsewhere it stays open.
    after = None if ctx.config.intake_only else OpenUnit(intake.label)
    ctx.commit([event], replace(ctx.session, unit=after))
    return done(N_("Unit %(label)s weighed in: %(gross_g)s g"), [event["event"]["id"]],
                flags, label=intake.label, gross_g=weighing.mass_g)


# -- refrigerant --------------------------------------------------------------------------------

def recovery_before(ctx: StepContext, fields: Fields) -> Outcome:
    facts, category = ctx.received()
    cylinder = ctx.selected_cylinder()
    world = ctx.world(refresh=True)
    weighing = ctx.weigh("cylinder")
    tolerance = ctx.known_catalogue().tolerances.cylinder_reweigh_g
    with judging("refrigerant.recovered", f"unit:{facts.label}"):
        facts_now = world.cylinder(cylinder.id)
        units.check_before_outputs(facts)
        registration = facts_now.registered
        gas = wf.recovery_gas(facts.received or {},
                              registration["refrigerant"] if registration else "")
        refrigerant.check_recovery_room(facts, category, facts_now, gas, weighing.mass_g,
                                        tolerance)
    ctx.save(replace(ctx.session, cylinder=replace(cylinder, before_g=weighing.mass_g)))
    return done(N_("Cylinder %(cylinder)s before: %(gross_g)s g. Recover, then weigh "
                   "after"), cylinder=cylinder.id, gross_g=weighing.mass_g)


def recovery_after(ctx: StepContext, fields: Fields) -> Outcome:
    facts, _ = ctx.received()
    cylinder = ctx.selected_cylinder()
    if cylinder.before_g is None:
        raise Refusal("out_of_order", N_("Weigh cylinder %(cylinder)s before the recovery "
                                         "first"), cylinder=cylinder.id)
    world = ctx.world(refresh=True)
    registration = world.cylinder(cylinder.id).registered or {}
    weighing = ctx.weigh("cylinder")
    received = facts.received or {}
    data = wf.recovered_data(received, wf.recovery_gas(received,
                                                       registration.get("refrigerant", "")),
                             cylinder.id, cylinder.before_g, weighing)
    event = ctx.signed("refrigerant.recovered", f"unit:{facts.label}", data, world)
    after = UnitFacts(facts.label, (*facts.events, event["event"]))
    low = rule_flags.low_recovery(after, ctx.known_catalogue().tolerances)
    flags = [low] if low else []
    flags += ctx.calibration_flags(world, event)
    ctx.commit([event], replace(ctx.session, cylinder=replace(cylinder, before_g=None)))
    return done(N_("Recovered %(recovered_g)s g of %(refrigerant)s from %(label)s"),
                [event["event"]["id"]], flags, recovered_g=data["recovered_g"],
                refrigerant=data["refrigerant"], label=facts.label)


def refrigerant_absent(ctx: StepContext, fields: Fields) -> Outcome:
    facts, _ = ctx.received()
    note = fields.get("note", "").strip() or None
    if note and len(note) > 500:
        raise BadInput(N_("%(field)s is longer than 500 characters"), field="note")
    data = wf.absent_data(_field(fields, "reason"), note)
    event = ctx.signed("refrigerant.absent", f"unit:{facts.label}", data)
    ctx.commit([event], ctx.session)
    return done(N_("No refrigerant in %(label)s: %(reason)s"), [event["event"]["id"]],
                label=facts.label, reason=data["reason"])


# -- components and outputs ---------------------------------------------------------------------

def component(ctx: StepContext, fields: Fields) -> Outcome:
    facts, _ = ctx.received()
    name = _field(fields, "component")
    count_text = fields.get("count", "1").strip() or "1"
    if not count_text.isdigit():
        raise BadInput(N_("Count %(count)s is not a whole number"), count=count_text)
    weighing, lot = None, None
    if fields.get("weigh", "").lower() in ("1", "true", "yes", "on"):
        weighing = ctx.weigh("platform")
        known = ctx.known_catalogue().components.get(name)
        lot = ctx.lot_for(known.fraction if known else None)
    world = ctx.world()
    data = wf.component_data(name, int(count_text), weighing, lot)
    event = ctx.signed("component.removed", f"unit:{facts.label}", data, world)
    flags = ctx.calibration_flags(world, event) if weighing else []
    ctx.commit([event], ctx.session)
    return done(N_("%(component)s × %(count)s removed from %(label)s"),
                [event["event"]["id"]], flags, component=name, count=data["count"],
                label=facts.label)


def output(ctx: StepContext, fields: Fields) -> Outcome:
    facts, _ = ctx.received()
    lot = ctx.session.lot
    if not lot:
        raise Refusal("no_lot", N_("Scan the lot label of the bin first"))
    world = ctx.world()
    fraction = fields.get("fraction", "").strip() or (world.lot(lot).opened or {}).get(
        "fraction", "")
    if not fraction:
        raise BadInput(N_("Give %(field)s"), field="fraction")
    weighing = ctx.weigh("platform")
    event = ctx.signed("material.output", f"unit:{facts.label}",
                       wf.output_data(fraction, lot, weighing), world)
    flags = ctx.calibration_flags(world, event)
    ctx.commit([event], ctx.session)
    return done(N_("%(mass_g)s g of %(fraction)s from %(label)s into %(lot)s"),
                [event["event"]["id"]], flags, mass_g=weighing.mass_g, fraction=fraction,
                label=facts.label, lot=lot)


def complete(ctx: StepContext, fields: Fields) -> Outcome:
    facts, category = ctx.received()
    world = ctx.world()
    event = ctx.signed("unit.completed", f"unit:{facts.label}", {}, world)
    # What the ledger will flag when it logs the completion, shown to the worker now.
    flags = rule_flags.unit_flags([(None, e) for e in facts.events], facts.label, category,
                                  ctx.known_catalogue(), world.last_pass)
    ctx.commit([event], replace(ctx.session, unit=None))
    return done(N_("Unit %(label)s completed"), [event["event"]["id"]], flags,
                label=facts.label)


# -- lots ---------------------------------------------------------------------------------------

def open_lot(ctx: StepContext, fields: Fields) -> Outcome:
    ctx.signed_in()
    lot = ctx.selected_lot()
    data = wf.opened_data(_field(fields, "fraction"), ctx.known_catalogue())
    event = ctx.signed("lot.opened", f"lot:{lot}", data, ctx.world(refresh=True))
    ctx.commit([event], ctx.session)
    return done(N_("Lot %(lot)s opened for %(fraction)s"), [event["event"]["id"]], lot=lot,
                fraction=data["fraction"])


def seal_lot(ctx: StepContext, fields: Fields) -> Outcome:
    ctx.signed_in()
    lot = ctx.selected_lot()
    world = ctx.world(refresh=True)
    with judging("lot.sealed", f"lot:{lot}"):
        lots.check_transition("lot.sealed", world.lot(lot))
    weighing = ctx.weigh("platform")
    event = ctx.signed("lot.sealed", f"lot:{lot}", wf.sealed_data(weighing), world)
    flags = ctx.calibration_flags(world, event)
    ctx.commit([event], replace(ctx.session, lot=None))
    return done(N_("Lot %(lot)s sealed: %(net_g)s g"), [event["event"]["id"]], flags,
                lot=lot, net_g=weighing.mass_g)


ACTIONS: dict[str, Action] = {
    "sign_out": sign_out,
    "cancel": cancel,
    "select_category": select_category,
    "set_details": set_details,
    "weigh_intake": weigh_intake,
    "recovery_before": recovery_before,
    "recovery_after": recovery_after,
    "refrigerant_absent": refrigerant_absent,
    "component": component,
    "output": output,
    "complete": complete,
    "open_lot": open_lot,
    "seal_lot": seal_lot,
}
