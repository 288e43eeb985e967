"""`dledger cert issue|verify|revoke|show` as a user runs them, in a real subprocess."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clihelp import PASSPHRASE, dledger

from ledger.instance import Instance

from .conftest import LOT_FE, ORIGIN, UNIT_A, make_plant


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("instance")
    assert dledger(home, "init", "--origin", ORIGIN).returncode == 0
    os.environ["DLEDGER_KEY_PASSPHRASE"] = PASSPHRASE
    try:
        instance = Instance.locate(home)
        make_plant(instance.ledger(), instance.signer())
    finally:
        del os.environ["DLEDGER_KEY_PASSPHRASE"]
    return home


def vkey(home: Path) -> str:
    return Instance.locate(home).vkey()


def size(home: Path) -> int:
    return Instance.locate(home).ledger().size()


def test_issue_verify_tamper_show(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "unit.json"
    issued = dledger(home, "cert", "issue", "--unit", UNIT_A, "--json", str(out))
    assert issued.returncode == 0, issued.stderr
    answer = json.loads(issued.stdout)
    assert answer["kind"] == "unit" and len(answer["sha256"]) == 64
    ok = dledger(tmp_path, "cert", "verify", str(out), "--vkey", vkey(home))
    assert ok.returncode == 0, ok.stdout
    lines = ok.stdout.decode().splitlines()
    assert lines[-1] == "VERIFIED"
    assert any(line.startswith("ok          Statements match the entries") for line in lines)
    assert any(line.startswith("not checked Not revoked: offline") for line in lines)

    document = json.loads(out.read_bytes())
    document["statements"]["outputs"][0]["mass_g"] = 20_000  # the figure before correction
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(document))
    report = dledger(tmp_path, "cert", "verify", str(bad), "--vkey", vkey(home), "--json")
    assert report.returncode == 1
    checks = {c["name"]: c for c in json.loads(report.stdout)["checks"]}
    assert checks["Statements match the entries"]["detail"] == (
        "statements.outputs[0].mass_g: the certificate says 20000, the entries say 19400")

    keyless = dledger(tmp_path, "cert", "verify", str(out))  # asks for a key: refused input
    assert keyless.returncode == 2 and b"--vkey KEY" in keyless.stderr and not keyless.stdout
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000)  # issue 13, break 2: a RecursionError once
    refused = dledger(tmp_path, "cert", "verify", str(deep), "--vkey", vkey(home))
    assert refused.returncode == 2 and b"nested far deeper" in refused.stderr
    assert b"Traceback" not in refused.stderr
    shown = dledger(tmp_path, "cert", "show", str(out))
    assert json.loads(shown.stdout)["statements"]["unit"]["label"] == UNIT_A


def test_verify_with_a_policy_and_a_saved_checkpoint(home: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved.note"
    saved.write_bytes(dledger(home, "checkpoint").stdout)
    out = tmp_path / "lot.json"
    assert dledger(home, "cert", "issue", "--lot", LOT_FE, "--json", str(out)).returncode == 0
    policy = tmp_path / "policy.txt"
    policy.write_text(f"# the plant only\nlog {vkey(home)}\nquorum none\n")
    result = dledger(tmp_path, "cert", "verify", str(out), "--policy", str(policy),
                     "--trusted-checkpoint", str(saved))
    assert result.returncode == 0, result.stdout
    bad_policy = tmp_path / "bad.txt"
    bad_policy.write_text("log nonsense\n")
    refused = dledger(tmp_path, "cert", "verify", str(out), "--policy", str(bad_policy))
    assert refused.returncode == 2 and b"line 1" in refused.stderr


def test_issue_refuses_bad_requests_without_writing(home: Path, tmp_path: Path) -> None:
    before = size(home)
    cases = [(["--unit", "NOPE-1", "--json", "x.json"], b"unit 'NOPE-1' has no entries"),
             (["--unit", UNIT_A, "--lot", LOT_FE, "--json", "x.json"], b"exactly one of"),
             (["--unit", UNIT_A, "--out", "x.pdf"], b"--console-url")]
    for args, words in cases:
        result = dledger(home, "cert", "issue", *args)
        assert result.returncode == 2 and words in result.stderr, (args, result.stderr)
    assert size(home) == before
    assert not (tmp_path / "x.json").exists()


def test_revoke(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "period.json"
    issued = dledger(home, "cert", "issue", "--period", "2026-11-21", "2026-11-21",
                     "--category", "fridge", "--json", str(out))
    assert issued.returncode == 0, issued.stderr
    digest = json.loads(issued.stdout)["sha256"]
    revoked = dledger(home, "cert", "revoke", digest, "--reason", "wrong category",
                      "--approved-by", "M-0001")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["sha256"] == digest
    again = dledger(home, "cert", "revoke", digest, "--reason", "x", "--approved-by", "M-0001")
    assert again.returncode == 2 and b"already revoked" in again.stderr
