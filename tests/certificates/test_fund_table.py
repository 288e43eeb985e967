"""The fund table (拆解处理情况表, certificate kind fund_table) on the sample plant: its counts
against counts made here straight from the events, the balance of every row, units outside
the fund shown as such, stock carried over, and every edited cell named by the verifier."""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from clihelp import dledger
from factories import SigningStation, received

from ledger import catalogue
from ledger.canonical import canonical_bytes
from ledger.certificates.build import BuildError
from ledger.certificates.build_fund import build_fund_table
from ledger.certificates.document import serialise
from ledger.certificates.issue import issue
from ledger.certificates.verify import STATEMENTS_CHECK, verify
from ledger.fund import workers
from ledger.fund.classify import classify
from ledger.log import Ledger, Submission
from ledger.note import Signer, new_signer
from ledger.store import migrate, open_engine

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sample-events.jsonl"
ORIGIN = "ledger.example-plant.cn/CN3301"
DAY = "2026-11-20"  # the sample day
NEXT = "2026-11-21"  # the day after: a fridge received and left in stock
ZONE = "Asia/Shanghai"
CRT_TV_12 = "CN3301-2026-0004820"
FRIDGE_600 = "CN3301-2026-0004822"
LATE_FRIDGE = "CN3301-2026-0009001"
COLUMNS = ("label", "category", "scope", "fund_category", "sub_class", "reason", "counts",
           "received_at", "completed_at", "status", "version", "opening", "closing",
           "last_entry")


def sample_plant(ledger: Ledger) -> None:
    """The sample day, then a fridge received the next day and not dismantled."""
    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    ledger.append([Submission.from_json(json.loads(line)) for line in lines])
    station = SigningStation("ST-09")
    ledger.append([station.registration()])
    ledger.append([station.submit("unit.received", f"unit:{LATE_FRIDGE}",
                                  received(LATE_FRIDGE, volume_l=230))])


def table_of(ledger: Ledger, signer: Signer, start: str, end: str) -> dict[str, Any]:
    return issue(ledger, build_fund_table(ledger, start, end, signer=signer, time_zone=ZONE),
                 signer)


def as_json(document: dict[str, Any]) -> dict[str, Any]:
    """The document as an inspector reads it from its file (units as a list of texts)."""
    loaded: dict[str, Any] = json.loads(serialise(document))
    return loaded


def units_of(statements: dict[str, Any]) -> dict[str, dict[str, Any]]:
    lines = [dict(zip(statements["columns"], json.loads(text), strict=True))
             for text in statements["units"]]
    return {line["label"]: line for line in lines}


@pytest.fixture
def plant(db_url: str) -> Iterator[tuple[Ledger, Signer]]:
    engine = open_engine(db_url)
    migrate(engine)
    ledger = Ledger(engine)
    sample_plant(ledger)
    yield ledger, new_signer(ORIGIN)
    engine.dispose()


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str]]:
    """One table of the sample day (SQLite), as JSON, and the plant's verifier key."""
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('fund') / 'ledger.db'}")
    migrate(engine)
    ledger = Ledger(engine)
    sample_plant(ledger)
    signer = new_signer(ORIGIN)
    yield as_json(table_of(ledger, signer, DAY, DAY)), signer.verifier.vkey
    engine.dispose()


# -- counts made here, straight from the events ---------------------------------------------

def effective_events(ledger: Ledger) -> list[tuple[int, dict[str, Any]]]:
    """Every event of the log with its corrections applied (the latest correction of an
    entry wins; `set` replaces fields of its data, `void` drops it)."""
    events = [(index, json.loads(body)["event"])
              for index, _, body in ledger.entries_between(0, ledger.size())]
    fixes = {e["data"]["corrects"]: e["data"] for _, e in events if e["type"] == "correction"}
    out = []
    for index, event in events:
        fix = fixes.get(index)
        if event["type"] == "correction" or (fix and fix.get("void")):
            continue
        if fix:
            event = {**event, "data": {**event["data"], **fix["set"]}}
        out.append((index, event))
    return out


def recount(ledger: Ledger, start: str, end: str) -> dict[str, Any]:
    """The table's counts by (scope, fund category, sub-class, catalogue category), its days
    and its product per fraction, computed without ledger.fund.table."""
    zone = ZoneInfo(ZONE)
    since = datetime.fromisoformat(start + "T00:00:00").replace(tzinfo=zone)
    until = datetime.fromisoformat(end + "T00:00:00").replace(tzinfo=zone).timestamp() + 86_400

    def t(text: str) -> float:
        return datetime.fromisoformat(text).timestamp()

    with ledger.engine.connect() as conn:
        flags = conn.exec_driver_sql("SELECT subject, resolution FROM rule_flags").fetchall()
    flagged = {s[5:] for s, resolution in flags if resolution is None}
    excluded = {s[5:] for s, resolution in flags if resolution == "exclude"}
    tables = catalogue.load().fund
    assert tables is not None
    units: dict[str, dict[str, Any]] = {}
    lots: dict[str, dict[str, Any]] = {}
    outputs = []
    for _, event in effective_events(ledger):
        kind, _, name = event["subject"].partition(":")
        if kind == "unit":
            unit = units.setdefault(name, {})
            if event["type"] == "unit.received":
                unit["received"], unit["data"] = event["time"], event["data"]
            elif event["type"] == "unit.completed":
                unit["completed"] = event["time"]
            elif event["type"] in ("material.output", "component.removed") and \
                    event["data"].get("lot"):
                outputs.append((event["data"]["lot"], event["time"],
                                event["data"].get("mass_g") or 0))
        elif kind == "lot":
            lots.setdefault(name, {})[event["type"]] = event
    rows: dict[tuple[Any, ...], Counter[str]] = {}
    days: Counter[tuple[str, str]] = Counter()
    for label, unit in units.items():
        got, done = t(unit["received"]), unit.get("completed")
        if got >= until or (done is not None and t(done) < since.timestamp()):
            continue
        found = classify(tables, unit["data"]["category"], unit["data"], done)
        other = found.scope in ("unclassified", "not_fund_product")
        row = rows.setdefault((found.scope, found.category, found.sub_class,
                               unit["data"]["category"] if other else None), Counter())
        opening = got < since.timestamp()
        row["opening" if opening else "received"] += 1
        if not opening:
            days[(datetime.fromtimestamp(got, zone).date().isoformat(), "received")] += 1
        if done is not None and t(done) < until:
            status = ("excluded" if label in excluded else
                      "flagged" if label in flagged else "creditable")
            row[status] += 1
            days[(datetime.fromtimestamp(t(done), zone).date().isoformat(), "dismantled")] += 1
            if status == "creditable" and found.scope == "in_scope":
                row["counted"] += found.counts
        else:
            row["closing"] += 1
    output_g: Counter[str] = Counter()
    for lot, at, grams in outputs:
        shipped = lots[lot].get("lot.shipped")
        if since.timestamp() <= t(at) < until and (
                shipped is None or t(shipped["time"]) >= since.timestamp()):
            output_g[lots[lot]["lot.opened"]["data"]["fraction"]] += grams
    shipped_lots = sorted(lot for lot, chain in lots.items() if "lot.shipped" in chain
                          and since.timestamp() <= t(chain["lot.shipped"]["time"]) < until)
    return {"rows": rows, "days": days, "output_g": output_g, "shipped": shipped_lots}


def table_counts(statements: dict[str, Any]) -> dict[tuple[Any, ...], Counter[str]]:
    """The table's rows in recount's terms (its rows outside the scope are finer: by reason)."""
    rows: dict[tuple[Any, ...], Counter[str]] = {}
    for row in statements["rows"]:
        key = (row["scope"], row["fund_category"], row["sub_class"], row["catalogue_category"])
        counted = rows.setdefault(key, Counter())
        for name in ("opening", "received", "closing", "counted"):
            counted[name] += row[name]
        for status in ("creditable", "flagged", "excluded"):
            counted[status] += row["dismantled"][status]
    return {key: +counts for key, counts in rows.items() if +counts}


@pytest.mark.parametrize(("start", "end"), [(DAY, DAY), (NEXT, NEXT), (DAY, NEXT)])
def test_the_table_counts_what_the_events_say(plant: tuple[Ledger, Signer], start: str,
                                              end: str) -> None:
    ledger, signer = plant
    document = table_of(ledger, signer, start, end)
    statements = document["statements"]
    expected = recount(ledger, start, end)
    assert table_counts(statements) == {k: +v for k, v in expected["rows"].items() if +v}
    for row in statements["rows"]:
        assert row["opening"] + row["received"] - row["dismantled"]["all"] == row["closing"]
        assert row["dismantled"]["all"] == sum(row["dismantled"][s] for s in (
            "creditable", "flagged", "excluded"))
    totals = statements["totals"]
    assert totals["opening"] + totals["received"] - totals["dismantled"]["all"] == \
        totals["closing"]
    assert {(d["date"], k): d[k] for d in statements["days"] for k in ("received", "dismantled")
            if d[k]} == dict(expected["days"])
    assert {f["fraction"]: f["output_g"] for f in statements["fractions"] if f["output_g"]} == \
        dict(expected["output_g"])
    for fraction in statements["fractions"]:
        assert fraction["opening_g"] + fraction["output_g"] - fraction["shipped_g"] == \
            fraction["closing_g"]
    assert sorted(d["lot"] for d in statements["destinations"]) == expected["shipped"]
    assert verify(as_json(document), vkeys=[signer.verifier.vkey]).ok


def test_units_outside_the_fund_are_shown_with_their_reason(
        issued: tuple[dict[str, Any], str]) -> None:
    statements = issued[0]["statements"]
    units = units_of(statements)
    tv, fridge = units[CRT_TV_12], units[FRIDGE_600]
    assert (tv["scope"], tv["fund_category"], tv["sub_class"], tv["counts"]) == (
        "out_of_scope", "tv", None, 0)
    assert tv["reason"] == {"code": "limit", "field": "screen_in", "value": 12, "limit": "≥ 14"}
    assert (fridge["scope"], fridge["reason"]["field"], fridge["reason"]["value"]) == (
        "out_of_scope", "volume_l", 600)
    rows = {(r["scope"], r["fund_category"], (r["reason"] or {}).get("field")): r
            for r in statements["rows"]}
    assert rows[("out_of_scope", "tv", "screen_in")]["received"] == 1
    assert rows[("out_of_scope", "fridge", "volume_l")]["counted"] == 0
    # a desktop set counts once: the host 1, its monitor 0 (the day's four sets); a host or a
    # monitor that came alone is in no set
    hosts = [u for u in units.values() if u["sub_class"] == "pc_desktop"]
    assert Counter(u["counts"] for u in hosts) == Counter({1: 4, 0: 4})
    alone = [u for u in units.values() if u["category"] in ("desktop_pc", "flat_monitor",
                                                            "crt_monitor")
             and u["sub_class"] is None]
    assert {u["reason"]["code"] for u in alone} == {"no_class"} and len(alone) == 5


def test_a_unit_received_and_still_in_stock_is_in_the_closing_stock(
        plant: tuple[Ledger, Signer]) -> None:
    ledger, signer = plant
    day = table_of(ledger, signer, DAY, DAY)["statements"]
    after = table_of(ledger, signer, NEXT, NEXT)["statements"]
    both = table_of(ledger, signer, DAY, NEXT)["statements"]
    in_stock = {label for label, u in units_of(day).items() if u["closing"]}
    assert in_stock and all(units_of(day)[label]["status"] is None for label in in_stock)
    assert day["totals"]["closing"] == len(in_stock)
    assert after["totals"]["opening"] == len(in_stock)  # carried over, not lost
    late = units_of(after)[LATE_FRIDGE]
    assert (late["opening"], late["closing"], late["status"], late["sub_class"]) == (
        False, True, None, "fridge")
    assert after["totals"]["received"] == 1
    assert after["totals"]["closing"] == len(in_stock) + 1
    assert both["totals"]["closing"] == len(in_stock) + 1
    assert both["totals"]["received"] == day["totals"]["received"] + 1


def edit_row(document: dict[str, Any]) -> str:
    row = next(i for i, r in enumerate(document["statements"]["rows"]) if r["received"])
    document["statements"]["rows"][row]["opening"] += 1
    return f"statements.rows[{row}].opening"


def edit_day(document: dict[str, Any]) -> str:
    document["statements"]["days"][0]["received"] -= 1
    return "statements.days[0].received"


def edit_fraction(document: dict[str, Any]) -> str:
    fractions = document["statements"]["fractions"]
    at = next(i for i, f in enumerate(fractions) if f["output_g"])
    fractions[at]["output_g"] += 1_000
    return f"statements.fractions[{at}].output_g"


def edit_unit(document: dict[str, Any]) -> str:
    units = document["statements"]["units"]
    at = next(i for i, text in enumerate(units) if json.loads(text)[4] == "tv_large")
    line = json.loads(units[at])
    line[COLUMNS.index("sub_class")] = "tv_crt_small"
    units[at] = canonical_bytes(line).decode()
    return f"statements.units[{at}].sub_class"


def edit_amount(document: dict[str, Any]) -> str:
    document["statements"]["totals"]["in_scope"]["standardised"][0]["volume"] = "999"
    return "statements.totals.in_scope.standardised[0].volume"


def edit_destination(document: dict[str, Any]) -> str:
    document["statements"]["destinations"][0]["counted_g"] += 1
    return "statements.destinations[0].counted_g"


def edit_count(document: dict[str, Any]) -> str:
    document["statements"]["stock_count"]["lines"][0]["book"] += 1
    return "statements.stock_count.lines[0].book"


def edit_reconciliation(document: dict[str, Any]) -> str:
    document["statements"]["reconciliation"]["rows"][0]["closing"] += 1
    return "statements.reconciliation.rows[0].closing"


@pytest.mark.parametrize("edit", [edit_row, edit_day, edit_fraction, edit_unit, edit_amount,
                                  edit_destination, edit_count, edit_reconciliation])
def test_editing_any_cell_fails_verification_naming_it(
        issued: tuple[dict[str, Any], str], edit: Any) -> None:
    document, vkey = json.loads(json.dumps(issued[0])), issued[1]
    assert verify(document, vkeys=[vkey]).ok
    where = edit(document)
    report = verify(document, vkeys=[vkey])
    failed = {c.name: c.detail for c in report.checks if c.ok is False}
    assert failed[STATEMENTS_CHECK].startswith(where + ": the certificate says"), failed


def test_the_table_carries_the_last_count_and_the_reconciliation(
        issued: tuple[dict[str, Any], str]) -> None:
    """The sample day's evening count against the book (ledger/fund/stock.py), its one
    difference adjusted, and the day reconciled: every row balances, nothing unexplained."""
    statements = issued[0]["statements"]
    count = statements["stock_count"]
    assert count["count"] == "20261120-1" and count["unexplained"] == 0
    adjusted = [line for line in count["lines"] if line["adjustment"]]
    assert [(line["zone"], line["difference"]) for line in adjusted] == [("a2", 1)]
    reconciliation = statements["reconciliation"]
    assert reconciliation["balanced"] and reconciliation["counts"] == ["20261120-1"]
    units = {row["code"]: row for row in reconciliation["rows"] if row["kind"] == "units"}
    closing = sum(row["closing"] for row in units.values())
    assert closing == sum(1 for line in units_of(statements).values() if line["closing"])


def test_a_period_without_units_is_refused(plant: tuple[Ledger, Signer]) -> None:
    ledger, signer = plant
    with pytest.raises(BuildError, match="no unit was in stock or received from 2026-10-01"):
        build_fund_table(ledger, "2026-10-01", "2026-10-31", signer=signer, time_zone=ZONE)


def test_the_command_issues_verifies_and_shows_the_table(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    assert dledger(home, "init", "--origin", ORIGIN).returncode == 0
    appended = dledger(home, "append", str(SAMPLE))
    assert appended.returncode == 0, appended.stderr
    out = tmp_path / "fund.json"
    issued = dledger(home, "cert", "issue", "--fund", DAY, DAY, "--json", str(out))
    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["kind"] == "fund_table"
    vkey = dledger(home, "key", "show").stdout.decode().strip().splitlines()[-1]
    checked = dledger(tmp_path, "cert", "verify", str(out), "--vkey", vkey)
    assert checked.returncode == 0, checked.stdout
    shown = dledger(tmp_path, "cert", "show", str(out)).stdout.decode()
    assert shown.startswith("拆解处理情况表 Fund table: " + ORIGIN + ", 2026-11-20 to 2026-11-20")
    assert "电视机 Televisions / limit: screen_in" in shown
    assert "72 units listed" in shown
    as_json = json.loads(dledger(tmp_path, "cert", "show", "--json", str(out)).stdout)
    assert len(as_json["statements"]["units"]) == 72
    both = dledger(home, "cert", "issue", "--fund", DAY, DAY, "--lot", "L", "--json", str(out))
    assert both.returncode == 2 and b"exactly one of" in both.stderr
    pdf = tmp_path / "fund.pdf"
    rendered = dledger(home, "cert", "issue", "--fund", DAY, DAY, "--out", str(pdf),
                       "--console-url", "https://ledger.example-plant.cn")
    assert rendered.returncode == 0, rendered.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_units_derived_in_worker_processes_give_the_same_table(
        plant: tuple[Ledger, Signer], monkeypatch: pytest.MonkeyPatch) -> None:
    """A large table derives its units in forked workers (ledger/fund/workers.py): the same
    statements, verified the same way, and an edited line still named; no worker is left."""
    ledger, signer = plant
    serial = as_json(table_of(ledger, signer, DAY, NEXT))
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    monkeypatch.setattr(workers, "BATCH", 3)  # several batches in flight, returned in order
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 3)  # two workers, whatever the machine
    assert workers.workers_for(1) == 2
    parallel = as_json(table_of(ledger, signer, DAY, NEXT))
    assert parallel["statements"] == serial["statements"]
    same = ("count", "runs", "sha256")  # the proof is to a larger log: the first was issued
    assert {k: parallel["entries"][k] for k in same} == {k: serial["entries"][k] for k in same}
    assert not multiprocessing.active_children()
    assert verify(parallel, vkeys=[signer.verifier.vkey]).ok
    where = edit_unit(parallel)
    report = verify(parallel, vkeys=[signer.verifier.vkey])
    failed = {c.name: c.detail for c in report.checks if c.ok is False}
    assert failed[STATEMENTS_CHECK].startswith(where + ": the certificate says"), failed
    assert not multiprocessing.active_children()
