"""A unit certificate lists the evidence of each key step (cameras, window, photos), both
verifiers derive it again, and the inspector's check reads the photos from the plant's
evidence store: a photo altered or removed there is reported by its file's name."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from factories import plant, received
from pypdf import PdfReader
from spec_cert_verifier import verify_certificate
from spec_verifier import VerificationError

from ledger import catalogue
from ledger.certificates import document as doc_format
from ledger.certificates import pdf
from ledger.certificates.build import build_unit
from ledger.certificates.issue import issue
from ledger.certificates.verify import EVIDENCE_CHECK, verify
from ledger.certificates.verify_command import run
from ledger.evidence.store import EvidenceStore
from ledger.log import AppendError

from .conftest import LOT_PCB, OTHER_LOTS, UNIT_A, Plant

FILMED, EXCUSED = "CN3301-2026-0000101", "CN3301-2026-0000102"
REQUIRED = ("intake", "refrigerant", "hazardous_component", "output")
PNG = b"\x89PNG\r\n\x1a\n"


def seen(photo: str | None = None) -> dict[str, Any]:
    return {"cameras": ["CAM-02"], "start": "2026-11-21T08:00:00.000Z",
            "end": "2026-11-21T08:02:00.000Z",
            **({"photos": [{"sha256": photo, "media_type": "image/png"}]} if photo else {})}


def filmed(p: Plant, store: EvidenceStore, label: str, unfilmed: str | None = None) -> None:
    """A fridge dismantled with a photo at each key step (none at `unfilmed`), and the
    compressor-oil removal, a hazardous component, filmed too."""
    st, subject = p.station, f"unit:{label}"

    def evidence(step: str) -> dict[str, Any]:
        if step == unfilmed:
            return {}
        photo = store.put(PNG + f"{label} {step}".encode(), "image/png")
        return {"evidence": seen(photo)}

    p.ledger.append([
        st.submit("unit.received", subject, {**received(label, 45_210), **evidence("intake")}),
        st.submit("refrigerant.absent", subject, {"reason": "circuit_empty"}),
        st.submit("component.removed", subject, {"component": "compressor_oil", "count": 1,
                                                 **evidence("oil")}),
        st.submit("component.removed", subject, {"component": "pcb", "count": 1,
                                                 "mass_g": 800, "scale": "SC-1",
                                                 "lot": LOT_PCB, **evidence("pcb")}),
        *(st.submit("material.output", subject, {"fraction": fraction, "mass_g": grams,
                                                 "lot": lot, "scale": "SC-1",
                                                 **evidence(fraction)})
          for fraction, grams, lot in (("steel", 20_000, "LOT-FE-0002"),
                                       ("compressor", 8_000, OTHER_LOTS["compressor"]),
                                       ("plastics", 9_500, OTHER_LOTS["plastics"]),
                                       ("pu_foam", 6_500, OTHER_LOTS["pu_foam"])))])


@pytest.fixture
def evidenced(plant_ledger: Plant, tmp_path: Path) -> tuple[Plant, EvidenceStore]:
    """The plant from a catalogue on that requires evidence of the key steps."""
    p = plant_ledger
    p.ledger.publish_catalogue(replace(catalogue.load(), evidence=REQUIRED), "with-evidence",
                               operator="A-0001")
    return p, EvidenceStore(tmp_path / "evidence")


def test_the_certificate_lists_each_key_steps_evidence(evidenced: tuple[Plant, EvidenceStore],
                                                       tmp_path: Path) -> None:
    p, store = evidenced
    filmed(p, store, FILMED)
    p.ledger.append([p.station.submit("unit.completed", f"unit:{FILMED}", {})])
    document = issue(p.ledger, build_unit(p.ledger, FILMED, signer=p.signer), p.signer)
    stated = document["statements"]["evidence"]
    assert stated["required"] == list(REQUIRED) and stated["excused"] == []
    assert [(s["step"], s["about"]) for s in stated["steps"]] == [
        ("intake", None), ("hazardous_component", "compressor_oil"),
        ("hazardous_component", "pcb"), ("output", "steel"), ("output", "compressor"),
        ("output", "plastics"), ("output", "pu_foam")]
    assert all(s["reference"]["cameras"] == ["CAM-02"] and len(s["reference"]["photos"]) == 1
               for s in stated["steps"])
    assert document["statements"]["judgement"]["status"] == "creditable"
    data = doc_format.serialise(document)
    assert verify_certificate(data, [p.vkey]) == doc_format.sha256(document)
    report = verify(document, vkeys=[p.vkey], evidence=store)
    assert report.ok, report.as_json()
    assert [c.ok for c in report.checks if c.name == EVIDENCE_CHECK] == [True]
    printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.render(
        document, verify_url="https://plant.example/verify"))).pages)
    first = stated["steps"][0]["reference"]["photos"][0]["sha256"][:16]
    assert "Evidence of the key steps" in printed and "CAM-02" in printed and first in printed

    # behind the store's back: one photo altered, one removed
    photos = [s["reference"]["photos"][0]["sha256"] for s in stated["steps"]]
    altered, removed = store.path(photos[1], "image/png"), store.path(photos[3], "image/png")
    altered.write_bytes(altered.read_bytes() + b"retouched")
    removed.unlink()
    report = verify(document, vkeys=[p.vkey], evidence=store)
    assert not report.ok
    found = next(c for c in report.checks if c.name == EVIDENCE_CHECK)
    assert found.ok is False
    assert f"{altered}: altered" in found.detail and f"{removed}: missing" in found.detail
    certificate = tmp_path / "unit.json"
    certificate.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    code = run(certificate, [p.vkey], None, None, None, False, out, err,
               evidence=store.root)
    assert code == 1, err.getvalue()
    assert f"FAILED      {EVIDENCE_CHECK}: {altered}: altered" in out.getvalue()
    assert run(certificate, [p.vkey], None, None, None, False, out, err,
               evidence=tmp_path / "nowhere") == 2
    assert "--evidence" in err.getvalue() and "no such folder" in err.getvalue()


def test_a_missing_reference_refuses_completion_until_excused(
        evidenced: tuple[Plant, EvidenceStore]) -> None:
    p, store = evidenced
    filmed(p, store, EXCUSED, unfilmed="pcb")
    with pytest.raises(AppendError) as refused:
        p.ledger.append([p.station.submit("unit.completed", f"unit:{EXCUSED}", {})])
    assert refused.value.rule == "evidence_missing"
    assert "hazardous_component:pcb" in str(refused.value)
    p.ledger.append([plant("evidence.excused", f"unit:{EXCUSED}",
                           {"reason": "CAM-02 down 08:00-09:00", "approved_by": "M-0001"}),
                     p.station.submit("unit.completed", f"unit:{EXCUSED}", {})])
    document = issue(p.ledger, build_unit(p.ledger, EXCUSED, signer=p.signer), p.signer)
    statements = document["statements"]
    assert [f["code"] for f in statements["judgement"]["open_flags"]] == ["evidence_excused"]
    assert statements["judgement"]["status"] == "flagged"
    assert [s["reference"] is None for s in statements["evidence"]["steps"]].count(True) == 1
    assert statements["evidence"]["excused"][0]["reason"] == "CAM-02 down 08:00-09:00"
    assert verify_certificate(doc_format.serialise(document), [p.vkey])
    # the independent verifier judges the excuse too: without it, the record breaks the rule
    tampered = json.loads(doc_format.serialise(document))
    tampered["statements"]["judgement"]["open_flags"] = []
    with pytest.raises(VerificationError, match="open_flags"):
        verify_certificate(json.dumps(tampered).encode(), [p.vkey])


def test_a_certificate_issued_before_states_no_evidence_and_verifies(
        plant_ledger: Plant) -> None:
    """A unit certificate issued before the member existed (here: a draft without it) is
    derived without it by both verifiers."""
    p = plant_ledger
    draft = build_unit(p.ledger, UNIT_A, signer=p.signer)
    del draft["statements"]["evidence"]
    document = issue(p.ledger, draft, p.signer)
    assert verify(document, vkeys=[p.vkey]).ok
    assert verify_certificate(doc_format.serialise(document), [p.vkey])
