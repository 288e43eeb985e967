"""Read a file attached to a PDF with the standard library alone (no pypdf).

The verifier an inspector takes away (`dledger cert verifier`) runs with Python and
`cryptography` only, yet must open the certificate PDFs the plant prints. It needs one thing
from them: the bytes of the "certificate.json" attachment. This reader goes exactly that far,
for the PDFs `ledger.certificates.pdf` writes (WeasyPrint: cross-reference streams, object
streams, FlateDecode) and for classic cross-reference tables: trailer -> /Root ->
/Names -> /EmbeddedFiles name tree -> file specification -> /EF /F stream. Anything else
(another filter, an encrypted file, a broken structure) is refused with a `PdfError` that
says what, never guessed around. The printed pages are not read here: comparing them with the
attachment needs text extraction, which stays with pypdf.

    attachment(pdf_bytes, "certificate.json")  # bytes, or None when there is no such file
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64  # nesting of arrays, dictionaries and name-tree levels
MAX_DECODED = 256 * 1024 * 1024  # bytes one stream may inflate to
_WHITESPACE = b"\x00\t\n\x0c\r "
_DELIMITERS = b"()<>[]{}/%"
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
_INDIRECT = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_REFERENCE = re.compile(rb"\s+(\d+)\s+R(?=[\s/\[\]<>()%]|$)")


class PdfError(ValueError):
    """The file is not a PDF this reader can open; the message says why."""


class Name(str):
    """A PDF name (/Type), apart from a string."""


@dataclass(frozen=True)
class Ref:
    number: int
    generation: int


@dataclass(frozen=True)
class Stream:
    info: dict[str, Any]
    raw: bytes


def attachment(data: bytes, name: str = "certificate.json") -> bytes | None:
    """The bytes of the embedded file `name`, or None when the PDF embeds no such file."""
    return _Document(data).attachment(name)


class _Parser:
    """PDF objects from bytes at a position (ISO 32000-1 §7.3)."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def skip(self) -> None:
        data, pos = self.data, self.pos
        while pos < len(data):
            if data[pos] in _WHITESPACE:
                pos += 1
            elif data[pos] == 0x25:  # % comment, to the end of the line
                while pos < len(data) and data[pos] not in b"\r\n":
                    pos += 1
            else:
                break
        self.pos = pos

    def keyword(self) -> bytes:
        self.skip()
        start = self.pos
        while (self.pos < len(self.data) and self.data[self.pos] not in _WHITESPACE
               and self.data[self.pos] not in _DELIMITERS):
            self.pos += 1
        return self.data[start:self.pos]

    def value(self, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise PdfError("objects nested too deep")
        self.skip()
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise PdfError("the file ends inside an object")
        head = data[pos:pos + 2]
        if head == b"<<":
            return self._dictionary(depth)
        if head[:1] == b"<":
            end = data.find(b">", pos)
            if end < 0:
                raise PdfError("unterminated hex string")
            self.pos = end + 1
            digits = bytes(c for c in data[pos + 1:end] if c not in _WHITESPACE)
            try:
                return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
            except ValueError as exc:
                raise PdfError(f"bad hex string at byte {pos}") from exc
        if head[:1] == b"[":
            self.pos += 1
            items: list[Any] = []
            while True:
                self.skip()
                if self.data[self.pos:self.pos + 1] == b"]":
                    self.pos += 1
                    return items
                items.append(self.value(depth + 1))
        if head[:1] == b"(":
            return self._literal()
        if head[:1] == b"/":
            self.pos += 1
            return Name(re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]),
                               self.keyword()).decode("latin-1"))
        number = _NUMBER.match(data, pos)
        if number:
            self.pos = number.end()
            if b"." in number[0]:
                return float(number[0])
            reference = _REFERENCE.match(data, self.pos)
            if reference:
                self.pos = reference.end()
                return Ref(int(number[0]), int(reference[1]))
            return int(number[0])
        word = self.keyword()
        if word in (b"true", b"false"):
            return word == b"true"
        if word == b"null":
            return None
        raise PdfError(f"unexpected {word[:20]!r} at byte {pos}")

    def _dictionary(self, depth: int) -> dict[str, Any]:
        self.pos += 2
        items: dict[str, Any] = {}
        while True:
            self.skip()
            if self.data[self.pos:self.pos + 2] == b">>":
                self.pos += 2
                return items
            key = self.value(depth + 1)
            if not isinstance(key, Name):
                raise PdfError(f"a dictionary key is not a name at byte {self.pos}")
            items[key] = self.value(depth + 1)

    def _literal(self) -> bytes:
        data, pos, out, level = self.data, self.pos + 1, bytearray(), 1
        escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
                   ord("f"): b"\f"}
        while pos < len(data):
            char = data[pos]
            if char == 0x5C:  # backslash
                pos += 1
                nxt = data[pos:pos + 1]
                octal = re.match(rb"[0-7]{1,3}", data[pos:pos + 3])
                if octal:
                    out.append(int(octal[0], 8) & 0xFF)
                    pos += len(octal[0])
                    continue
                if nxt == b"\r":
                    pos += 2 if data[pos + 1:pos + 2] == b"\n" else 1
                    continue
                if nxt != b"\n":
                    out += escapes.get(nxt[0], nxt) if nxt else b""
                pos += 1
                continue
            if char == 0x28:
                level += 1
            elif char == 0x29:
                level -= 1
                if level == 0:
                    self.pos = pos + 1
                    return bytes(out)
            out.append(char)
            pos += 1
        raise PdfError("unterminated string")


class _Document:
    def __init__(self, data: bytes):
        if not data.startswith(b"%PDF-"):
            raise PdfError("it does not start with %PDF-")
        self.data = data
        self.offsets: dict[int, int] = {}  # object number -> byte offset
        self.packed: dict[int, tuple[int, int]] = {}  # -> (object stream, index in it)
        self.cache: dict[int, Any] = {}
        self.trailer = self._cross_references()
        if "Encrypt" in self.trailer:
            raise PdfError("the PDF is encrypted")

    # The cross-reference sections, newest first: an object's first definition wins.
    def _cross_references(self) -> dict[str, Any]:
        found = self.data.rfind(b"startxref")
        if found < 0:
            raise PdfError("no startxref: the file is truncated or not a PDF")
        parser = _Parser(self.data, found + len(b"startxref"))
        offset, trailer, seen = parser.value(), None, set()
        while isinstance(offset, int) and offset not in seen:
            if not 0 <= offset < len(self.data):
                raise PdfError(f"a cross-reference offset {offset} lies outside the file")
            seen.add(offset)
            section = self._section(offset)
            trailer = trailer or section
            if isinstance(section.get("XRefStm"), int):  # a hybrid file's stream part
                self._section(section["XRefStm"])
            offset = section.get("Prev")
        if trailer is None:
            raise PdfError("no cross-reference section")
        return trailer

    def _section(self, offset: int) -> dict[str, Any]:
        parser = _Parser(self.data, offset)
        if parser.keyword() == b"xref":
            return self._table(parser)
        stream = self._object_at(offset)
        if not isinstance(stream, Stream) or stream.info.get("Type") != "XRef":
            raise PdfError(f"no cross-reference section at byte {offset}")
        self._xref_stream(stream)
        return stream.info

    def _table(self, parser: _Parser) -> dict[str, Any]:
        while True:
            word = parser.keyword()
            if word == b"trailer":
                trailer = parser.value()
                if not isinstance(trailer, dict):
                    raise PdfError("the trailer is not a dictionary")
                return trailer
            if not word.isdigit():
                raise PdfError(f"bad cross-reference table near byte {parser.pos}")
            first, count = int(word), int(parser.keyword())
            for number in range(first, first + count):
                where, _, kind = parser.keyword(), parser.keyword(), parser.keyword()
                if kind == b"n":
                    self.offsets.setdefault(number, int(where))
                elif kind != b"f":
                    raise PdfError(f"bad cross-reference entry for object {number}")

    def _xref_stream(self, stream: Stream) -> None:
        widths = stream.info.get("W")
        if (not isinstance(widths, list) or len(widths) != 3
                or not all(isinstance(w, int) and 0 <= w <= 8 for w in widths)):
            raise PdfError("a cross-reference stream has a bad /W")
        index = stream.info.get("Index", [0, stream.info.get("Size")])
        if not all(isinstance(n, int) for n in index) or len(index) % 2:
            raise PdfError("a cross-reference stream has a bad /Index")
        rows, size = _decode(stream), sum(widths)
        position = 0
        for first, count in zip(index[::2], index[1::2], strict=True):
            for number in range(first, first + count):
                row = rows[position:position + size]
                if len(row) < size:
                    raise PdfError("a cross-reference stream is shorter than its /Index")
                position += size
                fields, at = [], 0
                for width in widths:
                    fields.append(int.from_bytes(row[at:at + width], "big"))
                    at += width
                kind = fields[0] if widths[0] else 1
                if kind == 1:
                    self.offsets.setdefault(number, fields[1])
                elif kind == 2:
                    self.packed.setdefault(number, (fields[1], fields[2]))

    def _object_at(self, offset: int) -> Any:
        header = _INDIRECT.match(self.data, offset)
        if not header:
            raise PdfError(f"no object at byte {offset}")
        parser = _Parser(self.data, header.end())
        value = parser.value()
        if not isinstance(value, dict) or parser.keyword() != b"stream":
            return value
        start = parser.pos
        if self.data[start:start + 2] == b"\r\n":
            start += 2
        elif self.data[start:start + 1] in (b"\n", b"\r"):
            start += 1
        length = self.resolve(value.get("Length"))
        if not isinstance(length, int) or not 0 <= length <= len(self.data) - start:
            raise PdfError(f"a stream at byte {offset} has a bad /Length")
        return Stream(value, self.data[start:start + length])

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """The object a reference points to (values that are not references as they are)."""
        if not isinstance(value, Ref):
            return value
        if depth > MAX_DEPTH:
            raise PdfError("references loop")
        number = value.number
        if number not in self.cache:
            self.cache[number] = None  # a reference to itself reads as null, not a loop
            if number in self.offsets:
                self.cache[number] = self._object_at(self.offsets[number])
            elif number in self.packed:
                self.cache[number] = self._packed(*self.packed[number], depth)
        return self.resolve(self.cache[number], depth + 1)

    def _packed(self, container: int, index: int, depth: int) -> Any:
        stream = self.resolve(Ref(container, 0), depth + 1)
        if not isinstance(stream, Stream) or stream.info.get("Type") != "ObjStm":
            raise PdfError(f"object stream {container} is missing")
        body, count, first = _decode(stream), stream.info.get("N"), stream.info.get("First")
        if not isinstance(count, int) or not isinstance(first, int) or not 0 <= index < count:
            raise PdfError(f"object stream {container} has a bad /N or /First")
        parser = _Parser(body)
        pairs = [parser.value() for _ in range(2 * count)]
        offset = pairs[2 * index + 1]
        if not isinstance(offset, int):
            raise PdfError(f"object stream {container} has a bad header")
        return _Parser(body, first + offset).value()

    def attachment(self, name: str) -> bytes | None:
        root = self.resolve(self.trailer.get("Root"))
        names = self.resolve(root.get("Names")) if isinstance(root, dict) else None
        tree = self.resolve(names.get("EmbeddedFiles")) if isinstance(names, dict) else None
        spec = self._lookup(tree, name, 0) if tree is not None else None
        if spec is None:
            return None
        files = self.resolve(spec.get("EF"))
        if not isinstance(files, dict):
            raise PdfError(f"the attachment {name} has no embedded file (/EF)")
        stream = self.resolve(files.get("F", files.get("UF")))
        if not isinstance(stream, Stream):
            raise PdfError(f"the attachment {name} is not a stream")
        return _decode(stream)

    def _lookup(self, node: Any, name: str, depth: int) -> dict[str, Any] | None:
        """The file specification under `name` in a name tree (§7.9.6)."""
        if depth > MAX_DEPTH or not isinstance(node, dict):
            raise PdfError("the /EmbeddedFiles name tree is malformed")
        pairs = self.resolve(node.get("Names", []))
        if not isinstance(pairs, list):
            raise PdfError("the /EmbeddedFiles name tree is malformed")
        for key, spec in zip(pairs[::2], pairs[1::2], strict=False):
            key = self.resolve(key)
            if isinstance(key, bytes) and _text(key) == name:
                spec = self.resolve(spec)
                if not isinstance(spec, dict):
                    raise PdfError(f"the attachment {name} has no file specification")
                return spec
        kids = self.resolve(node.get("Kids", []))
        for kid in kids if isinstance(kids, list) else []:
            found = self._lookup(self.resolve(kid), name, depth + 1)
            if found is not None:
                return found
        return None


def _text(value: bytes) -> str:
    """A PDF text string: UTF-16BE with its byte-order mark, else (near enough) Latin-1."""
    if value.startswith(b"\xfe\xff"):
        return value[2:].decode("utf-16-be", errors="replace")
    if value.startswith(b"\xef\xbb\xbf"):
        return value[3:].decode("utf-8", errors="replace")
    return value.decode("latin-1")


def _decode(stream: Stream) -> bytes:
    """A stream's data through its filters: none, or FlateDecode (with PNG predictors)."""
    filters = stream.info.get("Filter")
    filters = [] if filters is None else filters if isinstance(filters, list) else [filters]
    parameters = stream.info.get("DecodeParms")
    if isinstance(parameters, list):
        parameters = parameters[0] if parameters else None
    if filters == []:
        return stream.raw
    if filters != ["FlateDecode"]:
        raise PdfError(f"a stream uses filter {filters!r}; this reader knows FlateDecode only")
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(stream.raw, MAX_DECODED)
    except zlib.error as exc:
        raise PdfError(f"a compressed stream is damaged ({exc})") from exc
    if inflater.unconsumed_tail:
        raise PdfError(f"a stream inflates beyond {MAX_DECODED} bytes")
    if isinstance(parameters, dict) and parameters.get("Predictor", 1) != 1:
        return _unpredict(data, parameters)
    return data


def _unpredict(data: bytes, parameters: dict[str, Any]) -> bytes:
    """Undo PNG row predictors (Predictor 10-15), as cross-reference streams often use."""
    predictor, columns = parameters.get("Predictor"), parameters.get("Columns", 1)
    if (not isinstance(predictor, int) or not 10 <= predictor <= 15
            or parameters.get("Colors", 1) != 1 or parameters.get("BitsPerComponent", 8) != 8
            or not isinstance(columns, int) or columns < 1):
        raise PdfError(f"unsupported stream predictor {parameters!r}")
    out, previous = bytearray(), bytearray(columns)
    for start in range(0, len(data), columns + 1):
        kind, row = data[start], bytearray(data[start + 1:start + 1 + columns])
        for i in range(len(row)):
            left = row[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                row[i] = (row[i] + guess) & 0xFF
            elif kind != 0:
                raise PdfError(f"bad PNG predictor row type {kind}")
        out += row
        previous = row + bytearray(columns - len(row))
    return bytes(out)
