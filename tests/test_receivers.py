"""The register of receivers and vouchers as events (issue 16): a receiver's unified social
credit code is checked (GB 32100-2015), a register entry's dates and lists are sound, a
shipment names its receiver one way, and a voucher's amount is its price × quantity."""

from __future__ import annotations

from typing import Any

import pytest
from factories import event_obj

from ledger import uscc
from ledger.events import EventError, parse_event, voucher_amount

CODE = "91330106MA27RC0M75"
ENTRY = {"legal_name": "Sample Ltd.", "licence_no": "ZJ-1", "fractions": ["plastics"],
         "valid_from": "2024-12-31T16:00:00.000Z", "valid_until": "2030-12-31T16:00:00.000Z",
         "address": "1 Sample Road"}
VOUCHER = {"kind": "sale", "voucher_no": "INV-1", "counterparty": CODE, "quantity_g": 31_400,
           "price_per_t": "2650.5", "amount": "83.23", "currency": "CNY"}


def _parse(etype: str, subject: str, data: dict[str, Any]) -> None:
    parse_event(event_obj(etype, subject, data))


def test_a_published_credit_code_passes_and_one_character_off_fails() -> None:
    assert uscc.problem("91350100M000100Y43") is None  # GB 32100-2015's worked example
    assert uscc.problem(CODE) is None
    wrong = uscc.problem("91350100M000100Y44")
    assert wrong is not None and "'3'" in wrong and "'4'" in wrong
    assert "18" in (uscc.problem("9135010M000100Y43") or "")
    assert "without I, O" in (uscc.problem("91350100M00010OY43") or "")


@pytest.mark.parametrize(("subject", "field"), [
    ("receiver:91350100M000100Y44", "subject"), ("receiver:not-a-code", "subject")])
def test_a_receiver_subject_must_be_a_valid_code(subject: str, field: str) -> None:
    with pytest.raises(EventError) as refused:
        _parse("receiver.registered", subject, ENTRY)
    assert refused.value.field == field and subject.split(":")[1] in str(refused.value)


@pytest.mark.parametrize(("change", "words"), [
    ({"valid_until": "2024-12-31T16:00:00.000Z"}, "not after valid_from"),
    ({"valid_from": "2024-02-30T16:00:00.000Z"}, "valid_from"),
    ({"fractions": ["plastics", "plastics"]}, "twice"),
    ({"fractions": []}, "fractions"),
    ({"hw_codes": ["HW49 900-45-49"]}, "hw_codes")])
def test_a_register_entry_is_sound(change: dict[str, Any], words: str) -> None:
    with pytest.raises(EventError, match=words):
        _parse("receiver.registered", f"receiver:{CODE}", {**ENTRY, **change})


def test_a_register_entry_is_the_consoles() -> None:
    with pytest.raises(EventError, match="only the console"):
        parse_event(event_obj("receiver.registered", f"receiver:{CODE}", ENTRY,
                              station="ST-01"))


@pytest.mark.parametrize("data", [
    {"manifest_no": "M-1"},
    {"manifest_no": "M-1", "receiver": "Sample Ltd.", "receiver_code": CODE},
    {"manifest_no": "M-1", "receiver_code": CODE, "receiver_licence": "ZJ-1"}])
def test_a_shipment_names_its_receiver_one_way(data: dict[str, Any]) -> None:
    with pytest.raises(EventError):
        _parse("lot.shipped", "lot:L-1", data)


def test_a_vouchers_amount_is_price_times_quantity_to_the_cent() -> None:
    assert str(voucher_amount("2650.5", 31_400)) == "83.23"  # 83.2257 half up
    assert str(voucher_amount("0.5", 10_000)) == "0.01"  # 0.005 half up
    _parse("lot.voucher", "lot:L-1", VOUCHER)
    for amount in ("83.22", "83.2", "83.23 ", "83"):
        with pytest.raises(EventError, match="amount"):
            _parse("lot.voucher", "lot:L-1", {**VOUCHER, "amount": amount})
    with pytest.raises(EventError, match="price_per_t"):
        _parse("lot.voucher", "lot:L-1", {**VOUCHER, "price_per_t": 2650})
