"""Certificates end to end on a real ledger: build, issue, verify; each kind's statements
(corrections applied); revocation; and each tampering failing with its reason in words."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.certificates import document as doc_format
from ledger.certificates.build import BuildError, build_lot, build_period, build_unit
from ledger.certificates.document import period_lines
from ledger.certificates.issue import IssueError, issue, records, revoke
from ledger.certificates.statements import unit_statements
from ledger.certificates.verify import (
    CHAIN_CHECK,
    INCLUSION_CHECK,
    ISSUANCE_CHECK,
    NOT_VERIFIED,
    REVOCATION_CHECK,
    SIGNATURE_CHECK,
    STATEMENTS_CHECK,
    TRUSTED_CHECK,
    UNPROVEN,
    ConsoleError,
    Report,
    verify,
)
from ledger.log import Ledger, LedgerError
from ledger.note import new_signer
from ledger.proof import InclusionProof
from ledger.store import execute, read_transaction

from .conftest import (
    LOT_FE,
    ORIGIN,
    UNIT_A,
    UNIT_B,
    UNIT_OPEN,
    Plant,
    make_plant,
    sqlite_ledger,
)


class LedgerConsole:
    """The console's two answers the verifier needs, straight from a ledger (the HTTP route is
    tested in tests/web/test_api_certificates.py)."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def consistency(self, old: int, new: int) -> list[bytes]:
        try:
            return self.ledger.consistency_hashes(old, new)
        except LedgerError as exc:
            raise ConsoleError(str(exc)) from None

    def unit_entries(self, label: str) -> list[int] | None:
        with read_transaction(self.ledger.engine) as conn:
            rows = execute(conn, "SELECT idx FROM ledger_entries WHERE subject = ?",
                           (f"unit:{label}",)).fetchall()
        return [idx for (idx,) in rows] or None

    def certificate(self, digest: str) -> dict[str, Any] | None:
        found = records(self.ledger, digest)
        if found["issued"] is None:
            return None
        revoked = found["revoked"]
        return {"issued": found["issued"][0],
                "revoked": None if revoked is None else {"index": revoked[0],
                                                         "time": revoked[1]["time"],
                                                         **revoked[1]["data"]}}


def failed(report: Report) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if c.ok is False}


def issued_unit(p: Plant, label: str = UNIT_A) -> dict[str, Any]:
    return issue(p.ledger, build_unit(p.ledger, label, signer=p.signer), p.signer)


def test_unit_certificate_verifies_with_every_check_in_words(plant_ledger: Plant) -> None:
    document = issued_unit(plant_ledger)
    report = verify(doc_format.serialise(document), vkeys=[plant_ledger.vkey],
                    console=LedgerConsole(plant_ledger.ledger))
    assert report.ok, failed(report)
    assert [c.ok for c in report.checks] == [True] * 6 + [None, True]
    assert report.sha256 == doc_format.sha256(document)
    details = {c.name: c.detail for c in report.checks}
    assert "12 entries, each proven" in details[INCLUSION_CHECK]
    assert "no saved checkpoint was given" in details[TRUSTED_CHECK]


@pytest.mark.postgres
def test_unit_certificate_on_postgresql(pg_plant: Plant) -> None:
    report = verify(issued_unit(pg_plant), vkeys=[pg_plant.vkey])
    assert report.ok, failed(report)


def test_unit_statements_state_the_corrected_figure_and_co2e(plant_ledger: Plant) -> None:
    st = build_unit(plant_ledger.ledger, UNIT_A, signer=plant_ledger.signer)["statements"]
    assert st["unit"]["trade_in_code"] == "TI-0001" and st["unit"]["brand"] == "海尔"
    assert st["intake"] == {"gross_g": 45_210, "scale": "SC-1", "station": "ST-01",
                            "operator": "W-0042", "time": st["intake"]["time"],
                            "entry": plant_ledger.indexes[f"{UNIT_A}/received"]}
    assert st["outputs"][0]["mass_g"] == 19_400  # corrected from 20,000
    assert st["corrections"][0]["corrects"] == plant_ledger.indexes[f"{UNIT_A}/steel"]
    assert st["refrigerant"]["recovered_g"] == 52
    assert st["refrigerant"]["recovered"][0]["gwp"] == "3"
    assert st["refrigerant"]["co2e_g"] == 156  # 52 g x GWP 3 (R-600a, conventional)
    assert [c["component"] for c in st["components"]] == ["compressor_oil", "pcb"]
    assert st["balance"]["difference_g"] == 45_210 - 19_400 - 8_000 - 9_500 - 5_500 - 250 - 800 - 52
    assert st["state"] == "completed" and st["stations"] == ["ST-01"]
    assert st["entries"] == sorted(st["entries"]) and len(st["entries"]) == 10
    assert st["judgement"]["status"] == "creditable" and st["judgement"]["flags"] == []
    assert st["judgement"]["catalogue"]["entry"] == 0
    b = build_unit(plant_ledger.ledger, UNIT_B, signer=plant_ledger.signer)["statements"]
    assert b["refrigerant"]["co2e_g"] == 120 * 1430  # R-134a, AR4
    ar5 = build_unit(plant_ledger.ledger, UNIT_B, signer=plant_ledger.signer, gwp_basis="AR5")
    assert ar5["statements"]["refrigerant"]["co2e_g"] == 120 * 1300


def test_no_floats_anywhere_in_a_certificate(plant_ledger: Plant) -> None:
    text = doc_format.serialise(issued_unit(plant_ledger)).decode()
    json.loads(text, parse_float=lambda s: pytest.fail(f"float {s} in a certificate"))


def test_period_report_one_line_per_completed_unit_with_totals(plant_ledger: Plant) -> None:
    seen: list[tuple[int, int]] = []
    document = build_period(plant_ledger.ledger, "2026-11-21", "2026-11-21",
                            progress=lambda done, total: seen.append((done, total)),
                            signer=plant_ledger.signer)
    st = document["statements"]
    assert st["period"] == {"from": "2026-11-21", "to": "2026-11-21",
                            "time_zone": "Asia/Shanghai", "from_utc": "2026-11-20T16:00:00.000Z",
                            "until_utc": "2026-11-21T16:00:00.000Z"}
    assert [line["label"] for line in period_lines(st)] == [UNIT_A, UNIT_B]  # not the open one
    assert next(period_lines(st))["outputs"]["steel"] == 19_400
    assert [line["status"] for line in period_lines(st)] == ["creditable", "creditable"]
    totals = st["totals"]
    assert totals["all"]["units"] == totals["creditable"]["units"] == 2
    assert totals["flagged"]["units"] == totals["excluded"]["units"] == 0
    assert totals["creditable"]["by_fraction"]["steel"] == {"units": 2, "mass_g": 40_900}
    assert totals["creditable"]["by_category"]["fridge"]["co2e_g"] == 156 + 120 * 1430
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    report = verify(issue(plant_ledger.ledger, document, plant_ledger.signer),
                    vkeys=[plant_ledger.vkey])
    assert report.ok, failed(report)


def test_period_report_refuses_an_empty_period_and_bad_input(plant_ledger: Plant) -> None:
    with pytest.raises(BuildError, match="no unit was completed from 2026-12-01"):
        build_period(plant_ledger.ledger, "2026-12-01", "2026-12-31", signer=plant_ledger.signer)
    with pytest.raises(BuildError, match="in categories tv"):
        build_period(plant_ledger.ledger, "2026-11-21", "2026-11-21", ["tv"],
                     signer=plant_ledger.signer)
    with pytest.raises(BuildError, match="time zone 'Mars/Base'"):
        build_period(plant_ledger.ledger, "2026-11-21", "2026-11-21", signer=plant_ledger.signer,
                     time_zone="Mars/Base")
    with pytest.raises(BuildError, match=r"ends .* before it starts"):
        build_period(plant_ledger.ledger, "2026-11-22", "2026-11-21", signer=plant_ledger.signer)


def test_lot_manifest_states_outputs_units_receiver_and_receipt(plant_ledger: Plant) -> None:
    document = build_lot(plant_ledger.ledger, LOT_FE, signer=plant_ledger.signer)
    st = document["statements"]
    assert st["state"] == "received"
    assert st["shipped"]["receiver"] == "江苏再生金属有限公司"
    assert st["shipped"]["manifest_no"] == st["received"]["manifest_no"] == "JS-2026-000123"
    assert st["received"]["received_g"] == 40_880 and st["sealed"]["net_g"] == 40_900
    assert st["units"] == [UNIT_A, UNIT_B]
    assert [o["mass_g"] for o in st["outputs"]] == [19_400, 21_500]  # correction applied
    assert st["outputs_g"] == 40_900
    assert plant_ledger.indexes["correction"] in st["entries"]
    report = verify(issue(plant_ledger.ledger, document, plant_ledger.signer),
                    vkeys=[plant_ledger.vkey])
    assert report.ok, failed(report)


def test_unknown_unit_and_lot_are_refused(plant_ledger: Plant) -> None:
    with pytest.raises(BuildError, match="unit 'NOPE-1' has no entries"):
        build_unit(plant_ledger.ledger, "NOPE-1", signer=plant_ledger.signer)
    with pytest.raises(BuildError, match="lot 'LOT-X' has no entries"):
        build_lot(plant_ledger.ledger, "LOT-X", signer=plant_ledger.signer)


def test_an_unfinished_unit_gets_no_dismantling_certificate(plant_ledger: Plant) -> None:
    with pytest.raises(BuildError, match=f"unit '{UNIT_OPEN}' has not been completed .*in "
                                         "progress.*issued once the unit is completed"):
        build_unit(plant_ledger.ledger, UNIT_OPEN, signer=plant_ledger.signer)


def test_issuing_again_reuses_the_issued_entry(plant_ledger: Plant) -> None:
    draft = build_unit(plant_ledger.ledger, UNIT_A, signer=plant_ledger.signer)
    first = issue(plant_ledger.ledger, draft, plant_ledger.signer)
    size = plant_ledger.ledger.size()
    second = issue(plant_ledger.ledger, draft, plant_ledger.signer)
    assert plant_ledger.ledger.size() == size
    assert first["issuance"]["entry"] == second["issuance"]["entry"]


# -- tampering -------------------------------------------------------------------------------

def test_a_mass_changed_in_the_json_fails(plant_ledger: Plant) -> None:
    document = issued_unit(plant_ledger)
    document["statements"]["intake"]["gross_g"] = 40_000
    report = verify(document, vkeys=[plant_ledger.vkey])
    assert not report.ok
    problems = failed(report)
    assert problems[STATEMENTS_CHECK] == ("statements.intake.gross_g: the certificate says "
                                          "40000, the entries say 45210")
    assert "entry" in problems[ISSUANCE_CHECK] and "not the issuance" in problems[ISSUANCE_CHECK]


def test_an_entry_changed_fails(plant_ledger: Plant) -> None:
    document = issued_unit(plant_ledger)
    recovered = plant_ledger.indexes[f"{UNIT_A}/recovered"]
    item = next(i for i in document["entries"] if i["index"] == recovered)
    body = base64.b64decode(item["entry"]).replace(b'"recovered_g":52', b'"recovered_g":55')
    item["entry"] = base64.b64encode(body).decode()
    problems = failed(verify(document, vkeys=[plant_ledger.vkey]))
    assert f"entry {item['index']}: not in the tree" in problems[INCLUSION_CHECK]
    assert "bytes were changed" in problems[INCLUSION_CHECK]


def test_another_units_entry_swapped_in_fails(plant_ledger: Plant) -> None:
    document = issued_unit(plant_ledger)
    # The other unit's ferrous output, with its valid proof against the same checkpoint.
    first = plant_ledger.ledger.checkpoints()[0]
    assert first.note == document["checkpoint"]
    other_doc = build_unit(plant_ledger.ledger, UNIT_B, signer=plant_ledger.signer,
                           checkpoint=first)
    swapped = next(e for e in other_doc["entries"]
                   if e["index"] == plant_ledger.indexes[f"{UNIT_B}/steel"])
    position = next(i for i, e in enumerate(document["entries"])
                    if e["index"] == plant_ledger.indexes[f"{UNIT_A}/steel"])
    document["entries"][position] = swapped
    document["entries"].sort(key=lambda e: e["index"])
    problems = failed(verify(document, vkeys=[plant_ledger.vkey]))
    assert INCLUSION_CHECK not in problems  # the swapped entry is genuinely in the log
    assert f"entry {swapped['index']} is about unit:{UNIT_B}" in problems[CHAIN_CHECK]
    assert problems[STATEMENTS_CHECK].startswith("statements.")


def test_a_dropped_correction_breaks_the_chain(plant_ledger: Plant) -> None:
    document = issued_unit(plant_ledger)
    document["entries"] = [e for e in document["entries"]
                           if e["index"] != plant_ledger.indexes[f"{UNIT_A}/completed"]]
    problems = failed(verify(document, vkeys=[plant_ledger.vkey]))
    assert "an entry of the chain is missing" in problems[CHAIN_CHECK]


def test_a_correction_left_out_passes_offline_but_not_with_the_console(
        plant_ledger: Plant) -> None:
    """The plant leaves the unit's last entry (its correction) out and states the figures
    without it: every proof holds, and only the console's record of the unit shows it."""
    led, signer = plant_ledger.ledger, plant_ledger.signer
    draft = build_unit(led, UNIT_A, signer=signer)
    correction = plant_ledger.indexes["correction"]
    draft["entries"] = [e for e in draft["entries"] if e["index"] != correction]
    pairs = [(e["index"], json.loads(base64.b64decode(e["entry"]))["event"])
             for e in draft["entries"]]
    draft["statements"] = unit_statements(pairs, UNIT_A)
    document = issue(led, draft, signer)
    assert verify(document, vkeys=[plant_ledger.vkey]).ok
    report = verify(document, vkeys=[plant_ledger.vkey], console=LedgerConsole(led))
    assert failed(report)[CHAIN_CHECK] == (
        f"the console holds entry {correction} about unit:{UNIT_A} before the checkpoint "
        f"(size {document_size_of(document)}), which the certificate leaves out")


def document_size_of(document: dict[str, Any]) -> int:
    """The size of the certificate's own checkpoint (its note's second line)."""
    return int(document["checkpoint"].split("\n")[1])


def test_a_checkpoint_signed_by_another_key_fails(plant_ledger: Plant, tmp_path: Path) -> None:
    impostor = make_plant(sqlite_ledger(tmp_path / "impostor.db"), new_signer(ORIGIN))
    document = issued_unit(impostor)
    report = verify(document, vkeys=[plant_ledger.vkey])
    problems = failed(report)
    assert problems[SIGNATURE_CHECK] == ("the certificate's checkpoint is not signed by a "
                                         "trusted plant key: no trusted key signed this note")
    assert not report.ok


def test_no_trusted_key_is_a_failure_not_a_pass(plant_ledger: Plant) -> None:
    problems = failed(verify(issued_unit(plant_ledger)))
    assert "no trusted plant key was given" in problems[SIGNATURE_CHECK]


def test_a_draft_without_issuance_fails(plant_ledger: Plant) -> None:
    draft = build_unit(plant_ledger.ledger, UNIT_A, signer=plant_ledger.signer)
    problems = failed(verify(draft, vkeys=[plant_ledger.vkey]))
    assert problems == {ISSUANCE_CHECK: "the certificate has no issuance section: it was never "
                                        "issued (a draft)"}


def test_an_issuance_borrowed_from_another_certificate_fails(plant_ledger: Plant) -> None:
    led, signer = plant_ledger.ledger, plant_ledger.signer
    drafts = [build_unit(led, label, signer=signer) for label in (UNIT_A, UNIT_B)]
    a, b = (issue(led, draft, signer) for draft in drafts)
    a["issuance"] = b["issuance"]  # a real issuance, of another certificate
    problems = failed(verify(a, vkeys=[plant_ledger.vkey]))
    assert "not the issuance of this unit certificate" in problems[ISSUANCE_CHECK]


def test_a_proof_against_another_checkpoint_fails(plant_ledger: Plant) -> None:
    document = issued_unit(plant_ledger)
    item = document["entries"][0]
    proof = InclusionProof.parse(item["proof"])
    later = plant_ledger.ledger.checkpoint(plant_ledger.signer)
    item["proof"] = InclusionProof(proof.index, proof.hashes, later.note).text()
    problems = failed(verify(document, vkeys=[plant_ledger.vkey]))
    assert "ends with another checkpoint" in problems[INCLUSION_CHECK]


def test_saved_checkpoint_of_the_same_log_passes(plant_ledger: Plant) -> None:
    saved = plant_ledger.ledger.checkpoint(plant_ledger.signer).note
    document = issued_unit(plant_ledger)
    offline = verify(document, vkeys=[plant_ledger.vkey], trusted_checkpoint=saved)
    assert offline.ok, failed(offline)  # the certificate carries the saved checkpoint itself
    details = {c.name: c.detail for c in offline.checks}
    assert "your saved checkpoint is one the certificate carries" in details[TRUSTED_CHECK]
    make_more(plant_ledger, 3)
    document = issued_unit(plant_ledger)
    offline = verify(document, vkeys=[plant_ledger.vkey], trusted_checkpoint=saved)
    # every check that ran passed, but offline the link to the saved checkpoint is not proven:
    # a distinct verdict, never "verified" (issue 13, break 7)
    assert not failed(offline) and not offline.ok and offline.verdict == UNPROVEN
    details = {c.name: c.detail for c in offline.checks}
    assert "not proven offline: your saved checkpoint is at" in details[TRUSTED_CHECK]
    online = verify(document, vkeys=[plant_ledger.vkey], trusted_checkpoint=saved,
                    console=LedgerConsole(plant_ledger.ledger))
    assert online.ok, failed(online)
    same = verify(document, vkeys=[plant_ledger.vkey],
                  trusted_checkpoint=document["issuance"]["checkpoint"])
    assert "same root" in {c.name: c.detail for c in same.checks}[TRUSTED_CHECK]


def test_a_forked_log_fails_against_the_saved_checkpoint(plant_ledger: Plant,
                                                         tmp_path: Path) -> None:
    saved = plant_ledger.ledger.checkpoint(plant_ledger.signer)
    # The plant rewrites its log with the same key: another history, another certificate.
    fork = make_plant(sqlite_ledger(tmp_path / "fork.db"), plant_ledger.signer)
    document = issued_unit(fork)
    shown = doc_format.parse(document)["issuance"]["checkpoint"]
    assert shown != saved.note
    report = verify(document, vkeys=[plant_ledger.vkey], trusted_checkpoint=saved.note,
                    console=LedgerConsole(fork.ledger))
    assert "the log forked" in failed(report)[TRUSTED_CHECK]
    # Same size, different root: exposed offline.
    equal = fork.ledger.checkpoint(fork.signer)
    while plant_ledger.ledger.size() < equal.checkpoint.size:
        make_more(plant_ledger, equal.checkpoint.size - plant_ledger.ledger.size())
    twin = plant_ledger.ledger.checkpoint(plant_ledger.signer)
    assert twin.checkpoint.size == document_size(document)
    offline = verify(document, vkeys=[plant_ledger.vkey], trusted_checkpoint=twin.note)
    assert "the log forked: at size" in failed(offline)[TRUSTED_CHECK]
    assert offline.verdict == NOT_VERIFIED


def test_a_rolled_back_log_fails_against_the_saved_checkpoint(plant_ledger: Plant,
                                                              tmp_path: Path) -> None:
    make_more(plant_ledger, 5)
    saved = plant_ledger.ledger.checkpoint(plant_ledger.signer).note
    # The plant restores an older backup (fewer entries) and issues from it.
    rolled = make_plant(sqlite_ledger(tmp_path / "backup.db"), plant_ledger.signer)
    document = issued_unit(rolled)
    report = verify(document, vkeys=[plant_ledger.vkey], trusted_checkpoint=saved,
                    console=LedgerConsole(rolled.ledger))
    detail = failed(report)[TRUSTED_CHECK]
    assert "the console cannot prove" in detail and "rolled back" in detail


def test_revoked_certificate_fails_when_the_console_is_reachable(plant_ledger: Plant) -> None:
    document = issued_unit(plant_ledger)
    digest = doc_format.sha256(document)
    revoke(plant_ledger.ledger, digest, "intake weight disputed", "M-0001")
    console = LedgerConsole(plant_ledger.ledger)
    problems = failed(verify(document, vkeys=[plant_ledger.vkey], console=console))
    assert "intake weight disputed (approved by M-0001)" in problems[REVOCATION_CHECK]
    offline = verify(document, vkeys=[plant_ledger.vkey])
    assert offline.ok  # offline the revocation cannot be known: reported, not failed
    with pytest.raises(IssueError, match="already revoked"):
        revoke(plant_ledger.ledger, digest, "again", "M-0001")
    with pytest.raises(IssueError, match="no certificate with SHA-256 00"):
        revoke(plant_ledger.ledger, "00" * 32, "x", "M-0001")


def test_unknown_certificate_fails_the_revocation_check(plant_ledger: Plant,
                                                        tmp_path: Path) -> None:
    other = make_plant(sqlite_ledger(tmp_path / "other.db"), plant_ledger.signer)
    document = issued_unit(other)
    problems = failed(verify(document, vkeys=[plant_ledger.vkey],
                             console=LedgerConsole(plant_ledger.ledger)))
    assert "the console knows no certificate" in problems[REVOCATION_CHECK]


def test_not_a_certificate(plant_ledger: Plant) -> None:
    for data, words in [(b"{", "not JSON"), (b"[]", "a JSON object"),
                        (b'{"format": "x"}', "missing member"),
                        (json.dumps({**issued_unit(plant_ledger), "format": "v0"}).encode(),
                         "format 'v0'")]:
        report = verify(data, vkeys=[plant_ledger.vkey])
        assert not report.ok and len(report.checks) == 1
        assert words in report.checks[0].detail
    floaty = copy.deepcopy(issued_unit(plant_ledger))
    text = json.dumps(floaty).replace('"gross_g": 45210', '"gross_g": 45210.0')
    assert "no floats" in verify(text.encode(), vkeys=[plant_ledger.vkey]).checks[0].detail


def make_more(p: Plant, count: int) -> None:
    from factories import calibration

    p.ledger.append([calibration(f"SC-{9 + i}") for i in range(count)])


def document_size(document: dict[str, Any]) -> int:
    from ledger.checkpoint import Checkpoint
    from ledger.note import split

    return Checkpoint.parse(split(document["issuance"]["checkpoint"])[0]).size
