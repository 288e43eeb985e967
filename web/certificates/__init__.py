"""Certificates in the console: issue, list, download and revoke them; the public verify page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__, url_prefix="/certificates", template_folder="templates")
