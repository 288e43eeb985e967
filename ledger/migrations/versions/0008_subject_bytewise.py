"""Entry subjects compared byte-wise on PostgreSQL, as labels already are (0004): the console
finds all subjects of a kind with a prefix range on the (subject, idx) index
(`subject >= 'cert:' AND subject < 'cert;'`), which under a language collation (say
zh_CN.UTF-8, where punctuation is ignored at first) would miss rows. SQLite already compares
byte-wise. Altering the column's type rewrites the table and its index once; the append-only
triggers are about rows and are not involved.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("ledger_entries", "subject", type_=sa.String(140, collation="C"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("ledger_entries", "subject", type_=sa.String(140))
