"""A small plant for console tests of computed flags and refused attempts, written through the
rules like any other record: a fridge completed with a low recovery (flagged by the ledger),
and a duplicate label a station refused and recorded (attempt.refused)."""

from __future__ import annotations

from factories import SigningStation, calibration, plant, received
from flask import Flask

from ledger import catalogue as process_catalogue
from web.context import ledger

LABEL = "CN3301-2026-0009100"
STATION = SigningStation("ST-61")
TARE, WATER_G = 7_690, 21_600


def unit(etype: str, data: dict) -> object:
    return plant(etype, f"unit:{LABEL}", data)


def append_flagged_fridge(app: Flask) -> None:
    """The fridge LABEL: 10 g recovered of a 120 g charge, outputs balancing its weight."""
    limit = process_catalogue.guideline_k_max_gross_g("R-134a", WATER_G, TARE,
                                                      process_catalogue.load())
    with app.app_context():
        ledger().append([
            STATION.registration(), calibration("SC-1"), calibration("SC-2"),
            plant("cylinder.registered", "cylinder:CYL-0134",
                  {"refrigerant": "R-134a", "tare_g": TARE, "water_capacity_g": WATER_G,
                   "max_gross_g": limit}),
            plant("lot.opened", "lot:LOT-STEEL", {"fraction": "steel", "hazardous": False}),
            plant("lot.opened", "lot:LOT-COMP", {"fraction": "compressor", "hazardous": False}),
            plant("lot.opened", "lot:LOT-OIL", {"fraction": "oil", "hazardous": True}),
            unit("unit.received", received(LABEL, nameplate_refrigerant="R-134a",
                                           nameplate_charge_g=120)),
            unit("refrigerant.recovered", {
                "refrigerant": "R-134a", "cylinder": "CYL-0134", "cylinder_gross_before_g": TARE,
                "cylinder_gross_after_g": TARE + 10, "recovered_g": 10, "scale": "SC-2"}),
            unit("component.removed", {"component": "compressor_oil", "count": 1,
                                       "mass_g": 200, "scale": "SC-2", "lot": "LOT-OIL"}),
            unit("material.output", {"fraction": "compressor", "mass_g": 9_000,
                                     "lot": "LOT-COMP", "scale": "SC-2"}),
            unit("material.output", {"fraction": "steel", "mass_g": 36_000,
                                     "lot": "LOT-STEEL", "scale": "SC-2"}),
            unit("unit.completed", {}),
        ])


def append_refused_duplicate(app: Flask) -> None:
    """ST-61 refused a second intake of LABEL and recorded it."""
    with app.app_context():
        ledger().append([STATION.submit("attempt.refused", "station:ST-61", {
            "rule": "duplicate_label", "attempted": "unit.received", "about": f"unit:{LABEL}",
            "params": {"label": LABEL, "category": "fridge", "gross_g": 45_210}})])
