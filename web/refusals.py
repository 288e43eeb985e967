"""How the console shows the ledger's refusals: of what a form submitted, and the refused
attempts the stations recorded.

The ledger judges every append (ledger/rules/) and refuses with an `AppendError` whose
message names the value and whose `rule` is the refusing rule's code
(ledger/rules/reasons.py). Every form shows that one message with the rule's name from the
glossary (ledger/rules/codes.py REFUSAL_NAMES), so a person sees what was wrong and which
rule said so, in their language (the rule's message from its figures); nothing of the
submission is written.
"""

from __future__ import annotations

from flask_babel import gettext

from ledger.events import EventError
from ledger.log import AppendError
from ledger.rules import codes, reasons
from web.names import glossary_name, language


def rule_name(code: str) -> str:
    """A refusal rule's name in the request's language (an unknown code as it is)."""
    return glossary_name(codes.REFUSAL_NAMES, code)


def _message(exc: AppendError | EventError, rule: str) -> str:
    """The rule's message in the request's language, from its figures; the ledger's own
    (English) words if the rule has no message for them."""
    reason = reasons.REFUSALS.get(rule)
    params = getattr(exc, "params", None)
    if reason is None or not params:
        return str(exc)
    try:
        return reason.text(params, language())
    except (KeyError, TypeError, ValueError):
        return str(exc)


def refusal_text(exc: AppendError | EventError) -> str:
    """The ledger's refusal as one sentence: the rule's name (when a rule refused) and its
    message, saying that nothing was recorded."""
    rule = getattr(exc, "rule", None)
    if rule:
        return gettext("The ledger refused this under rule “%(rule)s”, and nothing was "
                       "recorded: %(message)s", rule=rule_name(rule), message=_message(exc, rule))
    return gettext("The ledger refused this, and nothing was recorded: %(message)s",
                   message=str(exc))
