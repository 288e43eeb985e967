"""`dledger plant` and `dledger operator`: the plant's identity and its operators register
from the command line, as the console's Plant page records them (PLANT events judged by the
ledger's rules, ledger/rules/identity.py). Output on stdout is JSON; refusals exit 2."""

from __future__ import annotations

import json
import uuid
from typing import Any

import click

from ledger.cli import _instance, fail
from ledger.events import PLANT_STATION, EventError, parse_event, utc_now_ms
from ledger.log import LedgerError, Submission
from ledger.register import IDENTITY_SUBJECT, OPERATOR_PREFIX, identity_record, operator_record
from ledger.rules.codes import OPERATOR_ROLES


def _append(etype: str, subject: str, data: dict[str, Any], operator: str) -> None:
    try:
        event = parse_event({"id": str(uuid.uuid4()), "type": etype, "time": utc_now_ms(),
                             "station": PLANT_STATION, "operator": operator,
                             "subject": subject, "data": data})
        appended = _instance().ledger().append([Submission(event)])[0]
    except (EventError, LedgerError) as exc:
        fail(str(exc))
    click.echo(json.dumps({"index": appended.index, "leaf_hash": appended.leaf_hash.hex()}))


@click.group("plant")
def plant_group() -> None:
    """The plant's legal identity, which every certificate states (plant.identified)."""


@plant_group.command("show")
def plant_show() -> None:
    """Print the identity in force (JSON; null when none is recorded)."""
    ledger = _instance().ledger()
    click.echo(json.dumps(identity_record(ledger.subject_entries(IDENTITY_SUBJECT)),
                          ensure_ascii=False, indent=1))


@plant_group.command("identify")
@click.option("--legal-name", required=True, help="企业名称, as on the business licence.")
@click.option("--legal-name-en", help="The name in English, if the plant has one.")
@click.option("--address", required=True)
@click.option("--uscc", required=True, help="统一社会信用代码 (18 characters).")
@click.option("--licence-no", required=True, help="处理资格证书编号.")
@click.option("--licence-issuer", help="Who issued the licence.")
@click.option("--valid-from", required=True, help="The licence's first day, YYYY-MM-DD.")
@click.option("--valid-until", required=True, help="Its last day, YYYY-MM-DD.")
@click.option("--approved-by", required=True, help="Who approved the record.")
@click.option("--operator", required=True, help="Who records it.")
def plant_identify(legal_name: str, legal_name_en: str | None, address: str, uscc: str,
                   licence_no: str, licence_issuer: str | None, valid_from: str,
                   valid_until: str, approved_by: str, operator: str) -> None:
    """Record the plant's identity; it replaces the one in force from the next entry on."""
    data = {"legal_name": legal_name, "legal_name_en": legal_name_en, "address": address,
            "uscc": uscc, "licence_no": licence_no, "licence_issuer": licence_issuer,
            "licence_valid_from": valid_from, "licence_valid_until": valid_until,
            "approved_by": approved_by}
    _append("plant.identified", IDENTITY_SUBJECT,
            {k: v for k, v in data.items() if v is not None}, operator)


@click.group("operator")
def operator_group() -> None:
    """The operators register: the named people behind the operator codes events carry."""


@operator_group.command("list")
def operator_list() -> None:
    """Print every registered operator code with its entry (JSON object)."""
    ledger = _instance().ledger()
    chains: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, subject, body in ledger.prefix_bodies(OPERATOR_PREFIX):
        chains.setdefault(subject[len(OPERATOR_PREFIX):], []).append(
            (index, json.loads(body)["event"]))
    click.echo(json.dumps({code: operator_record(chain) for code, chain in sorted(
        chains.items())}, ensure_ascii=False, indent=1))


@operator_group.command("register")
@click.argument("code")
@click.option("--name", required=True, help="The person's name.")
@click.option("--name-en", help="The name in Latin letters.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(OPERATOR_ROLES), help="A role (repeat for several).")
@click.option("--qualification", "qualifications", multiple=True, nargs=3,
              metavar="TITLE NUMBER VALID_UNTIL",
              help="A certificate the person holds ('-' for no end date); repeat for several.")
@click.option("--approved-by", required=True)
@click.option("--operator", required=True, help="Who records it.")
def operator_register(code: str, name: str, name_en: str | None, roles: tuple[str, ...],
                      qualifications: tuple[tuple[str, str, str], ...], approved_by: str,
                      operator: str) -> None:
    """Register CODE as a named person (it replaces an earlier entry of CODE)."""
    data: dict[str, Any] = {"name": name, "roles": list(roles), "approved_by": approved_by,
                            "qualifications": [
                                {"title": title, "number": number,
                                 **({} if until == "-" else {"valid_until": until})}
                                for title, number, until in qualifications]}
    if name_en:
        data["name_en"] = name_en
    _append("operator.registered", OPERATOR_PREFIX + code, data, operator)


@operator_group.command("retire")
@click.argument("code")
@click.option("--reason", required=True)
@click.option("--approved-by", required=True)
@click.option("--operator", required=True, help="Who records it.")
def operator_retire(code: str, reason: str, approved_by: str, operator: str) -> None:
    """Retire CODE from the register (its entries stay, certificates say it retired)."""
    _append("operator.retired", OPERATOR_PREFIX + code,
            {"reason": reason, "approved_by": approved_by}, operator)


COMMANDS = [plant_group, operator_group]
