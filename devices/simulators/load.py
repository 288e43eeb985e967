"""The physics of the simulated platter: what is on it, how it settles, zero and tare."""

from __future__ import annotations

import random
from dataclasses import dataclass

ZERO_RANGE = 0.02  # zero is refused beyond ±2 % of capacity, as on trade scales
OVER_DIVISIONS = 9  # over capacity + 9 divisions the display blanks (OIML R76)
UNDER_DIVISIONS = 20


@dataclass(frozen=True)
class Display:
    """What the indicator shows at one instant, in grams at the scale's resolution."""

    net_g: int
    tare_g: int
    moving: bool
    over: bool
    under: bool


class Load:
    """Gross load on the platter, settling from its previous value to the placed one."""

    def __init__(self, resolution_g: int, capacity_g: int, rng: random.Random) -> None:
        self.resolution_g = resolution_g
        self.capacity_g = capacity_g
        self._rng = rng
        self._from_g = 0.0
        self._to_g = 0.0
        self._start = 0.0
        self._settle_s = 0.0
        self._noise_g = 0.0
        self.zero_g = 0.0
        self.tare_g = 0

    def place(self, mass_g: float, settle_ms: float, noise_g: float, now: float) -> None:
        """Change the gross load to `mass_g`, moving for `settle_ms` with ±`noise_g` jitter."""
        self._from_g = self._gross(now)
        self._to_g = float(mass_g)
        self._start = now
        self._settle_s = settle_ms / 1000
        self._noise_g = noise_g

    def settled_at(self) -> float:
        """The monotonic time the current load stops moving."""
        return self._start + self._settle_s

    def display(self, now: float) -> Display:
        above_zero = self._gross(now) - self.zero_g
        shown = self._round(above_zero)
        return Display(
            net_g=shown - self.tare_g,
            tare_g=self.tare_g,
            moving=now < self.settled_at(),
            over=shown > self.capacity_g + OVER_DIVISIONS * self.resolution_g,
            under=shown < -UNDER_DIVISIONS * self.resolution_g,
        )

    def zero(self, now: float) -> bool:
        """Zero if still and within the zero range; clears the tare like most indicators."""
        gross = self._gross(now)
        if now < self.settled_at() or abs(gross) > ZERO_RANGE * self.capacity_g:
            return False
        self.zero_g, self.tare_g = gross, 0
        return True

    def tare(self, now: float) -> bool:
        """Take the current load as tare, if still and in range."""
        shown = self.display(now)
        if shown.moving or shown.over or shown.under:
            return False
        self.tare_g = self._round(self._gross(now) - self.zero_g)
        return True

    def _gross(self, now: float) -> float:
        if now >= self.settled_at() or self._settle_s <= 0:
            return self._to_g
        left = 1 - (now - self._start) / self._settle_s
        jitter = self._rng.uniform(-self._noise_g, self._noise_g)
        return self._to_g + (self._from_g - self._to_g) * left * left + jitter

    def _round(self, grams: float) -> int:
        return round(grams / self.resolution_g) * self.resolution_g
