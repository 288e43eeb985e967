"""The landing page after sign-in: managers and admins go to the dashboard, others get a
short page for their role (a worker records at a station's kiosk, not here)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from web.access import ROLES, current_role, roles_required

bp = Blueprint("home", __name__)
LANDING = {"manager": "dashboard.index", "admin": "dashboard.index"}


@bp.route("/")
@roles_required(*ROLES)
def index() -> ResponseReturnValue:
    role = current_role()
    if role in LANDING:
        return redirect(url_for(LANDING[role]))
    return render_template("home.html", role=role)
