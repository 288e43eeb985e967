"""Refrigerant recovery cylinders: the list, and registering one.

A station refuses a recovery into a cylinder the ledger does not know, so before a cylinder is
first used a manager or admin registers it here: a PLANT `cylinder.registered` entry (subject
`cylinder:<id>`) with its refrigerant, tare and water capacity, and the AHRI Guideline K
maximum gross the console computes from them with the process catalogue. Managers may, as they
may record calibration checks: cylinders arrive on the floor, and a worker waits until one is
registered.

Reads: the cylinders' entries through the ledger (`Ledger.prefix_bodies("cylinder:")`, one
range of its (subject, idx) index; corrections folded by `ledger.corrections`), and each
cylinder's last recovery, with its gross after, from the `refrigerant_recoveries` read model
(its (cylinder, idx) index). The refrigerants and their specific gravity are the catalogue in
force's (`Ledger.catalogue()`), the one the ledger judges the registration by.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select

from devices.barcode import LABEL_KINDS
from ledger import catalogue as process_catalogue
from ledger.corrections import effective
from ledger.events import EventError
from ledger.log import AppendError
from ledger.tables import RefrigerantRecovery
from web.access import current_role, roles_required
from web.context import engine, ledger
from web.formatting import kg
from web.names import catalogue_in_force
from web.refusals import refusal_text
from web.stations import VIEWERS, _append, _short, _signer_problem, bp

REGISTRARS = ("manager", "admin")
MAX_KG = 5000  # larger than any recovery cylinder or ton tank, well inside the ledger's limit

_CYLINDER_ID = re.compile(LABEL_KINDS["cylinder"])
_KG = re.compile(r"^[0-9]{1,4}(\.[0-9]{1,3})?$")


recoveries = RefrigerantRecovery.__table__  # type: ignore[attr-defined]


def refrigerants() -> list[str]:
    """The refrigerants a cylinder may be registered for: the catalogue in force's, sorted."""
    return sorted(catalogue_in_force().refrigerant_sg)


@dataclass(frozen=True)
class Cylinder:
    """A registered cylinder as the stations read it (the latest registration)."""

    cylinder: str
    index: int
    refrigerant: str
    tare_g: int
    water_capacity_g: int
    max_gross_g: int
    last_gross_g: int | None  # gross after its latest recovery, if it had one
    last_recovery_at: str | None


def cylinders(only: str | None = None) -> list[Cylinder]:
    """Every registered cylinder (or just `only`), ordered by id, corrections folded."""
    if only is None:
        rows = ledger().prefix_bodies("cylinder:")
    else:
        rows = [(idx, f"cylinder:{only}", body)
                for idx, body in ledger().subject_bodies([f"cylinder:{only}"])]
    by_subject: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for idx, subject, body in rows:
        by_subject.setdefault(subject, []).append((idx, json.loads(body)["event"]))
    registered: dict[str, tuple[int, dict[str, Any]]] = {}
    for subject, pairs in by_subject.items():
        for idx, event in effective(pairs):
            if event["type"] == "cylinder.registered":
                registered[subject.split(":", 1)[1]] = (idx, event["data"])
    last = _last_recoveries(sorted(registered)) if registered else {}
    found = []
    for name, (idx, data) in sorted(registered.items()):
        gross, at = last.get(name, (None, None))
        found.append(Cylinder(name, idx, data["refrigerant"], data["tare_g"],
                              data["water_capacity_g"], data["max_gross_g"], gross, at))
    return found


def _last_recoveries(names: list[str]) -> dict[str, tuple[int | None, str]]:
    """Cylinder -> (gross after, time) of its latest recovery, from the
    `refrigerant_recoveries` read model (its (cylinder, idx) index)."""
    latest = (select(func.max(recoveries.c.idx)).where(recoveries.c.cylinder.in_(names))
              .group_by(recoveries.c.cylinder))
    query = select(recoveries.c.cylinder, recoveries.c.cylinder_gross_after_g,
                   recoveries.c.at).where(recoveries.c.idx.in_(latest))
    with engine().connect() as conn:
        return {row.cylinder: (row.cylinder_gross_after_g, row.at)
                for row in conn.execute(query)}


# -- pages -----------------------------------------------------------------------------------


@bp.route("/cylinders/")
@roles_required(*VIEWERS)
def cylinder_list() -> ResponseReturnValue:
    return render_template("stations/cylinders.html", cylinders=cylinders(), role=current_role())


@bp.get("/cylinders/new")
@roles_required(*REGISTRARS)
def register_cylinder() -> ResponseReturnValue:
    return _register()


@bp.post("/cylinders/new")  # its own endpoint: a bare POST may fail validation (422)
@roles_required(*REGISTRARS)
def register_cylinder_post() -> ResponseReturnValue:
    return _register()


def _register() -> ResponseReturnValue:
    """Register a cylinder: a PLANT `cylinder.registered` entry, max gross computed here.

    Two steps, because an entry cannot be taken back: a valid form first shows the maximum
    gross it works out; the entry is appended only when the user confirms that very figure
    (`confirm_max_gross_g`), so values edited after the preview are previewed again.
    """
    fields = ("cylinder", "refrigerant", "tare_kg", "water_capacity_kg")
    form = {k: request.form.get(k, "").strip() for k in fields}
    form["cylinder"] = form["cylinder"].upper()
    errors: dict[str, str] = {}
    preview: dict[str, Any] | None = None
    if request.method == "POST":
        data, errors = _check_registration(form)
        confirmed = request.form.get("confirm_max_gross_g") == str(data.get("max_gross_g"))
        if not errors and not confirmed:
            preview = {**data, "sg": catalogue_in_force().refrigerant_sg[data["refrigerant"]]}
        elif not errors:
            try:
                index = _append("cylinder.registered", f"cylinder:{form['cylinder']}", data)
            except (EventError, AppendError) as exc:
                errors["form"] = refusal_text(exc)
            else:
                flash(gettext(
                    "Cylinder %(cylinder)s registered at entry %(index)s for %(refrigerant)s: "
                    "tare %(tare)s, water capacity %(capacity)s, maximum gross (Guideline K) "
                    "%(max_gross)s. Stations refuse a recovery that would take it above that.",
                    cylinder=form["cylinder"], index=index, refrigerant=data["refrigerant"],
                    tare=kg(data["tare_g"]), capacity=kg(data["water_capacity_g"]),
                    max_gross=kg(data["max_gross_g"])), "info")
                return redirect(url_for("stations.cylinder_list"))
    return render_template("stations/register_cylinder.html", form=form, errors=errors,
                           preview=preview, refrigerants=refrigerants()), \
        422 if errors else 200


def _grams(raw: str) -> int | None:
    """Kilograms as typed (up to 3 decimals) in whole grams; None if not such a number."""
    if not _KG.match(raw):
        return None
    grams = int(Decimal(raw) * 1000)
    return grams if 0 < grams <= MAX_KG * 1000 else None


def _check_registration(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    cylinder, refrigerant = form["cylinder"], form["refrigerant"]
    if not _CYLINDER_ID.fullmatch(cylinder):
        errors["cylinder"] = gettext(
            "Cylinder id %(value)s: use the id on the cylinder's label, CYL- followed by 1 to 8 "
            "digits, e.g. CYL-0007.", value=repr(_short(cylinder)))
    elif (known := cylinders(only=cylinder)):
        errors["cylinder"] = gettext(
            "Cylinder %(value)s is already registered (entry %(index)s, %(refrigerant)s). A "
            "label is registered once; give a new cylinder a new label.", value=cylinder,
            index=known[0].index, refrigerant=known[0].refrigerant)
    if refrigerant not in refrigerants():
        errors["refrigerant"] = gettext(
            "Refrigerant %(value)s is not in the process catalogue; choose one of %(known)s.",
            value=repr(_short(refrigerant)), known=", ".join(refrigerants()))
    labels = {"tare_kg": lazy_gettext("Tare"),
              "water_capacity_kg": lazy_gettext("Water capacity")}
    grams: dict[str, int] = {}
    for field, label in labels.items():
        value = _grams(form[field])
        if value is None:
            errors[field] = gettext(
                "%(label)s %(value)s: enter kilograms above 0 and at most %(high)s, with at "
                "most 3 decimals after a point and no unit (7 kg 720 g is 7.720).",
                label=label, value=repr(_short(form[field])), high=MAX_KG)
        else:
            grams[field] = value
    if not errors and (problem := _signer_problem(approving=False)):
        errors["form"] = problem
    if errors:
        return {}, errors
    tare, capacity = grams["tare_kg"], grams["water_capacity_kg"]
    max_gross = process_catalogue.guideline_k_max_gross_g(
        refrigerant, capacity, tare, catalogue_in_force())
    return {"refrigerant": refrigerant, "tare_g": tare, "water_capacity_g": capacity,
            "max_gross_g": max_gross}, {}
