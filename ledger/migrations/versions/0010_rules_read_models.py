"""Read models for the rules (ledger/rules/): calibration checks, catalogue versions, computed
flags with their reviews, stations' refusal records, and each recovery's cylinder gross
after. Written out by hand (reviewed here and in schema.sql).

The new rows are derived from the entries; migration 0015 rebuilds every projection from the
log (a rebuild here would write columns that do not exist yet).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"

ENTRY_INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _label(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.add_column("refrigerant_recoveries",
                  sa.Column("cylinder_gross_after_g", sa.BigInteger(), nullable=True))
    op.create_table(
        "scale_checks",
        sa.Column("idx", ENTRY_INDEX, autoincrement=False, nullable=False),
        sa.Column("scale", sa.String(130), nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_scale_checks")),
    )
    op.create_index(op.f("ix_scale_checks_scale_passed_at"), "scale_checks",
                    ["scale", "passed", "at"])
    op.create_table(
        "catalogues",
        sa.Column("idx", ENTRY_INDEX, autoincrement=False, nullable=False),
        sa.Column("version", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("published_at", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_catalogues")),
    )
    op.create_table(
        "rule_flags",
        sa.Column("subject", _label(140), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("flag_key", sa.String(130), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("raised_index", sa.BigInteger(), nullable=False),
        sa.Column("raised_at", sa.String(24), nullable=False),
        sa.Column("resolution", sa.String(16), nullable=True),
        sa.Column("review_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subject", "code", "flag_key", name=op.f("pk_rule_flags")),
    )
    op.create_index(op.f("ix_rule_flags_raised_at"), "rule_flags", ["raised_at"])
    op.create_index(op.f("ix_rule_flags_resolution_raised_at"), "rule_flags",
                    ["resolution", "raised_at"])
    op.create_table(
        "refusals",
        sa.Column("idx", ENTRY_INDEX, autoincrement=False, nullable=False),
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("attempted", sa.String(64), nullable=False),
        sa.Column("about", _label(140), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_refusals")),
    )
    op.create_index(op.f("ix_refusals_at_rule"), "refusals", ["at", "rule"])


def downgrade() -> None:
    for table in ("refusals", "rule_flags", "catalogues", "scale_checks"):
        op.drop_table(table)
    op.drop_column("refrigerant_recoveries", "cylinder_gross_after_g")
