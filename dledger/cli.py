"""`dledger`: the one command-line entry point, assembling each package's commands."""

from __future__ import annotations

import click

from devices.cli import devices
from dledger.demo.cli import demo
from ledger.certificates.cli import cert
from ledger.cli import COMMANDS
from ledger.register_cli import COMMANDS as REGISTER_COMMANDS
from ledger.witness.cli import witness
from station.cli import station
from web.cli import serve, user


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Dismantle Ledger: tamper-evident records for appliance-dismantling plants.

    The instance folder is $DLEDGER_HOME (default ./instance); the database is
    $DLEDGER_DATABASE_URL (default SQLite in the instance); the plant key is encrypted with
    $DLEDGER_KEY_PASSPHRASE.
    """


for command in [*COMMANDS, *REGISTER_COMMANDS, cert, witness, station, devices, serve, user, demo]:
    main.add_command(command)
