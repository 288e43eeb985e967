"""The verifier an inspector takes away (issue 17, point 2): `dledger cert verifier` writes a
zipapp that runs in a virtual environment holding only `cryptography`, following the
inspector guide's commands as written, and reads certificate PDFs without pypdf."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from clihelp import dledger
from pypdf import PdfWriter

from ledger.certificates import document as doc_format
from ledger.certificates import pdf, zipapp
from ledger.certificates.build import build_period, build_unit
from ledger.certificates.issue import issue
from ledger.certificates.pdf_attachment import PdfError, attachment

from .conftest import UNIT_A, Plant

REPO = Path(__file__).resolve().parents[2]
GUIDES = {"en": REPO / "docs/guides/inspector.en.md",
          "zh-CN": REPO / "docs/guides/inspector.zh-CN.md"}
STEPS = re.compile(r"<!-- verifier-steps[^\n]*-->\n```sh\n(.*?)```", re.S)
# What `pip install cryptography` brings into a fresh venv, and nothing else may be there.
ALLOWED = {"cryptography", "cffi", "pycparser", "pip", "setuptools"}

GROSS_G = 45_210  # every unit of the certificate tests' plant weighs this at intake


def _steps(lang: str) -> list[str]:
    found = STEPS.findall(GUIDES[lang].read_text(encoding="utf-8"))
    assert len(found) == 1, f"the {lang} guide has no single verifier-steps block"
    return found[0].strip().splitlines()


def _issued(p: Plant) -> tuple[dict, dict]:
    unit = issue(p.ledger, build_unit(p.ledger, UNIT_A, signer=p.signer), p.signer)
    period = issue(p.ledger, build_period(p.ledger, "2026-11-21", "2026-11-21",
                                          signer=p.signer), p.signer)
    return unit, period


def test_the_guide_verbatim_in_a_venv_with_only_cryptography(plant_ledger: Plant,
                                                              tmp_path: Path) -> None:
    unit, period = _issued(plant_ledger)
    folder = tmp_path / "inspector"
    folder.mkdir()
    built = dledger(tmp_path, "cert", "verifier", "--out", str(folder / "dledger-verify.pyz"))
    assert built.returncode == 0, built.stderr
    (folder / "certificate.pdf").write_bytes(
        pdf.render(unit, verify_url=pdf.verify_url_for("https://x.example", "0" * 64)))
    (folder / "period-report.json").write_bytes(doc_format.serialise(period))
    (folder / "plant-vkey.txt").write_text(plant_ledger.vkey + "\n")

    steps = _steps("en")
    assert steps == _steps("zh-CN"), "both guides give the same commands"
    results = [subprocess.run(["bash", "-c", step], cwd=folder, capture_output=True,
                              text=True, timeout=300, check=False) for step in steps]
    for step, result in zip(steps, results, strict=True):
        assert result.returncode == 0, (step, result.stdout, result.stderr)
    python = folder / "dledger-verify-env/bin/python"
    listed = subprocess.run([python, "-m", "pip", "list", "--format=json"], check=True,
                            capture_output=True, text=True).stdout
    assert {p["name"] for p in json.loads(listed)} <= ALLOWED
    unit_run, period_run = results[-2], results[-1]
    assert unit_run.stdout.splitlines()[-1] == "VERIFIED"
    assert doc_format.sha256(unit) in unit_run.stdout.splitlines()[0]
    assert ("not checked Printed pages match the attachment: not read"
            in unit_run.stdout), "without pypdf the printed pages are not checked"
    assert period_run.stdout.splitlines()[-1] == "VERIFIED"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([python, "dledger-verify.pyz", *args], cwd=folder,
                              capture_output=True, text=True, timeout=120, check=False)

    # The same lines and exit codes as `dledger cert verify`.
    cli = dledger(tmp_path, "cert", "verify", str(folder / "period-report.json"),
                  "--vkey", plant_ledger.vkey)
    assert cli.returncode == 0 and cli.stdout.decode() == period_run.stdout

    tampered = json.loads(doc_format.serialise(period))
    tampered["statements"]["lines"][0] = tampered["statements"]["lines"][0].replace(
        f',{GROSS_G},', f',{GROSS_G + 1},', 1)  # claims another weight
    assert tampered != json.loads(doc_format.serialise(period))
    (folder / "tampered.json").write_text(json.dumps(tampered))
    bad = run("tampered.json", "--vkey", "plant-vkey.txt")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.splitlines()[-1] == "NOT VERIFIED" and "FAILED" in bad.stdout
    cli_bad = dledger(tmp_path, "cert", "verify", str(folder / "tampered.json"),
                      "--vkey", plant_ledger.vkey)
    assert cli_bad.returncode == 1 and cli_bad.stdout.decode() == bad.stdout

    (folder / "notes.txt").write_text("not a certificate\n")
    refused = run("notes.txt", "--vkey", "plant-vkey.txt")
    assert refused.returncode == 2 and refused.stderr.startswith("error: notes.txt")
    assert not refused.stdout and "Traceback" not in refused.stderr
    keyless = run("certificate.pdf")
    assert keyless.returncode == 2 and "--vkey KEY" in keyless.stderr
    other_pdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(other_pdf)
    (folder / "other.pdf").write_bytes(other_pdf.getvalue())
    plain = run("other.pdf", "--vkey", "plant-vkey.txt")
    assert plain.returncode == 2 and "no certificate.json attachment" in plain.stderr


def test_the_zipapp_holds_the_pure_core_and_is_the_same_each_time() -> None:
    data = zipapp.build()
    assert data == zipapp.build() and data.startswith(b"#!/usr/bin/env python3\n")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    modules = zipapp.modules()
    assert sorted(names) == sorted(["__main__.py"] + [
        m.replace(".", "/") + ("/__init__.py" if (REPO / m.replace(".", "/")).is_dir()
                               else ".py") for m in modules])
    for needed in ("ledger.certificates.verify", "ledger.certificates.pdf_attachment",
                   "ledger.rules.judge", "ledger.witness.policy", "ledger.merkle"):
        assert needed in modules
    for wing in ("ledger.log", "ledger.tables", "ledger.projections", "ledger.instance",
                 "ledger.certificates.pdf", "ledger.certificates.build",
                 "ledger.certificates.cli"):
        assert wing not in modules


def test_the_attachment_is_read_without_pypdf(plant_ledger: Plant) -> None:
    unit, period = _issued(plant_ledger)
    for document in (unit, period):  # WeasyPrint: object streams, cross-reference streams
        data = pdf.render(document, verify_url="https://x.example/verify")
        assert b"/Type /XRef" in data and b"/Type /ObjStm" in data
        assert attachment(data, "certificate.json") == doc_format.serialise(document)
        assert attachment(data, "other.json") is None
    classic = io.BytesIO()  # pypdf writes a classic cross-reference table
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_attachment("certificate.json", b'{"a": "(x)"}')
    writer.write(classic)
    assert b"\nxref\n" in classic.getvalue()
    assert attachment(classic.getvalue()) == b'{"a": "(x)"}'

    encrypted = io.BytesIO()
    writer.encrypt("secret")
    writer.write(encrypted)
    for broken, why in ((b"not a pdf", "%PDF-"), (classic.getvalue()[:200], "startxref"),
                        (encrypted.getvalue(), "encrypted")):
        with pytest.raises(PdfError, match=why):
            attachment(broken)


def test_the_command_refuses_input_it_cannot_read(tmp_path: Path) -> None:
    missing = subprocess.run([sys.executable, "-c", "import sys; from ledger.certificates."
                              "verify_command import main; sys.exit(main())",
                              str(tmp_path / "none.json"), "--vkey", "k"],
                             cwd=REPO, capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
