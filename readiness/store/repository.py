"""The repository: write assessments as immutable snapshots, read them back, and keep the audit log.

Writes are atomic (all rows of a call or none) and idempotent (the same content twice is one snapshot,
found by its content hash). Scoring happens before the transaction so that the write lock is held only
for the inserts. Reads are set-based: one query per table, never one query per row.

Pilot names
    Two names with the same :func:`~readiness.assessment.name_key` (differing only by case, spacing or
    Unicode normalisation) are the same pilot. A write attaches an assessment to the registry's pilot of
    its name's key, under the name the registry already holds (``claims  triage`` imported when
    ``Claims triage`` exists adds a snapshot of ``Claims triage``); a new pilot takes the first spelling
    its batch gives. Lookups by name (:func:`pilot_history`, :func:`get_pilot`, :func:`registry_names`)
    compare keys too. The registry's unique index is on the name as stored, so no migration was needed:
    the key is compared here (the registry is small), and on PostgreSQL creating pilots takes a
    transaction-scoped advisory lock so two writers never create two spellings of one pilot.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from readiness.assessment import (
    CONTEXT_FIELDS,
    STORED,
    Assessment,
    Measurement,
    PilotContext,
    check_against_model,
    name_key,
)
from readiness.errors import InvalidInput, Issue
from readiness.model import ReadinessModel, load_model
from readiness.scoring import issued_score
from readiness.store.chain import append_audit, serialise_writes
from readiness.store.engine import writer
from readiness.store.tables import (
    ANSWER,
    AUDIT_LOG,
    GRANT,
    MEASUREMENT,
    METRIC_VALUE,
    PILOT,
    RETRACTION,
    SNAPSHOT,
    SOURCES,
    utcnow,
)

ALL_TABLES = (PILOT, SNAPSHOT, ANSWER, METRIC_VALUE, MEASUREMENT, AUDIT_LOG, GRANT, RETRACTION)

T = TypeVar("T")
MAX_BIGINT = 2**63 - 1
ANSWER_COLUMNS = ("snapshot_id", "question_id", "answer", "evidence", "documented")
METRIC_COLUMNS = ("snapshot_id", "metric_id", "value", "evidence", "documented", "measured")
MEASUREMENT_COLUMNS = ("snapshot_id", "metric_id", "kind", "provenance", "method")
CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits
WRITE_ATTEMPTS = 5
# PostgreSQL errors that mean "another transaction got in the way; run it again".
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}
# The PostgreSQL advisory lock (transaction-scoped) taken before pilots are created: see "Pilot names".
PILOT_CREATION_LOCK = 0x52454144494E  # "READIN"


@dataclass(frozen=True)
class WrittenBy:
    """Who writes, beside the audit log's ``actor``: the identity's subject, e-mail and source (``sso`` for a
    signed-in person, ``cli`` for the command line's user, ``local`` for the dashboard without sign-in).
    Recorded on every snapshot and audit entry of the write."""

    subject: str
    email: str | None = None
    source: str | None = None

    def columns(self) -> dict[str, str | None]:
        """The ``identity_*`` columns of the snapshot and audit tables."""
        return {
            "identity_subject": self.subject[:320],
            "identity_email": self.email[:320] if self.email else None,
            "identity_source": self.source,
        }


NOBODY: dict[str, str | None] = {"identity_subject": None, "identity_email": None, "identity_source": None}


def _identity_columns(by: WrittenBy | None) -> dict[str, str | None]:
    return by.columns() if by is not None else dict(NOBODY)


@dataclass(frozen=True)
class AddResult:
    """The snapshot an assessment is stored as, and whether this call created it (False: already present)."""

    snapshot_id: int
    created: bool


@dataclass(frozen=True)
class StoredAssessment:
    """A stored snapshot: the assessment exactly as submitted, and the score as it was issued then."""

    assessment: Assessment
    snapshot_id: int
    pilot_id: int
    created_at: datetime
    source: str
    source_hash: str | None
    content_hash: str
    model_version: str
    issued_verdict: str
    issued_overall: float
    issued_score: dict[str, Any]
    written_by: WrittenBy | None = None

    def issued_under_other_model(self, model: ReadinessModel | None = None) -> bool:
        """Whether the issued score came from another model version than the current one."""
        return self.model_version != (model or load_model()).version


@dataclass(frozen=True)
class PilotRecord:
    """A pilot of the registry: its current context and how much history it has."""

    id: int
    context: PilotContext
    created_at: datetime
    updated_at: datetime
    snapshots: int
    first_as_of: date | None
    latest_as_of: date | None


@dataclass(frozen=True)
class AuditEntry:
    """One write to the store, as the append-only audit log recorded it."""

    id: int
    at: datetime
    actor: str
    action: str
    object: str
    source_hash: str | None
    detail: dict[str, Any]
    written_by: WrittenBy | None = None


@dataclass
class _Prepared:
    """An assessment validated and normalised; scored (``snapshot`` and rows filled) only when it is new."""

    assessment: Assessment
    content_hash: str
    source: str
    source_hash: str | None
    model: ReadinessModel
    snapshot: dict[str, Any] | None = None
    answers: list[tuple[str, str | None, str | None, bool]] = field(default_factory=list)
    metrics: list[tuple[str, float, str | None, bool, bool]] = field(default_factory=list)
    measurements: list[tuple[str, str, str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------


def add_assessment(
    engine: Engine,
    assessment: Assessment,
    source: str = "cli",
    actor: str | None = None,
    source_hash: str | None = None,
    origin: str | None = None,
    model: ReadinessModel | None = None,
    *,
    interface: str | None = None,
    written_by: WrittenBy | None = None,
    audit_detail: dict[str, Any] | None = None,
    supersede: bool = False,
) -> AddResult:
    """Store one assessment as a snapshot (see :func:`add_assessments`)."""
    return add_assessments(
        engine,
        [assessment],
        source,
        actor,
        source_hash,
        origin,
        model,
        interface=interface,
        written_by=written_by,
        audit_detail=audit_detail,
        supersede=supersede,
    )[0]


def add_assessments(
    engine: Engine,
    assessments: Sequence[Assessment],
    source: str = "cli",
    actor: str | None = None,
    source_hash: str | None = None,
    origin: str | None = None,
    model: ReadinessModel | None = None,
    *,
    interface: str | None = None,
    written_by: WrittenBy | None = None,
    audit_detail: dict[str, Any] | None = None,
    supersede: bool = False,
) -> list[AddResult]:
    """Store assessments as snapshots in one transaction: all of them or none.

    ``source`` is where they came from (``app``, ``excel`` or ``cli``; :mod:`readiness.service.intake`
    says how files are tagged), ``actor`` who is writing (defaults to each assessment's ``submitted_by``),
    ``source_hash`` the SHA-256 of the file they were read from, ``origin`` its name and ``interface`` the
    interface that brought it in (``app`` or ``cli``), all three recorded in the audit log; ``written_by`` the
    identity behind the write, recorded on each new snapshot and audit entry; ``audit_detail`` more to record
    in each ``snapshot.add`` entry (the evidence files a measured snapshot was computed from). Each assessment
    is validated once, without changing it. Content already stored is not stored again: its result says
    ``created=False``. The score is computed now with the current model and kept as issued. Raises
    :class:`InvalidInput` if an assessment disagrees with the model or cannot be stored.

    A pilot has one snapshot in force per day: an assessment dated the same day as a stored snapshot of its
    pilot with other content is refused, unless ``supersede`` says it replaces it; then the stored one is
    retracted (it stays in the record) in the same transaction. Content that was retracted is refused too,
    unless ``supersede``, which reinstates it.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    model = model or load_model()
    if not assessments:
        return []
    # Each pilot under the registry's name of its key (checked again in the transaction, see _write).
    assessments = with_registry_names(engine, assessments)
    prepared = [_normalise(a, source, source_hash, model) for a in assessments]
    # Score before taking the write lock, and only what is not stored yet (a re-import scores nothing).
    known = _known_contents(engine, prepared)
    for item in prepared:
        if (item.assessment.pilot.name, item.content_hash) not in known:
            _complete(item)
    audit: dict[str, Any] = {"origin": origin, "interface": interface, **(audit_detail or {})}
    return _with_retries(
        engine, lambda connection: _write(connection, prepared, actor, source_hash, audit, written_by, supersede)
    )


def save_pilot(
    engine: Engine, context: PilotContext, actor: str | None = None, written_by: WrittenBy | None = None
) -> PilotRecord:
    """Create a pilot in the registry, or update its context; audited. History is not touched.

    A name with the key of a registered pilot's updates that pilot (its name stays as registered).
    """

    def write(connection: Connection) -> str:
        now = utcnow()
        who = actor or "unknown"
        name = _registry_spellings(connection, [context.name]).get(context.name, context.name)
        named = context if name == context.name else context.model_copy(update={"name": name})
        pilots = _lock_pilots(connection, [name], {name: named}, {name: who}, now, written_by)
        pilot_id, current = pilots[name]
        _update_registry(connection, pilot_id, current, named, who, now, written_by)
        return name

    name = _with_retries(engine, write)
    record = get_pilot(engine, name)
    assert record is not None
    return record


def registry_names(engine: Engine, names: Iterable[str]) -> dict[str, str]:
    """Each of ``names`` that is a registered pilot, mapped to the name the registry holds it under: the
    same name, else the first registered name with the same :func:`~readiness.assessment.name_key`."""
    with engine.connect() as connection:
        return _registry_names(connection, names)


def with_registry_names(engine: Engine, assessments: Sequence[Assessment]) -> list[Assessment]:
    """The assessments, each under its pilot's name in the registry (see "Pilot names" above); a new
    pilot spelled in several ways in one batch takes its first spelling. Unchanged ones are kept as they are."""
    return _renamed(assessments, registry_names(engine, [a.pilot.name for a in assessments]))


def _registry_names(connection: Connection, names: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(names))
    found: dict[str, str] = {}
    for chunk in _chunks(wanted):
        exact = connection.execute(select(PILOT.c.name).where(PILOT.c.name.in_(chunk))).scalars()
        found.update((name, name) for name in exact)
    rest = [name for name in wanted if name not in found]
    if rest:
        # Compared in Python: the registry is small (thousands of pilots), and the key is not stored.
        by_key: dict[str, str] = {}
        for name in connection.execute(select(PILOT.c.name).order_by(PILOT.c.id)).scalars():
            by_key.setdefault(name_key(name), name)
        found.update((name, by_key[name_key(name)]) for name in rest if name_key(name) in by_key)
    return found


def _registry_spellings(connection: Connection, names: Iterable[str]) -> dict[str, str]:
    """:func:`_registry_names` inside a write transaction: when a name is not registered as it is, pilot
    creation is serialised first (PostgreSQL; SQLite writers already are), so that a pilot of the same key
    created by a concurrent writer is seen and no second spelling of it gets created."""
    found = _registry_names(connection, names)
    if len(found) < len(set(names)) and connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(PILOT_CREATION_LOCK)))
        found = _registry_names(connection, names)
    return found


def _renamed(assessments: Sequence[Assessment], registered: dict[str, str]) -> list[Assessment]:
    first: dict[str, str] = {}
    renamed = []
    for assessment in assessments:
        name = assessment.pilot.name
        target = registered.get(name) or first.setdefault(name_key(name), name)
        if target != name:
            assessment = assessment.model_copy(update={"pilot": assessment.pilot.model_copy(update={"name": target})})
        renamed.append(assessment)
    return renamed


def _normalise(assessment: Assessment, source: str, source_hash: str | None, model: ReadinessModel) -> _Prepared:
    """Validate an assessment once on its way in: the model's rules (which also normalise the metric
    values, into a copy: the caller's assessment is never changed), then what the databases cannot hold."""
    normalised, issues = check_against_model(assessment, model)
    issues += storage_issues(normalised)
    if any(i.severity == "error" for i in issues):
        raise InvalidInput(issues, f"{assessment.pilot.name} as of {assessment.as_of}")
    return _Prepared(normalised, normalised.content_hash(), source, source_hash, model)


def storage_issues(assessment: Assessment) -> list[Issue]:
    """What valid input the databases still cannot hold: NUL characters (PostgreSQL refuses them in
    text) and integers beyond 64 bits."""
    issues = []
    texts = {f"pilot.{f}": v for f, v in assessment.pilot.model_dump().items() if isinstance(v, str)}
    texts["submitted_by"] = assessment.submitted_by or ""
    texts.update({f"evidence.{q}": note for q, note in assessment.evidence.items()})
    issues += [Issue("error", where, "contains a NUL character (\\u0000)") for where, v in texts.items() if "\x00" in v]
    users = assessment.pilot.peak_concurrent_users
    if users is not None and users > MAX_BIGINT:
        message = f"{users} is out of range: must be at most {MAX_BIGINT}"
        issues.append(Issue("error", "pilot.peak_concurrent_users", message))
    return issues


def _complete(item: _Prepared) -> None:
    """Score the assessment and lay out its rows."""
    if item.snapshot is not None:
        return
    assessment = item.assessment
    score = issued_score(assessment, item.model)
    pilot = assessment.pilot
    metric_ids = item.model.metric_by_id
    item.snapshot = {
        "as_of": assessment.as_of,
        "submitted_by": assessment.submitted_by,
        "source": item.source,
        "content_hash": item.content_hash,
        "source_hash": item.source_hash,
        "model_version": item.model.version,
        "name": pilot.name,
        **_context_values(pilot),
        "verdict": score["verdict"],
        "overall": score["overall"],
        "score": score,
    }
    question_ids = list(dict.fromkeys([q for q in [*assessment.answers, *assessment.evidence] if q not in metric_ids]))
    item.answers = [
        (q, assessment.answers.get(q), assessment.evidence.get(q), assessment.documented(q)) for q in question_ids
    ]
    item.metrics = [
        (m, float(v), assessment.evidence.get(m), assessment.documented(m), assessment.measured(m))
        for m, v in assessment.metrics.items()
    ]
    item.measurements = [
        (m, found.provenance.kind, found.provenance.model_dump_json(), found.method)
        for m, found in assessment.measurements.items()
    ]


def _known_contents(engine: Engine, prepared: list[_Prepared]) -> set[tuple[str, str]]:
    """The (pilot name, content hash) pairs among ``prepared`` that are already stored."""
    hashes = sorted({p.content_hash for p in prepared})
    query = select(PILOT.c.name, SNAPSHOT.c.content_hash).join(PILOT, PILOT.c.id == SNAPSHOT.c.pilot_id)
    known: set[tuple[str, str]] = set()
    with engine.connect() as connection:
        for chunk in _chunks(hashes):
            known.update((name, h) for name, h in connection.execute(query.where(SNAPSHOT.c.content_hash.in_(chunk))))
    return known


def _with_retries(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in a write transaction, again when a concurrent transaction made it fail."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with writer(engine).begin() as connection:
                serialise_writes(connection)
                return work(connection)
        except DBAPIError as error:
            sqlstate = getattr(error.orig, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES or attempt == WRITE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _write(
    connection: Connection,
    prepared: list[_Prepared],
    actor: str | None,
    source_hash: str | None,
    audit: dict[str, Any],
    written_by: WrittenBy | None = None,
    supersede: bool = False,
) -> list[AddResult]:
    now = utcnow()
    _attach_to_registry(connection, prepared)
    # Per pilot, the context and submitter of its most recent assessment in this call.
    latest = {p.assessment.pilot.name: p for p in sorted(prepared, key=_recency)}
    contexts = {name: item.assessment.pilot for name, item in latest.items()}
    actors = {name: actor or item.assessment.submitted_by or "unknown" for name, item in latest.items()}
    pilots = _lock_pilots(connection, sorted(latest), contexts, actors, now, written_by)

    keys = [(pilots[p.assessment.pilot.name][0], p.content_hash) for p in prepared]
    stored = _existing_snapshots(connection, keys)
    new: list[tuple[int, _Prepared]] = []
    created: list[bool] = []
    pending: set[tuple[int, str]] = set()
    for key, item in zip(keys, prepared, strict=True):
        # The same content twice in one call is one snapshot, created by its first occurrence.
        is_new = key not in stored and key not in pending
        created.append(is_new)
        if is_new:
            pending.add(key)
            new.append((key[0], item))
    who = actor or "unknown"
    _one_snapshot_a_day(connection, pilots, prepared, stored, new, supersede, who, audit, now, written_by)
    ids = _insert_snapshots(connection, new, now, written_by)
    stored.update({(pid, item.content_hash): i for (pid, item), i in zip(new, ids, strict=True)})
    _audit_snapshots(connection, new, ids, actor, source_hash, audit, now, written_by)
    _follow_newest(connection, pilots, new, actors, now, written_by)
    return [AddResult(stored[key], is_new) for key, is_new in zip(keys, created, strict=True)]


SUPERSEDE_HINT = "import it again saying it supersedes the stored one (CLI --supersede, or the Upload page's box)"


def _one_snapshot_a_day(
    connection: Connection,
    pilots: dict[str, tuple[int, dict[str, Any]]],
    prepared: list[_Prepared],
    stored: dict[tuple[int, str], int],
    new: list[tuple[int, _Prepared]],
    supersede: bool,
    actor: str,
    audit: dict[str, Any],
    now: datetime,
    written_by: WrittenBy | None,
) -> None:
    """Keep one snapshot in force per pilot and day: refuse (or, with ``supersede``, retract) a stored snapshot of
    the same pilot and day with other content; refuse (or reinstate) content that was retracted."""
    wanted = {(pilots[p.assessment.pilot.name][0], p.assessment.as_of): p for p in prepared}
    taken = {(pilots[p.assessment.pilot.name][0], p.content_hash) for p in prepared}
    retracted = set(connection.execute(retracted_snapshot_ids()).scalars())
    issues: list[Issue] = []
    displaced: list[int] = []
    reinstated = [i for key, i in stored.items() if key in taken and i in retracted]
    if reinstated and not supersede:
        issues += [Issue("error", f"snapshot {i}", f"this content was retracted; to bring it back, {SUPERSEDE_HINT}")
                   for i in reinstated]  # fmt: skip
    days = sorted({(pilot_id, day) for pilot_id, day in wanted})
    for chunk in _chunks(sorted({pilot_id for pilot_id, _ in days})):
        query = select(SNAPSHOT.c.id, SNAPSHOT.c.pilot_id, SNAPSHOT.c.as_of, SNAPSHOT.c.content_hash).where(
            SNAPSHOT.c.pilot_id.in_(chunk)
        )
        for snapshot_id, pilot_id, day, content in connection.execute(query):
            item = wanted.get((pilot_id, day))
            if item is None or content == item.content_hash or snapshot_id in retracted:
                continue
            if supersede:
                displaced.append(snapshot_id)
            else:
                where = f"{item.assessment.pilot.name} · {day.isoformat()}"
                message = f"a snapshot with other content is stored for this day (snapshot {snapshot_id})"
                issues.append(Issue("error", where, f"{message}; to replace it, {SUPERSEDE_HINT}"))
    if issues:
        raise InvalidInput(issues, audit.get("origin") or "")
    reason = f"superseded by {audit.get('origin') or 'an import'}"
    _record_retractions(connection, displaced, "retract", reason, actor, None, now, written_by)
    _record_retractions(connection, reinstated, "reinstate", reason, actor, None, now, written_by)


def _record_retractions(
    connection: Connection,
    snapshot_ids: Sequence[int],
    action: str,
    reason: str,
    actor: str,
    batch: str | None,
    now: datetime,
    written_by: WrittenBy | None,
) -> None:
    if not snapshot_ids:
        return
    rows = [{"snapshot_id": i, "action": action, "at": now, "actor": actor[:320], "reason": reason, "batch": batch}
            for i in snapshot_ids]  # fmt: skip
    connection.execute(RETRACTION.insert(), rows)
    append_audit(connection, [
        _audit_row(now, actor, f"snapshot.{action}", f"snapshot/{i}", None, {"reason": reason, "batch": batch},
                   written_by)
        for i in snapshot_ids
    ])  # fmt: skip


def _newest_retractions() -> Select[tuple[int]]:
    # Each snapshot's newest retraction row (a retraction or a reinstatement): the one that decides its state.
    return select(func.max(RETRACTION.c.id)).group_by(RETRACTION.c.snapshot_id)


def retracted_snapshot_ids() -> Select[tuple[int]]:
    """A query of the snapshots retracted now: those whose newest retraction row says ``retract``."""
    newest = _newest_retractions()
    return select(RETRACTION.c.snapshot_id).where(RETRACTION.c.id.in_(newest), RETRACTION.c.action == "retract")


def in_force() -> ColumnElement[bool]:
    """The condition a snapshot in force meets (it is not retracted): every view reads only these."""
    return SNAPSHOT.c.id.not_in(retracted_snapshot_ids())


def retract_snapshots(
    engine: Engine,
    snapshot_ids: Sequence[int],
    reason: str,
    actor: str,
    *,
    reinstate: bool = False,
    batch: str | None = None,
    written_by: WrittenBy | None = None,
) -> list[int]:
    """Retract snapshots (or, with ``reinstate``, bring retracted ones back), recording who, when and why in
    ``retraction`` and the audit log. Returns the ids whose state changed; unknown ids are an
    :class:`InvalidInput`. Nothing is deleted: a retracted snapshot leaves every view and stays in the record."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput([Issue("error", "reason", "say why (the reason is kept in the record)")])
    wanted = sorted(set(snapshot_ids))

    def write(connection: Connection) -> list[int]:
        known = set(connection.execute(select(SNAPSHOT.c.id).where(SNAPSHOT.c.id.in_(wanted))).scalars())
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise InvalidInput([Issue("error", f"snapshot {i}", "no such snapshot") for i in unknown[:20]])
        retracted = set(connection.execute(retracted_snapshot_ids()).scalars())
        changing = [i for i in wanted if (i in retracted) == reinstate]
        if reinstate:
            _refuse_two_in_force(connection, changing, retracted)
        action = "reinstate" if reinstate else "retract"
        _record_retractions(connection, changing, action, reason, actor, batch, utcnow(), written_by)
        return changing

    return _with_retries(engine, write)


def _refuse_two_in_force(connection: Connection, reinstating: list[int], retracted: set[int]) -> None:
    pilots = select(SNAPSHOT.c.pilot_id).where(SNAPSHOT.c.id.in_(reinstating))
    rows = connection.execute(
        select(SNAPSHOT.c.id, SNAPSHOT.c.pilot_id, SNAPSHOT.c.as_of).where(SNAPSHOT.c.pilot_id.in_(pilots))
    ).all()
    asked = set(reinstating)
    in_force_days = {(pilot_id, day): i for i, pilot_id, day in rows if i not in retracted}
    wanted = {i: (pilot_id, day) for i, pilot_id, day in rows if i in asked}
    clashes = [(i, in_force_days[key]) for i, key in wanted.items() if key in in_force_days]
    if clashes:
        raise InvalidInput([Issue("error", f"snapshot {i}", f"snapshot {other} is in force for the same pilot and day; "
                                  "retract it first") for i, other in clashes])  # fmt: skip


@dataclass(frozen=True)
class RecordEntry:
    """One snapshot of a pilot's record, in force or retracted, with the newest retraction or reinstatement."""

    snapshot_id: int
    as_of: date
    submitted_by: str | None
    retracted: bool
    last_action: str | None = None  # "retract" or "reinstate"
    last_reason: str | None = None
    last_at: datetime | None = None
    last_actor: str | None = None


def pilot_record(engine: Engine, name: str) -> list[RecordEntry]:
    """Every snapshot of a pilot, retracted ones included, oldest first: what an admin retracts or reinstates."""
    last = select(RETRACTION).where(RETRACTION.c.id.in_(_newest_retractions())).subquery()
    with engine.connect() as connection:
        registered = _registry_names(connection, [name]).get(name)
        if registered is None:
            return []
        query = (
            select(SNAPSHOT.c.id, SNAPSHOT.c.as_of, SNAPSHOT.c.submitted_by, last.c.action, last.c.reason, last.c.at,
                   last.c.actor)
            .join(PILOT, PILOT.c.id == SNAPSHOT.c.pilot_id)
            .outerjoin(last, last.c.snapshot_id == SNAPSHOT.c.id)
            .where(PILOT.c.name == registered)
            .order_by(SNAPSHOT.c.as_of, SNAPSHOT.c.id)
        )  # fmt: skip
        rows = connection.execute(query).all()
    return [RecordEntry(i, day, by, action == "retract", action, reason, at, actor)
            for i, day, by, action, reason, at, actor in rows]  # fmt: skip


def import_snapshots(engine: Engine, source_hash: str) -> list[int]:
    """The snapshots one import created (its file's SHA-256, as the audit log recorded it)."""
    added = AUDIT_LOG.c.action == "snapshot.add"
    query = select(AUDIT_LOG.c.object).where(added, AUDIT_LOG.c.source_hash == source_hash)
    with engine.connect() as connection:
        return sorted(int(obj.removeprefix("snapshot/")) for obj in connection.execute(query).scalars())


def _attach_to_registry(connection: Connection, prepared: list[_Prepared]) -> None:
    """Put each assessment under the registry's name of its pilot, as it stands inside the transaction: a
    pilot of the same key created since the names were resolved is attached to, never duplicated (the
    renamed assessment is hashed and scored again)."""
    registered = _registry_spellings(connection, [p.assessment.pilot.name for p in prepared])
    renamed = _renamed([p.assessment for p in prepared], registered)
    for item, assessment in zip(prepared, renamed, strict=True):
        if assessment is not item.assessment:
            item.assessment, item.content_hash, item.snapshot = assessment, assessment.content_hash(), None
            _complete(item)


def _follow_newest(
    connection: Connection,
    pilots: dict[str, tuple[int, dict[str, Any]]],
    new: list[tuple[int, _Prepared]],
    actors: dict[str, str],
    now: datetime,
    written_by: WrittenBy | None = None,
) -> None:
    """Give each pilot the context of its newest snapshot, unless an older one was back-filled."""
    newest: dict[int, _Prepared] = {}
    for pilot_id, item in new:
        if pilot_id not in newest or item.assessment.as_of >= newest[pilot_id].assessment.as_of:
            newest[pilot_id] = item
    for name, (pilot_id, current) in pilots.items():
        item = newest.get(pilot_id)
        if item is not None and (current["latest_as_of"] is None or item.assessment.as_of >= current["latest_as_of"]):
            _update_registry(connection, pilot_id, current, item.assessment.pilot, actors[name], now, written_by)


def _recency(item: _Prepared) -> date:
    return item.assessment.as_of


def _dialect_insert(connection: Connection) -> Callable[..., Any]:
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def _lock_pilots(
    connection: Connection,
    names: list[str],
    contexts: dict[str, PilotContext],
    actors: dict[str, str],
    now: datetime,
    written_by: WrittenBy | None = None,
) -> dict[str, tuple[int, dict[str, Any]]]:
    """Create the pilots that do not exist yet, then lock them all (in name order, so two writers never
    wait for each other in a cycle). Returns each pilot's id and current registry row with its latest as-of."""
    existing: set[str] = set()
    for chunk in _chunks(names):
        existing.update(connection.execute(select(PILOT.c.name).where(PILOT.c.name.in_(chunk))).scalars())
    missing = [
        {"name": name, **_context_values(contexts[name]), "created_at": now, "updated_at": now}
        for name in names
        if name not in existing
    ]
    if missing:
        # A concurrent writer may create the same pilot first: then this insert skips it, and only the
        # writer that created a pilot records its creation.
        statement = _dialect_insert(connection)(PILOT).on_conflict_do_nothing(index_elements=["name"])
        created = connection.execute(statement.returning(PILOT.c.id, PILOT.c.name), missing).all()
        entries = [
            _audit_row(now, actors[name], "pilot.create", f"pilot/{pilot_id}", None, {"name": name}, written_by)
            for pilot_id, name in created
        ]
        if entries:
            append_audit(connection, entries)
    rows: dict[str, tuple[int, dict[str, Any]]] = {}
    for chunk in _chunks(names):
        locked = select(PILOT).where(PILOT.c.name.in_(chunk)).order_by(PILOT.c.name).with_for_update()
        for row in connection.execute(locked).mappings():
            rows[row["name"]] = (row["id"], dict(row))
    latest = select(SNAPSHOT.c.pilot_id, func.max(SNAPSHOT.c.as_of)).group_by(SNAPSHOT.c.pilot_id)
    by_id = {pilot_id: name for name, (pilot_id, _) in rows.items()}
    for chunk in _chunks(list(by_id)):
        for pilot_id, latest_as_of in connection.execute(latest.where(SNAPSHOT.c.pilot_id.in_(chunk))):
            rows[by_id[pilot_id]][1]["latest_as_of"] = latest_as_of
    for _, current in rows.values():
        current.setdefault("latest_as_of", None)
    return rows


def _context_values(context: PilotContext) -> dict[str, Any]:
    return {f: getattr(context, f) for f in CONTEXT_FIELDS}


def _update_registry(
    connection: Connection,
    pilot_id: int,
    current: dict[str, Any],
    context: PilotContext,
    actor: str,
    now: datetime,
    written_by: WrittenBy | None = None,
) -> None:
    """Set the registry's context of a pilot, recording what changed (nothing is written when nothing did)."""
    values = _context_values(context)
    changed = {f: [current[f], v] for f, v in values.items() if current[f] != v}
    if not changed:
        return
    connection.execute(PILOT.update().where(PILOT.c.id == pilot_id).values(**values, updated_at=now))
    current.update(values)
    detail = {"name": context.name, "changed": changed}
    _audit(connection, now, actor, "pilot.update", f"pilot/{pilot_id}", None, detail, written_by)


def _existing_snapshots(connection: Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    hashes = sorted({h for _, h in keys})
    for chunk in _chunks(hashes):
        query = select(SNAPSHOT.c.pilot_id, SNAPSHOT.c.content_hash, SNAPSHOT.c.id).where(
            SNAPSHOT.c.content_hash.in_(chunk)
        )
        for pilot_id, content_hash, snapshot_id in connection.execute(query):
            found[(pilot_id, content_hash)] = snapshot_id
    return found


def _insert_snapshots(
    connection: Connection, new: list[tuple[int, _Prepared]], now: datetime, written_by: WrittenBy | None = None
) -> list[int]:
    if not new:
        return []
    # Every new item was scored before the transaction: content found stored then is never removed.
    by = _identity_columns(written_by)
    rows = [{**(item.snapshot or {}), "pilot_id": pilot_id, "created_at": now, **by} for pilot_id, item in new]
    statement = SNAPSHOT.insert().returning(SNAPSHOT.c.id, sort_by_parameter_order=True)
    ids = list(connection.execute(statement, rows).scalars())
    answers = [(i, *a) for i, (_, item) in zip(ids, new, strict=True) for a in item.answers]
    _insert_plain(connection, ANSWER.name, ANSWER_COLUMNS, answers)
    metrics = [(i, *m) for i, (_, item) in zip(ids, new, strict=True) for m in item.metrics]
    _insert_plain(connection, METRIC_VALUE.name, METRIC_COLUMNS, metrics)
    measurements = [(i, *m) for i, (_, item) in zip(ids, new, strict=True) for m in item.measurements]
    _insert_plain(connection, MEASUREMENT.name, MEASUREMENT_COLUMNS, measurements)
    return ids


def _insert_plain(connection: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows of plain values (str, float, bool, int): COPY on PostgreSQL, executemany on SQLite.

    SQLAlchemy's per-row parameter processing costs more than the insert itself on the answer and metric
    tables, and these values need no conversion on either engine.
    """
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["?"] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)


def _audit_snapshots(
    connection: Connection,
    new: list[tuple[int, _Prepared]],
    ids: list[int],
    actor: str | None,
    source_hash: str | None,
    audit: dict[str, Any],
    now: datetime,
    written_by: WrittenBy | None = None,
) -> None:
    """One ``snapshot.add`` entry per new snapshot; ``audit`` adds where the file came from (``origin``,
    ``interface``) when known."""
    entries = []
    for snapshot_id, (_, item) in zip(ids, new, strict=True):
        snapshot = item.snapshot or {}
        detail = {
            "pilot": snapshot["name"],
            "as_of": snapshot["as_of"].isoformat(),
            "submitted_by": snapshot["submitted_by"],
            "source": snapshot["source"],
            "content_hash": item.content_hash,
            "model_version": snapshot["model_version"],
            "verdict": snapshot["verdict"],
            "overall": snapshot["overall"],
        }
        detail.update({key: value for key, value in audit.items() if value})
        who = actor or snapshot["submitted_by"] or "unknown"
        entries.append(_audit_row(now, who, "snapshot.add", f"snapshot/{snapshot_id}", source_hash, detail, written_by))
    if entries:
        append_audit(connection, entries)


def _audit(
    connection: Connection,
    now: datetime,
    actor: str,
    action: str,
    obj: str,
    source_hash: str | None,
    detail: dict[str, Any],
    written_by: WrittenBy | None = None,
) -> None:
    append_audit(connection, [_audit_row(now, actor, action, obj, source_hash, detail, written_by)])


def _audit_row(
    now: datetime,
    actor: str,
    action: str,
    obj: str,
    source_hash: str | None,
    detail: dict[str, Any],
    written_by: WrittenBy | None = None,
) -> dict[str, Any]:
    text = json.dumps(detail, sort_keys=True, default=str, ensure_ascii=False)
    row = {"at": now, "actor": actor[:320], "action": action, "object": obj[:300], "source_hash": source_hash}
    return row | {"detail": text} | _identity_columns(written_by)


def _chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------


def latest_snapshot_ids(as_of: date | None = None) -> Select[tuple[int]]:
    """A query of the id of each pilot's latest snapshot on or before ``as_of`` (latest date, then latest written)."""
    order = (SNAPSHOT.c.as_of.desc(), SNAPSHOT.c.id.desc())
    rank = func.row_number().over(partition_by=SNAPSHOT.c.pilot_id, order_by=order).label("rank")
    ranked = select(SNAPSHOT.c.id, rank).where(in_force())
    if as_of is not None:
        ranked = ranked.where(SNAPSHOT.c.as_of <= as_of)
    subquery = ranked.subquery("ranked")
    return select(subquery.c.id).where(subquery.c.rank == 1)


def latest_assessments(engine: Engine, as_of: date | None = None) -> list[StoredAssessment]:
    """Each pilot's latest snapshot on or before ``as_of`` (default: today and after), ordered by pilot name."""
    query = select(SNAPSHOT).where(SNAPSHOT.c.id.in_(latest_snapshot_ids(as_of)))
    with engine.connect() as connection:
        stored = _stored(connection, query)
    return sorted(stored, key=lambda s: (s.assessment.pilot.name, s.snapshot_id))


def all_assessments(
    engine: Engine, as_of: date | None = None, include_retracted: bool = False
) -> list[StoredAssessment]:
    """Every snapshot in force on or before ``as_of`` (default: all), ordered by pilot name, then date; with
    ``include_retracted`` the retracted ones too (the record, as ``readiness verify`` checks it)."""
    query = select(SNAPSHOT) if include_retracted else select(SNAPSHOT).where(in_force())
    if as_of is not None:
        query = query.where(SNAPSHOT.c.as_of <= as_of)
    with engine.connect() as connection:
        stored = _stored(connection, query)
    return sorted(stored, key=lambda s: (s.assessment.pilot.name, s.assessment.as_of, s.snapshot_id))


def pilot_history(engine: Engine, name: str) -> list[StoredAssessment]:
    """Every snapshot of a pilot, oldest first (empty when there is no such pilot). The pilot is found by
    its name's key, so any spelling of the name that is the same pilot finds it."""
    with engine.connect() as connection:
        registered = _registry_names(connection, [name]).get(name)
        if registered is None:
            return []
        query = select(SNAPSHOT).where(*_in_force_of(registered)).order_by(SNAPSHOT.c.as_of, SNAPSHOT.c.id)
        return _stored(connection, query)


def _in_force_of(registered: str) -> tuple[Any, ...]:
    """The conditions selecting the snapshots in force of the pilot registered as ``registered``."""
    return SNAPSHOT.c.pilot_id == select(PILOT.c.id).where(PILOT.c.name == registered).scalar_subquery(), in_force()


def recent_pilot_snapshots(engine: Engine, name: str, count: int = 2) -> tuple[list[StoredAssessment], list[str]]:
    """A pilot's ``count`` newest snapshots, oldest first, and the model versions all its snapshots were issued
    under, sorted: what a view of the pilot as it stands needs, without reading its whole history (a page that
    shows one pilot reads two snapshots, not all twenty-four). Empty lists when there is no such pilot; the
    pilot is found by its name's key, as in :func:`pilot_history`."""
    with engine.connect() as connection:
        registered = _registry_names(connection, [name]).get(name)
        if registered is None:
            return [], []
        in_pilot = _in_force_of(registered)
        newest = select(SNAPSHOT).where(*in_pilot).order_by(SNAPSHOT.c.as_of.desc(), SNAPSHOT.c.id.desc()).limit(count)
        versions = select(SNAPSHOT.c.model_version).where(*in_pilot).distinct()
        return _stored(connection, newest)[::-1], sorted(connection.execute(versions).scalars())


def get_snapshot(engine: Engine, snapshot_id: int) -> StoredAssessment | None:
    """One snapshot by id."""
    with engine.connect() as connection:
        found = _stored(connection, select(SNAPSHOT).where(SNAPSHOT.c.id == snapshot_id))
    return found[0] if found else None


def _stored(connection: Connection, query: Select[Any]) -> list[StoredAssessment]:
    snapshots = list(connection.execute(query).mappings())
    ids = [row["id"] for row in snapshots]
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    evidence: dict[int, dict[str, str]] = defaultdict(dict)
    metrics: dict[int, dict[str, bool | float]] = defaultdict(dict)
    measurements: dict[int, dict[str, Measurement]] = defaultdict(dict)
    kinds = {m.id: m.kind for m in load_model().metrics}
    for chunk in _chunks(ids):
        rows = select(ANSWER.c.snapshot_id, ANSWER.c.question_id, ANSWER.c.answer, ANSWER.c.evidence)
        for snapshot_id, question_id, answer, note in connection.execute(rows.where(ANSWER.c.snapshot_id.in_(chunk))):
            if answer is not None:
                answers[snapshot_id][question_id] = answer
            if note is not None:
                evidence[snapshot_id][question_id] = note
        values = select(*(METRIC_VALUE.c[c] for c in ("snapshot_id", "metric_id", "value", "evidence")))
        chosen = values.where(METRIC_VALUE.c.snapshot_id.in_(chunk))
        for snapshot_id, metric_id, value, note in connection.execute(chosen):
            metrics[snapshot_id][metric_id] = bool(value) if kinds.get(metric_id) == "bool" else value
            if note is not None:
                evidence[snapshot_id][metric_id] = note
        measured = select(*(MEASUREMENT.c[c] for c in ("snapshot_id", "metric_id", "provenance", "method")))
        for snapshot_id, metric_id, provenance, method in connection.execute(
            measured.where(MEASUREMENT.c.snapshot_id.in_(chunk))
        ):
            measurements[snapshot_id][metric_id] = Measurement(provenance=provenance, method=method)
    return [
        _stored_assessment(row, answers[row["id"]], evidence[row["id"]], metrics[row["id"]], measurements[row["id"]])
        for row in snapshots
    ]


def _stored_assessment(
    row: Any,
    answers: dict[str, str],
    evidence: dict[str, str],
    metrics: dict[str, bool | float],
    measurements: dict[str, Measurement],
) -> StoredAssessment:
    assessment = Assessment.model_validate(
        {
            "pilot": _stored_context(row),
            "as_of": row["as_of"],
            "submitted_by": row["submitted_by"],
            "answers": answers,
            "evidence": evidence,
            "metrics": metrics,
            "measurements": measurements,
        },
        context=STORED,
    )
    return StoredAssessment(
        assessment=assessment,
        snapshot_id=row["id"],
        pilot_id=row["pilot_id"],
        created_at=_utc(row["created_at"]),
        source=row["source"],
        source_hash=row["source_hash"],
        content_hash=row["content_hash"],
        model_version=row["model_version"],
        issued_verdict=row["verdict"],
        issued_overall=row["overall"],
        issued_score=row["score"],
        written_by=_written_by(row),
    )


def _stored_context(row: Any) -> PilotContext:
    """The pilot context of a pilot or snapshot row, as stored: rows written before today's input rules
    (names not normalised, invisible characters) are read back as they are, never refused."""
    return PilotContext.model_validate({"name": row["name"], **{f: row[f] for f in CONTEXT_FIELDS}}, context=STORED)


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone; every stored timestamp is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def list_pilots(engine: Engine) -> list[PilotRecord]:
    """The pilot registry, ordered by name, with each pilot's number of snapshots and date range."""
    counts = (
        select(
            SNAPSHOT.c.pilot_id,
            func.count().label("snapshots"),
            func.min(SNAPSHOT.c.as_of).label("first_as_of"),
            func.max(SNAPSHOT.c.as_of).label("latest_as_of"),
        )
        .group_by(SNAPSHOT.c.pilot_id)
        .subquery("counts")
    )
    query = select(PILOT, counts.c.snapshots, counts.c.first_as_of, counts.c.latest_as_of).outerjoin(
        counts, counts.c.pilot_id == PILOT.c.id
    )
    with engine.connect() as connection:
        records = [_pilot_record(row) for row in connection.execute(query).mappings()]
    return sorted(records, key=lambda r: r.context.name)


def get_pilot(engine: Engine, name: str) -> PilotRecord | None:
    """One pilot of the registry by name (the exact name, else the first with the same key)."""
    records = list_pilots(engine)
    exact = next((p for p in records if p.context.name == name), None)
    key = name_key(name)
    return exact or next((p for p in sorted(records, key=lambda r: r.id) if name_key(p.context.name) == key), None)


def _pilot_record(row: Any) -> PilotRecord:
    return PilotRecord(
        id=row["id"],
        context=_stored_context(row),
        created_at=_utc(row["created_at"]),
        updated_at=_utc(row["updated_at"]),
        snapshots=row["snapshots"] or 0,
        first_as_of=row["first_as_of"],
        latest_as_of=row["latest_as_of"],
    )


def audit_entries(engine: Engine, limit: int | None = 100, offset: int = 0) -> list[AuditEntry]:
    """The audit log, newest first."""
    query = select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [_audit_entry(row) for row in connection.execute(query).mappings()]


def _audit_entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=_utc(row["at"]),
        actor=row["actor"],
        action=row["action"],
        object=row["object"],
        source_hash=row["source_hash"],
        detail=json.loads(row["detail"]) if row["detail"] else {},
        written_by=_written_by(row),
    )


def _written_by(row: Any) -> WrittenBy | None:
    """The identity columns of a snapshot or audit row (None on rows written before migration 0002)."""
    subject = row.get("identity_subject")
    if subject is None:
        return None
    return WrittenBy(subject, row.get("identity_email"), row.get("identity_source"))


def count_rows(engine: Engine) -> dict[str, int]:
    """How many rows each table holds (for status lines and checks that nothing was written)."""
    with engine.connect() as connection:
        return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one() for t in ALL_TABLES}


def is_empty(engine: Engine) -> bool:
    """Whether no snapshot is in force (none stored yet, or every one retracted)."""
    with engine.connect() as connection:
        return connection.execute(select(SNAPSHOT.c.id).where(in_force()).limit(1)).first() is None
