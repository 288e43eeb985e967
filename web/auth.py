"""Signing in and out, and choosing the language: the `auth` blueprint and Flask-Login glue.

A session remembers the user by name plus a token derived from the password hash and the
account's session generation (web/accounts.py). Signing out, changing the password and
deactivating the account increment the generation in the database, so every session begun
before ends on the server, in every worker: a copy of the cookie saved before `/logout` no
longer opens anything. Signing out therefore signs the user out on every device.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, gettext, lazy_gettext
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from web import accounts
from web.access import ROLES, public, roles_required, safe_next
from web.context import engine
from web.i18n import LANGUAGES, SESSION_KEY

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class User(UserMixin):
    """The signed-in person, as Flask-Login wants it; `account` is what the database says."""

    def __init__(self, account: accounts.Account):
        self.account = account
        self.name = account.name
        self.role = account.role
        self.language = account.language

    def get_id(self) -> str:
        return f"{self.account.name}:{self.account.session_token}"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    name, _, token = user_id.rpartition(":")
    account = accounts.get_user(engine(), name)
    if account is None or not account.active or account.session_token != token:
        return None
    return User(account)


class LoginForm(FlaskForm):
    name = StringField(lazy_gettext("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(lazy_gettext("Password"),
                             validators=[DataRequired(), Length(max=accounts.MAX_PASSWORD_LENGTH)])


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            account = accounts.authenticate(engine(), form.name.data or "",
                                            form.password.data or "",
                                            request.remote_addr or "unknown")
        except accounts.LoginThrottled as throttled:
            until = format_datetime(throttled.until, "HH:mm")  # in the plant's time zone
            flash(gettext("Too many failed sign-ins from this device. Try again after "
                          "%(time)s, or sign in from another device.", time=until), "error")
            status = 429
        else:
            if account is None:
                flash(gettext("Wrong user name or password."), "error")
                status = 401
            else:
                chosen = session.get(SESSION_KEY)
                session.clear()  # a fresh session for the signed-in user
                login_user(User(account))
                if (language := account.language or chosen) in LANGUAGES:
                    session[SESSION_KEY] = language
                return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@roles_required(*ROLES)
def logout() -> ResponseReturnValue:
    accounts.end_sessions(engine(), current_user.name)
    logout_user()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str) -> ResponseReturnValue:
    """Switch the language for this session, and for the user's next sessions too."""
    if code not in LANGUAGES:
        abort(404)
    session[SESSION_KEY] = code
    if current_user.is_authenticated:
        accounts.set_language(engine(), current_user.name, code)
    back = safe_next(request.form.get("next"))
    return redirect(back or url_for("home.index"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
