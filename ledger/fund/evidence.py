"""What an auditor can check a unit's record against, step by step: for now each step's own
ledger entry (its index and leaf hash, which `dledger entry N` and an inclusion proof
confirm). Issue 16 adds camera and photo evidence: `step_evidence` is the one function that
lists a step's references, so a new kind is added there."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.corrections import fold
from ledger.merkle import leaf_hash

EVIDENCE_KINDS = ("entry",)


@dataclass(frozen=True)
class Reference:
    kind: str  # one of EVIDENCE_KINDS
    index: int  # the entry the reference belongs to
    digest: str  # hex: the entry's leaf hash


@dataclass(frozen=True)
class Step:
    """One entry of a unit's chain, as the sampling page shows it."""

    index: int
    type: str
    time: str  # the event's time, UTC text
    station: str
    operator: str
    what: str | None  # the code the step is about: its fraction, component, gas or reason
    voided: bool  # a correction voided it
    evidence: tuple[Reference, ...]


def step_evidence(index: int, body: bytes) -> list[Reference]:
    """The references that back one step: its entry (index and leaf hash)."""
    return [Reference("entry", index, leaf_hash(body).hex())]


def _about(data: dict[str, object]) -> str | None:
    for key in ("fraction", "component", "refrigerant", "reason"):
        if isinstance(value := data.get(key), str):
            return value
    return None


def unit_steps(entries: Sequence[tuple[int, bytes]]) -> list[Step]:
    """A unit's entries (index, exact bytes; its whole subject chain), oldest first, each with
    its evidence, and whether a correction voided it (ledger.corrections.fold)."""
    parsed = [(index, body, json.loads(body)["event"]) for index, body in entries]
    kept = {index for index, _ in fold([(index, event) for index, _, event in parsed])[0]}
    return [Step(index, event["type"], event["time"], event["station"], event["operator"],
                 _about(event["data"]), index not in kept and event["type"] != "correction",
                 tuple(step_evidence(index, body)))
            for index, body, event in parsed]
