"""The station's heartbeat to the ledger: every INTERVAL_S, its outbox backlog (pending and
held events) and its agent's version, signed with the station key (ledger/heartbeats.py), so
the console's Stations page shows when it last heard from the station and what waits in its
outbox. A heartbeat that does not arrive is not retried: the next one says the same, newer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib import metadata

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import heartbeats
from ledger.events import utc_now_ms
from station.outbox import Outbox, Refused, Unreachable

LOG = logging.getLogger(__name__)

Send = Callable[[dict[str, object], str], str]  # (heartbeat, signature) -> received_at


def agent_version() -> str:
    """The installed package's version, which the station agent is part of."""
    try:
        return metadata.version("dismantle-ledger")
    except metadata.PackageNotFoundError:
        return "unknown"


class Heartbeats:
    """The heartbeat thread of one station."""

    def __init__(self, station_id: str, key: Ed25519PrivateKey, outbox: Outbox, send: Send,
                 interval_s: float = heartbeats.INTERVAL_S):
        self.station_id = station_id
        self.key = key
        self.outbox = outbox
        self.send = send
        self.interval_s = interval_s
        self.version = agent_version()
        self.last_received_at: str | None = None  # the console's receipt of the latest one
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> str:
        """Send one heartbeat now; the console's time of receipt. Raises Unreachable or
        Refused as the ledger's client does."""
        counts = self.outbox.counts()
        beat = heartbeats.Heartbeat(station=self.station_id, sent_at=utc_now_ms(),
                                    pending=counts["pending"], held=counts["held"],
                                    agent_version=self.version)
        received = self.send(beat.as_json(), heartbeats.sign(beat, self.key))
        self.last_received_at, self.last_error = received, None
        return received

    def start(self) -> Heartbeats:
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except (Unreachable, Refused) as exc:
                if str(exc) != self.last_error:  # said once, not every 30 s
                    LOG.warning("heartbeat of %s not delivered: %s", self.station_id, exc)
                self.last_error = str(exc)
            self._stop.wait(self.interval_s)
