"""What stations send: batches of station-signed events, and heartbeats.

A station has no session: the Ed25519 signature over each event, checked by `Ledger.append`
against the station's registered key, *is* the authentication, so the routes are `@public`
in the access sense. Events by PLANT are refused here: they come only from signed-in console
users, through the console.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response as FlaskResponse
from flask import jsonify, request
from pydantic import ValidationError
from spectree import Response as Answers

from ledger import heartbeats
from ledger.events import PLANT_STATION, EventError, parse_event
from ledger.log import AppendError, Submission
from web.access import public
from web.api.blueprint import bp, spec
from web.api.errors import ApiError, from_validation
from web.api.models import AppendResults, Error, EventBatch, HeartbeatReceipt, SignedHeartbeat
from web.context import engine, ledger


@bp.post("/events")
@public  # authenticated by each event's station signature (see the module's docstring)
@spec.validate(json=EventBatch,
               resp=Answers(HTTP_200=AppendResults, HTTP_400=Error, HTTP_403=Error,
                            HTTP_409=Error, HTTP_413=Error, HTTP_415=Error, HTTP_422=Error),
               skip_validation=True,  # the view parses the body itself (see _json_body)
               tags=["stations"], operation_id="postEvents")
def append_events() -> FlaskResponse:
    """Append a batch of station-signed events

    At most 1,000 events, each signed by its station's registered Ed25519 key over the
    event's canonical bytes. All are appended in one transaction, or none: any bad item
    answers an `Error` naming the item and the field. Idempotent by event id: a resubmitted
    event answers its existing entry with `existed: true`. Statuses: 400 body is not JSON,
    403 signature or station refused (unknown, revoked, PLANT), 409 conflicts with the
    ledger (same id with other content; a rule such as a unit received twice), 413 body over
    2 MiB, 415 not application/json, 422 invalid batch or event.
    """
    try:
        batch = EventBatch.model_validate(_json_body())
    except ValidationError as exc:
        raise from_validation(exc) from None
    submissions = [_submission(i, item.event, item.station_sig)
                   for i, item in enumerate(batch.events)]
    try:
        appended = ledger().append(submissions)
    except AppendError as exc:
        status, field = _APPEND_ERRORS.get(exc.field or "", (409, "event"))
        position = exc.position if exc.position is not None else 0
        raise ApiError(status, f"events[{position}]: {exc}; nothing was appended", field,
                       exc.position, exc.rule) from None
    return jsonify({"results": [{"index": a.index, "leaf_hash": a.leaf_hash.hex(),
                                 "existed": a.existed} for a in appended]})


@bp.post("/heartbeats")
@public  # authenticated by the station's signature over the heartbeat (ledger/heartbeats.py)
@spec.validate(json=SignedHeartbeat,
               resp=Answers(HTTP_200=HeartbeatReceipt, HTTP_400=Error, HTTP_403=Error,
                            HTTP_409=Error, HTTP_413=Error, HTTP_415=Error, HTTP_422=Error),
               skip_validation=True,  # the view parses the body itself (see _json_body)
               tags=["stations"], operation_id="postHeartbeat")
def heartbeat() -> FlaskResponse:
    """A station's heartbeat: its outbox backlog and agent version

    Operational state, not ledger data: the console keeps each station's latest one (the
    Stations page shows its last contact and backlog). Signed by the station's registered key
    over `dledger-heartbeat/v1\\n` and the heartbeat's RFC 8785 bytes. Statuses: 403 station
    not registered and active, or a bad signature; 409 a heartbeat not newer than the one
    held, or sent more than 5 minutes from the console's clock; 422 a bad heartbeat.
    """
    try:
        body = SignedHeartbeat.model_validate(_json_body())
        beat = heartbeats.parse(body.heartbeat)
        received = heartbeats.record(engine(), beat, body.station_sig)
    except ValidationError as exc:
        raise from_validation(exc) from None
    except heartbeats.HeartbeatError as exc:
        status = {"invalid": 422, "station": 403, "signature": 403}.get(exc.reason, 409)
        field = exc.field if exc.field == "station_sig" else f"heartbeat.{exc.field or ''}"
        raise ApiError(status, str(exc), field.rstrip(".")) from None
    return jsonify({"station": beat.station, "received_at": received})


# AppendError.field → (status, field in the item); no field: a ledger rule refused it (409).
_APPEND_ERRORS = {"id": (409, "event.id"), "station": (403, "event.station"),
                  "station_sig": (403, "station_sig")}


def _json_body() -> Any:
    if not request.is_json:
        raise ApiError(415, "send the batch as application/json, not "
                       f"{request.mimetype or 'a body without Content-Type'}", "Content-Type")
    raw = request.get_data(cache=False)  # 413 beyond MAX_BODY
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # also bad UTF-8, digits beyond int limits
        raise ApiError(400, f"the body is not valid JSON: {exc}", "body") from None


def _submission(item: int, obj: dict[str, Any], station_sig: str) -> Submission:
    try:
        event = parse_event(obj)
    except EventError as exc:
        field = f"event.{exc.field}" if exc.field else "event"
        raise ApiError(422, f"events[{item}]: {exc}; nothing was appended", field, item) \
            from None
    if event.station == PLANT_STATION:
        raise ApiError(403, f"events[{item}]: events by station {PLANT_STATION} come only from "
                       "signed-in console users through the console's own forms, not from this "
                       "endpoint; nothing was appended", "event.station", item)
    return Submission(event, station_sig)
