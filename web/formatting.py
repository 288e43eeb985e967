"""Jinja filters for what every page shows: times in the plant's zone, masses in kg.

The ledger stores UTC text and integer grams (docs/design.md §9); converting only at the
edge, in one place, keeps every page consistent and locale-aware (grouping and decimal signs
via Babel).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_datetime, format_decimal

MISSING = "—"


def localtime(value: str | datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """A ledger time (`2026-11-21T08:15:30.123Z` or a datetime; naive means UTC) in the
    plant's time zone, as a Babel/CLDR date pattern (default `2026-11-21 16:15`)."""
    if value is None:
        return MISSING
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment, pattern)


def kg(grams: int | None, places: int = 3) -> str:
    """Integer grams as kilograms with `places` decimals, e.g. 18302 -> `18.302 kg`."""
    if grams is None:
        return MISSING
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return f"{format_decimal(Decimal(grams) / 1000, format=pattern)} kg"


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.add_template_filter(kg)
