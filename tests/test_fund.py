"""The fund's tables and how a unit is classed by them (ledger/fund/): scope limits at their
boundaries, the version chosen by the completion date, sets, a province's own table, the
tables' travel inside the catalogue's content, and a unit of a real log corrected."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger import catalogue
from ledger.canonical import canonical_bytes
from ledger.events import EventError, parse_event
from ledger.fund.classify import classify
from ledger.fund.tables import FundTables
from ledger.fund.units import unit_class
from ledger.log import Ledger
from tests.factories import event_obj, plant, received

FUND = catalogue.load().fund
assert FUND is not None


def classed(category: str, completed: str | None = None, **fields: Any) -> tuple[Any, ...]:
    assert FUND is not None
    found = classify(FUND, category, fields, completed)
    return found.scope, found.sub_class, found.rate, found.reason


@pytest.mark.parametrize(("category", "fields", "expected"), [
    ("crt_tv", {"screen_in": 12}, ("out_of_scope", None, None, "limit")),
    ("crt_tv", {"screen_in": 13}, ("out_of_scope", None, None, "limit")),
    ("crt_tv", {"screen_in": 14}, ("in_scope", "tv_crt_small", Decimal(40), None)),
    ("crt_tv", {"screen_in": 24}, ("in_scope", "tv_crt_small", Decimal(40), None)),
    ("crt_tv", {"screen_in": 25}, ("in_scope", "tv_large", Decimal(45), None)),
    ("flat_tv", {"screen_in": 32, "display": "lcd"}, ("in_scope", "tv_large", Decimal(45), None)),
    ("fridge", {"volume_l": 49}, ("out_of_scope", None, None, "limit")),
    ("fridge", {"volume_l": 50}, ("in_scope", "fridge", Decimal(55), None)),
    ("fridge", {"volume_l": 500}, ("in_scope", "fridge", Decimal(55), None)),
    ("fridge", {"volume_l": 600}, ("out_of_scope", None, None, "limit")),
    ("washing_machine", {"washer_type": "drum", "dry_load_g": 3000},
     ("out_of_scope", None, None, "limit")),
    ("washing_machine", {"washer_type": "drum", "dry_load_g": 3001},
     ("in_scope", "washer_automatic", Decimal(30), None)),
    ("washing_machine", {"washer_type": "single_tub", "dry_load_g": 10000},
     ("in_scope", "washer_single", Decimal(25), None)),
    ("room_ac", {"ac_type": "split", "cooling_w": 14001}, ("out_of_scope", None, None, "limit")),
    ("room_ac", {"ac_type": "split", "cooling_w": 3500}, ("in_scope", "room_ac", Decimal(100),
                                                          None)),
    ("laptop", {"pc_type": "tablet"}, ("out_of_scope", None, None, "not_allowed")),
    ("laptop", {"pc_type": "laptop"}, ("in_scope", "pc_laptop", Decimal(45), None)),
    ("desktop_pc", {"pc_type": "all_in_one"}, ("in_scope", "pc_all_in_one", Decimal(45), None)),
    ("desktop_pc", {"pc_type": "desktop_host"}, ("out_of_scope", None, None, "no_class")),
    ("fridge", {}, ("unclassified", None, None, "missing")),
    ("crt_tv", {"screen_in": 21, "display": "lcd"}, ("out_of_scope", None, None, "contradicts")),
    ("microwave", {}, ("not_fund_product", None, None, "not_fund_product")),
])
def test_scope_and_sub_class_at_the_boundaries(category: str, fields: dict[str, Any],
                                               expected: tuple[Any, ...]) -> None:
    assert classed(category, "2026-08-01T02:00:00.000Z", **fields)[:2] == expected[:2]
    # completed under the 2021 table: its per-unit rate
    assert classed(category, "2023-08-01T02:00:00.000Z", **fields) == expected


def test_a_desktop_set_counts_once() -> None:
    assert FUND is not None
    host = classify(FUND, "desktop_pc", {"pc_type": "desktop_host", "set_with": "MON-1"}, None)
    monitor = classify(FUND, "flat_monitor", {"screen_in": 22, "set_with": "PC-1"}, None)
    assert (host.sub_class, host.counts) == ("pc_desktop", 1)
    assert (monitor.sub_class, monitor.counts) == ("pc_desktop", 0)


@pytest.mark.parametrize(("completed", "version", "rate"), [
    ("2012-06-30T15:59:59.999Z", None, None),  # before the fund's first table
    ("2012-06-30T16:00:00.000Z", "2012", Decimal(35)),  # 2012-07-01 00:00 in China
    ("2015-12-31T15:59:59.999Z", "2012", Decimal(35)),
    ("2015-12-31T16:00:00.000Z", "2016", Decimal(130)),
    ("2021-03-31T15:59:59.999Z", "2016", Decimal(130)),
    ("2021-03-31T16:00:00.000Z", "2021", Decimal(100)),
    ("2023-12-31T16:00:00.000Z", "2024", None),  # the special fund: no per-unit rate
    (None, None, None),  # still being dismantled
])
def test_the_table_in_force_at_completion_sets_the_rate(completed: str | None,
                                                        version: str | None,
                                                        rate: Decimal | None) -> None:
    assert FUND is not None
    found = classify(FUND, "room_ac", {"ac_type": "split", "cooling_w": 3500}, completed)
    assert (found.version, found.rate) == (version, rate)
    if version == "2024":
        assert found.factor == Decimal(1)


def test_reasons_name_the_field_and_value_in_both_languages() -> None:
    assert FUND is not None
    found = classify(FUND, "fridge", {"volume_l": 600}, None)
    assert found.reason_text("en") == ("Total volume (L) 600 is outside the fund's scope "
                                       "(≥ 50, ≤ 500)")
    assert found.reason_text("zh-CN") == "总容积（升） 600 超出基金范围（≥ 50, ≤ 500）"


def test_the_tables_travel_in_the_catalogue_content() -> None:
    loaded = catalogue.load()
    content = loaded.content()
    assert content["format"] == "dledger-catalogue/3" and "fund" in content
    again = catalogue.from_content(content)
    assert again.fund == loaded.fund and again.sha256() == loaded.sha256()
    # as logged, the content is key-sorted (RFC 8785): a reason reads the same from it
    logged = catalogue.from_content(json.loads(canonical_bytes(content)))
    assert logged.fund is not None and loaded.fund is not None
    big = {"volume_l": 600}
    assert (classify(logged.fund, "fridge", big, None).reason_text("en")
            == classify(loaded.fund, "fridge", big, None).reason_text("en"))


def test_a_catalogue_published_before_the_fund_tables_still_reads() -> None:
    content = catalogue.load().content()
    del content["fund"], content["zones"]
    for category in content["categories"].values():
        del category["counts"]  # format 1 came before count coefficients too
    content["format"] = "dledger-catalogue/1"
    old = catalogue.from_content(content)
    assert old.fund is None and old.zones == {} and old.content() == content
    content["format"] = "dledger-catalogue/2"
    with pytest.raises(catalogue.CatalogueError, match="has section 'fund'"):
        catalogue.from_content(content)


def test_a_catalogue_published_before_the_zones_still_reads() -> None:
    content = catalogue.load().content()
    del content["zones"]
    for category in content["categories"].values():
        del category["counts"]
    content["format"] = "dledger-catalogue/2"
    old = catalogue.from_content(content)
    assert old.fund is not None and old.zones == {} and old.content() == content
    content["format"] = "dledger-catalogue/3"
    with pytest.raises(catalogue.CatalogueError, match="has section 'zones'"):
        catalogue.from_content(content)


def test_a_province_adds_its_own_version_and_sub_class(tmp_path: Path) -> None:
    plant_file = tmp_path / "plant.toml"
    plant_file.write_text('''
[fund.versions.zhejiang_2025]
from = "2025-01-01T00:00:00+08:00"
zh-CN = "浙江省2025年标准化处理量折算系数"
en = "Zhejiang 2025 standardised-volume factors"
basis = "standardised_volume"

[fund.versions.zhejiang_2025.factors]
tv_crt_small = 1
tv_large = 1.5
fridge = 2
washer_single = 1
washer_automatic = 1
room_ac = 2.5
pc_desktop = 1
pc_all_in_one = 1
pc_laptop = 0.5
''', encoding="utf-8")
    fund = catalogue.load(plant_file).fund
    assert isinstance(fund, FundTables)
    found = classify(fund, "room_ac", {"ac_type": "split", "cooling_w": 3500},
                     "2025-06-01T00:00:00.000Z")
    assert (found.version, found.factor) == ("zhejiang_2025", Decimal("2.5"))


@pytest.mark.parametrize(("entry", "message"), [
    ('[fund.products.fridge]\ncategory = "fridge"\nasks = ["litres"]\n',
     "fund.products.fridge.asks: 'litres' is not a nameplate field"),
    ('[fund.products.fridge]\ncategory = "fridge"\nasks = ["volume_l"]\n'
     'scope = { volume_l = { most = 500 } }\n', "fund.products.fridge.scope.volume_l.most"),
    ('[fund.versions."2016"]\nfrom = "2016-01-01"\nzh-CN = "x"\nen = "x"\n'
     'basis = "per_unit"\nrates = {}\n', "has no offset"),
    ('[fund.versions."2016"]\nfrom = "2016-01-01T00:00:00+08:00"\nzh-CN = "x"\nen = "x"\n'
     'basis = "per_unit"\nrates = { fridge = 80 }\n', "no figure for"),
    ('[fund.products.microwave]\ncategory = "kitchen"\nasks = []\n',
     "fund.products.microwave.category: 'kitchen' is not in [fund.categories]"),
])
def test_a_wrong_table_entry_is_named(tmp_path: Path, entry: str, message: str) -> None:
    plant_file = tmp_path / "plant.toml"
    plant_file.write_text(entry, encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=message.replace("[", r"\[")
                       .replace("]", r"\]").replace("(", r"\(")):
        catalogue.load(plant_file)


def test_nameplate_figures_out_of_bounds_are_refused_by_the_event_model() -> None:
    data = received("unit:T-1", category="crt_tv", screen_in=0)
    with pytest.raises(EventError, match=r"data\.screen_in"):
        parse_event(event_obj("unit.received", "unit:T-1", data))
    with pytest.raises(EventError, match=r"data\.display"):
        parse_event(event_obj("unit.received", "unit:T-1",
                              received("unit:T-1", display="hologram")))


def test_a_corrected_volume_reclasses_the_unit(ledger: Ledger) -> None:
    label = "CN3301-2026-FUND-1"
    [intake] = ledger.append([plant("unit.received", f"unit:{label}",
                                    received(label, volume_l=600))])
    found = unit_class(ledger, label)
    assert found is not None and found.fund_class.scope == "out_of_scope"
    ledger.append([plant("correction", f"unit:{label}", {
        "corrects": intake.index, "reason": "nameplate re-read: 260 L", "approved_by": "M-1",
        "set": {"volume_l": 260}})])
    found = unit_class(ledger, label)
    assert found is not None
    assert (found.fund_class.scope, found.fund_class.sub_class) == ("in_scope", "fridge")
    assert found.received["volume_l"] == 260  # the corrected record
    assert found.fund_class.version is None  # not completed yet: no table chosen
