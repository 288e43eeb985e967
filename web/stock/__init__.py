"""Storage and stock: where units and lots are, stock counts against the book, adjustments,
and the reconciliation of a range (issue 15, points 3 and 5).

What the book is and how a count is held against it has one home, ledger/fund/stock.py; this
module reads it through ledger/fund/book.py (read models and the counts' entries) and writes
only by appending PLANT events: `unit.stored`, `unit.set_aside`, `unit.taken_back`,
`stock.counted`, `stock.adjusted`. The ledger judges each (zones of the right kind, a count
recorded once, a line adjusted once) inside its append; its refusal is shown, nothing written.

Who: managers, inspectors and admins read; workers, managers and admins move units; managers
and admins set units aside, take them back, record counts and adjust differences.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import func, select

from ledger.certificates.statements import period_bounds
from ledger.events import PLANT_STATION, EventError, parse_event, utc_now_ms
from ledger.fund import book
from ledger.log import AppendError, Submission
from ledger.rules.codes import SUBJECT_NAME, ZONE_KIND_NAMES
from ledger.tables import Unit
from web.access import current_role, roles_required
from web.context import console, engine, ledger
from web.names import catalogue_in_force, glossary_name, language, template_names
from web.nav import add_nav
from web.refusals import refusal_text

bp = Blueprint("stock", __name__, url_prefix="/stock", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Stock"), order=35)
bp.context_processor(template_names)

READERS = ("manager", "inspector", "admin")
MOVERS = ("worker", "manager", "admin")
MANAGERS = ("manager", "admin")
MAX_LABELS = 200
MAX_TEXT = 500
MAX_UNITS = 10**7
_LABEL = re.compile(SUBJECT_NAME)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}")

units = Unit.__table__  # type: ignore[attr-defined]


@bp.context_processor
def _names() -> dict[str, Any]:
    return {"zone_kind_name": lambda kind: glossary_name(ZONE_KIND_NAMES, kind)}


@bp.route("/")
@roles_required(*READERS, "worker")
def index() -> ResponseReturnValue:
    """The book now: units per zone and category, units set aside, grams per fraction in
    lots not shipped, and the stock counts recorded."""
    now = utc_now_ms()
    figures = book.book_at(ledger(), now)
    with engine().connect() as conn:
        aside = conn.execute(select(units.c.label, units.c.category, units.c.zone,
                                    units.c.aside_since)
                             .where(units.c.aside_since.is_not(None))
                             .order_by(units.c.aside_since).limit(MAX_LABELS)).all()
        aside_total = conn.execute(select(func.count()).select_from(units)
                                   .where(units.c.aside_since.is_not(None))).scalar_one()
    held = book.held(ledger()).counts_held()
    return render_template(
        "stock/index.html", catalogue=catalogue_in_force(), units=_unit_lines(figures),
        fractions=sorted((code, grams) for (kind, _, code), grams in figures.items()
                         if kind == "fraction" and grams),
        aside=aside, aside_total=aside_total, counts=list(reversed(held)),
        can_move=current_role() in MOVERS, can_manage=current_role() in MANAGERS)


def _unit_lines(figures: dict[Any, int]) -> list[tuple[str | None, str, int]]:
    return sorted(((zone, code, n) for (kind, zone, code), n in figures.items()
                   if kind == "units" and n), key=lambda line: (line[0] or "", line[1]))


@bp.route("/move", methods=["POST"])
@roles_required(*MOVERS)
def move() -> ResponseReturnValue:
    """Put the units scanned (one label a line) into a zone, all or none."""
    zone = (request.form.get("zone") or "").strip()
    labels = [line.strip() for line in (request.form.get("labels") or "").splitlines()
              if line.strip()]
    if problem := _labels_problem(labels):
        flash(problem, "error")
        return redirect(url_for(".index"))
    if not _CODE.fullmatch(zone):
        flash(gettext("Choose the zone the units go to."), "error")
        return redirect(url_for(".index"))
    refused = _append([(f"unit:{label}", "unit.stored", {"zone": zone}) for label in labels])
    if refused:
        flash(refused, "error")
    else:
        flash(gettext("%(count)d units recorded in zone %(zone)s.", count=len(labels),
                      zone=_zone_name(zone)), "success")
    return redirect(url_for(".index"))


@bp.route("/aside", methods=["POST"])
@roles_required(*MANAGERS)
def aside() -> ResponseReturnValue:
    """Set one unit aside, with the reason: its dismantling is refused until taken back."""
    label = (request.form.get("label") or "").strip()
    reason = " ".join((request.form.get("reason") or "").split())
    zone = (request.form.get("zone") or "").strip()
    if problem := _labels_problem([label]) or _reason_problem(reason):
        flash(problem, "error")
        return redirect(url_for(".index"))
    data: dict[str, Any] = {"reason": reason, **({"zone": zone} if zone else {})}
    refused = _append([(f"unit:{label}", "unit.set_aside", data)])
    flash(refused or gettext("Unit %(label)s is set aside: its dismantling is refused until "
                             "it is taken back.", label=label),
          "error" if refused else "success")
    return redirect(url_for(".index"))


@bp.route("/take-back", methods=["POST"])
@roles_required(*MANAGERS)
def take_back() -> ResponseReturnValue:
    label = (request.form.get("label") or "").strip()
    if problem := _labels_problem([label]):
        flash(problem, "error")
        return redirect(url_for(".index"))
    refused = _append([(f"unit:{label}", "unit.taken_back", {})])
    flash(refused or gettext("Unit %(label)s is taken back: it may be dismantled.",
                             label=label), "error" if refused else "success")
    return redirect(url_for(".index"))


@bp.route("/count", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def count_form() -> ResponseReturnValue:
    """Record a physical count: units per zone and category (a zone with any figure is
    counted, its blanks are 0), kilograms per fraction (blank: not counted). The book is not
    shown here: a count is made blind, and held against the book once recorded."""
    catalogue = catalogue_in_force()
    zones = [z for z in catalogue.zones.values() if z.kind == "units"]
    values: dict[str, str] = {}
    errors: list[str] = []
    if request.method == "POST":
        values = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
        counted: list[dict[str, Any]] = []
        for zone in zones:
            cells = {code: values.get(f"u:{zone.code}:{code}", "")
                     for code in catalogue.categories}
            if not any(cells.values()):
                continue
            for code, raw in cells.items():
                number = _whole(raw or "0")
                if number is None:
                    errors.append(gettext("%(zone)s, %(category)s: “%(value)s” is not a whole "
                                          "number of units from 0 to %(max)d.",
                                          zone=zone.name[_lang()], value=raw, max=MAX_UNITS,
                                          category=catalogue.categories[code].name[_lang()]))
                else:
                    counted.append({"zone": zone.code, "category": code, "units": number})
        fractions = []
        for code, fraction in catalogue.fractions.items():
            raw = values.get(f"f:{code}", "")
            if not raw:
                continue
            grams = _grams(raw)
            if grams is None:
                errors.append(gettext("%(fraction)s: “%(value)s” is not a mass in kilograms "
                                      "(up to 3 decimals).", fraction=fraction.name[_lang()],
                                      value=raw))
            else:
                fractions.append({"fraction": code, "mass_g": grams})
        counted_by = " ".join(values.get("counted_by", "").split())
        if not counted_by or len(counted_by) > MAX_TEXT:
            errors.append(gettext("Name who counted (at most %(max)d characters).",
                                  max=MAX_TEXT))
        if not counted and not fractions:
            errors.append(gettext("Enter the count of at least one zone or fraction."))
        if not errors:
            name = book.new_count_name(ledger(), datetime.now(console().timezone).date())
            data = {"units": counted, "fractions": fractions, "counted_by": counted_by,
                    **({"note": values["note"]} if values.get("note") else {})}
            refused = _append([(f"count:{name}", "stock.counted", data)])
            if not refused:
                flash(gettext("Stock count %(count)s is recorded. Its differences to the book "
                              "are below.", count=name), "success")
                return redirect(url_for(".count", name=name))
            errors.append(refused)
    return render_template("stock/count_form.html", catalogue=catalogue, zones=zones,
                           values=values, errors=errors), 400 if errors else 200


@bp.route("/counts/<name>")
@roles_required(*READERS)
def count(name: str) -> ResponseReturnValue:
    found = next((c for c in book.held(ledger()).counts_held() if c["count"] == name), None)
    if found is None:
        abort(404)
    return render_template("stock/count.html", count=found, catalogue=catalogue_in_force(),
                           can_manage=current_role() in MANAGERS)


@bp.route("/counts/<name>/adjust", methods=["POST"])
@roles_required(*MANAGERS)
def adjust(name: str) -> ResponseReturnValue:
    """Explain one line's difference with a reason: the difference as the book has it now."""
    back = url_for(".count", name=name)
    found = next((c for c in book.held(ledger()).counts_held() if c["count"] == name), None)
    if found is None:
        abort(404)
    kind, zone, code = (request.form.get(k) or "" for k in ("kind", "zone", "code"))
    line = next((r for r in found["lines"] if (r["kind"], r["zone"] or "", r["code"])
                 == (kind, zone, code)), None)
    reason = " ".join((request.form.get("reason") or "").split())
    if line is None:
        flash(gettext("Stock count %(count)s has no line %(line)s.", count=name,
                      line=" ".join(part for part in (zone, code) if part)), "error")
        return redirect(back)
    if problem := _reason_problem(reason) or _approver_problem():
        flash(problem, "error")
        return redirect(back)
    data: dict[str, Any] = {"difference": line["difference"], "reason": reason,
                            "approved_by": current_user.name}
    if kind == "fraction":
        data["fraction"] = code
    else:
        data.update({"category": code, **({"zone": zone} if zone else {})})
    refused = _append([(f"count:{name}", "stock.adjusted", data)])
    flash(refused or gettext("The difference is adjusted, with your reason: the book takes "
                             "the counted figure from the count on."),
          "error" if refused else "success")
    return redirect(back)


@bp.route("/reconciliation")
@roles_required(*READERS)
def reconciliation() -> ResponseReturnValue:
    """Opening + in - out = closing per category and fraction over a range of plant dates,
    with the counts' adjustments and every difference left unexplained."""
    zone = console().timezone
    today = datetime.now(zone).date()
    first = _date_arg("from", today.replace(day=1))
    last = _date_arg("to", today)
    if last < first:
        abort(400, description=gettext("The range ends (%(to)s) before it starts (%(from)s): "
                                       "swap the dates.", to=last, **{"from": first}))
    bounds = period_bounds(first.isoformat(), last.isoformat(), zone.key)
    result = book.held(ledger(), bounds["from_utc"], bounds["until_utc"]).reconciliation()
    return render_template("stock/reconciliation.html", result=result, first=first, last=last,
                           catalogue=catalogue_in_force())


# -- helpers --------------------------------------------------------------------------------

def _append(events: list[tuple[str, str, dict[str, Any]]]) -> str | None:
    """Append PLANT events in one call (all or none); None, or why they were refused."""
    try:
        submissions = [Submission(parse_event({
            "id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
            "station": PLANT_STATION, "operator": current_user.name, "subject": subject,
            "data": data})) for subject, etype, data in events]
        ledger().append(submissions)
    except (EventError, AppendError) as exc:
        return refusal_text(exc)
    return None


def _labels_problem(labels: list[str]) -> str | None:
    if not labels:
        return gettext("Scan or type at least one unit label.")
    if len(labels) > MAX_LABELS:
        return gettext("%(count)d labels: record at most %(max)d at a time.",
                       count=len(labels), max=MAX_LABELS)
    bad = next((label for label in labels if not _LABEL.fullmatch(label)), None)
    if bad is not None:
        return gettext("“%(label)s” is not a unit label (letters, digits and . _ : / + -, at "
                       "most 128 characters).", label=bad[:140])
    return None


def _reason_problem(reason: str) -> str | None:
    if not reason:
        return gettext("Give the reason: it is recorded and shown to inspectors.")
    if len(reason) > MAX_TEXT:
        return gettext("The reason is %(length)d characters long; shorten it to at most "
                       "%(max)d.", length=len(reason), max=MAX_TEXT)
    return None


def _approver_problem() -> str | None:
    if not _CODE.fullmatch(current_user.name):
        return gettext("Your user name %(name)s cannot be recorded as the approver in the "
                       "ledger (letters, digits, '.', '_', ':', '/', '+' or '-' only).",
                       name=current_user.name)
    return None


def _whole(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) <= MAX_UNITS else None


def _grams(raw: str) -> int | None:
    try:
        kg = Decimal(raw)
    except InvalidOperation:
        return None
    grams = kg * 1000
    if not kg.is_finite() or grams != grams.to_integral_value() or not 0 <= grams <= 10**9:
        return None
    return int(grams)


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, description=gettext("%(name)s=%(value)s is not a date like 2026-10-01.",
                                       name=name, value=raw[:40]))


def _zone_name(code: str) -> str:
    found = catalogue_in_force().zones.get(code)
    return found.name[_lang()] if found else code


def _lang() -> str:
    return language()
