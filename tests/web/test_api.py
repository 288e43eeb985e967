"""The JSON API: read endpoints checked with the independent spec verifier, and the station
write endpoint refusing every forgery without appending anything."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import spec_verifier as spec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from factories import SigningStation, plant, received
from flask import Flask

from ledger.events import parse_event
from web.context import console, ledger

pytestmark = pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
REPO = Path(__file__).resolve().parent.parent.parent
LABEL = "CN3301-2026-0004812"  # a washing machine of the sample day


def _vkey(app: Flask) -> str:
    with app.app_context():
        return console().instance.vkey()


def _size(app: Flask) -> int:
    with app.app_context():
        return ledger().size()


def _entry(app: Flask, index: int) -> bytes:
    with app.app_context():
        return ledger().entry(index)


def _checkpoint(text: str, vkey: str) -> spec.Checkpoint:
    return spec.parse_checkpoint(spec.verify_note(text, [vkey]))


# -- read side --------------------------------------------------------------------------------

def test_entries_are_the_exact_bytes_and_their_proofs_verify(sample_app):
    client, vkey, size = sample_app.test_client(), _vkey(sample_app), _size(sample_app)

    note = client.get("/api/v1/checkpoint")
    assert note.status_code == 200 and note.mimetype == "text/plain"
    latest = _checkpoint(note.get_data(as_text=True), vkey)
    assert latest.size == size

    for index in (0, 1, 5, 400, size - 1):
        entry = client.get(f"/api/v1/entries/{index}")
        assert entry.status_code == 200 and entry.mimetype == "application/json"
        assert entry.get_data() == _entry(sample_app, index)
        assert entry.headers["Cache-Control"].endswith("immutable")

        proof = client.get(f"/api/v1/proof/inclusion/{index}")
        assert proof.status_code == 200 and proof.mimetype == "text/plain"
        checkpoint = spec.verify_tlog_proof(proof.get_data(as_text=True), entry.get_data(), [vkey],
                                            require_origin_is_key_name=True)
        assert (checkpoint.size, checkpoint.root) == (latest.size, latest.root)


def test_proofs_against_an_older_checkpoint_and_consistency(sample_app):
    client, vkey = sample_app.test_client(), _vkey(sample_app)
    old = _checkpoint(client.get("/api/v1/checkpoint").get_data(as_text=True), vkey)
    with sample_app.app_context():  # the log grows after the inspector saved `old`
        ledger().append([plant("scale.calibrated", "scale:SC-1",
                               {"reference_g": 10_000, "reading_g": 10_001, "tolerance_g": 5,
                                "passed": True})])
    new = _checkpoint(client.get("/api/v1/checkpoint").get_data(as_text=True), vkey)
    assert new.size == old.size + 1

    sized = client.get(f"/api/v1/proof/inclusion/7?size={old.size}")
    assert sized.status_code == 200
    checkpoint = spec.verify_tlog_proof(sized.get_data(as_text=True), _entry(sample_app, 7), [vkey])
    assert (checkpoint.size, checkpoint.root) == (old.size, old.root)
    # the new entry is not in the old checkpoint, but is in the latest
    assert client.get(f"/api/v1/proof/inclusion/{old.size}?size={old.size}").status_code == 422
    latest = client.get(f"/api/v1/proof/inclusion/{old.size}").get_data(as_text=True)
    spec.verify_tlog_proof(latest, _entry(sample_app, old.size), [vkey])

    for query in (f"old={old.size}&new={new.size}", f"old={old.size}"):
        answer = client.get(f"/api/v1/proof/consistency?{query}")
        assert answer.status_code == 200 and answer.mimetype == "text/plain"
        proof = spec.parse_consistency_proof(answer.get_data(as_text=True))
        spec.verify_consistency(old.size, new.size, old.root, new.root, proof)
    same = client.get(f"/api/v1/proof/consistency?old={new.size}&new={new.size}")
    assert same.status_code == 200 and same.get_data() == b""
    # without old: how the latest checkpoint extends the one signed before it
    previous = client.get("/api/v1/proof/consistency")
    assert previous.status_code == 200
    proof = spec.parse_consistency_proof(previous.get_data(as_text=True))
    spec.verify_consistency(old.size, new.size, old.root, new.root, proof)


def test_a_size_without_a_signed_checkpoint_names_the_sizes_to_use(sample_app):
    client = sample_app.test_client()
    signed = _checkpoint(client.get("/api/v1/checkpoint").get_data(as_text=True),
                         _vkey(sample_app))
    answer = client.get("/api/v1/proof/inclusion/3?size=100")
    assert answer.status_code == 404
    body = answer.get_json()
    assert body["field"] == "size"
    assert "no checkpoint was signed at size 100" in body["error"]
    assert str(signed.size) in body["error"]


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/api/v1/entries/100000", 404, "index"),
    ("/api/v1/entries/99999999999999999999999", 404, None),  # beyond 64 bits: no such route
    ("/api/v1/proof/inclusion/100000", 404, "index"),
    ("/api/v1/proof/inclusion/1?size=abc", 422, "size"),
    ("/api/v1/proof/inclusion/1?size=0", 422, "size"),
    ("/api/v1/proof/inclusion/1?size=99999999999999999999999", 422, "size"),
    ("/api/v1/proof/consistency?old=x&new=3", 422, "old"),
    ("/api/v1/proof/consistency?old=5&new=3", 422, "old"),
    ("/api/v1/proof/consistency?old=0&new=3", 422, "old"),
    ("/api/v1/proof/consistency?old=1&new=100000", 404, "new"),
    ("/api/v1/proof/consistency?old=1&old=2", 422, "old"),
    ("/api/v1/units/NO-SUCH-UNIT", 404, "label"),
    ("/api/v1/nothing-here", 404, None),
])
def test_bad_reads_answer_one_error_shape(sample_app, url, status, field):
    answer = sample_app.test_client().get(url)
    assert answer.status_code == status
    body = answer.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert set(body) <= {"error", "field", "item"}
    assert body.get("field") == field


def test_unit_record_lists_its_entries_from_the_ledger(sample_app):
    answer = sample_app.test_client().get(f"/api/v1/units/{LABEL}")
    assert answer.status_code == 200
    unit = answer.get_json()
    assert unit["label"] == LABEL and unit["state"] == "completed"
    assert unit["gross_g"] > 0 and unit["outputs_g"] > 0
    entries = unit["entries"]
    assert [e["index"] for e in entries] == sorted(e["index"] for e in entries)
    assert entries[0]["index"] == unit["first_index"] and entries[-1]["index"] == unit["last_index"]
    assert entries[0]["type"] == "unit.received"
    for item in entries:
        body = _entry(sample_app, item["index"])
        event = json.loads(body)["event"]
        assert event["subject"] == f"unit:{LABEL}"
        assert item["leaf_hash"] == hashlib.sha256(b"\x00" + body).hexdigest()
        assert {k: item[k] for k in ("id", "type", "time", "station", "operator")} == {
            k: event[k] for k in ("id", "type", "time", "station", "operator")}
    # every entry of the unit in the sample day, and no other
    sample = [json.loads(line) for line in
              (REPO / "examples" / "sample-events.jsonl").read_text().splitlines()]
    ids = [obj.get("event", obj)["id"] for obj in sample
           if obj.get("event", obj)["subject"] == f"unit:{LABEL}"]
    assert [e["id"] for e in entries] == ids


def test_openapi_document_describes_every_api_route(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    routes = {(method, re.sub(r"<(?:[^:>]+:)?([a-z_0-9]+)>", r"{\1}", rule.rule))
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert operations == routes
    text = doc["paths"]["/api/v1/checkpoint"]["get"]["responses"]["200"]["content"]
    assert list(text) == ["text/plain"]
    assert "EventBatch" in doc["components"]["schemas"]
    assert "Error" in doc["components"]["schemas"]


# -- write side: POST /api/v1/events ----------------------------------------------------------

@pytest.fixture
def stations(app: Flask) -> dict[str, SigningStation]:
    """ST-50 registered and active, ST-51 registered then revoked, ST-77 never registered."""
    active, revoked, unknown = SigningStation("ST-50"), SigningStation("ST-51"), \
        SigningStation("ST-77")
    with app.app_context():
        ledger().append([active.registration(), revoked.registration(),
                         plant("station.revoked", "station:ST-51",
                               {"reason": "tablet lost", "approved_by": "A-0001"})])
    return {"active": active, "revoked": revoked, "unknown": unknown}


def _item(station: SigningStation, etype: str, subject: str, data: dict[str, Any],
          **kw: Any) -> dict[str, Any]:
    submission = station.submit(etype, subject, data, **kw)
    return {"event": submission.event.obj, "station_sig": submission.station_sig}


def _batch_of(station: SigningStation, n: int = 3) -> list[dict[str, Any]]:
    labels = [f"CN3301-2026-9{uuid.uuid4().int % 10**6:06d}" for _ in range(n - 1)]
    items = [_item(station, "unit.received", f"unit:{label}", received(label))
             for label in labels]
    items.append(_item(station, "refrigerant.absent", f"unit:{labels[0]}",
                       {"reason": "not_refrigerant_bearing"}))
    return items


def _post(app: Flask, body: Any, **kw: Any):
    return app.test_client().post("/api/v1/events", json=body, **kw)


def test_a_valid_batch_is_appended_and_a_resubmission_is_idempotent(app, stations):
    items = _batch_of(stations["active"])
    before = _size(app)
    answer = _post(app, {"events": items})
    assert answer.status_code == 200, answer.get_json()
    results = answer.get_json()["results"]
    assert [r["index"] for r in results] == list(range(before, before + len(items)))
    assert not any(r["existed"] for r in results)
    for result in results:
        body = _entry(app, result["index"])
        assert result["leaf_hash"] == hashlib.sha256(b"\x00" + body).hexdigest()
    assert json.loads(_entry(app, before))["station_sig"] == items[0]["station_sig"]

    again = _post(app, {"events": items})
    assert again.status_code == 200
    assert again.get_json()["results"] == [{**r, "existed": True} for r in results]
    assert _size(app) == before + len(items)


def _wrong_key(stations):
    item = _batch_of(stations["active"], 2)[0]
    other = Ed25519PrivateKey.generate()
    item["station_sig"] = base64.b64encode(
        other.sign(parse_event(item["event"]).canonical)).decode()
    return item


def _altered(stations):
    item = _batch_of(stations["active"], 2)[0]
    item["event"]["data"]["gross_g"] += 1000
    return item


def _from(name):
    def make(stations):
        return _batch_of(stations[name], 2)[0]
    return make


def _plant(stations):
    item = _batch_of(stations["active"], 2)[0]
    item["event"]["station"] = "PLANT"
    return item


@pytest.mark.parametrize(("forge", "field", "words"), [
    (_wrong_key, "station_sig", "does not verify"),
    (_altered, "station_sig", "does not verify"),
    (_from("unknown"), "event.station", "not registered"),
    (_from("revoked"), "event.station", "not registered and active"),
    (_plant, "event.station", "PLANT"),
], ids=["wrong-key", "altered-after-signing", "unregistered", "revoked", "plant"])
def test_forged_events_are_refused_and_nothing_is_appended(app, stations, forge, field, words):
    good = _batch_of(stations["active"], 3)
    before = _size(app)
    answer = _post(app, {"events": [*good[:2], forge(stations)]})
    assert answer.status_code == 403
    body = answer.get_json()
    assert body["item"] == 2 and body["field"] == field
    assert words in body["error"] and "nothing was appended" in body["error"]
    assert _size(app) == before


def test_same_id_with_other_content_is_a_conflict(app, stations):
    station = stations["active"]
    first = _batch_of(station, 2)
    assert _post(app, {"events": first}).status_code == 200
    before = _size(app)
    changed = copy.deepcopy(first[0]["event"])
    changed["data"]["gross_g"] += 1
    resigned = station.sign(changed)
    answer = _post(app, {"events": [{"event": resigned.event.obj,
                                     "station_sig": resigned.station_sig}]})
    assert answer.status_code == 409
    assert answer.get_json()["field"] == "event.id" and answer.get_json()["item"] == 0
    assert _size(app) == before


def test_a_rule_conflict_names_the_item(app, stations):
    station = stations["active"]
    first = _batch_of(station, 2)
    assert _post(app, {"events": first}).status_code == 200
    label = first[0]["event"]["subject"].removeprefix("unit:")
    twice = _item(station, "unit.received", f"unit:{label}", received(label))
    answer = _post(app, {"events": [*_batch_of(station, 2), twice]})
    assert answer.status_code == 409
    body = answer.get_json()
    assert body["item"] == 2 and "already received" in body["error"]


def _without(key):
    def change(items):
        del items[1]["event"][key]
        return {"events": items}
    return change


def _set(path, value):
    def change(items):
        target = items[1]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return {"events": items}
    return change


@pytest.mark.parametrize(("change", "field", "item"), [
    (_without("time"), "event.time", 1),
    (_set(("event", "time"), "yesterday"), "event.time", 1),
    (_set(("event", "data", "gross_g"), 45.5), "event.data.gross_g", 1),
    (_set(("event", "data", "colour"), "red"), "event.data.colour", 1),
    (_set(("event", "type"), "unit.teleported"), "event.type", 1),
    (_set(("event",), "not an object"), "event", 1),
    (_set(("station_sig",), None), "station_sig", 1),
    (_set(("station_sig",), "not base64!"), "station_sig", 1),
    (_set(("extra",), 1), "extra", 1),
    (lambda items: {"events": items, "more": 1}, "more", None),
    (lambda items: {"events": []}, "events", None),
    (lambda items: {"events": items * 400}, "events", None),
    (lambda items: {"events": [items[0], 5]}, "events", 1),
    (lambda items: [items], "body", None),
    (lambda items: {}, "events", None),
], ids=["missing-time", "bad-time", "float-grams", "unknown-data-field", "unknown-type",
        "event-not-object", "null-signature", "bad-base64", "unknown-item-field",
        "unknown-top-field", "empty-batch", "over-1000", "item-not-object", "not-an-object",
        "no-events"])
def test_invalid_batches_are_422_naming_item_and_field(app, stations, change, field, item):
    before = _size(app)
    answer = _post(app, change(_batch_of(stations["active"], 3)))
    assert answer.status_code == 422, answer.get_json()
    body = answer.get_json()
    assert body["field"] == field and body.get("item") == item, body
    assert _size(app) == before


def test_bodies_that_are_not_a_json_batch(app, stations):
    client = app.test_client()
    before = _size(app)

    form = client.post("/api/v1/events", data={"events": "x"})
    assert form.status_code == 415 and form.get_json()["field"] == "Content-Type"

    for raw in (b"{not json", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000, b"1" * 5000):
        answer = client.post("/api/v1/events", data=raw, content_type="application/json")
        assert answer.status_code == 400, raw[:20]
        assert answer.get_json()["field"] == "body"

    huge = {"events": _batch_of(stations["active"], 2), "pad": "x" * (2 * 1024 * 1024)}
    too_big = _post(app, huge)
    assert too_big.status_code == 413
    assert "2 MiB" in too_big.get_json()["error"] and too_big.get_json()["field"] == "body"
    assert _size(app) == before


def test_a_signed_in_role_gets_no_way_around_signatures(app, client_for, stations):
    """The route is public in the access sense; a session adds nothing."""
    item = _plant(stations)
    answer = client_for("admin").post("/api/v1/events", json={"events": [item]})
    assert answer.status_code == 403 and answer.get_json()["field"] == "event.station"



def test_subject_events_give_a_stations_rules_what_they_read(sample_app):
    client = sample_app.test_client()
    cylinder = client.get("/api/v1/events?subject=cylinder:CYL-0007").get_json()
    assert [e["event"]["type"] for e in cylinder["entries"]] == ["cylinder.registered"]
    assert cylinder["entries"][0]["event"]["data"]["max_gross_g"] == 17241
    unit = client.get(f"/api/v1/events?subject=unit:{LABEL}&limit=2").get_json()
    assert len(unit["entries"]) == 2
    indexes = [e["index"] for e in unit["entries"]]
    assert indexes == sorted(indexes)
    assert client.get("/api/v1/events?subject=unit:NOBODY").get_json()["entries"] == []
    bad = client.get("/api/v1/events?subject=nothing")
    assert bad.status_code == 422 and bad.get_json()["field"]


def test_trade_in_code_names_its_unit(sample_app):
    client = sample_app.test_client()
    found = client.get("/api/v1/trade-in?code=TI-2026-33-0877275")
    assert found.get_json() == {"trade_in_code": "TI-2026-33-0877275",
                                "label": "CN3301-2026-0004812"}
    missing = client.get("/api/v1/trade-in?code=TI-0000-00-0000000")
    assert missing.status_code == 404 and "TI-0000-00-0000000" in missing.get_json()["error"]
