"""Console accounts: the console's users and its login throttle (see ledger/tables.py).

Written out by hand, not generated, so that the DDL is reviewed here and in schema.sql; the
constraint names are the ones the models' naming convention gives.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_console_users")),
        sa.CheckConstraint("role IN ('worker', 'manager', 'inspector', 'admin')",
                           name=op.f("ck_console_users_role")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_address_at"), "login_failures", ["address", "at"])
    op.create_index(op.f("ix_login_failures_name_at"), "login_failures", ["name", "at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("console_users")
