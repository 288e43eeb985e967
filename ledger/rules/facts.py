"""What the rules read: a unit's, a lot's and a cylinder's record, and the world they sit in.

Each writer builds these from what it holds: the ledger from its entries and read models in
the append transaction, the station from the ledger's answer merged with its outbox, the
verifier from a certificate's entries. The events are the *effective* ones, corrections
folded (ledger.corrections), oldest first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ledger.catalogue import Catalogue
from ledger.corrections import Pair, effective

Event = dict[str, Any]

# The lot state machine: each lot event, the state it needs and the state it leaves.
LOT_TRANSITIONS: dict[str, tuple[str, str]] = {
    "lot.opened": ("new", "open"),
    "lot.sealed": ("open", "sealed"),
    "lot.shipped": ("sealed", "shipped"),
    "lot.received": ("shipped", "received"),
}


def _events(logged: Iterable[Pair], pending: Sequence[Event]) -> tuple[Event, ...]:
    """Logged entries with their corrections folded, then events not yet logged."""
    return tuple(event for _, event in effective(logged)) + tuple(pending)


@dataclass(frozen=True)
class UnitFacts:
    """A unit's effective events, oldest first, with each type's data indexed (the rules ask
    many times; the ledger asks for every event it appends)."""

    label: str
    events: tuple[Event, ...]
    by_type: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict, compare=False,
                                                             repr=False)

    def __post_init__(self) -> None:
        if self.events and not self.by_type:
            found: dict[str, list[dict[str, Any]]] = {}
            for event in self.events:
                found.setdefault(event["type"], []).append(event["data"])
            object.__setattr__(self, "by_type", {k: tuple(v) for k, v in found.items()})

    @classmethod
    def of(cls, label: str, logged: Iterable[Pair] = (),
           pending: Sequence[Event] = ()) -> UnitFacts:
        return cls(label, _events(logged, pending))

    def with_event(self, event: Event) -> UnitFacts:
        """These facts and one more event (not a correction: that needs folding again)."""
        by_type = dict(self.by_type)
        by_type[event["type"]] = (*by_type.get(event["type"], ()), event["data"])
        return UnitFacts(self.label, (*self.events, event), by_type)

    def data_of(self, etype: str) -> tuple[dict[str, Any], ...]:
        return self.by_type.get(etype, ())

    @property
    def received(self) -> dict[str, Any] | None:
        found = self.data_of("unit.received")
        return found[0] if found else None

    @property
    def completed(self) -> bool:
        return bool(self.data_of("unit.completed"))

    @property
    def aside(self) -> str | None:
        """Why the unit is set aside, or None when it is not (never, or taken back)."""
        reason = None
        for event in self.events:
            if event["type"] == "unit.set_aside":
                reason = event["data"]["reason"]
            elif event["type"] == "unit.taken_back":
                reason = None
        return reason

    @property
    def recovered_g(self) -> int:
        return sum(d["recovered_g"] for d in self.data_of("refrigerant.recovered"))

    @property
    def outputs(self) -> tuple[dict[str, Any], ...]:
        return self.data_of("material.output")

    def weighed_g(self) -> int:
        """What left the unit on a scale: outputs and weighed components."""
        weighed: int = (sum(d["mass_g"] for d in self.outputs)
                        + sum(d.get("mass_g") or 0 for d in self.data_of("component.removed")))
        return weighed

    def done(self, step: str) -> int:
        """How many times `step` was recorded (0: not done)."""
        kind, _, target = step.partition(":")
        if step == "intake":
            return len(self.data_of("unit.received"))
        if step == "refrigerant":
            return (len(self.data_of("refrigerant.recovered"))
                    + len(self.data_of("refrigerant.absent")))
        if kind == "component":
            return sum(1 for d in self.data_of("component.removed") if d["component"] == target)
        if kind == "output":
            return sum(1 for d in self.outputs if d["fraction"] == target)
        if step == "complete":
            return len(self.data_of("unit.completed"))
        raise ValueError(f"unknown step {step!r}")


# Another unit's facts as a rule about a desktop set reads them when it judges an entry: the
# unit `label`'s effective events from its entries below entry `before` (ledger/rules/sets.py).
Partners = Callable[[str, int], UnitFacts]


def facts_below(label: str, pairs: Iterable[Pair], before: int) -> UnitFacts:
    """Unit `label`'s facts from those of its entries `pairs` below entry `before`, the
    corrections among them folded (what the ledger held when it judged entry `before`)."""
    return UnitFacts.of(label, [(index, event) for index, event in pairs if index < before])


@dataclass(frozen=True)
class LotFacts:
    """A lot's own effective events (lot.opened ... lot.received), oldest first."""

    lot: str
    events: tuple[Event, ...]

    @classmethod
    def of(cls, lot: str, logged: Iterable[Pair] = (), pending: Sequence[Event] = ()) -> LotFacts:
        return cls(lot, _events(logged, pending))

    def with_event(self, event: Event) -> LotFacts:
        """These facts and one more event (not a correction: that needs folding again)."""
        return LotFacts(self.lot, (*self.events, event))

    def data_of(self, etype: str) -> dict[str, Any] | None:
        found = [e["data"] for e in self.events if e["type"] == etype]
        return found[-1] if found else None

    @property
    def opened(self) -> dict[str, Any] | None:
        return self.data_of("lot.opened")

    @property
    def state(self) -> str:
        state = "new"
        for event in self.events:
            if event["type"] in LOT_TRANSITIONS:
                state = LOT_TRANSITIONS[event["type"]][1]
        return state


@dataclass(frozen=True)
class CountFacts:
    """A stock count's own effective events: its stock.counted and its stock.adjusted."""

    count: str
    events: tuple[Event, ...]

    @classmethod
    def of(cls, count: str, logged: Iterable[Pair] = (),
           pending: Sequence[Event] = ()) -> CountFacts:
        return cls(count, _events(logged, pending))

    @property
    def counted(self) -> dict[str, Any] | None:
        found = [e["data"] for e in self.events if e["type"] == "stock.counted"]
        return found[0] if found else None

    @property
    def adjusted(self) -> set[tuple[str, str | None, str]]:
        """The lines adjusted (see count_line)."""
        return {count_line(e["data"]) for e in self.events if e["type"] == "stock.adjusted"}


CountLine = tuple[str, str | None, str]


def count_line(data: dict[str, Any]) -> CountLine:
    """The count line a stock.adjusted names: ("units", zone, category) (zone None: units in
    no zone) or ("fraction", None, fraction)."""
    if data.get("fraction") is not None:
        return ("fraction", None, data["fraction"])
    return ("units", data.get("zone"), data["category"])


@dataclass(frozen=True)
class ReceiverFacts:
    """A receiver's effective register events (receiver.registered, receiver.updated)."""

    code: str
    events: tuple[Event, ...]

    @classmethod
    def of(cls, code: str, logged: Iterable[Pair] = (),
           pending: Sequence[Event] = ()) -> ReceiverFacts:
        return cls(code, _events(logged, pending))

    @property
    def entry(self) -> dict[str, Any] | None:
        """The register entry in force: the latest registration or update (None: not
        registered)."""
        found = [e["data"] for e in self.events
                 if e["type"] in ("receiver.registered", "receiver.updated")]
        return found[-1] if found else None


@dataclass(frozen=True)
class CylinderFacts:
    """A recovery cylinder: its registration, and the gross after its latest recovery."""

    cylinder: str
    registered: dict[str, Any] | None
    registered_entry: int | None = None
    last_after_g: int | None = None
    last_entry: int | None = None  # the entry of that latest recovery (None: not yet logged)


class World(Protocol):
    """What a writer knows around one event. A method answering None means "not known to
    this judge" (the verifier holds no cylinder's history): rules needing it are not judged
    there, and are judged where it is known (the ledger, the station)."""

    @property
    def catalogue(self) -> Catalogue | None: ...

    def unit(self, label: str) -> UnitFacts: ...

    def lot(self, lot: str) -> LotFacts | None: ...

    def cylinder(self, cylinder: str) -> CylinderFacts | None: ...

    def count(self, count: str) -> CountFacts | None: ...

    def trade_in_holder(self, code: str) -> str | None: ...

    def partner(self, label: str) -> UnitFacts | None:
        """Unit `label`'s facts as the rules about desktop sets read another unit (None:
        this judge does not know that unit's record, e.g. a station that never fetched it)."""
        ...

    def set_claims(self, label: str) -> list[str] | None:
        """The units whose effective intake names `label` as its set (set_with), sorted."""
        ...

    def station_registered_at(self, station: str) -> str | None: ...

    def raised_flags(self, subject: str) -> list[tuple[str, str | None]] | None: ...

    def operator(self, code: str) -> list[Event] | None:
        """The effective events of operator:<code> in the register (None: not known)."""
        ...
    def receiver(self, code: str) -> ReceiverFacts | None:
        """The receiver's register events so far (none: not registered)."""

    def register_in_use(self) -> bool | None:
        """Whether any receiver has been registered in this log (shipments by free-text name
        are refused from then on, docs/rules.md section 4)."""
