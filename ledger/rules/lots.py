"""Lots: the state machine, what a lot takes (its fraction; hazardous fractions only into a
hazardous lot), and shipping and receipt of hazardous lots."""

from __future__ import annotations

from typing import Any

from ledger.catalogue import Catalogue
from ledger.rules import reasons
from ledger.rules.facts import LOT_TRANSITIONS, LotFacts
from ledger.rules.reasons import Refusal


def fraction_of(code: str, catalogue: Catalogue) -> None:
    if code not in catalogue.fractions:
        raise Refusal(reasons.UNKNOWN_FRACTION, fraction=code,
                      known=", ".join(sorted(catalogue.fractions)))


def check_transition(etype: str, lot: LotFacts) -> None:
    needs = LOT_TRANSITIONS[etype][0]
    if lot.state != needs:
        raise Refusal(reasons.LOT_STATE, lot=lot.lot, state=lot.state, type=etype, needs=needs)


def check_takes(lot: LotFacts, fraction: str, catalogue: Catalogue) -> None:
    """The lot is open, holds `fraction`, and is hazardous if the fraction is."""
    check_transition("lot.sealed", lot)  # only an open lot takes anything
    opened = lot.opened or {}
    if opened.get("fraction") != fraction:
        raise Refusal(reasons.WRONG_LOT, lot=lot.lot, lot_fraction=opened.get("fraction"),
                      fraction=fraction)
    if catalogue.fractions[fraction].hazardous and not opened.get("hazardous"):
        raise Refusal(reasons.HAZARDOUS_LOT, fraction=fraction, lot=lot.lot)


def check_lot_event(etype: str, data: dict[str, Any], lot: LotFacts,
                    catalogue: Catalogue) -> None:
    check_transition(etype, lot)
    opened = lot.opened or {}
    if etype == "lot.opened":
        fraction_of(data["fraction"], catalogue)
        expected = catalogue.fractions[data["fraction"]].hazardous
        if data["hazardous"] != expected:
            raise Refusal(reasons.LOT_HAZARD_MISMATCH, lot=lot.lot, fraction=data["fraction"],
                          expected=str(expected).lower())
    elif etype == "lot.shipped":
        # before the register (a free-text receiver): the licence named on the shipment
        if opened.get("hazardous") and data.get("receiver_code") is None \
                and not data.get("receiver_licence"):
            raise Refusal(reasons.NO_LICENCE, lot=lot.lot)
    elif etype == "lot.received":
        shipped = lot.data_of("lot.shipped") or {}
        if data["manifest_no"] != shipped.get("manifest_no"):
            raise Refusal(reasons.WRONG_MANIFEST, manifest_no=data["manifest_no"], lot=lot.lot,
                          shipped=shipped.get("manifest_no"))
        named, shipped_to = receiver_of(data), receiver_of(shipped)
        if named != shipped_to:
            raise Refusal(reasons.WRONG_RECEIVER, lot=lot.lot, shipped=shipped_to,
                          receiver=named)


def receiver_of(data: dict[str, Any]) -> str | None:
    """Whom a lot.shipped or lot.received names: the register's code, or the free-text name
    of an entry written before the register."""
    found: str | None = data.get("receiver_code") or data.get("receiver")
    return found
