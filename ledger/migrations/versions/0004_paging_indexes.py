"""Indexes for the console's lists: keyset paging with a tie-breaker, lots by state and age,
a lot's contents in entry order; labels and lot ids compared byte-wise on PostgreSQL (exact
prefixes, and joins between those columns that use their indexes).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.drop_index("ix_units_received_at", "units")
    op.drop_index("ix_units_state_received_at", "units")
    op.drop_index("ix_unit_outputs_lot", "unit_outputs")
    op.create_index(op.f("ix_units_received_at_label"), "units", ["received_at", "label"])
    op.create_index(op.f("ix_units_state_received_at_label"), "units",
                    ["state", "received_at", "label"])
    op.create_index(op.f("ix_unit_outputs_lot_idx"), "unit_outputs", ["lot", "idx"])
    op.create_index(op.f("ix_lots_first_index"), "lots", ["first_index"])
    op.create_index(op.f("ix_lots_state_first_index"), "lots", ["state", "first_index"])
    if op.get_bind().dialect.name == "postgresql":
        for table, column in (("units", "label"), ("lots", "lot"), ("unit_outputs", "label"),
                              ("unit_outputs", "lot"), ("refrigerant_recoveries", "label")):
            op.alter_column(table, column, type_=sa.String(130, collation="C"))
