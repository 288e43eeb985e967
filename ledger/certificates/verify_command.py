"""The verifier as a command, with the standard library alone: `dledger cert verify` (click)
and the inspector's zipapp (`python3 dledger-verify.pyz`, argparse) both run `run()`, so they
read the same files, print the same lines and exit with the same codes:
0 verified, 1 not verified (a check failed, or consistency with the saved checkpoint is
unproven), 2 refused input (no trust given, a file that cannot be read, not a certificate).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ledger.certificates import bundle
from ledger.certificates.verify import (
    FORMAT_CHECK,
    NOT_VERIFIED,
    UNPROVEN,
    VERIFIED,
    Report,
    verify,
)
from ledger.certificates.verify_pdf import verify_pdf
from ledger.certificates.verify_v2 import Opener
from ledger.evidence.store import EvidenceStore
from ledger.tiles import TileError, TileSource, open_source
from ledger.witness.policy import Policy, PolicyError

MARKS = {True: "ok          ", False: "FAILED      ", None: "not checked "}
VERDICTS = {VERIFIED: "VERIFIED", NOT_VERIFIED: "NOT VERIFIED",
            UNPROVEN: "NOT VERIFIED: every check that ran passed, but consistency with your "
                      "saved checkpoint is not proven (give --console URL)"}
NO_TRUST = ("say which plant to trust: --vkey KEY (the plant's verifier key, from `dledger key "
            "show` or the plant, out of band) or --policy FILE")


class Refused(Exception):
    """Refused input (exit 2); the message says why."""


def report_lines(report: Report) -> list[str]:
    """The report as the command prints it: one line per check, the plant (and operators)
    the certificate names, then the verdict."""
    return [*(f"{MARKS[c.ok]}{c.name}: {c.detail}" for c in report.checks),
            *report.issuer_lines(), VERDICTS[report.verdict]]


def run(file: Path, vkeys: Sequence[str], policy_file: Path | None, trusted_file: Path | None,
        console_url: str | None, as_json: bool, out: TextIO, err: TextIO,
        entries: Path | None = None, tiles: str | None = None,
        evidence: Path | None = None) -> int:
    """Verify `file` (PDF or JSON), print the report on `out`; the exit code. `entries` is a
    v2 report's entry bundle (default: FILE's name with .entries.gz, when it exists);
    `tiles` the plant's tiles (a URL or a folder), to read the entries from instead;
    `evidence` the plant's evidence store (a folder), to check the photos against."""
    try:
        report = _report(file, vkeys, policy_file, trusted_file, console_url, entries, tiles,
                         evidence)
    except Refused as exc:
        print(f"error: {exc}", file=err)
        return 2
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2), file=out)
    else:
        print("\n".join(report_lines(report)), file=out)
    return 0 if report.ok else 1


def _report(file: Path, vkeys: Sequence[str], policy_file: Path | None,
            trusted_file: Path | None, console_url: str | None,
            entries: Path | None, tiles: str | None, evidence: Path | None = None) -> Report:
    if not vkeys and policy_file is None:
        raise Refused(NO_TRUST)
    if evidence is not None and not evidence.is_dir():
        raise Refused(f"--evidence {evidence}: there is no such folder; give the plant's "
                      "evidence store (its instance's evidence/ or the evidence_dir it sets)")
    keys = [_text(Path(k)).strip() if Path(k).is_file() else k for k in vkeys]
    policy = None
    if policy_file:
        try:
            policy = Policy.parse(_text(policy_file))
        except PolicyError as exc:
            raise Refused(f"policy {policy_file}: {exc}") from exc
    trusted = _text(trusted_file) if trusted_file else None
    options: dict[str, Any] = {"vkeys": keys, "policy": policy, "trusted_checkpoint": trusted,
                               "console": console_url, "entries": _bundle(file, entries),
                               "tiles": _tiles(tiles),
                               "evidence": EvidenceStore(evidence) if evidence else None}
    # A JSON file is read as it is checked (a large report's lines are never held whole).
    report = (verify_pdf(_read(file), **options) if _read(file, 4) == b"%PDF"
              else verify(file, **options))
    if report.checks and report.checks[0].name == FORMAT_CHECK and not report.checks[0].ok:
        raise Refused(f"{file}: {report.checks[0].detail}")  # not a certificate
    return report


def _bundle(file: Path, given: Path | None) -> Opener | None:
    """What opens the entry bundle: the file given, or the one named like the certificate."""
    path = given or file.with_suffix(bundle.SUFFIX)
    if given is not None and not given.is_file():
        raise Refused(f"cannot read the entry bundle {given}: there is no such file")
    return (lambda: path.open("rb")) if path.is_file() else None


def _tiles(location: str | None) -> TileSource | None:
    if location is None:
        return None
    try:
        return open_source(location)
    except TileError as exc:
        raise Refused(f"--tiles {location}: {exc}") from exc


def _read(path: Path, size: int = -1) -> bytes:
    """The file's bytes (the first `size` of them, if given)."""
    try:
        with path.open("rb") as stream:
            return stream.read(size)
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}") from exc


def _text(path: Path) -> str:
    try:
        return _read(path).decode()
    except UnicodeDecodeError as exc:
        raise Refused(f"{path} is not text: {exc}") from exc


def main(argv: Sequence[str] | None = None, prog: str = "dledger-verify.pyz") -> int:
    """The zipapp's command line: the options of `dledger cert verify`."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Verify a Dismantle Ledger certificate (PDF or JSON); exit 0 "
                               "verified, 1 not verified, 2 refused input.")
    parser.add_argument("file", type=Path, help="the certificate: its PDF or its JSON")
    parser.add_argument("--vkey", dest="vkeys", action="append", default=[], metavar="KEY",
                        help="a trusted plant verifier key (or a file holding one); repeat "
                             "for several")
    parser.add_argument("--policy", type=Path, metavar="FILE",
                        help="a trust policy file: plant keys, witness keys and a quorum")
    parser.add_argument("--trusted-checkpoint", type=Path, metavar="FILE",
                        help="a checkpoint note you saved earlier: exposes a rolled-back or "
                             "forked log")
    parser.add_argument("--console", metavar="URL",
                        help="the plant console, to check revocation and fetch consistency "
                             "proofs")
    parser.add_argument("--entries", type=Path, metavar="FILE",
                        help=f"a large period report's entry bundle (default: the "
                             f"certificate's name with {bundle.SUFFIX}, if there is one)")
    parser.add_argument("--tiles", metavar="URL|DIR",
                        help="the plant's tiles (its console's /tlog/ address or a copy made "
                             "with `dledger tiles export`), to read a report's entries from")
    parser.add_argument("--evidence", type=Path, metavar="DIR",
                        help="the plant's evidence store (a folder), to check the photos a "
                             "unit certificate names against their hashes")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    return run(args.file, args.vkeys, args.policy, args.trusted_checkpoint, args.console,
               args.json, sys.stdout, sys.stderr, args.entries, args.tiles, args.evidence)
