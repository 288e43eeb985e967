"""`dledger station ...`: the workstation agent and its key."""

from __future__ import annotations

import click


@click.group()
def station() -> None:
    """Run a dismantling workstation: its devices, kiosk page and outbox."""
