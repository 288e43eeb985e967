"""A period report is collected, written, read and verified as a stream: its lines kept on disk
(report_spool), written and hashed as they are encoded (canonical.StringArray), and read back
from the file one at a time (streamed_json), with the same bytes as a report held whole."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.canonical import NotCanonicalizable, StringArray, canonical_bytes, canonical_chunks
from ledger.certificates import streamed_json
from ledger.certificates.archive import write_atomically
from ledger.certificates.build import build_period
from ledger.certificates.document import STREAMED, parse, serialise, serialised, sha256
from ledger.certificates.issue import issue
from ledger.certificates.report_spool import ReportSpool
from ledger.certificates.verify import STATEMENTS_CHECK, verify

from .conftest import Plant

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "certificates"


class Listed(StringArray):
    def __init__(self, items: list[str]):
        self.items = items

    def __iter__(self) -> Iterator[str]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def held_whole(document: dict) -> dict:
    """The document with its lines as a list, as a report was held before it streamed."""
    statements = document["statements"]
    return {**document, "statements": {**statements, "lines": list(statements["lines"])}}


def test_a_string_array_is_encoded_as_the_list_of_its_strings() -> None:
    value = {"b": [1, {"z": Listed(["é\"\\", "x" * 70_000, ""])}], "a": "\u2028"}
    whole = {"b": [1, {"z": ["é\"\\", "x" * 70_000, ""]}], "a": "\u2028"}
    assert b"".join(canonical_chunks(value)) == canonical_bytes(whole)
    with pytest.raises(NotCanonicalizable, match=r"\$\.b\[1\]\.z: Listed"):
        canonical_bytes(value)  # it would hold the whole encoding
    with pytest.raises(NotCanonicalizable, match=r"\$\.z\[1\]: int is not a string"):
        b"".join(canonical_chunks({"z": Listed(["a", 1])}))  # type: ignore[list-item]


def test_the_spool_gives_the_lines_in_the_reports_order() -> None:
    spool = ReportSpool()
    spool.add_units([("B", 7), ("A", 3), ("é", 9)])
    assert (spool.units, spool.last_index) == (3, 9)
    assert [spool.last_of(x) for x in ("A", "B", "é", "C", "A")] == [3, 7, 9, None, 3]
    rows = [("2026-11-21T09:00:00Z", "é", "3"), ("2026-11-21T08:00:00Z", "B", "2"),
            ("2026-11-21T09:00:00Z", "z", "4"), ("2026-11-21T08:00:00Z", "A", "1")]
    for row in rows:
        spool.add_line(*row)
    assert list(spool) == [text for *_, text in sorted(rows)] == ["1", "2", "4", "3"]
    assert list(spool) == list(spool) and len(spool) == 4  # read afresh each time
    spool.close()


@pytest.mark.parametrize("name", ["period-v1.json", "period-v2.json", "period-v2-beside.json"])
def test_the_streamed_reader_reads_what_json_reads(name: str, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    monkeypatch.setattr(streamed_json, "CHUNK", 97)  # tokens cut across reads
    path = VECTORS / name
    document = streamed_json.load_file(path, STREAMED)
    assert held_whole(document) == json.loads(path.read_bytes())
    assert len(document["statements"]["lines"]) == len(json.loads(path.read_bytes())[
        "statements"]["lines"])
    assert parse(path.read_bytes()) == json.loads(path.read_bytes())


@pytest.mark.parametrize(("text", "words"), [
    (b'{"a": 1', "goes wrong at byte 7"), (b'[1,]', "goes wrong at byte 3"),
    (b'{"a": 1} {}', "goes on after the value, at byte 9"), (b'[1.5]', "1.5 is not an integer"),
    (b'[NaN]', "NaN is not an integer"), (b'{"a": 1, "a": 2}', "member 'a' appears twice"),
    (b'["\xff"]', "not UTF-8 text (byte 2)"), (b"[" * 80 + b"]" * 80, "nested far deeper"),
    (b'{"statements": {"lines": ["a", 2]}}', "statements.lines[1] is not a string (byte 31)"),
])
def test_the_streamed_reader_names_what_is_wrong(text: bytes, words: str) -> None:
    with pytest.raises(streamed_json.JsonError, match=re.escape(words)):
        streamed_json.load(lambda: io.BytesIO(text), STREAMED)


def test_a_report_is_written_and_verified_as_a_stream(plant_ledger: Plant,
                                                      tmp_path: Path) -> None:
    p = plant_ledger
    document = issue(p.ledger, build_period(p.ledger, "2026-11-21", "2026-11-21",
                                            signer=p.signer), p.signer)
    assert isinstance(document["statements"]["lines"], ReportSpool)
    whole = held_whole(document)
    path = tmp_path / "report.json"
    write_atomically(path, serialised(document))
    assert path.read_bytes() == serialise(document) == canonical_bytes(whole)  # same bytes
    body = canonical_bytes({k: v for k, v in whole.items() if k != "issuance"})
    assert sha256(document) == hashlib.sha256(body).hexdigest()

    read = parse(path)
    assert isinstance(read["statements"]["lines"], streamed_json.StreamedStrings)
    assert held_whole(read) == whole and sha256(read) == sha256(document)
    assert verify(path, vkeys=[p.vkey]).ok

    lines = whole["statements"]["lines"]
    lines[0] = lines[0].replace('"creditable"', '"flagged"', 1)
    path.write_bytes(json.dumps(whole, indent=1).encode())  # any JSON layout is read
    report = verify(path, vkeys=[p.vkey])
    detail = next(c.detail for c in report.checks if c.name == STATEMENTS_CHECK)
    assert not report.ok and detail.startswith("statements.lines[0].status")
