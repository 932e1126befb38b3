"""Confidence that means what it says: measured (from an evidence file), documented (typed with a reference),
self-reported (typed with none), on the explained and the vectorized path, through the store and back."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import pytest

from readiness.assessment import Assessment, Measurement, parse_assessment
from readiness.display import floor_to
from readiness.errors import InvalidInput
from readiness.evidence.base import Provenance, SourceFile
from readiness.model import load_model
from readiness.portfolio import assessments_to_frame, score_frame
from readiness.scoring import EVIDENCE_WORDS, score_assessment
from readiness.store import add_assessment, make_engine, migrate, pilot_history, portfolio_frame
from tests.factories import assessment_data

MODEL = load_model()
LOAD_TEST_METRICS = ("scale.p95_latency_s", "scale.error_rate_at_peak", "scale.load_test_multiple")
PROVENANCE = Provenance(
    kind="locust",
    files=(SourceFile(name="run_stats_history.csv", size_bytes=2048, sha256="ab" * 32),),
    tool="Locust",
    period_start=datetime(2026, 11, 27, 19, 20, tzinfo=UTC),
    period_end=datetime(2026, 11, 27, 19, 25, tzinfo=UTC),
    count=48_210,
    count_unit="requests",
)


def typed(references: bool) -> Assessment:
    data = assessment_data()
    if not references:
        data["evidence"] = {}
    return parse_assessment(data)


def measured() -> Assessment:
    data = typed(references=False).model_dump(mode="json")
    data["measurements"] = {
        m: Measurement(provenance=PROVENANCE, method="p95 of the plateau").model_dump(mode="json")
        for m in LOAD_TEST_METRICS
    }
    return parse_assessment(data, measured=True)


def scale_items(assessment: Assessment) -> dict:
    return {i.id: i for i in score_assessment(assessment).gaps["scale"].items}


def test_the_same_values_score_measured_documented_or_self_reported_by_their_evidence() -> None:
    levels = MODEL.scoring.evidence_levels
    for assessment, expected in (
        (measured(), "measured"),
        (typed(references=True), "documented"),
        (typed(references=False), "self_reported"),
    ):
        item = scale_items(assessment)["scale.p95_latency_s"]
        assert item.evidence == expected
        assert item.evidence_weight == levels[expected]
    confidences = [score_assessment(a).gaps["scale"].confidence for a in (measured(), typed(True), typed(False))]
    assert confidences[0] > confidences[2]
    assert confidences[1] > confidences[2]
    # Scores themselves do not depend on the evidence, only confidence does.
    scores = {score_assessment(a).gaps["scale"].score for a in (measured(), typed(True), typed(False))}
    assert len(scores) == 1


def test_a_measured_item_names_its_file_period_and_count() -> None:
    item = scale_items(measured())["scale.p95_latency_s"]
    assert item.source == ("measured from run_stats_history.csv, 2026-11-27 19:20–19:25 UTC, 48,210 requests")
    typed_item = scale_items(typed(False))["scale.p95_latency_s"]
    assert (typed_item.source, EVIDENCE_WORDS[typed_item.evidence]) == (None, "self-reported")


def test_the_vectorized_path_gives_the_same_confidences() -> None:
    assessments = [measured(), typed(True), typed(False)]
    scored = score_frame(assessments_to_frame(assessments, MODEL), MODEL)
    for (_, row), assessment in zip(scored.iterrows(), assessments, strict=True):
        result = score_assessment(assessment)
        # The explained score shows confidences to three decimals, rounded down.
        assert floor_to(row["confidence.scale"], 3) == result.gaps["scale"].confidence
        assert floor_to(row["overall_confidence"], 3) == result.overall_confidence


def test_typed_input_cannot_claim_measured_values() -> None:
    data = measured().model_dump(mode="json")
    with pytest.raises(InvalidInput) as refused:
        parse_assessment(data, "forged.json")
    assert refused.value.issues[0].location == "measurements"
    assert "evidence files" in refused.value.issues[0].message


def test_a_reference_without_a_value_is_dropped_with_a_warning() -> None:
    data = assessment_data(metrics={})
    data["evidence"] = {"scale.p95_latency_s": "load test report"}
    assessment = parse_assessment(data)
    assert assessment.evidence == {}


def test_content_hash_of_an_assessment_without_measurements_is_unchanged() -> None:
    # The hash of the canonical JSON as it was before measurements existed: re-imports are still no-ops.
    assessment = typed(False)
    legacy = assessment.model_dump(mode="json")
    del legacy["measurements"]
    expected = hashlib.sha256(json.dumps(legacy, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert assessment.content_hash() == expected
    assert measured().content_hash() != assessment.content_hash()


def test_measurements_and_metric_references_survive_the_store(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    documented = typed(True)
    later = measured().model_copy(update={"as_of": date(2026, 11, 27)})
    assert add_assessment(engine, documented).created
    assert add_assessment(engine, later).created
    assert not add_assessment(engine, later).created  # the same content again is a no-op
    stored = pilot_history(engine, "Claims triage")
    assert [s.assessment for s in stored] == [documented, later]
    assert stored[1].assessment.content_hash() == later.content_hash()
    frame = score_frame(portfolio_frame(engine, history=True, model=MODEL), MODEL)
    assert [floor_to(c, 3) for c in frame["confidence.scale"]] == [
        score_assessment(a).gaps["scale"].confidence for a in (documented, later)
    ]


def test_values_stored_before_the_evidence_levels_read_as_self_reported(tmp_path) -> None:
    """A store written by the previous schema (revision 0002) upgrades, and its typed metrics, which the old
    model counted as measured, are re-scored as self-reported."""
    from alembic import command

    from readiness.store.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO pilot (id, name, stage, created_at, updated_at) VALUES (1, 'Old', 'pilot', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO snapshot (id, pilot_id, name, stage, as_of, source, content_hash, model_version, created_at,"
            " verdict, overall, score) VALUES (1, 1, 'Old', 'pilot', '2026-10-01', 'cli', 'x', '2026.11.1',"
            " '2026-10-01 00:00:00', 'ready', 90, '{}')"
        )
        connection.exec_driver_sql(
            "INSERT INTO metric_value (snapshot_id, metric_id, value) VALUES (1, 'data.duplicate_rate', 1)"
        )
    migrate(engine)
    [old] = pilot_history(engine, "Old")
    item = next(i for i in score_assessment(old.assessment).gaps["data"].items if i.id == "data.duplicate_rate")
    assert item.evidence == "self_reported"
    frame = portfolio_frame(engine, model=MODEL)
    assert not bool(frame["data.duplicate_rate:measured"].iloc[0])


def test_0003_downgrades_upgrades_and_keeps_measurements_append_only(store_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError

    from readiness.store.migrate import alembic_config, head_revision

    engine = make_engine(store_url)
    try:
        migrate(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0002")
        assert "measurement" not in inspect(engine).get_table_names()
        assert "measured" not in {c["name"] for c in inspect(engine).get_columns("metric_value")}
        assert migrate(engine).after == head_revision()
        assert add_assessment(engine, measured()).created
        for statement in ("UPDATE measurement SET method = 'forged'", "DELETE FROM measurement"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
    finally:
        engine.dispose()
