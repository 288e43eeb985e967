"""The workstation: devices, the worker's session, the rules and the outbox, tied together.

`Workstation.scan(text)` and `Workstation.act(action, fields)` run one step at a time (a
lock): read what the rules need (the ledger's view merged with the outbox: station.world),
build the event from the worker's inputs and a stable reading (station.workflow), judge it
with the ledger's own rules (`ledger.rules.judge.check`), sign it, and commit it with the new
session to the outbox in one transaction. Only then is the step acknowledged (`Outcome.ok`).
A refusal by a ledger rule writes nothing of the step but is itself a record: an
`attempt.refused` event about the station, delivered like the others. A refusal of the
worker's session (not signed in, nothing scanned, the scale not steady) writes nothing.
`state()` is the snapshot the kiosk page shows. Scales are read continuously by a poller
thread per scale, the serial scanner by its own thread; both feed the same methods the page
uses, so a keyboard-wedge scan and a serial scan are the same thing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from devices.barcode import classify
from devices.reading import (
    DeviceError,
    DisconnectedError,
    NotStableError,
    OverloadError,
    UnderloadError,
)
from devices.scale import Scale
from devices.scanner import Scanner
from ledger.catalogue import Catalogue, Category
from ledger.events import EventError, parse_event, utc_now_ms
from ledger.rules import flags as rule_flags
from ledger.rules import judge, lots, reasons, refrigerant, units
from ledger.rules.codes import SOURCE_NAMES, SOURCES
from ledger.rules.facts import UnitFacts
from ledger.rules.reasons import Flag
from ledger.rules.reasons import Refusal as RuleRefusal
from station import workflow as wf
from station.client import LedgerClient
from station.config import ScaleConfig, StationConfig
from station.heartbeat import Heartbeats
from station.identity import StationIdentity
from station.outbox import Courier, Outbox
from station.workflow import N_, BadInput, Message, Refusal
from station.world import Knowledge, StationWorld

LOG = logging.getLogger(__name__)
_GRAMS = re.compile(r"^[0-9]{1,10}$")
_TEXT_FIELDS = ("brand", "model", "serial")


@dataclass
class Outcome:
    """What a scan or an action did: JSON for the kiosk (see the station contract)."""

    ok: bool
    message: Message
    refusal: str | None = None
    flags: list[Flag] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    attempt: str | None = None  # the id of the attempt.refused event recording a refusal

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message.as_json(), "refusal": self.refusal,
                "flags": [wf.flag_json(f) for f in self.flags], "events": self.events,
                "attempt": self.attempt}


class Attempt(Exception):
    """A ledger rule refused `attempted` (an event type) about `about`: recorded."""

    def __init__(self, refusal: RuleRefusal, attempted: str, about: str):
        super().__init__(str(refusal))
        self.refusal, self.attempted, self.about = refusal, attempted, about


@contextmanager
def judging(attempted: str, about: str) -> Iterator[None]:
    """Rule refusals inside are attempts of `attempted` about `about` (recorded)."""
    try:
        yield
    except RuleRefusal as refusal:
        raise Attempt(refusal, attempted, about) from None


def done(template: str, events: list[str] | None = None, flags: list[Flag] | None = None,
         **params: Any) -> Outcome:
    return Outcome(True, Message(template, params), None, flags or [], events or [])


class ScalePoller:
    """Reads one scale continuously; the latest reading and status, with their age."""

    def __init__(self, config: ScaleConfig, interval_s: float = 0.05):
        self.config = config
        self.scale = Scale(config.url, config.protocol, resolution_g=config.resolution_g,
                           capacity_g=config.capacity_g, unit=config.unit)
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._status, self._mass, self._at, self._message = "disconnected", None, None, ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"scale-{config.name}",
                                        daemon=True)

    def start(self) -> ScalePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(3)
        self.scale.close()

    def view(self) -> wf.ScaleView:
        with self._lock:
            age = None if self._at is None else time.monotonic() - self._at
            return wf.ScaleView(self.config.name, self._status, self._mass, age, self._message)

    def wait_reading(self, after: float, timeout: float) -> wf.ScaleView:
        """The view once it has a reading that arrived after monotonic time `after` (or, after
        `timeout` seconds, whatever it has)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                fresh = self._at is not None and self._at > after
            if fresh:
                return self.view()
            time.sleep(0.01)
        return self.view()

    def _set(self, status: str, mass: int | None, at: float | None, message: str) -> None:
        with self._lock:
            self._status, self._mass, self._at, self._message = status, mass, at, message

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reading = self.scale.current(timeout=1.0)
                self._set("stable" if reading.stable else "motion", reading.mass_g, reading.at,
                          "")
            except OverloadError as exc:
                self._set("overload", None, time.monotonic(), str(exc))
            except UnderloadError as exc:
                self._set("underload", None, time.monotonic(), str(exc))
            except NotStableError as exc:
                self._set("motion", None, time.monotonic(), str(exc))
            except DisconnectedError as exc:
                self._set("disconnected", None, None, str(exc))
                self._stop.wait(0.2)
            except DeviceError as exc:
                self._set("error", None, None, str(exc))
                self._stop.wait(0.1)
            self._stop.wait(self.interval_s)


class Workstation:
    """One station: see the module docstring. Thread-safe; one step at a time."""

    def __init__(self, config: StationConfig, identity: StationIdentity, client: LedgerClient,
                 outbox: Outbox):
        self.config = config
        self.identity = identity
        self.client = client
        self.outbox = outbox
        self.rules = config.rules
        self.courier = Courier(outbox, client.submit)
        self.heartbeats = Heartbeats(config.station_id, identity.signer.private_key, outbox,
                                     client.heartbeat)
        self.knowledge = Knowledge(client, outbox, answered=self.courier.wake)
        self.scales = {s.name: ScalePoller(s) for s in config.scales}
        self.scanner = Scanner(config.scanner_url, suffix=config.scanner_suffix,
                               kinds=config.kinds) if config.scanner_url else None
        self.session: dict[str, Any] = outbox.session() or {}
        self.last: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._scanner_thread: threading.Thread | None = None

    @property
    def catalogue(self) -> Catalogue | None:
        """The catalogue in force in the ledger (the last one fetched while it is out of
        reach); None until the station has reached a ledger that has one."""
        return self.knowledge.catalogue()

    def _known_catalogue(self) -> Catalogue:
        catalogue = self.catalogue
        if catalogue is None:
            raise Refusal("no_catalogue", N_("This station has not yet received the process "
                                             "catalogue from the ledger: connect it to the "
                                             "console (or publish a catalogue) and try again"))
        return catalogue

    def _world(self, refresh: bool = False) -> StationWorld:
        return StationWorld(self.knowledge, self.catalogue, refresh)

    # -- running ------------------------------------------------------------------------------

    def start(self) -> Workstation:
        for poller in self.scales.values():
            poller.start()
        self.courier.start()
        self.heartbeats.start()
        if self.scanner is not None:
            self._scanner_thread = threading.Thread(target=self._read_scanner, name="scanner",
                                                    daemon=True)
            self._scanner_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.courier.stop()
        self.heartbeats.stop()
        for poller in self.scales.values():
            poller.stop()
        if self._scanner_thread is not None:
            self._scanner_thread.join(3)
        if self.scanner is not None:
            self.scanner.close()

    def _read_scanner(self) -> None:
        assert self.scanner is not None
        while not self._stop.is_set():
            try:
                scan = self.scanner.read(timeout=0.5)
            except DeviceError:
                self._stop.wait(0.5)
                continue
            if scan is not None:
                self.scan(scan.text)

    # -- the interface the kiosk uses ---------------------------------------------------------

    def scan(self, text: str) -> Outcome:
        with self._lock:
            failed = Message(N_("The station could not handle the scan %(text)s: call the "
                                "supervisor"), {"text": text})
            return self._run(lambda: self._scan(text.strip()), failed)

    def act(self, action: str, fields: dict[str, str]) -> Outcome:
        with self._lock:
            handler = ACTIONS.get(action)
            if handler is None:
                return self.record(Outcome(False, Message(
                    N_("Unknown action %(action)s"), {"action": action}), "bad_input"))
            failed = Message(N_("The station could not carry out %(action)s: call the "
                                "supervisor"), {"action": action})
            return self._run(lambda: handler(self, fields), failed)

    def _run(self, step: Any, failed: Message) -> Outcome:
        """Run one step; a refusal is an outcome (a ledger rule's is recorded first), and so
        is a fault (logged, nothing written: the outbox commit is the step's last act)."""
        try:
            outcome = step()
        except Attempt as attempt:
            outcome = Outcome(False, Message.of_rule(attempt.refusal), attempt.refusal.code,
                              attempt=self._record_attempt(attempt))
        except RuleRefusal as refusal:  # judged on nothing the worker attempted (a category)
            outcome = Outcome(False, Message.of_rule(refusal), refusal.code)
        except Refusal as refusal:
            outcome = Outcome(False, refusal.message, refusal.code)
        except Exception:
            LOG.exception("%s failed", failed.text())
            outcome = Outcome(False, failed, "error")
        return self.record(outcome)

    def _record_attempt(self, attempt: Attempt) -> str:
        """Commit the `attempt.refused` record of a refusal; its event id."""
        params = {key: value if isinstance(value, int | str) and not isinstance(value, bool)
                  else str(value) for key, value in attempt.refusal.params.items()}
        event = self._event("attempt.refused", f"station:{self.config.station_id}",
                            {"rule": attempt.refusal.code, "attempted": attempt.attempted,
                             "about": attempt.about, "params": params})
        self._commit([event], self.session)
        return event["event"]["id"]

    def record(self, outcome: Outcome) -> Outcome:
        """Keep `outcome` as the last one the page shows (every outcome, refusals too)."""
        self.last = {**outcome.as_json(), "at": utc_now_ms()}
        return outcome

    # -- scans --------------------------------------------------------------------------------

    def _scan(self, text: str) -> Outcome:
        if not text:
            raise BadInput(N_("The scan was empty: scan again"))
        scan = classify(text, self.config.kinds)
        if scan.kind == "badge":
            return self._sign_in(scan.text)
        self._signed_in()
        route = {"unit": self._scan_unit, "trade_in": self._scan_trade_in,
                 "cylinder": self._scan_cylinder, "lot": self._scan_lot}.get(scan.kind)
        if route is None:
            raise Refusal("unknown_scan", N_("%(text)s is not a label this station knows: scan "
                                             "a unit label, trade-in code, cylinder, lot or "
                                             "badge"), text=scan.text)
        return route(scan.text)

    def _sign_in(self, badge: str) -> Outcome:
        self._save({**self.session, "operator": badge})
        return done(N_("Signed in as %(badge)s"), badge=badge)

    def _signed_in(self) -> str:
        operator = self.session.get("operator")
        if not operator:
            raise Refusal("not_signed_in", N_("Scan your badge to sign in first"))
        return operator

    def _scan_unit(self, label: str) -> Outcome:
        unit = self.session.get("unit")
        if unit and unit["label"] == label:
            return done(N_("Unit %(label)s is open"), label=label)
        facts = self._world(refresh=True).unit(label)
        if facts.received is not None and (facts.completed or self.config.intake_only):
            with judging("unit.received", f"unit:{label}"):
                units.check_new_label(facts)
        session = {**self.session, "cylinder": _keep_cylinder(self.session)}
        if facts.received is not None:
            category = self._category(facts)
            self._save({**session, "unit": {"label": label, "received": True},
                        "trade_in": None})
            return done(N_("Unit %(label)s (%(category)s) continues: %(steps)s"), label=label,
                        category=category.code,
                        steps=units.next_step(facts, category) or "complete")
        trade_in = session.get("trade_in")
        draft = {"category": None, "details": {}, "trade_in_code": trade_in}
        self._save({**session, "unit": {"label": label, "received": False, "draft": draft},
                    "trade_in": None})
        return done(N_("New unit %(label)s: choose its category"), label=label)

    def _scan_trade_in(self, code: str) -> Outcome:
        """With an intake open, the code goes with it; otherwise (no unit, or one already
        weighed in) it waits for the next unit label scanned."""
        unit = self.session.get("unit")
        if unit and unit["received"]:
            unit = None
        self._check_trade_in(code, unit["label"] if unit else None)
        if unit:
            draft = {**unit["draft"], "trade_in_code": code}
            self._save({**self.session, "unit": {**unit, "draft": draft}})
            return done(N_("Trade-in code %(code)s goes with unit %(label)s"), code=code,
                        label=unit["label"])
        self._save({**self.session, "trade_in": code})
        return done(N_("Trade-in code %(code)s: now scan the unit label"), code=code)

    def _scan_cylinder(self, cylinder: str) -> Outcome:
        facts = self._world(refresh=True).cylinder(cylinder)
        if facts.registered is None:
            unit = self.session.get("unit")
            about = f"unit:{unit['label']}" if unit and unit["received"] \
                else f"cylinder:{cylinder}"
            with judging("refrigerant.recovered", about):
                raise RuleRefusal(reasons.UNKNOWN_CYLINDER, cylinder=cylinder)
        self._save({**self.session, "cylinder": {"id": cylinder, "before_g": None}})
        return done(N_("Cylinder %(cylinder)s (%(refrigerant)s, limit %(limit_g)s g) selected"),
                    cylinder=cylinder, refrigerant=facts.registered["refrigerant"],
                    limit_g=facts.registered["max_gross_g"])

    def _scan_lot(self, lot: str) -> Outcome:
        facts = self._world(refresh=True).lot(lot)
        self._save({**self.session, "lot": lot})
        if facts.opened is None:
            return done(N_("Lot %(lot)s is new: choose its fraction and open it"), lot=lot)
        return done(N_("Lot %(lot)s (%(fraction)s, %(state)s) selected"), lot=lot,
                    fraction=facts.opened["fraction"], state=facts.state)

    # -- actions ------------------------------------------------------------------------------

    def _sign_out(self, fields: dict[str, str]) -> Outcome:
        badge = self._signed_in()
        self._save({"operator": None, "unit": None, "cylinder": _keep_cylinder(self.session),
                    "lot": self.session.get("lot"), "trade_in": None})
        return done(N_("%(badge)s signed out"), badge=badge)

    def _cancel(self, fields: dict[str, str]) -> Outcome:
        self._signed_in()
        unit = self.session.get("unit")
        self._save({**self.session, "unit": None, "trade_in": None,
                    "cylinder": _keep_cylinder(self.session)})
        if unit is None:
            return done(N_("Nothing was open"))
        if unit["received"]:
            return done(N_("Unit %(label)s is put aside: scan its label to continue"),
                        label=unit["label"])
        return done(N_("Intake of %(label)s cancelled: nothing was recorded"),
                    label=unit["label"])

    def _select_category(self, fields: dict[str, str]) -> Outcome:
        unit = self._draft()
        code = _field(fields, "category")
        units.category_of(code, self._known_catalogue())
        self._save({**self.session, "unit": {**unit, "draft": {**unit["draft"],
                                                                "category": code}}})
        return done(N_("Unit %(label)s is a %(category)s"), label=unit["label"], category=code)

    def _set_details(self, fields: dict[str, str]) -> Outcome:
        unit = self._draft()
        details = dict(unit["draft"]["details"])
        for name in _TEXT_FIELDS:
            if name in fields:
                value = fields[name].strip()
                if len(value) > 500:
                    raise BadInput(N_("%(field)s is longer than 500 characters"), field=name)
                details[name] = value or None
        if "nameplate_refrigerant" in fields:
            gas = fields["nameplate_refrigerant"].strip()
            if gas and gas not in self._known_catalogue().refrigerant_sg:
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
        draft = {**unit["draft"], "details": details}
        if fields.get("trade_in_code", "").strip():
            code = fields["trade_in_code"].strip()
            if not re.fullmatch(self.config.kinds["trade_in"], code):
                raise BadInput(N_("Trade-in code %(value)s does not look like one (%(pattern)s)"),
                               value=code, pattern=self.config.kinds["trade_in"])
            self._check_trade_in(code, unit["label"])
            draft["trade_in_code"] = code
        self._save({**self.session, "unit": {**unit, "draft": draft}})
        return done(N_("Details of %(label)s noted"), label=unit["label"])

    def _weigh_intake(self, fields: dict[str, str]) -> Outcome:
        unit = self._draft()
        draft = unit["draft"]
        if not draft["category"]:
            raise Refusal("out_of_order", N_("Choose the category of unit %(label)s first"),
                          label=unit["label"])
        world = self._world(refresh=True)
        catalogue = self._known_catalogue()
        category = units.category_of(draft["category"], catalogue)
        weighing = self._weigh("platform")
        details = {k: v for k, v in draft["details"].items() if v is not None}
        details.setdefault("source", "trade_in" if draft["trade_in_code"]
                           else self.config.default_source)
        if draft["trade_in_code"]:
            details["trade_in_code"] = draft["trade_in_code"]
        data = wf.received_data(category, weighing, details)
        event = self._signed("unit.received", f"unit:{unit['label']}", data, world)
        flags = self._calibration_flags(world, event)
        # At an intake-only station the unit leaves once weighed in; elsewhere it stays open.
        after = None if self.config.intake_only else {"label": unit["label"], "received": True}
        self._commit([event], {**self.session, "unit": after})
        return done(N_("Unit %(label)s weighed in: %(gross_g)s g"), [event["event"]["id"]],
                    flags, label=unit["label"], gross_g=weighing.mass_g)

    def _recovery_before(self, fields: dict[str, str]) -> Outcome:
        facts, category = self._received()
        cylinder = self._selected_cylinder()
        world = self._world(refresh=True)
        weighing = self._weigh("cylinder")
        tolerance = self._known_catalogue().tolerances.cylinder_reweigh_g
        with judging("refrigerant.recovered", f"unit:{facts.label}"):
            facts_now = world.cylinder(cylinder["id"])
            units.check_before_outputs(facts)
            registration = facts_now.registered
            gas = wf.recovery_gas(facts.received or {},
                                  registration["refrigerant"] if registration else "")
            refrigerant.check_recovery_room(facts, category, facts_now, gas, weighing.mass_g,
                                            tolerance)
        self._save({**self.session, "cylinder": {**cylinder, "before_g": weighing.mass_g}})
        return done(N_("Cylinder %(cylinder)s before: %(gross_g)s g. Recover, then weigh "
                       "after"), cylinder=cylinder["id"], gross_g=weighing.mass_g)

    def _recovery_after(self, fields: dict[str, str]) -> Outcome:
        facts, _ = self._received()
        cylinder = self._selected_cylinder()
        if cylinder["before_g"] is None:
            raise Refusal("out_of_order", N_("Weigh cylinder %(cylinder)s before the recovery "
                                             "first"), cylinder=cylinder["id"])
        world = self._world(refresh=True)
        registration = world.cylinder(cylinder["id"]).registered or {}
        weighing = self._weigh("cylinder")
        received = facts.received or {}
        data = wf.recovered_data(received, wf.recovery_gas(received,
                                                           registration.get("refrigerant", "")),
                                 cylinder["id"], cylinder["before_g"], weighing)
        event = self._signed("refrigerant.recovered", f"unit:{facts.label}", data, world)
        after = UnitFacts(facts.label, (*facts.events, event["event"]))
        low = rule_flags.low_recovery(after, self._known_catalogue().tolerances)
        flags = [low] if low else []
        flags += self._calibration_flags(world, event)
        self._commit([event], {**self.session, "cylinder": {**cylinder, "before_g": None}})
        return done(N_("Recovered %(recovered_g)s g of %(refrigerant)s from %(label)s"),
                    [event["event"]["id"]], flags, recovered_g=data["recovered_g"],
                    refrigerant=data["refrigerant"], label=facts.label)

    def _refrigerant_absent(self, fields: dict[str, str]) -> Outcome:
        facts, _ = self._received()
        note = fields.get("note", "").strip() or None
        if note and len(note) > 500:
            raise BadInput(N_("%(field)s is longer than 500 characters"), field="note")
        data = wf.absent_data(_field(fields, "reason"), note)
        event = self._signed("refrigerant.absent", f"unit:{facts.label}", data)
        self._commit([event], self.session)
        return done(N_("No refrigerant in %(label)s: %(reason)s"), [event["event"]["id"]],
                    label=facts.label, reason=data["reason"])

    def _component(self, fields: dict[str, str]) -> Outcome:
        facts, _ = self._received()
        component = _field(fields, "component")
        count_text = fields.get("count", "1").strip() or "1"
        if not count_text.isdigit():
            raise BadInput(N_("Count %(count)s is not a whole number"), count=count_text)
        weighing, lot = None, None
        if fields.get("weigh", "").lower() in ("1", "true", "yes", "on"):
            weighing = self._weigh("platform")
            known = self._known_catalogue().components.get(component)
            lot = self._lot_for(known.fraction if known else None)
        world = self._world()
        data = wf.component_data(component, int(count_text), weighing, lot)
        event = self._signed("component.removed", f"unit:{facts.label}", data, world)
        flags = self._calibration_flags(world, event) if weighing else []
        self._commit([event], self.session)
        return done(N_("%(component)s × %(count)s removed from %(label)s"),
                    [event["event"]["id"]], flags, component=component, count=data["count"],
                    label=facts.label)

    def _output(self, fields: dict[str, str]) -> Outcome:
        facts, _ = self._received()
        lot = self.session.get("lot")
        if not lot:
            raise Refusal("no_lot", N_("Scan the lot label of the bin first"))
        world = self._world()
        fraction = fields.get("fraction", "").strip() or (world.lot(lot).opened or {}).get(
            "fraction", "")
        if not fraction:
            raise BadInput(N_("Give %(field)s"), field="fraction")
        weighing = self._weigh("platform")
        event = self._signed("material.output", f"unit:{facts.label}",
                             wf.output_data(fraction, lot, weighing), world)
        flags = self._calibration_flags(world, event)
        self._commit([event], self.session)
        return done(N_("%(mass_g)s g of %(fraction)s from %(label)s into %(lot)s"),
                    [event["event"]["id"]], flags, mass_g=weighing.mass_g, fraction=fraction,
                    label=facts.label, lot=lot)

    def _complete(self, fields: dict[str, str]) -> Outcome:
        facts, category = self._received()
        world = self._world()
        event = self._signed("unit.completed", f"unit:{facts.label}", {}, world)
        # What the ledger will flag when it logs the completion, shown to the worker now.
        flags = rule_flags.unit_flags([(None, e) for e in facts.events], facts.label, category,
                                      self._known_catalogue(), world.last_pass)
        self._commit([event], {**self.session, "unit": None})
        return done(N_("Unit %(label)s completed"), [event["event"]["id"]], flags,
                    label=facts.label)

    def _open_lot(self, fields: dict[str, str]) -> Outcome:
        self._signed_in()
        lot = self._selected_lot()
        data = wf.opened_data(_field(fields, "fraction"), self._known_catalogue())
        event = self._signed("lot.opened", f"lot:{lot}", data, self._world(refresh=True))
        self._commit([event], self.session)
        return done(N_("Lot %(lot)s opened for %(fraction)s"), [event["event"]["id"]], lot=lot,
                    fraction=data["fraction"])

    def _seal_lot(self, fields: dict[str, str]) -> Outcome:
        self._signed_in()
        lot = self._selected_lot()
        world = self._world(refresh=True)
        with judging("lot.sealed", f"lot:{lot}"):
            lots.check_transition("lot.sealed", world.lot(lot))
        weighing = self._weigh("platform")
        event = self._signed("lot.sealed", f"lot:{lot}", wf.sealed_data(weighing), world)
        flags = self._calibration_flags(world, event)
        self._commit([event], {**self.session, "lot": None})
        return done(N_("Lot %(lot)s sealed: %(net_g)s g"), [event["event"]["id"]], flags,
                    lot=lot, net_g=weighing.mass_g)

    # -- what the rules read ------------------------------------------------------------------

    def _calibration_flags(self, world: StationWorld, event: dict[str, Any]) -> list[Flag]:
        """The calibration flag the event's weighing raises, if any."""
        obj = event["event"]
        scale = obj["data"].get("scale")
        if not scale or self.catalogue is None:
            return []
        found = rule_flags.calibration(scale, obj["time"], world.last_pass(scale, obj["time"]),
                                       self.catalogue.tolerances)
        return [found] if found else []

    def _check_trade_in(self, code: str, label: str | None) -> None:
        world = self._world()
        about = f"unit:{label}" if label else f"station:{self.config.station_id}"
        with judging("unit.received", about):
            units.check_trade_in(code, world.trade_in_holder(code), label or "")

    def _category(self, facts: UnitFacts) -> Category:
        return units.category_of((facts.received or {})["category"], self._known_catalogue())

    # -- session helpers ----------------------------------------------------------------------

    def _draft(self) -> dict[str, Any]:
        self._signed_in()
        unit = self.session.get("unit")
        if not unit:
            raise Refusal("no_unit", N_("Scan the unit label or trade-in code first"))
        if unit["received"]:
            raise Refusal("out_of_order", N_("Unit %(label)s is already weighed in"),
                          label=unit["label"])
        return unit

    def _received(self) -> tuple[UnitFacts, Category]:
        self._signed_in()
        unit = self.session.get("unit")
        if not unit:
            raise Refusal("no_unit", N_("Scan the unit label first"))
        facts = self._world().unit(unit["label"])
        if not unit["received"] or facts.received is None:
            raise Refusal("out_of_order", N_("Weigh unit %(label)s in first"),
                          label=unit["label"])
        return facts, self._category(facts)

    def _selected_cylinder(self) -> dict[str, Any]:
        cylinder = self.session.get("cylinder")
        if not cylinder:
            raise Refusal("no_cylinder", N_("Scan the recovery cylinder's label first"))
        return cylinder

    def _selected_lot(self) -> str:
        lot = self.session.get("lot")
        if not lot:
            raise Refusal("no_lot", N_("Scan the lot label first"))
        return lot

    def _lot_for(self, fraction: str | None) -> str | None:
        """The selected lot, if it is an open lot of `fraction` (for weighed components)."""
        lot = self.session.get("lot")
        if not lot or fraction is None:
            return None
        facts = self._world().lot(lot)
        opened = facts.opened
        return lot if facts.state == "open" and opened and opened["fraction"] == fraction \
            else None

    def _weigh(self, role: str) -> wf.Weighing:
        scale = self.config.scale(role) or self.config.scale("platform")
        assert scale is not None  # the configuration requires a platform scale
        # A reading older than max_reading_age_s is never used; a busy machine may have
        # delayed the poller a moment, so wait up to a second for a fresh one first.
        view = self.scales[scale.name].wait_reading(
            after=time.monotonic() - self.rules.max_reading_age_s, timeout=1.0)
        return wf.stable_weighing(view, self.rules)

    def _event(self, etype: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        """A signed submission of a new event by this station and the signed-in worker."""
        obj = {"id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
               "station": self.config.station_id, "operator": self._signed_in(),
               "subject": subject, "data": data}
        try:
            event = parse_event(obj)
        except EventError as exc:
            raise BadInput(N_("The record would be invalid: %(error)s"), error=str(exc)) \
                from None
        return {"event": obj, "station_sig": self.identity.sign(event)}

    def _signed(self, etype: str, subject: str, data: dict[str, Any],
                world: StationWorld | None = None) -> dict[str, Any]:
        """`_event`, once the ledger's rules accept it in `world` (a refusal is an attempt)."""
        event = self._event(etype, subject, data)
        with judging(etype, subject):
            judge.check(event["event"], world or self._world(), event["event"]["time"])
        return event

    def _commit(self, submissions: list[dict[str, Any]], session: dict[str, Any]) -> None:
        self.outbox.commit(submissions, session)
        self.session = session

    def _save(self, session: dict[str, Any]) -> None:
        self._commit([], session)

    # -- the snapshot -------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self._lock:
            counts = self.outbox.counts()
            return {
                "station": {"id": self.config.station_id, "name": self.config.name,
                            "language": self.config.language},
                "operator": ({"badge": self.session["operator"]}
                             if self.session.get("operator") else None),
                "unit": self._unit_state(),
                "cylinder": self._cylinder_state(),
                "selected": {"lot": self.session.get("lot"),
                             "cylinder": (self.session.get("cylinder") or {}).get("id")},
                "prompt": self._prompt().as_json(),
                "actions": self._actions(),
                "scales": [self._scale_state(p) for p in self.scales.values()],
                "last": self.last,
                "outbox": {"pending": counts["pending"], "delivered": counts["delivered"],
                           "held": counts["held"], "online": bool(self.courier.online),
                           "mode": self.client.mode, "last_error": self.courier.last_error,
                           "held_events": [{"id": h.event_id, "subject": h.subject,
                                            "type": h.type, "reason": h.reason}
                                           for h in self.outbox.held()[:10]]},
                "lots": self._lots_state(),
                "catalogue": self._catalogue_state(),
            }

    def _catalogue_state(self) -> dict[str, Any]:
        """The names the page shows: the catalogue in force, and the sources of the rules."""
        catalogue = self.catalogue
        names = catalogue.as_json() if catalogue else {
            "categories": [], "fractions": [], "components": [], "absent_reasons": []}
        return {**names, "sources": [{"code": code, "name": SOURCE_NAMES[code]}
                                     for code in SOURCES]}

    def _scale_state(self, poller: ScalePoller) -> dict[str, Any]:
        view = poller.view()
        return {"name": view.name, "role": poller.config.role, "status": view.status,
                "mass_g": view.mass_g, "stable": view.status == "stable",
                "message": view.message}

    def _unit_state(self) -> dict[str, Any] | None:
        unit = self.session.get("unit")
        if not unit:
            return None
        if not unit["received"]:
            draft = unit["draft"]
            category = self._categories().get(draft["category"] or "")
            return {"label": unit["label"], "received": False,
                    "category": draft["category"],
                    "category_name": category.name if category else None,
                    "gross_g": None,
                    "refrigerant_bearing": bool(category and category.refrigerant_bearing),
                    "trade_in_code": draft["trade_in_code"], "details": draft["details"],
                    "steps": self._steps(None, category), "next": "intake",
                    "recovered_g": None, "outputs": [], "outputs_g": 0}
        facts = self._world().unit(unit["label"])
        received = facts.received or {}
        category = self._categories().get(received.get("category", ""))
        outputs = [{"fraction": d["fraction"], "lot": d["lot"], "mass_g": d["mass_g"]}
                   for d in facts.outputs]
        return {"label": unit["label"], "received": True,
                "category": received.get("category"),
                "category_name": category.name if category else None,
                "gross_g": received.get("gross_g"),
                "refrigerant_bearing": bool(category and category.refrigerant_bearing),
                "trade_in_code": received.get("trade_in_code"),
                "details": {k: received.get(k) for k in (*_TEXT_FIELDS, "nameplate_refrigerant",
                                                         "nameplate_charge_g", "source")},
                "steps": self._steps(facts, category),
                "next": units.next_step(facts, category) if category else None,
                "recovered_g": (facts.recovered_g if facts.data_of("refrigerant.recovered")
                                else None),
                "outputs": outputs, "outputs_g": facts.weighed_g()}

    def _categories(self) -> dict[str, Category]:
        catalogue = self.catalogue
        return catalogue.categories if catalogue else {}

    def _steps(self, facts: UnitFacts | None, category: Category | None
               ) -> list[dict[str, Any]]:
        steps = wf.steps_of(category) if category else [("intake", True), ("complete", True)]
        catalogue = self.catalogue
        result = []
        for code, required in steps:
            count = facts.done(code) if facts else 0
            result.append({"code": code, "name": catalogue.step_name(code) if catalogue
                           else code,
                           "required": required, "done": count > 0, "count": count})
        return result

    def _cylinder_state(self) -> dict[str, Any] | None:
        cylinder = self.session.get("cylinder")
        if not cylinder:
            return None
        registered = self._world().cylinder(cylinder["id"]).registered or {}
        return {"id": cylinder["id"], "before_g": cylinder["before_g"],
                "refrigerant": registered.get("refrigerant"),
                "max_gross_g": registered.get("max_gross_g")}

    def _lots_state(self) -> list[dict[str, Any]]:
        lot = self.session.get("lot")
        if not lot:
            return []
        facts = self._world().lot(lot)
        return [{"lot": lot, "fraction": (facts.opened or {}).get("fraction"),
                 "state": facts.state, "selected": True}]

    def _prompt(self) -> Message:
        if not self.session.get("operator"):
            return Message(N_("Scan your badge to sign in"))
        unit = self.session.get("unit")
        platform = self.config.scale("platform")
        cylinder_scale = self.config.scale("cylinder") or platform
        assert platform is not None and cylinder_scale is not None
        if not unit:
            return Message(N_("Scan the unit label or trade-in code"))
        label = unit["label"]
        if not unit["received"]:
            if not unit["draft"]["category"]:
                return Message(N_("Choose the category of unit %(label)s"), {"label": label})
            return Message(N_("Put unit %(label)s on scale %(scale)s and press Weigh"),
                           {"label": label, "scale": platform.name})
        facts = self._world().unit(label)
        category = self._categories().get((facts.received or {}).get("category", ""))
        step = units.next_step(facts, category) if category else None
        cylinder = self.session.get("cylinder")
        if step == "refrigerant":
            if not cylinder:
                return Message(N_("Scan the recovery cylinder, or record why there is no "
                                  "refrigerant"))
            if cylinder["before_g"] is None:
                return Message(N_("Put cylinder %(cylinder)s on scale %(scale)s and press Weigh "
                                  "before"), {"cylinder": cylinder["id"],
                                              "scale": cylinder_scale.name})
            return Message(N_("Recover the refrigerant into %(cylinder)s, then press Weigh "
                              "after"), {"cylinder": cylinder["id"]})
        if step and step.startswith("component:"):
            return Message(N_("Remove the %(component)s and record it"),
                           {"component": step.split(":", 1)[1]})
        if step and step.startswith("output:"):
            return Message(N_("Scan the lot for %(fraction)s and weigh the output"),
                           {"fraction": step.split(":", 1)[1]})
        return Message(N_("Weigh any further outputs, then press Complete"))

    def _actions(self) -> list[str]:
        if not self.session.get("operator"):
            return []
        actions = ["sign_out"]
        unit = self.session.get("unit")
        if unit and not unit["received"]:
            actions += ["select_category", "set_details", "cancel"]
            if unit["draft"]["category"]:
                actions.append("weigh_intake")
        elif unit:
            facts = self._world().unit(unit["label"])
            category = self._categories().get((facts.received or {}).get("category", ""))
            if category and category.refrigerant_bearing and not facts.done("refrigerant") \
                    and not facts.outputs:
                cylinder = self.session.get("cylinder")
                if cylinder:
                    actions.append("recovery_before" if cylinder["before_g"] is None
                                   else "recovery_after")
                actions.append("refrigerant_absent")
            actions += ["component", "cancel"]
            if self.session.get("lot"):
                actions.append("output")
            actions.append("complete")
        lot = self.session.get("lot")
        if lot:
            state = self._world().lot(lot).state
            actions += {"new": ["open_lot"], "open": ["seal_lot"]}.get(state, [])
        return actions


def _field(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not isinstance(value, str) or not value.strip():
        raise BadInput(N_("Give %(field)s"), field=name)
    return value.strip()


def _keep_cylinder(session: dict[str, Any]) -> dict[str, Any] | None:
    """The selected cylinder stays selected between units; a half-done recovery does not."""
    cylinder = session.get("cylinder")
    return {**cylinder, "before_g": None} if cylinder else None


ACTIONS = {
    "sign_out": Workstation._sign_out,
    "cancel": Workstation._cancel,
    "select_category": Workstation._select_category,
    "set_details": Workstation._set_details,
    "weigh_intake": Workstation._weigh_intake,
    "recovery_before": Workstation._recovery_before,
    "recovery_after": Workstation._recovery_after,
    "refrigerant_absent": Workstation._refrigerant_absent,
    "component": Workstation._component,
    "output": Workstation._output,
    "complete": Workstation._complete,
    "open_lot": Workstation._open_lot,
    "seal_lot": Workstation._seal_lot,
}
