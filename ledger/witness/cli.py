"""`dledger witness ...`: run a witness, or ask one to cosign this plant's checkpoint."""

from __future__ import annotations

import click


@click.group()
def witness() -> None:
    """Run a C2SP tlog-witness, or have one cosign this plant's checkpoint."""
