"""Read models derived from the entries: units (with their outputs and refrigerant
recoveries), lots, stations, scales and their checks, catalogue versions, the flags the rules
compute, stations' refusal records, and the dashboard's hourly roll-up.

`Projector` runs inside the append transaction. It loads the rows and entries an append batch
touches, refuses what the plant's rules forbid (ledger/rules/, judged against the catalogue in
force; the same functions the station and the verifier call) and what breaks the ledger's own
invariants (a revoked station, a correction of another subject...), applies each event's
effect and writes the rows back. A unit's (or lot's) flags are computed again, from its
entries, whenever an append touches it. A `correction` re-derives its subject's row from the
subject's entries with the correction applied (and, for a unit, its output and recovery
rows), so `rebuild` and incremental updates always agree. The hourly roll-up
(ledger/hourly.py) changes by each touched unit's share after the append minus its share
before.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from ledger import hourly
from ledger.catalogue import Catalogue, from_content
from ledger.corrections import Pair, fold
from ledger.encoding import decode_base64
from ledger.events import PLANT_STATION, Event, EventError, parse_event
from ledger.rules import judge, reasons, sets
from ledger.rules.facts import (
    LOT_TRANSITIONS,
    CountFacts,
    CylinderFacts,
    LotFacts,
    ReceiverFacts,
    UnitFacts,
    facts_below,
)
from ledger.rules.lots import receiver_of
from ledger.rules.reasons import Refusal
from ledger.store import Tx, chunks, execute, insert_rows, placeholders, scalar, stream
from ledger.tables import (
    PROJECTION_TABLES,
    Lot,
    RefrigerantRecovery,
    Scale,
    Station,
    Unit,
    UnitMove,
    UnitOutput,
)

Row = dict[str, Any]

_TABLES = {"unit": ("units", "label", Unit), "lot": ("lots", "lot", Lot),
           "station": ("stations", "station", Station), "scale": ("scales", "scale", Scale)}
# Rows kept per entry of a unit: the table and the model of each.
_ENTRY_ROWS = {"material.output": ("unit_outputs", UnitOutput),
               "component.removed": ("unit_outputs", UnitOutput),
               "unit.stored": ("unit_moves", UnitMove),
               "unit.set_aside": ("unit_moves", UnitMove),
               "refrigerant.recovered": ("refrigerant_recoveries", RefrigerantRecovery)}

# The entry rows the hourly roll-up reads (ledger.hourly.unit_totals' arguments, in order).
_HOURLY_SOURCES = ("unit_outputs", "refrigerant_recoveries")

# Catalogues by the SHA-256 of their content: immutable, so kept across transactions.
_CATALOGUES: dict[str, Catalogue] = {}


class RuleError(ValueError):
    """The event contradicts the plant's rules or what the ledger already holds; `code` names
    the rule (ledger/rules/reasons.py) where one does."""

    def __init__(self, message: str, code: str | None = None,
                 params: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.params = params or {}  # the rule's figures, to render its message in a language


class Projector:
    """Projection rows for one append transaction: load, check and apply, then flush.

    With `judge` False (rebuild) the entries are replayed without judging them again: they
    were accepted by the rules in force when they were written.
    """

    def __init__(self, conn: Tx, judge: bool = True, start: int | None = None):
        self.conn = conn
        self.judge = judge
        self.start = start  # the batch's first entry: the entries read as facts come before it
        self.world = _World(self)
        self.rows: dict[str, Row | None] = {}  # subject -> row, or None where there is none
        self.stored: dict[str, Row | None] = {}  # unit subject -> its row as stored
        self.dirty: set[str] = set()
        self.trade_in: dict[str, str] = {}  # trade-in code -> unit label, for those loaded
        self.pending: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        self.entry_rows: dict[int, tuple[str, Row]] = {}  # entry index -> (table, row) to insert
        self.rederived: set[str] = set()  # labels whose entry rows are written anew
        self.stored_pairs: dict[str, list[Pair]] = {}  # subject -> its entries before the batch
        self.new_rows: dict[str, list[Row]] = defaultdict(list)  # table -> rows to insert
        self.catalogues: list[tuple[int, Catalogue]] = []  # published in this batch
        self.in_force: tuple[int, Catalogue] | None = None  # before the batch, once read
        self.in_force_read = False
        self.recoveries: dict[str, tuple[int, int]] = {}  # cylinder -> (entry, gross after)
        self.checks: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)  # this batch's
        self.registered_at: dict[str, str | None] = {}
        # Read once per batch, for the many units and stations of a group's batch (see
        # _stored_catalogues, _entry_time and _latest_pass).
        self.stored_catalogues: list[tuple[int, str]] | None = None  # (entry, sha256)
        self.entry_times: dict[int, str | None] = {}  # registrations' entry -> event time
        self.latest_pass: dict[str, tuple[str | None, int | None]] = {}  # scale -> (at, entry)
        self.judged: set[str] = set()  # unit and lot subjects whose flags are computed again
        self.receivers_stored: bool | None = None  # any receiver registered before the batch

    def load(self, events: Iterable[Event]) -> None:
        """Fetch every row the batch can touch, in a few queries."""
        subjects: set[str] = set()
        codes: set[str] = set()
        for event in events:
            subjects.add(event.subject)
            if event.station != PLANT_STATION:
                subjects.add("station:" + event.station)
            if event.type in ("material.output", "component.removed") and event.data.get("lot"):
                subjects.add("lot:" + event.data["lot"])
            if event.type == "refrigerant.recovered":
                subjects.add("cylinder:" + event.data["cylinder"])
            if event.type == "lot.shipped" and event.data.get("receiver_code"):
                subjects.add("receiver:" + event.data["receiver_code"])
            if event.type == "unit.received" and event.data.get("trade_in_code"):
                codes.add(event.data["trade_in_code"])
        self._load_entries(sorted(s for s in subjects if s.split(":", 1)[0] in _FACT_SUBJECTS
                                  and s not in self.stored_pairs))
        wanted = [s for s in subjects if s.split(":", 1)[0] in _TABLES and s not in self.rows]
        by_kind: dict[str, list[str]] = defaultdict(list)
        for subject in wanted:
            kind, name = subject.split(":", 1)
            by_kind[kind].append(name)
            self.rows[subject] = None
        for kind, names in by_kind.items():
            table, key, model = _TABLES[kind]
            columns = list(model.model_fields)
            for part in chunks(names):
                result = execute(self.conn, f"SELECT {', '.join(columns)} FROM {table} "
                                 f"WHERE {key} IN ({placeholders(len(part))})", tuple(part))
                for values in result:
                    row = dict(zip(columns, values, strict=True))
                    self.rows[f"{kind}:{row[key]}"] = row
        self.stored.update({s: self.rows[s] for s in wanted if s.startswith("unit:")})
        for loaded in self.rows.values():
            if loaded and loaded.get("trade_in_code"):
                self.trade_in[loaded["trade_in_code"]] = loaded["label"]
        missing = sorted(codes - set(self.trade_in))
        for part in chunks(missing):
            result = execute(self.conn, "SELECT trade_in_code, label FROM units WHERE "
                             f"trade_in_code IN ({placeholders(len(part))})", tuple(part))
            self.trade_in.update(dict(result.fetchall()))

    def _load_entries(self, subjects: list[str]) -> None:
        """Every entry of `subjects` logged before this batch: what the rules read."""
        for subject in subjects:
            self.stored_pairs[subject] = []
        bound = "" if self.start is None else f" AND idx < {int(self.start)}"
        for part in chunks(subjects):
            result = execute(self.conn, "SELECT subject, idx, body FROM ledger_entries WHERE "
                             f"subject IN ({placeholders(len(part))}){bound} ORDER BY idx",
                             tuple(part))
            for subject, idx, body in result:
                self.stored_pairs[subject].append((idx, json.loads(bytes(body))["event"]))

    def pairs(self, subject: str) -> list[Pair]:
        """The subject's entries so far: logged before the batch, then the batch's."""
        if subject not in self.stored_pairs:
            self._load_entries([subject])
        return self.stored_pairs[subject] + self.pending.get(subject, [])

    def catalogue_at(self, index: int | None) -> tuple[int, Catalogue] | None:
        """The catalogue in force at entry `index` (None: after everything so far): the
        latest published below it, else the first ever published (entries written before any
        catalogue are judged retroactively by the first)."""
        pending = [(i, c) for i, c in self.catalogues if index is None or i < index]
        if pending:
            return pending[-1]
        if index is None:
            if not self.in_force_read:
                self.in_force, self.in_force_read = self._catalogue_before(None), True
            return self.in_force
        return self._catalogue_before(index)

    def _catalogue_before(self, index: int | None) -> tuple[int, Catalogue] | None:
        """The stored catalogue in force at `index` (see catalogue_at), read and cached."""
        stored = self._stored_catalogues()
        before = [row for row in stored if index is None or row[0] < index]
        row = before[-1] if before else stored[0] if stored else None
        if row is None:
            return self.catalogues[0] if self.catalogues else None
        idx, digest = row
        if digest not in _CATALOGUES:
            body = scalar(execute(self.conn, "SELECT body FROM ledger_entries WHERE idx = ?",
                                  (idx,)))
            content = json.loads(bytes(body))["event"]["data"]["content"]
            _CATALOGUES[digest] = from_content(content, f"entry {idx}")
        return idx, _CATALOGUES[digest]

    def _stored_catalogues(self) -> list[tuple[int, str]]:
        """(entry, sha256) of every stored catalogue version, oldest first: a few rows (one
        per version published), read once rather than once for each unit judged."""
        if self.stored_catalogues is None:
            self.stored_catalogues = [(idx, digest) for idx, digest in execute(
                self.conn, "SELECT idx, sha256 FROM catalogues ORDER BY idx")]
        return self.stored_catalogues

    def last_pass(self, scale: str, at: str, index: int | None) -> str | None:
        """The time of `scale`'s latest passing check logged before entry `index`, at or
        before `at` (ledger.rules.flags.LastPass)."""
        found = [t for i, t, passed in self.checks.get(scale, [])
                 if passed and t <= at and (index is None or i < index)]
        candidates = [t for t in (*found, self._stored_last_pass(scale, at, index))
                      if t is not None]
        return max(candidates) if candidates else None

    def _stored_last_pass(self, scale: str, at: str, index: int | None) -> str | None:
        """last_pass among the stored checks. The scale's latest passing check (read once
        per batch) answers whenever it is at or before `at` and before `index`, as the
        weighings of units at work are; otherwise the bounded query does."""
        if scale not in self.latest_pass:
            self.latest_pass[scale] = execute(
                self.conn, "SELECT MAX(at), MIN(idx) FROM scale_checks WHERE scale = ? AND "
                "passed = ? AND at = (SELECT MAX(at) FROM scale_checks WHERE scale = ? AND "
                "passed = ?)", (scale, True, scale, True)).fetchone()
        latest, first = self.latest_pass[scale]
        if latest is None or first is None:
            return None  # no passing check stored
        if latest <= at and (index is None or first < index):
            return latest
        bound, params = ("", (scale, True, at)) if index is None else \
            (" AND idx < ?", (scale, True, at, index))
        stored: str | None = scalar(execute(
            self.conn, f"SELECT MAX(at) FROM scale_checks WHERE scale = ? AND passed = ? AND "
            f"at <= ?{bound}", params))
        return stored

    def last_recovery(self, cylinder: str) -> tuple[int, int] | None:
        """(entry, gross after) of the cylinder's latest recovery so far."""
        if cylinder in self.recoveries:
            return self.recoveries[cylinder]
        row = execute(self.conn, "SELECT idx, cylinder_gross_after_g FROM "
                      "refrigerant_recoveries WHERE cylinder = ? ORDER BY idx DESC LIMIT 1",
                      (cylinder,)).fetchone()
        return None if row is None or row[1] is None else (row[0], row[1])

    def set_claims(self, label: str) -> list[str]:
        """The units whose effective intake names `label` as its set (set_with): the stored
        rows, as this batch has changed them (a unit row of the batch wins over the stored)."""
        batch = {subject[len("unit:"):]: row for subject, row in self.rows.items()
                 if subject.startswith("unit:")}
        stored = [found for (found,) in execute(self.conn, "SELECT label FROM units WHERE "
                                                "set_with = ?", (label,))]
        return sorted({*(found for found in stored if found not in batch),
                       *(found for found, row in batch.items()
                         if row is not None and row["set_with"] == label)})
    def register_at(self, code: str, below: int) -> ReceiverFacts:
        """A receiver's register events logged below entry `below` (judge.RegisterAt)."""
        return ReceiverFacts.of(code, [(i, e) for i, e in self.pairs("receiver:" + code)
                                       if i < below])

    def register_in_use(self) -> bool:
        """Whether any receiver is registered: in this batch, or stored (read once)."""
        if any(s.startswith("receiver:") and p for s, p in self.pending.items()):
            return True
        if self.receivers_stored is None:
            bound = "" if self.start is None else f" AND idx < {int(self.start)}"
            self.receivers_stored = execute(
                self.conn, "SELECT 1 FROM ledger_entries WHERE subject >= ? AND subject < ?"
                f"{bound} LIMIT 1", ("receiver:", "receiver;")).fetchone() is not None
        return self.receivers_stored

    def station_registered_at(self, station: str) -> str | None:
        if station == PLANT_STATION:
            return None
        if station not in self.registered_at:
            row = self.rows.get("station:" + station)
            self.registered_at[station] = \
                self._entry_time(row["registered_index"]) if row else None
        return self.registered_at[station]

    def _entry_time(self, index: int) -> str | None:
        """The event time of the stored registration at entry `index` (None: not stored),
        read with those of every station loaded, in one query: a group's batch holds
        events of many stations, and the rules ask for each one's registration."""
        if index not in self.entry_times:
            wanted = {index} | {row["registered_index"] for subject, row in self.rows.items()
                                if row and subject.startswith("station:")} - set(self.entry_times)
            self.entry_times.update(dict.fromkeys(wanted))
            for part in chunks(sorted(wanted)):
                for idx, body in execute(self.conn, "SELECT idx, body FROM ledger_entries WHERE "
                                         f"idx IN ({placeholders(len(part))})", tuple(part)):
                    self.entry_times[idx] = json.loads(bytes(body))["event"]["time"]
        return self.entry_times[index]

    def raised_flags(self, subject: str) -> list[tuple[str, str | None]]:
        """The flags raised on `subject`: computed anew if this batch touched it."""
        if subject in self.judged:
            found = self._judgement(subject)
            return [(f.code, f.key) for f in found[0].flags] if found else []
        rows = execute(self.conn, "SELECT code, flag_key FROM rule_flags WHERE subject = ?",
                       (subject,)).fetchall()
        return [(code, key or None) for code, key in rows]

    def station_key(self, station: str) -> str | None:
        """The base64 public key of an active station, as of this point in the batch."""
        row = self.rows.get("station:" + station)
        return row["public_key"] if row and row["state"] == "active" else None

    def apply(self, index: int, event: Event, logged: str | None = None) -> None:
        """Check `event` against the rules and the rows, then apply it; raises RuleError,
        changing nothing. `logged` is the time the entry is logged (judged events only)."""
        if self.judge:
            if event.type != "correction":
                try:
                    judge.check(event.obj, self.world, logged or event.obj["time"])
                except Refusal as refusal:
                    raise RuleError(f"{refusal} (rule {refusal.code})", refusal.code,
                                    refusal.params) from None
            self._check(event)
        if event.type == "correction" and self.judge:
            self._check_correction(index, event)
            self._check_corrected(index, event)
        self.pending[event.subject].append((index, event.obj))
        if event.type == "correction":
            self._refold(event.subject)
            self._judged(event.subject)
            return
        self._record(index, event)
        self._effect(event.subject, index, event.obj)
        if event.type == "unit.received" and event.data.get("trade_in_code"):
            self.trade_in[event.data["trade_in_code"]] = event.subject.split(":", 1)[1]
        station = self.rows.get("station:" + event.station)
        if event.station != PLANT_STATION and station is not None:
            station.update(last_seen_at=event.obj["time"], last_seen_index=index)
            self.dirty.add("station:" + event.station)

    def _record(self, index: int, event: Event) -> None:
        """The rows of the rules' read models that `event` adds."""
        data, at = event.data, event.obj["time"]
        if event.type == "catalogue.published":
            catalogue = _CATALOGUES.setdefault(data["sha256"], from_content(data["content"]))
            self.catalogues.append((index, catalogue))
            self.new_rows["catalogues"].append({"idx": index, "version": data["version"],
                                                "sha256": data["sha256"], "published_at": at})
        elif event.type == "scale.calibrated":
            scale = event.subject.split(":", 1)[1]
            self.checks[scale].append((index, at, data["passed"]))
            self.new_rows["scale_checks"].append({"idx": index, "scale": scale, "at": at,
                                                  "passed": data["passed"]})
        elif event.type == "attempt.refused":
            self.new_rows["refusals"].append({
                "idx": index, "station": event.station, "operator": event.obj["operator"],
                "at": at, "rule": data["rule"], "attempted": data["attempted"],
                "about": data["about"]})
        elif event.type == "refrigerant.recovered":
            self.recoveries[data["cylinder"]] = (index, data["cylinder_gross_after_g"])
        self._judged(event.subject)

    def _judged(self, subject: str) -> None:
        if subject.split(":", 1)[0] in ("unit", "lot"):
            self.judged.add(subject)

    def _judgement(self, subject: str) -> tuple[judge.Judgement, int, str] | None:
        """A completed unit's or received lot's judgement from its entries so far, with the
        entry and time that raise its flags; None while it is neither (or no catalogue)."""
        kind, name = subject.split(":", 1)
        row = self.rows.get(subject)
        if row is None or row["state"] != ("completed" if kind == "unit" else "received"):
            return None
        pairs = self.pairs(subject)
        raised_index, raised_at = _last_of(
            pairs, "unit.completed" if kind == "unit" else "lot.received")
        found = self.catalogue_at(raised_index)
        if found is None:
            return None
        if kind == "unit":  # its events were judged as they were appended: flags alone
            judgement = judge.flag_unit(pairs, name, found[1], self.last_pass)
        else:
            judgement = judge.judge_lot(pairs, name, found[1], self.register_at)
        return judgement, raised_index, raised_at

    def _flag_rows(self) -> tuple[list[tuple[str]], list[tuple[Any, ...]]]:
        """The flags of every unit and lot the batch touched, computed from their entries
        (ledger.rules.judge), as (subjects to clear, rows to insert)."""
        rows = []
        for subject in sorted(self.judged):
            found = self._judgement(subject)
            if found is None:
                continue
            judgement, raised_index, raised_at = found
            reviews = {(r["flag"], r["key"]): r for r in judgement.reviews}
            for flag in judgement.flags:
                review = reviews.get((flag.code, flag.key), {})
                rows.append((subject, flag.code, flag.key or "", json.dumps(flag.params),
                             raised_index, raised_at, review.get("resolution"),
                             review.get("entry")))
        return [(s,) for s in sorted(self.judged)], rows

    def flush(self) -> None:
        """Write every changed row back: one statement per table and kind of change."""
        rollup = self._hourly_change()
        cleared, flags = self._flag_rows()
        upserts: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        deletes: dict[str, list[tuple[str]]] = defaultdict(list)
        for subject in sorted(self.dirty):
            kind, name = subject.split(":", 1)
            row = self.rows[subject]
            if row is None:
                deletes[kind].append((name,))
            else:
                upserts[kind].append(tuple(row[c] for c in _TABLES[kind][2].model_fields))
        for kind, names in deletes.items():
            table, key, _ = _TABLES[kind]
            execute(self.conn, f"DELETE FROM {table} WHERE {key} = ?", names)
        for kind, rows in upserts.items():
            table, key, model = _TABLES[kind]
            columns = list(model.model_fields)
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
            execute(self.conn, f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                    f"({placeholders(len(columns))}) ON CONFLICT ({key}) DO UPDATE SET {updates}",
                    rows)
        self.dirty.clear()
        for table, _ in {*_ENTRY_ROWS.values()}:
            labels = [(label,) for label in sorted(self.rederived)]
            if labels:
                execute(self.conn, f"DELETE FROM {table} WHERE label = ?", labels)
        for table, model in {*_ENTRY_ROWS.values()}:
            columns = list(model.model_fields)
            insert_rows(self.conn, table, columns,
                        [tuple(row[c] for c in columns)
                         for t, row in self.entry_rows.values() if t == table])
        self.entry_rows.clear()
        self.rederived.clear()
        hourly.write(self.conn, rollup)
        for table, new in self.new_rows.items():
            columns = list(new[0])
            insert_rows(self.conn, table, columns, [tuple(r[c] for c in columns) for r in new])
        self.new_rows.clear()
        if cleared:
            execute(self.conn, "DELETE FROM rule_flags WHERE subject = ?", cleared)
        insert_rows(self.conn, "rule_flags", _FLAG_COLUMNS, flags)
        self.judged.clear()

    def _hourly_change(self) -> hourly.Totals:
        """What this batch changes in the roll-up: per touched unit, its share from the rows
        about to be written minus its share from the rows stored (read before writing).

        The stored output and recovery rows are read only for units completed before or
        after the batch, or derived anew: until a unit is completed each of those rows
        adds the same share whatever the unit's row says, so the stored ones cancel out.
        """
        labels = sorted({s.split(":", 1)[1] for s in self.pending if s.startswith("unit:")})
        read = [label for label in labels if label in self.rederived or any(
            row is not None and row["completed_at"] is not None
            for row in (self.stored.get("unit:" + label), self.rows.get("unit:" + label)))]
        stored: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for table, model in {*_ENTRY_ROWS.values()}:
            if table not in _HOURLY_SOURCES:
                continue
            columns = list(model.model_fields)
            for part in chunks(read):
                result = execute(self.conn, f"SELECT {', '.join(columns)} FROM {table} WHERE "
                                 f"label IN ({placeholders(len(part))})", tuple(part))
                for values in result.fetchall():
                    row = dict(zip(columns, values, strict=True))
                    stored[(row["label"], table)].append(row)
        new: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for table, row in self.entry_rows.values():
            new[(row["label"], table)].append(row)
        change = hourly.Totals()
        for label in labels:
            subject = "unit:" + label
            before = [stored[(label, t)] for t in _HOURLY_SOURCES]
            after = [new[(label, t)] if label in self.rederived else stored[(label, t)] +
                     new[(label, t)] for t in _HOURLY_SOURCES]
            change.merge(hourly.unit_totals(self.stored.get(subject), *before), sign=-1)
            change.merge(hourly.unit_totals(self.rows.get(subject), *after))
            self.stored[subject] = self.rows.get(subject)
        return change

    # -- rules -------------------------------------------------------------------------------

    def _check(self, event: Event) -> None:
        """The ledger's own invariants beyond the plant's rules: stations' registrations."""
        kind, name = event.subject.split(":", 1)
        if kind == "station" and event.type != "attempt.refused":
            self._check_station(event, name, self.rows.get(event.subject))

    def _check_corrected(self, index: int, event: Event) -> None:
        """A correction that sets fields may not make the record break a rule it did not
        break before: the corrected record is judged again by the catalogue in force
        (ledger.rules.judge). A void only drops an entry; what then stands without it is what
        certificates judge (an orphan output shows as a broken rule there)."""
        found = self.catalogue_at(None)
        if found is None or event.data.get("void"):
            return
        before = self.pairs(event.subject)
        partners = self._partners
        old = judge.violations(before, event.subject, found[1], partners, self.register_at)
        new = judge.violations([*before, (index, event.obj)], event.subject, found[1],
                               partners, self.register_at)
        seen = {(v["entry"], v["rule"]) for v in old}
        added = [v for v in new if (v["entry"], v["rule"]) not in seen]
        if not added:
            added = self._set_claims_broken(event, before, found[1])
        if added:
            refusal = Refusal(reasons.CORRECTION_BREAKS_RULE, entry=added[0]["entry"],
                              why=f"{added[0]['message']} (rule {added[0]['rule']})")
            raise RuleError(f"{refusal} (rule {refusal.code})", refusal.code, refusal.params)

    def _partners(self, label: str, before: int) -> UnitFacts:
        """ledger.rules.facts.Partners over the entries so far."""
        return facts_below(label, self.pairs("unit:" + label), before)

    def _set_claims_broken(self, event: Event, before: list[Pair], catalogue: Catalogue
                           ) -> list[dict[str, Any]]:
        """A correction of a unit's intake that names its set anew (or its category or
        computer type) is held to the rules of claiming a set against the other units'
        intakes (ledger.rules.sets.check_claims), as an intake would be: as a violation of
        the corrected entry, or none."""
        target = event.data["corrects"]
        changed = set(event.data.get("set") or {})
        corrected = next((e for i, e in before if i == target), None)
        if corrected is None or corrected["type"] != "unit.received" \
                or not changed & {"set_with", "pc_type", "category"}:
            return []
        try:
            sets.check_claims({**corrected["data"], **event.data["set"]},
                              event.subject.split(":", 1)[1], self.world, catalogue)
        except Refusal as refusal:
            return [{"entry": target, "rule": refusal.code, "message": refusal.text()}]
        return []

    def _check_station(self, event: Event, name: str, row: Row | None) -> None:
        if event.type == "station.registered":
            if row is not None and row["state"] == "active":
                raise RuleError(f"station {name} is registered and active; revoke it first")
            key = decode_base64(event.data["public_key"])
            if key is None or len(key) != 32:
                raise RuleError("public_key must be a base64 Ed25519 public key (32 bytes)")
        elif row is None or row["state"] != "active":
            raise RuleError(f"station {name} is not registered and active")

    def _check_correction(self, index: int, event: Event) -> None:
        target = event.data["corrects"]
        if target >= index:
            raise RuleError(f"a correction can only name an earlier entry, not {target}")
        pending = [obj for i, obj in self.pending[event.subject] if i == target]
        corrected: dict[str, Any] | None
        if pending:
            corrected = pending[0]
        else:
            body = scalar(execute(self.conn, "SELECT body FROM ledger_entries WHERE idx = ?",
                                  (target,)))
            corrected = json.loads(body)["event"] if body else None
        if corrected is None or corrected["subject"] != event.subject:
            raise RuleError(f"entry {target} is not about {event.subject}")
        if corrected["type"] == "correction":
            raise RuleError(f"entry {target} is itself a correction; correct the original entry")
        unknown = set(event.data.get("set") or {}) - set(corrected["data"])
        if unknown:
            raise RuleError(f"entry {target} has no field {sorted(unknown)[0]!r} to correct")
        if event.data.get("set"):
            try:  # the corrected event must still be a valid event of its type
                parse_event({**corrected, "data": {**corrected["data"], **event.data["set"]}})
            except EventError as exc:
                raise RuleError(f"the correction would make entry {target} invalid: {exc}") \
                    from None

    # -- effects -----------------------------------------------------------------------------

    def _effect(self, subject: str, index: int, obj: dict[str, Any]) -> None:
        kind = subject.split(":", 1)[0]
        if kind not in _TABLES:
            return
        name = subject.split(":", 1)[1]
        row = self.rows.get(subject)
        data, etype = obj["data"], obj["type"]
        if etype in _ENTRY_ROWS:
            self._entry_row(name, index, obj)
        if etype == "unit.received":
            row = {"label": name, "category": data["category"], "state": "received",
                   "trade_in_code": data.get("trade_in_code"), "intake_station": obj["station"],
                   "received_at": obj["time"], "completed_at": None, "gross_g": data["gross_g"],
                   "refrigerant_g": 0, "outputs_g": 0, "first_index": index,
                   "serial": data.get("serial"),
                   "nameplate_refrigerant": data.get("nameplate_refrigerant"),
                   "nameplate_charge_g": data.get("nameplate_charge_g"),
                   "completed_station": None, "zone": None, "aside_since": None,
                   "set_with": data.get("set_with")}
        elif etype == "scale.calibrated":
            passed = data["passed"]
            last_pass = obj["time"] if passed else (row or {}).get("last_pass_at")
            row = {"scale": name, "last_check_at": obj["time"], "last_check_passed": passed,
                   "last_pass_at": last_pass}
        elif etype == "lot.opened":
            row = {"lot": name, "fraction": data["fraction"], "hazardous": data["hazardous"],
                   "state": LOT_TRANSITIONS[etype][1], "net_g": None, "manifest_no": None,
                   "receiver": None, "first_index": index, "zone": None,
                   "shipped_at": None}
        elif etype == "station.registered":
            row = {"station": name, "public_key": data["public_key"], "name": data["name"],
                   "state": "active", "registered_index": index,
                   "last_seen_at": (row or {}).get("last_seen_at"),
                   "last_seen_index": (row or {}).get("last_seen_index")}
        elif row is None:
            return  # the event's subject was voided by a correction
        else:
            row = dict(row)
            _EFFECTS[etype](row, obj)
        row["last_index"] = index
        self.rows[subject] = row
        self.dirty.add(subject)

    def _entry_row(self, label: str, index: int, obj: dict[str, Any]) -> None:
        data, etype = obj["data"], obj["type"]
        table, _ = _ENTRY_ROWS[etype]
        common = {"idx": index, "label": label, "station": obj["station"], "at": obj["time"]}
        if etype == "refrigerant.recovered":
            row = {**common, "refrigerant": data["refrigerant"],
                   "recovered_g": data["recovered_g"],
                   "nameplate_charge_g": data.get("nameplate_charge_g"),
                   "cylinder": data["cylinder"],
                   "cylinder_gross_after_g": data["cylinder_gross_after_g"]}
        elif etype == "material.output":
            row = {**common, "kind": "material", "code": data["fraction"], "lot": data["lot"],
                   "mass_g": data["mass_g"], "count": None}
        elif etype in ("unit.stored", "unit.set_aside"):
            if data.get("zone") is None:
                return  # set aside where it stands
            row = {**common, "zone": data["zone"]}
        else:
            row = {**common, "kind": "component", "code": data["component"],
                   "lot": data.get("lot"), "mass_g": data.get("mass_g"),
                   "count": data.get("count")}
        self.entry_rows[index] = (table, row)

    def _refold(self, subject: str) -> None:
        """Derive the subject's row again from all its entries, corrections applied."""
        kind, name = subject.split(":", 1)
        if kind == "unit":  # its output and recovery rows are derived anew too
            self.rederived.add(name)
            self.entry_rows = {i: (t, r) for i, (t, r) in self.entry_rows.items()
                               if r["label"] != name}
        entries = self.pairs(subject)
        self.rows[subject] = None
        self.dirty.add(subject)
        for index, obj in fold(entries)[0]:
            self._effect(subject, index, obj)
        row = self.rows[subject]
        if row is not None:
            row["last_index"] = entries[-1][0]


def _last_of(pairs: list[Pair], etype: str) -> tuple[int, str]:
    """The entry and time of the subject's latest effective event of `etype`."""
    found = [(i, e["time"]) for i, e in fold(pairs)[0] if e["type"] == etype]
    return found[-1]


_F = TypeVar("_F", UnitFacts, LotFacts)


class _World:
    """The rules' view of the ledger inside one append (ledger.rules.facts.World)."""

    def __init__(self, projector: Projector):
        self.projector = projector
        self.units: dict[str, tuple[int, UnitFacts]] = {}  # subject -> (pending seen, facts)
        self.lots: dict[str, tuple[int, LotFacts]] = {}

    @property
    def catalogue(self) -> Catalogue | None:
        found = self.projector.catalogue_at(None)
        return found[1] if found else None

    def unit(self, label: str) -> UnitFacts:
        return self._extended(self.units, "unit:" + label, partial(UnitFacts.of, label))

    def lot(self, lot: str) -> LotFacts:
        return self._extended(self.lots, "lot:" + lot, partial(LotFacts.of, lot))

    def _extended(self, cache: dict[str, tuple[int, _F]], subject: str,
                  build: Callable[[list[Pair]], _F]) -> _F:
        """A subject's facts, extended event by event through the batch rather than folded
        again for every event the rules judge (a correction folds them again)."""
        pending = self.projector.pending.get(subject, [])
        seen, facts = cache.get(subject, (0, None))
        new = pending[seen:]
        if facts is None or any(event["type"] == "correction" for _, event in new):
            facts = build(self.projector.pairs(subject))
        else:
            for _, event in new:
                facts = facts.with_event(event)
        cache[subject] = (len(pending), facts)
        return facts

    def cylinder(self, cylinder: str) -> CylinderFacts:
        registered = [(i, e) for i, e in fold(self.projector.pairs("cylinder:" + cylinder))[0]
                      if e["type"] == "cylinder.registered"]
        last = self.projector.last_recovery(cylinder)
        return CylinderFacts(cylinder, registered[0][1]["data"] if registered else None,
                             registered[0][0] if registered else None,
                             last[1] if last else None, last[0] if last else None)

    def count(self, count: str) -> CountFacts:
        return CountFacts.of(count, self.projector.pairs("count:" + count))

    def trade_in_holder(self, code: str) -> str | None:
        return self.projector.trade_in.get(code)

    def partner(self, label: str) -> UnitFacts:
        return self.unit(label)

    def set_claims(self, label: str) -> list[str]:
        return self.projector.set_claims(label)

    def station_registered_at(self, station: str) -> str | None:
        return self.projector.station_registered_at(station)

    def raised_flags(self, subject: str) -> list[tuple[str, str | None]]:
        return self.projector.raised_flags(subject)

    def operator(self, code: str) -> list[dict[str, Any]]:
        return [event for _, event in fold(self.projector.pairs("operator:" + code))[0]]
    def receiver(self, code: str) -> ReceiverFacts:
        return ReceiverFacts.of(code, self.projector.pairs("receiver:" + code))

    def register_in_use(self) -> bool:
        return self.projector.register_in_use()


_FLAG_COLUMNS = ("subject", "code", "flag_key", "params", "raised_index", "raised_at",
                 "resolution", "review_index")
# Subjects whose entries the rules read as facts.
_FACT_SUBJECTS = ("unit", "lot", "cylinder", "count", "receiver")


def _recovered(row: Row, obj: dict[str, Any]) -> None:
    row["refrigerant_g"] += obj["data"]["recovered_g"]


def _output(row: Row, obj: dict[str, Any]) -> None:
    row["outputs_g"] += obj["data"].get("mass_g") or 0


def _completed(row: Row, obj: dict[str, Any]) -> None:
    row["state"], row["completed_at"] = "completed", obj["time"]
    row["completed_station"] = obj["station"]


def _nothing(row: Row, obj: dict[str, Any]) -> None:
    pass


def _lot_state(row: Row, obj: dict[str, Any]) -> None:
    """A lot moves on as the rules' state machine says (ledger.rules.facts.LOT_TRANSITIONS)."""
    row["state"] = LOT_TRANSITIONS[obj["type"]][1]


def _sealed(row: Row, obj: dict[str, Any]) -> None:
    _lot_state(row, obj)
    row["net_g"] = obj["data"]["net_g"]


def _shipped(row: Row, obj: dict[str, Any]) -> None:
    _lot_state(row, obj)
    # the register's code of the receiver, or the free-text name of an entry before it
    row["manifest_no"], row["receiver"] = obj["data"]["manifest_no"], receiver_of(obj["data"])
    row["shipped_at"] = obj["time"]


def _stored(row: Row, obj: dict[str, Any]) -> None:
    row["zone"] = obj["data"]["zone"]


def _set_aside(row: Row, obj: dict[str, Any]) -> None:
    row["aside_since"] = obj["time"]
    row["zone"] = obj["data"].get("zone") or row["zone"]


def _taken_back(row: Row, obj: dict[str, Any]) -> None:
    row["aside_since"] = None


def _revoked(row: Row, obj: dict[str, Any]) -> None:
    row["state"] = "revoked"


_EFFECTS = {
    "refrigerant.recovered": _recovered,
    "refrigerant.absent": _nothing,
    "component.removed": _output,
    "material.output": _output,
    "unit.completed": _completed,
    "lot.sealed": _sealed,
    "lot.shipped": _shipped,
    "lot.received": _lot_state,
    "unit.stored": _stored,
    "unit.set_aside": _set_aside,
    "unit.taken_back": _taken_back,
    "lot.stored": _stored,
    "lot.voucher": _nothing,  # read from the lot's chain (certificates, the lot's page)
    "station.revoked": _revoked,
    "attempt.refused": _nothing,  # its own read model (refusals)
    "flag.reviewed": _nothing,  # folded into rule_flags when the subject is judged again
    "evidence.excused": _nothing,  # read by the rules when the unit is completed
}


def rebuild(conn: Tx, progress: Callable[[int], None] | None = None,
            batch: int = 1000) -> int:
    """Derive every projection again from the entries (inside the caller's write transaction).

    Migration 0010 calls this; so does `dledger rebuild`. Returns the number of entries
    replayed.
    """
    for table in PROJECTION_TABLES:
        execute(conn, f"DELETE FROM {table}")
    count = 0
    pending: list[tuple[int, Event]] = []
    for idx, body in stream(conn, "SELECT idx, body FROM ledger_entries ORDER BY idx"):
        obj = json.loads(bytes(body))["event"]
        pending.append((idx, Event(obj, b"")))
        if len(pending) == batch:
            _replay(conn, pending)
            count += len(pending)
            if progress:
                progress(len(pending))
            pending = []
    _replay(conn, pending)
    if progress:
        progress(len(pending))
    return count + len(pending)


def _replay(conn: Tx, entries: list[tuple[int, Event]]) -> None:
    projector = Projector(conn, judge=False, start=entries[0][0] if entries else None)
    projector.load(event for _, event in entries)
    for idx, event in entries:
        try:
            projector.apply(idx, event)
        except RuleError as exc:
            raise RuleError(f"entry {idx} cannot be replayed: {exc}") from None
    projector.flush()
