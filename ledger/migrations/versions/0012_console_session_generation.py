"""Console sessions revoked on the server: `console_users.session_generation`, a counter that
every sign-out, password change and deactivation increments. A session remembers the
generation it began in (web/auth.py), so a cookie saved before `/logout` opens nothing after
it (issue 13, break 3: the cookie lived its 12 hours whatever the user did).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.add_column("console_users", sa.Column("session_generation", sa.Integer(),
                                             nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("console_users") as batch:
        batch.drop_column("session_generation")
