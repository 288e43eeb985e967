"""Verify a whole ledger from its entries: the check an inspector runs with `dledger audit`.

One streaming pass in index order recomputes every leaf hash, the hash chain (`prev`), each
subject's chain (`subject_prev`), the Merkle tree (comparing every stored subtree hash as it
is completed, one cursor per tree level), the head row, every signed checkpoint's root and
signature, and, unless asked not to, every station signature. It stops at nothing: it reports
the first bad index and every problem found, each in words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from ledger import merkle
from ledger.canonical import encode_valid
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.events import PLANT_STATION
from ledger.log import station_signature_ok
from ledger.note import NoteError, Verifier, open_note, split
from ledger.store import Tx, execute, read_transaction, stream

Progress = Callable[[int], None]
MAX_PROBLEMS = 100


@dataclass
class Problem:
    index: int | None  # the first entry it concerns, when it concerns one
    what: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "what": self.what}


@dataclass
class AuditReport:
    entries: int = 0
    head_size: int = 0
    checkpoints: int = 0
    signatures: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        indexes = [p.index for p in self.problems if p.index is not None]
        return min(indexes) if indexes else None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head_size": self.head_size,
                "checkpoints_checked": self.checkpoints,
                "station_signatures_checked": self.signatures,
                "first_bad_index": self.first_bad_index,
                "problems": [p.as_dict() for p in self.problems]}


def audit(engine: Engine, vkeys: list[str], *, signatures: bool = True,
          progress: Progress | None = None) -> AuditReport:
    """Audit the ledger on `engine`; `vkeys` are the plant's verifier keys for checkpoints."""
    with read_transaction(engine) as conn:
        return _Audit(conn, [Verifier.parse(v) for v in vkeys], signatures, progress).run()


class _Audit:
    def __init__(self, conn: Tx, verifiers: list[Verifier], signatures: bool,
                 progress: Progress | None):
        self.conn = conn
        self.verifiers = verifiers
        self.check_signatures = signatures
        self.progress = progress
        self.report = AuditReport()
        self.stations: dict[str, str | None] = {}  # station -> active public key

    def problem(self, index: int | None, what: str) -> None:
        if len(self.report.problems) < MAX_PROBLEMS:
            self.report.problems.append(Problem(index, what))

    def run(self) -> AuditReport:
        size, head, frontier_blob = execute(
            self.conn, "SELECT size, head, frontier FROM ledger_state WHERE id = 1").fetchone()
        self.report.head_size = size
        checkpoints = self._load_checkpoints()
        due = sorted(checkpoints)
        levels = _LevelCursors(self.conn)
        frontier: list[bytes] = []
        subjects: dict[str, int] = {}
        prev = bytes(32)
        expected = 0
        rows = stream(self.conn, "SELECT idx, event_id, type, subject, station, body "
                      "FROM ledger_entries ORDER BY idx")
        for idx, event_id, etype, subject, station, body in rows:
            if idx != expected:
                self.problem(expected, f"entry {expected} is missing (the next stored entry "
                             f"is {idx})")
                break
            body = bytes(body)
            leaf = merkle.leaf_hash(body)
            self._check_entry(idx, body, prev, subjects, (event_id, etype, subject, station))
            for level, node_idx, computed in merkle.grow(frontier, idx, leaf):
                levels.check(level, node_idx, computed, self.problem)
            prev = leaf
            expected += 1
            while due and due[0] == expected:
                self._check_checkpoint_root(checkpoints.pop(due.pop(0)), frontier)
            if self.progress and expected % 10_000 == 0:
                self.progress(10_000)
        if self.progress:
            self.progress(expected % 10_000)
        self.report.entries = expected
        if expected != size:
            self.problem(min(expected, size), f"the log's head says {size} entries, but "
                         f"{expected} stored entries form an unbroken log")
        elif bytes(head) != (prev if size else bytes(32)):
            self.problem(size - 1 if size else None, "the head hash does not match the last "
                         "entry's leaf hash")
        elif bytes(frontier_blob) != b"".join(frontier):
            self.problem(None, "the head's frontier does not match the tree over the entries")
        levels.check_no_extra(expected, self.problem)
        for cp_size in due:
            self.problem(min(cp_size, expected), f"a checkpoint was signed at size {cp_size}, "
                         f"beyond the {expected} entries present: entries were removed")
        return self.report

    def _check_entry(self, idx: int, body: bytes, prev: bytes, subjects: dict[str, int],
                     columns: tuple[str, str, str, str]) -> None:
        try:
            entry = json.loads(body.decode("utf-8"))
            event = entry["event"]
            fields = (entry["v"], entry["index"], entry["prev"], entry["subject_prev"])
        except (ValueError, KeyError, TypeError):
            self.problem(idx, f"entry {idx} is not a well-formed entry")
            return
        if fields[0] != 1:
            self.problem(idx, f"entry {idx} has version {fields[0]!r}, not 1")
        if fields[1] != idx:
            self.problem(idx, f"entry {idx} holds the bytes of entry {fields[1]}")
            return
        if fields[2] != prev.hex():
            self.problem(idx, f"entry {idx}: prev does not match the leaf hash of entry "
                         f"{idx - 1}; the chain is broken here")
        subject = event.get("subject")
        if fields[3] != subjects.get(subject):
            self.problem(idx, f"entry {idx}: subject_prev is {fields[3]}, but the previous "
                         f"entry about {subject} is {subjects.get(subject)}")
        subjects[subject] = idx
        if columns != (event.get("id"), event.get("type"), subject, event.get("station")):
            self.problem(idx, f"entry {idx}: the index columns do not match the entry bytes")
        self._track_station(idx, event, entry.get("station_sig"))

    def _track_station(self, idx: int, event: dict[str, Any], sig: str | None) -> None:
        etype, data = event.get("type"), event.get("data") or {}
        name = str(event.get("subject", "")).split(":", 1)[-1]
        if etype == "station.registered":
            self.stations[name] = data.get("public_key")
        elif etype == "station.revoked":
            self.stations[name] = None
        station = event.get("station")
        if not self.check_signatures or station == PLANT_STATION:
            return
        key = self.stations.get(station) if isinstance(station, str) else None
        message = encode_valid(event)
        if key is None or sig is None or not station_signature_ok(key, sig, message):
            self.problem(idx, f"entry {idx}: the station signature of {station} does not "
                         "verify with its registered key")
        self.report.signatures += 1

    def _load_checkpoints(self) -> dict[int, Checkpoint]:
        """Each checkpoint size -> its checkpoint, after checking the signatures."""
        result: dict[int, Checkpoint] = {}
        rows = execute(self.conn, "SELECT size, note FROM ledger_checkpoints ORDER BY size")
        for size, note in rows.fetchall():
            try:
                text = open_note(note, self.verifiers)[0] if self.verifiers else split(note)[0]
                checkpoint = Checkpoint.parse(text)
            except (NoteError, CheckpointError) as exc:
                self.problem(None, f"the checkpoint at size {size} does not verify: {exc}")
                continue
            if checkpoint.size != size:
                self.problem(None, f"the checkpoint stored at size {size} says "
                             f"{checkpoint.size}")
                continue
            self.report.checkpoints += 1
            result.setdefault(size, checkpoint)
        return result

    def _check_checkpoint_root(self, checkpoint: Checkpoint, frontier: list[bytes]) -> None:
        if merkle.fold(frontier) != checkpoint.root:
            self.problem(checkpoint.size - 1, f"the entries do not match the checkpoint "
                         f"signed at size {checkpoint.size}: the log was rewritten")


class _LevelCursors:
    """One ordered scan of stored nodes per tree level, advanced as nodes are completed."""

    def __init__(self, conn: Tx):
        self.conn = conn
        self.scans: dict[int, Iterator[tuple[int, bytes]]] = {}
        self.bad_ranges: list[tuple[int, int]] = []
        self.peeked: dict[int, tuple[int, bytes]] = {}

    def _scan(self, level: int) -> Iterator[tuple[int, bytes]]:
        if level not in self.scans:
            self.scans[level] = stream(self.conn, "SELECT idx, hash FROM ledger_nodes "
                                       "WHERE level = ? ORDER BY idx", (level,))
        return self.scans[level]

    def check(self, level: int, idx: int, computed: bytes, problem: Callable[..., None]) -> None:
        stored = self._next(level, idx)
        first, last = idx << level, ((idx + 1) << level) - 1
        if stored is not None and stored[0] == idx and bytes(stored[1]) == computed:
            return
        # A node above a bad one differs as a consequence: report only the lowest.
        if any(first <= a and b <= last for a, b in self.bad_ranges):
            return
        self.bad_ranges.append((first, last))
        if stored is None or stored[0] != idx:
            problem(first, f"stored tree node ({level}, {idx}) over entries {first}..{last} "
                    "is missing")
        else:
            problem(first, f"stored tree node ({level}, {idx}) over entries {first}..{last} "
                    "does not match the entries" + (" (the entry's leaf hash)" if level == 0
                                                     else ""))

    def _next(self, level: int, idx: int) -> tuple[int, bytes] | None:
        """The stored node (level, idx), or what stands in its place; a later node is kept
        for its own turn, so one missing node does not shift the whole level."""
        scan = self._scan(level)
        stored = self.peeked.pop(level, None) or next(scan, None)
        while stored is not None and stored[0] < idx:  # extra nodes: skip past them
            stored = next(scan, None)
        if stored is not None and stored[0] > idx:
            self.peeked[level] = stored
        return stored

    def check_no_extra(self, size: int, problem: Callable[..., None]) -> None:
        for level, scan in self.scans.items():
            extra = self.peeked.pop(level, None) or next(scan, None)
            if extra is not None:
                problem(None, f"stored tree node ({level}, {extra[0]}) is beyond the "
                        f"{size} entries")

