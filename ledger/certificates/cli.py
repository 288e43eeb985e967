"""`dledger cert ...`: issue, revoke, verify and show certificates.

`issue` and `revoke` act on the plant's instance ($DLEDGER_HOME) and append to its ledger;
`verify` and `show` need no instance: an inspector runs them on a file alone. Exit codes:
0 done (verify: every check that ran passed), 1 a check failed, 2 the request was refused.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from ledger.certificates.document import DocumentError, parse, serialised, sha256

CONSOLE_URL_ENV = "DLEDGER_CONSOLE_URL"
PROGRESS_FROM = 200  # units (period report lines) from which the command shows progress


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group()
def cert() -> None:
    """Issue, revoke, verify and show certificates."""


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    """A progress callback `(done, total)` that draws a bar on stderr once total is large."""
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if total < PROGRESS_FROM:
            return
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@cert.command()
@click.option("--unit", "label", metavar="LABEL", help="A unit dismantling certificate.")
@click.option("--period", nargs=2, metavar="START END",
              help="A period report from START to END (dates YYYY-MM-DD, inclusive, plant time).")
@click.option("--lot", metavar="LOT", help="A lot shipment manifest.")
@click.option("--fund", nargs=2, metavar="START END",
              help="The fund table (拆解处理情况表) from START to END (dates YYYY-MM-DD, "
                   "inclusive, plant time).")
@click.option("--category", "categories", multiple=True,
              help="With --period: only this category (repeat for several).")
@click.option("--time-zone", default="Asia/Shanghai", show_default=True,
              help="The plant's time zone, for --period, --fund and the PDF.")
@click.option("--gwp", "gwp_basis", type=click.Choice(["AR4", "AR5"]), default="AR4",
              show_default=True, help="GWP basis for CO2e (unit and period).")
@click.option("--witnessed", is_flag=True,
              help="Prove against the latest checkpoint a witness cosigned (the certificate "
                   "then carries the cosignatures, and only what the log held then).")
@click.option("--operator", default="PLANT", show_default=True,
              help="Who issues it (recorded in certificate.issued).")
@click.option("--out", "pdf_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the PDF (with the JSON attached) here.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the certificate JSON here.")
@click.option("--xlsx", "xlsx_out", type=click.Path(dir_okay=False, path_type=Path),
              help="With --fund: write the table as an XLSX workbook here, for the plant's "
                   "filing.")
@click.option("--console-url", envvar=CONSOLE_URL_ENV,
              help=f"The console's public address, for the PDF's QR code (${CONSOLE_URL_ENV}).")
def issue(label: str | None, period: tuple[str, str] | None, lot: str | None,
          fund: tuple[str, str] | None, categories: tuple[str, ...], time_zone: str,
          gwp_basis: str, witnessed: bool, operator: str, pdf_out: Path | None,
          json_out: Path | None, xlsx_out: Path | None, console_url: str | None) -> None:
    """Build a certificate, log its issuance, write it as PDF and/or JSON (a fund table:
    and/or XLSX)."""
    from ledger.certificates import build, build_fund
    from ledger.certificates import issue as issuing
    from ledger.events import EventError
    from ledger.instance import Instance, InstanceError
    from ledger.keys import KeyFileError
    from ledger.log import LedgerError

    chosen = [name for name, value in (("--unit", label), ("--period", period), ("--lot", lot),
                                       ("--fund", fund)) if value]
    if len(chosen) != 1:
        fail("give exactly one of --unit LABEL, --period START END, --lot LOT or --fund START "
             "END")
    if categories and not period:
        fail("--category applies to --period only")
    if xlsx_out and not fund:
        fail("--xlsx applies to --fund only (the fund table's workbook)")
    if not pdf_out and not json_out and not xlsx_out:
        fail("give --out FILE.pdf and/or --json FILE")
    render = _renderer(console_url) if pdf_out else None
    bundle_path = (json_out or pdf_out or xlsx_out or Path("report")).with_suffix(".entries.gz")
    bundle_existed = bundle_path.exists()
    warnings.showwarning = lambda message, *_: click.echo(f"warning: {message}", err=True)
    try:
        instance = Instance.locate()
        ledger, signer = instance.ledger(), instance.signer()
        checkpoint = _witnessed_checkpoint(ledger) if witnessed else None
        if label:
            draft = build.build_unit(ledger, label, gwp_basis=gwp_basis, signer=signer,
                                     checkpoint=checkpoint)
        elif lot:
            draft = build.build_lot(ledger, lot, signer=signer, checkpoint=checkpoint)
        elif fund:
            with _progress("collecting entries") as progress:
                draft = build_fund.build_fund_table(ledger, fund[0], fund[1], signer=signer,
                                                    checkpoint=checkpoint, time_zone=time_zone,
                                                    bundle_to=bundle_path, progress=progress)
        else:
            assert period is not None
            with _progress("collecting entries") as progress:
                draft = build.build_period(ledger, period[0], period[1], list(categories) or None,
                                           progress, time_zone=time_zone, gwp_basis=gwp_basis,
                                           bundle_to=bundle_path, signer=signer,
                                           checkpoint=checkpoint)
        document = issuing.issue(ledger, draft, signer, operator=operator)
    except (InstanceError, KeyFileError, build.BuildError, issuing.IssueError, EventError,
            LedgerError) as exc:
        if not bundle_existed:
            bundle_path.unlink(missing_ok=True)
        fail(str(exc))
    if bundle_path.exists():
        click.echo(f"wrote {bundle_path} (the report's entries: hand it out with the report; "
                   "the verifier reads it from beside the certificate)", err=True)
    digest = sha256(document)
    if json_out:
        _write(json_out, serialised(document))
        click.echo(f"wrote {json_out}", err=True)
    if render and pdf_out:
        with _progress("rendering pages") as progress:
            _write(pdf_out, render(document, time_zone, progress))
        click.echo(f"wrote {pdf_out}", err=True)
    if xlsx_out:
        _workbook(document, xlsx_out, time_zone,
                  "the fund table was issued, but its workbook could not be written")
    entry = document["issuance"]["entry"]["index"]
    click.echo(json.dumps({"sha256": digest, "kind": document["kind"], "issued": entry}))


def _witnessed_checkpoint(ledger: Any) -> Any:
    from ledger.certificates.build import BuildError
    from ledger.witness.plant import latest_cosigned

    found = latest_cosigned(ledger)
    if found is None:
        raise BuildError("no witness has cosigned a checkpoint of this log yet; run `dledger "
                         "witness cosign URL --vkey KEY` first, or issue without --witnessed")
    return found


def _renderer(console_url: str | None) -> Any:
    """The PDF renderer, or an error saying why there is none."""
    try:
        from ledger.certificates import pdf
    except ImportError as exc:
        fail(f"PDF rendering is unavailable here ({exc}); write the JSON with --json FILE")
    if not console_url:
        fail(f"the PDF's QR code needs the console's public address: give --console-url URL "
             f"or set {CONSOLE_URL_ENV} (e.g. https://ledger.example-plant.cn)")

    def render(document: dict[str, Any], time_zone: str, progress: Any) -> bytes:
        url = pdf.verify_url_for(console_url, sha256(document))
        try:
            return pdf.render(document, verify_url=url, timezone=time_zone, progress=progress)
        except pdf.RenderError as exc:
            fail(f"the certificate was issued but its PDF could not be rendered: {exc}; write "
                 "its JSON with --json and render again")

    return render


def _write(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write all of it or nothing: a temporary file beside the target, then rename. A large
    report comes in pieces (document.serialised), written as they are encoded."""
    path = path.resolve()
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         delete=False) as out:
            out.writelines([data] if isinstance(data, bytes) else data)
        os.chmod(out.name, 0o644)  # a certificate is meant to be handed out
        os.replace(out.name, path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")


@cert.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vkey", "vkeys", multiple=True, metavar="KEY",
              help="A trusted plant verifier key (or a file holding one); repeat for several.")
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A trust policy file: plant keys, witness keys and a quorum.")
@click.option("--trusted-checkpoint", "trusted_file",
              type=click.Path(dir_okay=False, path_type=Path),
              help="A checkpoint note you saved earlier: exposes a rolled-back or forked log.")
@click.option("--console", "console_url", metavar="URL",
              help="The plant console, to check revocation and fetch consistency proofs.")
@click.option("--entries", "entries", type=click.Path(dir_okay=False, path_type=Path),
              help="A large period report's entry bundle (default: the certificate's name "
                   "with .entries.gz, if there is one).")
@click.option("--tiles", metavar="URL|DIR",
              help="The plant's tiles (its console's /tlog/ address or a copy made with "
                   "`dledger tiles export`), to read a report's entries from.")
@click.option("--evidence", "evidence", type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="The plant's evidence store (a folder), to check the photos "
                                  "a unit certificate names against their hashes.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(file: Path, vkeys: tuple[str, ...], policy_file: Path | None,
           trusted_file: Path | None, console_url: str | None, entries: Path | None,
           tiles: str | None, evidence: Path | None, as_json: bool) -> None:
    """Verify a certificate (PDF or JSON); exit 0 only when every check that ran passed."""
    from ledger.certificates.verify_command import run

    sys.exit(run(file, vkeys, policy_file, trusted_file, console_url, as_json, sys.stdout,
                 sys.stderr, entries, tiles, evidence))


@cert.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the zipapp (e.g. dledger-verify.pyz).")
def verifier(out: Path) -> None:
    """Write the inspector's verifier: one file that runs with Python >= 3.11 and
    `cryptography` alone (`python3 dledger-verify.pyz CERT.pdf --vkey KEY`)."""
    from ledger.certificates.zipapp import build

    _write(out, build())
    click.echo(f"wrote {out}", err=True)


@cert.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the workbook (FILE.xlsx).")
@click.option("--time-zone", help="The plant's time zone, for the times written (default: "
                                  "the period's).")
def xlsx(file: Path, out: Path, time_zone: str | None) -> None:
    """Write a fund table (拆解处理情况表, its JSON or PDF) as an XLSX workbook for the
    plant's own filing: the table and its annexes, one row per unit."""
    document = _document(file)
    if document["kind"] != "fund_table":
        fail(f"{file} is a {document['kind']} certificate; the workbook is written for a fund "
             "table (dledger cert issue --fund START END)")
    _workbook(document, out, time_zone or document["statements"]["period"]["time_zone"],
              str(file))


def _workbook(document: dict[str, Any], out: Path, time_zone: str, what: str) -> None:
    """Write the fund table's workbook to `out` whole or not at all (a temporary file beside
    it, then renamed); `what` begins the message of an error."""
    from ledger.certificates.fund_xlsx import XlsxError, write_fund_table
    from ledger.certificates.pdf import RenderError

    temporary = out.resolve().with_name(f".{out.name}.{os.getpid()}.tmp")
    if not temporary.parent.is_dir():
        fail(f"cannot write {out}: there is no folder {temporary.parent}")
    try:
        with _progress("writing units") as progress:
            count = write_fund_table(document, temporary, timezone=time_zone,
                                     progress=progress)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except (XlsxError, RenderError) as exc:
        fail(f"{what}: {exc}")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    finally:
        temporary.unlink(missing_ok=True)
    click.echo(f"wrote {out} ({count:,} units)", err=True)


def _document(file: Path) -> dict[str, Any]:
    """The certificate in `file`: a JSON file (its long lists read from it as needed) or the
    certificate.json a PDF carries."""
    if _read_start(file) != b"%PDF":
        try:
            return parse(file)
        except DocumentError as exc:
            fail(f"{file}: {exc}")
    from io import BytesIO

    from pypdf import PdfReader

    found = PdfReader(BytesIO(_read(file))).attachments.get("certificate.json")
    if not found:
        fail(f"{file} carries no certificate.json attachment")
    try:
        return parse(found[0])
    except DocumentError as exc:
        fail(f"{file}: {exc}")


def _read_start(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(4)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")


@cert.command()
@click.argument("digest", metavar="SHA256")
@click.option("--reason", required=True, help="Why the certificate is withdrawn.")
@click.option("--approved-by", required=True, help="Who approved the revocation.")
@click.option("--operator", help="Who records it (default: the approver).")
def revoke(digest: str, reason: str, approved_by: str, operator: str | None) -> None:
    """Revoke an issued certificate (appends certificate.revoked)."""
    from ledger.certificates.issue import IssueError
    from ledger.certificates.issue import revoke as run
    from ledger.events import EventError
    from ledger.instance import Instance, InstanceError
    from ledger.log import LedgerError

    try:
        index = run(Instance.locate().ledger(), digest, reason, approved_by,
                    operator=operator or approved_by)
    except (InstanceError, IssueError, EventError, LedgerError) as exc:
        fail(str(exc))
    click.echo(json.dumps({"sha256": digest.strip().lower(), "revoked": index}))


@cert.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print a fund table's JSON rather than the table.")
def show(file: Path, as_json: bool) -> None:
    """Print a certificate's JSON (from a PDF or JSON file), without verifying it; a fund
    table is printed as the table (--json: its JSON)."""
    data = _read(file)
    if data.startswith(b"%PDF"):
        from io import BytesIO

        from pypdf import PdfReader

        found = PdfReader(BytesIO(data)).attachments.get("certificate.json")
        if not found:
            fail(f"{file} carries no certificate.json attachment")
        data = found[0]
    try:
        document = parse(data)
    except DocumentError as exc:
        fail(f"{file}: {exc}")
    if document["kind"] == "fund_table" and not as_json:
        from ledger.certificates.fund_text import table_text

        try:
            click.echo(table_text(document["statements"]))
        except (KeyError, TypeError, ValueError) as exc:
            fail(f"{file}: the fund table's statements lack {exc}; print them with --json")
        return
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))
