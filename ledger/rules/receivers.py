"""Receivers and vouchers: the register of downstream receivers (receiver:<unified social
credit code>), a shipment only to a registered receiver whose licence covers the lot's
fraction and is valid when it leaves, and a lot's sales and disposal vouchers, whose
counterparty is the receiver the lot went to.

A shipment written before the register (its receiver a free-text name) is judged, in a
record, by the rule of its time (a hazardous lot names a licence, lots.py); at append it is
refused once the plant has registered any receiver (docs/rules.md section 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ledger.catalogue import Catalogue
from ledger.corrections import Pair, fold
from ledger.rules import reasons
from ledger.rules.facts import Event, LotFacts, ReceiverFacts
from ledger.rules.lots import fraction_of, receiver_of
from ledger.rules.reasons import Refusal

# A receiver's register events as a judge knows them (None: not known to this judge).
Lookup = Callable[[str], ReceiverFacts | None]
REGISTER_TYPES = ("receiver.registered", "receiver.updated")


def check_register(event: Event, facts: ReceiverFacts, catalogue: Catalogue) -> None:
    """A registration is the receiver's first; an update follows one; the fractions its
    licence covers are the catalogue's."""
    entry = facts.entry
    if event["type"] == "receiver.registered" and entry is not None:
        raise Refusal(reasons.RECEIVER_REGISTERED, code=facts.code,
                      legal_name=entry["legal_name"])
    if event["type"] == "receiver.updated" and entry is None:
        raise Refusal(reasons.RECEIVER_NOT_REGISTERED, receiver=facts.code,
                      what="record its changes")
    for fraction in event["data"]["fractions"]:
        fraction_of(fraction, catalogue)


def check_shipment(event: Event, lot: LotFacts, receiver: Lookup,
                   register_in_use: bool | None) -> None:
    """A shipment names a registered receiver whose licence covers the lot's fraction and
    is valid at the shipment's time. `register_in_use` False (no receiver registered in the
    log yet) lets a free-text name through, as before the register; None: not known here."""
    data = event["data"]
    code = data.get("receiver_code")
    if code is None:
        if register_in_use:
            raise Refusal(reasons.RECEIVER_NOT_REGISTERED, receiver=data["receiver"],
                          what="record the shipment")
        return
    facts = receiver(code)
    if facts is None:
        return  # not known to this judge
    entry = facts.entry
    if entry is None:
        raise Refusal(reasons.RECEIVER_NOT_REGISTERED, receiver=code,
                      what="record the shipment")
    fraction = (lot.opened or {}).get("fraction")
    named = {"receiver": entry["legal_name"], "code": code, "licence": entry["licence_no"]}
    if fraction not in entry["fractions"]:
        raise Refusal(reasons.LICENCE_NOT_COVERING, lot=lot.lot, fraction=fraction,
                      covers=", ".join(entry["fractions"]), **named)
    if not entry["valid_from"] <= event["time"] < entry["valid_until"]:
        raise Refusal(reasons.LICENCE_NOT_VALID, time=event["time"],
                      valid_from=entry["valid_from"], valid_until=entry["valid_until"], **named)


def check_voucher(data: dict[str, Any], lot: LotFacts) -> None:
    """A voucher follows the lot's shipment, names the receiver it was shipped to, and is
    recorded once."""
    if lot.state not in ("shipped", "received"):
        raise Refusal(reasons.VOUCHER_NOT_SHIPPED, lot=lot.lot, state=lot.state)
    shipped = lot.data_of("lot.shipped") or {}
    if data["counterparty"] != shipped.get("receiver_code"):
        raise Refusal(reasons.VOUCHER_COUNTERPARTY, voucher_no=data["voucher_no"],
                      counterparty=data["counterparty"], lot=lot.lot,
                      receiver=receiver_of(shipped))
    if any(e["type"] == "lot.voucher" and e["data"]["voucher_no"] == data["voucher_no"]
           for e in lot.events):
        raise Refusal(reasons.VOUCHER_RECORDED, voucher_no=data["voucher_no"], lot=lot.lot)


ENTRY_FIELDS = ("legal_name", "licence_no", "fractions", "hw_codes", "valid_from",
                "valid_until", "address")


class Register:
    """The receivers' chains among a certificate's entries (or any entries): what a lot's
    record is judged by (judge.RegisterAt) and what its statements show of each receiver."""

    def __init__(self, pairs: Iterable[Pair]):
        self.chains: dict[str, list[Pair]] = {}
        for index, event in pairs:
            if event["subject"].startswith("receiver:"):
                self.chains.setdefault(event["subject"][len("receiver:"):], []).append(
                    (index, event))

    def at(self, code: str, below: int) -> ReceiverFacts:
        """The receiver's register events logged below entry `below`."""
        return ReceiverFacts.of(code, [(i, e) for i, e in self.chains.get(code, [])
                                       if i < below])

    def record(self, code: str, below: int) -> dict[str, Any]:
        """The register entry in force below entry `below`, as statements state it: the
        code, the entry that stated it (None: not registered then) and its fields."""
        found = [(i, e) for i, e in fold(
            [(i, e) for i, e in self.chains.get(code, []) if i < below])[0]
            if e["type"] in REGISTER_TYPES]
        data = found[-1][1]["data"] if found else {}
        return {"code": code, "entry": found[-1][0] if found else None,
                **{name: data.get(name) for name in ENTRY_FIELDS}}


def named_receivers(chain: Iterable[Pair]) -> list[tuple[str, int]]:
    """(code, entry) of each receiver a lot's chain names by its code (its shipment's
    receiver, its vouchers' counterparties), at the first entry naming it, in that order."""
    first: dict[str, int] = {}
    for index, event in chain:
        data = event["data"]
        code = data.get("receiver_code") if event["type"] == "lot.shipped" else \
            data.get("counterparty") if event["type"] == "lot.voucher" else None
        if code is not None:
            first.setdefault(code, index)
    return list(first.items())
