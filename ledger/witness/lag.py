"""Is each of the plant's witnesses keeping up with the log? What the console's dashboard and
ledger page show, and the stale-witness alert.

A witness is behind when the log holds entries it has not cosigned. It has been behind since
the later of: its last cosignature arriving, and the first entry it has not cosigned being
logged (a witness that cosigned a checkpoint signed before an entry arrived is behind from
the moment it cosigned). Behind for longer than `witness_stale_seconds` (the instance's
[checkpoints] setting, ledger/witness/settings.py) is stale: an alert. A log that has not grown
raises no alert, however old the last cosignature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ledger.log import Ledger
from ledger.witness.plant import last_cosignature
from ledger.witness.settings import CheckpointSettings, WitnessTarget


@dataclass(frozen=True)
class WitnessLag:
    target: WitnessTarget
    witnessed: int  # the largest size it cosigned (0: none yet)
    cosigned_at: datetime | None  # when that cosignature reached us (UTC)
    behind_since: datetime | None  # None: it cosigned the whole log
    stale: bool

    @property
    def never(self) -> bool:
        return self.cosigned_at is None


def witness_lags(ledger: Ledger, settings: CheckpointSettings, now: datetime
                 ) -> list[WitnessLag]:
    """Each configured witness's lag behind the log at `now` (an aware datetime)."""
    size = ledger.size()
    lags = []
    for target in settings.witnesses:
        last = last_cosignature(ledger, target.verifier)
        witnessed = last.size if last else 0
        cosigned_at = _utc(last.received_at) if last else None
        behind_since = None
        if witnessed < size:
            grew_at = _utc(json.loads(ledger.entry(witnessed))["logged"])
            behind_since = max(grew_at, cosigned_at) if cosigned_at else grew_at
        stale = behind_since is not None and \
            (now - behind_since).total_seconds() > settings.witness_stale_seconds
        lags.append(WitnessLag(target, witnessed, cosigned_at, behind_since, stale))
    return lags


def last_witnessed(lags: list[WitnessLag]) -> WitnessLag | None:
    """The witness that cosigned the largest checkpoint (the latest, among equals)."""
    cosigned = [lag for lag in lags if lag.cosigned_at is not None]
    return max(cosigned, key=lambda lag: (lag.witnessed, lag.cosigned_at), default=None)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)
