"""The plant's side of witnessing: send the latest checkpoint to a witness with a consistency
proof from the size that witness last cosigned, keep the cosignature it returns, and hand out
checkpoint notes with their stored cosignatures (what certificates carry).

Cosignatures live in `checkpoint_cosignatures`, one row per (checkpoint, witness).
"""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from sqlalchemy.exc import SQLAlchemyError

from ledger.checkpoint import Checkpoint
from ledger.events import utc_now_ms
from ledger.log import Ledger, SignedCheckpoint
from ledger.note import Signer, split
from ledger.proof import consistency_text
from ledger.store import execute, read_transaction, write_transaction
from ledger.witness.cosignature import CosignatureError, CosignatureVerifier, add_cosignatures
from ledger.witness.server import SIZE_CONTENT_TYPE
from ledger.witness.settings import redact

TIMEOUT_S = 30
# What a database that is busy, down or full raises: SQLAlchemy's own errors (connecting)
# and the drivers' (the ledger's SQL runs on the DBAPI connection, see ledger.store).
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, sqlite3.Error, psycopg.Error)
MAX_CONFLICTS = 3


class WitnessRequestError(Exception):
    """The witness refused or could not be reached; the message says what it answered."""


class CosignatureNotStored(WitnessRequestError):
    """The witness cosigned, but the database did not take the row: `store()` tries again
    (the caller keeps it until it succeeds, so no cosignature is lost)."""

    def __init__(self, message: str, ledger: Ledger, signed: SignedCheckpoint,
                 witness: CosignatureVerifier, timestamp: int, line: str):
        super().__init__(message)
        self.args_to_store = (ledger, signed, witness, timestamp, line)
        self.size = signed.checkpoint.size

    def store(self) -> None:
        store_cosignature(*self.args_to_store)


@dataclass(frozen=True)
class Cosigned:
    checkpoint: SignedCheckpoint
    witness: CosignatureVerifier
    timestamp: int
    line: str
    note: str  # the checkpoint note with every stored cosignature


def request_cosignature(ledger: Ledger, signer: Signer, url: str,
                        witness: CosignatureVerifier) -> Cosigned:
    """Have the witness at `url` (its submission prefix) cosign the latest checkpoint, signing
    one first if the log grew."""
    return push_checkpoint(ledger, ledger.checkpoint(signer), url, witness)


def push_checkpoint(ledger: Ledger, signed: SignedCheckpoint, url: str,
                    witness: CosignatureVerifier, timeout_s: float = TIMEOUT_S) -> Cosigned:
    """Have the witness at `url` cosign `signed`, and keep its cosignature.

    Starts from the size this witness last cosigned according to our records (0 if none);
    when the witness answers 409 with another size, proves consistency from that size instead
    (tlog-witness). Raises WitnessRequestError with what went wrong (the URL without its
    credentials), CosignatureNotStored when the witness cosigned but the database refused it.
    """
    size = signed.checkpoint.size
    old = witnessed_size(ledger, witness)
    for _ in range(MAX_CONFLICTS):
        if old > size:
            raise WitnessRequestError(
                f"the witness has cosigned {old} entries of {signed.checkpoint.origin} but this "
                f"checkpoint holds {size}: the log was rolled back, another log uses this "
                "origin, or a larger checkpoint will follow")
        proof = ledger.consistency_hashes(old, size) if 0 < old < size else []
        body = f"old {old}\n{consistency_text(proof)}\n{signed.note}"
        status, content_type, answer = _post(url.rstrip("/") + "/add-checkpoint", body,
                                             timeout_s)
        if status == 200:
            return _accept(ledger, signed, witness, answer)
        if status == 409 and content_type == SIZE_CONTENT_TYPE and answer.strip().isdigit():
            old = int(answer.strip())
            continue
        raise WitnessRequestError(f"the witness refused the checkpoint at size {size} "
                                  f"(HTTP {status}): {answer.strip()[:500]}")
    raise WitnessRequestError(f"the witness kept changing its size ({old} last); try again")


def _accept(ledger: Ledger, signed: SignedCheckpoint, witness: CosignatureVerifier,
            answer: str) -> Cosigned:
    lines = [line + "\n" for line in answer.splitlines() if line]
    for line in lines:
        try:
            timestamp = witness.verify(signed.note + line)
        except CosignatureError as exc:
            raise WitnessRequestError(f"the witness's answer does not verify: {exc}") from None
        if timestamp is not None:
            try:
                store_cosignature(ledger, signed, witness, timestamp, line)
            except DATABASE_ERRORS as exc:
                raise CosignatureNotStored(
                    f"{witness.name} cosigned size {signed.checkpoint.size} but the database "
                    f"did not store it ({type(exc).__name__}); kept to store again", ledger,
                    signed, witness, timestamp, line) from exc
            return Cosigned(signed, witness, timestamp, line, cosigned_note(ledger, signed.note))
    raise WitnessRequestError(f"the witness answered no cosignature by {witness.name} "
                              f"(key {witness.key_id.hex()}); check its verifier key")


def _post(url: str, body: str, timeout_s: float) -> tuple[int, str, str]:
    if not url.startswith(("http://", "https://")):
        raise WitnessRequestError(f"witness URL {redact(url)!r} must start with http:// or "
                                  "https://")
    request = urllib.request.Request(url, data=body.encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return response.status, response.headers.get_content_type(), _text(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get_content_type(), _text(error.read())
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessRequestError(f"cannot reach the witness at {redact(url)}: "
                                  f"{_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return str(reason) or type(reason).__name__


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _plant_key_id(note: str) -> str:
    return split(note)[1][0].key_id.hex()


def store_cosignature(ledger: Ledger, signed: SignedCheckpoint, witness: CosignatureVerifier,
                      timestamp: int, line: str) -> None:
    """Keep a verified cosignature (the first one per checkpoint and witness)."""
    with write_transaction(ledger.engine) as conn:
        execute(conn, "INSERT INTO checkpoint_cosignatures (size, key_id, witness, "
                "witness_key_id, timestamp, line, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (signed.checkpoint.size, _plant_key_id(signed.note), witness.name,
                 witness.key_id.hex(), timestamp, line, utc_now_ms()))


def witnessed_size(ledger: Ledger, witness: CosignatureVerifier) -> int:
    """The largest size this witness cosigned for us, as far as our records go."""
    with read_transaction(ledger.engine) as conn:
        size = execute(conn, "SELECT MAX(size) FROM checkpoint_cosignatures WHERE witness = ? "
                       "AND witness_key_id = ?", (witness.name, witness.key_id.hex())).fetchone()
    return size[0] or 0


def cosigned_note(ledger: Ledger, note: str) -> str:
    """`note` (a checkpoint the plant signed) with every cosignature stored for it appended."""
    with read_transaction(ledger.engine) as conn:
        rows = execute(conn, "SELECT line FROM checkpoint_cosignatures WHERE size = ? AND "
                       "key_id = ? ORDER BY witness, witness_key_id",
                       (_checkpoint(note).size, _plant_key_id(note))).fetchall()
    return add_cosignatures(note, [line for (line,) in rows])


def latest_cosigned(ledger: Ledger) -> SignedCheckpoint | None:
    """The largest checkpoint any witness cosigned, its note carrying the cosignatures."""
    with read_transaction(ledger.engine) as conn:
        row = execute(conn, "SELECT size, key_id FROM checkpoint_cosignatures "
                      "ORDER BY size DESC LIMIT 1").fetchone()
        if row is None:
            return None
        note = execute(conn, "SELECT note FROM ledger_checkpoints WHERE size = ? AND key_id = ?",
                       (row[0], row[1])).fetchone()[0]
    return SignedCheckpoint(_checkpoint(note), cosigned_note(ledger, note))


def _checkpoint(note: str) -> Checkpoint:
    return Checkpoint.parse(split(note)[0])


@dataclass(frozen=True)
class StoredCosignature:
    """A cosignature as kept: which checkpoint, which witness, its time and when it came."""

    size: int
    key_id: str  # the plant key's id (hex) that signed the checkpoint
    witness: str
    witness_key_id: str
    timestamp: int  # POSIX seconds, the witness's clock
    received_at: str  # UTC, the ledger's millisecond format, our clock


_COLUMNS = "size, key_id, witness, witness_key_id, timestamp, received_at"


def cosignatures_at(ledger: Ledger, sizes: Sequence[int]) -> list[StoredCosignature]:
    """The cosignatures kept for checkpoints of these sizes, by size then witness."""
    if not sizes:
        return []
    marks = ", ".join("?" for _ in sizes)
    with read_transaction(ledger.engine) as conn:
        rows = execute(conn, f"SELECT {_COLUMNS} FROM checkpoint_cosignatures "  # noqa: S608
                       f"WHERE size IN ({marks}) ORDER BY size, witness, witness_key_id",
                       tuple(sizes)).fetchall()
    return [StoredCosignature(*row) for row in rows]


def last_cosignature(ledger: Ledger, witness: CosignatureVerifier) -> StoredCosignature | None:
    """This witness's cosignature of the largest checkpoint it cosigned for us."""
    with read_transaction(ledger.engine) as conn:
        row = execute(conn, f"SELECT {_COLUMNS} FROM checkpoint_cosignatures "  # noqa: S608
                      "WHERE witness = ? AND witness_key_id = ? ORDER BY size DESC, "
                      "received_at DESC LIMIT 1",
                      (witness.name, witness.key_id.hex())).fetchone()
    return None if row is None else StoredCosignature(*row)
