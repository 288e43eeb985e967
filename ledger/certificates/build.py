"""Collect a certificate from a Ledger: one signed checkpoint, every entry the statements rely
on with its tlog-proof@v1 against that checkpoint, and the statements derived from exactly
those entries (ledger.certificates.statements).

Entries are read by subject below the checkpoint's size, so what the certificate states is
what the log held at the checkpoint. Projections are used only to *find* subjects (units
completed in a period, outputs in a lot); the statements come from the entries alone. Besides
its subjects' chains a certificate carries what judging them needs (docs/rules.md): every
catalogue.published entry below the checkpoint and the whole chain of each scale its units
were weighed on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from ledger.certificates.document import FORMAT
from ledger.certificates.statements import (
    DEFAULT_BASIS,
    Pair,
    StatementError,
    lot_statements,
    period_bounds,
    period_statements,
    unit_statements,
)
from ledger.events import utc_now_ms
from ledger.log import CATALOGUE_SUBJECT, Ledger, SignedCheckpoint
from ledger.note import Signer
from ledger.proof import InclusionProof
from ledger.store import chunks, execute, placeholders, read_transaction

DEFAULT_TIME_ZONE = "Asia/Shanghai"
BATCH = 500  # units (or entries) read and proven per round trip
# SQL below reads read models only (units, unit_outputs), built from placeholders and fixed
# text with values bound; entries come through the Ledger API.
Progress = Callable[[int, int], None]  # (units done, units in all)


class BuildError(ValueError):
    """The certificate cannot be built as asked; the message names the value and what to do."""


class _Collector:
    """Entries below one checkpoint, with their proofs, in index order."""

    def __init__(self, ledger: Ledger, signed: SignedCheckpoint):
        self.ledger = ledger
        self.signed = signed
        self.size = signed.checkpoint.size
        self.entries: dict[int, dict[str, Any]] = {}
        self.pairs: list[Pair] = []

    def add(self, rows: Sequence[tuple[int, bytes]]) -> None:
        new = [(i, bytes(body)) for i, body in rows if i < self.size and i not in self.entries]
        proofs = self.ledger.inclusion_hashes_many([i for i, _ in new], self.size)
        for index, body in new:
            proof = InclusionProof(index, tuple(proofs[index]), self.signed.note)
            self.entries[index] = {"index": index, "entry": base64.b64encode(body).decode(),
                                   "proof": proof.text()}
            self.pairs.append((index, json.loads(body)["event"]))

    def add_evidence(self) -> None:
        """The catalogue chain and the chain of every scale the units' entries name."""
        scales = set()
        for _, event in self.pairs:
            if event["subject"].startswith("unit:"):
                data = event["data"]
                scales |= {data.get("scale"), (data.get("set") or {}).get("scale")}
        subjects = [CATALOGUE_SUBJECT, *sorted("scale:" + s for s in scales if s)]
        self.add(self.ledger.subject_bodies(subjects, self.size))

    def document(self, kind: str, statements: dict[str, Any]) -> dict[str, Any]:
        return {"format": FORMAT, "kind": kind, "origin": self.signed.checkpoint.origin,
                "issued_at": utc_now_ms(), "statements": statements,
                "checkpoint": self.signed.note,
                "entries": [self.entries[i] for i in sorted(self.entries)]}


def _rows(ledger: Ledger, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    with read_transaction(ledger.engine) as conn:
        return [tuple(row) for row in execute(conn, statement, params)]


def _signed(ledger: Ledger, signer: Signer, checkpoint: SignedCheckpoint | None
            ) -> SignedCheckpoint:
    """The checkpoint to prove against: the one given (say, one with witness cosignatures),
    or the latest the plant signed, signing a new one if the log grew."""
    if checkpoint is None:
        return ledger.checkpoint(signer)
    if checkpoint.checkpoint.origin != signer.name:
        raise BuildError(f"the checkpoint given is for {checkpoint.checkpoint.origin!r}, not "
                         f"this plant's log {signer.name!r}")
    return checkpoint


def build_unit(ledger: Ledger, label: str, *, signer: Signer,
               checkpoint: SignedCheckpoint | None = None,
               gwp_basis: str = DEFAULT_BASIS) -> dict[str, Any]:
    """A unit dismantling certificate: the unit's whole subject chain at the checkpoint."""
    signed = _signed(ledger, signer, checkpoint)
    collector = _Collector(ledger, signed)
    collector.add(ledger.subject_bodies(["unit:" + label], signed.checkpoint.size))
    if not collector.pairs:
        raise BuildError(f"unit {label!r} has no entries in the ledger; check the label")
    collector.add_evidence()
    try:
        statements = unit_statements(collector.pairs, label, gwp_basis=gwp_basis)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    return collector.document("unit", statements)


def build_period(ledger: Ledger, start: str, end: str, categories: list[str] | None = None,
                 progress: Progress | None = None, *, signer: Signer,
                 checkpoint: SignedCheckpoint | None = None,
                 time_zone: str = DEFAULT_TIME_ZONE,
                 gwp_basis: str = DEFAULT_BASIS) -> dict[str, Any]:
    """A period report: one line per unit completed from `start` to `end` (dates, inclusive,
    in `time_zone`), optionally only `categories`; each line backed by its unit's chain.

    `progress(done, total)` is called after each batch of units.
    """
    try:
        bounds = period_bounds(start, end, time_zone)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    signed = _signed(ledger, signer, checkpoint)
    where, params = "completed_at >= ? AND completed_at < ?", [bounds["from_utc"],
                                                               bounds["until_utc"]]
    if categories:
        where += f" AND category IN ({placeholders(len(categories))})"
        params += categories
    labels = [label for (label,) in _rows(
        ledger, f"SELECT label FROM units WHERE {where} ORDER BY completed_at, label",  # noqa: S608
        tuple(params))]
    collector = _Collector(ledger, signed)
    if progress:
        progress(0, len(labels))
    for done, part in enumerate(chunks(labels, BATCH), start=1):
        collector.add(ledger.subject_bodies(["unit:" + label for label in part],
                                            signed.checkpoint.size))
        if progress:
            progress(min(done * BATCH, len(labels)), len(labels))
    collector.add_evidence()
    try:
        statements = period_statements(collector.pairs, plant=signed.checkpoint.origin,
                                       start=start, end=end, time_zone=time_zone,
                                       categories=categories, gwp_basis=gwp_basis)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    if not statements["lines"]:
        raise BuildError(f"no unit was completed from {start} to {end} ({time_zone})"
                         + (f" in categories {', '.join(categories)}" if categories else "")
                         + "; choose another period")
    return collector.document("period", statements)


def build_lot(ledger: Ledger, lot: str, *, signer: Signer,
              checkpoint: SignedCheckpoint | None = None) -> dict[str, Any]:
    """A lot shipment manifest: the lot's chain, the unit outputs in it and the corrections
    made to those outputs."""
    signed = _signed(ledger, signer, checkpoint)
    size = signed.checkpoint.size
    collector = _Collector(ledger, signed)
    collector.add(ledger.subject_bodies(["lot:" + lot], size))
    if not collector.pairs:
        raise BuildError(f"lot {lot!r} has no entries in the ledger; check the lot id")
    outputs = _rows(ledger, "SELECT idx, label FROM unit_outputs WHERE lot = ? AND idx < ? "
                    "ORDER BY idx", (lot, size))
    output_indexes = {idx for idx, _ in outputs}
    collector.add(ledger.bodies(sorted(output_indexes)))
    corrections = []
    for idx, body in ledger.subject_bodies(["unit:" + label for _, label in outputs], size):
        event = json.loads(body)["event"]
        if event["type"] == "correction" and event["data"]["corrects"] in output_indexes:
            corrections.append((idx, body))
    collector.add(corrections)
    collector.add(ledger.subject_bodies([CATALOGUE_SUBJECT], size))
    try:
        statements = lot_statements(collector.pairs, lot)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    return collector.document("lot", statements)
