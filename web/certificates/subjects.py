"""What each issued certificate is about (a unit, a lot, or a period and its categories), for
the certificates list and its file.

The ledger holds only a certificate's kind and SHA-256 (`certificate.issued`); its subject is
in the document this console keeps (ledger.certificates.archive). A period report's document
can be 170 MB, so its subject is read once and kept beside it in the instance's cache,
`<instance>/cache/certificate-subjects/<sha256>.json`: a document never changes under its
SHA-256, so neither does its subject. The cache can be deleted at any time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext

from ledger.certificates import archive
from web.names import code_name

log = logging.getLogger(__name__)

CACHE = Path("cache") / "certificate-subjects"


@dataclass(frozen=True)
class Subject:
    kind: str
    label: str | None = None  # unit
    category: str | None = None  # unit
    lot: str | None = None  # lot
    fraction: str | None = None  # lot
    start: str | None = None  # period, plant dates
    end: str | None = None
    categories: tuple[str, ...] | None = None  # period; None: every category


def from_document(document: dict[str, Any]) -> Subject | None:
    """The subject a certificate's statements name; None for statements of another shape."""
    s = document.get("statements") or {}
    kind = document.get("kind")
    try:
        if kind == "unit":
            return Subject("unit", label=s["unit"]["label"], category=s["unit"]["category"])
        if kind == "lot":
            return Subject("lot", lot=s["lot"], fraction=(s.get("opened") or {}).get("fraction"))
        if kind == "fund_table":
            return Subject("fund_table", start=s["period"]["from"], end=s["period"]["to"])
        if kind == "period":
            chosen = s.get("categories")
            return Subject("period", start=s["period"]["from"], end=s["period"]["to"],
                           categories=None if chosen is None else tuple(chosen))
    except (KeyError, TypeError):
        return None
    return None


def subject_of(home: Path, sha256: str) -> Subject | None:
    """The subject of the certificate kept here under `sha256`; None when no copy is kept
    (issued elsewhere with `dledger cert issue`) or the copy cannot be read."""
    cached = home / CACHE / f"{sha256}.json"
    try:
        found = json.loads(cached.read_text(encoding="utf-8"))
        return Subject(**{**found, "categories": (None if found.get("categories") is None
                                                  else tuple(found["categories"]))})
    except FileNotFoundError:
        pass
    except (ValueError, TypeError) as exc:  # a damaged cache entry: read the document again
        log.warning("certificate subject cache %s unreadable, reading the document: %s",
                    cached, exc)
    try:
        document = archive.load(home, sha256)
    except archive.ArchiveError as exc:
        log.error("certificate %s: %s", sha256, exc)
        return None
    subject = from_document(document) if document is not None else None
    if subject is not None:
        archive.write_atomically(cached, json.dumps(asdict(subject)).encode())
    return subject


def describe(subject: Subject | None) -> str:
    """The subject in the reader's language: `label · category`, `lot · fraction`, or the
    period's dates and categories."""
    if subject is None:
        return "—"
    if subject.kind == "unit":
        return f"{subject.label} · {code_name(subject.category)}"
    if subject.kind == "lot":
        return f"{subject.lot} · {code_name(subject.fraction)}" if subject.fraction \
            else str(subject.lot)
    if subject.kind == "fund_table":
        return gettext("%(start)s to %(end)s", start=subject.start, end=subject.end)
    which = (gettext("all categories") if subject.categories is None
             else ", ".join(code_name(c) for c in subject.categories))
    return gettext("%(start)s to %(end)s · %(categories)s", start=subject.start,
                   end=subject.end, categories=which)
