"""The assessment a pilot team submits: its context, checklist answers with evidence, and metrics.

The shape is the Assessment JSON of docs/contracts.md, a public contract. Parsing happens in two steps:
pydantic checks types and shapes, then :func:`check_against_model` checks the content against the
readiness model (known IDs, ``n_a`` only on deeper questions, values in range) so that every problem
is reported with the exact field that holds it. The check is pure: it returns the normalised
assessment and never writes into the one it is given.

Text hygiene
    Names and the other one-line fields (business unit, owning team, executive sponsor, submitted by)
    refuse control characters (C0, DEL and C1), bidirectional controls and zero-width characters; an
    evidence note may also hold tabs and line breaks, nothing else of those. Pilot names are
    NFKC-normalised with whitespace runs collapsed, and a name mixing Latin, Cyrillic or Greek letters
    (a look-alike of another name) is refused. :func:`name_key` is the one key by which two spellings
    of a name are the same pilot: every lookup of a pilot by name compares it. Values read back from
    the store are validated with the :data:`STORED` context, which keeps them exactly as stored.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from readiness.errors import InvalidInput, Issue, issues_from_pydantic
from readiness.evidence.base import Provenance
from readiness.model import AnswerValue, Metric, ReadinessModel, load_model

Stage = Literal["pilot", "scaling", "production", "paused", "retired"]
STAGES: tuple[Stage, ...] = ("pilot", "scaling", "production", "paused", "retired")

MetricValue = StrictBool | StrictInt | StrictFloat | str
BOOL_WORDS = {"yes": True, "no": False, "true": True, "false": False, "y": True, "n": False}

# --------------------------------------------------------------------------------------------
# Text hygiene and pilot names
# --------------------------------------------------------------------------------------------

MAX_NAME_LENGTH = 200
# An evidence note must fit one Excel cell (32,767 characters), or a prefilled template would have to cut it.
MAX_EVIDENCE_CHARS = 32_000
EARLIEST_AS_OF = date(1990, 1, 1)
MAX_DAYS_AHEAD = 1  # an assessment may be dated at most this many days after today (time zones)
# The validation context of values read back from the store: kept exactly as stored, never refused
# (rows written before these rules existed must still be readable).
STORED: dict[str, bool] = {"stored": True}

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_CONTROLS = "\x00-\x1f\x7f-\x9f"  # C0, DEL and C1
_FORBIDDEN_IN_LINE = re.compile(f"[{_CONTROLS}{BIDI_CONTROLS}{ZERO_WIDTH}]")
# Free text keeps tabs and line breaks (LF, and CR only as part of CRLF).
_FORBIDDEN_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f{BIDI_CONTROLS}{ZERO_WIDTH}]|\r(?!\n)")
# Scripts whose letters pass for each other's (a Cyrillic "а" for a Latin "a").
CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be accepted as typed text (a control, bidirectional-control or zero-width
    character), or None. ``multiline`` text (an evidence note) may hold tabs and line breaks."""
    found = (_FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE).search(value)
    if found is None:
        return None
    char = found.group()[0]
    if char in BIDI_CONTROLS:
        kind = "a bidirectional control character"
    elif char in ZERO_WIDTH:
        kind = "a zero-width character"
    else:
        kind = "a control character"
    return f"contains {kind} (U+{ord(char):04X}) at character {found.start() + 1}: remove it"


def normalise_name(name: str) -> str:
    """A pilot name as stored: NFKC-normalised, every run of whitespace (no-break spaces too) one space,
    no whitespace at either end."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def name_key(name: str) -> str:
    """The key by which two names are the same pilot: the NFKC-normalised name with whitespace collapsed,
    case-folded (``"Claims  triage"``, ``"claims\u00a0TRIAGE"`` and ``"Claims triage"`` share one key).

    The one definition of "the same name": the store, the services and the interfaces all compare names
    through it. Idempotent: ``name_key(name_key(n)) == name_key(n)``.
    """
    key = name
    for _ in range(8):  # case folding can leave text that NFKC changes again: repeat to a fixed point
        folded = unicodedata.normalize("NFKC", normalise_name(key).casefold())
        if folded == key:
            break
        key = folded
    return key


def match_name(wanted: str, names: Iterable[str]) -> str | None:
    """The name among ``names`` that is the same pilot as ``wanted``: the exact one, else the first with
    the same :func:`name_key`; None when there is none."""
    names = list(names)
    if wanted in names:
        return wanted
    key = name_key(wanted)
    return next((name for name in names if name_key(name) == key), None)


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    described = unicodedata.name(char, "")
    return next((s for s in CONFUSABLE_SCRIPTS if described.startswith(s + " ")), None)


def script_problem(name: str) -> str | None:
    """Why a name mixing Latin, Cyrillic or Greek letters is refused (it can pass for another name), or None."""
    first: dict[str, str] = {}
    for char in name:
        script = _script(char)
        if script is not None:
            first.setdefault(script, char)
    if len(first) < 2:
        return None
    (one, _), (other, char) = list(first.items())[:2]
    return (
        f"mixes {one.title()} and {other.title()} letters ('{char}', U+{ord(char):04X}, is {other.title()}), "
        "so it can pass for another pilot's name: write it in one script"
    )


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


def _check_line(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and not _stored(info):
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
    return value


def _check_text(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and not _stored(info):
        problem = text_problem(value, multiline=True)
        if problem:
            raise ValueError(problem)
        if len(value) > MAX_EVIDENCE_CHARS:
            limit = f"{MAX_EVIDENCE_CHARS:,} (an Excel cell's limit)"
            raise ValueError(f"is {len(value):,} characters long: an evidence note holds at most {limit}; cite the "
                             "document instead")  # fmt: skip
    return value


# One line of typed text (names, teams, people) and free text (evidence notes): see "Text hygiene" above.
Line = Annotated[str, BeforeValidator(_check_line)]
FreeText = Annotated[str, BeforeValidator(_check_text)]


class PilotContext(BaseModel):
    """Who and what the pilot is. Not scored; used for flags, filters and views.

    The name is normalised (:func:`normalise_name`) and refused when it mixes scripts; the other text
    fields are refused when they hold control, bidirectional-control or zero-width characters.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    business_unit: Line | None = Field(default=None, max_length=200)
    owning_team: Line | None = Field(default=None, max_length=200)
    executive_sponsor: Line | None = Field(default=None, max_length=200)
    stage: Stage = "pilot"
    start_date: date | None = None
    expected_annual_value: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    monthly_run_cost: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    peak_concurrent_users: int | None = Field(default=None, ge=0)

    @field_validator("name")
    @classmethod
    def _normal_name(cls, name: str, info: ValidationInfo) -> str:
        if _stored(info):
            return name
        normal = normalise_name(name)
        if not normal:
            raise ValueError("the name is blank")
        if len(normal) > MAX_NAME_LENGTH:
            raise ValueError(f"the name is longer than {MAX_NAME_LENGTH} characters once normalised")
        problem = script_problem(normal)
        if problem:
            raise ValueError(problem)
        return normal


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
    submitted_by: Line | None = Field(default=None, max_length=320)
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    # Keyed by question ID (the answer's evidence) or metric ID (the report a typed value comes from).
    evidence: dict[str, FreeText] = Field(default_factory=dict)
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


def check_against_model(
    assessment: Assessment, model: ReadinessModel, *, today: date | None = None
) -> tuple[Assessment, list[Issue]]:
    """The assessment with its metric values normalised, and every way it disagrees with the model.

    Each issue names the field that holds it. Metric values come back normalised (``"yes"`` → ``True``,
    ``45`` → ``45.0``) in a shallow copy; ``assessment`` itself is never modified, and is returned as it
    is when nothing needed normalising. ``today`` (default: :meth:`date.today`) bounds the assessment date.
    """
    metrics, issues = _normalised_metrics(assessment.metrics, model)
    issues = _answer_issues(assessment, model) + issues
    issues += as_of_issues(assessment.as_of, assessment.pilot.start_date, today)
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


def as_of_issues(as_of: date, start: date | None, today: date | None = None) -> list[Issue]:
    """What is wrong with an assessment date: before 1990, more than a day after ``today``, or before the
    pilot's start date."""
    today = today or date.today()
    latest = today + timedelta(days=MAX_DAYS_AHEAD)
    if as_of < EARLIEST_AS_OF:
        message = f"assessment date {as_of} is before {EARLIEST_AS_OF}: check the year"
    elif as_of > latest:
        message = f"assessment date {as_of} is in the future (today is {today}): date the assessment when it was made"
    elif start is not None and as_of < start:
        message = f"assessment date {as_of} is before the pilot's start date {start}"
    else:
        return []
    return [Issue("error", "as_of", message)]


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
