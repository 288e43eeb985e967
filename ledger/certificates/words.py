"""The words certificates print for the codes their statements hold (the PDF and the lines
CSV read them here, so that a code is said one way in both).

Names come from their homes: categories, fractions, components, absent reasons and steps from
the process catalogue (ledger/catalogue.py), the fund's categories, sub-classes and versions
from its tables (ledger/fund/tables.toml, carried by the catalogue), statuses, resolutions,
flags, sources, fund scopes and reasons and the nameplate fields from ledger/rules/codes.py
(a nameplate value as ledger/fund/nameplate.py reads it), the message of each flag
and broken rule from ledger/rules/reasons.py. A message's parameters are figures and codes as
the rules recorded them (`fraction` "pu_foam", `at` a UTC time): they are put in words here
before the message is formatted, in the message's language. A code no home knows (a plant's
own) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from ledger import catalogue
from ledger.fund import nameplate
from ledger.fund.classify import REASON_TEXT
from ledger.fund.tables import FundTables
from ledger.rules.codes import (
    EVIDENCE_STEP_NAMES,
    FLAG_NAMES,
    FUND_REASON_NAMES,
    FUND_SCOPE_NAMES,
    NAMEPLATE_FIELD_NAMES,
    RESOLUTION_NAMES,
    SOURCE_NAMES,
    STATUS_NAMES,
)
from ledger.rules.reasons import FLAGS, REFUSALS, Reason

LANGUAGES = ("zh-CN", "en")
SECTIONS = ("categories", "fractions", "components", "absent_reasons")
NONE = {"zh-CN": "无", "en": "none"}
LIST_SEPARATOR = {"zh-CN": "、", "en": ", "}
NO_VALUE = "—"
TRUTH = {True: "是 yes", False: "否 no"}

# The fields of an event's data a correction can set, named as the certificate prints them.
FIELD_NAMES = {
    "category": {"zh-CN": "类别", "en": "category"},
    "source": {"zh-CN": "来源", "en": "source"},
    "trade_in_code": {"zh-CN": "以旧换新编号", "en": "trade-in reference"},
    "brand": {"zh-CN": "品牌", "en": "brand"},
    "model": {"zh-CN": "型号", "en": "model"},
    "serial": {"zh-CN": "序列号", "en": "serial"},
    "gross_g": {"zh-CN": "毛重", "en": "gross weight"},
    "nameplate_refrigerant": {"zh-CN": "铭牌制冷剂", "en": "nameplate refrigerant"},
    "nameplate_charge_g": {"zh-CN": "铭牌充注量", "en": "nameplate charge"},
    "refrigerant": {"zh-CN": "制冷剂", "en": "refrigerant"},
    "recovered_g": {"zh-CN": "回收量", "en": "recovered"},
    "cylinder": {"zh-CN": "钢瓶", "en": "cylinder"},
    "cylinder_gross_before_g": {"zh-CN": "钢瓶回收前重", "en": "cylinder before"},
    "cylinder_gross_after_g": {"zh-CN": "钢瓶回收后重", "en": "cylinder after"},
    "reason": {"zh-CN": "原因", "en": "reason"},
    "note": {"zh-CN": "备注", "en": "note"},
    "component": {"zh-CN": "部件", "en": "component"},
    "fraction": {"zh-CN": "物料", "en": "fraction"},
    "count": {"zh-CN": "数量", "en": "count"},
    "mass_g": {"zh-CN": "质量", "en": "mass"},
    "lot": {"zh-CN": "批次", "en": "lot"},
    "scale": {"zh-CN": "秤", "en": "scale"},
    "hazardous": {"zh-CN": "危险废物", "en": "hazardous"},
    "container": {"zh-CN": "容器", "en": "container"},
    "net_g": {"zh-CN": "净重", "en": "net weight"},
    "receiver": {"zh-CN": "接收单位", "en": "receiver"},
    "receiver_licence": {"zh-CN": "接收单位许可证", "en": "receiver's licence"},
    "manifest_no": {"zh-CN": "转移联单号", "en": "transfer manifest"},
    "vehicle": {"zh-CN": "车辆", "en": "vehicle"},
    "received_g": {"zh-CN": "接收重量", "en": "received weight"},
}
# Message parameters that hold a catalogue code (the section it is named from).
_CODE_PARAMS = {"category": "categories", "fraction": "fractions", "lot_fraction": "fractions",
                "component": "components", "reason": "absent_reasons",
                "recorded": "absent_reasons"}
_LIST_PARAMS = {"known", "allowed"}  # ", "-joined codes
_TIME_PARAMS = {"at", "time", "logged", "last_pass", "earliest"}


class Words:
    """The words of one certificate: the plant's time zone decides how times read."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone

    def time(self, value: str | None, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
        """A UTC time of the statements in the plant's zone; "—" for none."""
        if value is None:
            return NO_VALUE
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        return moment.astimezone(self.zone).strftime(pattern)

    def flag_text(self, flag: dict[str, Any], language: str) -> str:
        """An open flag's message, `{code, key, params}` as the statements hold it."""
        return self._message(FLAGS, flag["code"], flag["params"], language)

    def rule_text(self, violation: dict[str, Any], language: str) -> str:
        """A broken rule's message, `{entry, rule, params}` as the statements hold it."""
        return self._message(REFUSALS, violation["rule"], violation["params"], language)

    def _message(self, reasons: dict[str, Reason], code: str, params: dict[str, Any],
                 language: str) -> str:
        reason = reasons.get(code)
        if reason is None:
            return code
        return reason.text({name: self._param(name, value, language)
                            for name, value in params.items()}, language)

    def _param(self, name: str, value: Any, language: str) -> Any:
        if not isinstance(value, str):
            return value
        if name in _CODE_PARAMS:
            return name_in(value, _CODE_PARAMS[name], language)
        if name in _LIST_PARAMS:
            return LIST_SEPARATOR[language].join(name_in(code, None, language)
                                                 for code in value.split(", "))
        if name == "steps":
            return ", ".join(_catalogue().step_name(step)[language]
                             for step in value.split(", "))
        if name == "flag":
            return FLAG_NAMES[value][language] if value in FLAG_NAMES else value
        if name in _TIME_PARAMS:
            if value == "none":
                return NONE[language]
            try:
                return self.time(value)
            except ValueError:
                return value
        return value

    def correction(self, changes: dict[str, Any]) -> str:
        """What a correction set, in both languages: "质量 mass 19.400 kg"."""
        return ", ".join(f"{both(FIELD_NAMES, name)} {value_text(name, value)}"
                         for name, value in sorted(changes.items()))

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The templates' filters for these words."""
        return {"local": self.time, "named": named, "status": partial_both(STATUS_NAMES),
                "resolution": partial_both(RESOLUTION_NAMES), "source": partial_both(
                    SOURCE_NAMES), "flag_name": partial_both(FLAG_NAMES),
                "name_in": name_in, "flag_text": self.flag_text, "rule_text": self.rule_text,
                "correction": self.correction, "scope": partial_both(FUND_SCOPE_NAMES),
                "fund_reason": partial_both(FUND_REASON_NAMES), "fund_named": fund_named,
                "fund_name_in": fund_name_in, "nameplate_facts": nameplate_facts,
                "key_step": partial_both(EVIDENCE_STEP_NAMES)}


def both(names: dict[str, dict[str, str]], code: str) -> str:
    """A code's name as the bilingual documents print it: Chinese, then English."""
    if code not in names:
        return code
    return f"{names[code]['zh-CN']} {names[code]['en']}"


def partial_both(names: dict[str, dict[str, str]]) -> Callable[[str], str]:
    return lambda code: both(names, code)


def named(code: str | None, section: str) -> str:
    """A catalogue code as a reader says it, "电冰箱 Refrigerator/freezer"; the code itself
    when the catalogue does not know it (a plant's own code)."""
    if code is None:
        return NO_VALUE
    entry = getattr(_catalogue(), section).get(code)
    if entry is None:
        return code
    return f"{entry.name['zh-CN']} {entry.name['en']}"


def name_in(code: str, section: str | None, language: str) -> str:
    """A catalogue code's name in one language (any section when `section` is None)."""
    for table in (section,) if section else SECTIONS:
        entry = getattr(_catalogue(), table).get(code)
        if entry is not None:
            return str(entry.name[language])
    return code


FUND_SECTIONS = ("categories", "classes", "versions")


def fund_name_in(code: str | None, section: str, language: str) -> str:
    """A fund table code's name in one language: a fund category (`categories`), a
    sub-class (`classes`) or a version of what the fund pays (`versions`); the code itself
    when the tables do not know it (a plant's own), "—" for none."""
    if code is None:
        return NO_VALUE
    names = _fund_names(section).get(code)
    return code if names is None else names[language]


def fund_named(code: str | None, section: str) -> str:
    """A fund table code's name as the bilingual documents print it, "电视机 Televisions"."""
    if code is None:
        return NO_VALUE
    names = _fund_names(section).get(code)
    return code if names is None else f"{names['zh-CN']} {names['en']}"


def fund_codes(section: str) -> list[str]:
    """A fund table section's codes in the tables' order (tables.toml: the form's order, tv
    first), for laying out rows; a catalogue's published content is key-sorted."""
    return list(_fund_names(section))


def _fund_names(section: str) -> dict[str, dict[str, str]]:
    tables = _fund()
    if tables is None:
        return {}
    if section == "categories":
        return tables.categories
    if section == "classes":
        return {code: found.name for code, found in tables.classes.items()}
    return {version.code: version.name for version in tables.versions}


def nameplate_facts(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """A unit's nameplate facts as the certificate prints them, in the intake's order: each
    field's name and its value, both bilingual ("总容积（升） Total volume (L)", "190 L")."""
    shown = []
    for name in nameplate.FIELDS:
        if facts.get(name) is None:
            continue
        zh, en = (nameplate.value_text(name, facts[name], language) for language in LANGUAGES)
        shown.append((both(NAMEPLATE_FIELD_NAMES, name), zh if zh == en else f"{zh} {en}"))
    return shown


def value_text(field: str, value: Any) -> str:
    """A data field's value as printed: masses (`*_g`) in kg, codes named, none as "—"."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return TRUTH[value]
    if field.endswith("_g") and isinstance(value, int):
        return f"{kg(value)} kg"
    if field in _CODE_PARAMS and isinstance(value, str):
        return named(value, _CODE_PARAMS[field])
    if field == "source" and isinstance(value, str):
        return both(SOURCE_NAMES, value)
    return str(value)


def kg(grams: int | None, places: int = 3) -> str:
    """Integer grams as kg with `places` decimals and thousands commas: 18302 -> 18.302."""
    if grams is None:
        return NO_VALUE
    return f"{Decimal(grams) / 1000:,.{places}f}"


def characters() -> str:
    """Every character the names and messages of this module are written in (the certificates'
    fonts are cut to them, ledger.certificates.fonts): the catalogue's names and steps, the
    rules' names and messages, the fields and the words of values."""
    found = _catalogue()
    names = [entry.name for section in SECTIONS for entry in getattr(found, section).values()]
    names += [*catalogue.STEP_NAMES.values(), *FIELD_NAMES.values(), NONE, LIST_SEPARATOR]
    names += [*STATUS_NAMES.values(), *RESOLUTION_NAMES.values(), *SOURCE_NAMES.values(),
              *FLAG_NAMES.values(), *EVIDENCE_STEP_NAMES.values()]
    names += [names_of for section in FUND_SECTIONS for names_of in _fund_names(section).values()]
    names += [*FUND_SCOPE_NAMES.values(), *FUND_REASON_NAMES.values(), *REASON_TEXT.values(),
              *NAMEPLATE_FIELD_NAMES.values()]
    names += [choice for spec in nameplate.FIELDS.values() for choice in
              spec.choice_names.values()]
    texts = [text for name in names for text in name.values()]
    texts += [reason.zh + reason.en for reasons in (FLAGS, REFUSALS) for reason in
              reasons.values()]
    texts += [NO_VALUE, *TRUTH.values()]
    return "".join(sorted(set("".join(texts))))


@cache
def _catalogue() -> catalogue.Catalogue:
    return catalogue.load()


def _fund() -> FundTables | None:
    """The fund's tables of the default catalogue (the one the other names come from)."""
    return _catalogue().fund
