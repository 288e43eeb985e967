"""Numeric query parameters (list cursors, entry and tree-size choices): one check for all.

A cursor reaches SQL as an integer, and SQLite's and PostgreSQL's integers are 64-bit: a
value that is only "digits" (`isdigit()` also accepts '²' and '٣', and any length) made the
database raise and the page answer 500. Every such parameter goes through `number_arg`, which
answers 400 naming the value instead.
"""

from __future__ import annotations

import re

from flask import abort, request
from flask_babel import gettext

MAX_NUMBER = 2**63 - 1  # the databases' BIGINT: entry indexes and tree sizes fit in it
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII digits only; 19 digits hold MAX_NUMBER


def whole_number(raw: str, low: int = 0, high: int = MAX_NUMBER) -> int | None:
    """`raw` as an integer within [low, high], or None if it is not one."""
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def number_arg(name: str, low: int = 0, high: int = MAX_NUMBER) -> int | None:
    """Query parameter `name` as an integer within [low, high]; None when it is absent or
    empty; otherwise abort with 400 and a message naming the value."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    value = whole_number(raw, low, high)
    if value is None:
        abort(400, description=gettext(
            "%(name)s=%(value)s is not a whole number from %(low)d to %(high)d. Follow the "
            "page's own links, or remove it from the address.",
            name=name, value=repr(raw[:40]), low=low, high=high))
    return value
