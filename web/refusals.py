"""How a console form shows the ledger's refusal of what it submitted.

The ledger judges every append (ledger/rules/) and refuses with an `AppendError` whose
message names the value and whose `rule` is the refusing rule's code
(ledger/rules/reasons.py). Every form shows that one message with the rule's code, so a
person sees what was wrong and an auditor's rule name; nothing of the submission is written.
"""

from __future__ import annotations

from flask_babel import gettext

from ledger.events import EventError
from ledger.log import AppendError


def refusal_text(exc: AppendError | EventError) -> str:
    """The ledger's refusal as one sentence: the rule's code (when a rule refused) and its
    message, saying that nothing was recorded."""
    rule = getattr(exc, "rule", None)
    if rule:
        return gettext("The ledger refused this under rule “%(rule)s”, and nothing was "
                       "recorded: %(message)s", rule=rule, message=str(exc))
    return gettext("The ledger refused this, and nothing was recorded: %(message)s",
                   message=str(exc))
