"""What a step of the worker answers (`Outcome`, JSON for the kiosk: see the station contract),
and how a ledger rule's refusal of what the worker attempted becomes an `Attempt`, which the
workstation records as an `attempt.refused` event before it answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ledger.rules.reasons import Flag
from ledger.rules.reasons import Refusal as RuleRefusal
from station import workflow as wf
from station.workflow import Message


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
    """A step that succeeded: its message, the events it committed, the flags it raised."""
    return Outcome(True, Message(template, params), None, flags or [], events or [])
