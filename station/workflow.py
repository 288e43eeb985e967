"""The rules of a unit's route through a station: what is refused, what is flagged.

Pure logic over plain data: what the ledger and the station's outbox know about a unit, a
cylinder, a lot or a scale (`Facts`, lists of event objects in order), a stable reading, and
the catalogue. Each step either returns the event data to write, with any flags, or raises
`Refusal` and nothing is written. Messages are English templates with `%(name)s`
placeholders, marked with `N_` so the kiosk's catalogue can translate them; masses in
params are integer grams.

Route: intake (label, category, details, weigh → unit.received) → depollution (refrigerant
recovered by weighing the cylinder before and after, or a recorded reason; components) →
outputs (lot scanned, weighed) → complete.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.catalogue import Catalogue, Category


def N_(template: str) -> str:
    """Mark `template` for translation (the kiosk translates it when shown)."""
    return template


@dataclass(frozen=True)
class Message:
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return self.template % self.params

    def as_json(self) -> dict[str, Any]:
        return {"template": self.template, "params": self.params}


@dataclass(frozen=True)
class Flag:
    """A rule result written with the unit and raised as an alert."""

    code: str  # low_recovery, mass_balance, calibration_overdue, yield_out_of_range
    template: str
    params: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "template": self.template, "params": self.params}

    def record(self) -> dict[str, Any]:
        """The flag as `unit.completed` stores it (ledger.events.RuleFlag)."""
        return {"code": self.code, "params": self.params}


class Refusal(Exception):
    """The rules forbid this step; nothing is written. `code` says which rule."""

    def __init__(self, code: str, template: str, /, **params: Any):
        super().__init__(template % params)
        self.code = code
        self.message = Message(template, params)


class BadInput(Refusal):
    """A field the worker gave is not valid (HTTP 400, not a rule refusal)."""

    def __init__(self, template: str, /, **params: Any):
        super().__init__("bad_input", template, **params)


@dataclass(frozen=True)
class Rules:
    """Thresholds, from station.toml [rules] (defaults as the console's alerts)."""

    low_recovery_pct: float = 90
    mass_balance_pct: float = 5
    calibration_period_h: float = 24
    max_reading_age_s: float = 1.5


@dataclass(frozen=True)
class Weighing:
    """A stable, in-range, fresh reading of one scale, as the rules accept it."""

    scale: str
    mass_g: int


@dataclass(frozen=True)
class ScaleView:
    """What the station's poller last saw on a scale."""

    name: str
    status: str  # stable, motion, overload, underload, disconnected, error
    mass_g: int | None
    age_s: float | None  # seconds since that reading arrived
    message: str = ""


def stable_weighing(view: ScaleView, rules: Rules, *, allow_zero: bool = False) -> Weighing:
    """The scale's weight if it may be recorded now; otherwise the refusal saying why."""
    if view.status in ("overload", "underload"):
        raise Refusal("out_of_range", N_("Scale %(scale)s is out of range (%(status)s): "
                                         "check the load and the platter, then weigh again"),
                      scale=view.name, status=view.status)
    if view.status in ("disconnected", "error") or view.mass_g is None or view.age_s is None:
        raise Refusal("scale_error", N_("Scale %(scale)s gives no reading (%(status)s): check "
                                        "its cable and power"), scale=view.name,
                      status=view.status)
    if view.status != "stable" or view.age_s > rules.max_reading_age_s:
        raise Refusal("unstable", N_("Scale %(scale)s is not stable: keep the load still and "
                                     "press again when the reading is steady"),
                      scale=view.name)
    if view.mass_g < 0 or (view.mass_g == 0 and not allow_zero):
        raise Refusal("out_of_range", N_("Scale %(scale)s reads %(mass_g)s g: put the load on "
                                         "the scale (or zero it) and weigh again"),
                      scale=view.name, mass_g=view.mass_g)
    return Weighing(view.name, view.mass_g)


# -- what is known ----------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitFacts:
    """A unit's events, from the ledger and the outbox, oldest first."""

    label: str
    events: tuple[dict[str, Any], ...]

    def of(self, etype: str) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if e["type"] == etype]

    @property
    def received(self) -> dict[str, Any] | None:
        found = self.of("unit.received")
        return found[0] if found else None

    @property
    def completed(self) -> bool:
        return bool(self.of("unit.completed"))

    @property
    def recovered_g(self) -> int:
        return sum(d["recovered_g"] for d in self.of("refrigerant.recovered"))

    @property
    def outputs(self) -> list[dict[str, Any]]:
        return self.of("material.output")

    def weighed_g(self) -> int:
        """What left the unit: outputs and weighed components (as the console's outputs_g)."""
        return (sum(d["mass_g"] for d in self.outputs)
                + sum(d.get("mass_g") or 0 for d in self.of("component.removed")))

    def done(self, step: str) -> int:
        """How many times `step` was recorded (0: not done)."""
        kind, _, target = step.partition(":")
        if step == "intake":
            return len(self.of("unit.received"))
        if step == "refrigerant":
            return len(self.of("refrigerant.recovered")) + len(self.of("refrigerant.absent"))
        if kind == "component":
            return sum(1 for d in self.of("component.removed") if d["component"] == target)
        if kind == "output":
            return sum(1 for d in self.outputs if d["fraction"] == target)
        if step == "complete":
            return len(self.of("unit.completed"))
        raise ValueError(f"unknown step {step!r}")


def steps_of(category: Category) -> list[tuple[str, bool]]:
    """(step, required) in route order, intake first and complete last."""
    return [("intake", True), *((s.code, s.required) for s in category.steps),
            ("complete", True)]


def next_step(facts: UnitFacts, category: Category) -> str | None:
    """The first required step not yet done, else the first step not done, else None."""
    if facts.completed:
        return None
    steps = steps_of(category)[:-1]
    for step, required in steps:
        if required and not facts.done(step):
            return step
    if not facts.outputs:
        return next((s for s, _ in steps if s.startswith("output:")), "complete")
    return "complete"


@dataclass(frozen=True)
class Calibrations:
    """A scale's calibration checks: (time, passed), oldest first."""

    scale: str
    checks: tuple[tuple[str, bool], ...]

    def last_pass_before(self, at: str) -> str | None:
        passes = [t for t, passed in self.checks if passed and t <= at]
        return passes[-1] if passes else None


def calibration_flag(calibrations: Calibrations, at: str, rules: Rules) -> Flag | None:
    """A flag if the scale had no passing check within the period before `at`."""
    last = calibrations.last_pass_before(at)
    if last is not None and _parse(at) - _parse(last) <= timedelta(
            hours=rules.calibration_period_h):
        return None
    return Flag("calibration_overdue",
                N_("Scale %(scale)s has no passing calibration check in the last %(hours)s h "
                   "(last: %(last_pass)s): the weighing is recorded and flagged; have it "
                   "checked"),
                {"scale": calibrations.scale, "hours": _whole(rules.calibration_period_h),
                 "last_pass": last or "none"})


# -- intake -----------------------------------------------------------------------------------

def check_label(facts: UnitFacts, *, intake_only: bool) -> None:
    """Refuse a label already received (completed, or anywhere at an intake-only station)."""
    received = facts.received
    if received is None:
        return
    if facts.completed or intake_only:
        raise Refusal("duplicate_label",
                      N_("Label %(label)s was already received (%(category)s, %(gross_g)s g): "
                         "a label is used once; check the label on the unit or put it aside "
                         "for the supervisor"),
                      label=facts.label, category=received["category"],
                      gross_g=received["gross_g"])


def check_trade_in(code: str, holder: str | None, label: str | None) -> None:
    if holder is not None and holder != label:
        raise Refusal("duplicate_trade_in",
                      N_("Trade-in code %(code)s was already received with unit %(holder)s: "
                         "a code is used once; put the unit aside for the supervisor"),
                      code=code, holder=holder)


def receive(label: str, category: Category, weighing: Weighing, details: dict[str, Any],
            calibrations: Calibrations, now: str, rules: Rules
            ) -> tuple[dict[str, Any], list[Flag]]:
    """`unit.received` data for a new unit weighed in now."""
    low, high = category.weight_g
    if not low <= weighing.mass_g <= high:
        raise Refusal("out_of_range",
                      N_("%(mass_g)s g is outside the usual weight of a %(category)s "
                         "(%(low_g)s–%(high_g)s g): check the category and the scale, then "
                         "weigh again"),
                      mass_g=weighing.mass_g, category=category.code, low_g=low, high_g=high)
    refrigerant = details.get("nameplate_refrigerant")
    if refrigerant and refrigerant not in category.refrigerants:
        raise BadInput(N_("Nameplate refrigerant %(refrigerant)s is not one a %(category)s "
                          "holds (%(allowed)s): check the nameplate"),
                       refrigerant=refrigerant, category=category.code,
                       allowed=", ".join(category.refrigerants) or "none")
    data = {"category": category.code, "gross_g": weighing.mass_g, "scale": weighing.scale,
            **{k: v for k, v in details.items() if v not in (None, "")}}
    flag = calibration_flag(calibrations, now, rules)
    return data, [flag] if flag else []


# -- depollution ------------------------------------------------------------------------------

def _open_unit(facts: UnitFacts) -> dict[str, Any]:
    received = facts.received
    if received is None:
        raise Refusal("out_of_order", N_("Unit %(label)s has not been weighed in: do the intake "
                                         "first"), label=facts.label)
    if facts.completed:
        raise Refusal("out_of_order", N_("Unit %(label)s is already completed: nothing more "
                                         "can be recorded for it"), label=facts.label)
    return received


def _before_outputs(facts: UnitFacts, what: str) -> None:
    if facts.outputs:
        raise Refusal("out_of_order", N_("%(what)s must be done before dismantling, and outputs "
                                         "of unit %(label)s are already recorded: call the "
                                         "supervisor"), what=what, label=facts.label)


def check_recovery_start(facts: UnitFacts, category: Category, cylinder: dict[str, Any],
                         cylinder_id: str, before: Weighing) -> None:
    """Before the recovery: the unit may take one, the cylinder fits, and has room."""
    received = _open_unit(facts)
    if not category.refrigerant_bearing:
        raise Refusal("out_of_order", N_("A %(category)s holds no refrigerant: no recovery "
                                         "is needed"), category=category.code)
    if facts.of("refrigerant.absent"):
        raise Refusal("out_of_order", N_("Unit %(label)s is already recorded as having no "
                                         "refrigerant to recover"), label=facts.label)
    _before_outputs(facts, N_("Refrigerant recovery"))
    gas = received.get("nameplate_refrigerant") or cylinder["refrigerant"]
    if cylinder["refrigerant"] != gas:
        raise Refusal("wrong_cylinder", N_("Cylinder %(cylinder)s is for %(cylinder_gas)s, the "
                                           "unit holds %(gas)s: never mix refrigerants; scan a "
                                           "%(gas)s cylinder"),
                      cylinder=cylinder_id, cylinder_gas=cylinder["refrigerant"], gas=gas)
    expected = received.get("nameplate_charge_g") or 0
    limit = cylinder["max_gross_g"]
    if before.mass_g + expected > limit:
        raise Refusal("cylinder_overfill",
                      N_("Cylinder %(cylinder)s weighs %(gross_g)s g; with this unit's charge "
                         "of %(charge_g)s g it would pass its Guideline K limit of %(limit_g)s "
                         "g: use another cylinder"),
                      cylinder=cylinder_id, gross_g=before.mass_g, charge_g=expected,
                      limit_g=limit)


def recover(facts: UnitFacts, category: Category, cylinder: dict[str, Any], cylinder_id: str,
            before_g: int, after: Weighing, rules: Rules) -> tuple[dict[str, Any], list[Flag]]:
    """`refrigerant.recovered` data from the cylinder's gross before and after."""
    check_recovery_start(facts, category, cylinder, cylinder_id, Weighing(after.scale, before_g))
    received = facts.received or {}
    limit = cylinder["max_gross_g"]
    if after.mass_g > limit:
        raise Refusal("cylinder_overfill",
                      N_("Cylinder %(cylinder)s now weighs %(gross_g)s g, above its Guideline K "
                         "limit of %(limit_g)s g: nothing recorded; stop filling it, and move "
                         "the excess to another cylinder with the supervisor"),
                      cylinder=cylinder_id, gross_g=after.mass_g, limit_g=limit)
    if after.mass_g < before_g:
        raise Refusal("out_of_range",
                      N_("Cylinder %(cylinder)s weighs %(after_g)s g, less than %(before_g)s g "
                         "before the recovery: check that it is the same cylinder, alone on "
                         "the scale"), cylinder=cylinder_id, after_g=after.mass_g,
                      before_g=before_g)
    data: dict[str, Any] = {
        "refrigerant": received.get("nameplate_refrigerant") or cylinder["refrigerant"],
        "cylinder": cylinder_id, "cylinder_gross_before_g": before_g,
        "cylinder_gross_after_g": after.mass_g, "recovered_g": after.mass_g - before_g,
        "scale": after.scale}
    charge = received.get("nameplate_charge_g")
    if charge is not None:
        data["nameplate_charge_g"] = charge
    flag = low_recovery_flag(facts.recovered_g + data["recovered_g"], charge, rules)
    return data, [flag] if flag else []


def low_recovery_flag(recovered_g: int, charge_g: int | None, rules: Rules) -> Flag | None:
    if not charge_g or recovered_g * 100 >= rules.low_recovery_pct * charge_g:
        return None
    return Flag("low_recovery",
                N_("Recovered %(recovered_g)s g of a %(nameplate_charge_g)s g nameplate charge "
                   "(%(share_permille)s‰, below %(threshold_pct)s %%): recorded and flagged; "
                   "check the circuit for leaks or note why"),
                {"recovered_g": recovered_g, "nameplate_charge_g": charge_g,
                 "share_permille": recovered_g * 1000 // charge_g,
                 "threshold_pct": _whole(rules.low_recovery_pct)})


def absent(facts: UnitFacts, category: Category, reason: str, note: str | None,
           reasons: dict[str, Any]) -> dict[str, Any]:
    _open_unit(facts)
    if reason not in reasons:
        raise BadInput(N_("Reason %(reason)s is not one of %(known)s"), reason=reason,
                       known=", ".join(reasons))
    if facts.done("refrigerant"):
        raise Refusal("out_of_order", N_("Refrigerant is already recorded for unit %(label)s"),
                      label=facts.label)
    if not category.refrigerant_bearing and reason != "not_refrigerant_bearing":
        raise BadInput(N_("A %(category)s holds no refrigerant: the reason is "
                          "not_refrigerant_bearing"), category=category.code)
    _before_outputs(facts, N_("Refrigerant recovery"))
    data: dict[str, Any] = {"reason": reason}
    if note:
        data["note"] = note
    return data


def remove_component(facts: UnitFacts, catalogue: Catalogue, component: str, count: int,
                     weighing: Weighing | None, lot: str | None) -> dict[str, Any]:
    _open_unit(facts)
    if component not in catalogue.components:
        raise BadInput(N_("Component %(component)s is not in the catalogue (%(known)s)"),
                       component=component, known=", ".join(catalogue.components))
    if not 1 <= count <= 10_000:
        raise BadInput(N_("Count %(count)s must be between 1 and 10000"), count=count)
    data: dict[str, Any] = {"component": component, "count": count}
    if weighing is not None:
        data |= {"mass_g": weighing.mass_g, "scale": weighing.scale}
    if lot is not None:
        data["lot"] = lot
    return data


# -- outputs and completion -------------------------------------------------------------------

def missing_depollution(facts: UnitFacts, category: Category) -> list[str]:
    return [s.code for s in category.steps
            if s.required and s.kind != "output" and not facts.done(s.code)]


def output(facts: UnitFacts, category: Category, fraction: str, lot: str,
           lot_facts: LotFacts, weighing: Weighing) -> dict[str, Any]:
    _open_unit(facts)
    missing = missing_depollution(facts, category)
    if missing:
        raise Refusal("out_of_order", N_("Depollution first: %(steps)s not yet recorded for "
                                         "unit %(label)s"),
                      steps=", ".join(missing), label=facts.label)
    lot_facts.check_takes(fraction)
    return {"fraction": fraction, "mass_g": weighing.mass_g, "lot": lot,
            "scale": weighing.scale}


def complete(facts: UnitFacts, category: Category, catalogue: Catalogue,
             calibrations: dict[str, Calibrations], rules: Rules
             ) -> tuple[dict[str, Any], list[Flag]]:
    """`unit.completed` data with every flag the unit's record raises."""
    received = _open_unit(facts)
    if category.refrigerant_bearing and not facts.done("refrigerant"):
        raise Refusal("no_recovery",
                      N_("Unit %(label)s (%(category)s) holds refrigerant: recover it by "
                         "weighing the cylinder before and after, or record why there is none, "
                         "before completing"), label=facts.label, category=category.code)
    missing = [step for step, required in steps_of(category)[1:-1]
               if required and not facts.done(step)]
    if missing:
        raise Refusal("out_of_order", N_("Unit %(label)s cannot be completed: %(steps)s not "
                                         "yet recorded"), label=facts.label,
                      steps=", ".join(missing))
    if not facts.outputs:
        raise Refusal("out_of_order", N_("Unit %(label)s has no outputs yet: weigh what came "
                                         "out of it into its lots first"), label=facts.label)
    flags = completion_flags(facts, received, category, catalogue, calibrations, rules)
    return ({"flags": [f.record() for f in flags]} if flags else {}), flags


def completion_flags(facts: UnitFacts, received: dict[str, Any], category: Category,
                     catalogue: Catalogue, calibrations: dict[str, Calibrations],
                     rules: Rules) -> list[Flag]:
    flags: list[Flag] = []
    low = low_recovery_flag(facts.recovered_g, received.get("nameplate_charge_g"), rules) \
        if facts.of("refrigerant.recovered") else None
    if low:
        flags.append(low)
    gross = received["gross_g"]
    accounted = facts.weighed_g() + facts.recovered_g
    if abs(accounted - gross) * 100 > rules.mass_balance_pct * gross:
        flags.append(Flag("mass_balance",
                          N_("Outputs and refrigerant weigh %(accounted_g)s g against "
                             "%(gross_g)s g in (%(balance_permille)s‰, beyond ±%(tolerance_pct)s "
                             "%%): recorded and flagged; check for a missed output or a wrong "
                             "weight"),
                          {"accounted_g": accounted, "gross_g": gross,
                           "balance_permille": accounted * 1000 // gross,
                           "tolerance_pct": _whole(rules.mass_balance_pct)}))
    by_fraction: Counter[str] = Counter()
    for d in facts.outputs:
        by_fraction[d["fraction"]] += d["mass_g"]
    for d in facts.of("component.removed"):
        if d.get("mass_g"):
            by_fraction[catalogue.components[d["component"]].fraction
                        if d["component"] in catalogue.components else d["component"]] \
                += d["mass_g"]
    for fraction, mass in sorted(by_fraction.items()):
        bounds = category.yields.get(fraction)
        if bounds is None:
            continue
        share = mass * 1000 // gross
        low_pm, high_pm = round(bounds[0] * 10), round(bounds[1] * 10)
        if not low_pm <= share <= high_pm:
            flags.append(Flag("yield_out_of_range",
                              N_("%(fraction)s is %(share_permille)s‰ of the unit, outside the "
                                 "expected %(min_permille)s–%(max_permille)s‰: recorded and "
                                 "flagged"),
                              {"fraction": fraction, "mass_g": mass, "share_permille": share,
                               "min_permille": low_pm, "max_permille": high_pm}))
    seen: set[str] = set()
    for event in facts.events:
        scale = event["data"].get("scale") if event["type"] != "unit.completed" else None
        if scale and scale not in seen and scale in calibrations:
            seen.add(scale)
            flag = calibration_flag(calibrations[scale], event["time"], rules)
            if flag:
                flags.append(flag)
    return flags


# -- lots -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LotFacts:
    lot: str
    events: tuple[dict[str, Any], ...]

    @property
    def opened(self) -> dict[str, Any] | None:
        found = [e["data"] for e in self.events if e["type"] == "lot.opened"]
        return found[0] if found else None

    @property
    def state(self) -> str:
        states = {"lot.opened": "open", "lot.sealed": "sealed", "lot.shipped": "shipped",
                  "lot.received": "received"}
        found = [states[e["type"]] for e in self.events if e["type"] in states]
        return found[-1] if found else "new"

    def check_open(self) -> dict[str, Any]:
        """The lot's opening data; refused unless the lot is open."""
        opened = self.opened
        if self.state != "open" or opened is None:
            raise Refusal("lot_not_open", N_("Lot %(lot)s is %(state)s: scan an open lot, or "
                                             "open this one"), lot=self.lot, state=self.state)
        return opened

    def check_takes(self, fraction: str) -> None:
        opened = self.check_open()
        if opened["fraction"] != fraction:
            raise Refusal("wrong_lot", N_("Lot %(lot)s holds %(lot_fraction)s, not "
                                          "%(fraction)s: scan the right lot"),
                          lot=self.lot, lot_fraction=opened["fraction"], fraction=fraction)


def open_lot(lot: LotFacts, fraction: str, catalogue: Catalogue) -> dict[str, Any]:
    if fraction not in catalogue.fractions:
        raise BadInput(N_("Fraction %(fraction)s is not in the catalogue"), fraction=fraction)
    if lot.state != "new":
        raise Refusal("duplicate_lot", N_("Lot %(lot)s was already opened (%(state)s): a lot "
                                          "label is used once"), lot=lot.lot, state=lot.state)
    return {"fraction": fraction, "hazardous": catalogue.fractions[fraction].hazardous}


def seal_lot(lot: LotFacts, weighing: Weighing) -> dict[str, Any]:
    lot.check_open()
    return {"net_g": weighing.mass_g, "scale": weighing.scale}


# -- helpers ----------------------------------------------------------------------------------

def _parse(at: str) -> datetime:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _whole(value: float) -> int | str:
    return int(value) if float(value).is_integer() else f"{value:g}"
