"""Signing in and out, the login throttle, sessions that end, CSRF, the API's 401."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def test_five_failures_lock_the_name_across_app_instances(app, instance, csrf_token, caplog):
    other = create_app(instance, {"TESTING": True})  # another worker process, same database
    name = USERS["inspector"]
    for attempt in range(5):
        client = (app if attempt % 2 else other).test_client()
        assert _login(client, csrf_token, name, f"wrong {attempt}!!",
                      address=f"198.51.100.{attempt}").status_code == 401
    refused = _login(other.test_client(), csrf_token, name, PASSWORD, address="203.0.113.9")
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    assert "throttled" in caplog.text and PASSWORD not in caplog.text
    assert _login(app.test_client(), csrf_token, USERS["worker"], PASSWORD).status_code == 302


def test_five_failures_from_one_address_lock_that_address(app, csrf_token):
    for n in range(5):
        _login(app.test_client(), csrf_token, f"guess-{n}", "wrong password!", address="10.9.9.9")
    assert _login(app.test_client(), csrf_token, USERS["admin"], PASSWORD,
                  address="10.9.9.9").status_code == 429
    assert _login(app.test_client(), csrf_token, USERS["admin"], PASSWORD,
                  address="10.9.9.10").status_code == 302


def test_the_lock_lasts_fifteen_minutes_from_the_fifth_failure(app):
    db = app.extensions["dledger"].engine
    start = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    for minute in range(5):
        when = start + timedelta(minutes=minute * 3)  # five failures within 12 minutes
        assert accounts.authenticate(db, "manager-1", "wrong!!!!!!", "192.0.2.5", when) is None
    fifth = start + timedelta(minutes=12)
    with pytest.raises(accounts.LoginThrottled) as throttled:
        accounts.authenticate(db, "manager-1", PASSWORD, "192.0.2.6", fifth + timedelta(minutes=14))
    assert throttled.value.until == fifth + accounts.LOCKOUT
    later = fifth + accounts.LOCKOUT + timedelta(seconds=1)
    assert accounts.authenticate(db, "manager-1", PASSWORD, "192.0.2.6", later) is not None


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
