"""The kiosk's languages: zh-CN first, English the source language (msgids are English).

Chinese strings live in `translations/zh_Hans_CN/*.po`: `kiosk.po` for the page's own words,
`engine.po` for the station's own message templates (its session: sign in, scan, weigh...).
The ledger's rule messages (every refusal and flag) are not copied there: each `Reason` of
`ledger.rules.reasons` has its English template and its Chinese, added here as they are. At
start all of them are compiled into one `messages.mo` for Flask-Babel (the page's
server-rendered words) and kept as a dictionary for the page's script
(`/kiosk/messages.json`), which translates the templates it receives in the state and
outcomes.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, request

from ledger.rules.reasons import FLAGS, REFUSALS, Reason

SOURCE = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "zh_Hans_CN"
# locale -> the name shown on its switch button, in its own language
LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
# station.toml's language tags -> locales
TAGS = {"zh-CN": "zh_Hans_CN", "zh_CN": "zh_Hans_CN", "zh_Hans_CN": "zh_Hans_CN", "en": "en"}
COOKIE = "kiosk_language"
# locale -> the Reason attribute holding its text (English is the templates themselves)
RULE_TEXT = {"zh_Hans_CN": "zh"}
CONFIG_KEY = "KIOSK_DEFAULT_LOCALE"


class TranslationError(Exception):
    """A .po file does not parse, or two files translate one string differently."""


def locale_for(tag: str) -> str:
    """The locale for a station.toml language tag; ValueError naming the choices."""
    try:
        return TAGS[tag]
    except KeyError:
        raise ValueError(f"unknown kiosk language {tag!r}: use one of "
                         f"{', '.join(sorted(TAGS))}") from None


def select_locale() -> str:
    """The worker's choice on this screen (a cookie), else the station's language."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else current_app.config[CONFIG_KEY]


def rule_messages(locale: str) -> dict[str, str]:
    """Every rule's English template -> its text in `locale` (ledger.rules.reasons)."""
    attribute = RULE_TEXT.get(locale)
    reasons: list[Reason] = [*REFUSALS.values(), *FLAGS.values()]
    return {r.en: getattr(r, attribute) for r in reasons} if attribute else {}


def load(locale: str) -> Catalog:
    """All of `locale`'s .po files and the rules' messages as one catalog; a string
    translated twice must agree."""
    merged = Catalog(locale=locale)
    for template, text in rule_messages(locale).items():
        merged.add(template, text)
    for po in sorted((SOURCE / locale).glob("*.po")):
        try:
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        except Exception as exc:  # babel raises several types; name the file either way
            raise TranslationError(f"{po}: {exc}") from exc
        for message in catalog:
            if not message.id:
                continue  # the header
            existing = merged.get(message.id)
            if existing is not None and existing.string != message.string:
                raise TranslationError(f"{message.id!r} is translated twice, differently; "
                                       f"keep one (second in {po.name}; a rule's message is "
                                       "translated in ledger/rules/reasons.py only)")
            merged[message.id] = message
    return merged


def compile_all(cache: Path) -> dict[str, dict[str, str]]:
    """Write `cache/<locale>/LC_MESSAGES/messages.mo` for each locale; return msgid -> text.

    Untranslated strings are left out of the dictionary, so the page shows the English.
    """
    messages: dict[str, dict[str, str]] = {"en": {}}
    for folder in sorted(p for p in SOURCE.iterdir() if p.is_dir()):
        catalog = load(folder.name)
        target = cache / folder.name / "LC_MESSAGES"
        target.mkdir(parents=True, exist_ok=True)
        with (target / "messages.mo").open("wb") as out:
            write_mo(out, catalog)
        messages[folder.name] = {str(m.id): str(m.string) for m in catalog
                                 if m.id and m.string}
    return messages
