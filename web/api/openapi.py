"""The API's OpenAPI document: spectree's, from the routes' models and docstrings, completed
with what spectree cannot express (text answers, 64-bit path indexes, optional query
parameters), and its tags in the API's reading order whatever order the route modules were
imported in."""

from __future__ import annotations

import copy
from typing import Any

from flask import Response as FlaskResponse
from flask import current_app, jsonify
from spectree import Response as Answers

from web.access import public
from web.api.blueprint import bp, spec

LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$"  # a unit: subject's name (ledger.events)
TAGS = ("ledger", "units", "stations", "certificates", "meta")

# Operations answering text (spectree describes JSON bodies only): their 200 content.
_TEXT = {"text/plain": {"schema": {"type": "string"}}}
_CONTENT = {
    "getCheckpoint": _TEXT,
    "getInclusionProof": _TEXT,
    "getConsistencyProof": _TEXT,
    "getOpenAPI": {"application/json": {"schema": {"type": "object"}}},
}


@bp.get("/openapi.json")
@public
@spec.validate(resp=Answers(HTTP_200=None), tags=["meta"], operation_id="getOpenAPI")
def openapi() -> FlaskResponse:
    """This API's OpenAPI 3.1 document"""
    return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    """The completed document of the blueprint (see the module docstring), made once per app."""
    cache: dict[str, dict[str, Any]] = current_app.extensions.setdefault("dledger.api", {})
    if "openapi" not in cache:
        doc = copy.deepcopy(spec.spec)
        for operations in doc["paths"].values():
            for operation in operations.values():
                _complete(operation)
        doc["tags"].sort(key=lambda tag: TAGS.index(tag["name"]))  # a new tag goes in TAGS
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
