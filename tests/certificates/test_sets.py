"""Desktop sets on certificates (docs/rules.md §4, docs/certificates.md §3): a host's
certificate, a period report and a fund table carry the other half of its set, so both
verifiers judge the set's completion again, and a certificate without it does not verify."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from factories import SigningStation, calibration, plant
from spec_cert_verifier import verify_certificate
from spec_verifier import VerificationError

from ledger.certificates.build import build_period, build_unit
from ledger.certificates.build_fund import build_fund_table
from ledger.certificates.document import period_lines, serialise
from ledger.certificates.issue import issue
from ledger.certificates.verify import CHAIN_CHECK, STATEMENTS_CHECK, verify
from ledger.log import Ledger
from ledger.note import Signer, new_signer
from ledger.store import migrate, open_engine

from .conftest import Plant
from .test_fund_table import ORIGIN, ZONE, sample_plant, units_of

HOST, MONITOR = "PC-0001", "MON-0001"
LOT = "LOT-FE-0002"  # make_plant's open steel lot


def desktop_set(p: Plant) -> dict[str, int]:
    """A host and its monitor weighed in naming each other; the host dismantled (its yields
    flagged: one output) and completed, the monitor left in progress (so it is on no line of
    the day's report). Their entries."""
    st = p.station
    results = p.ledger.append([
        st.submit("unit.received", f"unit:{HOST}",
                  {"category": "desktop_pc", "gross_g": 9_000, "scale": "SC-1",
                   "source": "business", "pc_type": "desktop_host", "set_with": MONITOR}),
        st.submit("unit.received", f"unit:{MONITOR}",
                  {"category": "flat_monitor", "gross_g": 5_000, "scale": "SC-1",
                   "source": "business", "screen_in": 22, "set_with": HOST}),
        st.submit("material.output", f"unit:{HOST}",
                  {"fraction": "steel", "mass_g": 5_400, "lot": LOT, "scale": "SC-1"}),
        st.submit("unit.completed", f"unit:{HOST}", {})])
    return {"host": results[0].index, "monitor": results[1].index,
            "completed": results[3].index}


def failed(report: Any) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if c.ok is False}


def test_a_hosts_certificate_carries_its_monitor_and_verifies(plant_ledger: Plant) -> None:
    p = plant_ledger
    at = desktop_set(p)
    document = issue(p.ledger, build_unit(p.ledger, HOST, signer=p.signer), p.signer)
    assert at["monitor"] in [e["index"] for e in document["entries"]]
    judgement = document["statements"]["judgement"]
    assert judgement["violations"] == [] and judgement["status"] != "excluded"
    report = verify(document, vkeys=[p.vkey])
    assert report.ok, failed(report)
    assert "the other half of its desktop set" in \
        {c.name: c.detail for c in report.checks}[CHAIN_CHECK]
    assert verify_certificate(serialise(document), [p.vkey])


def test_a_hosts_certificate_without_its_monitor_does_not_verify(plant_ledger: Plant) -> None:
    """Left out, the other half's intake is not there to name the host back: both verifiers
    derive a broken rule the certificate does not state."""
    p = plant_ledger
    at = desktop_set(p)
    document = issue(p.ledger, build_unit(p.ledger, HOST, signer=p.signer), p.signer)
    dropped = copy.deepcopy(document)
    dropped["entries"] = [e for e in dropped["entries"] if e["index"] != at["monitor"]]
    detail = failed(verify(dropped, vkeys=[p.vkey]))[STATEMENTS_CHECK]
    assert "statements.judgement" in detail and '"excluded"' in detail
    with pytest.raises(VerificationError, match=r"statements\.judgement"):
        verify_certificate(json.dumps(dropped).encode(), [p.vkey])


def test_a_period_report_carries_the_other_half_off_the_report(plant_ledger: Plant) -> None:
    p = plant_ledger
    at = desktop_set(p)
    document = issue(p.ledger, build_period(p.ledger, "2026-11-21", "2026-11-21",
                                            signer=p.signer), p.signer)
    lines = {line["label"]: line for line in period_lines(document["statements"])}
    assert MONITOR not in lines  # in progress: on no line, its chain carried all the same
    assert lines[HOST]["violations"] == [] and lines[HOST]["status"] != "excluded"
    assert any(start <= at["monitor"] < end for start, end in document["entries"]["runs"])
    report = verify(document, vkeys=[p.vkey])
    assert report.ok, failed(report)
    assert verify_certificate(serialise(document), [p.vkey])


@pytest.fixture
def sample(db_url: str) -> Iterator[tuple[Ledger, Signer]]:
    engine = open_engine(db_url)
    migrate(engine)
    ledger = Ledger(engine)
    sample_plant(ledger)
    yield ledger, new_signer(ORIGIN)
    engine.dispose()


SAMPLE_HOST, SAMPLE_MONITOR = "CN3301-2026-0004880", "CN3301-2026-0004876"


def test_a_fund_table_carries_the_other_half_off_the_table(
        sample: tuple[Ledger, Signer]) -> None:
    """The sample day's last host is left in stock, its monitor dismantled that day; the host
    is dismantled the next day. The next day's table judges the set's completion from the
    monitor's intake and completion, carried though the monitor is not on the table."""
    ledger, signer = sample
    station = SigningStation("ST-08")
    ledger.append([station.registration(), calibration("SC-1"),
                   plant("lot.opened", "lot:LOT-FE-NEXT", {"fraction": "steel",
                                                           "hazardous": False})])
    ledger.append([station.submit("material.output", f"unit:{SAMPLE_HOST}",
                                  {"fraction": "steel", "mass_g": 6_000, "lot": "LOT-FE-NEXT",
                                   "scale": "SC-1"}),
                   station.submit("unit.completed", f"unit:{SAMPLE_HOST}", {})])
    document = issue(ledger, build_fund_table(ledger, "2026-11-21", "2026-11-21",
                                              signer=signer, time_zone=ZONE), signer)
    units = units_of(document["statements"])
    assert SAMPLE_MONITOR not in units
    host = units[SAMPLE_HOST]
    assert (host["sub_class"], host["counts"]) == ("pc_desktop", 1)
    assert host["status"] in ("creditable", "flagged")  # judged, and no rule broken
    report = verify(as_json(document), vkeys=[signer.verifier.vkey])
    assert report.ok, failed(report)


def as_json(document: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(serialise(document))
    return loaded
