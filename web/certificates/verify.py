"""The public verify page: anyone with a certificate (PDF or JSON) checks it here, or arrives
from the QR code printed on it (`/verify/<sha256>`), without signing in.

It runs the project's verifier (ledger.certificates.verify) against this plant's own verifier
keys (current and retired) and, if the instance folder holds one, its trust policy
(`<instance>/verify-policy.txt`, C2SP tlog-policy: witness keys and quorum). This console
answers the verifier's two questions itself (consistency proofs for a saved checkpoint, and
whether the certificate was revoked), in process. Each check is shown in the visitor's
language: its name and what its outcome means (web/certificates/check_words.py), with the
verifier's own words beside a failure; the certified figures beside the checks.

Uploads are limited to `DLEDGER_VERIFY_MAX_MB` (default 50) megabytes, refused with a clear
message before the body is read; a bigger period report is verified with `dledger cert verify`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from pypdf.errors import PyPdfError
from werkzeug.exceptions import RequestEntityTooLarge

from ledger.certificates import archive, verify_v2
from ledger.certificates import verify as verifier
from ledger.certificates.console_client import ConsoleError
from ledger.certificates.document import DocumentError, parse
from ledger.certificates.document import sha256 as doc_sha256
from ledger.certificates.issue import records
from ledger.certificates.verify_pdf import verify_pdf
from ledger.checkpoint import Checkpoint
from ledger.instance import retired_vkeys
from ledger.log import LedgerError
from ledger.note import split as split_note
from ledger.witness.policy import Policy, PolicyError
from web.access import public
from web.certificates.check_words import meaning
from web.certificates.figures import Figure, certified
from web.context import console, ledger

log = logging.getLogger(__name__)

bp = Blueprint("verify", __name__, url_prefix="/verify", template_folder="templates")

POLICY_FILE = "verify-policy.txt"
DEFAULT_MAX_MB = 50
MAX_CHECKPOINT = 10_000  # characters of a pasted checkpoint note
CHECK_NAMES = {
    verifier.FORMAT_CHECK: lazy_gettext("Certificate format"),
    verifier.PRINTED_CHECK: lazy_gettext("Printed pages match the attachment"),
    verifier.SIGNATURE_CHECK: lazy_gettext("Checkpoint signed by the plant"),
    verifier.INCLUSION_CHECK: lazy_gettext("Every entry is in the log"),
    verifier.CHAIN_CHECK: lazy_gettext("Entry chain complete"),
    verifier.STATEMENTS_CHECK: lazy_gettext("Statements match the entries"),
    verifier.ISSUANCE_CHECK: lazy_gettext("Issuance logged"),
    verifier.TRUSTED_CHECK: lazy_gettext("Consistent with your saved checkpoint"),
    verifier.REVOCATION_CHECK: lazy_gettext("Not revoked"),
}

VERDICTS = {
    verifier.VERIFIED: lazy_gettext("Verified: every check passed."),
    verifier.NOT_VERIFIED: lazy_gettext("This certificate did NOT verify."),
    verifier.UNPROVEN: lazy_gettext(
        "Unproven: every check that ran passed, but consistency with your saved checkpoint "
        "could not be proven. Do not treat this certificate as verified until it is."),
}


def max_bytes() -> int:
    value = os.environ.get("DLEDGER_VERIFY_MAX_MB") or str(DEFAULT_MAX_MB)
    return (int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_MB) << 20


class _ThisConsole:
    """The verifier's questions to the plant's console (ledger.certificates.verify.Console),
    answered from this console's ledger."""

    def consistency(self, old: int, new: int) -> list[bytes]:
        try:
            return ledger().consistency_hashes(old, new)
        except LedgerError as exc:
            raise ConsoleError(str(exc)) from None

    def unit_entries(self, label: str) -> list[int] | None:
        """Every entry index about unit `label` (the verifier checks none was left out)."""
        found = [idx for idx, _ in ledger().subject_bodies([f"unit:{label}"])]
        return found or None

    def certificate(self, digest: str) -> dict[str, Any] | None:
        if not archive.is_sha256(digest):
            return None
        found = records(ledger(), digest)
        if found["issued"] is None:
            return None
        index, event = found["issued"]
        answer: dict[str, Any] = {"sha256": digest, "kind": event["data"]["kind"],
                                  "issued": index, "issued_at": event["time"], "revoked": None}
        if found["revoked"] is not None:
            revoked_index, revoked = found["revoked"]
            answer["revoked"] = {"index": revoked_index, "time": revoked["time"],
                                 "reason": revoked["data"]["reason"],
                                 "approved_by": revoked["data"]["approved_by"]}
        return answer


def _trust() -> dict[str, Any]:
    """The verifier options: the plant's keys and, if the instance has one, its policy."""
    instance = console().instance
    options: dict[str, Any] = {"vkeys": [instance.vkey(), *retired_vkeys(instance)],
                               "console": _ThisConsole()}
    path: Path = instance.home / POLICY_FILE
    if path.exists():
        try:
            options["policy"] = Policy.parse(path.read_text(encoding="utf-8"))
        except (PolicyError, UnicodeDecodeError) as exc:
            log.error("%s is not a valid policy, verifying with the plant's keys only: %s",
                      path, exc)
    return options


def _page(report: verifier.Report | None, *, error: str | None = None, sha256: str | None = None,
          issued: Any = None, status: int = 200,
          figures: list[Figure] | None = None) -> ResponseReturnValue:
    return render_template("certificates/verify.html", report=report, error=error,
                           sha256=sha256, issued=issued, names=CHECK_NAMES,
                           figures=figures or [], verdicts=VERDICTS, meaning=meaning,
                           max_mb=max_bytes() >> 20), status


@bp.route("", methods=["GET", "POST"])
@public
def upload() -> ResponseReturnValue:
    if request.method == "GET":
        return _page(None)
    limit = max_bytes()
    too_big = gettext("The file is larger than %(max)s MB, the most this page accepts. Verify it "
                      "with the command dledger cert verify instead.", max=limit >> 20)
    if (request.content_length or 0) > limit:
        return _page(None, error=too_big, status=413)
    request.max_content_length = limit
    try:
        upload = request.files.get("certificate")
        saved = (request.form.get("trusted_checkpoint") or "").strip()
    except RequestEntityTooLarge:
        return _page(None, error=too_big, status=413)
    if upload is None or not upload.filename:
        return _page(None, error=gettext("Choose a certificate file (PDF or JSON) to verify."),
                     status=422)
    if len(saved) > MAX_CHECKPOINT:
        return _page(None, error=gettext("The saved checkpoint is %(length)d characters long; "
                                         "a checkpoint note is a few hundred.",
                                         length=len(saved)), status=422)
    note = saved.replace("\r\n", "\n") + "\n" if saved else None
    if note is not None and not _is_checkpoint(note):
        return _page(None, status=400, error=gettext(
            "The saved checkpoint is not a checkpoint note: paste it exactly as you saved it "
            "(the plant's origin, the tree size and the root on three lines, a blank line, "
            "then the signature lines), or leave the field empty."))
    data = upload.read()
    options = {**_trust(), "trusted_checkpoint": note, "entries": _kept_bundle(data)}
    pdf = data.startswith(b"%PDF")
    report = verify_pdf(data, **options) if pdf else verifier.verify(data, **options)
    log.info("verify page: %s certificate %s: %s", report.kind, report.sha256, report.verdict)
    if _refused(report):
        return _page(None, status=400, error=gettext(
            "This PDF is not a certificate from this system: it cannot be read as a PDF, it "
            "carries no certificate.json attachment, or the attachment is not a certificate.")
            if pdf else gettext(
            "This file is not a certificate from this system: it is not a certificate JSON "
            "document (for example not JSON at all, nested far deeper than any certificate, or "
            "missing a member). Upload the PDF or JSON the plant issued."))
    return _page(report, sha256=report.sha256, figures=certified(_document(data, pdf)))


def _kept_bundle(data: bytes) -> Callable[[], BinaryIO]:
    """Opens the entry bundle this console kept for the uploaded report, should it be a v2
    report whose entries travel beside it (asked only then)."""

    def open_kept() -> BinaryIO:
        document = _document(data, data.startswith(b"%PDF"))
        path = archive.bundle_path(console().instance.home, doc_sha256(document))
        if not path.exists():
            raise verify_v2.EntriesError(gettext(
                "This report's entries travel beside it, and this console keeps no copy of "
                "them: verify it with dledger cert verify and its .entries.gz file."))
        return path.open("rb")

    return open_kept


def _is_checkpoint(note: str) -> bool:
    """Whether `note` reads as a signed checkpoint note at all (whose signature the verifier
    then checks): malformed input is refused as such, not reported as a failed check."""
    try:
        text, _ = split_note(note)
        Checkpoint.parse(text)
    except ValueError:  # NoteError, CheckpointError
        return False
    return True


def _refused(report: verifier.Report) -> bool:
    """The upload is not a certificate at all (refused input, as `dledger cert verify` exits
    2): its format check failed, so no other check ran. The verifier's detail may hold a
    PDF library's exception text, so the page says it in its own words."""
    return bool(report.checks) and report.checks[0].name == verifier.FORMAT_CHECK \
        and report.checks[0].ok is False


def _document(data: bytes, pdf: bool) -> dict[str, Any]:
    """The certificate the verifier read (the PDF's attachment), for its figures; {} if it
    cannot be read again."""
    try:
        if pdf:
            from pypdf import PdfReader

            data = PdfReader(BytesIO(data)).attachments["certificate.json"][0]
        return parse(data)
    except (DocumentError, PyPdfError, ValueError, KeyError, IndexError, OSError):
        return {}


@bp.route("/<sha256>")
@public
def certificate(sha256: str) -> ResponseReturnValue:
    """Arriving from a certificate's QR code: verify the copy this console keeps."""
    if not archive.is_sha256(sha256):
        return _page(None, error=gettext("%(value)s is not a certificate's SHA-256 (64 hex "
                                         "digits).", value=repr(sha256[:80])), status=404)
    found = records(ledger(), sha256)
    if found["issued"] is None:
        return _page(None, sha256=sha256, error=gettext(
            "This console has issued no certificate with SHA-256 %(sha256)s. Check the code "
            "or upload the certificate below.", sha256=sha256))
    try:
        document = archive.load(console().instance.home, sha256)
    except archive.ArchiveError as exc:
        log.error("verify page: stored certificate %s: %s", sha256, exc)
        document = None
    if document is None:
        return _page(None, sha256=sha256, issued=found["issued"][0], error=gettext(
            "This certificate was issued (ledger entry %(index)s) but this console keeps no "
            "copy of it. Upload the PDF or JSON you hold to verify it.",
            index=found["issued"][0]))
    return _page(verifier.verify(document, **_trust()), sha256=sha256,
                 issued=found["issued"][0], figures=certified(document))
