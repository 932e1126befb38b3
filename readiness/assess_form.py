"""The self-assessment form as plain data: widget keys, prefilled values, and the Assessment they make.

The Assess page keeps one flat mapping of field keys to values (Streamlit's session state). This module
turns an existing snapshot into that mapping (prefill), turns the mapping back into the raw Assessment
JSON that :func:`readiness.assessment.parse_assessment` validates, and names every field in words so a
validation problem can be shown next to the input that holds it. No Streamlit here: the same logic is
tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from readiness.assessment import Assessment, PilotContext
from readiness.excel.layout import PILOT_FIELDS
from readiness.model import ANSWER_LABELS, Metric, ReadinessModel, load_model

CONTEXT_TEXT_FIELDS = ("business_unit", "owning_team", "executive_sponsor")
CONTEXT_NUMBER_FIELDS = ("expected_annual_value", "monthly_run_cost", "peak_concurrent_users")
# The same labels as the workbook's Pilot sheet, so a team sees one name per field everywhere.
CONTEXT_LABELS: dict[str, str] = {f.key: f.label for f in PILOT_FIELDS if f.key in PilotContext.model_fields}
CORE_ANSWERS = ("yes", "no", "not_sure")
DEEPER_ANSWERS = ("yes", "no", "not_sure", "n_a")
PREFIX = "assess."


def context_key(name: str) -> str:
    """Session-state key of a pilot context field (``pilot.business_unit`` → ``assess.ctx.business_unit``)."""
    return f"{PREFIX}ctx.{name}"


def answer_key(question_id: str) -> str:
    """Session-state key of a question's answer."""
    return f"{PREFIX}q.{question_id}"


def evidence_key(question_id: str) -> str:
    """Session-state key of a question's evidence note."""
    return f"{PREFIX}e.{question_id}"


def metric_key(metric_id: str) -> str:
    """Session-state key of a metric's value."""
    return f"{PREFIX}m.{metric_id}"


AS_OF_KEY = f"{PREFIX}as_of"
SUBMITTED_BY_KEY = f"{PREFIX}submitted_by"


def answer_options(core: bool) -> tuple[str, ...]:
    """The answers a question accepts: N/A only on deeper questions."""
    return CORE_ANSWERS if core else DEEPER_ANSWERS


def answer_label(value: str) -> str:
    """Yes / No / Not sure / N/A."""
    return ANSWER_LABELS[value]


def metric_step(metric: Metric) -> float:
    """The increment of a metric's number input: whole units for counts, finer for small ranges."""
    if metric.kind == "count":
        return 1.0
    if metric.kind == "months":
        return 0.5
    if metric.kind == "percent":
        return 0.5
    return 0.1


def metric_format(metric: Metric) -> str:
    """printf format of a metric's number input."""
    return "%.0f" if metric.kind == "count" else "%.2f" if metric.kind == "number" else "%.1f"


def blank_values(model: ReadinessModel | None = None, today: date | None = None) -> dict[str, Any]:
    """The form for a new pilot: nothing answered, no metric reported, dated today."""
    model = model or load_model()
    values: dict[str, Any] = {context_key("name"): "", context_key("stage"): "pilot", context_key("start_date"): None}
    values |= {context_key(f): "" for f in CONTEXT_TEXT_FIELDS}
    values |= {context_key(f): None for f in CONTEXT_NUMBER_FIELDS}
    values |= {AS_OF_KEY: today or date.today(), SUBMITTED_BY_KEY: ""}
    for question in model.questions:
        values[answer_key(question.id)] = None
        values[evidence_key(question.id)] = ""
    for metric in model.metrics:
        values[metric_key(metric.id)] = None
    return values


def prefill_values(
    assessment: Assessment, model: ReadinessModel | None = None, today: date | None = None
) -> dict[str, Any]:
    """The form prefilled from a pilot's last snapshot, dated today (a new snapshot starts from the last)."""
    model = model or load_model()
    values = blank_values(model, today)
    pilot = assessment.pilot
    values[context_key("name")] = pilot.name
    values[context_key("stage")] = pilot.stage
    values[context_key("start_date")] = pilot.start_date
    for name in CONTEXT_TEXT_FIELDS:
        values[context_key(name)] = getattr(pilot, name) or ""
    for name in CONTEXT_NUMBER_FIELDS:
        number = getattr(pilot, name)
        values[context_key(name)] = None if number is None else float(number)
    values[SUBMITTED_BY_KEY] = assessment.submitted_by or ""
    known = model.question_by_id
    for question_id, answer in assessment.answers.items():
        if question_id in known:
            values[answer_key(question_id)] = answer
    for question_id, note in assessment.evidence.items():
        if question_id in known:
            values[evidence_key(question_id)] = note
    metrics = model.metric_by_id
    for metric_id, value in assessment.metrics.items():
        metric = metrics.get(metric_id)
        if metric is None:
            continue
        if metric.kind == "bool":
            values[metric_key(metric_id)] = "yes" if value is True else "no" if value is False else None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values[metric_key(metric_id)] = float(value)
    return values


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def assessment_payload(state: Mapping[str, Any], model: ReadinessModel | None = None) -> dict[str, Any]:
    """The raw Assessment JSON the form holds, for :func:`readiness.assessment.parse_assessment`.

    Empty fields are left out rather than sent as empty strings, so that only real input is judged.
    """
    model = model or load_model()
    pilot: dict[str, Any] = {
        "name": _text(state.get(context_key("name"))) or "",
        "stage": state.get(context_key("stage")),
    }
    for name in CONTEXT_TEXT_FIELDS:
        if text := _text(state.get(context_key(name))):
            pilot[name] = text
    start = state.get(context_key("start_date"))
    if start is not None:
        pilot["start_date"] = start.isoformat() if isinstance(start, date) else start
    for name in CONTEXT_NUMBER_FIELDS:
        number = state.get(context_key(name))
        if number is not None:
            pilot[name] = int(number) if name == "peak_concurrent_users" and float(number).is_integer() else number
    as_of = state.get(AS_OF_KEY)
    payload: dict[str, Any] = {
        "pilot": pilot,
        "as_of": as_of.isoformat() if isinstance(as_of, date) else as_of,
        "answers": {},
        "evidence": {},
        "metrics": {},
    }
    if submitted := _text(state.get(SUBMITTED_BY_KEY)):
        payload["submitted_by"] = submitted
    for question in model.questions:
        answer = state.get(answer_key(question.id))
        if answer:
            payload["answers"][question.id] = answer
        if note := _text(state.get(evidence_key(question.id))):
            payload["evidence"][question.id] = note
    for metric in model.metrics:
        value = state.get(metric_key(metric.id))
        if value is None or value == "":
            continue
        payload["metrics"][metric.id] = value if metric.kind != "bool" else value == "yes"
    return payload


def field_key(location: str) -> str | None:
    """The session-state key of the field a validation issue points at (``metrics.x`` → its input)."""
    head, _, rest = location.partition(".")
    if head == "pilot" and rest:
        return context_key(rest.split(".")[0])
    if head == "answers" and rest:
        return answer_key(rest)
    if head == "evidence" and rest:
        return evidence_key(rest)
    if head == "metrics" and rest:
        return metric_key(rest)
    if head == "as_of":
        return AS_OF_KEY
    if head == "submitted_by":
        return SUBMITTED_BY_KEY
    return None


def field_label(location: str, model: ReadinessModel | None = None) -> str:
    """A validation issue's location in words: the question, metric or context field it names."""
    model = model or load_model()
    head, _, rest = location.partition(".")
    if head == "pilot" and rest:
        return CONTEXT_LABELS.get(rest.split(".")[0], rest)
    if head in {"answers", "evidence"} and rest in model.question_by_id:
        kind = "answer" if head == "answers" else "evidence"
        return f"{rest} ({kind})"
    if head == "metrics" and rest in model.metric_by_id:
        return f"{model.metric_by_id[rest].label} ({rest})"
    if head == "as_of":
        return "Assessment date"
    if head == "submitted_by":
        return "Submitted by"
    return location or "form"
