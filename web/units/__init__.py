"""Units: search by label, trade-in code or serial; a unit's timeline of entries with proofs."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("units", __name__, url_prefix="/units", template_folder="templates")
