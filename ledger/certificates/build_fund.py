"""Building the 拆解处理情况表 (certificate kind `fund_table`, format v2) from the log, streamed
as a period report is (ledger.certificates.build.build_period): its figures come from
ledger.fund.table, fed the entries in index order.

The entries it carries: the whole chain of every unit on the table (the units read model
finds them: received before the period's end, not completed before its start), the catalogue
and every scale chain (what judges them), the chain of every lot opened before the period's
end (the lots say where product went), the outputs of units off the table into the lots
that had stock or moved in the period, and the intakes and completions of units off the table
that are the other halves of desktop sets on it, with the corrections made to those.
"""

from __future__ import annotations

import json
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from ledger.certificates.build import (
    DEFAULT_TIME_ZONE,
    BuildError,
    Progress,
    _carry,
    _multiproof,
    _report_units,
    _rows,
    _signed,
    _write_entries,
    set_partner_rows,
)
from ledger.certificates.document import FORMAT_V2
from ledger.certificates.report_spool import ReportSpool
from ledger.certificates.statements import Evidence, StatementError
from ledger.corrections import fold
from ledger.events import utc_now_ms
from ledger.fund.table import FundTable, fund_header, lot_in_period
from ledger.fund.workers import workers_for
from ledger.log import CATALOGUE_SUBJECT, Ledger, SignedCheckpoint
from ledger.note import Signer
from ledger.register import IDENTITY_SUBJECT
from ledger.store import chunks, placeholders

KIND = "fund_table"
# The units on the table, in the units read model's terms (parameters: until, since).
ON_TABLE = "u.received_at < ? AND (u.completed_at IS NULL OR u.completed_at >= ?)"


def build_fund_table(ledger: Ledger, start: str, end: str, *, signer: Signer,
                     checkpoint: SignedCheckpoint | None = None,
                     time_zone: str = DEFAULT_TIME_ZONE, bundle_to: Path | None = None,
                     progress: Progress | None = None) -> dict[str, Any]:
    """The fund table from `start` to `end` (dates, inclusive, in `time_zone`): one line per
    unit in stock or received in the period, the form's rows and annexes, every figure backed
    by the entries carried in one bundle with one multi-leaf proof (a bundle larger than
    build.EMBED_BUNDLE_MAX is written to `bundle_to`). The units' last entries and lines are
    kept on disk, so a quarter is built in the same memory as a day."""
    try:
        header = fund_header(plant=signer.name, start=start, end=end, time_zone=time_zone)
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    signed = _signed(ledger, signer, checkpoint)
    size = signed.checkpoint.size
    since, until = header["period"]["from_utc"], header["period"]["until_utc"]
    spool = ReportSpool()
    first = _report_units(ledger, spool, f"SELECT label, first_index FROM units "  # noqa: S608
                          f"u WHERE {ON_TABLE}", (until, since), size)
    if not spool.units:
        raise BuildError(f"no unit was in stock or received from {start} to {end} "
                         f"({time_zone}); choose another period")
    evidence_rows = sorted([*ledger.subject_bodies([CATALOGUE_SUBJECT, IDENTITY_SUBJECT], size),
                            *((i, b) for prefix in ("scale:", "count:", "receiver:")
                              for i, _, b in ledger.prefix_bodies(prefix, before=size))])
    evidence = Evidence([(i, json.loads(body)["event"]) for i, body in evidence_rows])
    try:
        table = FundTable(header, evidence, spool.last_of, spool.add_line,
                          workers=workers_for(spool.units))
    except StatementError as exc:
        raise BuildError(str(exc)) from None
    with closing(table):  # its worker processes stop, whatever happens
        lot_rows, stocked = _lots(ledger, size, since, until)
        extra = sorted(dict([*evidence_rows, *lot_rows,
                             *_outputs_off_table(ledger, stocked, size, since, until),
                             *_set_halves_off_table(ledger, spool, size, until, since)]).items())
        with tempfile.TemporaryFile() as entries:
            writer, runs, digest = _write_entries(ledger, spool, first, extra, table.add,
                                                  entries, progress,
                                                  lambda: table.count + len(table.left_out))
            if table.unfinished():
                raise BuildError(f"the entries of unit {table.unfinished()[0]} end before the "
                                 "last one the log lists for it; run `dledger audit`")
            try:
                figures = table.result()
            except StatementError as exc:
                raise BuildError(str(exc)) from None
            if not table.count:
                raise BuildError(f"no unit was in stock or received from {start} to {end} "
                                 f"({time_zone}); choose another period")
            carried = _carry(entries, bundle_to)
        if progress:
            progress(spool.units, spool.units)
        return {"format": FORMAT_V2, "kind": KIND, "origin": signed.checkpoint.origin,
                "issued_at": utc_now_ms(),
                "statements": {**header, "plant_identity": evidence.plant_identity(),
                               **figures, "units": spool},
                "checkpoint": signed.note,
                "entries": {"count": writer.count, "runs": [list(r) for r in runs.spans],
                            "sha256": digest, "proof": _multiproof(ledger, runs.spans, size),
                            "bundle": carried}}


def _lots(ledger: Ledger, size: int, since: str, until: str
          ) -> tuple[list[tuple[int, bytes]], list[str]]:
    """The chains of the lots opened before the period's end, and which of those lots had
    stock or moved in the period."""
    chains: dict[str, list[tuple[int, bytes, dict[str, Any]]]] = {}
    for index, subject, body in ledger.prefix_bodies("lot:", before=size):
        chains.setdefault(subject[len("lot:"):], []).append(
            (index, body, json.loads(body)["event"]))
    rows: list[tuple[int, bytes]] = []
    stocked = []
    for lot, chain in chains.items():
        found = {e["type"]: e for _, e in fold((i, e) for i, _, e in chain)[0]}
        opened, shipped = found.get("lot.opened"), found.get("lot.shipped")
        if opened is None or opened["time"] >= until:
            continue
        rows += [(index, body) for index, body, _ in chain]
        if lot_in_period(opened["time"], shipped["time"] if shipped else None, since, until):
            stocked.append(lot)
    return rows, stocked


def _set_halves_off_table(ledger: Ledger, spool: ReportSpool, size: int, until: str,
                          since: str) -> list[tuple[int, bytes]]:
    """The intakes and completions of the units off the table set with units on it (the
    other halves of their desktop sets: what a set's completion reads, and what keeps them
    off the table), with the corrections made to those entries."""
    kept, fixes = [], []
    for index, body in set_partner_rows(ledger, spool, ON_TABLE, (until, since), size):
        event = json.loads(body)["event"]
        if event["type"] in ("unit.received", "unit.completed"):
            kept.append((index, body))
        elif event["type"] == "correction":
            fixes.append((index, body, event["data"]["corrects"]))
    wanted = {index for index, _ in kept}
    return [*kept, *((index, body) for index, body, target in fixes if target in wanted)]


def _outputs_off_table(ledger: Ledger, lots: list[str], size: int, since: str, until: str
                       ) -> list[tuple[int, bytes]]:
    """The outputs before the period's end of units off the table into `lots` (found through
    the unit_outputs and units read models), and the corrections made to them."""
    indexes: list[int] = []
    for part in chunks(sorted(lots)):
        indexes += [idx for (idx,) in _rows(
            ledger, f"SELECT o.idx FROM unit_outputs o WHERE o.lot IN "  # noqa: S608
            f"({placeholders(len(part))}) AND o.idx < ? AND o.at < ? AND NOT EXISTS "
            f"(SELECT 1 FROM units u WHERE u.label = o.label AND {ON_TABLE})",
            (*part, size, until, until, since))]
    if not indexes:
        return []
    wanted = set(indexes)
    fixes = [(index, body) for index, _, body in ledger.prefix_bodies(
        "unit:", etype="correction", before=size)
        if json.loads(body)["event"]["data"]["corrects"] in wanted]
    return [*ledger.bodies(indexes), *fixes]
