"""What a form of plant dates says when its dates are wrong: the words the dashboard's range
and the auditor's sampling share, so a user reads the same sentence for the same mistake.
Each page words its own limits (how many days it shows or draws from) itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _


def date_message(code: str, values: Mapping[str, Any], fields: Mapping[str, str]) -> str | None:
    """The message for a missing, unreadable or reversed date (`code` missing, bad_date or
    reversed), naming the field by `fields` (its key to its label); None for other codes."""
    field = fields.get(str(values.get("field")), str(values.get("field")))
    if code == "missing":
        return _("Give a date for “%(field)s” (YYYY-MM-DD), e.g. 2026-11-20.", field=field)
    if code == "bad_date":
        return _("“%(value)s” is not a date: give “%(field)s” as YYYY-MM-DD, e.g. 2026-11-20.",
                 value=values["value"], field=field)
    if code == "reversed":
        return _("The range ends on %(last)s, before it starts on %(first)s: swap the dates.",
                 first=values["first"], last=values["last"])
    return None
