"""What each simulated scale protocol provides: commands it answers, frames it sends."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from decimal import Decimal
from typing import TYPE_CHECKING

from devices.simulators.load import Display
from devices.units import GRAMS_PER_UNIT

if TYPE_CHECKING:
    from devices.simulators.scale import ScaleSimulator


class Dialect(ABC):
    """The device side of one protocol. `command` captures one host command in group 1.

    `streams` says the device sends frames unasked from power-up (Toledo Continuous).
    `delimiters` are bytes injected garbage must avoid, so garbage spoils one frame only.
    """

    command: re.Pattern[bytes]
    streams: bool = False
    delimiters: bytes = b"\r\n"

    def __init__(self, unit: str, resolution_g: int) -> None:
        self.unit = unit
        self.resolution_g = resolution_g

    @abstractmethod
    def frame(self, shown: Display) -> bytes:
        """The weight frame for what the indicator shows."""

    @abstractmethod
    def respond(self, command: bytes, sim: ScaleSimulator) -> bytes | None:
        """The reply to one command, or None for no reply (or a reply sent later)."""

    def corrupt_checksum(self, frame: bytes) -> bytes:
        raise ValueError(f"{type(self).__name__} frames carry no checksum to corrupt")

    def decimals(self) -> int:
        """Decimal places that show one division in our unit (at least 0)."""
        step = Decimal(self.resolution_g) / GRAMS_PER_UNIT[self.unit]
        return max(0, -step.normalize().adjusted()) if step < 1 else 0

    def value(self, grams: int) -> str:
        """`grams` in our unit with the display's decimals, no sign."""
        amount = Decimal(abs(grams)) / GRAMS_PER_UNIT[self.unit]
        return f"{amount:.{self.decimals()}f}"
