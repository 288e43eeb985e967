"""Stations and devices: registered keys (approve, revoke), scales and their calibration.

The console only accepts events from stations whose Ed25519 key an admin approved: approving
appends a PLANT `station.registered` entry, revoking a `station.revoked` one, each naming the
admin in `approved_by`. Scales are what the ledger has calibration checks for (subjects
`scale:*`); a manager or admin records a check here as a PLANT `scale.calibrated` entry.
Recovery cylinders (list and registration) are in web/stations/cylinders.py, on this blueprint.

Reads: the `stations` projection (with when each station's latest event happened), each
station's latest heartbeat (`station_heartbeats`, ledger/heartbeats.py: its last contact with
the console and its outbox backlog, as the station said it), the `scales` read model
(which scales have checks) and their entries through `Ledger.subject_bodies` (the ledger's one
query for a subject's entries), corrections folded by `ledger.corrections.fold`. A scale is
overdue by the catalogue in force's `tolerances.calibration_period_h`, the period the ledger's
calibration flag and the dashboard judge by.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import text

from ledger import heartbeats
from ledger.corrections import fold
from ledger.encoding import decode_base64
from ledger.events import PLANT_STATION, EventError, parse_event, utc_now_ms
from ledger.log import AppendError, Submission
from web import export
from web.access import current_role, roles_required
from web.context import engine, ledger
from web.names import catalogue_in_force
from web.nav import add_nav
from web.refusals import refusal_text
from web.stations import files

bp = Blueprint("stations", __name__, url_prefix="/stations", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Stations"), order=40)
bp.context_processor(lambda: {"scale_status_name": files.scale_status_name})

VIEWERS = ("manager", "inspector", "admin")
MAX_GRAMS = 10**9

_STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$")  # scale ids, approved_by
_OPERATOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_GRAMS = re.compile(r"^[0-9]{1,10}$")


def calibration_period_h() -> int:
    """Hours within which a scale needs a passing check: the catalogue in force's."""
    return catalogue_in_force().tolerances.calibration_period_h


# -- reading ---------------------------------------------------------------------------------


def fingerprint(public_key_b64: str) -> str:
    """A short, stable name for a key: the first 8 bytes of SHA-256 of the raw key, in hex."""
    raw = decode_base64(public_key_b64) or public_key_b64.encode()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Check:
    """One calibration check as the ledger holds it (corrections applied)."""

    index: int
    time: str
    station: str
    operator: str
    reference_g: int
    reading_g: int
    tolerance_g: int
    passed: bool
    certificate: str | None
    corrected: bool

    @property
    def error_g(self) -> int:
        return self.reading_g - self.reference_g


@dataclass(frozen=True)
class Scale:
    scale: str
    checks: list[Check]  # oldest first
    status: str  # "ok", "overdue", "failed" or "never"

    @property
    def last(self) -> Check | None:
        return self.checks[-1] if self.checks else None

    @property
    def last_passed(self) -> Check | None:
        return next((c for c in reversed(self.checks) if c.passed), None)


def scales(only: str | None = None) -> list[Scale]:
    """Every scale with a check (or just `only`), with its checks and status, by name."""
    if only is None:
        with engine().connect() as conn:
            names = list(conn.execute(text("SELECT scale FROM scales ORDER BY scale")).scalars())
    else:
        names = [only]
    events: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for idx, body in ledger().subject_bodies([f"scale:{name}" for name in names]):
        event = json.loads(body)["event"]
        events.setdefault(event["subject"].split(":", 1)[1], []).append((idx, event))
    now = datetime.now(UTC)
    period = timedelta(hours=calibration_period_h())
    return [_scale(name, events[name], now, period) for name in sorted(events)]


def _scale(name: str, entries: list[tuple[int, dict[str, Any]]], now: datetime,
           period: timedelta) -> Scale:
    effective, corrections = fold(entries)
    corrected = {record["corrects"] for record in corrections}
    checks = []
    for idx, event in effective:
        if event["type"] != "scale.calibrated":
            continue
        data = event["data"]
        checks.append(Check(idx, event["time"], event["station"], event["operator"],
                            data["reference_g"], data["reading_g"], data["tolerance_g"],
                            bool(data["passed"]), data.get("reference_certificate"),
                            idx in corrected))
    checks.sort(key=lambda c: (c.time, c.index))
    if not checks:
        status = "never"
    elif not checks[-1].passed:
        status = "failed"
    else:
        passed_at = datetime.fromisoformat(checks[-1].time)
        status = "ok" if now - passed_at <= period else "overdue"
    return Scale(name, checks, status)


@dataclass(frozen=True)
class Contact:
    """A station's latest heartbeat: when the console received it, and what the station said."""

    received_at: str
    age_s: float
    pending: int
    held: int
    agent_version: str

    @property
    def stale(self) -> bool:
        """No heartbeat for longer than three intervals: out of contact."""
        return self.age_s > heartbeats.STALE_AFTER_S


def _stations() -> list[dict[str, Any]]:
    """Every station with its key, state, latest event and latest heartbeat (or None)."""
    with engine().connect() as conn:
        rows = conn.execute(text(
            "SELECT s.station, s.public_key, s.name, s.state, s.registered_index, s.last_index, "
            "s.last_seen_at, h.received_at, h.pending, h.held, h.agent_version "
            "FROM stations s LEFT JOIN station_heartbeats h ON h.station = s.station "
            "ORDER BY s.station")).mappings().all()
    now = datetime.now(UTC)
    found = []
    for row in rows:
        contact = None if row["received_at"] is None else Contact(
            row["received_at"], max(heartbeats.age_s(row["received_at"], now), 0.0),
            row["pending"], row["held"], row["agent_version"])
        found.append(dict(row, fingerprint=fingerprint(row["public_key"]), contact=contact))
    return found


def _station(station: str) -> dict[str, Any] | None:
    with engine().connect() as conn:
        row = conn.execute(text("SELECT station, public_key, name, state, registered_index "
                                "FROM stations WHERE station = :s"),
                           {"s": station}).mappings().first()
    return None if row is None else dict(row, fingerprint=fingerprint(row["public_key"]))


# -- pages -----------------------------------------------------------------------------------


@bp.route("/")
@roles_required(*VIEWERS)
def index() -> ResponseReturnValue:
    try:
        fmt = export.requested()
    except ValueError as exc:
        return export.refused(str(exc))
    if fmt is not None:
        table = request.args.get("table", "stations")
        if table not in files.TABLES:
            return export.refused(gettext("“%(value)s” is not a table of this page: ask for "
                                          "table=stations or table=scales.", value=table[:40]))
        rows = _stations() if table == "stations" else scales()
        return files.download(table, fmt, rows)
    return render_template("stations/index.html", stations=_stations(), scales=scales(),
                           period_h=calibration_period_h(), role=current_role(),
                           stale_after_s=heartbeats.STALE_AFTER_S,
                           interval_s=heartbeats.INTERVAL_S,
                           files={table: {f: url_for(".index", table=table, format=f)
                                          for f in export.FORMATS} for table in files.TABLES})


@bp.route("/scales/<scale>")
@roles_required(*VIEWERS)
def scale(scale: str) -> ResponseReturnValue:
    found = scales(only=scale)
    return render_template("stations/scale.html", name=scale, scale=found[0] if found else None,
                           period_h=calibration_period_h(), role=current_role())


# -- writing ---------------------------------------------------------------------------------


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _append(event_type: str, subject: str, data: dict[str, Any]) -> int:
    """Append one PLANT event said by the signed-in user; raises EventError / AppendError."""
    event = parse_event({"id": str(uuid.uuid4()), "type": event_type, "time": utc_now_ms(),
                         "station": PLANT_STATION, "operator": current_user.name,
                         "subject": subject, "data": data})
    return ledger().append([Submission(event)])[0].index


def _signer_problem(approving: bool) -> str | None:
    """Why the signed-in user's name cannot stand in an event, if it cannot."""
    name = current_user.name
    pattern = _CODE if approving else _OPERATOR
    if not _OPERATOR.match(name) or not pattern.match(name):
        return gettext("Your user name %(name)s cannot be recorded in the ledger (it allows only "
                       "letters A-Z, digits, '.', '_' and '-'). Ask an administrator to create "
                       "an account with such a name for this work.", name=name)
    return None


@bp.get("/new")
@roles_required("admin")
def approve() -> ResponseReturnValue:
    return _approve()


@bp.post("/new")  # its own endpoint: a bare POST may fail validation (422)
@roles_required("admin")
def approve_post() -> ResponseReturnValue:
    return _approve()


def _approve() -> ResponseReturnValue:
    """Approve a station's key: a PLANT `station.registered` entry."""
    form = {k: request.form.get(k, "").strip() for k in ("station", "name", "public_key")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _check_approval(form)
        if not errors:
            try:
                index = _append("station.registered", f"station:{form['station']}",
                                {"public_key": form["public_key"], "name": form["name"],
                                 "approved_by": current_user.name})
            except (EventError, AppendError) as exc:
                errors["form"] = refusal_text(exc)
            else:
                flash(gettext("Station %(station)s approved: its key %(fingerprint)s is "
                              "registered at entry %(index)s.", station=form["station"],
                              fingerprint=fingerprint(form["public_key"]), index=index), "info")
                return redirect(url_for("stations.index"))
    status = 422 if errors else 200
    return render_template("stations/approve.html", form=form, errors=errors), status


def _check_approval(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    station, name, key = form["station"], form["name"], form["public_key"]
    if not _STATION_ID.match(station) or station == PLANT_STATION:
        errors["station"] = gettext(
            "Station id %(value)s: use 1 to 32 letters A-Z, digits, '.', '_' or '-', starting "
            "with a letter or digit, e.g. ST-04 (PLANT is reserved for the console).",
            value=repr(_short(station)))
    elif (row := _station(station)) is not None and row["state"] == "active":
        errors["station"] = gettext(
            "Station %(value)s is already registered and active (entry %(index)s). Revoke it "
            "first to register a new key.", value=station, index=row["registered_index"])
    if not 1 <= len(name) <= 500:
        errors["name"] = gettext("Give the station a name (up to 500 characters) that says where "
                                 "it is and what it does.")
    raw = decode_base64(key)
    if raw is None or len(raw) != 32:
        errors["public_key"] = gettext(
            "Public key %(value)s is not a base64 Ed25519 public key (32 bytes, 44 characters "
            "ending in '='). Copy it again from the station's setup screen.",
            value=repr(_short(key)))
    if problem := _signer_problem(approving=True):
        errors["form"] = problem
    return errors


@bp.get("/<station>/revoke")
@roles_required("admin")
def revoke(station: str) -> ResponseReturnValue:
    return _revoke(station)


@bp.post("/<station>/revoke")  # its own endpoint: a bare POST may fail validation (422)
@roles_required("admin")
def revoke_post(station: str) -> ResponseReturnValue:
    return _revoke(station)


def _revoke(station: str) -> ResponseReturnValue:
    """Revoke a station's key: a PLANT `station.revoked` entry with the reason."""
    row = _station(station)
    if row is None or row["state"] != "active":
        flash(gettext("Station %(station)s is not registered and active; there is nothing to "
                      "revoke.", station=station), "error")
        return redirect(url_for("stations.index"))
    reason = request.form.get("reason", "").strip()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not 1 <= len(reason) <= 500:
            errors["reason"] = gettext("Say why the key is revoked (up to 500 characters), e.g. "
                                       "'tablet lost' or 'replaced by a new station'.")
        elif problem := _signer_problem(approving=True):
            errors["form"] = problem
        else:
            try:
                index = _append("station.revoked", f"station:{station}",
                                {"reason": reason, "approved_by": current_user.name})
            except (EventError, AppendError) as exc:
                errors["form"] = refusal_text(exc)
            else:
                flash(gettext("Station %(station)s revoked at entry %(index)s: the console no "
                              "longer accepts its events.", station=station, index=index), "info")
                return redirect(url_for("stations.index"))
    return render_template("stations/revoke.html", station=row, reason=reason,
                           errors=errors), 422 if errors else 200


@bp.get("/calibrations/new")
@roles_required("manager", "admin")
def calibrate() -> ResponseReturnValue:
    return _calibrate()


@bp.post("/calibrations/new")  # its own endpoint: a bare POST may fail validation (422)
@roles_required("manager", "admin")
def calibrate_post() -> ResponseReturnValue:
    return _calibrate()


def _calibrate() -> ResponseReturnValue:
    """Record a calibration check: a PLANT `scale.calibrated` entry, passed computed here."""
    fields = ("scale", "reference_g", "reading_g", "tolerance_g", "reference_certificate")
    source = request.form if request.method == "POST" else request.args
    form = {k: source.get(k, "").strip() for k in fields}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = _check_calibration(form)
        if not errors:
            data: dict[str, Any] = {**values, "passed": abs(values["reading_g"]
                                                             - values["reference_g"])
                                    <= values["tolerance_g"]}
            if form["reference_certificate"]:
                data["reference_certificate"] = form["reference_certificate"]
            try:
                index = _append("scale.calibrated", f"scale:{form['scale']}", data)
            except (EventError, AppendError) as exc:
                errors["form"] = refusal_text(exc)
            else:
                if data["passed"]:
                    flash(gettext("Calibration check of %(scale)s recorded at entry %(index)s: "
                                  "passed.", scale=form["scale"], index=index), "info")
                else:
                    flash(gettext("Calibration check of %(scale)s recorded at entry %(index)s: "
                                  "FAILED, the reading is outside the tolerance. Do not weigh on "
                                  "this scale until it passes a check.", scale=form["scale"],
                                  index=index), "error")
                return redirect(url_for("stations.scale", scale=form["scale"]))
    return render_template("stations/calibrate.html", form=form, errors=errors), \
        422 if errors else 200


def _check_calibration(form: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    if not _CODE.match(form["scale"]):
        errors["scale"] = gettext("Scale id %(value)s: use the id on the scale's label, letters "
                                  "A-Z, digits, '.', '_' or '-', e.g. SC-2.",
                                  value=repr(_short(form["scale"])))
    labels = {"reference_g": lazy_gettext("Reference mass"),
              "reading_g": lazy_gettext("Reading"),
              "tolerance_g": lazy_gettext("Tolerance")}
    for field, label in labels.items():
        raw = form[field]
        smallest = 1 if field == "reference_g" else 0
        if not _GRAMS.match(raw) or not smallest <= int(raw) <= MAX_GRAMS:
            errors[field] = gettext(
                "%(label)s %(value)s: enter whole grams from %(low)s to %(high)s, without a "
                "decimal point or unit (20 kg is 20000).", label=label,
                value=repr(_short(raw)), low=smallest, high=f"{MAX_GRAMS:,}")
        else:
            values[field] = int(raw)
    if len(form["reference_certificate"]) > 500:
        errors["reference_certificate"] = gettext(
            "The certificate reference is longer than 500 characters; shorten it.")
    if not errors and (problem := _signer_problem(approving=False)):
        errors["form"] = problem
    return values, errors


from web.stations import cylinders as _cylinders  # noqa: E402,F401  its routes join this blueprint
