"""Issue 16's acceptance: every certificate kind (unit, lot manifest, period report, fund
table) states the plant's legal name, credit code and dismantling licence in force, and a
unit certificate or lot manifest the people it names as the operators register has them;
both verifiers derive them again from the entries carried, an edited value fails, the
verifier prints the legal name and the licence number, and the PDF heads with them. A
certificate issued before stays valid, saying the identity is not stated."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
from factories import plant
from spec_cert_verifier import verify_certificate
from spec_verifier import VerificationError

from ledger.certificates import document as doc_format
from ledger.certificates.build import build_lot, build_period, build_unit
from ledger.certificates.build_fund import build_fund_table
from ledger.certificates.issue import issue
from ledger.certificates.verify import STATEMENTS_CHECK, verify
from ledger.certificates.verify_command import run
from ledger.certificates.verify_pdf import verify_pdf

from .conftest import LOT_FE, UNIT_A, Plant, make_plant, sqlite_ledger
from .test_pdf import _render, _text

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "certificates"
OLD = {"legal_name": "杭州示例拆解有限公司", "address": "杭州市示例区旧址 9 号",
       "uscc": "91330100MA2DEM0175", "licence_no": "浙废电证第330100000号",
       "licence_valid_from": "2019-01-01", "licence_valid_until": "2023-12-31",
       "approved_by": "A-0001"}
NEW = {"legal_name": "杭州示例再生资源有限公司", "legal_name_en": "Hangzhou Sample Recycling "
       "Co., Ltd.", "address": "杭州市示例区回收路 1 号", "uscc": "91330100DLEDGER14T",
       "licence_no": "浙废电证第330100001号", "licence_issuer": "浙江省生态环境厅",
       "licence_valid_from": "2024-01-01", "licence_valid_until": "2028-12-31",
       "approved_by": "A-0001"}
WORKER = {"name": "王伟", "name_en": "Wang Wei", "roles": ["intake", "dismantling"],
          "qualifications": [{"title": "制冷与空调作业操作证", "number": "T330100-2025-0042",
                              "issuer": "杭州市应急管理局", "valid_until": "2031-01-01"}],
          "approved_by": "A-0001"}


@pytest.fixture(scope="module")
def identified(tmp_path_factory: pytest.TempPathFactory) -> Plant:
    """The certificates' plant with its identity recorded, then replaced by the renewed
    licence, and the worker whose code its stations' events carry (W-0042) registered."""
    p = make_plant(sqlite_ledger(tmp_path_factory.mktemp("identity") / "ledger.db"))
    p.ledger.append([plant("plant.identified", "plant:identity", OLD),
                     plant("plant.identified", "plant:identity", NEW),
                     plant("operator.registered", "operator:W-0042", WORKER)])
    return p


@pytest.fixture(scope="module")
def issued(identified: Plant) -> dict[str, dict[str, Any]]:
    led, signer = identified.ledger, identified.signer
    drafts = {"unit": build_unit(led, UNIT_A, signer=signer),
              "lot": build_lot(led, LOT_FE, signer=signer),
              "period": build_period(led, "2026-11-21", "2026-11-21", signer=signer),
              "fund_table": build_fund_table(led, "2026-11-21", "2026-11-21", signer=signer)}
    return {kind: doc_format.parse(doc_format.serialise(issue(led, draft, signer)))
            for kind, draft in drafts.items()}


@pytest.mark.parametrize("kind", ["unit", "lot", "period", "fund_table"])
def test_every_kind_states_the_identity_in_force_and_verifies(
        identified: Plant, issued: dict[str, dict[str, Any]], kind: str,
        tmp_path: Path) -> None:
    document = issued[kind]
    stated = document["statements"]["plant_identity"]
    assert {k: stated[k] for k in NEW} == NEW  # the renewed licence replaced the first
    assert stated["violations"] == [] and stated["legal_name_en"] == NEW["legal_name_en"]
    report = verify(document, vkeys=[identified.vkey])
    assert report.ok, [(c.name, c.detail) for c in report.checks if c.ok is False]
    assert report.identity_stated and report.plant_identity == stated
    out = io.StringIO()
    path = tmp_path / f"{kind}.json"
    path.write_bytes(doc_format.serialise(document))
    assert run(path, [identified.vkey], None, None, None, False, out, io.StringIO()) == 0
    printed = out.getvalue()
    assert NEW["legal_name"] in printed and NEW["licence_no"] in printed
    if kind != "fund_table":  # the verifier from the docs reads v1 and v2 period reports
        verify_certificate(doc_format.serialise(document), [identified.vkey])


def test_a_unit_certificate_names_its_operators_from_the_register(
        issued: dict[str, dict[str, Any]]) -> None:
    unit, lot = issued["unit"]["statements"], issued["lot"]["statements"]
    assert unit["operators"] == ["W-0042"]
    worker = unit["operator_register"]["W-0042"]
    assert (worker["name"], worker["name_en"], worker["roles"], worker["retired"]) == (
        "王伟", "Wang Wei", ["intake", "dismantling"], None)
    assert worker["qualifications"][0]["number"] == "T330100-2025-0042"
    assert lot["operator_register"] == {"W-0042": worker}


@pytest.mark.parametrize(("kind", "path", "value"), [
    ("unit", ("plant_identity", "legal_name"), "另一家公司"),
    ("unit", ("plant_identity", "licence_no"), "浙废电证第999号"),
    ("unit", ("operator_register", "W-0042", "name"), "李四"),
    ("lot", ("plant_identity", "uscc"), "91350100M000100Y43"),
    ("period", ("plant_identity", "licence_valid_until"), "2099-12-31"),
    ("fund_table", ("plant_identity", "legal_name"), "另一家公司")])
def test_an_edited_identity_fails_both_verifiers(
        identified: Plant, issued: dict[str, dict[str, Any]], kind: str,
        path: tuple[str, ...], value: str) -> None:
    document = copy.deepcopy(issued[kind])
    target = document["statements"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    report = verify(document, vkeys=[identified.vkey])
    failed = {c.name: c.detail for c in report.checks if c.ok is False}
    assert f"statements.{'.'.join(path)}" in failed[STATEMENTS_CHECK], failed
    if kind != "fund_table":
        with pytest.raises(VerificationError, match="|".join(path)):
            verify_certificate(doc_format.serialise(document), [identified.vkey])


def test_a_certificate_issued_before_identity_still_verifies() -> None:
    """The frozen unit certificate vector issued before states no identity: it verifies,
    and the report says the identity is not stated."""
    report = verify((VECTORS / "unit-before-identity.json").read_bytes(),
                    vkeys=[(VECTORS / "plant-unit-v2.vkey").read_text().strip()])
    assert report.ok and not report.identity_stated
    assert report.issuer_lines() == ["Plant: not stated (the certificate was issued before "
                                     "certificates stated the plant's identity)"]


@pytest.mark.parametrize("kind", ["unit", "period", "fund_table"])
def test_the_pdf_heads_with_the_plant_and_verifies(identified: Plant,
                                                   issued: dict[str, dict[str, Any]],
                                                   kind: str, tmp_path: Path) -> None:
    data = _render(issued[kind])
    head = _text(data, tmp_path, page=1)
    for value in (NEW["legal_name"], NEW["uscc"], NEW["licence_no"], "2028-12-31"):
        assert value in head, value
    assert head.index(NEW["legal_name"]) < head.index(NEW["legal_name_en"])  # Chinese first
    if kind == "unit":
        assert "王伟" in _text(data, tmp_path) and "Intake and weighing" in _text(data, tmp_path)
    assert verify_pdf(data, vkeys=[identified.vkey]).ok
