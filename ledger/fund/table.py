"""The 拆解处理情况表 (certificate kind `fund_table`): every figure derived from the entries fed
in index order, the one definition the builder and the verifier both use.

Which units: every unit with an effective `unit.received` before the period's end that was not
completed before its start. Each is classed (ledger.fund.classify.class_of) by the catalogue
in force at its completion, or at the checkpoint when it is not completed, and a unit
dismantled in the period is judged as a period report's line is (ledger.rules.judge). A unit's
line is derived once its chain's last entry has gone by, and only the table's rows, days and
lots are kept: a quarter of 250,000 units is derived in the memory of the units in progress at
once. Products are counted per lot, from the outputs' effective masses (corrections folded)
and the lots' own chains. Standard library and the ledger's pure modules only: the offline
verifier imports this. docs/certificates.md §3.4 says how each cell is computed.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ledger.canonical import canonical_bytes
from ledger.certificates.statements import (
    VOUCHER_FIELDS,
    Evidence,
    StatementError,
    partners_of,
    period_bounds,
)
from ledger.corrections import Pair, fold
from ledger.fund.classify import NO_TABLES, FundClass, class_of
from ledger.fund.stock import LotStock, StockBook, UnitStock, moment_before, unit_stock
from ledger.fund.tables import FundTables
from ledger.fund.workers import OrderedPool
from ledger.rules import judge
from ledger.rules.codes import FUND_SCOPES, STATUSES

FUND_UNIT_COLUMNS = ("label", "category", "scope", "fund_category", "sub_class", "reason",
                     "counts", "received_at", "completed_at", "status", "version", "opening",
                     "closing", "last_entry")
OUTPUT_TYPES = ("material.output", "component.removed")  # the entries that put mass in a lot


def fund_header(*, plant: str, start: str, end: str, time_zone: str) -> dict[str, Any]:
    """The members of a fund table's statements that its parameters alone give."""
    return {"plant": plant, "period": period_bounds(start, end, time_zone),
            "columns": list(FUND_UNIT_COLUMNS)}


def lot_in_period(opened_at: str, shipped_at: str | None, since: str, until: str) -> bool:
    """Whether a lot had stock or moved in the period [since, until): opened before its end
    and not shipped before its start."""
    return opened_at < until and (shipped_at is None or shipped_at >= since)


def decimal_text(value: Decimal) -> str:
    """A rate, factor or amount as the document states it: a decimal string, no exponent."""
    return format(value.normalize(), "f")


class _Row:
    """One row of the form: its counting columns and, per version, what the fund pays."""

    def __init__(self, key: tuple[Any, ...]):
        self.key = key
        self.opening = self.received = self.closing = self.counted = 0
        self.dismantled = dict.fromkeys(STATUSES, 0)
        self.amounts: dict[str, list[Any]] = {}  # version -> [rate, units]
        self.standardised: dict[str, list[Any]] = {}  # version -> [factor, units]

    def record(self) -> dict[str, Any]:
        scope, category, sub_class, catalogue_category, code, field = self.key
        return {"scope": scope, "fund_category": category, "sub_class": sub_class,
                "catalogue_category": catalogue_category,
                "reason": None if code is None else {"code": code, "field": field},
                **_counting(self),
                "amounts": [{"version": v, "rate": decimal_text(rate), "units": units,
                             "amount": decimal_text(rate * units)}
                            for v, (rate, units) in sorted(self.amounts.items())],
                "standardised": [{"version": v, "factor": decimal_text(factor), "units": units,
                                  "volume": decimal_text(factor * units)}
                                 for v, (factor, units) in sorted(self.standardised.items())]}


def _counting(row: Any) -> dict[str, Any]:
    return {"opening": row.opening, "received": row.received,
            "dismantled": {**row.dismantled, "all": sum(row.dismantled.values())},
            "closing": row.closing, "counted": row.counted}


class _Sum:
    """The counting columns added up over rows."""

    def __init__(self) -> None:
        self.opening = self.received = self.closing = self.counted = 0
        self.dismantled = dict.fromkeys(STATUSES, 0)

    def add(self, row: _Row) -> None:
        self.opening += row.opening
        self.received += row.received
        self.closing += row.closing
        self.counted += row.counted
        for status, count in row.dismantled.items():
            self.dismantled[status] += count


# What a unit's line is derived from: its label, its entries' (index, bytes), and the other
# half of its desktop set with that unit's intakes so far (statements.SetIntakes.named_by).
UnitItem = tuple[str, list[tuple[int, bytes]], tuple[str, list[Pair]] | None]


@dataclass(frozen=True)
class UnitLine:
    """What one unit's chain gives the table: the outputs it put into lots and, when the unit
    is on the table (`found` is its class), its status and line (`text`, RFC 8785)."""

    label: str
    outputs: list[Pair]  # its effective outputs, as _slim keeps them
    found: FundClass | None = None  # None: off the table
    stock: UnitStock | None = None
    category: str = ""
    received_at: str = ""
    dismantled_at: str | None = None  # its completion, if before the period's end
    status: str | None = None
    text: str = ""


@dataclass(frozen=True)
class UnitDeriver:
    """A unit's line from its whole chain: the costly part of a table (folding, classing,
    judging), a pure function of the chain, the evidence and the period, so that a large
    table derives its units in worker processes (ledger.fund.workers)."""

    evidence: Evidence
    since: str
    until: str

    def __call__(self, item: UnitItem) -> UnitLine:
        """The line of a unit from its label, its entries' bytes and what it reads of the
        other half of its desktop set (statements.SetIntakes.named_by)."""
        label, entries, named = item
        chain = [(index, json.loads(body)["event"]) for index, body in entries]
        effective = fold(chain)[0]
        outputs = [(i, _slim(e)) for i, e in effective if e["type"] in OUTPUT_TYPES]
        received = next(((i, e) for i, e in effective if e["type"] == "unit.received"), None)
        completions = [(i, e) for i, e in effective if e["type"] == "unit.completed"]
        completed = completions[-1] if completions else None
        completed_at = completed[1]["time"] if completed else None
        if (received is None or received[1]["time"] >= self.until
                or (completed_at is not None and completed_at < self.since)):
            return UnitLine(label, outputs)  # voided intake, or not in stock in the period
        received_at: str = received[1]["time"]
        published = self.evidence.in_force(completed[0] if completed else None)
        found = (class_of(published.catalogue, [e for _, e in effective])
                 or FundClass("unclassified", reason=NO_TABLES))
        category = received[1]["data"]["category"]
        dismantled = completed_at is not None and completed_at < self.until
        status = (judge.judge_unit(chain, label, published.catalogue, self.evidence.last_pass,
                                   partners_of(named)).status if dismantled else None)
        line = [label, category, found.scope, found.category, found.sub_class,
                found.reason_record(),
                found.counts, received_at, completed_at, status, found.version,
                received_at < self.since, not dismantled, chain[-1][0]]
        return UnitLine(label, outputs, found, unit_stock(label, [e for _, e in effective]),
                        category, received_at, completed_at if dismantled else None, status,
                        canonical_bytes(line).decode())


class FundTable:
    """A fund table's figures, from entries `(index, subject, bytes)` fed in index order.

    `last_of(label)` is the last entry of the chain of each unit the table may list (None: not
    one of them); such a unit's line is derived when that entry arrives, judged with
    `evidence` (every catalogue and scale entry, read before, and the intakes naming desktop
    sets fed so far), and handed to `emit(received_at, label, text)` as its RFC 8785 text.
    Entries about other units are the outputs of units off the table into the lots carried
    and the intakes and completions of the other halves of the table's desktop sets (and
    corrections of them): only their lots, masses and intakes are kept. Entries about lots
    are the lots' chains. `result()` gives the rows, totals, days, fractions and destinations
    once every entry has been fed. With `workers`, the units' lines are derived in that many
    processes (ledger.fund.workers: the same figures, in the same order); call `close()`
    when done in any case.
    """

    def __init__(self, header: dict[str, Any], evidence: Evidence,
                 last_of: Callable[[str], int | None], emit: Callable[[str, str, str], None],
                 workers: int = 0):
        period = header["period"]
        self.since, self.until = period["from_utc"], period["until_utc"]
        self.zone = ZoneInfo(period["time_zone"])
        first, last = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
        self.days = {(first + timedelta(days=n)).isoformat(): [0, 0]
                     for n in range((last - first).days + 1)}
        self.evidence = evidence
        self.published = evidence.in_force(None)
        if self.published.catalogue.fund is None:
            raise StatementError(f"the catalogue in force (entry {self.published.entry}, "
                                 f"version {self.published.version}) carries no fund tables: "
                                 "publish a catalogue with them (dledger catalogue publish)")
        self.tables: FundTables = self.published.catalogue.fund
        self.last_of = last_of
        self.emit = emit
        self.pending: dict[str, list[tuple[int, bytes]]] = {}  # table units' entries so far
        self.loose: dict[str, list[Pair]] = {}  # entries about units off the table
        self.lot_chains: dict[str, list[Pair]] = {}
        self.lot_first: dict[str, int] = {}  # lot -> the first entry putting an output in it
        self.rows: dict[tuple[Any, ...], _Row] = {}
        for code, sub_class in self.tables.classes.items():
            self._row(("in_scope", sub_class.category, code, None, None, None))
        self.count = 0  # lines emitted
        self.left_out: list[str] = []  # units whose entries put them outside the table
        # the book (ledger/fund/stock.py) at the counts' moments and the period's bounds; a
        # lot's inputs are summed per span between those moments (all the book reads of them)
        self.stock = StockBook(evidence.counts, self.since, self.until)
        self.moments = sorted({moment_before(self.since), moment_before(self.until),
                               *(count.at for count in evidence.counts)})
        self.lot_inputs: dict[str, dict[str, int]] = {}
        self.derive = UnitDeriver(evidence, self.since, self.until)
        self.pool: OrderedPool[UnitItem, UnitLine] | None = (
            OrderedPool(self.derive, workers) if workers else None)

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def add(self, index: int, subject: str, body: bytes) -> str | None:
        """Feed one entry (its subject and exact bytes); the label of the table's unit it
        belongs to (None: another). A table unit's entries are parsed where its line is
        derived, in a worker process for a large table."""
        kind, _, name = subject.partition(":")
        if kind == "lot":
            self.lot_chains.setdefault(name, []).append((index, json.loads(body)["event"]))
            return None
        if kind != "unit":
            return None
        self.evidence.sets.see_bytes(index, body)  # it may be the other half of a set
        last = self.last_of(name)
        if last is None:
            self.loose.setdefault(name, []).append((index, _slim(json.loads(body)["event"])))
            return None
        chain = self.pending.setdefault(name, [])
        chain.append((index, body))
        if index == last:
            item = (name, self.pending.pop(name), self.evidence.sets.named_by(name))
            for line in self.pool.put(item) if self.pool else [self.derive(item)]:
                self._count(line)
        return name

    def unfinished(self) -> list[str]:
        """Units whose chain's last entry never came."""
        return sorted(self.pending)

    def _row(self, key: tuple[Any, ...]) -> _Row:
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = _Row(key)
        return row

    def _count(self, line: UnitLine) -> None:
        """Add a unit's line to the rows, days, book and lots."""
        self._outputs(line.outputs)
        found, status = line.found, line.status
        if found is None:
            self.left_out.append(line.label)
            return
        if line.stock is not None:
            self.stock.add_unit(line.stock)
        opening = line.received_at < self.since
        row = self._row(_row_key(line.category, found))
        row.opening += opening
        row.received += not opening
        row.closing += line.dismantled_at is None
        if not opening:
            self.days[self._day(line.received_at)][0] += 1
        if status is not None and line.dismantled_at is not None:
            row.dismantled[status] += 1
            self.days[self._day(line.dismantled_at)][1] += 1
            if status == STATUSES[0] and found.scope == "in_scope":
                row.counted += found.counts
                if found.version is not None and found.rate is not None:
                    row.amounts.setdefault(found.version, [found.rate, 0])[1] += found.counts
                if found.version is not None and found.factor is not None:
                    row.standardised.setdefault(found.version,
                                                [found.factor, 0])[1] += found.counts
        self.count += 1
        self.emit(line.received_at, line.label, line.text)

    def _day(self, at: str) -> str:
        return datetime.fromisoformat(at).astimezone(self.zone).date().isoformat()

    def _outputs(self, effective: list[Pair]) -> None:
        """The grams each effective output put into its lot before the period's end."""
        for index, event in effective:
            data = event["data"]
            if event["type"] in OUTPUT_TYPES and data.get("lot") and event["time"] < self.until:
                self.lot_first.setdefault(data["lot"], index)
                if data.get("mass_g") is not None:
                    moment = self.moments[bisect_left(self.moments, event["time"])]
                    spans = self.lot_inputs.setdefault(data["lot"], {})
                    spans[moment] = spans.get(moment, 0) + data["mass_g"]

    def result(self) -> dict[str, Any]:
        """The table's rows, totals, days, product per fraction and destinations."""
        if self.pool is not None:
            for line in self.pool.finish():
                self._count(line)
            self.close()
        for label, pairs in sorted(self.loose.items()):
            effective = fold(pairs)[0]
            received = [e for _, e in effective if e["type"] == "unit.received"]
            completed = [e for _, e in effective if e["type"] == "unit.completed"]
            if received and received[0]["time"] < self.until and not (
                    completed and completed[-1]["time"] < self.since):
                raise StatementError(f"unit {label} belongs on the table by its entries, but "
                                     "no line states it")
            self._outputs(effective)
        fractions, destinations = self._lots()
        order = self._order
        rows = [self.rows[key] for key in sorted(self.rows, key=order)]
        every, in_scope = _Sum(), _Sum()
        amounts: dict[str, list[Any]] = {}
        volumes: dict[str, list[Any]] = {}
        for row in rows:
            every.add(row)
            if row.key[0] == "in_scope":
                in_scope.add(row)
                for version, (rate, units) in row.amounts.items():
                    total = amounts.setdefault(version, [0, Decimal(0)])
                    total[0] += units
                    total[1] += rate * units
                for version, (factor, units) in row.standardised.items():
                    total = volumes.setdefault(version, [0, Decimal(0)])
                    total[0] += units
                    total[1] += factor * units
        published = self.published
        return {
            "catalogue": {"entry": published.entry, "version": published.version,
                          "sha256": published.sha256},
            "rows": [row.record() for row in rows],
            "totals": {**_counting(every), "in_scope": {
                **_counting(in_scope),
                "amounts": [{"version": v, "units": n, "amount": decimal_text(a)}
                            for v, (n, a) in sorted(amounts.items())],
                "standardised": [{"version": v, "units": n, "volume": decimal_text(a)}
                                 for v, (n, a) in sorted(volumes.items())]}},
            "days": [{"date": day, "received": r, "dismantled": d}
                     for day, (r, d) in self.days.items()],
            "fractions": fractions, "destinations": destinations,
            **self.voucher_annex(destinations),
            **self._stock(),
        }

    def _stock(self) -> dict[str, Any]:
        """The last stock count of the period against the book, and the period's
        reconciliation (ledger/fund/stock.py), once every unit and lot is on the book."""
        counts = [c for c in self.stock.counts_held() if self.since <= c["at"] < self.until]
        return {"stock_count": counts[-1] if counts else None,
                "reconciliation": self.stock.reconciliation()}

    def _opened(self) -> dict[str, dict[str, Pair]]:
        """Each lot carried with its effective events by type (the latest of each)."""
        lots = {}
        for lot, chain in self.lot_chains.items():
            found = {e["type"]: (i, e) for i, e in fold(chain)[0]}
            if "lot.opened" in found:
                lots[lot] = found
        return lots

    def _order(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        """Rows by scope, then in the tables' order of categories and sub-classes."""
        scope, category, sub_class = key[:3]
        categories, classes = list(self.tables.categories), list(self.tables.classes)
        return (FUND_SCOPES.index(scope),
                categories.index(category) if category in categories else len(categories),
                classes.index(sub_class) if sub_class in classes else len(classes),
                *(part or "" for part in key[1:]))

    def _lots(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Product per fraction and the lots shipped in the period, from the lots' chains:
        each lot is put on the book (ledger/fund/stock.py), whose flow over the period gives
        its grams before, put in, shipped and left, so the annex and the reconciliation are
        one computation."""
        lots = self._opened()
        for lot, index in sorted(self.lot_first.items()):
            if lot not in lots:
                raise StatementError(f"entry {index} puts an output into lot {lot}, whose "
                                     "lot.opened the entries do not hold")
        fractions: dict[tuple[str, bool], dict[str, int]] = {}
        destinations = []
        for lot, found in sorted(lots.items()):
            opened = found["lot.opened"][1]
            shipped = found.get("lot.shipped")
            shipped_at = shipped[1]["time"] if shipped else None
            fraction, hazardous = opened["data"]["fraction"], opened["data"]["hazardous"]
            flow = self.stock.add_lot(LotStock(
                lot, fraction, shipped_at, tuple(sorted(self.lot_inputs.get(lot, {}).items()))))
            assert flow is not None  # the table's book has the period's range
            if not lot_in_period(opened["time"], shipped_at, self.since, self.until):
                continue  # no stock and no move in the period
            returned = "lot.received" in found
            sums = fractions.setdefault((fraction, hazardous), dict.fromkeys(
                ("opening_g", "output_g", "shipped_g", "closing_g", "returned_g"), 0))
            sums["opening_g"] += flow["opening"]
            sums["output_g"] += flow["in"]
            sums["shipped_g"] += flow["out"]
            sums["returned_g"] += flow["out"] * returned
            sums["closing_g"] += flow["closing"]
            if shipped is not None and shipped[1]["time"] < self.until:
                destinations.append({**_destination(lot, found, fraction, hazardous),
                                     **self._registered(lot, shipped)})
        destinations.sort(key=lambda d: (d["shipped_at"], d["lot"]))
        return ([{"fraction": f, "hazardous": h, **sums}
                 for (f, h), sums in sorted(fractions.items())], destinations)


    def _registered(self, lot: str, shipped: Pair) -> dict[str, Any]:
        """A destination's receiver as the register stated it when the lot left, and what
        the lot's vouchers cover: for a shipment by the register's code (one by a free-text
        name, written before the register, states only what it did)."""
        index, data = shipped
        code = data["data"].get("receiver_code")
        if code is None:
            return {}
        entry = self.evidence.register.record(code, index)
        vouchers = self._vouchers(lot)
        return {"receiver": entry["legal_name"], "receiver_licence": entry["licence_no"],
                "receiver_code": code, "register_entry": entry["entry"],
                "vouchered_g": sum(v["quantity_g"] for v in vouchers)}

    def _vouchers(self, lot: str) -> list[dict[str, Any]]:
        """The lot's effective vouchers carried (below the checkpoint), in entry order."""
        return [{"lot": lot, "entry": i, "time": e["time"],
                 **{name: e["data"].get(name) for name in VOUCHER_FIELDS}}
                for i, e in fold(self.lot_chains.get(lot, []))[0] if e["type"] == "lot.voucher"]

    def voucher_annex(self, destinations: list[dict[str, Any]]) -> dict[str, Any]:
        """The annex of vouchers (物流, 信息流, 资金流 reconciled lot by lot): every voucher of
        the lots shipped in the period, by destination; stated only when there is one."""
        vouchers = [v for d in destinations for v in self._vouchers(d["lot"])]
        return {"vouchers": vouchers} if vouchers else {}
def _destination(lot: str, found: dict[str, Pair], fraction: str, hazardous: bool
                 ) -> dict[str, Any]:
    """A lot shipped in the period, as the annex lists it: where it went, under which
    manifest, and what of it counts (a hazardous lot only once its receipt came back)."""
    shipped = found["lot.shipped"]
    data = shipped[1]["data"]
    sealed, receipt = found.get("lot.sealed"), found.get("lot.received")
    net = sealed[1]["data"]["net_g"] if sealed else None
    returned = receipt is not None
    return {"lot": lot, "fraction": fraction, "hazardous": hazardous,
            "receiver": data.get("receiver"), "receiver_licence": data.get("receiver_licence"),
            "manifest_no": data["manifest_no"], "shipped_at": shipped[1]["time"],
            "entry": shipped[0], "net_g": net,
            "received_g": receipt[1]["data"]["received_g"] if receipt else None,
            "returned": returned, "counted_g": (net or 0) if returned or not hazardous else 0}


def _row_key(category: str | None, found: FundClass) -> tuple[Any, ...]:
    """A unit's row: in scope by sub-class; out of scope by fund category and reason; the
    others by catalogue category."""
    if found.scope == "in_scope":
        return ("in_scope", found.category, found.sub_class, None, None, None)
    if found.scope == "out_of_scope":
        return ("out_of_scope", found.category, None, None, found.reason, found.field)
    return (found.scope, found.category, None, category, found.reason, found.field)


def _slim(event: dict[str, Any]) -> dict[str, Any]:
    """An entry about a unit off the table as far as the table reads it: an output's lot,
    mass and time (a quarter's earlier outputs into lots still open may be many)."""
    if event["type"] not in OUTPUT_TYPES:
        return event
    data = event["data"]
    return {"type": event["type"], "subject": event["subject"], "time": event["time"],
            "data": {"lot": data.get("lot"), "mass_g": data.get("mass_g")}}
