"""Fixtures for console tests, meant for every page's tests: a fresh instance and app, one
user per role, signed-in clients and CSRF tokens.

    def test_my_page(client_for):
        assert client_for("manager").get("/my-page").status_code == 200

    def test_my_form(client_for, csrf_token):
        client = client_for("admin")
        client.post("/my-form", data={"csrf_token": csrf_token(client), ...})
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from werkzeug.serving import make_server

from ledger import catalogue
from ledger.instance import KEY_FILE, Instance, write_config
from ledger.keys import new_plant_signer, write_key
from ledger.log import Ledger
from ledger.store import migrate
from web import accounts
from web.access import ROLES
from web.app import create_app
from web.auth import User
from web.context import engine, ledger

REPO = Path(__file__).resolve().parent.parent.parent

ORIGIN = "ledger.test-plant.example/WEB"
PASSWORD = "correct horse battery staple"
USERS = {role: f"{role}-1" for role in ROLES}  # one active user per role, named e.g. "manager-1"
_CONSOLE_ENV = ("DLEDGER_DATABASE_URL", "DLEDGER_TIMEZONE", "DLEDGER_GWP", "DLEDGER_HTTPS",
                "DLEDGER_TRUSTED_PROXIES")


def make_instance(home: Path) -> Instance:
    """A new instance folder with an unencrypted plant key and a migrated SQLite database
    whose entry 0 publishes the default catalogue, as `dledger init` makes it."""
    write_config(home, ORIGIN, plaintext_key=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_key(home / KEY_FILE, new_plant_signer(ORIGIN), None, allow_plaintext=True)
    instance = Instance.locate(home, new=True)  # its database is made here
    db = instance.engine()
    migrate(db)
    Ledger(db).publish_catalogue(catalogue.load(), "default", operator="A-0001")
    db.dispose()
    return instance


@pytest.fixture
def console_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No console setting leaks in from the environment; set them with the returned patcher."""
    for name in _CONSOLE_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def instance(tmp_path: Path, console_env: pytest.MonkeyPatch) -> Instance:
    return make_instance(tmp_path / "instance")


@pytest.fixture
def app(instance: Instance) -> Flask:
    """The console on a fresh SQLite instance, with the users in USERS (password PASSWORD)."""
    app = create_app(instance, {"TESTING": True})
    with app.app_context():
        for role, name in USERS.items():
            accounts.create_user(engine(), name, role, PASSWORD)
    return app


@pytest.fixture
def sample_app(app: Flask) -> Flask:
    """The console with the sample day of plant CN3301 (examples/sample-events.jsonl) logged."""
    import json

    from ledger.log import Submission

    lines = (REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    with app.app_context():
        ledger().append([Submission.from_json(json.loads(line)) for line in lines])
    return app


@pytest.fixture
def client_for(app: Flask) -> Callable[[str | None], FlaskClient]:
    """A new test client signed in as USERS[role] (None: anonymous).

    The session is set up directly, not through /login, so that tests stay fast; the login
    page itself is tested in test_auth.py.
    """

    def make(role: str | None) -> FlaskClient:
        client = app.test_client()
        if role is not None:
            with app.app_context():
                account = accounts.get_user(engine(), USERS[role])
            assert account is not None
            with client.session_transaction() as sess:
                sess["_user_id"] = User(account).get_id()
                sess["_fresh"] = True
        return client

    return make


@pytest.fixture
def csrf_token(app: Flask) -> Callable[[FlaskClient], str]:
    """A valid CSRF token for `client`'s session (post it as the `csrf_token` field)."""

    def token(client: FlaskClient) -> str:
        with app.test_request_context():
            value = generate_csrf()
            raw = session["csrf_token"]
        with client.session_transaction() as sess:
            sess["csrf_token"] = raw
        return value

    return token


# -- the browser ------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; `playwright install` cannot download here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"  # screenshots, kept for people to look at


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """`app` over real HTTP on a free local port, for the browser; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def sample_url(sample_app: Flask) -> Iterator[str]:
    with serving(sample_app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright. Missing: a skip locally, a failure under CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing, and CI=true makes that a failure")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
