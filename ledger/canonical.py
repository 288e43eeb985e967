"""Canonical JSON bytes (RFC 8785, JCS) for the values the ledger stores.

Ledger values carry no floats and only ASCII keys, and integers stay within ±2**53. Under
those constraints Python's own compact, key-sorted JSON encoding is byte for byte RFC 8785
(a property test checks it against the `rfc8785` package) and several times faster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonicalizable(ValueError):
    """The value holds something JCS would encode differently from Python (or not at all)."""


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 encoding of `value`, refusing what the ledger does not allow."""
    _check(value, "$")
    return encode_valid(value)


def encode_valid(value: Any) -> bytes:
    """The RFC 8785 encoding of a value already known to meet the constraints, such as an
    event read back from the ledger: the same bytes as canonical_bytes, without the check."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                            allow_nan=False)


def canonical_chunks(value: Any) -> Iterator[bytes]:
    """canonical_bytes(value) in pieces, for hashing or writing a large document without
    holding its whole encoding (a quarter's report is tens of megabytes)."""
    _check(value, "$")
    pending: list[str] = []
    size = 0
    for chunk in _ENCODER.iterencode(value):
        pending.append(chunk)
        size += len(chunk)
        if size >= 1 << 16:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    yield "".join(pending).encode("utf-8")


def _check(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonicalizable(f"{path}: integer {value} is beyond ±2**53")
        return
    if isinstance(value, float):
        raise NotCanonicalizable(f"{path}: {value!r} is a float; use integer units")
    if isinstance(value, str):
        _check_text(value, path)
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise NotCanonicalizable(f"{path}: key {key!r} is not an ASCII string")
            _check(item, f"{path}.{key}")
        return
    raise NotCanonicalizable(f"{path}: {type(value).__name__} is not a JSON value")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotCanonicalizable(f"{path}: text holds a lone surrogate") from exc
