"""Our certificates pass the verifier written from the specs and docs/certificates.md alone
(tests/spec_cert_verifier.py), and tampered ones fail it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories import plant
from spec_cert_verifier import DERIVE, verify_certificate
from spec_verifier import VerificationError

from ledger.certificates import document as doc_format
from ledger.certificates.build import build_lot, build_period, build_unit
from ledger.certificates.document import period_lines
from ledger.certificates.issue import issue
from ledger.certificates.statements import period_statements

from .conftest import LOT_FE, ORIGIN, UNIT_A, UNIT_B, Plant, dismantle, make_plant, sqlite_ledger
from .test_statements import PUBLISHED, ev


def flagged(p: Plant) -> Plant:
    """The plant with the sample day's low recovery (90 g of 155 g) and a unit whose yields
    and mass balance are off."""
    dismantle(p, SAMPLE, "R-600a", 90, 20_000, "TI-4834", charge_g=155, lot="LOT-FE-0002")
    dismantle(p, ODD, "R-134a", 60, 2_000, "TI-4835", lot="LOT-FE-0002")
    return p


def credited(p: Plant) -> Plant:
    """Besides, a low recovery reviewed and credited by a manager."""
    dismantle(p, CREDITED, "R-600a", 80, 20_000, "TI-4836", charge_g=155, lot="LOT-FE-0002")
    p.ledger.append([plant("flag.reviewed", f"unit:{CREDITED}",
                           {"flag": "low_recovery", "resolution": "credit",
                            "reason": "leak found at intake", "approved_by": "M-0001"})])
    return p


SAMPLE, ODD, CREDITED = "CN3301-2026-0004834", "CN3301-2026-0004835", "CN3301-2026-0004836"


def issued(p: Plant, kind: str) -> dict[str, Any]:
    led, signer = p.ledger, p.signer
    draft = {"unit": lambda: build_unit(led, UNIT_A, signer=signer),
             "flagged": lambda: build_unit(led, SAMPLE, signer=signer),
             "odd": lambda: build_unit(led, ODD, signer=signer),
             "ar5": lambda: build_unit(led, UNIT_B, signer=signer, gwp_basis="AR5"),
             "period": lambda: build_period(led, "2026-11-21", "2026-11-21", signer=signer),
             "lot": lambda: build_lot(led, LOT_FE, signer=signer)}[kind]()
    return issue(led, draft, signer)


@pytest.mark.parametrize("kind", ["unit", "ar5", "period", "lot", "flagged", "odd"])
def test_our_certificates_pass_the_independent_verifier(plant_ledger: Plant, kind: str) -> None:
    document = issued(flagged(plant_ledger), kind)
    data = doc_format.serialise(document)
    assert verify_certificate(data, [plant_ledger.vkey]) == doc_format.sha256(document)


def _mass(d: dict[str, Any]) -> None:
    d["statements"]["intake"]["gross_g"] += 1


def _unit_entry(d: dict[str, Any]) -> int:
    """The position of the unit's first entry (after the catalogue's and the scale's)."""
    return next(n for n, item in enumerate(d["entries"])
                if b'"subject":"unit:' in base64.b64decode(item["entry"]))


def _entry(d: dict[str, Any]) -> None:
    n = _unit_entry(d)
    body = base64.b64decode(d["entries"][n]["entry"]).replace(b"45210", b"45211")
    d["entries"][n]["entry"] = base64.b64encode(body).decode()


def _drop(d: dict[str, Any]) -> None:
    del d["entries"][_unit_entry(d) + 2]


def _unflag(d: dict[str, Any]) -> None:
    d["statements"]["judgement"]["flags"] = []


def _draft(d: dict[str, Any]) -> None:
    del d["issuance"]


TAMPERING: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "mass in the JSON": (_mass, "statements differ: statements.intake.gross_g"),
    "entry bytes": (_entry, "inclusion proof does not lead to the root"),
    "entry dropped": (_drop, "chain of unit:"),
    "not issued": (_draft, "not issued"),
    "flag dropped": (_unflag, "statements differ: statements.judgement.flags"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_certificates_fail_the_independent_verifier(plant_ledger: Plant,
                                                             case: str) -> None:
    document = issued(flagged(plant_ledger), "flagged")
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


def test_the_independent_verifier_reproduces_the_flags(plant_ledger: Plant) -> None:
    """Not only do both agree: the flags are there (a verifier that computed none would pass
    a certificate that states none)."""
    p = flagged(plant_ledger)
    period = issued(p, "period")
    assert verify_certificate(doc_format.serialise(period), [p.vkey])
    status = {line["label"]: (line["status"], [f["code"] for f in line["flags"]])
              for line in period_lines(period["statements"])}
    assert status[SAMPLE] == ("flagged", ["low_recovery"])
    assert status[ODD][0] == "flagged" and "mass_balance" in status[ODD][1]
    assert "yield_out_of_range" in status[ODD][1]


def test_the_independent_verifier_folds_reviews(plant_ledger: Plant) -> None:
    p = credited(flagged(plant_ledger))
    period = issued(p, "period")
    assert verify_certificate(doc_format.serialise(period), [p.vkey])
    line = next(ln for ln in list(period_lines(period["statements"])) if ln["label"] == CREDITED)
    assert (line["status"], line["flags"]) == ("creditable", [])


def test_both_verifiers_name_the_same_broken_rules() -> None:
    """Records the rules forbid (written before any catalogue, judged retroactively): the
    independent derivation names the same rules with the same parameters."""
    label = "unit:ODD"
    pairs = [(0, ev("unit.received", label, {"category": "fridge", "gross_g": 1_000,
                                             "scale": "SC-1", "source": "trade_in",
                                             "nameplate_refrigerant": "R-22"})),
             (1, ev("material.output", label, {"fraction": "steel", "mass_g": 5_000,
                                               "lot": "L", "scale": "SC-1"})),
             (2, ev("refrigerant.recovered", label,
                    {"refrigerant": "R-22", "cylinder": "C", "cylinder_gross_before_g": 100,
                     "cylinder_gross_after_g": 90, "recovered_g": 10, "scale": "SC-1"})),
             (3, ev("material.output", label, {"fraction": "ferrous", "mass_g": 5,
                                               "lot": "L", "scale": "SC-1"})),
             (4, ev("unit.completed", label, {})), PUBLISHED]
    st = period_statements(pairs, plant="P", start="2026-11-21", end="2026-11-21",
                           time_zone="Asia/Shanghai")
    rules = [v["rule"] for v in next(period_lines(st))["violations"]]
    assert rules == ["weight_out_of_range", "depollution_first", "after_outputs",
                     "unknown_fraction", "steps_missing"]
    assert DERIVE["period"]({"statements": st, "origin": "P"}, pairs) == st
