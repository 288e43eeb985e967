"""The units list as a CSV or XLSX file (web/export.py): what the page lists, under the same
filter (a search, or every unit received in a state), with every unit, not one page of them,
newest received first as on the page (its (state,) received_at index), streamed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask_babel import gettext
from sqlalchemy import select

from web import export
from web.names import code_name


def state_name(state: str) -> str:
    """A unit's state as the list says it."""
    return gettext("completed") if state == "completed" else gettext("in progress")


FIELDS = (
    export.Field("label", "text", lambda: gettext("Label")),
    export.Field("category", "text", lambda: gettext("Category"), code_name),
    export.Field("state", "text", lambda: gettext("State"), state_name),
    export.Field("received_at", "time", lambda: gettext("Received")),
    export.Field("intake_station", "text", lambda: gettext("Intake station")),
    export.Field("gross_g", "kg", lambda: gettext("Gross weight (kg)")),
    export.Field("refrigerant_g", "kg", lambda: gettext("Refrigerant recovered (kg)")),
    export.Field("outputs_g", "kg", lambda: gettext("Outputs weighed (kg)")),
    export.Field("trade_in_code", "text", lambda: gettext("Trade-in code")),
    export.Field("serial", "text", lambda: gettext("Serial number")),
    export.Field("completed_at", "time", lambda: gettext("Completed")),
    export.Field("completed_station", "text", lambda: gettext("Completing station")),
)


def download(units: Any, fmt: str, state: str | None, found: list[Any] | None,
             query: str) -> Response:
    """The file: the units `found` by a search for `query`, or every unit in `state`."""
    if found is not None:
        rows: Any = found
        caption = gettext("Units matching “%(query)s”", query=query)
        name = "units-search"
    else:
        select_all = select(*(units.c[f.name] for f in FIELDS))
        if state:
            select_all = select_all.where(units.c.state == state)
        rows = export.streamed(select_all.order_by(units.c.received_at.desc(),
                                                   units.c.label.desc()))
        caption = {None: gettext("Units"), "received": gettext("Units in progress"),
                   "completed": gettext("Units completed")}[state]
        name = f"units-{state or 'all'}"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return export.response(export.sheet("units", caption, FIELDS, rows), fmt,
                           f"{name}-{stamp}")
