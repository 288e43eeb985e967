"""The managers' dashboard (throughput, WIP, refrigerant and CO2e, yields, alerts).

A placeholder for now, so that sign-in lands somewhere and the nav works; the dashboard's
engineer fills it in (see docs/console.md, "How to add a page").
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext

from web.access import roles_required
from web.context import console, ledger
from web.nav import add_nav

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Dashboard"), order=10)


@bp.route("/")
@roles_required("manager", "admin")
def index() -> ResponseReturnValue:
    return render_template("dashboard/index.html", entries=ledger().size(), console=console(),
                           now=datetime.now(UTC))
