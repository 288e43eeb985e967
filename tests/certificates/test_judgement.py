"""Certificates state the rules' judgement of each unit and lot (docs/rules.md): flags
computed from the entries under the catalogue in force, never declared; the verifier computes
them again, so a certificate that drops one does not verify; period reports split creditable,
flagged and excluded units."""

from __future__ import annotations

import copy
import json
from typing import Any

from factories import plant

from ledger.canonical import canonical_bytes
from ledger.certificates.build import build_lot, build_period, build_unit
from ledger.certificates.document import period_lines, serialise
from ledger.certificates.issue import issue
from ledger.certificates.statements import PERIOD_COLUMNS, period_statements
from ledger.certificates.verify import CHAIN_CHECK, STATEMENTS_CHECK, verify

from .conftest import LOT_FE, UNIT_A, Plant, dismantle
from .test_statements import PUBLISHED, ev

SAMPLE = "CN3301-2026-0004834"  # the sample day's unit: 90 g of a 155 g charge (58 %)


def flagged_plant(p: Plant) -> Plant:
    dismantle(p, SAMPLE, "R-600a", 90, 20_000, "TI-4834", charge_g=155, lot="LOT-FE-0002")
    return p


def failed(report: Any) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if c.ok is False}


def test_the_sample_days_low_recovery_is_flagged_on_its_certificate(plant_ledger: Plant) -> None:
    p = flagged_plant(plant_ledger)
    document = issue(p.ledger, build_unit(p.ledger, SAMPLE, signer=p.signer), p.signer)
    judgement = document["statements"]["judgement"]
    assert judgement["flags"] == [{"code": "low_recovery", "key": None,
                                   "params": {"recovered_g": 90, "nameplate_charge_g": 155,
                                              "threshold_pct": "90"}}]
    assert judgement["status"] == "flagged" and judgement["open_flags"] == judgement["flags"]
    assert judgement["catalogue"]["entry"] == 0 and judgement["violations"] == []
    report = verify(document, vkeys=[p.vkey])
    assert report.ok, failed(report)
    assert "chains carried beside them" in {c.name: c.detail for c in report.checks}[CHAIN_CHECK]


def test_a_certificate_edited_to_drop_a_flag_does_not_verify(plant_ledger: Plant) -> None:
    p = flagged_plant(plant_ledger)
    document = issue(p.ledger, build_unit(p.ledger, SAMPLE, signer=p.signer), p.signer)
    dropped = copy.deepcopy(document)
    dropped["statements"]["judgement"]["flags"] = []
    assert "statements.judgement.flags has 0 items" in failed(
        verify(dropped, vkeys=[p.vkey]))[STATEMENTS_CHECK]
    credited = copy.deepcopy(document)
    credited["statements"]["judgement"]["status"] = "creditable"
    assert "judgement.status" in failed(verify(credited, vkeys=[p.vkey]))[STATEMENTS_CHECK]
    period = json.loads(serialise(issue(p.ledger, build_period(
        p.ledger, "2026-11-21", "2026-11-21", signer=p.signer), p.signer)))  # as handed out
    line = next(line for line in period_lines(period["statements"]) if line["label"] == SAMPLE)
    assert line["status"] == "flagged" and [f["code"] for f in line["flags"]] == ["low_recovery"]
    assert verify(period, vkeys=[p.vkey]).ok
    position = period["statements"]["lines"].index(line_text(line))
    line["flags"], line["status"] = [], "creditable"
    period["statements"]["lines"][position] = line_text(line)
    assert f"statements.lines[{position}].flags has 0 items" in failed(
        verify(period, vkeys=[p.vkey]))[STATEMENTS_CHECK]


def line_text(line: dict) -> str:
    """A v2 report's line as it states it: the RFC 8785 text of its columns' values."""
    return canonical_bytes([line[name] for name in PERIOD_COLUMNS]).decode()


def test_dropping_the_carried_catalogue_or_scale_chain_fails(plant_ledger: Plant) -> None:
    p = flagged_plant(plant_ledger)
    document = issue(p.ledger, build_unit(p.ledger, SAMPLE, signer=p.signer), p.signer)
    no_catalogue = copy.deepcopy(document)
    no_catalogue["entries"] = [e for e in no_catalogue["entries"] if e["index"] != 0]
    assert "no catalogue.published entry" in failed(
        verify(no_catalogue, vkeys=[p.vkey]))[STATEMENTS_CHECK]
    scale = 2  # make_plant: the catalogue (0), the station (1), then SC-1's check (2)
    no_scale = copy.deepcopy(document)
    no_scale["entries"] = [e for e in no_scale["entries"] if e["index"] != scale]
    # Without SC-1's check the weighings look overdue: the derived flags differ.
    assert "judgement.flags has 1 items; the entries give 2" in failed(
        verify(no_scale, vkeys=[p.vkey]))[STATEMENTS_CHECK]


def test_period_report_splits_creditable_flagged_and_excluded(plant_ledger: Plant) -> None:
    p = flagged_plant(plant_ledger)
    st = build_period(p.ledger, "2026-11-21", "2026-11-21", signer=p.signer)["statements"]
    totals = st["totals"]
    assert (totals["creditable"]["units"], totals["flagged"]["units"],
            totals["excluded"]["units"], totals["all"]["units"]) == (2, 1, 0, 3)
    assert totals["flagged"]["gross_g"] == 45_210
    assert totals["flagged"]["refrigerant_g"] == 90 and totals["flagged"]["co2e_g"] == 270
    assert totals["creditable"]["refrigerant_g"] == 52 + 120  # the flagged unit is not in it
    assert totals["flagged"]["by_category"]["fridge"]["units"] == 1


def test_a_flag_credited_by_a_review_counts_as_creditable(plant_ledger: Plant) -> None:
    p = flagged_plant(plant_ledger)
    review = p.ledger.append([plant("flag.reviewed", f"unit:{SAMPLE}",
                                    {"flag": "low_recovery", "resolution": "credit",
                                     "reason": "circuit found leaking at intake, photo 4834",
                                     "approved_by": "M-0001"}, operator="M-0001")])[0]
    document = issue(p.ledger, build_unit(p.ledger, SAMPLE, signer=p.signer), p.signer)
    judgement = document["statements"]["judgement"]
    assert judgement["status"] == "creditable" and judgement["open_flags"] == []
    assert [f["code"] for f in judgement["flags"]] == ["low_recovery"]  # kept, not deleted
    assert judgement["reviews"][0]["entry"] == review.index
    assert judgement["reviews"][0]["resolution"] == "credit"
    assert verify(document, vkeys=[p.vkey]).ok
    st = build_period(p.ledger, "2026-11-21", "2026-11-21", signer=p.signer)["statements"]
    assert st["totals"]["creditable"]["units"] == 3 and st["totals"]["flagged"]["units"] == 0
    line = next(line for line in period_lines(st) if line["label"] == SAMPLE)
    assert line["reviews"] == [{"entry": review.index, "flag": "low_recovery", "key": None,
                                "resolution": "credit"}]


def test_a_flag_excluded_by_a_review_excludes_the_unit(plant_ledger: Plant) -> None:
    p = flagged_plant(plant_ledger)
    p.ledger.append([plant("flag.reviewed", f"unit:{SAMPLE}",
                           {"flag": "low_recovery", "resolution": "exclude",
                            "reason": "no explanation for the missing gas",
                            "approved_by": "M-0001"}, operator="M-0001")])
    st = build_period(p.ledger, "2026-11-21", "2026-11-21", signer=p.signer)["statements"]
    assert st["totals"]["excluded"]["units"] == 1 and st["totals"]["creditable"]["units"] == 2


def test_a_record_that_breaks_a_rule_is_excluded_naming_the_rule() -> None:
    """Entries written before any catalogue was logged (a 1 kg "fridge", completed with no
    refrigerant record and no outputs) are judged retroactively by the first catalogue."""
    pairs = [(0, ev("unit.received", "unit:TINY", {"category": "fridge", "gross_g": 1_000,
                                                   "scale": "SC-1", "source": "trade_in"})),
             (1, ev("unit.completed", "unit:TINY", {})), PUBLISHED]
    st = period_statements(pairs, plant="P", start="2026-11-21", end="2026-11-21",
                           time_zone="Asia/Shanghai")
    line = next(period_lines(st))
    assert line["status"] == "excluded"
    assert line["violations"][0] == {"entry": 0, "rule": "weight_out_of_range",
                                     "params": {"gross_g": 1_000, "category": "fridge",
                                                "low_g": 15_000, "high_g": 150_000}}
    assert "no_recovery" in [v["rule"] for v in line["violations"]]
    assert line["catalogue_entry"] == PUBLISHED[0]
    assert st["totals"]["excluded"]["units"] == 1 and st["totals"]["creditable"]["units"] == 0


def test_a_lot_manifest_states_its_judgement(plant_ledger: Plant) -> None:
    p = plant_ledger
    document = issue(p.ledger, build_lot(p.ledger, LOT_FE, signer=p.signer), p.signer)
    judgement = document["statements"]["judgement"]
    assert judgement["status"] == "creditable" and judgement["flags"] == []
    assert verify(document, vkeys=[p.vkey]).ok
    p.ledger.append([plant("lot.opened", "lot:LOT-FE-0009", {"fraction": "steel",
                                                             "hazardous": False})])
    dismantle(p, "CN3301-2026-0000009", "R-134a", 60, 20_000, "TI-0009", lot="LOT-FE-0009")
    p.ledger.append([plant("lot.sealed", "lot:LOT-FE-0009", {"net_g": 20_000, "scale": "SC-1"}),
                     plant("lot.shipped", "lot:LOT-FE-0009",
                           {"receiver": "江苏再生金属有限公司", "manifest_no": "JS-9"}),
                     plant("lot.received", "lot:LOT-FE-0009",
                           {"receiver": "江苏再生金属有限公司", "manifest_no": "JS-9",
                            "received_g": 18_000})])
    lot = issue(p.ledger, build_lot(p.ledger, "LOT-FE-0009", signer=p.signer), p.signer)
    judgement = lot["statements"]["judgement"]
    assert [f["code"] for f in judgement["flags"]] == ["receipt_weight"]
    assert judgement["status"] == "flagged"
    assert verify(lot, vkeys=[p.vkey]).ok
    assert UNIT_A not in lot["statements"]["units"]
