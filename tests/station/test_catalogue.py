"""The process catalogue: the default data, a plant's overrides, and errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger import catalogue
from ledger.catalogue import CatalogueError, guideline_k_max_gross_g

ISSUE_CATEGORIES = {"crt_tv", "flat_tv", "fridge", "washing_machine", "room_ac", "desktop_pc",
                    "laptop", "crt_monitor", "flat_monitor", "range_hood",
                    "electric_water_heater", "gas_water_heater", "microwave"}


def test_default_catalogue_has_the_issue_categories_with_both_names() -> None:
    cat = catalogue.load()
    assert ISSUE_CATEGORIES <= set(cat.categories)
    for category in cat.categories.values():
        assert category.name["zh-CN"] and category.name["en"]
        assert category.weight_g[0] < category.weight_g[1]
    fridge = cat.category("fridge")
    assert fridge.refrigerant_bearing and "R-600a" in fridge.refrigerants
    assert [s.code for s in fridge.steps if s.required] == [
        "refrigerant", "component:compressor_oil", "output:compressor"]
    assert not cat.category("crt_tv").refrigerant_bearing
    assert "crt_funnel_glass" in cat.category("crt_tv").hazardous
    assert cat.fractions["crt_funnel_glass"].hazardous
    assert not cat.fractions["steel"].hazardous


def test_absent_reasons_are_the_ledgers() -> None:
    assert set(catalogue.load().absent_reasons) == set(catalogue.ABSENT_REASONS)


def test_guideline_k_limit_matches_the_sample_cylinder() -> None:
    # examples/sample-events.jsonl: CYL-0007, R-600a, tare 7720 g, water capacity 21.6 kg.
    assert guideline_k_max_gross_g("R-600a", 21_600, 7_720, catalogue.load()) == 17_241


def test_plant_file_replaces_and_adds(tmp_path: Path) -> None:
    plant = tmp_path / "plant.toml"
    plant.write_text("""
[fractions]
ferrite = { zh-CN = "铁氧体", en = "Ferrite", hazardous = false }

[categories.server]
zh-CN = "服务器"
en = "Server"
weight_kg = [5, 60]
refrigerants = []
hazardous = ["battery"]
steps = [{ step = "component:battery", required = true },
         { step = "output:ferrite", required = false }]
yields = { ferrite = [0, 5] }

[categories.microwave]
zh-CN = "微波炉"
en = "Microwave"
weight_kg = [6, 40]
refrigerants = []
hazardous = []
steps = []
yields = {}
""", encoding="utf-8")
    cat = catalogue.load(plant)
    assert cat.category("server").steps[0].required
    assert cat.category("microwave").weight_g == (6000, 40000)
    assert cat.category("microwave").steps == ()
    assert "fridge" in cat.categories


@pytest.mark.parametrize(("text", "message"), [
    ("[categories.fridge]\nzh-CN = 'x'\n", "categories.fridge.en: missing"),
    ("[fractions]\nsteel = { zh-CN = 'a', en = 'b', hazardous = 'no' }\n",
     "fractions.steel.hazardous: true or false, not 'no'"),
    ("[absent_reasons]\nlost = { zh-CN = 'a', en = 'b' }\n",
     "absent_reasons.lost: the ledger accepts only"),
    ("[components]\nfuse = { zh-CN = 'a', en = 'b', hazardous = false, fraction = 'gold' }\n",
     "components.fuse.fraction: 'gold' is not a fraction"),
    ("[colours]\nred = 1\n", "unknown section [colours]"),
    ("[categories.tv]\nzh-CN = 'a'\nen = 'b'\nweight_kg = [9, 3]\nrefrigerants = []\n"
     "hazardous = []\nsteps = []\nyields = {}\n", "categories.tv.weight_kg: [min, max]"),
    ("[categories.tv]\nzh-CN = 'a'\nen = 'b'\nweight_kg = [1, 3]\nrefrigerants = []\n"
     "hazardous = []\nsteps = [{ step = 'output:gold', required = true }]\nyields = {}\n",
     "categories.tv.steps[0]: 'output:gold' is not"),
    ("[categories.tv]\nzh-CN = 'a'\nen = 'b'\nweight_kg = [1, 3]\nrefrigerants = ['R-22']\n"
     "hazardous = []\nsteps = []\nyields = {}\n", "categories.tv.steps: a category with "
     "refrigerants needs a 'refrigerant' step"),
    ("[categories.tv]\nzh-CN = 'a'\nen = 'b'\nweight_kg = [1, 3]\nrefrigerants = []\n"
     "hazardous = []\nsteps = []\nyields = { steel = [50, 200] }\n",
     "categories.tv.yields.steel: [min, max]"),
    ("[categories\n", "not valid TOML"),
])
def test_plant_file_errors_name_the_file_and_key(tmp_path: Path, text: str,
                                                 message: str) -> None:
    plant = tmp_path / "plant.toml"
    plant.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(plant)
    assert str(caught.value).startswith(str(plant))
    assert message in str(caught.value)


def test_missing_plant_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no such catalogue file"):
        catalogue.load(tmp_path / "nope.toml")
