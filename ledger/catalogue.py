"""The process catalogue: categories and their routes, fractions, components, refrigerants.

Data, not code: `ledger/catalogue.toml` is the default; a plant file of the same layout
replaces whole entries with the same code or adds new ones (`load(plant_file)`). Both are
checked when loaded, and a mistake is reported with the file and the dotted key at fault,
so a plant's file fails at start, not in the middle of a unit.

Used by the station (its steps, refusals and flags) and the console's dashboard (expected
yield ranges).
"""

from __future__ import annotations

import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.events import RefrigerantAbsent

DEFAULT_FILE = Path(__file__).with_name("catalogue.toml")
SECTIONS = ("fractions", "components", "refrigerants", "absent_reasons", "categories")
LANGUAGES = ("zh-CN", "en")
ABSENT_REASONS = typing.get_args(RefrigerantAbsent.model_fields["reason"].annotation)
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_REFRIGERANT = re.compile(r"^(R-[0-9]{2,4}[A-Za-z]{0,2}|HCFC-141b|cyclopentane)$")


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
    yields: dict[str, tuple[float, float]]  # fraction -> (min %, max %) of gross

    @property
    def refrigerant_bearing(self) -> bool:
        return bool(self.refrigerants)


@dataclass(frozen=True)
class Catalogue:
    categories: dict[str, Category]
    fractions: dict[str, Fraction]
    components: dict[str, Component]
    refrigerant_sg: dict[str, float]  # saturated liquid at 25 °C (Guideline K)
    absent_reasons: dict[str, Named]

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
        }


STEP_NAMES = {
    "intake": {"zh-CN": "入库称重", "en": "Intake"},
    "refrigerant": {"zh-CN": "制冷剂回收", "en": "Refrigerant recovery"},
    "complete": {"zh-CN": "完成", "en": "Complete"},
}


def guideline_k_max_gross_g(refrigerant: str, water_capacity_g: int, tare_g: int,
                            catalogue: Catalogue) -> int:
    """AHRI Guideline K: tare + 0.8 × water capacity × specific gravity, in whole grams."""
    try:
        sg = catalogue.refrigerant_sg[refrigerant]
    except KeyError:
        raise CatalogueError(f"no specific gravity for {refrigerant!r} in the catalogue; add it "
                             "under [refrigerants]") from None
    return tare_g + int(0.8 * water_capacity_g * sg)


def load(plant_file: str | Path | None = None) -> Catalogue:
    """The default catalogue, with `plant_file`'s entries replacing or adding to it."""
    merged = _read(DEFAULT_FILE)
    files = {section: {code: DEFAULT_FILE for code in merged.get(section, {})}
             for section in SECTIONS}
    if plant_file is not None:
        plant_path = Path(plant_file)
        plant = _read(plant_path)
        for section, entries in plant.items():
            if section not in SECTIONS:
                raise CatalogueError(f"{plant_path}: unknown section [{section}]; a catalogue "
                                     f"has {', '.join(SECTIONS)}")
            if not isinstance(entries, dict):
                raise CatalogueError(f"{plant_path}: {section} must be a table")
            for code, entry in entries.items():
                merged.setdefault(section, {})[code] = entry
                files[section][code] = plant_path
    return _Builder(merged, files).build()


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such catalogue file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None


class _Builder:
    """Checks every entry, naming the file it came from and its key."""

    def __init__(self, merged: dict[str, Any], files: dict[str, dict[str, Path]]):
        self.merged = merged
        self.files = files

    def fail(self, section: str, code: str, key: str | None, message: str) -> CatalogueError:
        where = f"{section}.{code}" + (f".{key}" if key else "")
        return CatalogueError(f"{self.files[section][code]}: {where}: {message}")

    def entries(self, section: str) -> dict[str, dict[str, Any]]:
        entries = self.merged.get(section, {})
        for code, entry in entries.items():
            if not isinstance(entry, dict):
                raise self.fail(section, code, None, "must be a table")
        return entries

    def check_keys(self, section: str, code: str, entry: dict[str, Any],
                   allowed: tuple[str, ...]) -> None:
        for key in allowed:
            if key not in entry:
                raise self.fail(section, code, key, "missing")
        unknown = sorted(set(entry) - set(allowed))
        if unknown:
            raise self.fail(section, code, unknown[0], f"unknown key; an entry of {section} "
                            f"has {', '.join(allowed)}")
        if section != "refrigerants" and not _CODE.match(code):
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
            if not _REFRIGERANT.match(code):
                raise self.fail("refrigerants", code, None, "not a refrigerant code the ledger "
                                "accepts (R-134a, R-600a, HCFC-141b, cyclopentane...)")
            value = entry["sg"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not \
                    0.1 <= value <= 3:
                raise self.fail("refrigerants", code, "sg", f"a specific gravity between 0.1 "
                                f"and 3, not {value!r}")
            sg[code] = float(value)
        reasons = {}
        for code, entry in self.entries("absent_reasons").items():
            self.check_keys("absent_reasons", code, entry, LANGUAGES)
            if code not in ABSENT_REASONS:
                raise self.fail("absent_reasons", code, None, "the ledger accepts only "
                                f"{', '.join(ABSENT_REASONS)} (ledger/events.py)")
            reasons[code] = Named(code, self.names("absent_reasons", code, entry))
        categories = {code: self.category(code, entry, fractions, components, sg)
                      for code, entry in self.entries("categories").items()}
        if not categories:
            raise CatalogueError(f"{DEFAULT_FILE}: no categories")
        return Catalogue(categories, fractions, components, sg, reasons)

    def category(self, code: str, entry: dict[str, Any], fractions: dict[str, Fraction],
                 components: dict[str, Component], sg: dict[str, float]) -> Category:
        section = "categories"
        self.check_keys(section, code, entry, (*LANGUAGES, "weight_kg", "refrigerants",
                                               "hazardous", "steps", "yields"))
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
        return Category(code, self.names(section, code, entry),
                        (round(low * 1000), round(high * 1000)), tuple(refrigerants),
                        tuple(hazardous), steps, yields)

    def range(self, code: str, key: str, value: Any, lowest: float,
              highest: float) -> tuple[float, float]:
        ok = (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value))
        if not ok or not lowest <= value[0] <= value[1] <= highest:
            raise self.fail("categories", code, key, f"[min, max] with {lowest:g} <= min <= "
                            f"max <= {highest:g}, not {value!r}")
        return float(value[0]), float(value[1])

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
