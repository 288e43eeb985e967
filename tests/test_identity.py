"""The plant's identity rules on their own (ledger/rules/identity.py), fast: the unified
social credit code by GB 32100-2015 (and GB 11714 inside it) on real published codes and on
each kind of fault, and validity dates. Through the ledger they are acceptance cases in
tests/test_rules_acceptance.py; the verifier written from the docs agrees. Last, the
command line's `dledger plant` and `dledger operator`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from spec_cert_verifier import _Broken, _dates, _uscc

from dledger.cli import main
from ledger.rules import identity
from ledger.rules.reasons import Refusal

# Published codes: the standard's own example, and companies' codes on their licences.
REAL = ("91350100M000100Y43", "91110000802100433B", "91330100716105852F",
        "91440300708461136T", "9144030071526726XG", "911100001000044477", "53640000MJX173680A")
# (code, rule, the params that say what is wrong)
FAULTS = (
    ("91350100M000100Y4", "uscc_form", {}),  # 17 characters
    ("91350100M000100Y433", "uscc_form", {}),  # 19
    ("91350100M0001O0Y43", "uscc_form", {}),  # an O, which the code never uses
    ("9135010AM000100Y43", "uscc_form", {}),  # a letter among the administrative division
    ("91350100m000100y43", "uscc_form", {}),  # lower case
    ("91350100M000100Y44", "uscc_check", {"position": 18, "found": "4", "expected": "3"}),
    ("91350100M000100Y53", "uscc_check", {"position": 17, "found": "5", "expected": "4",
                                          "standard": "GB 11714"}),
    ("91350100M000200Y43", "uscc_check", {"position": 17}),  # one digit of the body changed
)


@pytest.mark.parametrize("code", REAL)
def test_real_codes_pass_both_implementations(code: str) -> None:
    identity.check_uscc(code)
    _uscc(code)


@pytest.mark.parametrize(("code", "rule", "params"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_is_refused_by_both_with_the_same_rule(code: str, rule: str,
                                                          params: dict[str, object]) -> None:
    with pytest.raises(Refusal) as refused:
        identity.check_uscc(code)
    assert refused.value.code == rule
    assert params.items() <= refused.value.params.items()
    assert code in refused.value.text() and code in refused.value.text("zh-CN")
    with pytest.raises(_Broken) as broken:
        _uscc(code)
    assert (broken.value.rule, broken.value.params) == (rule, refused.value.params)


@pytest.mark.parametrize(("start", "end", "ok"), [
    ("2024-01-01", "2028-12-31", True), ("2024-01-01", "2024-01-01", True),
    (None, "2028-12-31", True), ("2024-01-01", None, True),
    ("2024-01-02", "2024-01-01", False), ("2024-01-01", "2028-02-30", False),
    ("2024-13-01", None, False)])
def test_validity_dates(start: str | None, end: str | None, ok: bool) -> None:
    spec_ok = True
    try:
        _dates("No. 1", start, end)
    except _Broken:
        spec_ok = False
    try:
        identity.check_validity("No. 1", start, end)
    except Refusal as refused:
        assert refused.code == "validity_dates" and "No. 1" in refused.text()
        assert not ok and not spec_ok
        return
    assert ok and spec_ok


def test_the_command_line_records_the_identity_and_the_register(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.delenv("DLEDGER_DATABASE_URL", raising=False)
    env = {"DLEDGER_HOME": str(tmp_path / "instance"),
           "DLEDGER_KEY_PASSPHRASE": "test passphrase, not secret"}

    def dledger(*args: str) -> Any:
        return CliRunner().invoke(main, list(args), env=env)

    assert dledger("init").exit_code == 0
    identify = ["plant", "identify", "--legal-name", "杭州示例再生资源有限公司", "--address",
                "杭州市示例区回收路 1 号", "--licence-no", "浙废电证第330100001号",
                "--valid-from", "2024-01-01", "--valid-until", "2028-12-31",
                "--approved-by", "M-0001", "--operator", "admin"]
    refused = dledger(*identify, "--uscc", "91330100DLEDGER14U")
    assert refused.exit_code == 2 and "(rule uscc_check)" in refused.output
    assert dledger(*identify, "--uscc", "91330100DLEDGER14T").exit_code == 0
    assert dledger("operator", "register", "W-0012", "--name", "王伟", "--role", "intake",
                   "--qualification", "叉车证", "Q-1", "2030-01-01", "--approved-by",
                   "M-0001", "--operator", "admin").exit_code == 0
    assert dledger("operator", "retire", "W-0012", "--reason", "left the plant",
                   "--approved-by", "M-0001", "--operator", "admin").exit_code == 0
    again = dledger("operator", "retire", "W-0012", "--reason", "again",
                    "--approved-by", "M-0001", "--operator", "admin")
    assert again.exit_code == 2 and "(rule operator_not_active)" in again.output
    shown = json.loads(dledger("plant", "show").stdout)
    assert (shown["uscc"], shown["licence_valid_until"]) == ("91330100DLEDGER14T", "2028-12-31")
    listed = json.loads(dledger("operator", "list").stdout)
    assert listed["W-0012"]["name"] == "王伟" and listed["W-0012"]["retired"]["reason"] == \
        "left the plant"
    assert listed["W-0012"]["qualifications"][0]["valid_until"] == "2030-01-01"
