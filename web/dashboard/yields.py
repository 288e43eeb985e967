"""Expected yield coefficients per category (web/dashboard/yields.toml), and the check of a
measured yield against them."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

FILE = Path(__file__).with_name("yields.toml")
Expected = dict[str, dict[str, tuple[float, float]]]  # category -> fraction -> (min %, max %)


@cache
def expected(path: Path = FILE) -> Expected:
    """The ranges in `path`; raises ValueError naming the entry that is not [min, max]."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    ranges: Expected = {}
    for category, fractions in data.items():
        for fraction, span in fractions.items():
            if (not isinstance(span, list) or len(span) != 2
                    or not all(isinstance(v, int | float) for v in span)
                    or not 0 <= span[0] <= span[1] <= 100):
                raise ValueError(f"{path.name}: [{category}] {fraction} = {span!r}; give "
                                 "[min, max] in per cent, 0 <= min <= max <= 100")
            ranges.setdefault(category, {})[fraction] = (float(span[0]), float(span[1]))
    return ranges


def check(category: str, fraction: str, share_pct: float) -> tuple[str, tuple[float, float] | None]:
    """('within' | 'below' | 'above' | 'unknown', the expected range) of a yield in %."""
    span = expected().get(category, {}).get(fraction)
    if span is None:
        return "unknown", None
    low, high = span
    if share_pct < low:
        return "below", span
    if share_pct > high:
        return "above", span
    return "within", span
