"""The kiosk's error pages: an unknown address, a wrong method, a bad request or a fault of
the station, said in both of the kiosk's languages on a page styled like the kiosk (a worker
who lands there reads it from a metre away, in either language, and finds the way back), or
as JSON for the kiosk's script under /api/ (it shows the words in the message box).

Werkzeug's own pages are bare English HTML; these replace them for every HTTP error.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import force_locale, gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

from station.kiosk import i18n

LOG = logging.getLogger(__name__)

# status -> (title, what to do); English msgids, Chinese in kiosk.po
WORDS = {
    400: (lazy_gettext("The station could not read this request"),
          lazy_gettext("Go back to the workstation page and try again.")),
    404: (lazy_gettext("There is no such page on this station"),
          lazy_gettext("The workstation page is the only page here: go back to it.")),
    405: (lazy_gettext("This page cannot be used that way"),
          lazy_gettext("Go back to the workstation page and use its buttons.")),
    413: (lazy_gettext("What was sent is too large for the station"),
          lazy_gettext("Go back to the workstation page and try again.")),
    500: (lazy_gettext("The station ran into a fault"),
          lazy_gettext("Nothing more was recorded. Go back to the workstation page; if it "
                       "happens again, call the supervisor.")),
}
_OTHER = (lazy_gettext("The station cannot answer this"),
          lazy_gettext("Go back to the workstation page and try again."))


def init_app(app: Flask) -> None:
    """Every HTTP error, and any fault of a view (Flask turns it into a 500), answered here."""
    app.register_error_handler(HTTPException, _http_error)


def _said(status: int, locale: str) -> dict[str, str]:
    title, advice = WORDS.get(status, _OTHER)
    with force_locale(locale):
        return {"lang": "zh-CN" if locale == i18n.DEFAULT_LOCALE else locale,
                "title": str(title), "advice": str(advice),
                "back": gettext("Back to the workstation")}


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 500
    if status >= 500:
        LOG.error("kiosk: %s %s answered %s: %s", request.method, request.path, status,
                  getattr(error, "original_exception", None) or error)
    if request.path.startswith("/api/"):
        title, advice = WORDS.get(status, _OTHER)
        return jsonify({"error": f"{title}: {advice}", "status": status}), status
    chosen = i18n.select_locale()
    others = [locale for locale in i18n.LANGUAGES if locale != chosen]
    return render_template("kiosk/error.html", status=status,
                           said=[_said(status, locale) for locale in (chosen, *others)]), status
