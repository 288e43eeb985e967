"""The JSON API under /api/v1, described by an OpenAPI document (filled in by its engineer)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")
