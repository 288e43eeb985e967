"""Covering indexes for what the dashboard still reads per unit over a range (cycle times,
mass balance, low recovery): the rows of a month are found and read from the index alone,
instead of one visit to the table per unit or recovery (SQLite; PostgreSQL where the
visibility map allows an index-only scan). They replace the single-column indexes on the
same first column.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.drop_index("ix_units_completed_at", "units")
    op.create_index("ix_units_completed_at_figures", "units",
                    ["completed_at", "category", "received_at", "gross_g", "outputs_g",
                     "refrigerant_g"])
    op.drop_index("ix_refrigerant_recoveries_at", "refrigerant_recoveries")
    op.create_index("ix_refrigerant_recoveries_at_figures", "refrigerant_recoveries",
                    ["at", "label", "refrigerant", "recovered_g", "nameplate_charge_g",
                     "station"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE units")
        op.execute("ANALYZE refrigerant_recoveries")
