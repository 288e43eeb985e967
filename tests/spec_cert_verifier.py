"""An independent certificate verifier, written only from docs/certificates.md, docs/rules.md
and the specs: format v1, and v2 for period reports (docs section 5).

It imports nothing from the project: the standard library, `cryptography` (through
spec_verifier, the independent verifier of the C2SP / RFC 9162 formats in this folder) and
nothing else. Statements are derived again here from the document's section 3, separately from
ledger/certificates/statements.py, so the two implementations check each other; and each
unit's and lot's judgement (its flags, the rules its record breaks, its reviews and status) is
computed again here from the entries and the catalogue content they carry, following
docs/rules.md, separately from ledger/rules; so is a unit certificate's fund class (docs
section 3.1, docs/fund.md), separately from ledger/fund.

`verify_certificate(data, vkeys, entries=None)` returns the certificate's SHA-256 or raises
`VerificationError` saying what failed. It checks format, checkpoint signature, every
inclusion proof, the subject chains, the statements, and issuance (docs section 4, checks
1-6, and section 5.4 for v2; the saved checkpoint and revocation need the console and are not
done here). `entries` opens the entry bundle of a v2 report that travels beside it (a file).
A v2 report's entries are read twice as a stream (spec_entry_bundle): its lines are derived
unit by unit with the v1 derivation below, then written as RFC 8785 texts and compared.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from spec_entry_bundle import Opener, multileaf_root, parse_runs, read_bundle
from spec_verifier import (
    HASH_SIZE,
    VerificationError,
    leaf_hash,
    parse_checkpoint,
    parse_tlog_proof,
    verify_consistency,
    verify_inclusion,
    verify_note,
)

FORMAT, FORMAT_V2 = "dledger-certificate/v1", "dledger-certificate/v2"
KINDS = {(FORMAT, "unit"), (FORMAT, "period"), (FORMAT, "lot"), (FORMAT_V2, "period")}
CATALOGUE = "catalogue:process"
MEMBERS = {"format", "kind", "origin", "issued_at", "statements", "checkpoint", "entries"}
ENTRIES_V2 = {"count", "runs", "sha256", "proof", "bundle"}  # docs section 5.1
PERIOD_V2 = {"plant", "period", "categories", "gwp_basis", "gwp_source", "columns", "lines",
             "totals"}
IDENTITY = "plant:identity"  # the plant's identity chain (docs/certificates.md section 3.5)
OPERATOR = "operator:"  # an operator's register chain
IDENTITY_MEMBERS = ("plant_identity", "operator_register")
COLUMNS = ("label", "category", "trade_in_code", "received_at", "completed_at", "gross_g",
           "refrigerant", "refrigerant_g", "co2e_g", "outputs", "outputs_g", "components",
           "status", "flags", "violations", "reviews", "catalogue_entry", "last_entry")
# GWP-100 factors as docs/certificates.md section 3 names them (IPCC AR4 / AR5; 3 by
# convention for hydrocarbons), for the gases the tests use.
GWP = {"AR4": {"R-12": "10900", "R-22": "1810", "R-134a": "1430", "R-410A": "2088",
               "R-32": "675", "R-600a": "3", "R-290": "3", "cyclopentane": "3"},
       "AR5": {"R-12": "10200", "R-22": "1760", "R-134a": "1300", "R-410A": "1923.5",
               "R-32": "677", "R-600a": "3", "R-290": "3", "cyclopentane": "3"}}
CONVENTIONAL = {"R-600a", "R-290", "cyclopentane"}
# The nameplate fields of docs/fund.md section 1, in its order; a unit certificate's members
# stated only since unit certificates stated the fund class (docs section 3.1).
NAMEPLATE = ("screen_in", "display", "volume_l", "washer_type", "dry_load_g", "ac_type",
             "cooling_w", "pc_type", "set_with")
FUND_MEMBERS = ("nameplate", "fund")
SIGNS = (("min", "≥"), ("above", ">"), ("max", "≤"), ("below", "<"))  # a limit's text


def jcs(value: Any) -> bytes:
    """RFC 8785 bytes of a value without floats (docs section 1)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _no_float(text: str) -> Any:
    raise VerificationError(f"float {text} in a certificate")


def _b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"not base64: {text[:20]!r}") from exc
    if base64.b64encode(raw).decode() != text:
        raise VerificationError("not canonical base64")
    return raw


def _open_entry(item: dict[str, Any], note: str, vkeys: list[str]) -> dict[str, Any]:
    """Check one {index, entry, proof} against the signed note; return the entry object."""
    if set(item) != {"index", "entry", "proof"}:
        raise VerificationError(f"entry item members {sorted(item)}")
    body = _b64(item["entry"])
    proof = parse_tlog_proof(item["proof"])
    if proof.checkpoint_note != note:
        raise VerificationError(f"entry {item['index']}: proof against another checkpoint")
    if proof.index != item["index"]:
        raise VerificationError(f"entry {item['index']}: proof for index {proof.index}")
    checkpoint = parse_checkpoint(verify_note(note, vkeys))
    verify_inclusion(proof.index, checkpoint.size, leaf_hash(body), proof.proof,
                     checkpoint.root)
    entry = json.loads(body, parse_float=_no_float)
    if entry.get("v") != 1 or entry.get("index") != item["index"]:
        raise VerificationError(f"entry {item['index']}: not that ledger entry")
    return entry


def verify_certificate(data: bytes, vkeys: list[str], entries: Opener | None = None) -> str:
    doc = json.loads(data, parse_float=_no_float)
    if not isinstance(doc, dict) or not MEMBERS <= set(doc) <= MEMBERS | {"issuance"}:
        raise VerificationError("not a certificate's members")
    if (doc["format"], doc["kind"]) not in KINDS:
        raise VerificationError(f"format {doc['format']!r}, kind {doc['kind']!r}")
    digest = hashlib.sha256(jcs({k: v for k, v in doc.items() if k != "issuance"})).hexdigest()
    note = doc["checkpoint"]
    checkpoint = parse_checkpoint(verify_note(note, vkeys))
    if checkpoint.origin != doc["origin"]:
        raise VerificationError("origin differs from the checkpoint's")
    if doc["format"] == FORMAT_V2:
        _verify_entries_v2(doc, checkpoint, entries)
    else:
        _verify_entries_v1(doc, note, vkeys)
    _check_issuance(doc, digest, checkpoint, vkeys)
    return digest


def _verify_entries_v1(doc: dict[str, Any], note: str, vkeys: list[str]) -> None:
    """Docs section 4, checks 3 to 5: each entry with its own proof."""
    indexes = [item["index"] for item in doc["entries"]]
    if not indexes or indexes != sorted(set(indexes)):
        raise VerificationError("entries not by strictly increasing index")
    entries = [_open_entry(item, note, vkeys) for item in doc["entries"]]
    _check_chains(doc, entries)
    derived = DERIVE[doc["kind"]](doc, [(e["index"], e["event"]) for e in entries])
    if derived != doc["statements"]:
        raise VerificationError(f"statements differ: {_difference(doc['statements'], derived)}")


# -- format v2, docs section 5 -------------------------------------------------------------

def _verify_entries_v2(doc: dict[str, Any], checkpoint: Any, given: Opener | None) -> None:
    """Section 5.4, checks 3 to 5: one pass over the bundle proves the entries and their
    chains and collects what judges the units; a second derives each unit's line."""
    st, carried = doc["statements"], doc["entries"]
    if not isinstance(carried, dict) or set(carried) != ENTRIES_V2:
        raise VerificationError(f"entries members {sorted(carried)}, not {sorted(ENTRIES_V2)}")
    if not isinstance(st, dict) or set(st) - {"plant_identity"} != PERIOD_V2:
        raise VerificationError(f"statements members {sorted(st)}, not {sorted(PERIOD_V2)}")
    if st["columns"] != list(COLUMNS):
        raise VerificationError(f"statements.columns is {st['columns']!r}")
    if not isinstance(st["lines"], list) or not all(isinstance(t, str) for t in st["lines"]):
        raise VerificationError("statements.lines are not all strings")
    runs = parse_runs(carried["runs"], carried["count"], checkpoint.size)
    proof = [_b64(h) for h in carried["proof"]]
    if any(len(h) != HASH_SIZE for h in proof):
        raise VerificationError("a multi-leaf proof hash is not 32 bytes")
    opener = _bundle(carried["bundle"], given)
    scan = _Scan()
    root = multileaf_root(checkpoint.size, runs,
                          scan.leaves(read_bundle(opener, runs, carried["sha256"])), proof)
    if root != checkpoint.root:
        raise VerificationError("the multi-leaf proof over the bundle's entries does not lead "
                                "to the checkpoint's root")
    tally = _check_lines(doc, scan, read_bundle(opener, runs, carried["sha256"]))
    derived = {**st, "plant": doc["origin"], "period": _bounds(st["period"]),
               "columns": list(COLUMNS), "totals": _all_totals(tally)}
    if "plant_identity" in st:  # stated since reports state it (section 3.5)
        derived["plant_identity"] = _identity(scan.judging)
    if derived != st:
        raise VerificationError(f"statements differ: {_difference(st, derived)}")


def _bundle(embedded: Any, given: Opener | None) -> Opener:
    """Section 5.1: the bundle inside (base64 of the gzip bytes) or, when null, the file
    given beside the certificate."""
    if embedded is None:
        if given is None:
            raise VerificationError("the entry bundle travels beside the certificate: give "
                                    "its file (<sha256>.entries.gz)")
        return given
    raw = _b64(embedded)
    return lambda: io.BytesIO(raw)


class _Scan:
    """The first pass: each entry is the ledger entry at its index, linked to the one before
    it in the log when that one is in the bundle (`prev`) and to its subject's previous entry
    (`subject_prev`); what judges the units (catalogue and scale chains) is kept."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}  # subject -> index of its last entry so far
        self.judging: list[tuple[int, dict[str, Any]]] = []
        self.sets: list[tuple[int, dict[str, Any]]] = []  # intakes naming a set, corrections
        self.before: tuple[int, bytes] | None = None  # the previous entry: index, leaf hash

    def leaves(self, entries: Iterator[tuple[int, bytes]]) -> Iterator[bytes]:
        for index, body in entries:
            hashed = leaf_hash(body)
            try:
                entry = json.loads(body, parse_float=_no_float)
            except (ValueError, VerificationError) as exc:
                raise VerificationError(f"entry {index} of the bundle is not JSON: {exc}") from exc
            if (not isinstance(entry, dict) or entry.get("v") != 1
                    or entry.get("index") != index or not isinstance(entry.get("event"), dict)):
                raise VerificationError(f"entry {index} of the bundle is not the ledger's "
                                        f"entry {index}")
            self._link(index, entry)
            self.before = (index, hashed)
            yield hashed

    def _link(self, index: int, entry: dict[str, Any]) -> None:
        if self.before is not None and self.before[0] == index - 1 \
                and entry["prev"] != self.before[1].hex():
            raise VerificationError(f"entry {index - 1} altered: the prev of entry {index} "
                                    "is not its leaf hash")
        if index == 0 and entry["prev"] != "0" * 64:
            raise VerificationError("entry 0 altered: its prev is not 64 zeros")
        subject = entry["event"]["subject"]
        if not (subject.startswith(("unit:", "scale:")) or subject in (CATALOGUE, IDENTITY)):
            raise VerificationError(f"entry {index} about {subject}")
        if entry["subject_prev"] != self.last.get(subject):
            raise VerificationError(f"chain of {subject} broken at entry {index}")
        self.last[subject] = index
        if not subject.startswith("unit:"):
            self.judging.append((index, entry["event"]))
        elif entry["event"]["type"] == "correction" or (
                entry["event"]["type"] == "unit.received" and "set_with" in entry["event"]["data"]):
            self.sets.append((index, entry["event"]))


def _check_lines(doc: dict[str, Any], scan: _Scan,
                 entries: Iterator[tuple[int, bytes]]) -> list[dict[str, Any]]:
    """The second pass: each unit's line derived when its chain's last entry has gone by,
    compared byte for byte with the stated one; the lines derived, for the totals."""
    st = doc["statements"]
    bounds = _bounds(st["period"])
    stated: dict[str, tuple[int, str]] = {}
    for position, text in enumerate(st["lines"]):
        label = _values(position, text)[0]
        if label in stated:
            raise VerificationError(f"statements.lines: two lines for unit {label}")
        stated[label] = (position, text)
    chains: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    derived: list[tuple[dict[str, Any], int]] = []  # each line and its stated position
    for index, body in entries:
        event = json.loads(body, parse_float=_no_float)["event"]
        if not event["subject"].startswith("unit:"):
            continue
        label = event["subject"][5:]
        chains.setdefault(label, []).append((index, event))
        if index != scan.last[event["subject"]]:
            continue
        others = [(i, ev) for i, ev in scan.sets if ev["subject"] != event["subject"]]
        line = _line(label, scan.judging + others + chains.pop(label), st, bounds)
        if line is None:
            continue
        if label not in stated:
            raise VerificationError(f"unit {label}: its entries derive a line that is not "
                                    "stated")
        position, text = stated.pop(label)
        values = [line["entries"][-1] if c == "last_entry" else line[c] for c in COLUMNS]
        if jcs(values).decode() != text:
            difference = _line_difference(position, text, values)
            raise VerificationError(f"statements differ: {difference}")
        derived.append((line, position))
    if stated:
        raise VerificationError(f"statements.lines: no line derives from the entries for "
                                f"unit {min(stated)}")
    derived.sort(key=lambda item: (item[0]["completed_at"], item[0]["label"]))
    if [position for _, position in derived] != list(range(len(derived))):
        raise VerificationError("statements.lines are not ordered by (completed_at, label)")
    return [line for line, _ in derived]


def _values(position: int, text: str) -> list[Any]:
    try:
        values = json.loads(text, parse_float=_no_float)
    except ValueError as exc:
        raise VerificationError(f"statements.lines[{position}] is not JSON: {exc}") from exc
    if not isinstance(values, list) or len(values) != len(COLUMNS):
        raise VerificationError(f"statements.lines[{position}] is not an array of "
                                f"{len(COLUMNS)} values")
    return values


def _line_difference(position: int, text: str, values: list[Any]) -> str:
    where = f"statements.lines[{position}] ({values[0]})"
    for column, a, b in zip(COLUMNS, _values(position, text), values, strict=True):
        if a != b:
            return _difference(a, b, f"{where}.{column}")
    return f"{where}: stated {text!r}, not the RFC 8785 text {jcs(values).decode()!r}"


def _chain_subjects(doc: dict[str, Any]) -> list[str]:
    st = doc["statements"]
    if doc["kind"] == "unit":
        return ["unit:" + st["unit"]["label"]]
    if doc["kind"] == "lot":
        return ["lot:" + st["lot"]]
    return ["unit:" + line["label"] for line in st["lines"]]


def _check_chains(doc: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    subjects = _chain_subjects(doc)
    last: dict[str, int | None] = dict.fromkeys(subjects)
    partner = None  # a unit certificate carries the other half of its unit's desktop set
    if doc["kind"] == "unit":
        chain = [(e["index"], e["event"]) for e in entries if e["event"]["subject"] in last]
        intake = next((ev["data"] for _, ev in _effective(chain)[0]
                       if ev["type"] == "unit.received"), {})
        partner = "unit:" + intake["set_with"] if intake.get("set_with") else None
    for entry in entries:
        subject = entry["event"]["subject"]
        if subject in (CATALOGUE, IDENTITY) or subject.startswith(("scale:", "receiver:",
                                                                   OPERATOR)) \
                or subject == partner:
            last.setdefault(subject, None)  # docs/rules.md section 8: complete from the first
        if subject not in last:
            if doc["kind"] != "lot":
                raise VerificationError(f"entry {entry['index']} about {subject}")
            continue
        if entry["subject_prev"] != last[subject]:
            raise VerificationError(f"chain of {subject} broken at entry {entry['index']}")
        last[subject] = entry["index"]
    if any(v is None for v in last.values()):
        raise VerificationError("a subject without entries")


def _check_issuance(doc: dict[str, Any], digest: str, checkpoint: Any,
                    vkeys: list[str]) -> None:
    issuance = doc.get("issuance")
    if issuance is None:
        raise VerificationError("not issued")
    later = parse_checkpoint(verify_note(issuance["checkpoint"], vkeys))
    if later.origin != checkpoint.origin:
        raise VerificationError("issuance checkpoint of another log")
    verify_consistency(checkpoint.size, later.size, checkpoint.root, later.root,
                       [_b64(h) for h in issuance["consistency"]])
    entry = _open_entry(issuance["entry"], issuance["checkpoint"], vkeys)
    event = entry["event"]
    if (event["type"], event["subject"], event["data"].get("sha256"),
            event["data"].get("kind")) != ("certificate.issued", f"cert:{digest}", digest,
                                           doc["kind"]):
        raise VerificationError("the issuance entry is not this certificate's")


def _difference(a: Any, b: Any, path: str = "statements") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key, "<missing>") != b.get(key, "<missing>"):
                return _difference(a.get(key, "<missing>"), b.get(key, "<missing>"),
                                   f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _difference(x, y, f"{path}[{i}]")
    return f"{path}: stated {a!r}, derived {b!r}"


# -- statements, from docs/certificates.md section 3 ------------------------------------------

def _effective(pairs: list[tuple[int, dict[str, Any]]]) -> tuple[list, list]:
    pairs = sorted(pairs, key=lambda p: p[0])
    fixes: dict[int, dict[str, Any]] = {}
    corrections = []
    for index, ev in pairs:
        if ev["type"] == "correction":
            d = ev["data"]
            fixes[d["corrects"]] = d
            corrections.append({"entry": index, "corrects": d["corrects"],
                                "reason": d["reason"], "approved_by": d["approved_by"],
                                "set": d.get("set"), "void": d.get("void") is True,
                                "time": ev["time"], "operator": ev["operator"]})
    out = []
    for index, ev in pairs:
        fix = fixes.get(index)
        if ev["type"] == "correction" or (fix is not None and fix.get("void")):
            continue
        data = dict(ev["data"])
        if fix is not None:
            data.update(fix["set"])
        out.append((index, {**ev, "data": data}))
    return out, corrections


def _who(index: int, ev: dict[str, Any]) -> dict[str, Any]:
    return {"time": ev["time"], "station": ev["station"], "operator": ev["operator"],
            "entry": index}


def _co2e(gas: str, grams: int, basis: str) -> dict[str, Any]:
    factor = GWP[basis].get(gas)
    if factor is None:
        return {"gwp": None, "gwp_conventional": None, "co2e_g": None}
    value = (Decimal(grams) * Decimal(factor)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return {"gwp": factor, "gwp_conventional": gas in CONVENTIONAL, "co2e_g": int(value)}


def _unit(label: str, pairs: list, basis: str, source: str) -> dict[str, Any]:
    chain = [(i, ev) for i, ev in pairs if ev["subject"] == "unit:" + label]
    effective, corrections = _effective(chain)
    st: dict[str, Any] = {"unit": None, "intake": None, "components": [], "outputs": [],
                          "completed": None}
    recovered, absent = [], []
    for index, ev in effective:
        d, t = ev["data"], ev["type"]
        if t == "unit.received":
            st["unit"] = {"label": label, "entry": index,
                          **{k: d.get(k) for k in ("category", "source", "trade_in_code",
                                                   "brand", "model", "serial",
                                                   "nameplate_refrigerant",
                                                   "nameplate_charge_g")}}
            st["intake"] = {"gross_g": d["gross_g"], "scale": d["scale"], **_who(index, ev)}
        elif t == "refrigerant.recovered":
            recovered.append({**{k: d.get(k) for k in (
                "refrigerant", "recovered_g", "cylinder", "cylinder_gross_before_g",
                "cylinder_gross_after_g", "scale", "nameplate_charge_g")},
                **_co2e(d["refrigerant"], d["recovered_g"], basis), **_who(index, ev)})
        elif t == "refrigerant.absent":
            absent.append({"reason": d.get("reason"), "note": d.get("note"), **_who(index, ev)})
        elif t == "component.removed":
            st["components"].append({**{k: d.get(k) for k in (
                "component", "count", "mass_g", "scale", "lot")}, **_who(index, ev)})
        elif t == "material.output":
            st["outputs"].append({**{k: d.get(k) for k in ("fraction", "mass_g", "lot",
                                                           "scale")}, **_who(index, ev)})
        elif t == "unit.completed":
            st["completed"] = {"note": d.get("note"), **_who(index, ev)}
    if st["unit"] is None:
        raise VerificationError(f"unit {label} has no unit.received")
    rec_g = sum(r["recovered_g"] for r in recovered)
    out_g = sum(o["mass_g"] for o in st["outputs"])
    comp_g = sum(c["mass_g"] or 0 for c in st["components"])
    st["refrigerant"] = {"gwp_basis": basis, "gwp_source": source, "recovered": recovered,
                         "absent": absent, "recovered_g": rec_g,
                         "co2e_g": sum(r["co2e_g"] for r in recovered if r["co2e_g"] is not None),
                         "without_gwp_g": sum(r["recovered_g"] for r in recovered
                                              if r["co2e_g"] is None)}
    st["balance"] = {"intake_g": st["intake"]["gross_g"], "outputs_g": out_g,
                     "components_g": comp_g, "refrigerant_g": rec_g,
                     "difference_g": st["intake"]["gross_g"] - out_g - comp_g - rec_g}
    st["state"] = "completed" if st["completed"] else "in progress"
    position = st["completed"]["entry"] if st["completed"] else None
    force = _in_force(pairs, position)
    st["judgement"] = _judge_unit(chain, label, force, _checks(pairs), _set_intakes(pairs))
    received = next(ev["data"] for _, ev in effective if ev["type"] == "unit.received")
    st["nameplate"] = {k: received[k] for k in NAMEPLATE if received.get(k) is not None}
    completions = [ev["time"] for _, ev in effective if ev["type"] == "unit.completed"]
    st["fund"] = _fund_class(force["content"].get("fund"), received,
                             completions[0] if completions else None)
    st["evidence"] = _evidence_member(effective, force["content"])
    st["stations"] = sorted({ev["station"] for _, ev in effective})
    st["operators"] = sorted({ev["operator"] for _, ev in effective})
    st["plant_identity"] = _identity(pairs)
    st["operator_register"] = _register(pairs, st["operators"])
    st["corrections"] = corrections
    st["entries"] = sorted(i for i, _ in chain)
    return st


def _derive_unit(doc: dict[str, Any], pairs: list) -> dict[str, Any]:
    st = doc["statements"]
    basis = st["refrigerant"]["gwp_basis"]
    derived = _unit(st["unit"]["label"], pairs, basis, st["refrigerant"]["gwp_source"])
    for group in (FUND_MEMBERS, IDENTITY_MEMBERS, ("evidence",)):
        if not any(name in st for name in group):  # issued before they were stated
            for name in group:
                del derived[name]
    return derived


# -- a unit's fund class, from docs/certificates.md section 3.1 and docs/fund.md ---------------

def _fund_class(fund: dict[str, Any] | None, received: dict[str, Any],
                completed_at: str | None) -> dict[str, Any] | None:
    """The `fund` member: the unit classed by the fund tables of the catalogue in force."""
    if not fund:
        return None

    def outside(scope: str, code: str, category: str | None = None, field: str | None = None,
                value: Any = None, limit: Any = None) -> dict[str, Any]:
        return {"scope": scope, "fund_category": category, "sub_class": None, "counts": 0,
                "version": None, "rate": None, "factor": None,
                "reason": {"code": code, "field": field, "value": value, "limit": limit}}

    product = fund["products"].get(received["category"])
    if product is None:
        return outside("not_fund_product", "not_fund_product")
    category = product["category"]
    facts = {f: received.get(f) for f in product["asks"] + product.get("also_asks", [])}
    for field, implied in product.get("implies", {}).items():
        if received.get(field) not in (None, implied):
            return outside("out_of_scope", "contradicts", category, field, received[field],
                           implied)
        facts[field] = implied
    for field in product["asks"]:
        if facts[field] is None:
            return outside("unclassified", "missing", category, field)
    for field, condition in product.get("scope", {}).items():
        failed = _condition_fails(condition, facts.get(field))
        if failed is not None:
            return outside("out_of_scope", "not_allowed" if isinstance(condition, list)
                           else "limit", category, field, facts.get(field), failed)
    for code, sub_class in fund["classes"].items():  # in the content's (sorted) order
        for when in sub_class["when"]:
            conditions = {k: v for k, v in when.items() if k not in ("product", "counts")}
            if when["product"] == received["category"] and all(
                    _condition_fails(c, facts.get(f)) is None for f, c in conditions.items()):
                found = {"scope": "in_scope", "fund_category": category, "sub_class": code,
                         "counts": when.get("counts", 1), "version": None, "rate": None,
                         "factor": None, "reason": None}
                return _priced(fund["versions"], found, completed_at)
    return outside("out_of_scope", "no_class", category)


def _condition_fails(condition: Any, value: Any) -> str | None:
    """How `value` fails a condition of the tables, in its words; None when it passes."""
    if condition == "present":
        return None if value is not None else "present"
    if isinstance(condition, list):
        return None if value in condition else "/".join(condition)
    text = ", ".join(f"{sign} {condition[k]}" for k, sign in SIGNS if k in condition)
    if not isinstance(value, int):
        return text
    tests = {"min": lambda v: value >= v, "above": lambda v: value > v,
             "max": lambda v: value <= v, "below": lambda v: value < v}
    return None if all(tests[k](v) for k, v in condition.items()) else text


def _priced(versions: dict[str, Any], found: dict[str, Any],
            completed_at: str | None) -> dict[str, Any]:
    """The version in force at the completion (the latest `from` at or before it) and the
    sub-class's rate (per_unit) or factor, as shortest decimal strings."""
    if completed_at is None:
        return found
    at = datetime.fromisoformat(completed_at.replace("Z", "+00:00"))
    in_force = [(datetime.fromisoformat(v["from"]), code, v) for code, v in versions.items()
                if datetime.fromisoformat(v["from"]) <= at]
    if not in_force:
        return found
    _, code, version = max(in_force, key=lambda item: item[0])
    figures = version.get("rates" if version["basis"] == "per_unit" else "factors", {})
    figure = figures.get(found["sub_class"])
    name = "rate" if version["basis"] == "per_unit" else "factor"
    return {**found, "version": code, name: None if figure is None else _text(Decimal(figure))}


def _sum_by(items: list[dict[str, Any]], key: str, value: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item[key]] = out.get(item[key], 0) + value(item)
    return dict(sorted(out.items()))


def _derive_period(doc: dict[str, Any], pairs: list) -> dict[str, Any]:
    st = doc["statements"]
    bounds = _bounds(st["period"])
    labels = sorted({ev["subject"][5:] for _, ev in pairs if ev["subject"].startswith("unit:")})
    lines = [line for line in (_line(label, pairs, st, bounds) for label in labels)
             if line is not None]
    lines.sort(key=lambda line: (line["completed_at"], line["label"]))
    derived = {"plant": doc["origin"], "period": bounds, "categories": st["categories"],
               "gwp_basis": st["gwp_basis"], "gwp_source": st["gwp_source"], "lines": lines,
               "totals": _all_totals(lines)}
    if "plant_identity" in st:
        derived["plant_identity"] = _identity(pairs)
    return derived


def _bounds(period: dict[str, Any]) -> dict[str, Any]:
    """Section 3.2's `period`, derived again from its dates and time zone."""
    zone = ZoneInfo(period["time_zone"])

    def utc(day: date) -> str:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(
            ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    first, last = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    return {"from": period["from"], "to": period["to"], "time_zone": period["time_zone"],
            "from_utc": utc(first), "until_utc": utc(last + timedelta(days=1))}


def _line(label: str, pairs: list, st: dict[str, Any],
          bounds: dict[str, Any]) -> dict[str, Any] | None:
    """The unit's v1 line (section 3.2), or None when it is not on one: not completed in the
    period, of a category not listed, or without an effective intake (e.g. voided)."""
    chain = [(i, ev) for i, ev in pairs if ev["subject"] == "unit:" + label]
    if not any(ev["type"] == "unit.received" for _, ev in _effective(chain)[0]):
        return None
    u = _unit(label, pairs, st["gwp_basis"], st["gwp_source"])
    done = u["completed"]
    if done is None or not bounds["from_utc"] <= done["time"] < bounds["until_utc"]:
        return None
    if st["categories"] is not None and u["unit"]["category"] not in st["categories"]:
        return None
    return {
        "label": label, "category": u["unit"]["category"],
        "trade_in_code": u["unit"]["trade_in_code"], "received_at": u["intake"]["time"],
        "completed_at": done["time"], "gross_g": u["intake"]["gross_g"],
        "refrigerant": _sum_by(u["refrigerant"]["recovered"], "refrigerant",
                               lambda r: r["recovered_g"]),
        "refrigerant_g": u["refrigerant"]["recovered_g"],
        "co2e_g": u["refrigerant"]["co2e_g"],
        "outputs": _sum_by(u["outputs"], "fraction", lambda o: o["mass_g"]),
        "outputs_g": u["balance"]["outputs_g"],
        "components": _sum_by(u["components"], "component", lambda c: c["count"] or 1),
        "status": u["judgement"]["status"], "flags": u["judgement"]["open_flags"],
        "violations": u["judgement"]["violations"],
        "reviews": [{k: r[k] for k in ("entry", "flag", "key", "resolution")}
                    for r in u["judgement"]["reviews"]],
        "catalogue_entry": u["judgement"]["catalogue"]["entry"],
        "entries": u["entries"]}


def _all_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    totals = {"all": _totals(lines)}
    for status in ("creditable", "flagged", "excluded"):
        totals[status] = _totals([ln for ln in lines if ln["status"] == status])
    return totals


def _totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    figures = ("gross_g", "refrigerant_g", "co2e_g", "outputs_g")
    totals: dict[str, Any] = {"units": len(lines)}
    totals.update({f: sum(line[f] for line in lines) for f in figures})
    categories = sorted({line["category"] for line in lines})
    totals["by_category"] = {c: {"units": sum(1 for ln in lines if ln["category"] == c),
                                 **{f: sum(ln[f] for ln in lines if ln["category"] == c)
                                    for f in figures}} for c in categories}
    fractions = sorted({f for line in lines for f in line["outputs"]})
    totals["by_fraction"] = {f: {"units": sum(1 for ln in lines if f in ln["outputs"]),
                                 "mass_g": sum(ln["outputs"].get(f, 0) for ln in lines)}
                             for f in fractions}
    return totals


def _derive_lot(doc: dict[str, Any], pairs: list) -> dict[str, Any]:
    lot = doc["statements"]["lot"]
    effective, corrections = _effective([(i, ev) for i, ev in pairs
                                         if ev["subject"] not in (CATALOGUE, IDENTITY)
                                         and not ev["subject"].startswith(("scale:",
                                                                           "receiver:",
                                                                           OPERATOR))])
    st: dict[str, Any] = {"lot": lot, "opened": None, "sealed": None, "shipped": None,
                          "received": None, "outputs": []}
    fields = {"lot.opened": ("opened", ("fraction", "hazardous", "container")),
              "lot.sealed": ("sealed", ("net_g", "scale")),
              "lot.shipped": ("shipped", ("receiver", "manifest_no", "receiver_licence",
                                          "vehicle")),
              "lot.received": ("received", ("receiver", "manifest_no", "received_g"))}
    vouchers, named = [], {}
    for index, ev in effective:
        d = ev["data"]
        if ev["subject"] == "lot:" + lot and ev["type"] in fields:
            name, keys = fields[ev["type"]]
            code = {"receiver_code": d["receiver_code"]} if "receiver_code" in d else {}
            st[name] = {**{k: d.get(k) for k in keys},
                        **(code if name in ("shipped", "received") else {}), **_who(index, ev)}
            if name == "shipped" and code:
                named.setdefault(d["receiver_code"], index)
        elif ev["subject"] == "lot:" + lot and ev["type"] == "lot.voucher":
            vouchers.append({**{k: d.get(k) for k in VOUCHER_FIELDS}, **_who(index, ev)})
            named.setdefault(d["counterparty"], index)
        elif ev["type"] in ("material.output", "component.removed") and d.get("lot") == lot:
            material = ev["type"] == "material.output"
            st["outputs"].append({"unit": ev["subject"].split(":", 1)[1],
                                  "kind": "material" if material else "component",
                                  "code": d["fraction"] if material else d["component"],
                                  "mass_g": d.get("mass_g"), "count": d.get("count"),
                                  **_who(index, ev)})
    st["state"] = next(s for s in ("received", "shipped", "sealed", "open")
                       if s == "open" or st[s] is not None)
    st["outputs_g"] = sum(o["mass_g"] or 0 for o in st["outputs"])
    st["units"] = sorted({o["unit"] for o in st["outputs"]})
    st["corrections"] = corrections
    chain = [(i, ev) for i, ev in pairs if ev["subject"] == "lot:" + lot]
    position = st["received"]["entry"] if st["received"] else None
    register = [(i, ev) for i, ev in pairs if ev["subject"].startswith("receiver:")]
    st["judgement"] = _judge_lot(chain, lot, _in_force(pairs, position), register)
    if any(name in doc["statements"] for name in IDENTITY_MEMBERS):
        st["plant_identity"] = _identity(pairs)
        operators = {ev["operator"] for _, ev in effective if ev["subject"] == "lot:" + lot}
        st["operator_register"] = _register(pairs, operators | {o["operator"]
                                                                for o in st["outputs"]})
    st["entries"] = sorted(i for i, _ in pairs)
    if named:  # docs/certificates.md section 3: since the register of receivers
        st["receivers"] = [_register_record(register, code, at) for code, at in named.items()]
    if vouchers:
        st["vouchers"] = vouchers
    return st


# -- the plant's identity and the operators register, docs/certificates.md section 3.5 -------

USCC_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
ORG_SET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714


def _identity(pairs: list) -> dict[str, Any] | None:
    """The latest effective plant.identified of the plant:identity chain, with what its
    record breaks (docs/rules.md section 4c)."""
    chain = [(i, ev) for i, ev in pairs if ev["subject"] == IDENTITY]
    found = [(i, ev) for i, ev in _effective(chain)[0] if ev["type"] == "plant.identified"]
    if not found:
        return None
    index, ev = found[-1]
    fields = ("legal_name", "legal_name_en", "address", "uscc", "licence_no", "licence_issuer",
              "licence_valid_from", "licence_valid_until", "approved_by")
    return {"entry": index, **{k: ev["data"].get(k) for k in fields}, "time": ev["time"],
            "operator": ev["operator"], "violations": _register_violations(chain)}


def _register(pairs: list, codes: list[str] | set[str]) -> dict[str, Any]:
    """Each named operator code's entry in the register, or None when never registered."""
    out: dict[str, Any] = {}
    for code in sorted(codes):
        chain = [(i, ev) for i, ev in pairs if ev["subject"] == OPERATOR + code]
        effective = _effective(chain)[0]
        registered = [(i, ev) for i, ev in effective if ev["type"] == "operator.registered"]
        if not registered:
            out[code] = None
            continue
        index, ev = registered[-1]
        d = ev["data"]
        retired = [(i, e) for i, e in effective if e["type"] == "operator.retired" and i > index]
        out[code] = {
            "entry": index, "name": d["name"], "name_en": d.get("name_en"), "roles": d["roles"],
            "qualifications": [{k: q.get(k) for k in ("title", "number", "issuer", "valid_from",
                                                      "valid_until")}
                               for q in d.get("qualifications", [])],
            "approved_by": d["approved_by"], "time": ev["time"],
            "retired": {"entry": retired[-1][0], "time": retired[-1][1]["time"],
                        "reason": retired[-1][1]["data"]["reason"],
                        "approved_by": retired[-1][1]["data"]["approved_by"]}
            if retired else None,
            "violations": _register_violations(chain)}
    return out


def _register_violations(chain: list) -> list[dict[str, Any]]:
    """docs/rules.md section 4c, each effective event against those before it."""
    found, before = [], []
    for index, ev in _effective(chain)[0]:
        try:
            _register_rule(ev, before)
        except _Broken as broken:
            found.append({"entry": index, "rule": broken.rule, "params": broken.params})
        before.append(ev)
    return found


def _register_rule(ev: dict[str, Any], before: list[dict[str, Any]]) -> None:
    t, d = ev["type"], ev["data"]
    if t == "plant.identified":
        if ev["subject"] != IDENTITY:
            raise _Broken("identity_subject", subject=ev["subject"])
        _uscc(d["uscc"])
        _dates(d["licence_no"], d["licence_valid_from"], d["licence_valid_until"])
    elif t in ("operator.registered", "operator.retired"):
        code = ev["subject"].split(":", 1)[1]
        if not (code[:1].isascii() and code[:1].isalnum() and len(code) <= 64
                and all(c.isascii() and (c.isalnum() or c in "._-") for c in code)):
            raise _Broken("operator_code", code=code)
        if t == "operator.registered":
            for q in d.get("qualifications", []):
                _dates(q["number"], q.get("valid_from"), q.get("valid_until"))
        else:
            kinds = [e["type"] for e in before
                     if e["type"] in ("operator.registered", "operator.retired")]
            if not kinds or kinds[-1] != "operator.registered":
                raise _Broken("operator_not_active", code=code)


def _uscc(code: str) -> None:
    """GB 32100-2015: 18 characters of its set, the 3rd to 8th digits; the 17th is the
    organization code's GB 11714 check, the 18th the whole code's."""
    if not (len(code) == 18 and all(c in USCC_SET for c in code) and code[2:8].isdigit()):
        raise _Broken("uscc_form", uscc=code)
    org = 11 - sum(ORG_SET.index(c) * w for c, w in zip(code[8:16], (3, 7, 9, 10, 5, 8, 4, 2),
                                                         strict=True)) % 11
    seventeenth = "X" if org == 10 else "0" if org == 11 else str(org)
    if code[16] != seventeenth:
        raise _Broken("uscc_check", uscc=code, position=17, found=code[16],
                      expected=seventeenth, standard="GB 11714")
    weights = [3 ** i % 31 for i in range(17)]
    total = sum(USCC_SET.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    eighteenth = USCC_SET[-total % 31]
    if code[17] != eighteenth:
        raise _Broken("uscc_check", uscc=code, position=18, found=code[17],
                      expected=eighteenth, standard="GB 32100-2015")


def _dates(document: str, start: str | None, end: str | None) -> None:
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError:
        first, last = date.max, date.min
    if first is not None and last is not None and last < first:
        raise _Broken("validity_dates", document=document, valid_from=start or "-",
                      valid_until=end or "-")
VOUCHER_FIELDS = ("kind", "voucher_no", "counterparty", "quantity_g", "price_per_t", "amount",
                  "currency", "note")
RECEIVER_FIELDS = ("legal_name", "licence_no", "fractions", "hw_codes", "valid_from",
                   "valid_until", "address")


def _register_entry(register: list, code: str, below: int) -> tuple[int | None, dict]:
    """docs/rules.md section 4: the receiver's latest effective registration or update among
    its entries below `below` (None, {}: not registered then)."""
    chain = [(i, ev) for i, ev in register if ev["subject"] == "receiver:" + code and i < below]
    found = [(i, ev) for i, ev in _effective(chain)[0]
             if ev["type"] in ("receiver.registered", "receiver.updated")]
    return (found[-1][0], found[-1][1]["data"]) if found else (None, {})


def _register_record(register: list, code: str, below: int) -> dict[str, Any]:
    index, d = _register_entry(register, code, below)
    return {"code": code, "entry": index, **{k: d.get(k) for k in RECEIVER_FIELDS}}


# -- the rules' judgement, from docs/rules.md ---------------------------------------------------

class _Broken(Exception):
    """A rule the record breaks: its code and parameters (docs/rules.md section 4)."""

    def __init__(self, rule: str, **params: Any):
        super().__init__(rule)
        self.rule, self.params = rule, params


def _text(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


def _in_force(pairs: list, position: int | None) -> dict[str, Any]:
    """docs/rules.md section 2: the latest catalogue.published below the position, else the
    first; its content must hash (RFC 8785, SHA-256) to the sha256 it states."""
    found = [(i, ev) for i, ev in sorted(pairs, key=lambda p: p[0])
             if ev["subject"] == CATALOGUE and ev["type"] == "catalogue.published"]
    if not found:
        raise VerificationError("no catalogue.published entry to judge by")
    below = [(i, ev) for i, ev in found if position is None or i < position]
    index, ev = (below or found)[-1 if below else 0]
    d = ev["data"]
    if hashlib.sha256(jcs(d["content"])).hexdigest() != d["sha256"]:
        raise VerificationError(f"catalogue entry {index}: content does not hash to sha256")
    return {"entry": index, "version": d["version"], "sha256": d["sha256"],
            "content": d["content"]}


def _checks(pairs: list) -> dict[str, list[tuple[int, str]]]:
    """Passing scale.calibrated checks per scale: (entry, time)."""
    checks: dict[str, list[tuple[int, str]]] = {}
    scales = [(i, ev) for i, ev in pairs if ev["subject"].startswith("scale:")]
    for index, ev in _effective(scales)[0]:
        if ev["type"] == "scale.calibrated" and ev["data"]["passed"]:
            checks.setdefault(ev["subject"][6:], []).append((index, ev["time"]))
    return checks


def _done(events: list[dict[str, Any]], step: str) -> bool:
    kind, _, target = step.partition(":")
    if step == "refrigerant":
        return any(e["type"] in ("refrigerant.recovered", "refrigerant.absent") for e in events)
    if kind == "component":
        return any(e["type"] == "component.removed" and e["data"]["component"] == target
                   for e in events)
    if kind == "output":
        return any(e["type"] == "material.output" and e["data"]["fraction"] == target
                   for e in events)
    raise VerificationError(f"unknown step {step}")


def _zone(zone: str, zones: dict[str, Any], what: str) -> None:
    """A unit's zone is in the content's zones and holds units (docs/rules.md §4)."""
    if zone not in zones:
        raise _Broken("unknown_zone", zone=zone, known=", ".join(sorted(zones)) or "none yet")
    if zones[zone]["kind"] != "units":
        fitting = sorted(z for z, entry in zones.items() if entry["kind"] == "units")
        raise _Broken("wrong_zone", zone=zone, kind=zones[zone]["kind"], what=what,
                      needs="units", zones=", ".join(fitting) or "none in the catalogue")


def _unit_rule(ev: dict[str, Any], before: list[dict[str, Any]], label: str,
               cat: dict[str, Any], partner: list | None = None) -> None:
    """Raise _Broken if `ev` breaks a unit rule given the unit's effective events before it
    (and, for a completion, `partner`: the other half's intakes naming a set below it)."""
    t, d = ev["type"], ev["data"]
    received = next((e["data"] for e in before if e["type"] == "unit.received"), None)
    categories = cat["categories"]
    fund_products = cat.get("fund", {}).get("products", {})
    if t == "unit.received":
        if received is not None:
            raise _Broken("duplicate_label", label=label, category=received["category"],
                          gross_g=received["gross_g"])
        category = _category(d["category"], categories)
        low, high = (int(Decimal(kg) * 1000) for kg in category["weight_kg"])
        if not low <= d["gross_g"] <= high:
            raise _Broken("weight_out_of_range", gross_g=d["gross_g"], category=d["category"],
                          low_g=low, high_g=high)
        gas = d.get("nameplate_refrigerant")
        if gas and gas not in category["refrigerants"]:
            raise _Broken("nameplate_refrigerant", refrigerant=gas, category=d["category"],
                          allowed=", ".join(category["refrigerants"]) or "none")
        implies = fund_products.get(d["category"], {}).get("implies", {})
        for field, implied in implies.items():
            if d.get(field) not in (None, implied):
                raise _Broken("nameplate_contradicts", field=field, value=d[field],
                              category=d["category"], implied=implied)
        if d.get("set_with") is not None:
            if d["set_with"] == label:
                raise _Broken("set_with_self", label=label)
            kind = _pc_type(d, fund_products)
            if kind not in SET_HALVES:
                raise _Broken("not_a_set", label=label, category=d["category"],
                              kind=kind or "none")
        return
    if received is None:
        raise _Broken("not_received", label=label)
    if any(e["type"] == "unit.completed" for e in before):
        raise _Broken("already_completed", label=label)
    category = _category(received["category"], categories)
    aside = None
    for e in before:
        if e["type"] in ("unit.set_aside", "unit.taken_back"):
            aside = e["data"]["reason"] if e["type"] == "unit.set_aside" else None
    if t in DISMANTLING and aside is not None:
        raise _Broken("unit_set_aside", label=label, reason=aside)
    if t in ("unit.stored", "unit.set_aside") and d.get("zone"):
        _zone(d["zone"], cat.get("zones", {}), f"unit {label}")
    if t == "unit.set_aside" and aside is not None:
        raise _Broken("unit_set_aside", label=label, reason=aside)
    if t == "unit.taken_back" and aside is None:
        raise _Broken("not_set_aside", label=label)
    code = received["category"]
    outputs = [e for e in before if e["type"] == "material.output"]
    bearing = bool(category["refrigerants"])
    if t in ("refrigerant.recovered", "refrigerant.absent") and outputs:
        raise _Broken("after_outputs", label=label)
    if t == "refrigerant.recovered":
        stated = d.get("nameplate_charge_g")
        if stated is not None and stated != received.get("nameplate_charge_g"):
            raise _Broken("charge_mismatch", stated_g=stated,
                          charge_g=received.get("nameplate_charge_g"))
        if d["cylinder_gross_after_g"] < d["cylinder_gross_before_g"]:
            raise _Broken("cylinder_lighter", cylinder=d["cylinder"],
                          after_g=d["cylinder_gross_after_g"],
                          before_g=d["cylinder_gross_before_g"])
        if not bearing:
            raise _Broken("not_refrigerant_bearing", category=code)
        nameplate = received.get("nameplate_refrigerant")
        if nameplate and d["refrigerant"] != nameplate:
            raise _Broken("wrong_gas", label=label, gas=nameplate, why="its nameplate",
                          refrigerant=d["refrigerant"])
        if d["refrigerant"] not in category["refrigerants"]:
            raise _Broken("wrong_gas", label=label, gas=" / ".join(category["refrigerants"]),
                          why=f"a {code}", refrigerant=d["refrigerant"])
    elif t == "refrigerant.absent":
        if d["reason"] not in cat["absent_reasons"]:
            raise _Broken("unknown_absent_reason", reason=d["reason"],
                          known=", ".join(cat["absent_reasons"]))
        done = [e["data"] for e in before
                if e["type"] in ("refrigerant.absent", "refrigerant.recovered")]
        if done:
            raise _Broken("refrigerant_recorded", label=label,
                          recorded=done[0].get("reason") or "recovered")
        if not bearing and d["reason"] != "not_refrigerant_bearing":
            raise _Broken("absent_reason", category=code, reason=d["reason"])
    elif t == "component.removed":
        if d["component"] not in cat["components"]:
            raise _Broken("unknown_component", component=d["component"],
                          known=", ".join(sorted(cat["components"])))
        _mass(d.get("mass_g"), label, received)
    elif t == "material.output":
        if d["fraction"] not in cat["fractions"]:
            raise _Broken("unknown_fraction", fraction=d["fraction"],
                          known=", ".join(sorted(cat["fractions"])))
        missing = [s["step"] for s in category["steps"] if s["required"]
                   and not s["step"].startswith("output:") and not _done(before, s["step"])]
        if missing:
            raise _Broken("depollution_first", steps=", ".join(missing), label=label)
        _mass(d["mass_g"], label, received)
    elif t == "unit.completed":
        if bearing and not _done(before, "refrigerant"):
            raise _Broken("no_recovery", label=label, category=code)
        missing = [s["step"] for s in category["steps"]
                   if s["required"] and not _done(before, s["step"])]
        if missing:
            raise _Broken("steps_missing", label=label, steps=", ".join(missing))
        if not outputs:
            raise _Broken("no_outputs", label=label)
        missing = _unevidenced(before, cat)
        if missing and not any(e["type"] == "evidence.excused" for e in before):
            raise _Broken("evidence_missing", label=label, steps=", ".join(missing))
        if received.get("set_with") is not None:
            _set_completion(received, label, partner or [], fund_products)


# Which computer type forms a desktop set with which (docs/rules.md section 4).
SET_HALVES = {"desktop_host": "monitor", "monitor": "desktop_host"}


def _pc_type(d: dict[str, Any], fund_products: dict[str, Any]) -> str | None:
    """An intake's computer type: its pc_type, else the one its category implies."""
    return d.get("pc_type") or fund_products.get(d["category"], {}).get(
        "implies", {}).get("pc_type")


def _set_completion(received: dict[str, Any], label: str, partner: list,
                    fund_products: dict[str, Any]) -> None:
    """The other half's effective intake below the completion names the unit back, and is
    the other computer type of the set."""
    named = next((ev["data"] for _, ev in _effective(partner)[0]
                  if ev["type"] == "unit.received" and ev["data"].get("set_with") == label),
                 None)
    if named is None:
        raise _Broken("set_not_paired", label=label, partner=received["set_with"])
    kind = _pc_type(received, fund_products)
    needs = SET_HALVES.get(kind or "")
    other = _pc_type(named, fund_products)
    if needs is not None and other != needs:
        raise _Broken("set_kind", label=label, kind=kind, needs=needs,
                      partner=received["set_with"], partner_kind=other or named["category"])


def _set_intakes(pairs: list) -> dict[str, list]:
    """Per unit, its intakes that name a set (a set_with field) and the corrections of them."""
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for index, ev in sorted(pairs, key=lambda p: p[0]):
        kind, _, name = ev["subject"].partition(":")
        if kind != "unit":
            continue
        if ev["type"] == "unit.received" and "set_with" in ev["data"]:
            found.setdefault(name, {})[index] = ev
        elif ev["type"] == "correction" and ev["data"]["corrects"] in found.get(name, {}):
            found[name][index] = ev
    return {name: sorted(kept.items()) for name, kept in found.items()}


def _category(code: str, categories: dict[str, Any]) -> dict[str, Any]:
    if code not in categories:
        raise _Broken("unknown_category", category=code, known=", ".join(sorted(categories)))
    return categories[code]


def _mass(mass_g: int | None, label: str, received: dict[str, Any]) -> None:
    if mass_g is not None and mass_g > received["gross_g"]:
        raise _Broken("impossible_mass", mass_g=mass_g, label=label,
                      gross_g=received["gross_g"])


UNIT_EVENTS = ("unit.received", "refrigerant.recovered", "refrigerant.absent",
               "component.removed", "material.output", "unit.completed", "unit.stored",
               "unit.set_aside", "unit.taken_back", "evidence.excused")
# docs/rules.md section 4a: the key steps, by the event that records each.
KEY_STEPS = {"unit.received": "intake", "refrigerant.recovered": "refrigerant",
             "component.removed": "hazardous_component", "material.output": "output",
             "lot.sealed": "lot_sealed", "lot.shipped": "lot_shipped"}


def _key_step(ev: dict[str, Any], cat: dict[str, Any]) -> str | None:
    step = KEY_STEPS.get(ev["type"])
    if step == "hazardous_component":
        component = cat["components"].get(ev["data"]["component"]) or {}
        return step if component.get("hazardous") else None
    return step


def _about(d: dict[str, Any]) -> str | None:
    return d.get("component") or d.get("fraction") or d.get("refrigerant")


def _unevidenced(events: list[dict[str, Any]], cat: dict[str, Any]) -> list[str]:
    """The required key steps recorded with no evidence reference, each once, in order."""
    required = (cat.get("evidence") or {}).get("required", [])
    found: list[str] = []
    for ev in events:
        step = _key_step(ev, cat)
        if step in required and ev["data"].get("evidence") is None:
            about = _about(ev["data"])
            name = f"{step}:{about}" if about else step
            if name not in found:
                found.append(name)
    return found


def _evidence_member(effective: list, cat: dict[str, Any]) -> dict[str, Any]:
    """docs/certificates.md section 3.1, `evidence`."""
    steps, excused = [], []
    for index, ev in effective:
        d, step = ev["data"], _key_step(ev, cat)
        if step:
            r = d.get("evidence")
            steps.append({"step": step, "about": _about(d), **_who(index, ev),
                          "reference": None if r is None else {
                              "cameras": r["cameras"], "start": r["start"], "end": r["end"],
                              "photos": [{"sha256": p["sha256"], "media_type": p["media_type"]}
                                         for p in r.get("photos", [])]}})
        elif ev["type"] == "evidence.excused":
            excused.append({"reason": d["reason"], "approved_by": d["approved_by"],
                            **_who(index, ev)})
    return {"required": (cat.get("evidence") or {}).get("required", []), "steps": steps,
            "excused": excused}
DISMANTLING = ("refrigerant.recovered", "refrigerant.absent", "component.removed",
               "material.output", "unit.completed")


def _judge_unit(chain: list, label: str, force: dict[str, Any],
                checks: dict[str, list[tuple[int, str]]],
                intakes: dict[str, list]) -> dict[str, Any]:
    cat = force["content"]
    effective = _effective(chain)[0]
    violations, before = [], []
    for index, ev in effective:
        if ev["type"] in UNIT_EVENTS:
            received = next((e["data"] for e in before if e["type"] == "unit.received"), {})
            partner = [(i, e) for i, e in intakes.get(received.get("set_with") or "", [])
                       if i < index]
            try:
                _unit_rule(ev, before, label, cat, partner)
            except _Broken as broken:
                violations.append({"entry": index, "rule": broken.rule,
                                   "params": broken.params})
        if ev["type"] != "flag.reviewed":
            before.append(ev)
    judged = [(i, ev) for i, ev in effective if ev["type"] != "flag.reviewed"]
    received = next((e["data"] for e in before if e["type"] == "unit.received"), None)
    flags: list[dict[str, Any]] = []
    if received is not None and received["category"] in cat["categories"]:
        flags = _unit_flags(judged, received, cat["categories"][received["category"]], cat,
                            checks, label)
    return _judgement(force, flags, violations, effective)


def _flag(code: str, params: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    return {"code": code, "key": key, "params": params}


def _unit_flags(judged: list, received: dict[str, Any], category: dict[str, Any],
                cat: dict[str, Any], checks: dict[str, list[tuple[int, str]]],
                label: str) -> list:
    """docs/rules.md section 3, in its order."""
    tol = {k: Decimal(v) for k, v in cat["tolerances"].items()}
    data = [(ev["type"], ev["data"]) for _, ev in judged]
    recovered = [d["recovered_g"] for t, d in data if t == "refrigerant.recovered"]
    outputs = [d for t, d in data if t == "material.output"]
    components = [d for t, d in data if t == "component.removed"]
    gross, charge = received["gross_g"], received.get("nameplate_charge_g")
    flags = []
    if charge and recovered and sum(recovered) * 100 < tol["low_recovery_pct"] * charge:
        flags.append(_flag("low_recovery", {"recovered_g": sum(recovered),
                                            "nameplate_charge_g": charge,
                                            "threshold_pct": _text(tol["low_recovery_pct"])}))
    accounted = (sum(o["mass_g"] for o in outputs)
                 + sum(c.get("mass_g") or 0 for c in components) + sum(recovered))
    if abs(accounted - gross) * 100 > tol["mass_balance_pct"] * gross:
        flags.append(_flag("mass_balance", {"accounted_g": accounted, "gross_g": gross,
                                            "tolerance_pct": _text(tol["mass_balance_pct"])}))
    by_fraction: dict[str, int] = {}
    for o in outputs:
        by_fraction[o["fraction"]] = by_fraction.get(o["fraction"], 0) + o["mass_g"]
    for c in components:
        fraction = (cat["components"].get(c["component"]) or {}).get("fraction")
        if c.get("mass_g") and fraction:
            by_fraction[fraction] = by_fraction.get(fraction, 0) + c["mass_g"]
    for fraction, mass in sorted(by_fraction.items()):
        bounds = category["yields"].get(fraction)
        if bounds is None:
            continue
        low, high = Decimal(bounds[0]), Decimal(bounds[1])
        if not low * gross <= mass * 100 <= high * gross:
            flags.append(_flag("yield_out_of_range",
                               {"fraction": fraction, "mass_g": mass, "gross_g": gross,
                                "min_pct": _text(low), "max_pct": _text(high)}, fraction))
    hours = int(tol["calibration_period_h"])
    overdue: dict[str, dict[str, Any]] = {}
    for index, ev in judged:
        scale, at = ev["data"].get("scale"), ev["time"]
        if (not scale or scale in overdue or ev["type"] == "unit.completed"
                or (ev["type"] == "component.removed" and ev["data"].get("mass_g") is None)):
            continue
        passes = [t for i, t in checks.get(scale, []) if i < index and t <= at]
        last = max(passes) if passes else None
        if last is None or _moment(at) - _moment(last) > timedelta(hours=hours):
            overdue[scale] = _flag("calibration_overdue",
                                   {"scale": scale, "hours": hours, "at": at,
                                    "last_pass": last or "none"}, scale)
    flags += list(overdue.values())
    events = [ev for _, ev in judged]
    missing = _unevidenced(events, cat)
    excuses = [ev["data"] for ev in events if ev["type"] == "evidence.excused"]
    if missing and excuses:
        flags.append(_flag("evidence_excused", {"label": label,
                                                "steps": ", ".join(missing),
                                                "reason": excuses[-1]["reason"],
                                                "approved_by": excuses[-1]["approved_by"]}))
    return flags


def _moment(at: str) -> datetime:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")


LOT_STEPS = {"lot.opened": ("new", "open"), "lot.sealed": ("open", "sealed"),
             "lot.shipped": ("sealed", "shipped"), "lot.received": ("shipped", "received")}


def _judge_lot(chain: list, lot: str, force: dict[str, Any],
               register: list | None = None) -> dict[str, Any]:
    cat = force["content"]
    effective = _effective(chain)[0]
    violations, state, seen, vouchers = [], "new", {}, []
    for index, ev in effective:
        if ev["type"] == "lot.voucher":
            try:
                _voucher_rule(ev["data"], lot, state, seen, vouchers)
            except _Broken as broken:
                violations.append({"entry": index, "rule": broken.rule,
                                   "params": broken.params})
            vouchers.append(ev["data"]["voucher_no"])
            continue
        if ev["type"] not in LOT_STEPS:
            continue
        try:
            _lot_rule(ev, lot, state, seen, cat)
            if ev["type"] == "lot.shipped" and "receiver_code" in ev["data"]:
                _shipment_rule(ev, lot, seen, register or [], index)
        except _Broken as broken:
            violations.append({"entry": index, "rule": broken.rule, "params": broken.params})
        state, seen[ev["type"]] = LOT_STEPS[ev["type"]][1], ev["data"]
    flags = []
    sealed, got = seen.get("lot.sealed"), seen.get("lot.received")
    tolerance = Decimal(cat["tolerances"]["receipt_pct"])
    if sealed and got and abs(got["received_g"] - sealed["net_g"]) * 100 > \
            tolerance * sealed["net_g"]:
        flags.append(_flag("receipt_weight", {"lot": lot, "received_g": got["received_g"],
                                              "net_g": sealed["net_g"],
                                              "tolerance_pct": _text(tolerance)}))
    return _judgement(force, flags, violations, effective)


def _lot_rule(ev: dict[str, Any], lot: str, state: str, seen: dict[str, Any],
              cat: dict[str, Any]) -> None:
    t, d = ev["type"], ev["data"]
    needs = LOT_STEPS[t][0]
    if state != needs:
        raise _Broken("lot_state", lot=lot, state=state, type=t, needs=needs)
    opened = seen.get("lot.opened") or {}
    if t == "lot.opened":
        if d["fraction"] not in cat["fractions"]:
            raise _Broken("unknown_fraction", fraction=d["fraction"],
                          known=", ".join(sorted(cat["fractions"])))
        expected = cat["fractions"][d["fraction"]]["hazardous"]
        if d["hazardous"] != expected:
            raise _Broken("lot_hazard_mismatch", lot=lot, fraction=d["fraction"],
                          expected=str(expected).lower())
    elif t == "lot.shipped" and opened.get("hazardous") and "receiver_code" not in d \
            and not d.get("receiver_licence"):
        raise _Broken("no_receiver_licence", lot=lot)
    elif t == "lot.received":
        shipped = seen.get("lot.shipped") or {}
        if d["manifest_no"] != shipped.get("manifest_no"):
            raise _Broken("wrong_manifest", manifest_no=d["manifest_no"], lot=lot,
                          shipped=shipped.get("manifest_no"))
        named = d.get("receiver_code") or d.get("receiver")
        shipped_to = shipped.get("receiver_code") or shipped.get("receiver")
        if named != shipped_to:
            raise _Broken("wrong_receiver", lot=lot, shipped=shipped_to, receiver=named)


def _shipment_rule(ev: dict[str, Any], lot: str, seen: dict[str, Any], register: list,
                   index: int) -> None:
    """docs/rules.md section 4: a shipment to a registered receiver, by its entry below the
    shipment: registered, licensed for the lot's fraction, valid at the shipment's time."""
    code = ev["data"]["receiver_code"]
    _, entry = _register_entry(register, code, index)
    if not entry:
        raise _Broken("receiver_not_registered", receiver=code, what="record the shipment")
    fraction = (seen.get("lot.opened") or {}).get("fraction")
    named = {"receiver": entry["legal_name"], "code": code, "licence": entry["licence_no"]}
    if fraction not in entry["fractions"]:
        raise _Broken("licence_not_covering", lot=lot, fraction=fraction,
                      covers=", ".join(entry["fractions"]), **named)
    if not entry["valid_from"] <= ev["time"] < entry["valid_until"]:
        raise _Broken("licence_not_valid", time=ev["time"], valid_from=entry["valid_from"],
                      valid_until=entry["valid_until"], **named)


def _voucher_rule(d: dict[str, Any], lot: str, state: str, seen: dict[str, Any],
                  earlier: list[str]) -> None:
    """docs/rules.md section 4: a voucher after the shipment, naming its receiver, once."""
    if state not in ("shipped", "received"):
        raise _Broken("voucher_not_shipped", lot=lot, state=state)
    shipped = seen.get("lot.shipped") or {}
    if d["counterparty"] != shipped.get("receiver_code"):
        raise _Broken("voucher_counterparty", voucher_no=d["voucher_no"],
                      counterparty=d["counterparty"], lot=lot,
                      receiver=shipped.get("receiver_code") or shipped.get("receiver"))
    if d["voucher_no"] in earlier:
        raise _Broken("voucher_recorded", voucher_no=d["voucher_no"], lot=lot)


def _judgement(force: dict[str, Any], flags: list, violations: list,
               effective: list) -> dict[str, Any]:
    """docs/rules.md section 5: the latest review of each raised flag, then the status."""
    reviews: dict[tuple[str, Any], dict[str, Any]] = {}
    for index, ev in effective:
        if ev["type"] == "flag.reviewed":
            d = ev["data"]
            reviews[(d["flag"], d.get("key"))] = {
                "entry": index, "flag": d["flag"], "key": d.get("key"),
                "resolution": d["resolution"], "reason": d["reason"],
                "approved_by": d["approved_by"], "time": ev["time"],
                "operator": ev["operator"]}
    raised = {(f["code"], f["key"]) for f in flags}
    kept = [r for key, r in reviews.items() if key in raised]
    open_flags = [f for f in flags if (f["code"], f["key"]) not in {(r["flag"], r["key"])
                                                                   for r in kept}]
    if violations or any(r["resolution"] == "exclude" for r in kept):
        status = "excluded"
    else:
        status = "flagged" if open_flags else "creditable"
    return {"catalogue": {k: force[k] for k in ("entry", "version", "sha256")},
            "flags": flags, "open_flags": open_flags, "violations": violations,
            "reviews": kept, "status": status}


DERIVE = {"unit": _derive_unit, "period": _derive_period, "lot": _derive_lot}
