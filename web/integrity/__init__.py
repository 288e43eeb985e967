"""The ledger itself: signed checkpoints with their witnesses' cosignatures, the witnesses and
the checkpoint publisher's state (witnessing.py), audit status and runs, consistency proofs.

Running an audit: the audit reads every entry, which can take minutes on a big ledger, so a
request starts it in a background thread of the worker process that received it, and the
thread keeps its progress in `<instance>/audit-status.json`. That file, replaced atomically
(write a temporary file, then rename), is what every gunicorn worker reads, so whichever
worker answers htmx's once-a-second poll shows the same "n of N entries checked" and then
the result. Starting takes an exclusive `flock` on `audit-status.lock`, so two workers never
start two audits at once.

Limits, on purpose (a job table would need a schema change in ledger/, and a job queue a
service the plant does not run): the job lives as long as the worker process that runs it.
If that process dies (restart, `--max-requests`, OOM), the file still says "running" with the
process id; readers see that no process has that id any more and show the audit as
interrupted, so it can be started again. Process ids are only meaningful on one machine: the
instance folder must not be shared by consoles on several machines. The ledger reports
progress every 10,000 entries, so a small ledger goes from 0 to done in one step. Only the
latest audit's result is kept (it also goes to the log).
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import Engine, text

from ledger import merkle, processes
from ledger.audit import audit
from ledger.events import utc_now_ms
from ledger.instance import Instance, retired_vkeys
from ledger.keys import KeyFileError
from ledger.log import LedgerError
from ledger.note import NoteError, Verifier, open_note
from ledger.proof import consistency_text
from ledger.witness.plant import cosignatures_at
from web.access import current_role, roles_required
from web.context import console, engine, ledger
from web.integrity.witnessing import witness_view
from web.nav import add_nav
from web.paging import whole_number

log = logging.getLogger(__name__)

bp = Blueprint("integrity", __name__, url_prefix="/ledger", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Ledger"), order=50)

VIEWERS = ("manager", "inspector", "admin")
STATUS_FILE = "audit-status.json"
LOCK_FILE = "audit-status.lock"
WRITE_EVERY_S = 0.5  # at most this often while progress comes in
SHOWN_CHECKPOINTS = 20


# -- the audit job ---------------------------------------------------------------------------


def _write_status(home: Path, status: dict[str, Any]) -> None:
    """Replace the status file atomically: readers see the old or the new one, never half."""
    tmp = home / f".{STATUS_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, home / STATUS_FILE)




def read_status(home: Path) -> dict[str, Any] | None:
    """The latest audit job as the status file says, "running" turned into "interrupted"
    when the process that ran it is gone."""
    try:
        status = json.loads((home / STATUS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        log.warning("%s is not JSON; showing no audit status", home / STATUS_FILE)
        return None
    if status.get("state") == "running" and not processes.alive(int(status.get("pid", 0))):
        status["state"] = "interrupted"
    return status


@contextmanager
def _start_lock(home: Path) -> Iterator[None]:
    with (home / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_audit(instance: Instance, db: Engine, by: str) -> threading.Thread | None:
    """Start an audit in a background thread; None if one is running already."""
    home = instance.home
    vkeys = [*retired_vkeys(instance), instance.vkey()]
    with _start_lock(home):
        current = read_status(home)
        if current is not None and current["state"] == "running":
            return None
        with db.connect() as conn:
            total = conn.execute(text("SELECT size FROM ledger_state WHERE id = 1")).scalar_one()
        status = {"job": str(uuid.uuid4()), "state": "running", "pid": os.getpid(), "by": by,
                  "started_at": utc_now_ms(), "finished_at": None, "total": total,
                  "checked": 0, "report": None, "error": None}
        _write_status(home, status)
    thread = threading.Thread(target=_run, args=(db, home, vkeys, status), daemon=True,
                              name=f"dledger-audit-{status['job'][:8]}")
    thread.start()
    log.info("audit %s started by %s over %d entries", status["job"], by, total)
    return thread


def _run(db: Engine, home: Path, vkeys: list[str], status: dict[str, Any]) -> None:
    last_write = 0.0

    def progress(n: int) -> None:
        nonlocal last_write
        status["checked"] = min(status["checked"] + n, status["total"])
        if time.monotonic() - last_write >= WRITE_EVERY_S:
            _write_status(home, status)
            last_write = time.monotonic()

    try:
        report = audit(db, vkeys, progress=progress)
    except Exception as exc:  # the job must always end in the file, whatever went wrong
        log.exception("audit %s failed to run", status["job"])
        status.update(state="error", error=str(exc) or type(exc).__name__)
    else:
        status.update(state="done", report=report.as_dict(), checked=report.entries,
                      total=max(status["total"], report.entries))
        if report.ok:
            log.info("audit %s: ok, %d entries", status["job"], report.entries)
        else:
            log.warning("audit %s: FAILED at entry %s: %s", status["job"],
                        report.first_bad_index, report.problems[0].what)
    status["finished_at"] = utc_now_ms()
    _write_status(home, status)


# -- checkpoints and keys --------------------------------------------------------------------


def _keys() -> tuple[Verifier, list[Verifier]]:
    instance = console().instance
    return Verifier.parse(instance.vkey()), [Verifier.parse(v) for v in retired_vkeys(instance)]


def _checkpoints(limit: int | None = SHOWN_CHECKPOINTS) -> tuple[list[dict[str, Any]], int]:
    """The latest signed checkpoints, newest first, and how many there are in all."""
    current, retired = _keys()
    names = {current.key_id.hex(): "current", **{v.key_id.hex(): "retired" for v in retired}}
    query = ("SELECT size, key_id, root, signed_at FROM ledger_checkpoints "
             "ORDER BY size DESC, signed_at DESC")
    with engine().connect() as conn:
        rows = conn.execute(text(query + (f" LIMIT {int(limit)}" if limit else ""))).all()
        count = conn.execute(text("SELECT COUNT(*) FROM ledger_checkpoints")).scalar_one()
    cosigned: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for c in cosignatures_at(ledger(), sorted({size for size, *_ in rows})):
        cosigned.setdefault((c.size, c.key_id), []).append(
            {"witness": c.witness, "at": datetime.fromtimestamp(c.timestamp, UTC)})
    return [{"size": size, "key_id": key_id, "key": names.get(key_id, "unknown"),
             "root": base64.b64encode(bytes(root)).decode(), "signed_at": signed_at,
             "cosignatures": cosigned.get((size, key_id), [])}
            for size, key_id, root, signed_at in rows], count


def _sizes() -> list[int]:
    with engine().connect() as conn:
        return list(conn.execute(text("SELECT DISTINCT size FROM ledger_checkpoints "
                                      "WHERE size > 0 ORDER BY size")).scalars())


@bp.route("/")
@roles_required(*VIEWERS)
def index() -> ResponseReturnValue:
    checkpoints, count = _checkpoints()
    current, retired = _keys()
    return render_template("integrity/index.html", checkpoints=checkpoints, count=count,
                           size=ledger().size(), current=current, retired=retired,
                           status=read_status(console().instance.home), role=current_role(),
                           sizes=_sizes(), witnessing=witness_view(datetime.now(UTC)))


@bp.route("/checkpoint", methods=["POST"])
@roles_required("manager", "admin")
def sign_checkpoint() -> ResponseReturnValue:
    """Sign a checkpoint of the log as it is now (or say the latest one already covers it)."""
    before = _checkpoints(limit=1)[1]
    try:
        signed = ledger().checkpoint(console().instance.signer())
    except (LedgerError, KeyFileError) as exc:
        log.error("checkpoint refused: %s", exc)
        flash(gettext("No checkpoint was signed: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("integrity.index"))
    size = signed.checkpoint.size
    if _checkpoints(limit=1)[1] > before:
        log.info("checkpoint at size %d signed by %s's request", size, current_user.name)
        flash(gettext("Checkpoint signed at size %(size)s.", size=size), "info")
    else:
        flash(gettext("The log has not grown since the checkpoint at size %(size)s; no new "
                      "checkpoint was needed.", size=size), "info")
    return redirect(url_for("integrity.index"))


# -- audit -----------------------------------------------------------------------------------


@bp.route("/audit", methods=["POST"])
@roles_required(*VIEWERS)
def run_audit() -> ResponseReturnValue:
    instance = console().instance
    try:
        thread = start_audit(instance, engine(), current_user.name)
    except KeyFileError as exc:
        flash(gettext("The audit could not start: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("integrity.index"))
    if thread is None:
        flash(gettext("An audit is already running; its progress is shown below."), "info")
    else:
        flash(gettext("Audit started. You can leave this page; the result stays here."), "info")
    return redirect(url_for("integrity.index") + "#audit")


@bp.route("/audit/status")
@roles_required(*VIEWERS)
def audit_status() -> ResponseReturnValue:
    """The audit panel alone, for htmx to poll while a job runs."""
    return render_template("integrity/_audit.html", status=read_status(console().instance.home))


# -- consistency proofs ----------------------------------------------------------------------


def _consistency(old_raw: str, new_raw: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Check the form; prove and verify. Returns (result, errors by field)."""
    sizes = _sizes()
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for field, raw in (("old", old_raw), ("new", new_raw)):
        if (size := whole_number(raw)) is None or size not in sizes:
            errors[field] = gettext(
                "Tree size %(value)s: choose the size of a signed checkpoint (signed sizes: "
                "%(sizes)s).", value=repr(raw[:30]),
                sizes=", ".join(str(s) for s in sizes[-10:]) or "—")
        else:
            values[field] = size
    if not errors and values["old"] > values["new"]:
        errors["new"] = gettext("The new size %(new)s is smaller than the old size %(old)s; "
                                "swap them.", new=values["new"], old=values["old"])
    if errors:
        return None, errors
    old, new = values["old"], values["new"]
    current, retired = _keys()
    verifiers = [current, *retired]
    result: dict[str, Any] = {"old": old, "new": new, "proof": [], "ok": False, "why": None}
    roots: dict[int, bytes] = {}
    for size in (old, new):
        signed = ledger().checkpoint_at(size)
        assert signed is not None  # the size came from ledger_checkpoints
        try:
            open_note(signed.note, verifiers)
        except NoteError as exc:
            result["why"] = gettext("The checkpoint at size %(size)s does not verify with the "
                                    "plant's keys: %(reason)s", size=size, reason=str(exc))
            return result, {}
        roots[size] = signed.checkpoint.root
    result["roots"] = {size: base64.b64encode(root).decode() for size, root in roots.items()}
    try:
        proof = ledger().consistency_hashes(old, new) if old != new else []
    except LedgerError as exc:
        result["why"] = str(exc)
        return result, {}
    result["proof"] = [base64.b64encode(h).decode() for h in proof]
    try:
        merkle.verify_consistency(old, new, roots[old], roots[new], proof)
    except merkle.ProofError as exc:
        result["why"] = gettext("The proof does not verify: %(reason)s. The log at size "
                                "%(new)s does not extend the one signed at size %(old)s.",
                                reason=str(exc), new=new, old=old)
        return result, {}
    result["ok"] = True
    return result, {}


@bp.route("/consistency")
@roles_required(*VIEWERS)
def consistency() -> ResponseReturnValue:
    sizes = _sizes()
    form = {"old": request.args.get("old", "").strip(), "new": request.args.get("new", "").strip()}
    result: dict[str, Any] | None = None
    errors: dict[str, str] = {}
    if form["old"] or form["new"]:
        result, errors = _consistency(form["old"], form["new"])
    elif sizes:
        form = {"old": str(sizes[-2] if len(sizes) > 1 else sizes[-1]), "new": str(sizes[-1])}
    return render_template("integrity/consistency.html", sizes=sizes, form=form, result=result,
                           errors=errors), 422 if errors else 200


@bp.route("/consistency.txt")
@roles_required(*VIEWERS)
def consistency_download() -> ResponseReturnValue:
    """The proof as `dledger proof consistency OLD NEW` prints it: base64 hashes, one a line."""
    old, new = request.args.get("old", ""), request.args.get("new", "")
    result, errors = _consistency(old, new)
    if errors or result is None or (result["why"] is not None and not result["proof"]):
        flash(" ".join(errors.values()) or (result or {}).get("why") or "", "error")
        return redirect(url_for("integrity.consistency", old=old, new=new))
    body = consistency_text([base64.b64decode(h) for h in result["proof"]])
    return Response(body, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="consistency-{old}-{new}.txt"'})
