"""The witnesses on the console: the ledger page lists checkpoints with their cosignatures and
the publisher's state; the dashboard shows the last witnessed size and its age, and a witness
behind the log for longer than the instance's threshold is an alert that clears once it
cosigns. A real witness serves on a local port; the publisher is the real one."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from witness_helpers import serving

from ledger.instance import CONFIG, Instance, add_witness
from ledger.witness.cosignature import Cosigner
from ledger.witness.publisher import Publisher
from ledger.witness.server import Witness
from ledger.witness.state import WitnessState
from web import accounts
from web.app import create_app
from web.context import engine

from .conftest import USERS, make_instance
from .test_integrity import _append_one

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
STALE_S = 300
NAME = "witness.test.example/console"
SHOWN = "witness.<wbr>test.<wbr>example/<wbr>console"  # breaks after a dot or a slash


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner(NAME, Ed25519PrivateKey.generate())


@pytest.fixture
def witness_url(tmp_path: Path, cosigner: Cosigner):
    state = WitnessState(tmp_path / "witness" / "witness.db")
    state.create()
    with serving(Witness(cosigner, state)) as url:
        yield url, state


@pytest.fixture
def app(tmp_path: Path, console_env, cosigner: Cosigner, witness_url) -> Flask:
    """The console on an instance whose checkpoints go to the witness at `witness_url`, stale
    after STALE_S seconds."""
    url, state = witness_url
    made = make_instance(tmp_path / "instance")
    config = made.home / CONFIG
    config.write_text(config.read_text() + f"[checkpoints]\nwitness_stale_seconds = {STALE_S}\n",
                      encoding="utf-8")
    add_witness(made.home, url, cosigner.verifier.vkey)
    instance = Instance.locate(made.home)
    state.add_log(instance.origin, instance.vkey())
    app = create_app(instance, {"TESTING": True})
    with app.app_context():
        for role, name in USERS.items():
            accounts.create_user(engine(), name, role, "correct horse battery staple")
    return app


def publish(app: Flask) -> Publisher:
    """One publisher round, as `dledger serve`'s publisher does it."""
    with app.app_context():
        from web.context import console

        instance = console().instance
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the test instance's key is unencrypted
            signer = instance.signer()
        publisher = Publisher(instance.home, instance.ledger(), signer, instance.checkpoints)
        publisher.step(now_or_never=True)
    return publisher


def pin(app: Flask, delta: timedelta) -> None:
    app.config["DLEDGER_DASHBOARD_NOW"] = (datetime.now(UTC) + delta).isoformat()


def alerts_csv(client) -> str:
    return client.get("/dashboard/?format=csv&table=alerts", headers=EN).get_data(as_text=True)


def test_the_ledger_page_lists_cosignatures_and_the_publishers_state(app, client_for):
    client = client_for("inspector")
    page = client.get("/ledger/", headers=EN).get_data(as_text=True)
    assert "Publisher not running" in page and SHOWN in page and "never" in page
    publish(app)
    _append_one(app)
    publish(app)
    page = client.get("/ledger/", headers=EN).get_data(as_text=True)
    assert "Publisher running" in page and "Latest checkpoint: size 2." in page
    assert page.count(f'<span class="witness-name">{SHOWN}</span>') == 2  # sizes 1 and 2
    assert "up to date" in page and "Cosigned by" in page
    zh = client.get("/ledger/", headers=ZH).get_data(as_text=True)
    assert "联署方" in zh and "发布程序运行中" in zh and "已同步" in zh


def test_a_witness_behind_the_log_is_an_alert_until_it_cosigns(app, client_for):
    client = client_for("manager")
    publish(app)  # size 1 cosigned
    page = client.get("/dashboard/", headers=EN).get_data(as_text=True)
    assert 'id="witnessed"' in page and f"Log size 1; cosigned by {SHOWN}" in page
    assert "Witness behind the log" in page and NAME not in alerts_csv(client)
    pin(app, timedelta(days=2))
    assert NAME not in alerts_csv(client)  # the log did not grow: no alert, however long
    _append_one(app)  # entry 1 is not cosigned yet
    pin(app, timedelta(seconds=STALE_S - 60))
    assert NAME not in alerts_csv(client)  # behind, within the threshold
    pin(app, timedelta(seconds=STALE_S + 60))
    page = client.get("/dashboard/", headers=EN).get_data(as_text=True)
    assert "Cosigned up to size 1 of 2; behind for 6 min." in page
    assert "Cosigned up to size 1 of 2" in alerts_csv(client)
    zh = client.get("/dashboard/", headers=ZH).get_data(as_text=True)
    assert "见证方落后于台账" in zh and "已联署至大小 1（共 2）" in zh
    inspector = client_for("inspector").get("/ledger/", headers=EN).get_data(as_text=True)
    assert "catching up" in inspector  # the ledger page's clock is the real one
    publish(app)  # the witness cosigns size 2: the alert clears
    assert NAME not in alerts_csv(client)
    page = client.get("/dashboard/", headers=EN).get_data(as_text=True)
    assert "Log size 2; cosigned by" in page and "behind for" not in page


def test_without_witnesses_the_dashboard_says_so(tmp_path, console_env, client_for):
    # the module's app fixture configures a witness; this one uses a plain instance
    instance = make_instance(tmp_path / "plain")
    plain = create_app(instance, {"TESTING": True})
    with plain.app_context():
        accounts.create_user(engine(), "m", "manager", "correct horse battery staple")
        account = accounts.get_user(engine(), "m")
    client = plain.test_client()
    from web.auth import User

    with client.session_transaction() as sess:
        sess["_user_id"] = User(account).get_id()
        sess["_fresh"] = True
    page = client.get("/dashboard/", headers=EN).get_data(as_text=True)
    assert "No witness configured" in page
    assert "No witness is configured for this plant" in page
    ledger_page = client.get("/ledger/", headers=EN).get_data(as_text=True)
    assert "No witness is configured: add one with dledger witness add-witness" in ledger_page
