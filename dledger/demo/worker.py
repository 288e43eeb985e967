"""One worker at one station: scans go through the serial scanner, loads onto the simulated
scales, and presses are the kiosk's actions (`Workstation.act`), as a person would do them.

What the stations answered is counted (`Tally`): the refusals a station gave without a
record (the scale not yet steady: the worker steadies it and presses again). The refusals of
a ledger rule, which the station records as `attempt.refused`, and the flags are the
ledger's: the summary reads them from its read models (records.py), not from here. A refusal
the worker did not expect raises `Unexpected` (the line puts that unit aside); `Stopped` ends
the work when the demo stops, wherever it is — the station keeps the half-done unit, as at
the end of a shift.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices.simulators import ScaleSimulator, ScannerSimulator
from station.agent import Workstation

FRESH_S = 0.5  # a reading this recent is what the worker sees on the scale's display
PRESSES = 3  # a worker presses Weigh again when the station finds the reading not yet steady


class Stopped(Exception):
    """The demo is stopping."""


class Unexpected(Exception):
    """The station refused a step the worker expected to succeed."""

    def __init__(self, station: str, step: str, outcome: dict[str, Any]):
        message = outcome["message"]["template"] % outcome["message"]["params"]
        super().__init__(f"{station} {step}: {outcome['refusal']}: {message}")
        self.outcome = outcome


@dataclass
class Tally:
    """What happened on the floor, for the summary; shared by the workers (locked)."""

    refusals: Counter[str] = field(default_factory=Counter)  # answered with no record
    refusal_examples: dict[str, str] = field(default_factory=dict)
    incidents: Counter[str] = field(default_factory=Counter)
    completed: list[str] = field(default_factory=list)
    put_aside: list[dict[str, str]] = field(default_factory=list)
    outages: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, list[float]] = field(default_factory=dict)  # bench -> per-unit times
    lock: threading.Lock = field(default_factory=threading.Lock)

    def outcome(self, outcome: dict[str, Any]) -> None:
        """Count a refusal the station answered without recording it (a recorded one, an
        `attempt`, is counted from the ledger's refusals)."""
        if not outcome["refusal"] or outcome["attempt"]:
            return
        with self.lock:
            self.refusals[outcome["refusal"]] += 1
            message = outcome["message"]
            self.refusal_examples.setdefault(outcome["refusal"],
                                             message["template"] % message["params"])

    def note(self, incident: str) -> None:
        with self.lock:
            self.incidents[incident] += 1

    def took(self, bench: str, seconds: float) -> None:
        with self.lock:
            self.seconds.setdefault(bench, []).append(seconds)


@dataclass(frozen=True)
class Pace:
    """How fast people work: `speed` 1 is a brisk real pace; 0 is as fast as the devices go."""

    speed: float

    def seconds(self, real_s: float) -> float:
        return 0.0 if self.speed <= 0 else real_s / self.speed

    def settle_ms(self) -> float:
        return 1000 * self.seconds(1.2)


@dataclass
class Rig:
    """A running station and its simulated devices: what a worker stands in front of."""

    id: str
    ws: Workstation
    scanner: ScannerSimulator
    scales: dict[str, tuple[ScaleSimulator, str]]  # role -> (simulator, scale name)


class Worker:
    def __init__(self, rig: Rig, badge: str, pace: Pace, tally: Tally, stop: threading.Event):
        self.rig, self.badge, self.pace, self.tally, self.stop = rig, badge, pace, tally, stop

    # -- what a person does -------------------------------------------------------------------

    def think(self, real_s: float) -> None:
        if self.stop.wait(self.pace.seconds(real_s)):
            raise Stopped

    def scan(self, text: str, expect: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Scan `text` with the station's serial scanner; the station's outcome."""
        self._check()
        ws = self.rig.ws
        before = ws.last
        self.rig.scanner.scan(text)
        outcome = _wait(lambda: ws.last if ws.last is not before else None, 15,
                        f"{self.rig.id} to handle the scan of {text}")
        return self._judge(f"scan {text}", outcome, expect)

    def press(self, action: str, expect: frozenset[str] = frozenset(),
              **fields: Any) -> dict[str, Any]:
        """Press `action` on the kiosk with `fields`; the station's outcome."""
        self._check()
        outcome = self.rig.ws.act(action, {k: str(v) for k, v in fields.items()}).as_json()
        return self._judge(action, outcome, expect)

    def place(self, role: str, grams: int, *, settle_ms: float | None = None,
              steady: bool = True) -> None:
        """Put a load of `grams` on the `role` scale; returns once the station sees it
        (stable, or moving when not `steady`)."""
        self._check()
        sim, name = self.rig.scales[role]
        settle = self.pace.settle_ms() if settle_ms is None else settle_ms
        if steady:
            sim.place(grams, settle_ms=settle, noise_g=0 if settle == 0 else 3)
        else:
            sim.place(grams, settle_ms=600_000, noise_g=40 * sim.load.resolution_g)
        poller = self.rig.ws.scales[name]

        def seen() -> bool:
            view = poller.view()
            if not steady:
                return view.status == "motion"
            return view.status == "stable" and view.mass_g == grams \
                and view.age_s is not None and view.age_s < FRESH_S

        _wait(seen, 15 + settle / 1000, f"{name} to show {grams} g")

    def clear(self, role: str) -> None:
        """Take the load off (not waited for: the next load is)."""
        sim, _ = self.rig.scales[role]
        sim.place(0, settle_ms=min(300, self.pace.settle_ms()))

    def weigh(self, role: str, grams: int, action: str, *, wobble: bool = False,
              **fields: Any) -> dict[str, Any]:
        """Load `grams` and press `action`. With `wobble` the load first keeps moving: the
        station refuses (unstable), the worker steadies it and presses again."""
        if wobble:
            self.place(role, grams, steady=False)
            self.think(1.0)
            self.press(action, expect=frozenset({"unstable"}), **fields)
            self.tally.note("unstable_scale")
            self.think(1.5)
        self.place(role, grams)
        presses = 1
        while True:
            self.think(0.8)
            self._check()
            outcome = self.rig.ws.act(action, {k: str(v) for k, v in fields.items()}).as_json()
            if outcome["refusal"] != "unstable" or presses == PRESSES:
                return self._judge(action, outcome, frozenset())
            # a busy machine can leave the reading a moment stale: look, and press again
            self.tally.outcome(outcome)
            time.sleep(0.3)
            self.place(role, grams)
            presses += 1

    def sign_in(self) -> None:
        """Sign in with the badge; a unit left open by an earlier run is put aside."""
        scanner = self.rig.ws.scanner
        assert scanner is not None  # the demo's stations all have a serial scanner
        _wait(lambda: scanner.transport.is_open, 15, f"{self.rig.id}'s scanner port to open")
        self.scan(self.badge)
        if self.rig.ws.session.unit:
            self.press("cancel")

    # -- internals ----------------------------------------------------------------------------

    def _check(self) -> None:
        if self.stop.is_set():
            raise Stopped

    def _judge(self, step: str, outcome: dict[str, Any], expect: frozenset[str]
               ) -> dict[str, Any]:
        self.tally.outcome(outcome)
        if not outcome["ok"] and outcome["refusal"] not in expect:
            raise Unexpected(self.rig.id, step, outcome)
        if outcome["ok"] and expect:
            raise Unexpected(self.rig.id, step, {**outcome, "refusal": "accepted"})
        return outcome


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
