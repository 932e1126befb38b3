"""Property-based tests: invariants of the scoring that must hold for every possible assessment.

The generator first draws how strong a pilot is and how well it is evidenced, then favours yes answers,
metrics near their green anchors, documented answers and reported metrics in proportion: drawn
uniformly, almost every assessment is not ready (at most two of the thirteen core answers open is rare
by chance), and the properties would never meet a conditional or ready pilot. Roughly 60% come out not
ready, 25% conditional and 10% ready; ``--hypothesis-show-statistics`` reports the mix.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from readiness.assessment import Assessment, PilotContext
from readiness.curves import green_value
from readiness.model import GAP_IDS, BandCurve, BoolCurve, Metric, RatioCurve, load_model
from readiness.portfolio import assessments_to_frame, score_frame
from readiness.scoring import VERDICT_ORDER, ScoreResult, score_assessment

MODEL = load_model()
RULES = MODEL.verdict
ANSWER_ORDER = {"no": 0, "not_sure": 0, "yes": 1}
# Upper bounds for units the model leaves open: generous but realistic.
OPEN_BOUNDS = {"h": 400.0, "s": 30.0, "×": 30.0, "users": 40.0, "months": 36.0}
# The generator's dials run from 0 to MAX_STRENGTH: at 0 an answer or value is drawn from all it can
# be (evidence: none), at MAX_STRENGTH every answer is yes and every value near green (evidence: all).
MAX_STRENGTH = 6
# How far a favoured metric lands from its green anchor, as a share of the green-to-red span: negative
# is beyond green (still 100), 0.25 is a quarter of the way to red (75).
NEAR_GREEN = st.floats(-0.3, 0.25)
# The Score JSON writes scores rounded down to two decimals and confidences to three (readiness.display):
# one unit of the last decimal is the most an explained number may differ from an exact one.
SCORE_TOLERANCE = 0.01
CONFIDENCE_TOLERANCE = 0.001


def metric_values(metric: Metric) -> st.SearchStrategy[Any]:
    """Any value the metric accepts."""
    if metric.kind == "bool":
        return st.booleans()
    low, high = metric.bounds
    low = 0.0 if low is None else low
    high = OPEN_BOUNDS.get(metric.unit, high or 100.0)
    if metric.kind == "count":
        return st.integers(int(low), int(high)).map(float)
    floor = 0.01 if metric.exclusive_minimum else low
    return st.floats(floor, high, allow_nan=False, allow_infinity=False)


def _in_bounds(metric: Metric, value: float) -> float:
    """``value`` clipped to what the metric accepts (and a whole number for counts)."""
    low, high = metric.bounds
    high = OPEN_BOUNDS.get(metric.unit, high)
    value = max(low, value) if low is not None else value
    value = min(high, value) if high is not None else value
    return float(round(value)) if metric.kind == "count" else value


def near_green(draw: st.DrawFn, metric: Metric, budget: float | None) -> Any:
    """A value of ``metric`` at or near its green anchor (a ratio metric needs its ``budget`` drawn)."""
    curve = metric.curve
    if curve is None:  # the latency budget itself: any positive budget
        return draw(st.floats(0.5, 10.0))
    if isinstance(curve, BoolCurve):
        return True
    if isinstance(curve, BandCurve):
        return draw(st.floats(curve.green_low, curve.green_high))
    value = curve.green + draw(NEAR_GREEN) * (curve.red - curve.green)
    if isinstance(curve, RatioCurve):
        if budget is None:
            return None
        value *= budget
    return _in_bounds(metric, value)


def _favoured(draw: st.DrawFn, strength: int) -> bool:
    """Whether this item is drawn like a strong pilot's: with probability strength / MAX_STRENGTH."""
    return draw(st.integers(1, MAX_STRENGTH)) <= strength


def _answers(draw: st.DrawFn, strength: int, evidence_strength: int) -> tuple[dict[str, str], dict[str, str]]:
    answers: dict[str, str] = {}
    for question in MODEL.questions:
        options = ["yes", "no", "not_sure"] + ([] if question.core else ["n_a"])
        answer = "yes" if _favoured(draw, strength) else draw(st.none() | st.sampled_from(options))
        if answer is not None:
            answers[question.id] = answer
    evidence = {q: "evidence" for q in answers if _favoured(draw, evidence_strength)}
    return answers, evidence


def _metrics(draw: st.DrawFn, strength: int, evidence_strength: int) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    # Ratio metrics last: their value is drawn relative to the budget drawn before them.
    ordered = sorted(MODEL.metrics, key=lambda m: isinstance(m.curve, RatioCurve))
    for metric in ordered:
        if not _favoured(draw, evidence_strength):
            continue  # not reported: missing evidence
        if _favoured(draw, strength):
            budget = metrics.get(metric.curve.denominator) if isinstance(metric.curve, RatioCurve) else None
            value = near_green(draw, metric, budget)
        else:
            value = draw(metric_values(metric))
        if value is not None:
            metrics[metric.id] = value
    return metrics


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    """Any valid assessment, favouring strong pilots so that every verdict occurs."""
    # Two independent dials: how good the answers and values are, and how well they are evidenced
    # (documented answers, reported metrics). Good but thinly evidenced pilots are the conditional ones.
    # Hypothesis favours and shrinks towards 0: counted down, strength leans to (and shrinks to) all-yes
    # pilots, evidence to none, so conditional pilots stay frequent and failures shrink to simple ones.
    strength = MAX_STRENGTH - draw(st.integers(0, MAX_STRENGTH))
    evidence_strength = draw(st.integers(0, MAX_STRENGTH))
    answers, evidence = _answers(draw, strength, evidence_strength)
    metrics = _metrics(draw, strength, evidence_strength)
    stage = draw(st.sampled_from(["pilot", "scaling", "production", "paused", "retired"]))
    start = draw(st.dates(date(2024, 1, 1), date(2026, 10, 1)))
    as_of = draw(st.dates(start, date(2026, 12, 31)))
    pilot = PilotContext(name="P", stage=stage, start_date=start)
    return Assessment(pilot=pilot, as_of=as_of, answers=answers, evidence=evidence, metrics=metrics)


def report_verdict(result: ScoreResult) -> ScoreResult:
    """Record the verdict for ``--hypothesis-show-statistics``, so a one-sided generator shows."""
    event(f"verdict: {result.verdict}")
    return result


def apply_path(assessment: Assessment, items: list[str]) -> Assessment:
    """The assessment with ``items`` fixed as the path means it: a yes, or a metric at its green anchor.

    A fixed answer keeps documented evidence only where the scoring already credited it (a no with a
    note); a note left on a "not sure" is not taken as evidence for the yes it becomes.
    """
    fixed = assessment.model_copy(deep=True)
    for item in items:
        if item in MODEL.question_by_id:
            if fixed.answers.get(item) != "no":
                fixed.evidence.pop(item, None)
            fixed.answers[item] = "yes"
            continue
        curve = MODEL.metric_by_id[item].curve
        if isinstance(curve, RatioCurve):
            fixed.metrics[item] = float(fixed.metrics[curve.denominator]) * curve.green
        else:
            fixed.metrics[item] = True if isinstance(curve, BoolCurve) else green_value(curve)
    return fixed


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(assessments())
def test_every_score_is_in_range(assessment: Assessment) -> None:
    result = report_verdict(score_assessment(assessment))
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
    result = report_verdict(score_assessment(assessment))
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
        assert gap.score == pytest.approx(expected, abs=SCORE_TOLERANCE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(assessments(), min_size=1, max_size=12))
def test_vectorized_path_equals_the_one_assessment_path(batch: list[Assessment]) -> None:
    scored = score_frame(assessments_to_frame(batch))
    for values, assessment in zip(scored.to_dict("records"), batch, strict=True):
        single = score_assessment(assessment)
        event(f"batch holds a {single.verdict} pilot")
        assert values["verdict"] == single.verdict
        assert values["overall"] == pytest.approx(single.overall, abs=SCORE_TOLERANCE)
        assert values["overall_confidence"] == pytest.approx(single.overall_confidence, abs=CONFIDENCE_TOLERANCE)
        assert values["weakest_gap"] == single.weakest_gap
        assert values["open_core"] == len(single.seed_rule.open_items)
        assert values["stalled"] == any(f.id == "stalled" for f in single.flags)
        assert values["multi_gap"] == any(f.id == "multi_gap" for f in single.flags)
        for gap in GAP_IDS:
            assert values[f"score.{gap}"] == pytest.approx(single.gaps[gap].score, abs=SCORE_TOLERANCE)
            assert values[f"confidence.{gap}"] == pytest.approx(single.gaps[gap].confidence, abs=CONFIDENCE_TOLERANCE)
        for risk in single.compound_risks:
            assert values[f"state.{risk.id}"] == risk.state


@FAST
@given(assessments())
def test_path_to_next_verdict_moves_up_when_reached(assessment: Assessment) -> None:
    path = report_verdict(score_assessment(assessment)).path_to_next_verdict
    assume(path.target_verdict is not None and path.reached)
    after = score_assessment(apply_path(assessment, path.items))
    assert VERDICT_ORDER.index(after.verdict) >= VERDICT_ORDER.index(path.target_verdict)


def failed_conditions(result: ScoreResult, target: str) -> list[str]:
    """What the note must name for each condition of ``target`` that ``result`` fails (from the rules).

    Scores here are rounded to two decimals, so a score within 0.01 of its threshold is left out: the
    core compares unrounded values and may rightly see it on the other side.
    """
    names = ["seed rule"] if result.seed_rule.fired else []
    gap_floor = RULES.not_ready_gap_below if target == "conditional" else RULES.ready_gap_at_least
    names += [g.label for g in result.gaps.values() if g.score < gap_floor - 0.01]
    risky = {"critical"} if target == "conditional" else {"active", "critical"}
    names += [f"compound risk {r.id} " for r in result.compound_risks if r.state in risky]
    if target == "ready" and result.overall < RULES.ready_overall_at_least - 0.01:
        names.append("overall readiness")
    if target == "ready" and result.overall_confidence < RULES.ready_confidence_at_least - 0.001:
        names.append("confidence")
    return names


FIX_COUNT = re.compile(r"Fixing (\d+) items?\b")


@FAST
@given(assessments())
def test_the_path_note_never_contradicts_its_items(assessment: Assessment) -> None:
    result = report_verdict(score_assessment(assessment))
    path = result.path_to_next_verdict
    event(f"path: {'reached' if path.reached else 'not reached'}, {'with' if path.items else 'no'} items")
    counts = [int(n) for n in FIX_COUNT.findall(path.note)]
    assert counts == ([len(path.items)] if path.items else []), path.note
    if path.items:
        assert "No answer or metric left" not in path.note
    if path.reached:
        assert not path.remaining
        return
    assert path.target_verdict is not None
    # Not reached: every item was fixed, the verdict did not move, and the note says what stops it.
    assert path.remaining, path.note
    assert all(condition in path.note for condition in path.remaining)
    after = score_assessment(apply_path(assessment, path.items))
    assert after.verdict == result.verdict
    for name in failed_conditions(after, path.target_verdict):
        assert name in path.note, (name, path.note)
