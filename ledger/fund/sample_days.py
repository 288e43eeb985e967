"""The read-model queries of the auditor's sampling (ledger/fund/sampling.py): which days of a
range had dismantling, a day's units one page at a time, and what the day's 物料系数 check
reads of all its units.

Every query reads a projection (`units`, `unit_outputs`, `refrigerant_recoveries`,
`rule_flags`, `catalogues`), never `ledger_entries`, bounded by an index:
- a day had dismantling: one `ix_units_completed_at_figures` probe (LIMIT 1) per day;
- a day's units: that index's range of the day, keyset-paginated on (completed_at, label);
- the day's check: the same range, then `ix_unit_outputs_label` per unit (a day of a big plant,
  ~3,000 units and ~30,000 output rows, is read once, as plain tuples);
- the records of a page of units: primary keys and `label` indexes, for those labels only.
Times are the ledger's UTC text, so ranges compare as strings on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, and_, func, or_, select

from ledger.catalogue import Catalogue
from ledger.certificates.statements import period_bounds
from ledger.fund.sampling import UnitRecord, unit_record
from ledger.store import chunks
from ledger.tables import (
    CatalogueVersion,
    RefrigerantRecovery,
    RuleFlag,
    Unit,
    UnitOutput,
    table_of,
)

units = table_of(Unit)
outputs = table_of(UnitOutput)
recoveries = table_of(RefrigerantRecovery)
flags = table_of(RuleFlag)
catalogues = table_of(CatalogueVersion)


@dataclass(frozen=True)
class Day:
    """A plant-time day and its UTC bounds [start, end)."""

    day: date
    start: str
    end: str


def day_of(day: date, time_zone: str) -> Day:
    bounds = period_bounds(day.isoformat(), day.isoformat(), time_zone)
    return Day(day, bounds["from_utc"], bounds["until_utc"])


def _completed_in(day: Day) -> Any:
    return and_(units.c.completed_at >= day.start, units.c.completed_at < day.end)


def days_with_dismantling(conn: Connection, days: Sequence[Day]) -> list[date]:
    """The days on which at least one unit was completed."""
    found = []
    for day in days:
        if conn.execute(select(units.c.completed_at).where(_completed_in(day))
                        .limit(1)).first() is not None:
            found.append(day.day)
    return found


def units_completed(conn: Connection, day: Day) -> int:
    return int(conn.execute(select(func.count()).select_from(units)
                            .where(_completed_in(day))).scalar_one())


def day_units(conn: Connection, day: Day, after: tuple[str, str] | None,
              limit: int) -> list[Row[Any]]:
    """Up to `limit` units completed on the day, by completion time then label, after the
    (completed_at, label) cursor `after`."""
    query = select(units).where(_completed_in(day))
    if after is not None:
        at, label = after
        query = query.where(or_(units.c.completed_at > at,
                                and_(units.c.completed_at == at, units.c.label > label)))
    return list(conn.execute(query.order_by(units.c.completed_at, units.c.label).limit(limit)))


def day_records(conn: Connection, day: Day, catalogue: Catalogue) -> list[UnitRecord]:
    """Every unit completed on the day as the 物料系数 check reads it."""
    found = conn.execute(select(units.c.label, units.c.category, units.c.gross_g)
                         .where(_completed_in(day))).all()
    rows: dict[str, list[tuple[str, str, int | None, int | None]]] = {u.label: [] for u in found}
    for label, kind, code, mass_g, count in conn.execute(
            select(outputs.c.label, outputs.c.kind, outputs.c.code, outputs.c.mass_g,
                   outputs.c.count)
            .join(units, units.c.label == outputs.c.label).where(_completed_in(day))):
        rows[label].append((kind, code, mass_g, count))
    return [unit_record(u.label, u.category, u.gross_g, rows[u.label], catalogue)
            for u in found]


def _by_label(conn: Connection, table: Any, column: Any, keys: Sequence[str],
              order: Any) -> dict[str, list[Row[Any]]]:
    found: dict[str, list[Row[Any]]] = {}
    for part in chunks(sorted(set(keys))):
        for row in conn.execute(select(table).where(column.in_(part)).order_by(order)):
            found.setdefault(getattr(row, column.name), []).append(row)
    return found


def outputs_of(conn: Connection, labels: Sequence[str]) -> dict[str, list[Row[Any]]]:
    """Each unit's output and component rows, by entry."""
    return _by_label(conn, outputs, outputs.c.label, labels, outputs.c.idx)


def recoveries_of(conn: Connection, labels: Sequence[str]) -> dict[str, list[Row[Any]]]:
    return _by_label(conn, recoveries, recoveries.c.label, labels, recoveries.c.idx)


def flags_of(conn: Connection, labels: Sequence[str]) -> dict[str, list[Row[Any]]]:
    """Each unit's computed flags with their latest review, keyed by label."""
    found = _by_label(conn, flags, flags.c.subject, [f"unit:{label}" for label in labels],
                      flags.c.raised_index)
    return {subject.split(":", 1)[1]: rows for subject, rows in found.items()}


def catalogue_by(conn: Connection, moment: str) -> tuple[int, str] | None:
    """(entry, version) of the catalogue in force at `moment` (UTC text): the latest published
    before it, else the first (docs/rules.md section 2); None while none is published."""
    for query in (select(catalogues.c.idx, catalogues.c.version)
                  .where(catalogues.c.published_at < moment).order_by(catalogues.c.idx.desc()),
                  select(catalogues.c.idx, catalogues.c.version).order_by(catalogues.c.idx)):
        found = conn.execute(query.limit(1)).first()
        if found is not None:
            return int(found.idx), str(found.version)
    return None
