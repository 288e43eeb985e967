"""The nameplate facts the intake records for the fund: each field's kind, unit and bounds.

One definition for every writer: the event model (ledger/events.py UnitReceived) takes its
bounds from here, the station parses what a worker types with `parse`, the fund tables
(ledger/fund/tables.py) may only name these fields, and the kiosk shows their names
(ledger/rules/codes.py NAMEPLATE_FIELD_NAMES); the console and the unit certificate show a
recorded value with `value_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ledger.rules.codes import (
    AC_TYPE_NAMES,
    AC_TYPES,
    DISPLAY_NAMES,
    DISPLAYS,
    NAMEPLATE_FIELD_NAMES,
    PC_TYPE_NAMES,
    PC_TYPES,
    SUBJECT_NAME,
    WASHER_TYPE_NAMES,
    WASHER_TYPES,
)

if TYPE_CHECKING:
    from ledger.fund.tables import FundTables

_LABEL = re.compile(SUBJECT_NAME)


class NameplateError(ValueError):
    """What a worker typed is not a value of the field; the message names both."""

    def __init__(self, message: str, field: str, value: str):
        super().__init__(message)
        self.field = field
        self.value = value


@dataclass(frozen=True)
class Field:
    """One nameplate field: a whole number within [low, high] in `unit`, a choice among
    `choices`, or (set_with) another unit's label."""

    name: str
    kind: str  # "number", "choice" or "label"
    low: int = 0
    high: int = 0
    unit: str = ""
    choices: tuple[str, ...] = ()
    choice_names: dict[str, dict[str, str]] = field(default_factory=dict)


FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("screen_in", "number", 1, 150, "in"),
    Field("display", "choice", choices=DISPLAYS, choice_names=DISPLAY_NAMES),
    Field("volume_l", "number", 1, 5_000, "L"),
    Field("washer_type", "choice", choices=WASHER_TYPES, choice_names=WASHER_TYPE_NAMES),
    Field("dry_load_g", "number", 100, 100_000, "g"),
    Field("ac_type", "choice", choices=AC_TYPES, choice_names=AC_TYPE_NAMES),
    Field("cooling_w", "number", 100, 100_000, "W"),
    Field("pc_type", "choice", choices=PC_TYPES, choice_names=PC_TYPE_NAMES),
    Field("set_with", "label"),
)}


def asked(tables: FundTables | None, category: str) -> list[dict[str, Any]]:
    """What the intake asks of a unit of catalogue `category`, for the kiosk's form: each
    field with its name, kind and bounds, whether the fund needs it, and its choices (a value
    the category implies is not asked)."""
    product = tables.products.get(category) if tables else None
    if product is None:
        return []
    found = []
    for name in (*product.asks, *product.also_asks):
        spec = FIELDS[name]
        found.append({
            "field": name, "name": NAMEPLATE_FIELD_NAMES[name], "kind": spec.kind,
            "low": spec.low, "high": spec.high, "unit": spec.unit,
            "required": name in product.asks,
            "choices": [{"code": code, "name": spec.choice_names[code]} for code in spec.choices]})
    return found


def value_text(name: str, value: int | str, language: str) -> str:
    """A recorded value of field `name` as people read it in `language`: a choice by its
    name, a number with its unit ("190 L"), a label as it is."""
    spec = FIELDS[name]
    if spec.kind == "choice":
        names = spec.choice_names.get(str(value))
        return names[language] if names else str(value)
    if spec.kind == "number":
        return f"{value} {spec.unit}"
    return str(value)


def parse(name: str, text: str) -> int | str:
    """The value of field `name` from what a worker typed (already stripped, not empty)."""
    field = FIELDS[name]
    if field.kind == "number":
        if not re.fullmatch(r"[0-9]{1,9}", text) or not field.low <= int(text) <= field.high:
            raise NameplateError(f"{name} {text!r} is not a whole number of {field.unit} "
                                 f"between {field.low} and {field.high}", name, text)
        return int(text)
    if field.kind == "choice":
        if text not in field.choices:
            raise NameplateError(f"{name} {text!r} is not one of {', '.join(field.choices)}",
                                 name, text)
        return text
    if not _LABEL.fullmatch(text):
        raise NameplateError(f"{name} {text!r} is not a unit label (letters, digits and "
                             "._:/+-, at most 128)", name, text)
    return text
