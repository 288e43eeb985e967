"""A unit of the log in the fund's terms: its effective intake record and completion, classed
by the fund's tables of the catalogue in force when it was completed (while it is being
dismantled, of the catalogue in force now)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.corrections import Pair, effective
from ledger.fund.classify import FundClass, class_of
from ledger.fund.tables import FundTables
from ledger.log import Ledger


@dataclass(frozen=True)
class UnitInFund:
    fund_class: FundClass
    tables: FundTables  # the tables that classed it (for its category's and class's names)
    received: dict[str, Any]  # its effective unit.received data, corrections folded


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
