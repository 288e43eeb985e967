"""`create_app`: the console for one plant instance, assembled from small explicit modules.

Each gunicorn worker calls this once. Everything a request needs is set up here and nowhere
else: settings (web.config), the ledger (web.context), sign-in (web.auth), access rules
(web.access), CSRF, languages (web.i18n), filters (web.formatting), nav (web.nav), errors.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response
from flask_babel import get_locale
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import inspect
from werkzeug.middleware.proxy_fix import ProxyFix

from ledger.instance import Instance
from web import (
    access,
    admin,
    api,
    auth,
    certificates,
    dashboard,
    errors,
    formatting,
    home,
    i18n,
    integrity,
    lots,
    nav,
    sampling,
    stations,
    stock,
    tiles,
    units,
)
from web.certificates import verify as verify_page
from web.config import ConfigError, settings
from web.context import EXTENSION, Console, console

csrf = CSRFProtect()

# No inline scripts or styles, nothing from another host (plants cannot rely on a CDN).
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                           "base-uri 'self'")


def create_app(instance: Instance | None = None, config: dict[str, Any] | None = None) -> Flask:
    """The console for `instance` (default: Instance.locate()); `config` overrides settings."""
    instance = instance or Instance.locate()
    app = Flask(__name__)
    app.config.update(settings(instance))
    app.config.update(config or {})
    ledger = instance.ledger()
    if not inspect(ledger.engine).has_table("console_users"):
        raise ConfigError("the database has no console tables yet: run `dledger user list` "
                          "or `dledger serve` once, which upgrade the schema")
    app.extensions[EXTENSION] = Console(instance, ledger, ZoneInfo(app.config["DLEDGER_TIMEZONE"]),
                                        app.config["DLEDGER_GWP"])
    if proxies := app.config["DLEDGER_TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    csrf.init_app(app)
    access.init_app(app)
    i18n.init_app(app, cache=instance.home / "cache" / "translations")
    formatting.init_app(app)
    nav.init_app(app)
    errors.init_app(app)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)

    auth.init_app(app)
    app.register_blueprint(home.bp)
    for area in (dashboard, units, lots, stock, stations, certificates, sampling, verify_page,
                 integrity, admin):
        app.register_blueprint(area.bp)
    # The JSON API is authenticated by station signatures or a session role, not a form token.
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tiles.bp)  # the log as c2sp.org/tlog-tiles, under /tlog/

    if unmarked := access.unmarked_endpoints(app):
        raise RuntimeError(f"routes without @roles_required(...) or @public: {unmarked}")
    return app


def _template_globals() -> dict[str, Any]:
    """Names every template may use, besides Flask's, Flask-Login's and the nav's."""
    return {"languages": i18n.LANGUAGES, "current_locale": str(get_locale()),
            "role_names": access.ROLE_NAMES, "plant_origin": console().instance.origin,
            "here": access.here()}


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
