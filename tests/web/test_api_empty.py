"""An empty log (issue 13, break 9): the checkpoint of the empty tree (size 0) is signed and
served, and proofs about sizes beyond the log are refused with a clear message, not 500."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from flask import Flask

from ledger.checkpoint import Checkpoint
from ledger.instance import KEY_FILE, Instance, write_config
from ledger.keys import new_plant_signer, write_key
from ledger.note import split
from ledger.store import migrate
from tests.web.conftest import ORIGIN
from web.app import create_app


@pytest.fixture
def empty_app(tmp_path: Path, console_env: pytest.MonkeyPatch) -> Flask:
    """The console on an instance whose log holds no entry at all (not even a catalogue)."""
    home = tmp_path / "instance"
    write_config(home, ORIGIN, plaintext_key=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_key(home / KEY_FILE, new_plant_signer(ORIGIN), None, allow_plaintext=True)
    instance = Instance.locate(home, new=True)
    migrate(instance.engine())
    return create_app(instance, {"TESTING": True})


def test_the_empty_tree_has_a_signed_checkpoint(empty_app):
    response = empty_app.test_client().get("/api/v1/checkpoint")
    assert response.status_code == 200, response.get_data(as_text=True)
    text, _ = split(response.get_data(as_text=True))
    assert Checkpoint.parse(text).size == 0


@pytest.mark.parametrize("query", ["old=1", "old=0", "old=1&new=2", "new=5", "old=0&new=0"])
def test_consistency_on_the_empty_log_is_refused_with_a_reason(empty_app, query):
    response = empty_app.test_client().get(f"/api/v1/proof/consistency?{query}")
    assert response.status_code in (400, 404, 422), response.get_data(as_text=True)
    assert response.get_json()["error"]


@pytest.mark.parametrize("path", ["/api/v1/proof/inclusion/0", "/api/v1/entries/0",
                                  "/api/v1/proof/inclusion/0?size=0"])
def test_proofs_of_entries_in_the_empty_log_are_404(empty_app, path):
    response = empty_app.test_client().get(path)
    assert response.status_code in (404, 422), response.get_data(as_text=True)
    assert response.get_json()["error"]


def test_consistency_beyond_a_log_is_refused(sample_app):
    client = sample_app.test_client()
    size = Checkpoint.parse(split(client.get("/api/v1/checkpoint").get_data(as_text=True))[0]).size
    for query in (f"old=1&new={size + 1}", f"old={size + 1}", f"old={size + 5}&new={size + 9}"):
        response = client.get(f"/api/v1/proof/consistency?{query}")
        assert response.status_code in (400, 404, 422), (query, response.get_data(as_text=True))
        assert "beyond" in response.get_json()["error"] or "larger" in response.get_json()["error"]
