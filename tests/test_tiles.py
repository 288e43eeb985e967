"""The log as c2sp.org/tlog-tiles (issue 14, point 3): paths, tiles, bundles, the verifying
reader, the export, and the entry size limit the format sets.

The tiles are checked against a builder and a reader written here from the spec alone (its
formula for tile n at level l, its uint16 bundles), with the independent RFC 6962 verifier of
tests/spec_verifier.py: not against ledger.tiles itself.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import spec_verifier as spec
from click.testing import CliRunner
from factories import SigningStation, event_obj
from tiles_helpers import grow, refusal, refusal_params, spec_entries, spec_path, spec_tiles

from dledger.cli import main
from ledger import events
from ledger.checkpoint import Checkpoint
from ledger.events import EventError, parse_event
from ledger.log import entry_bytes
from ledger.note import new_signer, sign
from ledger.tiles import (
    ENTRIES,
    MAX_ENTRY,
    DirSource,
    Tile,
    TileError,
    TileLog,
    decode_bundle,
    encode_bundle,
    parse_path,
    partial_tiles,
    read_checkpoint,
    tile_at,
    tiles_for_size,
)
from ledger.tiles_export import ExportError, export
from ledger.tiles_log import latest_signed
from tests.web.conftest import make_instance

ORIGIN = "ledger.test-plant.example/TILES"


class MemorySource:
    def __init__(self, files: dict[str, bytes]):
        self.files = dict(files)
        self.reads: list[str] = []

    def read(self, path: str) -> bytes:
        self.reads.append(path)
        if path not in self.files:
            raise TileError(f"{path} is missing", path)
        return self.files[path]


def tamper(data: bytes, at: int = 0) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


# -- paths ------------------------------------------------------------------------------------

def test_paths_are_written_as_the_spec_says():
    assert Tile(0, 1234067).path == "tile/0/x001/x234/067"
    assert Tile(ENTRIES, 1234067, 5).path == "tile/entries/x001/x234/067.p/5"
    assert Tile(63, 0, 1).path == "tile/63/000.p/1"
    for n in (0, 7, 999, 1000, 1001, 999_999, 1_000_000, 123_456_789, 2**40):
        for level in (0, 5, 63):
            for width in (1, 17, 255, 256):
                assert Tile(level, n, width).path == spec_path(str(level), n, width)
                assert parse_path(spec_path(str(level), n, width)) == Tile(level, n, width)
        assert parse_path(spec_path("entries", n, 256)) == Tile(ENTRIES, n)


@pytest.mark.parametrize("path", [
    "tile/0/01", "tile/0/0000", "tile/00/000", "tile/01/000", "tile/64/000", "tile/-1/000",
    "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/05", "tile/0/000.p/", "tile/0/000.p",
    "tile/0/x000/001", "tile/0/001/002", "tile/0/x001", "tile/0/x01/000", "tile/0/000/",
    "tile/entries/000.p/300", "tile/data/000", "tile/x/000", "tiles/0/000", "tile/0",
    "tile/0/0a0", "tile/0/\u0660\u0660\u0660", "tile/0/ 00", "tile//000", "/tile/0/000",
    "tile/0/000.p/1/2", "tile/0/x001.p/2/000",
])
def test_malformed_paths_are_refused(path):
    with pytest.raises(TileError) as refused:
        parse_path(path)
    assert refused.value.path == path and repr(path) in str(refused.value)


def test_the_specs_example_sizes():
    tiles = list(tiles_for_size(70_000))
    assert sum(t.level == 0 and t.full for t in tiles) == 273
    assert [t.path for t in partial_tiles(70_000)] == ["tile/2/000.p/1", "tile/1/001.p/17",
                                                       "tile/0/273.p/112"]
    assert [t for t in tiles if t.level == 1 and t.full] == [Tile(1, 0)]
    assert list(tiles_for_size(256)) == [Tile(0, 0), Tile(1, 0, 1)]  # "a tree of size 256"
    assert list(tiles_for_size(0)) == []
    assert [t.path for t in tiles_for_size(300, bundles=True)] == [
        "tile/entries/000", "tile/entries/001.p/44", "tile/0/000", "tile/0/001.p/44",
        "tile/1/000.p/1"]
    assert tile_at(0, 273, 70_000) == Tile(0, 273, 112) and tile_at(0, 274, 70_000) is None


def test_bundles_are_uint16_length_prefixed():
    entries = [(0, b""), (1, b"a"), (2, bytes(MAX_ENTRY))]
    data = encode_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a" and data[5:7] == b"\xff\xff"
    assert decode_bundle(data) == [e for _, e in entries]
    with pytest.raises(TileError) as too_big:
        encode_bundle([(0, b"x"), (41, bytes(MAX_ENTRY + 1))])
    assert too_big.value.index == 41 and "entry 41 is 65,536 bytes" in str(too_big.value)
    with pytest.raises(TileError, match="runs past its end"):
        decode_bundle(b"\x00\x05abc", "tile/entries/000")
    with pytest.raises(TileError, match="inside a length prefix"):
        decode_bundle(b"\x00\x01a\x00")


# -- the verifying reader, on a tree of the spec's example size (three tile levels) ----------

SIZE = 70_000


@pytest.fixture(scope="module")
def big() -> tuple[list[bytes], dict[str, bytes], Checkpoint]:
    entries = [f"entry {i}".encode() * (1 + i % 3) for i in range(SIZE)]
    files = spec_tiles(entries)
    row = [spec.leaf_hash(e) for e in entries]
    root = spec.root_from_leaves(row)
    return entries, files, Checkpoint(ORIGIN, SIZE, root)


def test_the_reader_agrees_with_a_reader_from_the_spec(big):
    entries, files, checkpoint = big
    log = TileLog(MemorySource(files), checkpoint)
    assert spec_entries(files, SIZE, checkpoint.root) == entries
    assert [e for _, e in log.entries()] == entries
    assert list(log.entries(65_530, 65_540)) == [(i, entries[i]) for i in range(65_530, 65_540)]
    for index in (0, 255, 256, 65_535, 65_536, 69_887, 69_888, SIZE - 1):
        assert log.leaf_hash(index) == spec.leaf_hash(entries[index])
        spec.verify_inclusion(index, SIZE, spec.leaf_hash(entries[index]), log.inclusion(index),
                              checkpoint.root)
    leaves = [spec.leaf_hash(e) for e in entries[:1000]]
    for old in (1, 255, 256, 257, 65_536, 65_537, SIZE - 1, SIZE):
        old_root = log.root_of(old)
        if old < 1000:
            assert old_root == spec.root_from_leaves(leaves[:old])
        spec.verify_consistency(old, SIZE, old_root, checkpoint.root, log.consistency(old))


def test_the_reader_fetches_only_what_it_needs(big):
    _, files, checkpoint = big
    source = MemorySource(files)
    TileLog(source, checkpoint).inclusion(70_000 - 1)
    assert not any(p.startswith("tile/entries") for p in source.reads)
    assert len(source.reads) <= 6


@pytest.mark.parametrize("path", ["tile/0/005", "tile/0/256", "tile/1/000", "tile/0/273.p/112",
                                  "tile/1/001.p/17", "tile/2/000.p/1"])
def test_a_tampered_tile_is_named(big, path):
    _, files, checkpoint = big
    source = MemorySource({**files, path: tamper(files[path], 7)})
    log = TileLog(source, checkpoint)
    with pytest.raises(TileError) as refused:
        for index in (5 * 256, 256 * 256, 69_888, 69_999):
            log.leaf_hash(index)
            log.inclusion(index)
        list(log.entries(5 * 256, 5 * 256 + 1))
    assert path in str(refused.value)
    if Tile(0, 0) != parse_path(path) and parse_path(path).full:
        assert refused.value.path == path


def test_a_full_tile_beside_the_root_tiles_is_checked_too():
    """Size 900: the root's four subtrees lie in two partial tiles; tile/0/001 hangs below
    one of them (the case x/mod's TileHashReader leaves unchecked, test_tiles_go.py)."""
    entries = [f"e{i}".encode() for i in range(900)]
    files = spec_tiles(entries)
    checkpoint = Checkpoint(ORIGIN, 900, spec.root_from_leaves([spec.leaf_hash(e)
                                                                for e in entries]))
    source = MemorySource({**files, "tile/0/001": tamper(files["tile/0/001"])})
    with pytest.raises(TileError) as refused:
        TileLog(source, checkpoint).inclusion(300)
    assert refused.value.path == "tile/0/001" and "tile/1/000.p/3" in str(refused.value)


def test_a_tampered_entry_is_named_with_its_bundle(big):
    entries, files, checkpoint = big
    bundle = "tile/entries/100"
    source = MemorySource({**files, bundle: tamper(files[bundle], 2 + len(entries[25600]) + 4)})
    log = TileLog(source, checkpoint)
    assert len(list(log.entries(0, 25_600))) == 25_600  # up to its bundle, all fine
    with pytest.raises(TileError) as refused:
        list(log.entries(25_000, 26_000))
    assert refused.value.index == 25_601 and refused.value.path == bundle
    assert "entry 25601 in tile/entries/100" in str(refused.value)


@pytest.mark.parametrize("change", ["short", "missing", "extra entry", "other checkpoint"])
def test_malformed_tiles_and_bundles_are_refused(big, change):
    _, files, checkpoint = big
    files = dict(files)
    if change == "short":
        files["tile/0/007"] = files["tile/0/007"][:-1]
    elif change == "missing":
        del files["tile/0/007"]
    elif change == "extra entry":
        files["tile/entries/007"] += b"\x00\x01x"
    else:
        checkpoint = Checkpoint(ORIGIN, SIZE, hashlib.sha256(b"another").digest())
    with pytest.raises(TileError) as refused:
        list(TileLog(MemorySource(files), checkpoint).entries(7 * 256, 7 * 256 + 1))
    expected = "tile/0/273.p/112" if change == "other checkpoint" else "/007"
    assert expected in str(refused.value)


# -- the tiles of a real ledger, both databases -----------------------------------------------

def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def test_exported_tiles_are_the_spec_recomputation_and_verify(ledger, tmp_path):
    tmp_path /= "tiles"
    grow(ledger, 600)
    signer = new_signer(ORIGIN)
    signed = ledger.checkpoint(signer)
    report = export(ledger, tmp_path, signed)
    entries = [body for _, _, body in ledger.entries_between(0, signed.checkpoint.size)]
    expected = {**spec_tiles(entries), "checkpoint": signed.note.encode()}
    assert files_in(tmp_path) == expected
    assert (report.size, report.written, report.kept) == (601, len(expected) - 1, 0)
    checkpoint, note = read_checkpoint(DirSource(tmp_path), [signer.verifier])
    assert note == signed.note and checkpoint == signed.checkpoint
    log = TileLog(DirSource(tmp_path), checkpoint)
    assert [e for _, e in log.entries()] == entries
    assert log.inclusion(300) == ledger.inclusion_hashes(300, 601)
    assert log.consistency(256) == ledger.consistency_hashes(256, 601)


def test_a_checkpoint_by_another_key_or_of_another_log_is_refused(tmp_path):
    signer, other = new_signer(ORIGIN), new_signer("other.example/LOG")
    text = Checkpoint(ORIGIN, 0, spec.leaf_hash(b"")).text()
    source = MemorySource({"checkpoint": sign(text, [signer]).encode()})
    assert read_checkpoint(source, [signer.verifier])[0].size == 0
    with pytest.raises(TileError, match="no trusted key signed this note"):
        read_checkpoint(source, [other.verifier])
    source.files["checkpoint"] = sign(text, [other]).encode()
    with pytest.raises(TileError, match=r"signed by other\.example/LOG: not this log's"):
        read_checkpoint(source, [other.verifier])


def test_export_is_incremental_and_idempotent(ledger, tmp_path):
    tmp_path /= "tiles"
    grow(ledger, 520)
    signer = new_signer(ORIGIN)
    first = ledger.checkpoint(signer)
    export(ledger, tmp_path, first)
    before = files_in(tmp_path)
    again = export(ledger, tmp_path, first)
    assert (again.written, again.kept) == (0, len(before) - 1) and files_in(tmp_path) == before
    (tmp_path / "tile/0/001").write_bytes(tamper(before["tile/0/001"]))
    (tmp_path / "tile/entries/000").write_bytes(tamper(before["tile/entries/000"], 30))
    repaired = export(ledger, tmp_path, first)
    assert repaired.written == 2 and files_in(tmp_path) == before
    grow(ledger, 300)
    second = ledger.checkpoint(signer)
    grown = export(ledger, tmp_path, second)
    after = files_in(tmp_path)
    assert after["checkpoint"] == second.note.encode()
    assert {p: d for p, d in before.items() if p != "checkpoint"}.items() <= after.items()
    assert grown.kept == 2 + 2  # tile/0/000 and 001, entries/000 and 001, as they were
    assert not list(tmp_path.rglob(".*.tmp"))
    log = TileLog(DirSource(tmp_path), first.checkpoint)  # the old checkpoint's tiles stay
    assert len(list(log.entries())) == 521


def test_export_refuses_another_logs_folder(ledger, tmp_path):
    tmp_path /= "tiles"
    tmp_path.mkdir()
    grow(ledger, 10)
    signed = ledger.checkpoint(new_signer(ORIGIN))
    (tmp_path / "checkpoint").write_text(new_signer("other.example/LOG").name, encoding="utf-8")
    with pytest.raises(ExportError, match="is not a checkpoint"):
        export(ledger, tmp_path, signed)
    other = Checkpoint("other.example/LOG", 3, bytes(32)).text()
    (tmp_path / "checkpoint").write_text(other + "\n— other.example/LOG AAAAAAA=\n", "utf-8")
    with pytest.raises(ExportError, match=r"holds the tiles of log 'other\.example/LOG'"):
        export(ledger, tmp_path, signed)
    forked = Checkpoint(ORIGIN, 3, bytes(32)).text()
    (tmp_path / "checkpoint").write_text(forked + "\n— x AAAAAAA=\n", "utf-8")
    with pytest.raises(ExportError, match="the folder is another tree's"):
        export(ledger, tmp_path, signed)
    assert latest_signed(ledger) == signed


# -- entries the format cannot hold -----------------------------------------------------------

def big_catalogue_event(size: int) -> dict:
    names = {f"c{i}": "x" * 400 for i in range(size // 410)}
    return event_obj("catalogue.published", "catalogue:process",
                     {"version": "big", "sha256": "0" * 64, "content": {"names": names}})


def test_an_event_too_large_for_a_bundle_is_refused_when_parsed():
    with pytest.raises(EventError) as refused:
        parse_event(big_catalogue_event(70_000))
    assert refused.value.field == "data" and "at most 64,511" in str(refused.value)
    assert "tlog-tiles" in str(refused.value)
    parse_event(big_catalogue_event(60_000))


def test_the_largest_event_makes_an_entry_a_bundle_holds():
    station = SigningStation()
    obj = refusal(station, 0)
    base = len(parse_event(obj).canonical)
    obj["data"]["params"] = refusal_params(events.MAX_EVENT_BYTES - base)
    event = parse_event(obj)
    assert events.MAX_EVENT_BYTES - 600 < len(event.canonical) <= events.MAX_EVENT_BYTES
    signature = station.sign(obj).station_sig
    assert signature is not None
    body = entry_bytes(2**63 - 1, bytes(32), 2**63 - 2, "2026-11-21T08:15:30.123Z", event,
                       signature)
    assert len(body) - len(event.canonical) <= events.ENTRY_ENVELOPE
    assert len(body) <= MAX_ENTRY


def test_an_oversized_entry_stops_the_export_by_name(ledger, tmp_path, monkeypatch):
    tmp_path /= "tiles"
    station = SigningStation()
    ledger.append([station.registration()])
    monkeypatch.setattr(events, "MAX_EVENT_BYTES", 200_000)
    ledger.append([station.sign(refusal(station, 70_000))])
    signed = ledger.checkpoint(new_signer(ORIGIN))
    with pytest.raises(TileError) as refused:
        export(ledger, tmp_path, signed)
    assert refused.value.index == 2 and "entry 2 is 70," in str(refused.value)
    assert not (tmp_path / "checkpoint").exists()


# -- the command --------------------------------------------------------------------------------

def test_the_export_command(tmp_path, monkeypatch):
    instance, out = make_instance(tmp_path / "instance"), tmp_path / "tiles"
    grow(instance.ledger(), 300)
    monkeypatch.setenv("DLEDGER_HOME", str(instance.home))
    monkeypatch.delenv("DLEDGER_DATABASE_URL", raising=False)
    runner = CliRunner()
    refused = runner.invoke(main, ["tiles", "export", str(out)])
    assert refused.exit_code == 2 and "run `dledger checkpoint` first" in refused.stderr
    assert runner.invoke(main, ["checkpoint"]).exit_code == 0
    done = runner.invoke(main, ["tiles", "export", str(out)])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"size": 301, "written": 5, "kept": 0}
    assert "tiles: 5 of 5 tiles and bundles" in done.stderr
    checkpoint = spec.parse_checkpoint(spec.verify_note((out / "checkpoint").read_text(),
                                                        [instance.vkey()]))
    assert checkpoint.size == 301
    again = runner.invoke(main, ["tiles", "export", str(out)])
    assert json.loads(again.stdout) == {"size": 301, "written": 0, "kept": 5}
    (out / "checkpoint").write_text("junk", encoding="utf-8")
    wrong = runner.invoke(main, ["tiles", "export", str(out)])
    assert wrong.exit_code == 2 and "is not a checkpoint" in wrong.stderr
