"""The auditor's sampling (审核抽样): which days to look at, drawn from a seed so that anyone can
draw them again, and each drawn day's 物料系数 check against the catalogue.

Pure: no database, no clock. The console (web/sampling/) gives it the days that had
dismantling and the day's units from the read models (ledger/fund/sample_days.py).

The draw (docs/console.md, "Auditor's sampling"), chosen so that it can be repeated by hand
with any SHA-256 tool and does not depend on a Python version's random module:

1. the candidates are the days of the range (plant time) on which at least one unit was
   completed, as ISO dates (YYYY-MM-DD);
2. each candidate's key is the hex SHA-256 of the ASCII text "<seed>:<date>", the seed in
   decimal without leading zeros (`printf '%s' '8731:2026-11-20' | sha256sum`);
3. the `count` candidates with the smallest keys (as text; keys are distinct) are drawn, and
   listed by date.

The seed and the candidates decide the draw; the count only how many of the same ordering are
taken, so a larger count draws the same days and more.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ledger.catalogue import Catalogue, Category
from ledger.rules.codes import COEFFICIENT_VERDICTS, STATUSES

SEED_DIGITS = 18  # a seed is a whole number of at most 18 digits: easy to read out and type
MAX_RANGE_DAYS = 366  # the range a draw is made from: at most a year
MAX_COUNT = 31  # days drawn at once (one page, one print)
OUTLIERS_SHOWN = 20  # the units behind one figure, listed by label; the rest counted


class SamplingError(ValueError):
    """The draw asked for cannot be made; `code` and `values` say why (shown in words by the
    console, in the reader's language)."""

    def __init__(self, code: str, **values: object):
        super().__init__(f"{code}: {values}")
        self.code = code
        self.values = values


def new_seed() -> int:
    """A fresh random seed for a draw nobody could have arranged in advance."""
    return secrets.randbelow(10 ** 9)


def parse_seed(text: str) -> int:
    """A seed as typed: decimal digits (leading zeros ignored), at most SEED_DIGITS."""
    cleaned = text.strip()
    if not re.fullmatch(r"[0-9]+", cleaned) or len(cleaned.lstrip("0")) > SEED_DIGITS:
        raise SamplingError("bad_seed", value=text[:40], digits=SEED_DIGITS)
    return int(cleaned)


def draw_key(seed: int, day: date) -> str:
    """The day's key in the draw of `seed`: hex SHA-256 of "<seed>:<YYYY-MM-DD>"."""
    return hashlib.sha256(f"{seed}:{day.isoformat()}".encode("ascii")).hexdigest()


def parse_day(text: str, field: str) -> date:
    """A plant date as typed (YYYY-MM-DD); `field` names the input in an error."""
    if not text.strip():
        raise SamplingError("missing", field=field)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise SamplingError("bad_date", field=field, value=text[:40]) from None
    if not 2000 <= day.year <= 2100:
        raise SamplingError("bad_date", field=field, value=text[:40])
    return day


def parse_range(first_text: str, last_text: str) -> list[date]:
    """Every day from the first to the last, both included."""
    first, last = parse_day(first_text, "from"), parse_day(last_text, "to")
    if last < first:
        raise SamplingError("reversed", first=first.isoformat(), last=last.isoformat())
    length = (last - first).days + 1
    if length > MAX_RANGE_DAYS:
        raise SamplingError("too_long", days=length, limit=MAX_RANGE_DAYS)
    return [first + timedelta(days=n) for n in range(length)]


def parse_count(text: str) -> int:
    """How many days to draw, as typed: 1 to MAX_COUNT."""
    cleaned = text.strip()
    if not re.fullmatch(r"[0-9]{1,4}", cleaned) or not 1 <= int(cleaned) <= MAX_COUNT:
        raise SamplingError("bad_count", value=text[:40], limit=MAX_COUNT)
    return int(cleaned)


@dataclass(frozen=True)
class Drawn:
    day: date
    key: str  # draw_key(seed, day), shown so that the draw can be checked by hand
    rank: int  # 1 for the smallest key


def draw(seed: int, candidates: Sequence[date], count: int) -> list[Drawn]:
    """The `count` candidate days with the smallest keys, by date."""
    days = sorted(set(candidates))
    if not 1 <= count <= MAX_COUNT:
        raise SamplingError("bad_count", value=str(count), limit=MAX_COUNT)
    if not days:
        raise SamplingError("no_days")
    if count > len(days):
        raise SamplingError("too_many", count=count, days=len(days))
    ranked = sorted((draw_key(seed, day), day) for day in days)[:count]
    return sorted((Drawn(day, key, rank) for rank, (key, day) in enumerate(ranked, 1)),
                  key=lambda drawn: drawn.day)


# -- the 物料系数 check ------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRecord:
    """What one unit completed on the day gives the check: its intake weight, its weighed
    output per fraction and its count per step."""

    label: str
    category: str
    gross_g: int
    masses: Mapping[str, int]  # fraction -> grams (weighed components in their fraction)
    counts: Mapping[str, int]  # "output:<fraction>" / "component:<code>" -> how many


def unit_record(label: str, category: str, gross_g: int,
                outputs: Iterable[tuple[str, str, int | None, int | None]],
                catalogue: Catalogue) -> UnitRecord:
    """A unit's record from its `unit_outputs` rows (kind, code, mass_g, count): a
    material.output counts its mass in its fraction and 1 to `output:<fraction>`; a
    component.removed its mass (if weighed) in the component's fraction, as the yield flag
    does (ledger/rules/flags.py), and its pieces (`count`, 1 without one) to
    `component:<code>`."""
    masses: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for kind, code, mass_g, count in outputs:
        if kind == "material":
            masses[code] += mass_g or 0
            counts[f"output:{code}"] += 1
            continue
        component = catalogue.components.get(code)
        if mass_g and component is not None:
            masses[component.fraction] += mass_g
        counts[f"component:{code}"] += count or 1
    return UnitRecord(label, category, gross_g, dict(masses), dict(counts))


def verdict(value: Decimal, bounds: tuple[Decimal, Decimal] | None) -> str:
    """within, below or above the range (ends included); no_range without one
    (codes.COEFFICIENT_VERDICTS)."""
    within, below, above, no_range = COEFFICIENT_VERDICTS
    if bounds is None:
        return no_range
    if value < bounds[0]:
        return below
    if value > bounds[1]:
        return above
    return within


@dataclass(frozen=True)
class Outlier:
    label: str
    value: Decimal  # the unit's own share (%) or count
    verdict: str


@dataclass(frozen=True)
class Figure:
    """One coefficient of one category on the day: a yield (kind "yield": the fraction's
    output mass in % of the units' intake mass) or a count (kind "count": records of the
    step per unit), with the catalogue's range and the units outside it on their own."""

    kind: str
    code: str  # the fraction (yield) or the step (count)
    total: int  # grams of the fraction, or records of the step
    base: int  # grams of intake, or units
    value: Decimal
    bounds: tuple[Decimal, Decimal] | None
    verdict: str
    outliers: tuple[Outlier, ...] = ()
    more_outliers: int = 0  # beyond those listed


@dataclass(frozen=True)
class CategoryCheck:
    category: str
    units: int
    gross_g: int
    yields: list[Figure] = field(default_factory=list)
    counts: list[Figure] = field(default_factory=list)

    @property
    def outlying(self) -> int:
        """How many figures are outside their range."""
        return sum(f.verdict in ("below", "above") for f in (*self.yields, *self.counts))


def _figure(kind: str, code: str, total: int, base: int, value: Decimal,
            bounds: tuple[Decimal, Decimal] | None,
            per_unit: Iterable[tuple[str, Decimal]]) -> Figure:
    outliers = [Outlier(label, own, found) for label, own in per_unit
                if (found := verdict(own, bounds)) in ("below", "above")]
    return Figure(kind, code, total, base, value, bounds, verdict(value, bounds),
                  tuple(outliers[:OUTLIERS_SHOWN]), max(0, len(outliers) - OUTLIERS_SHOWN))


def _share(mass_g: int, gross_g: int) -> Decimal:
    return Decimal(mass_g) * 100 / Decimal(gross_g) if gross_g else Decimal(0)


def check_category(category: Category, units: Sequence[UnitRecord]) -> CategoryCheck:
    """The day's figures of one category: each fraction of its `yields` (then any other
    fraction its units gave, without a range), and each step of its `counts`."""
    gross = sum(u.gross_g for u in units)
    check = CategoryCheck(category.code, len(units), gross)
    seen = sorted({f for u in units for f in u.masses} - set(category.yields))
    for fraction in (*category.yields, *seen):
        mass = sum(u.masses.get(fraction, 0) for u in units)
        check.yields.append(_figure(
            "yield", fraction, mass, gross, _share(mass, gross), category.yields.get(fraction),
            [(u.label, _share(u.masses.get(fraction, 0), u.gross_g)) for u in units]))
    for step, (low, high) in (category.counts or {}).items():
        total = sum(u.counts.get(step, 0) for u in units)
        check.counts.append(_figure(
            "count", step, total, len(units), Decimal(total) / len(units),
            (Decimal(low), Decimal(high)), [(u.label, Decimal(u.counts.get(step, 0)))
                                            for u in units]))
    return check


def check_day(catalogue: Catalogue, units: Iterable[UnitRecord]) -> list[CategoryCheck]:
    """One check per category of the catalogue that had units completed on the day, in the
    catalogue's order; units of a category it does not know are left out (none can be
    received under a catalogue without their category)."""
    by_category: dict[str, list[UnitRecord]] = {}
    for unit in units:
        by_category.setdefault(unit.category, []).append(unit)
    return [check_category(category, by_category[code])
            for code, category in catalogue.categories.items() if by_category.get(code)]


def status_of(resolutions: Iterable[str | None]) -> str:
    """creditable, flagged or excluded from a unit's computed flags' reviews (None: open), as
    ledger.rules.judge.Judgement.status concludes for a record the ledger accepted."""
    creditable, flagged, excluded = STATUSES
    found = list(resolutions)
    if "exclude" in found:
        return excluded
    return flagged if None in found else creditable
