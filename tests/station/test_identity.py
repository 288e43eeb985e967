"""The station key: encrypted at rest, created by `dledger station init`, approved on the
console's Stations form, then signing events the ledger accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from ledger.events import parse_event, utc_now_ms
from ledger.log import Submission
from station import identity
from station.identity import IdentityError
from tests.station.conftest import PASSPHRASE, STATION_ID, station_toml
from tests.web.conftest import (  # noqa: F401 -- fixtures
    app,
    client_for,
    console_env,
    csrf_token,
    instance,
)

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(identity.PASSPHRASE_ENV, PASSPHRASE)
    return PASSPHRASE


def test_the_key_is_encrypted_at_rest_and_opens_only_with_the_passphrase(
        tmp_path: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "station-key.json"
    made = identity.create(path, STATION_ID)
    text = path.read_text()
    assert "PRIVATE+KEY" not in text and json.loads(text)["kdf"]["name"] == "argon2id"
    assert path.stat().st_mode & 0o777 == 0o600
    assert identity.load(path, STATION_ID).public_key == made.public_key
    with pytest.raises(IdentityError, match="already holds a station key"):
        identity.create(path, STATION_ID)
    with pytest.raises(IdentityError, match="belongs to station ST-01"):
        identity.load(path, "ST-02")
    monkeypatch.setenv(identity.PASSPHRASE_ENV, "another passphrase entirely")
    with pytest.raises(IdentityError, match=f"{identity.PASSPHRASE_ENV} does not open"):
        identity.load(path, STATION_ID)
    monkeypatch.delenv(identity.PASSPHRASE_ENV)
    with pytest.raises(IdentityError, match=f"set {identity.PASSPHRASE_ENV}"):
        identity.load(path, STATION_ID)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dledger", "station", *args],
                          capture_output=True, text=True, env=env, cwd=REPO, check=False)


def test_init_prints_the_key_the_admin_approves_on_the_console(
        tmp_path: Path, app, client_for, csrf_token) -> None:  # noqa: F811 -- fixtures
    config = station_toml(tmp_path, ledger='mode = "http"\nurl = "http://127.0.0.1:9"',
                          scanner="/dev/null", platform="/dev/null", cylinder="/dev/null")
    env = {**os.environ, identity.PASSPHRASE_ENV: PASSPHRASE}
    made = _cli("init", "--config", str(config), env=env)
    assert made.returncode == 0, made.stderr
    public_key = made.stdout.strip()
    assert "Approve a station key" in made.stderr and f"Station id:  {STATION_ID}" in made.stderr
    again = _cli("init", "--config", str(config), env=env)
    assert again.returncode == 1 and "already holds a station key" in again.stderr
    shown = _cli("key", "--config", str(config), env={**os.environ})  # no passphrase needed
    assert shown.stdout.strip() == public_key, shown.stderr

    admin = client_for("admin")
    answer = admin.post("/stations/new", data={
        "csrf_token": csrf_token(admin), "station": STATION_ID, "name": "ST-01 test bench",
        "public_key": public_key})
    assert answer.status_code == 302

    os.environ[identity.PASSPHRASE_ENV] = PASSPHRASE
    try:
        me = identity.load(tmp_path / "station-key.json", STATION_ID)
    finally:
        del os.environ[identity.PASSPHRASE_ENV]
    event = parse_event({"id": str(uuid.uuid4()), "type": "lot.opened", "time": utc_now_ms(),
                         "station": STATION_ID, "operator": "W-0042",
                         "subject": "lot:LOT-ID-1", "data": {"fraction": "steel",
                                                             "hazardous": False}})
    body = {"events": [{"event": event.obj, "station_sig": me.sign(event)}]}
    appended = app.test_client().post("/api/v1/events", json=body)
    assert appended.status_code == 200, appended.get_json()
    with app.app_context():
        from web.context import ledger
        entry = json.loads(ledger().entry(appended.get_json()["results"][0]["index"]))
    assert entry["station_sig"] == body["events"][0]["station_sig"]
    assert Submission(event, entry["station_sig"]).station_sig


def test_config_errors_name_the_file_and_key(tmp_path: Path) -> None:
    config = station_toml(tmp_path, ledger='mode = "carrier-pigeon"', scanner="/dev/null",
                          platform="/dev/null", cylinder="/dev/null")
    result = _cli("run", "--config", str(config), env={**os.environ})
    assert result.returncode == 1
    assert f"{config}: ledger.mode: local (this machine's instance) or http" in result.stderr
