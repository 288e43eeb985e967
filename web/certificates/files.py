"""The certificates list as a CSV or XLSX file (web/export.py): every issued certificate,
newest first, with its subject and status, as the list shows them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask_babel import gettext

from web import export

HEADERS = (("text", lambda: gettext("Kind")), ("text", lambda: gettext("Subject")),
           ("int", lambda: gettext("Entry")), ("time", lambda: gettext("Issued")),
           ("text", lambda: gettext("By")), ("text", lambda: "SHA-256"),
           ("text", lambda: gettext("Status")), ("int", lambda: gettext("Revoked at entry")),
           ("text", lambda: gettext("Reason for revoking")))


def _row(item: dict[str, Any], kind_name: Callable[[str], str]) -> list[Any]:
    revoked = item["revoked"]
    return [kind_name(item["kind"]), item["subject"], item["index"],
            export.cell(item["time"], "time"), item["operator"], item["sha256"],
            gettext("revoked") if revoked else gettext("valid"),
            revoked[0] if revoked else None,
            revoked[1]["data"]["reason"] if revoked else None]


def download(items: Iterable[dict[str, Any]], fmt: str,
             kind_name: Callable[[str], str]) -> Response:
    sheet = export.Sheet(key="certificates", caption=gettext("Issued certificates"),
                         header=[title() for _, title in HEADERS],
                         kinds=[kind for kind, _ in HEADERS],
                         rows=(_row(item, kind_name) for item in items))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return export.response(sheet, fmt, f"certificates-{stamp}")
