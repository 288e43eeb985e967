"""Desktop sets (issue 15, point 1): each unit's effective `set_with`, indexed, so the rules
find at intake the units that already name one (two hosts never claim one monitor,
ledger/rules/sets.py). Written out by hand (reviewed here and in schema.sql).

The column is derived from the entries, so the migration ends by rebuilding every projection
from the log (the one rebuild of the migration chain: 0014 no longer rebuilds).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"

LABEL = sa.String(130).with_variant(sa.String(130, collation="C"), "postgresql")


def upgrade() -> None:
    op.add_column("units", sa.Column("set_with", LABEL, nullable=True))
    op.create_index(op.f("ix_units_set_with"), "units", ["set_with"])
    from ledger.projections import rebuild
    from ledger.store import Tx

    bind = op.get_bind()
    rebuild(Tx(bind.connection, bind.dialect.name))


def downgrade() -> None:
    op.drop_index(op.f("ix_units_set_with"), table_name="units")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("set_with")
