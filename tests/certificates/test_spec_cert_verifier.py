"""Our certificates pass the verifier written from the specs and docs/certificates.md alone
(tests/spec_cert_verifier.py), and tampered ones fail it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from spec_cert_verifier import verify_certificate
from spec_verifier import VerificationError

from ledger.certificates import document as doc_format
from ledger.certificates.build import build_lot, build_period, build_unit
from ledger.certificates.issue import issue

from .conftest import LOT_FE, ORIGIN, UNIT_A, UNIT_B, Plant, make_plant, sqlite_ledger


def issued(p: Plant, kind: str) -> dict[str, Any]:
    led, signer = p.ledger, p.signer
    draft = {"unit": lambda: build_unit(led, UNIT_A, signer=signer),
             "ar5": lambda: build_unit(led, UNIT_B, signer=signer, gwp_basis="AR5"),
             "period": lambda: build_period(led, "2026-11-21", "2026-11-21", signer=signer),
             "lot": lambda: build_lot(led, LOT_FE, signer=signer)}[kind]()
    return issue(led, draft, signer)


@pytest.mark.parametrize("kind", ["unit", "ar5", "period", "lot"])
def test_our_certificates_pass_the_independent_verifier(plant_ledger: Plant, kind: str) -> None:
    document = issued(plant_ledger, kind)
    data = doc_format.serialise(document)
    assert verify_certificate(data, [plant_ledger.vkey]) == doc_format.sha256(document)


def _mass(d: dict[str, Any]) -> None:
    d["statements"]["intake"]["gross_g"] += 1


def _entry(d: dict[str, Any]) -> None:
    body = base64.b64decode(d["entries"][0]["entry"]).replace(b"45210", b"45211")
    d["entries"][0]["entry"] = base64.b64encode(body).decode()


def _drop(d: dict[str, Any]) -> None:
    del d["entries"][2]


def _draft(d: dict[str, Any]) -> None:
    del d["issuance"]


TAMPERING: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "mass in the JSON": (_mass, "statements differ: statements.intake.gross_g"),
    "entry bytes": (_entry, "inclusion proof does not lead to the root"),
    "entry dropped": (_drop, "chain of unit:"),
    "not issued": (_draft, "not issued"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_certificates_fail_the_independent_verifier(plant_ledger: Plant,
                                                             case: str) -> None:
    document = issued(plant_ledger, "unit")
    change, words = TAMPERING[case]
    change(document)
    with pytest.raises(VerificationError) as failure:
        verify_certificate(json.dumps(document).encode(), [plant_ledger.vkey])
    assert words.lower() in str(failure.value).lower()


def test_another_units_entry_and_another_key_fail(plant_ledger: Plant, tmp_path: Path) -> None:
    led = plant_ledger.ledger
    first = led.checkpoint(plant_ledger.signer)
    a = build_unit(led, UNIT_A, signer=plant_ledger.signer, checkpoint=first)
    b = build_unit(led, UNIT_B, signer=plant_ledger.signer, checkpoint=first)
    a["entries"][-2] = b["entries"][-2]  # a genuine entry of the log, about the other unit
    a["entries"].sort(key=lambda e: e["index"])
    document = issue(led, a, plant_ledger.signer)
    with pytest.raises(VerificationError, match=f"about unit:{UNIT_B}"):
        verify_certificate(json.dumps(document).encode(), [plant_ledger.vkey])
    impostor = make_plant(sqlite_ledger(tmp_path / "impostor.db"))
    assert impostor.signer.name == ORIGIN
    with pytest.raises(VerificationError):
        verify_certificate(doc_format.serialise(issued(impostor, "unit")), [plant_ledger.vkey])
