"""What a scale reports: the `Reading`, and the errors that say why there is none.

Every failure a driver can meet is one of the `DeviceError` subclasses below, so a caller
can catch `DeviceError` and show its message: each message says what happened and what
to do about it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Reading:
    """One weight frame as it arrived: never cached, never re-used after a fault.

    `mass_g` is in integer grams at the scale's resolution, whatever unit the scale sent
    (`unit` keeps what it sent). `at` is `time.monotonic()` when the frame's last byte
    arrived, for staleness checks; `at_utc` is the same instant on the wall clock, for
    the ledger.
    """

    mass_g: int
    stable: bool
    unit: str
    raw: bytes
    at: float = field(default_factory=time.monotonic)
    at_utc: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, object]:
        """The reading as plain JSON types; `raw` decoded as Latin-1 so no byte is lost."""
        return {
            "mass_g": self.mass_g,
            "stable": self.stable,
            "unit": self.unit,
            "raw": self.raw.decode("latin-1"),
            "at_utc": self.at_utc.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }


class DeviceError(Exception):
    """Base of every error the devices package raises on purpose."""


class FrameError(DeviceError):
    """Bytes arrived but are not a valid frame: garbage, truncated, bad checksum."""

    def __init__(self, message: str, raw: bytes = b"") -> None:
        super().__init__(f"{message} (received {raw!r})" if raw else message)
        self.raw = raw


class OutOfRangeError(DeviceError):
    """The scale says the load is outside its weighing range; there is no mass to use."""


class OverloadError(OutOfRangeError):
    """Above capacity."""


class UnderloadError(OutOfRangeError):
    """Below zero range, e.g. the platter lifted or zeroed with a load on it."""


class NotStableError(DeviceError):
    """The load is moving: no stable weight (yet)."""


class CommandError(DeviceError):
    """The device refused or could not carry out a command (zero, tare, ...)."""


class UnsupportedError(DeviceError):
    """The protocol has no such command (e.g. zero over CAS)."""


class NoResponseError(DeviceError):
    """The port is open but the device sent nothing complete before the deadline."""


class DisconnectedError(DeviceError):
    """The port is missing or went away (cable pulled, device off, server down)."""


class PortBusyError(DisconnectedError):
    """Another program holds the port; it will not free itself by waiting a moment."""
