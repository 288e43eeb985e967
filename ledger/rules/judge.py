"""The entry points: `check` one event before it is written, `judge_unit` a unit's record.

`check` is what the ledger runs for every writer inside the append transaction, and what the
station runs before it signs: it raises `Refusal` naming the rule. `judge_unit` is what a
certificate states about a unit and the verifier recomputes: the catalogue that judged it,
its flags (with their reviews) and any rule its record breaks, so a record written before
the rules (or around them) shows as excluded rather than credited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.catalogue import Catalogue, CatalogueError, content_sha256, from_content
from ledger.corrections import Pair, effective
from ledger.rules import (
    evidence,
    identity,
    lots,
    reasons,
    receivers,
    refrigerant,
    sets,
    storage,
    timing,
    units,
)
from ledger.rules import flags as flag_rules
from ledger.rules.codes import STATUSES
from ledger.rules.facts import (
    CountFacts,
    CylinderFacts,
    Event,
    LotFacts,
    Partners,
    ReceiverFacts,
    UnitFacts,
    World,
)
from ledger.rules.reasons import Flag, Refusal

# Event types judged against the catalogue in force (refused while none is).
JUDGED = frozenset({"unit.received", "refrigerant.recovered", "refrigerant.absent",
                    "component.removed", "material.output", "unit.completed", "unit.stored",
                    "unit.set_aside", "unit.taken_back", "lot.opened", "lot.sealed",
                    "lot.shipped", "lot.received", "lot.stored", "cylinder.registered",
                    "stock.counted", "stock.adjusted", "evidence.excused", "lot.voucher",
                    "receiver.registered", "receiver.updated"})
OPERATOR_EVENTS = ("operator.registered", "operator.retired")

# (receiver's code, entry) -> the receiver's register events logged below that entry: what
# a record's shipments and vouchers are judged by (docs/rules.md section 4).
RegisterAt = Callable[[str, int], ReceiverFacts]


def check(event: Event, world: World, logged: str) -> None:
    """Refuse `event` (raise Refusal) if a rule forbids it, given what `world` holds just
    before it; `logged` is the time the ledger logs it."""
    catalogue = world.catalogue
    timing.check_time(event, logged, world, catalogue)
    etype, data = event["type"], event["data"]
    if etype == "catalogue.published":
        check_catalogue(data)
        return
    if etype == "flag.reviewed":
        check_review(event, world)
        return
    if etype == "attempt.refused":
        check_attempt(event)
        return
    if etype == "plant.identified":
        identity.check_identity(event["subject"], data)
        return
    if etype in OPERATOR_EVENTS:
        registered = world.operator(event["subject"].partition(":")[2])
        identity.check_operator_event(etype, event["subject"], data,
                                      [] if registered is None else registered)
        return
    if etype not in JUDGED:
        return
    if catalogue is None:
        raise Refusal(reasons.NO_CATALOGUE, type=etype)
    kind, _, name = event["subject"].partition(":")
    if kind == "unit":
        check_unit_event(event, world.unit(name), world, catalogue)
        if etype == "unit.received":
            sets.check_claims(data, name, world, catalogue)
    elif kind == "lot":
        lot = world.lot(name)
        if lot is not None:
            check_lot_event(event, lot, catalogue, world.receiver, world.register_in_use())
    elif kind == "receiver":
        receiver = world.receiver(name)
        if receiver is not None:
            receivers.check_register(event, receiver, catalogue)
    elif kind == "count":
        count = world.count(name)
        if count is not None:
            storage.check_count(etype, data, count, catalogue)
    elif etype == "cylinder.registered":
        cylinder = world.cylinder(name)
        if cylinder is not None:
            refrigerant.check_cylinder(data, cylinder, catalogue)


def check_unit_event(event: Event, facts: UnitFacts, world: World, catalogue: Catalogue) -> None:
    etype, data = event["type"], event["data"]
    if etype == "unit.received":
        units.check_new_label(facts)
        units.check_intake(data, catalogue)
        code = data.get("trade_in_code")
        if code:
            units.check_trade_in(code, world.trade_in_holder(code), facts.label)
        sets.check_intake(data, facts.label, catalogue)
        return
    received = units.open_unit(facts)
    category = units.category_of(received["category"], catalogue)
    storage.check_unit_storage(etype, data, facts, catalogue)
    if etype == "refrigerant.recovered":
        units.check_before_outputs(facts)
        refrigerant.check_recovery(data, facts, category, world.cylinder(data["cylinder"]),
                                   catalogue)
    elif etype == "refrigerant.absent":
        units.check_before_outputs(facts)
        refrigerant.check_absent(data, facts, category, catalogue)
    elif etype == "component.removed":
        component = catalogue.components.get(data["component"])
        if component is None:
            raise Refusal(reasons.UNKNOWN_COMPONENT, component=data["component"],
                          known=", ".join(sorted(catalogue.components)))
        units.check_output_mass(facts, data.get("mass_g"))
        lot = world.lot(data["lot"]) if data.get("lot") else None
        if lot is not None:
            lots.check_takes(lot, component.fraction, catalogue)
    elif etype == "material.output":
        lots.fraction_of(data["fraction"], catalogue)
        missing = units.missing_depollution(facts, category)
        if missing:
            raise Refusal(reasons.DEPOLLUTION_FIRST, steps=", ".join(missing),
                          label=facts.label)
        units.check_output_mass(facts, data["mass_g"])
        lot = world.lot(data["lot"])
        if lot is not None:
            lots.check_takes(lot, data["fraction"], catalogue)
    elif etype == "unit.completed":
        units.check_completion(facts, category)
        evidence.check_completion(facts, catalogue)
        sets.check_completion(facts, world, catalogue)


def check_lot_event(event: Event, lot: LotFacts, catalogue: Catalogue,
                    receiver: receivers.Lookup, register_in_use: bool | None) -> None:
    """A lot's own event: storing it, a voucher, or a step of its state machine (a shipment
    judged by the register of receivers too)."""
    etype, data = event["type"], event["data"]
    if etype == "lot.stored":
        storage.check_lot_stored(data, lot, catalogue)
    elif etype == "lot.voucher":
        receivers.check_voucher(data, lot)
    else:
        lots.check_lot_event(etype, data, lot, catalogue)
        if etype == "lot.shipped":
            receivers.check_shipment(event, lot, receiver, register_in_use)


def check_catalogue(data: dict[str, Any]) -> Catalogue:
    actual = content_sha256(data["content"])
    if data["sha256"] != actual:
        raise Refusal(reasons.CATALOGUE_HASH, stated=data["sha256"], actual=actual)
    try:
        return from_content(data["content"], "data.content")
    except CatalogueError as exc:
        raise Refusal(reasons.CATALOGUE_INVALID, error=str(exc)) from None


def check_review(event: Event, world: World) -> None:
    data = event["data"]
    found = world.raised_flags(event["subject"])
    if found is not None and (data["flag"], data.get("key")) not in found:
        about = f" ({data['key']})" if data.get("key") else ""
        raise Refusal(reasons.NO_SUCH_FLAG, subject=event["subject"], flag=data["flag"],
                      about=about)


def check_attempt(event: Event) -> None:
    if event["subject"] != f"station:{event['station']}":
        raise Refusal(reasons.ATTEMPT_SUBJECT, station=event["station"],
                      subject=event["subject"])
    if event["data"]["rule"] not in reasons.REFUSALS:
        raise Refusal(reasons.UNKNOWN_RULE, rule=event["data"]["rule"])


# -- a unit's whole record ---------------------------------------------------------------------

@dataclass
class _Replay:
    """The world as a unit's own record shows it, event by event (for judge_unit): other
    subjects' facts are unknown here, so the rules about them are left to the ledger; but
    the unit it is set with is known when `partners` is given (its entries below the event
    judged, at `position`)."""

    catalogue: Catalogue | None
    facts: UnitFacts
    partners: Partners | None = None
    position: int = 0

    def unit(self, label: str) -> UnitFacts:
        return self.facts

    def lot(self, lot: str) -> LotFacts | None:
        return None

    def cylinder(self, cylinder: str) -> CylinderFacts | None:
        return None

    def count(self, count: str) -> CountFacts | None:
        return None

    def trade_in_holder(self, code: str) -> str | None:
        return None

    def partner(self, label: str) -> UnitFacts | None:
        return None if self.partners is None else self.partners(label, self.position)

    def set_claims(self, label: str) -> list[str] | None:
        return None

    def station_registered_at(self, station: str) -> str | None:
        return None

    def raised_flags(self, subject: str) -> list[tuple[str, str | None]] | None:
        return None

    def operator(self, code: str) -> list[Event] | None:
        return None

    def receiver(self, code: str) -> ReceiverFacts | None:
        return None

    def register_in_use(self) -> bool | None:
        return None


@dataclass(frozen=True)
class Judgement:
    flags: list[Flag]
    reviews: list[dict[str, Any]]  # {"entry", "flag", "key", "resolution", "reason", ...}
    violations: list[dict[str, Any]]  # {"entry", "rule", "params", "message"} per refused event

    def open_flags(self) -> list[Flag]:
        reviewed = {(r["flag"], r["key"]) for r in self.reviews}
        return [f for f in self.flags if (f.code, f.key) not in reviewed]

    @property
    def status(self) -> str:
        """creditable, flagged or excluded (codes.STATUSES; see docs/rules.md)."""
        creditable, flagged, excluded = STATUSES
        if self.violations or any(r["resolution"] == "exclude" for r in self.reviews):
            return excluded
        return flagged if self.open_flags() else creditable


def judge_unit(pairs: Sequence[Pair], label: str, catalogue: Catalogue,
               last_pass: flag_rules.LastPass, partners: Partners | None = None) -> Judgement:
    """Judge a unit's entries (its whole subject chain) by `catalogue`: replay each effective
    event through the unit's own rules, then compute its flags and fold in its reviews.
    `pairs` are (entry index, event); the latest review of a flag wins. `partners` gives the
    record of the unit it is set with (None: not judged, the pairing is left to the ledger)."""
    events = effective(pairs)
    violations = _replay_unit(events, label, catalogue, partners)[1]
    return Judgement(*_flagged(events, label, catalogue, last_pass), violations=violations)


def flag_unit(pairs: Sequence[Pair], label: str, catalogue: Catalogue,
              last_pass: flag_rules.LastPass) -> Judgement:
    """A unit's flags and reviews alone, without replaying its events through the rules: for
    the ledger, which judged every one of them as it was appended."""
    return Judgement(*_flagged(effective(pairs), label, catalogue, last_pass), violations=[])


def _flagged(events: Sequence[Pair], label: str, catalogue: Catalogue,
             last_pass: flag_rules.LastPass) -> tuple[list[Flag], list[dict[str, Any]]]:
    judged = [(i, e) for i, e in events if e["type"] != "flag.reviewed"]
    received = UnitFacts(label, tuple(e for _, e in judged)).received
    flags: list[Flag] = []
    if received is not None and received["category"] in catalogue.categories:
        flags = flag_rules.unit_flags(judged, label, catalogue.categories[received["category"]],
                                      catalogue, last_pass)
    return flags, _reviews(events, flags)


def judge_lot(pairs: Sequence[Pair], lot: str, catalogue: Catalogue,
              register: RegisterAt | None = None) -> Judgement:
    """Judge a lot's own chain: its state machine, hazard class, licence and receiver (by
    `register`, the receivers' entries, when given), its vouchers, and the receipt-weight
    flag, with its reviews."""
    events = effective(pairs)
    facts, violations = _replay_lot(events, lot, catalogue, register)
    receipt = flag_rules.receipt_weight(facts, catalogue.tolerances)
    flags = [receipt] if receipt else []
    return Judgement(flags, _reviews(events, flags), violations)


def violations(pairs: Sequence[Pair], subject: str, catalogue: Catalogue,
               partners: Partners | None = None, register: RegisterAt | None = None
               ) -> list[dict[str, Any]]:
    """The rules a unit's or lot's effective record breaks (what a correction must not add)."""
    kind, _, name = subject.partition(":")
    events = effective(pairs)
    if kind == "unit":
        return _replay_unit(events, name, catalogue, partners)[1]
    if kind == "lot":
        return _replay_lot(events, name, catalogue, register)[1]
    if kind in ("plant", "operator"):
        return register_violations(pairs)
    return []


def register_violations(pairs: Sequence[Pair]) -> list[dict[str, Any]]:
    """The rules the effective record of plant:identity or of an operator:<code> breaks
    (ledger.rules.identity), each event judged against the ones before it: what a
    certificate states beside the identity and the operators it names."""
    found = []
    before: list[Event] = []
    for index, event in effective(pairs):
        try:
            if event["type"] == "plant.identified":
                identity.check_identity(event["subject"], event["data"])
            elif event["type"] in OPERATOR_EVENTS:
                identity.check_operator_event(event["type"], event["subject"], event["data"],
                                              before)
        except Refusal as refusal:
            found.append(_violation(index, refusal))
        before.append(event)
    return found


def _replay_unit(events: Sequence[Pair], label: str, catalogue: Catalogue,
                 partners: Partners | None) -> tuple[UnitFacts, list[dict[str, Any]]]:
    found = []
    replay = _Replay(catalogue, UnitFacts(label, ()), partners)
    for index, event in events:
        replay.position = index
        if event["type"] in JUDGED:
            try:
                check_unit_event(event, replay.facts, replay, catalogue)
            except Refusal as refusal:
                found.append(_violation(index, refusal))
        if event["type"] != "flag.reviewed":
            replay.facts = replay.facts.with_event(event)
    return replay.facts, found


def _replay_lot(events: Sequence[Pair], lot: str, catalogue: Catalogue,
                register: RegisterAt | None) -> tuple[LotFacts, list[dict[str, Any]]]:
    """A lot's record, event by event. A shipment naming a registered receiver is judged by
    that receiver's entries below it, when `register` is given; one by a free-text name, by
    the rule of its time (whether the register was in use is the ledger's to judge)."""
    found = []
    facts = LotFacts(lot, ())
    for index, event in events:
        if event["type"] in JUDGED:
            def receiver(code: str, below: int = index) -> ReceiverFacts | None:
                return register(code, below) if register is not None else None
            try:
                check_lot_event(event, facts, catalogue, receiver, None)
            except Refusal as refusal:
                found.append(_violation(index, refusal))
            facts = facts.with_event(event)
    return facts, found


def _violation(index: int, refusal: Refusal) -> dict[str, Any]:
    return {"entry": index, "rule": refusal.code, "params": refusal.params,
            "message": refusal.text()}


def _reviews(events: Sequence[Pair], flags: Sequence[Flag]) -> list[dict[str, Any]]:
    """The latest review of each raised flag."""
    reviews: dict[tuple[str, str | None], dict[str, Any]] = {}
    for index, event in events:
        if event["type"] == "flag.reviewed":
            data = event["data"]
            reviews[(data["flag"], data.get("key"))] = {
                "entry": index, "flag": data["flag"], "key": data.get("key"),
                "resolution": data["resolution"], "reason": data["reason"],
                "approved_by": data["approved_by"], "time": event["time"],
                "operator": event["operator"]}
    raised = {(f.code, f.key) for f in flags}
    return [review for key, review in reviews.items() if key in raised]
