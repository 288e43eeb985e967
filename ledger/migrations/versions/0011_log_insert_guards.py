"""The database itself refuses any insert into the log tables other than the append path's:
an entry that is not the next one below the head, a node or checkpoint that exists or lies
beyond the head, a second head, a head that shrinks or is deleted (ledger.schema's insert
guards; issue 13: SQLite's INSERT OR REPLACE rewrote entries past the UPDATE/DELETE triggers).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    from ledger.schema import insert_guards

    bind = op.get_bind()
    schema = None
    if bind.dialect.name == "postgresql":
        schema = bind.execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    for statement in insert_guards(bind.dialect.name, schema or "public"):
        op.execute(sa.text(statement))


def downgrade() -> None:
    raise NotImplementedError("the log's guards are never removed")
