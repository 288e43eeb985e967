"""GET /api/v1/certificates/<sha256>, and the verifier asking a real console over HTTP: the
revocation check and the consistency proof to the inspector's saved checkpoint."""

from __future__ import annotations

import uuid

import pytest
from certificates.conftest import UNIT_A, make_plant
from flask import Flask

from ledger.certificates import document as doc_format
from ledger.certificates.build import build_unit
from ledger.certificates.issue import issue, revoke
from ledger.certificates.verify import REVOCATION_CHECK, TRUSTED_CHECK, verify
from ledger.events import PLANT_STATION, parse_event, utc_now_ms
from ledger.log import Submission
from web.context import console, ledger

pytestmark = pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")


def test_certificate_status_and_verification_through_the_console(app: Flask,
                                                                 base_url: str) -> None:
    with app.app_context():
        led, signer = ledger(), console().instance.signer()
        make_plant(led, signer)
        saved = led.checkpoint(signer).note  # the inspector's visit, before the certificate
        # the log grows after that visit, so the certificate carries no checkpoint of the saved
        # size and only the console's consistency proof links the two
        led.append([Submission(parse_event({
            "id": str(uuid.uuid4()), "type": "scale.calibrated", "time": utc_now_ms(),
            "station": PLANT_STATION, "operator": "M-0001", "subject": "scale:SC-9",
            "data": {"reference_g": 1000, "reading_g": 1000, "tolerance_g": 1,
                     "passed": True}}))])
        document = issue(led, build_unit(led, UNIT_A, signer=signer), signer)
    digest = doc_format.sha256(document)
    vkey = signer.verifier.vkey
    client = app.test_client()

    answer = client.get(f"/api/v1/certificates/{digest}")
    assert answer.status_code == 200
    assert answer.json == {"sha256": digest, "kind": "unit",
                           "issued": document["issuance"]["entry"]["index"],
                           "issued_at": answer.json["issued_at"], "revoked": None}

    report = verify(document, vkeys=[vkey], trusted_checkpoint=saved, console=base_url)
    assert report.ok and all(c.ok for c in report.checks), report.checks
    details = {c.name: c.detail for c in report.checks}
    assert "consistency proof from the console verified" in details[TRUSTED_CHECK]

    with app.app_context():
        at = revoke(ledger(), digest, "intake weight disputed", "M-0001")
    answer = client.get(f"/api/v1/certificates/{digest}")
    assert answer.json["revoked"] == {"index": at, "time": answer.json["revoked"]["time"],
                                      "reason": "intake weight disputed",
                                      "approved_by": "M-0001"}
    report = verify(document, vkeys=[vkey], console=base_url)
    failed = {c.name: c.detail for c in report.checks if c.ok is False}
    assert list(failed) == [REVOCATION_CHECK]
    assert failed[REVOCATION_CHECK].startswith(f"revoked at entry {at} on ")


def test_unknown_and_malformed_hashes(app: Flask) -> None:
    client = app.test_client()
    unknown = client.get("/api/v1/certificates/" + "ab" * 32)
    assert unknown.status_code == 200
    assert unknown.json == {"sha256": "ab" * 32, "kind": None, "issued": None,
                            "issued_at": None, "revoked": None}
    malformed = client.get("/api/v1/certificates/XYZ")
    assert malformed.status_code == 404 and malformed.json["field"] == "sha256"


def test_an_unreachable_console_fails_the_revocation_check(app: Flask) -> None:
    with app.app_context():
        led, signer = ledger(), console().instance.signer()
        make_plant(led, signer)
        document = issue(led, build_unit(led, UNIT_A, signer=signer), signer)
    report = verify(document, vkeys=[signer.verifier.vkey], console="http://127.0.0.1:9")
    failed = {c.name: c.detail for c in report.checks if c.ok is False}
    assert "cannot reach http://127.0.0.1:9" in failed[REVOCATION_CHECK]
