"""Builders of assessments for tests: all-green, all-red, and variations of them."""

from __future__ import annotations

from typing import Any

from readiness.assessment import Assessment, parse_assessment
from readiness.curves import green_value
from readiness.model import BoolCurve, LinearCurve, RatioCurve, load_model

MODEL = load_model()
BUDGET_S = 3.0


def green_metrics() -> dict[str, Any]:
    """Every metric at its green anchor (the latency at exactly its budget)."""
    metrics: dict[str, Any] = {}
    for metric in MODEL.metrics:
        if metric.curve is None:
            metrics[metric.id] = BUDGET_S
        elif isinstance(metric.curve, RatioCurve):
            metrics[metric.id] = BUDGET_S * metric.curve.green
        elif isinstance(metric.curve, BoolCurve):
            metrics[metric.id] = True
        else:
            metrics[metric.id] = green_value(metric.curve)
    return metrics


def red_metrics() -> dict[str, Any]:
    """Every metric at its red anchor."""
    metrics: dict[str, Any] = {}
    for metric in MODEL.metrics:
        curve = metric.curve
        if curve is None:
            metrics[metric.id] = BUDGET_S
        elif isinstance(curve, RatioCurve):
            metrics[metric.id] = BUDGET_S * curve.red
        elif isinstance(curve, BoolCurve):
            metrics[metric.id] = False
        elif isinstance(curve, LinearCurve):
            metrics[metric.id] = curve.red
        else:
            metrics[metric.id] = curve.red_high
    return metrics


def assessment_data(
    answers: dict[str, str] | None = None, metrics: dict[str, Any] | None = None, **pilot: Any
) -> dict[str, Any]:
    """Assessment JSON with every core answer yes and every metric green, unless overridden."""
    core = {q.id: "yes" for q in MODEL.core_questions}
    return {
        "pilot": {"name": "Claims triage", "business_unit": "Operations", "owning_team": "Claims AI",
                  "stage": "pilot", "start_date": "2026-03-01", **pilot},
        "as_of": "2026-11-01",
        "submitted_by": "ana@example.com",
        "answers": core | (answers or {}),
        "evidence": metric_references(green_metrics() if metrics is None else metrics),
        "metrics": green_metrics() if metrics is None else metrics,
    }  # fmt: skip


def metric_references(metrics: dict[str, Any]) -> dict[str, str]:
    """A report reference for every metric given: typed values that count as documented evidence."""
    return {metric_id: f"{metric_id} from the Q3 report" for metric_id in metrics}


def build(answers: dict[str, str] | None = None, metrics: dict[str, Any] | None = None, **pilot: Any) -> Assessment:
    """A validated assessment (see :func:`assessment_data`)."""
    return parse_assessment(assessment_data(answers, metrics, **pilot))
