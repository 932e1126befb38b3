"""Scenarios: saved what-if plans, append-only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

``scenario`` keeps a named plan of fixes (:mod:`readiness.whatif`), the pilots it applies to, the model it was
made under, and who saved it when. A scenario is a projection: no snapshot refers to it and saving one changes
no history. Rows are append-only like the history's: saving a name again adds its next version (unique per
name), and the latest version is the scenario. UPDATE, DELETE and TRUNCATE are refused on both engines, and on
SQLite ``INSERT OR REPLACE`` too (it would delete the row it replaces without firing a DELETE trigger).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``scenario`` with its append-only triggers."""
    op.create_table(
        "scenario",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("identity_subject", sa.String(length=320), nullable=True),
        sa.Column("identity_email", sa.String(length=320), nullable=True),
        sa.Column("identity_source", sa.String(length=10), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_scenario_version")),
        sa.PrimaryKeyConstraint("id", name="pk_scenario"),
        sa.UniqueConstraint("name", "version", name="uq_scenario_name_version"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # readiness_refuse_change() is the function of revision 0001.
        op.execute(
            "CREATE TRIGGER trg_scenario_append_only BEFORE UPDATE OR DELETE ON scenario "
            "FOR EACH ROW EXECUTE FUNCTION readiness_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER trg_scenario_no_truncate BEFORE TRUNCATE ON scenario "
            "FOR EACH STATEMENT EXECUTE FUNCTION readiness_refuse_change()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER trg_scenario_no_{operation.lower()} BEFORE {operation} ON scenario "
            f"BEGIN SELECT RAISE(ABORT, 'scenario is append-only: {operation} is refused'); END"
        )
    # Either key taken means REPLACE would delete a row: the id, or the name's version.
    op.execute(
        "CREATE TRIGGER trg_scenario_no_replace BEFORE INSERT ON scenario "
        "WHEN EXISTS (SELECT 1 FROM scenario WHERE id = NEW.id OR (name = NEW.name AND version = NEW.version)) "
        "BEGIN SELECT RAISE(ABORT, 'scenario is append-only: replacing a row is refused'); END"
    )


def downgrade() -> None:
    """Drop ``scenario`` (its triggers go with it)."""
    op.drop_table("scenario")
