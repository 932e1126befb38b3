"""Initial schema: pilot registry, immutable snapshots with answers and metric values, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows of these tables never change once written; the database itself refuses UPDATE and DELETE.
IMMUTABLE_TABLES = ("audit_log", "snapshot", "answer", "metric_value")
STAGES = "'pilot', 'scaling', 'production', 'paused', 'retired'"


def upgrade() -> None:
    """Create the tables, then the triggers that make history append-only."""
    op.create_table(
        "pilot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        *_context_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"stage IN ({STAGES})", name=op.f("ck_pilot_stage")),
        sa.PrimaryKeyConstraint("id", name="pk_pilot"),
        sa.UniqueConstraint("name", name="uq_pilot_name"),
    )
    op.create_table(
        "snapshot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("submitted_by", sa.String(length=320), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=True),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        *_context_columns(),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("overall", sa.Float(), nullable=False),
        sa.Column("score", sa.JSON(), nullable=False),
        sa.CheckConstraint("source IN ('app', 'excel', 'cli')", name=op.f("ck_snapshot_source")),
        sa.CheckConstraint(f"stage IN ({STAGES})", name=op.f("ck_snapshot_stage")),
        sa.CheckConstraint("verdict IN ('not_ready', 'conditional', 'ready')", name=op.f("ck_snapshot_verdict")),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilot.id"], name="fk_snapshot_pilot_id_pilot"),
        sa.PrimaryKeyConstraint("id", name="pk_snapshot"),
        sa.UniqueConstraint("pilot_id", "content_hash", name="uq_snapshot_pilot_id_content_hash"),
    )
    op.create_index("ix_snapshot_as_of", "snapshot", ["as_of"], unique=False)
    op.create_index("ix_snapshot_pilot_id_as_of", "snapshot", ["pilot_id", "as_of"], unique=False)
    op.create_table(
        "answer",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("documented", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('yes', 'no', 'not_sure', 'n_a')", name=op.f("ck_answer_answer")
        ),
        sa.CheckConstraint("answer IS NOT NULL OR evidence IS NOT NULL", name=op.f("ck_answer_answer_or_evidence")),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"], name="fk_answer_snapshot_id_snapshot"),
        sa.PrimaryKeyConstraint("snapshot_id", "question_id", name="pk_answer"),
    )
    op.create_table(
        "metric_value",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"], name="fk_metric_value_snapshot_id_snapshot"),
        sa.PrimaryKeyConstraint("snapshot_id", "metric_id", name="pk_metric_value"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object", sa.String(length=300), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    _create_append_only_triggers()


def downgrade() -> None:
    """Drop everything (the triggers go with their tables; the PostgreSQL function is dropped last)."""
    op.drop_table("metric_value")
    op.drop_table("answer")
    op.drop_index("ix_snapshot_pilot_id_as_of", table_name="snapshot")
    op.drop_index("ix_snapshot_as_of", table_name="snapshot")
    op.drop_table("snapshot")
    op.drop_table("pilot")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION readiness_refuse_change()")


def _context_columns() -> list[sa.Column]:
    """The pilot context of readiness.assessment.PilotContext, besides its name."""
    return [
        sa.Column("business_unit", sa.String(length=200), nullable=True),
        sa.Column("owning_team", sa.String(length=200), nullable=True),
        sa.Column("executive_sponsor", sa.String(length=200), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("expected_annual_value", sa.Float(), nullable=True),
        sa.Column("monthly_run_cost", sa.Float(), nullable=True),
        sa.Column("peak_concurrent_users", sa.BigInteger(), nullable=True),
    ]


def _create_append_only_triggers() -> None:
    # Batch mode on SQLite recreates a table to alter it and the copy has no trigger: a later migration
    # that batch-alters one of these tables must create its triggers again.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION readiness_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """
        )
        for table in IMMUTABLE_TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION readiness_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION readiness_refuse_change()"
            )
        return
    for table in IMMUTABLE_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} is refused'); END"
            )
