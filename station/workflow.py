"""The station's interaction: readings it may record, and the event data built from them.

The ledger's rules (what is refused, what is flagged) live in `ledger.rules` and are not
repeated here: the station runs `ledger.rules.judge.check` on each event before it signs it,
and `ledger.rules.flags` to show the worker what a step raises. What stays here is what only
a workstation knows: whether a scale's reading is stable and fresh (`stable_weighing`), the
order of the worker's own session (scan a cylinder before weighing it, weigh it before and
then after), and how the worker's inputs and a weighing become an event's data. Messages are
English templates with `%(name)s` placeholders, marked with `N_` so the kiosk's catalogue
can translate them; masses in params are integer grams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.catalogue import Catalogue, Category
from ledger.rules.reasons import Flag as RuleFlag
from ledger.rules.reasons import Refusal as RuleRefusal


def N_(template: str) -> str:
    """Mark `template` for translation (the kiosk translates it when shown)."""
    return template


@dataclass(frozen=True)
class Message:
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_rule(cls, verdict: RuleRefusal | RuleFlag) -> Message:
        """A ledger rule's refusal or flag as the kiosk shows it: its English template (the
        kiosk's dictionary has each rule's Chinese, from ledger.rules.reasons)."""
        return cls(verdict.reason.en, dict(verdict.params))

    def text(self) -> str:
        return self.template % self.params

    def as_json(self) -> dict[str, Any]:
        return {"template": self.template, "params": self.params}


def flag_json(flag: RuleFlag) -> dict[str, Any]:
    """A flag for the kiosk: its code and key, and its message (see Message.of_rule)."""
    return {"code": flag.code, "key": flag.key, **Message.of_rule(flag).as_json()}


class Refusal(Exception):
    """The worker's session forbids this step (not signed in, nothing scanned, the scale is
    not steady...); nothing is written, nor recorded. `code` says which."""

    def __init__(self, code: str, template: str, /, **params: Any):
        super().__init__(template % params)
        self.code = code
        self.message = Message(template, params)


class BadInput(Refusal):
    """A field the worker gave is not valid (HTTP 400)."""

    def __init__(self, template: str, /, **params: Any):
        super().__init__("bad_input", template, **params)


@dataclass(frozen=True)
class Rules:
    """The station's device settings, from station.toml [rules] (the ledger's thresholds are
    the catalogue's tolerances, not the station's)."""

    max_reading_age_s: float = 1.5


@dataclass(frozen=True)
class Weighing:
    """A stable, in-range, fresh reading of one scale, as the station records it."""

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


def steps_of(category: Category) -> list[tuple[str, bool]]:
    """(step, required) in route order, intake first and complete last (for the kiosk's list;
    which one is next is `ledger.rules.units.next_step`)."""
    return [("intake", True), *((s.code, s.required) for s in category.steps),
            ("complete", True)]


# -- event data from the worker's inputs and a weighing ----------------------------------------

def received_data(category: Category, weighing: Weighing, details: dict[str, Any]
                  ) -> dict[str, Any]:
    """`unit.received` data for a unit weighed in now."""
    return {"category": category.code, "gross_g": weighing.mass_g, "scale": weighing.scale,
            **{k: v for k, v in details.items() if v not in (None, "")}}


def recovery_gas(received: dict[str, Any], cylinder_gas: str) -> str:
    """The gas recovered: the nameplate's, else the cylinder's (the rules judge either)."""
    return received.get("nameplate_refrigerant") or cylinder_gas


def recovered_data(received: dict[str, Any], refrigerant: str, cylinder: str, before_g: int,
                   after: Weighing) -> dict[str, Any]:
    """`refrigerant.recovered` data from the cylinder's gross before and after."""
    data: dict[str, Any] = {
        "refrigerant": refrigerant, "cylinder": cylinder, "cylinder_gross_before_g": before_g,
        "cylinder_gross_after_g": after.mass_g, "recovered_g": after.mass_g - before_g,
        "scale": after.scale}
    charge = received.get("nameplate_charge_g")
    if charge is not None:
        data["nameplate_charge_g"] = charge
    return data


def absent_data(reason: str, note: str | None) -> dict[str, Any]:
    return {"reason": reason, **({"note": note} if note else {})}


def component_data(component: str, count: int, weighing: Weighing | None, lot: str | None
                   ) -> dict[str, Any]:
    if not 1 <= count <= 10_000:
        raise BadInput(N_("Count %(count)s must be between 1 and 10000"), count=count)
    data: dict[str, Any] = {"component": component, "count": count}
    if weighing is not None:
        data |= {"mass_g": weighing.mass_g, "scale": weighing.scale}
    if lot is not None:
        data["lot"] = lot
    return data


def output_data(fraction: str, lot: str, weighing: Weighing) -> dict[str, Any]:
    return {"fraction": fraction, "mass_g": weighing.mass_g, "lot": lot,
            "scale": weighing.scale}


def opened_data(fraction: str, catalogue: Catalogue) -> dict[str, Any]:
    """`lot.opened` data: hazardous as the catalogue classes the fraction (an unknown fraction
    is left to the rules, which refuse it)."""
    known = catalogue.fractions.get(fraction)
    return {"fraction": fraction, "hazardous": bool(known and known.hazardous)}


def sealed_data(weighing: Weighing) -> dict[str, Any]:
    return {"net_g": weighing.mass_g, "scale": weighing.scale}
