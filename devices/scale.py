"""The scale driver: fresh readings, waiting for a stable one, zero and tare.

    with Scale("/dev/serial/by-id/usb-...", "mtsics", resolution_g=1) as scale:
        reading = scale.wait_stable(timeout=5)

Nothing is cached: every reading comes from a frame that arrived after the call began,
so a value from before an unplug, a silence or a garbled stretch is never returned as
current. Transient faults (garbage, truncated frames, bad checksums, an unplug) are ridden
out until the call's deadline and then raised as the matching `DeviceError`; the port is
reopened by URL on the next attempt, so the driver recovers by itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import TracebackType

from devices.protocols import PROTOCOLS, ScaleProtocol, SerialSettings
from devices.reading import (
    DeviceError,
    DisconnectedError,
    FrameError,
    NoResponseError,
    NotStableError,
    OutOfRangeError,
    OverloadError,
    PortBusyError,
    Reading,
    UnsupportedError,
)
from devices.transport import Transport
from devices.units import to_grams


class Scale:
    """One scale on one port.

    `protocol` is a name from `devices.protocols.PROTOCOLS` or a protocol object.
    `resolution_g` is the scale's division in grams; readings are rounded to it.
    `capacity_g`, when given, turns any heavier reading into OverloadError, whatever the
    scale says. `unit` is the unit the scale is set to, for protocols that do not send
    one (8217; SBI while moving). `stream` reads the scale's continuous output instead of
    polling (default: poll when the protocol can). `reply_timeout` bounds one request.
    Safe to share between threads: calls are serialised.
    """

    def __init__(
        self,
        url: str,
        protocol: str | ScaleProtocol,
        *,
        resolution_g: int = 1,
        capacity_g: int | None = None,
        unit: str = "kg",
        stream: bool | None = None,
        serial_settings: SerialSettings | None = None,
        reply_timeout: float = 0.5,
    ) -> None:
        self.protocol = _protocol(protocol)
        if resolution_g < 1:
            raise ValueError(f"resolution_g must be a whole number >= 1, got {resolution_g}")
        self.resolution_g = resolution_g
        self.capacity_g = capacity_g
        self.unit = unit
        self.streaming = self.protocol.weigh is None if stream is None else stream
        if self.streaming and self.protocol.stream is None:
            raise ValueError(f"protocol {self.protocol.name} cannot stream")
        if not self.streaming and self.protocol.weigh is None:
            raise ValueError(f"protocol {self.protocol.name} only streams; it cannot be polled")
        self.reply_timeout = reply_timeout
        self.transport = Transport(url, serial_settings or self.protocol.serial)
        self.last_fault: DeviceError | None = None
        self._lock = threading.RLock()

    @property
    def url(self) -> str:
        return self.transport.url

    @property
    def status(self) -> str:
        """One line for a status bar: 'ok', or the last fault met while reading."""
        if self.last_fault is None:
            return "ok"
        return f"{type(self.last_fault).__name__}: {self.last_fault}"

    def open(self, timeout: float = 0.0) -> Scale:
        """Open the port now (retrying up to `timeout` s) to find problems early.

        Not required: every call opens the port when needed, and reopens it after a fault.
        """
        with self._lock:
            self._connect(time.monotonic() + timeout)
        return self

    def close(self) -> None:
        with self._lock:
            self.transport.close()

    def __enter__(self) -> Scale:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def current(self, timeout: float = 1.0) -> Reading:
        """The scale's reading now, stable or moving.

        Raises OverloadError/UnderloadError when the load is out of range, NotStableError
        when the protocol sends no weight during motion, and FrameError,
        NoResponseError or DisconnectedError when no valid frame came within `timeout`.
        """
        with self._lock:
            return next(self._fresh_readings(time.monotonic() + timeout))

    def wait_stable(self, timeout: float = 5.0) -> Reading:
        """The first stable, in-range reading to arrive within `timeout` seconds.

        On timeout raises what stood in the way: NotStableError if the load kept moving,
        OverloadError/UnderloadError if it stayed out of range, or the line's fault.
        """
        deadline = time.monotonic() + timeout
        why: DeviceError | None = None  # the scale's own reason there is no stable weight
        seen_at = 0.0
        with self._lock:
            while True:
                try:
                    for reading in self._fresh_readings(deadline):
                        if reading.stable:
                            return reading
                        why, seen_at = NotStableError(
                            f"load still moving after {timeout:g} s (last {reading.mass_g} g): "
                            "keep it still, or check for vibration or something touching it"
                        ), reading.at
                except (OutOfRangeError, NotStableError) as exc:
                    why, seen_at = exc, time.monotonic()
                    if seen_at >= deadline:
                        raise
                except (NoResponseError, FrameError):
                    # The deadline struck while a frame was due; report the scale's own
                    # status if we heard it lately, otherwise the line fault.
                    if why is not None and time.monotonic() - seen_at < 2 * self.reply_timeout:
                        self.last_fault = why
                        raise why from None
                    raise

    def zero(self, timeout: float = 5.0) -> None:
        """Set the empty scale to zero; CommandError if it refuses (moving, out of range)."""
        self._command(self.protocol.zero, "zero", timeout)

    def tare(self, timeout: float = 5.0) -> None:
        """Take the current load (a container) as the tare; later readings are net."""
        self._command(self.protocol.tare, "tare", timeout)

    def reset(self, timeout: float = 5.0) -> str:
        """MT-SICS `@`: cancel pending commands, clear the tare; returns the serial number."""
        serial_number = self._command(self.protocol.reset, "reset", timeout)
        if self.streaming and self.protocol.stream:
            self.transport.write(self.protocol.stream)  # `@` also stopped the stream
        return serial_number

    def _command(self, command: bytes | None, what: str, timeout: float) -> str:
        if command is None:
            raise UnsupportedError(f"protocol {self.protocol.name} has no {what} command")
        deadline = time.monotonic() + timeout
        with self._lock:
            self._connect(deadline)
            self.transport.discard_input()
            self.transport.write(command)
            if not self.protocol.acknowledges:
                return ""
            while True:
                frame, _ = self.transport.read_frame(
                    self.protocol.terminator, self.protocol.trailer, deadline
                )
                try:
                    reply = self.protocol.reply_to(command, frame)
                except FrameError:
                    continue  # a garbled streamed frame; the reply may still come
                if reply is not None:
                    return reply

    def _connect(self, deadline: float) -> None:
        """Open the port if needed; a fresh connection to a streaming scale is told to stream."""
        if self.transport.ensure_open(deadline) and self.streaming and self.protocol.stream:
            self.transport.write(self.protocol.stream)

    def _fresh_readings(self, deadline: float) -> Iterator[Reading]:
        """Readings from frames that arrived after this call, riding out faults until `deadline`.

        Polling sends one request per reading; streaming discards what was buffered and the
        first (possibly partial) frame after it. Out-of-range and motion-only frames raise
        at once: they are the scale's real status, not faults of the line.
        """
        synced = False
        fault: DeviceError | None = None
        while True:
            try:
                self._connect(deadline)
                if self.streaming:
                    if not synced:
                        self.transport.discard_input()
                        self._read(deadline)
                        synced = True
                    frame, at = self._read(deadline)
                else:
                    self.transport.discard_input()
                    self.transport.write(self.protocol.weigh or b"")
                    frame, at = self._read(min(deadline, time.monotonic() + self.reply_timeout))
                reading = self._reading(frame, at)
            except (FrameError, NoResponseError, DisconnectedError) as exc:
                synced = False
                if isinstance(exc, PortBusyError):
                    raise
                if time.monotonic() >= deadline:
                    # Silence at the deadline says less than a bad frame or unplug just before.
                    last: DeviceError = exc
                    if isinstance(exc, NoResponseError) and fault is not None:
                        last = fault
                    self.last_fault = last
                    raise last from None
                fault = self.last_fault = exc
                continue
            self.last_fault = None
            yield reading

    def _read(self, deadline: float) -> tuple[bytes, float]:
        return self.transport.read_frame(self.protocol.terminator, self.protocol.trailer, deadline)

    def _reading(self, frame: bytes, at: float) -> Reading:
        weight = self.protocol.parse(frame)
        mass_g = to_grams(weight.value, weight.unit or self.unit, self.resolution_g)
        if self.capacity_g is not None and mass_g > self.capacity_g:
            raise OverloadError(
                f"reading {mass_g} g is above the configured capacity {self.capacity_g} g"
            )
        return Reading(mass_g=mass_g, stable=weight.stable, unit=weight.unit or self.unit,
                       raw=frame, at=at)


def _protocol(protocol: str | ScaleProtocol) -> ScaleProtocol:
    if isinstance(protocol, ScaleProtocol):
        return protocol
    try:
        return PROTOCOLS[protocol]
    except KeyError:
        raise ValueError(
            f"unknown scale protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}"
        ) from None
