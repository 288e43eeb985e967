"""The log: appending entries, reading them back, roots, proofs and signed checkpoints.

`Ledger.append(batch)` appends all of the batch or nothing: it returns one result per
submission, or raises (an `AppendError` for a refusal, naming the submission) and nothing of
that batch is written. Appends are durable when the call returns.

Group commit (ledger.group_commit): the calls of one process that arrive while an append is
running wait, and then run together in one transaction and one commit, their batches
appended back to back as one batch (one round of reads and writes for the group). A call
that is refused fails alone with its own AppendError and the others run again without it, as
if it had not been submitted; an error that is not a refusal sends the group's calls one by
one, each in a SAVEPOINT, so that only the call at fault fails. If the commit itself fails,
every call of the group raises that error, and none of their entries was written (a retry
with the same event ids is safe: ids are idempotent). Inside a group the calls are appended
in arrival order, each seeing the entries of those before it, exactly as if they had been
appended one after the other.

One transaction holds the head lock (SQLite BEGIN IMMEDIATE, PostgreSQL SELECT ... FOR
UPDATE on the single `ledger_state` row), reads the head, writes the entries, their leaf and
completed-subtree hashes, the projections and the new head, then commits. Nothing about the
head is cached in memory: many processes append to one ledger, and each group reads the head
under the lock.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from ledger import merkle
from ledger.canonical import encode_valid
from ledger.catalogue import Catalogue
from ledger.checkpoint import Checkpoint
from ledger.corrections import Pair
from ledger.encoding import decode_base64
from ledger.events import PLANT_STATION, Event, EventError, parse_event, utc_now_ms
from ledger.group_commit import Call, GroupCommit
from ledger.note import Signer, Verifier, open_note, sign
from ledger.projections import Projector, RuleError
from ledger.rules.facts import CylinderFacts
from ledger.store import (
    Tx,
    chunks,
    execute,
    insert_rows,
    pipelined,
    placeholders,
    read_transaction,
    scalar,
    stream,
    write_transaction,
)

log = logging.getLogger(__name__)

ZERO_HASH = bytes(32)
CATALOGUE_SUBJECT = "catalogue:process"  # every version of the catalogue, one chain
# At most this many events in one group's transaction (a single larger batch runs alone).
GROUP_MAX_EVENTS = 5000
# Signatures remembered between the check before the write lock and the one under it.
SIGNATURES_REMEMBERED = 8192


class LedgerError(Exception):
    """Something the caller asked of the ledger cannot be done; the message says why."""


class AppendError(LedgerError):
    """A submission was refused; nothing of its batch was written.

    `position` is the submission's place in the batch (0-based), `field` the field at fault,
    `rule` the plant rule that refused it (ledger/rules/reasons.py), where one did, and
    `params` its figures (so a page can say it in its own language).
    """

    def __init__(self, message: str, position: int | None = None, field: str | None = None,
                 rule: str | None = None, params: dict[str, Any] | None = None):
        super().__init__(message)
        self.position = position
        self.field = field
        self.rule = rule
        self.params = params or {}


@dataclass(frozen=True)
class Submission:
    """An event as a station or the console hands it in, with the station's signature."""

    event: Event
    station_sig: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> Submission:
        """From `{"event": {...}, "station_sig": "..."}`, or a bare event (no signature)."""
        if isinstance(obj, dict) and "event" in obj:
            unknown = sorted(set(obj) - {"event", "station_sig"})
            if unknown:
                raise EventError(f"unknown field {unknown[0]!r}; a submission has event and "
                                 "station_sig", unknown[0])
            sig = obj.get("station_sig")
            if sig is not None and not isinstance(sig, str):
                raise EventError("station_sig must be a base64 string or null", "station_sig")
            return cls(parse_event(obj["event"]), sig)
        return cls(parse_event(obj))


@dataclass(frozen=True)
class Appended:
    index: int
    leaf_hash: bytes
    existed: bool  # the event id was logged before: this is that entry, not a new one


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: str


def entry_bytes(index: int, prev: bytes, subject_prev: int | None, logged: str,
                event: Event, station_sig: str | None) -> bytes:
    """The RFC 8785 bytes of an entry, assembled around the event's canonical bytes.

    Keys in JCS order: event, index, logged, prev, station_sig, subject_prev, v. The parts
    other than the event are ASCII (validated), so json.dumps gives their JCS form.
    """
    return b"".join((
        b'{"event":', event.canonical,
        b',"index":', str(index).encode(),
        b',"logged":', json.dumps(logged).encode(),
        b',"prev":"', prev.hex().encode(),
        b'","station_sig":', json.dumps(station_sig).encode(),
        b',"subject_prev":', json.dumps(subject_prev).encode(),
        b',"v":1}',
    ))


def station_signature_ok(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    key, signature = _public_key(public_key_b64), decode_base64(signature_b64)
    if key is None or signature is None:
        return False
    try:
        key.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=SIGNATURES_REMEMBERED)
def _signature_verified(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    """station_signature_ok, remembered: an append checks its events' signatures before it
    waits for the write lock (Ledger.append) and again under the lock, where the second
    check is then a look-up (a pure function of its arguments)."""
    return station_signature_ok(public_key_b64, signature_b64, message)


# The key each station's events were last checked against by this process's appends, in
# force at that point of the log: the key to check a station's next events with before the
# write lock. A hint only: under the lock each event is checked against the key in force.
_STATION_KEYS: dict[str, str] = {}


def _check_signatures_ahead(submissions: Sequence[Submission]) -> None:
    """Verify the batch's station signatures before waiting for the write lock, with each
    station's key as last seen (_STATION_KEYS), so that the lock's holder, which runs every
    call of its group, finds them verified (_signature_verified). Ed25519 holds the GIL,
    but this runs while the holder waits on the disk or the database; a station whose key
    is not known yet, or has changed, is verified under the lock instead."""
    for sub in submissions:
        key = _STATION_KEYS.get(sub.event.station)
        if key is not None and sub.station_sig is not None:
            _signature_verified(key, sub.station_sig, sub.event.canonical)


@functools.lru_cache(maxsize=4096)
def _public_key(public_key_b64: str) -> Ed25519PublicKey | None:
    """A station's key, loaded once per process: a pure function of its base64 text (the
    few stations a plant has sign every event; loading costs as much as the hash)."""
    raw = decode_base64(public_key_b64)
    if raw is None:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None


class Ledger:
    """The plant's log on one database. Cheap to create; holds no state but the engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # -- appending ---------------------------------------------------------------------------

    def append(self, submissions: Sequence[Submission]) -> list[Appended]:
        """Append a batch: all of it, or nothing and an AppendError (see the module docstring
        for how concurrent calls share a commit).

        An event id already logged with the same content returns the existing entry; with
        other content it is an error.
        """
        if not submissions:
            return []
        _check_signatures_ahead(submissions)
        result: list[Appended] = _group_commit(self.engine).submit(
            list(submissions), len(submissions))
        return result

    def publish_catalogue(self, catalogue: Catalogue, version: str, operator: str) -> Appended:
        """Put `catalogue` in force from the next entry on (a `catalogue.published` entry)."""
        event = parse_event({
            "id": str(uuid.uuid4()), "type": "catalogue.published", "time": utc_now_ms(),
            "station": PLANT_STATION, "operator": operator, "subject": CATALOGUE_SUBJECT,
            "data": {"version": version, "sha256": catalogue.sha256(),
                     "content": catalogue.content()}})
        return self.append([Submission(event)])[0]

    # -- reading -----------------------------------------------------------------------------

    def subject_bodies(self, subjects: Sequence[str], size: int | None = None
                       ) -> list[tuple[int, bytes]]:
        """(index, exact entry bytes) of every entry about any of `subjects` (below `size`),
        by index: the one query for "the entries of subject X" outside the ledger."""
        bound = "" if size is None else " AND idx < ?"
        rows: list[tuple[int, bytes]] = []
        with read_transaction(self.engine) as conn:
            for part in chunks(sorted(set(subjects))):
                params = (*part, size) if size is not None else tuple(part)
                rows += [(idx, bytes(body)) for idx, body in execute(
                    conn, f"SELECT idx, body FROM ledger_entries WHERE subject IN "
                    f"({placeholders(len(part))}){bound}", params)]
        return sorted(rows)

    def bodies(self, indexes: Sequence[int]) -> list[tuple[int, bytes]]:
        """(index, exact entry bytes) of the entries at `indexes` that exist, by index."""
        rows: list[tuple[int, bytes]] = []
        with read_transaction(self.engine) as conn:
            for part in chunks(sorted(set(indexes))):
                rows += [(idx, bytes(body)) for idx, body in execute(
                    conn, f"SELECT idx, body FROM ledger_entries WHERE idx IN "
                    f"({placeholders(len(part))})", tuple(part))]
        return sorted(rows)

    def prefix_bodies(self, prefix: str, *, etype: str | None = None, before: int | None = None,
                      limit: int | None = None, newest_first: bool = False
                      ) -> list[tuple[int, str, bytes]]:
        """(index, subject, exact bytes) of the entries whose subject starts with `prefix`
        (say "cert:" or "cylinder:"), of type `etype` if given, below entry `before`, by
        index (newest first if asked), at most `limit`: listings of a kind of subject.
        Subjects compare byte-wise on both databases (migration 0008), so the range is exact.
        """
        if not prefix or not prefix.isascii():
            raise LedgerError(f"a subject prefix is ASCII text, not {prefix!r}")
        sql = "SELECT idx, subject, body FROM ledger_entries WHERE subject >= ? AND subject < ?"
        params: list[Any] = [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
        if etype is not None:
            sql, params = sql + " AND type = ?", [*params, etype]
        if before is not None:
            sql, params = sql + " AND idx < ?", [*params, before]
        sql += " ORDER BY idx DESC" if newest_first else " ORDER BY idx"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, limit]
        with read_transaction(self.engine) as conn:
            return [(idx, subject, bytes(body))
                    for idx, subject, body in execute(conn, sql, tuple(params))]

    def entries_between(self, start: int, end: int
                        ) -> Generator[tuple[int, str, bytes], None, None]:
        """(index, subject, exact bytes) of entries [start, end), by index, streamed in
        batches: large certificates and the tiles read millions of entries in bounded memory.
        """
        with read_transaction(self.engine) as conn:
            for idx, subject, body in stream(
                    conn, "SELECT idx, subject, body FROM ledger_entries WHERE idx >= ? AND "
                    "idx < ? ORDER BY idx", (start, end)):
                yield idx, subject, bytes(body)

    def subject_heads(self, subjects: Sequence[str], size: int) -> dict[str, int]:
        """The index of the last entry about each of `subjects` below `size` (subjects with
        none are left out): where each subject's chain ends at a checkpoint."""
        heads: dict[str, int] = {}
        with read_transaction(self.engine) as conn:
            for part in chunks(sorted(set(subjects))):
                values = ", ".join("(?)" for _ in part)
                result = execute(conn, "SELECT w.column1, (SELECT MAX(e.idx) FROM "
                                 "ledger_entries e WHERE e.subject = w.column1 AND e.idx < ?) "
                                 f"FROM (VALUES {values}) AS w", (size, *part))
                heads.update({subject: head for subject, head in result if head is not None})
        return heads

    def subject_entries(self, subject: str, size: int | None = None) -> list[Pair]:
        """(index, event) of every entry about `subject` (below `size`), oldest first."""
        return [(idx, json.loads(body)["event"])
                for idx, body in self.subject_bodies([subject], size)]

    def catalogue(self, at: int | None = None) -> tuple[int, Catalogue] | None:
        """The catalogue in force at entry `at` (None: now) and the entry that published it
        (None: none yet)."""
        with read_transaction(self.engine) as conn:
            return Projector(conn).catalogue_at(at)

    def cylinder(self, cylinder: str) -> CylinderFacts:
        """A recovery cylinder as the rules see it: registration and latest gross after."""
        with read_transaction(self.engine) as conn:
            return Projector(conn).world.cylinder(cylinder)

    def size(self) -> int:
        with read_transaction(self.engine) as conn:
            size: int = scalar(execute(conn, "SELECT size FROM ledger_state WHERE id = 1"))
        return size

    def entry(self, index: int) -> bytes:
        with read_transaction(self.engine) as conn:
            body = scalar(execute(conn, "SELECT body FROM ledger_entries WHERE idx = ?", (index,)))
        if body is None:
            raise LedgerError(f"there is no entry {index}; the log holds {self.size()} entries")
        return bytes(body)

    def leaf_hashes(self, indexes: Sequence[int]) -> dict[int, bytes]:
        with read_transaction(self.engine) as conn:
            nodes = _read_nodes(conn, {(0, i) for i in indexes})
        return {i: nodes[(0, i)] for i in indexes if (0, i) in nodes}

    def node_hashes(self, level: int, start: int, end: int) -> list[bytes]:
        """The stored hashes of nodes (level, start) .. (level, end - 1), in order: a row of
        the tree, as a tlog-tiles tile holds it. Every node must exist."""
        with read_transaction(self.engine) as conn:
            rows = execute(conn, "SELECT idx, hash FROM ledger_nodes WHERE level = ? AND "
                           "idx >= ? AND idx < ? ORDER BY idx", (level, start, end)).fetchall()
        if len(rows) != end - start:
            found = {idx for idx, _ in rows}
            missing = next(i for i in range(start, end) if i not in found)
            raise LedgerError(f"tree node ({level}, {missing}) is not stored: the log is "
                              f"smaller than {(missing + 1) << level} entries, or damaged "
                              "(run `dledger audit`)")
        return [bytes(h) for _, h in rows]

    def root(self, size: int | None = None) -> bytes:
        with read_transaction(self.engine) as conn:
            size = self._check_size(conn, size)
            return merkle.root_from(size, _read_nodes(conn, set(merkle.range_nodes(0, size))))

    def inclusion_hashes(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise LedgerError(f"entry {index} is not in a tree of size {size}")
        with read_transaction(self.engine) as conn:
            return _hashes(conn, merkle.inclusion_ranges(index, size), size)

    def inclusion_hashes_many(self, indexes: Sequence[int], size: int) -> dict[int, list[bytes]]:
        """`inclusion_hashes` for many entries in one read of their nodes (certificates prove
        thousands of entries; one query each would dominate)."""
        outside = [i for i in indexes if not 0 <= i < size]
        if outside:
            raise LedgerError(f"entry {outside[0]} is not in a tree of size {size}")
        ranges = {i: merkle.inclusion_ranges(i, size) for i in indexes}
        with read_transaction(self.engine) as conn:
            self._check_size(conn, size)
            nodes = _read_nodes(conn, {n for r in ranges.values() for n in merkle.nodes_for(r)})
        return {i: merkle.hashes_from(r, nodes) for i, r in ranges.items()}

    def consistency_hashes(self, old: int, new: int) -> list[bytes]:
        if not 0 < old <= new:
            raise LedgerError(f"no consistency proof from size {old} to size {new}: "
                              "give 0 < OLD <= NEW")
        with read_transaction(self.engine) as conn:
            return _hashes(conn, merkle.consistency_ranges(old, new), new)

    def _check_size(self, conn: Tx, size: int | None) -> int:
        current: int = scalar(execute(conn, "SELECT size FROM ledger_state WHERE id = 1"))
        if size is None:
            return current
        if not 0 <= size <= current:
            raise LedgerError(f"tree size {size} is beyond the log's size {current}")
        return size

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, signer: Signer) -> SignedCheckpoint:
        """The latest checkpoint by `signer`, signing a new one if the log grew.

        Refuses to sign unless the new tree provably extends the latest checkpoint signed so
        far (by any key): a consistency proof from the stored tree must verify against it.
        """
        with write_transaction(self.engine) as conn:
            state = _lock_head(conn)
            size = state.size
            root = merkle.fold(list(state.frontier)) if size else merkle.EMPTY_ROOT
            nodes = _read_nodes(conn, set(merkle.range_nodes(0, size)))
            stored_root = merkle.root_from(size, nodes)
            if stored_root != root:
                raise LedgerError("the stored tree does not match the log's head; run "
                                  "`dledger audit` before signing anything")
            key_id = signer.verifier.key_id.hex()
            latest = execute(conn, "SELECT size, root, key_id, note FROM ledger_checkpoints WHERE "
                             "size = (SELECT MAX(size) FROM ledger_checkpoints)").fetchall()
            for old_size, old_root, old_key_id, old_note in latest:
                if old_size > size:
                    raise LedgerError(f"a checkpoint was signed at size {old_size} but the log "
                                      f"holds {size} entries: it was truncated")
                self._check_extends(conn, old_size, bytes(old_root), size, root)
                if old_size == size and old_key_id == key_id:
                    return SignedCheckpoint(Checkpoint.parse(_note_text(old_note)), old_note)
            checkpoint = Checkpoint(signer.name, size, root)
            note = sign(checkpoint.text(), [signer])
            execute(conn, "INSERT INTO ledger_checkpoints (size, key_id, root, note, signed_at) "
                    "VALUES (?, ?, ?, ?, ?)", (size, key_id, root, note, utc_now_ms()))
            return SignedCheckpoint(checkpoint, note)

    def _check_extends(self, conn: Tx, old: int, old_root: bytes, new: int,
                       new_root: bytes) -> None:
        if old == 0:
            return
        if old == new:
            if old_root != new_root:
                raise LedgerError(f"the checkpoint signed at size {old} has another root: the "
                                  "log was rewritten; refusing to sign")
            return
        try:
            proof = _hashes(conn, merkle.consistency_ranges(old, new), new)
            merkle.verify_consistency(old, new, old_root, new_root, proof)
        except (merkle.ProofError, KeyError) as exc:
            raise LedgerError(f"the log at size {new} is not consistent with the checkpoint "
                              f"signed at size {old}: {exc}; refusing to sign") from exc

    def checkpoints(self, verifiers: Sequence[Verifier] | None = None) -> list[SignedCheckpoint]:
        """Every signed checkpoint, oldest first (checked against `verifiers` when given)."""
        with read_transaction(self.engine) as conn:
            notes = execute(conn, "SELECT note FROM ledger_checkpoints ORDER BY size, signed_at")
            result = []
            for (note,) in notes:
                text = open_note(note, verifiers)[0] if verifiers else _note_text(note)
                result.append(SignedCheckpoint(Checkpoint.parse(text), note))
            return result

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        """The latest signed checkpoint (the largest size; of those, the last signed)."""
        with read_transaction(self.engine) as conn:
            note = scalar(execute(conn, "SELECT note FROM ledger_checkpoints ORDER BY size DESC, "
                                  "signed_at DESC LIMIT 1"))
        return None if note is None else SignedCheckpoint(Checkpoint.parse(_note_text(note)), note)

    def signed_size_between(self, low: int, high: int) -> int | None:
        """The smallest size in [low, high) at which a checkpoint was signed, or None."""
        with read_transaction(self.engine) as conn:
            smallest: int | None = scalar(execute(
                conn, "SELECT MIN(size) FROM ledger_checkpoints WHERE size >= ? AND size < ?",
                (low, min(high, 2 ** 63 - 1))))
        return smallest

    def signed_sizes(self, limit: int) -> list[int]:
        """The `limit` largest sizes at which a checkpoint was signed, largest first."""
        with read_transaction(self.engine) as conn:
            return [size for (size,) in execute(
                conn, "SELECT DISTINCT size FROM ledger_checkpoints ORDER BY size DESC LIMIT ?",
                (limit,))]

    def signed_before(self, size: int) -> int | None:
        """The largest non-zero size below `size` at which a checkpoint was signed, or None."""
        with read_transaction(self.engine) as conn:
            found: int | None = scalar(execute(
                conn, "SELECT MAX(size) FROM ledger_checkpoints WHERE size < ? AND size > 0",
                (size,)))
        return found

    def checkpoint_at(self, size: int) -> SignedCheckpoint | None:
        with read_transaction(self.engine) as conn:
            note = scalar(execute(conn, "SELECT note FROM ledger_checkpoints WHERE size = ? "
                                  "ORDER BY signed_at DESC LIMIT 1", (size,)))
        return None if note is None else SignedCheckpoint(Checkpoint.parse(_note_text(note)), note)


def _note_text(note: str) -> str:
    return note.rpartition("\n\n")[0] + "\n"


def _lock_head(conn: Tx) -> _Head:
    lock = " FOR UPDATE" if conn.dialect == "postgresql" else ""
    size, head, frontier = execute(
        conn, f"SELECT size, head, frontier FROM ledger_state WHERE id = 1{lock}").fetchone()
    frontier = bytes(frontier)
    return _Head(size, bytes(head), tuple(frontier[i:i + 32]
                                          for i in range(0, len(frontier), 32)))


def _read_nodes(conn: Tx, wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
    nodes: dict[merkle.Node, bytes] = {}
    for part in chunks(sorted(wanted)):
        values = ", ".join("(?, ?)" for _ in part)
        flat = tuple(x for node in part for x in node)
        # A join, not "(level, idx) IN (VALUES ...)": SQLite plans the IN form as a scan.
        result = execute(conn, f"SELECT n.level, n.idx, n.hash FROM (VALUES {values}) AS w "
                         "JOIN ledger_nodes n ON n.level = w.column1 AND n.idx = w.column2", flat)
        nodes.update({(level, idx): bytes(h) for level, idx, h in result})
    return nodes


def _hashes(conn: Tx, ranges: list[tuple[int, int]], size: int) -> list[bytes]:
    """The hashes of `ranges` in the tree of `size`, from stored nodes in one query.

    Every node of a tree of size S is stored once S entries are, so a missing node means
    the size is beyond the log (or the store was damaged).
    """
    nodes = _read_nodes(conn, merkle.nodes_for(ranges))
    try:
        return merkle.hashes_from(ranges, nodes)
    except KeyError as exc:
        current = scalar(execute(conn, "SELECT size FROM ledger_state WHERE id = 1"))
        if size > current:
            raise LedgerError(f"tree size {size} is beyond the log's size {current}") from None
        raise LedgerError(f"stored tree node {exc.args[0]} is missing; run `dledger audit`") \
            from exc


_GROUPS: weakref.WeakKeyDictionary[Engine, GroupCommit[list[Submission]]] = \
    weakref.WeakKeyDictionary()
_GROUPS_LOCK = threading.Lock()


def _group_commit(engine: Engine) -> GroupCommit[list[Submission]]:
    """The one group committer of this process for `engine` (every Ledger on it shares it)."""
    with _GROUPS_LOCK:
        found = _GROUPS.get(engine)
        if found is None:
            found = _GROUPS[engine] = GroupCommit(
                lambda take: _append_group(engine, take), GROUP_MAX_EVENTS)
        return found


def _forget_groups() -> None:
    """A forked child starts with no groups: a lock held by a parent's thread stays held."""
    global _GROUPS_LOCK
    _GROUPS_LOCK = threading.Lock()
    _GROUPS.clear()


os.register_at_fork(after_in_child=_forget_groups)


@dataclass(frozen=True)
class _Head:
    size: int
    head: bytes  # the last leaf hash (ZERO_HASH before the first entry)
    frontier: tuple[bytes, ...]


def _append_group(engine: Engine, take: Callable[[], list[Call[list[Submission]]]]) -> None:
    """One transaction and one commit for the group's calls (taken once the head is
    locked, see ledger.group_commit), appended as one batch.

    The calls' batches run back to back as one `_Append` (one round of reads, one round of
    writes): exactly what appending them one after the other would log, since a batch's
    events each see those before them. A refusal is judged before anything is written; the
    refused call alone fails with it (its position counted in its own batch) and the others
    run again without it. Any other error falls back to one savepoint per call, so that a
    call that breaks something fails alone and keeps its error.
    """
    with write_transaction(engine) as conn:
        head = _lock_head(conn)
        calls = take()
        if len(calls) == 1:
            results, _ = _Append(conn, calls[0].work, head).run()
            calls[0].succeed(results)
            return
        pending = list(calls)
        while len(pending) > 1:
            execute(conn, "SAVEPOINT dledger_group")
            try:
                results, _ = _Append(conn, [s for c in pending for s in c.work], head).run()
            except AppendError as exc:
                execute(conn, "ROLLBACK TO SAVEPOINT dledger_group")
                execute(conn, "RELEASE SAVEPOINT dledger_group")
                pending.remove(_fail_refused(pending, exc))
                continue
            except Exception:  # not a refusal: each call runs alone below, keeps its own error
                log.warning("a group of %d appends failed together; appending them one by one",
                            len(pending), exc_info=True)
                execute(conn, "ROLLBACK TO SAVEPOINT dledger_group")
                execute(conn, "RELEASE SAVEPOINT dledger_group")
                break
            execute(conn, "RELEASE SAVEPOINT dledger_group")
            start = 0
            for call in pending:
                call.succeed(results[start:start + len(call.work)])
                start += len(call.work)
            return
        for call in pending:
            execute(conn, "SAVEPOINT dledger_call")
            try:
                results, head = _Append(conn, call.work, head).run()
            except Exception as exc:  # the caller's own error, raised to it
                execute(conn, "ROLLBACK TO SAVEPOINT dledger_call")
                call.fail(exc)
            else:
                call.succeed(results)
            execute(conn, "RELEASE SAVEPOINT dledger_call")


def _fail_refused(calls: list[Call[list[Submission]]], refusal: AppendError
                  ) -> Call[list[Submission]]:
    """Fail the call whose submission the group's refusal names, with its position in that
    call's own batch; returns the call."""
    assert refusal.position is not None  # _Append names the position of every refusal
    start = 0
    for call in calls:
        if refusal.position < start + len(call.work):
            call.fail(AppendError(str(refusal), refusal.position - start, refusal.field,
                                  refusal.rule, refusal.params))
            return call
        start += len(call.work)
    raise AssertionError(f"refusal at position {refusal.position} beyond the group's batch")


class _Append:
    """One call's batch inside a group's transaction (see Ledger.append), on top of `head`."""

    def __init__(self, conn: Tx, submissions: Sequence[Submission], head: _Head):
        self.conn = conn
        self.submissions = submissions
        self.head = head

    def run(self) -> tuple[list[Appended], _Head]:
        """The batch's results and the head after it; raises AppendError, having written
        nothing the caller's savepoint (or transaction) does not roll back."""
        conn = self.conn
        size, head, frontier = self.head.size, self.head.head, list(self.head.frontier)
        existing = self._existing()
        subject_heads = self._subject_heads()
        projector = Projector(conn)
        projector.load(s.event for s in self.submissions)
        results: list[Appended] = []
        new_entries: list[tuple[int, str, str, str, str, bytes]] = []
        new_nodes: list[tuple[int, int, bytes]] = []
        seen: dict[str, tuple[bytes, Appended]] = {}
        logged = utc_now_ms()
        for position, sub in enumerate(self.submissions):
            event = sub.event
            if event.id in existing or event.id in seen:
                canonical, appended = existing.get(event.id) or seen[event.id]
                if canonical != event.canonical:
                    raise AppendError(f"event id {event.id} was already logged at entry "
                                      f"{appended.index} with other content; a new event needs "
                                      "a new id", position, "id")
                results.append(Appended(appended.index, appended.leaf_hash, existed=True))
                continue
            self._check_signature(projector, sub, position)
            try:
                projector.apply(size, event, logged)
            except RuleError as exc:
                raise AppendError(str(exc), position, rule=exc.code, params=exc.params) from None
            body = entry_bytes(size, head, subject_heads.get(event.subject), logged, event,
                               sub.station_sig)
            leaf = merkle.leaf_hash(body)
            new_entries.append((size, event.id, event.type, event.subject, event.station, body))
            new_nodes.extend(merkle.grow(frontier, size, leaf))
            subject_heads[event.subject] = size
            appended = Appended(size, leaf, existed=False)
            seen[event.id] = (event.canonical, appended)
            results.append(appended)
            size, head = size + 1, leaf
        if new_entries:
            # The head first: the database accepts an entry or node only below the head's
            # size, and only as the next one (ledger.schema's insert guards).
            with pipelined(conn):
                execute(conn, "UPDATE ledger_state SET size = ?, head = ?, frontier = ? "
                        "WHERE id = 1", (size, head, b"".join(frontier)))
                insert_rows(conn, "ledger_entries",
                            ("idx", "event_id", "type", "subject", "station", "body"),
                            new_entries)
                insert_rows(conn, "ledger_nodes", ("level", "idx", "hash"), new_nodes)
                projector.flush()
        return results, _Head(size, head, tuple(frontier))

    def _existing(self) -> dict[str, tuple[bytes, Appended]]:
        ids = list({s.event.id for s in self.submissions})
        found: dict[str, tuple[bytes, Appended]] = {}
        for part in chunks(ids):
            result = execute(self.conn, "SELECT event_id, idx, body FROM ledger_entries WHERE "
                             f"event_id IN ({placeholders(len(part))})", tuple(part))
            for event_id, idx, body in result:
                body = bytes(body)
                event = json.loads(body)["event"]
                canonical = encode_valid(event)
                found[event_id] = (canonical, Appended(idx, merkle.leaf_hash(body), True))
        return found

    def _subject_heads(self) -> dict[str, int]:
        # A correlated MAX per subject, answered from the (subject, idx) index in O(log n) on
        # both databases, in one round trip; a grouped IN (...) would scan every entry.
        subjects = sorted({s.event.subject for s in self.submissions})
        heads: dict[str, int] = {}
        for part in chunks(subjects):
            values = ", ".join("(?)" for _ in part)
            result = execute(self.conn, "SELECT w.column1, (SELECT MAX(e.idx) FROM ledger_entries"
                             f" e WHERE e.subject = w.column1) FROM (VALUES {values}) AS w",
                             tuple(part))
            heads.update({subject: head for subject, head in result.fetchall()
                          if head is not None})
        return heads

    def _check_signature(self, projector: Projector, sub: Submission, position: int) -> None:
        station = sub.event.station
        if station == PLANT_STATION:
            if sub.station_sig is not None:
                raise AppendError(f"events by {PLANT_STATION} carry no station_sig",
                                  position, "station_sig")
            return
        key = projector.station_key(station)
        if key is None:
            raise AppendError(f"station {station} is not registered and active; an admin must "
                              "approve its key (station.registered) first", position, "station")
        if sub.station_sig is None:
            raise AppendError(f"the event from station {station} carries no station_sig",
                              position, "station_sig")
        _STATION_KEYS[station] = key
        if not _signature_verified(key, sub.station_sig, sub.event.canonical):
            raise AppendError(f"station_sig does not verify with station {station}'s registered "
                              "key: the event was altered or signed by another key",
                              position, "station_sig")

