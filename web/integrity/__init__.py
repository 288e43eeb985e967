"""The ledger itself: signed checkpoints, audit status and runs, consistency proofs."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("integrity", __name__, url_prefix="/ledger", template_folder="templates")
