"""Property tests of the rules (ledger/rules/judge.check): random valid plants are accepted,
and each single mutation of a valid event that breaks a rule is refused with that rule's
code, judged against a simple in-memory World, and a few plants on the real Ledger (SQLite).
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import catalogue as process_catalogue
from ledger.catalogue import Catalogue
from ledger.events import PLANT_STATION, parse_event
from ledger.fund.nameplate import FIELDS as NAMEPLATE
from ledger.log import AppendError, Ledger, Submission
from ledger.rules import judge
from ledger.rules.facts import CylinderFacts, Event, LotFacts, ReceiverFacts, UnitFacts
from ledger.rules.reasons import Refusal
from ledger.store import migrate, open_engine

CATALOGUE = process_catalogue.load()
START = datetime(2026, 11, 20, tzinfo=UTC)
LOGGED = "2026-11-30T00:00:00.000Z"  # when the in-memory judge logs every event
FAR_FUTURE = "2100-01-01T00:00:00.000Z"  # beyond any clock skew of both judges' logging times
TARE_G, WATER_G = 7_700, 21_600
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def at(step: int) -> str:
    return (START + timedelta(seconds=step)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def lot_of(fraction: str) -> str:
    return f"LOT-{fraction.upper().replace('_', '-')}"


def cylinder_of(gas: str) -> str:
    return f"CYL-{gas}"


@dataclass
class MemoryWorld:
    """What the ledger would hold, from the events accepted so far (no corrections)."""

    catalogue: Catalogue | None
    events: list[Event] = field(default_factory=list)

    def of(self, subject: str) -> list[tuple[int, Event]]:
        return [(i, e) for i, e in enumerate(self.events) if e["subject"] == subject]

    def unit(self, label: str) -> UnitFacts:
        return UnitFacts.of(label, self.of(f"unit:{label}"))

    def lot(self, lot: str) -> LotFacts | None:
        return LotFacts.of(lot, self.of(f"lot:{lot}"))

    def cylinder(self, cylinder: str) -> CylinderFacts | None:
        registered = self.of(f"cylinder:{cylinder}")
        recoveries = [(i, e) for i, e in enumerate(self.events)
                      if e["type"] == "refrigerant.recovered"
                      and e["data"]["cylinder"] == cylinder]
        last = recoveries[-1] if recoveries else None
        return CylinderFacts(cylinder, registered[0][1]["data"] if registered else None,
                             registered[0][0] if registered else None,
                             last[1]["data"]["cylinder_gross_after_g"] if last else None,
                             last[0] if last else None)

    def trade_in_holder(self, code: str) -> str | None:
        return next((e["subject"].split(":", 1)[1] for e in self.events
                     if e["type"] == "unit.received" and e["data"].get("trade_in_code") == code),
                    None)

    def station_registered_at(self, station: str) -> str | None:
        return None

    def raised_flags(self, subject: str) -> list[tuple[str, str | None]] | None:
        return None

    def receiver(self, code: str) -> ReceiverFacts | None:
        return ReceiverFacts.of(code, self.of(f"receiver:{code}"))

    def register_in_use(self) -> bool | None:
        return any(e["subject"].startswith("receiver:") for e in self.events)


# -- random valid plants ---------------------------------------------------------------------


@st.composite
def plants(draw: st.DrawFn, fridges: int = 0) -> list[Event]:
    """Cylinders for every gas, a lot per fraction, then units of random categories taken
    through their routes (refrigerant recovered or a reason, components, outputs, complete);
    the first `fridges` units are fridges recovering into the one cylinder of their gas."""
    events: list[Event] = []

    def add(etype: str, subject: str, data: dict[str, Any]) -> None:
        events.append({"id": str(uuid.UUID(int=len(events) + 1, version=4)),
                       "type": etype, "time": at(len(events)), "station": PLANT_STATION,
                       "operator": "M-0001", "subject": subject, "data": data})

    add("scale.calibrated", "scale:SC-1", {"reference_g": 10_000, "reading_g": 10_000,
                                           "tolerance_g": 5, "passed": True})
    gross_after: dict[str, int] = {}
    for gas in CATALOGUE.refrigerant_sg:
        limit = process_catalogue.guideline_k_max_gross_g(gas, WATER_G, TARE_G, CATALOGUE)
        add("cylinder.registered", f"cylinder:{cylinder_of(gas)}",
            {"refrigerant": gas, "tare_g": TARE_G, "water_capacity_g": WATER_G,
             "max_gross_g": limit})
        gross_after[gas] = TARE_G + draw(st.integers(0, 3))
    for fraction in CATALOGUE.fractions.values():
        add("lot.opened", f"lot:{lot_of(fraction.code)}",
            {"fraction": fraction.code, "hazardous": fraction.hazardous})
    codes = sorted(CATALOGUE.categories)
    for n in range(fridges + draw(st.integers(1, 4))):
        category = CATALOGUE.categories["fridge" if n < fridges else draw(st.sampled_from(codes))]
        label = f"CN3301-2026-{n:07d}"
        subject = f"unit:{label}"
        low, high = category.weight_g
        gross = draw(st.integers(low, high))
        intake: dict[str, Any] = {"category": category.code, "gross_g": gross, "scale": "SC-1",
                                  "source": "collector"}
        gas = None
        if category.refrigerants:
            gas = category.refrigerants[0] if n < fridges else \
                draw(st.sampled_from(category.refrigerants))
        if gas:
            intake.update(nameplate_refrigerant=gas,
                          nameplate_charge_g=draw(st.integers(40, 400)))
        add("unit.received", subject, intake)
        for step in category.steps:
            if not step.required and not draw(st.booleans()):
                continue
            if step.code == "refrigerant":
                if n < fridges or draw(st.booleans()):
                    before = gross_after[gas]
                    recovered = draw(st.integers(1, intake["nameplate_charge_g"]))
                    gross_after[gas] = before + recovered
                    add("refrigerant.recovered", subject,
                        {"refrigerant": gas, "cylinder": cylinder_of(gas),
                         "cylinder_gross_before_g": before,
                         "cylinder_gross_after_g": before + recovered,
                         "recovered_g": recovered, "scale": "SC-1"})
                else:
                    reason = draw(st.sampled_from([r for r in CATALOGUE.absent_reasons
                                                   if r != "not_refrigerant_bearing"]))
                    add("refrigerant.absent", subject, {"reason": reason})
            elif step.kind == "component":
                component = CATALOGUE.components[step.target]
                add("component.removed", subject,
                    {"component": component.code, "count": 1,
                     "mass_g": draw(st.integers(1, gross // 50)), "scale": "SC-1",
                     "lot": lot_of(component.fraction)})
        outputs = [s.target for s in category.steps if s.kind == "output"
                   and (s.required or draw(st.booleans()))] or \
            [next(s.target for s in category.steps if s.kind == "output")]
        for fraction in outputs:
            add("material.output", subject,
                {"fraction": fraction, "mass_g": draw(st.integers(1, gross // len(outputs))),
                 "lot": lot_of(fraction), "scale": "SC-1"})
        add("unit.completed", subject, {})
    return events


def judge_all(events: list[Event]) -> MemoryWorld:
    """Check each event against the world before it, then add it; raises Refusal."""
    world = MemoryWorld(CATALOGUE)
    for event in events:
        judge.check(event, world, LOGGED)
        world.events.append(event)
    return world


@PROPERTY
@given(plants())
def test_random_valid_plants_are_accepted(events: list[Event]) -> None:
    judge_all(events)


# -- single mutations, each breaking one rule --------------------------------------------------


def _data(event: Event, **changes: Any) -> Event:
    return {**event, "data": {**event["data"], **changes}}


def _gross(events: list[Event], subject: str) -> int:
    return next(e["data"]["gross_g"] for e in events
                if e["subject"] == subject and e["type"] == "unit.received")


def mutations(events: list[Event]) -> list[tuple[int, Event, str]]:
    """(position, the event put there instead, the rule it breaks) for the plant `events`."""
    found: list[tuple[int, Event, str]] = []
    seen_cylinder: set[str] = set()
    for i, event in enumerate(events):
        etype, data = event["type"], event["data"]
        found.append((i, {**event, "time": FAR_FUTURE}, "time_in_future"))
        if etype == "unit.received":
            high = CATALOGUE.categories[data["category"]].weight_g[1]
            found.append((i, _data(event, gross_g=high + 1), "weight_out_of_range"))
            found.append((i, _data(event, category="spaceship"), "unknown_category"))
            implies = (CATALOGUE.fund.products[data["category"]].implies
                       if CATALOGUE.fund and data["category"] in CATALOGUE.fund.products else {})
            for name, implied in list(implies.items())[:1]:  # e.g. a CRT said to be an LCD
                other = next(c for c in NAMEPLATE[name].choices if c != implied)
                found.append((i, _data(event, **{name: other}), "nameplate_contradicts"))
            if data.get("nameplate_refrigerant"):
                found.append((i + 1, {**event, "type": "unit.completed", "data": {}},
                              "no_recovery"))
        elif etype == "lot.opened":
            found.append((i, _data(event, hazardous=not data["hazardous"]),
                          "lot_hazard_mismatch"))
        elif etype == "material.output":
            other = next(f for f in CATALOGUE.fractions if f != data["fraction"])
            found.append((i, _data(event, lot=lot_of(other)), "wrong_lot"))
            found.append((i, _data(event, mass_g=_gross(events, event["subject"]) + 1),
                          "impossible_mass"))
        elif etype == "refrigerant.recovered":
            cylinder = data["cylinder"]
            found.append((i, _data(event, cylinder="CYL-UNREGISTERED"), "unknown_cylinder"))
            limit = next(e["data"]["max_gross_g"] for e in events
                         if e["subject"] == f"cylinder:{cylinder}")
            found.append((i, _data(event, cylinder_gross_after_g=limit + 1,
                                   recovered_g=limit + 1 - data["cylinder_gross_before_g"]),
                          "cylinder_overfill"))
            if cylinder in seen_cylinder:
                skip = CATALOGUE.tolerances.cylinder_reweigh_g + 1
                found.append((i, _data(event,
                                       cylinder_gross_before_g=data["cylinder_gross_before_g"]
                                       + skip,
                                       cylinder_gross_after_g=data["cylinder_gross_after_g"]
                                       + skip), "cylinder_discontinuous"))
            seen_cylinder.add(cylinder)
        elif etype == "unit.completed":
            found.append((i + 1, {**events[i - 1], "id": str(uuid.uuid4())},
                          "already_completed"))
    return found


def _refused_code(events: list[Event], position: int, bad: Event) -> str | None:
    world = judge_all(events[:position])
    try:
        judge.check(bad, world, LOGGED)
    except Refusal as refusal:
        return refusal.code
    return None


@PROPERTY
@given(st.integers(0, 2).flatmap(lambda fridges: plants(fridges)), st.data())
def test_each_single_mutation_is_refused_with_its_rule(events: list[Event],
                                                       data: st.DataObject) -> None:
    found = mutations(events)
    for position, bad, rule in data.draw(st.lists(st.sampled_from(found), min_size=1,
                                                  max_size=4, unique_by=lambda m: m[2])):
        assert _refused_code(events, position, bad) == rule, (rule, bad)


def test_every_mutation_kind_is_drawn() -> None:
    """The mutations cover the rules this file claims."""
    kinds = {"time_in_future", "weight_out_of_range", "unknown_category", "no_recovery",
             "lot_hazard_mismatch", "wrong_lot", "impossible_mass", "unknown_cylinder",
             "cylinder_overfill", "cylinder_discontinuous", "already_completed",
             "nameplate_contradicts"}
    drawn: set[str] = set()

    @settings(max_examples=10, deadline=None, database=None)
    @given(plants(fridges=2))
    def collect(events: list[Event]) -> None:
        drawn.update(rule for _, _, rule in mutations(events))

    collect()
    assert drawn == kinds


# -- the real Ledger on SQLite ------------------------------------------------------------------


def _ledger(folder: str) -> Ledger:
    engine = open_engine(f"sqlite:///{Path(folder) / 'ledger.db'}")
    migrate(engine)
    ledger = Ledger(engine)
    ledger.publish_catalogue(CATALOGUE, "default", operator="A-0001")
    return ledger


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plants(), st.data())
def test_the_ledger_accepts_plants_and_refuses_mutations_with_the_same_code(
        events: list[Event], data: st.DataObject) -> None:
    position, bad, rule = data.draw(st.sampled_from(mutations(events)))
    with tempfile.TemporaryDirectory() as folder:
        ledger = _ledger(folder)
        try:
            ledger.append([Submission(parse_event(e)) for e in events[:position]])
            size = ledger.size()
            with pytest.raises(AppendError) as refused:
                ledger.append([Submission(parse_event(bad))])
            assert refused.value.rule == rule
            assert ledger.size() == size
            ledger.append([Submission(parse_event(e)) for e in events[position:]])
            assert ledger.size() == 1 + len(events)
        finally:
            ledger.engine.dispose()
