"""A period report's bulky working state on disk rather than in memory: its units' last
entries and its lines, sorted by (completed_at, label), so that collecting and writing a
report of any size takes the same memory (docs/certificates.md §5).

Both live in a private temporary SQLite database (standard library; the verifier keeps a
report's stated lines in one too, ledger.certificates.verify_v2), which SQLite deletes
when it is closed; SQLite keeps a few megabytes of it in its page cache and the rest in a
temporary file, and sorts the lines as they are inserted (the table's key is the order).
Text compares byte-wise on UTF-8 there, which is the code-point order Python sorts strings in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

from ledger.canonical import StringArray

CACHE_KIB = 8 << 10  # SQLite's page cache: what the spool holds in memory at most


def scratch_database(schema: str) -> sqlite3.Connection:
    """A private temporary SQLite database holding `schema` (statements ending in ";"),
    deleted when it is closed, with at most CACHE_KIB of it in memory; nothing in it needs to
    survive a crash, so it is neither journaled nor synced. Usable from any one thread at a
    time."""
    db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
    db.executescript(f"""
        PRAGMA cache_size = -{CACHE_KIB};
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        PRAGMA temp_store = FILE;
        {schema}
        BEGIN;
    """)
    return db


class ReportSpool(StringArray):
    """The units a report may hold (label -> the index of its chain's last entry) and, once
    derived, its lines: iterating gives the lines' texts in the report's order."""

    def __init__(self) -> None:
        self._db = scratch_database("""
            CREATE TABLE units (label TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE lines (completed_at TEXT NOT NULL, label TEXT NOT NULL,
                                text TEXT NOT NULL, PRIMARY KEY (completed_at, label))
                                WITHOUT ROWID;
        """)
        self._count = 0
        self.units = 0
        self.last_index = -1  # the largest last entry of any unit
        self._cached: tuple[str, int | None] = ("", None)

    def add_units(self, lasts: Iterable[tuple[str, int]]) -> None:
        """Units the report may hold, each with its chain's last entry."""
        for label, last in lasts:
            self._db.execute("INSERT INTO units VALUES (?, ?)", (label, last))
            self.units += 1
            self.last_index = max(self.last_index, last)

    def last_of(self, label: str) -> int | None:
        """The last entry of unit `label`'s chain, or None if the report holds no such unit.
        A unit's entries mostly come one after the other, so the last answer is kept."""
        if self._cached[0] != label:
            row = self._db.execute("SELECT last FROM units WHERE label = ?", (label,)).fetchone()
            self._cached = (label, None if row is None else row[0])
        return self._cached[1]

    def add_line(self, completed_at: str, label: str, text: str) -> None:
        self._db.execute("INSERT INTO lines VALUES (?, ?, ?)", (completed_at, label, text))
        self._count += 1

    def __iter__(self) -> Iterator[str]:
        for (text,) in self._db.execute("SELECT text FROM lines ORDER BY completed_at, label"):
            yield text

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        """Delete the spool (also done when it is garbage-collected)."""
        self._db.close()
