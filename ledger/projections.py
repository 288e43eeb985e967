"""Read models derived from the entries: units (with their outputs and refrigerant
recoveries), lots, stations, scales, and the dashboard's hourly roll-up.

`Projector` runs inside the append transaction. It loads the rows an append batch touches,
refuses events that break the ledger's own invariants (a unit received twice, a lot shipped
before it was sealed, a revoked station...), applies each event's effect and writes the rows
back. A `correction` re-derives its subject's row from the subject's entries with the
correction applied (and, for a unit, its output and recovery rows), so `rebuild` and
incremental updates always agree. The hourly roll-up (ledger/hourly.py) changes by each
touched unit's share after the append minus its share before.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from ledger import hourly
from ledger.encoding import decode_base64
from ledger.events import PLANT_STATION, Event
from ledger.store import Tx, chunks, execute, insert_rows, placeholders, scalar, stream
from ledger.tables import (
    PROJECTION_TABLES,
    Lot,
    RefrigerantRecovery,
    Scale,
    Station,
    Unit,
    UnitOutput,
)

Row = dict[str, Any]

_TABLES = {"unit": ("units", "label", Unit), "lot": ("lots", "lot", Lot),
           "station": ("stations", "station", Station), "scale": ("scales", "scale", Scale)}
# Rows kept per entry of a unit: the table and the model of each.
_ENTRY_ROWS = {"material.output": ("unit_outputs", UnitOutput),
               "component.removed": ("unit_outputs", UnitOutput),
               "refrigerant.recovered": ("refrigerant_recoveries", RefrigerantRecovery)}


class RuleError(ValueError):
    """The event contradicts what the ledger already holds."""


class Projector:
    """Projection rows for one append transaction: load, check and apply, then flush."""

    def __init__(self, conn: Tx, rollup: bool = True):
        self.conn = conn
        self.rollup = rollup  # keep hourly_totals (absent before migration 0005)
        self.rows: dict[str, Row | None] = {}  # subject -> row, or None where there is none
        self.stored: dict[str, Row | None] = {}  # unit subject -> its row as stored
        self.dirty: set[str] = set()
        self.trade_in: dict[str, str] = {}  # trade-in code -> unit label, for those loaded
        self.pending: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        self.entry_rows: dict[int, tuple[str, Row]] = {}  # entry index -> (table, row) to insert
        self.rederived: set[str] = set()  # labels whose entry rows are written anew

    def load(self, events: Iterable[Event]) -> None:
        """Fetch every row the batch can touch, in a few queries."""
        subjects: set[str] = set()
        codes: set[str] = set()
        for event in events:
            subjects.add(event.subject)
            if event.station != PLANT_STATION:
                subjects.add("station:" + event.station)
            if event.type == "material.output":
                subjects.add("lot:" + event.data["lot"])
            if event.type == "unit.received" and event.data.get("trade_in_code"):
                codes.add(event.data["trade_in_code"])
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
        for row in self.rows.values():
            if row and row.get("trade_in_code"):
                self.trade_in[row["trade_in_code"]] = row["label"]
        missing = sorted(codes - set(self.trade_in))
        for part in chunks(missing):
            result = execute(self.conn, "SELECT trade_in_code, label FROM units WHERE "
                             f"trade_in_code IN ({placeholders(len(part))})", tuple(part))
            self.trade_in.update(dict(result.fetchall()))

    def station_key(self, station: str) -> str | None:
        """The base64 public key of an active station, as of this point in the batch."""
        row = self.rows.get("station:" + station)
        return row["public_key"] if row and row["state"] == "active" else None

    def apply(self, index: int, event: Event) -> None:
        """Check `event` against the rows and apply it; raises RuleError, changing nothing."""
        self.pending[event.subject].append((index, event.obj))
        if event.type == "correction":
            self._check_correction(index, event)
            self._refold(event.subject)
            return
        self._check(event)
        self._effect(event.subject, index, event.obj)
        if event.type == "unit.received" and event.data.get("trade_in_code"):
            self.trade_in[event.data["trade_in_code"]] = event.subject.split(":", 1)[1]
        station = self.rows.get("station:" + event.station)
        if event.station != PLANT_STATION and station is not None:
            station.update(last_seen_at=event.obj["time"], last_seen_index=index)
            self.dirty.add("station:" + event.station)

    def flush(self) -> None:
        """Write every changed row back: one statement per table and kind of change."""
        rollup = self._hourly_change() if self.rollup else None
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
        if rollup is not None:
            hourly.write(self.conn, rollup)

    def _hourly_change(self) -> hourly.Totals:
        """What this batch changes in the roll-up: per touched unit, its share from the rows
        about to be written minus its share from the rows stored (read before writing)."""
        labels = sorted({s.split(":", 1)[1] for s in self.pending if s.startswith("unit:")})
        stored: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for table, model in {*_ENTRY_ROWS.values()}:
            columns = list(model.model_fields)
            for part in chunks(labels):
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
            before = [stored[(label, t)] for t in ("unit_outputs", "refrigerant_recoveries")]
            after = [new[(label, t)] if label in self.rederived else stored[(label, t)] +
                     new[(label, t)] for t in ("unit_outputs", "refrigerant_recoveries")]
            change.merge(hourly.unit_totals(self.stored.get(subject), *before), sign=-1)
            change.merge(hourly.unit_totals(self.rows.get(subject), *after))
            self.stored[subject] = self.rows.get(subject)
        return change

    # -- rules -------------------------------------------------------------------------------

    def _check(self, event: Event) -> None:
        kind, name = event.subject.split(":", 1)
        row = self.rows.get(event.subject)
        data = event.data
        if event.type == "unit.received":
            if row is not None:
                raise RuleError(f"unit {name} was already received (entry {row['first_index']})")
            code = data.get("trade_in_code")
            if code and code in self.trade_in:
                raise RuleError(f"trade-in code {code} was already received with unit "
                                f"{self.trade_in[code]}")
        elif kind == "unit":
            if row is None:
                raise RuleError(f"unit {name} has not been received; record unit.received first")
            if row["state"] == "completed":
                raise RuleError(f"unit {name} was completed at {row['completed_at']}; "
                                "fix its record with a correction instead")
            if event.type == "material.output":
                lot = self.rows.get("lot:" + data["lot"])
                if lot is None or lot["state"] != "open":
                    raise RuleError(f"lot {data['lot']} is not open; open it with lot.opened "
                                    "before putting outputs in it")
        elif kind == "lot":
            self._check_lot(event, name, row)
        elif kind == "station":
            self._check_station(event, name, row)

    def _check_lot(self, event: Event, name: str, row: Row | None) -> None:
        needs = {"lot.sealed": "open", "lot.shipped": "sealed", "lot.received": "shipped"}
        if event.type == "lot.opened":
            if row is not None:
                raise RuleError(f"lot {name} was already opened (entry {row['first_index']})")
            return
        if row is None or row["state"] != needs[event.type]:
            state = row["state"] if row else "not opened"
            raise RuleError(f"lot {name} is {state}; {event.type} needs it {needs[event.type]}")
        if event.type == "lot.received" and event.data["manifest_no"] != row["manifest_no"]:
            raise RuleError(f"manifest {event.data['manifest_no']} is not the one lot {name} "
                            f"was shipped with ({row['manifest_no']})")

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
                   "completed_station": None}
        elif etype == "scale.calibrated":
            passed = data["passed"]
            last_pass = obj["time"] if passed else (row or {}).get("last_pass_at")
            row = {"scale": name, "last_check_at": obj["time"], "last_check_passed": passed,
                   "last_pass_at": last_pass}
        elif etype == "lot.opened":
            row = {"lot": name, "fraction": data["fraction"], "hazardous": data["hazardous"],
                   "state": "open", "net_g": None, "manifest_no": None, "receiver": None,
                   "first_index": index}
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
                   "cylinder": data["cylinder"]}
        elif etype == "material.output":
            row = {**common, "kind": "material", "code": data["fraction"], "lot": data["lot"],
                   "mass_g": data["mass_g"], "count": None}
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
        entries = self._subject_entries(subject)
        corrections: dict[int, dict[str, Any]] = {}
        for _, obj in entries:
            if obj["type"] == "correction":
                corrections[obj["data"]["corrects"]] = obj["data"]
        self.rows[subject] = None
        self.dirty.add(subject)
        for index, obj in entries:
            fix = corrections.get(index)
            if obj["type"] == "correction" or (fix and fix.get("void")):
                continue
            if fix:
                obj = {**obj, "data": {**obj["data"], **fix["set"]}}
            self._effect(subject, index, obj)
        row = self.rows[subject]
        if row is not None:
            row["last_index"] = entries[-1][0]

    def _subject_entries(self, subject: str) -> list[tuple[int, dict[str, Any]]]:
        pending = self.pending[subject]
        first_pending = pending[0][0] if pending else None
        result = execute(self.conn, "SELECT idx, body FROM ledger_entries WHERE subject = ? "
                         "ORDER BY idx", (subject,))
        stored = [(i, json.loads(body)["event"]) for i, body in result
                  if first_pending is None or i < first_pending]
        return stored + pending


def _recovered(row: Row, obj: dict[str, Any]) -> None:
    row["refrigerant_g"] += obj["data"]["recovered_g"]


def _output(row: Row, obj: dict[str, Any]) -> None:
    row["outputs_g"] += obj["data"].get("mass_g") or 0


def _completed(row: Row, obj: dict[str, Any]) -> None:
    row["state"], row["completed_at"] = "completed", obj["time"]
    row["completed_station"] = obj["station"]


def _nothing(row: Row, obj: dict[str, Any]) -> None:
    pass


def _sealed(row: Row, obj: dict[str, Any]) -> None:
    row["state"], row["net_g"] = "sealed", obj["data"]["net_g"]


def _shipped(row: Row, obj: dict[str, Any]) -> None:
    row["state"], row["manifest_no"] = "shipped", obj["data"]["manifest_no"]
    row["receiver"] = obj["data"]["receiver"]


def _received(row: Row, obj: dict[str, Any]) -> None:
    row["state"] = "received"


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
    "lot.received": _received,
    "station.revoked": _revoked,
}


def _has_table(conn: Tx, table: str) -> bool:
    if conn.dialect == "sqlite":
        sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = ("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ? "
               "AND table_schema = current_schema()")
    return bool(scalar(execute(conn, sql, (table,))))


def rebuild(conn: Tx, progress: Callable[[int], None] | None = None,
            batch: int = 1000) -> int:
    """Derive every projection again from the entries (inside the caller's write transaction).

    Migration 0003 calls this on a schema without hourly_totals (0005 adds and fills it), so
    the roll-up is rebuilt only where it exists. Returns the number of entries replayed.
    """
    rollup = _has_table(conn, "hourly_totals")
    for table in PROJECTION_TABLES:
        if rollup or table != "hourly_totals":
            execute(conn, f"DELETE FROM {table}")
    count = 0
    pending: list[tuple[int, Event]] = []
    for idx, body in stream(conn, "SELECT idx, body FROM ledger_entries ORDER BY idx"):
        obj = json.loads(bytes(body))["event"]
        pending.append((idx, Event(obj, b"")))
        if len(pending) == batch:
            _replay(conn, pending, rollup)
            count += len(pending)
            if progress:
                progress(len(pending))
            pending = []
    _replay(conn, pending, rollup)
    if progress:
        progress(len(pending))
    return count + len(pending)


def _replay(conn: Tx, entries: list[tuple[int, Event]], rollup: bool) -> None:
    projector = Projector(conn, rollup)
    projector.load(event for _, event in entries)
    for idx, event in entries:
        try:
            projector.apply(idx, event)
        except RuleError as exc:
            raise RuleError(f"entry {idx} cannot be replayed: {exc}") from None
    projector.flush()
