"""The dashboard from the hourly roll-up gives exactly the figures the per-unit rows give: a
plant seeded by the console benchmark's generator over two months (with corrections and voids
on top), on SQLite and PostgreSQL, for the month, a week, a shift and a day, in a zone with
whole-hour offsets and in one with half-hour offsets (edges read from the per-unit rows).
Cycle times are exact to the millisecond: what PostgreSQL gave before; SQLite's julianday
difference was off by float error (< 0.1 ms)."""

from __future__ import annotations

import importlib.util
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import plant
from sqlalchemy import text

from ledger import catalogue
from ledger.events import parse_event
from ledger.log import Ledger, Submission
from ledger.store import migrate, open_engine
from web.dashboard import queries, ranges, settings

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_console.py"
SHIFTS = settings.parse_shifts(settings.DEFAULT_SHIFTS)
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def _bench():
    spec = importlib.util.spec_from_file_location("bench_console", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def events() -> list[dict]:
    """Two months of a small plant (25 units a day), as the benchmark generates them."""
    return list(_bench().Plant(25 * 56, per_day=25).events())


@pytest.fixture
def seeded(db_url, events):
    engine = open_engine(db_url)
    migrate(engine)
    ledger = Ledger(engine)
    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    for start in range(0, len(events), 2000):
        ledger.append([Submission(parse_event(obj)) for obj in events[start:start + 2000]])
    _correct(ledger, events)
    yield engine
    engine.dispose()


def _correct(ledger: Ledger, events: list[dict]) -> None:
    """Corrections in October: a unit's category and gross weight (a laptop's record, which
    the rules also accept as a desktop PC's at 3 kg or more), a voided output, a voided
    completion and a voided intake."""
    index = {(e["type"], e["subject"]): i for i, e in enumerate(events, 1)}  # 0: catalogue
    intake = {e["subject"]: e["data"] for e in events if e["type"] == "unit.received"}
    october = [e["subject"] for e in events
               if e["type"] == "unit.completed" and e["time"].startswith("2026-10-1")]
    laptop = next(s for s in october if intake[s]["category"] == "laptop")
    october.remove(laptop)
    october.insert(0, laptop)
    output = next(i for i, e in enumerate(events, 1)
                  if e["type"] == "material.output" and e["subject"] == october[3])

    def fix(subject, target, **change):
        return plant("correction", subject, {"corrects": target, "reason": "test",
                                             "approved_by": "M-0001", **change})

    ledger.append([
        fix(laptop, index[("unit.received", laptop)],
            set={"category": "desktop_pc", "gross_g": max(3_000, intake[laptop]["gross_g"])}),
        fix(october[1], index[("unit.completed", october[1])], void=True),
        fix(october[2], index[("unit.received", october[2])], void=True),
        fix(october[3], output, void=True),
    ])


# Cycle time in seconds as the dashboard computed it before the roll-up (PostgreSQL: a numeric)
OLD_SECONDS = {"sqlite": "(julianday(completed_at) - julianday(received_at)) * 86400.0",
               "postgresql": "EXTRACT(EPOCH FROM (CAST(completed_at AS timestamptz) "
                             "- CAST(received_at AS timestamptz)))"}


def _cycles(conn, span) -> dict[str | None, list[tuple[float, float]]]:
    """Every completed unit's cycle time (None: all categories), exact from its times, and as
    the dashboard computed it before (from which it may differ on SQLite by float error)."""
    rows = conn.execute(text(f"SELECT category, received_at, completed_at, "
                             f"{OLD_SECONDS[conn.dialect.name]} FROM units "
                             "WHERE completed_at >= :start AND completed_at < :end"),
                        {"start": span.start_utc, "end": span.end_utc}).all()
    cycles: dict[str | None, list[tuple[float, float]]] = {None: []}
    for category, received, completed, old in rows:
        exact = (datetime.fromisoformat(completed) - datetime.fromisoformat(received))
        pair = (exact.total_seconds(), float(old))
        cycles.setdefault(category, []).append(pair)
        cycles[None].append(pair)
    return cycles


def _quantiles(values: list[float]) -> tuple[float | None, ...]:
    if not values:
        return (None, None)
    if len(values) == 1:
        return (values[0], values[0])
    every = statistics.quantiles(values, n=100, method="inclusive")
    return (every[49], every[89])


def test_rollup_figures_equal_the_per_unit_figures(seeded):
    for zone in ("Asia/Shanghai", "Asia/Kolkata"):
        _compare(seeded, ZoneInfo(zone))


def _compare(engine, zone: ZoneInfo) -> None:
    spans = {
        "month": {"range": "custom", "from": "2026-10-01", "to": "2026-10-31"},
        "week": {"range": "week"},
        "shift": {"range": "shift", "shift": "day", "date": "2026-10-14"},
        "day": {"range": "custom", "from": "2026-10-14", "to": "2026-10-14"},
    }
    with engine.connect() as conn:
        for name, args in spans.items():
            span = ranges.parse(args, zone, SHIFTS, NOW)
            hourly, rows = (queries.collect(conn, span, alert_rows=None,
                                            rollup=rollup) for rollup in (True, False))
            assert hourly == rows, (zone, name)
            cycles = _cycles(conn, span)
            exact = {c: [e for e, _ in pairs] for c, pairs in cycles.items()}
            assert hourly.cycle == {c: _quantiles(v) for c, v in exact.items() if c}, name
            assert hourly.cycle_all == _quantiles(exact[None]), name
            before = (0.0 if conn.dialect.name == "postgresql" else 1e-4)  # julianday
            assert all(abs(e - o) <= before for e, o in cycles[None]), name
        month = ranges.parse(spans["month"], zone, SHIFTS, NOW)
        figures = queries.collect(conn, month)
    # the month has what the generator makes: every kind of figure, some alerts
    assert sum(row["units"] for row in figures.by_category.values()) > 700
    assert figures.refrigerants and figures.components and figures.yields
    assert figures.flag_counts
    assert "desktop_pc" in figures.by_category  # the corrected category
    first, end = queries.whole_hours(month)
    whole = zone.key == "Asia/Shanghai"
    assert (first == month.start and end == month.end) is whole  # Kolkata: half-hour edges


def test_whole_hours_of_a_range():
    kolkata = ZoneInfo("Asia/Kolkata")
    day = ranges.parse({"range": "custom", "from": "2026-10-14", "to": "2026-10-14"}, kolkata,
                       SHIFTS, NOW)
    first, end = queries.whole_hours(day)
    assert (day.start_utc, first.isoformat(), end.isoformat(), day.end_utc) == (
        "2026-10-13T18:30:00.000Z", "2026-10-13T19:00:00+00:00", "2026-10-14T18:00:00+00:00",
        "2026-10-14T18:30:00.000Z")
    short = ranges.Range("custom", datetime(2026, 10, 14, 9, 10, tzinfo=UTC),
                         datetime(2026, 10, 14, 9, 50, tzinfo=UTC))
    assert queries.whole_hours(short) is None


def test_percentile_reads_two_ranks_like_statistics():
    values = sorted([3.5, 1.25, 9.0, 7.75, 2.0, 2.0, 11.5])
    for q in (1, 50, 90, 99):
        expected = statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        assert queries.percentile(len(values), values.__getitem__, q) == expected
    assert queries.percentile(0, values.__getitem__, 50) is None
    assert queries.percentile(1, [4.0].__getitem__, 90) == 4.0
    assert queries.Figures().cycle_all == (None, None)
