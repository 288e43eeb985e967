"""What the ledger recorded of a demo run: the flags it computed and the refusals stations
recorded, read from its read models (`rule_flags`, `refusals`) as the console's dashboard
reads them. The summary counts these, not what the stations showed their workers: a flag is
the ledger's verdict on the entries, a refusal is a signed `attempt.refused` record.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ledger.log import Ledger
from ledger.rules.reasons import REFUSALS
from ledger.store import execute, read_transaction


@dataclass
class Recorded:
    """The ledger's flags (code -> count) and refusals (rule -> count, an example text)."""

    flags: Counter[str] = field(default_factory=Counter)
    flagged: dict[str, list[str]] = field(default_factory=dict)  # code -> subjects
    refusals: Counter[str] = field(default_factory=Counter)
    refused: dict[str, list[str]] = field(default_factory=dict)  # rule -> subjects attempted
    examples: dict[str, str] = field(default_factory=dict)

    def refused_json(self) -> dict[str, dict[str, Any]]:
        return {rule: {"count": n, "example": self.examples[rule],
                       "about": sorted(set(self.refused[rule]))}
                for rule, n in sorted(self.refusals.items())}


def recorded_since(ledger: Ledger, first: int) -> Recorded:
    """The flags raised and the refusals recorded at entries `first` and after."""
    found = Recorded()
    with read_transaction(ledger.engine) as tx:
        for subject, code in execute(tx, "SELECT subject, code FROM rule_flags "
                                         "WHERE raised_index >= ? ORDER BY raised_index",
                                     (first,)).fetchall():
            found.flags[code] += 1
            found.flagged.setdefault(code, []).append(subject)
        refusals = execute(tx, "SELECT idx, rule, about FROM refusals WHERE idx >= ? "
                               "ORDER BY idx", (first,)).fetchall()
    for index, rule, about in refusals:
        found.refusals[rule] += 1
        found.refused.setdefault(rule, []).append(about)
        if rule not in found.examples:
            data = json.loads(ledger.entry(index))["event"]["data"]
            reason = REFUSALS.get(rule)
            found.examples[rule] = reason.text(data["params"]) if reason else rule
    return found
