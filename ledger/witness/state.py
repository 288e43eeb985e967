"""The witness's own memory: the logs it follows and the latest checkpoint it cosigned for each.

A small SQLite database in the witness's folder, independent of any plant's database (the
witness is run by a regulator or an association). WAL with synchronous=FULL: a change is on
disk when its commit returns, so the witness answers only after it has persisted. Several
processes may serve one witness: the latest checkpoint only moves by compare-and-swap.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.note import Verifier

BUSY_TIMEOUT_MS = 30_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS logs (origin TEXT NOT NULL, vkey TEXT NOT NULL, "
    "added_at TEXT NOT NULL, PRIMARY KEY (origin, vkey))",
    "CREATE TABLE IF NOT EXISTS latest (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, "
    "root BLOB NOT NULL, note TEXT NOT NULL, cosigned_at INTEGER NOT NULL)",
    # Requests with a valid log signature that were refused as inconsistent: possible proof
    # that the log misbehaved (tlog-witness allows keeping them).
    "CREATE TABLE IF NOT EXISTS evidence (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, "
    "received_at TEXT NOT NULL, reason TEXT NOT NULL, request TEXT NOT NULL)",
)


@dataclass(frozen=True)
class Latest:
    size: int
    root: bytes


@dataclass(frozen=True)
class LogStatus:
    origin: str
    vkeys: list[str]
    latest: Latest | None
    evidence: int


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class WitnessState:
    """The database at `path`; every call opens its own connection (safe across threads and
    processes)."""

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, isolation_level=None,
                                     timeout=BUSY_TIMEOUT_MS / 1000)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect(write=True) as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def add_log(self, origin: str, vkey: str) -> bool:
        """Follow `origin`, trusting `vkey` for it; False if that key was already known."""
        with self._connect(write=True) as conn:
            cursor = conn.execute("INSERT OR IGNORE INTO logs (origin, vkey, added_at) "
                                  "VALUES (?, ?, ?)", (origin, vkey, _now()))
            return cursor.rowcount == 1

    def verifiers(self, origin: str) -> list[Verifier]:
        with self._connect() as conn:
            rows = conn.execute("SELECT vkey FROM logs WHERE origin = ?", (origin,)).fetchall()
        return [Verifier.parse(vkey) for (vkey,) in rows]

    def latest(self, origin: str) -> Latest | None:
        with self._connect() as conn:
            row = conn.execute("SELECT size, root FROM latest WHERE origin = ?",
                               (origin,)).fetchone()
        return None if row is None else Latest(row[0], bytes(row[1]))

    def advance(self, origin: str, expected: Latest | None, new: Latest, note: str) -> bool:
        """Record `new` as the latest cosigned checkpoint if the stored one is still `expected`
        (compare-and-swap); False if another request changed it first."""
        with self._connect(write=True) as conn:
            if expected is None:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO latest (origin, size, root, note, cosigned_at) "
                    "VALUES (?, ?, ?, ?, ?)", (origin, new.size, new.root, note, int(time.time())))
            else:
                cursor = conn.execute(
                    "UPDATE latest SET size = ?, root = ?, note = ?, cosigned_at = ? "
                    "WHERE origin = ? AND size = ? AND root = ?",
                    (new.size, new.root, note, int(time.time()), origin, expected.size,
                     expected.root))
            return cursor.rowcount == 1

    def keep_evidence(self, origin: str, reason: str, request: str) -> None:
        with self._connect(write=True) as conn:
            conn.execute("INSERT INTO evidence (origin, received_at, reason, request) "
                         "VALUES (?, ?, ?, ?)", (origin, _now(), reason, request))

    def logs(self) -> list[LogStatus]:
        with self._connect() as conn:
            keys = conn.execute("SELECT origin, vkey FROM logs ORDER BY origin, added_at")
            by_origin: dict[str, list[str]] = {}
            for origin, vkey in keys:
                by_origin.setdefault(origin, []).append(vkey)
            latest = {o: Latest(s, bytes(r)) for o, s, r in
                      conn.execute("SELECT origin, size, root FROM latest")}
            evidence = dict(conn.execute("SELECT origin, COUNT(*) FROM evidence "
                                         "GROUP BY origin").fetchall())
        return [LogStatus(o, v, latest.get(o), evidence.get(o, 0)) for o, v in by_origin.items()]
