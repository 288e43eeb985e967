"""The certificate test vectors (tests/vectors/certificates/, README.md there): each verifies,
or fails exactly as vectors.json says, with the product's verifier and with the verifier
written from the docs alone; the v1 period report issued before v2 still verifies; the fund
table vectors (fund-vectors.json) with the product's verifier; the unit certificate vectors
(unit-vectors.json: one issued before unit certificates stated the nameplate facts and fund
class, one stating them, and each edited) with both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from spec_cert_verifier import verify_certificate
from spec_verifier import VerificationError

from ledger.certificates.document import sha256
from ledger.certificates.verify import verify

FOLDER = Path(__file__).resolve().parents[1] / "vectors" / "certificates"
CASES: list[dict[str, Any]] = json.loads((FOLDER / "vectors.json").read_text())
FUND_CASES: list[dict[str, Any]] = json.loads((FOLDER / "fund-vectors.json").read_text())
UNIT_CASES: list[dict[str, Any]] = json.loads((FOLDER / "unit-vectors.json").read_text())


def _opener(case: dict[str, Any]) -> Any:
    if case["entries"] is None:
        return None
    path = FOLDER / case["entries"]
    return lambda: path.open("rb")


def _vkey(case: dict[str, Any]) -> str:
    return (FOLDER / case["vkey"]).read_text().strip()


@pytest.mark.parametrize("case", CASES + FUND_CASES + UNIT_CASES,
                         ids=[c["case"] for c in CASES + FUND_CASES + UNIT_CASES])
def test_the_products_verifier_gives_what_the_vector_says(case: dict[str, Any]) -> None:
    report = verify((FOLDER / case["certificate"]).read_bytes(), vkeys=[_vkey(case)],
                    entries=_opener(case))
    failed = {c.name: c.detail for c in report.checks if c.ok is False}
    if case["verifies"]:
        assert report.ok and not failed, failed
        return
    assert set(failed) == {case["check"], *case["also_failing"]}, failed
    for word in case["words"]:
        assert word in failed[case["check"]]


@pytest.mark.parametrize("case", CASES + UNIT_CASES, ids=[c["case"] for c in CASES + UNIT_CASES])
def test_the_spec_verifier_gives_what_the_vector_says(case: dict[str, Any]) -> None:
    data = (FOLDER / case["certificate"]).read_bytes()
    if case["verifies"]:
        digest = verify_certificate(data, [_vkey(case)], _opener(case))
        assert digest == verify(data, vkeys=[_vkey(case)], entries=_opener(case)).sha256
        return
    with pytest.raises(VerificationError) as failure:
        verify_certificate(data, [_vkey(case)], _opener(case))
    for word in case["words"]:
        assert word in str(failure.value)


def test_the_vectors_are_the_formats_they_say() -> None:
    """v1 stays v1 (each entry with its own proof), the v2 files are v2, and the bundle file
    beside a report is named by the report's SHA-256."""
    formats = {c["certificate"]: json.loads((FOLDER / c["certificate"]).read_bytes())["format"]
               for c in CASES}
    assert formats.pop("period-v1.json") == "dledger-certificate/v1"
    assert set(formats.values()) == {"dledger-certificate/v2"}
    beside = next(c for c in CASES if c["verifies"] and c["entries"])
    doc = json.loads((FOLDER / beside["certificate"]).read_bytes())
    assert doc["entries"]["bundle"] is None
    assert beside["entries"] == f"{sha256(doc)}.entries.gz"


def test_the_unit_vectors_state_the_fund_class_or_predate_it() -> None:
    """The unit certificate issued before stays without the members; the others state them."""
    stated = {c["certificate"]: json.loads((FOLDER / c["certificate"]).read_bytes())["statements"]
              for c in UNIT_CASES}
    assert not {"nameplate", "fund"} & set(stated.pop("unit-v1-before-fund.json"))
    assert all({"nameplate", "fund"} <= set(st) for st in stated.values())
    assert stated["unit.json"]["fund"]["sub_class"] == "fridge"
