"""Make `examples/sample-events.jsonl`: one realistic day of a small licensed plant.

Plant CN3301, Friday 2026-11-20, day shift 08:00-17:00 Asia/Shanghai (the events carry UTC
times, 00:00-09:00Z). Three stations sign their events: ST-01 intake (floor scale SC-1),
ST-02 refrigerant recovery and depollution (cylinder scale SC-2, bench scale SC-3) and ST-03
dismantling (bench scale SC-3); the console (PLANT) registers the stations and the two
receivers, opens, seals and ships lots to them and records their vouchers, corrects a
mis-typed mass, issues and revokes certificates, rotates the plant key and, in the evening,
records the plant's identity and the operators register. Everything is made up: units,
trade-in codes, brands' model numbers, receivers, licence and manifest numbers, the plant's
name and credit code, its people.

The output is deterministic: a seeded `random.Random`, event ids drawn from it, and
**sample keys**: each station key is SHA-256("dledger-sample-station:" + name) and the two
plant keys SHA-256("dledger-sample-plant:" + n). Anyone can derive them from this docstring:
they are for this example only and must never be used for a real station or plant.

The day is judged by the ledger's rules (ledger/rules/) against the default process catalogue
(`ledger.catalogue.load()`), which a fresh `dledger init` publishes at entry 0: the file holds
no `catalogue.published` of its own (a second publication of the same content would be a new
entry, not a duplicate, as its id and time differ) and its entries count from 1. Append it to
a *fresh* instance (the correction names the entry it corrects by index)::

    DLEDGER_HOME=/tmp/demo DLEDGER_KEY_PASSPHRASE='sample passphrase 1' dledger init
    DLEDGER_HOME=/tmp/demo dledger append examples/sample-events.jsonl
    DLEDGER_HOME=/tmp/demo dledger audit

Regenerate with `python examples/make_sample_events.py` (or `--check` to compare only).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from dledger.demo.units import BRANDS  # noqa: E402  (the demo's generator names the same brands)
from ledger import catalogue as process_catalogue  # noqa: E402
from ledger.canonical import canonical_bytes  # noqa: E402
from ledger.events import voucher_amount  # noqa: E402
from ledger.fund import stock  # noqa: E402
from ledger.note import Signer  # noqa: E402
from ledger.rules.reasons import DUPLICATE_TRADE_IN  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "sample-events.jsonl"
SEED = 20261120
PLANT = "PLANT"
PLANT_CODE = "CN3301"
DATE = "20261120"
MANAGER = "M-0001"
WAREHOUSE = "W-0041"  # yard and warehouse lead: lots at the console
PLANT_KEY_NAME = "ledger.sample-plant.example/CN3301"
SHIFT_START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 08:00 Asia/Shanghai
LUNCH = (datetime(2026, 11, 20, 3, 30, tzinfo=UTC), datetime(2026, 11, 20, 4, 30, tzinfo=UTC))
LAST_START = datetime(2026, 11, 20, 8, 35, tzinfo=UTC)  # 16:35 local: no new unit on a bench
LINE_STOP = datetime(2026, 11, 20, 8, 55, tzinfo=UTC)  # 16:55 local: the line stops
FIRST_LABEL = 4812  # CN3301-2026-0004812 is the day's first label
CATALOGUE = process_catalogue.load()  # the default catalogue, entry 0 of a fresh instance
FIRST_INDEX = 1  # the day's first entry, after the catalogue `dledger init` publishes
REFUSED_SEQ = 41  # the unit first handed in with a voucher already used (attempt.refused)
ASIDE_SEQ = 7  # the unit set aside for a few minutes after its intake

STATIONS = {
    "ST-01": ("ST-01 intake: label scanner, floor scale SC-1", ["W-0012", "W-0015"]),
    "ST-02": ("ST-02 refrigerant recovery and depollution: cylinder scale SC-2",
              ["W-0023", "W-0027"]),
    "ST-03": ("ST-03 dismantling: bench scale SC-3", ["W-0031", "W-0034", "W-0036"]),
}
SPARE = ("ST-09", "ST-09 spare intake tablet (commissioning)")

SCALES = {  # scale: (station, reference g, deviation g, tolerance g, resolution g, certificate)
    "SC-1": ("ST-01", 100_000, 20, 100, 20, "ZJ-JL-2026-F0417 (M1 test weights, 5 x 20 kg)"),
    "SC-2": ("ST-02", 20_000, 1, 5, 1, "ZJ-JL-2026-F0418 (F2 test weight, 20 kg)"),
    "SC-3": ("ST-03", 20_000, -2, 10, 2, "ZJ-JL-2026-F0418 (F2 test weight, 20 kg)"),
}

# Recovery cylinders, empty and evacuated this morning: code, refrigerant, tare, water
# capacity; the max gross is the catalogue's AHRI Guideline K limit.
CYLINDERS = [
    ("CYL-0007", "R-600a", 7_720, 21_600),
    ("CYL-0011", "R-134a", 7_690, 21_600),
    ("CYL-0003", "R-12", 7_745, 21_600),
    ("CYL-0015", "R-22", 7_705, 21_600),
    ("CYL-0018", "R-410A", 9_810, 21_600),
    ("CYL-0021", "R-32", 9_790, 21_600),
]

# Where the intake puts a unit to await dismantling (the catalogue's zones): large
# appliances in A1, TVs and computers in A2.
LARGE = ("fridge", "washing_machine", "room_ac")

# fraction -> (lot suffix, container); a lot is hazardous as the catalogue classes its fraction
LOTS = {
    "steel": ("STEEL", "SKIP-03"),
    "copper": ("COPPER", "BIN-CU-02"),
    "aluminium": ("ALU", "BIN-AL-01"),
    "plastics": ("PLASTICS", "BAG-PL-11"),
    "pcb": ("PCB", "BOX-PCB-04"),
    "crt_funnel_glass": ("CRTFUNNEL", "GAYLORD-07"),
    "crt_panel_glass": ("CRTPANEL", "GAYLORD-08"),
    "pu_foam": ("PUFOAM", "BAG-PU-05"),
    "compressor": ("COMPRESSOR", "CAGE-02"),
    "cables": ("CABLES", "BIN-CB-01"),
    "glass": ("GLASS", "BIN-GL-03"),
    "lcd_panel": ("LCD", "BOX-LCD-02"),
    "motor": ("MOTOR", "CAGE-05"),
    "concrete": ("CONCRETE", "SKIP-06"),
    "oil": ("OIL", "DRUM-OIL-02"),
    "battery": ("BATTERY", "DRUM-BAT-01"),
    "capacitor": ("CAPACITOR", "DRUM-CAP-01"),
    "mercury_backlight": ("LAMPS", "TUBE-HG-01"),
}

# category: intake gross range (g), output fractions and their rough shares
CATEGORIES: dict[str, tuple[tuple[int, int], dict[str, float]]] = {
    "fridge": ((35_000, 80_000), {"steel": 36, "plastics": 22, "pu_foam": 13, "compressor": 17,
                                  "copper": 2, "aluminium": 3, "glass": 5, "cables": 1.5}),
    "room_ac": ((30_000, 60_000), {"compressor": 30, "copper": 12, "aluminium": 8, "steel": 27,
                                   "plastics": 15, "motor": 6, "cables": 2}),
    "washing_machine": ((25_000, 70_000), {"steel": 30, "plastics": 30, "concrete": 25,
                                           "motor": 9, "aluminium": 2, "copper": 1,
                                           "cables": 1.5}),
    "crt_tv": ((15_000, 40_000), {"crt_panel_glass": 38, "crt_funnel_glass": 20, "steel": 8,
                                  "copper": 4, "plastics": 18, "pcb": 6, "cables": 2}),
    "flat_tv": ((8_000, 25_000), {"lcd_panel": 18, "steel": 30, "aluminium": 8, "plastics": 28,
                                  "pcb": 10, "cables": 2}),
    "desktop_pc": ((7_000, 12_000), {"steel": 60, "aluminium": 6, "copper": 3, "plastics": 10,
                                     "pcb": 15, "cables": 4}),
    "laptop": ((1_500, 3_500), {"plastics": 35, "aluminium": 12, "pcb": 20, "lcd_panel": 18,
                                "copper": 2, "steel": 5}),
    "crt_monitor": ((10_000, 20_000), {"crt_panel_glass": 36, "crt_funnel_glass": 22,
                                       "steel": 9, "copper": 5, "plastics": 18, "pcb": 7,
                                       "cables": 2}),
    "flat_monitor": ((3_000, 8_000), {"lcd_panel": 18, "steel": 30, "aluminium": 6,
                                      "plastics": 30, "pcb": 10, "cables": 3}),
    "range_hood": ((12_000, 22_000), {"steel": 65, "aluminium": 8, "motor": 14, "plastics": 8,
                                      "cables": 2}),
    "electric_water_heater": ((15_000, 35_000), {"steel": 68, "pu_foam": 8, "copper": 3,
                                                 "plastics": 12, "cables": 2}),
    "gas_water_heater": ((8_000, 15_000), {"steel": 55, "copper": 22, "aluminium": 5,
                                           "plastics": 8, "cables": 2}),
    "microwave": ((10_000, 18_000), {"steel": 58, "copper": 12, "glass": 6, "plastics": 9,
                                     "motor": 3, "cables": 2}),
}
# the day's intake: how many of each
MIX = {"fridge": 14, "room_ac": 8, "washing_machine": 10, "crt_tv": 8, "flat_tv": 8,
       "desktop_pc": 6, "laptop": 4, "crt_monitor": 3, "flat_monitor": 4, "range_hood": 2,
       "electric_water_heater": 2, "gas_water_heater": 1, "microwave": 2}
# trucks arriving at the intake dock (UTC) and how many units each brings
TRUCKS = [(datetime(2026, 11, 20, 0, 20, tzinfo=UTC), 20),
          (datetime(2026, 11, 20, 2, 5, tzinfo=UTC), 18),
          (datetime(2026, 11, 20, 4, 40, tzinfo=UTC), 18),
          (datetime(2026, 11, 20, 6, 30, tzinfo=UTC), 4),
          (datetime(2026, 11, 20, 7, 50, tzinfo=UTC), 12)]

SOURCES = ["collector", "municipal", "retailer", "business"]


@dataclass
class Ev:
    """An event being built: its time and object; the id is drawn when it is created."""

    time: datetime
    obj: dict[str, Any]


@dataclass
class Unit:
    label: str
    category: str
    gross_g: int
    received: dict[str, Any]
    events: list[Ev] = field(default_factory=list)
    outputs: list[Ev] = field(default_factory=list)
    completed: bool = False


def _key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())


def station_key(name: str) -> Ed25519PrivateKey:
    """The deterministic sample key of station `name` (for this example only)."""
    return _key(b"dledger-sample-station:" + name.encode())


def plant_signer(n: int) -> Signer:
    """Sample plant key number `n` (1 = retired at the end of the day, 2 = its successor)."""
    return Signer(PLANT_KEY_NAME, _key(b"dledger-sample-plant:" + str(n).encode()))


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def lot_id(fraction: str, n: int = 1) -> str:
    suffix = LOTS[fraction][0]
    return f"LOT-{DATE}-{suffix}" + (f"-{n}" if n > 1 else "")


class Day:
    """Simulates the day and collects its events."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - sample data, not security
        # the storage events' ids: drawn apart, so the rest of the day stays as it was
        self.storage_ids = random.Random(SEED + 1)  # noqa: S311 - sample data
        # the register of receivers' and the vouchers' ids: drawn apart likewise
        self.register_ids = random.Random(SEED + 4)  # noqa: S311 - sample data
        self.events: list[Ev] = []
        self.cylinder_gross: dict[str, int] = {}
        self.cylinder_of: dict[str, str] = {}
        self.trade_in_seq = 870_000 + self.rng.randrange(10_000)

    # -- helpers ------------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, t: datetime, etype: str, station: str, operator: str, subject: str,
              data: dict[str, Any]) -> Ev:
        ev = Ev(t, {"id": self.new_id(), "type": etype, "time": "", "station": station,
                    "operator": operator, "subject": subject, "data": data})
        self.events.append(ev)
        return ev

    def register_event(self, t: datetime, etype: str, subject: str,
                       data: dict[str, Any]) -> Ev:
        """A manager's console event of the register of receivers or a lot's voucher: its id
        from its own random stream."""
        ev = Ev(t, {"id": str(uuid.UUID(int=self.register_ids.getrandbits(128), version=4)),
                    "type": etype, "time": "", "station": PLANT, "operator": MANAGER,
                    "subject": subject, "data": data})
        self.events.append(ev)
        return ev

    def storage_event(self, t: datetime, etype: str, station: str, operator: str,
                      subject: str, data: dict[str, Any]) -> Ev:
        """A storage event (ledger/fund/stock.py): its id from its own random stream."""
        ev = Ev(t, {"id": str(uuid.UUID(int=self.storage_ids.getrandbits(128), version=4)),
                    "type": etype, "time": "", "station": station, "operator": operator,
                    "subject": subject, "data": data})
        self.events.append(ev)
        return ev

    def store_lot(self, opened: Ev) -> None:
        """The warehouse puts a new lot's container in its zone: hazardous waste in H1."""
        hazardous = opened.obj["data"]["hazardous"]
        self.storage_event(opened.time + timedelta(seconds=4), "lot.stored", PLANT, WAREHOUSE,
                           opened.obj["subject"], {"zone": "h1" if hazardous else "b1"})

    def secs(self, lo: float, hi: float) -> timedelta:
        return timedelta(milliseconds=self.rng.randint(int(lo * 1000), int(hi * 1000)))

    def weigh(self, grams: float, resolution: int) -> int:
        return max(resolution, round(grams / resolution) * resolution)

    # -- morning set-up -----------------------------------------------------------------------

    def setup(self) -> datetime:
        t = SHIFT_START + self.secs(20, 40)
        for name, (title, _ops) in [*STATIONS.items(), (SPARE[0], (SPARE[1], []))]:
            pub = station_key(name).public_key().public_bytes_raw()
            self.event(t, "station.registered", PLANT, MANAGER, f"station:{name}",
                       {"public_key": base64.b64encode(pub).decode(), "name": title,
                        "approved_by": MANAGER})
            t += self.secs(25, 70)
        for scale, (station, ref, dev, tol, _res, cert) in SCALES.items():
            t += self.secs(40, 120)
            reading = ref + dev
            self.event(t, "scale.calibrated", station, STATIONS[station][1][0],
                       f"scale:{scale}", {"reference_g": ref, "reading_g": reading,
                                          "tolerance_g": tol, "passed": abs(dev) <= tol,
                                          "reference_certificate": cert})
        for code, gas, tare, water in CYLINDERS:
            t += self.secs(30, 75)
            limit = process_catalogue.guideline_k_max_gross_g(gas, water, tare, CATALOGUE)
            self.event(t, "cylinder.registered", "ST-02", "W-0023", f"cylinder:{code}",
                       {"refrigerant": gas, "tare_g": tare, "water_capacity_g": water,
                        "max_gross_g": limit})
            self.cylinder_gross[code] = tare + self.rng.randint(0, 3)  # valve cap, vacuum
            self.cylinder_of[gas] = code
        for fraction, (_suffix, container) in LOTS.items():
            t += self.secs(8, 25)
            self.store_lot(self.event(
                t, "lot.opened", PLANT, WAREHOUSE, f"lot:{lot_id(fraction)}",
                {"fraction": fraction, "hazardous": CATALOGUE.fractions[fraction].hazardous,
                 "container": container}))
        return t

    # -- intake -------------------------------------------------------------------------------

    def plan_units(self) -> list[tuple[str, dict[str, Any]]]:
        """The day's units in arrival order, with their special cases marked."""
        plan: list[tuple[str, dict[str, Any]]] = []
        for category, count in MIX.items():
            plan += [(category, {}) for _ in range(count)]
        self.rng.shuffle(plan)
        fridges = [p for p in plan if p[0] == "fridge"]
        acs = [p for p in plan if p[0] == "room_ac"]
        for i, (_, flags) in enumerate(fridges):
            flags["gas"] = ("R-12" if i == 2 else "R-134a" if i in (4, 7, 9, 12) else "R-600a")
        fridges[7][1]["absent"] = "circuit_empty"  # an R-134a fridge that leaked empty
        fridges[10][1]["absent"] = "circuit_damaged"  # a pipe torn off in the truck
        fridges[4][1]["low"] = True  # ~60 % of nameplate: a partly leaked circuit
        for i, (_, flags) in enumerate(acs):
            flags["gas"] = ["R-22", "R-410A", "R-32", "R-22", "R-410A", "R-32", "R-410A",
                            "R-22"][i]
        # Outside the fund's scope, recorded as such: a 600 L fridge and a 12-inch CRT TV.
        fridges[1][1]["volume_l"] = 600
        next(f for c, f in plan if c == "crt_tv")["screen_in"] = 12
        # Desktop hosts and monitors arrive in sets, both halves in one truck, each naming the
        # other (some come alone: two hosts, three monitors); so both are weighed in before
        # either is dismantled, as a set's completion needs (ledger/rules/sets.py).
        start = 0
        for _, count in TRUCKS:
            load = range(start, start + count)
            hosts = [i for i in load if plan[i][0] == "desktop_pc"]
            monitors = [i for i in load if plan[i][0] in ("crt_monitor", "flat_monitor")]
            for host, monitor in zip(hosts, monitors, strict=False):
                plan[host][1]["set_with"] = unit_label(monitor)
                plan[monitor][1]["set_with"] = unit_label(host)
            start += count
        return plan

    def nameplate(self, category: str, gas: str) -> int:
        ranges = {"R-600a": (40, 80), "R-134a": (100, 160), "R-12": (120, 145),
                  "R-22": (900, 1800), "R-410A": (800, 1700), "R-32": (600, 1100)}
        lo, hi = ranges[gas]
        return self.rng.randint(lo, hi) // 5 * 5

    def model_no(self, category: str, gross: int) -> str:
        r = self.rng
        if category == "fridge":
            return f"BCD-{r.choice([172, 186, 196, 216, 226, 258, 301])}{r.choice(['', 'A', 'E'])}"
        if category == "room_ac":
            return f"KFR-{r.choice([26, 32, 35, 50, 51, 72])}{r.choice(['GW', 'LW'])}/" \
                   f"{r.choice(['BP', 'FNhAa', 'K', 'E3'])}{r.randint(1, 3)}"
        if category == "washing_machine":
            kind, size = r.choice(["XQB", "XQG", "XPB"]), r.choice([50, 60, 70, 80])
            return f"{kind}{size}-{r.randint(1, 999):03d}"
        if category in ("crt_tv", "crt_monitor"):  # screen size in inches follows the weight
            inches = 17 if category == "crt_monitor" else next(
                size for size, upto in ((21, 20_000), (25, 27_000), (29, 35_000), (34, 10**9))
                if gross < upto)
            return f"{inches}{r.choice(['F', 'K', 'N', 'HD'])}{r.randint(10, 99)}"
        return f"{r.choice(['A', 'L', 'M', 'S', 'X'])}{r.randint(100, 9999)}"

    def receive(self, t: datetime, seq: int, category: str, flags: dict[str, Any]) -> Unit:
        r = self.rng
        label = unit_label(seq)
        lo, hi = CATEGORIES[category][0]
        gross = self.weigh(r.uniform(lo, hi), SCALES["SC-1"][4])
        data: dict[str, Any] = {"category": category, "gross_g": gross, "scale": "SC-1"}
        if r.random() < 0.8 and "absent" not in flags:
            data["source"] = "trade_in"
            self.trade_in_seq += r.randint(1, 40)
            data["trade_in_code"] = f"TI-2026-33-{self.trade_in_seq:07d}"
        else:
            data["source"] = r.choice(SOURCES)
        data["brand"] = r.choice(BRANDS[category])
        data["model"] = self.model_no(category, gross)
        if r.random() < 0.6:
            data["serial"] = f"{r.randrange(16**10):010X}"
        if flags.get("gas"):
            data["nameplate_refrigerant"] = flags["gas"]
            data["nameplate_charge_g"] = self.nameplate(category, flags["gas"])
        if "volume_l" in flags:  # the big fridge's nameplate
            data["model"] = f"BCD-{flags['volume_l']}WKPZM"
        if "screen_in" in flags:  # the small TV: its model and weight to match
            data["model"], gross = f"{flags['screen_in']}K31", 7_300
            data["gross_g"] = gross
        data |= fund_facts(label, category, data["model"], flags)
        data["evidence"] = {"cameras": ["CAM-01"]}  # its window: `evidence_windows`
        unit = Unit(label, category, gross, data)
        self.unit_event(unit, t, "unit.received", "ST-01", flags["op1"], data)
        stored = self.storage_event(t + timedelta(seconds=18), "unit.stored", "ST-01",
                                    flags["op1"], f"unit:{label}",
                                    {"zone": "a1" if category in LARGE else "a2"})
        unit.events.append(stored)
        if seq == ASIDE_SEQ:  # the owner phones in: hold it until the voucher is checked
            for after, etype, what in ((31, "unit.set_aside", {
                    "reason": "owner disputes the trade-in voucher; hold until checked"}),
                    (97, "unit.taken_back", {"note": "voucher checked with the retailer"})):
                unit.events.append(self.storage_event(t + timedelta(seconds=after), etype,
                                                      PLANT, MANAGER, f"unit:{label}", what))
        return unit

    def refused_trade_in(self, t: datetime, unit: Unit, earlier: list[Unit]) -> None:
        """ST-01 refuses the voucher first handed in with `unit`: a copy of one already used
        (the rule's own figures), and records the refusal; the unit then came in on its own."""
        holder = next(u for u in reversed(earlier) if "trade_in_code" in u.received)
        code = holder.received["trade_in_code"]
        rule = DUPLICATE_TRADE_IN.code
        self.event(t, "attempt.refused", "ST-01", unit.events[0].obj["operator"], "station:ST-01",
                   {"rule": rule, "attempted": "unit.received", "about": f"unit:{unit.label}",
                    "params": {"code": code, "holder": holder.label}})

    def unit_event(self, unit: Unit, t: datetime, etype: str, station: str, operator: str,
                   data: dict[str, Any]) -> Ev:
        ev = self.event(t, etype, station, operator, f"unit:{unit.label}", data)
        unit.events.append(ev)
        return ev

    # -- depollution (ST-02) ------------------------------------------------------------------

    def components(self, category: str, flags: dict[str, Any]) -> list[tuple[str, int, int]]:
        """(component, count, mass g or 0 when only counted) removed at ST-02."""
        r = self.rng
        found: list[tuple[str, int, int]] = []
        if category == "fridge":
            found.append(("compressor_oil", 1, r.randint(140, 320)))
        elif category == "room_ac":
            found += [("compressor_oil", 1, r.randint(300, 850)),
                      ("capacitor", 2, r.randint(90, 260)), ("pcb", 1, r.randint(120, 320))]
        elif category == "washing_machine":
            found += [("capacitor", 1, r.randint(30, 80)), ("pcb", 1, r.randint(90, 260))]
        elif category in ("flat_tv", "flat_monitor") and r.random() < 0.55:  # CCFL backlight
            n = r.randint(8, 18) if category == "flat_tv" else r.randint(2, 4)
            found.append(("mercury_backlight", n, n * r.randint(28, 40) // 10))
        elif category == "laptop":
            found.append(("battery", 1, r.randint(210, 460)))
            if r.random() < 0.5:
                found.append(("mercury_backlight", 1, r.randint(2, 4)))
        elif category == "desktop_pc":
            found.append(("battery", 1, 0))  # CMOS coin cell, counted only
        elif category == "gas_water_heater":
            found += [("battery", 2, r.randint(270, 300)), ("pcb", 1, r.randint(60, 140))]
        elif category == "microwave":
            found.append(("capacitor", 1, r.randint(60, 120)))
        elif category == "range_hood":
            found += [("capacitor", 1, r.randint(20, 50)), ("pcb", 1, r.randint(50, 120))]
        elif category == "electric_water_heater":
            found.append(("pcb", 1, r.randint(70, 160)))
        return found

    def depollute(self, unit: Unit, start: datetime, flags: dict[str, Any]) -> datetime:
        r = self.rng
        op = flags["op2"]
        t = start + self.secs(30, 90)
        gas = flags.get("gas")
        removed: list[tuple[str, int, int]] = []
        if gas:
            if flags.get("absent"):
                reason = flags["absent"]
                note = ("piercing valve: 0 bar, oil trace at the condenser; leaked before "
                        "collection" if reason == "circuit_empty" else
                        "condenser pipe torn off in transport; circuit open, no pressure")
                self.unit_event(unit, t, "refrigerant.absent", "ST-02", op,
                                {"reason": reason, "note": note})
            else:
                t += self.secs(240, 540)  # pierce, connect, pump down
                charge = unit.received["nameplate_charge_g"]
                share = r.uniform(0.57, 0.62) if flags.get("low") else r.uniform(0.91, 0.99)
                recovered = max(1, round(charge * share))
                code = self.cylinder_of[gas]
                before = self.cylinder_gross[code]
                after = before + recovered
                self.cylinder_gross[code] = after
                self.unit_event(unit, t, "refrigerant.recovered", "ST-02", op,
                                {"refrigerant": gas, "cylinder": code,
                                 "cylinder_gross_before_g": before,
                                 "cylinder_gross_after_g": after, "recovered_g": recovered,
                                 "scale": "SC-2", "nameplate_charge_g": charge})
        for component, count, mass in flags["components"]:
            t += self.secs(60, 200)
            data: dict[str, Any] = {"component": component, "count": count}
            if mass:
                data["mass_g"] = self.weigh(mass, SCALES["SC-3"][4])
                data["scale"] = "SC-3"
            data["lot"] = lot_id(CATALOGUE.components[component].fraction)
            self.unit_event(unit, t, "component.removed", "ST-02", op, data)
            removed.append((component, count, data.get("mass_g", 0)))
        flags["removed_g"] = sum(m for _, _, m in removed)
        return t + self.secs(30, 90)

    # -- dismantling (ST-03) ------------------------------------------------------------------

    def output_masses(self, unit: Unit, flags: dict[str, Any]) -> list[tuple[str, int]]:
        r = self.rng
        res = SCALES["SC-3"][4]
        shares = dict(CATEGORIES[unit.category][1])
        target = unit.gross_g * r.uniform(0.96, 0.995) - flags.get("removed_g", 0)
        noisy = {f: s * r.uniform(0.85, 1.15) for f, s in shares.items()}
        total = sum(noisy.values())
        masses = {f: self.weigh(target * s / total, res) for f, s in noisy.items()}
        largest = max(masses, key=lambda f: masses[f])
        masses[largest] += round(target) // res * res - sum(masses.values())
        order = list(masses)
        r.shuffle(order)
        return [(f, masses[f]) for f in order]

    def dismantle(self, unit: Unit, start: datetime, flags: dict[str, Any]) -> datetime:
        op = flags["op3"]
        t = start + self.secs(90, 240)
        for fraction, mass in self.output_masses(unit, flags):
            if t >= LINE_STOP:
                return t  # the shift ends with this unit half done
            ev = self.unit_event(unit, t, "material.output", "ST-03", op,
                                 {"fraction": fraction, "mass_g": mass, "lot": "?",
                                  "scale": "SC-3"})
            unit.outputs.append(ev)
            t += self.secs(35, 150)
        if t >= LINE_STOP:
            return t
        self.unit_event(unit, t, "unit.completed", "ST-03", op, {})
        unit.completed = True
        return t + self.secs(20, 60)


def unit_label(seq: int) -> str:
    """The label of the day's `seq`-th unit (arrival order)."""
    return f"{PLANT_CODE}-2026-{FIRST_LABEL + seq:07d}"


def fund_facts(label: str, category: str, model: str, flags: dict[str, Any]) -> dict[str, Any]:
    """What the intake reads off the nameplate for the fund (ledger/fund/): from the model
    number where it says (BCD-216 is 216 L, KFR-35 is 3,500 W, XQG70 a 7 kg drum washer),
    else drawn from a generator of the unit's own, so the day's main draws stay as they were."""
    r = random.Random(label)  # noqa: S311 - sample data, not security
    if category == "fridge":
        return {"volume_l": int(model[4:7])}
    if category == "room_ac":
        return {"ac_type": "split", "cooling_w": int(model[4:6]) * 100}
    if category == "washing_machine":
        kind = {"XQB": "pulsator", "XQG": "drum", "XPB": "twin_tub"}[model[:3]]
        return {"washer_type": kind, "dry_load_g": int(model[3:5]) * 100}
    if category in ("crt_tv", "crt_monitor"):
        return {"screen_in": int(model[:2]),
                **({"set_with": flags["set_with"]} if "set_with" in flags else {})}
    if category == "flat_tv":
        return {"screen_in": r.choice([32, 40, 43, 50, 55, 65]),
                "display": r.choice(["lcd"] * 6 + ["oled", "plasma"])}
    if category == "flat_monitor":
        return {"screen_in": r.choice([19, 22, 24, 27]),
                **({"set_with": flags["set_with"]} if "set_with" in flags else {})}
    if category == "desktop_pc":
        return {"pc_type": "desktop_host",
                **({"set_with": flags["set_with"]} if "set_with" in flags else {})}
    if category == "laptop":
        return {"pc_type": "laptop"}
    return {}


def after_lunch(t: datetime) -> datetime:
    return LUNCH[1] + (t - LUNCH[0]) if LUNCH[0] <= t < LUNCH[1] else t


def build_events() -> list[dict[str, Any]]:
    """The day's events in order, with their times, before signing."""
    day = Day()
    r = day.rng
    setup_end = day.setup()
    plan = day.plan_units()
    units: list[Unit] = []
    flags_of: dict[str, dict[str, Any]] = {}

    # intake: trucks unload, ST-01 scans and weighs one unit after another
    arrivals: list[datetime] = []
    for truck, count in TRUCKS:
        arrivals += [max(truck, setup_end)] * count
    t1 = setup_end
    for seq, ((category, flags), arrival) in enumerate(zip(plan, arrivals, strict=True)):
        t1 = after_lunch(max(t1, arrival) + day.secs(50, 150))
        flags["op1"] = r.choice(STATIONS["ST-01"][1])
        unit = day.receive(t1, seq, category, flags)
        if seq == REFUSED_SEQ:
            day.refused_trade_in(t1 - timedelta(seconds=31), unit, units)
        units.append(unit)
        flags_of[unit.label] = flags

    # ST-02 then ST-03: each worker takes the next unit when free, first come first served
    free = {station: dict.fromkeys(STATIONS[station][1], setup_end)
            for station in ("ST-02", "ST-03")}
    for unit in units:
        flags = flags_of[unit.label]
        ready = unit.events[0].time + day.secs(120, 400)
        flags["components"] = day.components(unit.category, flags)
        if flags["components"] or flags.get("gas"):
            op = min(free["ST-02"], key=lambda o: free["ST-02"][o])
            start = after_lunch(max(free["ST-02"][op], ready))
            if start >= LAST_START:
                continue
            flags["op2"] = op
            free["ST-02"][op] = day.depollute(unit, start, flags)
            ready = free["ST-02"][op] + day.secs(60, 300)
        op = min(free["ST-03"], key=lambda o: free["ST-03"][o])
        start = after_lunch(max(free["ST-03"][op], ready))
        if start >= LAST_START:
            continue
        flags["op3"] = op
        free["ST-03"][op] = day.dismantle(unit, start, flags)

    # lots: the steel skip and the funnel-glass gaylord are full in the afternoon
    plant_ops: list[Ev] = []
    rotate = {"steel": datetime(2026, 11, 20, 5, 40, tzinfo=UTC),
              "crt_funnel_glass": datetime(2026, 11, 20, 6, 20, tzinfo=UTC)}
    sealed: dict[str, tuple[datetime, datetime]] = {}
    outputs = sorted((ev for u in units for ev in u.outputs), key=lambda ev: ev.time)
    for fraction, after in rotate.items():
        times = [ev.time for ev in outputs if ev.obj["data"]["fraction"] == fraction]
        last = max(t for t in times if t < after)
        nxt = min((t for t in times if t > last), default=last + timedelta(hours=1))
        seal = last + (nxt - last) / 3
        sealed[fraction] = (seal, last + 2 * (nxt - last) / 3)
    for ev in outputs:
        data = ev.obj["data"]
        fraction = data["fraction"]
        n = 2 if fraction in sealed and ev.time > sealed[fraction][0] else 1
        data["lot"] = lot_id(fraction, n)

    def in_lot(lot: str) -> int:
        return sum(ev.obj["data"]["mass_g"] for ev in outputs if ev.obj["data"]["lot"] == lot)

    steel_seal, steel_reopen = sealed["steel"]
    net = day.weigh(in_lot(lot_id("steel")) + r.randint(-60, 60), 20)
    plant_ops.append(day.event(steel_seal, "lot.sealed", PLANT, WAREHOUSE,
                               f"lot:{lot_id('steel')}", {"net_g": net, "scale": "SC-1"}))
    plant_ops.append(day.event(steel_reopen, "lot.opened", PLANT, WAREHOUSE,
                               f"lot:{lot_id('steel', 2)}",
                               {"fraction": "steel", "hazardous": False, "container": "SKIP-04"}))
    day.store_lot(plant_ops[-1])
    steel_shipped = steel_seal + timedelta(minutes=41, seconds=17)
    plant_ops.append(day.event(steel_shipped, "lot.shipped",
                               PLANT, WAREHOUSE, f"lot:{lot_id('steel')}",
                               {"receiver_code": STEEL_RECEIVER,
                                "manifest_no": f"DN-{PLANT_CODE}-{DATE}-01",
                                "vehicle": "浙A·5S127 (sample)"}))
    glass_seal, glass_reopen = sealed["crt_funnel_glass"]
    glass_net = day.weigh(in_lot(lot_id("crt_funnel_glass")) + r.randint(-40, 40), 20)
    manifest = "2026330100041876"
    glass = f"lot:{lot_id('crt_funnel_glass')}"
    plant_ops.append(day.event(glass_seal, "lot.sealed", PLANT, WAREHOUSE, glass,
                               {"net_g": glass_net, "scale": "SC-1"}))
    plant_ops.append(day.event(glass_reopen, "lot.opened", PLANT, WAREHOUSE,
                               f"lot:{lot_id('crt_funnel_glass', 2)}",
                               {"fraction": "crt_funnel_glass", "hazardous": True,
                                "container": "GAYLORD-09"}))
    day.store_lot(plant_ops[-1])
    plant_ops.append(day.event(glass_seal + timedelta(minutes=33, seconds=48), "lot.shipped",
                               PLANT, WAREHOUSE, glass,
                               {"receiver_code": GLASS_RECEIVER, "manifest_no": manifest,
                                "vehicle": "浙A·D3318 (sample, hazmat)"}))
    glass_received = glass_net * 96 // 10_000 * 100
    glass_back = glass_seal + timedelta(hours=2, minutes=5, seconds=9)
    plant_ops.append(day.event(glass_back, "lot.received", PLANT, WAREHOUSE, glass,
                               {"receiver_code": GLASS_RECEIVER, "manifest_no": manifest,
                                "received_g": glass_received}))
    receivers_and_vouchers(day, {"steel": (steel_shipped, net),
                                 "crt_funnel_glass": (glass_back, glass_received)})

    # the mis-typed copper: an air conditioner's copper, typed by hand while SC-3 was offline
    ac = next(u for u in units if u.category == "room_ac" and u.completed
              and u.events[0].time > datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
              and u.events[-1].time < datetime(2026, 11, 20, 6, 0, tzinfo=UTC))
    copper = next(ev for ev in ac.outputs if ev.obj["data"]["fraction"] == "copper")
    true_mass = copper.obj["data"]["mass_g"]
    copper.obj["data"]["mass_g"] = int("1" + str(true_mass))  # a stray key before the figure

    completed_at = ac.events[-1].time
    cert_1 = day.event(after_lunch(completed_at + timedelta(minutes=26, seconds=41)),
                       "certificate.issued",
                       PLANT, MANAGER, f"cert:UDC-{PLANT_CODE}-{DATE}-0001",
                       {"kind": "unit", "sha256": "0" * 64})

    # after the line stops: the manager's review
    t = max(ev.time for ev in day.events) + timedelta(minutes=7, seconds=12)
    correction = day.event(t, "correction", PLANT, MANAGER, f"unit:{ac.label}",
                           {"corrects": -1, "reason": f"SC-3 link down at the time; mass typed "
                            f"by hand as {copper.obj['data']['mass_g']} g, the bin ticket "
                            f"reads {true_mass} g (its mass balance and copper yield were flagged)",
                            "approved_by": MANAGER, "set": {"mass_g": true_mass}})
    t += timedelta(minutes=1, seconds=52)
    day.event(t, "flag.reviewed", PLANT, MANAGER, glass,
              {"flag": "receipt_weight", "resolution": "credit",
               "reason": "the receiver's weighbridge weighs in 100 g steps without the pallet; "
                         "its ticket and our SC-1 ticket reconciled by phone with the receiver",
               "approved_by": MANAGER})
    t += timedelta(minutes=1, seconds=13)
    revoked = day.event(t, "certificate.revoked", PLANT, MANAGER,
                        f"cert:UDC-{PLANT_CODE}-{DATE}-0001",
                        {"sha256": "0" * 64, "reason": f"states the mis-typed copper mass of "
                         f"unit {ac.label}; superseded by UDC-{PLANT_CODE}-{DATE}-0002",
                         "approved_by": MANAGER})
    t += timedelta(minutes=1, seconds=38)
    cert_2 = day.event(t, "certificate.issued", PLANT, MANAGER,
                       f"cert:UDC-{PLANT_CODE}-{DATE}-0002", {"kind": "unit", "sha256": "0" * 64})
    t += timedelta(minutes=6, seconds=51)
    day.event(t, "station.revoked", PLANT, MANAGER, f"station:{SPARE[0]}",
              {"reason": "spare tablet returned to stores after commissioning; key destroyed",
               "approved_by": MANAGER})
    t += timedelta(minutes=4, seconds=27)
    old, new = plant_signer(1), plant_signer(2)
    endorsement = old.private_key.sign(new.verifier.vkey.encode())
    day.event(t, "key.rotated", PLANT, MANAGER, f"key:{old.verifier.key_id.hex()}",
              {"old_vkey": old.verifier.vkey, "new_vkey": new.verifier.vkey,
               "endorsement": base64.b64encode(endorsement).decode(),
               "reason": "scheduled rotation: commissioning key retired"})

    cameras(day, units)

    # order by time (creation order breaks ties), then make every millisecond distinct
    ordered = sorted(day.events, key=lambda ev: ev.time)
    last = None
    for ev in ordered:
        ev.time = ev.time.replace(microsecond=ev.time.microsecond // 1000 * 1000)
        if last is not None and ev.time <= last:
            ev.time = last + timedelta(milliseconds=1)
        ev.obj["time"] = ts(ev.time)
        last = ev.time
    index = {id(ev): FIRST_INDEX + i for i, ev in enumerate(ordered)}
    evidence_windows(ordered)

    # what depends on entry indexes: the correction's target and the certificates' digests
    correction.obj["data"]["corrects"] = index[id(copper)]
    doc_1 = certificate(ac, index, cert_1, [])
    cert_1.obj["data"]["sha256"] = doc_1
    revoked.obj["data"]["sha256"] = doc_1
    cert_2.obj["data"]["sha256"] = certificate(ac, index, cert_2, [correction])
    counted = stock_count(day, ordered, index)
    return [ev.obj for ev in ordered] + counted + register(counted[-1]["time"])


# -- cameras (docs/evidence.md): the register, CAM-03 failing, and the intake's references ----

CAMERAS = {"CAM-01": ("ST-01", "1"), "CAM-02": ("ST-02", "2"), "CAM-03": ("ST-03", "3")}
RECORDER = "NVR-1 (dismantling hall, 16 channels)"
CAMERA_DOWN = datetime(2026, 11, 20, 6, 3, 17, 211_000, tzinfo=UTC)  # 14:03 local
INTAKE_WINDOW = timedelta(seconds=40)  # scan, set on the scale, weigh


def cameras(day: Day, units: list[Unit]) -> None:
    """The morning's camera register, CAM-03 over ST-03 failing in the afternoon and CAM-04
    put up in its place, and the manager's note on a unit dismantled meanwhile (the default
    catalogue requires no evidence, so it raises no flag). Ids from their own stream, so the
    rest of the day stays as it was."""
    ids = random.Random(SEED + 2)  # noqa: S311 - sample data

    def event(t: datetime, etype: str, subject: str, data: dict[str, Any]) -> Ev:
        ev = Ev(t, {"id": str(uuid.UUID(int=ids.getrandbits(128), version=4)), "type": etype,
                    "time": "", "station": PLANT, "operator": MANAGER, "subject": subject,
                    "data": data})
        day.events.append(ev)
        return ev

    for n, (camera, (station, channel)) in enumerate(CAMERAS.items()):
        event(SHIFT_START + timedelta(seconds=3 + n, milliseconds=117), "camera.registered",
              f"camera:{camera}", {"watches": station, "recorder": RECORDER,
                                   "channel": channel})
    event(CAMERA_DOWN, "camera.retired", "camera:CAM-03",
          {"reason": "no picture since 14:03: its power supply failed", "approved_by": MANAGER})
    event(CAMERA_DOWN + timedelta(minutes=27, seconds=4), "camera.registered",
          "camera:CAM-04", {"watches": "ST-03", "recorder": RECORDER, "channel": "3"})
    unit = next(u for u in units if u.events[0].time < CAMERA_DOWN
                and any(ev.obj["type"] == "unit.completed" and ev.time > CAMERA_DOWN
                        + timedelta(minutes=2) for ev in u.events))
    unit.events.append(event(CAMERA_DOWN + timedelta(minutes=1, seconds=41), "evidence.excused",
                             f"unit:{unit.label}",
                             {"reason": "CAM-03 over ST-03 failed at 14:03; the dismantling "
                                        "was watched by the shift lead", "approved_by": MANAGER}))


def evidence_windows(ordered: list[Ev]) -> None:
    """Each intake's evidence window: the CAM-01 recording up to its event time."""
    for ev in ordered:
        found = ev.obj["data"].get("evidence")
        if found is not None:
            found["start"], found["end"] = ts(ev.time - INTAKE_WINDOW), ts(ev.time)


# The day's two receivers, as the register holds them (receiver:<unified social credit code>;
# sample codes, valid by GB 32100-2015's check character, naming no real company).
STEEL_RECEIVER = "91330101MA2H1P7T1N"
GLASS_RECEIVER = "91330106MA27RC0M75"
RECEIVERS = {
    STEEL_RECEIVER: {
        "legal_name": "杭州示例钢铁回收有限公司 (Hangzhou Sample Steel Recycling Co., Ltd.)",
        "licence_no": "浙再生备3301000127 (sample)",
        "fractions": ["steel", "compressor", "motor", "copper", "aluminium", "cables"],
        "hw_codes": [], "valid_from": "2024-12-31T16:00:00.000Z",
        "valid_until": "2027-12-31T16:00:00.000Z",
        "address": "杭州市余杭区示例路 18 号 (sample)"},
    GLASS_RECEIVER: {
        "legal_name": "浙江示例含铅玻璃处置有限公司 (Zhejiang Sample Leaded Glass Treatment "
                      "Co., Ltd.)",
        "licence_no": "浙危废经第3301990042号 (sample)",
        "fractions": ["crt_funnel_glass", "crt_panel_glass"],
        "hw_codes": ["HW49 900-044-49"], "valid_from": "2023-12-31T16:00:00.000Z",
        "valid_until": "2028-12-31T16:00:00.000Z",
        "address": "湖州市长兴县示例工业园 6 号 (sample)"}}
# Each shipped fraction's voucher: kind, number, price per tonne (元).
VOUCHERS = {"steel": ("sale", f"INV-{PLANT_CODE}-{DATE}-01", "2350"),
            "crt_funnel_glass": ("disposal", f"HWF-{PLANT_CODE}-{DATE}-01", "1800")}


def receivers_and_vouchers(day: Day, shipped: dict[str, tuple[datetime, int]]) -> None:
    """The manager registers the day's two receivers at the start of the shift (before the
    register, a shipment named its receiver in free text), and records each shipped lot's
    voucher once its weight is agreed: the steel sold at the sealed weight, the leaded glass
    paid for at the receiver's weight. In the afternoon the steel receiver's entry is updated:
    its filing now covers plastics too."""
    start = datetime(2026, 11, 20, 0, 3, 12, tzinfo=UTC)
    for n, (code, entry) in enumerate(RECEIVERS.items()):
        day.register_event(start + timedelta(minutes=2 * n), "receiver.registered",
                           f"receiver:{code}", dict(entry))
    for fraction, (at, grams) in shipped.items():
        kind, number, price = VOUCHERS[fraction]
        code = STEEL_RECEIVER if fraction == "steel" else GLASS_RECEIVER
        day.register_event(at + timedelta(minutes=17, seconds=3), "lot.voucher",
                           f"lot:{lot_id(fraction)}", {
                               "kind": kind, "voucher_no": number, "counterparty": code,
                               "quantity_g": grams, "price_per_t": price,
                               "amount": str(voucher_amount(price, grams)), "currency": "CNY"})
    steel = RECEIVERS[STEEL_RECEIVER]
    day.register_event(datetime(2026, 11, 20, 7, 30, 5, tzinfo=UTC), "receiver.updated",
                       f"receiver:{STEEL_RECEIVER}",
                       {**steel, "fractions": [*steel["fractions"], "plastics"]})


def stock_count(day: Day, ordered: list[Ev], index: dict[int, int]) -> list[dict[str, Any]]:
    """The evening's stock count (期末存货盘点) of the units in A1 and A2 and of three
    fractions, against the book (ledger/fund/stock.py): it finds one unit more in A2 than
    the book, which the manager explains with an adjustment."""
    t = ordered[-1].time + timedelta(minutes=24, seconds=5)
    pairs = [(index[id(ev)], ev.obj) for ev in ordered]
    on_book = stock.book_at_moment(pairs, ts(t))
    units = [{"zone": zone, "category": category, "units": n}
             for (kind, zone, category), n in sorted(on_book.items(), key=str)
             if kind == "units" and zone is not None]
    walk_in = next(u for u in units if u["zone"] == "a2")
    walk_in["units"] += 1
    fractions = [{"fraction": code, "mass_g": on_book.get(("fraction", None, code), 0)}
                 for code in ("steel", "crt_funnel_glass", "compressor")]
    name = f"count:{DATE}-1"
    counted = day.storage_event(t, "stock.counted", PLANT, MANAGER, name, {
        "units": units, "fractions": fractions, "counted_by": "W-0041, W-0012",
        "note": "end-of-day count of the waiting areas and three output bins"})
    adjusted = day.storage_event(t + timedelta(minutes=9, seconds=31), "stock.adjusted",
                                 PLANT, MANAGER, name, {
        "zone": walk_in["zone"], "category": walk_in["category"], "difference": 1,
        "reason": "a walk-in customer left the unit at the gate after the intake closed; it "
                  "is weighed in at tomorrow's first intake",
        "approved_by": MANAGER})
    for ev in (counted, adjusted):
        ev.obj["time"] = ts(ev.time)
    return [counted.obj, adjusted.obj]


# The plant's identity and the people behind the day's operator codes (all made up; the
# credit code's check characters are computed as GB 32100-2015 says).
IDENTITY = {"legal_name": "杭州示例再生资源有限公司",
            "legal_name_en": "Hangzhou Sample Recycling Co., Ltd.",
            "address": "浙江省杭州市示例区回收路 1 号 (sample)", "uscc": "91330100DLEDGER14T",
            "licence_no": "浙废电处证第330100001号 (sample)", "licence_issuer": "浙江省生态环境厅",
            "licence_valid_from": "2024-01-01", "licence_valid_until": "2028-12-31",
            "approved_by": MANAGER}
PEOPLE = {  # code: (name, name in Latin letters, roles, qualification title or None)
    MANAGER: ("陈静", "Chen Jing", ["manager"], None),
    "W-0012": ("王伟", "Wang Wei", ["intake"], None),
    "W-0015": ("李娜", "Li Na", ["intake", "storage"], None),
    "W-0023": ("张强", "Zhang Qiang", ["refrigerant_recovery"], "制冷与空调作业操作证"),
    "W-0027": ("刘洋", "Liu Yang", ["refrigerant_recovery"], "制冷与空调作业操作证"),
    "W-0031": ("赵磊", "Zhao Lei", ["dismantling"], None),
    "W-0034": ("孙丽", "Sun Li", ["dismantling"], None),
    "W-0036": ("周杰", "Zhou Jie", ["dismantling"], None),
    WAREHOUSE: ("吴敏", "Wu Min", ["storage", "shipping"], "叉车司机证 (N1)"),
    "W-0019": ("郑浩", "Zheng Hao", ["dismantling"], None),  # a temporary hand, retired
}


def register(after: str) -> list[dict[str, Any]]:
    """In the evening the manager records the plant's identity (its renewed licence) and the
    operators register: everyone who worked the day, and a temporary hand retired; ids from
    their own random stream, so the rest of the day stays as it was."""
    ids = random.Random(SEED + 3)  # noqa: S311 - sample data
    t = datetime.strptime(after, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    events = []

    def add(etype: str, subject: str, data: dict[str, Any], seconds: int) -> None:
        nonlocal t
        t += timedelta(seconds=seconds)
        events.append({"id": str(uuid.UUID(int=ids.getrandbits(128), version=4)),
                       "type": etype, "time": ts(t), "station": PLANT, "operator": MANAGER,
                       "subject": subject, "data": data})

    add("plant.identified", "plant:identity", IDENTITY, 300)
    for n, (code, (name, latin, roles, title)) in enumerate(PEOPLE.items()):
        qualifications = [] if title is None else [{
            "title": title, "number": f"T3301{2024 + n % 2}{n:04d} (sample)",
            "issuer": "杭州市应急管理局", "valid_from": "2024-03-01",
            "valid_until": "2030-02-28"}]
        add("operator.registered", f"operator:{code}",
            {"name": name, "name_en": latin, "roles": roles,
             "qualifications": qualifications, "approved_by": MANAGER}, 41)
    add("operator.retired", "operator:W-0019",
        {"reason": "temporary contract ended on 2026-11-13", "approved_by": MANAGER}, 37)
    return events


def certificate(unit: Unit, index: dict[int, int], issued: Ev, extra: list[Ev]) -> str:
    """The SHA-256 of a (much simplified) unit dismantling certificate document."""
    entries = sorted(index[id(ev)] for ev in [*unit.events, *extra])
    doc = {"kind": "unit", "plant": PLANT_CODE, "unit": unit.label,
           "category": unit.category, "entries": entries, "issued": ts(issued.time),
           "certificate": issued.obj["subject"].split(":", 1)[1]}
    return hashlib.sha256(canonical_bytes(doc)).hexdigest()


def sample_lines() -> list[str]:
    """The JSON Lines of the sample day, each without its newline."""
    lines = []
    for obj in build_events():
        if obj["station"] == PLANT:
            record: dict[str, Any] = obj
        else:
            sig = station_key(obj["station"]).sign(canonical_bytes(obj))
            record = {"event": obj, "station_sig": base64.b64encode(sig).decode()}
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return lines


def sample_text() -> str:
    return "".join(line + "\n" for line in sample_lines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed file differs from what this script makes")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args()
    text = sample_text()
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs; regenerate it'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines())} events to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
