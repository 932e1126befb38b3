"""The store: exact round trips, idempotent and atomic writes, history, the audit log, migrations.

Every test that takes ``engine`` or ``store_url`` runs on SQLite and on PostgreSQL (see conftest).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from readiness.assessment import STAGES, Assessment, PilotContext, text_problem
from readiness.demo import demo_assessments
from readiness.errors import InvalidInput
from readiness.model import load_model
from readiness.portfolio import assessments_to_frame
from readiness.scoring import issued_score
from readiness.store import (
    add_assessment,
    add_assessments,
    all_assessments,
    audit_entries,
    backup,
    count_rows,
    current_revision,
    database_url,
    get_snapshot,
    head_revision,
    is_empty,
    latest_assessments,
    list_pilots,
    make_engine,
    migrate,
    pilot_history,
    portfolio_frame,
    repository,
    save_pilot,
)
from readiness.store.engine import ENV_VAR, writer
from readiness.store.migrate import script_location
from readiness.store.tables import metadata
from tests.conftest import requires_postgres
from tests.factories import build

MODEL = load_model()


@pytest.fixture(scope="module")
def demo_sample() -> list[Assessment]:
    """Four demo pilots with their monthly history: varied answers, evidence and metrics, cheap to score."""
    demo = demo_assessments()
    return [a for a in demo if a.pilot.name in sorted({d.pilot.name for d in demo})[:4]]


def assessment(
    name: str = "Claims triage", as_of: date = date(2026, 11, 1), submitted_by: str = "ana@example.com", **pilot: Any
) -> Assessment:
    """A valid assessment of ``name`` on ``as_of`` (all core answers yes, all metrics green)."""
    pilot.setdefault("start_date", "2025-01-01")
    return build(name=name, **pilot).model_copy(update={"as_of": as_of, "submitted_by": submitted_by})


# --------------------------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------------------------

# Any text the input rules accept (no control, bidirectional-control or zero-width character); notes
# may also hold tabs and line breaks.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf")), max_size=40).filter(
    lambda t: text_problem(t) is None
)
NOTE = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf"), include_characters="\t\n"), max_size=40)
OPTIONAL_NAME = st.none() | TEXT.map(str.strip).filter(bool)


def acceptable_name(text: str) -> bool:
    """Whether the input rules take ``text`` as a pilot name (normalised non-blank, one script)."""
    try:
        PilotContext(name=text)
    except ValueError:
        return False
    return True


def metric_values(metric_id: str) -> st.SearchStrategy[bool | float]:
    """Any value the model accepts for a metric."""
    metric = MODEL.metric_by_id[metric_id]
    if metric.kind == "bool":
        return st.booleans()
    low, high = metric.bounds
    if metric.kind == "count":
        return st.integers(int(low or 0), int(high if high is not None else 10**6)).map(float)
    return st.floats(low, high, exclude_min=metric.exclusive_minimum, allow_nan=False, allow_infinity=False)


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    """Assessments across the whole input space: any subset of answers, evidence and metrics, any context."""
    questions = draw(st.lists(st.sampled_from(MODEL.questions), unique_by=lambda q: q.id, max_size=12))
    answers = {
        q.id: draw(st.sampled_from(["yes", "no", "not_sure"] if q.core else ["yes", "no", "not_sure", "n_a"]))
        for q in questions
    }
    noted = draw(st.lists(st.sampled_from([q.id for q in MODEL.questions]), unique=True, max_size=6))
    metric_ids = draw(st.lists(st.sampled_from([m.id for m in MODEL.metrics]), unique=True, max_size=10))
    start = draw(st.none() | st.dates(date(2020, 1, 1), date(2026, 1, 1)))
    context = PilotContext(
        name=draw(TEXT.map(str.strip).filter(acceptable_name)),
        business_unit=draw(OPTIONAL_NAME),
        owning_team=draw(OPTIONAL_NAME),
        executive_sponsor=draw(OPTIONAL_NAME),
        stage=draw(st.sampled_from(STAGES)),
        start_date=start,
        expected_annual_value=draw(st.none() | st.floats(0, 1e12, allow_nan=False)),
        monthly_run_cost=draw(st.none() | st.floats(0, 1e9, allow_nan=False)),
        peak_concurrent_users=draw(st.none() | st.integers(0, 2**63 - 1)),
    )
    return Assessment(
        pilot=context,
        as_of=draw(st.dates(start or date(2020, 1, 1), date.today())),
        submitted_by=draw(OPTIONAL_NAME),
        answers=answers,
        evidence={q: draw(NOTE) for q in noted},
        metrics={m: draw(metric_values(m)) for m in metric_ids},
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(original=assessments())
def test_an_assessment_reads_back_exactly_as_it_was_written(engine: Engine, original: Assessment) -> None:
    # One store serves every example: each may replace the one before on the same pilot and day.
    result = add_assessment(engine, original, source="app", actor="tester", supersede=True)
    stored = get_snapshot(engine, result.snapshot_id)
    assert stored is not None
    assert stored.assessment == original
    assert stored.content_hash == original.content_hash()
    assert stored.issued_score == issued_score(original)
    assert (stored.issued_verdict, stored.model_version) == (stored.issued_score["verdict"], MODEL.version)


def test_portfolio_frame_is_the_frame_of_the_stored_assessments(engine: Engine, demo_sample: list[Assessment]) -> None:
    demo = demo_sample
    sparse = Assessment(pilot=PilotContext(name="Sparse"), as_of=date(2026, 5, 1), evidence={"DATA-1": ""})
    add_assessments(engine, [*demo, sparse])
    for as_of in (None, date(2026, 6, 15)):
        latest = portfolio_frame(engine, as_of=as_of)
        expected = assessments_to_frame([s.assessment for s in latest_assessments(engine, as_of)])
        pd.testing.assert_frame_equal(latest.drop(columns=["snapshot_id", "model_version"]), expected)
        history = portfolio_frame(engine, as_of=as_of, history=True)
        stored = all_assessments(engine, as_of)
        pd.testing.assert_frame_equal(
            history.drop(columns=["snapshot_id", "model_version"]), assessments_to_frame([s.assessment for s in stored])
        )
        assert list(history["snapshot_id"]) == [s.snapshot_id for s in stored]
        assert set(history["model_version"]) == {MODEL.version}
    assert len(portfolio_frame(engine)) == len({a.pilot.name for a in demo}) + 1
    assert portfolio_frame(engine, as_of=date(2000, 1, 1)).empty


# --------------------------------------------------------------------------------------------
# Writes: idempotent, atomic, validated
# --------------------------------------------------------------------------------------------


def test_the_same_content_twice_is_one_snapshot(engine: Engine) -> None:
    first = add_assessment(engine, assessment(), actor="ana")
    again = add_assessment(engine, assessment(), actor="bob")
    assert first.created and not again.created
    assert again.snapshot_id == first.snapshot_id
    assert count_rows(engine)["snapshot"] == 1
    assert [e.action for e in audit_entries(engine)] == ["snapshot.add", "pilot.create"]
    changed = add_assessment(engine, assessment(submitted_by="someone else"), supersede=True)
    assert changed.created, "different content (even only the submitter) is a new snapshot"


def test_duplicates_inside_one_call_are_one_snapshot(engine: Engine) -> None:
    results = add_assessments(engine, [assessment(), assessment(), assessment(as_of=date(2026, 11, 15))])
    assert [r.created for r in results] == [True, False, True]
    assert results[0].snapshot_id == results[1].snapshot_id != results[2].snapshot_id
    assert count_rows(engine)["snapshot"] == 2


def test_a_failed_write_leaves_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    add_assessment(engine, assessment("Already there"))
    before = count_rows(engine)

    def fail(*_args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repository, "_audit_snapshots", fail)
    batch = [assessment("New pilot"), assessment("Already there", as_of=date(2026, 11, 15))]
    with pytest.raises(RuntimeError, match="disk full"):
        add_assessments(engine, batch)
    assert count_rows(engine) == before
    assert [p.context.name for p in list_pilots(engine)] == ["Already there"]


REFUSED = [
    (lambda a: a.metrics.update({"trust.adoption_rate": 140.0}), "metrics.trust.adoption_rate"),
    (lambda a: a.answers.update({"DATA-99": "yes"}), "answers.DATA-99"),
    (lambda a: a.evidence.update({"DATA-1": "a\x00b"}), "evidence.DATA-1"),
    (lambda a: setattr(a.pilot, "peak_concurrent_users", 2**64), "pilot.peak_concurrent_users"),
]


def test_an_assessment_the_store_cannot_hold_is_refused_before_writing(engine: Engine) -> None:
    for change, location in REFUSED:
        bad = assessment("Bad")
        change(bad)
        with pytest.raises(InvalidInput) as problem:
            add_assessments(engine, [assessment("Good"), bad])
        assert problem.value.issues[0].location == location
        assert count_rows(engine) == dict.fromkeys(count_rows(engine), 0)


def test_unknown_source_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="source"):
        add_assessment(engine, assessment(), source="email")


# --------------------------------------------------------------------------------------------
# History and the registry
# --------------------------------------------------------------------------------------------


def test_latest_snapshot_per_pilot_as_of_a_date(engine: Engine) -> None:
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    add_assessments(engine, [assessment("A", mar), assessment("A", jan), assessment("B", feb)])
    assert is_empty(engine) is False
    latest = latest_assessments(engine)
    assert [(s.assessment.pilot.name, s.assessment.as_of) for s in latest] == [("A", mar), ("B", feb)]
    then = latest_assessments(engine, as_of=date(2026, 2, 15))
    assert [(s.assessment.pilot.name, s.assessment.as_of) for s in then] == [("A", jan), ("B", feb)]
    assert latest_assessments(engine, as_of=date(2025, 12, 31)) == []
    # A correction of the same date supersedes the stored snapshot, which leaves the views.
    correction = add_assessment(engine, assessment("B", feb, owning_team="Corrected"), supersede=True)
    assert latest_assessments(engine)[1].snapshot_id == correction.snapshot_id
    assert [s.snapshot_id for s in pilot_history(engine, "B")] == [correction.snapshot_id]
    assert [s.assessment.as_of for s in pilot_history(engine, "A")] == [jan, mar]
    assert pilot_history(engine, "nobody") == []


def test_each_snapshot_keeps_the_context_of_its_day(engine: Engine) -> None:
    start = date(2025, 1, 1)
    add_assessment(engine, assessment("P", date(2026, 3, 1), stage="scaling", start_date=start.isoformat()))
    add_assessment(engine, assessment("P", date(2025, 12, 1), stage="pilot", start_date=start.isoformat()))
    [record] = list_pilots(engine)
    assert record.context.stage == "scaling", "back-filling an older snapshot does not roll the registry back"
    assert (record.snapshots, record.first_as_of, record.latest_as_of) == (2, date(2025, 12, 1), date(2026, 3, 1))
    old, new = pilot_history(engine, "P")
    assert (old.assessment.pilot.stage, new.assessment.pilot.stage) == ("pilot", "scaling")
    assert "stalled" in [f["id"] for f in old.issued_score["flags"]], "the stage of its day decides the flag"
    add_assessment(engine, assessment("P", date(2026, 6, 1), stage="production", start_date=start.isoformat()))
    assert list_pilots(engine)[0].context.stage == "production"
    update = audit_entries(engine, limit=1)[0]
    assert update.action == "pilot.update"
    assert update.detail["changed"]["stage"] == ["scaling", "production"]


def test_save_pilot_creates_and_updates_the_registry(engine: Engine) -> None:
    created = save_pilot(engine, PilotContext(name="New idea", business_unit="Finance"), actor="pmo")
    assert (created.snapshots, created.latest_as_of, created.context.stage) == (0, None, "pilot")
    updated = save_pilot(engine, PilotContext(name="New idea", business_unit="Risk", stage="paused"), actor="pmo")
    assert (updated.id, updated.context.business_unit, updated.context.stage) == (created.id, "Risk", "paused")
    save_pilot(engine, PilotContext(name="New idea", business_unit="Risk", stage="paused"), actor="pmo")
    entries = audit_entries(engine)
    assert [e.action for e in entries] == ["pilot.update", "pilot.create"], "an unchanged save writes nothing"
    assert entries[0].detail["changed"]["business_unit"] == ["Finance", "Risk"]
    assert is_empty(engine), "the registry alone holds no snapshot"


# --------------------------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------------------------


def test_the_audit_log_says_who_wrote_what_from_which_file(engine: Engine) -> None:
    add_assessments(engine, [assessment("A"), assessment("B")], source="excel", source_hash="f" * 64, origin="q3.xlsx")
    add_assessment(engine, assessment("C", submitted_by="carla@example.com"))
    entries = audit_entries(engine)
    assert [(e.action, e.actor) for e in entries[:1]] == [("snapshot.add", "carla@example.com")]
    from_file = [e for e in entries if e.source_hash == "f" * 64]
    assert len(from_file) == 2
    assert {e.detail["origin"] for e in from_file} == {"q3.xlsx"}
    assert {e.detail["pilot"] for e in from_file} == {"A", "B"}
    assert all(e.detail["source"] == "excel" and e.object.startswith("snapshot/") for e in from_file)
    assert audit_entries(engine, limit=2, offset=1) == entries[1:3]


def test_history_cannot_be_rewritten_even_in_raw_sql(engine: Engine) -> None:
    add_assessment(engine, assessment())
    before = count_rows(engine)
    columns = {"audit_log": "actor", "snapshot": "as_of", "answer": "answer", "metric_value": "value"}
    for table, column in columns.items():
        for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
    assert count_rows(engine) == before


# --------------------------------------------------------------------------------------------
# Migrations
# --------------------------------------------------------------------------------------------


def test_migrate_upgrades_an_empty_database_once(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        assert current_revision(engine) is None
        result = migrate(engine)
        assert (result.before, result.after, result.changed) == (None, head_revision(), True)
        assert set(inspect(engine).get_table_names()) >= {"pilot", "snapshot", "answer", "metric_value", "audit_log"}
        assert migrate(engine).changed is False
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_models_and_latest_migration_do_not_differ(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_a_database_migrated_by_a_newer_version_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(RuntimeError, match="newer version"):
        migrate(engine)


def test_migrations_ship_inside_the_package() -> None:
    location = script_location()
    package = Path(__import__("readiness").__file__).parent
    assert location == package / "migrations"
    assert (location / "env.py").is_file() and (location / "script.py.mako").is_file()
    assert sorted(p.name for p in (location / "versions").glob("*.py"))[0].startswith("0001")


# --------------------------------------------------------------------------------------------
# Engines and URLs
# --------------------------------------------------------------------------------------------


def test_database_url_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert database_url() == f"sqlite:///{tmp_path / 'data' / 'readiness.db'}"
    monkeypatch.setenv(ENV_VAR, "postgres://u:secret@db.example:5432/readiness")
    assert database_url() == "postgresql+psycopg://u:secret@db.example:5432/readiness"
    assert database_url("sqlite:////srv/r.db") == "sqlite:////srv/r.db", "--db wins over the environment"
    assert database_url("store.db") == f"sqlite:///{tmp_path / 'store.db'}"
    for bad, message in [("mysql://x/y", "unsupported database"), ("sqlite://", "in-memory"), ("x://", "unsupported")]:
        with pytest.raises(InvalidInput, match=message):
            database_url(bad)


def test_make_engine_creates_the_data_folder(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'readiness.db'}")
    try:
        migrate(engine)
        assert (tmp_path / "data" / "readiness.db").is_file()
    finally:
        engine.dispose()


def test_sqlite_writers_take_the_lock_up_front(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        settings_ = [connection.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("journal_mode", "foreign_keys")]
        assert settings_ == ["wal", 1]
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    path = sqlite_engine.url.database
    with writer(sqlite_engine).begin():
        # The writer has written nothing yet, but another writer cannot start...
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        # ...while readers go on (WAL).
        assert other.execute("SELECT count(*) FROM snapshot").fetchone() == (0,)
        other.close()
    with sqlite_engine.begin() as reader:  # a plain transaction begins deferred and locks nothing
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
        reader.exec_driver_sql("SELECT 1")


# --------------------------------------------------------------------------------------------
# Backup
# --------------------------------------------------------------------------------------------


def test_backup_is_a_complete_standalone_copy(sqlite_engine: Engine, tmp_path: Path) -> None:
    add_assessments(sqlite_engine, [assessment("A"), assessment("B", date(2026, 10, 1))])
    out = backup(sqlite_engine, tmp_path / "copy.db")
    copy = make_engine(f"sqlite:///{out}")
    try:
        assert count_rows(copy) == count_rows(sqlite_engine)
        copied = [s.assessment for s in latest_assessments(copy)]
        assert copied == [s.assessment for s in latest_assessments(sqlite_engine)]
    finally:
        copy.dispose()
    with pytest.raises(InvalidInput, match="does not exist"):
        backup(sqlite_engine, tmp_path / "missing" / "copy.db")


@requires_postgres
@pytest.mark.postgres
def test_backup_of_postgresql_points_to_pg_dump(postgres_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="pg_dump"):
        backup(postgres_engine, tmp_path / "copy.db")


def test_history_reads_back_for_every_pilot(engine: Engine, demo_sample: list[Assessment]) -> None:
    add_assessments(engine, demo_sample)
    records = list_pilots(engine)
    assert sum(r.snapshots for r in records) == len(demo_sample) == count_rows(engine)["snapshot"]
    for record in records:
        history = pilot_history(engine, record.context.name)
        expected = sorted((a for a in demo_sample if a.pilot.name == record.context.name), key=lambda a: a.as_of)
        assert [s.assessment for s in history] == expected
        assert history[0].created_at <= history[-1].created_at and history[0].created_at.tzinfo is not None
