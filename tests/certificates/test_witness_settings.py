"""The [checkpoints] settings in an instance's dledger.toml: defaults, what is refused (named),
and `dledger witness add-witness`, which appends a witness and writes nothing it would not
read back."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.instance import CONFIG, Instance, InstanceError, add_witness, write_config
from ledger.store import migrate
from ledger.witness.cli import witness
from ledger.witness.cosignature import Cosigner
from ledger.witness.settings import (
    DEFAULT_EVERY_ENTRIES,
    DEFAULT_EVERY_SECONDS,
    DEFAULT_STALE_SECONDS,
    CheckpointSettings,
    SettingsError,
    redact,
)

VKEY = Cosigner("witness.test.example/s1", Ed25519PrivateKey.generate()).verifier.vkey


def test_defaults_are_tesseras():
    settings = CheckpointSettings.parse(None)
    assert (settings.every_entries, settings.every_seconds, settings.witness_stale_seconds) == (
        DEFAULT_EVERY_ENTRIES, DEFAULT_EVERY_SECONDS, DEFAULT_STALE_SECONDS) == (256, 10, 600)
    assert settings.witnesses == ()


@pytest.mark.parametrize(("table", "message"), [
    ({"every_entries": 0}, "every_entries = 0: give a whole number from 1"),
    ({"every_entries": "256"}, "every_entries = '256'"),
    ({"every_seconds": -1}, "every_seconds = -1: give a number of seconds above 0"),
    ({"witness_stale_seconds": True}, "witness_stale_seconds = True"),
    ({"every_second": 5}, "no setting 'every_second'"),
    ({"witnesses": [{"url": "ftp://w.example", "vkey": VKEY}]}, "must be an http:// or https://"),
    ({"witnesses": [{"url": "https://a:b@w.example", "vkey": VKEY}]},
     "carries a user name or password"),
    ({"witnesses": [{"url": "https://w.example"}]}, "give exactly url"),
    ({"witnesses": [{"url": "https://w.example", "vkey": "nope"}]}, "number 1: witness key"),
    ({"witnesses": [{"url": "https://a.example", "vkey": VKEY},
                    {"url": "https://b.example", "vkey": VKEY}]}, "is listed twice"),
])
def test_bad_values_are_refused_by_name(table, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("?", r"\?")):
        CheckpointSettings.parse(table)


def test_redact_hides_credentials_and_queries():
    assert redact("https://u:p@w.example:8443/w1?token=x") == "https://…@w.example:8443/w1?…"
    assert redact("http://[::1]:8081/") == "http://[::1]:8081/"


def test_add_witness_appends_and_the_instance_reads_it(tmp_path):
    home = tmp_path / "instance"
    write_config(home, "ledger.test.example/S", plaintext_key=True)
    (home / CONFIG).write_text((home / CONFIG).read_text() + "# our note\n[checkpoints]\n"
                               "every_seconds = 30\n", encoding="utf-8")
    settings = add_witness(home, "https://w.example/w1", VKEY)
    assert [t.name for t in settings.witnesses] == ["witness.test.example/s1"]
    assert settings.every_seconds == 30 and "# our note" in (home / CONFIG).read_text()
    instance = Instance.locate(home, new=True)
    assert instance.checkpoints == settings
    before = (home / CONFIG).read_text()
    with pytest.raises(InstanceError, match="listed twice"):
        add_witness(home, "https://w.example/other", VKEY)
    assert (home / CONFIG).read_text() == before  # nothing half-written


def test_a_bad_setting_stops_the_instance_with_the_files_name(tmp_path):
    home = tmp_path / "instance"
    write_config(home, "ledger.test.example/S", plaintext_key=True)
    (home / CONFIG).write_text((home / CONFIG).read_text() + "[checkpoints]\nevery_entries = -5\n",
                               encoding="utf-8")
    with pytest.raises(InstanceError, match=r"dledger.toml: \[checkpoints\] every_entries = -5"):
        Instance.locate(home, new=True)


def test_the_add_witness_command(tmp_path, monkeypatch):
    home = tmp_path / "instance"
    write_config(home, "ledger.test.example/S", plaintext_key=True)
    engine = Instance.locate(home, new=True).engine()
    migrate(engine)
    engine.dispose()
    monkeypatch.setenv("DLEDGER_HOME", str(home))
    monkeypatch.delenv("DLEDGER_DATABASE_URL", raising=False)
    runner = CliRunner()
    bad = runner.invoke(witness, ["add-witness", "https://w.example", "--vkey", "x+y+z"])
    assert bad.exit_code == 2 and "witness key 'x+y+z'" in bad.output
    assert "witnesses" not in (home / CONFIG).read_text()
    good = runner.invoke(witness, ["add-witness", "https://w.example/w1", "--vkey", VKEY])
    assert good.exit_code == 0, good.output
    assert "1 witness(es): witness.test.example/s1; restart `dledger serve`" in good.output
    assert Instance.locate(home).checkpoints.witnesses[0].url == "https://w.example/w1"
