"""The ledger's commands: init, append, entry, checkpoint, proof, audit, key, rebuild, db,
tiles.

Output on stdout is exactly the contract (docs/design.md §8); messages for people go to stderr.
Exit codes: 0 done, 1 the ledger is not right (audit), 2 the input or request was refused.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import IO, NoReturn

import click

from ledger.audit import audit as run_audit
from ledger.catalogue import CatalogueError
from ledger.catalogue import load as load_catalogue
from ledger.events import EventError
from ledger.instance import (
    DEFAULT_ORIGIN,
    Instance,
    InstanceError,
    database_url,
    retired_vkeys,
    rotate_key,
    write_config,
)
from ledger.keys import KeyFileError, PlaintextKeyWarning, new_plant_signer, write_key
from ledger.log import AppendError, Ledger, LedgerError, Submission
from ledger.projections import RuleError, rebuild
from ledger.proof import InclusionProof, consistency_text
from ledger.roles import RoleError, ensure_schema, grant, revisions
from ledger.store import is_initialised, migrate, open_engine, write_transaction
from ledger.tiles import TileError
from ledger.tiles_export import ExportError, export
from ledger.tiles_log import latest_signed

PROGRESS_FROM = 50_000  # show a progress bar from this many entries on


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _instance() -> Instance:
    try:
        return Instance.locate()
    except InstanceError as exc:
        fail(str(exc))
        raise  # unreachable; keeps type checkers content


def _show_warnings() -> None:
    warnings.simplefilter("always", PlaintextKeyWarning)
    warnings.showwarning = lambda message, *_: click.echo(f"warning: {message}", err=True)


@click.command()
@click.option("--origin", default=DEFAULT_ORIGIN, show_default=True,
              help="The log's origin and signing key name, e.g. ledger.example-plant.cn/CN3301.")
@click.option("--insecure-plaintext-key", is_flag=True,
              help="Store the plant key unencrypted (demos only; never for a real plant).")
@click.option("--catalogue", "catalogue_file", type=click.Path(dir_okay=False),
              help="The plant's catalogue file (replacing or adding to the default entries).")
def init(origin: str, insecure_plaintext_key: bool, catalogue_file: str | None) -> None:
    """Create an instance: database, plant signing key, the process catalogue in force
    (entry 0); print the verifier key."""
    _show_warnings()
    home = Path(os.environ.get("DLEDGER_HOME") or "instance").resolve()
    if (home / "dledger.toml").exists():
        fail(f"an instance already exists at {home}; use it, or choose another DLEDGER_HOME")
    passphrase = os.environ.get("DLEDGER_KEY_PASSPHRASE")
    if not passphrase and not insecure_plaintext_key:
        fail("set DLEDGER_KEY_PASSPHRASE (at least 12 characters) to encrypt the plant key, "
             "or pass --insecure-plaintext-key for a demo")
    try:
        catalogue = load_catalogue(catalogue_file)
    except CatalogueError as exc:
        fail(str(exc))
    try:
        write_config(home, origin, plaintext_key=not passphrase)
        signer = new_plant_signer(origin)
        write_key(home / "plant-key.json", signer, passphrase,
                  allow_plaintext=insecure_plaintext_key)
        engine = open_engine(database_url(home))
        if is_initialised(engine):
            fail(f"the database at {engine.url.render_as_string(hide_password=True)} already "
                 "holds a ledger; point DLEDGER_DATABASE_URL at an empty database")
        migrate(engine)
        Ledger(engine).publish_catalogue(catalogue, _catalogue_version(catalogue_file),
                                         operator="dledger-init")
    except (InstanceError, KeyFileError, LedgerError, ValueError) as exc:
        fail(str(exc))
    click.echo(f"initialised {home}", err=True)
    click.echo(signer.verifier.vkey)


@click.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
def append(source: IO[str]) -> None:
    """Append events from JSON Lines (FILE or - for stdin): all of them or none.

    A line is an event, or {"event": {...}, "station_sig": "<base64>"}. One JSON line is
    printed per event: its index and leaf hash.
    """
    submissions: list[Submission] = []
    lines: list[int] = []
    errors: list[str] = []
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            submissions.append(Submission.from_json(json.loads(line)))
            lines.append(number)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: malformed JSON: {exc.msg} at column {exc.colno}")
        except EventError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        for message in errors[:50]:
            click.echo(f"error: {message}", err=True)
        fail(f"{len(errors)} invalid line(s); nothing was appended")
    try:
        appended = _instance().ledger().append(submissions)
    except AppendError as exc:
        where = f"line {lines[exc.position]}: " if exc.position is not None else ""
        fail(f"{where}{exc}; nothing was appended")
    out = sys.stdout
    for result in appended:
        record = {"index": result.index, "leaf_hash": result.leaf_hash.hex()}
        if result.existed:
            record["existed"] = True
        out.write(json.dumps(record) + "\n")


@click.command()
@click.argument("index", type=click.IntRange(min=0))
def entry(index: int) -> None:
    """Print the exact bytes of entry INDEX."""
    try:
        body = _instance().ledger().entry(index)
    except LedgerError as exc:
        fail(str(exc))
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()


@click.command()
def checkpoint() -> None:
    """Print the latest signed checkpoint (signing a new one if the log grew)."""
    _show_warnings()
    instance = _instance()
    try:
        signed = instance.ledger().checkpoint(instance.signer())
    except (LedgerError, KeyFileError) as exc:
        fail(str(exc))
    click.echo(signed.note, nl=False)


@click.group()
def proof() -> None:
    """Inclusion and consistency proofs."""


@proof.command("inclusion")
@click.argument("index", type=click.IntRange(min=0))
@click.option("--size", type=click.IntRange(min=1),
              help="A tree size with a signed checkpoint (default: the latest checkpoint).")
def proof_inclusion(index: int, size: int | None) -> None:
    """Print a c2sp.org/tlog-proof@v1 that entry INDEX is in the log."""
    _show_warnings()
    instance = _instance()
    ledger = instance.ledger()
    try:
        signed = (ledger.checkpoint(instance.signer()) if size is None
                  else ledger.checkpoint_at(size))
        if signed is None:
            fail(f"no checkpoint was signed at size {size}; run `dledger checkpoint` and "
                 "use its size, or omit --size")
        hashes = ledger.inclusion_hashes(index, signed.checkpoint.size)
    except (LedgerError, KeyFileError) as exc:
        fail(str(exc))
    click.echo(InclusionProof(index, tuple(hashes), signed.note).text(), nl=False)


@proof.command("consistency")
@click.argument("old", type=click.IntRange(min=1))
@click.argument("new", type=click.IntRange(min=1), required=False)
def proof_consistency(old: int, new: int | None) -> None:
    """Print the RFC 9162 consistency proof from tree size OLD to NEW (default: current)."""
    ledger = _instance().ledger()
    try:
        hashes = ledger.consistency_hashes(old, new if new is not None else ledger.size())
    except LedgerError as exc:
        fail(str(exc))
    click.echo(consistency_text(hashes), nl=False)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-signatures", is_flag=True,
              help="Skip re-verifying every station signature (structure and hashes only).")
def audit(as_json: bool, no_signatures: bool) -> None:
    """Verify the whole ledger; exit 1 naming the first bad entry."""
    instance = _instance()
    ledger = instance.ledger()
    vkeys = [*retired_vkeys(instance), instance.vkey()]
    total = ledger.size()
    show = total >= PROGRESS_FROM
    with click.progressbar(length=total, label="auditing", file=sys.stderr,
                           hidden=not show) as bar:
        report = run_audit(ledger.engine, vkeys, signatures=not no_signatures,
                           progress=bar.update)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=1))
    elif report.ok:
        click.echo(f"ok: {report.entries} entries, {report.checkpoints} signed checkpoints and "
                   f"{report.signatures} station signatures verified")
    else:
        click.echo(f"FAILED at entry {report.first_bad_index}: {report.problems[0].what}")
        for problem in report.problems[1:]:
            click.echo(f"  also: {problem.what}")
    sys.exit(0 if report.ok else 1)


@click.group()
def key() -> None:
    """The plant's signing key."""


@key.command("show")
def key_show() -> None:
    """Print the verifier key (public) that checks this plant's checkpoints."""
    try:
        click.echo(_instance().vkey())
    except KeyFileError as exc:
        fail(str(exc))


@key.command("rotate")
@click.option("--operator", required=True, help="Who rotates the key (recorded in the ledger).")
@click.option("--reason", help="Why (recorded in the ledger).")
def key_rotate(operator: str, reason: str | None) -> None:
    """Replace the plant key, recording key.rotated; old checkpoints stay verifiable."""
    _show_warnings()
    try:
        click.echo(rotate_key(_instance(), operator, reason))
    except (KeyFileError, LedgerError, EventError) as exc:
        fail(str(exc))


@click.command("rebuild")
def rebuild_command() -> None:
    """Derive every read model (units, outputs, recoveries, scales, lots, stations, hourly
    totals) again from the entries."""
    ledger = _instance().ledger()
    total = ledger.size()
    with click.progressbar(length=total, label="rebuilding", file=sys.stderr,
                           hidden=total < PROGRESS_FROM) as bar, \
            write_transaction(ledger.engine) as conn:
        try:
            count = rebuild(conn, progress=bar.update)
        except RuleError as exc:
            fail(str(exc), code=1)
    click.echo(f"rebuilt projections from {count} entries", err=True)


def _catalogue_version(catalogue_file: str | None) -> str:
    return "default" if catalogue_file is None else f"plant file {Path(catalogue_file).name}"


@click.group("catalogue")
def catalogue_group() -> None:
    """The process catalogue in force: the categories, fractions and tolerances the rules
    judge by (docs/rules.md)."""


@catalogue_group.command("show")
def catalogue_show() -> None:
    """Print the catalogue in force (JSON content) with its entry and SHA-256."""
    found = _instance().ledger().catalogue()
    if found is None:
        fail("no catalogue is in force: `dledger catalogue publish`")
    index, catalogue = found
    click.echo(f"entry {index}, sha256 {catalogue.sha256()}", err=True)
    click.echo(json.dumps(catalogue.content(), ensure_ascii=False, indent=1))


@catalogue_group.command("publish")
@click.option("--file", "catalogue_file", type=click.Path(dir_okay=False),
              help="The plant's catalogue file (default: the default catalogue alone).")
@click.option("--operator", required=True, help="Who puts it in force (recorded).")
def catalogue_publish(catalogue_file: str | None, operator: str) -> None:
    """Put a catalogue in force from the next entry on (catalogue.published)."""
    try:
        catalogue = load_catalogue(catalogue_file)
        appended = _instance().ledger().publish_catalogue(
            catalogue, _catalogue_version(catalogue_file), operator)
    except (CatalogueError, LedgerError, EventError) as exc:
        fail(str(exc))
    click.echo(json.dumps({"index": appended.index, "sha256": catalogue.sha256(),
                           "existed": appended.existed}))


@click.group("db")
def db_group() -> None:
    """The database: its schema and, on PostgreSQL, the console's role (run these with the
    database owner's DLEDGER_DATABASE_URL)."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to the newest revision (the database owner's job: the console's
    role may not change it)."""
    engine = _instance().engine()
    try:
        before = revisions(engine)
        after = ensure_schema(engine)
    except RoleError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if before.pending:
        click.echo(f"upgraded the schema from {before.current or 'none'} to {after.current}",
                   err=True)
    else:
        click.echo(f"the schema is at the newest revision, {after.current}", err=True)


@db_group.command("grant")
@click.option("--role", required=True, help="The console's role, e.g. dledger_app (created "
              "with LOGIN and no other right if missing).")
@click.option("--password-stdin", is_flag=True, help="Set the role's password from stdin's "
              "first line.")
def db_grant(role: str, password_stdin: bool) -> None:
    """Let ROLE do what the console and the append path do, and nothing else: read every
    table, insert into the log, move its head, change the read models and accounts. It owns
    nothing, so it cannot switch the log's triggers off. Safe to run again (after each
    `dledger db upgrade`). PostgreSQL only."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    engine = _instance().engine()
    try:
        granted = grant(engine, role, password)
    except RoleError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    for table, allowed in granted.tables.items():
        click.echo(f"{table}\t{', '.join(allowed) or '-'}")
    state = "created" if granted.created else "exists"
    click.echo(f"role {role} ({state}): granted on {len(granted.tables)} tables and "
               f"{len(granted.sequences)} sequence(s); connect the console as it", err=True)


@click.group("tiles")
def tiles_group() -> None:
    """The log as C2SP tlog-tiles: the static files any tlog-tiles client reads and verifies
    (docs/tiles.md)."""


@tiles_group.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def tiles_export(folder: Path) -> None:
    """Write the latest signed checkpoint, its tiles and entry bundles into FOLDER, for a
    plain web server or an offline copy. Run it again to bring FOLDER up to date: what is
    already there and right is kept. Prints one JSON line: size, written, kept."""
    ledger = _instance().ledger()
    signed = latest_signed(ledger)
    if signed is None:
        fail("no checkpoint is signed yet: run `dledger checkpoint` first")
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        if done == total or time.monotonic() - shown[0] >= 1:
            shown[0] = time.monotonic()
            click.echo(f"tiles: {done:,} of {total:,} tiles and bundles", err=True)

    try:
        report = export(ledger, folder, signed, progress)
    except (ExportError, OSError) as exc:
        fail(f"{exc}; {folder}'s checkpoint was not changed")
    except (TileError, LedgerError) as exc:  # an entry too large for a bundle, a damaged log
        fail(f"{exc}; {folder}'s checkpoint was not changed", code=1)
    click.echo(f"exported the tree of size {report.size:,} to {folder}: {report.written:,} "
               f"written, {report.kept:,} already there", err=True)
    click.echo(json.dumps({"size": report.size, "written": report.written,
                           "kept": report.kept}))


COMMANDS = [init, append, entry, checkpoint, proof, audit, key, rebuild_command,
            catalogue_group, db_group, tiles_group]
