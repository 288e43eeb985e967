"""Lots and shipments: contents, the units they came from, shipment and receipt of the manifest.

A lot is opened, filled with outputs at the stations, sealed (weighed), shipped to a licensed
receiver with a transfer manifest (转移联单), and confirmed when the receiver's copy of the
manifest comes back. For hazardous fractions that confirmation is what counts: under CN-4
reconciliation a hazardous lot is disposed of only once its manifest has returned, so shipped
hazardous lots are shown as "awaiting manifest" until then.

Who: managers, inspectors and admins read; managers and admins ship and confirm receipt.
Both forms append one PLANT event (`lot.shipped`, `lot.received`) with the signed-in user as
operator. The form checks what a person can fix (with the value and what to do); the ledger
checks the order of steps again inside its append transaction, and its refusal is shown as
it is, with nothing written.

Queries: a lot by its primary key; its contents through the unit_outputs(lot) index joined
to units by primary key; its timeline through Ledger.subject_bodies (web/units/history.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import func, select

from ledger.corrections import effective
from ledger.events import PLANT_STATION, EventError, parse_event, utc_now_ms, voucher_amount
from ledger.log import AppendError, Submission
from ledger.rules.codes import VOUCHER_KIND_NAMES, VOUCHER_KINDS
from ledger.tables import Lot, Unit, UnitOutput
from web import export, reviews
from web.access import current_role, roles_required
from web.context import engine, ledger
from web.lots import files
from web.names import glossary_name, template_names
from web.nav import add_nav
from web.paging import number_arg
from web.refusals import refusal_text
from web.units.history import inclusion_proof, timeline

bp = Blueprint("lots", __name__, url_prefix="/lots", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Lots"), order=30)
bp.context_processor(template_names)

READERS = ("manager", "inspector", "admin")
WRITERS = ("manager", "admin")
PAGE = 100
CONTENTS_SHOWN = 500
STATES = ("open", "sealed", "shipped", "received")
FILTERS = (*STATES, "awaiting")
MAX_TEXT = 500
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$")  # the ledger's Code
MAX_KG = Decimal(1_000_000)  # the ledger's limit: 10^9 g

lots = Lot.__table__  # type: ignore[attr-defined]
units = Unit.__table__  # type: ignore[attr-defined]
outputs = UnitOutput.__table__  # type: ignore[attr-defined]


@bp.route("/")
@roles_required(*READERS)
def index() -> ResponseReturnValue:
    wanted = request.args.get("state") if request.args.get("state") in FILTERS else None
    try:
        fmt = export.requested()
    except ValueError as exc:
        return export.refused(str(exc))
    query = select(lots)
    if wanted == "awaiting":
        query = query.where(lots.c.state == "shipped", lots.c.hazardous.is_(True))
    elif wanted:
        query = query.where(lots.c.state == wanted)
    if fmt is not None:
        return files.download(query.order_by(lots.c.first_index.desc()), fmt, wanted,
                              _title(wanted), state_label)
    before = number_arg("before")
    if before is not None:
        query = query.where(lots.c.first_index < before)
    query = query.order_by(lots.c.first_index.desc()).limit(PAGE + 1)
    counts_query = (select(lots.c.state, lots.c.hazardous, func.count(), func.sum(lots.c.net_g))
                    .group_by(lots.c.state, lots.c.hazardous))
    with engine().connect() as conn:
        rows = conn.execute(query).all()
        counts = conn.execute(counts_query).all()
    by_state = {state: 0 for state in STATES}
    awaiting = awaiting_g = 0
    for state, hazardous, count, net in counts:
        by_state[state] = by_state.get(state, 0) + count
        if state == "shipped" and hazardous:
            awaiting, awaiting_g = awaiting + count, awaiting_g + (net or 0)
    older = str(rows[PAGE - 1].first_index) if len(rows) > PAGE else None
    return render_template("lots/index.html", lots=rows[:PAGE], by_state=by_state,
                           awaiting=awaiting, awaiting_g=awaiting_g, wanted=wanted,
                           older=older, paged=before is not None, title=_title(wanted),
                           list_files={f: url_for(".index", state=wanted, format=f)
                                       for f in export.FORMATS})


def _title(wanted: str | None) -> str:
    """What the list under a filter is called (its heading, its file's caption)."""
    if wanted == "awaiting":
        return gettext("Hazardous lots awaiting their manifest")
    if wanted:
        return gettext("Lots: %(state)s", state=state_name(wanted))
    return gettext("All lots, newest first")


@dataclass
class Form:
    """Submitted values and the problems found with them, by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _lot_row(lot: str) -> Any:
    with engine().connect() as conn:
        return conn.execute(select(lots).where(lots.c.lot == lot)).first()


def _receiver_name(shipped: dict[str, Any]) -> str:
    """Whom a shipment names: the register's legal name for a code, else its free text."""
    code = shipped.get("receiver_code")
    found = receiver_pages.receivers(only=code) if code else []
    return str(found[0].entry["legal_name"] if found else code or shipped.get("receiver"))


def _page(lot: str, row: Any, ship: Form | None = None, receive: Form | None = None,
          refusal: str | None = None, status: int = 200,
          voucher: Form | None = None) -> ResponseReturnValue:
    contents_query = (
        select(outputs.c.idx, outputs.c.label, outputs.c.kind, outputs.c.code, outputs.c.mass_g,
               outputs.c.count, outputs.c.station, outputs.c.at, units.c.category)
        .join(units, units.c.label == outputs.c.label, isouter=True)
        .where(outputs.c.lot == lot).order_by(outputs.c.idx).limit(CONTENTS_SHOWN))
    totals_query = select(func.count(), func.count(func.distinct(outputs.c.label)),
                          func.sum(outputs.c.mass_g), func.sum(outputs.c.count)
                          ).where(outputs.c.lot == lot)
    with engine().connect() as conn:
        contents = conn.execute(contents_query).all()
        items, unit_count, mass_g, pieces = conn.execute(totals_query).one()
    entries = timeline(f"lot:{lot}")
    proof = None
    if (wanted := number_arg("proof")) is not None:
        if wanted not in {e.index for e in entries}:
            abort(404)
        proof = inclusion_proof(wanted)
    shipped = next((e.data for e in reversed(entries) if e.type == "lot.shipped"), None)
    received = next((e.data for e in reversed(entries) if e.type == "lot.received"), None)
    vouchers = [e.data for e in entries if e.type == "lot.voucher"]
    register = receiver_pages.receivers()
    code = (shipped or {}).get("receiver_code")
    return render_template(
        "lots/lot.html", lot=row, contents=contents, items=items, unit_count=unit_count,
        mass_g=mass_g or 0, pieces=pieces or 0, entries=entries, proof=proof, shipped=shipped,
        received=received, ship=ship or Form(), receive=receive or Form(), refusal=refusal,
        register=register, shipped_to=next((r for r in register if r.code == code), None),
        vouchers=vouchers, voucher=voucher or Form(values={"currency": "CNY"}),
        voucher_kinds=VOUCHER_KINDS, now=utc_now_ms(),
        kind_name=lambda kind: glossary_name(VOUCHER_KIND_NAMES, kind),
        can_write=current_role() in WRITERS, shown=CONTENTS_SHOWN,
        flags=reviews.flags_of(f"lot:{lot}", entries), can_review=reviews.can_review(),
        review_url=url_for(".review", lot=lot)), status


@bp.route("/<path:lot>")
@roles_required(*READERS)
def lot(lot: str) -> ResponseReturnValue:
    row = _lot_row(lot)
    if row is None:
        abort(404)
    return _page(lot, row)


def _text(form: Form, name: str, label: str, required: bool) -> str | None:
    value = " ".join((request.form.get(name) or "").split())
    form.values[name] = value
    if not value:
        if required:
            form.errors[name] = gettext("Enter the %(field)s.", field=label)
        return None
    if len(value) > MAX_TEXT:
        form.errors[name] = gettext("The %(field)s is %(length)d characters long; shorten it to "
                                    "at most %(max)d.", field=label, length=len(value),
                                    max=MAX_TEXT)
    return value


def _manifest(form: Form) -> str:
    value = (request.form.get("manifest_no") or "").strip()
    form.values["manifest_no"] = value
    if not value:
        form.errors["manifest_no"] = gettext("Enter the transfer manifest number, as printed on "
                                             "the manifest.")
    elif not _CODE.match(value):
        form.errors["manifest_no"] = gettext(
            "Manifest number “%(value)s” cannot be recorded: use only letters, digits and "
            ". _ : / + - (no spaces), at most 64 characters, as printed on the manifest.",
            value=value)
    return value


def _append(lot: str, etype: str, data: dict[str, Any]) -> str | None:
    """Append one PLANT event about the lot; None, or why it was refused (nothing written)."""
    obj = {"id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
           "station": PLANT_STATION, "operator": current_user.name, "subject": f"lot:{lot}",
           "data": data}
    try:
        ledger().append([Submission(parse_event(obj))])
    except EventError as exc:
        if exc.field == "operator":
            return gettext("Your user name “%(name)s” cannot be recorded as an operator in the "
                           "ledger (letters, digits, '.', '_', '@' or '-' only). Ask an "
                           "administrator for a user name in those characters.",
                           name=current_user.name)
        return refusal_text(exc)
    except AppendError as exc:
        return refusal_text(exc)
    return None


@bp.route("/<path:lot>/ship", methods=["POST"])
@roles_required(*WRITERS)
def ship(lot: str) -> ResponseReturnValue:
    """Ship to a receiver chosen from the register (receiver_code); while none is registered,
    to one named in free text, as before the register."""
    row = _lot_row(lot)
    if row is None:
        abort(404)
    form = Form()
    registered = {r.code: r for r in receiver_pages.receivers()}
    if registered:
        code = (request.form.get("receiver_code") or "").strip()
        form.values["receiver_code"] = code
        if code not in registered:
            form.errors["receiver_code"] = gettext("Choose the receiver from the register.")
        receiver = registered[code].entry["legal_name"] if code in registered else code
    else:
        receiver = _text(form, "receiver", gettext("receiver's name"), required=True) or ""
        licence = _text(form, "receiver_licence", gettext("receiver's licence number"),
                        required=False)
    manifest = _manifest(form)
    vehicle = _text(form, "vehicle", gettext("vehicle"), required=False)
    if row.state != "sealed":
        return _page(lot, row, ship=form, status=409, refusal=_not_now(row, "sealed"))
    if form.errors:
        return _page(lot, row, ship=form, status=422)
    data: dict[str, Any] = {"manifest_no": manifest}
    if registered:
        data["receiver_code"] = code
    else:
        data["receiver"] = receiver
        data |= {"receiver_licence": licence} if licence else {}
    data |= {"vehicle": vehicle} if vehicle else {}
    if refusal := _append(lot, "lot.shipped", data):
        return _page(lot, row, ship=form, refusal=refusal, status=409)
    flash(gettext("Lot %(lot)s is recorded as shipped to %(receiver)s with manifest "
                  "%(manifest)s.", lot=lot, receiver=receiver, manifest=manifest), "success")
    return redirect(url_for(".lot", lot=lot))


@bp.route("/<path:lot>/voucher", methods=["POST"])
@roles_required(*WRITERS)
def voucher(lot: str) -> ResponseReturnValue:
    """Record a sales or disposal voucher of a shipped lot: its counterparty is the receiver
    the lot was shipped to; the amount typed from the voucher must be its price × quantity."""
    row = _lot_row(lot)
    if row is None:
        abort(404)
    form = Form()
    kind = request.form.get("kind") or ""
    form.values["kind"] = kind
    if kind not in VOUCHER_KINDS:
        form.errors["kind"] = gettext("Choose whether the voucher is a sale or a disposal.")
    number = (request.form.get("voucher_no") or "").strip()
    form.values["voucher_no"] = number
    if not _CODE.match(number):
        form.errors["voucher_no"] = gettext(
            "Voucher number “%(value)s” cannot be recorded: use only letters, digits and "
            ". _ : / + - (no spaces), at most 64 characters, as printed on the voucher.",
            value=number)
    grams = _quantity(form)
    price = _decimal(form, "price_per_t", 4)
    amount = _decimal(form, "amount", 2)
    currency = (request.form.get("currency") or "").strip().upper()
    form.values["currency"] = currency
    if not re.fullmatch(r"[A-Z]{3}", currency):
        form.errors["currency"] = gettext("Enter the currency as three letters, e.g. CNY.")
    shipped = _shipped(lot)
    if row.state not in ("shipped", "received") or shipped is None:
        return _page(lot, row, voucher=form, status=409,
                     refusal=gettext("Lot %(lot)s is %(state)s: a voucher is recorded once the "
                                     "lot is shipped.", lot=lot, state=state_name(row.state)))
    if grams is None or price is None or amount is None or form.errors:
        return _page(lot, row, voucher=form, status=422)
    expected = voucher_amount(str(price), grams)
    if amount != expected:
        form.errors["amount"] = gettext(
            "The amount %(amount)s is not the price × the quantity, %(expected)s: check "
            "the voucher's figures.", amount=amount, expected=expected)
        return _page(lot, row, voucher=form, status=422)
    data = {"kind": kind, "voucher_no": number,
            "counterparty": shipped.get("receiver_code") or "", "quantity_g": grams,
            "price_per_t": format(price.normalize(), "f"), "amount": str(expected),
            "currency": currency}
    if refusal := _append(lot, "lot.voucher", data):
        return _page(lot, row, voucher=form, refusal=refusal, status=409)
    flash(gettext("Voucher %(number)s of lot %(lot)s recorded: %(amount)s %(currency)s.",
                  number=number, lot=lot, amount=expected, currency=currency), "success")
    return redirect(url_for(".lot", lot=lot))


def _quantity(form: Form) -> int | None:
    """A voucher's quantity in kilograms, as typed, in whole grams (above 0)."""
    grams = _decimal(form, "quantity_kg", 3)
    if grams is None or grams == 0 or grams > MAX_KG:
        form.errors["quantity_kg"] = gettext("Enter the quantity the voucher is for, in "
                                             "kilograms above 0, e.g. 31.4.")
        return None
    return int(grams * 1000)


def _decimal(form: Form, name: str, places: int) -> Decimal | None:
    """A non-negative decimal with at most `places` decimals, as typed; None if not one."""
    value = (request.form.get(name) or "").strip()
    form.values[name] = value
    if not re.fullmatch(rf"(0|[1-9][0-9]{{0,11}})(\.[0-9]{{1,{places}}})?", value):
        form.errors[name] = gettext("Enter a number with at most %(places)d decimals, without "
                                    "thousands separators, e.g. 2650.50.", places=places)
        return None
    return Decimal(value)


def _shipped(lot: str) -> dict[str, Any] | None:
    """The lot's shipment as its chain states it (corrections folded)."""
    found = [e for _, e in effective(ledger().subject_entries(f"lot:{lot}"))
             if e["type"] == "lot.shipped"]
    return found[-1]["data"] if found else None


@bp.route("/<path:lot>/review", methods=["POST"])
@roles_required(*reviews.REVIEWERS)
def review(lot: str) -> ResponseReturnValue:
    """A manager's review of the lot's receipt-weight flag (web/reviews.py)."""
    if _lot_row(lot) is None:
        abort(404)
    return reviews.review(f"lot:{lot}", url_for(".lot", lot=lot) + "#flags")


@bp.route("/<path:lot>/receive", methods=["POST"])
@roles_required(*WRITERS)
def receive(lot: str) -> ResponseReturnValue:
    row = _lot_row(lot)
    if row is None:
        abort(404)
    form = Form()
    manifest = _manifest(form)
    grams = _kilograms(form, "received_kg")
    if row.state != "shipped":
        return _page(lot, row, receive=form, status=409, refusal=_not_now(row, "shipped"))
    if "manifest_no" not in form.errors and manifest != row.manifest_no:
        form.errors["manifest_no"] = gettext(
            "Manifest number “%(value)s” is not the one lot %(lot)s was shipped with. Check "
            "that the returned manifest belongs to this lot and type its number again.",
            value=manifest, lot=lot)
    if form.errors or grams is None:
        return _page(lot, row, receive=form, status=422)
    shipped = _shipped(lot) or {}
    data: dict[str, Any] = {"manifest_no": manifest, "received_g": grams}
    data |= ({"receiver_code": shipped["receiver_code"]} if shipped.get("receiver_code")
             else {"receiver": row.receiver})
    if refusal := _append(lot, "lot.received", data):
        return _page(lot, row, receive=form, refusal=refusal, status=409)
    flash(gettext("Receipt of lot %(lot)s confirmed: %(receiver)s received it with manifest "
                  "%(manifest)s.", lot=lot, receiver=_receiver_name(shipped), manifest=manifest),
          "success")
    return redirect(url_for(".lot", lot=lot))


def _kilograms(form: Form, name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    form.values[name] = value
    problem = gettext("Received weight “%(value)s” is not a weight in kilograms. Enter what "
                      "the receiver weighed, as on the returned manifest, e.g. 31.4.",
                      value=value)
    if not value:
        form.errors[name] = gettext("Enter the weight the receiver recorded, in kilograms.")
        return None
    try:
        kg = Decimal(value)
    except InvalidOperation:
        form.errors[name] = problem
        return None
    if not kg.is_finite() or kg < 0 or kg > MAX_KG:
        form.errors[name] = problem
        return None
    grams = kg * 1000
    if grams != grams.to_integral_value():
        form.errors[name] = gettext("Received weight “%(value)s” has more than three decimals; "
                                    "the ledger records whole grams.", value=value)
        return None
    return int(grams)


def _not_now(row: Any, needed: str) -> str:
    """Why the lot cannot take this step in its state."""
    state = state_name(row.state)
    if needed == "sealed":
        return gettext("Lot %(lot)s is %(state)s: only a sealed lot can be shipped. Seal it "
                       "(weigh it at the station) before recording the shipment.",
                       lot=row.lot, state=state)
    return gettext("Lot %(lot)s is %(state)s: only a shipped lot can be confirmed as received.",
                   lot=row.lot, state=state)


def state_name(state: str) -> str:
    names = {"open": gettext("open"), "sealed": gettext("sealed"),
             "shipped": gettext("shipped"), "received": gettext("received by the receiver")}
    return names.get(state, state)


def state_label(lot: Any) -> str:
    """A lot's state as its badge says it: a shipped hazardous lot awaits its manifest
    (CN-4), a received one is disposed of."""
    if lot.state == "shipped" and lot.hazardous:
        return gettext("shipped · awaiting manifest")
    if lot.state == "received" and lot.hazardous:
        return gettext("disposed of · manifest returned")
    return state_name(lot.state)


bp.context_processor(lambda: {"lot_state_name": state_name, "lot_state_label": state_label})

from web.lots import receivers as receiver_pages  # noqa: E402  its routes join this blueprint
