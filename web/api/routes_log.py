"""The log's public read side: the signed checkpoint, an entry's exact bytes, and inclusion
and consistency proofs in the interoperable text formats (C2SP tlog-proof@v1, RFC 9162)."""

from __future__ import annotations

from flask import Response as FlaskResponse
from spectree import Response as Answers

from ledger.log import LedgerError
from ledger.proof import InclusionProof, consistency_text
from web.access import public
from web.api.blueprint import bp, spec
from web.api.checkpoints import latest_checkpoint, signed_before, signed_sizes
from web.api.errors import ApiError
from web.api.models import MAX_INDEX, ConsistencyQuery, Entry, Error, InclusionQuery
from web.context import ledger

IMMUTABLE = "public, max-age=31536000, immutable"


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
                           f"{signed_sizes()}", "size")
        signed = found
    size = signed.checkpoint.size
    if index >= size:
        _entry_exists(index)
        raise ApiError(422, f"entry {index} is not in the checkpoint of size {size}; use a "
                       f"checkpoint signed after it was logged ({signed_sizes()})", "size")
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
    old = query.old if query.old is not None else signed_before(new)
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


def _entry_exists(index: int) -> None:
    size = ledger().size()
    if index >= size:
        raise ApiError(404, f"there is no entry {index}; the log holds {size} entries", "index")


def _text(text: str) -> FlaskResponse:
    return FlaskResponse(text, mimetype="text/plain")
