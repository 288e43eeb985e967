"""Expected yield coefficients per category, from the process catalogue (ledger/catalogue.toml,
`Category.yields`), and the check of a measured yield against them. The console reads the
default catalogue: a station's plant file (station.toml `catalogue`) is the station's own."""

from __future__ import annotations

from ledger.catalogue import Catalogue

Expected = dict[str, dict[str, tuple[float, float]]]  # category -> fraction -> (min %, max %)


def expected(catalogue: Catalogue) -> Expected:
    """Each category's yield ranges, in per cent of its units' gross intake weight."""
    return {code: dict(category.yields) for code, category in catalogue.categories.items()}


def check(ranges: Expected, category: str, fraction: str,
          share_pct: float) -> tuple[str, tuple[float, float] | None]:
    """('within' | 'below' | 'above' | 'unknown', the expected range) of a yield in %."""
    span = ranges.get(category, {}).get(fraction)
    if span is None:
        return "unknown", None
    low, high = span
    if share_pct < low:
        return "below", span
    if share_pct > high:
        return "above", span
    return "within", span
