"""`dledger cert ...`: issue, revoke and verify certificates."""

from __future__ import annotations

import click


@click.group()
def cert() -> None:
    """Issue, revoke and verify certificates."""
