"""The API's one error shape, `{"error": "...", "field": "...", "item": N, "rule": "..."}`, for
every failure.

`field` and `item` appear when the error is about one field or one batch item, `rule` when a
plant rule refused it (its code in ledger/rules/reasons.py). Views raise
`ApiError`; request validation errors (spectree, pydantic) and HTTP errors raised inside the
API's views (413, 415, 404...) are turned into the same shape here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    413: "the request body is larger than {limit}; send at most 1,000 events per batch and "
         "split larger ones",
    500: "internal error: nothing was appended by this request; the console's log says more",
}


class ApiError(Exception):
    """An answer other than success: HTTP `status`, a message, and what it is about."""

    def __init__(self, status: int, message: str, field: str | None = None,
                 item: int | None = None, rule: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.item = item
        self.rule = rule

    def response(self) -> Response:
        return error_response(self.status, self.message, self.field, self.item, self.rule)


def error_response(status: int, message: str, field: str | None = None,
                   item: int | None = None, rule: str | None = None) -> Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    if item is not None:
        body["item"] = item
    if rule is not None:
        body["rule"] = rule
    response = jsonify(body)
    response.status_code = status
    return response


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def from_validation(exc: ValidationError, status: int = 422) -> ApiError:
    """The first problem pydantic found, naming the field (and the batch item, if any)."""
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    item = None
    if len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int):
        item, loc = loc[1], loc[2:]
        field = ".".join(str(p) for p in loc) or "events"
        where = f"events[{item}]" + (f".{field}" if loc else "")
    else:
        field = ".".join(str(p) for p in loc) or "body"
        where = field
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return ApiError(status, f"{where} is missing", field, item)
    if err["type"] == "extra_forbidden":
        return ApiError(status, f"{where}: unknown field", field, item)
    return ApiError(status, f"{where} {_shown(err.get('input'))}: {message}", field, item)


def spectree_before(_req: Any, _resp: Any, error: Exception | None, _instance: Any,
                    _adapter: Any) -> None:
    """spectree's hook after validating a request: answer its errors in the API's shape."""
    if isinstance(error, ValidationError):
        abort(from_validation(error).response())


def _http_error(error: HTTPException) -> Response:
    code = error.code or 500
    template = MESSAGES.get(code)
    message = (template.format(limit=_size(request.max_content_length)) if template
               else error.description or error.name)
    return error_response(code, message, "body" if code == 413 else None)


def _size(limit: int | None) -> str:
    return f"{(limit or 0) // (1024 * 1024)} MiB"


def init(bp: Blueprint) -> None:
    bp.register_error_handler(ApiError, lambda error: error.response())
    bp.register_error_handler(HTTPException, _http_error)
