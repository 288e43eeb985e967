"""A unit of the log in the fund's terms: its effective intake record and completion, classed
by the fund's tables of the catalogue in force when it was completed (while it is being
dismantled, of the catalogue in force now)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.catalogue import Catalogue
from ledger.corrections import Pair, effective
from ledger.fund.classify import FundClass, classify
from ledger.fund.tables import FundTables
from ledger.log import Ledger


@dataclass(frozen=True)
class UnitInFund:
    fund_class: FundClass
    tables: FundTables  # the tables that classed it (for its category's and class's names)
    received: dict[str, Any]  # its effective unit.received data, corrections folded


def class_of(catalogue: Catalogue, events: Sequence[dict[str, Any]]) -> FundClass | None:
    """The fund class of a unit from its effective events (corrections folded), oldest first;
    None if it was never received or the catalogue carries no fund tables."""
    received = next((e for e in events if e["type"] == "unit.received"), None)
    if received is None or catalogue.fund is None:
        return None
    completed = next((e for e in events if e["type"] == "unit.completed"), None)
    return classify(catalogue.fund, received["data"]["category"], received["data"],
                    completed["time"] if completed else None)


def unit_class(ledger: Ledger, label: str) -> UnitInFund | None:
    """Unit `label` in the fund's terms as the log has it now."""
    pairs: list[Pair] = ledger.subject_entries(f"unit:{label}")
    folded = effective(pairs)
    events = [event for _, event in folded]
    completed = next((index for index, e in folded if e["type"] == "unit.completed"), None)
    found = ledger.catalogue(at=completed)
    if found is None or found[1].fund is None:
        return None
    classed = class_of(found[1], events)
    if classed is None:
        return None
    received = next(e["data"] for e in events if e["type"] == "unit.received")
    return UnitInFund(classed, found[1].fund, received)
