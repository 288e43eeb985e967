"""Station heartbeats: `station_heartbeats`, each station's latest signed heartbeat (outbox
backlog, agent version, when it was sent and received), so the Stations page shows last
contact and backlog from the station itself (issue 17, point 5). Operational state, not
ledger data: one row per station, replaced by each heartbeat.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table(
        "station_heartbeats",
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("received_at", sa.String(24), nullable=False),
        sa.Column("sent_at", sa.String(24), nullable=False),
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("agent_version", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("station", name="pk_station_heartbeats"),
    )


def downgrade() -> None:
    op.drop_table("station_heartbeats")
