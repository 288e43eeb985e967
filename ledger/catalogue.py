"""The process catalogue: categories and their routes, fractions, components, refrigerants,
and the tolerances the rules judge by.

Data, not code: `ledger/catalogue.toml` is the default; a plant file of the same layout
replaces whole entries with the same code or adds new ones (`load(plant_file)`). Both are
checked when loaded, and a mistake is reported with the file and the dotted key at fault,
so a plant's file fails at start, not in the middle of a unit.

The catalogue in force is published into the log (`catalogue.published`) as its *content*:
the same layout in JSON with every non-integer figure as a decimal string (the ledger holds
no floats), so `from_content(cat.content())` gives the same catalogue back, and the rules
(ledger/rules/) judge every event, at the ledger and in the verifier, by the version in force
at the event's position. Figures are exact decimals, never floats.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ledger.canonical import canonical_bytes
from ledger.fund import nameplate
from ledger.fund import tables as fund_tables
from ledger.rules.codes import ABSENT_REASONS, EVIDENCE_STEPS, ZONE_KINDS

DEFAULT_FILE = Path(__file__).with_name("catalogue.toml")
# Version 2 adds the fund's tables (section `fund`, ledger/fund/tables.py), version 3 the
# storage zones (section `zones`) and each category's count coefficients (`counts`). Content
# published in an earlier version still reads: with no fund tables (1), no zones and no count
# coefficients (1, 2).
CONTENT_FORMAT = "dledger-catalogue/3"
CONTENT_FORMATS = ("dledger-catalogue/1", "dledger-catalogue/2", CONTENT_FORMAT)
_FORMAT_SECTIONS = {"dledger-catalogue/1": (), "dledger-catalogue/2": ("fund",),
                    CONTENT_FORMAT: ("fund", "zones")}  # the sections a version adds
COUNT_MAX = 1000  # the largest count coefficient a category may expect of one unit
SECTIONS = ("tolerances", "fractions", "components", "refrigerants", "absent_reasons",
            "categories", "zones", "fund", "evidence")
LANGUAGES = ("zh-CN", "en")
_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_REFRIGERANT = re.compile(r"R-[0-9]{2,4}[A-Za-z]{0,2}|HCFC-141b|cyclopentane")
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,8})(\.[0-9]{1,6})?")


class CatalogueError(ValueError):
    """A catalogue file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Named:
    code: str
    name: dict[str, str]  # language -> name


@dataclass(frozen=True)
class Fraction(Named):
    hazardous: bool


@dataclass(frozen=True)
class Component(Named):
    hazardous: bool
    fraction: str


@dataclass(frozen=True)
class Zone(Named):
    """A storage zone as its sign reads (HJ 527: 类别, 编号, 名称, 规格, 注意事项): its kind
    (codes.ZONE_KINDS) says what it may hold."""

    kind: str
    spec: str | None  # 规格: size or capacity, as the plant writes it
    cautions: str | None  # 注意事项


@dataclass(frozen=True)
class Step:
    """`refrigerant`, `component:<code>` or `output:<fraction>`."""

    code: str
    required: bool

    @property
    def kind(self) -> str:
        return self.code.split(":", 1)[0]

    @property
    def target(self) -> str | None:
        return self.code.split(":", 1)[1] if ":" in self.code else None


@dataclass(frozen=True)
class Category(Named):
    weight_g: tuple[int, int]
    refrigerants: tuple[str, ...]
    hazardous: tuple[str, ...]
    steps: tuple[Step, ...]
    yields: dict[str, tuple[Decimal, Decimal]]  # fraction -> (min %, max %) of gross
    # step (`output:<fraction>` or `component:<code>`) -> (min, max) per unit; None in a
    # catalogue published before count coefficients (content formats 1 and 2)
    counts: dict[str, tuple[int, int]] | None

    @property
    def refrigerant_bearing(self) -> bool:
        return bool(self.refrigerants)


@dataclass(frozen=True)
class Tolerances:
    """What the rules allow before they flag or refuse (see catalogue.toml [tolerances])."""

    low_recovery_pct: Decimal  # flag a recovery below this share of the nameplate charge
    mass_balance_pct: Decimal  # flag outputs + refrigerant off the intake weight by more
    calibration_period_h: int  # flag a weighing with no passing check within this many hours
    cylinder_reweigh_g: int  # refuse a cylinder's "before" this far off its last "after"
    receipt_pct: Decimal  # flag a lot received this far off its sealed weight
    clock_skew_s: int  # refuse an event time this far after the time it is logged


TOLERANCE_KINDS: dict[str, type] = {
    "low_recovery_pct": Decimal, "mass_balance_pct": Decimal, "calibration_period_h": int,
    "cylinder_reweigh_g": int, "receipt_pct": Decimal, "clock_skew_s": int}


@dataclass(frozen=True)
class Catalogue:
    categories: dict[str, Category]
    fractions: dict[str, Fraction]
    components: dict[str, Component]
    refrigerant_sg: dict[str, Decimal]  # saturated liquid at 25 °C (Guideline K)
    absent_reasons: dict[str, Named]
    tolerances: Tolerances
    fund: fund_tables.FundTables | None  # None in catalogues published before the fund's tables
    zones: dict[str, Zone]  # empty in catalogues published before zones
    format: str = CONTENT_FORMAT  # the content format it was published in (or will be)
    # [evidence] required: the key steps (codes.EVIDENCE_STEPS) a unit is not completed
    # without an evidence reference of; None when the catalogue has no [evidence] section
    # (an optional section of any format: content without it requires none)
    evidence: tuple[str, ...] | None = None

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise CatalogueError(f"unknown category {code!r}; known: "
                                 f"{', '.join(self.categories)}") from None

    def step_name(self, step: str) -> dict[str, str]:
        """A step's name in each language, from the names of what it records."""
        kind, _, target = step.partition(":")
        if kind == "component":
            return self.components[target].name
        if kind == "output":
            return self.fractions[target].name
        return dict(STEP_NAMES.get(step, {"zh-CN": step, "en": step}))

    def as_json(self) -> dict[str, Any]:
        """The names a station's page shows, in JSON types."""
        return {
            "categories": [{"code": c.code, "name": c.name,
                            "refrigerant_bearing": c.refrigerant_bearing}
                           for c in self.categories.values()],
            "fractions": [{"code": f.code, "name": f.name, "hazardous": f.hazardous}
                          for f in self.fractions.values()],
            "components": [{"code": c.code, "name": c.name, "hazardous": c.hazardous,
                            "fraction": c.fraction} for c in self.components.values()],
            "absent_reasons": [{"code": r.code, "name": r.name}
                               for r in self.absent_reasons.values()],
            "nameplate": {code: fields for code in self.categories
                          if (fields := nameplate.asked(self.fund, code))},
        }

    def content(self) -> dict[str, Any]:
        """The catalogue as `catalogue.published` carries it: JSON, decimals as strings."""
        def names(item: Named) -> dict[str, str]:
            return {language: item.name[language] for language in LANGUAGES}

        text = decimal_text
        tolerances = {key: text(getattr(self.tolerances, key)) for key in TOLERANCE_KINDS}
        added: dict[str, Any] = {}
        if "fund" in _FORMAT_SECTIONS[self.format] and self.fund is not None:
            added["fund"] = fund_tables.content(self.fund)
        if "zones" in _FORMAT_SECTIONS[self.format]:
            added["zones"] = {z.code: {**names(z), "kind": z.kind,
                                       **({"spec": z.spec} if z.spec else {}),
                                       **({"cautions": z.cautions} if z.cautions else {})}
                              for z in self.zones.values()}

        def counts(c: Category) -> dict[str, Any]:
            return {} if c.counts is None else {
                "counts": {step: list(bounds) for step, bounds in c.counts.items()}}

        if self.evidence is not None:
            added["evidence"] = {"required": list(self.evidence)}
        return {
            "format": self.format,
            **added,
            "tolerances": tolerances,
            "fractions": {f.code: {**names(f), "hazardous": f.hazardous}
                          for f in self.fractions.values()},
            "components": {c.code: {**names(c), "hazardous": c.hazardous,
                                    "fraction": c.fraction} for c in self.components.values()},
            "refrigerants": {gas: {"sg": text(sg)} for gas, sg in self.refrigerant_sg.items()},
            "absent_reasons": {r.code: names(r) for r in self.absent_reasons.values()},
            "categories": {c.code: {
                **names(c), "weight_kg": [text(Decimal(g) / 1000) for g in c.weight_g],
                "refrigerants": list(c.refrigerants), "hazardous": list(c.hazardous),
                "steps": [{"step": s.code, "required": s.required} for s in c.steps],
                "yields": {f: [text(low), text(high)] for f, (low, high) in c.yields.items()},
                **counts(c),
            } for c in self.categories.values()},
        }

    def sha256(self) -> str:
        """The hex SHA-256 of the content's canonical (RFC 8785) bytes: its identity."""
        return content_sha256(self.content())


STEP_NAMES = {
    "intake": {"zh-CN": "入库称重", "en": "Intake"},
    "refrigerant": {"zh-CN": "制冷剂回收", "en": "Refrigerant recovery"},
    "complete": {"zh-CN": "完成", "en": "Complete"},
}


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def guideline_k_max_gross_g(refrigerant: str, water_capacity_g: int, tare_g: int,
                            catalogue: Catalogue) -> int:
    """AHRI Guideline K: tare + 0.8 × water capacity × specific gravity, in whole grams
    (rounded down, exactly: the figures are decimals)."""
    try:
        sg = catalogue.refrigerant_sg[refrigerant]
    except KeyError:
        raise CatalogueError(f"no specific gravity for {refrigerant!r} in the catalogue; add it "
                             "under [refrigerants]") from None
    return tare_g + int(Decimal("0.8") * water_capacity_g * sg)


def load(plant_file: str | Path | None = None) -> Catalogue:
    """The default catalogue, with `plant_file`'s entries replacing or adding to it."""
    merged = _read(DEFAULT_FILE)
    merged["fund"] = fund_tables.read_default()
    files = {section: {code: str(DEFAULT_FILE) for code in merged.get(section, {})}
             for section in SECTIONS}
    fund_where = str(fund_tables.DEFAULT_FILE)
    if plant_file is not None:
        plant_path = Path(plant_file)
        plant = _read(plant_path)
        for section, entries in plant.items():
            if section not in SECTIONS:
                raise CatalogueError(f"{plant_path}: unknown section [{section}]; a catalogue "
                                     f"has {', '.join(SECTIONS)}")
            if not isinstance(entries, dict):
                raise CatalogueError(f"{plant_path}: {section} must be a table")
            if section == "fund":
                _merge_fund(merged["fund"], entries, plant_path)
                fund_where = f"{fund_tables.DEFAULT_FILE} with {plant_path}"
                continue
            for code, entry in entries.items():
                merged.setdefault(section, {})[code] = entry
                files[section][code] = str(plant_path)
    return _Builder(merged, files, fund_where, counts="optional").build()


def _merge_fund(fund: dict[str, Any], plant: dict[str, Any], plant_path: Path) -> None:
    """A plant's [fund.<section>.<code>] entries replace or add to the default tables'."""
    for section, entries in plant.items():
        if section not in fund_tables.SECTIONS or not isinstance(entries, dict):
            raise CatalogueError(f"{plant_path}: [fund.{section}] is not a section of the "
                                 f"fund's tables ({', '.join(fund_tables.SECTIONS)})")
        fund.setdefault(section, {}).update(entries)


def from_content(content: Any, where: str = "the catalogue content") -> Catalogue:
    """The catalogue a `catalogue.published` entry carries, checked as a file is."""
    if not isinstance(content, dict) or content.get("format") not in CONTENT_FORMATS:
        raise CatalogueError(f"{where}: not a catalogue of format "
                             f"{' or '.join(CONTENT_FORMATS)}")
    merged = {k: v for k, v in content.items() if k != "format"}
    unknown = sorted(set(merged) - set(SECTIONS))
    if unknown:
        raise CatalogueError(f"{where}: unknown section {unknown[0]!r}")
    added = _FORMAT_SECTIONS[content["format"]]
    for section in ("fund", "zones"):
        if (section in merged) != (section in added):
            raise CatalogueError(f"{where}: a catalogue of format {content['format']} "
                                 + ("has" if section in added else "has no")
                                 + f" section {section!r}")
    files = {section: {code: where for code in (merged.get(section) or {})}
             for section in SECTIONS}
    counts = "required" if content["format"] == CONTENT_FORMAT else "absent"
    return _Builder(merged, files, where, counts, content["format"]).build()


def decimal_text(value: Decimal | int) -> str:
    """A decimal as the shortest plain text that reads back to it (no exponent)."""
    return format(Decimal(value).normalize(), "f")


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such catalogue file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None


def _decimal(value: Any) -> Decimal | None:
    """A TOML number or a content decimal string as an exact Decimal; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


class _Builder:
    """Checks every entry, naming the file it came from and its key."""

    def __init__(self, merged: dict[str, Any], files: dict[str, dict[str, str]],
                 fund_where: str, counts: str, content_format: str = CONTENT_FORMAT):
        self.merged = merged
        self.files = files
        self.fund_where = fund_where
        # a category's `counts`: "optional" in a file (default: none expected), "required" in
        # content of the current format, "absent" in content of a format before it
        self.counts = counts
        self.format = content_format

    def fail(self, section: str, code: str, key: str | None, message: str) -> CatalogueError:
        where = f"{section}.{code}" + (f".{key}" if key else "")
        return CatalogueError(f"{self.files[section][code]}: {where}: {message}")

    def entries(self, section: str) -> dict[str, Any]:
        entries = self.merged.get(section, {})
        if not isinstance(entries, dict):
            raise CatalogueError(f"[{section}] must be a table of entries, not "
                                 f"{type(entries).__name__}")
        for code, entry in entries.items():
            if section != "tolerances" and not isinstance(entry, dict):
                raise self.fail(section, code, None, "must be a table")
        return entries

    def check_keys(self, section: str, code: str, entry: dict[str, Any],
                   allowed: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        for key in allowed:
            if key not in entry and key not in optional:
                raise self.fail(section, code, key, "missing")
        unknown = sorted(set(entry) - set(allowed))
        if unknown:
            raise self.fail(section, code, unknown[0], f"unknown key; an entry of {section} "
                            f"has {', '.join(allowed)}")
        if section != "refrigerants" and not _CODE.fullmatch(code):
            raise self.fail(section, code, None, "a code is lower-case letters, digits and "
                            "'_', starting with a letter")

    def names(self, section: str, code: str, entry: dict[str, Any]) -> dict[str, str]:
        names = {}
        for language in LANGUAGES:
            value = entry[language]
            if not isinstance(value, str) or not value.strip():
                raise self.fail(section, code, language, f"give the name as text, not {value!r}")
            names[language] = value
        return names

    def flag(self, section: str, code: str, entry: dict[str, Any], key: str) -> bool:
        value = entry[key]
        if not isinstance(value, bool):
            raise self.fail(section, code, key, f"true or false, not {value!r}")
        return value

    def tolerances(self) -> Tolerances:
        entries = self.entries("tolerances")
        values: dict[str, Any] = {}
        for key, kind in TOLERANCE_KINDS.items():
            if key not in entries:
                raise CatalogueError(f"{DEFAULT_FILE}: tolerances.{key}: missing")
            value = _decimal(entries[key])
            if value is None or value < 0 or (kind is int and value != int(value)):
                what = "a whole number" if kind is int else "a number"
                raise self.fail("tolerances", key, None, f"{what} of 0 or more, not "
                                f"{entries[key]!r}")
            values[key] = int(value) if kind is int else value
        unknown = sorted(set(entries) - set(TOLERANCE_KINDS))
        if unknown:
            raise self.fail("tolerances", unknown[0], None, "unknown tolerance; the catalogue "
                            f"has {', '.join(TOLERANCE_KINDS)}")
        return Tolerances(**values)

    def build(self) -> Catalogue:
        fractions = {}
        for code, entry in self.entries("fractions").items():
            self.check_keys("fractions", code, entry, (*LANGUAGES, "hazardous"))
            fractions[code] = Fraction(code, self.names("fractions", code, entry),
                                       self.flag("fractions", code, entry, "hazardous"))
        components = {}
        for code, entry in self.entries("components").items():
            self.check_keys("components", code, entry, (*LANGUAGES, "hazardous", "fraction"))
            if entry["fraction"] not in fractions:
                raise self.fail("components", code, "fraction",
                                f"{entry['fraction']!r} is not a fraction in [fractions]")
            components[code] = Component(code, self.names("components", code, entry),
                                         self.flag("components", code, entry, "hazardous"),
                                         entry["fraction"])
        sg = {}
        for code, entry in self.entries("refrigerants").items():
            self.check_keys("refrigerants", code, entry, ("sg",))
            if not _REFRIGERANT.fullmatch(code):
                raise self.fail("refrigerants", code, None, "not a refrigerant code the ledger "
                                "accepts (R-134a, R-600a, HCFC-141b, cyclopentane...)")
            value = _decimal(entry["sg"])
            if value is None or not Decimal("0.1") <= value <= 3:
                raise self.fail("refrigerants", code, "sg", f"a specific gravity between 0.1 "
                                f"and 3, not {entry['sg']!r}")
            sg[code] = value
        reasons = {}
        for code, entry in self.entries("absent_reasons").items():
            self.check_keys("absent_reasons", code, entry, LANGUAGES)
            if code not in ABSENT_REASONS:
                raise self.fail("absent_reasons", code, None, "the ledger accepts only "
                                f"{', '.join(ABSENT_REASONS)} (ledger/rules/codes.py)")
            reasons[code] = Named(code, self.names("absent_reasons", code, entry))
        categories = {code: self.category(code, entry, fractions, components, sg)
                      for code, entry in self.entries("categories").items()}
        if not categories:
            raise CatalogueError(f"{DEFAULT_FILE}: no categories")
        fund = None
        if "fund" in self.merged:
            try:
                fund = fund_tables.build(self.merged["fund"], self.fund_where, set(categories))
            except fund_tables.FundTableError as exc:
                raise CatalogueError(str(exc)) from None
        zones = {code: self.zone(code, entry) for code, entry in self.entries("zones").items()}
        return Catalogue(categories, fractions, components, sg, reasons, self.tolerances(), fund,
                         zones, self.format, self.evidence())

    def evidence(self) -> tuple[str, ...] | None:
        """[evidence] required = [key steps...], in codes.EVIDENCE_STEPS order."""
        if "evidence" not in self.merged:
            return None
        entry = self.merged["evidence"]
        where = self.files["evidence"].get("required", self.fund_where)
        if not isinstance(entry, dict) or set(entry) != {"required"} \
                or not isinstance(entry["required"], list):
            raise CatalogueError(f"{where}: evidence: a table with one key, required = [key "
                                 f"steps], not {entry!r}")
        for step in entry["required"]:
            if step not in EVIDENCE_STEPS:
                raise CatalogueError(f"{where}: evidence.required: {step!r} is not a key step; "
                                     f"they are {', '.join(EVIDENCE_STEPS)}")
        return tuple(s for s in EVIDENCE_STEPS if s in entry["required"])

    def zone(self, code: str, entry: dict[str, Any]) -> Zone:
        optional = tuple(key for key in ("spec", "cautions") if key in entry)
        self.check_keys("zones", code, entry, (*LANGUAGES, "kind", *optional))
        if entry["kind"] not in ZONE_KINDS:
            raise self.fail("zones", code, "kind", f"{entry['kind']!r}: a zone holds one of "
                            f"{', '.join(ZONE_KINDS)} (ledger/rules/codes.py)")
        for key in optional:
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise self.fail("zones", code, key, f"give it as text, not {entry[key]!r}")
        return Zone(code, self.names("zones", code, entry), entry["kind"],
                    entry.get("spec"), entry.get("cautions"))

    def category(self, code: str, entry: dict[str, Any], fractions: dict[str, Fraction],
                 components: dict[str, Component], sg: dict[str, Decimal]) -> Category:
        section = "categories"
        keys: tuple[str, ...] = (*LANGUAGES, "weight_kg", "refrigerants", "hazardous", "steps",
                                 "yields")
        if self.counts == "absent" and "counts" in entry:
            raise self.fail(section, code, "counts", f"count coefficients need content format "
                            f"{CONTENT_FORMAT}")
        self.check_keys(section, code, entry, keys if self.counts == "absent" else
                        (*keys, "counts"), optional=("counts",) if self.counts == "optional"
                        else ())
        low, high = self.range(code, "weight_kg", entry["weight_kg"], 0, 10_000)
        refrigerants = entry["refrigerants"]
        if not isinstance(refrigerants, list):
            raise self.fail(section, code, "refrigerants", "a list of refrigerant codes")
        for gas in refrigerants:
            if gas not in sg:
                raise self.fail(section, code, "refrigerants", f"{gas!r} is not in "
                                "[refrigerants]")
        hazardous = entry["hazardous"]
        if not isinstance(hazardous, list):
            raise self.fail(section, code, "hazardous", "a list of fraction or component codes")
        for item in hazardous:
            if item not in fractions and item not in components:
                raise self.fail(section, code, "hazardous", f"{item!r} is neither a fraction "
                                "nor a component")
        steps = self.steps(code, entry["steps"], fractions, components, bool(refrigerants))
        yields_entry = entry["yields"]
        if not isinstance(yields_entry, dict):
            raise self.fail(section, code, "yields", "a table of fraction = [min %, max %]")
        yields = {}
        for fraction, bounds in yields_entry.items():
            if fraction not in fractions:
                raise self.fail(section, code, f"yields.{fraction}", "not a fraction in "
                                "[fractions]")
            yields[fraction] = self.range(code, f"yields.{fraction}", bounds, 0, 100)
        counts = (None if self.counts == "absent"
                  else self.count_ranges(code, entry.get("counts", {}), fractions, components))
        return Category(code, self.names(section, code, entry),
                        (int(low * 1000), int(high * 1000)), tuple(refrigerants),
                        tuple(hazardous), steps, yields, counts)

    def count_ranges(self, code: str, value: Any, fractions: dict[str, Fraction],
                     components: dict[str, Component]) -> dict[str, tuple[int, int]]:
        """`counts`: how many of a step's records one unit is expected to have, [min, max]:
        material.output entries of an `output:<fraction>`, pieces removed (a
        component.removed entry's `count`, 1 without one) of a `component:<code>`."""
        if not isinstance(value, dict):
            raise self.fail("categories", code, "counts", "a table of \"output:<fraction>\" "
                            "or \"component:<component>\" = [min, max]")
        counts = {}
        for step, bounds in value.items():
            kind, _, target = str(step).partition(":")
            if not ((kind == "output" and target in fractions)
                    or (kind == "component" and target in components)):
                raise self.fail("categories", code, f"counts.{step}", "not \"output:<a "
                                "fraction>\" or \"component:<a component>\"")
            whole = [b for b in bounds if isinstance(b, int) and not isinstance(b, bool)
                     ] if isinstance(bounds, list) else []
            if len(whole) != 2 or len(bounds) != 2 or not 0 <= whole[0] <= whole[1] <= COUNT_MAX:
                raise self.fail("categories", code, f"counts.{step}", f"[min, max], whole "
                                f"numbers with 0 <= min <= max <= {COUNT_MAX}, not {bounds!r}")
            counts[step] = (whole[0], whole[1])
        return counts

    def range(self, code: str, key: str, value: Any, lowest: int,
              highest: int) -> tuple[Decimal, Decimal]:
        bounds = [_decimal(v) for v in value] if isinstance(value, list) else []
        if (len(bounds) != 2 or bounds[0] is None or bounds[1] is None
                or not lowest <= bounds[0] <= bounds[1] <= highest):
            raise self.fail("categories", code, key, f"[min, max] with {lowest:g} <= min <= "
                            f"max <= {highest:g}, not {value!r}")
        return bounds[0], bounds[1]

    def steps(self, code: str, value: Any, fractions: dict[str, Fraction],
              components: dict[str, Component], refrigerant_bearing: bool) -> tuple[Step, ...]:
        if not isinstance(value, list):
            raise self.fail("categories", code, "steps", "a list of {step = ..., required = "
                            "true|false}")
        steps: list[Step] = []
        for i, item in enumerate(value):
            key = f"steps[{i}]"
            if not isinstance(item, dict) or set(item) != {"step", "required"} \
                    or not isinstance(item["required"], bool):
                raise self.fail("categories", code, key, f"{{step = ..., required = true|false}}"
                                f", not {item!r}")
            step = Step(str(item["step"]), item["required"])
            known = (step.code == "refrigerant"
                     or (step.kind == "component" and step.target in components)
                     or (step.kind == "output" and step.target in fractions))
            if not known:
                raise self.fail("categories", code, key, f"{step.code!r} is not 'refrigerant', "
                                "'component:<a component>' or 'output:<a fraction>'")
            if any(s.code == step.code for s in steps):
                raise self.fail("categories", code, key, f"{step.code!r} is listed twice")
            steps.append(step)
        has_refrigerant = any(s.code == "refrigerant" for s in steps)
        if has_refrigerant != refrigerant_bearing:
            raise self.fail("categories", code, "steps", "a category with refrigerants needs "
                            "a 'refrigerant' step, and only such a category may have one")
        return tuple(steps)
