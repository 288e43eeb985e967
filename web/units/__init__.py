"""Units: search by label, trade-in code or serial; a unit's figures and its timeline of
entries, each with its leaf hash and an inclusion proof.

Who: managers, inspectors and admins, and workers too, read-only (these pages have no
forms). A worker on the floor needs to look a label up ("was this one received? was its
refrigerant recovered?"), and the worker's landing page promises pages to look things up;
nothing here is beyond what the worker's own station records.

Every query is answered from an index, so the pages stay quick on a ledger of millions of
units: exact matches through `units`' primary key and its trade_in_code (unique) and serial
indexes; a label prefix as a range on the primary key (`label >= q AND label < q || U+FFFF`,
never LIKE '%q%'); the recent list by keyset pagination on the received_at index (or the
(state, received_at) index when filtered by state), never OFFSET.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from sqlalchemy import or_, select

from ledger.events import utc_now_ms
from ledger.rules.flags import mass_balance_deviation_pct
from ledger.tables import RefrigerantRecovery, Unit, UnitOutput, table_of
from web import export, reviews
from web.access import access_of, current_role, roles_required
from web.context import engine
from web.names import template_names
from web.nav import add_nav
from web.paging import number_arg
from web.units import files
from web.units.fund import fund_view
from web.units.history import inclusion_proof, timeline

bp = Blueprint("units", __name__, url_prefix="/units", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Units"), order=20)
bp.context_processor(template_names)

ROLES = ("manager", "inspector", "admin", "worker")
PAGE = 50
MAX_QUERY = 130  # the longest label the ledger accepts
STATES = ("received", "completed")
_CURSOR = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~(.{1,130})$")
# Above every character a label may hold (labels are ASCII), so q..q+MAX is "starts with q".
_PREFIX_END = "\uffff"

units = table_of(Unit)
outputs = table_of(UnitOutput)
recoveries = table_of(RefrigerantRecovery)
LIST_COLUMNS = (units.c.label, units.c.category, units.c.state, units.c.trade_in_code,
                units.c.serial, units.c.intake_station, units.c.received_at,
                units.c.completed_at, units.c.gross_g, units.c.refrigerant_g,
                units.c.outputs_g, units.c.completed_station)


@dataclass(frozen=True)
class Found:
    unit: Any  # a row of LIST_COLUMNS
    matched: str  # how the query matched it (translated)


def search(query: str) -> tuple[list[Found], bool]:
    """Units matching `query` exactly (label, trade-in code, serial) or as a label prefix;
    and whether there were more prefix matches than shown."""
    candidates = list(dict.fromkeys([query, query.upper()]))
    found: dict[str, Found] = {}
    exact = (
        (units.c.label, gettext("label")),
        (units.c.trade_in_code, gettext("trade-in code")),
        (units.c.serial, gettext("serial number")),
    )
    more = False
    with engine().connect() as conn:
        for column, how in exact:
            for row in conn.execute(select(*LIST_COLUMNS).where(column.in_(candidates))
                                    .order_by(units.c.label).limit(PAGE)):
                found.setdefault(row.label, Found(row, how))
        for prefix in candidates:
            rows = conn.execute(
                select(*LIST_COLUMNS)
                .where(units.c.label >= prefix, units.c.label < prefix + _PREFIX_END)
                .order_by(units.c.label).limit(PAGE + 1)).all()
            more = more or len(rows) > PAGE
            for row in rows[:PAGE]:
                # startswith: on a database whose collation is not bytewise the range is
                # only a superset (see docs); never show what does not start with the query.
                if row.label.startswith(prefix):
                    found.setdefault(row.label, Found(row, gettext("label starts with it")))
    return list(found.values())[:PAGE * 2], more


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    older: str | None  # cursor for the next (older) page
    newer: str | None  # cursor for the previous (newer) page
    first: bool  # this is the newest page


def _cursor(row: Any) -> str:
    return f"{row.received_at}~{row.label}"


def recent(state: str | None, before: str | None, after: str | None) -> Page:
    """One page of units, newest received first, by keyset on (received_at, label)."""
    query = select(*LIST_COLUMNS)
    if state:
        query = query.where(units.c.state == state)
    position = _CURSOR.match(after or "") or _CURSOR.match(before or "")
    going_newer = bool(after and _CURSOR.match(after))
    if position:
        at, label = position.group(1), position.group(2)
        if going_newer:
            query = query.where(units.c.received_at >= at,
                                or_(units.c.received_at > at, units.c.label > label))
        else:
            query = query.where(units.c.received_at <= at,
                                or_(units.c.received_at < at, units.c.label < label))
    if going_newer:
        query = query.order_by(units.c.received_at, units.c.label)
    else:
        query = query.order_by(units.c.received_at.desc(), units.c.label.desc())
    with engine().connect() as conn:
        rows = conn.execute(query.limit(PAGE + 1)).all()
    more = len(rows) > PAGE
    rows = list(rows[:PAGE])
    if going_newer:
        rows.reverse()
        newer = _cursor(rows[0]) if rows and more else None
        older = _cursor(rows[-1]) if rows else None
        return Page(rows, older, newer, first=not more)
    older = _cursor(rows[-1]) if rows and more else None
    newer = _cursor(rows[0]) if rows and position else None
    return Page(rows, older, newer, first=not position)


@bp.route("/")
@roles_required(*ROLES)
def index() -> ResponseReturnValue:
    query = (request.args.get("q") or "").strip()
    state = request.args.get("state") if request.args.get("state") in STATES else None
    try:
        fmt = export.requested()
    except ValueError as exc:
        return export.refused(str(exc))
    results: list[Found] | None = None
    more = False
    problem = None
    if query:
        if len(query) > MAX_QUERY:
            problem = gettext("“%(query)s…” is longer than any label (%(max)d characters). "
                              "Scan or type the label, trade-in code or serial number again.",
                              query=query[:40], max=MAX_QUERY)
            results = []
        else:
            results, more = search(query)
            if len(results) == 1 and fmt is None:
                return redirect(url_for(".unit", label=results[0].unit.label))
    if fmt is not None:
        found = None if results is None else [item.unit for item in results]
        return files.download(units, fmt, state, found, query)
    page = recent(state, request.args.get("before"), request.args.get("after"))
    return render_template("units/index.html", query=query, results=results, more=more,
                           problem=problem, page=page, state=state,
                           found_files={f: url_for(".index", q=query, format=f)
                                        for f in export.FORMATS},
                           list_files={f: url_for(".index", state=state, format=f)
                                       for f in export.FORMATS})


@dataclass(frozen=True)
class Figures:
    refrigerant_pct: float | None  # recovered vs nameplate charge
    balance_pct: float | None  # outputs + refrigerant off the intake, signed (rules.flags)
    unaccounted_g: int
    cycle_minutes: int | None  # received -> completed, or so far
    in_progress: bool


def _minutes(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
               // 60)


def figures(unit: Any, now: str) -> Figures:
    charge = unit.nameplate_charge_g
    refrigerant_pct = 100 * unit.refrigerant_g / charge if charge else None
    accounted = unit.outputs_g + unit.refrigerant_g
    balance = mass_balance_deviation_pct(accounted, unit.gross_g)
    end = unit.completed_at or now
    return Figures(refrigerant_pct, balance, unit.gross_g - accounted,
                   _minutes(unit.received_at, end), unit.completed_at is None)


@bp.route("/<path:label>")
@roles_required(*ROLES)
def unit(label: str) -> ResponseReturnValue:
    with engine().connect() as conn:
        row = conn.execute(select(units).where(units.c.label == label)).first()
        if row is None:
            abort(404)
        output_rows = conn.execute(select(outputs).where(outputs.c.label == label)
                                   .order_by(outputs.c.idx)).all()
        recovery_rows = conn.execute(select(recoveries).where(recoveries.c.label == label)
                                     .order_by(recoveries.c.idx)).all()
    entries = timeline(f"unit:{label}")
    by_index = {entry.index: entry for entry in entries}
    received = entries[0] if entries and entries[0].type == "unit.received" else None
    proof = None
    if (wanted := number_arg("proof")) is not None:
        if wanted not in by_index:
            abort(404)
        proof = inclusion_proof(wanted)
    absent = [e for e in entries if e.type == "refrigerant.absent" and not e.voided]
    lots_rule = (access_of(current_app, "lots.lot")
                 if "lots.lot" in current_app.view_functions else None)
    return render_template(
        "units/unit.html", unit=row, outputs=output_rows, recoveries=recovery_rows,
        entries=entries, by_index=by_index, received=received, proof=proof,
        figures=figures(row, utc_now_ms()), absent=absent,
        fund=fund_view(label),
        lot_links=bool(lots_rule and lots_rule.allows(current_role())),
        output_total=sum(r.mass_g or 0 for r in output_rows),
        corrected={e.index for e in entries if e.corrected_by},
        flags=reviews.flags_of(f"unit:{label}", entries), can_review=reviews.can_review(),
        review_url=url_for(".review", label=label))


@bp.route("/<path:label>/review", methods=["POST"])
@roles_required(*reviews.REVIEWERS)
def review(label: str) -> ResponseReturnValue:
    """A manager's review of one of the unit's flags (web/reviews.py)."""
    with engine().connect() as conn:
        if conn.execute(select(units.c.label).where(units.c.label == label)).first() is None:
            abort(404)
    return reviews.review(f"unit:{label}", url_for(".unit", label=label) + "#flags")
