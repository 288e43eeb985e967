"""A small plant for certificate tests: a station, two units dismantled (one corrected), and a
lot shipped and received. `plant` is on SQLite on disk; `pg_plant` on the PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from factories import SigningStation, calibration, plant, received

from ledger import catalogue
from ledger.log import Ledger
from ledger.note import Signer, new_signer
from ledger.store import migrate, open_engine

ORIGIN = "ledger.example-plant.cn/CN3301"
UNIT_A = "CN3301-2026-0000001"
UNIT_B = "CN3301-2026-0000002"
UNIT_OPEN = "CN3301-2026-0000003"  # received, not completed
UNIT_PLATED = "CN3301-2026-0000010"  # with its nameplate volume (`plated`)
LOT_FE = "LOT-FE-0001"
LOT_PCB = "LOT-PCB-0001"


CYLINDERS = {"R-600a": "CYL-0007", "R-134a": "CYL-0008"}
CYLINDER_TARE_G = 18_250  # each cylinder's gross before its first recovery


@dataclass
class Plant:
    ledger: Ledger
    signer: Signer
    station: SigningStation
    indexes: dict[str, int] = field(default_factory=dict)  # name -> entry index
    cylinder_g: dict[str, int] = field(default_factory=dict)  # cylinder -> gross after

    @property
    def vkey(self) -> str:
        return self.signer.verifier.vkey


def dismantle(p: Plant, label: str, gas: str, recovered_g: int, fe_g: int, code: str,
              complete: bool = True, lot: str = LOT_FE, charge_g: int = 55,
              **nameplate: Any) -> None:
    """Receive, depollute and dismantle one fridge at the station, by the default catalogue's
    rules (its yields and mass balance within range for a steel output of about 20 kg), with
    the `nameplate` facts the intake recorded (volume_l=190)."""
    st = p.station
    cylinder = CYLINDERS[gas]
    before = p.cylinder_g.get(cylinder, CYLINDER_TARE_G)
    p.cylinder_g[cylinder] = before + recovered_g
    subject = f"unit:{label}"
    subs = [st.submit("unit.received", subject,
                      received(label, 45_210, trade_in_code=code, brand="海尔", model="BCD-190",
                               nameplate_refrigerant=gas, nameplate_charge_g=charge_g,
                               **nameplate)),
            st.submit("refrigerant.recovered", subject,
                      {"refrigerant": gas, "cylinder": cylinder,
                       "cylinder_gross_before_g": before,
                       "cylinder_gross_after_g": before + recovered_g,
                       "recovered_g": recovered_g, "scale": "SC-1",
                       "nameplate_charge_g": charge_g}),
            st.submit("component.removed", subject,
                      {"component": "compressor_oil", "count": 1, "mass_g": 250,
                       "scale": "SC-1"}),
            st.submit("component.removed", subject,
                      {"component": "pcb", "count": 1, "mass_g": 800, "scale": "SC-1",
                       "lot": LOT_PCB}),
            st.submit("material.output", subject,
                      {"fraction": "steel", "mass_g": fe_g, "lot": lot, "scale": "SC-1"})]
    for fraction, grams in (("compressor", 8_000), ("plastics", 9_500), ("pu_foam", 5_500)):
        subs.append(st.submit("material.output", subject,
                              {"fraction": fraction, "mass_g": grams,
                               "lot": OTHER_LOTS[fraction], "scale": "SC-1"}))
    if complete:
        subs.append(st.submit("unit.completed", subject, {}))
    results = p.ledger.append(subs)
    names = ("received", "recovered", "oil", "pcb", "steel", "compressor", "plastics",
             "pu_foam", "completed")
    for name, result in zip(names, results, strict=False):
        p.indexes[f"{label}/{name}"] = result.index


OTHER_LOTS = {"compressor": "LOT-CMP-0001", "plastics": "LOT-PL-0001", "pu_foam": "LOT-PU-0001"}


def make_plant(ledger: Ledger, signer: Signer | None = None) -> Plant:
    """The plant, on a ledger with the default catalogue in force (published here at entry 0
    unless the ledger already has one, as `dledger init` and the `ledger` fixture do)."""
    if ledger.catalogue() is None:
        ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    p = Plant(ledger, signer or new_signer(ORIGIN), SigningStation("ST-01"))
    ledger.append([p.station.registration(), calibration("SC-1"),
                   *(plant("cylinder.registered", f"cylinder:{cylinder}",
                           {"refrigerant": gas, "tare_g": 15_000, "water_capacity_g": 50_000,
                            "max_gross_g": 30_000}) for gas, cylinder in CYLINDERS.items()),
                   plant("lot.opened", f"lot:{LOT_FE}", {"fraction": "steel",
                                                         "hazardous": False}),
                   plant("lot.opened", f"lot:{LOT_PCB}", {"fraction": "pcb",
                                                          "hazardous": True}),
                   *(plant("lot.opened", f"lot:{lot}", {"fraction": fraction,
                                                        "hazardous": False})
                     for fraction, lot in OTHER_LOTS.items())])
    dismantle(p, UNIT_A, "R-600a", 52, 20_000, "TI-0001")
    dismantle(p, UNIT_B, "R-134a", 120, 21_500, "TI-0002")
    # The steel output of unit A was weighed on a tared bin: corrected, with approval.
    fix = ledger.append([plant("correction", f"unit:{UNIT_A}",
                               {"corrects": p.indexes[f"{UNIT_A}/steel"],
                                "reason": "bin tare not deducted", "approved_by": "M-0001",
                                "set": {"mass_g": 19_400}})])
    p.indexes["correction"] = fix[0].index
    ledger.append([plant("lot.sealed", f"lot:{LOT_FE}", {"net_g": 40_900, "scale": "SC-1"}),
                   plant("lot.shipped", f"lot:{LOT_FE}",
                         {"receiver": "江苏再生金属有限公司", "manifest_no": "JS-2026-000123"}),
                   plant("lot.received", f"lot:{LOT_FE}",
                         {"receiver": "江苏再生金属有限公司", "manifest_no": "JS-2026-000123",
                          "received_g": 40_880})])
    ledger.append([plant("lot.opened", "lot:LOT-FE-0002", {"fraction": "steel",
                                                           "hazardous": False})])
    dismantle(p, UNIT_OPEN, "R-600a", 50, 19_000, "TI-0003", complete=False, lot="LOT-FE-0002")
    return p


def plated(p: Plant) -> Plant:
    """The plant with unit UNIT_PLATED dismantled, its nameplate volume recorded as 19 L and
    corrected to 190 L (a misread digit): a fridge in the fund's scope, its sub-class decided
    by the corrected figure."""
    dismantle(p, UNIT_PLATED, "R-600a", 52, 20_000, "TI-0010", lot="LOT-FE-0002", volume_l=19)
    fix = p.ledger.append([plant("correction", f"unit:{UNIT_PLATED}",
                                 {"corrects": p.indexes[f"{UNIT_PLATED}/received"],
                                  "reason": "nameplate volume misread", "approved_by": "M-0001",
                                  "set": {"volume_l": 190}})])
    p.indexes[f"{UNIT_PLATED}/nameplate"] = fix[0].index
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
