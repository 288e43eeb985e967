"""No raw code, enum or repr reaches a user (issue 17, point 4): the main pages of the console,
rendered in both languages on the sample day, are searched for snake_case words, Python
reprs (`{'`, `['`, `None`) outside attributes; every code has its bilingual name in one
glossary (ledger/rules/codes.py), which the console reads (web/names.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from ledger import events
from ledger.certificates import document
from ledger.rules import codes, reasons
from web import names

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
REPR = re.compile(r"\{'|\['|\bNone\b|\bTrue\b|\bFalse\b")
LANGUAGES = {"en": {"Accept-Language": "en"}, "zh": {"Accept-Language": "zh-CN"}}


class Text(HTMLParser):
    """The text a reader sees: element content, not attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def raw_codes(html: str) -> list[str]:
    parser = Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    return sorted({*SNAKE.findall(text), *REPR.findall(text)})


@pytest.fixture
def pages(sample_app, client_for, csrf_token) -> dict[str, str]:
    """The main pages' addresses, with a certificate issued (for the list and verify)."""
    manager = client_for("manager")
    issued = manager.post("/certificates/issue", data={
        "csrf_token": csrf_token(manager), "kind": "unit", "unit": "CN3301-2026-0004815"})
    assert issued.status_code == 302
    sha256 = issued.headers["Location"].rsplit("/", 1)[1]
    return {
        "units": "/units/", "unit": "/units/CN3301-2026-0004815",
        "unit with a correction": "/units/CN3301-2026-0004840",
        "lots": "/lots/", "lot": "/lots/LOT-20261120-STEEL", "stations": "/stations/",
        "certificates": "/certificates/", "certificate": f"/certificates/{sha256}",
        "dashboard": "/dashboard/?range=custom&from=2026-11-20&to=2026-11-20",
        "verify": f"/verify/{sha256}",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_raw_code_on_the_main_pages(pages, client_for, language):
    manager = client_for("manager")
    found = {}
    for name, url in pages.items():
        response = manager.get(url, headers=LANGUAGES[language])
        assert response.status_code == 200, (name, response.status_code)
        seen = raw_codes(response.get_data(as_text=True))
        if seen:
            found[name] = seen
    assert found == {}


def test_every_unit_timeline_reads_in_words(sample_app, client_for):
    """Every unit of the sample day: its page has no code, no repr (the flags list a writer
    once declared on completion, the reasons for no refrigerant, the sources)."""
    from sqlalchemy import text

    from web.context import engine

    with sample_app.app_context(), engine().connect() as conn:
        labels = list(conn.execute(text("SELECT label FROM units")).scalars())
    manager = client_for("manager")
    found = {label: seen for label in labels
             if (seen := raw_codes(manager.get(f"/units/{label}", headers=LANGUAGES["en"])
                                   .get_data(as_text=True)))}
    assert found == {}


def test_the_glossary_names_every_code_the_pages_show():
    assert set(codes.EVENT_TYPE_NAMES) == set(events.EVENT_TYPES)
    assert set(codes.CERTIFICATE_KIND_NAMES) == set(document.KINDS) | set(document.V2_KINDS)
    for table in (codes.EVENT_TYPE_NAMES, codes.CERTIFICATE_KIND_NAMES):
        assert all(set(name) == {"zh-CN", "en"} and all(name.values())
                   for name in table.values())


def test_every_refusal_and_flag_has_its_name_in_both_languages():
    """The rules' codes (ledger/rules/reasons.py) are named in the one glossary."""
    assert set(codes.REFUSAL_NAMES) == set(reasons.REFUSALS)
    assert set(codes.FLAG_NAMES) == set(reasons.FLAGS) == set(codes.FLAG_CODES)
    for table in (codes.REFUSAL_NAMES, codes.FLAG_NAMES):
        assert all(set(name) == {"zh-CN", "en"} and all(name.values())
                   for name in table.values())
        for language in ("zh-CN", "en"):  # one name, one rule
            assert len({name[language] for name in table.values()}) == len(table)


def test_a_forms_refusal_names_its_rule_in_words(sample_app):
    """web/refusals.py says the rule by its glossary name, not its code."""
    from ledger.log import AppendError
    from web.refusals import refusal_text

    params = {"label": "CN3301-2026-0004815"}
    exc = AppendError(reasons.ALREADY_COMPLETED.text(params), rule="already_completed",
                      params=params)
    for locale, language in (("en", "en"), ("zh-CN", "zh-CN")):
        with sample_app.test_request_context(headers={"Accept-Language": locale}):
            text = refusal_text(exc)
        assert codes.REFUSAL_NAMES["already_completed"][language] in text
        assert reasons.ALREADY_COMPLETED.text(params, language) in text
        assert "already_completed" not in text


def test_the_console_says_the_glossarys_words(sample_app):
    """web/names.py reads ledger/rules/codes.py: one word per code, in both languages."""
    for locale, language in (("en", "en"), ("zh-CN", "zh-CN")):
        with sample_app.test_request_context(headers={"Accept-Language": locale}):
            assert names.code_name("trade_in") == codes.SOURCE_NAMES["trade_in"][language]
            assert names.flag_title("mass_balance") == codes.FLAG_NAMES["mass_balance"][language]
            assert names.resolution_name("credit") == codes.RESOLUTION_NAMES["credit"][language]
            assert names.status_name("flagged") == codes.STATUS_NAMES["flagged"][language]
