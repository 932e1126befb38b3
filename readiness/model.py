"""The readiness model: loaded from ``model.toml`` and validated before anything is scored.

The model is data, not code: every gap, question, metric curve, compound edge and verdict threshold
lives in one declarative file shipped with the package. Loading it through pydantic means a typo in
an ID, a gap that does not exist or a curve with its anchors the wrong way round stops the program
at start-up instead of silently producing a wrong score in front of a board.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

GapId = Literal["data", "scale", "monitoring", "governance", "ownership", "trust"]
GAP_IDS: tuple[GapId, ...] = ("data", "scale", "monitoring", "governance", "ownership", "trust")

AnswerValue = Literal["yes", "no", "not_sure", "n_a"]
ANSWER_LABELS: dict[str, str] = {"yes": "Yes", "no": "No", "not_sure": "Not sure", "n_a": "N/A"}

AggregatorId = Literal["geometric", "weakest_link", "weighted_mean"]
EvidenceLevelId = Literal["measured", "documented", "self_reported", "unknown"]
EVIDENCE_LEVEL_IDS: tuple[EvidenceLevelId, ...] = ("measured", "documented", "self_reported", "unknown")
MetricKind = Literal["percent", "number", "count", "bool", "months"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gap(_Strict):
    """One of the six gaps that kill pilots between demo and production."""

    id: GapId
    label: str
    weight: float = Field(gt=0)
    symptom: str
    guidance: str


class Question(_Strict):
    """A yes / no / not sure question; ``core`` ones are the seed's 13-question checklist."""

    id: str = Field(pattern=r"^[A-Z]+-\d+$")
    short: str = Field(min_length=1, max_length=40, description="the item in a few words, for executive surfaces")
    gap: GapId
    core: bool
    weight: float = Field(gt=0)
    text: str
    rationale: str


class LinearCurve(_Strict):
    """100 at ``green``, 0 at ``red``, linear between and clipped beyond (either direction)."""

    type: Literal["linear"]
    green: float
    red: float

    @model_validator(mode="after")
    def _distinct_anchors(self) -> LinearCurve:
        if self.green == self.red:
            raise ValueError("green and red anchors must differ")
        return self


class RatioCurve(_Strict):
    """The metric divided by another metric (its ``denominator``), then a linear curve."""

    type: Literal["ratio"]
    denominator: str
    green: float
    red: float


class BandCurve(_Strict):
    """Two-sided: 100 inside the green band, falling linearly to 0 at either red anchor."""

    type: Literal["band"]
    red_low: float
    green_low: float
    green_high: float
    red_high: float

    @model_validator(mode="after")
    def _ordered(self) -> BandCurve:
        if not self.red_low < self.green_low <= self.green_high < self.red_high:
            raise ValueError("band anchors must satisfy red_low < green_low <= green_high < red_high")
        return self


class BoolCurve(_Strict):
    """Yes scores 100, no scores 0."""

    type: Literal["bool"]


Curve = Annotated[LinearCurve | RatioCurve | BandCurve | BoolCurve, Field(discriminator="type")]


class Metric(_Strict):
    """A measured number from a team's spreadsheet, with the curve that turns it into 0-100."""

    id: str = Field(pattern=r"^[a-z]+\.[a-z0-9_]+$")
    short: str = Field(min_length=1, max_length=40, description="the metric in a few words, for executive surfaces")
    gap: GapId
    label: str
    unit: str
    kind: MetricKind
    weight: float = Field(ge=0)
    curve: Curve | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    rationale: str
    where_to_find: str

    @property
    def scored(self) -> bool:
        """Whether the metric is an item of its own (a ratio's denominator is not)."""
        return self.curve is not None

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The accepted input range; percentages are always 0-100."""
        if self.kind == "percent":
            return 0.0, 100.0
        return self.minimum, self.maximum

    @property
    def green_label(self) -> str:
        """The green anchor in words, as templates and the methodology page show it."""
        return _anchor_label(self.curve, "green")

    @property
    def red_label(self) -> str:
        """The red anchor in words."""
        return _anchor_label(self.curve, "red")


def _anchor_label(curve: Curve | None, which: Literal["green", "red"]) -> str:
    match curve:
        case BoolCurve():
            return "yes" if which == "green" else "no"
        case BandCurve():
            if which == "green":
                return f"{curve.green_low:g}-{curve.green_high:g}"
            return f"{curve.red_low:g} or ≥ {curve.red_high:g}"
        case LinearCurve() | RatioCurve():
            value, other = (curve.green, curve.red) if which == "green" else (curve.red, curve.green)
            sign = "≥" if value > other else "≤"
            prefix = "ratio " if isinstance(curve, RatioCurve) else ""
            return f"{prefix}{sign} {value:g}"
    return ""


class Edge(_Strict):
    """A directed compound-risk interaction: weakness in ``source`` amplifies weakness in ``target``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^C\d+$")
    source: GapId = Field(alias="from")
    target: GapId = Field(alias="to")
    weight: float = Field(gt=0)
    chain: str


class Aggregator(_Strict):
    """A way to combine the six gap scores into one overall readiness."""

    id: AggregatorId
    label: str
    description: str


class VerdictRules(_Strict):
    """Thresholds of the verdict (docs/model.md, Verdict)."""

    seed_rule_max_open_core: int = Field(ge=0)
    not_ready_gap_below: float
    ready_gap_at_least: float
    ready_overall_at_least: float
    ready_confidence_at_least: float = Field(ge=0, le=1)


class CompoundRules(_Strict):
    """When a compound edge counts as active or critical."""

    active_below: float
    critical_below: float

    @model_validator(mode="after")
    def _critical_is_stricter(self) -> CompoundRules:
        if self.critical_below > self.active_below:
            raise ValueError("critical_below must not exceed active_below")
        return self


class ScoringRules(_Strict):
    """How answers and evidence map to numbers, and the seed's reference figures."""

    default_aggregator: AggregatorId
    stalled_after_months: float = Field(gt=0)
    gartner_ready_share: float
    multi_gap_threshold: float
    multi_gap_count: int = Field(ge=1)
    stale_after_months: int = Field(
        default=3, ge=1, description="months before the portfolio's newest assessment after which one is stale"
    )
    answer_scores: dict[Literal["yes", "no", "not_sure"], float]
    evidence_levels: dict[EvidenceLevelId, float]
    evidence_requirements: dict[EvidenceLevelId, str] = Field(
        description="what each evidence level requires, in words (Methodology page, template)"
    )

    @model_validator(mode="after")
    def _every_level_defined(self) -> ScoringRules:
        for name in ("evidence_levels", "evidence_requirements"):
            missing = set(EVIDENCE_LEVEL_IDS) - set(getattr(self, name))
            if missing:
                raise ValueError(f"scoring.{name} lacks {', '.join(sorted(missing))}")
        return self


class ReadinessModel(_Strict):
    """The whole model, cross-checked: unique IDs, six gaps in order, every reference resolved."""

    version: str
    source: str
    scoring: ScoringRules
    aggregators: list[Aggregator]
    verdict: VerdictRules
    compound: CompoundRules
    gaps: list[Gap]
    questions: list[Question]
    metrics: list[Metric]
    edges: list[Edge]

    @model_validator(mode="after")
    def _consistent(self) -> ReadinessModel:
        if tuple(g.id for g in self.gaps) != GAP_IDS:
            raise ValueError(f"gaps must be exactly {GAP_IDS} in that order")
        ids = [q.id for q in self.questions] + [m.id for m in self.metrics]
        ids += [e.id for e in self.edges]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate IDs: {duplicates}")
        metric_ids = {m.id for m in self.metrics}
        for metric in self.metrics:
            if isinstance(metric.curve, RatioCurve) and metric.curve.denominator not in metric_ids:
                raise ValueError(f"{metric.id}: unknown denominator {metric.curve.denominator}")
            if metric.scored and metric.weight <= 0:
                raise ValueError(f"{metric.id}: a scored metric needs a positive weight")
        for gap in GAP_IDS:
            core = [q for q in self.questions if q.gap == gap and q.core]
            deeper = [q for q in self.questions if q.gap == gap and not q.core]
            if not core:
                raise ValueError(f"gap {gap} has no core question")
            if not 2 <= len(deeper) <= 4:
                raise ValueError(f"gap {gap} must have 2-4 deeper questions, has {len(deeper)}")
        if {a.id for a in self.aggregators} != {"geometric", "weakest_link", "weighted_mean"}:
            raise ValueError("the three aggregators geometric, weakest_link, weighted_mean are required")
        return self

    # Lookups used throughout the core; cheap enough to compute on access at this size.

    def gap(self, gap_id: str) -> Gap:
        """The gap with this ID."""
        return next(g for g in self.gaps if g.id == gap_id)

    @property
    def question_by_id(self) -> dict[str, Question]:
        """Questions keyed by ID, in model order."""
        return {q.id: q for q in self.questions}

    @property
    def metric_by_id(self) -> dict[str, Metric]:
        """Metrics keyed by ID, in model order."""
        return {m.id: m for m in self.metrics}

    @property
    def core_questions(self) -> list[Question]:
        """The seed's 13 checklist questions."""
        return [q for q in self.questions if q.core]

    @property
    def scored_metrics(self) -> list[Metric]:
        """Metrics that are items of their own (all but ratio denominators)."""
        return [m for m in self.metrics if m.scored]

    def items_of(self, gap_id: str) -> list[Question | Metric]:
        """Every scored item of a gap: its questions, then its metrics."""
        questions: list[Question | Metric] = [q for q in self.questions if q.gap == gap_id]
        return questions + [m for m in self.scored_metrics if m.gap == gap_id]

    def item_label(self, item_id: str) -> str:
        """The short label of a question or metric (``DATA-1`` → "Tested on production data"); the ID itself
        for anything else, so that a label never hides an unknown ID."""
        item = self.question_by_id.get(item_id) or self.metric_by_id.get(item_id)
        return item.short if item is not None else item_id

    def aggregator(self, aggregator_id: str) -> Aggregator:
        """The aggregator with this ID."""
        return next(a for a in self.aggregators if a.id == aggregator_id)


MODEL_FILE = "model.toml"


def load_model_file(path: Path) -> ReadinessModel:
    """Load and validate a model file (used for the shipped model and for tests of bad models)."""
    with path.open("rb") as handle:
        return ReadinessModel.model_validate(tomllib.load(handle))


@cache
def load_model() -> ReadinessModel:
    """The shipped readiness model, loaded and validated once per process."""
    text = resources.files("readiness").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return ReadinessModel.model_validate(tomllib.loads(text))
