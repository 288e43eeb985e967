"""What a station reads to judge a step with the ledger's own rules: a subject's latest
events, the holder of a trade-in code, a recovery cylinder, and the catalogue in force."""

from __future__ import annotations

import json

from flask import Response as FlaskResponse
from flask import jsonify
from spectree import Response as Answers

from ledger import events as ledger_events
from ledger.store import execute, read_transaction, scalar
from web.access import public
from web.api.blueprint import bp, spec
from web.api.errors import ApiError
from web.api.models import (
    CatalogueInForce,
    Cylinder,
    Error,
    SubjectEvents,
    SubjectQuery,
    TradeIn,
    TradeInQuery,
)
from web.context import engine, ledger


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
        if ledger_events.SUBJECT.fullmatch(f"cylinder:{cylinder}") else None
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
