"""Every route × every role and anonymous: allowed gets 2xx/3xx, others are turned away.

The routes come from `app.url_map`, so a page added by anyone is covered without editing
this file, unless its URL has an argument: then add a sample value to URL_SAMPLES (one that
answers 2xx/3xx for an allowed user on the `app` fixture's fresh instance).
"""

from __future__ import annotations

from flask import Flask, url_for
from werkzeug.routing import Rule

from web.access import ROLES, access_of, unmarked_endpoints

# Sample values for URL arguments, by argument name; they exist in examples/sample-events.jsonl,
# which the `sample_app` fixture has appended. New pages use these names where they fit.
URL_SAMPLES: dict[str, str] = {
    "filename": "app.css", "code": "en",
    "label": "CN3301-2026-0004812", "lot": "LOT-20261120-STEEL", "station": "ST-01",
    "scale": "SC-1", "index": "5", "cert": "UDC-CN3301-20261120-0001", "name": "worker-1",
    "sha256": "0" * 64, "job": "0" * 32, "cylinder": "CYL-0003", "tile": "0/000",
    "day": "2026-11-20",
}
# Where one endpoint needs another value than URL_SAMPLES gives, by endpoint.
ENDPOINT_SAMPLES: dict[str, dict[str, str]] = {
    "dashboard.static": {"filename": "live.js"},
    "stock.count": {"name": "20261120-1"},
    "stock.adjust": {"name": "20261120-1"},
    "lots.receiver": {"code": "91330106MA27RC0M75"},  # the sample's leaded-glass receiver
    "lots.update_receiver": {"code": "91330106MA27RC0M75"},
}
# Query strings for routes that need one, by endpoint (also from the sample day).
QUERY_SAMPLES: dict[str, str] = {
    "api.subject_events": "?subject=unit:CN3301-2026-0004812",
    "api.trade_in": "?code=TI-2026-33-0877275",
}
IDENTITIES: list[str | None] = [*ROLES, None]


def _requests(app: Flask) -> list[tuple[Rule, str, str]]:
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            missing = [arg for arg in rule.arguments if arg not in URL_SAMPLES]
            assert not missing, (f"{rule.rule}: add a sample value for {missing} to "
                                 "URL_SAMPLES in tests/web/test_role_matrix.py")
            samples = {**URL_SAMPLES, **ENDPOINT_SAMPLES.get(rule.endpoint, {})}
            url = url_for(rule.endpoint, **{arg: samples[arg] for arg in rule.arguments})
            url += QUERY_SAMPLES.get(rule.endpoint, "")
            out += [(rule, method, url) for method in sorted(rule.methods or ())
                    if method not in ("HEAD", "OPTIONS")]
    return out


def _problem(app: Flask, rule: Rule, method: str, role: str | None, status: int,
             location: str) -> str | None:
    access = access_of(app, rule.endpoint)
    assert access is not None
    if access.allows(role):
        if method != "GET":  # a bare POST (only a CSRF token) may fail validation
            return None if status not in (401, 403) and status < 500 else f"allowed, got {status}"
        return None if 200 <= status < 400 else f"allowed, got {status}"
    if role is not None:
        return None if status == 403 else f"denied, expected 403, got {status}"
    if rule.rule.startswith("/api/"):
        return None if status == 401 else f"anonymous API call, expected 401, got {status}"
    to_login = status == 302 and location.startswith("/login")
    return None if to_login else f"anonymous, expected a redirect to /login, got {status}"


def test_every_route_declares_who_may_open_it(app):
    assert unmarked_endpoints(app) == []
    app.add_url_rule("/forgotten", "forgotten", lambda: "oops")
    assert unmarked_endpoints(app) == ["forgotten"]


def test_role_matrix(sample_app, client_for, csrf_token):
    app = sample_app
    requests = _requests(app)
    assert {"auth.login", "auth.logout", "dashboard.index", "static"} <= {
        rule.endpoint for rule, _, _ in requests}
    problems = []
    for rule, method, url in requests:
        for role in IDENTITIES:
            client = client_for(role)  # a fresh client each time: /logout ends its session
            if method == "GET":
                response = client.get(url)
            else:
                response = client.open(url, method=method,
                                       data={"csrf_token": csrf_token(client)})
            problem = _problem(app, rule, method, role, response.status_code,
                               response.headers.get("Location", ""))
            if problem:
                problems.append(f"{method} {url} as {role or 'anonymous'}: {problem}")
    assert not problems, "\n".join(problems)
