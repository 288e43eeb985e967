"""The register of downstream receivers: the list, one receiver's page, registering one and
recording a change to its entry.

A receiver is the subject `receiver:<unified social credit code>` (ledger/uscc.py checks the
code); its entry says who it is (legal name, address), its licence number, the fractions of
the process catalogue the licence covers, the hazardous-waste codes it names and its
validity. Once any receiver is registered, the ledger ships a lot only to a registered
receiver whose licence covers the lot's fraction and is valid that day
(ledger/rules/receivers.py); the lot page's shipping form chooses from this register.

Who: managers, inspectors and admins read; managers and admins register and update. Both
forms append one PLANT event (`receiver.registered`, `receiver.updated`, the whole entry)
with the signed-in user as operator. A licence's dates are the plant's (its time zone):
valid from the first day's midnight until the midnight after the last day, in UTC.

Reads: the receivers' entries through the ledger (`Ledger.prefix_bodies("receiver:")`, one
range of its (subject, idx) index), corrections folded by `ledger.corrections`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from ledger.corrections import effective
from ledger.events import EventError, utc_now_ms
from ledger.log import AppendError
from ledger.rules.receivers import REGISTER_TYPES
from ledger.uscc import problem as code_problem
from web.access import current_role, roles_required
from web.context import console, ledger
from web.lots import READERS, WRITERS, bp
from web.names import catalogue_in_force
from web.refusals import refusal_text
from web.stations import _append, _short, _signer_problem

MAX_TEXT = 500
_HW_CODE = re.compile(r"HW[0-9]{2}( [0-9]{3}-[0-9]{3}-[0-9]{2})?")
FIELDS = ("code", "legal_name", "licence_no", "valid_from", "valid_until", "address",
          "hw_codes")


@dataclass(frozen=True)
class Receiver:
    """A registered receiver as the register holds it now (its latest entry)."""

    code: str
    index: int  # the entry of its latest registration or update
    registered_index: int
    entry: dict[str, Any]

    def valid_at(self, moment: str) -> bool:
        return bool(self.entry["valid_from"] <= moment < self.entry["valid_until"])


def receivers(only: str | None = None) -> list[Receiver]:
    """Every registered receiver (or just `only`), by legal name, corrections folded."""
    if only is None:
        rows = ledger().prefix_bodies("receiver:")
    else:
        rows = [(idx, f"receiver:{only}", body)
                for idx, body in ledger().subject_bodies([f"receiver:{only}"])]
    by_subject: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for idx, subject, body in rows:
        by_subject.setdefault(subject, []).append((idx, json.loads(body)["event"]))
    found = []
    for subject, pairs in by_subject.items():
        entries = [(i, e) for i, e in effective(pairs) if e["type"] in REGISTER_TYPES]
        if entries:
            found.append(Receiver(subject.split(":", 1)[1], entries[-1][0], entries[0][0],
                                  entries[-1][1]["data"]))
    return sorted(found, key=lambda r: (r.entry["legal_name"], r.code))


def local_dates(entry: dict[str, Any]) -> tuple[str, str]:
    """A licence's first and last day in the plant's time zone (the form's dates)."""
    zone = console().timezone
    first = _moment(entry["valid_from"]).astimezone(zone).date()
    last = _moment(entry["valid_until"]).astimezone(zone).date() - timedelta(days=1)
    return first.isoformat(), last.isoformat()


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _midnight(day: date, zone: ZoneInfo) -> str:
    """The plant's midnight starting `day`, as the ledger's UTC text."""
    utc = datetime.combine(day, time(0), zone).astimezone(ZoneInfo("UTC"))
    return utc.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- pages -----------------------------------------------------------------------------------


@bp.route("/receivers/")
@roles_required(*READERS)
def receiver_list() -> ResponseReturnValue:
    return render_template("lots/receivers.html", receivers=receivers(), now=utc_now_ms(),
                           can_write=current_role() in WRITERS, local_dates=local_dates)


@bp.get("/receivers/new")
@roles_required(*WRITERS)
def register_receiver() -> ResponseReturnValue:
    return _form(None, MultiDict())


@bp.post("/receivers/new")  # its own endpoint: a bare POST may fail validation (422)
@roles_required(*WRITERS)
def register_receiver_post() -> ResponseReturnValue:
    return _form(None, request.form)


@bp.get("/receivers/<code>")
@roles_required(*READERS)
def receiver(code: str) -> ResponseReturnValue:
    found = receivers(only=code)
    if not found:
        abort(404)
    first, last = local_dates(found[0].entry)
    values = MultiDict({**{k: v for k, v in found[0].entry.items() if isinstance(v, str)},
                        "code": code, "valid_from": first, "valid_until": last,
                        "hw_codes": "\n".join(found[0].entry.get("hw_codes") or [])})
    values.setlist("fractions", found[0].entry["fractions"])
    return _form(found[0], values, submitted=False)


@bp.post("/receivers/<code>")
@roles_required(*WRITERS)
def update_receiver(code: str) -> ResponseReturnValue:
    found = receivers(only=code)
    if not found:
        abort(404)
    return _form(found[0], request.form)


def _form(existing: Receiver | None, values: MultiDict[str, str],
          submitted: bool | None = None) -> ResponseReturnValue:
    """The register form: a new receiver (existing None) or a change to one's entry; on a
    valid POST, one PLANT event with the whole entry."""
    submitted = request.method == "POST" if submitted is None else submitted
    form = {k: " ".join((values.get(k) or "").split()) if k != "hw_codes"
            else (values.get(k) or "") for k in FIELDS}
    if existing is not None:
        form["code"] = existing.code
    else:
        form["code"] = form["code"].upper()
    chosen = values.getlist("fractions")
    errors: dict[str, str] = {}
    if submitted:
        data, errors = _check(form, chosen, existing)
        if not errors:
            etype = "receiver.updated" if existing else "receiver.registered"
            try:
                index = _append(etype, f"receiver:{form['code']}", data)
            except (EventError, AppendError) as exc:
                errors["form"] = refusal_text(exc)
            else:
                flash(gettext("Receiver %(name)s (%(code)s) recorded in the register at entry "
                              "%(index)s.", name=data["legal_name"], code=form["code"],
                              index=index), "success")
                return redirect(url_for("lots.receiver", code=form["code"]))
    catalogue = catalogue_in_force()
    return render_template("lots/receiver.html", form=form, chosen=chosen, errors=errors,
                           existing=existing, fractions=sorted(catalogue.fractions),
                           can_write=current_role() in WRITERS), 422 if errors else 200


def _check(form: dict[str, str], chosen: list[str], existing: Receiver | None
           ) -> tuple[dict[str, Any], dict[str, str]]:
    """The entry the form says, or what is wrong with it, by field."""
    errors: dict[str, str] = {}
    code = form["code"]
    if existing is None:
        if (wrong := code_problem(code)) is not None:
            errors["code"] = gettext(
                "Unified social credit code %(value)s cannot be right: %(why)s. Type the 18 "
                "characters as printed on the receiver's business licence.",
                value=repr(_short(code)), why=wrong)
        elif receivers(only=code):
            errors["code"] = gettext(
                "Receiver %(code)s is already registered: change its entry on its own page.",
                code=code)
    labels = {"legal_name": gettext("legal name"), "licence_no": gettext("licence number"),
              "address": gettext("address")}
    for name, label in labels.items():
        if not form[name]:
            errors[name] = gettext("Enter the %(field)s.", field=label)
        elif len(form[name]) > MAX_TEXT:
            errors[name] = gettext("The %(field)s is %(length)d characters long; shorten it to "
                                   "at most %(max)d.", field=label, length=len(form[name]),
                                   max=MAX_TEXT)
    known = catalogue_in_force().fractions
    unknown = [f for f in chosen if f not in known]
    if not chosen or unknown:
        errors["fractions"] = gettext("Tick every fraction the licence lets the receiver take "
                                      "(at least one).")
    hw_codes = [" ".join(line.split()) for line in form["hw_codes"].splitlines() if line.strip()]
    if bad := [c for c in hw_codes if not _HW_CODE.fullmatch(c)]:
        errors["hw_codes"] = gettext(
            "Hazardous-waste code %(value)s is not written as the national list writes it: "
            "HW49, or HW49 900-044-49, one per line.", value=repr(_short(bad[0])))
    days = {}
    for name in ("valid_from", "valid_until"):
        try:
            days[name] = date.fromisoformat(form[name])
        except ValueError:
            errors[name] = gettext("Enter the date as on the licence, e.g. 2028-12-31.")
    if len(days) == 2 and days["valid_until"] < days["valid_from"]:
        errors["valid_until"] = gettext("The licence's last day is before its first day.")
    if not errors and (problem := _signer_problem(approving=False)):
        errors["form"] = problem
    if errors:
        return {}, errors
    zone = console().timezone
    return {"legal_name": form["legal_name"], "licence_no": form["licence_no"],
            "fractions": [f for f in known if f in chosen], "hw_codes": hw_codes,
            "valid_from": _midnight(days["valid_from"], zone),
            "valid_until": _midnight(days["valid_until"] + timedelta(days=1), zone),
            "address": form["address"]}, {}
