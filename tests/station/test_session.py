"""The worker's session as the outbox keeps it: the JSON a running station wrote reads back as
the same session, and a session written reads back equal (issue 17, point 9: the session's
dicts became dataclasses without changing the outbox's format)."""

from __future__ import annotations

from pathlib import Path

from station.outbox import Outbox
from station.session import Intake, OpenUnit, SelectedCylinder, Session

# Sessions as the station wrote them before the dataclasses (partial, as after a first scan).
WRITTEN = [
    ({}, Session()),
    ({"operator": "W-0042"}, Session(operator="W-0042")),
    ({"operator": "W-0042", "unit": {"label": "CN3301-2026-0000001", "received": False,
                                     "draft": {"category": "fridge",
                                               "details": {"brand": "Haier", "source": None},
                                               "trade_in_code": "TI-2026-33-0000001"}},
      "cylinder": {"id": "CYL-0007", "before_g": None}, "trade_in": None},
     Session("W-0042", Intake("CN3301-2026-0000001", "fridge",
                              {"brand": "Haier", "source": None}, "TI-2026-33-0000001"),
             SelectedCylinder("CYL-0007"))),
    ({"operator": "W-0042", "unit": {"label": "CN3301-2026-0000002", "received": True},
      "cylinder": {"id": "CYL-0007", "before_g": 12_000}, "lot": "LOT-FE-01",
      "trade_in": "TI-2026-33-0000009"},
     Session("W-0042", OpenUnit("CN3301-2026-0000002"), SelectedCylinder("CYL-0007", 12_000),
             "LOT-FE-01", "TI-2026-33-0000009")),
]


def test_a_session_written_before_reads_back_the_same() -> None:
    for body, session in WRITTEN:
        assert Session.of_json(body) == session, body


def test_a_session_round_trips_through_the_outbox(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    try:
        for _, session in WRITTEN:
            box.commit([], session.as_json())
            assert Session.of_json(box.session()) == session
        # the outbox's format for a unit is unchanged: a draft while it is weighed in
        assert box.session()["unit"] == {"label": "CN3301-2026-0000002", "received": True}
        box.commit([], WRITTEN[2][1].as_json())
        assert box.session()["unit"] == WRITTEN[2][0]["unit"]
    finally:
        box.close()


def test_the_cylinder_stays_selected_between_units_its_weight_before_does_not() -> None:
    session = WRITTEN[3][1]
    assert session.kept_cylinder() == SelectedCylinder("CYL-0007")
    assert Session().kept_cylinder() is None
