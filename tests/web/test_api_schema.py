"""Property-based run of the JSON API against its own OpenAPI document (schemathesis, in
process through the WSGI app, no network): valid and invalid requests for every operation,
never a 5xx, every answer as documented, every refusal an `Error` naming the field.

schemathesis' own pytest plugin (`schemathesis.pytest.from_fixture`) does not run under
pytest 9 (it sets the private `Function._nodeid`), so each operation's strategy is drawn
with Hypothesis directly (`APIOperation.as_strategy`). The app is the sample day, made once
for the module: nothing here can change it (no request carries a valid station signature).
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")

# (method, path, what schema-valid data may still be refused with, beyond 2xx/403/404/409)
OPERATIONS = [
    ("GET", "/api/v1/checkpoint", None),
    ("GET", "/api/v1/entries/{index}", None),
    ("GET", "/api/v1/proof/inclusion/{index}", 422),  # index not in the tree of `size`
    ("GET", "/api/v1/proof/consistency", 422),  # old > new: a rule JSON Schema cannot state
    ("GET", "/api/v1/units/{label}", None),
    ("POST", "/api/v1/events", 422),  # random events fail the ledger's own rules and signatures
    ("GET", "/api/v1/openapi.json", None),
    ("GET", "/api/v1/events", None),
    ("GET", "/api/v1/trade-in", None),
    ("GET", "/api/v1/certificates/{sha256}", None),
    ("GET", "/api/v1/cylinders/{cylinder}", None),
    ("GET", "/api/v1/catalogue", None),
    ("POST", "/api/v1/heartbeats", 422),  # random heartbeats: unknown stations, bad times
]
# Operations with something to get wrong (the others take no input, or any string).
INVALID = {"/api/v1/entries/{index}", "/api/v1/proof/inclusion/{index}",
           "/api/v1/proof/consistency", "/api/v1/units/{label}", "/api/v1/events",
           "/api/v1/trade-in", "/api/v1/heartbeats"}
EXAMPLES = int(os.environ.get("DLEDGER_API_EXAMPLES", "25"))  # ~25 per operation and mode


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    """Like `sample_app`, once per module (settings from the environment cleared)."""
    from ledger.log import Submission
    from tests.web.conftest import _CONSOLE_ENV, REPO, make_instance
    from web.app import create_app
    from web.context import ledger

    lines = (REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    with pytest.MonkeyPatch.context() as env:
        for name in _CONSOLE_ENV:
            env.delenv(name, raising=False)
        app = create_app(make_instance(tmp_path_factory.mktemp("api") / "instance"),
                         {"TESTING": True})
    with app.app_context():
        ledger().append([Submission.from_json(json.loads(line)) for line in lines])
    return app


def _schema(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # A body over the size limit is refused with 413 (documented), before it is even parsed.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return schema


def test_every_operation_is_exercised(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert documented == {(method, path) for method, path, _ in OPERATIONS}


CASES = [pytest.param(method, path, also, mode, id=f"{method} {path} {mode.value}")
         for method, path, also in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or path in INVALID]


@pytest.mark.parametrize(("method", "path", "also", "mode"), CASES)
def test_api_answers_as_documented(api_app, method, path, also, mode):
    operation = _schema(api_app)[path][method]
    # schema-valid data that the API may still refuse: checked below instead
    excluded = [positive_data_acceptance] if also else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call_and_validate(excluded_checks=excluded)
        assert response.status_code < 500
        if mode is GenerationMode.POSITIVE:
            assert response.status_code in (200, 403, 404, 409, also), response.text
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body.get("error"), str) and body["error"], body
            assert set(body) <= {"error", "field", "item", "rule"}, body
            if response.status_code in (400, 403, 409, 415, 422):
                assert body.get("field"), body

    run()
