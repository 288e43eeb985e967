"""The dashboard's figures, as SQL aggregates over indexed ranges of the read models.

Every query here reads a projection (`hourly_totals`, `units`, `unit_outputs`,
`refrigerant_recoveries`, `lots`, `scales`), never `ledger_entries`, and bounds its rows by an
indexed column. The sums (units completed by category, station and hour; units received;
refrigerant recovered; outputs by fraction; yields) come from the hourly roll-up for the
range's whole UTC hours (ledger/hourly.py; at 1,400 units a day a month is ~37,000 roll-up
rows, most of them yields, instead of ~320,000 units, outputs and recoveries) and from the
per-unit rows for the parts of an hour at its edges (ranges in a zone whose offset is not
whole hours). What cannot be summed from hours reads the per-unit rows of the whole range:
cycle-time percentiles (per unit), work in progress, and the flags and refusals.

The alerts are the ledger's own flags (`rule_flags`: computed by ledger/rules/flags.py from
the entries, with the tolerances of the catalogue in force, and reviewed by managers), and
the refused attempts are `refusals` (attempt.refused records): the dashboard applies no
threshold of its own.

- the roll-up: its primary key (figure, hour, ...)
- units completed (cycle times, mass balance; sums at the edges):
  `ix_units_completed_at_figures`, which covers what those read
- units received per intake station at the edges: `ix_units_received_at_label`
- work in progress: `ix_units_state_received_at_label` (state = 'received')
- refrigerant recovered at the edges: `ix_refrigerant_recoveries_at_figures` (covering)
- outputs by fraction and station at the edges: `ix_unit_outputs_at`
- yields at the edges (outputs of the units completed there): `ix_units_completed_at_figures`,
  then `ix_unit_outputs_label` per unit
- fractions of the lots seen: the primary key of `lots`
- flags raised in the range: `rule_flags(raised_at)`; units out of balance per category: the
  same, then `units` by primary key
- refused attempts: `refusals(at, rule)`
- calibration: `scales` (one row per scale: a handful)

`tests/web/test_dashboard_units.py` checks each plan with EXPLAIN QUERY PLAN on SQLite, and
`tests/web/test_dashboard_rollup.py` that the roll-up gives the figures the per-unit rows give.
Times are UTC text `YYYY-MM-DDTHH:MM:SS.mmmZ`, so ranges compare as strings on both SQLite
and PostgreSQL (hours as their first 13 characters); masses are integer grams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from ledger.rules import reasons
from web.dashboard.ranges import Range, utc_text

ALERT_ROWS = 50  # alerts listed on the page per kind; exports list them all
QUANTILES = (50, 90)  # cycle time: median and p90


def _cycle_times(dialect: str) -> str:
    """SQL for the cycle times (received → completed) of a group of units, in integer
    milliseconds (exact: ledger times have milliseconds), as one comma-separated text: a
    month's 43,000 times come as a dozen rows, not 43,000 row objects to build and collect.

    PostgreSQL parses the times as timestamps without zone: ledger times are all UTC (the
    'Z', which that type ignores), so the difference is the same, and parsing is cheaper.
    SQLite's julianday difference is off by at most ~0.01 ms; rounding makes it exact."""
    if dialect == "postgresql":
        return ("STRING_AGG(CAST(CAST(ROUND(EXTRACT(EPOCH FROM (CAST(completed_at AS timestamp) "
                "- CAST(received_at AS timestamp))) * 1000) AS BIGINT) AS TEXT), ',')")
    return ("GROUP_CONCAT(CAST(ROUND((julianday(completed_at) - julianday(received_at)) "
            "* 86400000.0) AS INTEGER), ',')")


SQL: dict[str, str] = {
    # -- sums from the roll-up, over whole hours [:first_hour, :end_hour) --------------------
    "hourly_completed": """
        SELECT category, station, SUM(n), SUM(gross_g), SUM(outputs_g), SUM(refrigerant_g)
        FROM hourly_totals WHERE figure = 'completed' AND hour >= :first_hour
          AND hour < :end_hour
        GROUP BY category, station""",
    "hourly_per_hour": """
        SELECT hour, SUM(n)
        FROM hourly_totals WHERE figure = 'completed' AND hour >= :first_hour
          AND hour < :end_hour
        GROUP BY hour""",
    "hourly_received": """
        SELECT station, SUM(n)
        FROM hourly_totals WHERE figure = 'received' AND hour >= :first_hour
          AND hour < :end_hour
        GROUP BY station""",
    "hourly_refrigerants": """
        SELECT code, SUM(n), SUM(refrigerant_g), SUM(nameplate_g), station
        FROM hourly_totals WHERE figure = 'recovered' AND hour >= :first_hour
          AND hour < :end_hour
        GROUP BY code, station""",
    "hourly_outputs": """
        SELECT kind, code, lot, station, SUM(n), SUM(mass_g), SUM(count)
        FROM hourly_totals WHERE figure = 'output' AND hour >= :first_hour
          AND hour < :end_hour
        GROUP BY kind, code, lot, station""",
    "hourly_yields": """
        SELECT category, kind, code, lot, SUM(mass_g)
        FROM hourly_totals WHERE figure = 'yield' AND hour >= :first_hour
          AND hour < :end_hour
        GROUP BY category, kind, code, lot""",
    # -- the same sums from the per-unit rows, over [:start, :end) ----------------------------
    "completed": """
        SELECT category, completed_station, COUNT(*), SUM(gross_g), SUM(outputs_g),
               SUM(refrigerant_g)
        FROM units WHERE completed_at >= :start AND completed_at < :end
        GROUP BY category, completed_station""",
    "per_hour": """
        SELECT SUBSTR(completed_at, 1, 13), COUNT(*)
        FROM units WHERE completed_at >= :start AND completed_at < :end
        GROUP BY SUBSTR(completed_at, 1, 13)""",
    "received": """
        SELECT intake_station, COUNT(*)
        FROM units WHERE received_at >= :start AND received_at < :end
        GROUP BY intake_station""",
    "refrigerants": """
        SELECT refrigerant, COUNT(*), SUM(recovered_g), SUM(nameplate_charge_g), station
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
    # -- per unit over the whole range --------------------------------------------------------
    # per category: every completed unit's cycle time
    "units_completed": """
        SELECT category, {cycle_times}
        FROM units WHERE completed_at >= :start AND completed_at < :end
        GROUP BY category""",
    # `received_at >= ''` (always true) makes SQLite range over (state, received_at) instead
    # of walking the whole (category, completed_at) index to save the GROUP BY's sort.
    "wip": """
        SELECT category, COUNT(*), MIN(received_at), SUM(gross_g)
        FROM units WHERE state = 'received' AND received_at >= :epoch
        GROUP BY category""",
    # the ledger's flags raised in the range: how many of each code (and still open), the
    # first :limit of them, and the units out of mass balance (the code is picked and their
    # categories looked up in Python, by primary key: with statistics, SQLite answers a
    # join, an IN or a code filter here by walking a whole table)
    "flag_counts": """
        SELECT code, COUNT(*), SUM(CASE WHEN resolution IS NULL THEN 1 ELSE 0 END)
        FROM rule_flags WHERE raised_at >= :start AND raised_at < :end
        GROUP BY code""",
    "flags": """
        SELECT subject, code, flag_key, params, raised_at, resolution, review_index
        FROM rule_flags WHERE raised_at >= :start AND raised_at < :end
        ORDER BY raised_at, subject, code, flag_key LIMIT :limit""",
    "out_of_balance": """
        SELECT subject, code FROM rule_flags
        WHERE raised_at >= :start AND raised_at < :end""",
    "categories": "SELECT label, category FROM units WHERE label IN ({names})",
    # the attempts stations refused and recorded (attempt.refused)
    "refusal_counts": """
        SELECT rule, COUNT(*) FROM refusals WHERE at >= :start AND at < :end
        GROUP BY rule""",
    "refusals": """
        SELECT idx, at, station, operator, rule, attempted, about
        FROM refusals WHERE at >= :start AND at < :end
        ORDER BY at, rule LIMIT :limit""",
    "lots": "SELECT lot, fraction, hazardous FROM lots WHERE lot IN ({names})",
    "scales": "SELECT scale, last_check_at, last_check_passed, last_pass_at FROM scales",
}


Quantiles = tuple[float | None, ...]  # the cycle time at each of QUANTILES, in seconds


@dataclass
class Figures:
    """Raw figures for one range (integer grams, UTC text, seconds); the view formats them."""

    by_category: dict[str, dict[str, int]] = field(default_factory=dict)
    stations: dict[str, dict[str, int]] = field(default_factory=dict)
    per_hour: dict[str, int] = field(default_factory=dict)  # UTC 'YYYY-MM-DDTHH' -> units
    cycle: dict[str, Quantiles] = field(default_factory=dict)  # category -> median, p90
    cycle_all: Quantiles = (None,) * len(QUANTILES)
    wip: dict[str, dict[str, Any]] = field(default_factory=dict)
    refrigerants: dict[str, dict[str, int]] = field(default_factory=dict)
    fractions: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: dict[str, dict[str, int]] = field(default_factory=dict)
    yields: dict[str, dict[str, int]] = field(default_factory=dict)  # category -> fraction -> g
    flag_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> all, open
    flags: list[tuple[Any, ...]] = field(default_factory=list)
    refusal_counts: dict[str, int] = field(default_factory=dict)  # rule -> attempts refused
    refusals: list[tuple[Any, ...]] = field(default_factory=list)
    scales: list[tuple[Any, ...]] = field(default_factory=list)


def _int(value: Any) -> int:
    """A SUM as an int: PostgreSQL sums BIGINT to NUMERIC (Decimal), SQLite to int."""
    return int(value or 0)


def _station(figures: Figures, name: str | None) -> dict[str, int]:
    return figures.stations.setdefault(name or "—", {"received": 0, "recoveries": 0,
                                                     "outputs": 0, "completed": 0})


def _category(figures: Figures, name: str) -> dict[str, int]:
    return figures.by_category.setdefault(name, dict.fromkeys(
        ("units", "gross_g", "outputs_g", "refrigerant_g", "out_of_balance"), 0))


def percentile(n: int, value: Callable[[int], float], q: int) -> float | None:
    """The q-th percentile of `n` sorted values, `value(i)` being the i-th (0-based): linear
    between ranks, computed exactly as statistics.quantiles(method='inclusive') does, from
    the two values it interpolates between (not all 99 percentiles)."""
    if n == 0:
        return None
    if n == 1:
        return value(0)
    j, delta = divmod(q * (n - 1), 100)
    return (value(j) * (100 - delta) + value(j + 1) * delta) / 100


def whole_hours(span: Range) -> tuple[datetime, datetime] | None:
    """The whole UTC hours within the range, as [first, end), or None if there is none."""
    start, end = span.start.astimezone(UTC), span.end.astimezone(UTC)
    first = start.replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    last = end.replace(minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


def _by_key(conn: Connection, query: str, keys: Iterable[str]) -> dict[str, Any]:
    """key -> the rest of its row, for the keys named (primary-key lookups, in chunks)."""
    names = sorted(set(keys))
    found: dict[str, Any] = {}
    for i in range(0, len(names), 500):
        part = names[i:i + 500]
        binds = {f"l{n}": name for n, name in enumerate(part)}
        sql = SQL[query].format(names=", ".join(f":{key}" for key in binds))
        for key, *rest in conn.execute(text(sql), binds):
            found[key] = rest[0] if len(rest) == 1 else tuple(rest)
    return found


def lot_fractions(conn: Connection, lots: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """lot -> (fraction, hazardous), for the lots named."""
    return {lot: (fraction, bool(hazardous))
            for lot, (fraction, hazardous) in _by_key(conn, "lots", lots).items()}


class _Reader:
    """The queries of one `collect`, on one connection, with the range's bounds."""

    def __init__(self, conn: Connection, span: Range):
        self.conn = conn
        self.bounds = {"start": span.start_utc, "end": span.end_utc}

    def run(self, name: str, **params: Any) -> Any:
        sql = SQL[name].replace("{cycle_times}", _cycle_times(self.conn.dialect.name))
        return self.conn.execute(text(sql), {**self.bounds, **params})


def _sums(read: _Reader, figures: Figures, source: str, **bounds: str) -> tuple[list, list]:
    """Add the summable figures of a stretch, from the roll-up (`source` 'hourly_', bounds
    first_hour and end_hour) or the per-unit rows ('', start and end); returns the output and
    yield rows (their lots are looked up once, for every stretch)."""
    for category, station, n, gross, outputs, refrigerant in read.run(
            source + "completed", **bounds):
        row = _category(figures, category)
        row["units"] += _int(n)
        row["gross_g"] += _int(gross)
        row["outputs_g"] += _int(outputs)
        row["refrigerant_g"] += _int(refrigerant)
        _station(figures, station)["completed"] += _int(n)
    for hour, n in read.run(source + "per_hour", **bounds):
        figures.per_hour[hour] = figures.per_hour.get(hour, 0) + _int(n)
    for station, n in read.run(source + "received", **bounds):
        _station(figures, station)["received"] += _int(n)
    for gas, n, recovered, charge, station in read.run(source + "refrigerants", **bounds):
        row = figures.refrigerants.setdefault(gas, {"recoveries": 0, "recovered_g": 0,
                                                    "nameplate_g": 0})
        row["recoveries"] += _int(n)
        row["recovered_g"] += _int(recovered)
        row["nameplate_g"] += _int(charge)
        _station(figures, station)["recoveries"] += _int(n)
    return (read.run(source + "outputs", **bounds).all(),
            read.run(source + "yields", **bounds).all())


def _outputs(conn: Connection, figures: Figures, outputs: list, yields: list) -> None:
    """Outputs by fraction (the fraction of the lot they went into) and component, and yields."""
    lots = lot_fractions(conn, [r[2] for r in outputs if r[2]] + [r[3] for r in yields if r[3]])
    for kind, code, lot, station, n, mass, count in outputs:
        fraction, hazardous = lots.get(lot, (code, False)) if lot else (code, False)
        row = figures.fractions.setdefault(fraction, {"entries": 0, "mass_g": 0,
                                                      "hazardous": hazardous})
        row["entries"] += _int(n)
        row["mass_g"] += _int(mass)
        row["hazardous"] = row["hazardous"] or hazardous
        if kind == "component":
            part = figures.components.setdefault(code, {"entries": 0, "count": 0, "mass_g": 0})
            part["entries"] += _int(n)
            part["count"] += _int(count)
            part["mass_g"] += _int(mass)
        _station(figures, station)["outputs"] += _int(n)
    for category, _kind, code, lot, mass in yields:
        fraction = lots.get(lot, (code, False))[0] if lot else code
        per = figures.yields.setdefault(category, {})
        per[fraction] = per.get(fraction, 0) + _int(mass)


def _units_completed(read: _Reader, figures: Figures) -> None:
    """Cycle-time percentiles per category and over all, from one pass over the range's
    completed units (an index-only scan), and the units the ledger flagged out of mass
    balance per category. Every
    unit's time is read and sorted here: at a month of 43,000 units that costs less than
    ranking them with SQL window functions (by ~50 ms on SQLite and on PostgreSQL)."""
    times: dict[str, list[int]] = {}
    for category, joined in read.run("units_completed"):
        times[category] = sorted(map(int, joined.split(",")))
    labels = [subject.split(":", 1)[1] for subject, code in read.run("out_of_balance")
              if code == reasons.MASS_BALANCE.code]
    for category in _by_key(read.conn, "categories", labels).values():
        _category(figures, category)["out_of_balance"] += 1
    every = sorted(ms for values in times.values() for ms in values)
    figures.cycle = {category: _quantiles(values) for category, values in times.items()}
    figures.cycle_all = _quantiles(every)


def _quantiles(milliseconds: list[int]) -> Quantiles:
    """The QUANTILES of sorted cycle times, in seconds."""
    return tuple(percentile(len(milliseconds), lambda i: milliseconds[i] / 1000, q)
                 for q in QUANTILES)


def collect(conn: Connection, span: Range, *, alert_rows: int | None = ALERT_ROWS,
            rollup: bool = True) -> Figures:
    """Every figure of the dashboard for `span`, in one read transaction.

    The sums come from the roll-up for the range's whole hours and from the per-unit rows for
    the rest; `rollup=False` reads them all from the per-unit rows (the same figures, slower
    on long ranges: tests compare the two).
    """
    figures = Figures()
    read = _Reader(conn, span)
    limit = alert_rows if alert_rows is not None else 2**62
    hours = whole_hours(span) if rollup else None
    outputs: list = []
    yields: list = []
    if hours is None:
        stretches = [(span.start_utc, span.end_utc)]
    else:
        first, end = hours
        more = _sums(read, figures, "hourly_", first_hour=first.strftime("%Y-%m-%dT%H"),
                     end_hour=end.strftime("%Y-%m-%dT%H"))
        outputs, yields = outputs + more[0], yields + more[1]
        stretches = [(span.start_utc, utc_text(first)), (utc_text(end), span.end_utc)]
    for start, end_utc in stretches:
        if start < end_utc:
            more = _sums(read, figures, "", start=start, end=end_utc)
            outputs, yields = outputs + more[0], yields + more[1]
    _outputs(conn, figures, outputs, yields)
    _units_completed(read, figures)
    for category, n, oldest, gross in read.run("wip", epoch=""):
        figures.wip[category] = {"units": n, "oldest": oldest, "gross_g": _int(gross)}
    figures.flag_counts = {code: (_int(n), _int(still_open))
                           for code, n, still_open in read.run("flag_counts")}
    figures.flags = [tuple(r) for r in read.run("flags", limit=limit)]
    figures.refusal_counts = {rule: _int(n) for rule, n in read.run("refusal_counts")}
    figures.refusals = [tuple(r) for r in read.run("refusals", limit=limit)]
    figures.scales = [tuple(r) for r in conn.execute(text(SQL["scales"]))]
    return figures


def explain(conn: Connection, span: Range, **params: Any) -> dict[str, list[str]]:
    """SQLite's EXPLAIN QUERY PLAN of each query (the `detail` lines), for tests and reports."""
    plans: dict[str, list[str]] = {}
    binds = {**example_binds(span), **params}
    for name, sql in SQL.items():
        if "{names}" in sql:
            sql = sql.format(names=":l0")
            binds["l0"] = "LOT"
        sql = sql.replace("{cycle_times}", _cycle_times("sqlite"))
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), binds).all()
        plans[name] = [row[-1] for row in rows]
    return plans


def example_binds(span: Range) -> dict[str, Any]:
    """Values for every query's parameters, for plans of `span`'s queries."""
    first, end = whole_hours(span) or (span.start, span.start)
    return {"start": span.start_utc, "end": span.end_utc, "epoch": "",
            "limit": 10,
            "first_hour": first.strftime("%Y-%m-%dT%H"),
            "end_hour": end.strftime("%Y-%m-%dT%H")}
