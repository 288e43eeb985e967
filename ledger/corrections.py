"""How corrections fold: the one definition, used by the projections, the rules, the
certificates and the console.

Nothing in the log is edited; a `correction` entry names an earlier entry of the same subject
and either replaces some of its data fields (`set`) or drops it (`void`). For each corrected
entry the latest correction wins. Standard library only: the verifier imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Pair = tuple[int, dict[str, Any]]  # (entry index, event object)


def fold(pairs: Iterable[Pair]) -> tuple[list[Pair], list[dict[str, Any]]]:
    """The effective events in index order (corrections applied, voided ones and the
    corrections themselves dropped), and each correction as a record of what it did."""
    ordered = sorted(pairs, key=lambda pair: pair[0])
    fixes: dict[int, dict[str, Any]] = {}
    corrections = []
    for index, event in ordered:
        if event["type"] == "correction":
            data = event["data"]
            fixes[data["corrects"]] = data
            corrections.append({"entry": index, "corrects": data["corrects"],
                                "reason": data["reason"], "approved_by": data["approved_by"],
                                "set": data.get("set"), "void": bool(data.get("void")),
                                "time": event["time"], "operator": event["operator"]})
    effective = []
    for index, event in ordered:
        fix = fixes.get(index)
        if event["type"] == "correction" or (fix and fix.get("void")):
            continue
        if fix:
            event = {**event, "data": {**event["data"], **fix["set"]}}
        effective.append((index, event))
    return effective, corrections


def effective(pairs: Iterable[Pair]) -> list[Pair]:
    """The effective events alone (see fold)."""
    return fold(pairs)[0]
