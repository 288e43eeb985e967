"""The managers' dashboard on the sample day (examples/sample-events.jsonl, plant CN3301,
2026-11-20 in Asia/Shanghai): every figure checked against an independent computation from
the JSON Lines file, the exports parsed back, empty and bad ranges."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ledger import catalogue
from web.context import EXTENSION

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-events.jsonl"
DAY = "/dashboard/?range=custom&from=2026-11-20&to=2026-11-20"
NOW = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)  # the evening after: morning checks are old
AR4 = {"R-12": 10900, "R-22": 1810, "R-134a": 1430, "R-410A": 2088, "R-32": 675, "R-600a": 3}
AR5 = {"R-12": 10200, "R-22": 1760, "R-134a": 1300, "R-410A": Decimal("1923.5"), "R-32": 677,
       "R-600a": 3}
EN = {"Accept-Language": "en"}
FIRST = 1  # the sample's first event is entry 1: entry 0 publishes the catalogue
TOLERANCES = catalogue.load().tolerances


def sample_events() -> list[dict[str, Any]]:
    """The day's events in entry order (a fresh ledger: entry 0 is the catalogue, line n is
    entry n, so the event at list position i is entry i + FIRST)."""
    events = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        events.append(obj.get("event", obj))
    return events


def expected(corrections: bool = True) -> dict[str, Any]:
    """The day's figures computed straight from the file, corrections applied."""
    events = sample_events()
    fixes = {e["data"]["corrects"]: e["data"].get("set", {}) for e in events
             if e["type"] == "correction"} if corrections else {}
    lots = {e["subject"][4:]: e["data"]["fraction"] for e in events if e["type"] == "lot.opened"}
    units: dict[str, dict[str, Any]] = {}
    gases: dict[str, int] = Counter()
    fractions: dict[str, int] = Counter()
    recoveries: dict[str, tuple[int, int]] = {}
    for index, event in enumerate(events, FIRST):
        data = {**event["data"], **fixes.get(index, {})}
        label = event["subject"].removeprefix("unit:")
        if event["type"] == "unit.received":
            units[label] = {"category": data["category"], "gross": data["gross_g"], "out": 0,
                            "ref": 0, "completed": False}
        elif event["type"] == "refrigerant.recovered":
            units[label]["ref"] += data["recovered_g"]
            gases[data["refrigerant"]] += data["recovered_g"]
            recoveries[label] = (data["recovered_g"], data["nameplate_charge_g"])
        elif event["type"] in ("material.output", "component.removed"):
            mass = data.get("mass_g") or 0
            units[label]["out"] += mass
            fraction = lots[data["lot"]] if data.get("lot") else data.get("fraction")
            fractions[fraction] += mass
        elif event["type"] == "unit.completed":
            units[label]["completed"] = True
    done = {k: u for k, u in units.items() if u["completed"]}
    off = {k for k, u in done.items()
           if abs(u["out"] + u["ref"] - u["gross"]) * 100
           > TOLERANCES.mass_balance_pct * u["gross"]}
    return {"categories": Counter(u["category"] for u in done.values()), "gases": gases,
            "fractions": fractions, "off_balance": off,
            "low": {k for k, (got, plate) in recoveries.items()
                    if got * 100 < TOLERANCES.low_recovery_pct * plate},
            "wip": len(units) - len(done), "recoveries": recoveries}


@pytest.fixture
def manager(sample_app, client_for):
    sample_app.config["DLEDGER_DASHBOARD_NOW"] = NOW
    return client_for("manager")


def export(client, table: str, fmt: str = "csv", query: str = DAY) -> Any:
    response = client.get(f"{query}&format={fmt}&table={table}", headers=EN)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    if fmt == "csv":
        assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right
        assert response.headers["Content-Type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    header = [c.value for c in sheet[2]]
    assert all(c.font.bold for c in sheet[2])
    return [dict(zip(header, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=3)]


def test_the_page_shows_the_sample_day(manager):
    page = manager.get(DAY, headers=EN).get_data(as_text=True)
    truth = expected()
    assert "Chosen dates" in page and "2026-11-20 00:00 – 2026-11-21 00:00" in page
    assert "Asia/Shanghai" in page and "IPCC AR4" in page
    assert f'<span class="stat-value">{sum(truth["categories"].values())}</span>' in page
    assert '<svg class="chart"' in page and "<script" not in page.split("</head>")[1]
    cat = catalogue.load()
    for name in (cat.categories["fridge"].name["en"], cat.categories["room_ac"].name["en"],
                 "R-134a", cat.fractions["steel"].name["en"], "CRT funnel glass (leaded)"):
        assert name in page
    chinese = manager.get(DAY, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    for words in ("生产看板", "电冰箱", "制冷剂回收量", "物料系数", "校准逾期"):
        assert words in chinese


def test_units_completed_per_category_match_the_file(manager):
    rows = export(manager, "categories")
    got = {r["Category"]: int(r["Units completed"]) for r in rows if r["Category"] != "Total"}
    names = {code: c.name["en"] for code, c in catalogue.load().categories.items()}
    assert got == {names[k]: n for k, n in expected()["categories"].items()}
    total = next(r for r in rows if r["Category"] == "Total")
    completed = sum(expected()["categories"].values())
    assert int(total["Units completed"]) == completed
    hours = export(manager, "throughput")
    assert len(hours) == 25 and int(hours[-1]["Units completed"]) == completed  # 24 h + total
    assert sum(int(r["Units completed"]) for r in hours[:8]) == 0  # nothing before 08:00
    stations = {r["Station"]: r for r in export(manager, "stations")}
    said = Counter((e["station"], e["type"]) for e in sample_events())
    assert stations["ST-03"]["Units completed"] == str(said["ST-03", "unit.completed"])
    assert stations["ST-01"]["Units received"] == str(said["ST-01", "unit.received"])


@pytest.mark.parametrize("basis, table", [("AR4", AR4), ("AR5", AR5)])
def test_refrigerant_kg_and_co2e_per_gas_match_the_file(sample_app, manager, basis, table):
    info = sample_app.extensions[EXTENSION]
    sample_app.extensions[EXTENSION] = dataclasses.replace(info, gwp=basis)
    gases = expected()["gases"]
    for rows in (export(manager, "refrigerants"), export(manager, "refrigerants", "xlsx")):
        got = {r["Refrigerant"]: r for r in rows}
        for gas, grams in gases.items():
            assert Decimal(str(got[gas]["Recovered (kg)"])) == Decimal(grams) / 1000
            co2e = Decimal(grams) / 1000 * Decimal(table[gas]) / 1000
            assert abs(Decimal(str(got[gas][f"CO2e (t, {basis})"])) - co2e) < Decimal("1e-6")
        total = sum(Decimal(g) / 1000 * Decimal(table[k]) / 1000 for k, g in gases.items())
        assert abs(Decimal(str(got["Total"][f"CO2e (t, {basis})"])) - total) < Decimal("1e-5")
    page = manager.get(DAY, headers=EN).get_data(as_text=True)
    assert f"IPCC {basis}" in page and "a GWP of 3 is the usual convention" in page


def test_outputs_per_fraction_match_the_file(manager):
    names = {"Steel": "steel", "Copper": "copper", "Aluminium": "aluminium",
             "Plastics": "plastics", "Circuit boards": "pcb",
             "CRT funnel glass (leaded)": "crt_funnel_glass",
             "CRT panel glass": "crt_panel_glass", "PU foam": "pu_foam",
             "Compressors": "compressor", "Cables": "cables", "Glass": "glass",
             "LCD panels": "lcd_panel", "Motors": "motor", "Concrete counterweights": "concrete",
             "Compressor oil": "oil", "Batteries": "battery", "Capacitors": "capacitor",
             "Mercury backlights": "mercury_backlight"}
    truth = expected()["fractions"]
    for rows in (export(manager, "fractions"), export(manager, "fractions", "xlsx")):
        got = {names[r["Fraction"]]: Decimal(str(r["Mass (kg)"])) for r in rows
               if r["Fraction"] != "Total"}
        assert got == {k: Decimal(g) / 1000 for k, g in truth.items()}
        hazardous = {names[r["Fraction"]] for r in rows if r["Hazardous"]}
        assert hazardous == {"pcb", "crt_funnel_glass", "oil", "battery", "capacitor",
                             "mercury_backlight"}


def test_one_alert_of_each_kind(manager):
    truth = expected()
    rows = export(manager, "alerts")
    kinds = defaultdict(set)
    for row in rows:
        kinds[row["Alert"]].add(row["Subject"])
    # low recovery: the partly leaked R-134a fridge (93 g of 155 g) is the day's one
    assert kinds["Low refrigerant recovery"] == truth["low"] == {"CN3301-2026-0004834"}
    # mass balance, with the correction applied: the mis-typed copper (15730 g for 5730 g)
    # put unit 0004840 about 18 % over before the correction; after it, it is in balance
    assert "CN3301-2026-0004840" not in kinds["Mass balance"]
    assert "CN3301-2026-0004840" in expected(corrections=False)["off_balance"]
    # the three scales were calibrated on the morning of the 20th: overdue on the 21st evening
    assert kinds["Scales due a calibration check"] == {"SC-1", "SC-2", "SC-3"}
    page = manager.get(DAY, headers=EN).get_data(as_text=True)
    assert "Refused duplicate intake" in page and "No data source yet" not in page
    xlsx = export(manager, "alerts", "xlsx")
    assert {r["Subject"] for r in xlsx} == {r["Subject"] for r in rows}


def test_refused_attempts_read_in_words(manager):
    """The sample's one refused duplicate trade-in: its rule, what was attempted and about
    what, by their names in the glossary (ledger/rules/codes.py), in the page and its files."""
    from ledger.rules import codes

    refused = next(e for e in sample_events() if e["type"] == "attempt.refused")["data"]
    for rows in (export(manager, "refusals"), export(manager, "refusals", "xlsx")):
        assert [(r["Rule"], r["Attempted"], r["About"]) for r in rows] == [(
            codes.REFUSAL_NAMES[refused["rule"]]["en"],
            codes.EVENT_TYPE_NAMES[refused["attempted"]]["en"],
            refused["about"].removeprefix("unit:"))]
    page = manager.get(DAY, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert codes.REFUSAL_NAMES[refused["rule"]]["zh-CN"] in page
    assert refused["rule"] not in page


def test_calibration_is_not_overdue_within_its_period(sample_app, manager):
    sample_app.config["DLEDGER_DASHBOARD_NOW"] = "2026-11-20T10:00:00+00:00"
    kinds = {r["Alert"] for r in export(manager, "alerts")}
    assert "Scales due a calibration check" not in kinds


FRIDGE = catalogue.load().categories["fridge"].name["en"]


def test_mass_balance_yields_and_work_in_progress(manager):
    truth = expected()
    balance = {r["Category"]: r for r in export(manager, "massbalance")}
    assert int(balance["Total"]["Units outside ±5 %"]) >= 0  # the ledger's mass_balance flags
    yields = export(manager, "yields", "xlsx")
    fridge_steel = next(r for r in yields if r["Category"] == FRIDGE and r["Fraction"] == "Steel")
    assert fridge_steel["Check"] in {"Within range", "Below range", "Above range"}
    assert isinstance(fridge_steel["Mass (kg)"], float)  # kg as numbers in XLSX
    wip = {r["Category"]: r for r in export(manager, "wip")}
    assert int(wip["Total"]["Units in progress"]) == truth["wip"] > 0


def test_an_empty_range_shows_zeros(manager):
    query = "/dashboard/?range=custom&from=2025-01-01&to=2025-01-31"
    response = manager.get(query, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<span class="stat-value">0</span>' in page
    assert "No unit completed in this range." in page
    assert export(manager, "categories", query=query)[-1]["Units completed"] == "0"
    assert export(manager, "refrigerants", "xlsx", query=query)[-1]["Recoveries"] == 0


@pytest.mark.parametrize("query, message", [
    ("range=custom&from=2026-11-21&to=2026-11-20", "ends on 2026-11-20, before it starts on"),
    ("range=custom&from=garbage&to=2026-11-20", "“garbage” is not a date"),
    ("range=custom&from=2026-11-20", "Give a date for “To”"),
    ("range=custom&from=2020-01-01&to=2026-01-01", "days is more than the dashboard shows"),
    ("range=custom&from=2026-02-30&to=2026-03-01", "is not a date"),
    ("range=yesterday", "Unknown range “yesterday”"),
    ("range=shift&shift=graveyard&date=2026-11-20", "There is no shift “graveyard”"),
    ("range=custom&from=2026-11-20&to=2026-11-20&format=pdf&table=alerts", "?format=csv"),
    ("range=custom&from=2026-11-20&to=2026-11-20&format=csv&table=ledger_entries", "table="),
])
def test_bad_range_input_gets_a_clear_message(manager, query, message):
    response = manager.get(f"/dashboard/?{query}", headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in page
    assert message.replace("“", "&#34;").replace("”", "&#34;") in page or message in page


def test_shifts_today_and_week(manager, sample_app):
    sample_app.config["DLEDGER_DASHBOARD_NOW"] = "2026-11-20T05:00:00+00:00"  # 13:00 local
    page = manager.get("/dashboard/?range=shift", headers=EN).get_data(as_text=True)
    assert "Shift: day shift (08:00–20:00)" in page
    assert "2026-11-20 08:00 – 2026-11-20 20:00" in page
    night = manager.get("/dashboard/?range=shift&shift=night&date=2026-11-19", headers=EN)
    assert "2026-11-19 20:00 – 2026-11-20 08:00" in night.get_data(as_text=True)
    assert "2026-11-20 00:00 – 2026-11-21 00:00" in manager.get(
        "/dashboard/", headers=EN).get_data(as_text=True)
    week = manager.get("/dashboard/?range=week", headers=EN).get_data(as_text=True)
    assert "2026-11-16 00:00 – 2026-11-23 00:00" in week  # Monday to Monday
    assert "Units completed per day" in week


def test_only_managers_and_admins(sample_app, client_for):
    for role, status in (("manager", 200), ("admin", 200), ("worker", 403), ("inspector", 403)):
        assert client_for(role).get(DAY).status_code == status
    assert client_for(None).get(DAY).status_code == 302
