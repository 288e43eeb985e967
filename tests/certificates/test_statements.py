"""Statements from (index, event) pairs alone: the rules docs/certificates.md section 3 states."""

from __future__ import annotations

from typing import Any

from ledger import catalogue
from ledger.certificates.document import period_lines
from ledger.certificates.statements import co2e, period_statements, unit_statements

DEFAULT = catalogue.load()
# The catalogue entry these pairs are judged by: logged after them, so in force retroactively.
PUBLISHED = (1000, {"type": "catalogue.published", "subject": "catalogue:process",
                    "time": "2026-11-21T00:00:00.000Z", "station": "PLANT", "operator": "A-1",
                    "data": {"version": "default", "sha256": DEFAULT.sha256(),
                             "content": DEFAULT.content()}})


def ev(etype: str, subject: str, data: dict[str, Any], time: str = "2026-11-21T02:00:00.000Z",
       operator: str = "W-1") -> dict[str, Any]:
    return {"type": etype, "subject": subject, "data": data, "time": time, "station": "ST-01",
            "operator": operator}


def received(label: str) -> tuple[str, str, dict[str, Any]]:
    return ("unit.received", f"unit:{label}", {"category": "fridge", "gross_g": 40_000,
                                               "scale": "SC-1", "source": "trade_in"})


def fix(target: int, label: str, **data: Any) -> dict[str, Any]:
    return ev("correction", f"unit:{label}", {"corrects": target, "reason": "r",
                                              "approved_by": "M-1", **data}, operator="M-1")


def test_the_latest_correction_wins_and_replaces_fields_of_the_original() -> None:
    pairs = [(0, ev(*received("U1"))),
             (1, ev("material.output", "unit:U1", {"fraction": "steel", "mass_g": 100,
                                                   "lot": "L1", "scale": "SC-1"})),
             (2, fix(1, "U1", set={"mass_g": 90})),
             (3, fix(1, "U1", set={"lot": "L2"}))]
    st = unit_statements([*pairs, PUBLISHED], "U1")
    assert st["outputs"][0]["mass_g"] == 100 and st["outputs"][0]["lot"] == "L2"
    assert [c["entry"] for c in st["corrections"]] == [2, 3]
    assert st["operators"] == ["W-1"]  # corrections are listed, not effective events


def test_a_gas_without_a_factor_has_no_co2e_and_is_counted_apart() -> None:
    pairs = [(0, ev(*received("U1"))),
             (1, ev("refrigerant.recovered", "unit:U1",
                    {"refrigerant": "R-404A", "cylinder": "C", "cylinder_gross_before_g": 10,
                     "cylinder_gross_after_g": 60, "recovered_g": 50, "scale": "SC-1"}))]
    refrigerant = unit_statements([*pairs, PUBLISHED], "U1")["refrigerant"]
    assert refrigerant["recovered"][0]["co2e_g"] is None
    assert (refrigerant["co2e_g"], refrigerant["without_gwp_g"]) == (0, 50)
    assert co2e("R-410A", 1, "AR5") == {"gwp": "1923.5", "gwp_conventional": False,
                                        "co2e_g": 1924}  # half up


def test_period_lines_leave_out_voided_incomplete_and_out_of_range_units() -> None:
    pairs = []
    for n, (label, done) in enumerate([("IN", "2026-11-21T02:00:00.000Z"),
                                       ("LATE", "2026-11-21T16:00:00.000Z"),  # 00:00 next day
                                       ("VOID", "2026-11-21T03:00:00.000Z")]):
        pairs += [(10 * n, ev(*received(label))),
                  (10 * n + 1, ev("unit.completed", f"unit:{label}", {}, time=done))]
    pairs += [(5, ev(*received("OPEN"))), (21, fix(20, "VOID", void=True))]
    st = period_statements([*pairs, PUBLISHED], plant="P", start="2026-11-21", end="2026-11-21",
                           time_zone="Asia/Shanghai")
    assert [line["label"] for line in period_lines(st)] == ["IN"]
    assert st["totals"]["all"]["units"] == 1 and st["totals"]["all"]["gross_g"] == 40_000
    # Completed with no refrigerant record and no outputs: its record breaks the rules.
    assert next(period_lines(st))["status"] == "excluded"
    assert st["totals"]["creditable"]["units"] == 0
