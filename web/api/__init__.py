"""The JSON API under /api/v1 (docs/design.md §8), described by the OpenAPI document it serves.

Read side, public (inspectors need no account): the signed checkpoint, entries' exact bytes,
inclusion and consistency proofs in the interoperable text formats, a unit's record. Write
side: `POST /events`, a batch of station-signed events. A station has no session: the
Ed25519 signature over each event, checked by `Ledger.append` against the station's
registered key, *is* the authentication, so the route is `@public` in the access sense. Events
by PLANT are refused here: they come only from signed-in console users, through the console.

Requests are validated by the pydantic models in `web.api.models` (through spectree, which
also writes the OpenAPI document from them); every error is `web.api.errors`' one JSON shape.
See docs/api.md.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask import Response as FlaskResponse
from pydantic import ValidationError
from spectree import Response as Answers
from spectree import SpecTree

from ledger import events as ledger_events
from ledger import heartbeats
from ledger.certificates.issue import records as certificate_records
from ledger.events import PLANT_STATION, EventError, parse_event
from ledger.keys import KeyFileError
from ledger.log import AppendError, LedgerError, SignedCheckpoint, Submission
from ledger.merkle import leaf_hash
from ledger.note import NoteError, Verifier, open_note
from ledger.proof import InclusionProof, consistency_text
from ledger.store import execute, read_transaction, scalar
from web.access import public
from web.api import errors
from web.api.errors import ApiError, from_validation
from web.api.models import (
    MAX_INDEX,
    AppendResults,
    CatalogueInForce,
    CertificateStatus,
    ConsistencyQuery,
    Cylinder,
    Entry,
    Error,
    EventBatch,
    HeartbeatReceipt,
    InclusionQuery,
    SignedHeartbeat,
    SubjectEvents,
    SubjectQuery,
    TradeIn,
    TradeInQuery,
    Unit,
)
from web.context import console, engine, ledger

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")
errors.init(bp)

MAX_BODY = 2 * 1024 * 1024  # bytes; 1,000 signed events take about 600 KiB
IMMUTABLE = "public, max-age=31536000, immutable"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$"  # a unit: subject's name (ledger.events)

spec = SpecTree(
    "flask",
    mode="strict",  # only the routes below, not the console's pages
    title="Dismantle Ledger API",
    version="1",
    description="The plant's tamper-evident ledger: signed checkpoints, entries, proofs "
                "(C2SP tlog-checkpoint, tlog-proof@v1, RFC 9162), units, and station-signed "
                "event batches. Every error is an `Error` object. See docs/api.md.",
    before=errors.spectree_before,
    validation_error_model=Error,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)

# Operations answering text (spectree describes JSON bodies only): their 200 content.
_TEXT = {"text/plain": {"schema": {"type": "string"}}}
_CONTENT = {
    "getCheckpoint": _TEXT,
    "getInclusionProof": _TEXT,
    "getConsistencyProof": _TEXT,
    "getOpenAPI": {"application/json": {"schema": {"type": "object"}}},
}


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY


# -- read side --------------------------------------------------------------------------------

@bp.get("/checkpoint")
@public
@spec.validate(resp=Answers(HTTP_200=None, HTTP_503=Error), tags=["ledger"],
               operation_id="getCheckpoint")
def checkpoint() -> FlaskResponse:
    """The latest signed checkpoint

    A C2SP signed note over `<origin>\\n<size>\\n<base64 root>\\n`, signed by the plant key; a
    new one is signed first if the log grew since the last one.
    """
    response = _text(latest_checkpoint().note)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get(f"/entries/<int(max={MAX_INDEX}):index>")
@public
@spec.validate(resp=Answers(HTTP_200=Entry, HTTP_404=Error), tags=["ledger"],
               operation_id="getEntry")
def entry(index: int) -> FlaskResponse:
    """One entry's exact bytes

    The stored RFC 8785 bytes, never re-encoded: its leaf hash is SHA-256(0x00 || body).
    """
    try:
        body = ledger().entry(index)
    except LedgerError as exc:
        raise ApiError(404, str(exc), "index") from None
    response = FlaskResponse(body, mimetype="application/json")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.get(f"/proof/inclusion/<int(max={MAX_INDEX}):index>")
@public
@spec.validate(query=InclusionQuery, resp=Answers(HTTP_200=None, HTTP_404=Error, HTTP_503=Error),
               tags=["ledger"], operation_id="getInclusionProof")
def inclusion(index: int, query: InclusionQuery) -> FlaskResponse:
    """A tlog-proof@v1 that entry `index` is in the log

    Against the checkpoint signed at `size`, or the latest checkpoint without it. The proof
    text ends with that checkpoint note, verbatim.
    """
    led = ledger()
    if query.size is None:
        signed = latest_checkpoint()
    else:
        found = led.checkpoint_at(query.size)
        if found is None:
            raise ApiError(404, f"no checkpoint was signed at size {query.size}; "
                           f"{_signed_sizes()}", "size")
        signed = found
    size = signed.checkpoint.size
    if index >= size:
        _entry_exists(index)
        raise ApiError(422, f"entry {index} is not in the checkpoint of size {size}; use a "
                       f"checkpoint signed after it was logged ({_signed_sizes()})", "size")
    hashes = led.inclusion_hashes(index, size)
    response = _text(InclusionProof(index, tuple(hashes), signed.note).text())
    if query.size is not None:
        response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.get("/proof/consistency")
@public
@spec.validate(query=ConsistencyQuery,
               resp=Answers(HTTP_200=None, HTTP_404=Error, HTTP_503=Error),
               tags=["ledger"], operation_id="getConsistencyProof")
def consistency(query: ConsistencyQuery) -> FlaskResponse:
    """An RFC 9162 consistency proof from tree size `old` to `new`

    Base64 hashes, one per line (none when old = new). Without `new`: to the latest
    checkpoint's size; without `old`: from the largest size signed before `new` (how the latest
    checkpoint extends the previous one). Check it against the roots of two signed checkpoints.
    """
    led = ledger()
    new = query.new if query.new is not None else latest_checkpoint().checkpoint.size
    old = query.old if query.old is not None else _signed_before(new)
    if new == 0:
        raise ApiError(404, "the log is empty: there is no tree to prove anything about yet",
                       "new")
    if old > new:
        raise ApiError(422, f"old {old} is larger than new {new}: give 0 < old <= new", "old")
    size = led.size()
    if new > size:
        raise ApiError(404, f"new {new} is beyond the log's size {size}", "new")
    try:
        hashes = led.consistency_hashes(old, new)
    except LedgerError as exc:
        raise ApiError(404, str(exc), "new") from None
    response = _text(consistency_text(hashes))
    if query.old is not None and query.new is not None:
        response.headers["Cache-Control"] = IMMUTABLE
    return response


_UNIT_COLUMNS = ("label", "category", "state", "trade_in_code", "intake_station", "received_at",
                 "completed_at", "gross_g", "refrigerant_g", "outputs_g", "first_index",
                 "last_index")


@bp.get("/units/<path:label>")
@public
@spec.validate(resp=Answers(HTTP_200=Unit, HTTP_404=Error), tags=["units"],
               operation_id="getUnit")
def unit(label: str) -> FlaskResponse:
    """A unit: its current state and its entries

    The projection (state, masses in integer grams, first and last entry) and, oldest first,
    each entry's index, event id, type, time, logged time, station, operator and leaf hash.
    """
    with read_transaction(engine()) as tx:
        row = execute(tx, f"SELECT {', '.join(_UNIT_COLUMNS)} FROM units "  # noqa: S608
                      "WHERE label = ?", (label,)).fetchone()
    if row is None:
        raise ApiError(404, f"there is no unit {label!r}: check the label (as printed on "
                       "the unit's tag, without 'unit:')", "label")
    entries = []
    for idx, body in ledger().subject_bodies(["unit:" + label]):  # one index range, no scan
        logged = json.loads(body)
        event = logged["event"]
        entries.append({"index": idx, "id": event["id"], "type": event["type"],
                        "time": event["time"], "logged": logged["logged"],
                        "station": event["station"], "operator": event["operator"],
                        "leaf_hash": leaf_hash(body).hex()})
    return jsonify({**dict(zip(_UNIT_COLUMNS, row, strict=True)), "entries": entries})


@bp.get("/events")
@public
@spec.validate(query=SubjectQuery, resp=Answers(HTTP_200=SubjectEvents), tags=["stations"],
               operation_id="getSubjectEvents")
def subject_events(query: SubjectQuery) -> FlaskResponse:
    """The latest events about one subject

    Oldest first, with each entry's index and station signature: what a station's rules need
    to know about a unit, a cylinder's registration, a scale's calibration checks or a lot
    (read through the (subject, idx) index). A subject nobody spoke of has no entries.
    """
    rows = ledger().subject_bodies([query.subject])[-query.limit:]
    entries = []
    for idx, body in rows:
        logged = json.loads(body)
        entries.append({"index": idx, "event": logged["event"],
                        "station_sig": logged["station_sig"]})
    return jsonify({"subject": query.subject, "entries": entries})


@bp.get("/trade-in")
@public
@spec.validate(query=TradeInQuery, resp=Answers(HTTP_200=TradeIn, HTTP_404=Error),
               tags=["stations"], operation_id="getTradeIn")
def trade_in(query: TradeInQuery) -> FlaskResponse:
    """The unit a trade-in code was received with

    A code is received once: a station refuses a unit whose code is already here.
    """
    with read_transaction(engine()) as tx:
        label = scalar(execute(tx, "SELECT label FROM units WHERE trade_in_code = ?",
                               (query.code,)))
    if label is None:
        raise ApiError(404, f"no unit was received with trade-in code {query.code!r}", "code")
    return jsonify({"trade_in_code": query.code, "label": label})


@bp.get("/cylinders/<path:cylinder>")
@public
@spec.validate(resp=Answers(HTTP_200=Cylinder, HTTP_404=Error), tags=["stations"],
               operation_id="getCylinder")
def cylinder(cylinder: str) -> FlaskResponse:
    """A recovery cylinder: its registration and the gross after its latest recovery

    What a station's rules need to refuse a recovery into a cylinder for another gas, past
    its Guideline K limit, or starting from another weight than the last one ended at.
    """
    facts = ledger().cylinder(cylinder) \
        if ledger_events._SUBJECT.fullmatch(f"cylinder:{cylinder}") else None
    if facts is None or facts.registered is None:
        raise ApiError(404, f"there is no registered cylinder {cylinder[:80]!r}: register it "
                       "on the console (Stations -> Recovery cylinders)", "cylinder")
    return jsonify({"cylinder": cylinder, "registered": facts.registered,
                    "registered_entry": facts.registered_entry,
                    "last_after_g": facts.last_after_g, "last_entry": facts.last_entry})


@bp.get("/catalogue")
@public
@spec.validate(resp=Answers(HTTP_200=CatalogueInForce, HTTP_404=Error), tags=["stations"],
               operation_id="getCatalogue")
def catalogue() -> FlaskResponse:
    """The process catalogue in force

    The content of the latest catalogue.published entry: what every writer is judged by, so
    a station judges with it too (and keeps it for offline work).
    """
    found = ledger().catalogue()
    if found is None:
        raise ApiError(404, "no process catalogue is in force: publish one (`dledger catalogue "
                       "publish`)", "catalogue")
    index = found[0]
    event = json.loads(ledger().entry(index))["event"]
    return jsonify({"index": index, "version": event["data"]["version"],
                    "sha256": event["data"]["sha256"], "content": event["data"]["content"]})


@bp.get("/certificates/<sha256>")
@public
@spec.validate(resp=Answers(HTTP_200=CertificateStatus, HTTP_404=Error),
               tags=["certificates"], operation_id="getCertificate")
def certificate(sha256: str) -> FlaskResponse:
    """Whether a certificate was issued here, and whether it was revoked

    `sha256` is the certificate's SHA-256 (64 lower-case hex digits; see docs/certificates.md;
    anything else answers 404). `issued` is null when this plant never issued it. Issuance is
    provable offline from the certificate itself; revocation is known only here.
    """
    if not SHA256_HEX.fullmatch(sha256):
        raise ApiError(404, f"there is no certificate {sha256[:80]!r}: a certificate's SHA-256 "
                       "is 64 lower-case hex digits", "sha256")
    found = certificate_records(ledger(), sha256)
    answer: dict[str, Any] = {"sha256": sha256, "kind": None, "issued": None,
                              "issued_at": None, "revoked": None}
    if found["issued"] is not None:
        index, event = found["issued"]
        answer.update(kind=event["data"]["kind"], issued=index, issued_at=event["time"])
    if found["revoked"] is not None:
        at, revocation = found["revoked"]
        answer["revoked"] = {"index": at, "time": revocation["time"],
                             "reason": revocation["data"]["reason"],
                             "approved_by": revocation["data"]["approved_by"]}
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- write side -------------------------------------------------------------------------------

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


# -- the OpenAPI document ---------------------------------------------------------------------

@bp.get("/openapi.json")
@public
@spec.validate(resp=Answers(HTTP_200=None), tags=["meta"], operation_id="getOpenAPI")
def openapi() -> FlaskResponse:
    """This API's OpenAPI 3.1 document"""
    return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    """spectree's document of this blueprint, completed with what it cannot express (text
    answers, 64-bit path indexes, optional query parameters), made once per app."""
    cache = current_app.extensions.setdefault("dledger.api", {})
    if "openapi" not in cache:
        doc = copy.deepcopy(spec.spec)
        for operations in doc["paths"].values():
            for operation in operations.values():
                _complete(operation)
        cache["openapi"] = doc
    return cache["openapi"]


def _complete(operation: dict[str, Any]) -> None:
    content = _CONTENT.get(operation["operationId"])
    if content:
        operation["responses"]["200"]["content"] = content
    if not operation.get("requestBody") and not any(
            p["in"] == "query" for p in operation.get("parameters", [])):
        operation["responses"].pop("422", None)  # spectree adds it; nothing to validate here
    for parameter in operation.get("parameters", []):
        schema = parameter["schema"]
        if parameter["in"] == "path" and schema.get("type") == "integer":
            schema.update(format="int64", minimum=0)
        if parameter["name"] == "label":  # as on the unit's tag, without "unit:"
            schema.update(pattern=LABEL_PATTERN, maxLength=128)
            schema.pop("format", None)
        options = schema.pop("anyOf", None)
        if options:  # `int | None = None`: the parameter is optional, never null
            schema.update(next(o for o in options if o.get("type") != "null"))
        schema.pop("default", None)


# -- helpers ----------------------------------------------------------------------------------

def latest_checkpoint() -> SignedCheckpoint:
    """The latest checkpoint signed by the current plant key, signing one if the log grew.

    Reading the stored one first keeps the plant key (and its Argon2id unlock) off the path
    of every public request; it is opened only when there is something new to sign.
    """
    instance, led = console().instance, ledger()
    signed = led.checkpoint_at(led.size())
    if signed is not None and _signed_by(signed.note, instance.vkey()):
        return signed
    try:
        return led.checkpoint(instance.signer())
    except KeyFileError as exc:
        raise ApiError(503, f"the console cannot sign a checkpoint: {exc}") from None
    except LedgerError as exc:  # a truncated or rewritten log: never sign, say so
        raise ApiError(503, str(exc)) from None


def _signed_by(note: str, vkey: str) -> bool:
    try:
        open_note(note, [Verifier.parse(vkey)])
    except NoteError:
        return False
    return True


def _signed_sizes() -> str:
    with read_transaction(engine()) as tx:
        sizes = [size for (size,) in execute(
            tx, "SELECT DISTINCT size FROM ledger_checkpoints ORDER BY size DESC LIMIT 6")]
    if not sizes:
        return "no checkpoint is signed yet: GET /api/v1/checkpoint signs one"
    listed = ", ".join(str(s) for s in sizes[:5]) + (", ..." if len(sizes) > 5 else "")
    return f"checkpoints are signed at sizes {listed}; or omit size for the latest"


def _signed_before(size: int) -> int:
    """The largest size below `size` with a signed checkpoint, or `size` itself if none."""
    with read_transaction(engine()) as tx:
        found = execute(tx, "SELECT MAX(size) FROM ledger_checkpoints WHERE size < ? AND "
                        "size > 0", (size,)).fetchone()[0]
    return size if found is None else found


def _entry_exists(index: int) -> None:
    size = ledger().size()
    if index >= size:
        raise ApiError(404, f"there is no entry {index}; the log holds {size} entries", "index")


def _text(text: str) -> FlaskResponse:
    return FlaskResponse(text, mimetype="text/plain")

