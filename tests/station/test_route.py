"""A unit's whole route through a real station (simulated devices, in-process ledger)."""

from __future__ import annotations

import pytest

from ledger.audit import audit
from ledger.canonical import canonical_bytes
from ledger.log import station_signature_ok
from tests.station.conftest import BADGE, CYLINDER, Station

LABEL = "CN3301-2026-0000101"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_station(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Station:
    """The station on an instance whose database is SQLite or the PostgreSQL server."""
    if request.param == "postgresql":
        monkeypatch.setenv("DLEDGER_DATABASE_URL", request.getfixturevalue("pg_url"))
    station = request.getfixturevalue("station_factory")()
    assert station.ledger.engine.dialect.name == request.param
    return station


def test_a_fridge_end_to_end(any_station: Station) -> None:
    station = any_station
    station.scan(BADGE)
    assert station.ws.state()["operator"] == {"badge": BADGE}
    station.scan(LABEL)
    assert station.act("select_category", category="fridge")["ok"]
    assert station.act("set_details", brand="Haier", model="BCD-215",
                       nameplate_refrigerant="R-600a", nameplate_charge_g=55)["ok"]
    station.place("platform", 45_200)
    out = station.act("weigh_intake")
    assert out["ok"], out
    station.scan(CYLINDER)
    station.place("cylinder", 8_000)
    assert station.act("recovery_before")["ok"]
    station.place("cylinder", 8_053)
    out = station.act("recovery_after")
    assert out["ok"] and out["flags"] == [], out
    station.place("platform", 180)
    assert station.act("component", component="compressor_oil", count=1, weigh=1)["ok"]
    outputs = [("LOT-COMPRESSOR-01", "compressor", 8_600), ("LOT-STEEL-01", "steel", 19_800),
               ("LOT-PLASTICS-01", "plastics", 9_400), ("LOT-FOAM-01", "pu_foam", 5_300),
               ("LOT-COPPER-01", "copper", 1_000)]
    for lot, fraction, grams in outputs:
        station.scan(lot)
        assert station.act("open_lot", fraction=fraction)["ok"]
        station.place("platform", grams)
        out = station.act("output", fraction=fraction)
        assert out["ok"], out
    out = station.act("complete")
    assert out["ok"], out
    station.wait_delivered()
    entries = station.entries(f"unit:{LABEL}")
    assert [e["type"] for e in entries] == ["unit.received", "refrigerant.recovered",
                                            "component.removed"] + ["material.output"] * 5 + [
        "unit.completed"]
    check_signed_chain(station, f"unit:{LABEL}")


def check_signed_chain(station: Station, subject: str) -> None:
    """Every entry about `subject` carries a valid station signature and the subject's chain
    is intact; the whole ledger audits clean."""
    key = station.ws.identity.public_key
    bodies = station.entry_bodies(subject)
    previous = None
    for index, entry in bodies:
        assert entry["subject_prev"] == previous
        assert station_signature_ok(key, entry["station_sig"], canonical_bytes(entry["event"]))
        previous = index
    report = audit(station.ledger.engine, [station.instance.vkey()])
    assert report.ok and report.signatures >= len(bodies), report.problems
