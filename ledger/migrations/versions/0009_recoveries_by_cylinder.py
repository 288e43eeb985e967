"""A cylinder's latest recovery found through an index (the console's cylinder list shows each
cylinder's gross after its last recovery), not by reading every recovery row.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_index(op.f("ix_refrigerant_recoveries_cylinder_idx"), "refrigerant_recoveries",
                    ["cylinder", "idx"])


def downgrade() -> None:
    op.drop_index(op.f("ix_refrigerant_recoveries_cylinder_idx"), "refrigerant_recoveries")
