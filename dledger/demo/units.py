"""The units a plant receives, made up but realistic: what the demo's workers process.

Category mix as a small plant's day (examples/make_sample_events.py); gross weights typical
of each category, inside the catalogue's accepted range; refrigerants and nameplate charges
as fridges and room air conditioners really carry them (docs/reference/refrigerants.md);
outputs whose shares fall inside the catalogue's yield ranges and add up to slightly less
than the unit (dust, water, small losses), so the station's mass balance holds; hazardous
components with their counts. Now and then what a plant really sees: a low recovery (a leaky
circuit), a circuit already empty, a trade-in code presented twice, a scale that will not
settle, a unit the manager holds back for a while (set aside, then taken back: storage.py).
Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ledger.catalogue import Catalogue, Category

# How many of each a day brings in (examples/make_sample_events.py MIX).
MIX = {"fridge": 14, "room_ac": 8, "washing_machine": 10, "crt_tv": 8, "flat_tv": 8,
       "desktop_pc": 6, "laptop": 4, "crt_monitor": 3, "flat_monitor": 4, "range_hood": 2,
       "electric_water_heater": 2, "gas_water_heater": 1, "microwave": 2}

# Typical gross weight as received, grams (narrower than the catalogue's accepted range).
GROSS_G = {"fridge": (35_000, 80_000), "room_ac": (30_000, 60_000),
           "washing_machine": (25_000, 70_000), "crt_tv": (15_000, 40_000),
           "flat_tv": (8_000, 25_000), "desktop_pc": (7_000, 12_000), "laptop": (1_500, 3_500),
           "crt_monitor": (10_000, 20_000), "flat_monitor": (3_000, 8_000),
           "range_hood": (12_000, 22_000), "electric_water_heater": (15_000, 35_000),
           "gas_water_heater": (8_000, 15_000), "microwave": (10_000, 18_000)}

# Refrigerant: (gas, share of units, nameplate charge range in grams).
REFRIGERANTS = {
    "fridge": [("R-600a", 0.6, (40, 90)), ("R-134a", 0.3, (80, 180)),
               ("R-12", 0.1, (100, 200))],
    "room_ac": [("R-22", 0.35, (700, 1500)), ("R-410A", 0.4, (800, 1800)),
                ("R-32", 0.2, (500, 1100)), ("R-290", 0.05, (150, 350))],
}

BRANDS = {
    "fridge": ["Haier", "Midea", "Meiling", "Ronshen", "Siemens", "Panasonic", "Hisense"],
    "room_ac": ["Gree", "Midea", "Haier", "AUX", "Chigo"],
    "washing_machine": ["Little Swan", "Haier", "Midea", "Panasonic", "Rongshida"],
    "crt_tv": ["Changhong", "Konka", "TCL", "Skyworth", "Panda"],
    "flat_tv": ["Hisense", "TCL", "Skyworth", "Sony", "Sharp", "Changhong"],
    "desktop_pc": ["Lenovo", "Founder", "Dell", "Tongfang"],
    "laptop": ["Lenovo", "Dell", "ASUS", "Acer"],
    "crt_monitor": ["Samsung", "LG", "ViewSonic"],
    "flat_monitor": ["Dell", "AOC", "Lenovo", "Samsung"],
    "range_hood": ["Robam", "Fotile"],
    "electric_water_heater": ["Haier", "A.O. Smith", "Midea"],
    "gas_water_heater": ["Vanward", "Rinnai"],
    "microwave": ["Galanz", "Midea"],
}
SOURCES = (("trade_in", 0.35), ("collector", 0.3), ("municipal", 0.15), ("retailer", 0.12),
           ("business", 0.08))
COUNTS = {"capacitor": (1, 3), "pcb": (1, 2), "battery": (1, 1), "mercury_backlight": (2, 12),
          "compressor_oil": (1, 1)}

# How often (per unit that can have it) the plant sees each incident.
RATES = {"low_recovery": 0.12, "circuit_empty": 0.05, "duplicate_trade_in": 0.06,
         "unstable_scale": 0.06, "set_aside": 0.04}
FIRST_BY = 4  # each incident shows by the 4th unit that can have it: a short demo sees all
OPTIONAL_STEP = 0.7  # an optional output or component is there this often
ACCOUNTED = (97.0, 99.5)  # what the outputs weigh, per cent of the gross (the rest is lost)
# Why a manager holds a unit back after its intake (unit.set_aside), and the note when it is
# taken back (unit.taken_back).
HOLDS = (("owner disputes the trade-in voucher; hold until checked",
          "voucher checked with the retailer"),
         ("the collector's list gives another serial number; hold until checked",
          "serial number confirmed by the collector"),
         ("kept for the environmental inspector's spot check", "spot check done"))


@dataclass(frozen=True)
class Component:
    code: str
    count: int
    mass_g: int | None  # weighed into its lot when its fraction has a yield range


@dataclass(frozen=True)
class Output:
    fraction: str
    mass_g: int


@dataclass(frozen=True)
class UnitPlan:
    """One unit and what the workers will find in it."""

    label: str
    category: str
    gross_g: int
    brand: str
    model: str
    serial: str
    source: str
    trade_in_code: str | None
    refrigerant: str | None = None
    charge_g: int | None = None
    recovered_g: int | None = None  # None: nothing to recover (see absent_reason)
    absent_reason: str | None = None
    components: tuple[Component, ...] = ()
    outputs: tuple[Output, ...] = ()
    incidents: frozenset[str] = field(default_factory=frozenset)
    hold: tuple[str, str] | None = None  # set aside after intake: (reason, note on taking back)

    @property
    def recovery(self) -> bool:
        """Whether the unit goes through refrigerant recovery (station ST-02)."""
        return self.refrigerant is not None or self.absent_reason is not None


class UnitSource:
    """An endless, seeded stream of units with consecutive labels."""

    def __init__(self, catalogue: Catalogue, *, seed: int = 1, first_label: int = 1,
                 plant: str = "CN3301", year: int = 2026, resolution_g: int = 10):
        self.catalogue = catalogue
        self.rng = random.Random(seed)  # noqa: S311 -- made-up units, not secrets
        self.next_label = first_label
        self.plant, self.year = plant, year
        self.resolution_g = resolution_g  # the intake floor scale's division
        self.trade_in_codes: list[str] = []
        self.eligible: Counter[str] = Counter()
        self.seen: set[str] = set()
        self._put_aside = False

    def __iter__(self) -> Iterator[UnitPlan]:
        while True:
            yield self.next()

    def next(self) -> UnitPlan:
        rng = self.rng
        code = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        category = self.catalogue.category(code)
        low, high = GROSS_G[code]
        low, high = max(low, category.weight_g[0]), min(high, category.weight_g[1])
        gross = round(rng.uniform(low, high) / self.resolution_g) * self.resolution_g
        label = f"{self.plant}-{self.year}-{self.next_label:07d}"
        self.next_label += 1
        incidents: set[str] = set()
        source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
        trade_in = None
        self._put_aside = False
        if source == "trade_in":
            if self.trade_in_codes and self._happens("duplicate_trade_in"):
                trade_in = rng.choice(self.trade_in_codes)
                incidents.add("duplicate_trade_in")
                self._put_aside = True
            else:
                trade_in = f"TI-{self.year}-11-{rng.randrange(10**7):07d}"
                self.trade_in_codes.append(trade_in)
        if self._happens("unstable_scale"):
            incidents.add("unstable_scale")
        brand = rng.choice(BRANDS[code])
        model = f"{brand[:2].upper()}-{rng.randrange(100, 999)}{rng.choice('ABCDEX')}"
        plan = UnitPlan(label=label, category=code, gross_g=gross, brand=brand, model=model,
                        serial=f"{rng.randrange(16**10):010X}", source=source,
                        trade_in_code=trade_in)
        refrigerant = self._refrigerant(category, incidents)
        components, outputs = self._contents(category, gross, refrigerant.get("recovered_g"))
        hold = None
        if self._happens("set_aside"):
            incidents.add("set_aside")
            hold = rng.choice(HOLDS)
        return replace(plan, **refrigerant, components=components, outputs=outputs,
                       incidents=frozenset(incidents), hold=hold)

    def _happens(self, incident: str) -> bool:
        """Whether this unit has `incident`: at its rate, and surely by the FIRST_BY-th unit
        that could have it if it has not happened yet."""
        if self._put_aside:  # a unit refused at intake shows nothing further
            return False
        self.eligible[incident] += 1
        first = self.eligible[incident] == FIRST_BY and incident not in self.seen
        if first or self.rng.random() < RATES[incident]:
            self.seen.add(incident)
            return True
        return False

    def _refrigerant(self, category: Category, incidents: set[str]) -> dict[str, Any]:
        if not category.refrigerant_bearing:
            return {}
        rng = self.rng
        gases = REFRIGERANTS[category.code]
        gas, _, (low, high) = rng.choices(gases, weights=[w for _, w, _ in gases])[0]
        charge = rng.randrange(low, high + 1)
        if self._happens("circuit_empty"):
            incidents.add("circuit_empty")
            reason = ("pumped_down_before_collection" if category.code == "room_ac"
                      else "circuit_empty")
            return {"refrigerant": None, "absent_reason": reason}
        if self._happens("low_recovery"):
            incidents.add("low_recovery")
            share = rng.uniform(0.35, 0.85)
        else:
            share = rng.uniform(0.92, 0.995)
        return {"refrigerant": gas, "charge_g": charge,
                "recovered_g": max(1, round(charge * share))}

    def _contents(self, category: Category, gross: int, recovered_g: int | None
                  ) -> tuple[tuple[Component, ...], tuple[Output, ...]]:
        """Components and outputs; weighed ones share the gross within the yield ranges."""
        rng = self.rng
        components: list[str] = []
        fractions: list[str] = []
        for step in category.steps:
            if not step.required and rng.random() > OPTIONAL_STEP:
                continue
            if step.kind == "component":
                components.append(step.target or "")
            elif step.kind == "output":
                fractions.append(step.target or "")
        weighed = {c: self.catalogue.components[c].fraction for c in components
                   if self.catalogue.components[c].fraction in category.yields}
        shares = self._shares(category, [*fractions, *weighed.values()],
                              rng.uniform(*ACCOUNTED) - 100 * (recovered_g or 0) / gross)
        made = tuple(Component(c, rng.randint(*COUNTS.get(c, (1, 1))),
                               max(5, round(gross * shares[weighed[c]] / 100))
                               if c in weighed else None) for c in components)
        outputs = tuple(Output(f, max(5, round(gross * share / 100)))
                        for f, share in shares.items() if f not in weighed.values())
        return made, outputs

    def _shares(self, category: Category, fractions: list[str], total: float
                ) -> dict[str, float]:
        """Per-cent shares of `fractions`, each inside its yield range (with a margin), that
        add up to `total` when the ranges allow (else as close as they allow)."""
        rng = self.rng
        ranges = {}
        for fraction in dict.fromkeys(fractions):
            # the catalogue's exact decimals, as floats: a simulated share is not a record
            low, high = map(float, category.yields.get(fraction, (0.5, 5.0)))
            margin = (high - low) * 0.08
            ranges[fraction] = (low + margin, high - margin)
        if not ranges:
            return {}
        if sum(high for _, high in ranges.values()) < total:  # too few outputs: all of them
            missing = [f for f in category.yields if f not in ranges and any(
                s.code == f"output:{f}" for s in category.steps)]
            for fraction in missing:
                low, high = map(float, category.yields[fraction])
                ranges[fraction] = (low + (high - low) * 0.08, high - (high - low) * 0.08)
        shares = {f: low + rng.random() * (high - low) for f, (low, high) in ranges.items()}
        gap = total - sum(shares.values())
        room = {f: (ranges[f][1] - s) if gap > 0 else (s - ranges[f][0])
                for f, s in shares.items()}
        spare = sum(room.values())
        if spare > 0:
            move = min(1.0, abs(gap) / spare)
            shares = {f: s + (move * room[f] if gap > 0 else -move * room[f])
                      for f, s in shares.items()}
        return shares
