"""Issuing a certificate in the background, with progress, for the console.

A period report of thousands of units takes minutes to collect and lay out, and WeasyPrint
holds the CPU and a lot of memory while it works; inside a web worker it would stall every
other request that worker serves. So `start` runs the work in its own process
(`python -m ledger.certificates.jobs HOME JOB`), which outlives the request, frees its
memory when it ends and survives a restart of the console. The job's record is one JSON file,
`<instance>/jobs/<id>.json`, replaced atomically on every change, so any console worker can
show it (htmx polls it); the finished certificate goes to the archive
(`<instance>/certificates/<sha256>.json|.pdf`, see ledger.certificates.archive).

Progress is (done, total) within a phase: "collect" counts units whose entries and proofs
are gathered, "render" counts period-report lines laid out; "issue" is one step. A job whose
process is gone while the record says "running" reads as "interrupted"; process ids only
mean something on one machine, so the instance folder must not be shared between machines.

`issue_and_store` does the same work in the calling process, for callers that want to wait.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger import processes
from ledger.certificates import archive, pdf
from ledger.certificates.build import BuildError, build_lot, build_period, build_unit
from ledger.certificates.build_fund import build_fund_table
from ledger.certificates.issue import IssueError, issue
from ledger.events import EventError, utc_now_ms
from ledger.instance import Instance
from ledger.keys import KeyFileError
from ledger.log import Ledger, LedgerError

log = logging.getLogger(__name__)

FOLDER = "jobs"
WRITE_EVERY_S = 0.5  # at most this often while progress comes in
START_TIMEOUT_S = 60  # a job still "starting" after this long never started
Progress = Callable[[str, int, int], None]  # (phase, done, total)
EXPECTED = (BuildError, IssueError, pdf.RenderError, EventError, LedgerError, KeyFileError,
            archive.ArchiveError)


@dataclass(frozen=True)
class Request:
    """What to issue: `kind` and its subject (label, lot, or start/end dates and categories;
    a fund table: start/end dates)."""

    kind: str
    console_url: str  # where the QR code's verify page is: <console_url>/verify/<sha256>
    label: str | None = None
    lot: str | None = None
    start: str | None = None
    end: str | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)
    time_zone: str = "Asia/Shanghai"
    gwp_basis: str = "AR4"
    operator: str = "PLANT"

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Request:
        return cls(**{**obj, "categories": tuple(obj.get("categories") or ())})


def issue_and_store(instance: Instance, request: Request, *, ledger: Ledger | None = None,
                    progress: Progress | None = None) -> str:
    """Build, issue (log `certificate.issued`), store the JSON, render and store the PDF.

    Returns the certificate's SHA-256. Raises one of EXPECTED with a message a person can
    act on. The certificate is issued once built; should rendering fail, its JSON is stored
    already and the PDF can be rendered again from it (`render_stored`).
    """
    ledger = ledger or instance.ledger()
    signer = instance.signer()
    report = progress or (lambda phase, done, total: None)
    report("collect", 0, 0)
    spool = archive.spool_path(instance.home)
    try:
        if request.kind == "unit" and request.label:
            draft = build_unit(ledger, request.label, signer=signer, gwp_basis=request.gwp_basis)
        elif request.kind == "lot" and request.lot:
            draft = build_lot(ledger, request.lot, signer=signer)
        elif request.kind == "period" and request.start and request.end:
            archive.folder(instance.home).mkdir(parents=True, exist_ok=True)
            draft = build_period(ledger, request.start, request.end,
                                 list(request.categories) or None,
                                 lambda done, total: report("collect", done, total),
                                 signer=signer, time_zone=request.time_zone,
                                 gwp_basis=request.gwp_basis, bundle_to=spool)
        elif request.kind == "fund_table" and request.start and request.end:
            archive.folder(instance.home).mkdir(parents=True, exist_ok=True)
            draft = build_fund_table(ledger, request.start, request.end, signer=signer,
                                     time_zone=request.time_zone, bundle_to=spool,
                                     progress=lambda done, total: report("collect", done,
                                                                         total))
        else:
            raise BuildError(f"a {request.kind!r} certificate needs "
                             + {"unit": "a unit label", "lot": "a lot id",
                                "period": "start and end dates",
                                "fund_table": "start and end dates"}.get(
                                    request.kind, "a kind: unit, period, lot or fund_table"))
        report("issue", 0, 1)
        document = issue(ledger, draft, signer, operator=request.operator)
        digest = archive.save_json(instance.home, document)
        if spool.exists():
            spool.replace(archive.bundle_path(instance.home, digest))
    finally:
        spool.unlink(missing_ok=True)  # a bundle of a report that was not issued
    report("issue", 1, 1)
    render_stored(instance.home, digest, request.console_url, request.time_zone,
                  document=document, progress=progress)
    return digest


def render_stored(home: Path, sha256: str, console_url: str, time_zone: str, *,
                  document: dict[str, Any] | None = None,
                  progress: Progress | None = None) -> None:
    """Render the PDF of a stored certificate and store it beside the JSON."""
    document = document or archive.load(home, sha256)
    if document is None:
        raise archive.ArchiveError(f"no stored certificate {sha256}")
    lines = (lambda done, total: progress("render", done, total)) if progress else None
    rendered = pdf.render(document, verify_url=pdf.verify_url_for(console_url, sha256),
                          timezone=time_zone, progress=lines,
                          attachment=archive.json_path(home, sha256), sha256=sha256)
    archive.save_pdf(home, sha256, rendered)


# -- job records -----------------------------------------------------------------------------


def _path(home: Path, job_id: str) -> Path:
    if len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
        raise ValueError(f"{job_id[:40]!r} is not a job id (32 hex digits)")
    return home / FOLDER / f"{job_id}.json"


def _write(home: Path, job: dict[str, Any]) -> None:
    archive.write_atomically(_path(home, job["id"]), json.dumps(job, ensure_ascii=False).encode())




def read(home: Path, job_id: str) -> dict[str, Any] | None:
    """A job's record as it is now; "running" or "starting" turn into "interrupted" when the
    process is gone (or never came)."""
    try:
        job = json.loads(_path(home, job_id).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(job, dict):
        return None  # not a job's record: none of ours writes anything but an object
    if job["state"] == "running" and not processes.alive(int(job["pid"] or 0)):
        job["state"] = "interrupted"
    elif job["state"] == "starting" and _age_s(job["started_at"]) > START_TIMEOUT_S:
        job["state"] = "interrupted"
    return job


def _age_s(stamp: str) -> float:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (datetime.now(UTC) - moment).total_seconds()


def recent(home: Path, limit: int = 10) -> list[dict[str, Any]]:
    """The latest jobs, newest first."""
    files = sorted((home / FOLDER).glob("*.json"), key=lambda p: p.stat().st_mtime,
                   reverse=True)[:limit]
    jobs = [read(home, path.stem) for path in files]
    return [job for job in jobs if job is not None]


def fraction(job: dict[str, Any]) -> float:
    """How far the job is, 0..1: collecting is the first 40 %, rendering the rest."""
    if job["state"] == "done":
        return 1.0
    share = job["done"] / job["total"] if job["total"] else 0.0
    return {"starting": 0.0, "collect": 0.4 * share, "issue": 0.4,
            "render": 0.4 + 0.6 * share}.get(job["phase"], 0.0)


def start(instance: Instance, request: Request, *, by: str) -> str:
    """Start issuing `request` in a new process; returns the job id at once."""
    job_id = uuid.uuid4().hex
    job = {"id": job_id, "request": asdict(request), "state": "starting", "phase": "starting",
           "done": 0, "total": 0, "pid": None, "by": by, "started_at": utc_now_ms(),
           "finished_at": None, "sha256": None, "error": None}
    _write(instance.home, job)
    folder = instance.home / FOLDER
    with (folder / f"{job_id}.log").open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.certificates.jobs", str(instance.home), job_id],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True)
    # Reap it when it ends, so a finished job's pid does not linger as a zombie that looks
    # alive to read().
    threading.Thread(target=process.wait, daemon=True, name=f"dledger-job-{job_id[:8]}").start()
    log.info("certificate job %s (%s) started by %s", job_id, request.kind, by)
    return job_id


def run(instance: Instance, job_id: str) -> None:
    """The job process: do the work, keeping the record current; always end it."""
    home = instance.home
    job = read(home, job_id)
    if job is None:
        raise SystemExit(f"no job {job_id} in {home / FOLDER}")
    job.update(state="running", pid=os.getpid())
    _write(home, job)
    last_write = 0.0

    def progress(phase: str, done: int, total: int) -> None:
        nonlocal last_write
        changed = phase != job["phase"]
        job.update(phase=phase, done=done, total=total)
        if changed or time.monotonic() - last_write >= WRITE_EVERY_S:
            _write(home, job)
            last_write = time.monotonic()

    try:
        digest = issue_and_store(instance, Request.from_json(job["request"]),
                                 progress=progress)
    except EXPECTED as exc:
        log.warning("certificate job %s refused: %s", job_id, exc)
        job.update(state="error", error=str(exc))
    except Exception as exc:  # the record must always end, whatever went wrong
        log.exception("certificate job %s failed", job_id)
        job.update(state="error", error=f"{type(exc).__name__}: {exc}")
    else:
        job.update(state="done", phase="done", sha256=digest)
    job["finished_at"] = utc_now_ms()
    _write(home, job)


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # it logs every page at INFO
    home, job_id = argv
    run(Instance.locate(home), job_id)


if __name__ == "__main__":
    main(sys.argv[1:])
