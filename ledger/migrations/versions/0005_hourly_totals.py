"""The dashboard's hourly roll-up, `hourly_totals` (see ledger/hourly.py), filled from the read
models already there: the roll-up is a function of the unit, output and recovery rows, so one
grouped INSERT per figure derives it without replaying the log. The SQL is frozen here (it
must keep meaning what it meant at 0005); tests/test_projections.py checks that it yields
what the projector keeps.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

FILL = {
    "received": """
        SELECT 'received', SUBSTR(received_at, 1, 13), '', intake_station, '', '', '',
               COUNT(*), SUM(gross_g), 0, 0, 0, 0, 0
        FROM units GROUP BY SUBSTR(received_at, 1, 13), intake_station""",
    "completed": """
        SELECT 'completed', SUBSTR(completed_at, 1, 13), category,
               COALESCE(completed_station, ''), '', '', '', COUNT(*), SUM(gross_g),
               SUM(outputs_g), SUM(refrigerant_g), 0, 0, 0
        FROM units WHERE completed_at IS NOT NULL
        GROUP BY SUBSTR(completed_at, 1, 13), category, COALESCE(completed_station, '')""",
    "recovered": """
        SELECT 'recovered', SUBSTR(at, 1, 13), '', station, '', refrigerant, '', COUNT(*),
               0, 0, SUM(recovered_g), 0, 0, COALESCE(SUM(nameplate_charge_g), 0)
        FROM refrigerant_recoveries GROUP BY SUBSTR(at, 1, 13), station, refrigerant""",
    "output": """
        SELECT 'output', SUBSTR(at, 1, 13), '', station, kind, code, COALESCE(lot, ''),
               COUNT(*), 0, 0, 0, COALESCE(SUM(mass_g), 0), COALESCE(SUM(count), 0), 0
        FROM unit_outputs GROUP BY SUBSTR(at, 1, 13), station, kind, code, COALESCE(lot, '')""",
    "yield": """
        SELECT 'yield', SUBSTR(u.completed_at, 1, 13), u.category, '', o.kind, o.code,
               COALESCE(o.lot, ''), COUNT(*), 0, 0, 0, COALESCE(SUM(o.mass_g), 0), 0, 0
        FROM units u JOIN unit_outputs o ON o.label = u.label
        WHERE u.completed_at IS NOT NULL
        GROUP BY SUBSTR(u.completed_at, 1, 13), u.category, o.kind, o.code,
                 COALESCE(o.lot, '')""",
}
COLUMNS = ("figure, hour, category, station, kind, code, lot, n, gross_g, outputs_g, "
           "refrigerant_g, mass_g, count, nameplate_g")


def upgrade() -> None:
    op.create_table(
        "hourly_totals",
        sa.Column("figure", sa.String(16), nullable=False),
        sa.Column("hour", sa.String(13), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("station", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("lot", sa.String(130).with_variant(sa.String(130, collation="C"), "postgresql"),
                  nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False)
          for name in ("n", "gross_g", "outputs_g", "refrigerant_g", "mass_g", "count",
                       "nameplate_g")),
        sa.PrimaryKeyConstraint("figure", "hour", "category", "station", "kind", "code", "lot",
                                name=op.f("pk_hourly_totals")),
        sqlite_with_rowid=False,
    )
    for select in FILL.values():
        op.execute(f"INSERT INTO hourly_totals ({COLUMNS}) {select}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE hourly_totals")  # planned with statistics from the first query on
