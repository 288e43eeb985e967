"""Display names of the dashboard's own terms (shifts); codes the ledger stores are named by
`web.names`."""

from __future__ import annotations

from flask_babel import lazy_gettext

SHIFTS = {"day": lazy_gettext("day shift"), "night": lazy_gettext("night shift")}


def shift(name: str) -> str:
    return str(SHIFTS[name]) if name in SHIFTS else name
