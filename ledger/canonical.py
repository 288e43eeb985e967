"""Canonical JSON bytes (RFC 8785, JCS) for the values the ledger stores.

Ledger values carry no floats and only ASCII keys, and integers stay within ±2**53. Under
those constraints Python's own compact, key-sorted JSON encoding is byte for byte RFC 8785
(a property test checks it against the `rfc8785` package) and several times faster.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonicalizable(ValueError):
    """The value holds something JCS would encode differently from Python (or not at all)."""


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 encoding of `value`, refusing what the ledger does not allow."""
    _check(value, "$", streamed=False)
    return encode_valid(value)


def encode_valid(value: Any) -> bytes:
    """The RFC 8785 encoding of a value already known to meet the constraints, such as an
    event read back from the ledger: the same bytes as canonical_bytes, without the check."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                            allow_nan=False)


class StringArray(ABC):
    """A JSON array of strings too large to hold (a quarter's report lines), read afresh from
    where it is kept each time it is iterated. canonical_chunks encodes it element by element;
    canonical_bytes and encode_valid refuse it, as they would hold the whole encoding."""

    @abstractmethod
    def __iter__(self) -> Iterator[str]: ...

    @abstractmethod
    def __len__(self) -> int: ...


def canonical_chunks(value: Any) -> Iterator[bytes]:
    """canonical_bytes(value) in pieces, for hashing or writing a large document without
    holding its whole encoding (a quarter's report is tens of megabytes); a StringArray in
    `value` is encoded as the array of its strings, never held whole."""
    _check(value, "$", streamed=True)
    pending: list[str] = []
    size = 0
    for piece in _pieces(value, "$"):
        pending.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    yield "".join(pending).encode("utf-8")


def _pieces(value: Any, path: str) -> Iterator[str]:
    """The RFC 8785 text of a checked value, in pieces; only containers holding a
    StringArray are walked here, the rest is left to the encoder."""
    if isinstance(value, StringArray):
        yield "["
        for position, text in enumerate(value):
            if not isinstance(text, str):
                raise NotCanonicalizable(f"{path}[{position}]: {type(text).__name__} is not a "
                                         "string")
            _check_text(text, f"{path}[{position}]")
            yield ("," if position else "") + _ENCODER.encode(text)
        yield "]"
    elif isinstance(value, dict) and _holds_array(value):
        yield "{"
        for position, key in enumerate(sorted(value)):
            yield ("," if position else "") + _ENCODER.encode(key) + ":"
            yield from _pieces(value[key], f"{path}.{key}")
        yield "}"
    elif isinstance(value, list) and _holds_array(value):
        yield "["
        for position, item in enumerate(value):
            if position:
                yield ","
            yield from _pieces(item, f"{path}[{position}]")
        yield "]"
    else:
        yield from _ENCODER.iterencode(value)


def _holds_array(value: Any) -> bool:
    if isinstance(value, StringArray):
        return True
    if isinstance(value, dict):
        return any(_holds_array(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_array(item) for item in value)
    return False


def _check(value: Any, path: str, *, streamed: bool) -> None:
    """Refuse what RFC 8785 would encode otherwise; a StringArray only if `streamed`."""
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
            _check(item, f"{path}[{i}]", streamed=streamed)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise NotCanonicalizable(f"{path}: key {key!r} is not an ASCII string")
            _check(item, f"{path}.{key}", streamed=streamed)
        return
    if isinstance(value, StringArray) and streamed:
        return  # its strings are checked as they are encoded
    raise NotCanonicalizable(f"{path}: {type(value).__name__} is not a JSON value")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotCanonicalizable(f"{path}: text holds a lone surrogate") from exc
