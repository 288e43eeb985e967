"""Collect a certificate from a Ledger: one signed checkpoint, every entry the statements rely
on with its tlog-proof@v1 against that checkpoint, and the statements derived from exactly
those entries (ledger.certificates.statements).

Entries are read by subject below the checkpoint's size, so what the certificate states is
what the log held at the checkpoint. Projections are used only to *find* subjects (units
completed in a period, outputs in a lot); the statements come from the entries alone. Besides
its subjects' chains a certificate carries what judging them needs (docs/rules.md): every
catalogue.published entry below the checkpoint, the whole chain of each scale its units
were weighed on, the whole chain of the other half of each unit's desktop set, and for a
lot manifest the chain of each receiver its lot names (its register entries).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from ledger import merkle, multiproof
from ledger.certificates import bundle
from ledger.certificates.document import FORMAT, FORMAT_V2
from ledger.certificates.report_spool import ReportSpool
from ledger.certificates.statements import (
    DEFAULT_BASIS,
    Evidence,
    PeriodLines,
    StatementError,
    lot_statements,
    period_header,
    set_partner,
    unit_statements,
)
from ledger.corrections import Pair, fold
from ledger.events import utc_now_ms
from ledger.log import CATALOGUE_SUBJECT, Ledger, SignedCheckpoint
from ledger.note import Signer
from ledger.proof import InclusionProof
from ledger.register import IDENTITY_SUBJECT, OPERATOR_PREFIX
from ledger.rules.receivers import named_receivers
from ledger.store import execute, placeholders, read_transaction, stream

DEFAULT_TIME_ZONE = "Asia/Shanghai"
BATCH = 500  # units between two progress reports
UNITS_BATCH = 5_000  # units whose chains' last entries are looked up at a time
EMBED_BUNDLE_MAX = 8 << 20  # compressed bundle bytes a certificate carries inside
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
        self.add_register()

    def add_register(self) -> None:
        """The plant:identity chain, and the register chain of every operator the entries
        collected so far name: who issued the certificate and who did the work."""
        codes = {event["operator"] for _, event in self.pairs}
        subjects = [IDENTITY_SUBJECT, *sorted(OPERATOR_PREFIX + code for code in codes)]
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
    partner = set_partner([(i, e) for i, e in collector.pairs if e["subject"] == "unit:" + label])
    if partner is not None and partner != label:
        collector.add(ledger.subject_bodies(["unit:" + partner], signed.checkpoint.size))
    try:
        statements = unit_statements(collector.pairs, label, gwp_basis=gwp_basis)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    if statements["completed"] is None:
        raise BuildError(f"unit {label!r} has not been completed (its dismantling is "
                         f"{statements['state']}): a dismantling certificate is issued once "
                         "the unit is completed")
    return collector.document("unit", statements)


def build_period(ledger: Ledger, start: str, end: str, categories: list[str] | None = None,
                 progress: Progress | None = None, *, signer: Signer,
                 checkpoint: SignedCheckpoint | None = None,
                 time_zone: str = DEFAULT_TIME_ZONE, gwp_basis: str = DEFAULT_BASIS,
                 bundle_to: Path | None = None) -> dict[str, Any]:
    """A period report (format v2): one line per unit completed from `start` to `end` (dates,
    inclusive, in `time_zone`), optionally only `categories`, each backed by its unit's chain.

    Runs in the same memory whatever the period's size: the log is read once, in index order,
    each unit's line is derived as soon as its chain's last entry has gone by, and the units'
    last entries and the lines are kept on disk (ledger.certificates.report_spool): the
    document's `statements.lines` is that spool, written by document.serialised one line at
    a time. The entries
    go into one bundle proven by one multi-leaf proof; a bundle of at most EMBED_BUNDLE_MAX
    compressed bytes is carried inside the certificate, a larger one is written to
    `bundle_to` (the certificate's `entries.bundle` is then null). `progress(done, total)`
    counts units.
    """
    try:
        header = period_header(plant=signer.name, start=start, end=end, time_zone=time_zone,
                               categories=categories, gwp_basis=gwp_basis)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    signed = _signed(ledger, signer, checkpoint)
    size = signed.checkpoint.size
    bounds = header["period"]
    where, params = "u.completed_at >= ? AND u.completed_at < ?", [bounds["from_utc"],
                                                                   bounds["until_utc"]]
    if categories:
        where += f" AND u.category IN ({placeholders(len(categories))})"
        params += categories
    spool = ReportSpool()
    first = _report_units(ledger, spool, f"SELECT label, first_index FROM units "  # noqa: S608
                          f"u WHERE {where}", tuple(params), size)
    if not spool.units:
        raise BuildError(f"no unit was completed from {start} to {end} ({time_zone})"
                         + (f" in categories {', '.join(categories)}" if categories else "")
                         + "; choose another period")
    evidence_rows = sorted([*ledger.subject_bodies([CATALOGUE_SUBJECT, IDENTITY_SUBJECT], size),
                            *((i, b) for i, _, b in ledger.prefix_bodies("scale:", before=size))])
    evidence_pairs = [(i, json.loads(body)["event"]) for i, body in evidence_rows]
    evidence = Evidence(evidence_pairs)
    lines = PeriodLines(header, evidence, spool.last_of, spool.add_line)

    def feed(index: int, subject: str, body: bytes) -> None:
        if subject.startswith("unit:"):  # a line's, or its set's other half; not evidence
            lines.add(index, json.loads(body)["event"])

    partner_rows = set_partner_rows(ledger, spool, where, tuple(params), size)
    with tempfile.TemporaryFile() as entries:
        writer, runs, digest = _write_entries(ledger, spool, first,
                                              sorted([*evidence_rows, *partner_rows]), feed,
                                              entries, progress,
                                              lambda: lines.count + len(lines.left_out))
        if lines.unfinished():
            raise BuildError(f"the entries of unit {lines.unfinished()[0]} end before the "
                             "last one the log lists for it; run `dledger audit`")
        if not lines.count:
            raise BuildError(f"no unit was completed from {start} to {end} ({time_zone})"
                             + (f" in categories {', '.join(categories)}" if categories else "")
                             + "; choose another period")
        carried = _carry(entries, bundle_to)
    if progress:
        progress(spool.units, spool.units)
    statements = {**header, "plant_identity": evidence.plant_identity(), "lines": spool,
                  "totals": lines.totals.result()}
    proof = _multiproof(ledger, runs.spans, size)
    return {"format": FORMAT_V2, "kind": "period", "origin": signed.checkpoint.origin,
            "issued_at": utc_now_ms(), "statements": statements, "checkpoint": signed.note,
            "entries": {"count": writer.count, "runs": [list(r) for r in runs.spans],
                        "sha256": digest, "proof": proof, "bundle": carried}}


def set_partner_rows(ledger: Ledger, spool: ReportSpool, where: str,
                     params: tuple[Any, ...], size: int) -> list[tuple[int, bytes]]:
    """The entries below `size` of the units off the report (not in `spool`) that a unit
    `where` finds (units read model `u`) names as the other half of its desktop set, or that
    name one such unit: what the rule of a set's completion reads (the units read model only
    finds them; the entries carried decide the judgement)."""
    found = _rows(ledger, f"SELECT u.set_with FROM units u WHERE {where} "  # noqa: S608
                  f"AND u.set_with IS NOT NULL UNION SELECT p.label FROM units p JOIN units "
                  f"u ON p.set_with = u.label WHERE {where}", (*params, *params))
    labels = sorted({label for (label,) in found if spool.last_of(label) is None})
    return ledger.subject_bodies(["unit:" + label for label in labels], size) if labels else []


def _report_units(ledger: Ledger, spool: ReportSpool, statement: str,
                  params: tuple[Any, ...], size: int) -> int:
    """Put the units `statement` finds (label, first_index) into `spool` with the last entry
    of each one's chain below `size`, a batch at a time; the smallest first index of those
    (`size` when there is none)."""
    first = size
    with read_transaction(ledger.engine) as conn:
        rows = stream(conn, statement, params)
        while batch := list(islice(rows, UNITS_BATCH)):
            heads = ledger.subject_heads(["unit:" + label for label, _ in batch], size)
            found = [(label, index) for label, index in batch if "unit:" + label in heads]
            spool.add_units((label, heads["unit:" + label]) for label, _ in found)
            first = min([first, *(index for _, index in found)])
    return first


def _write_entries(ledger: Ledger, spool: ReportSpool, first: int,
                   extra: Iterable[tuple[int, bytes]], feed: Callable[[int, str, bytes], object],
                   out: BinaryIO, progress: Progress | None, done: Callable[[], int]
                   ) -> tuple[bundle.Writer, _Runs, str]:
    """The entries a report carries, into one bundle in `out`, in index order: the log's
    entries of the units in `spool` from `first` on, with the `extra` (index, bytes) merged in
    (evidence, lots: what the units are judged and counted with). Each is handed to
    `feed(index, subject, bytes)` as it goes by; `progress` hears `done()` (units derived)
    every BATCH units. Returns the writer (closed), the runs and the bundle's SHA-256."""
    writer, runs = bundle.Writer(out), _Runs()
    pending = iter(extra)
    waiting = next(pending, None)
    reported = 0
    if progress:
        progress(0, spool.units)

    def put(index: int, body: bytes, subject: str | None = None) -> None:
        """One entry to `feed` and the bundle (`subject`: read from the bytes of an extra)."""
        try:
            feed(index, subject or json.loads(body)["event"]["subject"], body)
        except StatementError as exc:
            raise BuildError(str(exc)) from None
        writer.add(index, body)
        runs.add(index)

    for index, subject, body in ledger.entries_between(first, spool.last_index + 1):
        while waiting is not None and waiting[0] < index:
            put(*waiting)
            waiting = next(pending, None)
        if waiting is not None and waiting[0] == index:
            waiting = next(pending, None)
        elif not (subject.startswith("unit:")
                  and spool.last_of(subject[len("unit:"):]) is not None):
            continue
        put(index, body, subject)
        if progress and done() >= reported + BATCH:
            reported = done()
            progress(reported, spool.units)
    while waiting is not None:
        put(*waiting)
        waiting = next(pending, None)
    return writer, runs, writer.close()


class _Runs:
    """Runs of consecutive entry indexes, added in increasing order."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def add(self, index: int) -> None:
        if self.spans and self.spans[-1][1] == index:
            self.spans[-1] = (self.spans[-1][0], index + 1)
        else:
            self.spans.append((index, index + 1))


def _carry(spool: BinaryIO, bundle_to: Path | None) -> str | None:
    """The bundle as base64 when it is small enough to travel inside the certificate, else
    None once it is written to `bundle_to`."""
    length = spool.tell()
    spool.seek(0)
    if length <= EMBED_BUNDLE_MAX:
        return base64.b64encode(spool.read()).decode()
    if bundle_to is None:
        raise BuildError(f"the report's entries take {length:,} compressed bytes, more than "
                         f"the {EMBED_BUNDLE_MAX:,} a certificate carries inside: give a file "
                         "to write the entry bundle to")
    partial = bundle_to.with_name(bundle_to.name + ".partial")
    with partial.open("wb") as out:
        shutil.copyfileobj(spool, out)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(bundle_to)
    return None


def _multiproof(ledger: Ledger, spans: list[tuple[int, int]], size: int) -> list[str]:
    """The multi-leaf proof of `spans` (ledger.multiproof), from the stored tree nodes."""
    hashes = []
    for lo, hi in multiproof.proof_ranges(spans, size):
        nodes = [ledger.node_hashes(level, idx, idx + 1)[0]
                 for level, idx in merkle.range_nodes(lo, hi)]
        hashes.append(base64.b64encode(merkle.fold(nodes)).decode())
    return hashes


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
    collector.add_register()
    collector.add(ledger.subject_bodies([CATALOGUE_SUBJECT], size))
    lot_chain = [(i, e) for i, e in collector.pairs if e["subject"] == "lot:" + lot]
    collector.add(ledger.subject_bodies(
        ["receiver:" + code for code, _ in named_receivers(fold(lot_chain)[0])], size))
    try:
        statements = lot_statements(collector.pairs, lot)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    return collector.document("lot", statements)
