"""The check of a measured yield against the expected range of the catalogue in force
(`Category.yields`: exact decimal per cent of the units' gross intake weight)."""

from __future__ import annotations

from decimal import Decimal

from ledger.catalogue import Catalogue


def check(catalogue: Catalogue, category: str, fraction: str,
          share_pct: Decimal) -> tuple[str, tuple[Decimal, Decimal] | None]:
    """('within' | 'below' | 'above' | 'unknown', the expected range) of a yield in %."""
    known = catalogue.categories.get(category)
    span = known.yields.get(fraction) if known else None
    if span is None:
        return "unknown", None
    low, high = span
    if share_pct < low:
        return "below", span
    if share_pct > high:
        return "above", span
    return "within", span
