"""Which of a unit's steps are key steps, and what completing it needs of their evidence.

A key step (codes.EVIDENCE_STEPS) records an evidence reference (events.EvidenceReference:
the register's cameras watching the station, the window of their recording, the photos
taken). The catalogue in force says which key steps a unit cannot be completed without
(`[evidence] required`); a catalogue without that section requires none, so records written
before cameras were registered judge as they always did. A manager's `evidence.excused` on
the unit lets it be completed all the same, and raises the `evidence_excused` flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.catalogue import Catalogue
from ledger.rules import reasons
from ledger.rules.codes import EVIDENCE_STEP_EVENTS
from ledger.rules.facts import Event, UnitFacts
from ledger.rules.reasons import Flag, Refusal


def key_step(event: Event, catalogue: Catalogue) -> str | None:
    """The key step `event` is (codes.EVIDENCE_STEPS), or None: a component removal is one
    only for a component the catalogue calls hazardous."""
    step = EVIDENCE_STEP_EVENTS.get(event["type"])
    if step == "hazardous_component":
        component = catalogue.components.get(event["data"].get("component", ""))
        return step if component is not None and component.hazardous else None
    return step


def step_name(event: Event, step: str) -> str:
    """A key step as a refusal or flag lists it: the step, and what it is about."""
    data = event["data"]
    about = data.get("component") or data.get("fraction") or data.get("refrigerant")
    return f"{step}:{about}" if about else step


def missing(events: Sequence[Event], catalogue: Catalogue) -> list[str]:
    """The required key steps among a unit's `events` that record no evidence reference,
    each once, in the order recorded."""
    required = catalogue.evidence or ()
    found: list[str] = []
    for event in events:
        step = key_step(event, catalogue)
        if step in required and event["data"].get("evidence") is None:
            name = step_name(event, step)
            if name not in found:
                found.append(name)
    return found


def excuse(facts: UnitFacts) -> dict[str, Any] | None:
    """The unit's latest `evidence.excused`, or None."""
    found = facts.data_of("evidence.excused")
    return found[-1] if found else None


def check_completion(facts: UnitFacts, catalogue: Catalogue) -> None:
    """Refuse completing a unit whose required key steps lack evidence, unless excused."""
    lacking = missing(facts.events, catalogue)
    if lacking and excuse(facts) is None:
        raise Refusal(reasons.EVIDENCE_MISSING, label=facts.label, steps=", ".join(lacking))


def excused(facts: UnitFacts, catalogue: Catalogue) -> Flag | None:
    """The flag of a unit completed (or to be) without the evidence required, by excuse."""
    lacking = missing(facts.events, catalogue)
    found = excuse(facts)
    if not lacking or found is None:
        return None
    return Flag("evidence_excused", {"label": facts.label, "steps": ", ".join(lacking),
                                     "reason": found["reason"],
                                     "approved_by": found["approved_by"]})
