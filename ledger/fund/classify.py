"""Which fund sub-class a unit falls in, and what the fund pays for it.

A pure function of the fund's tables, the unit's intake record (its effective
`unit.received` data, corrections folded) and its completion time: the console, the fund
table and the verifier call the same `classify`, so a unit is never counted one way on screen
and another in the certificate. A unit outside the fund's scope, or one whose nameplate facts
were not recorded, is classed as such with the reason, never counted silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.catalogue import Catalogue
from ledger.fund.tables import Condition, FundTables
from ledger.rules.codes import NAMEPLATE_FIELD_NAMES

LIMIT_SIGNS = {"min": "≥", "above": ">", "max": "≤", "below": "<"}
NO_TABLES = "no_tables"  # the reason of a unit classed by a catalogue without fund tables

# Why a unit is not in scope, in each language ({field} is the field's name).
REASON_TEXT = {
    "missing": {"zh-CN": "未记录铭牌信息：{field}",
                "en": "the nameplate's {field} is not recorded"},
    "limit": {"zh-CN": "{field} {value} 超出基金范围（{limit}）",
              "en": "{field} {value} is outside the fund's scope ({limit})"},
    "not_allowed": {"zh-CN": "{field} {value} 不在基金范围内（{limit}）",
                    "en": "{field} {value} is not in the fund's scope ({limit})"},
    "contradicts": {"zh-CN": "{field} {value} 与类别不符（应为 {limit}）",
                    "en": "{field} {value} contradicts the category ({limit})"},
    "no_class": {"zh-CN": "不属于基金表中任何品种（台式机主机与显示器须配套：填写配套整机标签）",
                 "en": "matches no sub-class of the fund's table (a desktop host or monitor "
                       "counts only as a set: give the label it is set with)"},
    "not_fund_product": {"zh-CN": "该类别不在基金目录中", "en": "the category is not a fund "
                         "product"},
    NO_TABLES: {"zh-CN": "当时有效的目录未含基金表", "en": "the catalogue in force carried no "
                "fund tables"},
}


@dataclass(frozen=True)
class FundClass:
    """A unit in the fund's terms. `counts` is how many of the fund's units it is (1, or 0
    for the half of a desktop set its other half counts); `rate` (元) or `factor`
    (standardised units) comes from the version in force when the unit was completed."""

    scope: str  # ledger/rules/codes.py FUND_SCOPES
    category: str | None = None  # the fund's category (tv, fridge, ...)
    sub_class: str | None = None
    counts: int = 0
    version: str | None = None
    rate: Decimal | None = None
    factor: Decimal | None = None
    reason: str | None = None  # REASON_TEXT's code, when not in scope
    field: str | None = None
    value: int | str | None = None
    limit: str | None = None

    def reason_record(self) -> dict[str, Any] | None:
        """Why the unit is not in scope as certificates state it: `{code, field, value,
        limit}`; None when it is."""
        if self.reason is None:
            return None
        return {"code": self.reason, "field": self.field, "value": self.value,
                "limit": self.limit}

    def reason_text(self, language: str) -> str | None:
        """Why the unit is not in scope, in `language` (zh-CN or en); None when it is."""
        if self.reason is None:
            return None
        field = NAMEPLATE_FIELD_NAMES[self.field][language] if self.field else ""
        return REASON_TEXT[self.reason][language].format(field=field, value=self.value,
                                                         limit=self.limit)


def classify(tables: FundTables, catalogue_category: str, received: dict[str, Any],
             completed_at: str | None) -> FundClass:
    """The unit's fund class; `completed_at` (its unit.completed time, or None while it is
    being dismantled) picks the version, hence the rate."""
    product = tables.products.get(catalogue_category)
    if product is None:
        return FundClass("not_fund_product", reason="not_fund_product")
    facts = {field: received.get(field) for field in (*product.asks, *product.also_asks)}
    for field, implied in product.implies.items():
        given = received.get(field)
        if given is not None and given != implied:
            return FundClass("out_of_scope", product.category, reason="contradicts",
                             field=field, value=given, limit=implied)
        facts[field] = implied
    for field in product.asks:
        if facts[field] is None:
            return FundClass("unclassified", product.category, reason="missing", field=field)
    for field, condition in product.scope.items():
        value = facts.get(field)
        failed = _fails(condition, value)
        if failed is not None:
            reason = "not_allowed" if isinstance(condition, tuple) else "limit"
            return FundClass("out_of_scope", product.category, reason=reason, field=field,
                             value=value, limit=failed)
    for sub_class in tables.classes.values():
        for when in sub_class.when:
            if when.product == product.code and all(
                    _fails(c, facts.get(f)) is None for f, c in when.conditions.items()):
                return _priced(tables, FundClass("in_scope", product.category, sub_class.code,
                                                 when.counts), completed_at)
    return FundClass("out_of_scope", product.category, reason="no_class")


def _fails(condition: Condition, value: Any) -> str | None:
    """How `value` fails `condition`, as the condition's text; None if it passes."""
    if condition == "present":
        return None if value is not None else "present"
    if isinstance(condition, tuple):
        return None if value in condition else "/".join(condition)
    assert isinstance(condition, dict)
    # in LIMIT_SIGNS' order, whatever order the table gave (its content is key-sorted)
    text = ", ".join(f"{sign} {condition[k]}" for k, sign in LIMIT_SIGNS.items()
                     if k in condition)
    if not isinstance(value, int):
        return text
    ok = all({"min": value >= v, "above": value > v, "max": value <= v,
              "below": value < v}[k] for k, v in condition.items())
    return None if ok else text


def _priced(tables: FundTables, found: FundClass, completed_at: str | None) -> FundClass:
    if completed_at is None or found.sub_class is None:
        return found
    version = tables.version_at(datetime.fromisoformat(completed_at))
    if version is None:
        return found
    rate = version.rates.get(found.sub_class) if version.basis == "per_unit" else None
    factor = version.factors.get(found.sub_class) if version.basis != "per_unit" else None
    return replace(found, version=version.code, rate=rate, factor=factor)


def class_of(catalogue: Catalogue, events: Sequence[dict[str, Any]]) -> FundClass | None:
    """The fund class of a unit from its effective events (corrections folded), oldest first;
    None if it was never received or the catalogue carries no fund tables."""
    received = next((e for e in events if e["type"] == "unit.received"), None)
    if received is None or catalogue.fund is None:
        return None
    completed = next((e for e in events if e["type"] == "unit.completed"), None)
    return classify(catalogue.fund, received["data"]["category"], received["data"],
                    completed["time"] if completed else None)
