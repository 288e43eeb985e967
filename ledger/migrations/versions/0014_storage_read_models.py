"""Storage read models (issue 15, point 3): each unit's zone and whether it is set aside,
every move of a unit between zones (`unit_moves`), and each lot's zone and shipping time, so
the console can hold a stock count against the book at the count's moment. Written out by
hand (reviewed here and in schema.sql).

The new columns are derived from the entries (a lot's shipping time, too); migration 0015
rebuilds every projection from the log (a rebuild here would write columns that do not exist
yet).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"

ENTRY_INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LABEL = sa.String(130).with_variant(sa.String(130, collation="C"), "postgresql")


def upgrade() -> None:
    op.add_column("units", sa.Column("zone", sa.String(64), nullable=True))
    op.add_column("units", sa.Column("aside_since", sa.String(24), nullable=True))
    op.add_column("lots", sa.Column("zone", sa.String(64), nullable=True))
    op.add_column("lots", sa.Column("shipped_at", sa.String(24), nullable=True))
    op.create_table(
        "unit_moves",
        sa.Column("idx", ENTRY_INDEX, autoincrement=False, nullable=False),
        sa.Column("label", LABEL, nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_unit_moves")),
    )
    op.create_index(op.f("ix_unit_moves_label_at"), "unit_moves", ["label", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_moves_label_at"), table_name="unit_moves")
    op.drop_table("unit_moves")
    for table, column in (("lots", "shipped_at"), ("lots", "zone"), ("units", "aside_since"),
                          ("units", "zone")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
