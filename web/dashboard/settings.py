"""The dashboard's settings: the plant's shifts and how often a live page refreshes.

The thresholds of its alerts are not settings: the ledger computes the flags (ledger/rules/
flags.py) with the tolerances of the catalogue in force (`Ledger.catalogue()`), and the
dashboard reads those flags and that catalogue.

Read once when the blueprint is registered, from the app's config (tests, `create_app(config=)`)
or else the environment, and checked then: a wrong value stops the console at start with a
message naming the variable, instead of a page failing later.

- `DLEDGER_SHIFTS` (`day=08:00-20:00,night=20:00-08:00`): named shifts in plant time; a
  shift whose end is not after its start crosses midnight.
- `DLEDGER_DASHBOARD_REFRESH_S` (30): a page whose range includes now refreshes its figures
  this often, in seconds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from web.config import ConfigError

EXTENSION = "dledger_dashboard"
DEFAULT_SHIFTS = "day=08:00-20:00,night=20:00-08:00"
_SHIFT = re.compile(r"^\s*([A-Za-z0-9_-]{1,20})\s*=\s*(\d{1,2}):(\d{2})\s*-\s*"
                    r"(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Shift:
    name: str
    start: time
    end: time  # equal to or before start: the shift ends the next day

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class DashboardSettings:
    shifts: tuple[Shift, ...]
    refresh_s: float

    def shift(self, name: str) -> Shift | None:
        return next((s for s in self.shifts if s.name == name), None)


def _value(config: dict[str, Any], name: str, default: str) -> str:
    value = config.get(name)
    if value is None:
        value = os.environ.get(name) or default
    return str(value)


def _number(config: dict[str, Any], name: str, default: str, upper: float) -> float:
    text = _value(config, name, default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= upper:
        raise ConfigError(f"{name}={text!r}: give a number above 0 and at most {upper:g}, "
                          f"e.g. {default}")
    return value


def parse_shifts(text: str) -> tuple[Shift, ...]:
    """`day=08:00-20:00,night=20:00-08:00` as Shifts; raises ConfigError naming the part."""
    shifts: list[Shift] = []
    for part in text.split(","):
        match = _SHIFT.match(part)
        if not match:
            raise ConfigError(f"DLEDGER_SHIFTS: {part.strip()!r} is not name=HH:MM-HH:MM; "
                              f"e.g. {DEFAULT_SHIFTS}")
        name, h1, m1, h2, m2 = match.groups()
        try:
            shift = Shift(name, time(int(h1), int(m1)), time(int(h2), int(m2)))
        except ValueError:
            raise ConfigError(f"DLEDGER_SHIFTS: {part.strip()!r} has a time that does not "
                              "exist; use 00:00 to 23:59") from None
        if any(s.name == name for s in shifts):
            raise ConfigError(f"DLEDGER_SHIFTS: shift {name!r} is named twice")
        shifts.append(shift)
    return tuple(shifts)


def load(config: dict[str, Any]) -> DashboardSettings:
    return DashboardSettings(
        shifts=parse_shifts(_value(config, "DLEDGER_SHIFTS", DEFAULT_SHIFTS)),
        refresh_s=_number(config, "DLEDGER_DASHBOARD_REFRESH_S", "30", 3600),
    )
