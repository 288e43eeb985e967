"""Users (admin only): list, add, deactivate, reset a password; never a password hash."""

from __future__ import annotations

import pytest

from web import accounts
from web.context import engine

from .conftest import ARTIFACTS, PASSWORD, USERS

EN = {"Accept-Language": "en"}
NEW_PASSWORD = "another long pass phrase"


def _user(app, name):
    with app.app_context():
        return accounts.get_user(engine(), name)


def _password_ok(app, name, password) -> bool:
    with app.app_context():
        return accounts.authenticate(engine(), name, password, "198.51.100.7") is not None


def test_list_users_without_hashes(app, client_for):
    page = client_for("admin").get("/admin/", headers=EN).get_data(as_text=True)
    for name in USERS.values():
        assert f"<strong>{name}</strong>" in page
    assert "Inspector" in page and "(you)" in page
    assert "scrypt" not in page and "password_hash" not in page
    assert "/admin/users/admin-1/deactivate" not in page  # not oneself


def test_add_a_user(app, client_for, csrf_token):
    client = client_for("admin")
    assert client.get("/admin/users/new").status_code == 200
    response = client.post("/admin/users/new", headers=EN, data={
        "csrf_token": csrf_token(client), "name": "W-0042", "role": "worker",
        "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    account = _user(app, "W-0042")
    assert account is not None and account.role == "worker" and account.active
    assert _password_ok(app, "W-0042", NEW_PASSWORD)
    page = client.get("/admin/", headers=EN).get_data(as_text=True)
    assert "User W-0042 added." in page


@pytest.mark.parametrize(("changes", "words"), [
    ({"password_again": "something else entirely"}, "The two passwords differ"),
    ({"password": "short", "password_again": "short"},
     "The password has 5 characters; use at least 10."),
    ({"name": "has space"}, "User name &#39;has space&#39;: use 1 to 64 letters"),
    ({"name": ""}, "User name &#39;&#39;"),
    ({"name": "worker-1"}, "User worker-1 already exists; choose another name."),
    ({"role": "boss"}, "Choose a role."),
])
def test_add_user_refusals_change_nothing(app, client_for, csrf_token, changes, words):
    client = client_for("admin")
    data = {"csrf_token": csrf_token(client), "name": "W-0043", "role": "worker",
            "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, **changes}
    response = client.post("/admin/users/new", headers=EN, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and words in page
    assert NEW_PASSWORD not in page  # passwords are never sent back
    assert _user(app, "W-0043") is None
    if changes.get("name") == "worker-1":
        assert _password_ok(app, "worker-1", PASSWORD)


def test_deactivate_a_user(app, client_for, csrf_token):
    worker = client_for("worker")
    assert worker.get("/").status_code in (200, 302)
    admin = client_for("admin")
    page = admin.get("/admin/users/worker-1/deactivate", headers=EN).get_data(as_text=True)
    assert "Deactivate worker-1" in page
    bare = admin.post("/admin/users/worker-1/deactivate", headers=EN,
                      data={"csrf_token": csrf_token(admin)})
    assert bare.status_code == 422 and _user(app, "worker-1").active
    done = admin.post("/admin/users/worker-1/deactivate", headers=EN, follow_redirects=True,
                      data={"csrf_token": csrf_token(admin), "confirm": "worker-1"})
    assert "User worker-1 deactivated" in done.get_data(as_text=True)
    assert not _user(app, "worker-1").active
    # Their session ends at the next request, and they cannot sign in again.
    assert worker.get("/stations/").headers["Location"].startswith("/login")
    assert not _password_ok(app, "worker-1", PASSWORD)
    again = admin.get("/admin/users/worker-1/deactivate", headers=EN, follow_redirects=True)
    assert "User worker-1 is already inactive." in again.get_data(as_text=True)


def test_an_admin_cannot_deactivate_themself(app, client_for, csrf_token):
    admin = client_for("admin")
    response = admin.post("/admin/users/admin-1/deactivate", headers=EN, follow_redirects=True,
                          data={"csrf_token": csrf_token(admin), "confirm": "admin-1"})
    assert "You cannot deactivate your own account" in response.get_data(as_text=True)
    assert _user(app, "admin-1").active


def test_reset_a_password(app, client_for, csrf_token):
    manager = client_for("manager")
    admin = client_for("admin")
    refused = admin.post("/admin/users/manager-1/password", headers=EN, data={
        "csrf_token": csrf_token(admin), "password": NEW_PASSWORD, "password_again": "x"})
    assert refused.status_code == 422
    assert "The two passwords differ" in refused.get_data(as_text=True)
    assert _password_ok(app, "manager-1", PASSWORD)
    done = admin.post("/admin/users/manager-1/password", headers=EN, follow_redirects=True,
                      data={"csrf_token": csrf_token(admin), "password": NEW_PASSWORD,
                            "password_again": NEW_PASSWORD})
    assert "Password of manager-1 reset" in done.get_data(as_text=True)
    assert _password_ok(app, "manager-1", NEW_PASSWORD)
    assert not _password_ok(app, "manager-1", PASSWORD)
    assert manager.get("/stations/").headers["Location"].startswith("/login")


def test_an_admin_changing_their_own_password_stays_signed_in(app, client_for, csrf_token):
    admin = client_for("admin")
    response = admin.post("/admin/users/admin-1/password", headers=EN, follow_redirects=True,
                          data={"csrf_token": csrf_token(admin), "password": NEW_PASSWORD,
                                "password_again": NEW_PASSWORD})
    assert "Your password was changed." in response.get_data(as_text=True)
    assert admin.get("/admin/").status_code == 200
    assert _password_ok(app, "admin-1", NEW_PASSWORD)


def test_unknown_user_is_404(app, client_for):
    assert client_for("admin").get("/admin/users/nobody/password").status_code == 404


def test_page_in_chinese(app, client_for):
    page = client_for("admin").get("/admin/").get_data(as_text=True)
    assert "添加用户" in page and "重置密码" in page


def test_screenshots(base_url, browser):
    for locale, lang, title in (("zh-CN", "zh", "用户"), ("en-US", "en", "Users")):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{base_url}/login?next=/admin/")
        page.fill("#name", USERS["admin"])
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{base_url}/admin/")
        assert page.locator("h1").inner_text() == title
        page.screenshot(path=str(ARTIFACTS / f"console-users-{lang}.png"), full_page=True)
        page.goto(f"{base_url}/admin/users/new")
        page.fill("#name", "W 42")
        page.fill("#password", "short")
        page.click("button.primary")
        page.wait_for_selector(".field-error")
        page.screenshot(path=str(ARTIFACTS / f"console-users-add-{lang}.png"), full_page=True)
        context.close()
