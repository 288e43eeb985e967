"""The console serves the log as c2sp.org/tlog-tiles under /tlog/ (issue 14, point 3): what
a signed checkpoint covers, nothing beyond, to whoever may read /api/v1/entries/N."""

from __future__ import annotations

import gzip
import json

import pytest
import spec_verifier as spec
from factories import SigningStation
from tiles_helpers import grow, refusal, spec_tiles

from ledger import events
from ledger.log import Ledger
from ledger.note import Verifier
from ledger.tiles import HttpSource, TileLog, read_checkpoint, tiles_for_size
from ledger.tiles_export import export
from ledger.tiles_log import latest_signed
from tests.web.conftest import USERS, make_instance, serving
from web.access import access_of
from web.app import create_app
from web.context import ledger

IDENTITIES = [*USERS, None]


@pytest.fixture
def tiles_app(db_url, tmp_path, console_env):
    """The console on either database, its log grown to 600 entries (two full tiles)."""
    console_env.setenv("DLEDGER_DATABASE_URL", db_url)
    app = create_app(make_instance(tmp_path / "instance"), {"TESTING": True})
    with app.app_context():
        grow(ledger(), 599)
    return app


def _ledger(app) -> Ledger:
    with app.app_context():
        return ledger()


def test_the_tiles_are_public_as_the_entries_are(sample_app, client_for):
    assert access_of(sample_app, "tiles.tile") == access_of(sample_app, "api.entry")
    assert access_of(sample_app, "tiles.checkpoint") == access_of(sample_app, "api.checkpoint")
    for who in IDENTITIES:
        client = client_for(who)
        assert client.get("/tlog/checkpoint").status_code == 200, who
        assert client.get("/api/v1/entries/5").status_code == 200, who
        for path in ("tile/0/000", "tile/entries/001", "tile/1/000.p/3"):
            assert client.get(f"/tlog/{path}").status_code == 200, (who, path)


def test_the_checkpoint_is_the_apis_signed_note(tiles_app):
    client = tiles_app.test_client()
    answer = client.get("/tlog/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=5"
    assert answer.data == client.get("/api/v1/checkpoint").data
    with tiles_app.app_context():
        vkey = tiles_app.extensions["dledger"].instance.vkey()
    assert spec.parse_checkpoint(spec.verify_note(answer.text, [vkey])).size == 600


def test_every_tile_is_the_spec_recomputation_and_the_export(tiles_app, tmp_path):
    client = tiles_app.test_client()
    client.get("/tlog/checkpoint")
    led = _ledger(tiles_app)
    entries = [body for _, _, body in led.entries_between(0, 600)]
    expected = spec_tiles(entries)
    export(led, tmp_path / "out", latest_signed(led))
    for tile in tiles_for_size(600, bundles=True):
        answer = client.get(f"/tlog/{tile.path}")
        assert answer.status_code == 200, tile.path
        assert answer.headers["Content-Type"] == "application/octet-stream"
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        data = answer.data
        if tile.level < 0:
            assert answer.headers["Content-Encoding"] == "gzip"
            data = gzip.decompress(data)
        assert data == expected[tile.path] == (tmp_path / "out" / tile.path).read_bytes()


def test_only_what_a_signed_checkpoint_covers_is_served(tiles_app):
    client = tiles_app.test_client()
    assert client.get("/tlog/tile/0/000").status_code == 404  # nothing signed yet
    assert b"no checkpoint is signed yet" in client.get("/tlog/tile/0/000").data
    client.get("/tlog/checkpoint")  # signs size 600: 2 full tiles, partial 88
    assert client.get("/tlog/tile/0/001").status_code == 200
    assert client.get("/tlog/tile/0/002.p/88").status_code == 200
    assert client.get("/tlog/tile/1/000.p/2").status_code == 200
    beyond = client.get("/tlog/tile/0/002")
    assert beyond.status_code == 404 and b"beyond the latest signed checkpoint (size 600)" \
        in beyond.data and beyond.headers["Cache-Control"] == "no-store"
    assert b"no signed checkpoint has a size" in client.get("/tlog/tile/0/002.p/87").data
    with tiles_app.app_context():
        grow(ledger(), 200)  # 800 entries; not yet signed
    assert client.get("/tlog/tile/0/002").status_code == 404
    assert client.get("/tlog/tile/entries/002").status_code == 404
    assert client.get("/tlog/tile/1/000.p/3").status_code == 404
    client.get("/tlog/checkpoint")  # signs 800
    for path in ("tile/0/002", "tile/entries/002", "tile/1/000.p/3", "tile/0/003.p/32",
                 "tile/0/002.p/88", "tile/entries/002.p/88", "tile/1/000.p/2"):
        assert client.get(f"/tlog/{path}").status_code == 200, path  # older sizes stay


@pytest.mark.parametrize("path", ["tile/0/01", "tile/00/000", "tile/0/000.p/0", "tile/64/000",
                                  "tile/0/x000/001", "tile/data/000", "tile/0/000.p/256"])
def test_bad_paths_say_why(tiles_app, path):
    answer = tiles_app.test_client().get(f"/tlog/{path}")
    assert answer.status_code == 400 and repr(path).encode() in answer.data
    assert answer.mimetype == "text/plain"


def test_a_tlog_tiles_client_over_http_verifies_the_log(tiles_app):
    with tiles_app.app_context():
        vkey = tiles_app.extensions["dledger"].instance.vkey()
    with serving(tiles_app) as url:
        source = HttpSource(f"{url}/tlog")
        checkpoint, _ = read_checkpoint(source, [Verifier.parse(vkey)])
        log = TileLog(source, checkpoint)
        entries = list(log.entries())
        spec.verify_inclusion(7, 600, spec.leaf_hash(entries[7][1]), log.inclusion(7),
                              checkpoint.root)
    assert [i for i, _ in entries] == list(range(600))
    assert json.loads(entries[0][1])["event"]["type"] == "catalogue.published"


def test_an_entry_too_large_for_a_bundle_is_not_served(tiles_app, monkeypatch):
    station = SigningStation()
    monkeypatch.setattr(events, "MAX_EVENT_BYTES", 200_000)
    with tiles_app.app_context():
        ledger().append([station.registration()])
        ledger().append([station.sign(refusal(station, 70_000))])
    client = tiles_app.test_client()
    client.get("/tlog/checkpoint")
    answer = client.get("/tlog/tile/entries/002.p/90")
    assert answer.status_code == 500 and b"entry 601 is 70," in answer.data
    assert client.get("/tlog/tile/0/002.p/90").status_code == 200  # its hashes are fine
