"""Station heartbeats (issue 17, point 5): `POST /api/v1/heartbeats` takes a station's signed
heartbeat and keeps it, refusing what a copy or a stranger could send; the Stations page shows
last contact and outbox backlog from it, a silent station as out of contact; the list exports
them."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from ledger import heartbeats
from ledger.events import utc_now_ms
from tests.factories import plant
from web.context import engine, ledger

EN = {"Accept-Language": "en"}
STATION = "ST-07"


def _ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@pytest.fixture
def key(app) -> Ed25519PrivateKey:
    """ST-07, registered on the console with this key."""
    private = Ed25519PrivateKey.generate()
    public = base64.b64encode(private.public_key().public_bytes_raw()).decode()
    with app.app_context():
        ledger().append([plant("station.registered", f"station:{STATION}",
                               {"public_key": public, "name": "bench 7",
                                "approved_by": "A-0001"})])
    return private


def _beat(key, sent_at: str | None = None, station: str = STATION, pending: int = 3,
          held: int = 1) -> dict:
    beat = heartbeats.Heartbeat(station, sent_at or utc_now_ms(), pending, held, "0.1.0")
    return {"heartbeat": beat.as_json(), "station_sig": heartbeats.sign(beat, key)}


def _rows(app) -> list[dict]:
    with app.app_context(), engine().connect() as conn:
        return [dict(r) for r in conn.execute(text("SELECT * FROM station_heartbeats"))
                .mappings()]


def test_a_signed_heartbeat_is_kept_and_shown(app, key, client_for):
    api = client_for(None)
    answer = api.post("/api/v1/heartbeats", json=_beat(key))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["station"] == STATION
    [row] = _rows(app)
    assert (row["pending"], row["held"], row["agent_version"]) == (3, 1, "0.1.0")
    assert row["received_at"] == answer.get_json()["received_at"]
    page = client_for("inspector").get("/stations/", headers=EN).get_data(as_text=True)
    assert "s ago" in page and "3 waiting" in page and "1 held" in page
    assert 'data-stale="false"' in page
    assert "do not report it yet" not in page
    later = api.post("/api/v1/heartbeats", json=_beat(key, pending=0, held=0))
    assert later.status_code == 200
    assert [(r["pending"], r["held"]) for r in _rows(app)] == [(0, 0)]  # one row, replaced
    rows = list(csv.DictReader(io.StringIO(
        client_for("manager").get("/stations/?table=stations&format=csv", headers=EN)
        .get_data().decode("utf-8-sig"))))
    mine = next(r for r in rows if r["Station"] == STATION)
    assert (mine["Outbox: pending"], mine["Outbox: held"], mine["Agent version"]) == \
        ("0", "0", "0.1.0")
    assert mine["Last contact"]


def test_a_silent_station_reads_as_out_of_contact(app, key, client_for):
    long_ago = datetime.now(UTC) - timedelta(seconds=heartbeats.STALE_AFTER_S + 60)
    beat = heartbeats.parse(_beat(key, _ms(long_ago))["heartbeat"])
    with app.app_context():
        heartbeats.record(engine(), beat, heartbeats.sign(beat, key), now=_ms(long_ago))
    page = client_for("manager").get("/stations/", headers=EN).get_data(as_text=True)
    assert 'data-stale="true"' in page and "out of contact" in page and "min ago" in page


def test_heartbeats_a_copy_or_a_stranger_could_send_are_refused(app, key, client_for):
    api = client_for(None)
    first = _beat(key)
    assert api.post("/api/v1/heartbeats", json=first).status_code == 200
    replayed = api.post("/api/v1/heartbeats", json=first)
    assert replayed.status_code == 409 and "sent once" in replayed.get_json()["error"]
    stranger = _beat(Ed25519PrivateKey.generate())
    refused = api.post("/api/v1/heartbeats", json=stranger)
    assert refused.status_code == 403 and refused.get_json()["field"] == "station_sig"
    unknown = api.post("/api/v1/heartbeats", json=_beat(key, station="ST-99"))
    assert unknown.status_code == 403 and "not registered" in unknown.get_json()["error"]
    skewed = _beat(key, _ms(datetime.now(UTC) + timedelta(minutes=20)))
    late = api.post("/api/v1/heartbeats", json=skewed)
    assert late.status_code == 409 and "NTP" in late.get_json()["error"]
    forged = _beat(key)
    forged["heartbeat"]["pending"] = 0  # changed after signing
    assert api.post("/api/v1/heartbeats", json=forged).status_code == 403
    bad = _beat(key)
    bad["heartbeat"]["pending"] = -1
    invalid = api.post("/api/v1/heartbeats", json=bad)
    assert invalid.status_code == 422 and invalid.get_json()["field"].endswith("pending")
    assert [r["pending"] for r in _rows(app)] == [3]  # only the first was kept


def test_a_revoked_station_is_not_heard(app, key, client_for):
    with app.app_context():
        ledger().append([plant("station.revoked", f"station:{STATION}",
                               {"reason": "tablet lost", "approved_by": "A-0001"})])
    answer = client_for(None).post("/api/v1/heartbeats", json=_beat(key))
    assert answer.status_code == 403 and _rows(app) == []
