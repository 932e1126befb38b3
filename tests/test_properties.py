"""Property-based tests: invariants of the scoring that must hold for every possible assessment."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.assessment import Assessment, PilotContext
from readiness.curves import green_value
from readiness.model import GAP_IDS, load_model
from readiness.portfolio import assessments_to_frame, score_frame
from readiness.scoring import VERDICT_ORDER, score_assessment

MODEL = load_model()
ANSWER_ORDER = {"no": 0, "not_sure": 0, "yes": 1}


def metric_values(metric) -> st.SearchStrategy:
    if metric.kind == "bool":
        return st.booleans()
    low, high = metric.bounds
    low = 0.0 if low is None else low
    high = {"h": 400.0, "s": 30.0, "×": 30.0, "users": 40.0, "months": 36.0}.get(metric.unit, high or 100.0)
    if metric.kind == "count":
        return st.integers(int(low), int(high)).map(float)
    floor = 0.01 if metric.exclusive_minimum else low
    return st.floats(floor, high, allow_nan=False, allow_infinity=False)


@st.composite
def assessments(draw) -> Assessment:
    answers = {}
    for question in MODEL.questions:
        options = ["yes", "no", "not_sure"] + ([] if question.core else ["n_a"])
        answer = draw(st.none() | st.sampled_from(options))
        if answer is not None:
            answers[question.id] = answer
    evidence = {q: "evidence" for q in answers if draw(st.booleans())}
    metrics = {}
    for metric in MODEL.metrics:
        value = draw(st.none() | metric_values(metric))
        if value is not None:
            metrics[metric.id] = value
    stage = draw(st.sampled_from(["pilot", "scaling", "production", "paused", "retired"]))
    start = draw(st.dates(date(2024, 1, 1), date(2026, 10, 1)))
    as_of = draw(st.dates(start, date(2026, 12, 31)))
    pilot = PilotContext(name="P", stage=stage, start_date=start)
    return Assessment(pilot=pilot, as_of=as_of, answers=answers, evidence=evidence, metrics=metrics)


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(assessments())
def test_every_score_is_in_range(assessment: Assessment) -> None:
    result = score_assessment(assessment)
    assert 0 <= result.overall <= 100
    assert 0 <= result.overall_confidence <= 1
    for gap in result.gaps.values():
        assert 0 <= gap.score <= 100 and 0 <= gap.confidence <= 1
        for item in gap.items:
            assert item.score is None or 0 <= item.score <= 100
    for risk in result.compound_risks:
        assert 0 <= risk.severity <= 1


@FAST
@given(assessments())
def test_never_ready_when_the_seed_rule_fires(assessment: Assessment) -> None:
    result = score_assessment(assessment)
    if result.seed_rule.fired:
        assert result.verdict == "not_ready"
        assert all(item in " ".join(result.reasons) for item in result.seed_rule.open_items)


@FAST
@given(assessments(), st.data())
def test_improving_one_item_never_lowers_its_gap_or_the_overall(assessment: Assessment, data) -> None:
    before = score_assessment(assessment)
    question = data.draw(st.sampled_from(MODEL.questions))
    current = assessment.answers.get(question.id)
    if current in (None, "no", "not_sure") and (question.core or current is not None):
        better = assessment.model_copy(deep=True)
        better.answers[question.id] = "yes"
        after = score_assessment(better)
        assert after.gaps[question.gap].score >= before.gaps[question.gap].score - 1e-9
        assert after.overall >= before.overall - 1e-9
    metric = data.draw(st.sampled_from(MODEL.scored_metrics))
    if metric.id in assessment.metrics and metric.kind != "bool" and metric.curve.type == "linear":
        better = assessment.model_copy(deep=True)
        value = float(assessment.metrics[metric.id])
        step = (metric.curve.green - metric.curve.red) * 0.1
        low, high = metric.bounds
        improved = value + step
        if low is not None:
            improved = max(low, improved)
        if high is not None:
            improved = min(high, improved)
        better.metrics[metric.id] = improved
        after = score_assessment(better)
        assert after.gaps[metric.gap].score >= before.gaps[metric.gap].score - 1e-9
        assert after.overall >= before.overall - 1e-9


@FAST
@given(assessments())
def test_explanation_items_reproduce_each_gap_score(assessment: Assessment) -> None:
    result = score_assessment(assessment)
    for gap in result.gaps.values():
        counted = [i for i in gap.items if i.counted]
        weight = sum(i.weight for i in counted)
        expected = sum(i.score * i.weight for i in counted) / weight if weight else 0
        assert gap.score == pytest.approx(expected, abs=0.006)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(assessments(), min_size=1, max_size=12))
def test_vectorized_path_equals_the_one_assessment_path(batch: list[Assessment]) -> None:
    scored = score_frame(assessments_to_frame(batch))
    for values, assessment in zip(scored.to_dict("records"), batch, strict=True):
        single = score_assessment(assessment)
        assert values["verdict"] == single.verdict
        assert values["overall"] == pytest.approx(single.overall, abs=0.006)
        assert values["overall_confidence"] == pytest.approx(single.overall_confidence, abs=0.0006)
        assert values["weakest_gap"] == single.weakest_gap
        assert values["open_core"] == len(single.seed_rule.open_items)
        assert values["stalled"] == any(f.id == "stalled" for f in single.flags)
        assert values["multi_gap"] == any(f.id == "multi_gap" for f in single.flags)
        for gap in GAP_IDS:
            assert values[f"score.{gap}"] == pytest.approx(single.gaps[gap].score, abs=0.006)
            assert values[f"confidence.{gap}"] == pytest.approx(single.gaps[gap].confidence, abs=0.0006)
        for risk in single.compound_risks:
            assert values[f"state.{risk.id}"] == risk.state


@FAST
@given(assessments())
def test_path_to_next_verdict_moves_up_when_reached(assessment: Assessment) -> None:
    result = score_assessment(assessment)
    path = result.path_to_next_verdict
    if path.target_verdict is None or not path.reached:
        return
    fixed = assessment.model_copy(deep=True)
    metrics = MODEL.metric_by_id
    for item in path.items:
        if item in MODEL.question_by_id:
            fixed.answers[item] = "yes"
        else:
            curve = metrics[item].curve
            if curve.type == "ratio":
                fixed.metrics[item] = float(fixed.metrics[curve.denominator]) * curve.green
            else:
                fixed.metrics[item] = True if curve.type == "bool" else green_value(curve)
    after = score_assessment(fixed)
    assert VERDICT_ORDER.index(after.verdict) >= VERDICT_ORDER.index(path.target_verdict)
