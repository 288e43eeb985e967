"""The kiosk page: what the worker sees and touches at the workstation."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk-static")
