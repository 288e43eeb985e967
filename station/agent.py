"""The workstation: devices, the worker's session, the rules and the outbox, tied together.

`Workstation.scan(text)` and `Workstation.act(action, fields)` run one step at a time (a
lock): read what the rules need (the ledger's view merged with the outbox: station.world),
build the event from the worker's inputs and a stable reading (station.workflow), judge it
with the ledger's own rules (`ledger.rules.judge.check`), sign it, and commit it with the new
session to the outbox in one transaction (station.context). Only then is the step
acknowledged (`Outcome.ok`). A refusal by a ledger rule writes nothing of the step but is
itself a record: an `attempt.refused` event about the station, delivered like the others. A
refusal of the worker's session (not signed in, nothing scanned, the scale not steady)
writes nothing. What a scan does is station.routing, what an action does station.actions;
`state()` is the snapshot the kiosk page shows (station.snapshot). Scales are read
continuously by a poller thread per scale, the serial scanner by its own thread
(station.polling); both feed the same methods the page uses, so a keyboard-wedge scan and a
serial scan are the same thing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from devices.scanner import Scanner
from ledger.catalogue import Catalogue
from ledger.events import utc_now_ms
from ledger.rules.reasons import Refusal as RuleRefusal
from station import routing, snapshot
from station.actions import ACTIONS
from station.client import LedgerClient
from station.config import StationConfig
from station.context import StepContext
from station.heartbeat import Heartbeats
from station.identity import StationIdentity
from station.outbox import Courier, Outbox
from station.outcome import Attempt, Outcome
from station.polling import ScalePoller, ScannerReader
from station.session import Session
from station.workflow import N_, Message, Refusal
from station.world import Knowledge

LOG = logging.getLogger(__name__)


class Workstation:
    """One station: see the module docstring. Thread-safe; one step at a time."""

    def __init__(self, config: StationConfig, identity: StationIdentity, client: LedgerClient,
                 outbox: Outbox):
        self.config = config
        self.identity = identity
        self.client = client
        self.outbox = outbox
        self.courier = Courier(outbox, client.submit)
        self.heartbeats = Heartbeats(config.station_id, identity.signer.private_key, outbox,
                                     client.heartbeat)
        knowledge = Knowledge(client, outbox, answered=self.courier.wake)
        self.scales = {s.name: ScalePoller(s) for s in config.scales}
        self.scanner = Scanner(config.scanner_url, suffix=config.scanner_suffix,
                               kinds=config.kinds) if config.scanner_url else None
        self.context = StepContext(config, identity, outbox, knowledge, self.scales,
                                   Session.of_json(outbox.session()))
        self.last: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._reader = ScannerReader(self.scanner, self.scan) if self.scanner else None

    @property
    def session(self) -> Session:
        """The worker's session (station.session), as of the last step committed."""
        return self.context.session

    @property
    def catalogue(self) -> Catalogue | None:
        """The catalogue in force in the ledger (see StepContext.catalogue)."""
        return self.context.catalogue

    # -- running ------------------------------------------------------------------------------

    def start(self) -> Workstation:
        for poller in self.scales.values():
            poller.start()
        self.courier.start()
        self.heartbeats.start()
        if self._reader is not None:
            self._reader.start()
        return self

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.stop()
        self.courier.stop()
        self.heartbeats.stop()
        for poller in self.scales.values():
            poller.stop()

    # -- the interface the kiosk uses ---------------------------------------------------------

    def scan(self, text: str) -> Outcome:
        with self._lock:
            failed = Message(N_("The station could not handle the scan %(text)s: call the "
                                "supervisor"), {"text": text})
            return self._run(lambda: routing.scan(self.context, text.strip()), failed)

    def act(self, action: str, fields: dict[str, str]) -> Outcome:
        with self._lock:
            handler = ACTIONS.get(action)
            if handler is None:
                return self.record(Outcome(False, Message(
                    N_("Unknown action %(action)s"), {"action": action}), "bad_input"))
            failed = Message(N_("The station could not carry out %(action)s: call the "
                                "supervisor"), {"action": action})
            return self._run(lambda: handler(self.context, fields), failed)

    def state(self) -> dict[str, Any]:
        """The snapshot the kiosk page shows (station.snapshot)."""
        with self._lock:
            return snapshot.state(self.context, self.courier, self.client.mode, self.last)

    def record(self, outcome: Outcome) -> Outcome:
        """Keep `outcome` as the last one the page shows (every outcome, refusals too)."""
        self.last = {**outcome.as_json(), "at": utc_now_ms()}
        return outcome

    def _run(self, step: Callable[[], Outcome], failed: Message) -> Outcome:
        """Run one step; a refusal is an outcome (a ledger rule's is recorded first), and so
        is a fault (logged, nothing written: the outbox commit is the step's last act)."""
        try:
            outcome = step()
        except Attempt as attempt:
            outcome = Outcome(False, Message.of_rule(attempt.refusal), attempt.refusal.code,
                              attempt=self._record_attempt(attempt))
        except RuleRefusal as refusal:  # judged on nothing the worker attempted (a category)
            outcome = Outcome(False, Message.of_rule(refusal), refusal.code)
        except Refusal as refusal:
            outcome = Outcome(False, refusal.message, refusal.code)
        except Exception:
            LOG.exception("%s failed", failed.text())
            outcome = Outcome(False, failed, "error")
        return self.record(outcome)

    def _record_attempt(self, attempt: Attempt) -> str:
        """Commit the `attempt.refused` record of a refusal; its event id."""
        params = {key: value if isinstance(value, int | str) and not isinstance(value, bool)
                  else str(value) for key, value in attempt.refusal.params.items()}
        event = self.context.event("attempt.refused", f"station:{self.config.station_id}",
                                   {"rule": attempt.refusal.code, "attempted": attempt.attempted,
                                    "about": attempt.about, "params": params})
        self.context.commit([event], self.context.session)
        return str(event["event"]["id"])
