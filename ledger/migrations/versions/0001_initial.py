"""The initial schema: exactly the reviewed DDL of schema.sql, and the empty log's head.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from ledger.schema import read_statements

revision = "0001"
down_revision = None


def upgrade() -> None:
    bind = op.get_bind()
    for statement in read_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    bind.execute(
        sa.text("INSERT INTO ledger_state (id, size, head, frontier) "
                "VALUES (1, 0, :head, :frontier)"),
        {"head": bytes(32), "frontier": b""},
    )
