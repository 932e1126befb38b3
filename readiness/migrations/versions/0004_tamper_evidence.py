"""Tamper evidence and retraction: the audit log as a hash chain, INSERT OR REPLACE refused, pilot names fixed,
and the append-only ``retraction`` table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

- ``audit_log`` gains ``prev_hash`` and ``row_hash`` (:mod:`readiness.store.chain`). Entries written before
  this revision are chained here, in id order, so that an upgraded store verifies from its first entry on; the
  append-only trigger is set aside for that one backfill and put back.
- On SQLite, ``INSERT OR REPLACE`` deletes the row it replaces without firing DELETE triggers: a BEFORE INSERT
  trigger on every history table now refuses a row whose key is already taken. (PostgreSQL has no REPLACE; its
  ``ON CONFLICT DO UPDATE`` fires the UPDATE triggers, which refuse it.)
- A pilot's name never changes (snapshots carry the name they were taken under): UPDATE of ``pilot.name`` is
  refused on both engines.
- ``retraction``: an admin's retraction or reinstatement of a snapshot, with who, when and why. Append-only:
  a retracted snapshot stays in the record, and reinstating it is another row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here as they were at this revision (a migration never imports code that may change later).
HASHED_FIELDS = ("at", "actor", "action", "object", "source_hash", "detail", "identity_subject", "identity_email",
                 "identity_source")  # fmt: skip
GENESIS = "0" * 64
# Each history table and the columns of its key.
HISTORY_KEYS = {
    "audit_log": ("id",),
    "snapshot": ("id",),
    "answer": ("snapshot_id", "question_id"),
    "metric_value": ("snapshot_id", "metric_id"),
    "measurement": ("snapshot_id", "metric_id"),
    "retraction": ("id",),
}


def _time(at: datetime | str) -> str:
    if isinstance(at, str):  # SQLite without declared types hands back text
        at = datetime.fromisoformat(at)
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash(prev_hash: str, row: dict) -> str:
    values = [_time(row["at"]) if name == "at" else row[name] for name in HASHED_FIELDS]
    payload = json.dumps([prev_hash, *values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def upgrade() -> None:
    """Chain the audit log, refuse REPLACE and renames, create ``retraction``."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "retraction",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=True),
        sa.CheckConstraint("action IN ('retract', 'reinstate')", name=op.f("ck_retraction_action")),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"], name="fk_retraction_snapshot_id_snapshot"),
        sa.PrimaryKeyConstraint("id", name="pk_retraction"),
    )
    op.create_index("ix_retraction_snapshot_id", "retraction", ["snapshot_id"])
    _backfill_chain(bind, postgres)
    if postgres:
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _backfill_chain(bind: sa.engine.Connection, postgres: bool) -> None:
    columns = ", ".join(("id", *HASHED_FIELDS))
    rows = bind.execute(sa.text(f"SELECT {columns} FROM audit_log ORDER BY id")).mappings().all()
    if not rows:
        return
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER trg_audit_log_append_only")
    else:
        op.execute("DROP TRIGGER trg_audit_log_no_update")
    previous, updates = GENESIS, []
    for row in rows:
        row_hash = _hash(previous, dict(row))
        updates.append({"id": row["id"], "prev": previous, "hash": row_hash})
        previous = row_hash
    bind.execute(sa.text("UPDATE audit_log SET prev_hash = :prev, row_hash = :hash WHERE id = :id"), updates)
    if postgres:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER trg_audit_log_append_only")
    else:
        op.execute(
            "CREATE TRIGGER trg_audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is refused'); END"
        )


def _postgres_triggers() -> None:
    # readiness_refuse_change() is the function of revision 0001.
    op.execute(
        "CREATE TRIGGER trg_retraction_append_only BEFORE UPDATE OR DELETE ON retraction "
        "FOR EACH ROW EXECUTE FUNCTION readiness_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER trg_retraction_no_truncate BEFORE TRUNCATE ON retraction "
        "FOR EACH STATEMENT EXECUTE FUNCTION readiness_refuse_change()"
    )
    op.execute(
        """
        CREATE FUNCTION readiness_refuse_rename() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'a pilot''s name never changes: renaming % is refused', OLD.name
                USING ERRCODE = 'integrity_constraint_violation';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_pilot_no_rename BEFORE UPDATE OF name ON pilot FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION readiness_refuse_rename()"
    )


def _sqlite_triggers() -> None:
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER trg_retraction_no_{operation.lower()} BEFORE {operation} ON retraction "
            f"BEGIN SELECT RAISE(ABORT, 'retraction is append-only: {operation} is refused'); END"
        )
    for table, key in HISTORY_KEYS.items():
        same_key = " AND ".join(f"{column} = NEW.{column}" for column in key)
        op.execute(
            f"CREATE TRIGGER trg_{table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_key}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: replacing a row is refused'); END"
        )
    op.execute(
        "CREATE TRIGGER trg_pilot_no_rename BEFORE UPDATE OF name ON pilot WHEN OLD.name IS NOT NEW.name "
        "BEGIN SELECT RAISE(ABORT, 'a pilot''s name never changes: renaming is refused'); END"
    )


def downgrade() -> None:
    """Drop ``retraction``, the new triggers and the chain columns (the chain is lost; the entries stay)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER trg_pilot_no_rename ON pilot")
        op.execute("DROP FUNCTION readiness_refuse_rename()")
    else:
        op.execute("DROP TRIGGER trg_pilot_no_rename")
        for table in HISTORY_KEYS:
            if table != "retraction":
                op.execute(f"DROP TRIGGER trg_{table}_no_replace")
    op.drop_index("ix_retraction_snapshot_id", table_name="retraction")
    op.drop_table("retraction")
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
