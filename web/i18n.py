"""Languages: which one a request gets, and the catalogs compiled from per-area .po files.

Each area of the console keeps its Chinese strings in its own file,
`web/translations/<locale>/<area>.po`, so engineers working on different pages never edit
the same file. At start the app merges each locale's files into one `messages.mo` in the
instance folder (recompiled only when a .po file's content changed) and Flask-Babel loads it.
English is the source language: msgids are English, so `en` needs no catalog.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel
from flask_login import current_user

from web.accounts import LANGUAGES

SOURCE = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "zh_Hans_CN"  # what Babel makes of zh_CN / zh-CN
# Accept-Language tags we understand, and the locale each one selects.
_ACCEPT = {"zh-CN": "zh_Hans_CN", "zh-Hans-CN": "zh_Hans_CN", "zh-Hans": "zh_Hans_CN",
           "zh": "zh_Hans_CN", "en": "en"}
SESSION_KEY = "language"


class TranslationError(Exception):
    """Two areas translate one string differently, or a .po file does not parse."""


def select_locale() -> str:
    """The user's saved choice, then this session's, then Accept-Language, then zh-CN."""
    saved = getattr(current_user, "language", None) if current_user.is_authenticated else None
    for choice in (saved, session.get(SESSION_KEY)):
        if choice in LANGUAGES:
            return choice
    tag = request.accept_languages.best_match(list(_ACCEPT))
    return _ACCEPT[tag] if tag else DEFAULT_LOCALE


def compile_catalogs(source: Path, cache: Path) -> Path:
    """Merge each `source/<locale>/*.po` into `cache/<locale>/LC_MESSAGES/messages.mo`.

    A locale is recompiled only when the fingerprint of its .po files (names and contents)
    differs from the one stored beside its .mo; the .mo is replaced atomically, so workers
    starting together never read half a file. Returns `cache`.
    """
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(folder.glob("*.po"))
        digest = hashlib.sha256()
        for po in files:
            digest.update(po.name.encode() + b"\0" + po.read_bytes() + b"\0")
        target = cache / folder.name / "LC_MESSAGES"
        fingerprint = target / "messages.sha256"
        if fingerprint.exists() and fingerprint.read_text() == digest.hexdigest():
            continue
        target.mkdir(parents=True, exist_ok=True)
        catalog = merge(folder.name, files)
        temporary = target / f".messages.{os.getpid()}.mo"
        with temporary.open("wb") as out:
            write_mo(out, catalog)
        temporary.replace(target / "messages.mo")
        fingerprint.write_text(digest.hexdigest())
    return cache


def merge(locale: str, files: list[Path]) -> Catalog:
    """One catalog from several areas' .po files; a string translated twice must agree."""
    merged = Catalog(locale=locale)
    origin: dict[object, Path] = {}
    for po in files:
        try:
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        except Exception as exc:  # babel raises several types; name the file either way
            raise TranslationError(f"{po}: {exc}") from exc
        for message in catalog:
            if not message.id:
                continue  # the header
            key = (message.id, message.context)
            existing = merged.get(message.id, message.context)
            if existing is not None and existing.string != message.string:
                raise TranslationError(f"{message.id!r} is translated differently in "
                                       f"{origin[key].name} and {po.name}; keep one")
            merged[message.id] = message
            origin[key] = po
    return merged


def init_app(app: Flask, cache: Path) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["DLEDGER_TIMEZONE"]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compile_catalogs(SOURCE, cache))
    Babel(app, locale_selector=select_locale)
