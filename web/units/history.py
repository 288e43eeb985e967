"""A subject's timeline (a unit's or a lot's entries) and in-page inclusion proofs.

The timeline is read with `Ledger.subject_bodies` (the ledger's one query for "the entries of
subject X", one range of its (subject, idx) index however long the log is), as the exact
entry bytes: what the page shows of each entry (the event, when it was logged, its
subject_prev link, the station's signature) is parsed from them, and its leaf hash is
`ledger.merkle.leaf_hash` of them, never taken from the projections, so an inspector can
compare the screen with `dledger entry N` word for word.

Corrections are entries too: each corrected entry is shown with the values it was corrected
to (or as voided), as `ledger.corrections.fold` folds them (the latest correction of an entry
wins), with the reason and who approved it, and the correction links back to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext, lazy_gettext

from ledger.corrections import fold
from ledger.fund.nameplate import FIELDS as NAMEPLATE
from ledger.keys import KeyFileError
from ledger.log import LedgerError
from ledger.merkle import leaf_hash
from ledger.proof import InclusionProof
from ledger.rules import codes
from web.context import console, ledger
from web.formatting import kg
from web.names import code_name, flag_title, glossary_name, resolution_name

# The fields of an event's data shown in the timeline, in this order, and their names.
FIELD_NAMES = {
    "category": lazy_gettext("Category"),
    "source": lazy_gettext("Source"),
    "trade_in_code": lazy_gettext("Trade-in code"),
    "brand": lazy_gettext("Brand"),
    "model": lazy_gettext("Model"),
    "serial": lazy_gettext("Serial number"),
    "gross_g": lazy_gettext("Gross weight"),
    "nameplate_refrigerant": lazy_gettext("Nameplate refrigerant"),
    "nameplate_charge_g": lazy_gettext("Nameplate charge"),
    "refrigerant": lazy_gettext("Refrigerant"),
    "recovered_g": lazy_gettext("Recovered"),
    "cylinder": lazy_gettext("Cylinder"),
    "cylinder_gross_before_g": lazy_gettext("Cylinder before"),
    "cylinder_gross_after_g": lazy_gettext("Cylinder after"),
    "reason": lazy_gettext("Reason"),
    "note": lazy_gettext("Note"),
    "component": lazy_gettext("Component"),
    "fraction": lazy_gettext("Fraction"),
    "count": lazy_gettext("Count"),
    "mass_g": lazy_gettext("Mass"),
    "lot": lazy_gettext("Lot"),
    "scale": lazy_gettext("Scale"),
    "hazardous": lazy_gettext("Hazardous"),
    "container": lazy_gettext("Container"),
    "net_g": lazy_gettext("Net weight"),
    "receiver": lazy_gettext("Receiver"),
    "receiver_licence": lazy_gettext("Receiver's licence"),
    "manifest_no": lazy_gettext("Transfer manifest number"),
    "vehicle": lazy_gettext("Vehicle"),
    "received_g": lazy_gettext("Received weight"),
    "kind": lazy_gettext("Kind"),  # a certificate's, or a voucher's
    "sha256": lazy_gettext("SHA-256"),
    "approved_by": lazy_gettext("Approved by"),
    "flag": lazy_gettext("Flag"),
    "key": lazy_gettext("About"),
    "resolution": lazy_gettext("Resolution"),
    "flags": lazy_gettext("Flags declared"),
    # shipments to a registered receiver, vouchers, the register of receivers
    "receiver_code": lazy_gettext("Receiver's credit code"),
    "voucher_no": lazy_gettext("Voucher or invoice number"),
    "counterparty": lazy_gettext("Counterparty"),
    "quantity_g": lazy_gettext("Quantity"),
    "price_per_t": lazy_gettext("Price per tonne"),
    "amount": lazy_gettext("Amount"),
    "currency": lazy_gettext("Currency"),
    "legal_name": lazy_gettext("Legal name"),
    "licence_no": lazy_gettext("Licence number"),
    "fractions": lazy_gettext("Fractions the licence covers"),
    "hw_codes": lazy_gettext("Hazardous-waste codes"),
    "valid_from": lazy_gettext("Licence valid from"),
    "valid_until": lazy_gettext("Licence valid until"),
    "address": lazy_gettext("Address"),
}
# Correction fields, shown as the correction itself rather than as details.
_SKIP = {"corrects", "set", "void"}
# Fields holding a code of the catalogue or the glossary (a reason may also be free text: a
# code's name, or the text as written).
_CODES = {"category", "fraction", "component", "source", "reason", "key", "fractions"}


@dataclass
class Detail:
    name: str
    value: str
    corrected: str | None = None  # the value a correction set, shown beside the original
    is_mass: bool = False


@dataclass
class TimelineEntry:
    index: int
    type: str
    type_name: str
    time: str  # the event's time (UTC text); shown in the plant's zone
    logged: str
    station: str
    operator: str
    subject_prev: int | None
    details: list[Detail]
    station_sig: str | None  # the station's signature (base64), None for PLANT entries
    leaf_hash: str  # hex, of the entry's exact bytes
    corrected_by: list[TimelineEntry] = field(default_factory=list)
    voided: bool = False
    corrects: int | None = None  # for a correction: the entry it corrects
    correction_reason: str | None = None
    correction_approver: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def field_name(key: str) -> str:
    """An event data field's name in the request's language (the nameplate facts the fund
    needs are named by the glossary, the rest here)."""
    if key in NAMEPLATE:
        return glossary_name(codes.NAMEPLATE_FIELD_NAMES, key)
    return str(FIELD_NAMES.get(key, key))


def type_name(etype: str) -> str:
    """What an entry of type `etype` records, in the request's language."""
    return glossary_name(codes.EVENT_TYPE_NAMES, etype)


def show_value(key: str, value: Any) -> tuple[str, bool]:
    """How one data field reads on screen, and whether it is a mass: codes by their names,
    lists and objects in words (never a Python repr)."""
    if key.endswith("_g") and isinstance(value, int) and not isinstance(value, bool):
        return kg(value), True
    if isinstance(value, bool):
        return (gettext("yes") if value else gettext("no")), False
    if value is None:
        return "—", False
    if key == "flag" and isinstance(value, str):
        return flag_title(value), False
    if key == "resolution" and isinstance(value, str):
        return resolution_name(value), False
    if key == "kind" and isinstance(value, str):
        names = codes.VOUCHER_KIND_NAMES if value in codes.VOUCHER_KIND_NAMES else \
            codes.CERTIFICATE_KIND_NAMES
        return glossary_name(names, value), False
    if key in _CODES and isinstance(value, str):
        return code_name(value), False
    if key in NAMEPLATE and NAMEPLATE[key].kind == "choice" and isinstance(value, str):
        return glossary_name(NAMEPLATE[key].choice_names, value), False
    if isinstance(value, list):
        if not value:
            return gettext("none"), False
        return "; ".join(_item(key, v) for v in value), False
    if isinstance(value, dict):
        return "; ".join(f"{field_name(k)}: {show_value(k, v)[0]}"
                         for k, v in value.items()), False
    return str(value), False


def _item(key: str, value: Any) -> str:
    """One item of a list field: a declared flag by its title, else as its own value."""
    if key == "flags":
        code = value.get("code") if isinstance(value, dict) else value
        return flag_title(code) if isinstance(code, str) else show_value(key, value)[0]
    return show_value(key, value)[0]


def timeline(subject: str) -> list[TimelineEntry]:
    """The subject's entries with their leaf hashes, corrections attached to what they fix."""
    raw = [(idx, body, json.loads(body)) for idx, body in ledger().subject_bodies([subject])]
    _effective, corrections = fold([(idx, entry["event"]) for idx, _, entry in raw])
    latest = {record["corrects"]: record for record in corrections}  # fold: the latest wins
    result: list[TimelineEntry] = []
    by_index: dict[int, TimelineEntry] = {}
    for idx, body, entry in raw:
        event = entry["event"]
        data = event["data"]
        fix = latest.get(idx)
        corrected: dict[str, Any] = (fix.get("set") or {}) if fix else {}
        details = []
        named = [*FIELD_NAMES, *NAMEPLATE]
        for key in [*named, *sorted(set(data) - set(named))]:
            if key not in data or key in _SKIP:
                continue
            value, is_mass = show_value(key, data[key])
            fixed = show_value(key, corrected[key])[0] if key in corrected else None
            details.append(Detail(field_name(key), value, fixed, is_mass))
        item = TimelineEntry(
            index=idx, type=event["type"],
            type_name=type_name(event["type"]),
            time=event["time"], logged=entry["logged"], station=event["station"],
            operator=event["operator"], subject_prev=entry["subject_prev"], details=details,
            station_sig=entry.get("station_sig"), leaf_hash=leaf_hash(body).hex(),
            voided=bool(fix and fix["void"]), data=data)
        if event["type"] == "correction":
            item.corrects = data["corrects"]
            item.correction_reason = data["reason"]
            item.correction_approver = data["approved_by"]
            item.details = []
            for key, value in sorted((data.get("set") or {}).items()):
                shown, is_mass = show_value(key, value)
                item.details.append(Detail(field_name(key), shown, None, is_mass))
            if target := by_index.get(data["corrects"]):
                target.corrected_by.append(item)
        by_index[idx] = item
        result.append(item)
    return result


@dataclass(frozen=True)
class ProofView:
    index: int
    text: str | None
    size: int | None
    error: str | None


def inclusion_proof(index: int) -> ProofView:
    """The tlog-proof@v1 text for entry `index` against the latest signed checkpoint (signing
    one if the log grew), as `dledger proof inclusion` and the API give it."""
    try:
        signed = ledger().checkpoint(console().instance.signer())
        hashes = ledger().inclusion_hashes(index, signed.checkpoint.size)
    except (LedgerError, KeyFileError) as exc:
        return ProofView(index, None, None, str(exc))
    text = InclusionProof(index, tuple(hashes), signed.note).text()
    return ProofView(index, text, signed.checkpoint.size, None)


def indexes_of(entries: Sequence[TimelineEntry]) -> set[int]:
    return {entry.index for entry in entries}
