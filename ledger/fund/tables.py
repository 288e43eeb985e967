"""The fund's tables as data: categories, the products they cover and their scope, sub-classes
(品种) and the versions of what each is paid.

`ledger/fund/tables.toml` is the default; a plant's catalogue file may add or replace entries
under `[fund.<section>.<code>]`. The tables travel inside the catalogue's content (its `fund`
section, ledger/catalogue.py), so they are published into the log and the verifier classes
units by the very table the ledger used. `build` checks every entry and names the one at fault.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.fund.nameplate import FIELDS

DEFAULT_FILE = Path(__file__).with_name("tables.toml")
SECTIONS = ("categories", "products", "classes", "versions")
BASES = ("per_unit", "standardised_volume")
LIMITS = ("min", "above", "max", "below")
LANGUAGES = ("zh-CN", "en")


class FundTableError(ValueError):
    """A fund table entry is wrong; the message names the file or content and the key."""


# A field's condition: allowed choices, numeric limits, or "present".
Condition = tuple[str, ...] | dict[str, int] | str


@dataclass(frozen=True)
class Product:
    """A catalogue category the fund covers: its fund category, the nameplate fields the
    intake needs (`asks`: without them the unit cannot be classed) and may give
    (`also_asks`), the values its category implies, and the fund's scope limits."""

    code: str
    category: str
    asks: tuple[str, ...]
    also_asks: tuple[str, ...]
    implies: dict[str, str]
    scope: dict[str, Condition]


@dataclass(frozen=True)
class When:
    product: str
    conditions: dict[str, Condition]
    counts: int  # 1, or 0 for half of a set counted by its other half


@dataclass(frozen=True)
class SubClass:
    code: str
    category: str
    name: dict[str, str]
    when: tuple[When, ...]


@dataclass(frozen=True)
class Version:
    """What the fund pays for units dismantled from `starts` on."""

    code: str
    starts: datetime
    name: dict[str, str]
    basis: str  # BASES
    rates: dict[str, Decimal]  # 元 per unit, by sub-class (per_unit basis)
    factors: dict[str, Decimal]  # standardised units per unit (standardised_volume basis)


@dataclass(frozen=True)
class FundTables:
    categories: dict[str, dict[str, str]]
    products: dict[str, Product]
    classes: dict[str, SubClass]
    versions: tuple[Version, ...]  # oldest first

    def version_at(self, when: datetime) -> Version | None:
        """The version in force at `when`; None before the first."""
        found = None
        for version in self.versions:
            if version.starts <= when:
                found = version
        return found


def read_default() -> dict[str, Any]:
    """The default tables as the TOML file gives them."""
    try:
        return tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FundTableError(f"{DEFAULT_FILE}: not valid TOML: {exc}") from None


def content(tables: FundTables) -> dict[str, Any]:
    """The tables as the catalogue's content carries them (JSON; decimals as strings)."""
    def condition(value: Condition) -> Any:
        return list(value) if isinstance(value, tuple) else value

    def figures(values: dict[str, Decimal]) -> dict[str, str]:
        return {code: format(value.normalize(), "f") for code, value in values.items()}

    return {
        "categories": {code: dict(name) for code, name in tables.categories.items()},
        "products": {p.code: {"category": p.category, "asks": list(p.asks),
                              "also_asks": list(p.also_asks),
                              "implies": dict(p.implies),
                              "scope": {f: condition(c) for f, c in p.scope.items()}}
                     for p in tables.products.values()},
        "classes": {c.code: {"category": c.category, **c.name, "when": [
            {"product": w.product, **{f: condition(v) for f, v in w.conditions.items()},
             "counts": w.counts} for w in c.when]} for c in tables.classes.values()},
        "versions": {v.code: {"from": v.starts.isoformat(), **v.name, "basis": v.basis,
                              "rates": figures(v.rates), "factors": figures(v.factors)}
                     for v in tables.versions},
    }


def build(data: Any, where: str, catalogue_categories: set[str]) -> FundTables:
    """The tables from TOML or content data, checked against the catalogue's categories."""
    return _Builder(data, where, catalogue_categories).build()


class _Builder:
    def __init__(self, data: Any, where: str, catalogue_categories: set[str]):
        if not isinstance(data, dict):
            raise FundTableError(f"{where}: fund must be a table, not {type(data).__name__}")
        unknown = sorted(set(data) - set(SECTIONS))
        if unknown:
            raise FundTableError(f"{where}: fund.{unknown[0]}: unknown section; the fund's "
                                 f"tables have {', '.join(SECTIONS)}")
        self.data = data
        self.where = where
        self.catalogue_categories = catalogue_categories

    def fail(self, key: str, message: str) -> FundTableError:
        return FundTableError(f"{self.where}: fund.{key}: {message}")

    def entries(self, section: str) -> dict[str, dict[str, Any]]:
        entries = self.data.get(section, {})
        if not isinstance(entries, dict) or not entries:
            raise self.fail(section, "give at least one entry, as a table")
        for code, entry in entries.items():
            if not isinstance(entry, dict):
                raise self.fail(f"{section}.{code}", "must be a table")
        return entries

    def names(self, key: str, entry: dict[str, Any]) -> dict[str, str]:
        names = {}
        for language in LANGUAGES:
            value = entry.get(language)
            if not isinstance(value, str) or not value.strip():
                raise self.fail(f"{key}.{language}", f"give the name as text, not {value!r}")
            names[language] = value
        return names

    def keys(self, key: str, entry: dict[str, Any], required: tuple[str, ...],
             optional: tuple[str, ...] = ()) -> None:
        for name in required:
            if name not in entry:
                raise self.fail(f"{key}.{name}", "missing")
        unknown = sorted(set(entry) - set(required) - set(optional))
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", "unknown key; this entry has "
                            f"{', '.join((*required, *optional))}")

    def field_name(self, key: str, name: Any) -> str:
        if name not in FIELDS:
            raise self.fail(key, f"{name!r} is not a nameplate field; the intake records "
                            f"{', '.join(FIELDS)} (ledger/fund/nameplate.py)")
        return str(name)

    def condition(self, key: str, field: str, value: Any) -> Condition:
        spec = FIELDS[field]
        if value == "present":
            return "present"
        if isinstance(value, list) and spec.kind == "choice":
            for choice in value:
                if choice not in spec.choices:
                    raise self.fail(key, f"{choice!r} is not a {field}; choose from "
                                    f"{', '.join(spec.choices)}")
            return tuple(value)
        if isinstance(value, dict) and spec.kind == "number":
            limits = {}
            for limit, figure in value.items():
                if limit not in LIMITS:
                    raise self.fail(f"{key}.{limit}", f"a limit is one of {', '.join(LIMITS)}")
                if isinstance(figure, bool) or not isinstance(figure, int):
                    raise self.fail(f"{key}.{limit}", f"a whole number, not {figure!r}")
                limits[limit] = figure
            return limits
        kind = {"choice": "a list of choices", "number": "limits such as { max = 500 }",
                "label": '"present"'}[spec.kind]
        raise self.fail(key, f"a condition on {field} is {kind} or \"present\", not {value!r}")

    def conditions(self, key: str, entry: dict[str, Any]) -> dict[str, Condition]:
        return {self.field_name(f"{key}.{field}", field):
                self.condition(f"{key}.{field}", field, value) for field, value in entry.items()}

    def build(self) -> FundTables:
        categories = {code: self.names(f"categories.{code}", entry)
                      for code, entry in self.entries("categories").items()}
        products = {code: self.product(code, entry, categories)
                    for code, entry in self.entries("products").items()}
        classes = {code: self.sub_class(code, entry, categories, products)
                   for code, entry in self.entries("classes").items()}
        versions = sorted((self.version(code, entry, classes)
                           for code, entry in self.entries("versions").items()),
                          key=lambda v: v.starts)
        return FundTables(categories, products, classes, tuple(versions))

    def product(self, code: str, entry: dict[str, Any],
                categories: dict[str, dict[str, str]]) -> Product:
        key = f"products.{code}"
        self.keys(key, entry, ("category", "asks"), ("also_asks", "implies", "scope"))
        if code not in self.catalogue_categories:
            raise self.fail(key, "not a category of the catalogue; products are "
                            f"{', '.join(sorted(self.catalogue_categories))}")
        if entry["category"] not in categories:
            raise self.fail(f"{key}.category", f"{entry['category']!r} is not in "
                            "[fund.categories]")
        asks, also_asks = entry["asks"], entry.get("also_asks", [])
        for name, value in (("asks", asks), ("also_asks", also_asks)):
            if not isinstance(value, list):
                raise self.fail(f"{key}.{name}", "a list of nameplate fields")
        implies = entry.get("implies", {})
        if not isinstance(implies, dict):
            raise self.fail(f"{key}.implies", "a table of field = value")
        for field, value in implies.items():
            spec = FIELDS[self.field_name(f"{key}.implies.{field}", field)]
            if value not in spec.choices:
                raise self.fail(f"{key}.implies.{field}", f"{value!r} is not a {field}")
        scope = entry.get("scope", {})
        if not isinstance(scope, dict):
            raise self.fail(f"{key}.scope", "a table of field = condition")
        return Product(code, entry["category"],
                       tuple(self.field_name(f"{key}.asks", f) for f in asks),
                       tuple(self.field_name(f"{key}.also_asks", f) for f in also_asks),
                       {str(f): str(v) for f, v in implies.items()},
                       self.conditions(f"{key}.scope", scope))

    def sub_class(self, code: str, entry: dict[str, Any], categories: dict[str, dict[str, str]],
                  products: dict[str, Product]) -> SubClass:
        key = f"classes.{code}"
        self.keys(key, entry, ("category", *LANGUAGES, "when"))
        if entry["category"] not in categories:
            raise self.fail(f"{key}.category", f"{entry['category']!r} is not in "
                            "[fund.categories]")
        if not isinstance(entry["when"], list) or not entry["when"]:
            raise self.fail(f"{key}.when", "a list of conditions, at least one")
        whens = []
        for n, when in enumerate(entry["when"]):
            at = f"{key}.when[{n}]"
            if not isinstance(when, dict):
                raise self.fail(at, "a table")
            rest = {k: v for k, v in when.items() if k not in ("product", "counts")}
            product = when.get("product")
            if product not in products:
                raise self.fail(f"{at}.product", f"{product!r} is not in [fund.products]")
            if products[product].category != entry["category"]:
                raise self.fail(f"{at}.product", f"{product} is a "
                                f"{products[product].category}, not a {entry['category']}")
            counts = when.get("counts", 1)
            if counts not in (0, 1) or isinstance(counts, bool):
                raise self.fail(f"{at}.counts", f"0 or 1, not {counts!r}")
            whens.append(When(product, self.conditions(at, rest), counts))
        return SubClass(code, entry["category"], self.names(key, entry), tuple(whens))

    def version(self, code: str, entry: dict[str, Any], classes: dict[str, SubClass]) -> Version:
        key = f"versions.{code}"
        self.keys(key, entry, ("from", *LANGUAGES, "basis"), ("rates", "factors"))
        try:
            starts = datetime.fromisoformat(entry["from"])
        except (TypeError, ValueError):
            raise self.fail(f"{key}.from", f"an instant with its offset, like "
                            f"2021-04-01T00:00:00+08:00, not {entry['from']!r}") from None
        if starts.tzinfo is None:
            raise self.fail(f"{key}.from", f"{entry['from']!r} has no offset: add one "
                            "(+08:00 for China Standard Time)")
        if entry["basis"] not in BASES:
            raise self.fail(f"{key}.basis", f"one of {', '.join(BASES)}, not "
                            f"{entry['basis']!r}")
        figures = "rates" if entry["basis"] == "per_unit" else "factors"
        given = entry.get(figures)
        if not isinstance(given, dict):
            raise self.fail(f"{key}.{figures}", f"a {entry['basis']} version gives {figures} "
                            "per sub-class")
        values = {}
        for sub_class, figure in given.items():
            if sub_class not in classes:
                raise self.fail(f"{key}.{figures}.{sub_class}", "not in [fund.classes]")
            values[sub_class] = _figure(self, f"{key}.{figures}.{sub_class}", figure)
        missing = sorted(set(classes) - set(values))
        if missing:
            raise self.fail(f"{key}.{figures}", f"no figure for {', '.join(missing)}: every "
                            "sub-class needs one (0 if the fund pays nothing)")
        other = "factors" if figures == "rates" else "rates"
        if entry.get(other):
            raise self.fail(f"{key}.{other}", f"a {entry['basis']} version has no {other}")
        return Version(code, starts, self.names(key, entry), entry["basis"],
                       values if figures == "rates" else {},
                       values if figures == "factors" else {})


def _figure(builder: _Builder, key: str, value: Any) -> Decimal:
    """A rate or factor: a TOML number (a float read as the digits written, never binary),
    or a content decimal string."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise builder.fail(key, f"a number, not {value!r}")
    try:
        figure = Decimal(repr(value) if isinstance(value, float) else value)
    except ArithmeticError:
        raise builder.fail(key, f"a number, not {value!r}") from None
    if not figure.is_finite() or figure < 0 or figure > 100_000:
        raise builder.fail(key, f"a number from 0 to 100000, not {value!r}")
    return figure
