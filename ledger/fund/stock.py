"""The book of what is in stock, a stock count held against it, and the reconciliation of a
range: the one definition the console, the fund table and the verifier use.

- A unit is **in stock** at moment `t` from its `unit.received` (time ≤ t) until its
  `unit.completed` (time ≤ t); set aside, it is still in stock. It stands in the zone of its
  latest `unit.stored` (or `unit.set_aside` into a zone) at or before `t`, or in no zone.
- A fraction's **mass in stock** at `t` is what was put into its lots (material outputs and
  weighed components, time ≤ t) of every lot not shipped at `t`.
- A **stock count** (`stock.counted`) states units per zone and category and grams per
  fraction. Its lines are every category counted or on the book in each zone it counts, the
  units on the book in no zone (never countable: record where units are), and each fraction
  it counts. A line's difference is counted - book.
- A manager's **adjustment** (`stock.adjusted`) of a line states the difference it explains,
  with the reason; the book adds it from the count's moment on. What an adjustment does not
  explain stays an **unexplained** difference.

Standard library only: the verifier runs it. Times are the ledger's UTC text, which sorts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ledger.corrections import Pair, fold
from ledger.rules.facts import CountLine, count_line

FLOW = ("opening", "in", "out", "closing")  # units: received, dismantled; grams: put in, shipped


@dataclass(frozen=True)
class UnitStock:
    """What the book needs of a unit: when it came in and out, and where it stood."""

    label: str
    category: str
    received_at: str
    completed_at: str | None
    moves: tuple[tuple[str, str], ...] = ()  # (time, zone), in entry order

    def line_at(self, t: str) -> CountLine | None:
        """The book line the unit is on at `t` (None: not in stock then)."""
        if self.received_at > t or (self.completed_at is not None and self.completed_at <= t):
            return None
        zone = None
        for at, where in self.moves:
            if at <= t:
                zone = where
        return ("units", zone, self.category)


def unit_stock(label: str, events: Iterable[dict[str, Any]]) -> UnitStock | None:
    """A unit's stock record from its effective events (corrections folded), oldest first;
    None if it was never received."""
    received = completed = None
    moves = []
    for event in events:
        etype = event["type"]
        if etype == "unit.received":
            received = event
        elif etype == "unit.completed":
            completed = event["time"]
        elif etype in ("unit.stored", "unit.set_aside") and event["data"].get("zone"):
            moves.append((event["time"], event["data"]["zone"]))
    if received is None:
        return None
    return UnitStock(label, received["data"]["category"], received["time"], completed,
                     tuple(moves))


@dataclass(frozen=True)
class LotStock:
    """What the book needs of a lot: its fraction, what went in and when it left."""

    lot: str
    fraction: str
    shipped_at: str | None
    inputs: tuple[tuple[str, int], ...]  # (time, grams) put in

    def grams_at(self, t: str) -> int:
        if self.shipped_at is not None and self.shipped_at <= t:
            return 0
        return sum(grams for at, grams in self.inputs if at <= t)


@dataclass(frozen=True)
class Adjustment:
    entry: int
    line: CountLine
    difference: int
    reason: str
    approved_by: str
    at: str


@dataclass(frozen=True)
class Count:
    """A stock count as its chain (`count:<id>`) has it, corrections folded."""

    count: str
    entry: int
    at: str
    counted_by: str
    units: dict[CountLine, int]
    fractions: dict[CountLine, int]
    adjustments: dict[CountLine, Adjustment] = field(default_factory=dict)

    @property
    def zones(self) -> set[str | None]:
        return {zone for _, zone, _ in self.units}


def count_record(count: str, pairs: Iterable[Pair]) -> Count | None:
    """The count from its chain's entries; None if it holds no stock.counted."""
    effective, _ = fold(list(pairs))
    found = None
    adjustments = {}
    for index, event in effective:
        data = event["data"]
        if event["type"] == "stock.counted":
            found = (index, event)
        elif event["type"] == "stock.adjusted":
            line = count_line(data)
            adjustments[line] = Adjustment(index, line, data["difference"], data["reason"],
                                           data["approved_by"], event["time"])
    if found is None:
        return None
    index, event = found
    data = event["data"]
    return Count(count, index, event["time"], data["counted_by"],
                 {("units", u["zone"], u["category"]): u["units"] for u in data["units"]},
                 {("fraction", None, f["fraction"]): f["mass_g"] for f in data["fractions"]},
                 adjustments)


def lot_stock(lot: str, lot_events: Iterable[dict[str, Any]],
              inputs: Iterable[tuple[str, int | None]]) -> LotStock | None:
    """A lot's stock record from its own effective events and the (time, grams) of what was
    put into it (an unweighed component adds nothing); None if it was never opened."""
    opened = shipped = None
    for event in lot_events:
        if event["type"] == "lot.opened":
            opened = event["data"]["fraction"]
        elif event["type"] == "lot.shipped":
            shipped = event["time"]
    if opened is None:
        return None
    return LotStock(lot, opened, shipped,
                    tuple((at, grams) for at, grams in inputs if grams is not None))


def records(pairs: Iterable[Pair]) -> tuple[list[Count], list[UnitStock], list[LotStock]]:
    """The counts, units and lots of a set of entries (a certificate's, a test's, the sample
    day's), every chain folded at once: for entries that fit in memory."""
    chains: dict[str, list[Pair]] = defaultdict(list)
    for index, event in pairs:
        chains[event["subject"]].append((index, event))
    folded = {subject: [e for _, e in fold(chain)[0]] for subject, chain in chains.items()}
    counts = [count_record(s[len("count:"):], chains[s]) for s in chains
              if s.startswith("count:")]
    units, lots = [], []
    inputs: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    for subject, events in folded.items():
        if not subject.startswith("unit:"):
            continue
        found = unit_stock(subject[len("unit:"):], events)
        if found is not None:
            units.append(found)
        for event in events:
            if event["type"] in ("material.output", "component.removed") \
                    and event["data"].get("lot"):
                inputs[event["data"]["lot"]].append((event["time"], event["data"].get("mass_g")))
    for subject, events in folded.items():
        if subject.startswith("lot:"):
            name = subject[len("lot:"):]
            lot = lot_stock(name, events, inputs.get(name, []))
            if lot is not None:
                lots.append(lot)
    return [c for c in counts if c is not None], units, lots


def book_of(pairs: Iterable[Pair], start_utc: str | None = None,
            until_utc: str | None = None) -> StockBook:
    """The StockBook of a set of entries that fit in memory (see `records`)."""
    counts, units, lots = records(pairs)
    book = StockBook(counts, start_utc, until_utc)
    for unit in units:
        book.add_unit(unit)
    for lot in lots:
        book.add_lot(lot)
    return book


def book_at_moment(pairs: Iterable[Pair], t: str) -> dict[CountLine, int]:
    """The book at moment `t` from a set of entries that fit in memory, before any count's
    adjustment (what a count at `t` is held against)."""
    _, units, lots = records(pairs)
    book: dict[CountLine, int] = defaultdict(int)
    for unit in units:
        if (line := unit.line_at(t)) is not None:
            book[line] += 1
    for lot in lots:
        book[("fraction", None, lot.fraction)] += lot.grams_at(t)
    return dict(book)


class StockBook:
    """The book at each count's moment and at a range's bounds, fed one unit and one lot at a
    time (a quarter's 250,000 units are never held): `add_unit`, `add_lot`, then `counts()`
    and `reconciliation()`."""

    def __init__(self, counts: Iterable[Count], start_utc: str | None = None,
                 until_utc: str | None = None):
        self.counts = sorted(counts, key=lambda c: (c.at, c.entry))
        self.start, self.until = start_utc, until_utc
        self.base: dict[str, dict[CountLine, int]] = {c.count: defaultdict(int)
                                                      for c in self.counts}
        self.flow: dict[CountLine, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(FLOW, 0))
        # the book's moments of the range's opening and closing stock, computed once
        self.moments = (None if start_utc is None or until_utc is None
                        else (moment_before(start_utc), moment_before(until_utc)))

    def add_unit(self, unit: UnitStock) -> None:
        for count in self.counts:
            line = unit.line_at(count.at)
            if line is not None:
                self.base[count.count][line] += 1
        if self.start is None or self.until is None or self.moments is None:
            return
        flow = self.flow[("units", None, unit.category)]
        before, last = self.moments
        flow["opening"] += unit.line_at(before) is not None
        flow["closing"] += unit.line_at(last) is not None
        flow["in"] += self.start <= unit.received_at < self.until
        flow["out"] += (unit.completed_at is not None
                        and self.start <= unit.completed_at < self.until)

    def add_lot(self, lot: LotStock) -> dict[str, int] | None:
        """Put a lot on the book; its flow over the range (FLOW: grams in stock before it,
        put in during it, shipped during it, in stock at its end), None without a range."""
        line = ("fraction", None, lot.fraction)
        for count in self.counts:
            self.base[count.count][line] += lot.grams_at(count.at)
        if self.start is None or self.until is None or self.moments is None:
            return None
        before, last = self.moments
        shipped = lot.shipped_at is not None and self.start <= lot.shipped_at < self.until
        flow = {"opening": lot.grams_at(before),
                "in": sum(g for at, g in lot.inputs if self.start <= at < self.until),
                "out": sum(g for _, g in lot.inputs) if shipped else 0,
                "closing": lot.grams_at(last)}
        total = self.flow[line]
        for name, grams in flow.items():
            total[name] += grams
        return flow

    def counts_held(self) -> list[dict[str, Any]]:
        """Each count's lines against the book (with the adjustments of earlier counts),
        oldest first."""
        adjusted: dict[CountLine, list[tuple[str, int]]] = defaultdict(list)
        results = []
        for count in self.counts:
            base = self.base[count.count]
            lines = _lines(count, base)
            result = []
            for line in lines:
                book = base.get(line, 0) + sum(d for at, d in adjusted[line] if at <= count.at)
                counted = (count.units if line[0] == "units" else count.fractions).get(line, 0)
                adjustment = count.adjustments.get(line)
                explained = adjustment.difference if adjustment else 0
                result.append({"kind": line[0], "zone": line[1], "code": line[2],
                               "book": book, "counted": counted, "difference": counted - book,
                               "adjustment": _adjustment(adjustment),
                               "unexplained": counted - book - explained})
            for line, adjustment in count.adjustments.items():
                adjusted[line].append((count.at, adjustment.difference))
            results.append({"count": count.count, "entry": count.entry, "at": count.at,
                            "counted_by": count.counted_by, "lines": result,
                            "unexplained": sum(1 for r in result if r["unexplained"])})
        return results

    def reconciliation(self) -> dict[str, Any]:
        """Per catalogue category (units: in = received, out = dismantled) and fraction
        (grams: in = put into lots, out = shipped): opening + in - out = closing on the book
        (`balance` 0), the adjustments the range's counts documented, and every difference
        they leave unexplained."""
        if self.start is None or self.until is None:
            raise ValueError("a reconciliation needs the range's bounds")
        held = self.counts_held()
        in_range = [c for c in held if self.start <= c["at"] < self.until]
        rows = []
        for line in sorted(self.flow, key=lambda k: (k[0] != "units", k[2])):
            flow = self.flow[line]
            adjustments = sum(
                r["adjustment"]["difference"] for c in in_range for r in c["lines"]
                if r["adjustment"] and (r["kind"], r["code"]) == (line[0], line[2]))
            balance = flow["opening"] + flow["in"] - flow["out"] - flow["closing"]
            rows.append({"kind": line[0], "code": line[2], **flow,
                         "balance": balance, "adjustments": adjustments})
        unexplained = [{"count": c["count"], "entry": c["entry"], **r}
                       for c in in_range for r in c["lines"] if r["unexplained"]]
        return {"rows": rows, "counts": [c["count"] for c in in_range],
                "unexplained": unexplained,
                "balanced": all(r["balance"] == 0 for r in rows) and not unexplained}


def _lines(count: Count, base: dict[CountLine, int]) -> list[CountLine]:
    zones = count.zones
    units = {line for line in (*count.units, *base) if line[0] == "units"
             and (line[1] in zones or (line[1] is None and zones and base.get(line)))}
    return sorted(units, key=lambda k: (k[1] or "", k[2])) + sorted(count.fractions)


def _adjustment(found: Adjustment | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"entry": found.entry, "difference": found.difference, "reason": found.reason,
            "approved_by": found.approved_by, "at": found.at}


def moment_before(bound: str) -> str:
    """The last moment before `bound` (a millisecond UTC time; ranges are half-open)."""
    moment = datetime.fromisoformat(bound) - timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
