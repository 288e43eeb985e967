"""The auditor's sampling in ledger/: the draw (repeatable by hand, varies with the seed), the
input checks naming the value, the 物料系数 check against yields and count coefficients, and
the catalogue's `counts` (content format 3; content published before them still reads)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ledger import catalogue
from ledger.fund import sampling
from ledger.fund.sampling import SamplingError

NOVEMBER = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]


def test_the_draw_is_the_smallest_sha256_keys_and_repeats() -> None:
    drawn = sampling.draw(8731, NOVEMBER, 5)
    assert drawn == sampling.draw(8731, list(reversed(NOVEMBER)), 5)  # order does not matter
    assert [d.day for d in drawn] == sorted(d.day for d in drawn)
    # by hand: sha256("<seed>:<date>") of every candidate, the five smallest
    keys = sorted((hashlib.sha256(f"8731:{day.isoformat()}".encode()).hexdigest(), day)
                  for day in NOVEMBER)
    assert {d.day for d in drawn} == {day for _, day in keys[:5]}
    assert {d.key for d in drawn} == {key for key, _ in keys[:5]}
    assert sorted(d.rank for d in drawn) == [1, 2, 3, 4, 5]
    # a larger count draws the same days and more
    assert {d.day for d in drawn} < {d.day for d in sampling.draw(8731, NOVEMBER, 8)}


def test_the_draw_varies_with_the_seed() -> None:
    draws = {tuple(d.day for d in sampling.draw(seed, NOVEMBER, 3)) for seed in range(20)}
    assert len(draws) > 15
    assert sampling.new_seed() != sampling.new_seed() or sampling.new_seed() != sampling.new_seed()


@pytest.mark.parametrize(("call", "code", "values"), [
    (lambda: sampling.parse_seed("12a"), "bad_seed", {"value": "12a"}),
    (lambda: sampling.parse_seed("1" * 19), "bad_seed", {"value": "1" * 19}),
    (lambda: sampling.parse_seed(""), "bad_seed", {"value": ""}),
    (lambda: sampling.parse_day("2026-13-01", "from"), "bad_date", {"value": "2026-13-01"}),
    (lambda: sampling.parse_day(" ", "to"), "missing", {"field": "to"}),
    (lambda: sampling.parse_range("2026-11-30", "2026-11-01"), "reversed",
     {"first": "2026-11-30", "last": "2026-11-01"}),
    (lambda: sampling.parse_range("2025-01-01", "2026-11-01"), "too_long", {"limit": 366}),
    (lambda: sampling.parse_count("three"), "bad_count", {"value": "three"}),
    (lambda: sampling.parse_count("0"), "bad_count", {"value": "0"}),
    (lambda: sampling.parse_count("32"), "bad_count", {"value": "32"}),
    (lambda: sampling.draw(1, NOVEMBER[:4], 5), "too_many", {"count": 5, "days": 4}),
    (lambda: sampling.draw(1, [], 1), "no_days", {}),
])
def test_bad_input_names_the_value(call, code, values) -> None:
    with pytest.raises(SamplingError) as caught:
        call()
    assert caught.value.code == code
    assert values.items() <= caught.value.values.items()


def test_seed_and_count_as_typed() -> None:
    assert sampling.parse_seed(" 007 ") == 7 and sampling.parse_seed("9" * 18) == 10 ** 18 - 1
    assert sampling.parse_count("31") == 31
    assert len(sampling.parse_range("2026-11-01", "2026-11-30")) == 30


def record(label: str, category: str, gross_g: int, *rows) -> sampling.UnitRecord:
    return sampling.unit_record(label, category, gross_g, rows, catalogue.load())


def test_the_day_check_marks_yields_and_counts_and_lists_the_units_behind() -> None:
    cat = catalogue.load()
    good = record("F-1", "fridge", 40_000, ("material", "compressor", 7_000, None),
                  ("material", "steel", 16_000, None),
                  ("component", "compressor_oil", 200, 1))  # oil: 0.5 %, in its fraction
    twin = record("F-2", "fridge", 40_000, ("material", "compressor", 3_000, None),
                  ("material", "compressor", 3_000, None),  # two compressor outputs
                  ("material", "steel", 24_000, None))  # 60 % steel: above 28-55
    washer = record("W-1", "washing_machine", 30_000, ("material", "steel", 9_000, None))
    checks = sampling.check_day(cat, [good, twin, washer])
    assert [c.category for c in checks] == ["fridge", "washing_machine"]  # catalogue order
    fridge = checks[0]
    assert (fridge.units, fridge.gross_g) == (2, 80_000)
    steel = next(f for f in fridge.yields if f.code == "steel")
    assert steel.value == Decimal(50) and steel.verdict == "within"  # 40 kg of 80
    assert [(o.label, o.verdict) for o in steel.outliers] == [("F-2", "above")]
    oil = next(f for f in fridge.yields if f.code == "oil")
    assert oil.total == 200 and oil.value == Decimal("0.25") and oil.verdict == "within"
    assert [(o.label, o.value) for o in oil.outliers] == [("F-2", 0)]  # none of its own
    compressors = next(f for f in fridge.counts if f.code == "output:compressor")
    assert (compressors.total, compressors.base, compressors.value) == (3, 2, Decimal("1.5"))
    assert compressors.verdict == "above" and compressors.bounds == (1, 1)
    assert [(o.label, o.value) for o in compressors.outliers] == [("F-2", 2)]
    assert fridge.outlying >= 2
    assert checks[1].counts == []  # washers have no count coefficients


def test_a_fraction_without_a_range_is_shown_as_such() -> None:
    odd = record("W-2", "washing_machine", 30_000, ("material", "glass", 1_000, None))
    glass = next(f for f in sampling.check_day(catalogue.load(), [odd])[0].yields
                 if f.code == "glass")
    assert glass.verdict == "no_range" and glass.bounds is None and glass.outliers == ()


def test_units_behind_a_figure_are_capped() -> None:
    units = [record(f"F-{n}", "fridge", 40_000) for n in range(30)]  # no compressor at all
    compressors = sampling.check_day(catalogue.load(), units)[0].counts[0]
    assert compressors.verdict == "below" and compressors.value == 0
    assert len(compressors.outliers) == sampling.OUTLIERS_SHOWN
    assert compressors.more_outliers == 30 - sampling.OUTLIERS_SHOWN


def test_status_from_the_reviews_of_the_flags() -> None:
    assert sampling.status_of([]) == "creditable"
    assert sampling.status_of(["credit", None]) == "flagged"
    assert sampling.status_of(["credit", "exclude", None]) == "excluded"


# -- the catalogue's count coefficients --------------------------------------------------------


def test_counts_travel_in_content_format_3() -> None:
    loaded = catalogue.load()
    assert loaded.categories["fridge"].counts == {"output:compressor": (1, 1)}
    assert loaded.categories["room_ac"].counts == {"output:compressor": (1, 1)}
    assert loaded.categories["washing_machine"].counts == {}
    content = loaded.content()
    assert content["format"] == "dledger-catalogue/3"
    assert content["categories"]["fridge"]["counts"] == {"output:compressor": [1, 1]}
    assert catalogue.from_content(content).sha256() == loaded.sha256()


def test_a_catalogue_published_before_counts_still_reads_with_its_hash() -> None:
    content = catalogue.load().content()
    content["format"] = "dledger-catalogue/2"
    del content["zones"]
    for category in content["categories"].values():
        del category["counts"]
    old = catalogue.from_content(content)
    assert all(c.counts is None for c in old.categories.values())
    assert old.content() == content and old.format == "dledger-catalogue/2"
    assert sampling.check_day(old, [record("F-1", "fridge", 40_000)])[0].counts == []
    content["categories"]["fridge"]["counts"] = {"output:compressor": [1, 1]}
    with pytest.raises(catalogue.CatalogueError, match=r"fridge\.counts: count coefficients "
                       r"need content format dledger-catalogue/3"):
        catalogue.from_content(content)
    current = catalogue.load().content()
    del current["categories"]["fridge"]["counts"]
    with pytest.raises(catalogue.CatalogueError, match=r"fridge\.counts: missing"):
        catalogue.from_content(current)


@pytest.mark.parametrize(("counts", "message"), [
    ('{ "output:gold" = [1, 1] }', r"counts.output:gold: not \"output:<a fraction>\""),
    ('{ "component:steel" = [1, 1] }', "counts.component:steel: not"),
    ('{ "output:compressor" = [2, 1] }', r"\[min, max\], whole numbers"),
    ('{ "output:compressor" = [1.5, 2] }', r"not \[1.5, 2\]"),
    ('{ "output:compressor" = [1] }', r"not \[1\]"),
    ('[1, 1]', "a table of"),
])
def test_a_plant_file_with_bad_counts_names_the_key(tmp_path: Path, counts: str,
                                                    message: str) -> None:
    default = catalogue._read(catalogue.DEFAULT_FILE)["categories"]["fridge"]
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in default.items()
             if k in ("zh-CN", "en", "refrigerants", "hazardous")]
    plant = tmp_path / "plant.toml"
    plant.write_text("[categories.fridge]\n" + "\n".join(lines) + "\nweight_kg = [15, 150]\n"
                     "steps = [{ step = \"refrigerant\", required = true }]\nyields = {}\n"
                     f"counts = {counts}\n", encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=f"{plant}: categories.fridge.{message}"
                       if message.startswith("counts") else message):
        catalogue.load(plant)


def test_a_plant_file_without_counts_expects_none(tmp_path: Path) -> None:
    default = catalogue._read(catalogue.DEFAULT_FILE)["categories"]["room_ac"]
    plant = tmp_path / "plant.toml"
    body = "\n".join(f"{k} = {v!r}".replace("'", '"').replace("True", "true")
                     .replace("False", "false") for k, v in default.items()
                     if k not in ("counts", "steps", "yields"))
    plant.write_text(f"[categories.room_ac]\n{body}\nyields = {{}}\nsteps = [\n"
                     '{ step = "refrigerant", required = true }]\n', encoding="utf-8")
    assert catalogue.load(plant).categories["room_ac"].counts == {}
