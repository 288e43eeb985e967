"""The kiosk page as served: the token for POSTs, a strict CSP with no inline script or
style to need an exception, and the language (the worker's cookie, else the station's).

The blueprint is mounted on a bare Flask app here; the browser tests (test_kiosk_e2e.py)
run it inside the real station server.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask

from station import kiosk
from station.kiosk import i18n

TOKEN = "t0ken-for-tests"


def make_app(language: str = "zh-CN") -> Flask:
    app = Flask(__name__)
    app.config["KIOSK_TOKEN"] = TOKEN
    app.register_blueprint(kiosk.bp)
    kiosk.init_app(app, language=language)
    return app


class Inline(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style elements and attributes,
    event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            if not names.get("src"):
                self.found.append("inline <script>")
            self.scripts.append(names.get("src") or "")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names
                       if name == "style" or name.startswith("on")]


def test_page_carries_the_token_and_a_strict_policy():
    response = make_app().test_client().get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<meta name="kiosk-token" content="{TOKEN}">' in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    parser = Inline()
    parser.feed(html)
    assert parser.found == []
    assert parser.scripts == ["/kiosk-static/kiosk.js"]


def test_assets_are_local():
    client = make_app().test_client()
    folder = Path(kiosk.bp.static_folder or "")
    assets = sorted(f"/kiosk-static/{p.name}" for p in folder.iterdir()
                    if p.suffix in (".js", ".css"))
    assert "/kiosk-static/kiosk.js" in assets and "/kiosk-static/kiosk.css" in assets
    for path in assets:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not re.search(r"https?://", response.get_data(as_text=True)), path


def test_chinese_by_default_english_by_cookie():
    client = make_app().test_client()
    zh = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in zh and "请扫描工牌登录" in zh
    assert client.get("/kiosk/messages.json").json["Weigh output"] == "产物称重"

    client.set_cookie(i18n.COOKIE, "en")
    en = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in en and "Scan your badge to sign in" in en
    assert client.get("/kiosk/messages.json").json == {}


def test_a_station_may_default_to_english_and_a_bad_cookie_is_ignored():
    client = make_app(language="en").test_client()
    client.set_cookie(i18n.COOKIE, "xx")
    assert "Scan your badge to sign in" in client.get("/").get_data(as_text=True)


def test_an_unknown_station_language_names_the_choices():
    with pytest.raises(ValueError, match=r"'fr'.*zh-CN"):
        make_app(language="fr")


def test_the_details_form_offers_the_rules_sources_from_the_station(station) -> None:
    """The sources come from the station's state (ledger.rules.codes.SOURCES, with names),
    not from a copy in the kiosk's scripts."""
    from ledger.rules.codes import SOURCES

    script = "\n".join(p.read_text(encoding="utf-8")
                       for p in sorted(Path(kiosk.bp.static_folder or "").glob("*.js")))
    assert "const SOURCES" not in script and "collector" not in script
    sources = station.ws.state()["catalogue"]["sources"]
    assert tuple(s["code"] for s in sources) == SOURCES
    assert all(s["name"]["zh-CN"] and s["name"]["en"] for s in sources)


def _error_app() -> Flask:
    app = make_app()

    @app.get("/fault")
    def fault() -> str:
        raise RuntimeError("a fault of the station")

    @app.get("/bad")
    def bad() -> str:
        from flask import abort

        abort(400)

    return app


@pytest.mark.parametrize(("method", "path", "status", "zh", "en"), [
    ("GET", "/no/such/page", 404, "本工位没有这个页面", "There is no such page on this station"),
    ("POST", "/", 405, "此页面不能这样使用", "This page cannot be used that way"),
    ("GET", "/bad", 400, "工位无法读取此请求", "The station could not read this request"),
    ("GET", "/fault", 500, "工位发生故障", "The station ran into a fault"),
])
def test_error_pages_are_the_kiosks_in_both_languages(method, path, status, zh, en):
    """Issue 17, point 8: never Werkzeug's bare English page; the chosen language first."""
    client = _error_app().test_client()
    response = client.open(path, method=method)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert zh in html and en in html and html.index(zh) < html.index(en)  # zh-CN: Chinese first
    assert "/kiosk-static/kiosk.css" in html and 'class="kiosk kiosk-error"' in html
    assert "返回工位" in html and 'href="/"' in html
    assert "Werkzeug" not in html and "The requested URL" not in html
    parser = Inline()
    parser.feed(html)
    assert parser.found == [] and "unsafe-inline" not in response.headers[
        "Content-Security-Policy"]
    client.set_cookie(i18n.COOKIE, "en")
    english = client.open(path, method=method).get_data(as_text=True)
    assert english.index(en) < english.index(zh) and 'lang="en"' in english


def test_the_kiosks_script_gets_errors_as_json():
    client = make_app().test_client()
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.is_json
    assert "本工位没有这个页面" in response.get_json()["error"]  # the kiosk's language
