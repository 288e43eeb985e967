"""The check of a measured yield against the expected range of the catalogue in force
(`Category.yields`: exact decimal per cent of the units' gross intake weight), by the same
comparison the auditor's sampling makes (ledger/fund/sampling.py `verdict`)."""

from __future__ import annotations

from decimal import Decimal

from ledger.catalogue import Catalogue
from ledger.fund.sampling import verdict


def check(catalogue: Catalogue, category: str, fraction: str,
          share_pct: Decimal) -> tuple[str, tuple[Decimal, Decimal] | None]:
    """('within' | 'below' | 'above' | 'unknown', the expected range) of a yield in %."""
    known = catalogue.categories.get(category)
    span = known.yields.get(fraction) if known else None
    found = verdict(share_pct, span)
    return ("unknown" if found == "no_range" else found), span
