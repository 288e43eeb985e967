"""A plant's quarter as a ledger, for the certificate benchmarks: fridges dismantled at a steady
rate, every entry signed by its station and accepted by the plant's rules.

Each unit is nine entries (intake; refrigerant recovered into a registered cylinder; compressor
oil and circuit board removed; steel, compressor, plastics and foam weighed out; completed), a
minute apart; a scale check every plant day; a new recovery cylinder every 200 units and new
output lots every week. `UNITS_PER_DAY` units a day from 2026-07-01 (Asia/Shanghai), so 250,000
units take the quarter to 2026-09-30. Seeded ledgers are cached as SQLite files in the temp
folder (PostgreSQL databases are kept by name), since seeding 2 million entries takes minutes.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import catalogue
from ledger import log as ledger_log
from ledger.events import PLANT_STATION, parse_event
from ledger.log import Ledger, Submission
from ledger.projections import Projector

ORIGIN = "ledger.bench-plant.example/CN3301"
STATION = "ST-01"
UNITS_PER_DAY = 2_750
FIRST_DAY = datetime(2026, 6, 30, 16, tzinfo=UTC)  # 2026-07-01 00:00 in Asia/Shanghai
SEED_VERSION = "quarter-2"  # change when what is seeded changes
CYLINDER_UNITS = 200
TARE_G = 18_250
RECOVERED_G = 52
STEPS = 9


def seed_name(units: int) -> str:
    """The cache name of a seed of `units` units: what is seeded (SEED_VERSION) and the
    schema it was seeded under (the newest migration), so a seed made under an older schema
    is never reused."""
    config = Config()
    config.set_main_option("script_location", "ledger:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    return f"{SEED_VERSION}-{head}-{units}"


def label(n: int) -> str:
    return f"CN3301-2026-{n:07d}"


def day_of(units: int) -> str:
    """The plant date (YYYY-MM-DD) on which unit number `units - 1` is completed."""
    return (FIRST_DAY + timedelta(hours=8, days=(units - 1) // UNITS_PER_DAY)).strftime(
        "%Y-%m-%d")


class Seeder:
    """Submissions as the stations would make them."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()

    def event(self, etype: str, subject: str, data: dict[str, Any], at: datetime,
              station: str = STATION) -> Submission:
        event = parse_event({
            "id": str(uuid.uuid4()), "type": etype,
            "time": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            "station": station, "operator": "W-0042", "subject": subject, "data": data})
        if station == PLANT_STATION:
            return Submission(event)
        return Submission(event, base64.b64encode(self.key.sign(event.canonical)).decode())

    def opening(self) -> list[Submission]:
        public = base64.b64encode(self.key.public_key().public_bytes_raw()).decode()
        start = FIRST_DAY - timedelta(days=1)
        return [self.event("station.registered", f"station:{STATION}",
                           {"public_key": public, "name": "Line 1", "approved_by": "A-0001"},
                           start, PLANT_STATION)]

    def lots(self, week: int, at: datetime) -> list[Submission]:
        return [self.event("lot.opened", f"lot:LOT-{fraction}-{week:03d}",
                           {"fraction": fraction, "hazardous": hazardous}, at, PLANT_STATION)
                for fraction, hazardous in (("steel", False), ("compressor", False),
                                            ("plastics", False), ("pu_foam", False),
                                            ("pcb", True))]

    def cylinder(self, number: int, at: datetime) -> Submission:
        return self.event("cylinder.registered", f"cylinder:CYL-{number:05d}",
                          {"refrigerant": "R-600a", "tare_g": 15_000,
                           "water_capacity_g": 50_000, "max_gross_g": 30_000}, at,
                          PLANT_STATION)

    def unit(self, n: int) -> list[Submission]:
        """Unit n's entries, with what its day, week and cylinder need before them."""
        day, slot = divmod(n, UNITS_PER_DAY)
        start = FIRST_DAY + timedelta(days=day, seconds=slot * 86_400 // UNITS_PER_DAY)
        week, cylinder = day // 7, n // CYLINDER_UNITS
        before = TARE_G + (n % CYLINDER_UNITS) * RECOVERED_G
        out: list[Submission] = []
        if slot == 0:
            out.append(self.event("scale.calibrated", "scale:SC-1",
                                  {"reference_g": 10_000, "reading_g": 10_001,
                                   "tolerance_g": 5, "passed": True}, start))
            if day % 7 == 0:
                out += self.lots(week, start)
        if n % CYLINDER_UNITS == 0:
            out.append(self.cylinder(cylinder, start))
        subject = f"unit:{label(n)}"
        steps: list[tuple[str, dict[str, Any]]] = [
            ("unit.received", {"category": "fridge", "gross_g": 45_210 + n % 400,
                               "scale": "SC-1", "source": "trade_in",
                               "trade_in_code": f"TI-{n:08d}", "brand": "Haier",
                               "model": "BCD-190", "serial": f"SN{n:010d}",
                               "nameplate_refrigerant": "R-600a", "nameplate_charge_g": 55,
                               "volume_l": 190}),
            ("refrigerant.recovered", {"refrigerant": "R-600a",
                                       "cylinder": f"CYL-{cylinder:05d}",
                                       "cylinder_gross_before_g": before,
                                       "cylinder_gross_after_g": before + RECOVERED_G,
                                       "recovered_g": RECOVERED_G, "scale": "SC-1",
                                       "nameplate_charge_g": 55}),
            ("component.removed", {"component": "compressor_oil", "count": 1, "mass_g": 250,
                                   "scale": "SC-1"}),
            ("component.removed", {"component": "pcb", "count": 1, "mass_g": 800,
                                   "scale": "SC-1", "lot": f"LOT-pcb-{week:03d}"}),
        ]
        for fraction, grams in (("steel", 20_000), ("compressor", 8_000),
                                ("plastics", 9_500), ("pu_foam", 5_500)):
            steps.append(("material.output", {"fraction": fraction, "mass_g": grams,
                                              "lot": f"LOT-{fraction}-{week:03d}",
                                              "scale": "SC-1"}))
        steps.append(("unit.completed", {}))
        out += [self.event(etype, subject, data, start + i * timedelta(seconds=20))
                for i, (etype, data) in enumerate(steps)]
        return out


def batches(units: int, size: int = 2_000) -> Iterator[list[Submission]]:
    seeder = Seeder()
    batch = seeder.opening()
    for n in range(units):
        batch += seeder.unit(n)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(ledger: Ledger, units: int, log: Callable[[str], None] = print) -> None:
    """Fill an empty ledger with `units` units (the default catalogue at entry 0)."""
    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    started = time.perf_counter()
    done = 0
    with known_good():
        for batch in batches(units):
            ledger.append(batch)
            done += len(batch)
            if done // 200_000 != (done - len(batch)) // 200_000:
                log(f"  seeded {done:,} entries ({time.perf_counter() - started:.0f} s)")


@contextlib.contextmanager
def known_good() -> Iterator[None]:
    """Benchmark seeding only: the ledger skips the checks these entries are known to pass
    (each station signature, each event's rules; the projections and flags are still made),
    so that 2 million entries are seeded in minutes. The entries are the same bytes."""
    saved = ledger_log.Projector, ledger_log.station_signature_ok
    ledger_log.Projector = functools.partial(Projector, judge=False)  # type: ignore[misc]
    ledger_log.station_signature_ok = lambda *_: True
    try:
        yield
    finally:
        ledger_log.Projector, ledger_log.station_signature_ok = saved  # type: ignore[misc]


def stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
