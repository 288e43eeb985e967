"""The API's blueprint and its describer: every route module registers on `bp` and validates
through `spec`, so one OpenAPI document (web/api/openapi.py) covers them all."""

from __future__ import annotations

from flask import Blueprint, request
from spectree import SpecTree

from web.api import errors
from web.api.models import Error

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")
errors.init(bp)

MAX_BODY = 2 * 1024 * 1024  # bytes; 1,000 signed events take about 600 KiB

spec = SpecTree(
    "flask",
    mode="strict",  # only the API's routes, not the console's pages
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


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY
