"""Desktop sets: a desktop host and its monitor, each naming the other (unit.received
`set_with`), are one set, which the fund counts once (ledger/fund/tables.toml: the host 1, the
monitor 0). So a set must be real: claimed at intake by a host or a monitor, never with itself,
never with a unit already in another set, and named both ways before either half is
completed.

What the unit's own record shows (the set named, the unit's own computer type) and the
completion (the partner's intake, below the completing entry, names this unit back) are judged
on every record; the checks at intake against other units (the partner's type, a unit already
set with a third one) need every unit's intake, which only the ledger holds: `check_claims`
runs at append alone.
"""

from __future__ import annotations

from typing import Any

from ledger.catalogue import Catalogue
from ledger.rules import reasons
from ledger.rules.codes import SET_HALVES
from ledger.rules.facts import UnitFacts, World
from ledger.rules.reasons import Refusal


def kind_of(received: dict[str, Any], catalogue: Catalogue) -> str | None:
    """A unit's computer type: its intake's pc_type, else the one the fund's tables say its
    category implies (a monitor category is a monitor); None when neither says."""
    given: str | None = received.get("pc_type")
    if given is not None:
        return given
    product = catalogue.fund.products.get(received["category"]) if catalogue.fund else None
    return product.implies.get("pc_type") if product else None


def check_intake(data: dict[str, Any], label: str, catalogue: Catalogue) -> None:
    """A `unit.received` naming a set: not itself, and by a desktop host or a monitor."""
    partner = data.get("set_with")
    if partner is None:
        return
    if partner == label:
        raise Refusal(reasons.SET_WITH_SELF, label=label)
    kind = kind_of(data, catalogue)
    if kind not in SET_HALVES:
        raise Refusal(reasons.NOT_A_SET, label=label, category=data["category"],
                      kind=kind or "none")


def check_claims(data: dict[str, Any], label: str, world: World, catalogue: Catalogue) -> None:
    """At append, against the other units' intakes: a partner already received is the other
    half (a host for a monitor) and names no third unit; no other unit names the partner, nor
    this unit (two hosts never claim one monitor). A judge that does not know a unit's intake
    (the station's world for the claims) leaves it to the ledger."""
    partner = data.get("set_with")
    if partner is None:
        return
    found = world.partner(partner)
    received = found.received if found is not None else None
    if received is not None:
        _check_kind(label, kind_of(data, catalogue), partner, received, catalogue)
        named = received.get("set_with")
        if named not in (None, label):
            raise Refusal(reasons.SET_PARTNER_TAKEN, held=partner, other=named, label=label,
                          partner=partner)
    for held, mate in ((partner, label), (label, partner)):
        others = [other for other in world.set_claims(held) or () if other != mate]
        if others:
            raise Refusal(reasons.SET_PARTNER_TAKEN, held=held, other=others[0], label=label,
                          partner=partner)


def check_completion(facts: UnitFacts, world: World, catalogue: Catalogue) -> None:
    """A `unit.completed` of a unit in a set: an effective intake of the partner (as `world`
    holds it at this entry) names this unit back, and is the other half."""
    received = facts.received or {}
    partner = received.get("set_with")
    if partner is None:
        return
    found = world.partner(partner)
    if found is None:
        return  # not known to this judge: the ledger judges it when the event arrives
    intake = next((d for d in found.data_of("unit.received")
                   if d.get("set_with") == facts.label), None)
    if intake is None:
        raise Refusal(reasons.SET_NOT_PAIRED, label=facts.label, partner=partner)
    _check_kind(facts.label, kind_of(received, catalogue), partner, intake, catalogue)


def _check_kind(label: str, kind: str | None, partner: str, other: dict[str, Any],
                catalogue: Catalogue) -> None:
    """`other` (the partner's intake) is the other half of a unit of computer type `kind`
    (a unit of no set type breaks `not_a_set` at its own intake: not judged again here). A
    partner of no computer type is named by its category."""
    needs = SET_HALVES.get(kind or "")
    partner_kind = kind_of(other, catalogue)
    if needs is not None and partner_kind != needs:
        raise Refusal(reasons.SET_KIND, label=label, kind=kind, needs=needs, partner=partner,
                      partner_kind=partner_kind or other["category"])
