"""A unit certificate's nameplate facts and fund class (docs/certificates.md 3.1): stated from
the effective intake record (corrections folded) and ledger.fund.classify by the catalogue in
force, recomputed by both verifiers (an edited fact or class fails), printed in both
languages; a catalogue without fund tables states no class; a certificate issued before these
members existed still verifies, its report saying they were not stated."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from spec_cert_verifier import _fund_class, verify_certificate
from spec_verifier import VerificationError

from ledger import catalogue
from ledger.canonical import canonical_bytes
from ledger.certificates import document as doc_format
from ledger.certificates import pdf
from ledger.certificates.build import build_unit
from ledger.certificates.issue import issue
from ledger.certificates.statements import fund_record
from ledger.certificates.verify import ISSUANCE_CHECK, STATEMENTS_CHECK, Report, verify
from ledger.fund.classify import classify
from ledger.fund.units import unit_class
from ledger.log import Ledger

from .conftest import UNIT_A, UNIT_PLATED, Plant, make_plant, plated, sqlite_ledger

FOLDER = Path(__file__).resolve().parents[1] / "vectors" / "certificates"
NOT_STATED = "issued before unit certificates stated the nameplate facts and the fund class"


def failed(report: Report) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if c.ok is False}


def detail(report: Report, name: str) -> str:
    return next(c.detail for c in report.checks if c.name == name)


def issued(p: Plant, label: str) -> dict[str, Any]:
    return issue(p.ledger, build_unit(p.ledger, label, signer=p.signer), p.signer)


@pytest.fixture
def plate(plant_ledger: Plant) -> Plant:
    return plated(plant_ledger)


def test_the_certificate_states_the_corrected_nameplate_and_the_class_in_force(
        plate: Plant) -> None:
    document = issued(plate, UNIT_PLATED)
    st = document["statements"]
    assert st["nameplate"] == {"volume_l": 190}  # recorded 19, corrected
    assert plate.indexes[f"{UNIT_PLATED}/nameplate"] in [c["entry"] for c in st["corrections"]]
    assert st["fund"] == {"scope": "in_scope", "fund_category": "fridge", "sub_class": "fridge",
                          "counts": 1, "version": "2024", "rate": None, "factor": "1",
                          "reason": None}
    # the class the console's card shows (ledger.fund.units), in the certificate's terms
    found = unit_class(plate.ledger, UNIT_PLATED)
    assert found is not None and fund_record(found.fund_class) == st["fund"]
    report = verify(doc_format.serialise(document), vkeys=[plate.vkey])
    assert report.ok, failed(report)
    assert "the unit's nameplate facts and fund class" in detail(report, STATEMENTS_CHECK)
    assert verify_certificate(doc_format.serialise(document), [plate.vkey]) == report.sha256


def test_a_unit_without_its_nameplate_is_stated_unclassified_with_the_reason(
        plant_ledger: Plant) -> None:
    st = issued(plant_ledger, UNIT_A)["statements"]
    assert st["nameplate"] == {}
    assert st["fund"]["scope"] == "unclassified" and st["fund"]["sub_class"] is None
    assert st["fund"]["reason"] == {"code": "missing", "field": "volume_l", "value": None,
                                    "limit": None}


@pytest.mark.parametrize(("where", "value", "words"), [
    (("fund", "sub_class"), "tv_large",
     'statements.fund.sub_class: the certificate says "tv_large", the entries say "fridge"'),
    (("fund", "factor"), "2",
     'statements.fund.factor: the certificate says "2", the entries say "1"'),
    (("nameplate", "volume_l"), 19,
     "statements.nameplate.volume_l: the certificate says 19, the entries say 190"),
])
def test_an_edited_fact_or_class_fails_both_verifiers(plate: Plant, where: tuple[str, str],
                                                      value: Any, words: str) -> None:
    document = copy.deepcopy(issued(plate, UNIT_PLATED))
    member, name = where
    document["statements"][member][name] = value
    data = doc_format.serialise(document)
    problems = failed(verify(data, vkeys=[plate.vkey]))
    assert set(problems) == {STATEMENTS_CHECK, ISSUANCE_CHECK}, problems
    assert problems[STATEMENTS_CHECK] == words
    with pytest.raises(VerificationError, match=f"statements.{member}.{name}"):
        verify_certificate(data, [plate.vkey])


def test_one_member_taken_out_fails_and_both_fail_the_issuance(plate: Plant) -> None:
    """A certificate stating one of the two was edited (not one issued before them); taking
    both out reads as an older certificate, but the issued SHA-256 no longer matches."""
    document = issued(plate, UNIT_PLATED)
    no_fund = copy.deepcopy(document)
    del no_fund["statements"]["fund"]
    problems = failed(verify(no_fund, vkeys=[plate.vkey]))
    assert problems[STATEMENTS_CHECK].startswith("statements.fund is missing; the entries say")
    neither = copy.deepcopy(no_fund)
    del neither["statements"]["nameplate"]
    report = verify(neither, vkeys=[plate.vkey])
    assert set(failed(report)) == {ISSUANCE_CHECK}
    assert NOT_STATED in detail(report, STATEMENTS_CHECK)


def test_a_certificate_issued_before_these_members_still_verifies() -> None:
    """unit-v1-before-fund.json, issued at commit d2bb405 (tests/vectors/certificates)."""
    data = (FOLDER / "unit-v1-before-fund.json").read_bytes()
    vkey = (FOLDER / "plant-unit-v1.vkey").read_text().strip()
    assert not {"nameplate", "fund"} & set(json.loads(data)["statements"])
    report = verify(data, vkeys=[vkey])
    assert report.ok, failed(report)
    assert NOT_STATED in detail(report, STATEMENTS_CHECK)
    assert verify_certificate(data, [vkey]) == report.sha256


def _old_catalogue() -> catalogue.Catalogue:
    """The default catalogue as published before the fund's tables (content format 1)."""
    content = catalogue.load().content()
    del content["fund"], content["zones"]
    for category in content["categories"].values():
        del category["counts"]
    content["format"] = "dledger-catalogue/1"
    return catalogue.from_content(content)


def test_a_catalogue_without_fund_tables_states_no_class(tmp_path: Path) -> None:
    ledger = sqlite_ledger(tmp_path / "ledger.db")
    ledger.publish_catalogue(_old_catalogue(), "before-fund", operator="A-0001")
    p = make_plant(ledger)
    document = issued(p, UNIT_A)
    assert document["statements"]["fund"] is None
    data = doc_format.serialise(document)
    report = verify(data, vkeys=[p.vkey])
    assert report.ok, failed(report)
    assert verify_certificate(data, [p.vkey]) == report.sha256
    text = _pdf_text(document, tmp_path)
    assert "无 None" in text and "当时有效的目录未含基金表" in text
    assert "the catalogue in force carried no fund tables" in text
    assert "Classed by the fund tables" not in text
    ledger.engine.dispose()


def _pdf_text(document: dict[str, Any], tmp_path: Path) -> str:
    path = tmp_path / "unit.pdf"
    path.write_bytes(pdf.render(document, verify_url="https://ledger.example-plant.cn/verify"))
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is missing: ./scripts/setup installs poppler-utils")
    out = subprocess.run([tool, "-f", "1", "-l", "1", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return " ".join(out.split())


def test_the_pdf_shows_the_nameplate_and_class_in_both_languages(plate: Plant,
                                                                  tmp_path: Path) -> None:
    text = _pdf_text(issued(plate, UNIT_PLATED), tmp_path)
    assert "铭牌信息与基金类别 Nameplate and fund class" in text
    assert "总容积（升） Total volume (L) 190 L" in text
    assert "属基金范围 In the fund's scope" in text
    assert "冷藏冷冻箱（柜）" in text and "Refrigerator or freezer, 50 L to 500 L" in text
    assert "What the fund pays 1 标准化处理量 standardised unit(s)" in text
    assert "依据 Version 废弃电器电子产品处理专项资金管理办法（2024）" in text
    unclassified = _pdf_text(issued(plate, UNIT_A), tmp_path)
    assert "未记录铭牌信息：总容积（升）" in unclassified
    assert "the nameplate's Total volume (L) is not recorded" in unclassified
    old = doc_format.parse((FOLDER / "unit-v1-before-fund.json").read_bytes())
    assert "issued before unit certificates stated the nameplate facts" in _pdf_text(old,
                                                                                 tmp_path)


CASES = [  # (catalogue category, nameplate facts), over every product and every reason
    ("fridge", {"volume_l": 190}), ("fridge", {"volume_l": 600}), ("fridge", {}),
    ("fridge", {"volume_l": 50}), ("fridge", {"volume_l": 49}),
    ("crt_tv", {"screen_in": 21}), ("crt_tv", {"screen_in": 29}), ("crt_tv", {"screen_in": 12}),
    ("crt_tv", {"screen_in": 21, "display": "lcd"}), ("crt_tv", {"screen_in": 21,
                                                                  "display": "crt"}),
    ("flat_tv", {"screen_in": 55, "display": "oled"}), ("flat_tv", {"screen_in": 55,
                                                                     "display": "crt"}),
    ("flat_tv", {"screen_in": 55}),
    ("washing_machine", {"washer_type": "drum", "dry_load_g": 7_000}),
    ("washing_machine", {"washer_type": "single_tub", "dry_load_g": 4_000}),
    ("washing_machine", {"washer_type": "drum", "dry_load_g": 3_000}),
    ("washing_machine", {"washer_type": "drum", "dry_load_g": 12_000}),
    ("room_ac", {"ac_type": "split", "cooling_w": 3_500}),
    ("room_ac", {"ac_type": "split", "cooling_w": 16_000}),
    ("desktop_pc", {"pc_type": "desktop_host", "set_with": "MON-1"}),
    ("desktop_pc", {"pc_type": "desktop_host"}), ("desktop_pc", {"pc_type": "all_in_one"}),
    ("desktop_pc", {"pc_type": "laptop"}), ("laptop", {"pc_type": "laptop"}),
    ("laptop", {"pc_type": "tablet"}),
    ("flat_monitor", {"screen_in": 24, "set_with": "HOST-1"}), ("flat_monitor", {"screen_in": 24}),
    ("flat_monitor", {"screen_in": 24, "pc_type": "laptop"}),
    ("crt_monitor", {"screen_in": 17, "set_with": "HOST-1"}),
    ("range_hood", {}),
]
MOMENTS = [None, "2012-06-30T15:59:59.999Z", "2013-05-01T02:00:00.000Z", "2015-12-31T16:00:00.000Z",
           "2021-03-31T16:00:00.000Z", "2026-11-21T08:00:00.000Z"]


def test_both_verifiers_class_every_product_alike() -> None:
    """The independent verifier's classing (written from the docs) and ledger.fund.classify
    give the same `fund` member for every product, reason and version, read from the
    catalogue content as it is logged (key-sorted)."""
    content = json.loads(canonical_bytes(catalogue.load().content()))
    tables = catalogue.from_content(content).fund
    assert tables is not None
    for category, facts in CASES:
        for moment in MOMENTS:
            product = fund_record(classify(tables, category, {"category": category, **facts},
                                           moment))
            assert _fund_class(content["fund"], {"category": category, **facts},
                               moment) == product, (category, facts, moment)
    assert _fund_class(None, {"category": "fridge", "volume_l": 190}, None) is None


def test_the_class_is_the_catalogues_in_force_at_completion(tmp_path: Path) -> None:
    """A catalogue published after the unit was completed does not class it: the one in force
    then does (without fund tables here, so no class), as the judgement's catalogue."""
    ledger: Ledger = sqlite_ledger(tmp_path / "ledger.db")
    ledger.publish_catalogue(_old_catalogue(), "before-fund", operator="A-0001")
    p = plated(make_plant(ledger))
    ledger.publish_catalogue(catalogue.load(), "with-fund", operator="A-0001")
    st = issued(p, UNIT_PLATED)["statements"]
    assert st["judgement"]["catalogue"]["version"] == "before-fund" and st["fund"] is None
    assert st["nameplate"] == {"volume_l": 190}  # the facts are stated all the same
    ledger.engine.dispose()
