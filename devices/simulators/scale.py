"""A scriptable scale on a pty or TCP port, speaking any protocol in `devices.protocols`.

    sim = ScaleSimulator("mtsics", resolution_g=1, capacity_g=150_000)
    url = sim.serve_pty()                  # or sim.serve_tcp() -> "socket://127.0.0.1:PORT"
    sim.place(12_345, settle_ms=300, noise_g=3)
    sim.inject("garbage")                  # the next frame is line noise
    sim.unplug(); sim.replug()
    sim.close()

Faults spoil the next frames the device sends: "garbage" (random bytes instead of the
frame), "truncated" (half a frame, no terminator), "bad_checksum" (Toledo only);
"silence" ignores commands and stops the stream for `seconds`; "disconnect" unplugs
for `seconds`, then plugs back in.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from devices.protocols import PROTOCOLS
from devices.simulators.base import IDLE_S, Simulator
from devices.simulators.load import Display, Load
from devices.simulators.protocols import DIALECTS

FAULTS = ("garbage", "truncated", "bad_checksum", "silence", "disconnect")


class ScaleSimulator(Simulator):
    """A simulated scale; see the module docstring for a tour."""

    def __init__(
        self,
        protocol: str = "mtsics",
        *,
        resolution_g: int = 1,
        capacity_g: int = 150_000,
        unit: str = "kg",
        stream_interval_s: float = 0.1,
        seed: int | None = None,
    ) -> None:
        if protocol not in DIALECTS:
            raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(DIALECTS)}")
        super().__init__(PROTOCOLS[protocol].serial)
        self.protocol = protocol
        self.dialect = DIALECTS[protocol](unit, resolution_g)
        self.command = self.dialect.command
        self._rng = random.Random(seed)  # noqa: S311 -- noise, not secrets
        self.load = Load(resolution_g, capacity_g, self._rng)
        self.streaming = self.dialect.streams
        self.stream_interval_s = stream_interval_s
        self._next_frame_at = 0.0
        self._pending: tuple[float, Callable[[], bytes], bytes | None] | None = None
        self._terminator = PROTOCOLS[protocol].terminator
        self._spoil: list[str] = []
        self._silent_until = 0.0
        self._replug_timer: threading.Timer | None = None

    # The load.

    def place(self, mass_g: float, settle_ms: float = 300, noise_g: float = 0) -> None:
        """Put `mass_g` grams (gross) on the platter; it moves for `settle_ms` then stands still."""
        with self._lock:
            self.load.place(mass_g, settle_ms, noise_g, time.monotonic())

    def remove(self, settle_ms: float = 300, noise_g: float = 0) -> None:
        """Take everything off."""
        self.place(0, settle_ms, noise_g)

    def overload(self) -> None:
        """Load well beyond capacity."""
        self.place(self.load.capacity_g * 1.2, settle_ms=0)

    def underload(self) -> None:
        """Below the zero range, as when the platter is lifted off."""
        self.place(-self.load.capacity_g * 0.1, settle_ms=0)

    def display(self) -> Display:
        with self._lock:
            return self.load.display(time.monotonic())

    def zero(self) -> bool:
        with self._lock:
            return self.load.zero(time.monotonic())

    def tare(self) -> bool:
        with self._lock:
            return self.load.tare(time.monotonic())

    # Faults.

    def inject(self, fault: str, count: int = 1, seconds: float = 1.0) -> None:
        """Inject a fault (one of FAULTS); `count` frames are spoiled, or for `seconds`."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        if fault == "bad_checksum":
            self.dialect.corrupt_checksum(b"\x00")  # raises for protocols without a checksum
        if fault == "disconnect":
            self.unplug()
            self._replug_timer = threading.Timer(seconds, self.replug)
            self._replug_timer.start()
            return
        with self._lock:
            if fault == "silence":
                self._silent_until = time.monotonic() + seconds
            else:
                self._spoil += [fault] * count

    def clear_faults(self) -> None:
        """End every injected fault now (a pending replug still happens)."""
        with self._lock:
            self._spoil.clear()
            self._silent_until = 0.0

    def close(self) -> None:
        if self._replug_timer is not None:
            self._replug_timer.cancel()
        super().close()

    # Protocol support for the dialects (called on the loop thread).

    def when_still(
        self, timeout_s: float, then: Callable[[], bytes], otherwise: bytes | None
    ) -> bytes | None:
        """Reply with `then()` once the load is still, or `otherwise` after `timeout_s`."""
        now = time.monotonic()
        if now >= self.load.settled_at():
            return then()
        self._pending = (now + timeout_s, then, otherwise)
        return None

    def handle(self, command: bytes) -> None:
        if time.monotonic() < self._silent_until:
            return
        reply = self.dialect.respond(command, self)
        if reply is not None:
            self._emit(reply)

    def tick(self, now: float) -> float:
        if now < self._silent_until:
            return min(IDLE_S, self._silent_until - now)
        if self._pending is not None:
            deadline, then, otherwise = self._pending
            if now >= self.load.settled_at() or now >= deadline:
                self._pending = None
                reply = then() if now >= self.load.settled_at() else otherwise
                if reply is not None:
                    self._emit(reply)
        if not self.streaming:
            return IDLE_S / 5 if self._pending else IDLE_S
        if now >= self._next_frame_at:
            self._next_frame_at = now + self.stream_interval_s
            self._emit(self.dialect.frame(self.load.display(now)))
        return self._next_frame_at - time.monotonic()

    def _emit(self, frame: bytes) -> None:
        """Send `frame`, spoiled by the next injected fault if there is one."""
        fault = self._spoil.pop(0) if self._spoil else None
        if fault == "garbage":
            noise = bytes(b for b in self._rng.randbytes(len(frame) * 2)
                          if b & 0x7F not in self.dialect.delimiters)
            frame = noise[: len(frame)] + self._terminator
        elif fault == "truncated":
            frame = frame[: len(frame) // 2]
        elif fault == "bad_checksum":
            frame = self.dialect.corrupt_checksum(frame)
        self.send(frame)
