"""Lots and shipments: contents, the units they came from, shipment and receipt of the manifest."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("lots", __name__, url_prefix="/lots", template_folder="templates")
