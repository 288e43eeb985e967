"""The station's durable outbox: every signed event, committed before the worker sees "done".

One SQLite file (WAL, synchronous=FULL) holds:
- `events`: each signed submission in the order the station made it, with its delivery state
  (pending → delivered, or held with the ledger's reason). Delivered events stay, so the
  station's rules can see what it did even before the console answers a read.
- `session`: the station's working state (operator, open unit, cylinder, lot), written in the
  same transaction as the events of a step, so a restart resumes exactly where it stopped.
- `reference`: the last answer the ledger gave about a subject (a unit's or a lot's entries,
  a cylinder's facts, the catalogue in force), used when the console is out of reach.

`Courier` delivers pending events in order, in batches, exactly once (event ids make a retry
after a lost answer return the existing entry), with backoff while the ledger is unreachable.
An event the ledger refuses is held with its reason, never dropped; later events about the
same subject wait behind it, so a unit's history is never delivered out of order.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.events import utc_now_ms

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    type TEXT NOT NULL,
    submission TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'held')),
    reason TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    ledger_index INTEGER
);
CREATE INDEX IF NOT EXISTS ix_events_state_seq ON events (state, seq);
CREATE INDEX IF NOT EXISTS ix_events_subject_seq ON events (subject, seq);
CREATE TABLE IF NOT EXISTS session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reference (
    subject TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Held:
    seq: int
    event_id: str
    subject: str
    type: str
    reason: str


class Outbox:
    """The outbox file; safe to share between threads (one connection, serialised)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._lock = threading.RLock()
        self.changed = threading.Event()  # set on every commit: wakes the courier
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- a step: its events and the session, in one transaction -------------------------------

    def commit(self, submissions: list[dict[str, Any]], session: dict[str, Any]) -> None:
        """Store a step's signed events and the new session; durable when this returns.

        An event about a subject with held events is held too, behind them.
        """
        now = utc_now_ms()
        with self._tx() as db:
            for sub in submissions:
                event = sub["event"]
                blocked = db.execute("SELECT id FROM events WHERE subject = ? AND state = 'held' "
                                     "ORDER BY seq LIMIT 1", (event["subject"],)).fetchone()
                state, reason = ("held", f"waits for held event {blocked[0]}") if blocked \
                    else ("pending", None)
                db.execute("INSERT INTO events (id, subject, type, submission, state, reason, "
                           "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (event["id"], event["subject"], event["type"],
                            json.dumps(sub, ensure_ascii=False), state, reason, now))
            db.execute("INSERT INTO session (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE "
                       "SET body = excluded.body", (json.dumps(session, ensure_ascii=False),))
        if submissions:
            self.changed.set()

    def session(self) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute("SELECT body FROM session WHERE id = 1").fetchone()
        return json.loads(row[0]) if row else {}

    # -- what the station wrote ---------------------------------------------------------------

    def events_for(self, subject: str) -> list[dict[str, Any]]:
        """Every event about `subject` the station made, oldest first, in any state."""
        with self._lock:
            rows = self._db.execute("SELECT submission FROM events WHERE subject = ? ORDER BY "
                                    "seq", (subject,)).fetchall()
        return [json.loads(body)["event"] for (body,) in rows]

    def recoveries_into(self, cylinder: str) -> list[tuple[int | None, dict[str, Any]]]:
        """(ledger index or None, event) of each recovery into `cylinder` this station made
        that the ledger has not refused (pending or delivered), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT ledger_index, submission FROM events WHERE type = "
                "'refrigerant.recovered' AND state != 'held' AND "
                "json_extract(submission, '$.event.data.cylinder') = ? ORDER BY seq",
                (cylinder,)).fetchall()
        return [(index, json.loads(body)["event"]) for index, body in rows]

    def trade_in_holder(self, code: str) -> str | None:
        """The unit this station received with trade-in code `code`, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT subject FROM events WHERE type = 'unit.received' AND "
                "json_extract(submission, '$.event.data.trade_in_code') = ? LIMIT 1",
                (code,)).fetchone()
        return row[0].split(":", 1)[1] if row else None

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM events GROUP BY state")
            found = dict(rows.fetchall())
        return {state: found.get(state, 0) for state in ("pending", "delivered", "held")}

    def held(self) -> list[Held]:
        with self._lock:
            rows = self._db.execute("SELECT seq, id, subject, type, reason FROM events WHERE "
                                    "state = 'held' ORDER BY seq").fetchall()
        return [Held(*row) for row in rows]

    def release(self) -> int:
        """Put every held event back in the queue (after the cause was fixed on the console)."""
        with self._tx() as db:
            count = db.execute("UPDATE events SET state = 'pending', reason = NULL WHERE state = "
                               "'held'").rowcount
        self.changed.set()
        return count

    # -- delivery -----------------------------------------------------------------------------

    def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT seq, submission FROM events WHERE state = 'pending' "
                                    "ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [(seq, json.loads(body)) for seq, body in rows]

    def delivered(self, done: list[tuple[int, int]]) -> None:
        """Mark (seq, ledger index) pairs delivered."""
        now = utc_now_ms()
        with self._tx() as db:
            db.executemany("UPDATE events SET state = 'delivered', delivered_at = ?, "
                           "ledger_index = ? WHERE seq = ?",
                           [(now, index, seq) for seq, index in done])

    def hold(self, seq: int, reason: str) -> None:
        """Hold event `seq` with the ledger's reason, and every later event of its subject."""
        with self._tx() as db:
            subject, event_id = db.execute("SELECT subject, id FROM events WHERE seq = ?",
                                           (seq,)).fetchone()
            db.execute("UPDATE events SET state = 'held', reason = ? WHERE seq = ?",
                       (reason, seq))
            db.execute("UPDATE events SET state = 'held', reason = ? WHERE subject = ? AND "
                       "seq > ? AND state = 'pending'",
                       (f"waits for held event {event_id}", subject, seq))

    # -- the ledger's answers, for when it is out of reach ------------------------------------

    def remember(self, subject: str, answer: dict[str, Any]) -> None:
        """Keep the ledger's `answer` about `subject` (JSON), replacing the one before."""
        with self._tx() as db:
            db.execute("INSERT INTO reference (subject, body, fetched_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (subject) DO UPDATE SET body = excluded.body, "
                       "fetched_at = excluded.fetched_at",
                       (subject, json.dumps(answer, ensure_ascii=False), utc_now_ms()))

    def remembered(self, subject: str) -> dict[str, Any] | None:
        """The last answer kept about `subject`; None if none, or one kept by an older version
        of the station in another shape (a list of events)."""
        with self._lock:
            row = self._db.execute("SELECT body FROM reference WHERE subject = ?",
                                   (subject,)).fetchone()
        found = json.loads(row[0]) if row else None
        return found if isinstance(found, dict) else None


class Unreachable(Exception):
    """The ledger could not be asked (network, console down); try again later."""


class Refused(Exception):
    """The ledger refused item `position` of a batch; nothing of the batch was appended."""

    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.position = position


Submit = Callable[[list[dict[str, Any]]], list[int]]  # submissions -> ledger indexes


class Courier:
    """The delivery thread: pending events to the ledger, in order, with backoff."""

    def __init__(self, outbox: Outbox, submit: Submit, batch: int = 200,
                 backoff: tuple[float, float] = (0.2, 5.0)):
        self.outbox = outbox
        self.submit = submit
        self.batch = batch
        self.backoff = backoff
        self.online: bool | None = None  # unknown until the first attempt
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Try again now instead of after the backoff (the ledger just answered a read)."""
        if self.online is False:
            self._wake.set()

    def start(self) -> Courier:
        self._thread = threading.Thread(target=self._run, name="outbox-courier", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self.outbox.changed.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def deliver_once(self) -> int:
        """Send what is pending now, batch by batch; returns how many were delivered.

        Raises Unreachable when the ledger cannot be reached.
        """
        sent = 0
        while True:
            items = self.outbox.pending(self.batch)
            if not items:
                return sent
            try:
                indexes = self.submit([sub for _, sub in items])
            except Refused as exc:
                position = min(max(exc.position, 0), len(items) - 1)
                if position > 0:  # the ones before it are fine: send them on their own
                    head = items[:position]
                    indexes = self.submit([sub for _, sub in head])
                    self.outbox.delivered([(seq, i) for (seq, _), i in
                                           zip(head, indexes, strict=True)])
                    sent += len(head)
                self.outbox.hold(items[position][0], str(exc))
                continue
            self.outbox.delivered([(seq, i) for (seq, _), i in zip(items, indexes, strict=True)])
            sent += len(items)

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            self.outbox.changed.clear()
            try:
                self.deliver_once()
            except Unreachable as exc:
                self.online, self.last_error = False, str(exc)
                delay = self._back_off(delay)
                continue
            except Exception as exc:  # a fault of ours, not the line's: loud, and retried
                error = f"{type(exc).__name__}: {exc}"
                if error != self.last_error:  # once per distinct error, not at every retry
                    log.exception("delivering the outbox failed; retrying")
                self.online, self.last_error = False, error
                delay = self._back_off(delay)
                continue
            self.online, self.last_error, delay = True, None, self.backoff[0]
            self.outbox.changed.wait(1.0)  # also retries now and then: a held event released

    def _back_off(self, delay: float) -> float:
        """Wait `delay` seconds (or until woken); the next wait is twice as long, capped."""
        self._wake.wait(delay)
        self._wake.clear()
        return min(delay * 2, self.backoff[1])
