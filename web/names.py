"""Names on screen for the codes the ledger stores, for every area of the console, so that one
code has one name in each language.

Each name has one home, and this module only reads it:
- categories, fractions, components and absent reasons: the process catalogue in force
  (ledger/catalogue.py, published in the log; the default catalogue before one is);
- flags and rules: their codes and messages in ledger/rules/reasons.py (the console adds the
  short title of each flag, keyed by those codes);
- sources: the enumeration in ledger/rules/codes.py, named here.
An unknown code is shown as it is, so a code a later catalogue adds still reads correctly.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import g, has_app_context
from flask_babel import get_locale, lazy_gettext

from ledger import catalogue as process_catalogue
from ledger.catalogue import Catalogue
from ledger.rules import codes, reasons
from web.context import ledger

SOURCE_NAMES = dict(zip(codes.SOURCES, (
    lazy_gettext("Trade-in"), lazy_gettext("Collector"), lazy_gettext("Retailer"),
    lazy_gettext("Municipal collection"), lazy_gettext("Business"), lazy_gettext("Other")),
    strict=True))

FLAG_TITLES = {
    reasons.LOW_RECOVERY.code: lazy_gettext("Low refrigerant recovery"),
    reasons.MASS_BALANCE.code: lazy_gettext("Mass balance"),
    reasons.YIELD.code: lazy_gettext("Yield out of range"),
    reasons.CALIBRATION_OVERDUE.code: lazy_gettext("Calibration overdue"),
    reasons.RECEIPT_WEIGHT.code: lazy_gettext("Receipt weight"),
}
assert set(FLAG_TITLES) == set(codes.FLAG_CODES), "a flag of ledger/rules has no title"

RESOLUTION_NAMES = dict(zip(codes.RESOLUTIONS, (
    lazy_gettext("credited"), lazy_gettext("excluded")), strict=True))


@cache
def _default_catalogue() -> Catalogue:
    return process_catalogue.load()


def catalogue_in_force() -> Catalogue:
    """The catalogue in force (read once per request), or the default before one is."""
    if not has_app_context():
        return _default_catalogue()
    if "dledger_catalogue" not in g:
        found = ledger().catalogue()
        g.dledger_catalogue = found[1] if found else _default_catalogue()
    return g.dledger_catalogue


def language() -> str:
    """The request's language as the catalogue and the rules name it (zh-CN or en)."""
    locale = get_locale() if has_app_context() else None
    return "zh-CN" if locale is None or locale.language == "zh" else "en"


def catalogue_name(code: str) -> str | None:
    """The catalogue's name of a category, fraction, component or absent reason."""
    cat = catalogue_in_force()
    for table in (cat.categories, cat.fractions, cat.components, cat.absent_reasons):
        if code in table:
            return table[code].name[language()]
    return None


def code_name(code: str | None) -> str:
    """The name of a ledger code in the request's language, or the code itself."""
    if code is None:
        return "—"
    name = catalogue_name(code)
    if name is not None:
        return name
    source = SOURCE_NAMES.get(code)
    return str(source) if source is not None else code


def category_names() -> dict[str, str]:
    """code -> name of every category of the catalogue in force."""
    return {code: category.name[language()]
            for code, category in catalogue_in_force().categories.items()}


def flag_title(code: str) -> str:
    title = FLAG_TITLES.get(code)
    return str(title) if title is not None else code


def flag_text(code: str, params: str | dict[str, Any], lang: str | None = None) -> str:
    """A flag's message (ledger/rules/reasons.py) with its figures, in the request's language."""
    values = json.loads(params) if isinstance(params, str) else params
    reason = reasons.FLAGS.get(code)
    if reason is None:
        return code
    try:
        return reason.text(values, lang or language())
    except (KeyError, TypeError, ValueError):
        return f"{code}: {values}"


def resolution_name(resolution: str | None) -> str:
    if resolution is None:
        return str(lazy_gettext("open"))
    name = RESOLUTION_NAMES.get(resolution)
    return str(name) if name is not None else resolution


def template_names() -> dict[str, object]:
    return {"code_name": code_name, "flag_title": flag_title, "flag_text": flag_text,
            "resolution_name": resolution_name}
