"""Malformed bodies on every POST route, for a role allowed to post there (issue 13's probe
family): empty, junk fields, over-long and control-character values, numbers beyond any
integer, deep JSON, binary and junk multipart files. None may answer 5xx.

The routes come from `app.url_map` (URL arguments from the role matrix's samples), so a
form added by anyone is probed without editing this file.
"""

from __future__ import annotations

import io

import pytest
from flask import url_for

from tests.web.conftest import USERS
from tests.web.test_role_matrix import ENDPOINT_SAMPLES, QUERY_SAMPLES, URL_SAMPLES
from web.access import ROLES, access_of

pytestmark = pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")

FIELDS = ("name", "password", "role", "language", "reason", "unit", "lot", "kind", "start",
          "end", "label", "net_kg", "received_kg", "receiver", "manifest_no", "flag", "key",
          "resolution", "old", "new", "grams", "mass", "gross_g", "note", "trusted_checkpoint",
          "categories", "station", "scale", "vkey", "approved_by", "next")
VALUES = ["", " ", "x" * 100_000, "\x00\x01\x7f", "99999999999999999999", "-1", "1e309",
          "NaN", "²", "'; DROP TABLE units; --", "<script>alert(1)</script>", "../../etc",
          "日本語\u202e", "[" * 10_000]


def _posts(app):
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "POST" not in (rule.methods or ()):
                continue
            samples = {**URL_SAMPLES, **ENDPOINT_SAMPLES.get(rule.endpoint, {})}
            url = url_for(rule.endpoint, **{arg: samples[arg] for arg in rule.arguments})
            access = access_of(app, rule.endpoint)
            assert access is not None
            role = None if access.public else next(r for r in ROLES if r in access.roles)
            yield rule.endpoint, url + QUERY_SAMPLES.get(rule.endpoint, ""), role


def test_no_malformed_body_makes_a_5xx(sample_app, client_for, csrf_token):
    found = []
    posts = list(_posts(sample_app))
    assert posts
    for endpoint, url, role in posts:
        client = client_for(role)
        token = csrf_token(client)
        bodies = [dict(data={"csrf_token": token}),
                  dict(data=b"\xff\xfe\x00garbage", content_type="application/octet-stream"),
                  dict(data="[" * 50_000, content_type="application/json"),
                  dict(data='{"a": 1e999999, "b": NaN', content_type="application/json"),
                  dict(data={"csrf_token": token,
                             "certificate": (io.BytesIO(b"%PDF-1.7\n\x00junk"), "x.pdf"),
                             "file": (io.BytesIO(b"\xff" * 1000), "x.json")},
                       content_type="multipart/form-data")]
        for value in VALUES:
            bodies.append(dict(data={"csrf_token": token, **dict.fromkeys(FIELDS, value)}))
        for body in bodies:
            response = client.post(url, **body)
            if response.status_code >= 500:
                found.append(f"{endpoint} {url} as {role} ({USERS.get(role)}): "
                             f"{response.status_code} for {str(body)[:120]}")
    assert not found, "\n".join(found)
