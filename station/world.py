"""What the station knows: the ledger's view of each subject merged with its own outbox, as the
rules' `World` (ledger.rules.facts) reads it.

`Knowledge` asks the ledger (through the client) for a subject's entries, a cylinder's facts
and the catalogue in force, keeps each answer for a while, and keeps the last one in the
outbox file so that the station goes on judging while the console is out of reach.
`StationWorld` is one step's view: the ledger's entries with their corrections folded, then
the station's own events the ledger does not show yet; a cylinder's last gross after is the
latest of the ledger's and the station's own recoveries into it. What only the ledger can
know (a station's registration time, the flags it raised, the units that name one as their
desktop set) is left to the ledger: None; so is the other half of a set while the ledger is
out of reach (a kept answer may be older than its intake at another station).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.catalogue import Catalogue, CatalogueError, from_content
from ledger.corrections import Pair
from ledger.log import CATALOGUE_SUBJECT
from ledger.rules.facts import CountFacts, CylinderFacts, LotFacts, ReceiverFacts, UnitFacts
from station.client import LedgerClient, cylinder_facts
from station.outbox import Outbox, Unreachable

# How long the catalogue in force, a cylinder's facts and a scale's checks are reused before
# the ledger is asked again (a unit's or a lot's entries are asked anew at each scan).
REUSE_S = 60.0
_FAILURES = (Unreachable, OSError)


class Knowledge:
    """The ledger's answers, cached per subject and remembered in the outbox."""

    def __init__(self, client: LedgerClient, outbox: Outbox,
                 answered: Callable[[], None] = lambda: None):
        self.client = client
        self.outbox = outbox
        self.answered = answered  # called when the ledger answered (wakes the courier)
        self._cache: dict[str, tuple[float, Any]] = {}

    def _ask(self, key: str, max_age: float | None, ask: Callable[[], Any],
             to_json: Callable[[Any], dict[str, Any]],
             from_json: Callable[[dict[str, Any]], Any], default: Any) -> Any:
        """The answer for `key`: cached if younger than `max_age` (None: any age), else asked
        anew; when the ledger cannot be asked, the last answer kept (or `default`). Only the
        ledger's own answers are cached: one that could not be had is asked again next time,
        so a station started while the console was down learns as soon as it is back."""
        cached = self._cache.get(key)
        if cached is not None and (max_age is None or time.monotonic() - cached[0] < max_age):
            return cached[1]
        try:
            value = ask()
        except _FAILURES:
            if cached is not None:
                return cached[1]
            kept = self.outbox.remembered(key)
            return from_json(kept) if kept is not None else default
        self.outbox.remember(key, to_json(value))
        self.answered()
        self._cache[key] = (time.monotonic(), value)
        return value

    def entries(self, subject: str, max_age: float | None) -> list[Pair]:
        """(index, event) of the ledger's entries about `subject`, oldest first."""
        return self._ask(subject, max_age, lambda: self.client.subject_entries(subject),
                         lambda pairs: {"entries": [[i, e] for i, e in pairs]},
                         lambda kept: [(i, e) for i, e in kept.get("entries", [])], [])

    def entries_now(self, subject: str) -> list[Pair] | None:
        """The ledger's entries about `subject` as it answers now; None when it cannot be
        asked (no kept answer: an old one may miss what another station recorded since)."""
        try:
            found = self.client.subject_entries(subject)
        except _FAILURES:
            return None
        self.answered()
        return found

    def cylinder(self, cylinder: str, max_age: float | None) -> CylinderFacts:
        """The ledger's facts about a recovery cylinder."""
        return self._ask(f"cylinder-facts:{cylinder}", max_age,
                         lambda: self.client.cylinder(cylinder),
                         lambda facts: {"facts": _cylinder_json(facts)},
                         lambda kept: cylinder_facts(cylinder, kept.get("facts")),
                         CylinderFacts(cylinder, None))

    def catalogue(self) -> Catalogue | None:
        """The catalogue in force in the ledger; the one last fetched when it is out of reach;
        None if the station never reached a ledger that has one."""
        found = self._ask(CATALOGUE_SUBJECT, REUSE_S, self.client.catalogue,
                          lambda found: {"catalogue": found and [found[0], found[1].content()]},
                          _catalogue_from_json, None)
        return found[1] if found else None


def _cylinder_json(facts: CylinderFacts) -> dict[str, Any] | None:
    if facts.registered is None:
        return None
    return {"registered": facts.registered, "registered_entry": facts.registered_entry,
            "last_after_g": facts.last_after_g, "last_entry": facts.last_entry}


def _catalogue_from_json(kept: dict[str, Any]) -> tuple[int, Catalogue] | None:
    found = kept.get("catalogue")
    if not found:
        return None
    try:
        return found[0], from_content(found[1], "the catalogue kept in the outbox")
    except CatalogueError:
        return None  # kept by another version in another format: as if never fetched


@dataclass
class StationWorld:
    """One step's world (see the module docstring); `refresh` asks the ledger anew."""

    knowledge: Knowledge
    catalogue: Catalogue | None
    refresh: bool = False

    @property
    def outbox(self) -> Outbox:
        return self.knowledge.outbox

    def _split(self, subject: str) -> tuple[list[Pair], list[dict[str, Any]]]:
        """The ledger's entries about `subject`, and the station's events it does not show."""
        logged = self.knowledge.entries(subject, 0 if self.refresh else None)
        ids = {event["id"] for _, event in logged}
        return logged, [e for e in self.outbox.events_for(subject) if e["id"] not in ids]

    def unit(self, label: str) -> UnitFacts:
        return UnitFacts.of(label, *self._split(f"unit:{label}"))

    def lot(self, lot: str) -> LotFacts:
        return LotFacts.of(lot, *self._split(f"lot:{lot}"))

    def cylinder(self, cylinder: str) -> CylinderFacts:
        """The ledger's facts, with the station's own recoveries into the cylinder that the
        ledger had not logged when it answered: the latest one's gross after wins."""
        facts = self.knowledge.cylinder(cylinder, 0 if self.refresh else REUSE_S)
        for index, event in self.outbox.recoveries_into(cylinder):
            if index is None or facts.last_entry is None or index > facts.last_entry:
                facts = CylinderFacts(cylinder, facts.registered, facts.registered_entry,
                                      event["data"]["cylinder_gross_after_g"], index)
        return facts

    def partner(self, label: str) -> UnitFacts | None:
        """Another unit's record (the other half of a desktop set, often weighed in at
        another station), asked of the ledger now, with this station's own events about it
        the ledger does not show yet; None when the ledger is out of reach: the ledger judges
        the set when the event arrives."""
        subject = f"unit:{label}"
        logged = self.knowledge.entries_now(subject)
        if logged is None:
            return None
        ids = {event["id"] for _, event in logged}
        return UnitFacts.of(label, logged,
                            [e for e in self.outbox.events_for(subject) if e["id"] not in ids])

    def set_claims(self, label: str) -> list[str] | None:
        return None  # the ledger's to judge: it holds every unit's intake

    def count(self, count: str) -> CountFacts | None:
        """Unknown here: a station records no stock count (the console does, and the
        ledger judges it)."""
        return None

    def trade_in_holder(self, code: str) -> str | None:
        holder = self.outbox.trade_in_holder(code)
        if holder is not None:
            return holder
        try:
            return self.knowledge.client.trade_in_holder(code)
        except _FAILURES:
            return None  # not known here: the ledger judges it when the event arrives

    def station_registered_at(self, station: str) -> str | None:
        return None  # the ledger's to judge

    def raised_flags(self, subject: str) -> list[tuple[str, str | None]] | None:
        return None  # a station reviews no flags

    def operator(self, code: str) -> list[dict[str, Any]] | None:
        return None  # the operators register is the console's (plant-only events)
    def receiver(self, code: str) -> ReceiverFacts | None:
        return None  # the register of receivers is the console's: the ledger judges it

    def register_in_use(self) -> bool | None:
        return None

    def last_pass(self, scale: str, at: str, index: int | None = None) -> str | None:
        """The time of the scale's latest passing calibration check at or before `at`
        (ledger.rules.flags.LastPass)."""
        passes = [event["time"] for _, event in
                  self.knowledge.entries(f"scale:{scale}", REUSE_S)
                  if event["type"] == "scale.calibrated" and event["data"]["passed"]
                  and event["time"] <= at]
        return max(passes) if passes else None
