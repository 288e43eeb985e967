"""A lot manifest shows its receiver's identity from the register and the lot's vouchers,
carries the receiver's register entries, and is judged by them: by the product's verifier
and by the independent one (issue 16)."""

from __future__ import annotations

from typing import Any

from factories import plant
from spec_cert_verifier import DERIVE, verify_certificate

from ledger.certificates import document as doc_format
from ledger.certificates.build import build_lot
from ledger.certificates.issue import issue
from ledger.certificates.statements import lot_statements
from ledger.certificates.verify import verify

from .conftest import Plant
from .test_statements import PUBLISHED, ev

GLASS, PLASTICS = "91330106MA27RC0M75", "91330101MA2H1P7T1N"


def entry(name: str, fractions: list[str], until: str = "2030-12-31T16:00:00.000Z"
          ) -> dict[str, Any]:
    return {"legal_name": name, "licence_no": "浙危废经第3301990042号", "fractions": fractions,
            "hw_codes": ["HW49 900-045-49"], "valid_from": "2024-12-31T16:00:00.000Z",
            "valid_until": until, "address": "1 Sample Road, Hangzhou"}


def test_a_lot_manifest_names_its_registered_receiver_and_vouchers(plant_ledger: Plant
                                                                   ) -> None:
    p, lot = plant_ledger, "LOT-GLASS-0001"
    p.ledger.append([
        plant("receiver.registered", f"receiver:{GLASS}",
              entry("浙江示例含铅玻璃处置有限公司", ["crt_funnel_glass"])),
        plant("lot.opened", f"lot:{lot}", {"fraction": "crt_funnel_glass", "hazardous": True}),
        plant("lot.sealed", f"lot:{lot}", {"net_g": 31_400, "scale": "SC-1"}),
        plant("lot.shipped", f"lot:{lot}", {"receiver_code": GLASS, "manifest_no": "ZJ-1"}),
        plant("lot.received", f"lot:{lot}", {"receiver_code": GLASS, "manifest_no": "ZJ-1",
                                             "received_g": 31_400}),
        plant("lot.voucher", f"lot:{lot}", {
            "kind": "disposal", "voucher_no": "INV-1", "counterparty": GLASS,
            "quantity_g": 31_400, "price_per_t": "2800", "amount": "87.92",
            "currency": "CNY"}),
        # renewed later: the manifest shows the entry in force when the lot left
        plant("receiver.updated", f"receiver:{GLASS}",
              entry("浙江示例含铅玻璃处置有限公司", ["crt_funnel_glass", "pcb"]))])
    document = issue(p.ledger, build_lot(p.ledger, lot, signer=p.signer), p.signer)
    st = document["statements"]
    assert st["shipped"]["receiver_code"] == GLASS and st["shipped"]["receiver"] is None
    [shown] = st["receivers"]
    assert (shown["code"], shown["legal_name"], shown["fractions"]) == (
        GLASS, "浙江示例含铅玻璃处置有限公司", ["crt_funnel_glass"])
    assert [v["amount"] for v in st["vouchers"]] == ["87.92"]
    assert st["judgement"]["status"] == "creditable"
    assert verify(document, vkeys=[p.vkey]).ok
    data = doc_format.serialise(document)
    assert verify_certificate(data, [p.vkey]) == doc_format.sha256(document)


def test_both_verifiers_judge_a_shipment_by_the_register() -> None:
    """Funnel glass shipped to a plastics receiver, and a voucher to another counterparty,
    written around the rules: both derivations name the same broken rules."""
    lot = "lot:L"
    pairs = [(1, ev("receiver.registered", f"receiver:{PLASTICS}",
                    entry("Sample Plastics Ltd.", ["plastics"]))),
             (2, ev("receiver.registered", f"receiver:{GLASS}",
                    entry("Sample Glass Ltd.", ["crt_funnel_glass"],
                          until="2026-06-30T16:00:00.000Z"))),
             (3, ev("lot.opened", lot, {"fraction": "crt_funnel_glass", "hazardous": True})),
             (4, ev("lot.sealed", lot, {"net_g": 100})),
             (5, ev("lot.voucher", lot, {"kind": "sale", "voucher_no": "V-0",
                                         "counterparty": GLASS, "quantity_g": 100,
                                         "price_per_t": "1", "amount": "0.00",
                                         "currency": "CNY"})),
             (6, ev("lot.shipped", lot, {"receiver_code": PLASTICS, "manifest_no": "M"})),
             (7, ev("lot.voucher", lot, {"kind": "sale", "voucher_no": "V-1",
                                         "counterparty": GLASS, "quantity_g": 100,
                                         "price_per_t": "1", "amount": "0.00",
                                         "currency": "CNY"})),
             PUBLISHED]
    st = lot_statements(pairs, "L")
    assert [(v["entry"], v["rule"]) for v in st["judgement"]["violations"]] == [
        (5, "voucher_not_shipped"), (6, "licence_not_covering"), (7, "voucher_counterparty")]
    assert [r["code"] for r in st["receivers"]] == [GLASS, PLASTICS]
    assert DERIVE["lot"]({"statements": st}, pairs) == st
    expired = [*pairs[:5], (6, ev("lot.shipped", lot, {"receiver_code": GLASS,
                                                       "manifest_no": "M"})), PUBLISHED]
    st = lot_statements(expired, "L")
    assert [v["rule"] for v in st["judgement"]["violations"]] == ["voucher_not_shipped",
                                                                  "licence_not_valid"]
    assert DERIVE["lot"]({"statements": st}, expired) == st


def test_the_fund_table_names_registered_receivers_and_annexes_the_vouchers(tmp_path) -> None:
    """The sample day's fund table: each destination shipped by code shows the register's
    legal name, licence and code and what its vouchers cover; the annex lists the vouchers,
    and the table still verifies (the receivers' chains are carried)."""
    from ledger.log import Ledger
    from ledger.note import new_signer
    from ledger.store import migrate, open_engine

    from .test_fund_table import DAY, ORIGIN, as_json, sample_plant, table_of

    engine = open_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    ledger, signer = Ledger(engine), new_signer(ORIGIN)
    sample_plant(ledger)
    document = table_of(ledger, signer, DAY, DAY)
    statements = document["statements"]
    glass = next(d for d in statements["destinations"] if d["fraction"] == "crt_funnel_glass")
    assert glass["receiver_code"] == "91330106MA27RC0M75"
    assert glass["receiver"].startswith("浙江示例含铅玻璃处置有限公司")
    assert glass["receiver_licence"] == "浙危废经第3301990042号 (sample)"
    assert glass["vouchered_g"] == glass["received_g"]
    assert sorted(v["kind"] for v in statements["vouchers"]) == ["disposal", "sale"]
    assert verify(as_json(document), vkeys=[signer.verifier.vkey]).ok
    engine.dispose()
