"""The demo's plant and line when the stations refuse: no station starts work without the
catalogue in force, and a bench whose every unit is refused stops the line after a few (each
refusal recorded by the station, each unit put aside) instead of taking in units for ever."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dledger.demo.line import PUT_ASIDE_IN_A_ROW, Line
from dledger.demo.plant import Plant
from dledger.demo.setup import (
    STATION_PASSPHRASE,
    Cylinders,
    SetupError,
    calibrate,
    ensure_catalogue,
    prepare_instance,
)
from dledger.demo.storage import Storekeeper
from dledger.demo.units import UnitPlan, UnitSource
from dledger.demo.worker import Pace, Tally, Worker
from ledger.catalogue import Catalogue
from ledger.instance import Instance
from ledger.store import execute, read_transaction
from station.identity import PASSPHRASE_ENV

pytestmark = pytest.mark.slow


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Instance:
    for name in ("DLEDGER_DATABASE_URL", "DLEDGER_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)  # the demo's ledger is SQLite in its folder
    monkeypatch.setenv(PASSPHRASE_ENV, STATION_PASSPHRASE)
    made, _ = prepare_instance(tmp_path / "demo", fresh=False)
    monkeypatch.setenv("DLEDGER_HOME", str(made.home))
    return made


@pytest.fixture
def plant(instance: Instance) -> Iterator[Plant]:
    ledger = instance.ledger()
    ensure_catalogue(ledger)
    calibrate(ledger)
    running = Plant(instance, ledger, port=0, kiosk_port=None)
    try:
        yield running.start()
    finally:
        running.stop()


def too_heavy(catalogue: Catalogue, seed: int) -> Iterator[UnitPlan]:
    """Endless units each 5 kg over its category's range: the intake rule refuses them all."""
    for plan in UnitSource(catalogue, seed=seed):
        yield replace(plan, gross_g=catalogue.category(plan.category).weight_g[1] + 5_000,
                      trade_in_code=None, incidents=frozenset())


def test_no_station_starts_without_the_catalogue_in_force(instance: Instance):
    plant = Plant(instance, instance.ledger(), port=0, kiosk_port=None, catalogue_wait_s=2)
    try:
        with pytest.raises(SetupError, match="ST-01 did not get the process catalogue"):
            plant.start()
        assert plant.stations == {}  # no worker has a bench to go to
    finally:
        plant.stop()


def test_every_station_holds_the_ledgers_catalogue_once_started(plant: Plant):
    found = plant.ledger.catalogue()
    assert found is not None
    for running in plant.stations.values():
        assert running.rig.ws.catalogue is not None
        assert running.rig.ws.catalogue.sha256() == found[1].sha256()


def test_a_bench_refusing_every_unit_stops_the_line(plant: Plant):
    ledger = plant.ledger
    found = ledger.catalogue()
    assert found is not None and plant.console is not None
    first = ledger.size()
    stop, tally, pace = threading.Event(), Tally(), Pace(0)
    workers = {work: Worker(s.rig, s.spec.badge, pace, tally, stop)
               for work, s in plant.stations.items()}
    store = Storekeeper(ledger, found[1], pace, stop, ZoneInfo("Asia/Shanghai"))
    line = Line(workers, {s.spec.id: s.link for s in plant.stations.values()},
                plant.console.url, too_heavy(found[1], seed=3), Cylinders(ledger, found[1]),
                store, pace, tally, stop, 20, "TEST", 0)
    runner = threading.Thread(target=line.run, daemon=True)
    runner.start()
    runner.join(120)
    assert not runner.is_alive(), "the line kept taking in units"
    assert line.received == 0
    assert len(tally.put_aside) == PUT_ASIDE_IN_A_ROW
    assert all("weight_out_of_range" in p["why"] for p in tally.put_aside)
    assert line.errors == [f"intake: ST-01 refused {PUT_ASIDE_IN_A_ROW} units in a row (the "
                           f"last: {tally.put_aside[-1]['why']})"]
    assert plant.drain()["ST-01"]["pending"] == 0
    with read_transaction(ledger.engine) as tx:  # each refusal recorded, nothing else
        refused = execute(tx, "SELECT rule, about FROM refusals WHERE idx >= ?",
                          (first,)).fetchall()
    assert sorted(tuple(r) for r in refused) == sorted(
        ("weight_out_of_range", f"unit:{p['unit']}") for p in tally.put_aside)
    assert ledger.size() == first + PUT_ASIDE_IN_A_ROW
