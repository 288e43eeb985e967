"""Witness cosignatures on the plant's checkpoints (C2SP tlog-cosignature lines as the witness
returned them), so that certificates carry them (see ledger/witness/plant.py).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "checkpoint_cosignatures",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("witness", sa.String(255), nullable=False),
        sa.Column("witness_key_id", sa.String(8), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("size", "key_id", "witness", "witness_key_id",
                                name=op.f("pk_checkpoint_cosignatures")),
    )


def downgrade() -> None:
    op.drop_table("checkpoint_cosignatures")
