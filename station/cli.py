"""`dledger station ...`: the workstation agent and its key.

    dledger station init --config station.toml     create the station key, print it
    dledger station key --config station.toml      print the public key again
    dledger station run --config station.toml      devices, outbox delivery, kiosk page
    dledger station outbox --config station.toml [--release]   what waits or was refused
"""

from __future__ import annotations

import base64
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from ledger.instance import Instance, InstanceError
from ledger.keys import KeyFileError, read_vkey
from ledger.note import Verifier
from station import identity
from station.config import ConfigError, StationConfig
from station.config import load as load_config
from station.outbox import Outbox

CONFIG = click.option("--config", "config_path", required=True,
                      type=click.Path(dir_okay=False, path_type=Path),
                      help="The station's station.toml (see examples/station.toml).")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _config(path: Path) -> StationConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable


def outbox_file(config: StationConfig) -> Path:
    return config.data_dir / "outbox.db"


@click.group()
def station() -> None:
    """Run a dismantling workstation: its devices, kiosk page and outbox."""


@station.command()
@CONFIG
def init(config_path: Path) -> None:
    """Create the station's key (encrypted with DLEDGER_STATION_KEY_PASSPHRASE)."""
    config = _config(config_path)
    try:
        created = identity.create(config.key_file, config.station_id)
    except identity.IdentityError as exc:
        _fail(str(exc))
        raise  # unreachable
    click.echo(f"station {config.station_id}: key written to {config.key_file}", err=True)
    _print_key(config, created.public_key)


@station.command()
@CONFIG
def key(config_path: Path) -> None:
    """Print the station's public key and how to have it approved."""
    config = _config(config_path)
    if not config.key_file.exists():
        _fail(f"no station key at {config.key_file}: run `dledger station init --config "
              f"{config_path}` first")
    try:
        verifier = Verifier.parse(read_vkey(config.key_file))
    except KeyFileError as exc:
        _fail(f"{exc} (run `dledger station init --config {config_path}`)")
        raise  # unreachable
    _print_key(config, base64.b64encode(verifier.public_key.public_bytes_raw()).decode())


def _print_key(config: StationConfig, public_key: str) -> None:
    click.echo(public_key)
    click.echo(f"""
To approve it: sign in to the console as an admin, open Stations → Approve a station key,
and enter
  Station id:  {config.station_id}
  Name:        {config.name}
  Public key:  {public_key}
The console then records station.registered; the station's events are accepted from then on
(events made before wait in the station's outbox).""", err=True)


@station.command()
@CONFIG
@click.option("--release", is_flag=True, help="Queue every held event again (after the cause "
              "was fixed on the console).")
def outbox(config_path: Path, release: bool) -> None:
    """Counts of pending, delivered and held events; the held ones with the ledger's reason."""
    config = _config(config_path)
    box = Outbox(outbox_file(config))
    try:
        if release:
            click.echo(f"released {box.release()} held events", err=True)
        counts = box.counts()
        click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
        for held in box.held():
            click.echo(f"held\t{held.event_id}\t{held.type}\t{held.subject}\t{held.reason}")
    finally:
        box.close()


@station.command()
@CONFIG
def run(config_path: Path) -> None:
    """Start the devices, outbox delivery and the kiosk page; stop on Ctrl-C or SIGTERM."""
    from werkzeug.serving import make_server

    from station.agent import Workstation
    from station.client import HttpClient, LocalClient
    from station.server import create_app

    config = _config(config_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per page poll
    try:
        station_identity = identity.load(config.key_file, config.station_id)
        client: Any
        if config.mode == "local":
            client = LocalClient(Instance.locate(config.ledger_home))
        else:
            client = HttpClient(config.console_url or "")
    except (identity.IdentityError, InstanceError) as exc:
        _fail(str(exc))
        raise  # unreachable
    box = Outbox(outbox_file(config))
    workstation = Workstation(config, station_identity, client, box).start()
    host, port = config.listen
    server = make_server(host, port, create_app(workstation), threaded=True)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    thread = threading.Thread(target=server.serve_forever, name="kiosk-server", daemon=True)
    thread.start()
    click.echo(f"station {config.station_id} ({config.mode}) serving its kiosk on "
               f"http://{host}:{server.server_port}/", err=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        server.shutdown()
        thread.join(5)
        workstation.stop()
        box.close()
        client.close()
        click.echo(f"station {config.station_id} stopped", err=True)
