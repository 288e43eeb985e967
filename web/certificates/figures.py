"""The certified figures the verify page shows beside its checks, to compare with the paper.

Read from the certificate's own statements (what the verifier proved against the entries), in
the visitor's language: names of categories and fractions from the catalogue (web.names), the
status from ledger/rules/codes.py, flags in words from ledger/rules/reasons.py.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from ledger.certificates.document import period_lines
from ledger.certificates.statements import unstated
from ledger.rules.codes import OPERATOR_ROLE_NAMES, STATUS_NAMES
from web.formatting import kg, localtime
from web.lots import state_name as lot_state_name
from web.names import code_name, flag_text, glossary_name, resolution_name, status_name

Figure = tuple[str, str]  # (what, value), both in the visitor's language


def certified(document: dict[str, Any]) -> list[Figure]:
    """The figures a reader compares with the printed certificate; [] for an unknown kind."""
    s = document.get("statements") or {}
    try:
        if document.get("kind") == "unit":
            rows = _unit(s)
        elif document.get("kind") == "lot":
            rows = _lot(s)
        elif document.get("kind") == "period":
            rows = _period(s)
        elif document.get("kind") == "fund_table":
            rows = _fund_table(s)
        else:
            return []
    except (KeyError, TypeError, AttributeError):
        return []  # statements of another shape: the statements check already says so
    return [(gettext("Plant"), str(document.get("origin", "—"))),
            *_identity(str(document.get("kind")), s), *rows]


def _identity(kind: str, s: dict[str, Any]) -> list[Figure]:
    """Who issued the certificate (the plant's legal identity) and, for a unit or a lot, the
    people who did the work, as the register names them."""
    if "plant_identity" in unstated(kind, s):
        return [(gettext("Plant identity"),
                 gettext("not stated: the certificate was issued before certificates stated "
                         "the plant's identity"))]
    found = s["plant_identity"]
    if found is None:
        return [(gettext("Plant identity"),
                 gettext("not recorded in the ledger when the certificate was issued"))]
    name = " / ".join(n for n in (found["legal_name"], found.get("legal_name_en")) if n)
    rows = [(gettext("Legal name"), name),
            (gettext("Unified social credit code"), found["uscc"]),
            (gettext("Dismantling licence"),
             gettext("%(number)s, valid %(start)s to %(end)s", number=found["licence_no"],
                     start=found["licence_valid_from"], end=found["licence_valid_until"]))]
    operators = s.get("operator_register") or {}
    if operators:
        rows.append((gettext("Operators"), "; ".join(
            f"{code} {_person(entry)}" for code, entry in operators.items())))
    return rows


def _person(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return gettext("(not in the register)")
    name = " / ".join(n for n in (entry["name"], entry.get("name_en")) if n)
    roles = ", ".join(glossary_name(OPERATOR_ROLE_NAMES, role) for role in entry["roles"])
    return f"{name} ({roles})" + (gettext(", retired") if entry.get("retired") else "")


def _status(judgement: dict[str, Any]) -> list[Figure]:
    status = judgement["status"]
    rows = [(gettext("Status"), status_name(status))]
    reviews = {(r["flag"], r.get("key")): r["resolution"] for r in judgement.get("reviews", [])}
    flags = []
    for flag in judgement.get("flags", []):
        review = reviews.get((flag["code"], flag.get("key")))
        flags.append(f"{flag_text(flag['code'], flag['params'])} ({resolution_name(review)})")
    rows.append((gettext("Flags"), "; ".join(flags) if flags else gettext("none")))
    return rows


def _co2e(grams: int | None, basis: str | None) -> str:
    """CO2e in tonnes, with its GWP basis."""
    if grams is None:
        return "—"
    return gettext("%(tonnes)s t CO2e (%(basis)s)", tonnes=f"{grams / 1_000_000:.3f}",
                   basis=basis or "—")


def _refrigerant(refrigerant: dict[str, Any]) -> list[Figure]:
    """Which gases were recovered, how much, their CO2e; or why there was none."""
    gases: dict[str, int] = {}
    for item in refrigerant.get("recovered", []):
        gases[item["refrigerant"]] = gases.get(item["refrigerant"], 0) + item["recovered_g"]
    if gases:
        said = ", ".join(f"{gas} {kg(grams)}" for gas, grams in gases.items())
        return [(gettext("Refrigerant recovered"), said),
                (gettext("CO2e recovered"), _co2e(refrigerant.get("co2e_g"),
                                                  refrigerant.get("gwp_basis")))]
    reasons = [code_name(a["reason"]) for a in refrigerant.get("absent", [])]
    return [(gettext("Refrigerant recovered"),
             gettext("none: %(reason)s", reason="; ".join(reasons)) if reasons
             else kg(refrigerant.get("recovered_g", 0)))]


def _unit(s: dict[str, Any]) -> list[Figure]:
    unit = s["unit"]
    return [(gettext("Unit"), f"{unit['label']} · {code_name(unit['category'])}"),
            (gettext("Intake weight"), kg(s["intake"]["gross_g"])),
            *_refrigerant(s["refrigerant"]),
            # as the unit's page says it: what left the unit on a scale, components included
            (gettext("Outputs weighed"),
             kg(s["balance"]["outputs_g"] + s["balance"]["components_g"])),
            (gettext("Completed"), localtime(s["completed"]["time"]) if s.get("completed")
             else gettext("in progress")),
            *_status(s["judgement"])]


def _lot(s: dict[str, Any]) -> list[Figure]:
    sealed, received = s.get("sealed"), s.get("received")
    return [(gettext("Lot"), f"{s['lot']} · {code_name(s['opened']['fraction'])}"),
            (gettext("State"), lot_state_name(s["state"])),
            (gettext("Outputs"), gettext("%(mass)s from %(units)d units",
                                         mass=kg(s["outputs_g"]), units=len(s["units"]))),
            (gettext("Sealed, net"), kg(sealed["net_g"]) if sealed else "—"),
            (gettext("Received weight"), kg(received["received_g"]) if received else "—"),
            *_status(s["judgement"])]


def _period(s: dict[str, Any]) -> list[Figure]:
    period, totals = s["period"], s["totals"]
    by_status = ", ".join(f"{status_name(status)} {totals[status]['units']}"
                          for status in STATUS_NAMES if status in totals)
    everything = totals["all"]
    chosen = s.get("categories")
    flagged = sum(len(line["flags"]) for line in period_lines(s))
    return [(gettext("Period"), f"{period['from']} — {period['to']} ({period['time_zone']})"),
            (gettext("Categories"), gettext("all categories") if chosen is None
             else ", ".join(code_name(c) for c in chosen)),
            (gettext("Units"), f"{everything['units']} ({by_status})"),
            (gettext("Intake weight"), kg(everything["gross_g"])),
            (gettext("Refrigerant recovered"), kg(everything["refrigerant_g"])),
            (gettext("CO2e recovered"), _co2e(everything.get("co2e_g"), s.get("gwp_basis"))),
            (gettext("Material outputs"), kg(everything["outputs_g"])),
            (gettext("Creditable intake weight"), kg(totals["creditable"]["gross_g"])),
            (gettext("Open flags"), str(flagged))]


def _fund_table(s: dict[str, Any]) -> list[Figure]:
    """The fund table's totals: stock, units received and dismantled, what the fund counts."""
    period, totals = s["period"], s["totals"]
    scope = totals["in_scope"]
    dismantled = ", ".join(f"{status_name(status)} {totals['dismantled'][status]}"
                           for status in STATUS_NAMES)
    paid = [f"{a['amount']} 元 ({a['version']})" for a in scope["amounts"]] + [
        gettext("%(volume)s standardised units (%(version)s)", volume=v["volume"],
                version=v["version"]) for v in scope["standardised"]]
    return [(gettext("Period"), f"{period['from']} — {period['to']} ({period['time_zone']})"),
            (gettext("Opening stock"), str(totals["opening"])),
            (gettext("Units received"), str(totals["received"])),
            (gettext("Units dismantled"), f"{totals['dismantled']['all']} ({dismantled})"),
            (gettext("Closing stock"), str(totals["closing"])),
            (gettext("Counted for the fund"), str(scope["counted"])),
            (gettext("Paid by the fund"), "; ".join(paid) if paid else "—"),
            (gettext("Lots shipped"), str(len(s["destinations"])))]
