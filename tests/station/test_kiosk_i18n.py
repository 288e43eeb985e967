"""The kiosk's Chinese catalogue covers every string the page shows and every message
template the station engine can emit, so a new template cannot reach a worker untranslated.
The rules' messages (refusals and flags) come from ledger.rules.reasons, never from a copy
in engine.po.

Engine templates are found by AST: each `N_("...")` call in station/**/*.py and
ledger/catalogue.py. Page strings: `t("...")`/`N_("...")` in the kiosk's scripts (static/*.js),
`_("...")` in the kiosk's templates and `gettext`/`lazy_gettext` in its modules (the error pages).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ledger.rules.reasons import FLAGS, REFUSALS
from station.kiosk import i18n

REPO = Path(__file__).resolve().parent.parent.parent
KIOSK = REPO / "station" / "kiosk"
ZH = i18n.SOURCE / "zh_Hans_CN"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdi]")


def engine_templates() -> dict[str, str]:
    """Every template marked N_("...") in the engine: template -> where it is."""
    found: dict[str, str] = {}
    sources = [p for p in (REPO / "station").rglob("*.py") if KIOSK not in p.parents]
    for path in [*sources, REPO / "ledger" / "catalogue.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "N_" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def page_strings() -> set[str]:
    script = "\n".join(path.read_text(encoding="utf-8")
                       for path in sorted((KIOSK / "static").glob("*.js")))
    quoted = r'"((?:[^"\\]|\\.)*)"'
    strings = {m.group(1) for m in re.finditer(r"\b(?:t|N_)\(" + quoted + r"\)", script)}
    for page in (KIOSK / "templates" / "kiosk").glob("*.html"):
        strings |= {m.group(1) or m.group(2) for m in re.finditer(
            r"\b_\(\s*(?:" + quoted + r"|'((?:[^'\\]|\\.)*)')\s*\)",
            page.read_text(encoding="utf-8"))}
    for module in KIOSK.glob("*.py"):  # the error pages' words (gettext, lazy_gettext)
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("gettext", "lazy_gettext") and node.args
                    and isinstance(node.args[0], ast.Constant)):
                strings.add(node.args[0].value)
    return strings


def catalogue(name: str) -> dict[str, str]:
    with (ZH / name).open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale="zh_Hans_CN") if m.id}


def test_every_engine_template_has_a_chinese_translation():
    templates = engine_templates()
    assert len(templates) > 20, "the engine's N_() templates were not found"
    translated = catalogue("engine.po")
    missing = {t: where for t, where in templates.items() if not translated.get(t)}
    assert not missing, ("engine templates without a zh-CN translation in "
                         f"{ZH / 'engine.po'}:\n" + "\n".join(
                             f"  {where}: {t!r}" for t, where in missing.items()))


def test_every_page_string_has_a_chinese_translation():
    strings = page_strings()
    assert "Scan your badge to sign in" in strings and "Weigh output" in strings
    translated = catalogue("kiosk.po")
    assert not sorted(s for s in strings if not translated.get(s))


@pytest.mark.parametrize(("name", "used"), [("engine.po", lambda: set(engine_templates())),
                                            ("kiosk.po", page_strings)])
def test_no_translation_is_left_over(name, used):
    """A string the code no longer has is dropped from the catalogue, so it stays reviewable."""
    assert not sorted(set(catalogue(name)) - used())


@pytest.mark.parametrize("name", ["engine.po", "kiosk.po"])
def test_translations_keep_every_placeholder(name):
    for msgid, msgstr in catalogue(name).items():
        assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        assert msgid.count("%%") == msgstr.count("%%"), msgid


def test_catalogues_compile_into_one(tmp_path):
    messages = i18n.compile_all(tmp_path)
    assert (tmp_path / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    assert messages["en"] == {}
    assert messages["zh_Hans_CN"]["Scan your badge to sign in"] == "请扫描工牌登录"
    assert set(engine_templates()) <= set(messages["zh_Hans_CN"])


def test_the_rules_messages_come_from_the_rules_module(tmp_path):
    """Every refusal and flag reaches the page in Chinese as ledger/rules/reasons.py words it;
    engine.po holds none of them (one home for each message)."""
    messages = i18n.compile_all(tmp_path)["zh_Hans_CN"]
    for reason in [*REFUSALS.values(), *FLAGS.values()]:
        assert messages[reason.en] == reason.zh, reason.code
        assert sorted(PLACEHOLDER.findall(reason.zh)) == sorted(PLACEHOLDER.findall(reason.en))
    copied = set(catalogue("engine.po")) & {r.en for r in [*REFUSALS.values(), *FLAGS.values()]}
    assert not copied, f"rule messages copied into engine.po: {sorted(copied)}"
    assert messages[REFUSALS["duplicate_trade_in"].en].startswith("以旧换新编码")
