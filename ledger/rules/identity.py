"""The plant's identity and its operators register: the unified social credit code's check
characters (GB 32100-2015, and GB 11714 for the organization code inside it), validity dates,
operator codes, and retiring only an operator who is in the register.

Pure functions over event data, as every rule: the ledger runs them at append for every
writer, and certificates state what a record written around them breaks (ledger.rules.judge).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from ledger import uscc
from ledger.rules import reasons
from ledger.rules.reasons import Refusal

IDENTITY_SUBJECT = "plant:identity"

# An operator code in the register: what the events' `operator` field and a subject's name
# both allow (no '@', which subjects do not take; no ':', '/', '+', which operators do not).
OPERATOR_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_uscc(code: str) -> None:
    """Refuse a unified social credit code that is not 18 characters of its form or whose
    check characters (17th and 18th) do not follow from the others."""
    if not re.fullmatch(uscc.PATTERN, code):
        raise Refusal(reasons.USCC_FORM, uscc=code)
    seventeenth, eighteenth = uscc.check_characters(code)
    if code[16] != seventeenth:
        raise Refusal(reasons.USCC_CHECK, uscc=code, position=17, found=code[16],
                      expected=seventeenth, standard="GB 11714")
    if code[17] != eighteenth:
        raise Refusal(reasons.USCC_CHECK, uscc=code, position=18, found=code[17],
                      expected=eighteenth, standard="GB 32100-2015")


def check_validity(document: str, valid_from: str | None, valid_until: str | None) -> None:
    """Refuse validity dates that are not real dates, or an end before the start."""
    try:
        start = date.fromisoformat(valid_from) if valid_from else None
        end = date.fromisoformat(valid_until) if valid_until else None
        ok = start is None or end is None or start <= end
    except ValueError:
        ok = False
    if not ok:
        raise Refusal(reasons.VALIDITY_DATES, document=document,
                      valid_from=valid_from or "-", valid_until=valid_until or "-")


def check_identity(subject: str, data: dict[str, Any]) -> None:
    """A plant.identified event: on plant:identity, its credit code and licence dates."""
    if subject != IDENTITY_SUBJECT:
        raise Refusal(reasons.IDENTITY_SUBJECT, subject=subject)
    check_uscc(data["uscc"])
    check_validity(data["licence_no"], data["licence_valid_from"], data["licence_valid_until"])


def check_operator_event(etype: str, subject: str, data: dict[str, Any],
                         before: Sequence[dict[str, Any]]) -> None:
    """An operator.registered or operator.retired event, given the effective events of its
    subject before it."""
    code = subject.partition(":")[2]
    if not OPERATOR_CODE.fullmatch(code):
        raise Refusal(reasons.OPERATOR_CODE, code=code)
    if etype == "operator.registered":
        for qualification in data.get("qualifications") or []:
            check_validity(qualification["number"], qualification.get("valid_from"),
                           qualification.get("valid_until"))
    elif etype == "operator.retired" and not active(before):
        raise Refusal(reasons.OPERATOR_NOT_ACTIVE, code=code)


def active(events: Sequence[dict[str, Any]]) -> bool:
    """Whether an operator's effective events leave them in the register (registered, and
    not retired since)."""
    states = [e["type"] for e in events if e["type"] in ("operator.registered",
                                                        "operator.retired")]
    return bool(states) and states[-1] == "operator.registered"
