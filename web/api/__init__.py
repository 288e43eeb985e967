"""The JSON API under /api/v1 (docs/design.md §8), described by the OpenAPI document it serves.

Read side, public (inspectors need no account): the signed checkpoint, entries' exact bytes,
inclusion and consistency proofs (routes_log), a unit's record (routes_units), what a station
reads to judge with the ledger's rules (routes_stations), a certificate's standing
(routes_certificates). Write side: station-signed event batches and heartbeats
(routes_submissions), authenticated by the station's signature, not a session.

Every route module registers on `web.api.blueprint.bp`, which the console's app registers.
Requests are validated by the pydantic models in `web.api.models` (through spectree, which
also writes the OpenAPI document from them: web.api.openapi); every error is
`web.api.errors`' one JSON shape. See docs/api.md.
"""

from __future__ import annotations

from web.api import (  # noqa: F401 -- each module registers its routes on `bp`
    openapi,
    routes_certificates,
    routes_log,
    routes_stations,
    routes_submissions,
    routes_units,
)
from web.api.blueprint import bp

__all__ = ["bp"]
