"""A certificate's standing: whether this plant issued it, and whether it was revoked (the one
thing an inspector cannot learn from the certificate itself)."""

from __future__ import annotations

import re
from typing import Any

from flask import Response as FlaskResponse
from flask import jsonify
from spectree import Response as Answers

from ledger.certificates.issue import records as certificate_records
from web.access import public
from web.api.blueprint import bp, spec
from web.api.errors import ApiError
from web.api.models import CertificateStatus, Error
from web.context import ledger

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@bp.get("/certificates/<sha256>")
@public
@spec.validate(resp=Answers(HTTP_200=CertificateStatus, HTTP_404=Error),
               tags=["certificates"], operation_id="getCertificate")
def certificate(sha256: str) -> FlaskResponse:
    """Whether a certificate was issued here, and whether it was revoked

    `sha256` is the certificate's SHA-256 (64 lower-case hex digits; see docs/certificates.md;
    anything else answers 404). `issued` is null when this plant never issued it. Issuance is
    provable offline from the certificate itself; revocation is known only here.
    """
    if not SHA256_HEX.fullmatch(sha256):
        raise ApiError(404, f"there is no certificate {sha256[:80]!r}: a certificate's SHA-256 "
                       "is 64 lower-case hex digits", "sha256")
    found = certificate_records(ledger(), sha256)
    answer: dict[str, Any] = {"sha256": sha256, "kind": None, "issued": None,
                              "issued_at": None, "revoked": None}
    if found["issued"] is not None:
        index, event = found["issued"]
        answer.update(kind=event["data"]["kind"], issued=index, issued_at=event["time"])
    if found["revoked"] is not None:
        at, revocation = found["revoked"]
        answer["revoked"] = {"index": at, "time": revocation["time"],
                             "reason": revocation["data"]["reason"],
                             "approved_by": revocation["data"]["approved_by"]}
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-cache"
    return response
