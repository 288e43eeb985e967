"""The ledger page: checkpoints and keys, signing, the audit job across workers, consistency."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

import web.integrity as integrity
from ledger import merkle
from ledger.events import PLANT_STATION, parse_event, utc_now_ms
from ledger.log import Submission
from ledger.proof import consistency_text
from web.context import console, ledger

from .conftest import ARTIFACTS, PASSWORD, REPO, USERS

EN = {"Accept-Language": "en"}
_SAMPLE = [json.loads(line) for line in
           (REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()]
N = 1 + len(_SAMPLE)  # the sample's log: the catalogue at entry 0, then the sample's events
SIGNED = sum(1 for event in _SAMPLE if event.get("station_sig"))  # station-signed entries
TAMPERED = 99  # a material.output of the sample's: its mass is changed behind the ledger's back


def _sign(client, csrf_token, headers=EN) -> str:
    response = client.post("/ledger/checkpoint", headers=headers, follow_redirects=True,
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _append_one(app) -> None:
    event = parse_event({"id": str(uuid.uuid4()), "type": "scale.calibrated",
                         "time": utc_now_ms(), "station": PLANT_STATION, "operator": "M-0001",
                         "subject": "scale:SC-9", "data": {"reference_g": 1000,
                                                           "reading_g": 1000, "tolerance_g": 1,
                                                           "passed": True}})
    with app.app_context():
        ledger().append([Submission(event)])


def _home(app):
    with app.app_context():
        return console().instance.home


def _wait_for_audit(client, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fragment = client.get("/ledger/audit/status", headers=EN).get_data(as_text=True)
        if "Audit running" not in fragment:
            return fragment
        assert 'hx-trigger="every 1s"' in fragment
        time.sleep(0.05)
    raise AssertionError("the audit did not finish")


def test_page_shows_keys_and_no_checkpoint_yet(sample_app, client_for):
    page = client_for("inspector").get("/ledger/", headers=EN).get_data(as_text=True)
    with sample_app.app_context():
        vkey = console().instance.vkey()
    assert vkey in page and "No checkpoint has been signed yet." in page
    assert f"The log holds {N} entries." in page
    assert "Sign checkpoint now" not in page  # inspectors audit; they do not sign
    assert "Run audit now" in page and "No audit has been run from the console yet." in page


def test_sign_checkpoint_now(sample_app, client_for, csrf_token):
    client = client_for("manager")
    assert f"Checkpoint signed at size {N}." in _sign(client, csrf_token)
    page = _sign(client, csrf_token)
    assert f"The log has not grown since the checkpoint at size {N}" in page
    with sample_app.app_context():
        checkpoints = ledger().checkpoints()
    assert [c.checkpoint.size for c in checkpoints] == [N]
    root = base64.b64encode(checkpoints[0].checkpoint.root).decode()
    assert root in page and "current key" in page


def test_a_retired_key_is_named(sample_app, client_for, csrf_token):
    from ledger.instance import rotate_key

    client = client_for("admin")
    _sign(client, csrf_token)
    with sample_app.app_context():
        rotate_key(console().instance, "admin-1", "yearly rotation")
    _sign(client, csrf_token)
    page = client.get("/ledger/", headers=EN).get_data(as_text=True)
    assert "retired key" in page and "current key" in page and "Retired key" in page


def test_audit_runs_to_ok(sample_app, client_for, csrf_token):
    client = client_for("inspector")
    _sign(client_for("admin"), csrf_token)
    response = client.post("/ledger/audit", headers=EN, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/ledger/#audit"
    fragment = _wait_for_audit(client)
    assert "Audit passed: the ledger is intact." in fragment
    assert f"Entries: {N} · signed checkpoints: 1 · station signatures: {SIGNED}" in fragment
    assert "hx-trigger" not in fragment  # the poll stops with the result
    status = json.loads((_home(sample_app) / integrity.STATUS_FILE).read_text())
    assert status["state"] == "done" and status["by"] == USERS["inspector"]
    assert status["report"]["ok"] and status["checked"] == status["total"] == N
    page = client.get("/ledger/", headers=EN).get_data(as_text=True)
    assert "Audit passed" in page


def test_audit_reports_a_tampered_database(sample_app, client_for, csrf_token):
    home = _home(sample_app)
    db = sqlite3.connect(home / "ledger.db")
    body = bytearray(db.execute(f"SELECT body FROM ledger_entries WHERE idx = {TAMPERED}")
                     .fetchone()[0])
    at = body.index(b'"mass_g":') + len(b'"mass_g":')
    body[at] = ord("9") if body[at] != ord("9") else ord("8")
    db.execute("DROP TRIGGER ledger_entries_no_update")
    db.execute(f"UPDATE ledger_entries SET body = ? WHERE idx = {TAMPERED}", (bytes(body),))
    db.commit()
    db.close()
    client = client_for("manager")
    client.post("/ledger/audit", data={"csrf_token": csrf_token(client)})
    fragment = _wait_for_audit(client)
    assert f"Audit FAILED at entry {TAMPERED}." in fragment
    assert "does not match the entries" in fragment
    status = json.loads((home / integrity.STATUS_FILE).read_text())
    assert status["report"]["first_bad_index"] == TAMPERED and not status["report"]["ok"]


def test_one_audit_at_a_time_across_workers(sample_app, client_for, csrf_token):
    home = _home(sample_app)
    running = {"job": "j1", "state": "running", "pid": 1, "by": "manager-1",
               "started_at": "2026-11-21T08:00:00.000Z", "finished_at": None, "total": 1000,
               "checked": 300, "report": None, "error": None}
    (home / integrity.STATUS_FILE).write_text(json.dumps(running))  # pid 1 is alive
    client = client_for("admin")
    fragment = client.get("/ledger/audit/status", headers=EN).get_data(as_text=True)
    assert "300 of 1,000 entries checked" in fragment and 'hx-trigger="every 1s"' in fragment
    page = client.post("/ledger/audit", headers=EN, follow_redirects=True,
                       data={"csrf_token": csrf_token(client)}).get_data(as_text=True)
    assert "An audit is already running" in page
    assert json.loads((home / integrity.STATUS_FILE).read_text())["job"] == "j1"


def test_an_audit_whose_process_died_shows_as_interrupted(sample_app, client_for, csrf_token):
    home = _home(sample_app)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    status = {"job": "j2", "state": "running", "pid": int(gone.stdout), "by": "manager-1",
              "started_at": "2026-11-21T08:00:00.000Z", "finished_at": None, "total": N,
              "checked": 0, "report": None, "error": None}
    (home / integrity.STATUS_FILE).write_text(json.dumps(status))
    client = client_for("manager")
    fragment = client.get("/ledger/audit/status", headers=EN).get_data(as_text=True)
    assert "was interrupted" in fragment and "hx-trigger" not in fragment
    client.post("/ledger/audit", data={"csrf_token": csrf_token(client)})
    assert "Audit passed" in _wait_for_audit(client)


def test_status_file_is_replaced_atomically(tmp_path):
    integrity._write_status(tmp_path, {"state": "done"})
    assert json.loads((tmp_path / integrity.STATUS_FILE).read_text()) == {"state": "done"}
    assert [p.name for p in tmp_path.iterdir()] == [integrity.STATUS_FILE]  # no temp left


def test_consistency_proof_verifies(sample_app, client_for, csrf_token):
    client = client_for("inspector")
    admin = client_for("admin")
    _sign(admin, csrf_token)
    _append_one(sample_app)
    _append_one(sample_app)
    _sign(admin, csrf_token)
    form = client.get("/ledger/consistency", headers=EN).get_data(as_text=True)
    assert f'<option value="{N}" selected>' in form and f'<option value="{N + 2}" selected>' in form
    page = client.get(f"/ledger/consistency?old={N}&new={N + 2}", headers=EN).get_data(as_text=True)
    assert f"Consistent: the log at size {N + 2} extends the log at size {N}." in page
    with sample_app.app_context():
        proof = ledger().consistency_hashes(N, N + 2)
        old, new = ledger().checkpoint_at(N), ledger().checkpoint_at(N + 2)
    merkle.verify_consistency(N, N + 2, old.checkpoint.root, new.checkpoint.root, proof)
    for line in consistency_text(proof).splitlines():
        assert line in page
    download = client.get(f"/ledger/consistency.txt?old={N}&new={N + 2}")
    assert download.status_code == 200 and download.mimetype == "text/plain"
    assert f'filename="consistency-{N}-{N + 2}.txt"' in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True) == consistency_text(proof)
    same = client.get(f"/ledger/consistency?old={N + 2}&new={N + 2}", headers=EN)
    same = same.get_data(as_text=True)
    assert "Consistent" in same and "Equal sizes need no hashes" in same


def test_a_rewritten_tree_is_not_consistent(sample_app, client_for, csrf_token):
    admin = client_for("admin")
    _sign(admin, csrf_token)
    _append_one(sample_app)
    _sign(admin, csrf_token)
    db = sqlite3.connect(_home(sample_app) / "ledger.db")
    db.execute("DROP TRIGGER ledger_nodes_no_update")
    db.execute("UPDATE ledger_nodes SET hash = ? WHERE level = 0 AND idx = ?", (bytes(32), N))
    db.commit()
    db.close()
    page = admin.get(f"/ledger/consistency?old={N}&new={N + 1}", headers=EN).get_data(as_text=True)
    assert "NOT consistent." in page and "The proof does not verify" in page


@pytest.mark.parametrize(("query", "words"), [
    (f"old=5&new={N}", "Tree size &#39;5&#39;: choose the size of a signed checkpoint"),
    (f"old={N}&new=x", "Tree size &#39;x&#39;"),
    (f"old={N + 1}&new={N}",
     f"The new size {N} is smaller than the old size {N + 1}; swap them."),
])
def test_consistency_form_refusals(sample_app, client_for, csrf_token, query, words):
    admin = client_for("admin")
    _sign(admin, csrf_token)
    _append_one(sample_app)
    _sign(admin, csrf_token)
    response = admin.get(f"/ledger/consistency?{query}", headers=EN)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    download = admin.get(f"/ledger/consistency.txt?{query}")
    assert download.status_code == 302


def test_pages_in_chinese(sample_app, client_for, csrf_token):
    client = client_for("admin")
    assert f"已在大小 {N} 处签署检查点" in _sign(client, csrf_token, headers={})
    page = client.get("/ledger/").get_data(as_text=True)
    assert "立即运行审计" in page and "验证密钥" in page


def test_screenshots(sample_app, sample_url, browser, client_for, csrf_token):
    admin = client_for("admin")
    _sign(admin, csrf_token)
    _append_one(sample_app)
    _sign(admin, csrf_token)
    for locale, lang, title in (("zh-CN", "zh", "台账"), ("en-US", "en", "Ledger")):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{sample_url}/login?next=/ledger/")
        page.fill("#name", USERS["inspector"])
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{sample_url}/ledger/")
        assert page.locator("h1").inner_text() == title
        page.click("#audit button")
        page.wait_for_selector(".verdict.ok")  # htmx polled the fragment until the result
        page.screenshot(path=str(ARTIFACTS / f"console-ledger-{lang}.png"), full_page=True)
        page.goto(f"{sample_url}/ledger/consistency?old={N}&new={N + 1}")
        page.wait_for_selector(".verdict.ok")
        page.screenshot(path=str(ARTIFACTS / f"console-consistency-{lang}.png"), full_page=True)
        context.close()
