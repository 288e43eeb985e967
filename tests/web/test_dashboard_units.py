"""The dashboard's parts: query plans (indexed ranges, never ledger_entries), ranges and
shifts in the plant's zone, settings, GWP factors, the expected yields (the process
catalogue's), the chart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ledger import catalogue, gwp
from web import names
from web.config import ConfigError
from web.context import engine
from web.dashboard import queries, ranges, settings, yields
from web.dashboard.chart import Bar, bars_svg, nice_ceiling

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIFTS = settings.parse_shifts(settings.DEFAULT_SHIFTS)


def test_every_query_ranges_over_an_index(sample_app):
    span = ranges.parse({"range": "custom", "from": "2026-11-01", "to": "2026-11-30"},
                        SHANGHAI, SHIFTS, datetime.now(UTC))
    with sample_app.app_context(), engine().connect() as conn:
        before = queries.explain(conn, span)
        conn.exec_driver_sql("ANALYZE")  # plans as a database with statistics gets them
        plans = queries.explain(conn, span)
    assert set(plans) == set(queries.SQL)
    for name, lines in [*before.items(), *plans.items()]:
        text = " | ".join(lines)
        assert "ledger_entries" not in text, name
        tables = [line for line in lines if line.startswith(("SCAN", "SEARCH"))
                  and not line.startswith(("SCAN low", "SCAN ranked", "SCAN (subquery"))]
        # (those scan subqueries' own results: windows over rows found by an index)
        for line in tables:
            if name == "scales":
                assert line == "SCAN scales"  # one row per scale
            elif name.startswith("hourly_"):  # the roll-up is clustered by its key
                assert line.startswith("SEARCH hourly_totals USING PRIMARY KEY (figure=? AND "
                                       "hour>? AND hour<?)"), (name, line)
            else:
                assert line.startswith("SEARCH") and "USING" in line and "INDEX" in line, \
                    (name, line)
    assert "ix_units_completed_at" in plans["completed"][0]
    assert "ix_units_completed_at" in plans["units_completed"][0]
    assert "ix_units_state_received_at" in plans["wip"][0]
    assert "ix_unit_outputs_at" in plans["outputs"][0]
    assert "ix_refrigerant_recoveries_at" in plans["refrigerants"][0]


def test_ranges_in_the_plant_zone():
    now = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # 01:30 on the 21st in Shanghai
    today = ranges.parse({}, SHANGHAI, SHIFTS, now)
    assert (today.start_utc, today.end_utc) == ("2026-11-20T16:00:00.000Z",
                                                "2026-11-21T16:00:00.000Z")
    shift = ranges.parse({"range": "shift"}, SHANGHAI, SHIFTS, now)
    assert shift.shift.name == "night"  # the night shift that began at 20:00 on the 20th
    assert (shift.start_utc, shift.end_utc) == ("2026-11-20T12:00:00.000Z",
                                                "2026-11-21T00:00:00.000Z")
    week = ranges.parse({"range": "week"}, SHANGHAI, SHIFTS, now)
    assert week.start.date().isoformat() == "2026-11-16" and not week.hourly
    custom = ranges.parse({"range": "custom", "from": "2026-11-20", "to": "2026-11-20"},
                          SHANGHAI, SHIFTS, now)
    assert custom.hourly and custom.query() == {"range": "custom", "from": "2026-11-20",
                                                "to": "2026-11-20"}
    gap = settings.parse_shifts("early=06:00-14:00,late=14:00-22:00")
    between = ranges.current_shift(gap, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), SHANGHAI)
    assert between.shift.name == "late"  # 23:00 local: no shift runs; the last one ended


def test_a_day_with_a_daylight_saving_change_has_its_real_hours():
    berlin = ZoneInfo("Europe/Berlin")
    day = ranges.parse({"range": "custom", "from": "2026-03-29", "to": "2026-03-29"}, berlin,
                       SHIFTS, datetime.now(UTC))
    assert day.hours == 23


@pytest.mark.parametrize("text", ["day=8-20", "day=08:00-20:00,day=20:00-08:00",
                                  "day=25:00-20:00", ""])
def test_bad_shift_settings_stop_the_console(text):
    with pytest.raises(ConfigError, match="DLEDGER_SHIFTS"):
        settings.parse_shifts(text)


def test_thresholds_are_not_settings_but_the_catalogues(console_env):
    # the removed settings are not read any more: the catalogue in force has the tolerances
    console_env.setenv("DLEDGER_MASS_BALANCE_PCT", "soon")
    console_env.setenv("DLEDGER_LOW_RECOVERY_PCT", "soon")
    loaded = settings.load({})
    assert not hasattr(loaded, "mass_balance_pct") and not hasattr(loaded, "yields")


def test_gwp_factors_from_the_reference():
    assert gwp.co2e_kg("R-12", 126, "AR4") == Decimal("1373.400")
    assert gwp.co2e_kg("R-410A", 1000, "AR5") == Decimal("1923.5")
    assert gwp.factor("HFC-134a") is gwp.FACTORS["R-134a"]
    assert gwp.factor("r600a") is gwp.FACTORS["R-600a"]
    assert gwp.FACTORS["R-290"].conventional and not gwp.FACTORS["R-22"].conventional
    assert gwp.co2e_kg("R-999", 10, "AR4") is None
    with pytest.raises(ValueError, match="AR6"):
        gwp.co2e_kg("R-12", 1, "AR6")


def test_expected_yields_are_the_catalogues_exact_percentages():
    cat = catalogue.load()
    assert cat.categories["fridge"].yields["steel"] == (Decimal(28), Decimal(55))
    assert yields.check(cat, "fridge", "steel", Decimal(40))[0] == "within"
    assert yields.check(cat, "fridge", "steel", Decimal("27.99"))[0] == "below"
    assert yields.check(cat, "fridge", "steel", Decimal("55.01"))[0] == "above"
    assert yields.check(cat, "fridge", "unobtainium", Decimal(5)) == ("unknown", None)


def test_the_console_names_codes_as_the_catalogue_does(app):
    # one home: the catalogue's names win over any wording of the console's own
    cat = catalogue.load()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert names.code_name("fridge") == cat.categories["fridge"].name["en"]
        assert names.category_names() == {c: v.name["en"] for c, v in cat.categories.items()}
        for code, item in {**cat.fractions, **cat.components, **cat.absent_reasons}.items():
            assert names.code_name(code) == item.name["en"], code
        assert names.code_name("trade_in") == "Trade-in programme"
        assert names.code_name("unobtainium") == "unobtainium"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert names.code_name("steel") == cat.fractions["steel"].name["zh-CN"]


def test_refresh_interval_setting():
    assert settings.load({}).refresh_s == 30
    assert settings.load({"DLEDGER_DASHBOARD_REFRESH_S": "0.5"}).refresh_s == 0.5
    with pytest.raises(ConfigError, match="DLEDGER_DASHBOARD_REFRESH_S='0'"):
        settings.load({"DLEDGER_DASHBOARD_REFRESH_S": "0"})


def test_chart_is_plain_svg():
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 13, 120)] == [1, 1, 5, 10, 20, 200]
    bars = [Bar("08:00", 3, "08:00–09:00: 3"), Bar("09:00", 0, "<b>")]
    svg = str(bars_svg(bars, "Units", "none"))
    assert svg.startswith('<svg class="chart"') and "style=" not in svg
    assert "&lt;b&gt;" in svg and svg.count("<rect") == 2
    assert ">none<" in str(bars_svg([Bar("x", 0, "x")], "Units", "none"))
