"""What every step of the worker works with: the session and its preconditions (signed in, a
unit open, a cylinder or a lot selected), what the rules read (the station's world, the
catalogue in force, a stable reading of a scale), and how a step records: an event signed by
the station and the signed-in worker, judged by the ledger's own rules, committed to the
outbox with the new session in one transaction.

The scan routes (station.routing) and the action handlers (station.actions) are written in
these terms; the workstation (station.agent) runs them one at a time.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ledger.catalogue import Catalogue, Category
from ledger.events import EventError, parse_event, utc_now_ms
from ledger.rules import flags as rule_flags
from ledger.rules import judge, units
from ledger.rules.facts import UnitFacts
from ledger.rules.reasons import Flag
from station import workflow as wf
from station.config import StationConfig
from station.identity import StationIdentity
from station.outbox import Outbox
from station.outcome import judging
from station.polling import ScalePoller
from station.session import Intake, OpenUnit, SelectedCylinder, Session
from station.workflow import N_, BadInput, Refusal
from station.world import Knowledge, StationWorld


class StepContext:
    """One station's session and the means of its steps (see the module docstring)."""

    def __init__(self, config: StationConfig, identity: StationIdentity, outbox: Outbox,
                 knowledge: Knowledge, scales: dict[str, ScalePoller], session: Session):
        self.config = config
        self.identity = identity
        self.outbox = outbox
        self.knowledge = knowledge
        self.scales = scales
        self.session = session

    # -- what the rules read ------------------------------------------------------------------

    @property
    def catalogue(self) -> Catalogue | None:
        """The catalogue in force in the ledger (the last one fetched while it is out of
        reach); None until the station has reached a ledger that has one."""
        return self.knowledge.catalogue()

    def known_catalogue(self) -> Catalogue:
        catalogue = self.catalogue
        if catalogue is None:
            raise Refusal("no_catalogue", N_("This station has not yet received the process "
                                             "catalogue from the ledger: connect it to the "
                                             "console (or publish a catalogue) and try again"))
        return catalogue

    def categories(self) -> dict[str, Category]:
        """The catalogue's categories by code; none before the station has a catalogue."""
        catalogue = self.catalogue
        return catalogue.categories if catalogue else {}

    def world(self, refresh: bool = False) -> StationWorld:
        return StationWorld(self.knowledge, self.catalogue, refresh)

    def category(self, facts: UnitFacts) -> Category:
        """The category a unit was received as."""
        return units.category_of((facts.received or {})["category"], self.known_catalogue())

    def check_trade_in(self, code: str, label: str | None) -> None:
        """Refuse (as an attempt) a trade-in code another unit was received with."""
        world = self.world()
        about = f"unit:{label}" if label else f"station:{self.config.station_id}"
        with judging("unit.received", about):
            units.check_trade_in(code, world.trade_in_holder(code), label or "")

    def calibration_flags(self, world: StationWorld, event: dict[str, Any]) -> list[Flag]:
        """The calibration flag the event's weighing raises, if any."""
        obj = event["event"]
        scale = obj["data"].get("scale")
        if not scale or self.catalogue is None:
            return []
        found = rule_flags.calibration(scale, obj["time"], world.last_pass(scale, obj["time"]),
                                       self.catalogue.tolerances)
        return [found] if found else []

    def weigh(self, role: str) -> wf.Weighing:
        """A stable, fresh reading of the scale of `role` (the platform scale if none)."""
        scale = self.config.scale(role) or self.config.scale("platform")
        assert scale is not None  # the configuration requires a platform scale
        # A reading older than max_reading_age_s is never used; a busy machine may have
        # delayed the poller a moment, so wait up to a second for a fresh one first.
        view = self.scales[scale.name].wait_reading(
            after=time.monotonic() - self.config.rules.max_reading_age_s, timeout=1.0)
        return wf.stable_weighing(view, self.config.rules)

    # -- the session's preconditions ----------------------------------------------------------

    def signed_in(self) -> str:
        operator = self.session.operator
        if not operator:
            raise Refusal("not_signed_in", N_("Scan your badge to sign in first"))
        return operator

    def intake(self) -> Intake:
        """The unit being weighed in."""
        self.signed_in()
        unit = self.session.unit
        if not unit:
            raise Refusal("no_unit", N_("Scan the unit label or trade-in code first"))
        if isinstance(unit, OpenUnit):
            raise Refusal("out_of_order", N_("Unit %(label)s is already weighed in"),
                          label=unit.label)
        return unit

    def received(self) -> tuple[UnitFacts, Category]:
        """The open unit, weighed in: its facts and category."""
        self.signed_in()
        unit = self.session.unit
        if not unit:
            raise Refusal("no_unit", N_("Scan the unit label first"))
        facts = self.world().unit(unit.label)
        if not isinstance(unit, OpenUnit) or facts.received is None:
            raise Refusal("out_of_order", N_("Weigh unit %(label)s in first"),
                          label=unit.label)
        return facts, self.category(facts)

    def selected_cylinder(self) -> SelectedCylinder:
        cylinder = self.session.cylinder
        if not cylinder:
            raise Refusal("no_cylinder", N_("Scan the recovery cylinder's label first"))
        return cylinder

    def selected_lot(self) -> str:
        lot = self.session.lot
        if not lot:
            raise Refusal("no_lot", N_("Scan the lot label first"))
        return lot

    def lot_for(self, fraction: str | None) -> str | None:
        """The selected lot, if it is an open lot of `fraction` (for weighed components)."""
        lot = self.session.lot
        if not lot or fraction is None:
            return None
        facts = self.world().lot(lot)
        opened = facts.opened
        return lot if facts.state == "open" and opened and opened["fraction"] == fraction \
            else None

    # -- recording ----------------------------------------------------------------------------

    def event(self, etype: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        """A signed submission of a new event by this station and the signed-in worker."""
        obj = {"id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
               "station": self.config.station_id, "operator": self.signed_in(),
               "subject": subject, "data": data}
        try:
            event = parse_event(obj)
        except EventError as exc:
            raise BadInput(N_("The record would be invalid: %(error)s"), error=str(exc)) \
                from None
        return {"event": obj, "station_sig": self.identity.sign(event)}

    def signed(self, etype: str, subject: str, data: dict[str, Any],
               world: StationWorld | None = None) -> dict[str, Any]:
        """`event`, once the ledger's rules accept it in `world` (a refusal is an attempt)."""
        event = self.event(etype, subject, data)
        with judging(etype, subject):
            judge.check(event["event"], world or self.world(), event["event"]["time"])
        return event

    def commit(self, submissions: list[dict[str, Any]], session: Session) -> None:
        """Commit a step's events and its new session; the session is the new one only once
        they are durable."""
        self.outbox.commit(submissions, session.as_json())
        self.session = session

    def save(self, session: Session) -> None:
        self.commit([], session)
