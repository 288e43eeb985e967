"""The lots list as a CSV or XLSX file (web/export.py): every lot under the page's filter (a
state, or the hazardous lots awaiting their manifest), newest first as on the page (its
(state,) first_index index), streamed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask_babel import gettext
from sqlalchemy import Select

from web import export
from web.names import code_name


def hazardous_name(hazardous: bool) -> str:
    return gettext("hazardous") if hazardous else gettext("no")


def fields(state_label: Any) -> tuple[export.Field, ...]:
    """The file's columns; `state_label(row)` says a lot's state as its page does."""
    return (
        export.Field("lot", "text", lambda: gettext("Lot")),
        export.Field("fraction", "text", lambda: gettext("Fraction"), code_name),
        export.Field("hazardous", "text", lambda: gettext("Hazardous"), hazardous_name),
        _State("state", "text", lambda: gettext("State"), state_label),
        export.Field("net_g", "kg", lambda: gettext("Net weight (kg)")),
        export.Field("manifest_no", "text", lambda: gettext("Transfer manifest number")),
        export.Field("receiver", "text", lambda: gettext("Receiver")),
        export.Field("first_index", "int", lambda: gettext("Opened at entry")),
    )


class _State(export.Field):
    """The state in words depends on the whole row (a shipped hazardous lot awaits its
    manifest)."""

    def value(self, row: Any) -> Any:
        assert self.named is not None
        return export.cell(self.named(row), self.kind)


def download(query: Select[Any], fmt: str, wanted: str | None, caption: str,
             state_label: Any) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    rows = export.streamed(query)
    return export.response(export.sheet("lots", caption, fields(state_label), rows), fmt,
                           f"lots-{wanted or 'all'}-{stamp}")
