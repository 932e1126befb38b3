"""The readiness model file: the contract IDs of docs/model.md, and validation at load."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from readiness.model import GAP_IDS, ReadinessModel, load_model, load_model_file

CORE_IDS = [
    "DATA-1", "DATA-2", "SCALE-1", "SCALE-2", "MON-1", "MON-2", "GOV-1", "GOV-2", "GOV-3",
    "OWN-1", "OWN-2", "TRUST-1", "TRUST-2",
]  # fmt: skip
METRIC_IDS = [
    "data.production_sample_share", "data.source_coverage", "data.missing_field_rate", "data.duplicate_rate",
    "data.production_quality_drop", "scale.p95_latency_s", "scale.latency_budget_s", "scale.load_test_multiple",
    "scale.error_rate_at_peak", "scale.components_with_budget", "monitoring.time_to_detect_h",
    "monitoring.signals_tracked", "monitoring.output_review_share", "governance.audit_trail_coverage",
    "governance.explainable_output_share", "governance.pii_assessed", "governance.months_since_compliance_review",
    "ownership.operating_team_named", "ownership.business_owner_named", "ownership.incident_process",
    "ownership.retraining_owner", "ownership.run_budget_months", "trust.adoption_rate", "trust.skeptical_testers",
    "trust.override_rate", "trust.confidence_shown", "trust.escalation_path",
]  # fmt: skip
EDGES = {
    "C1": ("data", "trust"), "C2": ("monitoring", "governance"), "C3": ("ownership", "scale"),
    "C4": ("scale", "trust"), "C5": ("ownership", "monitoring"), "C6": ("data", "monitoring"),
    "C7": ("governance", "trust"),
}  # fmt: skip
MODEL_PATH = Path(__file__).parents[1] / "readiness" / "model.toml"


def test_contract_ids_are_exactly_those_of_the_spec() -> None:
    model = load_model()
    assert [g.id for g in model.gaps] == list(GAP_IDS)
    assert [q.id for q in model.core_questions] == CORE_IDS
    assert [m.id for m in model.metrics] == METRIC_IDS
    assert {e.id: (e.source, e.target) for e in model.edges} == EDGES


def test_every_item_has_a_label_a_weight_and_a_rationale() -> None:
    model = load_model()
    for question in model.questions:
        assert question.text.endswith("?") and question.rationale and question.weight > 0
    for metric in model.metrics:
        assert metric.label and metric.rationale and metric.where_to_find
    for question in (q for q in model.questions if not q.core):
        assert "seed" in question.rationale.lower(), question.id


def test_deeper_questions_are_two_to_four_per_gap() -> None:
    model = load_model()
    for gap in GAP_IDS:
        assert 2 <= sum(1 for q in model.questions if q.gap == gap and not q.core) <= 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["questions"][0].update(gap="speed"), "gap"),
        (lambda d: d["questions"].append(dict(d["questions"][0])), "duplicate IDs"),
        (lambda d: d["metrics"][0]["curve"].update(red=80), "must differ"),
        (lambda d: d["metrics"][5]["curve"].update(denominator="scale.nothing"), "unknown denominator"),
        (lambda d: d["gaps"].reverse(), "in that order"),
        (lambda d: d["edges"][0].update({"from": "latency"}), "from"),
    ],
)
def test_a_broken_model_is_refused_at_load(tmp_path: Path, change, message: str) -> None:
    data = tomllib.loads(MODEL_PATH.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(ValidationError, match=message):
        ReadinessModel.model_validate(data)


def test_the_shipped_file_loads_through_the_file_loader() -> None:
    assert load_model_file(MODEL_PATH) == load_model()
