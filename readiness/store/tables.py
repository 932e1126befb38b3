"""The store's tables: the pilot registry, immutable assessment snapshots with their answers and metric
values, the append-only audit log, and saved what-if scenarios.

Every constraint has an explicit name (Alembic needs names to alter constraints, and SQLite's batch mode
needs them to recreate tables). The tables live in their own metadata so that nothing else registered
on SQLModel's global metadata leaks into migrations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from readiness.assessment import STAGES
from readiness.scoring import VERDICT_ORDER

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)

SOURCES = ("app", "excel", "cli")
ANSWERS = ("yes", "no", "not_sure", "n_a")
STAGE_VALUES: tuple[str, ...] = STAGES
VERDICTS: tuple[str, ...] = VERDICT_ORDER
# JSON as text on both engines, not JSONB: JSONB keeps numbers as numerics and gives 1.9e16 back as an
# integer, so the issued score would not read back equal to what was issued.
ScoreJSON = JSON()


def utcnow() -> datetime:
    """The current time in UTC (stored timestamps are always UTC)."""
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class StoreModel(SQLModel, registry=registry(metadata=metadata)):
    """Base of the store's tables, bound to the store's own metadata."""


class PilotContextColumns(StoreModel):
    """The pilot's context, as the registry holds it now and as each snapshot held it then (the stage of
    the day decides the "stalled" flag). Declared once; each table gets its own columns from it."""

    name: str = Field(sa_type=String(200), nullable=False)
    business_unit: str | None = Field(default=None, sa_type=String(200))
    owning_team: str | None = Field(default=None, sa_type=String(200))
    executive_sponsor: str | None = Field(default=None, sa_type=String(200))
    stage: str = Field(sa_type=String(20), nullable=False)
    start_date: date | None = Field(default=None, sa_type=Date)
    expected_annual_value: float | None = Field(default=None, sa_type=Float)
    monthly_run_cost: float | None = Field(default=None, sa_type=Float)
    peak_concurrent_users: int | None = Field(default=None, sa_type=BigInteger)


class PilotRow(PilotContextColumns, table=True):
    """The pilot registry: one row per pilot, holding its current context (that of its latest snapshot
    unless someone edited it since)."""

    __tablename__ = "pilot"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_pilot"),
        UniqueConstraint("name", name="uq_pilot_name"),
        CheckConstraint(_in("stage", STAGE_VALUES), name="stage"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer, autoincrement=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column("created_at", DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column("updated_at", DateTime(timezone=True), nullable=False)
    )


class SnapshotRow(PilotContextColumns, table=True):
    """One dated, immutable assessment of one pilot, with the pilot's context as it was then and the
    score as it was issued. Corrections are new snapshots."""

    __tablename__ = "snapshot"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_snapshot"),
        UniqueConstraint("pilot_id", "content_hash", name="uq_snapshot_pilot_id_content_hash"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint(_in("stage", STAGE_VALUES), name="stage"),
        CheckConstraint(_in("verdict", VERDICTS), name="verdict"),
        Index("ix_snapshot_pilot_id_as_of", "pilot_id", "as_of"),
        Index("ix_snapshot_as_of", "as_of"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer, autoincrement=True))
    pilot_id: int = Field(
        sa_column=Column("pilot_id", Integer, ForeignKey("pilot.id", name="fk_snapshot_pilot_id_pilot"), nullable=False)
    )
    as_of: date = Field(sa_column=Column("as_of", Date, nullable=False))
    submitted_by: str | None = Field(default=None, sa_column=Column("submitted_by", String(320)))
    source: str = Field(sa_column=Column("source", String(10), nullable=False))
    content_hash: str = Field(sa_column=Column("content_hash", String(64), nullable=False))
    source_hash: str | None = Field(default=None, sa_column=Column("source_hash", String(64)))
    model_version: str = Field(sa_column=Column("model_version", String(40), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column("created_at", DateTime(timezone=True), nullable=False)
    )
    # The score as issued (what was shown at the time); views re-score with the current model.
    verdict: str = Field(sa_column=Column("verdict", String(20), nullable=False))
    overall: float = Field(sa_column=Column("overall", Float, nullable=False))
    score: dict[str, Any] = Field(sa_column=Column("score", ScoreJSON, nullable=False))
    # Who wrote it (migration 0002): the signed-in identity, the CLI's user or the local user; NULL before.
    identity_subject: str | None = Field(default=None, sa_column=Column("identity_subject", String(320)))
    identity_email: str | None = Field(default=None, sa_column=Column("identity_email", String(320)))
    identity_source: str | None = Field(default=None, sa_column=Column("identity_source", String(10)))


class AnswerRow(StoreModel, table=True):
    """A snapshot's answer to one question and its evidence (either may be absent, not both)."""

    __tablename__ = "answer"
    __table_args__ = (
        PrimaryKeyConstraint("snapshot_id", "question_id", name="pk_answer"),
        CheckConstraint(f"answer IS NULL OR {_in('answer', ANSWERS)}", name="answer"),
        CheckConstraint("answer IS NOT NULL OR evidence IS NOT NULL", name="answer_or_evidence"),
    )

    snapshot_id: int = Field(
        sa_column=Column(
            "snapshot_id", Integer, ForeignKey("snapshot.id", name="fk_answer_snapshot_id_snapshot"), nullable=False
        )
    )
    question_id: str = Field(sa_column=Column("question_id", String(40), nullable=False))
    answer: str | None = Field(default=None, sa_column=Column("answer", String(10)))
    evidence: str | None = Field(default=None, sa_column=Column("evidence", Text))
    # Assessment.documented() as it judged the evidence when the snapshot was written; lets the portfolio
    # frame be read without transferring every evidence text.
    documented: bool = Field(sa_column=Column("documented", Boolean, nullable=False))


class MetricValueRow(StoreModel, table=True):
    """A snapshot's value of one metric. Booleans are 1.0 / 0.0; the model's metric kind tells them apart."""

    __tablename__ = "metric_value"
    __table_args__ = (PrimaryKeyConstraint("snapshot_id", "metric_id", name="pk_metric_value"),)

    snapshot_id: int = Field(
        sa_column=Column(
            "snapshot_id",
            Integer,
            ForeignKey("snapshot.id", name="fk_metric_value_snapshot_id_snapshot"),
            nullable=False,
        )
    )
    metric_id: str = Field(sa_column=Column("metric_id", String(60), nullable=False))
    value: float = Field(sa_column=Column("value", Float, nullable=False))
    # Migration 0003: the report a typed value comes from, and the evidence level it earns (documented: a
    # reference; measured: computed by Readiness from an evidence file, see ``measurement``).
    evidence: str | None = Field(default=None, sa_column=Column("evidence", Text))
    documented: bool = Field(
        default=False, sa_column=Column("documented", Boolean, nullable=False, server_default=false())
    )
    measured: bool = Field(default=False, sa_column=Column("measured", Boolean, nullable=False, server_default=false()))


class MeasurementRow(StoreModel, table=True):
    """The provenance of a measured metric value (migration 0003): the evidence files it was computed from
    (name, size, SHA-256), the tool, the period and count they cover, and the method in words."""

    __tablename__ = "measurement"
    __table_args__ = (PrimaryKeyConstraint("snapshot_id", "metric_id", name="pk_measurement"),)

    snapshot_id: int = Field(
        sa_column=Column(
            "snapshot_id",
            Integer,
            ForeignKey("snapshot.id", name="fk_measurement_snapshot_id_snapshot"),
            nullable=False,
        )
    )
    metric_id: str = Field(sa_column=Column("metric_id", String(60), nullable=False))
    kind: str = Field(sa_column=Column("kind", String(20), nullable=False))
    provenance: dict[str, Any] = Field(sa_column=Column("provenance", ScoreJSON, nullable=False))
    method: str = Field(sa_column=Column("method", Text, nullable=False))


class AuditLogRow(StoreModel, table=True):
    """One write to the store: who, when, what, on which object, from which source file.

    Append-only: triggers refuse UPDATE and DELETE on both engines (see the initial migration).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_audit_log"),
        Index("ix_audit_log_at", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer, autoincrement=True))
    at: datetime = Field(default_factory=utcnow, sa_column=Column("at", DateTime(timezone=True), nullable=False))
    actor: str = Field(sa_column=Column("actor", String(320), nullable=False))
    action: str = Field(sa_column=Column("action", String(40), nullable=False))
    object: str = Field(sa_column=Column("object", String(300), nullable=False))
    source_hash: str | None = Field(default=None, sa_column=Column("source_hash", String(64)))
    detail: str | None = Field(default=None, sa_column=Column("detail", Text))
    # Who wrote it (migration 0002), beside ``actor``: the identity's subject, e-mail and source
    # (``sso``, ``cli`` or ``local``); NULL on entries written before.
    identity_subject: str | None = Field(default=None, sa_column=Column("identity_subject", String(320)))
    identity_email: str | None = Field(default=None, sa_column=Column("identity_email", String(320)))
    identity_source: str | None = Field(default=None, sa_column=Column("identity_source", String(10)))
    # The hash chain (migration 0004, readiness.store.chain): the previous entry's hash and this entry's own.
    prev_hash: str | None = Field(default=None, sa_column=Column("prev_hash", String(64)))
    row_hash: str | None = Field(default=None, sa_column=Column("row_hash", String(64)))


RETRACTION_ACTIONS = ("retract", "reinstate")


class RetractionRow(StoreModel, table=True):
    """An admin's retraction of a snapshot, or its reinstatement (migration 0004): who, when, why, and the import
    it belonged to when a whole import was retracted. A snapshot is retracted while its newest row here says
    ``retract``. Append-only: the snapshot and every retraction stay in the record."""

    __tablename__ = "retraction"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_retraction"),
        CheckConstraint(_in("action", RETRACTION_ACTIONS), name="action"),
        Index("ix_retraction_snapshot_id", "snapshot_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer, autoincrement=True))
    snapshot_id: int = Field(
        sa_column=Column(
            "snapshot_id", Integer, ForeignKey("snapshot.id", name="fk_retraction_snapshot_id_snapshot"), nullable=False
        )
    )
    action: str = Field(sa_column=Column("action", String(10), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column("at", DateTime(timezone=True), nullable=False))
    actor: str = Field(sa_column=Column("actor", String(320), nullable=False))
    reason: str = Field(sa_column=Column("reason", Text, nullable=False))
    batch: str | None = Field(default=None, sa_column=Column("batch", String(64)))


ROLE_VALUES = ("viewer", "contributor", "admin")
SCOPE_KINDS = ("all", "team", "unit")


class GrantRow(StoreModel, table=True):
    """A role granted to a person (migration 0002): ``principal`` is the identity provider's subject or an
    e-mail address; a contributor's grant covers one owning team or business unit (``scope_kind`` and
    ``scope_value``), a viewer's or admin's every pilot (``all`` and ``''``). Revoking deletes the row; the
    audit log keeps both events."""

    __tablename__ = "grant"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_grant"),
        UniqueConstraint("principal", "role", "scope_kind", "scope_value", name="uq_grant_principal_role_scope"),
        CheckConstraint(_in("role", ROLE_VALUES), name="role"),
        CheckConstraint(_in("scope_kind", SCOPE_KINDS), name="scope_kind"),
        CheckConstraint("(scope_kind = 'all') = (scope_value = '')", name="scope_value"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer, autoincrement=True))
    principal: str = Field(sa_column=Column("principal", String(320), nullable=False))
    role: str = Field(sa_column=Column("role", String(20), nullable=False))
    scope_kind: str = Field(sa_column=Column("scope_kind", String(10), nullable=False))
    scope_value: str = Field(sa_column=Column("scope_value", String(200), nullable=False))
    granted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column("granted_at", DateTime(timezone=True), nullable=False)
    )
    granted_by: str = Field(sa_column=Column("granted_by", String(320), nullable=False))


class ScenarioRow(StoreModel, table=True):
    """A saved what-if plan (migration 0005): its name, the pilots it applies to (``scope``: a business unit,
    chosen pilots, or every pilot), the plan (:class:`readiness.whatif.Plan` as JSON), the model it was made
    under, and who saved it when. A projection, never a change to history: no snapshot refers to it.

    Append-only like the history: saving a name again adds its next ``version``; the latest version wins."""

    __tablename__ = "scenario"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_scenario"),
        UniqueConstraint("name", "version", name="uq_scenario_name_version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer, autoincrement=True))
    name: str = Field(sa_column=Column("name", String(200), nullable=False))
    version: int = Field(sa_column=Column("version", Integer, nullable=False))
    scope: dict[str, Any] = Field(sa_column=Column("scope", ScoreJSON, nullable=False))
    plan: dict[str, Any] = Field(sa_column=Column("plan", ScoreJSON, nullable=False))
    model_version: str = Field(sa_column=Column("model_version", String(40), nullable=False))
    created_by: str = Field(sa_column=Column("created_by", String(320), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column("created_at", DateTime(timezone=True), nullable=False)
    )
    identity_subject: str | None = Field(default=None, sa_column=Column("identity_subject", String(320)))
    identity_email: str | None = Field(default=None, sa_column=Column("identity_email", String(320)))
    identity_source: str | None = Field(default=None, sa_column=Column("identity_source", String(10)))


# Tables whose rows, once written, never change: the triggers of the migrations refuse UPDATE and DELETE on them.
IMMUTABLE_TABLES = ("audit_log", "snapshot", "answer", "metric_value", "measurement", "retraction", "scenario")

# The Core tables, for set-based reads and bulk writes (no ORM object per row).
PILOT: Table = PilotRow.__table__  # type: ignore[assignment]
SNAPSHOT: Table = SnapshotRow.__table__  # type: ignore[assignment]
ANSWER: Table = AnswerRow.__table__  # type: ignore[assignment]
METRIC_VALUE: Table = MetricValueRow.__table__  # type: ignore[assignment]
MEASUREMENT: Table = MeasurementRow.__table__  # type: ignore[assignment]
AUDIT_LOG: Table = AuditLogRow.__table__  # type: ignore[assignment]
GRANT: Table = GrantRow.__table__  # type: ignore[assignment]
RETRACTION: Table = RetractionRow.__table__  # type: ignore[assignment]
SCENARIO: Table = ScenarioRow.__table__  # type: ignore[assignment]
