"""The plant's copies of the certificates it issued: `<instance>/certificates/<sha256>.json`
and `.pdf` (and `.entries.gz`, a large period report's entry bundle; `.xlsx`, a fund table's
workbook once asked for), so the console can hand them out again and look one up from its QR
code.

The ledger holds only each certificate's SHA-256 (`certificate.issued`); the document itself
is kept here. Files are written to a temporary name and renamed, so a reader sees a whole file
or none. A stored JSON is checked against its name when read: a file that was altered is
refused, never served as the certificate.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ledger.certificates import bundle
from ledger.certificates import document as certificate_document

FOLDER = "certificates"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveError(ValueError):
    """The stored certificate is missing or does not match its SHA-256."""


def folder(home: Path) -> Path:
    return home / FOLDER


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value))


def json_path(home: Path, sha256: str) -> Path:
    if not is_sha256(sha256):
        raise ArchiveError(f"{sha256[:80]!r} is not a SHA-256 (64 lower-case hex digits)")
    return folder(home) / f"{sha256}.json"


def pdf_path(home: Path, sha256: str) -> Path:
    return json_path(home, sha256).with_suffix(".pdf")


def xlsx_path(home: Path, sha256: str) -> Path:
    """Where a fund table's XLSX workbook is kept once written (save_xlsx)."""
    return json_path(home, sha256).with_suffix(".xlsx")


def bundle_path(home: Path, sha256: str) -> Path:
    """Where a v2 report's entry bundle is kept when it travels beside the certificate."""
    return json_path(home, sha256).with_suffix(bundle.SUFFIX)


def spool_path(home: Path) -> Path:
    """A fresh name in the archive for a bundle being built (renamed to `bundle_path` once
    the certificate's SHA-256 is known)."""
    return folder(home) / f".building.{os.getpid()}.{secrets.token_hex(4)}{bundle.SUFFIX}"


def write_atomically(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or pieces of them) to `path` whole or not at all (temporary file,
    fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("wb") as out:
            out.writelines([data] if isinstance(data, bytes) else data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def save_json(home: Path, document: dict[str, Any]) -> str:
    """Store an issued document as its RFC 8785 bytes, written as they are encoded (a large
    report's lines are never held); returns its SHA-256."""
    digest = certificate_document.sha256(document)
    write_atomically(json_path(home, digest), certificate_document.serialised(document))
    return digest


def save_pdf(home: Path, sha256: str, pdf: bytes) -> None:
    write_atomically(pdf_path(home, sha256), pdf)


def save_xlsx(home: Path, sha256: str, document: dict[str, Any]) -> Path:
    """Write the fund table `document` (the stored certificate `sha256`) as its XLSX workbook
    beside it, times in its period's zone (ledger.certificates.fund_xlsx); written once,
    since the certificate never changes. Its path."""
    from ledger.certificates.fund_xlsx import write_fund_table

    path = xlsx_path(home, sha256)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        write_fund_table(document, temporary,
                         timezone=document["statements"]["period"]["time_zone"])
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def load(home: Path, sha256: str) -> dict[str, Any] | None:
    """The stored document for `sha256`, or None if this console keeps none. A period
    report's lines are read from the file as they are needed (document.parse)."""
    path = json_path(home, sha256)
    if not path.exists():
        return None
    try:
        document = certificate_document.parse(path)
    except certificate_document.DocumentError as exc:
        raise ArchiveError(f"{path} is not a certificate: {exc}") from None
    if certificate_document.sha256(document) != sha256:
        raise ArchiveError(f"{path} does not hash to its name: it was altered after issuing")
    return document
