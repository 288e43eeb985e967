"""The initial schema: the reviewed DDL as it stood at this revision, and the empty log's head.

The DDL is frozen in 0001_initial.sql beside this file (a copy of schema.sql at the time);
later revisions change the schema step by step, and schema.sql always shows the result.

Revision ID: 0001
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

from ledger.schema import read_statements

revision = "0001"
down_revision = None
DDL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    bind = op.get_bind()
    for statement in read_statements(bind.dialect.name, DDL.read_text(encoding="utf-8")):
        bind.exec_driver_sql(statement)
    bind.execute(
        sa.text("INSERT INTO ledger_state (id, size, head, frontier) "
                "VALUES (1, 0, :head, :frontier)"),
        {"head": bytes(32), "frontier": b""},
    )
