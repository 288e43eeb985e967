"""The witnesses on the dashboard: the last witnessed size and its age among the key figures,
and the stale-witness alert beside the others (as of now, like the scales due a check).

A witness is stale when it has not cosigned the log's new entries for longer than the
instance's `witness_stale_seconds` ([checkpoints] in dledger.toml; ledger/witness/lag.py
decides). The alert's rows go into the alerts table, so its CSV and XLSX exports carry them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from web.dashboard.report import AlertKind, Status
from web.integrity.witnessing import WitnessView, stale_minutes, witness_view

CODE = "stale_witness"


def add_to(built: dict[str, Any], now: datetime) -> WitnessView:
    """Add the stale-witness alert to what `report.build` made; the view, for the key figure."""
    view = witness_view(now)
    title = _("Witness behind the log")
    built["alerts"].append(AlertKind(
        CODE, title, len(view.stale) if view.settings.witnesses else None,
        _("Has not cosigned the log's new entries for more than %(minutes)s min (as of now).",
          minutes=stale_minutes(view.settings)) if view.settings.witnesses else
        _("No witness is configured for this plant's checkpoints.")))
    rows = built["tables"]["alerts"].rows
    size = format(view.size, ",")
    for lag in view.stale:
        if lag.never:
            detail = _("Has never cosigned; the log holds %(size)s entries.", size=size)
        else:
            detail = _("Cosigned up to size %(witnessed)s of %(size)s; behind for %(age)s.",
                       witnessed=format(lag.witnessed, ","), size=size,
                       age=view.age(lag.behind_since))
        rows.append([Status("alert", title), lag.target.name, detail, "", lag.behind_since])
    return view
