"""Storage and history: immutable assessment snapshots in SQLite (embedded) or PostgreSQL (shared).

The repository API of the core (no streamlit here). Typical use::

    engine = open_store()                      # --db / READINESS_DATABASE_URL / data/readiness.db, migrated
    add_assessments(engine, assessments, source="excel", actor="ana@example.com", source_hash=sha)
    frame = portfolio_frame(engine)            # the portfolio, as readiness.portfolio.score_frame takes it
"""

from __future__ import annotations

from sqlalchemy import Engine

from readiness.store.backup import RestoreResult, backup, restore
from readiness.store.engine import (
    ENV_VAR,
    database_files,
    database_url,
    describe_database,
    is_sqlite,
    make_engine,
    redact,
)
from readiness.store.frame import portfolio_frame, snapshot_index
from readiness.store.migrate import MigrationResult, current_revision, head_revision, migrate
from readiness.store.repository import (
    AddResult,
    AuditEntry,
    PilotRecord,
    StoredAssessment,
    WrittenBy,
    add_assessment,
    add_assessments,
    all_assessments,
    audit_entries,
    count_rows,
    get_pilot,
    get_snapshot,
    is_empty,
    latest_assessments,
    list_pilots,
    pilot_history,
    recent_pilot_snapshots,
    save_pilot,
)
from readiness.store.version import data_version


def open_store(explicit_url: str | None = None) -> Engine:
    """An engine on the store (see :func:`database_url`), migrated to the latest schema."""
    engine = make_engine(database_url(explicit_url))
    migrate(engine)
    return engine


__all__ = [
    "ENV_VAR",
    "AddResult",
    "AuditEntry",
    "MigrationResult",
    "PilotRecord",
    "RestoreResult",
    "StoredAssessment",
    "WrittenBy",
    "add_assessment",
    "add_assessments",
    "all_assessments",
    "audit_entries",
    "backup",
    "count_rows",
    "current_revision",
    "data_version",
    "database_files",
    "database_url",
    "describe_database",
    "get_pilot",
    "get_snapshot",
    "head_revision",
    "is_empty",
    "is_sqlite",
    "latest_assessments",
    "list_pilots",
    "make_engine",
    "migrate",
    "open_store",
    "pilot_history",
    "portfolio_frame",
    "recent_pilot_snapshots",
    "redact",
    "restore",
    "save_pilot",
    "snapshot_index",
]
