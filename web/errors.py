"""Error answers a person can act on: pages for people, JSON under /api/."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.access import is_api_request


def _message(error: HTTPException) -> str:
    if isinstance(error, CSRFError):
        return gettext("This form has expired or did not come from this console. Reload the "
                       "page and try again.")
    messages = {
        403: gettext("Your role may not open this page. Ask an administrator if you need it."),
        404: gettext("There is no such page. Check the address, or start again from the menu."),
    }
    return messages.get(error.code or 500, error.description or "")


def handle(error: HTTPException) -> ResponseReturnValue:
    if is_api_request():
        return jsonify(error=error.description), error.code or 500
    code = error.code or 500
    return render_template("error.html", code=code, message=_message(error)), code


def init_app(app: Flask) -> None:
    for code in (400, 403, 404, 405):
        app.register_error_handler(code, handle)
