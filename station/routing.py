"""Scan routing: what a scanned label does, by its kind (devices.barcode.classify with the
station's patterns). A badge signs in; a unit label opens the unit (a new one for its intake,
one weighed in to continue it); a trade-in code goes with the intake open or waits for the
next unit label; a cylinder or a lot label selects it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from devices.barcode import classify
from ledger.rules import reasons, units
from ledger.rules.reasons import Refusal as RuleRefusal
from station.context import StepContext
from station.outcome import Outcome, done, judging
from station.session import Intake, OpenUnit, SelectedCylinder
from station.workflow import N_, BadInput, Refusal


def scan(ctx: StepContext, text: str) -> Outcome:
    """The step of one scan (`text` stripped)."""
    if not text:
        raise BadInput(N_("The scan was empty: scan again"))
    scanned = classify(text, ctx.config.kinds)
    if scanned.kind == "badge":
        return _sign_in(ctx, scanned.text)
    ctx.signed_in()
    route = _ROUTES.get(scanned.kind)
    if route is None:
        raise Refusal("unknown_scan", N_("%(text)s is not a label this station knows: scan "
                                         "a unit label, trade-in code, cylinder, lot or "
                                         "badge"), text=scanned.text)
    return route(ctx, scanned.text)


def _sign_in(ctx: StepContext, badge: str) -> Outcome:
    ctx.save(replace(ctx.session, operator=badge))
    return done(N_("Signed in as %(badge)s"), badge=badge)


def _unit(ctx: StepContext, label: str) -> Outcome:
    if ctx.session.unit and ctx.session.unit.label == label:
        return done(N_("Unit %(label)s is open"), label=label)
    facts = ctx.world(refresh=True).unit(label)
    if facts.received is not None and (facts.completed or ctx.config.intake_only):
        with judging("unit.received", f"unit:{label}"):
            units.check_new_label(facts)
    session = replace(ctx.session, cylinder=ctx.session.kept_cylinder())
    if facts.received is not None:
        category = ctx.category(facts)
        ctx.save(replace(session, unit=OpenUnit(label), trade_in=None))
        return done(N_("Unit %(label)s (%(category)s) continues: %(steps)s"), label=label,
                    category=category.code,
                    steps=units.next_step(facts, category) or "complete")
    ctx.save(replace(session, unit=Intake(label, trade_in_code=session.trade_in),
                     trade_in=None))
    return done(N_("New unit %(label)s: choose its category"), label=label)


def _trade_in(ctx: StepContext, code: str) -> Outcome:
    """With an intake open, the code goes with it; otherwise (no unit, or one already
    weighed in) it waits for the next unit label scanned."""
    unit = ctx.session.unit
    intake = unit if isinstance(unit, Intake) else None
    ctx.check_trade_in(code, intake.label if intake else None)
    if intake:
        ctx.save(replace(ctx.session, unit=replace(intake, trade_in_code=code)))
        return done(N_("Trade-in code %(code)s goes with unit %(label)s"), code=code,
                    label=intake.label)
    ctx.save(replace(ctx.session, trade_in=code))
    return done(N_("Trade-in code %(code)s: now scan the unit label"), code=code)


def _cylinder(ctx: StepContext, cylinder: str) -> Outcome:
    facts = ctx.world(refresh=True).cylinder(cylinder)
    if facts.registered is None:
        unit = ctx.session.unit
        about = f"unit:{unit.label}" if isinstance(unit, OpenUnit) else f"cylinder:{cylinder}"
        with judging("refrigerant.recovered", about):
            raise RuleRefusal(reasons.UNKNOWN_CYLINDER, cylinder=cylinder)
    ctx.save(replace(ctx.session, cylinder=SelectedCylinder(cylinder)))
    return done(N_("Cylinder %(cylinder)s (%(refrigerant)s, limit %(limit_g)s g) selected"),
                cylinder=cylinder, refrigerant=facts.registered["refrigerant"],
                limit_g=facts.registered["max_gross_g"])


def _lot(ctx: StepContext, lot: str) -> Outcome:
    facts = ctx.world(refresh=True).lot(lot)
    ctx.save(replace(ctx.session, lot=lot))
    if facts.opened is None:
        return done(N_("Lot %(lot)s is new: choose its fraction and open it"), lot=lot)
    return done(N_("Lot %(lot)s (%(fraction)s, %(state)s) selected"), lot=lot,
                fraction=facts.opened["fraction"], state=facts.state)


_ROUTES: dict[str, Callable[[StepContext, str], Outcome]] = {
    "unit": _unit, "trade_in": _trade_in, "cylinder": _cylinder, "lot": _lot}
