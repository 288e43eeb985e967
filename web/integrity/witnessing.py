"""The witnesses as the console shows them: how far each is behind the log, what the checkpoint
publisher is doing, and ages in words. The ledger page lists it all; the dashboard shows the
last witnessed size and raises the stale-witness alert from the same view.

The facts come from ledger/witness (lag.py: behind since when, stale or not, with the
instance's threshold; publisher.py: its status file); nothing here decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from ledger.witness.lag import WitnessLag, last_witnessed, witness_lags
from ledger.witness.publisher import read_status
from ledger.witness.settings import CheckpointSettings
from web.context import console, ledger


@dataclass(frozen=True)
class WitnessView:
    settings: CheckpointSettings
    lags: list[WitnessLag]
    last: WitnessLag | None  # the witness that cosigned the largest checkpoint
    publisher: dict[str, Any] | None  # its status file (None: it never ran here)
    size: int  # the log's size
    now: datetime

    @property
    def stale(self) -> list[WitnessLag]:
        return [lag for lag in self.lags if lag.stale]

    def tries(self) -> dict[str, dict[str, Any]]:
        """The publisher's latest word on each witness, by key id."""
        return {w["key_id"]: w for w in (self.publisher or {}).get("witnesses", [])}

    def age(self, moment: datetime | None) -> str:
        return age((self.now - moment).total_seconds()) if moment else "—"


def witness_view(now: datetime) -> WitnessView:
    instance = console().instance
    settings = instance.checkpoints
    lags = witness_lags(ledger(), settings, now)
    return WitnessView(settings, lags, last_witnessed(lags), read_status(instance.home),
                       ledger().size(), now)


def age(seconds: float) -> str:
    """A duration in words, to the minute past a minute: `45 s`, `12 min`, `3 h 5 min`,
    `2 d 4 h`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("%(n)s s", n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)s min", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)s h %(m)s min", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h", d=days, h=hours)


def stale_minutes(settings: CheckpointSettings) -> str:
    return f"{settings.witness_stale_seconds / 60:g}"
