"""Sign-in and roles: the grant table, and the writing identity on snapshots and audit entries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The identity columns are added with plain ``ALTER TABLE ... ADD COLUMN`` on both engines (nullable, no
default), never through batch mode: on SQLite batch mode would recreate ``snapshot`` and ``audit_log`` and
drop the append-only triggers of 0001 with the old tables. Entries written before this revision keep NULL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IDENTITY_TABLES = ("snapshot", "audit_log")
IDENTITY_COLUMNS = ("identity_subject", "identity_email", "identity_source")


def upgrade() -> None:
    """Create ``grant``; add who wrote each snapshot and audit entry."""
    op.create_table(
        "grant",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("principal", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("scope_kind", sa.String(length=10), nullable=False),
        sa.Column("scope_value", sa.String(length=200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=320), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'contributor', 'admin')", name=op.f("ck_grant_role")),
        sa.CheckConstraint("scope_kind IN ('all', 'team', 'unit')", name=op.f("ck_grant_scope_kind")),
        sa.CheckConstraint("(scope_kind = 'all') = (scope_value = '')", name=op.f("ck_grant_scope_value")),
        sa.PrimaryKeyConstraint("id", name="pk_grant"),
        sa.UniqueConstraint("principal", "role", "scope_kind", "scope_value", name="uq_grant_principal_role_scope"),
    )
    for table in IDENTITY_TABLES:
        op.add_column(table, sa.Column("identity_subject", sa.String(length=320), nullable=True))
        op.add_column(table, sa.Column("identity_email", sa.String(length=320), nullable=True))
        op.add_column(table, sa.Column("identity_source", sa.String(length=10), nullable=True))


def downgrade() -> None:
    """Drop ``grant`` and the identity columns (SQLite 3.35+ drops a column in place, keeping the triggers)."""
    for table in IDENTITY_TABLES:
        for column in reversed(IDENTITY_COLUMNS):
            op.drop_column(table, column)
    op.drop_table("grant")
