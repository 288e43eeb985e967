"""The plant's storekeeping during the demo, as its people do it on the console's Stock pages:

- every unit weighed in is put in a units zone (`unit.stored`, by the warehouse) once the
  console holds its intake; its next bench takes it from there, once the console holds the
  move;
- every lot a bench opens is put in a products zone, or a hazardous-waste zone for a
  hazardous fraction (`lot.stored`), once the console holds its opening;
- a unit the generator holds back (units.py, `UnitPlan.hold`) is set aside by the manager as
  it is stored and taken back a while later (`unit.set_aside`, `unit.taken_back`); its next
  bench waits for it meanwhile;
- at the end of a demo day (line.py stops the benches between units) the workers count the
  floor blind: units per zone and category, every bin weighed on the intake's floor scale;
  the manager records the count (`stock.counted`) and explains each difference the book then
  shows, with its reason (`stock.adjusted`).

Where things go is read from the catalogue's zones (`Zones`), never named here. The events
are PLANT events through the Ledger API, as the console's Stock pages write them
(setup.plant_event: the demo imports nothing of web/); the book a count is held against, its
lines and their differences are ledger/fund/book.py's.

`Floor` is the simulation's truth of what stands where, which a count finds: what the book
held when the run started (what earlier runs left), then what this run stored, dismantled and
put into bins. A count is taken from it, never from the book.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dledger.demo.setup import MANAGER, STATIONS, USERS, SetupError, plant_event
from dledger.demo.units import UnitPlan
from dledger.demo.worker import Pace, Stopped
from ledger.catalogue import Catalogue
from ledger.events import utc_now_ms
from ledger.fund import book
from ledger.log import Ledger
from ledger.rules.facts import CountLine

LOG = logging.getLogger(__name__)
WAREHOUSE = USERS["worker"]  # who records moves on the Stock page (a worker may)
HOLD_S = 45.0  # how long a unit set aside stays aside, at a real pace
POLL_S = 0.1
# The count weighs every bin on the intake's floor scale.
COUNTING_SCALE = next(scale for spec in STATIONS if spec.work == "intake"
                      for scale in spec.scales if scale.role == "platform")
COUNTED_BY = ", ".join(spec.badge for spec in STATIONS)
REASON_BINS = (f"the bins weighed at the count on {COUNTING_SCALE.name} "
               f"({COUNTING_SCALE.resolution_g} g steps); the book adds the benches' weighings")
REASON_NO_ZONE = ("received but never recorded in a zone (left at the intake when an earlier "
                  "run stopped): not found in the waiting areas")
REASON_UNITS = "recounted: the count stands; the difference is looked into"


@dataclass(frozen=True)
class Zones:
    """The zone each category of unit and each fraction's lots go to.

    The catalogue gives each zone's kind, not what it holds within the kind: the units zones
    (in code order) take the categories in equal shares, the heaviest (by the catalogue's
    upper weight) in the first, as a plant keeps its large appliances apart from its small
    ones; the products zones share the fractions in the catalogue's order, and the hazardous
    zones the hazardous fractions."""

    units: dict[str, str]  # category -> zone
    lots: dict[str, str]  # fraction -> zone

    @classmethod
    def of(cls, catalogue: Catalogue) -> Zones:
        fractions = {kind: [code for code, f in catalogue.fractions.items()
                            if f.hazardous == (kind == "hazardous")]
                     for kind in ("products", "hazardous")}
        needed = {"units": sorted(catalogue.categories, key=lambda code: (
            -catalogue.categories[code].weight_g[1], code)), **fractions}
        zones = {kind: sorted(code for code, zone in catalogue.zones.items() if zone.kind == kind)
                 for kind in needed}
        missing = [kind for kind, codes in needed.items() if codes and not zones[kind]]
        if missing:
            raise SetupError(
                f"the catalogue in force has no storage zone of kind {' or '.join(missing)} "
                f"(its zones: {', '.join(sorted(catalogue.zones)) or 'none'}): the demo puts "
                "units and lots in zones as a plant does. Publish a catalogue with zones "
                "(`dledger catalogue publish`; see [zones] in ledger/catalogue.toml) or start "
                "over with `dledger demo --fresh`")
        return cls(_share(needed["units"], zones["units"]),
                   {**_share(fractions["products"], zones["products"]),
                    **_share(fractions["hazardous"], zones["hazardous"])})


def _share(codes: list[str], zones: list[str]) -> dict[str, str]:
    """`codes` in order, in equal consecutive shares over `zones`."""
    return {code: zones[i * len(zones) // len(codes)] for i, code in enumerate(codes)}


@dataclass
class Floor:
    """What physically stands where: the book at the run's start, then this run's moves."""

    carried: dict[CountLine, int]  # the book when the run started
    units: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> zone, category
    bins: dict[str, tuple[str, int]] = field(default_factory=dict)  # lot -> fraction, grams
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stored(self, label: str, zone: str, category: str) -> None:
        with self.lock:
            self.units[label] = (zone, category)

    def dismantled(self, label: str) -> None:
        with self.lock:
            self.units.pop(label, None)

    def filled(self, lot: str, fraction: str, grams: int) -> None:
        with self.lock:
            _, before = self.bins.get(lot, (fraction, 0))
            self.bins[lot] = (fraction, before + grams)

    def count(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """A blind count: units per zone and category (units in no zone are not found), and
        per fraction its bins weighed on the counting scale (what earlier runs left, as one
        load), in the shape of `stock.counted`."""
        step = COUNTING_SCALE.resolution_g
        units: Counter[tuple[str, str]] = Counter()
        loads: dict[str, list[int]] = {}
        with self.lock:
            for (kind, zone, code), n in self.carried.items():
                if kind == "units" and zone is not None:
                    units[(zone, code)] += n
                elif kind == "fraction":
                    loads.setdefault(code, []).append(n)
            for zone, category in self.units.values():
                units[(zone, category)] += 1
            for fraction, grams in self.bins.values():
                loads.setdefault(fraction, []).append(grams)
        counted = [{"zone": zone, "category": category, "units": n}
                   for (zone, category), n in sorted(units.items()) if n]
        weighed = [{"fraction": fraction, "mass_g": sum((g + step // 2) // step * step
                                                        for g in grams)}
                   for fraction, grams in sorted(loads.items()) if sum(grams)]
        return counted, weighed


@dataclass
class _Task:
    """PLANT events about `subject` to append once the console holds `after` (event ids)."""

    subject: str
    after: frozenset[str]
    events: list[tuple[str, str, dict[str, Any], str]]  # id, type, data, operator
    done: Callable[[], None] | None = None  # called once appended


class Storekeeper:
    """The warehouse and the manager at the console: `unit` and `lot` hand them work, which
    `run` (a thread of the line) does as soon as the console holds what it follows."""

    def __init__(self, ledger: Ledger, catalogue: Catalogue, pace: Pace, stop: threading.Event,
                 plant_zone: ZoneInfo):
        self.ledger, self.pace, self.stop, self.plant_zone = ledger, pace, stop, plant_zone
        self.zones = Zones.of(catalogue)
        self.floor = Floor(book.book_at(ledger, utc_now_ms()))
        self.tasks: queue.Queue[_Task] = queue.Queue()
        self.pending: list[_Task] = []
        self.holds: list[tuple[float, _Task]] = []  # (when, the taking back)
        self.open = 0  # tasks handed in and not yet done (holds excluded)
        self.changed = threading.Condition()
        self.working = threading.Lock()  # one round at a time
        self.closing = threading.Event()
        self.units_stored: list[str] = []
        self.lots_stored: list[str] = []
        self.set_aside: list[str] = []
        self.counts: list[str] = []

    # -- work handed in -------------------------------------------------------------------------

    def unit(self, plan: UnitPlan, intake: list[str]) -> list[str]:
        """Put the unit weighed in (events `intake`) in its zone, and set it aside if it is
        held back; the ids of the events its next bench waits for."""
        zone = self.zones.units[plan.category]
        stored = str(uuid.uuid4())
        events = [(stored, "unit.stored", {"zone": zone}, WAREHOUSE)]
        ids = [stored]
        taking_back = None
        if plan.hold is not None:
            reason, note = plan.hold
            aside, back = str(uuid.uuid4()), str(uuid.uuid4())
            events.append((aside, "unit.set_aside", {"reason": reason}, MANAGER))
            ids += [aside, back]
            taking_back = _Task(f"unit:{plan.label}", frozenset(),
                                [(back, "unit.taken_back", {"note": note}, MANAGER)])

        def done() -> None:
            self.floor.stored(plan.label, zone, plan.category)
            self.units_stored.append(plan.label)
            if taking_back is not None:
                self.set_aside.append(plan.label)
                self.holds.append((time.monotonic() + self.pace.seconds(HOLD_S), taking_back))

        self._hand_in(_Task(f"unit:{plan.label}", frozenset(intake), events, done))
        return ids

    def lot(self, lot: str, fraction: str, opened: list[str]) -> None:
        """Put the lot just opened (events `opened`) in the zone for its fraction."""
        self._hand_in(_Task(f"lot:{lot}", frozenset(opened), [
            (str(uuid.uuid4()), "lot.stored", {"zone": self.zones.lots[fraction]}, WAREHOUSE)],
            lambda: self.lots_stored.append(lot)))

    def _hand_in(self, task: _Task) -> None:
        with self.changed:
            self.open += 1
        self.tasks.put(task)

    # -- doing it -------------------------------------------------------------------------------

    def run(self) -> None:
        """Until `close()` and nothing is left to do (units held back taken back); Stopped
        when the demo stops (what is left waits for `finish`)."""
        while True:
            self._round()
            with self.changed:
                if self.closing.is_set() and not self.open and not self.holds:
                    return
            if self.stop.wait(POLL_S):
                raise Stopped

    def close(self) -> None:
        self.closing.set()

    def settle(self) -> None:
        """Wait until everything handed in is done (a unit held back may stay aside)."""
        with self.changed:
            while self.open:
                if self.stop.is_set():
                    raise Stopped
                self.changed.wait(POLL_S)

    def finish(self, timeout: float = 10.0) -> list[str]:
        """After a stop: do what the console now allows of what is left (within `timeout`);
        the subjects still waiting. Units held back stay aside."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._round(take_back=False)
            with self.changed:
                if not self.open:
                    return []
            time.sleep(POLL_S)
        return sorted({task.subject for task in self.pending})

    def _round(self, take_back: bool = True) -> None:
        """Do every task the console now allows, and (`take_back`) take back the units whose
        hold is over."""
        with self.working:
            while True:
                try:
                    self.pending.append(self.tasks.get_nowait())
                except queue.Empty:
                    break
            for task in list(self.pending):
                if self._held(task):
                    self._do(task)
                    self.pending.remove(task)
                    with self.changed:
                        self.open -= 1
                        self.changed.notify_all()
            now = time.monotonic()
            for due in [h for h in self.holds if take_back and h[0] <= now]:
                self._do(due[1])
                self.holds.remove(due)

    def _held(self, task: _Task) -> bool:
        """Whether the console holds every event `task` follows."""
        if not task.after:
            return True
        return task.after <= {e["id"] for _, e in self.ledger.subject_entries(task.subject)}

    def _do(self, task: _Task) -> None:
        self.ledger.append([plant_event(etype, task.subject, data, operator, event_id=eid)
                            for eid, etype, data, operator in task.events])
        if task.done is not None:
            task.done()

    # -- the stock count ------------------------------------------------------------------------

    def count(self, note: str) -> str | None:
        """Count the floor blind, record it, and adjust each line whose count differs from the
        book, with its reason; the count's id (None: nothing in stock to count)."""
        units, fractions = self.floor.count()
        if not units and not fractions:
            return None
        name = book.new_count_name(self.ledger, datetime.now(self.plant_zone).date())
        self.ledger.append([plant_event("stock.counted", f"count:{name}", {
            "units": units, "fractions": fractions, "counted_by": COUNTED_BY, "note": note},
            MANAGER)])
        held = next(c for c in book.held(self.ledger).counts_held() if c["count"] == name)
        adjustments = [plant_event("stock.adjusted", f"count:{name}", adjusted(line), MANAGER)
                       for line in held["lines"] if line["difference"]]
        if adjustments:
            self.ledger.append(adjustments)
        self.counts.append(name)
        return name


def adjusted(line: dict[str, Any]) -> dict[str, Any]:
    """The manager's `stock.adjusted` of a count's line (ledger.fund.stock's lines): the
    difference the book shows, and why the count found it."""
    data: dict[str, Any] = {"difference": line["difference"], "approved_by": MANAGER}
    if line["kind"] == "fraction":
        return {**data, "fraction": line["code"], "reason": REASON_BINS}
    if line["zone"] is None:
        return {**data, "category": line["code"], "reason": REASON_NO_ZONE}
    LOG.warning("stock count: %s units of %s in zone %s, the book has %s", line["counted"],
                line["code"], line["zone"], line["book"])
    return {**data, "zone": line["zone"], "category": line["code"], "reason": REASON_UNITS}
