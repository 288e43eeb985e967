"""The checkpoint publisher: signs a checkpoint whenever the log has grown enough or long enough
ago, and pushes it to the plant's witnesses, so that inspectors always have something recent
to save and witnesses something to cosign.

Cadence (ledger/witness/settings.py): a new checkpoint once the log grew by `every_entries`
since the latest checkpoint, or `every_seconds` after it if the log grew at all; at start and
at stop, at once if the log grew. Every checkpoint is kept (Ledger.checkpoint stores it).

Pushing: each witness is sent the latest checkpoint signed by the current plant key with a
consistency proof from what it cosigned last (a 409 names the witness's size: proved from
there, ledger/witness/plant.py). A failure waits BACKOFF_FIRST_S, doubled at each further
failure up to BACKOFF_MAX_S, then the then-latest checkpoint is pushed. A cosignature the
database did not take is kept in memory and stored again at every step until it is.

One per instance: the publisher holds an exclusive `flock` on `<instance>/checkpoint-
publisher.lock` for as long as it runs; a second one (another `dledger serve` on the same
instance, a cron `publish --once` while the console runs) finds it held and leaves the work to
the first. Its state goes to `<instance>/checkpoint-publisher.json` (replaced atomically) for
the console's pages. Process ids and locks are only meaningful on one machine: the instance
folder is not shared by consoles on several machines (as for the audit job).

It runs in a process of its own (`dledger witness publish`, which `dledger serve` starts and
stops with the console), never in a request: an append never waits for it, and a witness that
hangs only delays the publisher. Its only writes are the checkpoint row (a few milliseconds
under the ledger's write lock, as any signing) and the cosignature rows.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger import processes
from ledger.checkpoint import Checkpoint
from ledger.instance import KEY_FILE
from ledger.keys import KeyFileError, read_vkey
from ledger.log import Ledger, LedgerError, SignedCheckpoint
from ledger.note import Signer, split
from ledger.store import execute, read_transaction
from ledger.witness.plant import (
    DATABASE_ERRORS,
    CosignatureNotStored,
    WitnessRequestError,
    push_checkpoint,
    witnessed_size,
)
from ledger.witness.settings import CheckpointSettings, WitnessTarget

log = logging.getLogger(__name__)
# What fails a round without stopping the publisher: it is reported and the round retried.
ROUND_ERRORS: tuple[type[Exception], ...] = (LedgerError, KeyFileError, OSError, *DATABASE_ERRORS)

LOCK_FILE = "checkpoint-publisher.lock"
STATUS_FILE = "checkpoint-publisher.json"
POLL_S = 0.5  # how often the log's size is read
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 300.0
PUSH_TIMEOUT_S = 10.0  # per request to a witness
HEARTBEAT_S = 5.0  # the status file is rewritten at least this often while running


class PublisherBusy(Exception):
    """Another publisher holds this instance's lock."""

    def __init__(self, pid: int | None):
        super().__init__(f"a checkpoint publisher already runs for this instance"
                         f"{f' (process {pid})' if pid else ''}; it does the work")
        self.pid = pid


@contextmanager
def exclusive(home: Path) -> Iterator[None]:
    """Hold the instance's publisher lock while the block runs; PublisherBusy if it is held."""
    with (home / LOCK_FILE).open("a+", encoding="ascii") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read().strip()
            raise PublisherBusy(int(text) if text.isdigit() else None) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def backoff(failures: int) -> float:
    """Seconds to wait after the `failures`-th failure in a row (1, 2, ...)."""
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2.0 ** (failures - 1))


def _iso(seconds: float | None) -> str | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class _Track:
    """What the publisher knows of one witness."""

    target: WitnessTarget
    witnessed: int  # the largest size it cosigned, as far as we know
    cosigned_at: float | None = None  # clock time of its last cosignature in this run
    failures: int = 0  # in a row
    next_at: float = 0.0  # no push before this clock time
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.target.name, "key_id": self.target.verifier.key_id.hex(),
                "url": self.target.shown_url, "witnessed": self.witnessed,
                "cosigned_at": _iso(self.cosigned_at), "failures": self.failures,
                "error": self.error,
                "next_attempt_at": _iso(self.next_at) if self.failures else None}


class Publisher:
    """Signs at the cadence and pushes to the witnesses; `step()` does one round, `run()`
    rounds until stopped. `clock` (POSIX seconds) is injectable so tests drive time. With
    `unlock` (the instance's `signer`), a plant key rotated while it runs (`dledger key
    rotate` replaces `<home>/plant-key.json`) is unlocked and used from the next round."""

    def __init__(self, home: Path, ledger: Ledger, signer: Signer,
                 settings: CheckpointSettings, clock: Callable[[], float] = time.time,
                 unlock: Callable[[], Signer] | None = None):
        self.home, self.ledger, self.signer, self.settings = home, ledger, signer, settings
        self.clock, self.unlock = clock, unlock
        self.key_id = signer.verifier.key_id.hex()
        self.tracks = [_Track(t, witnessed_size(ledger, t.verifier)) for t in settings.witnesses]
        self.started_at = clock()
        self.seen_size: int | None = None  # the largest checkpoint signed, as last read
        self.signed_at = -math.inf  # clock time it was signed (or first seen)
        self.kept: list[CosignatureNotStored] = []  # cosignatures the database did not take
        self.error: str | None = None
        self._written: tuple[str, float] | None = None
        self._locked_out: str | None = None  # a rotated key this process could not unlock

    # -- one round ------------------------------------------------------------------------------

    def step(self, *, now_or_never: bool = False) -> SignedCheckpoint | None:
        """Store kept cosignatures, sign if due, push to the witnesses that are behind; write
        the status. `now_or_never` (at start of `--once`, at stop) signs whenever the log grew
        and pushes whatever the backoff says. Returns the checkpoint pushed, if any."""
        now = self.clock()
        try:
            self._follow_rotation()
            self._store_kept()
            target = self._sign_if_due(now, now_or_never)
            for track in self.tracks:
                self._push(track, target, now, now_or_never)
        except ROUND_ERRORS as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            target = None
        else:
            self.error = None
        self._write_status(now)
        return target

    def _follow_rotation(self) -> None:
        if self.unlock is None:
            return
        vkey = read_vkey(self.home / KEY_FILE)
        if vkey == self.signer.verifier.vkey:
            return
        if vkey == self._locked_out:  # unlocking is costly (Argon2id): once per new key
            raise KeyFileError(f"the plant key was rotated to {vkey} and this process cannot "
                               "unlock it; restart `dledger serve` with its passphrase")
        try:
            self.signer = self.unlock()
        except KeyFileError:
            self._locked_out = vkey
            raise
        self.key_id = self.signer.verifier.key_id.hex()
        log.info("the plant key was rotated: checkpoints are signed with key %s from now on",
                 self.key_id)

    def _sign_if_due(self, now: float, now_or_never: bool) -> SignedCheckpoint | None:
        size = self.ledger.size()
        newest = self.ledger.latest_checkpoint()
        latest = newest.checkpoint.size if newest else None
        if latest != self.seen_size:
            if self.seen_size is not None:  # someone else signed (a certificate, a manager)
                self.signed_at = now
            self.seen_size = latest
        grown = size - (latest or 0)
        if grown > 0 and (now_or_never or grown >= self.settings.every_entries
                          or now - self.signed_at >= self.settings.every_seconds):
            signed = self.ledger.checkpoint(self.signer)
            self.seen_size, self.signed_at = signed.checkpoint.size, now
            log.info("checkpoint signed at size %d", signed.checkpoint.size)
        return _latest_by_key(self.ledger, self.key_id)

    def _push(self, track: _Track, target: SignedCheckpoint | None, now: float,
              now_or_never: bool) -> None:
        if target is None or target.checkpoint.size <= track.witnessed:
            return
        if now < track.next_at and not now_or_never:
            return
        size = target.checkpoint.size
        try:
            push_checkpoint(self.ledger, target, track.target.url, track.target.verifier,
                            PUSH_TIMEOUT_S)
        except CosignatureNotStored as kept:
            log.warning("witness %s: %s", track.target.name, kept)
            self.kept.append(kept)
        except (WitnessRequestError, LedgerError) as exc:
            track.failures += 1
            track.next_at = now + backoff(track.failures)
            track.error = str(exc)
            log.warning("witness %s at %s: size %d not cosigned (failure %d in a row; next "
                        "try in %g s): %s", track.target.name, track.target.shown_url, size,
                        track.failures, backoff(track.failures), exc)
            return
        if track.failures:
            log.info("witness %s: cosigned size %d after %d failure(s)", track.target.name,
                     size, track.failures)
        track.witnessed, track.cosigned_at = size, now
        track.failures, track.next_at, track.error = 0, 0.0, None

    def _store_kept(self) -> None:
        while self.kept:
            self.kept[0].store()  # raises a database error: kept for the next step
            log.info("stored the kept cosignature of size %d", self.kept[0].size)
            self.kept.pop(0)

    def _fail(self, message: str) -> None:
        if message != self.error:  # once per distinct problem, not twice a second
            log.error("checkpoint publisher: %s", message)
        self.error = message

    # -- running --------------------------------------------------------------------------------

    def run(self, stop: threading.Event, poll_s: float = POLL_S,
            parent: int | None = None) -> None:
        """Rounds every `poll_s` until `stop` is set (or the process `parent` is gone: the
        console that started it died), then a last round that signs what came in."""
        log.info("checkpoint publisher for %s: every %d entries or %g s; witnesses: %s",
                 self.home, self.settings.every_entries, self.settings.every_seconds,
                 ", ".join(f"{t.name} ({t.shown_url})" for t in self.settings.witnesses)
                 or "none")
        self.step(now_or_never=True)
        while not stop.wait(poll_s):
            if parent is not None and os.getppid() != parent:
                log.warning("the console that started this publisher is gone; stopping")
                break
            self.step()
        self.step(now_or_never=True)
        self.close()

    def close(self) -> None:
        """Say in the status file that this publisher stopped."""
        self._write_status(self.clock(), running=False)

    # -- status for the console ---------------------------------------------------------------

    def status(self, now: float, running: bool = True) -> dict[str, Any]:
        latest = self.seen_size
        return {"pid": os.getpid(), "running": running, "started_at": _iso(self.started_at),
                "updated_at": _iso(now), "every_entries": self.settings.every_entries,
                "every_seconds": self.settings.every_seconds,
                "checkpoint": None if latest is None else {
                    "size": latest, "signed_at": _iso(self.signed_at)},
                "error": self.error, "kept_cosignatures": len(self.kept),
                "witnesses": [track.as_json() for track in self.tracks]}

    def _write_status(self, now: float, running: bool = True) -> None:
        status = self.status(now, running)
        body = json.dumps({k: v for k, v in status.items() if k != "updated_at"}, sort_keys=True)
        if self._written and self._written[0] == body and now - self._written[1] < HEARTBEAT_S:
            return
        tmp = self.home / f".{STATUS_FILE}.{os.getpid()}.tmp"
        try:
            tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.home / STATUS_FILE)
        except OSError as exc:
            self._fail(f"cannot write {self.home / STATUS_FILE}: {exc}")
            return
        self._written = (body, now)


def read_status(home: Path) -> dict[str, Any] | None:
    """The publisher's state as its file says, with `running` False when the process that
    wrote it is gone; None if no publisher ever ran for this instance."""
    try:
        status: dict[str, Any] = json.loads((home / STATUS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        log.warning("%s is not JSON; showing no publisher state", home / STATUS_FILE)
        return None
    if status.get("running") and not processes.alive(int(status.get("pid") or 0)):
        status["running"] = False
    return status




# -- the checkpoints table (ledger/log.py has no query by key) -------------------------------

def _latest_by_key(ledger: Ledger, key_id: str) -> SignedCheckpoint | None:
    """The largest checkpoint signed by the plant key `key_id`: the one witnesses are sent."""
    with read_transaction(ledger.engine) as conn:
        row = execute(conn, "SELECT note FROM ledger_checkpoints WHERE key_id = ? "
                      "ORDER BY size DESC LIMIT 1", (key_id,)).fetchone()
    if row is None:
        return None
    return SignedCheckpoint(Checkpoint.parse(split(row[0])[0]), row[0])
