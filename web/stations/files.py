"""The Stations page's two lists as CSV or XLSX files (web/export.py): the stations (key,
state, latest event, last contact and outbox backlog from their heartbeats) and the scales
(status and latest calibration check). Both lists are short (a plant's benches), so they are
built whole, as the page builds them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask_babel import gettext

from web import export

TABLES = ("stations", "scales")


def scale_status_name(status: str) -> str:
    """A scale's calibration status in words (ok, overdue, failed, never)."""
    names = {"ok": gettext("Calibrated"), "overdue": gettext("Check overdue"),
             "failed": gettext("Last check failed"), "never": gettext("Never checked")}
    return names.get(status, status)


def station_state_name(state: str) -> str:
    return gettext("Active") if state == "active" else gettext("Revoked")


def _stations(rows: list[dict[str, Any]]) -> export.Sheet:
    columns: list[tuple[str, Callable[[], str], Callable[[dict[str, Any]], Any]]] = [
        ("text", lambda: gettext("Station"), lambda s: s["station"]),
        ("text", lambda: gettext("Name"), lambda s: s["name"]),
        ("text", lambda: gettext("Key fingerprint"), lambda s: s["fingerprint"]),
        ("text", lambda: gettext("State"), lambda s: station_state_name(s["state"])),
        ("int", lambda: gettext("Registered at entry"), lambda s: s["registered_index"]),
        ("time", lambda: gettext("Last seen"), lambda s: s["last_seen_at"]),
        ("time", lambda: gettext("Last contact"),
         lambda s: s["contact"] and s["contact"].received_at),
        ("int", lambda: gettext("Outbox: pending"),
         lambda s: s["contact"] and s["contact"].pending),
        ("int", lambda: gettext("Outbox: held"), lambda s: s["contact"] and s["contact"].held),
        ("text", lambda: gettext("Agent version"),
         lambda s: s["contact"] and s["contact"].agent_version),
    ]
    return export.Sheet(key="stations", caption=gettext("Stations"),
                        header=[title() for _, title, _ in columns],
                        kinds=[kind for kind, _, _ in columns],
                        rows=[[export.cell(value(s), kind) for kind, _, value in columns]
                              for s in rows])


def _scales(rows: list[Any]) -> export.Sheet:
    columns: list[tuple[str, Callable[[], str], Callable[[Any], Any]]] = [
        ("text", lambda: gettext("Scale"), lambda sc: sc.scale),
        ("text", lambda: gettext("Status"), lambda sc: scale_status_name(sc.status)),
        ("time", lambda: gettext("Last check"), lambda sc: sc.last and sc.last.time),
        ("kg", lambda: gettext("Reference (kg)"), lambda sc: sc.last and sc.last.reference_g),
        ("kg", lambda: gettext("Reading (kg)"), lambda sc: sc.last and sc.last.reading_g),
        ("kg", lambda: gettext("Tolerance (kg)"), lambda sc: sc.last and sc.last.tolerance_g),
        ("int", lambda: gettext("Checks"), lambda sc: len(sc.checks)),
    ]
    return export.Sheet(key="scales", caption=gettext("Scales"),
                        header=[title() for _, title, _ in columns],
                        kinds=[kind for kind, _, _ in columns],
                        rows=[[export.cell(value(sc), kind) for kind, _, value in columns]
                              for sc in rows])


def download(table: str, fmt: str, rows: list[Any]) -> Response:
    sheet = _stations(rows) if table == "stations" else _scales(rows)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return export.response(sheet, fmt, f"{table}-{stamp}")
