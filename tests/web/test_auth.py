"""Signing in and out, the login throttle, sessions that end, CSRF, the API's 401."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Blueprint

from web import accounts
from web.access import roles_required
from web.app import create_app

from .conftest import PASSWORD, USERS


def _login(client, csrf_token, name, password, address="192.0.2.1", next_url=""):
    return client.post(f"/login{next_url}", environ_base={"REMOTE_ADDR": address},
                       data={"csrf_token": csrf_token(client), "name": name,
                             "password": password})


def test_login_lands_by_role_and_logout_ends_the_session(app, csrf_token):
    client = app.test_client()
    response = _login(client, csrf_token, USERS["manager"], PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/dashboard/").headers["Location"] == "/login?next=/dashboard/"


def test_login_returns_to_the_page_asked_for_but_never_off_site(app, csrf_token):
    client = app.test_client()
    back = _login(client, csrf_token, USERS["admin"], PASSWORD, next_url="?next=/dashboard/")
    assert back.headers["Location"] == "/dashboard/"
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client = app.test_client()
        response = _login(client, csrf_token, USERS["admin"], PASSWORD, next_url=f"?next={evil}")
        assert response.headers["Location"] == "/"


def test_worker_lands_on_their_home_page(app, client_for):
    page = client_for("worker").get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "kiosk" in page.get_data(as_text=True)


def test_wrong_password_or_unknown_name_is_refused_alike(app, csrf_token):
    for name in (USERS["manager"], "nobody"):
        client = app.test_client()
        response = _login(client, csrf_token, name, "wrong password!")
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
        assert client.get("/").status_code == 302


def test_failures_from_one_address_slow_that_address_across_app_instances(
        app, instance, csrf_token, caplog):
    other = create_app(instance, {"TESTING": True})  # another worker process, same database
    name = USERS["inspector"]
    for attempt in range(accounts.ADDRESS_FREE_FAILURES + 1):
        client = (app if attempt % 2 else other).test_client()
        assert _login(client, csrf_token, name, f"wrong {attempt}!!",
                      address="198.51.100.7").status_code == 401
    refused = _login(other.test_client(), csrf_token, name, PASSWORD, address="198.51.100.7")
    assert refused.status_code == 429
    assert "此设备登录失败次数过多" in refused.get_data(as_text=True)
    assert "throttled" in caplog.text and PASSWORD not in caplog.text
    # The real user, from an address that has not been failing, still signs in.
    assert _login(app.test_client(), csrf_token, name, PASSWORD,
                  address="203.0.113.9").status_code == 302


def test_an_attacker_cannot_lock_the_plant_manager_out(app, csrf_token):
    """Issue 13, break 10: five wrong passwords from anywhere locked the name for 15 minutes."""
    db = app.extensions["dledger"].engine
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    waits: list[float] = []
    for n in range(40):  # a botnet: many addresses, each trying five times
        address = f"198.51.100.{n // 5}"
        try:
            assert accounts.authenticate(db, "manager-1", "wrong!!!!!!", address, now,
                                         pause=waits.append) is None
        except accounts.LoginThrottled:
            pass
    signed_in = accounts.authenticate(db, "manager-1", PASSWORD, "192.0.2.50", now,
                                      pause=waits.append)
    assert signed_in is not None and signed_in.name == "manager-1"
    assert waits and max(waits) == accounts.NAME_DELAY_MAX  # slowed, never refused
    # The attacker's addresses stay slowed after the manager signed in.
    with pytest.raises(accounts.LoginThrottled):
        accounts.authenticate(db, "manager-1", "wrong!!!!!!", "198.51.100.0", now)


def test_the_wait_doubles_with_each_failure_from_that_address(app):
    db = app.extensions["dledger"].engine
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    for _ in range(accounts.ADDRESS_FREE_FAILURES):
        assert accounts.authenticate(db, "worker-1", "wrong!!!!!!", "192.0.2.5", now) is None
    waits = []
    for _ in range(4):
        assert accounts.authenticate(db, "worker-1", "wrong!!!!!!", "192.0.2.5", now) is None
        with pytest.raises(accounts.LoginThrottled) as throttled:
            accounts.authenticate(db, "worker-1", PASSWORD, "192.0.2.5", now)
        waits.append(throttled.value.until - now)
        now = throttled.value.until  # the attacker waits it out and tries again
    first = accounts.BACKOFF_FIRST
    assert waits == [first, 2 * first, 4 * first, 8 * first]
    assert accounts.authenticate(db, "worker-1", PASSWORD, "192.0.2.5", now) is not None


def test_the_wait_is_bounded(app):
    db = app.extensions["dledger"].engine
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    for _ in range(30):
        try:
            accounts.authenticate(db, "worker-1", "wrong!!!!!!", "192.0.2.5", now)
        except accounts.LoginThrottled as throttled:
            assert throttled.until - now <= accounts.BACKOFF_MAX
            now = throttled.until
    assert accounts.name_delay(db, "worker-1", now) <= accounts.NAME_DELAY_MAX


def test_many_names_from_one_address_slow_that_address(app, csrf_token):
    for n in range(accounts.ADDRESS_SPRAY_FAILURES + 1):
        _login(app.test_client(), csrf_token, f"guess-{n}", "wrong password!", address="10.9.9.9")
    assert _login(app.test_client(), csrf_token, USERS["admin"], PASSWORD,
                  address="10.9.9.9").status_code == 429
    assert _login(app.test_client(), csrf_token, USERS["admin"], PASSWORD,
                  address="10.9.9.10").status_code == 302


def test_a_name_failing_from_few_addresses_is_not_delayed(app):
    db = app.extensions["dledger"].engine
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    for n in range(accounts.NAME_FREE_FAILURES):
        accounts.authenticate(db, "admin-1", "wrong!!!!!!", f"192.0.2.{n}", now)
    waits: list[float] = []
    assert accounts.authenticate(db, "admin-1", PASSWORD, "192.0.2.200", now,
                                 pause=waits.append) is not None
    assert waits == []


def test_a_cookie_saved_before_logout_opens_nothing_after_it(app, csrf_token):
    """Issue 13, break 3: nothing was revoked on the server; the cookie lived 12 hours."""
    client = app.test_client()
    assert _login(client, csrf_token, USERS["manager"], PASSWORD).status_code == 302
    saved = client.get_cookie("dledger_session")
    assert saved is not None
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("dledger_session", saved.value)
    assert replay.get("/dashboard/").headers["Location"] == "/login?next=/dashboard/"
    # Signing in again makes a new session; the saved cookie stays refused.
    assert _login(app.test_client(), csrf_token, USERS["manager"], PASSWORD).status_code == 302
    assert replay.get("/dashboard/").status_code == 302


def test_a_password_change_signs_out_the_other_sessions(app, csrf_token):
    db = app.extensions["dledger"].engine
    phone, desk = app.test_client(), app.test_client()
    for client in (phone, desk):
        assert _login(client, csrf_token, USERS["inspector"], PASSWORD).status_code == 302
        assert client.get("/ledger/").status_code == 200
    accounts.set_password(db, USERS["inspector"], "a brand new password")
    assert phone.get("/ledger/").status_code == 302 and desk.get("/ledger/").status_code == 302
    assert _login(app.test_client(), csrf_token, USERS["inspector"],
                  "a brand new password").status_code == 302


def test_deactivation_and_password_change_end_existing_sessions(app, client_for):
    db = app.extensions["dledger"].engine
    manager, worker = client_for("manager"), client_for("worker")
    assert manager.get("/dashboard/").status_code == 200
    accounts.set_password(db, USERS["manager"], "a brand new password")
    assert manager.get("/dashboard/").status_code == 302
    assert worker.get("/").status_code == 200
    accounts.deactivate(db, USERS["worker"])
    assert worker.get("/").status_code == 302


def test_accounts_refuse_short_passwords_unknown_roles_and_duplicates(app):
    db = app.extensions["dledger"].engine
    with pytest.raises(accounts.AccountError, match="at least 10"):
        accounts.create_user(db, "shorty", "worker", "123456789")
    with pytest.raises(accounts.AccountError, match="role"):
        accounts.create_user(db, "boss", "owner", PASSWORD)
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.create_user(db, USERS["worker"], "worker", PASSWORD)
    with pytest.raises(accounts.AccountError, match="no user"):
        accounts.deactivate(db, "nobody")
    stored = accounts.get_user(db, USERS["worker"])
    assert stored is not None and PASSWORD not in repr(stored)


def test_a_form_post_without_csrf_token_is_refused(app, client_for):
    client = client_for("manager")
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 200  # still signed in
    anonymous = app.test_client().post("/login", data={"name": USERS["admin"],
                                                        "password": PASSWORD})
    assert anonymous.status_code == 400


def test_api_routes_answer_401_and_403_in_json(app, client_for):
    probe = Blueprint("probe", __name__, url_prefix="/api/v1/probe")
    probe.add_url_rule("/", "index", roles_required("manager")(lambda: {"ok": True}))
    app.register_blueprint(probe)
    anonymous = client_for(None).get("/api/v1/probe/")
    assert anonymous.status_code == 401 and "error" in anonymous.get_json()
    assert client_for("worker").get("/api/v1/probe/").status_code == 403
    assert client_for("manager").get("/api/v1/probe/").get_json() == {"ok": True}


def test_session_cookie_is_httponly_and_lax(app, csrf_token):
    client = app.test_client()
    response = _login(client, csrf_token, USERS["manager"], PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
