"""What the sampling pages show of one drawn day: its units with their records and evidence,
one page at a time, and its 物料系数 check over all its units.

The facts come from ledger/: the read models through ledger/fund/sample_days.py, each unit's
entries through `Ledger.subject_bodies` (one query for a page of units), the evidence
references through ledger/fund/evidence.py and the check through ledger/fund/sampling.py.
Nothing here reads `ledger_entries` itself or judges a figure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from ledger.catalogue import Catalogue
from ledger.corrections import effective
from ledger.fund import sample_days
from ledger.fund.evidence import Step, unit_steps
from ledger.fund.sampling import CategoryCheck, check_day, status_of
from web.certificates.subjects import subject_of
from web.context import console, engine, ledger

PAGE = 25  # units with their records and evidence per page of a day
CERTIFICATES_SCANNED = 500  # the latest certificates searched for a unit's own
_CURSOR = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~(.{1,130})$")


@dataclass(frozen=True)
class Certificate:
    sha256: str
    index: int  # its certificate.issued entry
    revoked: bool


@dataclass(frozen=True)
class UnitView:
    unit: Row[Any]  # its `units` row
    outputs: list[Row[Any]]  # material.output rows, by entry
    components: list[Row[Any]]  # component.removed rows, by entry
    recoveries: list[Row[Any]]
    absent: list[str]  # refrigerant.absent reasons (codes)
    flags: list[Row[Any]]  # rule_flags rows, with their review
    status: str
    operators: list[str]
    stations: list[str]
    steps: list[Step]  # every entry of the unit, with its evidence references
    certificate: Certificate | None


@dataclass(frozen=True)
class DayView:
    day: date
    completed: int  # units completed on the day
    units: list[UnitView]  # this page of them
    first: int  # position (1-based) of the page's first unit
    next_cursor: str | None
    checks: list[CategoryCheck]
    catalogue_entry: int | None  # the catalogue that judged the check
    catalogue_version: str | None


def cursor(text: str | None) -> tuple[str, str] | None:
    """A page cursor "<completed_at>~<label>" as given in the URL; None if absent or bad."""
    found = _CURSOR.match(text or "")
    return (found.group(1), found.group(2)) if found else None


def catalogue_for(day: sample_days.Day) -> tuple[tuple[int, str] | None, Catalogue | None]:
    """The catalogue in force at the end of the day, (its entry, its version) and itself."""
    with engine().connect() as conn:
        published = sample_days.catalogue_by(conn, day.end)
    found = None if published is None else ledger().catalogue(at=published[0] + 1)
    return (published, found[1]) if found is not None else (None, None)


def _certificates(labels: Sequence[str]) -> dict[str, Certificate]:
    """The unit certificates among the latest CERTIFICATES_SCANNED issued here (their subject
    is in the kept document, web/certificates/subjects.py), with their revocation."""
    wanted = set(labels)
    rows = ledger().prefix_bodies("cert:", etype="certificate.issued",
                                  limit=CERTIFICATES_SCANNED, newest_first=True)
    home = console().instance.home
    found: dict[str, tuple[str, int, str]] = {}
    for index, subject, body in rows:
        data = json.loads(body)["event"]["data"]
        if data["kind"] != "unit":
            continue
        about = subject_of(home, data["sha256"])
        if about is not None and about.label in wanted and about.label not in found:
            found[about.label] = (data["sha256"], index, subject)
    revoked = {json.loads(body)["event"]["subject"]
               for _, body in ledger().subject_bodies([s for _, _, s in found.values()])
               if json.loads(body)["event"]["type"] == "certificate.revoked"} if found else set()
    return {label: Certificate(sha, index, subject in revoked)
            for label, (sha, index, subject) in found.items()}


def unit_views(rows: Sequence[Row[Any]]) -> list[UnitView]:
    """The records and evidence of a page of units."""
    labels = [row.label for row in rows]
    with engine().connect() as conn:
        outputs = sample_days.outputs_of(conn, labels)
        recoveries = sample_days.recoveries_of(conn, labels)
        flags = sample_days.flags_of(conn, labels)
    bodies: dict[str, list[tuple[int, bytes]]] = {}
    for index, body in ledger().subject_bodies([f"unit:{label}" for label in labels]):
        bodies.setdefault(json.loads(body)["event"]["subject"][5:], []).append((index, body))
    certificates = _certificates(labels)
    views = []
    for row in rows:
        chain = bodies.get(row.label, [])
        steps = unit_steps(chain)
        kept = [s for s in steps if not s.voided and s.type != "correction"]
        events = effective([(index, json.loads(body)["event"]) for index, body in chain])
        absent = [e["data"]["reason"] for _, e in events if e["type"] == "refrigerant.absent"]
        own = outputs.get(row.label, [])
        views.append(UnitView(
            row, [o for o in own if o.kind == "material"],
            [o for o in own if o.kind == "component"], recoveries.get(row.label, []), absent,
            flags.get(row.label, []), status_of(f.resolution for f in flags.get(row.label, [])),
            sorted({s.operator for s in kept}), sorted({s.station for s in kept}), steps,
            certificates.get(row.label)))
    return views


def day_view(day: date, after: tuple[str, str] | None, position: int) -> DayView:
    """One page of the day's units (PAGE of them, after the cursor) and the day's check."""
    span = sample_days.day_of(day, console().timezone.key)
    published, catalogue = catalogue_for(span)
    with engine().connect() as conn:
        completed = sample_days.units_completed(conn, span)
        rows = sample_days.day_units(conn, span, after, PAGE + 1)
        records = sample_days.day_records(conn, span, catalogue) if catalogue else []
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return DayView(day, completed, unit_views(rows), position,
                   f"{rows[-1].completed_at}~{rows[-1].label}" if more else None,
                   check_day(catalogue, records) if catalogue else [],
                   *(published or (None, None)))


def share_text(value: Decimal, places: int = 1) -> str:
    """A coefficient as the page shows it: rounded half up to `places` decimals."""
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
