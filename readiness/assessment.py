"""The assessment a pilot team submits: its context, checklist answers with evidence, and metrics.

The shape is the Assessment JSON of docs/contracts.md, a public contract. Parsing happens in two steps:
pydantic checks types and shapes, then :func:`check_against_model` checks the content against the
readiness model (known IDs, ``n_a`` only on deeper questions, values in range) so that every problem
is reported with the exact field that holds it. The check is pure: it returns the normalised
assessment and never writes into the one it is given.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError

from readiness.errors import InvalidInput, Issue, issues_from_pydantic
from readiness.evidence.base import Provenance
from readiness.model import AnswerValue, Metric, ReadinessModel, load_model

Stage = Literal["pilot", "scaling", "production", "paused", "retired"]
STAGES: tuple[Stage, ...] = ("pilot", "scaling", "production", "paused", "retired")

MetricValue = StrictBool | StrictInt | StrictFloat | str
BOOL_WORDS = {"yes": True, "no": False, "true": True, "false": False, "y": True, "n": False}


class PilotContext(BaseModel):
    """Who and what the pilot is. Not scored; used for flags, filters and views."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    business_unit: str | None = Field(default=None, max_length=200)
    owning_team: str | None = Field(default=None, max_length=200)
    executive_sponsor: str | None = Field(default=None, max_length=200)
    stage: Stage = "pilot"
    start_date: date | None = None
    expected_annual_value: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    monthly_run_cost: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    peak_concurrent_users: int | None = Field(default=None, ge=0)


# The context fields besides the name, in declaration order: the store's columns and the frame's follow it.
CONTEXT_FIELDS: tuple[str, ...] = tuple(name for name in PilotContext.model_fields if name != "name")


class Measurement(BaseModel):
    """How Readiness measured a metric from an evidence file: the file's provenance and the method."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provenance: Provenance
    method: str = Field(max_length=500)


class Assessment(BaseModel):
    """One dated self-assessment of one pilot (the Assessment JSON of docs/contracts.md)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    pilot: PilotContext
    as_of: date
    submitted_by: str | None = Field(default=None, max_length=320)
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    # Keyed by question ID (the answer's evidence) or metric ID (the report a typed value comes from).
    evidence: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    # Metrics Readiness computed itself from evidence files (``readiness evidence``); never typed input.
    measurements: dict[str, Measurement] = Field(default_factory=dict)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: the same content always gives the same hash.

        An assessment without measurements hashes as it did before measurements existed, so re-importing
        a file stored earlier is still recognised.
        """
        content = self.model_dump(mode="json")
        if not content["measurements"]:
            del content["measurements"]
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def documented(self, item_id: str) -> bool:
        """Whether an answer or a typed metric value carries evidence (a note, a link, a report)."""
        return bool(self.evidence.get(item_id, "").strip())

    def measured(self, metric_id: str) -> bool:
        """Whether a metric's value was computed by Readiness from an evidence file."""
        return metric_id in self.measurements and metric_id in self.metrics


MEASUREMENTS_TYPED = (
    "measured values come only from evidence files that Readiness reads itself (readiness evidence, or the "
    "Pilot page); type the value in metrics, with the report it comes from in evidence"
)


def parse_assessment(
    data: Any, source: str = "", model: ReadinessModel | None = None, *, measured: bool = False
) -> Assessment:
    """Validate raw data (parsed JSON) into an :class:`Assessment`, or raise :class:`InvalidInput`.

    Metric values come back normalised: booleans as ``bool``, everything else as ``float``. Input typed by
    people may not carry ``measurements`` (a typed "measured" would be a claim nobody checked); only the
    evidence use case and the store, which read or kept the files' provenance, pass ``measured=True``.
    """
    model = model or load_model()
    if not measured and isinstance(data, dict) and data.get("measurements"):
        raise InvalidInput([Issue("error", "measurements", MEASUREMENTS_TYPED)], source)
    try:
        assessment = Assessment.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(issues_from_pydantic(error), source) from None
    normalised, issues = check_against_model(assessment, model)
    if any(i.severity == "error" for i in issues):
        raise InvalidInput(issues, source)
    return normalised


def check_against_model(assessment: Assessment, model: ReadinessModel) -> tuple[Assessment, list[Issue]]:
    """The assessment with its metric values normalised, and every way it disagrees with the model.

    Each issue names the field that holds it. Metric values come back normalised (``"yes"`` → ``True``,
    ``45`` → ``45.0``) in a shallow copy; ``assessment`` itself is never modified, and is returned as it
    is when nothing needed normalising.
    """
    metrics, issues = _normalised_metrics(assessment.metrics, model)
    issues = _answer_issues(assessment, model) + issues
    start = assessment.pilot.start_date
    if start is not None and assessment.as_of < start:
        issues.append(
            Issue("error", "as_of", f"assessment date {assessment.as_of} is before the pilot's start date {start}")
        )
    # A reference for a metric with no value backs nothing: it is dropped, with a warning, rather than stored.
    orphans = [m for m in assessment.evidence if m in model.metric_by_id and m not in assessment.metrics]
    issues += [
        Issue("warning", f"evidence.{m}", "a reference without the metric's value is ignored: add the value")
        for m in orphans
    ]
    if _same_values(metrics, assessment.metrics) and not orphans:
        return assessment, issues
    evidence = {k: v for k, v in assessment.evidence.items() if k not in orphans}
    return assessment.model_copy(update={"metrics": metrics, "evidence": evidence}), issues


def _answer_issues(assessment: Assessment, model: ReadinessModel) -> list[Issue]:
    """Unknown question IDs in answers and evidence, and ``n_a`` on a core question."""
    issues: list[Issue] = []
    questions = model.question_by_id
    for question_id, answer in assessment.answers.items():
        question = questions.get(question_id)
        if question is None:
            issues.append(Issue("error", f"answers.{question_id}", f"unknown question ID '{question_id}'"))
        elif answer == "n_a" and question.core:
            issues.append(
                Issue(
                    "error",
                    f"answers.{question_id}",
                    "n_a is allowed only on deeper questions, not on the core checklist",
                )
            )
    for item_id in assessment.evidence:
        if item_id not in questions and item_id not in model.metric_by_id:
            issues.append(Issue("error", f"evidence.{item_id}", f"unknown question or metric ID '{item_id}'"))
    for metric_id in assessment.measurements:
        if metric_id not in assessment.metrics:
            issues.append(Issue("error", f"measurements.{metric_id}", "a measurement without the metric's value"))
    return issues


def _normalised_metrics(
    raw_metrics: dict[str, MetricValue], model: ReadinessModel
) -> tuple[dict[str, MetricValue], list[Issue]]:
    """A new dict of the metric values coerced to their kinds (a value that cannot be is kept as given),
    and the problems found on the way."""
    metrics = model.metric_by_id
    normalised: dict[str, MetricValue] = {}
    issues: list[Issue] = []
    for metric_id, raw in raw_metrics.items():
        normalised[metric_id] = raw
        metric = metrics.get(metric_id)
        if metric is None:
            issues.append(Issue("error", f"metrics.{metric_id}", f"unknown metric ID '{metric_id}'"))
            continue
        try:
            normalised[metric_id] = coerce_metric_value(metric, raw)
        except ValueError as problem:
            issues.append(Issue("error", f"metrics.{metric_id}", str(problem)))
    return normalised, issues


def _same_values(new: dict[str, MetricValue], old: dict[str, MetricValue]) -> bool:
    # Types matter, not only equality: 45 == 45.0 and True == 1, yet they hash to different content.
    return all(type(value) is type(old[key]) and value == old[key] for key, value in new.items())


def coerce_metric_value(metric: Metric, raw: object) -> bool | float:
    """A metric value of the right type and inside the metric's range, or ``ValueError`` saying why."""
    if metric.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in BOOL_WORDS:
            return BOOL_WORDS[raw.strip().lower()]
        raise ValueError(f"expected yes or no, got {raw!r}")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"expected a number in {metric.unit}, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {raw!r}")
    if metric.kind == "count" and not value.is_integer():
        raise ValueError(f"expected a whole number, got {raw!r}")
    low, high = metric.bounds
    below = low is not None and (value < low or (metric.exclusive_minimum and value == low))
    if below or (high is not None and value > high):
        raise ValueError(out_of_range_text(metric, value))
    return value


def range_text(metric: Metric) -> str:
    """The values a metric accepts, in words: ``between 0 and 100%``, ``between 0 and 5``, ``greater than 0 s``.

    A unit that is itself a range (``of 5``) is left out: "between 0 and 5" says it already.
    """
    low, high = metric.bounds
    unit = metric.unit.strip()
    suffix = "" if not unit or unit.startswith("of ") else unit if unit == "%" else f" {unit}"
    if low is not None and high is not None:
        if metric.exclusive_minimum:
            return f"greater than {low:g} and at most {high:g}{suffix}"
        return f"between {low:g} and {high:g}{suffix}"
    if low is not None:
        return f"{'greater than' if metric.exclusive_minimum else 'at least'} {low:g}{suffix}"
    if high is not None:
        return f"at most {high:g}{suffix}"
    return "any number"


def out_of_range_text(metric: Metric, number: float) -> str:
    """``6 is out of range: Signals tracked must be between 0 and 5``."""
    return f"{number:g} is out of range: {metric.short} must be {range_text(metric)}"


def assessment_json_schema() -> dict[str, Any]:
    """The JSON Schema of the Assessment input, with the model's IDs listed for editors."""
    schema = Assessment.model_json_schema()
    model = load_model()
    properties = schema["properties"]
    # Measurements are computed by Readiness from evidence files, never typed: not part of the input.
    del properties["measurements"]
    for name in ("Measurement", "Provenance", "SourceFile"):
        schema.get("$defs", {}).pop(name, None)
    properties["answers"]["propertyNames"] = {"enum": [q.id for q in model.questions]}
    properties["evidence"]["propertyNames"] = {"enum": [q.id for q in model.questions] + [m.id for m in model.metrics]}
    properties["metrics"]["propertyNames"] = {"enum": [m.id for m in model.metrics]}
    schema["description"] = f"Readiness assessment input (model {model.version})."
    return schema
