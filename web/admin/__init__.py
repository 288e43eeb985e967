"""Administration: console users and their roles.

A thin page over `web.accounts` (the same functions `dledger user ...` uses): list, add,
deactivate, reset a password. Password hashes never leave `web.accounts`. Deactivating or
resetting a password ends that user's sessions at their next request (see web.auth).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_user

from web import accounts
from web.access import ROLES, roles_required
from web.auth import User
from web.context import engine
from web.nav import add_nav

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Users"), order=90)


def _account(name: str) -> accounts.Account:
    account = accounts.get_user(engine(), name)
    if account is None:
        abort(404)
    return account


def _password_errors(password: str, again: str) -> dict[str, str]:
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        return {"password": gettext("The password has %(count)s characters; use at least "
                                    "%(minimum)s.", count=len(password),
                                    minimum=accounts.MIN_PASSWORD_LENGTH)}
    if len(password) > accounts.MAX_PASSWORD_LENGTH:
        return {"password": gettext("The password is longer than %(maximum)s characters.",
                                    maximum=accounts.MAX_PASSWORD_LENGTH)}
    if password != again:
        return {"password_again": gettext("The two passwords differ; type the same password "
                                          "twice.")}
    return {}


@bp.route("/")
@roles_required("admin")
def index() -> ResponseReturnValue:
    return render_template("admin/index.html", users=accounts.list_users(engine()),
                           language_names=accounts.LANGUAGES)


@bp.get("/users/new")
@roles_required("admin")
def add_user() -> ResponseReturnValue:
    return _add_user()


@bp.post("/users/new")  # its own endpoint: a bare POST may fail validation (422)
@roles_required("admin")
def add_user_post() -> ResponseReturnValue:
    return _add_user()


def _add_user() -> ResponseReturnValue:
    form = {"name": request.form.get("name", "").strip(), "role": request.form.get("role", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        password, again = request.form.get("password", ""), request.form.get("password_again", "")
        try:
            accounts.check_name(form["name"])
        except accounts.AccountError:
            errors["name"] = gettext("User name %(value)s: use 1 to 64 letters, digits, '.', "
                                     "'_', '@' or '-', without spaces.",
                                     value=repr(form["name"][:64]))
        else:
            if accounts.get_user(engine(), form["name"]) is not None:
                errors["name"] = gettext("User %(value)s already exists; choose another name.",
                                         value=form["name"])
        if form["role"] not in ROLES:
            errors["role"] = gettext("Choose a role.")
        errors.update(_password_errors(password, again))
        if not errors:
            try:
                accounts.create_user(engine(), form["name"], form["role"], password)
            except accounts.AccountError as exc:  # e.g. created by someone else just now
                errors["form"] = str(exc)
            else:
                flash(gettext("User %(name)s added. Give them their password in person.",
                              name=form["name"]), "info")
                return redirect(url_for("admin.index"))
    return render_template("admin/add.html", form=form, errors=errors, roles=ROLES), \
        422 if errors else 200


@bp.get("/users/<name>/deactivate")
@roles_required("admin")
def deactivate(name: str) -> ResponseReturnValue:
    return _deactivate(name)


@bp.post("/users/<name>/deactivate")  # its own endpoint: a bare POST may fail validation (422)
@roles_required("admin")
def deactivate_post(name: str) -> ResponseReturnValue:
    return _deactivate(name)


def _deactivate(name: str) -> ResponseReturnValue:
    account = _account(name)
    if name == current_user.name:
        flash(gettext("You cannot deactivate your own account; ask another administrator."),
              "error")
        return redirect(url_for("admin.index"))
    if not account.active:
        flash(gettext("User %(name)s is already inactive.", name=name), "info")
        return redirect(url_for("admin.index"))
    error = None
    if request.method == "POST":
        if request.form.get("confirm") != name:
            error = gettext("Nothing was changed: confirm by pressing the button on this page.")
        else:
            accounts.deactivate(engine(), name)
            flash(gettext("User %(name)s deactivated: they are signed out and can no longer "
                          "sign in.", name=name), "info")
            return redirect(url_for("admin.index"))
    return render_template("admin/deactivate.html", account=account, error=error), \
        422 if error else 200


@bp.get("/users/<name>/password")
@roles_required("admin")
def reset_password(name: str) -> ResponseReturnValue:
    return _reset_password(name)


@bp.post("/users/<name>/password")  # its own endpoint: a bare POST may fail validation (422)
@roles_required("admin")
def reset_password_post(name: str) -> ResponseReturnValue:
    return _reset_password(name)


def _reset_password(name: str) -> ResponseReturnValue:
    account = _account(name)
    errors: dict[str, str] = {}
    if request.method == "POST":
        password, again = request.form.get("password", ""), request.form.get("password_again", "")
        errors = _password_errors(password, again)
        if not errors:
            accounts.set_password(engine(), name, password)
            if name == current_user.name:  # keep the admin who changed their own password in
                login_user(User(_account(name)))
                flash(gettext("Your password was changed. Your other sessions are signed out."),
                      "info")
            else:
                flash(gettext("Password of %(name)s reset: their sessions are signed out. Give "
                              "them the new password in person.", name=name), "info")
            return redirect(url_for("admin.index"))
    return render_template("admin/password.html", account=account, errors=errors), \
        422 if errors else 200
