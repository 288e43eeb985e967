"""An independent certificate verifier, written only from docs/certificates.md and the specs.

It imports nothing from the project: the standard library, `cryptography` (through
spec_verifier, the independent verifier of the C2SP / RFC 9162 formats in this folder) and
nothing else. Statements are derived again here from the document's section 3, separately from
ledger/certificates/statements.py, so the two implementations check each other.

`verify_certificate(data, vkeys)` returns the certificate's SHA-256 or raises
`VerificationError` saying what failed. It checks format, checkpoint signature, every
inclusion proof, the subject chains, the statements, and issuance (docs section 4, checks
1-6; the saved checkpoint and revocation need the console and are not done here).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from spec_verifier import (
    VerificationError,
    leaf_hash,
    parse_checkpoint,
    parse_tlog_proof,
    verify_consistency,
    verify_inclusion,
    verify_note,
)

FORMAT = "dledger-certificate/v1"
MEMBERS = {"format", "kind", "origin", "issued_at", "statements", "checkpoint", "entries"}
# GWP-100 factors as docs/certificates.md section 3 names them (IPCC AR4 / AR5; 3 by
# convention for hydrocarbons), for the gases the tests use.
GWP = {"AR4": {"R-12": "10900", "R-22": "1810", "R-134a": "1430", "R-410A": "2088",
               "R-32": "675", "R-600a": "3", "R-290": "3", "cyclopentane": "3"},
       "AR5": {"R-12": "10200", "R-22": "1760", "R-134a": "1300", "R-410A": "1923.5",
               "R-32": "677", "R-600a": "3", "R-290": "3", "cyclopentane": "3"}}
CONVENTIONAL = {"R-600a", "R-290", "cyclopentane"}


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


def verify_certificate(data: bytes, vkeys: list[str]) -> str:
    doc = json.loads(data, parse_float=_no_float)
    if not isinstance(doc, dict) or not MEMBERS <= set(doc) <= MEMBERS | {"issuance"}:
        raise VerificationError("not a certificate's members")
    if doc["format"] != FORMAT or doc["kind"] not in ("unit", "period", "lot"):
        raise VerificationError(f"format {doc['format']!r}, kind {doc['kind']!r}")
    digest = hashlib.sha256(jcs({k: v for k, v in doc.items() if k != "issuance"})).hexdigest()
    note = doc["checkpoint"]
    checkpoint = parse_checkpoint(verify_note(note, vkeys))
    if checkpoint.origin != doc["origin"]:
        raise VerificationError("origin differs from the checkpoint's")
    indexes = [item["index"] for item in doc["entries"]]
    if not indexes or indexes != sorted(set(indexes)):
        raise VerificationError("entries not by strictly increasing index")
    entries = [_open_entry(item, note, vkeys) for item in doc["entries"]]
    _check_chains(doc, entries)
    derived = DERIVE[doc["kind"]](doc, [(e["index"], e["event"]) for e in entries])
    if derived != doc["statements"]:
        raise VerificationError(f"statements differ: {_difference(doc['statements'], derived)}")
    _check_issuance(doc, digest, checkpoint, vkeys)
    return digest


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
    for entry in entries:
        subject = entry["event"]["subject"]
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
            st["completed"] = {"note": d.get("note"), "flags": d.get("flags"),
                               **_who(index, ev)}
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
    st["stations"] = sorted({ev["station"] for _, ev in effective})
    st["operators"] = sorted({ev["operator"] for _, ev in effective})
    st["corrections"] = corrections
    st["entries"] = sorted(i for i, _ in chain)
    return st


def _derive_unit(doc: dict[str, Any], pairs: list) -> dict[str, Any]:
    st = doc["statements"]
    basis = st["refrigerant"]["gwp_basis"]
    return _unit(st["unit"]["label"], pairs, basis, st["refrigerant"]["gwp_source"])


def _sum_by(items: list[dict[str, Any]], key: str, value: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item[key]] = out.get(item[key], 0) + value(item)
    return dict(sorted(out.items()))


def _derive_period(doc: dict[str, Any], pairs: list) -> dict[str, Any]:
    st = doc["statements"]
    period = st["period"]
    zone = ZoneInfo(period["time_zone"])

    def utc(day: date) -> str:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(
            ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    first, last = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    bounds = {"from": period["from"], "to": period["to"], "time_zone": period["time_zone"],
              "from_utc": utc(first), "until_utc": utc(last + timedelta(days=1))}
    labels = sorted({ev["subject"][5:] for _, ev in pairs if ev["subject"].startswith("unit:")})
    lines = []
    for label in labels:
        u = _unit(label, pairs, st["gwp_basis"], st["gwp_source"])
        done = u["completed"]
        if done is None or not bounds["from_utc"] <= done["time"] < bounds["until_utc"]:
            continue
        if st["categories"] is not None and u["unit"]["category"] not in st["categories"]:
            continue
        lines.append({
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
            "flags": sorted(f["code"] for f in done["flags"] or []),
            "entries": u["entries"]})
    lines.sort(key=lambda line: (line["completed_at"], line["label"]))
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
    return {"plant": doc["origin"], "period": bounds, "categories": st["categories"],
            "gwp_basis": st["gwp_basis"], "gwp_source": st["gwp_source"], "lines": lines,
            "totals": totals}


def _derive_lot(doc: dict[str, Any], pairs: list) -> dict[str, Any]:
    lot = doc["statements"]["lot"]
    effective, corrections = _effective(pairs)
    st: dict[str, Any] = {"lot": lot, "opened": None, "sealed": None, "shipped": None,
                          "received": None, "outputs": []}
    fields = {"lot.opened": ("opened", ("fraction", "hazardous", "container")),
              "lot.sealed": ("sealed", ("net_g", "scale")),
              "lot.shipped": ("shipped", ("receiver", "manifest_no", "receiver_licence",
                                          "vehicle")),
              "lot.received": ("received", ("receiver", "manifest_no", "received_g"))}
    for index, ev in effective:
        d = ev["data"]
        if ev["subject"] == "lot:" + lot and ev["type"] in fields:
            name, keys = fields[ev["type"]]
            st[name] = {**{k: d.get(k) for k in keys}, **_who(index, ev)}
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
    st["entries"] = sorted(i for i, _ in pairs)
    return st


DERIVE = {"unit": _derive_unit, "period": _derive_period, "lot": _derive_lot}
