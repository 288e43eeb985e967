"""The outbox on disk and its courier against a real ledger: durable, in order, exactly once,
refused events held with their reason and never dropped."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path
from typing import Any

import pytest

from ledger.instance import Instance
from station.client import LocalClient
from station.outbox import Courier, Outbox
from tests.factories import SigningStation, plant
from tests.web.conftest import make_instance


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Instance, SigningStation, LocalClient]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        instance = make_instance(tmp_path / "instance")
    station = SigningStation("ST-01")
    instance.ledger().append([station.registration()])
    client = LocalClient(instance)
    yield instance, station, client
    client.close()


def signed(station: SigningStation, etype: str, subject: str, data: dict[str, Any]
           ) -> dict[str, Any]:
    sub = station.submit(etype, subject, data)
    return {"event": sub.event.obj, "station_sig": sub.station_sig}


def received(station: SigningStation, label: str) -> dict[str, Any]:
    return signed(station, "unit.received", f"unit:{label}",
                  {"category": "crt_tv", "gross_g": 20_000, "scale": "SC-1",
                   "source": "collector"})


def test_a_commit_survives_a_reopen(tmp_path: Path, setup: Any) -> None:
    _, station, _ = setup
    box = Outbox(tmp_path / "outbox.db")
    box.commit([received(station, "CN3301-2026-0000401")], {"operator": "W-0042"})
    box.close()
    again = Outbox(tmp_path / "outbox.db")
    assert again.counts() == {"pending": 1, "delivered": 0, "held": 0}
    assert again.session() == {"operator": "W-0042"}
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_delivery_is_in_order_exactly_once_and_holds_what_the_ledger_refuses(
        tmp_path: Path, setup: Any) -> None:
    instance, station, client = setup
    box = Outbox(tmp_path / "outbox.db")
    first = received(station, "CN3301-2026-0000402")
    orphan = signed(station, "refrigerant.absent", "unit:CN3301-2026-0000499",
                    {"reason": "not_refrigerant_bearing"})  # never received
    after_orphan = signed(station, "unit.completed", "unit:CN3301-2026-0000499", {})
    other = received(station, "CN3301-2026-0000403")
    box.commit([first, orphan, after_orphan, other], {})
    # The ledger already has `first` (an answer lost on the way back): no second entry.
    client.submit([first])
    size = instance.ledger().size()
    courier = Courier(box, client.submit)
    assert courier.deliver_once() == 2
    assert instance.ledger().size() == size + 1  # only `other` is new
    assert box.counts() == {"pending": 0, "delivered": 2, "held": 2}
    held = box.held()
    assert [h.event_id for h in held] == [orphan["event"]["id"], after_orphan["event"]["id"]]
    assert "has not been weighed in" in held[0].reason and "not_received" in held[0].reason
    assert held[1].reason == f"waits for held event {orphan['event']['id']}"
    # A new event about the held subject waits too; other subjects go on.
    late = signed(station, "unit.completed", "unit:CN3301-2026-0000499", {})
    box.commit([late], {})
    assert box.counts()["held"] == 3
    # Fixed on the console (the unit received there), released: delivered in order.
    instance.ledger().append([plant("unit.received", "unit:CN3301-2026-0000499",
                                    {"category": "crt_tv", "gross_g": 20_000, "scale": "SC-1",
                                     "source": "collector"})])
    assert box.release() == 3
    refused_again = courier.deliver_once()
    assert refused_again == 1 and box.counts()["held"] == 2  # completed with its outputs missing
    held = box.held()
    assert [h.event_id for h in held] == [after_orphan["event"]["id"], late["event"]["id"]]
    assert "(rule steps_missing)" in held[0].reason
    assert held[1].reason == f"waits for held event {after_orphan['event']['id']}"
    types = [e["type"] for _, e in client.subject_entries("unit:CN3301-2026-0000499")]
    assert types == ["unit.received", "refrigerant.absent"]
    box.close()


def test_ids_are_unique_in_the_outbox(tmp_path: Path, setup: Any) -> None:
    _, station, _ = setup
    box = Outbox(tmp_path / "outbox.db")
    event = received(station, "CN3301-2026-0000404")
    box.commit([event], {})
    with pytest.raises(sqlite3.IntegrityError):
        box.commit([event], {"lost": True})
    assert box.session() == {} and box.counts()["pending"] == 1  # nothing half-written
    box.close()
