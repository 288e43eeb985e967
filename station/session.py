"""The worker's session at a station: who is signed in, the unit open, the recovery cylinder
and the lot selected, and a trade-in code waiting for its unit's label.

A step replaces the session (the types are frozen) and commits the new one to the outbox in
the same transaction as its events (station.outbox), as the JSON of `as_json`; a restarted
station reads it back with `Session.of_json` and carries on where the worker was. The JSON is
the outbox's format: keep it readable by the stations already running.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ledger.fund.nameplate import FIELDS as NAMEPLATE_FIELDS

Details = dict[str, str | int | None]  # nameplate details and source, as the worker gave them
TEXT_DETAILS = ("brand", "model", "serial")  # taken as the worker types them
DETAILS = (*TEXT_DETAILS, "nameplate_refrigerant", "nameplate_charge_g", "source",
           *NAMEPLATE_FIELDS)


@dataclass(frozen=True)
class Intake:
    """A unit scanned but not yet weighed in: what the worker said of it so far. Nothing is
    recorded until it is weighed (`unit.received`)."""

    label: str
    category: str | None = None
    details: Details = field(default_factory=dict)
    trade_in_code: str | None = None


@dataclass(frozen=True)
class OpenUnit:
    """A unit weighed in (here or at another station), open for its next steps."""

    label: str


@dataclass(frozen=True)
class SelectedCylinder:
    """The recovery cylinder selected, with its gross before the recovery once weighed."""

    id: str
    before_g: int | None = None


@dataclass(frozen=True)
class Session:
    operator: str | None = None  # the badge signed in
    unit: Intake | OpenUnit | None = None
    cylinder: SelectedCylinder | None = None
    lot: str | None = None
    trade_in: str | None = None  # a trade-in code scanned before its unit's label

    def kept_cylinder(self) -> SelectedCylinder | None:
        """The selected cylinder stays selected between units; a half-done recovery does not."""
        return replace(self.cylinder, before_g=None) if self.cylinder else None

    def as_json(self) -> dict[str, Any]:
        return {"operator": self.operator, "unit": _unit_json(self.unit),
                "cylinder": ({"id": self.cylinder.id, "before_g": self.cylinder.before_g}
                             if self.cylinder else None),
                "lot": self.lot, "trade_in": self.trade_in}

    @classmethod
    def of_json(cls, body: dict[str, Any]) -> Session:
        """The session kept in the outbox (`{}` before the first step)."""
        cylinder = body.get("cylinder")
        return cls(operator=body.get("operator"), unit=_unit_of(body.get("unit")),
                   cylinder=(SelectedCylinder(cylinder["id"], cylinder.get("before_g"))
                             if cylinder else None),
                   lot=body.get("lot"), trade_in=body.get("trade_in"))


def _unit_json(unit: Intake | OpenUnit | None) -> dict[str, Any] | None:
    if isinstance(unit, Intake):
        return {"label": unit.label, "received": False,
                "draft": {"category": unit.category, "details": unit.details,
                          "trade_in_code": unit.trade_in_code}}
    return {"label": unit.label, "received": True} if unit else None


def _unit_of(body: dict[str, Any] | None) -> Intake | OpenUnit | None:
    if not body:
        return None
    if body["received"]:
        return OpenUnit(body["label"])
    draft = body["draft"]
    return Intake(body["label"], draft["category"], dict(draft["details"]),
                  draft["trade_in_code"])
