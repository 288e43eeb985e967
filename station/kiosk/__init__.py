"""The kiosk page: what the worker sees and touches at the workstation.

One page (`/`) and its script, which polls the station's `/api/state` and posts scans and
actions to `/api/scan` and `/api/act/<action>` with the `X-Kiosk-Token` header (see
station/server.py). The station's app registers `bp` and calls `init_app(app, language)`,
which sets up the languages, the error pages (errors.py) and the browser-facing security
headers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from flask_babel import Babel, get_locale

from station.kiosk import errors, i18n

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk-static")

# No inline scripts or styles, nothing from another host (plants cannot rely on a CDN).
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                           "base-uri 'self'")
_MESSAGES = "kiosk_messages"
_CACHE = "kiosk_translations"


@bp.get("/")
def page() -> str:
    """The whole kiosk; its script fills it from /api/state."""
    return render_template("kiosk/page.html", token=current_app.config["KIOSK_TOKEN"],
                           languages=i18n.LANGUAGES, locale=str(get_locale()),
                           cookie=i18n.COOKIE)


@bp.get("/kiosk/messages.json")
def messages() -> Response:
    """The current language's translations, for the templates the script receives."""
    return jsonify(current_app.extensions[_MESSAGES].get(str(get_locale()), {}))


def init_app(app: Flask, language: str = "zh-CN", cache: Path | None = None) -> None:
    """Languages (Flask-Babel; `language` is the station's default) and security headers.

    `cache` receives the compiled catalogues; by default a temporary folder that lives as
    long as the app.
    """
    if cache is None:
        folder = tempfile.TemporaryDirectory(prefix="dledger-kiosk-")
        app.extensions[_CACHE] = folder  # removed when the app goes away
        cache = Path(folder.name)
    app.config[i18n.CONFIG_KEY] = i18n.locale_for(language)
    app.config["BABEL_DEFAULT_LOCALE"] = i18n.DEFAULT_LOCALE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(cache)
    app.extensions[_MESSAGES] = i18n.compile_all(cache)
    Babel(app, locale_selector=i18n.select_locale)
    errors.init_app(app)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
