"""The API's request and response models: they validate requests and write the OpenAPI document.

Events themselves are validated by `ledger.events.parse_event` (the ledger's own rules, with
its own messages); here the event is only "a JSON object" for validation, but its envelope is
documented from the same patterns the ledger checks, so the document cannot drift from them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from ledger import events as ledger_events

MAX_BATCH = 1000
MAX_INDEX = 2**63 - 1  # entry indexes and tree sizes are 64-bit in the database
Hex256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256")]
Index = Annotated[int, Field(ge=0, le=MAX_INDEX)]
Time = Annotated[str, Field(pattern=ledger_events._TIME.pattern,
                            description="UTC with milliseconds, e.g. 2026-11-21T08:15:30.123Z")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(_Model):
    """Every error answer of the API: what was wrong, and which field of which item."""

    error: str = Field(description="what was wrong, with the value, and what to do")
    # Present only when the error is about one field / one item: optional, never null.
    field: str | SkipJsonSchema[None] = Field(
        None, description="the field at fault: a query parameter, or a dotted path inside the "
                          "batch item (event.time, station_sig)")
    item: int | SkipJsonSchema[None] = Field(
        None, ge=0, description="0-based position of the batch item at fault")
    rule: str | SkipJsonSchema[None] = Field(
        None, description="the plant rule that refused the item (its code in "
                          "ledger/rules/reasons.py: unknown_category, weight_out_of_range, "
                          "unknown_cylinder, no_receiver_licence, wrong_receiver...)")


# -- the event envelope (documentation of what parse_event checks) ----------------------------

class EventEnvelope(_Model):
    """An event as the station says it (docs/design.md §3.1); `data` depends on `type`."""

    id: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                    description="UUID chosen by the submitter, lower case: the idempotency key")
    type: Literal[tuple(ledger_events.EVENT_TYPES)]  # type: ignore[valid-type]
    time: Time
    station: str = Field(pattern=ledger_events._STATION.pattern)
    operator: str = Field(pattern=ledger_events._OPERATOR.pattern)
    subject: str = Field(pattern=ledger_events.SUBJECT_PATTERN)
    data: dict[str, Any] = Field(description="the type's fields: integer grams, no floats")


EventObject = Annotated[dict[str, Any], WithJsonSchema(EventEnvelope.model_json_schema())]


class SignedEvent(_Model):
    event: EventObject
    station_sig: str = Field(
        pattern=r"^[A-Za-z0-9+/]+={0,2}$", max_length=200,
        description="base64 Ed25519 signature by the station's registered key over the "
                    "event's canonical (RFC 8785) bytes",
    )


class EventBatch(_Model):
    """Station-signed events, appended together or not at all."""

    events: list[SignedEvent] = Field(min_length=1, max_length=MAX_BATCH)


class Appended(_Model):
    index: Index
    leaf_hash: Hex256
    existed: bool = Field(description="the event id was logged before: this is that entry")


class AppendResults(_Model):
    results: list[Appended] = Field(description="one per submitted event, in order")


# -- station heartbeats (ledger/heartbeats.py checks them) ------------------------------------

class HeartbeatBody(_Model):
    """What a station says about itself every 30 s."""

    station: str = Field(pattern=ledger_events._STATION.pattern)
    sent_at: Time
    pending: int = Field(ge=0, description="outbox events awaiting delivery")
    held: int = Field(ge=0, description="outbox events the ledger refused, kept for a "
                                        "supervisor")
    agent_version: str = Field(min_length=1, max_length=64)


class SignedHeartbeat(_Model):
    heartbeat: Annotated[dict[str, Any], WithJsonSchema(HeartbeatBody.model_json_schema())]
    station_sig: str = Field(
        pattern=r"^[A-Za-z0-9+/]+={0,2}$", max_length=200,
        description="base64 Ed25519 signature by the station's registered key over "
                    "`dledger-heartbeat/v1\\n` followed by the heartbeat's RFC 8785 bytes")


class HeartbeatReceipt(_Model):
    station: str
    received_at: Time = Field(description="by the console's clock: the station's last contact")


# -- entries and units ------------------------------------------------------------------------

class Entry(_Model):
    """A ledger entry, exactly as logged (served as its stored bytes, never re-encoded)."""

    event: EventObject
    index: Index
    logged: Time
    prev: Hex256
    station_sig: str | None
    subject_prev: Index | None
    v: Literal[1]


class UnitEntry(_Model):
    index: Index
    id: str
    type: str
    time: str
    logged: str
    station: str
    operator: str
    leaf_hash: Hex256


class Unit(_Model):
    """The unit's projection (its current state) and its entries, oldest first."""

    label: str
    category: str
    state: str
    trade_in_code: str | None
    intake_station: str
    received_at: str
    completed_at: str | None
    gross_g: int
    refrigerant_g: int
    outputs_g: int
    first_index: Index
    last_index: Index
    entries: list[UnitEntry]


class SubjectEntry(_Model):
    index: Index
    event: EventObject
    station_sig: str | None


class SubjectEvents(_Model):
    """The latest events about one subject, oldest first (what a station's rules read)."""

    subject: str
    entries: list[SubjectEntry]


class TradeIn(_Model):
    """The unit a trade-in code was received with."""

    trade_in_code: str
    label: str


class Cylinder(_Model):
    """A recovery cylinder as a station's rules read it: its registration, and the gross after
    its latest recovery (the next one must start from it)."""

    cylinder: str
    registered: dict[str, Any] = Field(description="the data of its cylinder.registered entry "
                                                   "(refrigerant, tare_g, water_capacity_g, "
                                                   "max_gross_g)")
    registered_entry: Index
    last_after_g: int | None = Field(description="cylinder_gross_after_g of its latest "
                                                 "recovery; null before the first")
    last_entry: Index | None = Field(description="the entry of that recovery")


class CatalogueInForce(_Model):
    """The process catalogue in force: the content of its catalogue.published entry."""

    index: Index = Field(description="the catalogue.published entry")
    version: str
    sha256: Hex256
    content: dict[str, Any] = Field(description="as catalogue.published carries it "
                                                "(docs/rules.md): decimals as strings")


class Revocation(_Model):
    """The `certificate.revoked` entry of a certificate."""

    index: Index
    time: Time
    reason: str
    approved_by: str


class CertificateStatus(_Model):
    """Whether a certificate was issued (its `certificate.issued` entry) and revoked."""

    sha256: Hex256
    kind: Literal["unit", "period", "lot", "fund_table"] | None = Field(
        description="null if not issued here")
    issued: Index | None = Field(description="the index of its certificate.issued entry; null "
                                             "when this plant never issued it")
    issued_at: Time | None
    revoked: Revocation | None = Field(description="null while the certificate stands")


# -- query parameters -------------------------------------------------------------------------

class SubjectQuery(BaseModel):
    subject: str = Field(pattern=ledger_events.SUBJECT_PATTERN, max_length=140,
                         description="prefix:name, e.g. unit:CN3301-2026-0001234, "
                                     "cylinder:CYL-0007, scale:SC-1, lot:LOT-20261120-STEEL")
    limit: int = Field(500, ge=1, le=1000, description="at most this many of the latest events")


class TradeInQuery(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$",
                      description="the trade-in code as printed on the voucher")


class InclusionQuery(BaseModel):
    size: int | None = Field(None, ge=1, le=MAX_INDEX, description="the size of a signed "
                             "checkpoint (default: the latest checkpoint)")


class ConsistencyQuery(BaseModel):
    old: int | None = Field(None, ge=1, le=MAX_INDEX, description="the smaller tree size, "
                            "e.g. the inspector's saved checkpoint (default: the largest size "
                            "signed before `new`, the check a witness makes before cosigning)")
    new: int | None = Field(None, ge=1, le=MAX_INDEX, description="the larger tree size "
                            "(default: the latest checkpoint's)")
