"""Measured evidence: a metric value's evidence reference and level, and the provenance of measured values.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

``metric_value`` gains ``evidence`` (the report a typed value comes from), ``documented`` and ``measured``
(the level the value's evidence earns, stored so that the portfolio frame reads no text). The new table
``measurement`` keeps, for each measured value, the provenance of the evidence file it was computed from.
Values stored before this revision read as self-reported: nothing recorded what backed them.

Columns are added with plain ``ALTER TABLE ... ADD COLUMN`` on both engines, never through batch mode (on
SQLite batch mode would recreate ``metric_value`` and drop its append-only triggers).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the evidence columns to ``metric_value``; create ``measurement``, append-only like the rest of history."""
    op.add_column("metric_value", sa.Column("evidence", sa.Text(), nullable=True))
    op.add_column("metric_value", sa.Column("documented", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("metric_value", sa.Column("measured", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "measurement",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"], name="fk_measurement_snapshot_id_snapshot"),
        sa.PrimaryKeyConstraint("snapshot_id", "metric_id", name="pk_measurement"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # readiness_refuse_change() is the function of revision 0001.
        op.execute(
            "CREATE TRIGGER trg_measurement_append_only BEFORE UPDATE OR DELETE ON measurement "
            "FOR EACH ROW EXECUTE FUNCTION readiness_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER trg_measurement_no_truncate BEFORE TRUNCATE ON measurement "
            "FOR EACH STATEMENT EXECUTE FUNCTION readiness_refuse_change()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER trg_measurement_no_{operation.lower()} BEFORE {operation} ON measurement "
            f"BEGIN SELECT RAISE(ABORT, 'measurement is append-only: {operation} is refused'); END"
        )


def downgrade() -> None:
    """Drop ``measurement`` and the evidence columns (SQLite 3.35+ drops a column in place, keeping triggers)."""
    op.drop_table("measurement")
    for column in ("measured", "documented", "evidence"):
        op.drop_column("metric_value", column)
