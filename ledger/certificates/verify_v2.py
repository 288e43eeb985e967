"""The checks of a v2 certificate's entries: the bundle, its multi-leaf proof, the chains, and
every line derived again, in two streaming passes over the bundle.

Pass 1 hashes every entry into the multi-leaf proof (ledger.multiproof) and keeps the entries
that judge (the catalogue's and the scales'); pass 2 reads each entry, checks its chains and
derives each unit's line as soon as its chain's last entry has gone by (the line's
`last_entry`). So a 250,000-line report verifies holding the units in progress at once, never
every entry; its stated lines are read into a scratch database on disk (`_Stated`). An
altered entry is named: each entry's `prev` is the leaf hash of the one before it, so the
entry whose successor chains to other bytes is the one that changed.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any, BinaryIO, Protocol

from ledger import merkle, multiproof
from ledger.certificates import bundle
from ledger.certificates import statements as derive
from ledger.certificates.differences import first_difference
from ledger.certificates.report_spool import scratch_database
from ledger.checkpoint import Checkpoint
from ledger.corrections import Pair
from ledger.encoding import decode_base64
from ledger.fund.table import FUND_UNIT_COLUMNS, FundTable, fund_header
from ledger.fund.workers import workers_for
from ledger.note import Verifier
from ledger.note import split as split_note
from ledger.register import IDENTITY_SUBJECT
from ledger.tiles import TileError, TileLog, TileSource, read_checkpoint

Opener = Callable[[], BinaryIO]  # a fresh binary stream of the gzip-compressed bundle
# What an entry about a catalogue, scale, count, receiver or the plant's identity spells in
# its bytes: one search per entry finds those that may be evidence (_is_evidence says)
EVIDENCE_MARK = re.compile(rb'"subject":"(?:catalogue|scale|count|receiver|plant):')


class EntriesError(ValueError):
    """The entries cannot be read or do not verify; the message names the entry."""


@dataclass
class Outcome:
    """What the passes found, as words for the report's three checks (None: passed)."""

    inclusion: str | None = None
    chain: str | None = None
    statements: str | None = None
    count: int = 0
    chains: int = 0
    problems: list[str] = field(default_factory=list)  # each naming an entry
    bundle_sha256: str | None = None  # words if the bundle is not the certified one


class Source(Protocol):
    """Where the entries of the runs come from: `read()` yields (index, bytes) for each index
    of the runs in order, every time it is called; `sha256` is the bundle's digest once read
    whole (None: not a bundle, e.g. the tiles)."""

    sha256: str | None

    def read(self) -> Iterator[tuple[int | None, bytes | None]]: ...


class BundleSource:
    """The entry bundle: inside the certificate, or a file the inspector gave. An index
    without bytes means the bundle ran short; bytes without an index, that it runs long."""

    def __init__(self, doc: dict[str, Any], opener: Opener):
        self.doc, self.opener = doc, opener
        self.sha256: str | None = None

    def read(self) -> Iterator[tuple[int | None, bytes | None]]:
        with self.opener() as stream:
            reader = bundle.Reader(stream)
            try:
                yield from zip_longest(_indexes(self.doc), reader)
            except bundle.BundleError as exc:
                raise EntriesError(str(exc)) from None
            self.sha256 = reader.sha256


class TilesSource:
    """The entries read from the plant's tiles, each checked against its leaf hash in tiles
    authenticated against the tiles' checkpoint (ledger.tiles.TileLog), which is proven to
    extend the certificate's (`source_for`)."""

    sha256: str | None = None

    def __init__(self, doc: dict[str, Any], log: TileLog):
        self.doc, self.log = doc, log

    def read(self) -> Iterator[tuple[int | None, bytes | None]]:
        try:
            for start, end in self.doc["entries"]["runs"]:
                yield from self.log.entries(start, end)
        except TileError as exc:
            raise EntriesError(f"the tiles do not match the checkpoint: {exc}") from None


def source_for(doc: dict[str, Any], given: Opener | None, tiles: TileSource | None,
               plant_keys: Sequence[Verifier]) -> Source:
    """The entries' source: the bundle inside the certificate, the file given, or the tiles
    (read at their own latest checkpoint, signed by one of `plant_keys`, once it is proven
    to extend the certificate's)."""
    carried = doc["entries"]["bundle"]
    if carried is not None:
        raw = decode_base64(carried)
        if raw is None:
            raise EntriesError("entries.bundle is not canonical base64")
        return BundleSource(doc, lambda: io.BytesIO(raw))
    if given is not None:
        return BundleSource(doc, given)
    if tiles is not None:
        return TilesSource(doc, _tile_log(tiles, Checkpoint.parse(split_note(doc["checkpoint"])[0]),
                                          plant_keys))
    raise EntriesError(f"the report's {doc['entries']['count']:,} entries travel beside it as a "
                       f"bundle file (named like the report, ending {bundle.SUFFIX}): give it "
                       "(--entries FILE), or the plant's tiles (--tiles URL|DIR), to verify "
                       "them")


def _tile_log(tiles: TileSource, certified: Checkpoint, plant_keys: Sequence[Verifier]
              ) -> TileLog:
    """The tiles at their latest checkpoint, proven consistent with the certificate's (a copy
    made by `dledger tiles export` holds the partial tiles of the sizes it was made at, not
    necessarily the certificate's)."""
    try:
        latest, _ = read_checkpoint(tiles, plant_keys)
        if latest.origin != certified.origin:
            raise EntriesError(f"the tiles are of log {latest.origin!r}, the certificate of "
                               f"{certified.origin!r}")
        if latest.size < certified.size:
            raise EntriesError(f"the tiles hold {latest.size:,} entries, fewer than the "
                               f"certificate's checkpoint ({certified.size:,}): fetch them again")
        log = TileLog(tiles, latest)
        if latest.size > certified.size:
            merkle.verify_consistency(certified.size, latest.size, certified.root, latest.root,
                                      log.consistency(certified.size))
        elif latest.root != certified.root:
            raise EntriesError(f"the tiles' checkpoint at size {latest.size:,} has another "
                               "root than the certificate's: the log forked")
    except TileError as exc:
        raise EntriesError(f"the tiles do not match the checkpoint: {exc}") from None
    except merkle.ProofError as exc:
        raise EntriesError(f"the tiles' checkpoint (size {latest.size:,}) does not extend the "
                           f"certificate's (size {certified.size:,}): {exc}") from None
    return log


def _indexes(doc: dict[str, Any]) -> Iterator[int]:
    for start, end in doc["entries"]["runs"]:
        yield from range(start, end)


def check(doc: dict[str, Any], checkpoint: Checkpoint, source: Source) -> Outcome:
    """Both passes; raises EntriesError when the bundle cannot be read at all."""
    outcome = Outcome()
    spans = [(start, end) for start, end in doc["entries"]["runs"]]
    try:
        multiproof.check_runs(spans, checkpoint.size)
    except merkle.ProofError as exc:
        outcome.inclusion = f"entries.runs: {exc}"
        return outcome
    evidence, root_ok = _first_pass(doc, checkpoint, source, spans, outcome)
    if doc["kind"] == "fund_table":
        _second_pass_fund(doc, source, evidence, outcome)
    else:
        _second_pass(doc, source, evidence, outcome)
    found = [*outcome.problems[:1], *([outcome.bundle_sha256] if outcome.bundle_sha256 else [])]
    if not root_ok:
        named = "; ".join(found) or ("no single entry can be named from the bundle alone (the "
                                     "altered one ends a run, or the proof was altered)")
        outcome.inclusion = (f"the entries do not lead to the checkpoint's root (tree size "
                             f"{checkpoint.size}): {named}")
    elif found and outcome.inclusion is None:
        outcome.inclusion = "; ".join(found)
    return outcome


def _first_pass(doc: dict[str, Any], checkpoint: Checkpoint, source: Source,
                spans: list[multiproof.Run], outcome: Outcome) -> tuple[list[Pair], bool]:
    """The multi-leaf proof over every entry, the bundle's SHA-256, and the judging entries."""
    evidence: list[Pair] = []
    proof = [decode_base64(h) for h in doc["entries"]["proof"]]
    if any(h is None or len(h) != 32 for h in proof):
        outcome.inclusion = "entries.proof holds a line that is not a base64 SHA-256 hash"
        return evidence, True
    read, extra = 0, 0

    def leaves() -> Iterator[bytes]:
        nonlocal read, extra
        for index, body in source.read():
            if body is None:
                return  # the bundle ran short: the proof says so
            if index is None:
                extra += 1
                continue
            read += 1
            if EVIDENCE_MARK.search(body):
                event = _event(body)
                if event is not None and _is_evidence(event.get("subject")):
                    evidence.append((index, event))
            yield merkle.leaf_hash(body)

    stated = doc["entries"]["count"]
    try:
        root = multiproof.root(spans, checkpoint.size, leaves(),
                               iter(h for h in proof if h is not None))
    except merkle.ProofError as exc:
        outcome.inclusion = f"the multi-leaf proof does not verify: {exc}"
        return evidence, True
    finally:
        if read + extra != stated:
            outcome.inclusion = (f"the bundle holds {read + extra:,} entries where the "
                                 f"certificate lists {stated:,}")
    if source.sha256 is not None and source.sha256 != doc["entries"]["sha256"]:
        outcome.bundle_sha256 = (f"the bundle's SHA-256 is {source.sha256}, not the certified "
                                 f"{doc['entries']['sha256']}")
    outcome.count = read
    return evidence, root == checkpoint.root


def _event(body: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    event = entry.get("event") if isinstance(entry, dict) else None
    return event if isinstance(event, dict) else None


def _is_evidence(subject: Any) -> bool:
    return isinstance(subject, str) and (subject in (derive.CATALOGUE_SUBJECT,
                                                     IDENTITY_SUBJECT)
                                         or subject.startswith(("scale:", "count:",
                                                                "receiver:")))


def _identity(statements: dict[str, Any], evidence: derive.Evidence) -> dict[str, Any]:
    """The plant's identity as the entries give it, when the report states one (a report
    issued before reports stated it does not: derive.unstated)."""
    return {} if "plant_identity" not in statements else {
        "plant_identity": evidence.plant_identity()}


def _second_pass(doc: dict[str, Any], source: Source, evidence_pairs: list[Pair],
                 outcome: Outcome) -> None:
    """Each entry's shape and `prev`, the chains, and every line derived again."""
    statements = doc["statements"]
    try:
        header = _header(statements, doc["origin"])
        stated = _Stated(statements, "lines", derive.PERIOD_COLUMNS, "completed_at")
        evidence = derive.Evidence(evidence_pairs)
    except (derive.StatementError, KeyError, TypeError, ValueError) as exc:
        outcome.statements = f"the statements cannot be derived from the entries: {exc}"
        return
    lines = derive.PeriodLines(header, evidence, stated.last_of, stated.compare)
    others: dict[str, list[Pair]] = {}
    heads: dict[str, int] = {}  # subject -> its latest entry so far; a unit's ends at its last
    chains = 0
    for index, entry, _ in _entries(source, outcome):
        event = entry["event"]
        subject = event["subject"]
        chains += subject not in heads and entry.get("subject_prev") is None
        if outcome.chain is None:
            outcome.chain = _link(heads, subject, index, entry.get("subject_prev"))
        if _is_evidence(subject):
            continue
        if not subject.startswith("unit:"):
            outcome.chain = outcome.chain or (f"entry {index} is about {subject}, which the "
                                              "report is not about")
            continue
        label = subject[len("unit:"):]
        try:
            if lines.add(index, event) is None:
                others.setdefault(label, []).append((index, event))
            elif index == stated.last_of(label):
                heads.pop(subject, None)  # the chain is whole: a later entry would be extra
            else:
                stated.start(label)
        except derive.StatementError as exc:
            outcome.statements = outcome.statements or f"entry {index}: {exc}"
    outcome.chains = chains
    _check_whole(outcome, lines.unfinished() or stated.never_started(), stated)
    if outcome.statements is None:
        outcome.statements = _compare(statements, header, lines, stated, others, evidence)


def _entries(source: Source, outcome: Outcome
             ) -> Iterator[tuple[int, dict[str, Any], bytes]]:
    """The bundle's entries that are ledger entries (index, entry, its bytes), each checked to
    chain (`prev`) to the bytes of the one before it where both are in the bundle."""
    previous: tuple[int, bytes] | None = None
    for index, body in source.read():
        if index is None or body is None:
            break  # a bundle of the wrong length: the first pass said so
        entry = _entry(index, body, outcome)
        if previous is not None and previous[0] == index - 1 and entry is not None and \
                entry.get("prev") != merkle.leaf_hash(previous[1]).hex():
            outcome.problems.append(f"entry {index - 1} was altered: entry {index} chains "
                                    "(prev) to other bytes than the bundle's")
        previous = (index, body)
        if entry is not None:
            yield index, entry, body


def _entry(index: int, body: bytes, outcome: Outcome) -> dict[str, Any] | None:
    try:
        entry = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        outcome.problems.append(f"entry {index}: the bytes are not JSON")
        return None
    event = entry.get("event") if isinstance(entry, dict) else None
    if (not isinstance(entry, dict) or entry.get("v") != 1 or entry.get("index") != index
            or not isinstance(event, dict) or not _has_text(event)
            or not isinstance(event.get("data"), dict)):
        outcome.problems.append(f"entry {index}: the bytes are not ledger entry {index} (v 1, "
                                "its index, an event with type, subject, time, station, "
                                "operator and data)")
        return None
    return entry


def _has_text(event: dict[str, Any]) -> bool:
    """Whether the event's envelope fields are text (spelled out: this runs per entry)."""
    get = event.get
    return (type(get("type")) is str and type(get("subject")) is str
            and type(get("time")) is str and type(get("station")) is str
            and type(get("operator")) is str)


def _link(heads: dict[str, int], subject: str, index: int, subject_prev: Any) -> str | None:
    """Words if `index` does not follow the previous entry about `subject` (subject_prev)."""
    expected = heads.get(subject)
    heads[subject] = index
    if subject_prev != expected:
        return (f"entry {index} says the previous entry about {subject} is {subject_prev}, but "
                f"the certificate's is {expected}: an entry of the chain is missing or another "
                "was put in")
    return None


def _header(statements: dict[str, Any], origin: str) -> dict[str, Any]:
    period = statements["period"]
    return derive.period_header(plant=origin, start=period["from"], end=period["to"],
                                time_zone=period["time_zone"],
                                categories=statements["categories"],
                                gwp_basis=statements["gwp_basis"])


class _Stated:
    """The stated lines by unit (`member`: a period report's lines, a fund table's units, in
    `columns`, ordered by `order`, then label): where each is, its chain's last entry, and
    whether a line derived from the entries matched it. The lines are read once, as they
    stream from the certificate, into a scratch database (ledger.certificates.report_spool),
    so a report of any size is checked in the same memory; two flags a line are all that is
    held."""

    def __init__(self, statements: dict[str, Any], member: str, names: Sequence[str],
                 order: str):
        columns = list(names)
        self.member, self.columns = member, tuple(names)
        if statements["columns"] != columns:
            raise ValueError(f"statements.columns are not {', '.join(columns)}")
        self._db = scratch_database("CREATE TABLE stated (label TEXT PRIMARY KEY, "
                                    "position INTEGER NOT NULL, last INTEGER NOT NULL, "
                                    "text TEXT NOT NULL) WITHOUT ROWID;")
        label_column, last_column = columns.index("label"), columns.index("last_entry")
        order_column = columns.index(order)
        previous: tuple[Any, Any] | None = None
        count = 0
        for position, text in enumerate(statements[member]):
            row = json.loads(text)
            where = f"statements.{member}[{position}]"
            if not isinstance(row, list) or len(row) != len(columns):
                raise ValueError(f"{where} is not a row of {len(columns)} values")
            label, last = row[label_column], row[last_column]
            if not isinstance(label, str) or type(last) is not int or not self._put(
                    label, position, last, text):
                raise ValueError(f"{where}: unit {label!r} is listed twice or without its last "
                                 "entry")
            key = (str(row[order_column]), label)
            if previous is not None and key < previous:
                raise ValueError(f"{where} (unit {label}) is out of order: {member} are "
                                 f"ordered by {order}, then label")
            previous = key
            count += 1
        self.matched = bytearray(count)
        self.started = bytearray(count)
        self.difference: str | None = None
        self._cached: tuple[str, tuple[int, int, str] | None] = ("", None)

    def _put(self, label: str, position: int, last: int, text: str) -> bool:
        """Record a stated line; False if its unit was stated already."""
        try:
            self._db.execute("INSERT INTO stated VALUES (?, ?, ?, ?)",
                             (label, position, last, text))
        except sqlite3.IntegrityError:
            return False
        return True

    def _line(self, label: str) -> tuple[int, int, str] | None:
        """(position, last entry, text) of unit `label`'s stated line; the last answer is
        kept, as a unit's entries mostly come one after the other."""
        if self._cached[0] != label:
            row = self._db.execute("SELECT position, last, text FROM stated WHERE label = ?",
                                   (label,)).fetchone()
            self._cached = (label, row)
        return self._cached[1]

    def last_of(self, label: str) -> int | None:
        line = self._line(label)
        return None if line is None else line[1]

    def start(self, label: str) -> None:
        line = self._line(label)
        assert line is not None  # the caller found its last entry
        self.started[line[0]] = 1

    def compare(self, _completed_at: str, label: str, text: str) -> None:
        """A line derived from the entries, against the one stated for its unit."""
        line = self._line(label)
        assert line is not None  # derived only for the units stated
        position, _, stated = line
        self.matched[position] = self.started[position] = 1
        if text != stated and self.difference is None:
            columns, where = self.columns, f"statements.{self.member}[{position}]"
            self.difference = first_difference(
                dict(zip(columns, json.loads(stated), strict=True)),
                dict(zip(columns, json.loads(text), strict=True)),
                where) or f"{where} is not written in RFC 8785 form"

    def never_started(self) -> list[str]:
        """The first stated unit of which no entry came (as a list: empty when none)."""
        found = self.started.find(0)
        return [] if found < 0 else [self.label_at(found)]

    def unmatched(self) -> int | None:
        found = self.matched.find(0)
        return None if found < 0 else found

    def label_at(self, position: int) -> str:
        row = self._db.execute("SELECT label FROM stated WHERE position = ?",
                               (position,)).fetchone()
        return str(row[0])


def _compare(statements: dict[str, Any], header: dict[str, Any], lines: derive.PeriodLines,
             stated: _Stated, others: dict[str, list[Pair]],
             evidence: derive.Evidence) -> str | None:
    """Words naming the first stated figure the entries do not give (None: all match)."""
    header = {**header, **_identity(statements, evidence)}
    for name, value in header.items():
        found = first_difference(statements.get(name), value, f"statements.{name}")
        if found:
            return found
    extra = sorted(set(statements) - {*header, "lines", "totals"})
    if extra:
        return f"statements.{extra[0]} is stated but the entries give no such figure"
    if stated.difference:
        return stated.difference
    missing = stated.unmatched()
    if missing is not None:
        return (f"statements.lines[{missing}] states unit {stated.label_at(missing)}, but its "
                "entries give no line in this report")
    if others:
        belongs: list[str] = []
        rest = derive.PeriodLines(header, evidence,
                                  {label: chain[-1][0] for label, chain in others.items()}.get,
                                  lambda _at, label, _text: belongs.append(label))
        for chain in others.values():
            for index, event in chain:
                rest.add(index, event)
        if belongs:
            return (f"unit {belongs[0]} belongs on the report by its entries, but no line "
                    "states it")
    return first_difference(statements["totals"], lines.totals.result(), "statements.totals")


# -- fund tables ----------------------------------------------------------------------------

def _check_whole(outcome: Outcome, unfinished: list[str], stated: _Stated) -> None:
    """Name the first unit whose chain stops before the last entry its line states."""
    if unfinished and outcome.chain is None:
        outcome.chain = (f"the chain of unit {unfinished[0]} does not reach its last entry "
                         f"{stated.last_of(unfinished[0])} as its line says: an entry is "
                         "missing")


def _second_pass_fund(doc: dict[str, Any], source: Source, evidence_pairs: list[Pair],
                      outcome: Outcome) -> None:
    """A fund table's entries: each entry's shape and `prev`, the chains of its units and
    lots, and every cell derived again (ledger.fund.table) and compared."""
    statements = doc["statements"]
    try:
        period = statements["period"]
        header = fund_header(plant=doc["origin"], start=period["from"], end=period["to"],
                             time_zone=period["time_zone"])
        stated = _Stated(statements, "units", FUND_UNIT_COLUMNS, "received_at")
        evidence = derive.Evidence(evidence_pairs)
        header = {**header, **_identity(statements, evidence)}
        table = FundTable(header, evidence, stated.last_of,
                          stated.compare, workers=workers_for(len(stated.matched)))
    except (derive.StatementError, KeyError, TypeError, ValueError) as exc:
        outcome.statements = f"the statements cannot be derived from the entries: {exc}"
        return
    with closing(table):  # its worker processes stop, whatever happens
        _derive_fund(source, statements, header, table, stated, outcome)


def _derive_fund(source: Source, statements: dict[str, Any],
                 header: dict[str, Any], table: FundTable, stated: _Stated,
                 outcome: Outcome) -> None:
    """Feed the table every entry, checking each chain's links, then compare every cell."""
    heads: dict[str, int] = {}
    chains = 0
    for index, entry, body in _entries(source, outcome):
        subject = entry["event"]["subject"]
        kind, _, name = subject.partition(":")
        on_table = kind == "unit" and stated.last_of(name) is not None
        if kind == "unit" and not on_table:
            pass  # an output of a unit off the table into a lot: its chain is not carried
        elif kind in ("unit", "lot") or _is_evidence(subject):
            chains += subject not in heads and entry.get("subject_prev") is None
            if outcome.chain is None:
                outcome.chain = _link(heads, subject, index, entry.get("subject_prev"))
        else:
            outcome.chain = outcome.chain or (f"entry {index} is about {subject}, which the "
                                              "fund table is not about")
            continue
        try:
            if table.add(index, subject, body) is not None:
                stated.start(name)
                if index == stated.last_of(name):
                    heads.pop(subject, None)  # the chain is whole: a later entry is extra
        except derive.StatementError as exc:
            outcome.statements = outcome.statements or f"entry {index}: {exc}"
    outcome.chains = chains
    _check_whole(outcome, table.unfinished() or stated.never_started(), stated)
    if outcome.statements is None:
        outcome.statements = _compare_fund(statements, header, table, stated)


def _compare_fund(statements: dict[str, Any], header: dict[str, Any], table: FundTable,
                  stated: _Stated) -> str | None:
    """Words naming the first stated cell the entries do not give (None: all match)."""
    try:
        derived = {**header, **table.result()}
    except derive.StatementError as exc:
        return f"the statements cannot be derived from the entries: {exc}"
    for name, value in derived.items():
        found = first_difference(statements.get(name), value, f"statements.{name}")
        if found:
            return found
    extra = sorted(set(statements) - {*derived, "units"})
    if extra:
        return f"statements.{extra[0]} is stated but the entries give no such figure"
    if stated.difference:
        return stated.difference
    missing = stated.unmatched()
    if missing is not None:
        return (f"statements.units[{missing}] states unit {stated.label_at(missing)}, but its "
                "entries give no line in this table")
    return None
