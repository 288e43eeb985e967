"""The dashboard's figures, as SQL aggregates over indexed ranges of the read models.

Every query here reads a projection (`units`, `unit_outputs`, `refrigerant_recoveries`,
`lots`, `scales`), never `ledger_entries`, and bounds its rows by an indexed column:

- units completed (by category and station, by hour; cycle times; mass balance):
  `ix_units_completed_at`
- units received per intake station: `ix_units_received_at`
- work in progress: `ix_units_state_received_at` (state = 'received')
- refrigerant recovered, low recovery: `ix_refrigerant_recoveries_at`
- outputs by fraction and station: `ix_unit_outputs_at`
- yields (outputs of the units completed in the range): `ix_units_completed_at`, then
  `ix_unit_outputs_label` per unit
- fractions of the lots seen: the primary key of `lots`
- calibration: `scales` (one row per scale: a handful)

`tests/web/test_dashboard_queries.py` checks each plan with EXPLAIN QUERY PLAN on SQLite.
Times are UTC text `YYYY-MM-DDTHH:MM:SS.mmmZ`, so ranges compare as strings on both SQLite
and PostgreSQL; masses are integer grams.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from web.dashboard.ranges import Range

ALERT_ROWS = 50  # alerts listed on the page per kind; exports list them all


def _seconds(dialect: str) -> str:
    """SQL for a completed unit's cycle time in seconds (received → completed)."""
    if dialect == "postgresql":
        return ("EXTRACT(EPOCH FROM (CAST(completed_at AS timestamptz) "
                "- CAST(received_at AS timestamptz)))")
    return "(julianday(completed_at) - julianday(received_at)) * 86400.0"


SQL: dict[str, str] = {
    "by_category": """
        SELECT category, completed_station, COUNT(*), SUM(gross_g), SUM(outputs_g),
               SUM(refrigerant_g),
               SUM(CASE WHEN gross_g > 0 AND ABS(outputs_g + refrigerant_g - gross_g) * 100.0
                        > :mass_balance_pct * gross_g THEN 1 ELSE 0 END)
        FROM units WHERE completed_at >= :start AND completed_at < :end
        GROUP BY category, completed_station""",
    "received_by_station": """
        SELECT intake_station, COUNT(*), SUM(gross_g)
        FROM units WHERE received_at >= :start AND received_at < :end
        GROUP BY intake_station""",
    "per_hour": """
        SELECT SUBSTR(completed_at, 1, 13), COUNT(*)
        FROM units WHERE completed_at >= :start AND completed_at < :end
        GROUP BY SUBSTR(completed_at, 1, 13)""",
    "cycle": """
        SELECT category, {seconds}
        FROM units WHERE completed_at >= :start AND completed_at < :end""",
    # `received_at >= ''` (always true) makes SQLite range over (state, received_at) instead
    # of walking the whole (category, completed_at) index to save the GROUP BY's sort.
    "wip": """
        SELECT category, COUNT(*), MIN(received_at), SUM(gross_g)
        FROM units WHERE state = 'received' AND received_at >= :epoch
        GROUP BY category""",
    "refrigerants": """
        SELECT refrigerant, COUNT(*), SUM(recovered_g), SUM(nameplate_charge_g),
               station
        FROM refrigerant_recoveries WHERE at >= :start AND at < :end
        GROUP BY refrigerant, station""",
    "outputs": """
        SELECT kind, code, lot, station, COUNT(*), SUM(mass_g), SUM(count)
        FROM unit_outputs WHERE at >= :start AND at < :end
        GROUP BY kind, code, lot, station""",
    "yields": """
        SELECT u.category, o.kind, o.code, o.lot, SUM(o.mass_g)
        FROM units u JOIN unit_outputs o ON o.label = u.label
        WHERE u.completed_at >= :start AND u.completed_at < :end
        GROUP BY u.category, o.kind, o.code, o.lot""",
    "low_recovery_count": """
        SELECT COUNT(*) FROM (
          SELECT label FROM refrigerant_recoveries
          WHERE at >= :start AND at < :end AND nameplate_charge_g > 0
          GROUP BY label, refrigerant
          HAVING SUM(recovered_g) * 100.0 < :low_recovery_pct * MAX(nameplate_charge_g)) AS low""",
    "low_recovery": """
        SELECT label, refrigerant, SUM(recovered_g), MAX(nameplate_charge_g), MAX(at),
               MAX(station)
        FROM refrigerant_recoveries
        WHERE at >= :start AND at < :end AND nameplate_charge_g > 0
        GROUP BY label, refrigerant
        HAVING SUM(recovered_g) * 100.0 < :low_recovery_pct * MAX(nameplate_charge_g)
        ORDER BY MAX(at), label LIMIT :limit""",
    "mass_balance": """
        SELECT label, category, gross_g, outputs_g, refrigerant_g, completed_at,
               completed_station
        FROM units
        WHERE completed_at >= :start AND completed_at < :end AND gross_g > 0
          AND ABS(outputs_g + refrigerant_g - gross_g) * 100.0 > :mass_balance_pct * gross_g
        ORDER BY completed_at, label LIMIT :limit""",
    "lots": "SELECT lot, fraction, hazardous FROM lots WHERE lot IN ({names})",
    "scales": "SELECT scale, last_check_at, last_check_passed, last_pass_at FROM scales",
}


@dataclass
class Figures:
    """Raw figures for one range (integer grams, UTC text, seconds); the view formats them."""

    by_category: dict[str, dict[str, int]] = field(default_factory=dict)
    stations: dict[str, dict[str, int]] = field(default_factory=dict)
    per_hour: dict[str, int] = field(default_factory=dict)  # UTC 'YYYY-MM-DDTHH' -> units
    cycle: dict[str, list[float]] = field(default_factory=dict)  # category -> seconds, sorted
    wip: dict[str, dict[str, Any]] = field(default_factory=dict)
    refrigerants: dict[str, dict[str, int]] = field(default_factory=dict)
    fractions: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: dict[str, dict[str, int]] = field(default_factory=dict)
    yields: dict[str, dict[str, int]] = field(default_factory=dict)  # category -> fraction -> g
    low_recovery: list[tuple[Any, ...]] = field(default_factory=list)
    low_recovery_count: int = 0
    mass_balance: list[tuple[Any, ...]] = field(default_factory=list)
    scales: list[tuple[Any, ...]] = field(default_factory=list)


def _int(value: Any) -> int:
    """A SUM as an int: PostgreSQL sums BIGINT to NUMERIC (Decimal), SQLite to int."""
    return int(value or 0)


def _station(figures: Figures, name: str | None) -> dict[str, int]:
    return figures.stations.setdefault(name or "—", {"received": 0, "recoveries": 0,
                                                     "outputs": 0, "completed": 0})


def lot_fractions(conn: Connection, lots: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """lot -> (fraction, hazardous), for the lots named (primary-key lookups, in chunks)."""
    names = sorted(set(lots))
    found: dict[str, tuple[str, bool]] = {}
    for i in range(0, len(names), 500):
        part = names[i:i + 500]
        binds = {f"l{n}": name for n, name in enumerate(part)}
        sql = SQL["lots"].format(names=", ".join(f":{key}" for key in binds))
        for lot, fraction, hazardous in conn.execute(text(sql), binds):
            found[lot] = (fraction, bool(hazardous))
    return found


def collect(conn: Connection, span: Range, *, mass_balance_pct: float,
            low_recovery_pct: float, alert_rows: int | None = ALERT_ROWS) -> Figures:
    """Every figure of the dashboard for `span`, in one read transaction."""
    figures = Figures()
    bounds = {"start": span.start_utc, "end": span.end_utc}
    limit = alert_rows if alert_rows is not None else 2**62

    def run(name: str, **extra: Any) -> Any:
        sql = SQL[name].replace("{seconds}", _seconds(conn.dialect.name))
        return conn.execute(text(sql), {**bounds, **extra})

    for category, station, n, gross, outputs, refrigerant, off in run(
            "by_category", mass_balance_pct=mass_balance_pct):
        row = figures.by_category.setdefault(category, dict.fromkeys(
            ("units", "gross_g", "outputs_g", "refrigerant_g", "out_of_balance"), 0))
        row["units"] += n
        row["gross_g"] += _int(gross)
        row["outputs_g"] += _int(outputs)
        row["refrigerant_g"] += _int(refrigerant)
        row["out_of_balance"] += _int(off)
        _station(figures, station)["completed"] += n
    for station, n, _gross in run("received_by_station"):
        _station(figures, station)["received"] += n
    figures.per_hour = {hour: n for hour, n in run("per_hour")}
    cycles: dict[str, list[float]] = defaultdict(list)
    for category, seconds in run("cycle"):
        if seconds is not None:
            cycles[category].append(float(seconds))
    figures.cycle = {category: sorted(values) for category, values in cycles.items()}
    for category, n, oldest, gross in run("wip", epoch=""):
        figures.wip[category] = {"units": n, "oldest": oldest, "gross_g": _int(gross)}
    for gas, n, recovered, charge, station in run("refrigerants"):
        row = figures.refrigerants.setdefault(gas, {"recoveries": 0, "recovered_g": 0,
                                                    "nameplate_g": 0})
        row["recoveries"] += n
        row["recovered_g"] += _int(recovered)
        row["nameplate_g"] += _int(charge)
        _station(figures, station)["recoveries"] += n

    outputs = run("outputs").all()
    yields = run("yields").all()
    lots = lot_fractions(conn, [r[2] for r in outputs if r[2]] + [r[3] for r in yields if r[3]])
    for kind, code, lot, station, n, mass, count in outputs:
        fraction, hazardous = lots.get(lot, (code, False)) if lot else (code, False)
        row = figures.fractions.setdefault(fraction, {"entries": 0, "mass_g": 0,
                                                      "hazardous": hazardous})
        row["entries"] += n
        row["mass_g"] += _int(mass)
        row["hazardous"] = row["hazardous"] or hazardous
        if kind == "component":
            part = figures.components.setdefault(code, {"entries": 0, "count": 0, "mass_g": 0})
            part["entries"] += n
            part["count"] += _int(count)
            part["mass_g"] += _int(mass)
        _station(figures, station)["outputs"] += n
    for category, _kind, code, lot, mass in yields:
        fraction = lots.get(lot, (code, False))[0] if lot else code
        per = figures.yields.setdefault(category, {})
        per[fraction] = per.get(fraction, 0) + _int(mass)

    figures.low_recovery_count = run("low_recovery_count",
                                     low_recovery_pct=low_recovery_pct).scalar_one()
    figures.low_recovery = [(label, gas, _int(got), _int(plate), at, station)
                            for label, gas, got, plate, at, station in run(
                                "low_recovery", low_recovery_pct=low_recovery_pct, limit=limit)]
    figures.mass_balance = [tuple(r) for r in run("mass_balance",
                                                  mass_balance_pct=mass_balance_pct,
                                                  limit=limit)]
    figures.scales = [tuple(r) for r in conn.execute(text(SQL["scales"]))]
    return figures


def explain(conn: Connection, span: Range, **params: Any) -> dict[str, list[str]]:
    """SQLite's EXPLAIN QUERY PLAN of each query (the `detail` lines), for tests and reports."""
    plans: dict[str, list[str]] = {}
    binds = {"start": span.start_utc, "end": span.end_utc, "mass_balance_pct": 5, "epoch": "",
             "low_recovery_pct": 90, "limit": 10, **params}
    for name, sql in SQL.items():
        if name == "lots":
            sql = sql.format(names=":l0")
            binds["l0"] = "LOT"
        sql = sql.replace("{seconds}", _seconds("sqlite"))
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), binds).all()
        plans[name] = [row[-1] for row in rows]
    return plans
