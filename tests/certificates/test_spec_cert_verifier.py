"""Our certificates pass the verifier written from the specs and docs/certificates.md alone
(tests/spec_cert_verifier.py), and tampered ones fail it."""

from __future__ import annotations

import base64
import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from factories import plant
from spec_cert_verifier import DERIVE, verify_certificate
from spec_entry_bundle import multileaf_root
from spec_verifier import VerificationError, leaf_hash, root_from_leaves

from ledger.certificates import build
from ledger.certificates import document as doc_format
from ledger.certificates.build import build_lot, build_period, build_unit
from ledger.certificates.document import period_lines
from ledger.certificates.issue import issue
from ledger.certificates.statements import period_statements, unit_statements

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


def test_both_verifiers_name_the_same_broken_storage_rules() -> None:
    """A unit dismantled while set aside, stored among products and taken back twice: the
    independent derivation names the storage rules as the ledger's judge does."""
    label = "unit:ASIDE"
    pairs = [(0, ev("unit.received", label, {"category": "washing_machine",
                                             "gross_g": 30_000, "scale": "SC-1",
                                             "source": "collector"})),
             (1, ev("unit.set_aside", label, {"reason": "disputed"})),
             (2, ev("material.output", label, {"fraction": "steel", "mass_g": 5_000,
                                               "lot": "L", "scale": "SC-1"})),
             (3, ev("unit.stored", label, {"zone": "b1"})),
             (4, ev("unit.taken_back", label, {})),
             (5, ev("unit.taken_back", label, {})),
             (6, ev("unit.completed", label, {})), PUBLISHED]
    st = period_statements(pairs, plant="P", start="2026-11-21", end="2026-11-21",
                           time_zone="Asia/Shanghai")
    found = [(v["entry"], v["rule"]) for v in next(period_lines(st))["violations"]]
    assert found == [(2, "unit_set_aside"), (3, "wrong_zone"), (5, "not_set_aside")]
    assert DERIVE["period"]({"statements": st, "origin": "P"}, pairs) == st


def _pc(label: str, set_with: str | None, category: str = "desktop_pc",
        **nameplate: Any) -> dict[str, Any]:
    """A computer's intake naming its set (`set_with`), a host unless the nameplate says."""
    return ev("unit.received", f"unit:{label}", {
        "category": category, "gross_g": 8_000, "scale": "SC-1", "source": "business",
        **({"pc_type": "desktop_host"} if category == "desktop_pc" else {"screen_in": 22}),
        **nameplate, **({"set_with": set_with} if set_with is not None else {})})


def _done(label: str) -> list[dict[str, Any]]:
    """A desktop host's output and completion (its category needs no other step)."""
    return [ev("material.output", f"unit:{label}", {"fraction": "steel", "mass_g": 5_000,
                                                    "lot": "L", "scale": "SC-1"}),
            ev("unit.completed", f"unit:{label}", {})]


def test_both_verifiers_name_the_same_broken_set_rules() -> None:
    """Desktop sets written around the rules (docs/rules.md section 4): a host set with itself,
    a laptop said to be in a set, a host completed before its monitor named it back, a host
    whose other half is a host, and the effective value of the other half's set_with as it
    stood below the completion (a correction before it counts, one after it does not)."""
    events = [
        _pc("SELF", "SELF"),  # 0
        _pc("LAPTOP", "M-9", pc_type="laptop"),  # 1
        _pc("H1", "M1"), *_done("H1"),  # 2, 3, 4: completed before M1's intake
        _pc("M1", "H1", category="flat_monitor"),  # 5
        _pc("H2", "X2"), _pc("X2", "H2"), *_done("H2"),  # 6, 7, 8, 9: X2 is a host too
        _pc("H3", "M3"), _pc("M3", "H3", category="crt_monitor"),  # 10, 11
        ev("correction", "unit:M3", {"corrects": 11, "reason": "mislabelled",
                                     "approved_by": "M-1", "set": {"set_with": "H9"}}),  # 12
        *_done("H3"),  # 13, 14: M3 no longer names H3
        _pc("H4", "M4"), _pc("M4", "H4", category="flat_monitor"), *_done("H4"),  # 15-18
        ev("correction", "unit:M4", {"corrects": 16, "reason": "later",
                                     "approved_by": "M-1", "set": {"set_with": "H8"}}),  # 19
    ]
    pairs = [*enumerate(events), PUBLISHED]
    st = period_statements(pairs, plant="P", start="2026-11-21", end="2026-11-21",
                           time_zone="Asia/Shanghai")
    found = {line["label"]: [(v["entry"], v["rule"]) for v in line["violations"]]
             for line in period_lines(st)}
    assert found == {"H1": [(4, "set_not_paired")], "H2": [(9, "set_kind")],
                     "H3": [(14, "set_not_paired")], "H4": []}
    lines = {line["label"]: line for line in period_lines(st)}
    assert lines["H2"]["violations"][0]["params"] == {
        "label": "H2", "kind": "desktop_host", "needs": "monitor", "partner": "X2",
        "partner_kind": "desktop_host"}
    assert DERIVE["period"]({"statements": st, "origin": "P"}, pairs) == st
    intakes = [*pairs[:2], PUBLISHED]  # the intake rules, on units not completed
    for label, rule in (("SELF", "set_with_self"), ("LAPTOP", "not_a_set")):
        unit = unit_statements(intakes, label)
        assert [(v["entry"], v["rule"]) for v in unit["judgement"]["violations"]] == \
            [(0 if label == "SELF" else 1, rule)]
        assert DERIVE["unit"]({"statements": unit, "origin": "P"}, intakes) == unit


# -- format v2 (docs/certificates.md section 5) ----------------------------------------------

def _rebundle(d: dict[str, Any], change: Callable[[bytes], bytes]) -> None:
    bundle = gzip.decompress(base64.b64decode(d["entries"]["bundle"]))
    d["entries"]["bundle"] = base64.b64encode(gzip.compress(change(bundle))).decode()


def _bundle_entry(d: dict[str, Any]) -> None:
    """One byte of the first unit's intake entry (same length: the bundle still parses)."""
    _rebundle(d, lambda b: b.replace(b'"gross_g":45210', b'"gross_g":45211', 1))


def _line_figure(d: dict[str, Any]) -> None:
    d["statements"]["lines"][0] = d["statements"]["lines"][0].replace(",45210,", ",45211,", 1)


def _line_dropped(d: dict[str, Any]) -> None:
    d["statements"]["lines"].pop()


def _lines_swapped(d: dict[str, Any]) -> None:
    lines = d["statements"]["lines"]
    lines[0], lines[1] = lines[1], lines[0]


def _total(d: dict[str, Any]) -> None:
    d["statements"]["totals"]["creditable"]["co2e_g"] += 1


def _proof_hash(d: dict[str, Any]) -> None:
    d["entries"]["proof"].pop()


def _count(d: dict[str, Any]) -> None:
    d["entries"]["count"] -= 1


TAMPERING_V2: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "entry byte in the bundle": (_bundle_entry, "altered: the prev of entry"),
    "line figure": (_line_figure, "statements.lines[0] (CN3301-2026-0000001).gross_g: stated "
                                  "45211, derived 45210"),
    "line dropped": (_line_dropped, "derive a line that is not stated"),
    "lines swapped": (_lines_swapped, "not ordered by (completed_at, label)"),
    "total": (_total, "statements.totals.creditable.co2e_g"),
    "proof hash dropped": (_proof_hash, "too few hashes"),
    "count": (_count, "the runs hold"),
    "not issued": (_draft, "not issued"),
}


@pytest.fixture(scope="module")
def v2_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """One issued v2 period report of the flagged plant, and the plant's key."""
    p = flagged(make_plant(sqlite_ledger(tmp_path_factory.mktemp("v2") / "ledger.db")))
    data = doc_format.serialise(issued(p, "period"))
    p.ledger.engine.dispose()
    return data, p.vkey


@pytest.mark.parametrize("case", list(TAMPERING_V2))
def test_tampered_v2_reports_fail_the_independent_verifier(v2_report: tuple[bytes, str],
                                                           case: str) -> None:
    data, vkey = v2_report
    assert verify_certificate(data, [vkey])
    document = json.loads(data)
    assert document["format"] == "dledger-certificate/v2"
    change, words = TAMPERING_V2[case]
    change(document)
    with pytest.raises(VerificationError) as failure:
        verify_certificate(json.dumps(document).encode(), [vkey])
    assert words in str(failure.value)


def test_a_v2_report_with_its_bundle_beside_it(plant_ledger: Plant, tmp_path: Path) -> None:
    p = flagged(plant_ledger)
    file = tmp_path / "report.entries.gz"
    with mock.patch.object(build, "EMBED_BUNDLE_MAX", 0):
        draft = build_period(p.ledger, "2026-11-21", "2026-11-21", signer=p.signer,
                             bundle_to=file)
    data = doc_format.serialise(issue(p.ledger, draft, p.signer))
    assert verify_certificate(data, [p.vkey], lambda: file.open("rb"))
    with pytest.raises(VerificationError, match="travels beside the certificate"):
        verify_certificate(data, [p.vkey])
    file.write_bytes(file.read_bytes()[:-9])  # the gzip trailer cut off
    with pytest.raises(VerificationError, match="not gzip"):
        verify_certificate(data, [p.vkey], lambda: file.open("rb"))


def test_a_v2_report_issued_on_postgresql(pg_plant: Plant) -> None:
    p = credited(flagged(pg_plant))
    document = issued(p, "period")
    assert verify_certificate(doc_format.serialise(document), [p.vkey]) == \
        doc_format.sha256(document)


def _docs_proof(leaves: list[bytes], held: set[int], lo: int, hi: int) -> list[bytes]:
    """docs/certificates.md section 5.2's PROOF(lo, hi), as written there."""
    inside = [i for i in range(lo, hi) if i in held]
    if len(inside) == hi - lo:
        return []
    if not inside:
        return [root_from_leaves(leaves[lo:hi])]
    k = 1 << ((hi - lo - 1).bit_length() - 1)
    return _docs_proof(leaves, held, lo, lo + k) + _docs_proof(leaves, held, lo + k, hi)


def _runs(held: set[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in sorted(held):
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def test_the_multi_leaf_proof_as_the_docs_define_it() -> None:
    """Any set of leaves of any tree: the root folds from its leaves and the docs' PROOF, and
    a hash too many or too few does not verify."""
    rng = random.Random(14)
    for size in (1, 2, 3, 7, 8, 9, 33, 100):
        leaves = [leaf_hash(str(i).encode()) for i in range(size)]
        for _ in range(12):
            held = {i for i in range(size) if rng.random() < rng.choice((0.1, 0.5, 0.9))}
            held = held or {rng.randrange(size)}
            runs = _runs(held)
            proof = _docs_proof(leaves, held, 0, size)
            mine = iter(leaves[i] for i in sorted(held))
            assert multileaf_root(size, runs, mine, proof) == root_from_leaves(leaves)
            for wrong in (proof[:-1], [*proof, leaves[0]]):
                if wrong != proof:
                    with pytest.raises(VerificationError, match="hashes"):
                        multileaf_root(size, runs, iter(leaves[i] for i in sorted(held)), wrong)


def test_a_unit_whose_intake_was_voided_is_on_no_line() -> None:
    """Section 5.1: a report may carry the chain of a unit its entries put outside it."""
    label = "unit:VOID"
    pairs = [(0, ev("unit.received", label, {"category": "fridge", "gross_g": 45_000,
                                             "scale": "SC-1", "source": "trade_in"})),
             (1, ev("unit.completed", label, {})),
             (2, ev("correction", label, {"corrects": 0, "reason": "not ours",
                                          "approved_by": "M-0001", "void": True})),
             PUBLISHED]
    derived = DERIVE["period"]({"origin": "P", "statements": {
        "period": {"from": "2026-11-21", "to": "2026-11-21", "time_zone": "Asia/Shanghai"},
        "categories": None, "gwp_basis": "AR4", "gwp_source": "S"}}, pairs)
    assert derived["lines"] == [] and derived["totals"]["all"]["units"] == 0
