"""The certificate document, formats v1 and v2: members, parsing, serialising, its SHA-256.

A certificate is one JSON object (docs/certificates.md). Format v1 carries each entry with
its own inclusion proof; v2 (period reports, fund tables) carries the entries as one bundle
proven by one multi-leaf proof, and its lines as RFC 8785 texts. Its SHA-256 is taken over the
RFC 8785 bytes of the object *without* `issuance`, so the `certificate.issued` entry that
holds it can itself be proven inside the `issuance` member. Standard library only (plus
ledger.canonical): the verifier imports this offline.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ledger.canonical import NotCanonicalizable, StringArray, canonical_chunks
from ledger.certificates import streamed_json

FORMAT = "dledger-certificate/v1"
FORMAT_V2 = "dledger-certificate/v2"
KINDS = ("unit", "period", "lot")
V2_KINDS = ("period", "fund_table")
MEMBERS = ("format", "kind", "origin", "issued_at", "statements", "checkpoint", "entries",
           "issuance")
ENTRY_MEMBERS = ("index", "entry", "proof")
ISSUANCE_MEMBERS = ("checkpoint", "consistency", "entry")
BUNDLE_MEMBERS = ("count", "runs", "sha256", "proof", "bundle")
MAX_BYTES = 1 << 30  # a 10,000-line period report is about 170 MB; refuse what is beyond sense
# read from a file as it is needed, never held (v2): a report's lines, a fund table's units
STREAMED = (("statements", "lines"), ("statements", "units"))
LINES = {"period": "lines", "fund_table": "units"}  # the member of each v2 kind's lines


class DocumentError(ValueError):
    """The bytes or object are not a certificate of this format; the message says where."""


def sha256(document: dict[str, Any]) -> str:
    """The certificate's SHA-256 (hex): of its RFC 8785 bytes without `issuance`."""
    body = {k: v for k, v in document.items() if k != "issuance"}
    digest = hashlib.sha256()
    try:
        for chunk in canonical_chunks(body):
            digest.update(chunk)
        return digest.hexdigest()
    except NotCanonicalizable as exc:
        raise DocumentError(f"the certificate cannot be hashed: {exc}") from None


def serialise(document: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON (RFC 8785 bytes: what is hashed, plus issuance)."""
    return b"".join(serialised(document))


def serialised(document: dict[str, Any]) -> Iterator[bytes]:
    """serialise(document) in pieces, for writing a large report without holding it (its
    lines may be a StringArray kept on disk)."""
    try:
        yield from canonical_chunks(document)
    except NotCanonicalizable as exc:
        raise DocumentError(f"the certificate cannot be written: {exc}") from None


def parse(data: bytes | str | Path | dict[str, Any]) -> dict[str, Any]:
    """Read a certificate and check its shape (not its truth: that is verify's job). From a
    file (a Path), a v2 report's `statements.lines` is a StringArray read from the file as it
    is needed, so a report of any size is read in the same memory."""
    if isinstance(data, dict):
        document = data
    else:
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        if size > MAX_BYTES:
            raise DocumentError(f"the file is {size} bytes; a certificate is at most "
                                f"{MAX_BYTES}")
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        try:
            document = (streamed_json.load_file(raw, STREAMED) if isinstance(raw, Path)
                        else streamed_json.load(lambda: io.BytesIO(raw), None))
        except streamed_json.JsonError as exc:
            raise DocumentError(str(exc)) from None
        except OSError as exc:
            raise DocumentError(f"the file cannot be read: {exc}") from None
        _held(document)
    check_shape(document)
    return document


def _held(document: Any) -> None:
    """Hold whole the arrays read as streamed that the document's kind does not stream (a lot
    manifest's `units` is a short list of labels, not a fund table's lines)."""
    if not isinstance(document, dict) or not isinstance(document.get("statements"), dict):
        return
    statements, streams = document["statements"], LINES.get(str(document.get("kind")))
    for _, member in STREAMED:
        if member != streams and isinstance(statements.get(member), StringArray):
            statements[member] = list(statements[member])


def check_shape(document: Any) -> None:
    """Raise DocumentError naming the first member that is missing, unknown or mistyped."""
    if not isinstance(document, dict):
        raise DocumentError("a certificate is a JSON object")
    unknown = sorted(set(document) - set(MEMBERS))
    if unknown:
        raise DocumentError(f"unknown member {unknown[0]!r}")
    for name in MEMBERS[:-1]:
        if name not in document:
            raise DocumentError(f"missing member {name!r}")
    if document["format"] not in (FORMAT, FORMAT_V2):
        raise DocumentError(f"format {document['format']!r} is neither {FORMAT!r} nor "
                            f"{FORMAT_V2!r}")
    kinds = KINDS if document["format"] == FORMAT else V2_KINDS
    if document["kind"] not in kinds:
        raise DocumentError(f"kind {document['kind']!r} is not one of {', '.join(kinds)} in "
                            f"format {document['format']}")
    for name in ("origin", "issued_at", "checkpoint"):
        if not isinstance(document[name], str):
            raise DocumentError(f"{name} must be a string")
    if not isinstance(document["statements"], dict):
        raise DocumentError("statements must be an object")
    if document["format"] == FORMAT:
        entries = document["entries"]
        if not isinstance(entries, list) or not entries:
            raise DocumentError("entries must be a non-empty list")
        for position, item in enumerate(entries):
            _check_entry(item, f"entries[{position}]")
    else:
        _check_v2(document)
    if "issuance" in document:
        _check_issuance(document["issuance"])


def _check_entry(item: Any, where: str) -> None:
    if not isinstance(item, dict) or sorted(item) != sorted(ENTRY_MEMBERS):
        raise DocumentError(f"{where} must be an object with exactly {', '.join(ENTRY_MEMBERS)}")
    if type(item["index"]) is not int or item["index"] < 0:
        raise DocumentError(f"{where}.index must be a non-negative integer")
    if not isinstance(item["entry"], str) or not isinstance(item["proof"], str):
        raise DocumentError(f"{where}.entry and {where}.proof must be strings")


def _check_v2(document: dict[str, Any]) -> None:
    entries = document["entries"]
    if not isinstance(entries, dict) or sorted(entries) != sorted(BUNDLE_MEMBERS):
        raise DocumentError(f"entries must be an object with exactly "
                            f"{', '.join(BUNDLE_MEMBERS)}")
    if type(entries["count"]) is not int or entries["count"] < 1:
        raise DocumentError("entries.count must be a positive integer")
    runs = entries["runs"]
    if not isinstance(runs, list) or not runs or not all(
            isinstance(r, list) and len(r) == 2 and all(type(x) is int for x in r) for r in runs):
        raise DocumentError("entries.runs must be a non-empty list of [start, end] pairs")
    if sum(end - start for start, end in runs) != entries["count"]:
        raise DocumentError("entries.runs do not add up to entries.count")
    if not isinstance(entries["sha256"], str) or len(entries["sha256"]) != 64:
        raise DocumentError("entries.sha256 must be 64 hex digits")
    if not isinstance(entries["proof"], list) or not all(
            isinstance(h, str) for h in entries["proof"]):
        raise DocumentError("entries.proof must be a list of base64 hashes")
    if entries["bundle"] is not None and not isinstance(entries["bundle"], str):
        raise DocumentError("entries.bundle must be base64 text or null (a bundle file)")
    statements = document["statements"]
    member = LINES[document["kind"]]
    lines = statements.get(member)
    if not isinstance(statements.get("columns"), list) or not (
            isinstance(lines, StringArray)  # strings, by construction
            or (isinstance(lines, list) and all(isinstance(line, str) for line in lines))):
        raise DocumentError(f"a v2 {document['kind']} certificate states columns (a list) and "
                            f"{member} (a list of JSON texts)")


def entry_count(document: dict[str, Any]) -> int:
    """How many entries the certificate relies on, whatever its format."""
    entries = document["entries"]
    return entries["count"] if document["format"] == FORMAT_V2 else len(entries)


def _check_issuance(issuance: Any) -> None:
    if not isinstance(issuance, dict) or sorted(issuance) != sorted(ISSUANCE_MEMBERS):
        raise DocumentError(f"issuance must be an object with exactly "
                            f"{', '.join(ISSUANCE_MEMBERS)}")
    if not isinstance(issuance["checkpoint"], str):
        raise DocumentError("issuance.checkpoint must be a string")
    consistency = issuance["consistency"]
    if not isinstance(consistency, list) or not all(isinstance(h, str) for h in consistency):
        raise DocumentError("issuance.consistency must be a list of base64 strings")
    _check_entry(issuance["entry"], "issuance.entry")


def period_lines(statements: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A period report's lines, each as an object of named members, whatever the format
    writes them as (readers of lines use this, never `statements["lines"]` directly)."""
    columns = statements.get("columns")
    if columns is None:
        yield from statements["lines"]
        return
    for text in statements["lines"]:
        yield dict(zip(columns, json.loads(text), strict=True))
