"""A unit of the log in the fund's terms: its effective intake record and completion, classed
by the fund's tables of the catalogue in force when it was completed (while it is being
dismantled, of the catalogue in force now)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.catalogue import Catalogue
from ledger.corrections import Pair, effective
from ledger.fund.classify import FundClass, classify
from ledger.fund.tables import FundTables
from ledger.log import Ledger


def class_of(catalogue: Catalogue, events: Sequence[dict[str, Any]]) -> FundClass | None:
    """The fund class of a unit from its effective events (corrections folded), oldest first;
    None if it was never received or the catalogue carries no fund tables."""
    received = next((e for e in events if e["type"] == "unit.received"), None)
    if received is None or catalogue.fund is None:
        return None
    completed = next((e for e in events if e["type"] == "unit.completed"), None)
    return classify(catalogue.fund, received["data"]["category"], received["data"],
                    completed["time"] if completed else None)


def unit_class(ledger: Ledger, label: str) -> tuple[FundClass, FundTables] | None:
    """The fund class of unit `label` as the log has it now, with the tables that classed it
    (for the names of its category and sub-class)."""
    pairs: list[Pair] = ledger.subject_entries(f"unit:{label}")
    folded = effective(pairs)
    completed = next((index for index, e in folded if e["type"] == "unit.completed"), None)
    found = ledger.catalogue(at=completed)
    if found is None or found[1].fund is None:
        return None
    classed = class_of(found[1], [event for _, event in folded])
    return None if classed is None else (classed, found[1].fund)
