"""Names on screen for the codes the ledger stores, for every area of the console, so that one
code has one name in each language.

Each name has one home, and this module only reads it:
- categories, fractions, components and absent reasons: the process catalogue in force
  (ledger/catalogue.py, published in the log; the default catalogue before one is);
- flags' messages: ledger/rules/reasons.py;
- sources, flags' titles, review resolutions and rule statuses: the bilingual glossary of
  ledger/rules/codes.py (SOURCE_NAMES, FLAG_NAMES, RESOLUTION_NAMES, STATUS_NAMES), the same
  words the kiosk, the certificates and their PDFs use.
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
    """The catalogue's name of a category, fraction, component, absent reason or zone."""
    cat = catalogue_in_force()
    for table in (cat.categories, cat.fractions, cat.components, cat.absent_reasons,
                  cat.zones):
        if code in table:
            return table[code].name[language()]
    return None


def glossary_name(table: dict[str, dict[str, str]], code: str) -> str:
    """`code`'s name in one table of ledger/rules/codes.py, in the request's language."""
    names = table.get(code)
    return names[language()] if names else code


def code_name(code: str | None) -> str:
    """The name of a ledger code in the request's language, or the code itself."""
    if code is None:
        return "—"
    name = catalogue_name(code)
    if name is not None:
        return name
    return glossary_name(codes.SOURCE_NAMES, code)


def category_names() -> dict[str, str]:
    """code -> name of every category of the catalogue in force."""
    return {code: category.name[language()]
            for code, category in catalogue_in_force().categories.items()}


def flag_title(code: str) -> str:
    return glossary_name(codes.FLAG_NAMES, code)


# Parameters of the rules' messages that hold a code of the catalogue: said by its name.
_NAMED_PARAMS = ("category", "fraction", "component", "reason")


def flag_text(code: str, params: str | dict[str, Any], lang: str | None = None) -> str:
    """A flag's message (ledger/rules/reasons.py) with its figures and the names of its codes,
    in the request's language (its title alone if the figures do not fit the message)."""
    values = json.loads(params) if isinstance(params, str) else params
    reason = reasons.FLAGS.get(code)
    if reason is None:
        return flag_title(code)
    if isinstance(values, dict):
        values = {k: code_name(v) if k in _NAMED_PARAMS and isinstance(v, str) else v
                  for k, v in values.items()}
    try:
        return reason.text(values, lang or language())
    except (KeyError, TypeError, ValueError):
        return flag_title(code)


def resolution_name(resolution: str | None) -> str:
    """A flag's review in words; None: not reviewed yet (open)."""
    if resolution is None:
        return str(lazy_gettext("open"))
    return glossary_name(codes.RESOLUTION_NAMES, resolution)


def status_name(status: str) -> str:
    """What the rules conclude about a unit or lot (creditable, flagged, excluded)."""
    return glossary_name(codes.STATUS_NAMES, status)


def template_names() -> dict[str, object]:
    return {"code_name": code_name, "flag_title": flag_title, "flag_text": flag_text,
            "resolution_name": resolution_name, "status_name": status_name}
