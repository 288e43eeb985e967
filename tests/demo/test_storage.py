"""The demo's storekeeping by the catalogue's zones: every category in a units zone, every
fraction's lots in a zone of the kind the ledger's rules ask for (ledger/rules/storage.py), a
catalogue without such a zone refused with what to do; and the blind count of the floor as
the plant's counters find it (the run's effect on the ledger: test_headless.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dledger.demo.setup import SetupError
from dledger.demo.storage import COUNTING_SCALE, Floor, Zones
from ledger.catalogue import load as load_catalogue
from ledger.rules import storage
from ledger.rules.reasons import Refusal

CATALOGUE = load_catalogue(None)


def test_every_category_and_fraction_has_a_zone_the_rules_accept():
    zones = Zones.of(CATALOGUE)
    assert set(zones.units) == set(CATALOGUE.categories)
    assert set(zones.lots) == set(CATALOGUE.fractions)
    for category, zone in zones.units.items():
        storage.check_zone(zone, "units", f"a {category}", CATALOGUE)
    for fraction, zone in zones.lots.items():
        hazardous = CATALOGUE.fractions[fraction].hazardous
        storage.check_zone(zone, "hazardous" if hazardous else "products", fraction, CATALOGUE)
    # the heaviest category and the lightest stand apart when there are two units zones
    units_zones = sorted(z for z, found in CATALOGUE.zones.items() if found.kind == "units")
    assert len(units_zones) == 2
    assert zones.units["fridge"] == units_zones[0] and zones.units["laptop"] == units_zones[1]
    with pytest.raises(Refusal):  # and the rules would refuse the other kinds
        storage.check_zone(zones.lots["steel"], "units", "steel", CATALOGUE)


def test_a_catalogue_without_the_zones_it_needs_is_refused_with_what_to_do():
    without = replace(CATALOGUE, zones={})
    with pytest.raises(SetupError, match=r"no storage zone of kind units or products or "
                                         r"hazardous \(its zones: none\).*--fresh"):
        Zones.of(without)
    no_store = replace(CATALOGUE, zones={code: zone for code, zone in CATALOGUE.zones.items()
                                         if zone.kind != "hazardous"})
    with pytest.raises(SetupError, match=r"kind hazardous \(its zones: a1, a2, b1\)"):
        Zones.of(no_store)


def test_the_count_finds_what_stands_where_and_weighs_each_bin_on_the_floor_scale():
    step = COUNTING_SCALE.resolution_g
    assert step > 1  # so bins weighed there differ from the benches' 1 g weighings
    floor = Floor({("units", "a1", "fridge"): 2, ("units", None, "laptop"): 1,
                   ("fraction", None, "steel"): 10 * step + 1})
    floor.stored("U-1", "a1", "fridge")
    floor.stored("U-2", "a2", "laptop")
    floor.stored("U-3", "a2", "laptop")
    floor.dismantled("U-3")
    floor.filled("LOT-A", "steel", 3 * step + step // 2)  # rounds up
    floor.filled("LOT-A", "steel", 0)
    floor.filled("LOT-B", "pcb", step // 2 - 1)  # too light for the floor scale: 0
    units, fractions = floor.count()
    # the unit in no zone is not found: the count cannot see it
    assert units == [{"zone": "a1", "category": "fridge", "units": 3},
                     {"zone": "a2", "category": "laptop", "units": 1}]
    assert fractions == [{"fraction": "pcb", "mass_g": 0},
                         {"fraction": "steel", "mass_g": 14 * step}]
