"""What the console works on, reachable from any view: `ledger()`, `engine()`, `console()`.

Views must not build engines or locate the instance themselves: `create_app` does it once per
process and keeps the result on `app.extensions["dledger"]`, so tests can hand in their own
instance and every view sees the same connection pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Engine

from ledger.instance import Instance
from ledger.log import Ledger

EXTENSION = "dledger"


@dataclass(frozen=True)
class Console:
    instance: Instance
    ledger: Ledger
    timezone: ZoneInfo
    gwp: str  # "AR4" or "AR5"

    @property
    def engine(self) -> Engine:
        """The engine for the console's own reads (projections, accounts); the ledger's pool."""
        return self.ledger.engine


def console() -> Console:
    return current_app.extensions[EXTENSION]


def ledger() -> Ledger:
    return console().ledger


def engine() -> Engine:
    return console().engine
