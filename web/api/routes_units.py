"""A unit's public record: its projection and the entries about it, for an inspector who
holds its label."""

from __future__ import annotations

import json

from flask import Response as FlaskResponse
from flask import jsonify
from spectree import Response as Answers

from ledger.merkle import leaf_hash
from ledger.store import execute, read_transaction
from web.access import public
from web.api.blueprint import bp, spec
from web.api.errors import ApiError
from web.api.models import Error, Unit
from web.context import engine, ledger

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
