"""The log's static read API, c2sp.org/tlog-tiles, under /tlog/ (docs/tiles.md).

    GET /tlog/checkpoint                  the latest signed checkpoint (as /api/v1/checkpoint)
    GET /tlog/tile/<L>/<N>[.p/<W>]        hash tiles
    GET /tlog/tile/entries/<N>[.p/<W>]    entry bundles, gzip-encoded

Public, like /api/v1/entries/N: the tiles hold the same entries and hashes, and a reader
trusts none of it without the plant's signature on the checkpoint. Only what a signed
checkpoint covers is served: a full tile once a checkpoint's tree holds all of it, a
partial tile only at a width some checkpoint's size gives (tlog-tiles: "for tree sizes for
which a checkpoint was produced"); everything else is 404. Each tile's bytes come from
ledger.tiles_log, the same as `dledger tiles export` writes.
"""

from __future__ import annotations

import gzip
import logging

from flask import Blueprint, Response

from ledger.log import LedgerError
from ledger.tiles import ENTRIES, TileError, parse_path
from ledger.tiles_log import bundle_bytes, tile_bytes
from web.access import public
from web.api.checkpoints import latest_checkpoint
from web.api.errors import ApiError
from web.context import ledger
from web.tiles.signed import refusal as not_covered

bp = Blueprint("tiles", __name__, url_prefix="/tlog")
log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
CHECKPOINT_CACHE = "public, max-age=5"  # tlog-tiles: no caching beyond a few seconds
BUNDLE_GZIP_LEVEL = 6


@bp.get("/checkpoint")
@public
def checkpoint() -> Response:
    """The latest signed checkpoint: the one /api/v1/checkpoint serves (signed first if the
    log grew), so that both read APIs speak of the same tree."""
    try:
        signed = latest_checkpoint()
    except ApiError as exc:
        return _text(exc.status, exc.message)
    response = Response(signed.note, mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Cache-Control"] = CHECKPOINT_CACHE
    return response


@bp.get("/tile/<path:tile>")
@public
def tile(tile: str) -> Response:
    """A hash tile or an entry bundle that a signed checkpoint covers."""
    path = f"tile/{tile}"
    try:
        wanted = parse_path(path)
    except TileError as exc:
        return _text(400, str(exc))
    refusal = not_covered(wanted)
    if refusal:
        return _text(404, refusal)
    try:
        data = bundle_bytes(ledger(), wanted) if wanted.level == ENTRIES \
            else tile_bytes(ledger(), wanted)
    except (TileError, LedgerError) as exc:  # an entry too large for a bundle, a damaged log
        log.error("cannot serve %s: %s", path, exc)
        return _text(500, f"{path} cannot be served: {exc}")
    response = Response(data, mimetype="application/octet-stream")
    if wanted.level == ENTRIES:  # tlog-tiles allows gzip without negotiation
        response.set_data(gzip.compress(data, BUNDLE_GZIP_LEVEL, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def _text(status: int, message: str) -> Response:
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
