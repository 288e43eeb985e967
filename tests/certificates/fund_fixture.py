"""A fund table document (`kind: "fund_table"`) made up for the renderers' tests and
benchmark, in the statements' shape the builder (ledger/fund/table.py) writes:
units drawn from a seeded generator, and every row, total, day and fraction summed from those
units here, so that the figures hold together (opening + received - dismantled = closing) at
any size. Its units are a StringArray generated afresh at each reading, so a document of
250,000 units is held in the memory of one.

Not a certificate that verifies: its entries are a placeholder bundle, its checkpoint a note
signed over a made-up root. What it checks is what the pages and the spreadsheet show; the
real thing, issued by the builder on the sample plant, is `sample_table`.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger import catalogue
from ledger.canonical import StringArray
from ledger.certificates.statements import period_bounds
from ledger.checkpoint import Checkpoint
from ledger.log import Ledger
from ledger.note import new_signer, sign
from ledger.store import migrate, open_engine

ORIGIN = "ledger.example-plant.cn/CN3301"
FUND_UNIT_COLUMNS = ("label", "category", "scope", "fund_category", "sub_class", "reason",
                     "counts", "received_at", "completed_at", "status", "version", "opening",
                     "closing", "last_entry")
# catalogue category -> (fund category, sub-class) for units in scope
IN_SCOPE = {"crt_tv": ("tv", "tv_crt_small"), "flat_tv": ("tv", "tv_large"),
            "fridge": ("fridge", "fridge"), "washing_machine": ("washer", "washer_automatic"),
            "room_ac": ("room_ac", "room_ac"), "desktop_pc": ("pc", "pc_desktop"),
            "laptop": ("pc", "pc_laptop")}
# (catalogue category, fund category, reason, field, value, limit)
OUT_OF_SCOPE = (("crt_tv", "tv", "limit", "screen_in", 12, "≥ 14"),
                ("fridge", "fridge", "limit", "volume_l", 600, "≥ 50, ≤ 500"),
                ("desktop_pc", "pc", "no_class", None, None, None))
UNCLASSIFIED = (("washing_machine", "washer", "dry_load_g"), ("room_ac", "room_ac", "cooling_w"))
SCOPES = ("in_scope", "out_of_scope", "not_fund_product", "unclassified")  # the rows' order
NOT_FUND = ("microwave", "range_hood")
FRACTIONS = (("steel", False), ("copper", False), ("plastics", False), ("pcb", True),
             ("crt_funnel_glass", True))
RECEIVERS = (("江苏再生金属有限公司", None), ("浙江危废处置有限公司", "浙危废经第3301号"))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Spec:
    count: int
    start: str
    end: str
    time_zone: str
    seed: int


class GeneratedUnits(StringArray):
    """The document's unit lines, drawn again from the same seed at each reading."""

    def __init__(self, spec: Spec):
        self.spec = spec

    def __iter__(self) -> Iterator[str]:
        for line in unit_lines(self.spec):
            yield json.dumps(line, ensure_ascii=False, separators=(",", ":"))

    def __len__(self) -> int:
        return self.spec.count


def unit_lines(spec: Spec) -> Iterator[list[Any]]:
    """Each unit's line, in FUND_UNIT_COLUMNS' order, ordered by label."""
    tables = catalogue.load().fund
    assert tables is not None
    period = period_bounds(spec.start, spec.end, spec.time_zone)
    start, until = _moment(period["from_utc"]), _moment(period["until_utc"])
    span = (until - start).total_seconds()
    draw = random.Random(spec.seed)
    for n in range(spec.count):
        # received from 20 days before the period to its end; completed 0 to 12 days later
        received = start + timedelta(seconds=draw.uniform(-20 * 86_400, span))
        completed: datetime | None = received + timedelta(seconds=draw.uniform(0, 12 * 86_400))
        assert completed is not None
        if completed < start:  # done before the period: not in the table
            completed = start + timedelta(seconds=draw.uniform(0, 86_400))
        if completed >= until or draw.random() < 0.05:
            completed = None
        pick = draw.random()
        reason = fund_category = sub_class = version = None
        counts = 0
        if pick < 0.85:
            category = draw.choice(sorted(IN_SCOPE))
            fund_category, sub_class = IN_SCOPE[category]
            scope, counts = "in_scope", 1
            if completed is not None:
                found = tables.version_at(completed)
                version = found.code if found else None
        elif pick < 0.92:
            category, fund_category, code, field, value, limit = draw.choice(OUT_OF_SCOPE)
            scope = "out_of_scope"
            reason = {"code": code, "field": field, "value": value, "limit": limit}
        elif pick < 0.96:
            category, fund_category, field = draw.choice(UNCLASSIFIED)
            scope = "unclassified"
            reason = {"code": "missing", "field": field, "value": None, "limit": None}
        else:
            category, scope = draw.choice(NOT_FUND), "not_fund_product"
            reason = {"code": "not_fund_product", "field": None, "value": None, "limit": None}
        status = None
        if completed is not None:
            roll = draw.random()
            status = "creditable" if roll < 0.9 else "flagged" if roll < 0.97 else "excluded"
        yield [f"CN3301-2026-{n + 1:07d}", category, scope, fund_category, sub_class, reason,
               counts, _utc(received), _utc(completed) if completed else None, status, version,
               received < start, completed is None, 1_000 + 9 * n + 8]


def _counting() -> dict[str, Any]:
    return {"opening": 0, "received": 0,
            "dismantled": {"creditable": 0, "flagged": 0, "excluded": 0, "all": 0},
            "closing": 0, "counted": 0}


def _add(into: dict[str, Any], line: dict[str, Any], in_period: bool) -> None:
    into["opening"] += line["opening"]
    into["received"] += not line["opening"]
    into["closing"] += line["closing"]
    if in_period:
        into["dismantled"][line["status"]] += 1
        into["dismantled"]["all"] += 1
        if line["status"] == "creditable":
            into["counted"] += line["counts"]


def fund_document(count: int = 60, *, start: str = "2023-12-01", end: str = "2024-01-31",
                  time_zone: str = "Asia/Shanghai", seed: int = 15,
                  issued: bool = True) -> dict[str, Any]:
    """A fund table of `count` units over [start, end] (by default across the change from
    the 2021 per-unit rates to the 2024 standardised volume, so both columns are filled)."""
    spec = Spec(count, start, end, time_zone, seed)
    tables = catalogue.load().fund
    assert tables is not None
    period = period_bounds(start, end, time_zone)
    zone_days = _days(period)
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for sub_class, found in tables.classes.items():
        rows[("in_scope", sub_class)] = {"scope": "in_scope", "fund_category": found.category,
                                         "sub_class": sub_class, "catalogue_category": None,
                                         "reason": None, **_counting()}
    order = {code: n for n, code in enumerate(tables.categories)}
    priced: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    days = {day: {"date": day, "received": 0, "dismantled": 0} for day in zone_days}
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone)
    for values in unit_lines(spec):
        line = dict(zip(FUND_UNIT_COLUMNS, values, strict=True))
        reason = line["reason"]
        if line["scope"] == "in_scope":
            key: tuple[Any, ...] = ("in_scope", line["sub_class"])
        else:
            key = (line["scope"], order.get(line["fund_category"], len(order)),
                   line["fund_category"] or "", "" if line["scope"] == "out_of_scope"
                   else line["category"], reason["code"], reason["field"] or "")
        if key not in rows:
            rows[key] = {"scope": line["scope"], "fund_category": line["fund_category"],
                         "sub_class": None,
                         "catalogue_category": None if line["scope"] == "out_of_scope"
                         else line["category"],
                         "reason": {"code": reason["code"], "field": reason["field"]},
                         **_counting()}
        in_period = line["completed_at"] is not None
        _add(rows[key], line, in_period)
        if in_period and line["status"] == "creditable" and line["version"]:
            priced[(line["sub_class"], line["version"])]["units"] += line["counts"]
        if not line["opening"]:
            days[_moment(line["received_at"]).astimezone(zone).date().isoformat()][
                "received"] += 1
        if in_period:
            days[_moment(line["completed_at"]).astimezone(zone).date().isoformat()][
                "dismantled"] += 1
    ordered = [rows[("in_scope", code)] for code in tables.classes]
    for scope in SCOPES[1:]:
        ordered += [rows[k] for k in sorted(k for k in rows if k[0] == scope)]
    versions = {v.code: v for v in tables.versions}
    for row in ordered:
        row["amounts"], row["standardised"] = [], []
        for (sub_class, code), counted in sorted(priced.items()):
            if sub_class != row["sub_class"] or row["scope"] != "in_scope":
                continue
            version = versions[code]
            if version.basis == "per_unit":
                rate = version.rates[sub_class]
                row["amounts"].append({"version": code, "rate": _text(rate),
                                       "units": counted["units"],
                                       "amount": _text(rate * counted["units"])})
            else:
                factor = version.factors[sub_class]
                row["standardised"].append({"version": code, "factor": _text(factor),
                                            "units": counted["units"],
                                            "volume": _text(factor * counted["units"])})
    totals = _counting()
    in_scope = _counting()
    for row in ordered:
        for into in (totals, in_scope) if row["scope"] == "in_scope" else (totals,):
            for name in ("opening", "received", "closing", "counted"):
                into[name] += row[name]
            for status, value in row["dismantled"].items():
                into["dismantled"][status] += value
    for member, value in (("amounts", "amount"), ("standardised", "volume")):
        summed: dict[str, list[Any]] = {}
        for row in ordered:
            for item in row[member]:
                into = summed.setdefault(item["version"], [0, Decimal(0)])
                into[0] += item["units"]
                into[1] += Decimal(item[value])
        in_scope[member] = [{"version": v, "units": n, value: _text(total)}
                            for v, (n, total) in sorted(summed.items())]
    totals["in_scope"] = in_scope
    statements = {
        "plant": ORIGIN, "period": period,
        "catalogue": {"entry": 0, "version": "default",
                      "sha256": hashlib.sha256(b"catalogue").hexdigest()},
        "rows": ordered, "totals": totals, "days": list(days.values()),
        "fractions": _fractions(count), "destinations": _destinations(count, period),
        "stock_count": None, "reconciliation": None,
        "columns": list(FUND_UNIT_COLUMNS), "units": GeneratedUnits(spec)}
    signer = new_signer(ORIGIN)
    size = 1_000 + 9 * count + 50
    note = sign(Checkpoint(ORIGIN, size, hashlib.sha256(b"root").digest()).text(), [signer])
    document: dict[str, Any] = {
        "format": "dledger-certificate/v2", "kind": "fund_table", "origin": ORIGIN,
        "issued_at": "2024-02-02T02:00:00.000Z", "statements": statements, "checkpoint": note,
        "entries": {"count": size - 10, "runs": [[0, size - 10]],
                    "sha256": hashlib.sha256(b"bundle").hexdigest(), "proof": [],
                    "bundle": None}}
    if issued:
        document["issuance"] = {"checkpoint": note, "consistency": [],
                                "entry": {"index": size, "entry": "", "proof": ""}}
    return document


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _days(period: dict[str, str]) -> list[str]:
    first, last = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _fractions(count: int) -> list[dict[str, Any]]:
    found = []
    for n, (fraction, hazardous) in enumerate(FRACTIONS):
        opening, output = 120_500 * (n + 1), count * 3_217 * (5 - n)
        shipped = output * 4 // 5
        returned = shipped // 2 if hazardous else shipped
        found.append({"fraction": fraction, "hazardous": hazardous, "opening_g": opening,
                      "output_g": output, "shipped_g": shipped,
                      "closing_g": opening + output - shipped, "returned_g": returned})
    return found


def _destinations(count: int, period: dict[str, str]) -> list[dict[str, Any]]:
    found = []
    start = _moment(period["from_utc"])
    for n in range(max(6, count // 2_000)):
        fraction, hazardous = FRACTIONS[n % len(FRACTIONS)]
        receiver, licence = RECEIVERS[hazardous]
        net = 1_500_000 + 12_345 * n
        returned = not hazardous or n % 2 == 0
        found.append({"lot": f"LOT-{fraction.upper()[:4]}-{n + 1:04d}", "fraction": fraction,
                      "hazardous": hazardous, "receiver": receiver,
                      "receiver_licence": licence, "manifest_no": f"JS-2026-{n + 1:06d}",
                      "shipped_at": _utc(start + timedelta(hours=30 * n + 9)),
                      "entry": 500 + n, "net_g": net,
                      "received_g": net - 20 if returned else None, "returned": returned,
                      "counted_g": net if returned else 0})
    return found


def sample_table(folder: Path) -> tuple[dict[str, Any], str]:
    """The fund table of the sample plant (the sample day and the next, on SQLite in
    `folder`), issued by the real builder, with the plant's verifier key."""
    from .test_fund_table import DAY, NEXT, sample_plant, table_of

    engine = open_engine(f"sqlite:///{folder / 'ledger.db'}")
    migrate(engine)
    ledger = Ledger(engine)
    sample_plant(ledger)
    signer = new_signer(ORIGIN)
    try:
        return table_of(ledger, signer, DAY, NEXT), signer.verifier.vkey
    finally:
        engine.dispose()
