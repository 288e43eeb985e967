"""A small plant for certificate tests: a station, two units dismantled (one corrected), and a
lot shipped and received. `plant` is on SQLite on disk; `pg_plant` on the PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from factories import SigningStation, calibration, plant, received

from ledger.log import Ledger
from ledger.note import Signer, new_signer
from ledger.store import migrate, open_engine

ORIGIN = "ledger.example-plant.cn/CN3301"
UNIT_A = "CN3301-2026-0000001"
UNIT_B = "CN3301-2026-0000002"
UNIT_OPEN = "CN3301-2026-0000003"  # received, not completed
LOT_FE = "LOT-FE-0001"
LOT_PCB = "LOT-PCB-0001"


@dataclass
class Plant:
    ledger: Ledger
    signer: Signer
    station: SigningStation
    indexes: dict[str, int] = field(default_factory=dict)  # name -> entry index

    @property
    def vkey(self) -> str:
        return self.signer.verifier.vkey


def dismantle(p: Plant, label: str, gas: str, recovered_g: int, fe_g: int, code: str,
              complete: bool = True, lot: str = LOT_FE) -> None:
    """Receive, depollute and dismantle one fridge at the station."""
    st = p.station
    subs = [st.submit("unit.received", f"unit:{label}",
                      received(label, 45_210, trade_in_code=code, brand="海尔", model="BCD-190",
                               nameplate_refrigerant=gas, nameplate_charge_g=55)),
            st.submit("refrigerant.recovered", f"unit:{label}",
                      {"refrigerant": gas, "cylinder": "CYL-0007",
                       "cylinder_gross_before_g": 18_250,
                       "cylinder_gross_after_g": 18_250 + recovered_g,
                       "recovered_g": recovered_g, "scale": "SC-1", "nameplate_charge_g": 55}),
            st.submit("component.removed", f"unit:{label}",
                      {"component": "pcb", "count": 1, "mass_g": 800, "scale": "SC-1",
                       "lot": LOT_PCB}),
            st.submit("material.output", f"unit:{label}",
                      {"fraction": "ferrous", "mass_g": fe_g, "lot": lot, "scale": "SC-1"})]
    if complete:
        subs.append(st.submit("unit.completed", f"unit:{label}", {}))
    results = p.ledger.append(subs)
    for name, result in zip(("received", "recovered", "pcb", "ferrous", "completed"), results,
                            strict=False):
        p.indexes[f"{label}/{name}"] = result.index


def make_plant(ledger: Ledger, signer: Signer | None = None) -> Plant:
    p = Plant(ledger, signer or new_signer(ORIGIN), SigningStation("ST-01"))
    ledger.append([p.station.registration(), calibration("SC-1"),
                   plant("lot.opened", f"lot:{LOT_FE}", {"fraction": "ferrous",
                                                         "hazardous": False}),
                   plant("lot.opened", f"lot:{LOT_PCB}", {"fraction": "pcb",
                                                          "hazardous": True})])
    dismantle(p, UNIT_A, "R-600a", 52, 20_000, "TI-0001")
    dismantle(p, UNIT_B, "R-134a", 120, 21_500, "TI-0002")
    # The ferrous output of unit A was weighed on a tared bin: corrected, with approval.
    fix = ledger.append([plant("correction", f"unit:{UNIT_A}",
                               {"corrects": p.indexes[f"{UNIT_A}/ferrous"],
                                "reason": "bin tare not deducted", "approved_by": "M-0001",
                                "set": {"mass_g": 19_400}})])
    p.indexes["correction"] = fix[0].index
    ledger.append([plant("lot.sealed", f"lot:{LOT_FE}", {"net_g": 40_900, "scale": "SC-1"}),
                   plant("lot.shipped", f"lot:{LOT_FE}",
                         {"receiver": "江苏再生金属有限公司", "manifest_no": "JS-2026-000123"}),
                   plant("lot.received", f"lot:{LOT_FE}",
                         {"receiver": "江苏再生金属有限公司", "manifest_no": "JS-2026-000123",
                          "received_g": 40_880})])
    ledger.append([plant("lot.opened", "lot:LOT-FE-0002", {"fraction": "ferrous",
                                                           "hazardous": False})])
    dismantle(p, UNIT_OPEN, "R-600a", 50, 19_000, "TI-0003", complete=False, lot="LOT-FE-0002")
    return p


def sqlite_ledger(path: Path) -> Ledger:
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    return Ledger(engine)


@pytest.fixture
def plant_ledger(tmp_path: Path) -> Iterator[Plant]:
    p = make_plant(sqlite_ledger(tmp_path / "ledger.db"))
    yield p
    p.ledger.engine.dispose()


@pytest.fixture
def pg_plant(pg_url: str) -> Iterator[Plant]:
    engine = open_engine(pg_url)
    migrate(engine)
    yield make_plant(Ledger(engine))
    engine.dispose()
