"""Stations and devices: registered keys (approve, revoke), scales and their calibration."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stations", __name__, url_prefix="/stations", template_folder="templates")
