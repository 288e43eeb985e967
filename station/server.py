"""The station's local web app: the kiosk page and the JSON endpoints it calls.

    GET  /api/state            the Workstation's snapshot
    POST /api/scan             {"text": "..."}          → Outcome
    POST /api/act/<action>     {"field": "value", ...}  → Outcome

POSTs need the header `X-Kiosk-Token` equal to this process's random token, which the page
embeds: another site open in the kiosk's browser cannot post scans (CSRF for a JSON app with
no login). Refusals answer 409, bad input 400, a fault of the station 500 (refusal "error"),
success 200, each with the Outcome. The app
listens on 127.0.0.1 unless station.toml says otherwise.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Flask, Response, current_app, jsonify, request

from station import kiosk
from station.agent import Workstation
from station.outcome import Outcome
from station.workflow import N_, Message

EXTENSION = "workstation"


def create_app(workstation: Workstation) -> Flask:
    app = Flask(__name__)
    app.config["KIOSK_TOKEN"] = secrets.token_urlsafe(32)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions[EXTENSION] = workstation
    app.register_blueprint(kiosk.bp)
    kiosk.init_app(app, workstation.config.language)
    host = workstation.config.listen[0]
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 -- recognising a wildcard, not binding
        app.config["KIOSK_HOSTS"] = {"127.0.0.1", "localhost", "[::1]", host}
        app.before_request(_check_host)
    app.add_url_rule("/api/state", view_func=_state, methods=["GET"])
    app.add_url_rule("/api/scan", view_func=_scan, methods=["POST"])
    app.add_url_rule("/api/act/<action>", view_func=_act, methods=["POST"])
    return app


def _check_host() -> tuple[Response, int] | None:
    """Only answer requests addressed to this machine by a name it listens on: another site
    renamed to 127.0.0.1 (DNS rebinding) must not read the page's token or the state."""
    hosts = current_app.config["KIOSK_HOSTS"]
    name = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    if name in hosts:
        return None
    return jsonify({"error": f"this station answers only as {', '.join(sorted(hosts))}, "
                             f"not {request.host}"}), 403


def _workstation() -> Workstation:
    return current_app.extensions[EXTENSION]


def _state() -> Response:
    response = jsonify(_workstation().state())
    response.headers["Cache-Control"] = "no-store"
    return response


def _scan() -> tuple[Response, int]:
    body = _body()
    if isinstance(body, tuple):
        return body
    text = body.get("text")
    if not isinstance(text, str):
        return _answer(Outcome(False, Message(N_("Send the scan as text"), {}), "bad_input"))
    return _answer(_workstation().scan(text))


def _act(action: str) -> tuple[Response, int]:
    body = _body()
    if isinstance(body, tuple):
        return body
    fields = {k: v if isinstance(v, str) else str(v) for k, v in body.items()
              if isinstance(v, str | int) and not isinstance(v, bool)}
    return _answer(_workstation().act(action, fields))


def _body() -> dict[str, Any] | tuple[Response, int]:
    """The JSON object posted, or the answer refusing the request."""
    expected = current_app.config["KIOSK_TOKEN"]
    token = request.headers.get("X-Kiosk-Token", "")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return _answer(Outcome(False, Message(N_("This page is not the station's kiosk: reload "
                                                 "it"), {}), "forbidden"), 403)
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        body = {}
    if not isinstance(body, dict):
        return _answer(Outcome(False, Message(N_("Send a JSON object"), {}), "bad_input"))
    return body


def _answer(outcome: Outcome, status: int | None = None) -> tuple[Response, int]:
    if status != 403:  # a page without the token is not the worker's: not shown to them
        _workstation().record(outcome)
    if status is None:
        status = 200 if outcome.ok else {"bad_input": 400, "error": 500}.get(
            outcome.refusal or "", 409)
    return jsonify(outcome.as_json()), status
