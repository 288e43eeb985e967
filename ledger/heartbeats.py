"""A station's heartbeat: what it says about itself (its outbox backlog, its agent's version)
every INTERVAL_S, signed with its key, and the console's record of the latest one.

It is operational state, not evidence, so it is not in the log: one row per station in
`station_heartbeats` (migration 0013), replaced by each heartbeat. The station signs
`PREFIX || RFC 8785 bytes of the heartbeat` with the Ed25519 key the console registered for it
(`station.registered`), as it signs its events (the prefix keeps a heartbeat's signature from
ever standing for an event). The console accepts it only from a registered, active station,
with a valid signature, sent within MAX_SKEW_S of the console's clock and later than the
heartbeat it holds: a heartbeat replayed or sent again is refused, so a copy cannot make a
silent station look alive. The console keeps its own time of receipt: "last contact" is by
the console's clock.

Used by the station's client in-process (a one-machine plant) and by the console's API
(`POST /api/v1/heartbeats`); the Stations page reads the rows.
"""

from __future__ import annotations

import base64
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, select

from ledger.canonical import canonical_bytes
from ledger.encoding import decode_base64
from ledger.events import utc_now_ms
from ledger.store import WRITE_OPTIONS
from ledger.tables import Station, StationHeartbeat, table_of

PREFIX = b"dledger-heartbeat/v1\n"
INTERVAL_S = 30  # how often a station sends one
STALE_AFTER_S = 3 * INTERVAL_S  # no heartbeat for this long: the station is out of contact
MAX_SKEW_S = 300  # a heartbeat's time may differ from the console's by this much
MAX_COUNT = 10**12
_STATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")  # as ledger.events' station
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_VERSION = re.compile(r"[ -~]{1,64}")  # printable ASCII
FIELDS = ("station", "sent_at", "pending", "held", "agent_version")

stations = table_of(Station)
heartbeats = table_of(StationHeartbeat)


class HeartbeatError(ValueError):
    """A heartbeat refused; `reason` is `invalid` (its shape), `station` (not registered and
    active), `signature` or `stale` (replayed, or its time too far from the console's)."""

    def __init__(self, message: str, reason: str, field: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class Heartbeat:
    station: str
    sent_at: str  # UTC with milliseconds, the station's clock
    pending: int  # outbox events awaiting delivery
    held: int  # outbox events the ledger refused, kept for a supervisor
    agent_version: str

    def signed_bytes(self) -> bytes:
        return PREFIX + canonical_bytes(asdict(self))

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def parse(obj: Any) -> Heartbeat:
    """A heartbeat from its JSON object; HeartbeatError naming the first bad field."""
    if not isinstance(obj, dict):
        raise HeartbeatError("a heartbeat is a JSON object", "invalid")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        raise HeartbeatError(f"unknown field {unknown[0]!r}", "invalid", unknown[0])
    for name in FIELDS:
        if name not in obj:
            raise HeartbeatError(f"missing field {name!r}", "invalid", name)
    checks = (("station", _STATION, "letters, digits, '.', '_' or '-', at most 32"),
              ("sent_at", _TIME, "UTC with milliseconds, like 2026-11-21T08:15:30.123Z"),
              ("agent_version", _VERSION, "1 to 64 printable ASCII characters"))
    for name, pattern, rule in checks:
        if not isinstance(obj[name], str) or not pattern.fullmatch(obj[name]):
            raise HeartbeatError(f"{name} {obj[name]!r} is not valid: {rule}", "invalid", name)
    _moment(obj["sent_at"])
    for name in ("pending", "held"):
        value = obj[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
            raise HeartbeatError(f"{name} {value!r} is not a count of events (a whole number "
                                 f"from 0 to {MAX_COUNT})", "invalid", name)
    return Heartbeat(**{name: obj[name] for name in FIELDS})


def sign(heartbeat: Heartbeat, key: Ed25519PrivateKey) -> str:
    """The station's signature over the heartbeat, base64."""
    return base64.b64encode(key.sign(heartbeat.signed_bytes())).decode()


def record(engine: Engine, heartbeat: Heartbeat, signature: str,
           now: str | None = None) -> str:
    """Check the heartbeat and keep it as its station's latest; returns the console's time of
    receipt. HeartbeatError (nothing written) for a station not registered and active, a bad
    signature, or a heartbeat not newer than the one held or too far from `now`."""
    received = now or utc_now_ms()
    skew = abs((_moment(heartbeat.sent_at) - _moment(received)).total_seconds())
    if skew > MAX_SKEW_S:
        raise HeartbeatError(f"the heartbeat was sent at {heartbeat.sent_at} by the station's "
                             f"clock, {skew:.0f} s from the console's ({received}): set the "
                             "station's clock right (NTP)", "stale", "sent_at")
    with engine.connect() as conn, conn.execution_options(**WRITE_OPTIONS).begin():
        row = conn.execute(select(stations.c.public_key, stations.c.state)
                           .where(stations.c.station == heartbeat.station)).first()
        if row is None or row.state != "active":
            raise HeartbeatError(f"station {heartbeat.station} is not registered and active: an "
                                 "admin approves its key on the console's Stations page",
                                 "station", "station")
        _verify(row.public_key, heartbeat, signature)
        held = conn.execute(select(heartbeats.c.sent_at)
                            .where(heartbeats.c.station == heartbeat.station)).scalar()
        if held is not None and held >= heartbeat.sent_at:
            raise HeartbeatError(f"the console holds a heartbeat of {heartbeat.station} sent at "
                                 f"{held}, not before this one ({heartbeat.sent_at}): a "
                                 "heartbeat is sent once", "stale", "sent_at")
        values = {**heartbeat.as_json(), "received_at": received}
        if held is None:
            conn.execute(heartbeats.insert().values(**values))
        else:
            conn.execute(heartbeats.update().where(heartbeats.c.station == heartbeat.station)
                         .values(**values))
    return received


def age_s(received_at: str, now: datetime | None = None) -> float:
    """Seconds since the console received a heartbeat."""
    return ((now or datetime.now(UTC)) - _moment(received_at)).total_seconds()


def _verify(public_key: str, heartbeat: Heartbeat, signature: str) -> None:
    raw = decode_base64(signature)
    if raw is None or len(raw) != 64:
        raise HeartbeatError("station_sig is not a base64 Ed25519 signature (64 bytes)",
                             "signature", "station_sig")
    key = decode_base64(public_key)
    try:
        Ed25519PublicKey.from_public_bytes(key or b"").verify(raw, heartbeat.signed_bytes())
    except (InvalidSignature, ValueError):
        raise HeartbeatError(f"the signature is not that of station {heartbeat.station}'s "
                             "registered key over this heartbeat", "signature",
                             "station_sig") from None


def _moment(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise HeartbeatError(f"sent_at {text!r} is not a time", "invalid", "sent_at") from None
