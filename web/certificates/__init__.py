"""Certificates in the console: issue, list, download and revoke them (the public verify page
is web.certificates.verify).

Who: managers and admins issue and revoke; inspectors (and managers, admins) list, open and
download; workers have no business here. Every issued certificate is a `certificate.issued`
entry about `cert:<sha256>`, so the list is read from the ledger (the (subject, idx) index
covers the `cert:` range); the documents themselves are kept in the instance folder
(ledger.certificates.archive).

Issuing a unit certificate or a lot manifest takes about a second and happens in the request.
A period report or a fund table (拆解处理情况表) runs as a background job
(ledger.certificates.jobs) with a progress page that htmx polls; the job's process outlives
the request and the worker.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import select

from ledger.certificates import archive, bundle, jobs
from ledger.certificates.fund_xlsx import XlsxError
from ledger.certificates.issue import IssueError, records, revoke
from ledger.events import EventError
from ledger.rules import codes
from ledger.tables import Unit, table_of
from web import export
from web.access import current_role, roles_required
from web.certificates import files
from web.certificates.subjects import describe, subject_of
from web.context import console, engine, ledger
from web.names import category_names, glossary_name, template_names
from web.nav import add_nav
from web.paging import number_arg

bp = Blueprint("certificates", __name__, url_prefix="/certificates", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Certificates"), order=40)
bp.context_processor(template_names)

VIEWERS = ("manager", "inspector", "admin")
ISSUERS = ("manager", "admin")
PAGE = 50
MAX_REASON = 500
CONSOLE_URL_ENV = "DLEDGER_CONSOLE_URL"  # the console's public address, for the QR code
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$")  # a subject name


def console_url() -> str:
    """Where inspectors reach this console: $DLEDGER_CONSOLE_URL, else the address asked."""
    return os.environ.get(CONSOLE_URL_ENV) or request.host_url.rstrip("/")


# -- the list ---------------------------------------------------------------------------------


def kind_name(kind: str) -> str:
    """What a certificate of `kind` is called (the glossary, ledger/rules/codes.py)."""
    return glossary_name(codes.CERTIFICATE_KIND_NAMES, kind)


def _issued(before: int | None, page: int = PAGE) -> tuple[list[dict[str, Any]], int | None]:
    """Issued certificates, newest first, `page` at a time, with their subject and their
    revocation if any."""
    rows = ledger().prefix_bodies("cert:", etype="certificate.issued", before=before,
                                  limit=page + 1, newest_first=True)
    subjects = [subject for _, subject, _ in rows[:page]]
    revoked = {}
    for idx, body in ledger().subject_bodies(subjects) if subjects else ():
        event = json.loads(body)["event"]
        if event["type"] == "certificate.revoked":
            revoked[event["subject"]] = (idx, event)
    home = console().instance.home
    items = []
    for idx, subject, body in rows[:page]:
        event = json.loads(body)["event"]
        digest = event["data"]["sha256"]
        items.append({"index": idx, "sha256": digest, "kind": event["data"]["kind"],
                      "time": event["time"], "operator": event["operator"],
                      "revoked": revoked.get(subject),
                      "subject": describe(subject_of(home, digest)),
                      # issued under the contract's subject (older records used other names)
                      "linked": subject == f"cert:{digest}",
                      "kept": archive.pdf_path(home, digest).exists()})
    older = rows[page - 1][0] if len(rows) > page else None
    return items, older


def _every_issued() -> Any:
    """Every issued certificate, newest first, read a thousand at a time (for the file)."""
    before = None
    while True:
        items, before = _issued(before, page=1000)
        yield from items
        if before is None:
            return


@bp.route("/")
@roles_required(*VIEWERS)
def index() -> ResponseReturnValue:
    try:
        fmt = export.requested()
    except ValueError as exc:
        return export.refused(str(exc))
    if fmt is not None:
        return files.download(_every_issued(), fmt, kind_name)
    items, older = _issued(number_arg("before"))
    running = [job for job in jobs.recent(console().instance.home, limit=5)
               if job["state"] in ("starting", "running")]
    return render_template("certificates/index.html", items=items, older=older,
                           running=running, can_issue=current_role() in ISSUERS,
                           categories=category_names(), form={}, errors={})


@bp.context_processor
def _list_context() -> dict[str, Any]:
    return {"kind_name": kind_name,
            "list_files": {f: url_for("certificates.index", format=f) for f in export.FORMATS}}


# -- issuing ----------------------------------------------------------------------------------


def _request(form: dict[str, str], categories: list[str]) -> tuple[jobs.Request | None,
                                                                   dict[str, str]]:
    """The issue form as a jobs.Request, or the problems found, by field."""
    kind, errors = form.get("kind", ""), {}
    asked = jobs.Request(kind=kind, time_zone=console().timezone.key, gwp_basis=console().gwp,
                         operator=current_user.name, console_url=console_url())
    if kind in ("unit", "lot"):
        value = form.get(kind, "")
        if not _LABEL.match(value):
            errors[kind] = (gettext("Enter the unit's label, e.g. CN3301-2026-0001234.")
                            if kind == "unit" else
                            gettext("Enter the lot id, e.g. LOT-20261120-STEEL."))
            return None, errors
        if kind == "unit" and (problem := _not_certifiable(value)):
            return None, {"unit": problem}
        return (replace(asked, label=value) if kind == "unit" else replace(asked, lot=value)), {}
    if kind not in ("period", "fund_table"):
        return None, {"kind": gettext("Choose what to issue: a unit certificate, a period "
                                      "report, a lot manifest or the fund table.")}
    days = {}
    for name in ("start", "end"):
        try:
            days[name] = date.fromisoformat(form.get(name, ""))
        except ValueError:
            errors[name] = gettext("Date %(value)s: enter a date as YYYY-MM-DD.",
                                   value=repr(form.get(name, "")[:20]))
    if not errors and days["end"] < days["start"]:
        errors["end"] = gettext("The period ends before it starts; swap the dates.")
    unknown = [c for c in categories if c not in category_names()]
    if kind == "fund_table" and categories:
        errors["categories"] = gettext("The fund table lists every category; choose none.")
    elif unknown:
        errors["categories"] = gettext("Unknown category %(value)s.", value=repr(unknown[0]))
    if errors:
        return None, errors
    return replace(asked, start=form["start"], end=form["end"], categories=tuple(categories)), {}


def _not_certifiable(label: str) -> str | None:
    """Why unit `label` gets no dismantling certificate now, in the reader's words: it is not
    in the ledger, or its dismantling is not completed (the certificate's builder refuses
    both too; this says it before anything is built)."""
    units = table_of(Unit)
    with engine().connect() as conn:
        state = conn.execute(select(units.c.state).where(units.c.label == label)).scalar()
    if state is None:
        return gettext("No unit has the label %(label)s in the ledger: check the label on the "
                       "unit and type it again.", label=label)
    if state != "completed":
        return gettext("Unit %(label)s is still being dismantled: a unit dismantling "
                       "certificate is issued only once its dismantling is completed. Issue "
                       "it after the unit is completed at the last station.", label=label)
    return None


@bp.route("/issue", methods=["POST"])
@roles_required(*ISSUERS)
def issue() -> ResponseReturnValue:
    form = {name: (request.form.get(name) or "").strip()
            for name in ("kind", "unit", "lot", "start", "end")}
    wanted, errors = _request(form, request.form.getlist("categories"))
    if wanted is None:
        items, older = _issued(None)
        return render_template("certificates/index.html", items=items, older=older, running=[],
                               can_issue=True, categories=category_names(),
                               form={**form, "categories": request.form.getlist("categories")},
                               errors=errors), 422
    instance = console().instance
    if wanted.kind in ("period", "fund_table"):
        job = jobs.start(instance, wanted, by=current_user.name)
        return redirect(url_for("certificates.job", job=job))
    try:
        digest = jobs.issue_and_store(instance, wanted, ledger=ledger())
    except jobs.EXPECTED as exc:
        flash(gettext("No certificate was issued: %(reason)s", reason=str(exc)), "error")
        items, older = _issued(None)
        return render_template("certificates/index.html", items=items, older=older,
                               running=[], can_issue=True, categories=category_names(),
                               form=form, errors={}), 422
    flash(gettext("Certificate issued."), "info")
    return redirect(url_for("certificates.certificate", sha256=digest))


# -- background jobs --------------------------------------------------------------------------


def _job(job_id: str) -> dict[str, Any] | None:
    try:
        return jobs.read(console().instance.home, job_id)
    except ValueError:
        return None


@bp.route("/jobs/<job>")
@roles_required(*VIEWERS)
def job(job: str) -> ResponseReturnValue:
    found = _job(job)
    if found is None:
        flash(gettext("There is no such certificate job; it may have been removed."), "error")
        return redirect(url_for("certificates.index"))
    return render_template("certificates/job.html", job=found, fraction=jobs.fraction(found))


@bp.route("/jobs/<job>/status")
@roles_required(*VIEWERS)
def job_status(job: str) -> ResponseReturnValue:
    """The job panel alone, for htmx to poll while the job runs."""
    found = _job(job)
    if found is None:
        return Response(status=286)  # htmx: stop polling
    return render_template("certificates/_job.html", job=found, fraction=jobs.fraction(found))


# -- one certificate --------------------------------------------------------------------------


def _records(sha256: str) -> dict[str, Any] | None:
    if not archive.is_sha256(sha256):
        return None
    found = records(ledger(), sha256)
    return found if found["issued"] is not None else None


def _unknown(sha256: str) -> ResponseReturnValue:
    flash(gettext("No certificate with SHA-256 %(sha256)s was issued here.",
                  sha256=sha256[:64]), "error")
    return redirect(url_for("certificates.index"))


@bp.route("/<sha256>")
@roles_required(*VIEWERS)
def certificate(sha256: str) -> ResponseReturnValue:
    found = _records(sha256)
    if found is None:
        return _unknown(sha256)
    home = console().instance.home
    try:
        document = archive.load(home, sha256)
    except archive.ArchiveError as exc:
        flash(str(exc), "error")
        document = None
    return render_template("certificates/certificate.html", sha256=sha256,
                           issued=found["issued"], revoked=found["revoked"], document=document,
                           has_pdf=archive.pdf_path(home, sha256).exists(),
                           has_bundle=archive.bundle_path(home, sha256).exists(),
                           can_revoke=current_role() in ISSUERS, reason="", error=None)


def _download(sha256: str, suffix: str, mimetype: str) -> ResponseReturnValue:
    if _records(sha256) is None:
        return _unknown(sha256)
    path = (archive.pdf_path if suffix == "pdf" else archive.json_path)(console().instance.home,
                                                                         sha256)
    if not path.exists():
        flash(gettext("This console keeps no copy of that certificate's %(format)s.",
                      format=suffix.upper()), "error")
        return redirect(url_for("certificates.certificate", sha256=sha256))
    return Response(path.read_bytes(), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="certificate-{sha256[:16]}.{suffix}"'})


@bp.route("/<sha256>/pdf")
@roles_required(*VIEWERS)
def download_pdf(sha256: str) -> ResponseReturnValue:
    return _download(sha256, "pdf", "application/pdf")


@bp.route("/<sha256>/json")
@roles_required(*VIEWERS)
def download_json(sha256: str) -> ResponseReturnValue:
    return _download(sha256, "json", "application/json")


@bp.route("/<sha256>/xlsx")
@roles_required(*VIEWERS)
def download_xlsx(sha256: str) -> ResponseReturnValue:
    """An issued fund table as the XLSX workbook the plant files (ledger.certificates.
    fund_xlsx), written from the stored JSON the first time it is asked for, then kept."""
    if _records(sha256) is None:
        return _unknown(sha256)
    home = console().instance.home
    path = archive.xlsx_path(home, sha256)
    if not path.exists():
        back = redirect(url_for("certificates.certificate", sha256=sha256))
        try:
            document = archive.load(home, sha256)
        except archive.ArchiveError as exc:
            flash(str(exc), "error")
            return back
        if document is None:
            flash(gettext("This console keeps no copy of that certificate's %(format)s.",
                          format="JSON"), "error")
            return back
        if document["kind"] != "fund_table":
            flash(gettext("Only a fund table (拆解处理情况表) has an XLSX workbook."), "error")
            return back
        try:
            archive.save_xlsx(home, sha256, document)
        except XlsxError as exc:
            flash(gettext("The workbook could not be written: %(reason)s", reason=str(exc)),
                  "error")
            return back
    return send_file(path, mimetype=export.FORMATS["xlsx"], as_attachment=True,
                     download_name=f"fund-table-{sha256[:16]}.xlsx")


@bp.route("/<sha256>/entries")
@roles_required(*VIEWERS)
def download_entries(sha256: str) -> ResponseReturnValue:
    """A large period report's entry bundle, named like its JSON and PDF downloads so that
    the verifier finds it beside them."""
    if _records(sha256) is None:
        return _unknown(sha256)
    path = archive.bundle_path(console().instance.home, sha256)
    if not path.exists():
        flash(gettext("This certificate carries its entries inside; there is no separate "
                      "entry bundle."), "error")
        return redirect(url_for("certificates.certificate", sha256=sha256))
    return send_file(path, mimetype="application/gzip", as_attachment=True,
                     download_name=f"certificate-{sha256[:16]}{bundle.SUFFIX}")


@bp.route("/<sha256>/revoke", methods=["POST"])
@roles_required(*ISSUERS)
def revoke_certificate(sha256: str) -> ResponseReturnValue:
    found = _records(sha256)
    if found is None:
        return _unknown(sha256)
    reason = " ".join((request.form.get("reason") or "").split())
    error = None
    if not reason:
        error = gettext("Give the reason for revoking it; it is recorded in the ledger.")
    elif len(reason) > MAX_REASON:
        error = gettext("The reason is %(length)d characters long; shorten it to at most "
                        "%(max)d.", length=len(reason), max=MAX_REASON)
    if error is None:
        try:
            index = revoke(ledger(), sha256, reason, current_user.name,
                           operator=current_user.name)
        except (IssueError, EventError) as exc:
            error = gettext("The certificate was not revoked: %(reason)s", reason=str(exc))
        else:
            flash(gettext("Certificate revoked (entry %(index)s).", index=index), "info")
            return redirect(url_for("certificates.certificate", sha256=sha256))
    home = console().instance.home
    return render_template("certificates/certificate.html", sha256=sha256,
                           issued=found["issued"], revoked=found["revoked"],
                           document=archive.load(home, sha256),
                           has_pdf=archive.pdf_path(home, sha256).exists(),
                           has_bundle=archive.bundle_path(home, sha256).exists(),
                           can_revoke=True, reason=reason, error=error), 422
