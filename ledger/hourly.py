"""The hourly roll-up (`hourly_totals`): what each unit adds to the dashboard's sums per UTC
hour, and how an append changes them.

A unit's share of the roll-up is a pure function of its read-model rows (its `units` row,
its `unit_outputs` and `refrigerant_recoveries` rows): `unit_totals`. The projector keeps the
roll-up equal to the sum of every unit's share by adding, for each unit an append touches,
its share after the append minus its share before (a correction re-derives the unit's rows,
so the old share is taken back and the new one added). Rows whose count falls to zero are
deleted, so the table always equals a recomputation from the read models.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.store import Tx, execute

Row = dict[str, Any]
# figure, hour, category, station, kind, code, lot: the key of a row of hourly_totals
Key = tuple[str, str, str, str, str, str, str]
KEY = ("figure", "hour", "category", "station", "kind", "code", "lot")
MEASURES = ("n", "gross_g", "outputs_g", "refrigerant_g", "mass_g", "count", "nameplate_g")


def hour(moment: str) -> str:
    """The UTC hour of a ledger time: '2026-11-20T08:15:30.123Z' -> '2026-11-20T08'."""
    return moment[:13]


class Totals:
    """Sums per key, added to or taken from (a share, or a change to the table)."""

    def __init__(self) -> None:
        self.sums: dict[Key, list[int]] = {}

    def add(self, figure: str, moment: str, *, category: str = "", station: str | None = "",
            kind: str = "", code: str = "", lot: str | None = "", sign: int = 1,
            **measures: int | None) -> None:
        key = (figure, hour(moment), category, station or "", kind, code, lot or "")
        sums = self.sums.setdefault(key, [0] * len(MEASURES))
        sums[0] += sign
        for name, value in measures.items():
            sums[MEASURES.index(name)] += sign * (value or 0)

    def merge(self, other: Totals, sign: int = 1) -> None:
        for key, values in other.sums.items():
            sums = self.sums.setdefault(key, [0] * len(MEASURES))
            for i, value in enumerate(values):
                sums[i] += sign * value

    def changes(self) -> dict[Key, list[int]]:
        """The keys whose sums are not all zero."""
        return {key: sums for key, sums in self.sums.items() if any(sums)}


def unit_totals(unit: Row | None, outputs: Iterable[Row], recoveries: Iterable[Row]) -> Totals:
    """A unit's share of the roll-up, from its read-model rows (`unit` None: its intake was
    voided; outputs and recoveries logged before that still count where the dashboard counts
    them by their own time)."""
    totals = Totals()
    done = unit is not None and unit["completed_at"] is not None
    if unit is not None:
        totals.add("received", unit["received_at"], station=unit["intake_station"],
                   gross_g=unit["gross_g"])
        if done:
            totals.add("completed", unit["completed_at"], category=unit["category"],
                       station=unit["completed_station"], gross_g=unit["gross_g"],
                       outputs_g=unit["outputs_g"], refrigerant_g=unit["refrigerant_g"])
    for row in outputs:
        totals.add("output", row["at"], station=row["station"], kind=row["kind"],
                   code=row["code"], lot=row["lot"], mass_g=row["mass_g"], count=row["count"])
        if done:
            assert unit is not None
            totals.add("yield", unit["completed_at"], category=unit["category"],
                       kind=row["kind"], code=row["code"], lot=row["lot"],
                       mass_g=row["mass_g"])
    for row in recoveries:
        totals.add("recovered", row["at"], station=row["station"], code=row["refrigerant"],
                   refrigerant_g=row["recovered_g"], nameplate_g=row["nameplate_charge_g"])
    return totals


# Written out (not built from KEY and MEASURES) so the statements read as they run.
_UPSERT = """
    INSERT INTO hourly_totals (figure, hour, category, station, kind, code, lot, n, gross_g,
                               outputs_g, refrigerant_g, mass_g, count, nameplate_g)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (figure, hour, category, station, kind, code, lot) DO UPDATE SET
        n = hourly_totals.n + excluded.n,
        gross_g = hourly_totals.gross_g + excluded.gross_g,
        outputs_g = hourly_totals.outputs_g + excluded.outputs_g,
        refrigerant_g = hourly_totals.refrigerant_g + excluded.refrigerant_g,
        mass_g = hourly_totals.mass_g + excluded.mass_g,
        count = hourly_totals.count + excluded.count,
        nameplate_g = hourly_totals.nameplate_g + excluded.nameplate_g"""
_DELETE_EMPTIED = """
    DELETE FROM hourly_totals WHERE figure = ? AND hour = ? AND category = ? AND station = ?
        AND kind = ? AND code = ? AND lot = ? AND n = 0"""


def write(conn: Tx, change: Totals) -> None:
    """Add `change` to hourly_totals, then drop the rows it brought to a count of zero."""
    changes = change.changes()
    keys = sorted(changes)
    if keys:
        execute(conn, _UPSERT, [(*key, *changes[key]) for key in keys])
    emptied = [key for key in keys if changes[key][0] < 0]
    if emptied:
        execute(conn, _DELETE_EMPTIED, emptied)
