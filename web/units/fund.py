"""A unit's card "In the fund's terms": its fund category and sub-class, what the fund pays
for it, the nameplate facts that decided it, or why it is not counted (ledger/fund/)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext

from ledger.fund.classify import FundClass
from ledger.fund.nameplate import FIELDS, value_text
from ledger.fund.tables import FundTables
from ledger.fund.units import unit_class
from ledger.rules import codes
from web.context import ledger
from web.names import glossary_name, language


@dataclass(frozen=True)
class FundView:
    scope: str  # the FUND_SCOPES code (a CSS hook and a test's handle)
    scope_name: str
    category: str | None
    sub_class: str | None
    counts: int
    version: str | None
    rate: Decimal | None
    factor: Decimal | None
    reason: str | None
    nameplate: list[tuple[str, str]]  # (field's name, value as read)


def fund_view(label: str) -> FundView | None:
    """The card's content; None when the catalogue in force carries no fund tables."""
    found = unit_class(ledger(), label)
    if found is None:
        return None
    classed, fund = found.fund_class, found.tables
    lang = language()
    return FundView(
        classed.scope, glossary_name(codes.FUND_SCOPE_NAMES, classed.scope),
        fund.categories[classed.category][lang] if classed.category else None,
        fund.classes[classed.sub_class].name[lang] if classed.sub_class else None,
        classed.counts, _version_name(fund, classed, lang), classed.rate, classed.factor,
        classed.reason_text(lang), _nameplate(found.received))


def _version_name(fund: FundTables, classed: FundClass, lang: str) -> str | None:
    for version in fund.versions:
        if version.code == classed.version:
            return str(version.name[lang])
    return None


def _nameplate(received: dict[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for name in FIELDS:
        value = received.get(name)
        if value is None:
            continue
        shown.append((glossary_name(codes.NAMEPLATE_FIELD_NAMES, name),
                       value_text(name, value, language())))
    return shown or [(gettext("Nameplate"), gettext("nothing recorded for the fund"))]
