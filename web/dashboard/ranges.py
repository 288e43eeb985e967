"""Which stretch of time the dashboard shows: today, this shift, this week or chosen dates.

Days, shifts and weeks are the plant's (its time zone, DLEDGER_TIMEZONE); the queries compare
UTC text, so a range becomes two UTC bounds `[start, end)` in the ledger's own format
(`2026-11-20T00:00:00.000Z`), which sort like the times stored in the read models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from web.dashboard.settings import Shift

KINDS = ("today", "shift", "week", "custom")
MAX_DAYS = 366  # a custom range longer than a year is refused: use exports per year
HOURLY_UP_TO = timedelta(days=2)  # longer ranges chart units per day, not per hour


class RangeError(ValueError):
    """The range asked for is not one the dashboard can show; the message says why and what
    to give instead (shown on the page, in the user's language, by the view)."""

    def __init__(self, code: str, **values: object):
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Range:
    kind: str  # today, shift, week or custom
    start: datetime  # aware, in the plant's zone
    end: datetime  # exclusive
    shift: Shift | None = None

    @property
    def start_utc(self) -> str:
        return utc_text(self.start)

    @property
    def end_utc(self) -> str:
        return utc_text(self.end)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The last calendar day the range touches (the end is exclusive)."""
        return (self.end - timedelta(microseconds=1)).date()

    @property
    def length(self) -> timedelta:
        """Elapsed time (in UTC: a same-zone subtraction would ignore a DST change)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    @property
    def hourly(self) -> bool:
        return self.length <= HOURLY_UP_TO

    @property
    def hours(self) -> float:
        return self.length.total_seconds() / 3600

    def query(self) -> dict[str, str]:
        """The URL arguments that select this range again (for links and exports)."""
        if self.kind == "custom":
            return {"range": "custom", "from": self.first_day.isoformat(),
                    "to": self.last_day.isoformat()}
        if self.kind == "shift" and self.shift is not None:
            return {"range": "shift", "shift": self.shift.name,
                    "date": self.start.date().isoformat()}
        return {"range": self.kind}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.astimezone(UTC).microsecond // 1000:03d}Z"


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _at(day: date, clock: object, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)  # type: ignore[arg-type]


def shift_span(shift: Shift, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The shift that starts on `day` (an overnight shift ends the next day)."""
    start = _at(day, shift.start, zone)
    end = _at(day + timedelta(days=1) if shift.overnight else day, shift.end, zone)
    return start, end


def current_shift(shifts: tuple[Shift, ...], now: datetime, zone: ZoneInfo) -> Range:
    """The shift running at `now`; between shifts, the one that ended last."""
    local = now.astimezone(zone)
    best: tuple[datetime, datetime, Shift] | None = None
    for shift in shifts:
        for day in (local.date() - timedelta(days=1), local.date()):
            start, end = shift_span(shift, day, zone)
            if start <= local < end:
                return Range("shift", start, end, shift)
            if end <= local and (best is None or end > best[1]):
                best = (start, end, shift)
    assert best is not None  # every shift ended at least once within the last two days
    return Range("shift", best[0], best[1], best[2])


def _day(text: str | None, field: str) -> date:
    if not text:
        raise RangeError("missing", field=field)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise RangeError("bad_date", field=field, value=text[:40]) from None
    if not 2000 <= day.year <= 2100:
        raise RangeError("bad_date", field=field, value=text[:40])
    return day


def parse(args: Mapping[str, str], zone: ZoneInfo, shifts: tuple[Shift, ...],
          now: datetime) -> Range:
    """The range that URL arguments ask for (default: today); raises RangeError."""
    kind = (args.get("range") or "today").strip()
    local = now.astimezone(zone)
    if kind == "today":
        start = midnight(local.date(), zone)
        return Range("today", start, midnight(local.date() + timedelta(days=1), zone))
    if kind == "week":  # ISO week: Monday to Sunday
        monday = local.date() - timedelta(days=local.weekday())
        return Range("week", midnight(monday, zone), midnight(monday + timedelta(days=7), zone))
    if kind == "shift":
        name, day = args.get("shift"), args.get("date")
        if not name and not day:
            return current_shift(shifts, now, zone)
        shift = next((s for s in shifts if s.name == name), None)
        if shift is None:
            raise RangeError("bad_shift", value=(name or "")[:40],
                             known=", ".join(s.name for s in shifts))
        start, end = shift_span(shift, _day(day, "date"), zone)
        return Range("shift", start, end, shift)
    if kind == "custom":
        first, last = _day(args.get("from"), "from"), _day(args.get("to"), "to")
        if last < first:
            raise RangeError("reversed", first=first.isoformat(), last=last.isoformat())
        if (last - first).days + 1 > MAX_DAYS:
            raise RangeError("too_long", days=(last - first).days + 1, limit=MAX_DAYS)
        return Range("custom", midnight(first, zone), midnight(last + timedelta(days=1), zone))
    raise RangeError("bad_kind", value=kind[:40])
