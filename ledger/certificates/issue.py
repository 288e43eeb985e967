"""Issuing and revoking certificates: both are ledger entries about `cert:<sha256>`.

Issuing appends `certificate.issued` holding the certificate's SHA-256, signs a checkpoint
that includes it, and adds the `issuance` member: that checkpoint, the consistency proof from
the certificate's checkpoint to it, and the issued entry with its inclusion proof. So an
inspector proves issuance offline from the document alone. Revocation needs the console
(`GET /api/v1/certificates/<sha256>`), as a revocation is necessarily later than the document.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from ledger.certificates.document import check_shape, sha256
from ledger.checkpoint import Checkpoint
from ledger.events import PLANT_STATION, parse_event, utc_now_ms
from ledger.log import Ledger, LedgerError, Submission
from ledger.note import Signer
from ledger.note import split as split_note
from ledger.proof import InclusionProof

_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dledger.example/certificates")


class IssueError(ValueError):
    """The certificate cannot be issued or revoked as asked; the message says why."""


def _event(etype: str, digest: str, data: dict[str, Any], operator: str) -> Submission:
    event_id = str(uuid.uuid5(_ID_NAMESPACE, f"{etype}/{digest}"))
    return Submission(parse_event({
        "id": event_id, "type": etype, "time": utc_now_ms(), "station": PLANT_STATION,
        "operator": operator, "subject": f"cert:{digest}", "data": data}))


def records(ledger: Ledger, digest: str) -> dict[str, tuple[int, dict[str, Any]] | None]:
    """The `certificate.issued` and `certificate.revoked` entries of a certificate, if any:
    {"issued": (index, event) | None, "revoked": (index, event) | None}."""
    found: dict[str, tuple[int, dict[str, Any]] | None] = {"issued": None, "revoked": None}
    for idx, event in ledger.subject_entries(f"cert:{digest}"):
        key = "issued" if event["type"] == "certificate.issued" else "revoked"
        if found[key] is None:
            found[key] = (idx, event)
    return found


def issue(ledger: Ledger, document: dict[str, Any], signer: Signer, *,
          operator: str = PLANT_STATION) -> dict[str, Any]:
    """Log the certificate's issuance and return the document with its `issuance` member.

    Issuing the same document again reuses its `certificate.issued` entry.
    """
    check_shape(document)
    text, _ = split_note(document["checkpoint"])
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != signer.name:
        raise IssueError(f"the certificate's checkpoint is for {checkpoint.origin!r}, not this "
                         f"plant's log {signer.name!r}")
    digest = sha256(document)
    found = records(ledger, digest)
    if found["issued"] is None:
        data = {"kind": document["kind"], "sha256": digest}
        index = ledger.append([_event("certificate.issued", digest, data, operator)])[0].index
    else:
        index = found["issued"][0]
    signed = ledger.checkpoint(signer)
    size = signed.checkpoint.size
    try:
        consistency = ledger.consistency_hashes(checkpoint.size, size)
        if ledger.root(checkpoint.size) != checkpoint.root:
            raise LedgerError(f"the log at size {checkpoint.size} has another root than the "
                              "certificate's checkpoint")
    except LedgerError as exc:
        raise IssueError(f"the certificate's checkpoint is not part of this log: {exc}") from None
    proof = InclusionProof(index, tuple(ledger.inclusion_hashes(index, size)), signed.note)
    entry = {"index": index, "entry": base64.b64encode(ledger.entry(index)).decode(),
             "proof": proof.text()}
    issuance = {"checkpoint": signed.note,
                "consistency": [base64.b64encode(h).decode() for h in consistency],
                "entry": entry}
    return {**document, "issuance": issuance}


def revoke(ledger: Ledger, digest: str, reason: str, approved_by: str, *,
           operator: str = PLANT_STATION) -> int:
    """Append `certificate.revoked` for an issued certificate; return its entry index."""
    digest = digest.strip().lower()
    found = records(ledger, digest)
    if found["issued"] is None:
        raise IssueError(f"no certificate with SHA-256 {digest} was issued in this ledger; "
                         "check the hash (64 hex digits, from the certificate)")
    if found["revoked"] is not None:
        raise IssueError(f"certificate {digest} was already revoked (entry "
                         f"{found['revoked'][0]})")
    data = {"sha256": digest, "reason": reason, "approved_by": approved_by}
    return ledger.append([_event("certificate.revoked", digest, data, operator)])[0].index
