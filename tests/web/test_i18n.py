"""Languages: selection order, per-area catalogs merged and compiled, every string translated,
and the filters that show plant time and kilograms."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo

from web import i18n
from web.formatting import kg, localtime

WEB = Path(i18n.__file__).parent
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None}


def test_chinese_is_the_default_and_the_switch_sticks(app, client_for, csrf_token):
    client = client_for("manager")
    assert "生产看板" in client.get("/dashboard/").get_data(as_text=True)  # nav, in zh-CN
    english = client.get("/dashboard/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert ">Dashboard</a>" in english.get_data(as_text=True)
    switched = client.post("/lang/en", data={"csrf_token": csrf_token(client),
                                             "next": "/dashboard/"})
    assert switched.headers["Location"] == "/dashboard/"
    page = client.get("/dashboard/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="en"' in page and "Sign out" in page
    # Saved on the user: a new session (another device) starts in English too.
    assert "Sign out" in client_for("manager").get("/dashboard/").get_data(as_text=True)


def test_anonymous_language_choice_survives_sign_in(app, csrf_token):
    client = app.test_client()
    client.post("/lang/en", data={"csrf_token": csrf_token(client)})
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    assert client.post("/lang/xx", data={"csrf_token": csrf_token(client)}).status_code == 404


def test_every_string_in_the_console_has_a_chinese_translation(tmp_path):
    catalog = i18n.merge("zh_Hans_CN", sorted((i18n.SOURCE / "zh_Hans_CN").glob("*.po")))
    missing = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(WEB), method_map=METHODS, keywords=KEYWORDS):
        entry = catalog.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"web/{filename}:{lineno}: {message!r}")
    assert not missing, ("add these to the area's web/translations/zh_Hans_CN/<area>.po:\n"
                         + "\n".join(missing))
    for message in catalog:
        assert not list(message.check(catalog)), message.id  # placeholders match


def _po(path: Path, pairs: dict[str, str]) -> None:
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in pairs.items())
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body,
                    encoding="utf-8")


def test_area_catalogs_are_merged_and_recompiled_only_when_changed(tmp_path):
    source, cache = tmp_path / "src", tmp_path / "cache"
    (source / "zh_Hans_CN").mkdir(parents=True)
    _po(source / "zh_Hans_CN" / "a.po", {"Units": "设备"})
    _po(source / "zh_Hans_CN" / "b.po", {"Lots": "批次", "Units": "设备"})
    mo = i18n.compile_catalogs(source, cache) / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo"
    first = mo.stat().st_mtime_ns
    i18n.compile_catalogs(source, cache)
    assert mo.stat().st_mtime_ns == first
    _po(source / "zh_Hans_CN" / "b.po", {"Lots": "批号"})
    i18n.compile_catalogs(source, cache)
    with mo.open("rb") as handle:
        assert read_mo(handle).get("Lots").string == "批号"
    _po(source / "zh_Hans_CN" / "b.po", {"Units": "单元"})
    with pytest.raises(i18n.TranslationError, match=r"a\.po and b\.po"):
        i18n.compile_catalogs(source, cache)


def test_kg_and_localtime_filters(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert kg(18302) == "18.302 kg"
        assert kg(1234567, places=1) == "1,234.6 kg"
        assert kg(None) == "—"
        assert localtime("2026-11-21T08:15:30.123Z") == "2026-11-21 16:15"  # Asia/Shanghai
        assert localtime(datetime(2026, 11, 21, 23, 0, tzinfo=UTC), "yyyy-MM-dd") == "2026-11-22"
