"""The plant's identity and its operators register as the log holds them: the identity in
force (the latest effective plant.identified on plant:identity) and each operator's entry
(the latest effective operator.registered on operator:<code>, retired or not).

These records are what every certificate states about who issued it and who did the work
(ledger.certificates.statements) and what the console shows; each carries the rules its
record breaks (ledger.rules.judge.register_violations), as a certificate states a unit's.
Pure functions over `(index, event)` pairs, so the verifier derives them again offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ledger.corrections import Pair, fold
from ledger.rules import judge
from ledger.rules.identity import IDENTITY_SUBJECT

OPERATOR_PREFIX = "operator:"
IDENTITY_FIELDS = ("legal_name", "legal_name_en", "address", "uscc", "licence_no",
                   "licence_issuer", "licence_valid_from", "licence_valid_until", "approved_by")
QUALIFICATION_FIELDS = ("title", "number", "issuer", "valid_from", "valid_until")

__all__ = [
    "IDENTITY_SUBJECT",
    "OPERATOR_PREFIX",
    "identity_record",
    "operator_chains",
    "operator_record",
]


def _violations(chain: Sequence[Pair]) -> list[dict[str, Any]]:
    return [{"entry": v["entry"], "rule": v["rule"], "params": v["params"]}
            for v in judge.register_violations(chain)]


def identity_record(chain: Sequence[Pair]) -> dict[str, Any] | None:
    """The identity in force after the plant:identity entries `chain` (corrections folded),
    as certificates state it; None when none was recorded."""
    found = [(i, e) for i, e in fold(chain)[0] if e["type"] == "plant.identified"]
    if not found:
        return None
    index, event = found[-1]
    data = event["data"]
    return {"entry": index, **{name: data.get(name) for name in IDENTITY_FIELDS},
            "time": event["time"], "operator": event["operator"],
            "violations": _violations(chain)}


def operator_record(chain: Sequence[Pair]) -> dict[str, Any] | None:
    """An operator's entry in the register after the entries `chain` of its operator:<code>
    (corrections folded): the latest registration, and its retirement if one came after;
    None when the code was never registered."""
    effective = fold(chain)[0]
    registered = [(i, e) for i, e in effective if e["type"] == "operator.registered"]
    if not registered:
        return None
    index, event = registered[-1]
    data = event["data"]
    retired = [(i, e) for i, e in effective if e["type"] == "operator.retired" and i > index]
    return {"entry": index, "name": data["name"], "name_en": data.get("name_en"),
            "roles": list(data["roles"]),
            "qualifications": [{name: q.get(name) for name in QUALIFICATION_FIELDS}
                               for q in data.get("qualifications") or []],
            "approved_by": data["approved_by"], "time": event["time"],
            "retired": None if not retired else {
                "entry": retired[-1][0], "time": retired[-1][1]["time"],
                "reason": retired[-1][1]["data"]["reason"],
                "approved_by": retired[-1][1]["data"]["approved_by"]},
            "violations": _violations(chain)}


def operator_chains(pairs: Iterable[Pair]) -> dict[str, list[Pair]]:
    """The operator:<code> entries among `pairs`, by code, in index order."""
    chains: dict[str, list[Pair]] = {}
    for index, event in sorted(pairs, key=lambda pair: pair[0]):
        if event["subject"].startswith(OPERATOR_PREFIX):
            chains.setdefault(event["subject"][len(OPERATOR_PREFIX):], []).append(
                (index, event))
    return chains
