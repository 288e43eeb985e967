"""The station's heartbeat (issue 17, point 5): a real station sends its signed heartbeat to
the real console over HTTP as soon as it starts, carrying its outbox backlog and agent
version, and the console keeps it; in a one-machine plant (local mode) it is kept in-process.
While the console is away the heartbeat fails quietly and the station works on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from ledger import heartbeats
from station.heartbeat import agent_version
from station.outbox import Unreachable
from tests.station.conftest import BADGE, STATION_ID, console_on, free_port, wait_for


def _kept(instance: Any) -> dict[str, Any] | None:
    engine = instance.engine()
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM station_heartbeats WHERE station = :s"),
                               {"s": STATION_ID}).mappings().first()
    finally:
        engine.dispose()
    return dict(row) if row else None


def test_a_station_over_http_reports_its_backlog(station_factory):
    seeded = station_factory()  # a local station first: it seeds the ledger, and beats
    local = wait_for(lambda: _kept(seeded.instance), what="the local station's heartbeat")
    seeded.close()
    port = free_port()
    with console_on(seeded.instance, port) as url:
        station = station_factory(console_url=url, folder="http")
        first = wait_for(lambda: (found := _kept(station.instance))
                         and found["sent_at"] > local["sent_at"] and found,
                         what="a heartbeat over HTTP")
        assert first["agent_version"] == agent_version() != "unknown"
        station.scan(BADGE)  # nothing to deliver: the backlog is what the outbox holds
        station.ws.heartbeats.beat()
        kept = _kept(station.instance)
        assert kept is not None and kept["sent_at"] > first["sent_at"]
        counts = station.outbox.counts()
        assert (kept["pending"], kept["held"]) == (counts["pending"], counts["held"])
    # The console is gone: the heartbeat is not delivered, the station says why, works on.
    try:
        station.ws.heartbeats.beat()
    except Unreachable as exc:
        assert "out of reach" in str(exc)
    else:
        raise AssertionError("a heartbeat reached a console that is not running")
    assert station.ws.state()["operator"] == {"badge": BADGE}
    assert heartbeats.INTERVAL_S == station.ws.heartbeats.interval_s
