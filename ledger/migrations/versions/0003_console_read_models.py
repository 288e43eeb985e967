"""Read models for the console: unit outputs, refrigerant recoveries, scales, and more columns
on units and stations. Written out by hand (reviewed here and in schema.sql).

The new rows are derived from the entries; migration 0010 rebuilds every projection from the
log (a rebuild here would write columns that do not exist yet).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

ENTRY_INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for name, column_type in (("serial", sa.String(500)),
                              ("nameplate_refrigerant", sa.String(20)),
                              ("nameplate_charge_g", sa.BigInteger()),
                              ("completed_station", sa.String(32))):
        op.add_column("units", sa.Column(name, column_type, nullable=True))
    op.create_index(op.f("ix_units_completed_at"), "units", ["completed_at"])
    op.create_index(op.f("ix_units_serial"), "units", ["serial"])
    op.create_index(op.f("ix_units_state_received_at"), "units", ["state", "received_at"])
    op.add_column("stations", sa.Column("last_seen_at", sa.String(24), nullable=True))
    op.add_column("stations", sa.Column("last_seen_index", sa.BigInteger(), nullable=True))
    op.create_table(
        "unit_outputs",
        sa.Column("idx", ENTRY_INDEX, autoincrement=False, nullable=False),
        sa.Column("label", sa.String(130), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("lot", sa.String(130), nullable=True),
        sa.Column("mass_g", sa.BigInteger(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_unit_outputs")),
    )
    for column in ("label", "lot", "at"):
        op.create_index(op.f(f"ix_unit_outputs_{column}"), "unit_outputs", [column])
    op.create_table(
        "refrigerant_recoveries",
        sa.Column("idx", ENTRY_INDEX, autoincrement=False, nullable=False),
        sa.Column("label", sa.String(130), nullable=False),
        sa.Column("refrigerant", sa.String(20), nullable=False),
        sa.Column("recovered_g", sa.BigInteger(), nullable=False),
        sa.Column("nameplate_charge_g", sa.BigInteger(), nullable=True),
        sa.Column("cylinder", sa.String(64), nullable=False),
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_refrigerant_recoveries")),
    )
    for column in ("label", "at"):
        op.create_index(op.f(f"ix_refrigerant_recoveries_{column}"), "refrigerant_recoveries",
                        [column])
    op.create_table(
        "scales",
        sa.Column("scale", sa.String(130), nullable=False),
        sa.Column("last_check_at", sa.String(24), nullable=False),
        sa.Column("last_check_passed", sa.Boolean(), nullable=False),
        sa.Column("last_pass_at", sa.String(24), nullable=True),
        sa.Column("last_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scale", name=op.f("pk_scales")),
    )
