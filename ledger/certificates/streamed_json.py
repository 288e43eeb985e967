"""Reading a certificate's JSON a piece at a time, so that a report of any size is read in the
same memory: every member is parsed as `json.loads` would, except the arrays of strings at
given paths (a v2 period report's `statements.lines`, a fund table's `statements.units`),
each checked and counted on the way and read again, element by element, whenever it is
iterated (an array there that does not start with a string, such as a v1 report's lines, is
read as any other). Standard library only: the offline verifier reads certificates with it.

The text is cut into tokens (strings, the six structural characters, other literals) by one
regular expression over a window of the file; each string and literal is decoded by `json`
itself, so what is accepted and what each value becomes is exactly `json.loads`'s, floats
and NaN refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ledger.canonical import StringArray

CHUNK = 1 << 20  # bytes read at a time
MAX_DEPTH = 64  # certificates nest a few levels; refuse what is far deeper
_TOKEN = re.compile(rb'[ \t\n\r]*(?:("[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*")'
                    rb'|([{}\[\]:,])|([^ \t\n\r{}\[\]:,"]+))')
Opener = Callable[[], IO[bytes]]
Paths = tuple[tuple[str, ...], ...]  # object member names from the top, one tuple a path


class JsonError(ValueError):
    """The text is not JSON, or not JSON a certificate may hold; the message says where."""


class StreamedStrings(StringArray):
    """The array of strings at `path` in the JSON that `opener` gives, read afresh from it
    each time it is iterated (it was checked, and counted, when the document was read)."""

    def __init__(self, opener: Opener, path: tuple[str, ...], count: int):
        self.opener, self.path, self.count = opener, path, count

    def __iter__(self) -> Iterator[str]:
        with self.opener() as stream:
            tokens = _Tokens(stream)
            yield from _Reader(tokens, (self.path,), None).strings_at(self.path)

    def __len__(self) -> int:
        return self.count


def load(opener: Opener, streamed: Paths | None) -> Any:
    """The JSON value in what `opener` gives, with each array of strings at one of the paths
    `streamed` (None: none) as a StreamedStrings; elsewhere exactly as json.loads reads it,
    floats refused and each member named once."""
    with opener() as stream:
        tokens = _Tokens(stream)
        reader = _Reader(tokens, streamed or (), opener if streamed is not None else None)
        value = reader.value((), 0)
        tokens.end()
    return value


def load_file(path: Path, streamed: Paths) -> Any:
    return load(lambda: path.open("rb"), streamed)


def _decode(token: bytes, offset: int) -> Any:
    try:
        return json.loads(token, parse_float=_no_float, parse_constant=_no_float)
    except json.JSONDecodeError:
        raise _wrong(offset) from None
    except UnicodeDecodeError as exc:
        raise JsonError(f"the file is not UTF-8 text (byte {offset + exc.start})") from None


def _no_float(text: str) -> Any:
    raise JsonError(f"the number {text} is not an integer; certificates hold no floats")


class _Tokens:
    """The tokens of a binary stream, each with the byte offset it starts at."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.window, self.at, self.base, self.eof = b"", 0, 0, False

    def next(self) -> tuple[bytes, int]:
        """The next token (b"" at the end of the text) and its offset."""
        while True:
            found = _TOKEN.match(self.window, self.at)
            whole = found is not None and (found.end() < len(self.window) or self.eof
                                           or found.group(2) is not None)
            if found is not None and whole:
                self.at = found.end()
                token = found.group(found.lastindex or 0)
                return token, self.base + found.start(found.lastindex or 0)
            if self.eof:
                if self.window[self.at:].strip(b" \t\n\r"):
                    raise _wrong(self.base + self.at)
                return b"", self.base + len(self.window)
            more = self.stream.read(CHUNK)
            self.eof = not more
            self.base += self.at
            self.window, self.at = self.window[self.at:] + more, 0

    def end(self) -> None:
        token, offset = self.next()
        if token:
            raise JsonError(f"the file is not JSON (it goes on after the value, at byte "
                            f"{offset})")


class _Reader:
    """A recursive descent over the tokens; at each path of `streamed`, the array of strings
    is counted (and its strings checked) rather than kept, given the `opener` to read it
    again from."""

    def __init__(self, tokens: _Tokens, streamed: Paths, opener: Opener | None):
        self.tokens, self.streamed, self.opener = tokens, streamed, opener

    def value(self, path: tuple[str, ...], depth: int) -> Any:
        return self._value(*self.tokens.next(), path, depth)

    def _value(self, token: bytes, offset: int, path: tuple[str, ...], depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise JsonError("the JSON is nested far deeper than any certificate")
        if token == b"{":
            return self._object(path, depth)
        if token == b"[":
            first = self.tokens.next()
            if path in self.streamed and self.opener is not None and (
                    first[0].startswith(b'"') or first[0] == b"]"):
                return StreamedStrings(self.opener, path,
                                       sum(1 for _ in self._strings(first, path)))
            return self._array(first, path, depth)  # not strings (a v1 report's lines): held
        if not token or token in (b"]", b"}", b",", b":"):
            raise _wrong(offset)
        return _decode(token, offset)

    def _object(self, path: tuple[str, ...], depth: int) -> dict[str, Any]:
        members: dict[str, Any] = {}
        token, offset = self.tokens.next()
        if token == b"}":
            return members
        while True:
            name = self._name(token, offset)
            if name in members:
                raise JsonError(f"member {name!r} appears twice in one object (byte {offset})")
            members[name] = self.value((*path, name), depth + 1)
            token, offset = self.tokens.next()
            if token == b"}":
                return members
            if token != b",":
                raise _wrong(offset)
            token, offset = self.tokens.next()

    def _name(self, token: bytes, offset: int) -> str:
        """The member name `token` is, with the colon after it read."""
        if not token.startswith(b'"'):
            raise _wrong(offset)
        name: str = _decode(token, offset)
        token, offset = self.tokens.next()
        if token != b":":
            raise _wrong(offset)
        return name

    def _array(self, first: tuple[bytes, int], path: tuple[str, ...], depth: int
               ) -> list[Any]:
        """The array whose `first` token (after the bracket) was read."""
        items: list[Any] = []
        token, offset = first
        if token == b"]":
            return items
        while True:
            items.append(self._value(token, offset, path, depth + 1))
            token, offset = self.tokens.next()
            if token == b"]":
                return items
            if token != b",":
                raise _wrong(offset)
            token, offset = self.tokens.next()

    def _strings(self, first: tuple[bytes, int], path: tuple[str, ...]) -> Iterator[str]:
        """The strings of the array whose `first` token (after the bracket) was read."""
        position = 0
        token, offset = first
        if token == b"]":
            return
        while True:
            if not token.startswith(b'"'):
                raise JsonError(f"{'.'.join(path)}[{position}] is not a string "
                                f"(byte {offset})")
            yield _decode(token, offset)
            position += 1
            token, offset = self.tokens.next()
            if token == b"]":
                return
            if token != b",":
                raise _wrong(offset)
            token, offset = self.tokens.next()

    def strings_at(self, path: tuple[str, ...]) -> Iterator[str]:
        """The strings of the array at `path`, the members before it read and dropped (the
        document was read whole once: its shape is known to be sound)."""
        for name in path:
            if self.tokens.next()[0] != b"{":
                raise JsonError(f"the file changed since it was read: no {name!r} in it")
            while self._name(*self.tokens.next()) != name:
                self.value((), 0)
                self.tokens.next()  # the comma
        if self.tokens.next()[0] != b"[":
            raise JsonError("the file changed since it was read: "
                            f"{'.'.join(path)} is no longer an array")
        yield from self._strings(self.tokens.next(), path)


def _wrong(offset: int) -> JsonError:
    return JsonError(f"the file is not JSON (it goes wrong at byte {offset})")
