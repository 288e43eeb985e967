"""The line: units flow intake (ST-01) → refrigerant recovery (ST-02) → dismantling (ST-03).

One worker per station, each on its own thread, passing units on through small buffers, as
on a real floor. A unit moves on only once the console holds what the last station recorded
(the next station reads the unit's history from the console, as a real one does). Units
without refrigerant go from intake straight to dismantling.

Incidents come from the units (units.py) and from the line: now and then the intake
station's network goes down for a few units (its outbox keeps them; they catch up when it
comes back), recovery cylinders fill up and are replaced, lots fill up and are sealed.

The storekeeper (storage.py) puts each unit weighed in in its zone, and each lot opened in
its zone; the next bench takes a unit once the console holds its move (and, if the manager
held it back, its taking back). At the end of each demo day (every `count_every` units
received, and when the line has done its units) the benches stop between units, the outboxes
reach the console, and the floor is counted: the stock count and its adjustments.

A unit a station refuses is put aside (for the supervisor) and the worker takes the next
one; a bench that has put aside PUT_ASIDE_IN_A_ROW units in a row stops the line with the
last refusal (a plant stops the line when every unit is refused, it does not take in more).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dledger.demo.network import Link
from dledger.demo.setup import Cylinder, Cylinders
from dledger.demo.storage import Storekeeper
from dledger.demo.units import UnitPlan, UnitSource
from dledger.demo.worker import Pace, Stopped, Tally, Unexpected, Worker
from station.client import HttpClient
from station.outbox import Unreachable

LOG = logging.getLogger(__name__)
BUFFER = 6  # units waiting between two benches
LOT_SUFFIX = {"steel": "STEEL", "copper": "CU", "aluminium": "AL", "plastics": "PLASTICS",
              "cables": "CABLES", "pcb": "PCB", "motor": "MOTOR", "compressor": "COMPRESSOR",
              "pu_foam": "PUFOAM", "glass": "GLASS", "lcd_panel": "LCD",
              "crt_panel_glass": "CRTPANEL", "crt_funnel_glass": "CRTFUNNEL",
              "concrete": "CONCRETE", "oil": "OIL", "battery": "BATTERY",
              "capacitor": "CAPACITOR", "mercury_backlight": "LAMPS"}
LOT_FULL_G = 150_000  # a bin or bag is sealed when its contents reach this
LOT_FULL_OUTPUTS = 40
PUT_ASIDE_IN_A_ROW = 3  # a bench refused this many units in a row: the line stops
DRAIN_S = 60.0  # for the outboxes to reach the console before a stock count


class Halted(Exception):
    """A bench keeps refusing units: the line stops (the message says why)."""


@dataclass
class Handoff:
    plan: UnitPlan
    events: list[str]  # what the last station recorded: the next waits for the console


class Shift:
    """The benches at work, and the pause of the line for a stock count: a bench starts a
    unit only while the line is not paused (`working`), and the count waits until no bench
    is in the middle of one (`paused`)."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        self.changed = threading.Condition()
        self.busy = 0
        self.pausing = False

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        with self.changed:
            while self.pausing:
                self._wait()
            self.busy += 1
        try:
            yield
        finally:
            with self.changed:
                self.busy -= 1
                self.changed.notify_all()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        with self.changed:
            self.pausing = True
        try:
            with self.changed:
                while self.busy:
                    self._wait()
            yield
        finally:
            with self.changed:
                self.pausing = False
                self.changed.notify_all()

    def _wait(self) -> None:
        if self.stop.is_set():
            raise Stopped
        self.changed.wait(0.2)


class Lots:
    """A station's open lots, one per fraction; opened, filled and sealed by its worker, put
    in their zone by the storekeeper."""

    def __init__(self, worker: Worker, tag: str, store: Storekeeper):
        self.worker = worker
        self.tag = tag
        self.store = store
        self.open: dict[str, dict[str, Any]] = {}
        self.numbers: dict[str, int] = {}

    def select(self, fraction: str) -> None:
        """Scan the fraction's bin (opening a new lot when there is none)."""
        lot = self.open.get(fraction)
        if lot is None:
            number = self.numbers[fraction] = self.numbers.get(fraction, 0) + 1
            lot = {"label": f"LOT-{LOT_SUFFIX[fraction]}-{self.tag}-{number:02d}", "net_g": 0,
                   "outputs": 0}
            self.worker.scan(lot["label"])
            opened = self.worker.press("open_lot", fraction=fraction)
            self.store.lot(lot["label"], fraction, opened["events"])
            self.open[fraction] = lot
        elif self.worker.rig.ws.session.lot != lot["label"]:
            self.worker.scan(lot["label"])

    def filled(self, fraction: str, grams: int) -> None:
        lot = self.open[fraction]
        lot["net_g"] += grams
        lot["outputs"] += 1
        self.store.floor.filled(lot["label"], fraction, grams)

    def seal_full(self) -> None:
        """Seal every lot that is full: scan it, weigh the whole bin, press Seal."""
        for fraction, lot in list(self.open.items()):
            if lot["net_g"] >= LOT_FULL_G or lot["outputs"] >= LOT_FULL_OUTPUTS:
                self.worker.scan(lot["label"])
                self.worker.weigh("platform", lot["net_g"], "seal_lot")
                self.worker.clear("platform")
                del self.open[fraction]


class Line:
    """The three benches at work; `run()` returns when `units` are done or on stop."""

    def __init__(self, workers: dict[str, Worker], links: dict[str, Link], console_url: str,
                 source: UnitSource, cylinders: Cylinders, store: Storekeeper, pace: Pace,
                 tally: Tally, stop: threading.Event, units: int | None, lot_tag: str,
                 outage_every: int, outage_units: int = 3, count_every: int = 0):
        self.workers, self.links = workers, links
        self.console = HttpClient(console_url, timeout=5, read_timeout=5,
                                  quiet_after_failure_s=0.2)
        self.source, self.cylinders, self.pace, self.tally = source, cylinders, pace, tally
        self.store, self.shift = store, Shift(stop)
        self.stop, self.units = stop, units
        self.outage_every, self.outage_units = outage_every, outage_units
        self.count_every = count_every
        self.to_recovery: queue.Queue[Handoff | None] = queue.Queue(BUFFER)
        self.to_dismantling: queue.Queue[Handoff | None] = queue.Queue(BUFFER)
        self.recovery_lots = Lots(workers["recovery"], lot_tag, store)
        self.dismantling_lots = Lots(workers["dismantling"], lot_tag, store)
        self.in_use: dict[str, tuple[Cylinder, int]] = {}  # gas -> (cylinder, gross now)
        self.errors: list[str] = []
        self.received = 0
        self.in_a_row: dict[str, int] = {}  # bench -> units put aside since its last success

    def run(self) -> None:
        store = threading.Thread(target=self._guard, args=("storekeeper", self.store.run),
                                 name="storekeeper", daemon=True)
        store.start()
        threads = [threading.Thread(target=self._guard, args=(name, work), name=name,
                                    daemon=True)
                   for name, work in (("intake", self._intake), ("recovery", self._recovery),
                                      ("dismantling", self._dismantling))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.store.close()
        store.join()
        if not self.stop.is_set():  # the line has done its units: the day's count
            self._guard("stock count", lambda: self._count("end of the demo day: the waiting "
                                                           "areas and every bin"))

    def _guard(self, name: str, work: Callable[[], None]) -> None:
        """Run one bench; an error stops the line (and is reported), a stop ends it."""
        try:
            work()
        except Stopped:
            pass
        except Halted as exc:
            LOG.warning("the line stops: %s", exc)
            self.errors.append(f"{name}: {exc}")
            self.stop.set()
        except Exception as exc:
            LOG.exception("the %s bench failed", name)
            self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            self.stop.set()

    # -- ST-01 intake ---------------------------------------------------------------------------

    def _intake(self) -> None:
        worker = self.workers["intake"]
        worker.sign_in()
        outage_left = counted_at = 0
        link = self.links[worker.rig.id]
        try:
            for plan in self._plans():
                if self.count_every and self.received and link.connected \
                        and self.received % self.count_every == 0 \
                        and self.received != counted_at:
                    counted_at = self.received
                    self._count(f"end of a demo day of {self.count_every} units: the waiting "
                                "areas and every bin")
                if self.outage_every and self.received and outage_left == 0 \
                        and self.received % self.outage_every == 0 and link.connected:
                    link.cut()
                    outage_left = self.outage_units
                    started, held = time.monotonic(), 0
                    self.tally.note("station_offline")
                began = time.monotonic()
                try:
                    handoff = self._receive(worker, plan)
                except Unexpected as exc:
                    self._put_aside(worker, plan, exc, "intake")
                    handoff = None
                if handoff is not None:
                    self.in_a_row["intake"] = 0
                    self.tally.took("intake", time.monotonic() - began)
                    handoff.events += self.store.unit(plan, handoff.events)
                    if plan.hold is not None:
                        self.tally.note("set_aside")
                if not link.connected:
                    held = max(held, worker.rig.ws.outbox.counts()["pending"])
                    outage_left -= 1
                    if outage_left == 0:
                        link.restore()
                        self.tally.outages.append({
                            "station": worker.rig.id, "units_while_offline": self.outage_units,
                            "events_kept_in_outbox": held,
                            "offline_s": round(time.monotonic() - started, 1)})
                if handoff is None:
                    continue
                self.received += 1
                self._put(self.to_recovery if plan.recovery else self.to_dismantling, handoff)
        finally:
            link.restore()
            self._put(self.to_recovery, None, always=True)

    def _plans(self) -> Iterator[UnitPlan]:
        for plan in self.source:
            if self.units is not None and self.received >= self.units:
                return
            yield plan

    def _receive(self, worker: Worker, plan: UnitPlan) -> Handoff | None:
        worker.think(6)  # the next unit is brought to the floor scale
        worker.scan(plan.label)
        if plan.trade_in_code:
            worker.think(1)
            duplicate = "duplicate_trade_in" in plan.incidents
            worker.scan(plan.trade_in_code,
                        expect=frozenset({"duplicate_trade_in"}) if duplicate else frozenset())
            if duplicate:  # the code came with another unit: put aside for the supervisor
                self.tally.note("duplicate_trade_in")
                self.tally.put_aside.append({"station": worker.rig.id, "unit": plan.label,
                                             "why": "duplicate_trade_in"})
                worker.think(2)
                worker.press("cancel")
                return None  # the refusal is recorded (attempt.refused); the next unit
        worker.think(1.5)
        worker.press("select_category", category=plan.category)
        details: dict[str, Any] = {"brand": plan.brand, "model": plan.model,
                                   "serial": plan.serial}
        if not plan.trade_in_code:
            details["source"] = plan.source
        if plan.refrigerant:
            details |= {"nameplate_refrigerant": plan.refrigerant,
                        "nameplate_charge_g": plan.charge_g}
        worker.think(3)
        worker.press("set_details", **details)
        outcome = worker.weigh("platform", plan.gross_g, "weigh_intake",
                               wobble="unstable_scale" in plan.incidents)
        worker.clear("platform")
        return Handoff(plan, outcome["events"])

    # -- ST-02 refrigerant recovery -------------------------------------------------------------

    def _recovery(self) -> None:
        worker = self.workers["recovery"]
        worker.sign_in()
        try:
            while (handoff := self._take(self.to_recovery)) is not None:
                done = self._unit_step(worker, handoff, self._recover, "recovery")
                if done is not None:
                    self._put(self.to_dismantling, done)
        finally:
            self._put(self.to_dismantling, None, always=True)

    def _recover(self, worker: Worker, plan: UnitPlan) -> list[str]:
        events: list[str] = []
        if plan.absent_reason:
            worker.think(4)
            self.tally.note("circuit_empty")
            events += worker.press("refrigerant_absent", reason=plan.absent_reason,
                                   note="gauge reads 0 bar at the service valve")["events"]
        elif plan.refrigerant and plan.recovered_g is not None:
            cylinder, gross = self._cylinder(plan.refrigerant, plan.charge_g or 0)
            selected = worker.rig.ws.session.cylinder
            if selected is None or selected.id != cylinder.id:
                worker.scan(cylinder.id)
            worker.weigh("cylinder", gross, "recovery_before")
            worker.think(6)  # the recovery machine runs
            worker.place("cylinder", gross + plan.recovered_g,
                         settle_ms=self.pace.settle_ms() * 2)
            worker.think(0.8)
            outcome = worker.press("recovery_after")
            if "low_recovery" in plan.incidents:  # the ledger flags it at completion
                self.tally.note("low_recovery")
            self.in_use[plan.refrigerant] = (cylinder, gross + plan.recovered_g)
            events += outcome["events"]
        for component in plan.components:
            if component.code == "compressor_oil":  # drained at the recovery bench
                events += self._component(worker, self.recovery_lots, component)
        self.recovery_lots.seal_full()
        return events

    def _cylinder(self, gas: str, charge_g: int) -> tuple[Cylinder, int]:
        """The cylinder for `gas`, a new empty one when this unit's charge would not fit."""
        cylinder, gross = self.in_use.get(gas, (None, 0))
        if cylinder is None or gross + charge_g > cylinder.max_gross_g:
            if cylinder is not None:
                self.tally.note("cylinder_full")
            cylinder = self.cylinders.register(gas)
            gross = cylinder.tare_g
            self.in_use[gas] = (cylinder, gross)
        return cylinder, gross

    # -- ST-03 dismantling ----------------------------------------------------------------------

    def _dismantling(self) -> None:
        worker = self.workers["dismantling"]
        worker.sign_in()
        while (handoff := self._take(self.to_dismantling)) is not None:
            self._unit_step(worker, handoff, self._dismantle, "dismantling")

    def _dismantle(self, worker: Worker, plan: UnitPlan) -> list[str]:
        lots = self.dismantling_lots
        events: list[str] = []
        for component in plan.components:
            if component.code != "compressor_oil":
                events += self._component(worker, lots, component)
        for output in plan.outputs:
            lots.select(output.fraction)
            worker.think(2.5)  # taking the unit apart
            events += worker.weigh("platform", output.mass_g, "output",
                                   fraction=output.fraction)["events"]
            worker.clear("platform")
            lots.filled(output.fraction, output.mass_g)
        worker.think(1)
        events += worker.press("complete")["events"]
        self.store.floor.dismantled(plan.label)
        with self.tally.lock:
            self.tally.completed.append(plan.label)
        lots.seal_full()
        return events

    def _component(self, worker: Worker, lots: Lots, component: Any) -> list[str]:
        worker.think(3)
        if component.mass_g is None:
            return worker.press("component", component=component.code,
                                count=component.count)["events"]
        catalogue = worker.rig.ws.catalogue
        if catalogue is None:  # the plant waits for it before the line starts (plant.py)
            raise Halted(f"{worker.rig.id} holds no process catalogue: restart the demo")
        fraction = catalogue.components[component.code].fraction
        lots.select(fraction)
        outcome = worker.weigh("platform", component.mass_g, "component",
                               component=component.code, count=component.count, weigh=1)
        worker.clear("platform")
        lots.filled(fraction, component.mass_g)
        return outcome["events"]

    # -- passing units on -----------------------------------------------------------------------

    def _unit_step(self, worker: Worker, handoff: Handoff, work: Any, bench: str
                   ) -> Handoff | None:
        """Scan the unit in (once the console has it), do `work`; a refusal the worker did
        not expect puts the unit aside (it stays in work in progress) and the line goes on."""
        plan = handoff.plan
        self._arrived(plan.label, handoff.events)
        with self.shift.working():
            try:
                began = time.monotonic()
                worker.think(2)
                worker.scan(plan.label)
                done = Handoff(plan, work(worker, plan) or handoff.events)
                self.in_a_row[bench] = 0
                self.tally.took(bench, time.monotonic() - began)
                return done
            except Unexpected as exc:
                self._put_aside(worker, plan, exc, bench)
                return None

    def _put_aside(self, worker: Worker, plan: UnitPlan, why: Unexpected, bench: str) -> None:
        """What a worker does with a refusal they did not expect: put the unit aside for the
        supervisor (it stays in work in progress) and take the next one; after
        PUT_ASIDE_IN_A_ROW in a row, stop the line (Halted)."""
        LOG.warning("%s: put aside: %s", plan.label, why)
        self.tally.put_aside.append({"station": worker.rig.id, "unit": plan.label,
                                     "why": str(why)})
        worker.press("cancel")
        self.in_a_row[bench] = self.in_a_row.get(bench, 0) + 1
        if self.in_a_row[bench] >= PUT_ASIDE_IN_A_ROW:
            raise Halted(f"{worker.rig.id} refused {self.in_a_row[bench]} units in a row "
                         f"(the last: {why})")

    # -- the stock count ------------------------------------------------------------------------

    def _count(self, note: str) -> None:
        """The benches stop between units, the storekeeper finishes, the stations' outboxes
        reach the console; then the floor is counted (storage.py) and the line goes on."""
        with self.shift.paused():
            self.store.settle()
            deadline = time.monotonic() + DRAIN_S
            while any(w.rig.ws.outbox.counts()["pending"] for w in self.workers.values()):
                if time.monotonic() > deadline:
                    raise Halted(f"the stations' outboxes did not reach the console within "
                                 f"{DRAIN_S:g} s for the stock count: is the console running?")
                if self.stop.wait(0.1):
                    raise Stopped
            if self.store.count(note) is not None:
                self.tally.note("stock_count")

    def _arrived(self, label: str, events: list[str]) -> None:
        """Wait until the console holds `events` of unit `label` (the unit's trolley waits
        at the bench until the screen knows it)."""
        wanted = set(events)
        while True:
            if self.stop.is_set():
                raise Stopped
            try:
                known = {e["id"] for _, e in self.console.subject_entries(f"unit:{label}")}
            except Unreachable:
                known = set()
            if wanted <= known:
                return
            time.sleep(0.2)

    def _put(self, buffer: queue.Queue[Handoff | None], item: Handoff | None,
             always: bool = False) -> None:
        while True:
            if self.stop.is_set() and not always:
                raise Stopped
            try:
                buffer.put(item, timeout=0.2)
                return
            except queue.Full:
                if always and self.stop.is_set():  # stopping: make room for the end marker
                    with contextlib.suppress(queue.Empty):
                        buffer.get_nowait()

    def _take(self, buffer: queue.Queue[Handoff | None]) -> Handoff | None:
        while True:
            if self.stop.is_set():
                raise Stopped
            try:
                return buffer.get(timeout=0.2)
            except queue.Empty:
                continue
