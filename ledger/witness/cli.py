"""`dledger witness ...`: run a witness, or ask one to cosign this plant's checkpoint.

For the witness operator (a regulator or an association), in $DLEDGER_WITNESS_HOME:
`init`, `add-log`, `status`, `run`. For the plant, in its instance ($DLEDGER_HOME): `cosign`
and `checkpoint`. Exit codes: 0 done, 2 refused or failed (the message says why).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ledger.instance import Instance, InstanceError, check_origin
from ledger.keys import KeyFileError, PlaintextKeyWarning
from ledger.log import LedgerError
from ledger.note import NoteError, Verifier
from ledger.witness.cosignature import CosignatureError, CosignatureVerifier
from ledger.witness.home import WitnessHome, WitnessHomeError, home_path

if TYPE_CHECKING:
    from ledger.log import SignedCheckpoint
    from ledger.witness.publisher import Publisher


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _show_warnings() -> None:
    warnings.simplefilter("always", PlaintextKeyWarning)
    warnings.showwarning = lambda message, *_: click.echo(f"warning: {message}", err=True)


def _home() -> WitnessHome:
    try:
        return WitnessHome.locate()
    except WitnessHomeError as exc:
        fail(str(exc))
        raise  # unreachable


def _instance() -> Instance:
    try:
        return Instance.locate()
    except InstanceError as exc:
        fail(str(exc))
        raise  # unreachable


@click.group()
def witness() -> None:
    """Run a C2SP tlog-witness, or have one cosign this plant's checkpoint."""


@witness.command("init")
@click.option("--name", required=True,
              help="The witness's key name, e.g. witness.recycling-association.cn/w1.")
@click.option("--insecure-plaintext-key", is_flag=True,
              help="Store the witness key unencrypted (demos only).")
def init(name: str, insecure_plaintext_key: bool) -> None:
    """Create a witness in $DLEDGER_WITNESS_HOME (default ./witness); print its verifier key.

    The key is encrypted with $DLEDGER_KEY_PASSPHRASE (at least 12 characters).
    """
    _show_warnings()
    passphrase = os.environ.get("DLEDGER_KEY_PASSPHRASE")
    if not passphrase and not insecure_plaintext_key:
        fail("set DLEDGER_KEY_PASSPHRASE (at least 12 characters) to encrypt the witness key, "
             "or pass --insecure-plaintext-key for a demo")
    path = home_path()
    try:
        _, cosigner = WitnessHome.create(path, name, passphrase, insecure_plaintext_key)
    except (WitnessHomeError, KeyFileError) as exc:
        fail(str(exc))
    click.echo(f"initialised the witness {name} at {path}", err=True)
    click.echo(cosigner.verifier.vkey)


@witness.command("add-log")
@click.argument("origin")
@click.argument("vkey")
def add_log(origin: str, vkey: str) -> None:
    """Follow the log ORIGIN, trusting the plant verifier key VKEY (`dledger key show`).

    Run it again with another key after the plant rotates its key.
    """
    home = _home()
    try:
        check_origin(origin)
        verifier = Verifier.parse(vkey)
    except (InstanceError, NoteError) as exc:
        fail(str(exc))
    if verifier.name != origin:
        fail(f"the key {vkey!r} is named {verifier.name!r}, not {origin!r}: a plant's key name "
             "is its log's origin")
    added = home.state.add_log(origin, verifier.vkey)
    click.echo(f"{'following' if added else 'already following'} {origin} with key "
               f"{verifier.key_id.hex()}", err=True)


@witness.command("status")
def status() -> None:
    """Print the witness's verifier key and, per log, its keys and the size it cosigned."""
    home = _home()
    click.echo(f"witness {home.name} at {home.path}")
    try:
        click.echo(f"verifier key {home.verifier().vkey}")
    except KeyFileError as exc:
        fail(str(exc))
    for log in home.state.logs():
        size = f"cosigned up to size {log.latest.size}" if log.latest else "nothing cosigned yet"
        refused = f"; {log.evidence} refused inconsistent request(s) kept" if log.evidence else ""
        click.echo(f"log {log.origin}: {size}{refused}")
        for vkey in log.vkeys:
            click.echo(f"  key {vkey}")


@witness.command("run")
@click.option("--listen", default="127.0.0.1:8081", show_default=True,
              help="HOST:PORT to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="gunicorn worker processes (they share the state safely).")
def run(listen: str, workers: int) -> None:
    """Serve POST /add-checkpoint (gunicorn) until stopped."""
    from ledger.witness.server import Witness

    _show_warnings()
    home = _home()
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit():
        fail(f"--listen {listen!r} must be HOST:PORT, e.g. 127.0.0.1:8081")
    try:
        cosigner = home.cosigner()
    except (KeyFileError, WitnessHomeError) as exc:
        fail(str(exc))
    app = Witness(cosigner, home.state).wsgi
    click.echo(f"witness {cosigner.name} listening on {listen}; verifier key "
               f"{cosigner.verifier.vkey}", err=True)
    _run_gunicorn(app, {"bind": listen, "workers": workers, "proc_name": "dledger-witness",
                        "accesslog": "-", "errorlog": "-", "timeout": 60})


def _run_gunicorn(app: Any, options: dict[str, Any]) -> None:
    """gunicorn serving `app`, built (key decrypted) once before the workers fork."""
    from gunicorn.app.base import BaseApplication

    class WitnessServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return app

    WitnessServer().run()


@witness.command("cosign")
@click.argument("url")
@click.option("--vkey", "witness_vkey", required=True,
              help="The witness's verifier key (`dledger witness init` printed it).")
def cosign(url: str, witness_vkey: str) -> None:
    """Have the witness at URL cosign this plant's latest checkpoint; keep the cosignature.

    Prints the checkpoint note with every cosignature stored for it.
    """
    from ledger.witness.plant import WitnessRequestError, request_cosignature

    _show_warnings()
    try:
        verifier = CosignatureVerifier.parse(witness_vkey)
    except CosignatureError as exc:
        fail(str(exc))
    instance = _instance()
    try:
        result = request_cosignature(instance.ledger(), instance.signer(), url, verifier)
    except (WitnessRequestError, LedgerError, KeyFileError) as exc:
        fail(str(exc))
    click.echo(f"{verifier.name} cosigned size {result.checkpoint.checkpoint.size}", err=True)
    click.echo(result.note, nl=False)


@witness.command("checkpoint")
def checkpoint() -> None:
    """Print the largest checkpoint a witness cosigned, with its cosignatures (the note an
    inspector saves as a trusted checkpoint)."""
    from ledger.witness.plant import latest_cosigned

    signed = latest_cosigned(_instance().ledger())
    if signed is None:
        fail("no witness has cosigned a checkpoint of this log yet; run `dledger witness "
             "cosign URL --vkey KEY`")
    click.echo(signed.note, nl=False)


@witness.command("add-witness")
@click.argument("url")
@click.option("--vkey", "witness_vkey", required=True,
              help="The witness's verifier key (`dledger witness init` printed it).")
def add_witness_command(url: str, witness_vkey: str) -> None:
    """Push this plant's checkpoints to the witness at URL from now on.

    Adds it to [checkpoints] in the instance's dledger.toml; restart `dledger serve` (its
    publisher reads the file at start).
    """
    from ledger.instance import add_witness
    from ledger.witness.settings import SettingsError

    instance = _instance()
    try:
        settings = add_witness(instance.home, url, witness_vkey)
    except (InstanceError, SettingsError) as exc:
        fail(str(exc))
    names = ", ".join(t.name for t in settings.witnesses)
    click.echo(f"checkpoints go to {len(settings.witnesses)} witness(es): {names}; restart "
               "`dledger serve` to start pushing", err=True)


@witness.command("publish")
@click.option("--once", is_flag=True, help="One round (for cron): sign a checkpoint if the log "
              "grew, push it to every witness, exit 2 if one did not cosign.")
@click.option("--exit-with-parent", is_flag=True, hidden=True,
              help="Stop when the process that started this one is gone (`dledger serve`).")
def publish(once: bool, exit_with_parent: bool) -> None:
    """Sign checkpoints as the log grows and push them to the instance's witnesses.

    Cadence and witnesses: [checkpoints] in dledger.toml (docs/witness.md). `dledger serve`
    runs this for the console; one publisher per instance (a second one leaves it to the
    first).
    """
    import logging
    import signal
    import threading

    from ledger.witness.plant import DATABASE_ERRORS
    from ledger.witness.publisher import Publisher, PublisherBusy, exclusive

    _show_warnings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s "
                        "%(name)s: %(message)s")
    parent = os.getppid() if exit_with_parent else None
    instance = _instance()
    try:
        signer = instance.signer()
    except KeyFileError as exc:
        fail(str(exc))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with exclusive(instance.home):
            publisher = Publisher(instance.home, instance.ledger(), signer,
                                  instance.checkpoints, unlock=instance.signer)
            if not once:
                publisher.run(stop, parent=parent)
                return
            pushed = publisher.step(now_or_never=True)
            publisher.close()
    except PublisherBusy as exc:
        click.echo(str(exc), err=True)
        return
    except DATABASE_ERRORS as exc:
        fail(f"cannot read the ledger: {exc}")
    _report_once(publisher, pushed)


def _report_once(publisher: Publisher, pushed: SignedCheckpoint | None) -> None:
    if publisher.error:
        fail(publisher.error)
    if pushed is None:
        click.echo("no checkpoint yet (the log is empty)", err=True)
        return
    size = pushed.checkpoint.size
    click.echo(f"latest checkpoint: size {size}", err=True)
    behind = [t for t in publisher.tracks if t.witnessed < size]
    for track in publisher.tracks:
        state = "cosigned" if track.witnessed >= size else f"NOT cosigned: {track.error}"
        click.echo(f"  {track.target.name} ({track.target.shown_url}): {state}", err=True)
    if behind:
        sys.exit(2)
