"""Scoring rules of docs/model.md, each at its anchors and boundaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from readiness.assessment import parse_assessment
from readiness.curves import curve_score
from readiness.errors import InvalidInput
from readiness.model import GAP_IDS, load_model
from readiness.scoring import aggregate, issued_score, score_assessment
from tests.factories import assessment_data, build, red_metrics

MODEL = load_model()
METRICS = MODEL.metric_by_id


def item_score(metric_id: str, value: float, denominator: float | None = None) -> float:
    curve = METRICS[metric_id].curve
    assert curve is not None
    return float(curve_score(curve, value, denominator))


@pytest.mark.parametrize(
    ("metric_id", "green", "red", "between", "expected_between"),
    [
        ("data.production_sample_share", 80, 10, 45, 50),
        ("data.source_coverage", 100, 25, 62.5, 50),
        ("data.missing_field_rate", 2, 20, 11, 50),
        ("data.duplicate_rate", 1, 10, 5.5, 50),
        ("data.production_quality_drop", 5, 30, 17.5, 50),
        ("scale.load_test_multiple", 10, 1, 5.5, 50),
        ("scale.error_rate_at_peak", 0.5, 5, 2.75, 50),
        ("scale.components_with_budget", 100, 0, 25, 25),
        ("monitoring.time_to_detect_h", 4, 168, 86, 50),
        ("monitoring.signals_tracked", 5, 1, 3, 50),
        ("monitoring.output_review_share", 10, 0, 5, 50),
        ("governance.audit_trail_coverage", 100, 50, 75, 50),
        ("governance.explainable_output_share", 95, 20, 57.5, 50),
        ("governance.months_since_compliance_review", 6, 18, 12, 50),
        ("ownership.run_budget_months", 12, 0, 6, 50),
        ("trust.adoption_rate", 60, 20, 40, 50),
        ("trust.skeptical_testers", 10, 0, 5, 50),
    ],
)
def test_linear_curves_at_their_anchors_and_between(metric_id, green, red, between, expected_between) -> None:
    assert item_score(metric_id, green) == 100
    assert item_score(metric_id, red) == 0
    assert item_score(metric_id, between) == pytest.approx(expected_between)
    beyond_green = green + (green - red)
    beyond_red = red - (green - red)
    assert item_score(metric_id, beyond_green) == 100
    assert item_score(metric_id, beyond_red) == 0


@pytest.mark.parametrize(
    ("override_rate", "expected"),
    [(0, 0), (1, 50), (2, 100), (10, 100), (25, 100), (37.5, 50), (50, 0), (80, 0)],
)
def test_override_rate_is_a_two_sided_band(override_rate: float, expected: float) -> None:
    assert item_score("trust.override_rate", override_rate) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("p95", "budget", "expected"), [(3.0, 3.0, 100), (1.0, 3.0, 100), (6.0, 3.0, 50), (9.0, 3.0, 0), (20, 2, 0)]
)
def test_latency_is_scored_as_its_ratio_to_the_budget(p95: float, budget: float, expected: float) -> None:
    assert item_score("scale.p95_latency_s", p95, budget) == pytest.approx(expected)


def test_booleans_score_100_or_0() -> None:
    assert item_score("trust.confidence_shown", 1.0) == 100
    assert item_score("trust.confidence_shown", 0.0) == 0


def test_a_metric_not_reported_is_left_out_but_lowers_confidence() -> None:
    full = score_assessment(build())
    metrics = build().metrics
    del metrics["data.duplicate_rate"]
    partial = score_assessment(build(metrics=metrics))
    assert partial.gaps["data"].score == full.gaps["data"].score == 100
    assert partial.gaps["data"].confidence < full.gaps["data"].confidence
    assert "data.duplicate_rate" in partial.missing_metrics


def test_latency_without_a_budget_cannot_be_scored() -> None:
    metrics = build().metrics
    del metrics["scale.latency_budget_s"]
    result = score_assessment(build(metrics=metrics))
    item = next(i for i in result.gaps["scale"].items if i.id == "scale.p95_latency_s")
    assert item.score is None and not item.counted and "no budget" in item.display


def test_all_yes_and_all_green_is_ready_with_every_gap_at_100() -> None:
    result = score_assessment(build())
    assert result.verdict == "ready"
    assert all(gap.score == 100 for gap in result.gaps.values())
    assert result.overall == 100
    assert not result.seed_rule.fired
    assert result.remediation == []
    assert result.path_to_next_verdict.target_verdict is None


@pytest.mark.parametrize("open_answer", ["no", "not_sure", None])
def test_seed_rule_fires_at_three_open_core_answers(open_answer: str | None) -> None:
    data = assessment_data(answers={"DATA-1": "no", "SCALE-2": "not_sure"})
    if open_answer is None:
        del data["answers"]["GOV-3"]
    else:
        data["answers"]["GOV-3"] = open_answer
    result = score_assessment(parse_assessment(data))
    assert result.seed_rule.fired
    assert result.verdict == "not_ready"
    assert sorted(result.seed_rule.open_items) == ["DATA-1", "GOV-3", "SCALE-2"]
    seed_reason = next(r for r in result.reasons if r.startswith("Seed rule"))
    for item in ("DATA-1", "SCALE-2", "GOV-3"):
        assert item in seed_reason


def test_seed_rule_does_not_fire_at_two_open_core_answers() -> None:
    result = score_assessment(build(answers={"DATA-1": "no", "SCALE-2": "not_sure"}))
    assert not result.seed_rule.fired
    assert not any(r.startswith("Seed rule") for r in result.reasons)
    assert result.verdict != "not_ready" or any("below 40" in r for r in result.reasons)


def test_data_and_trust_below_40_make_c1_critical() -> None:
    metrics = build().metrics
    red = red_metrics()
    for metric_id in metrics:
        if metric_id.startswith(("data.", "trust.")):
            metrics[metric_id] = red[metric_id]
    answers = {"DATA-1": "no", "DATA-2": "no", "TRUST-1": "no", "TRUST-2": "no"}
    result = score_assessment(build(answers=answers, metrics=metrics))
    assert result.gaps["data"].score < 40 and result.gaps["trust"].score < 40
    c1 = next(r for r in result.compound_risks if r.id == "C1")
    assert c1.state == "critical"
    assert c1.severity == pytest.approx((100 - result.gaps["data"].score) * (100 - result.gaps["trust"].score) / 1e4)
    assert any("C1" in reason for reason in result.reasons)
    assert result.verdict == "not_ready"
    assert any(chain.gaps == ["data", "trust"] for chain in result.chains)


def test_ownership_scale_trust_is_reported_as_one_chain() -> None:
    red = red_metrics()
    metrics = {
        k: (red[k] if k.split(".")[0] in {"ownership", "scale", "trust"} else v) for k, v in build().metrics.items()
    }
    answers = {"OWN-1": "no", "OWN-2": "no", "SCALE-1": "no", "SCALE-2": "no", "TRUST-1": "no", "TRUST-2": "no"}
    result = score_assessment(build(answers=answers, metrics=metrics))
    assert ["ownership", "scale", "trust"] in [chain.gaps for chain in result.chains]
    assert any(f.id == "multi_gap" for f in result.flags)


def test_stalled_after_eight_months_in_pilot_only() -> None:
    stalled = score_assessment(build(start_date="2026-01-15"))
    assert any(f.id == "stalled" for f in stalled.flags)
    young = score_assessment(build(start_date="2026-04-01"))
    assert not any(f.id == "stalled" for f in young.flags)
    scaling = score_assessment(build(start_date="2025-01-01", stage="scaling"))
    assert not any(f.id == "stalled" for f in scaling.flags)


def test_aggregators() -> None:
    weights = dict.fromkeys(GAP_IDS, 1.0)
    scores = dict(zip(GAP_IDS, [100, 80, 60, 100, 90, 40], strict=True))
    assert aggregate(scores, weights, "weakest_link") == 40
    assert aggregate(scores, weights, "weighted_mean") == pytest.approx(470 / 6)
    assert aggregate(scores, weights, "geometric") == pytest.approx(math.prod(scores.values()) ** (1 / 6))
    assert aggregate(scores | {"trust": 0}, weights, "geometric") == 0


def test_conditional_names_what_stands_between_it_and_ready() -> None:
    weak_trust = {"trust.adoption_rate": 30.0, "trust.skeptical_testers": 2, "trust.override_rate": 60.0}
    metrics = build().metrics | weak_trust | {"trust.confidence_shown": False}
    result = score_assessment(build(metrics=metrics))
    assert result.verdict == "conditional"
    assert 40 <= result.gaps["trust"].score < 70
    assert any("User trust" in r and "trust.override_rate" in r for r in result.reasons)
    assert result.path_to_next_verdict.target_verdict == "ready"
    assert result.path_to_next_verdict.reached
    fixed = result.path_to_next_verdict.items
    assert set(fixed) <= set(weak_trust) | {"trust.confidence_shown"}


def test_low_confidence_blocks_ready() -> None:
    result = score_assessment(build(metrics={}))
    assert result.verdict == "conditional"
    assert result.overall_confidence < 0.6
    assert any(r.startswith("Confidence") for r in result.reasons)
    assert not result.path_to_next_verdict.reached


def test_remediation_is_ranked_by_gain_and_cites_the_guidance() -> None:
    answers = {"DATA-1": "no", "TRUST-1": "not_sure"}
    metrics = build().metrics | {"scale.load_test_multiple": 2.0}
    result = score_assessment(build(answers=answers, metrics=metrics))
    gains = [a.gain for a in result.remediation]
    assert gains == sorted(gains, reverse=True)
    assert {a.item for a in result.remediation} == {"DATA-1", "TRUST-1", "scale.load_test_multiple"}
    by_item = {a.item: a for a in result.remediation}
    assert by_item["DATA-1"].advice == MODEL.gap("data").guidance
    assert all(a.gain > 0 for a in result.remediation)


def test_explanation_items_reproduce_each_gap_score() -> None:
    result = score_assessment(build(answers={"DATA-3": "no", "DATA-4": "n_a"}, metrics={"data.duplicate_rate": 4.0}))
    for gap in result.gaps.values():
        counted = [i for i in gap.items if i.counted]
        expected = sum(i.score * i.weight for i in counted) / sum(i.weight for i in counted)
        assert gap.score == pytest.approx(expected, abs=0.01)


def test_documented_answers_raise_confidence() -> None:
    plain = score_assessment(build(metrics={}))
    data = assessment_data(metrics={})
    data["evidence"] = {"DATA-1": "eval report Q3", "DATA-2": "data contract v2"}
    documented = score_assessment(parse_assessment(data))
    assert documented.gaps["data"].confidence > plain.gaps["data"].confidence
    assert documented.gaps["data"].score == plain.gaps["data"].score


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (lambda d: d["answers"].update({"DATA-99": "yes"}), "answers.DATA-99"),
        (lambda d: d["answers"].update({"DATA-1": "maybe"}), "answers.DATA-1"),
        (lambda d: d["answers"].update({"DATA-1": "n_a"}), "answers.DATA-1"),
        (lambda d: d["metrics"].update({"trust.adoption_rate": 140}), "metrics.trust.adoption_rate"),
        (lambda d: d["metrics"].update({"scale.p95_latency_s": -1}), "metrics.scale.p95_latency_s"),
        (lambda d: d["metrics"].update({"monitoring.signals_tracked": 6}), "metrics.monitoring.signals_tracked"),
        (lambda d: d["metrics"].update({"trust.adoption_rate": "lots"}), "metrics.trust.adoption_rate"),
        (lambda d: d["metrics"].update({"data.nothing": 1}), "metrics.data.nothing"),
        (lambda d: d.update(as_of="2026-01-01"), "as_of"),
        (lambda d: d["pilot"].update(stage="dreaming"), "pilot.stage"),
        (lambda d: d.pop("as_of"), "as_of"),
    ],
)
def test_invalid_input_names_the_field(change, location: str) -> None:
    data = assessment_data()
    change(data)
    with pytest.raises(InvalidInput) as caught:
        parse_assessment(data)
    assert caught.value.issues[0].location == location
    assert location in caught.value.summary()


def test_deeper_questions_accept_n_a_and_are_left_out() -> None:
    result = score_assessment(build(answers={"DATA-3": "n_a"}))
    item = next(i for i in result.gaps["data"].items if i.id == "DATA-3")
    assert item.score is None and not item.counted and item.evidence == "n_a"


def test_curves_are_vectorized() -> None:
    curve = METRICS["trust.override_rate"].curve
    assert curve is not None
    values = np.array([0, 1, 10, 37.5, np.nan])
    np.testing.assert_allclose(curve_score(curve, values), [0, 50, 100, 50, np.nan])


def test_the_issued_record_carries_the_same_numbers_as_the_explained_score() -> None:
    assessment = build(answers={"DATA-1": "no", "TRUST-2": "not_sure"}, metrics={"trust.adoption_rate": 25.0})
    explained = score_assessment(assessment).to_json_dict()
    issued = issued_score(assessment)
    for key in ("verdict", "reasons", "overall", "overall_confidence", "weakest_gap", "compound_risks", "flags"):
        assert issued[key] == explained[key], key
    assert issued["gaps"] == {
        g: {"score": v["score"], "confidence": v["confidence"]} for g, v in explained["gaps"].items()
    }
