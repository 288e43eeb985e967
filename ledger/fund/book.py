"""The stock book as the console reads it: the read models (units, unit_moves, lots,
unit_outputs) give the book at any moment, in a few queries, by the definition of
ledger/fund/stock.py (a test holds the two equal on the sample plant); the stock counts come
from their entries through the Ledger API."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from ledger.fund.stock import Count, StockBook, count_record
from ledger.log import Ledger
from ledger.rules.facts import CountLine
from ledger.store import execute, read_transaction

# A unit's zone at t: its latest move (by entry) at or before t.
_UNITS_AT = """
SELECT u.category,
       (SELECT m.zone FROM unit_moves m WHERE m.label = u.label AND m.at <= ?
        ORDER BY m.idx DESC LIMIT 1) AS zone,
       COUNT(*)
FROM units u
WHERE u.received_at <= ? AND (u.completed_at IS NULL OR u.completed_at > ?)
GROUP BY 1, 2
"""
_FRACTIONS_AT = """
SELECT l.fraction, SUM(o.mass_g)
FROM unit_outputs o JOIN lots l ON l.lot = o.lot
WHERE o.at <= ? AND o.mass_g IS NOT NULL AND (l.shipped_at IS NULL OR l.shipped_at > ?)
GROUP BY l.fraction
"""


def book_at(ledger: Ledger, t: str) -> dict[CountLine, int]:
    """The book at moment `t` (UTC, the ledger's format), before any count's adjustment:
    units per (zone, category) and grams per fraction."""
    book: dict[CountLine, int] = defaultdict(int)
    with read_transaction(ledger.engine) as conn:
        for category, zone, units in execute(conn, _UNITS_AT, (t, t, t)):
            book[("units", zone, category)] += int(units)
        for fraction, grams in execute(conn, _FRACTIONS_AT, (t, t)):
            book[("fraction", None, fraction)] += int(grams or 0)
    return dict(book)


def counts(ledger: Ledger) -> list[Count]:
    """Every stock count recorded, oldest first."""
    chains: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for index, subject, body in ledger.prefix_bodies("count:"):
        chains[subject[len("count:"):]].append((index, json.loads(body)["event"]))
    found = [count_record(name, chain) for name, chain in chains.items()]
    return sorted((c for c in found if c is not None), key=lambda c: (c.at, c.entry))


def new_count_name(ledger: Ledger, plant_date: date) -> str:
    """A new stock count's id: its plant date and the next free sequence number that day
    (2026-12-31-1, 2026-12-31-2...), as the console and the demo name counts."""
    taken = {c.count for c in counts(ledger)}
    number = 1
    while f"{plant_date.isoformat()}-{number}" in taken:
        number += 1
    return f"{plant_date.isoformat()}-{number}"


def held(ledger: Ledger, start_utc: str | None = None,
         until_utc: str | None = None) -> StockBook:
    """A StockBook of every count, its book read from the read models; with a range, also
    that range's flows per category and fraction (for the reconciliation)."""
    book = StockBook(counts(ledger), start_utc, until_utc)
    for count in book.counts:
        book.base[count.count].update(book_at(ledger, count.at))
    if start_utc is not None and until_utc is not None:
        book.flow.update(_flows(ledger, start_utc, until_utc))
    return book


_UNIT_FLOWS = """
SELECT category,
       SUM(CASE WHEN received_at < ? AND (completed_at IS NULL OR completed_at >= ?)
                THEN 1 ELSE 0 END),
       SUM(CASE WHEN received_at >= ? AND received_at < ? THEN 1 ELSE 0 END),
       SUM(CASE WHEN completed_at >= ? AND completed_at < ? THEN 1 ELSE 0 END),
       SUM(CASE WHEN received_at < ? AND (completed_at IS NULL OR completed_at >= ?)
                THEN 1 ELSE 0 END)
FROM units WHERE received_at < ? AND (completed_at IS NULL OR completed_at >= ?)
GROUP BY category
"""
_FRACTION_FLOWS = """
SELECT l.fraction,
       SUM(CASE WHEN o.at < ? AND (l.shipped_at IS NULL OR l.shipped_at >= ?)
                THEN o.mass_g ELSE 0 END),
       SUM(CASE WHEN o.at >= ? AND o.at < ? THEN o.mass_g ELSE 0 END),
       SUM(CASE WHEN l.shipped_at >= ? AND l.shipped_at < ? THEN o.mass_g ELSE 0 END),
       SUM(CASE WHEN o.at < ? AND (l.shipped_at IS NULL OR l.shipped_at >= ?)
                THEN o.mass_g ELSE 0 END)
FROM unit_outputs o JOIN lots l ON l.lot = o.lot
WHERE o.mass_g IS NOT NULL AND o.at < ? AND (l.shipped_at IS NULL OR l.shipped_at >= ?)
GROUP BY l.fraction
"""


def _flows(ledger: Ledger, start: str, until: str) -> dict[CountLine, dict[str, int]]:
    """Opening, in, out and closing per category and fraction (ledger.fund.stock.FLOW)."""
    params = (start, start, start, until, start, until, until, until, until, start)
    flows: dict[CountLine, dict[str, int]] = {}
    with read_transaction(ledger.engine) as conn:
        for code, *figures in execute(conn, _UNIT_FLOWS, params):
            flows[("units", None, code)] = _flow(figures)
        for code, *figures in execute(conn, _FRACTION_FLOWS, params):
            flows[("fraction", None, code)] = _flow(figures)
    return flows


def _flow(figures: list[Any]) -> dict[str, int]:
    opening, into, out, closing = (int(f or 0) for f in figures)
    return {"opening": opening, "in": into, "out": out, "closing": closing}
