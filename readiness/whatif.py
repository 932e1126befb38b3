"""What-if projections: the portfolio as it would stand if a plan of fixes were delivered.

Pure core (no store, no Streamlit): the use case (:mod:`readiness.service.whatif`) reads the frame, this
module changes a copy of it and scores it with :func:`readiness.portfolio.score_frame`, so a projection's
numbers are the product's own. Nothing here writes anywhere: a projection never changes a stored snapshot.

A **plan** says what to fix the way an executive says it (:class:`Plan`): answer yes to these questions,
bring these metrics to their green anchor, close these gaps (every question of the gap answered yes and
every scored metric of it at green). For each pilot in scope a **fix** of an item means:

- a question answered no or not sure (or a core question left unanswered, which counts as not sure) becomes
  yes; a question already yes is left untouched, and so is a deeper question left unanswered or answered
  n/a: it is outside both the gap's score and its confidence, so it holds nothing back, and answering it
  would add an item to the evidence base (see below);
- a metric below its green anchor, or not reported, takes its green-anchor value (a band's middle, yes for a
  yes/no metric); a metric at 100 already is left untouched. For the ratio metric (p95 latency against the
  latency budget) the fix is the latency that gives the green ratio against the stored budget; a pilot that
  reported no budget cannot be fixed there (there is nothing to be green against, and a projection does not
  invent a budget): the cell is reported as *blocked* and left as it is;
- the fixed item's evidence becomes documented (a fix is delivered with its evidence), unless the metric was
  measured from an evidence file, which it stays.

Why a plan can never lower a score or a verdict: a fixed item's score rises to 100 and its weighted mean
(the gap score) cannot fall; a metric not reported joins its gap at 100, which cannot lower the mean either;
a fixed item's evidence level only rises (:func:`check_monotone_evidence`) and no item joins a gap's
confidence base that was not in it (metrics always are; questions that were outside it are not fixed).
Every aggregator is non-decreasing in each gap score, compound edges only calm down as gap scores rise, the
seed rule counts fewer open core questions, and every verdict condition is monotone in these numbers.

The greedy "next best fix across the portfolio" (:func:`next_best_fixes`) evaluates every single-item fix
on every pilot in scope at once (candidates × pilots × gaps arrays), using score_frame's own item arrays and
rounding and :func:`readiness.portfolio.verdicts`, the one vectorized statement of the verdict rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from readiness.assessment import Assessment
from readiness.curves import curve_score, green_value
from readiness.errors import InvalidInput, issues_from_pydantic
from readiness.model import GAP_IDS, BoolCurve, Metric, RatioCurve, ReadinessModel, load_model

# score_frame's own item arrays and rounding: a candidate fix is scored with exactly the numbers score_frame
# would compute, so the greedy list and a projection of the same item never disagree.
from readiness.portfolio import (
    documented_column,
    edge_counts,
    latest_per_pilot,
    measured_column,
    metric_arrays,
    overall_scores,
    question_arrays,
    score_frame,
    verdicts,
    weighted_ratio,
)
from readiness.scoring import PRECISION, VERDICT_ORDER

PROJECTION_LABEL = "Projection — no stored snapshot changes"
# The evidence note a fixed item carries on the one-assessment path (documented: a reference exists).
PROJECTION_EVIDENCE = "What-if projection: the fix is delivered with its evidence."
FIXABLE_ANSWERS = ("no", "not_sure")
# Gains below this are float noise, not a change (scores are rounded to PRECISION decimals).
EPSILON = 10.0 ** -(PRECISION - 2)
ItemKind = Literal["question", "metric"]


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------


def _context_model(info: ValidationInfo) -> ReadinessModel:
    context = info.context if isinstance(info.context, Mapping) else {}
    model = context.get("model")
    return model if isinstance(model, ReadinessModel) else load_model()


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _key(text: str) -> str:
    """How a typed ID or label is compared: case, surrounding spaces, and ``_`` or ``-`` for a space do not
    matter (``data_quality`` is the gap labelled "Data quality")."""
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


def _resolve(ids: Sequence[str], known: Mapping[str, str], what: str, hint: str) -> tuple[str, ...]:
    """Each ID as the model spells it (compared by :func:`_key`), or ValueError naming every unknown one."""
    resolved, unknown = [], []
    for raw in ids:
        found = known.get(_key(str(raw)))
        if found is None:
            unknown.append(str(raw).strip())
        else:
            resolved.append(found)
    if unknown:
        names = ", ".join(repr(u) for u in unknown)
        raise ValueError(f"unknown {what}{'s' if len(unknown) > 1 else ''} {names} ({hint})")
    return _distinct(resolved)


class Plan(BaseModel):
    """Fixes as an executive states them, for the pilots in scope (see the module for what a fix means).

    IDs are checked against the model (pass ``context={"model": model}`` to validate against another one;
    :func:`parse_plan` turns a refusal into :class:`~readiness.errors.InvalidInput` naming the field). IDs are
    matched in any case, and gaps by ID or label (``data``, ``Data quality``, ``data_quality``); every list
    keeps its first occurrence of each item.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    answer_yes: tuple[str, ...] = Field(default=(), description="question IDs to answer yes")
    metrics_to_green: tuple[str, ...] = Field(default=(), description="scored metric IDs to bring to green")
    close_gaps: tuple[str, ...] = Field(default=(), description="gap IDs: every question yes, every metric green")

    @field_validator("answer_yes")
    @classmethod
    def _known_questions(cls, ids: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        model = _context_model(info)
        known = {_key(q.id): q.id for q in model.questions}
        return _resolve(ids, known, "question ID", "see `readiness model` for the question IDs")

    @field_validator("metrics_to_green")
    @classmethod
    def _known_metrics(cls, ids: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        model = _context_model(info)
        for raw in ids:
            metric = model.metric_by_id.get(str(raw).strip())
            if metric is not None and not metric.scored:
                users = [m.id for m in model.scored_metrics if isinstance(m.curve, RatioCurve)
                         and m.curve.denominator == metric.id]  # fmt: skip
                raise ValueError(f"{metric.id} is not scored on its own (it is the denominator of "
                                 f"{', '.join(users)}): bring {', '.join(users)} to green instead")  # fmt: skip
        known = {_key(m.id): m.id for m in model.scored_metrics}
        return _resolve(ids, known, "metric ID", "see `readiness model` for the scored metrics")

    @field_validator("close_gaps")
    @classmethod
    def _known_gaps(cls, ids: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        model = _context_model(info)
        known = {_key(g.id): g.id for g in model.gaps} | {_key(g.label): g.id for g in model.gaps}
        return _resolve(ids, known, "gap", f"gaps are {', '.join(GAP_IDS)}")

    @property
    def is_empty(self) -> bool:
        """Whether the plan fixes nothing."""
        return not (self.answer_yes or self.metrics_to_green or self.close_gaps)

    def items(self, model: ReadinessModel | None = None) -> tuple[str, ...]:
        """The flat set of item IDs the plan fixes, in model order (questions, then scored metrics)."""
        model = model or load_model()
        wanted = set(self.answer_yes) | set(self.metrics_to_green)
        wanted |= {item.id for gap in self.close_gaps for item in model.items_of(gap)}
        return tuple(item.id for item in model_items(model) if item.id in wanted)

    def describe(self, model: ReadinessModel | None = None) -> list[str]:
        """The plan in plain words, one line per fix as stated (labels, not IDs); an item a closed gap already
        covers is not repeated: ``["Close the Data quality gap", "Answer yes: Load-tested at 10× peak"]``."""
        model = model or load_model()
        lines = [f"Close the {model.gap(g).label} gap" for g in self.close_gaps]
        closed = set(self.close_gaps)
        questions, metrics = model.question_by_id, model.metric_by_id
        lines += [f"Answer yes: {questions[q].short}" for q in self.answer_yes if questions[q].gap not in closed]
        lines += [
            f"Bring to green: {metrics[m].short} ({metrics[m].green_label})"
            for m in self.metrics_to_green
            if metrics[m].gap not in closed
        ]
        return lines

    def text(self, model: ReadinessModel | None = None) -> str:
        """The plan in one line (``No fix`` for an empty plan)."""
        return "; ".join(self.describe(model)) or "No fix"


def parse_plan(data: Any, model: ReadinessModel | None = None, source: str = "") -> Plan:
    """A :class:`Plan` from plain data (a saved scenario's JSON, the page's choices), or
    :class:`~readiness.errors.InvalidInput` naming the field and the unknown IDs."""
    try:
        return Plan.model_validate(data, context={"model": model or load_model()})
    except ValidationError as error:
        raise InvalidInput(issues_from_pydantic(error), source) from None


# --------------------------------------------------------------------------------------------
# Items and what fixing one means
# --------------------------------------------------------------------------------------------


class Item(NamedTuple):
    """A scored item as a fix sees it: a question or a scored metric, with its gap and label."""

    id: str
    kind: ItemKind
    gap: str
    core: bool
    label: str


def model_items(model: ReadinessModel) -> list[Item]:
    """Every item a plan can fix, in model order: the questions, then the scored metrics (the order of the
    greedy list's last tie-break)."""
    questions = [Item(q.id, "question", q.gap, q.core, q.short) for q in model.questions]
    return questions + [Item(m.id, "metric", m.gap, False, m.short) for m in model.scored_metrics]


def check_monotone_evidence(model: ReadinessModel) -> None:
    """Refuse a model under which a fix could lower a pilot's confidence (ValueError).

    A fixed question's evidence becomes documented and a fixed metric's documented unless measured. The
    confidence of a gap is the weighted mean of its items' levels over a base that fixes never widen, so it
    cannot fall as long as documented is at least every level a question or an unmeasured metric can have
    (self-reported, unknown) and measured at least documented. Comparing documented (0.75) with the ready
    confidence threshold (0.6) would not be enough on its own: the overall confidence is a mean over gaps,
    and a fix that lowered one item's level could pull it under the threshold whatever that item's level.
    """
    levels = model.scoring.evidence_levels
    if not levels["measured"] >= levels["documented"] >= levels["self_reported"] >= levels["unknown"]:
        raise ValueError(
            "what-if projections need evidence levels measured ≥ documented ≥ self_reported ≥ unknown: "
            "a fix delivered with documented evidence must never lower a pilot's confidence"
        )


def green_values(metric: Metric, denominators: np.ndarray | None = None) -> np.ndarray:
    """The value that puts ``metric`` at its green anchor for each row (NaN where it cannot: a ratio metric
    without a positive denominator).

    For a ratio, ``green × denominator`` can land one rounding step on the wrong side of green; it is nudged
    by single ulps towards the green side until the curve scores it 100 exactly.
    """
    curve = metric.curve
    if curve is None:
        raise ValueError(f"{metric.id} is not scored on its own")
    if not isinstance(curve, RatioCurve):
        value = 1.0 if isinstance(curve, BoolCurve) else green_value(curve)
        size = 1 if denominators is None else len(denominators)
        return np.full(size, float(value))
    budget = np.asarray(denominators if denominators is not None else [np.nan], dtype=float)
    usable = budget > 0
    values = np.where(usable, curve.green * np.where(usable, budget, 1.0), np.nan)
    towards = -np.inf if curve.green < curve.red else np.inf
    for _ in range(8):
        short = usable & (curve_score(curve, values, budget) < 100.0)
        if not short.any():
            break
        values = np.where(short, np.nextafter(values, towards), values)
    return values


def _column(frame: pd.DataFrame, name: str, fill: Any) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), fill, dtype=object if fill is None else type(fill))
    if fill is None:
        return frame[name].to_numpy(dtype=object)
    if isinstance(fill, bool):
        return frame[name].fillna(False).to_numpy(dtype=bool)
    return frame[name].to_numpy(dtype=float)


def _fixable(frame: pd.DataFrame, item: Item, model: ReadinessModel) -> tuple[np.ndarray, np.ndarray]:
    """(rows where fixing ``item`` changes something, rows where the plan cannot fix it: a ratio metric
    without a budget)."""
    n = len(frame)
    if item.kind == "question":
        answers = _column(frame, item.id, None)
        short = (answers == FIXABLE_ANSWERS[0]) | (answers == FIXABLE_ANSWERS[1])
        if item.core:
            short |= pd.isna(answers) if n else np.zeros(0, dtype=bool)
        return short, np.zeros(n, dtype=bool)
    metric = model.metric_by_id[item.id]
    assert metric.curve is not None
    values = _column(frame, item.id, np.nan)
    if isinstance(metric.curve, RatioCurve):
        budget = _column(frame, metric.curve.denominator, np.nan)
        scores = curve_score(metric.curve, values, budget)
        blocked = ~(budget > 0)
        return ~blocked & ~(scores >= 100.0), blocked
    scores = curve_score(metric.curve, values)
    return ~(scores >= 100.0), np.zeros(n, dtype=bool)


@dataclass(frozen=True, eq=False)
class Applied:
    """A frame with a plan's fixes applied: the new assessment frame, and for each item of the plan
    (``items``, columns in that order) the rows it changed and the rows it could not fix."""

    frame: pd.DataFrame
    items: tuple[str, ...]
    fixed: np.ndarray
    blocked: np.ndarray


def _scope_mask(frame: pd.DataFrame, in_scope: Any) -> np.ndarray:
    if in_scope is None:
        return np.ones(len(frame), dtype=bool)
    mask = np.asarray(in_scope, dtype=bool)
    if mask.shape != (len(frame),):
        raise ValueError(f"the scope mask has {mask.size} entries for {len(frame)} rows")
    return mask


def apply_items(
    frame: pd.DataFrame, item_ids: Sequence[str], model: ReadinessModel | None = None, in_scope: Any = None
) -> Applied:
    """Fix ``item_ids`` (question or scored metric IDs) on the rows in scope, as column operations on a copy
    of the assessment frame (the frame itself is never changed)."""
    model = model or load_model()
    check_monotone_evidence(model)
    scope = _scope_mask(frame, in_scope)
    by_id = {item.id: item for item in model_items(model)}
    after = frame.copy()
    fixed = np.zeros((len(frame), len(item_ids)), dtype=bool)
    blocked = np.zeros_like(fixed)
    for k, item_id in enumerate(item_ids):
        item = by_id[item_id]
        fixable, cannot = _fixable(after, item, model)
        fix = fixable & scope
        fixed[:, k], blocked[:, k] = fix, cannot & scope
        if not fix.any():
            continue
        if item.kind == "question":
            _write(after, item.id, fix, "yes", None)
        else:
            metric = model.metric_by_id[item.id]
            denominator = metric.curve.denominator if isinstance(metric.curve, RatioCurve) else None
            budget = _column(after, denominator, np.nan) if denominator else np.full(len(after), np.nan)
            _write(after, item.id, fix, green_values(metric, budget), np.nan)
        _write(after, documented_column(item.id), fix, True, False)
    return Applied(after, tuple(item_ids), fixed, blocked)


def _write(frame: pd.DataFrame, column: str, rows: np.ndarray, values: Any, empty: Any) -> None:
    """Put ``values`` into ``rows`` of a column, keeping the column's dtype (so that rows left alone compare
    equal to the input's), creating the column filled with ``empty`` when the frame lacks it."""
    if column not in frame:
        frame[column] = pd.Series([empty] * len(frame), index=frame.index, dtype=object if empty is None else None)
    frame[column] = frame[column].mask(pd.Series(rows, index=frame.index), values)


def apply_plan(frame: pd.DataFrame, plan: Plan, model: ReadinessModel | None = None, in_scope: Any = None) -> Applied:
    """The plan's fixes applied to the rows in scope (see :func:`apply_items`)."""
    model = model or load_model()
    return apply_items(frame, plan.items(model), model, in_scope)


def apply_plan_to_assessment(assessment: Assessment, plan: Plan, model: ReadinessModel | None = None) -> Assessment:
    """One assessment with the plan's fixes, the same fixes as :func:`apply_plan` makes on a frame row: the
    one-by-one path that the projection is held equal to (and the benchmark's baseline)."""
    model = model or load_model()
    check_monotone_evidence(model)
    answers, metrics, evidence = dict(assessment.answers), dict(assessment.metrics), dict(assessment.evidence)
    for item_id in plan.items(model):
        question = model.question_by_id.get(item_id)
        if question is not None:
            answer = answers.get(item_id)
            if answer in FIXABLE_ANSWERS or (answer is None and question.core):
                answers[item_id] = "yes"
                if not assessment.documented(item_id):
                    evidence[item_id] = PROJECTION_EVIDENCE
            continue
        metric = model.metric_by_id[item_id]
        assert metric.curve is not None
        raw = metrics.get(item_id)
        budget = np.nan
        if isinstance(metric.curve, RatioCurve):
            stored = metrics.get(metric.curve.denominator)
            budget = np.nan if stored is None else float(stored)
            if not budget > 0:
                continue
        value = np.nan if raw is None else float(raw)
        if float(curve_score(metric.curve, value, budget)) >= 100.0:
            continue
        green = float(green_values(metric, np.array([budget]))[0])
        metrics[item_id] = green > 0.5 if isinstance(metric.curve, BoolCurve) else green
        if not assessment.documented(item_id):  # a measured metric stays measured: measured outranks documented
            evidence[item_id] = PROJECTION_EVIDENCE
    return assessment.model_copy(update={"answers": answers, "metrics": metrics, "evidence": evidence})


# --------------------------------------------------------------------------------------------
# The projection
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mover:
    """A pilot whose verdict the plan moves."""

    pilot: str
    business_unit: str | None
    before: str
    after: str
    overall_before: float
    overall_after: float


@dataclass(frozen=True, eq=False)
class Projection:
    """A plan projected on a portfolio (one row per pilot): the scored frames before and after, the pilots
    whose verdict moves, the gap cells whose score changes (for the heatmap's marks), how many item cells the
    plan fixed and which it could not. Always a projection: ``label`` says so on every surface."""

    plan: Plan
    before: pd.DataFrame
    after: pd.DataFrame
    frame_after: pd.DataFrame
    in_scope: np.ndarray
    movers: tuple[Mover, ...]
    changed_cells: pd.DataFrame
    fixed_cells: int
    blocked: tuple[tuple[str, str], ...]
    label: str = field(default=PROJECTION_LABEL)

    @property
    def moved_to_ready(self) -> list[str]:
        """The pilots the plan makes ready, in the movers' order."""
        return [m.pilot for m in self.movers if m.after == "ready"]

    @property
    def pilots_in_scope(self) -> list[str]:
        """The pilots the plan applies to, in the frame's order."""
        return self.before.loc[self.in_scope, "pilot"].astype(str).tolist()


def one_row_per_pilot(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with one row per pilot (its latest, :func:`readiness.portfolio.latest_per_pilot`), indexed
    from 0: a projection is about the portfolio as it stands, never about history."""
    if frame.empty or frame["pilot"].is_unique:
        return frame.reset_index(drop=True)
    return latest_per_pilot(frame)


def project(frame: pd.DataFrame, plan: Plan, model: ReadinessModel | None = None, in_scope: Any = None) -> Projection:
    """Project ``plan`` on the pilots in scope (a boolean mask over the frame's rows; None: all) of an
    assessment frame (:func:`readiness.portfolio.assessments_to_frame` or the store's ``portfolio_frame``;
    a history is reduced to each pilot's latest row first). Rows out of scope are scored as they are."""
    model = model or load_model()
    frame = one_row_per_pilot(frame)
    scope = _scope_mask(frame, in_scope)
    applied = apply_plan(frame, plan, model, scope)
    before = score_frame(frame, model)
    after = score_frame(applied.frame, model) if applied.fixed.any() else before.copy()
    return Projection(
        plan=plan,
        before=before,
        after=after,
        frame_after=applied.frame,
        in_scope=scope,
        movers=_movers(before, after),
        changed_cells=_changed_cells(before, after),
        fixed_cells=int(applied.fixed.sum()),
        blocked=_blocked(frame, applied),
    )


def _movers(before: pd.DataFrame, after: pd.DataFrame) -> tuple[Mover, ...]:
    """Pilots whose verdict moves: the highest verdict reached first, then the largest gain, then by name."""
    moved = (before["verdict"] != after["verdict"]).to_numpy()
    rank = {v: k for k, v in enumerate(VERDICT_ORDER)}  # a scalar per mover, for the sort key
    units = before["business_unit"] if "business_unit" in before else pd.Series([None] * len(before))
    movers = [
        Mover(str(pilot), None if pd.isna(unit) else str(unit), str(was), str(now), float(o1), float(o2))
        for pilot, unit, was, now, o1, o2 in zip(
            before["pilot"][moved], units[moved], before["verdict"][moved], after["verdict"][moved],
            before["overall"][moved], after["overall"][moved], strict=True,
        )
    ]  # fmt: skip
    movers.sort(key=lambda m: (-rank[m.after], -(m.overall_after - m.overall_before), m.pilot.casefold()))
    return tuple(movers)


def _changed_cells(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Every (pilot, gap) whose score changes, with both scores: the cells a heatmap marks."""
    columns = [f"score.{g}" for g in GAP_IDS]
    was, now = before[columns].to_numpy(dtype=float), after[columns].to_numpy(dtype=float)
    rows, gaps = np.nonzero(np.abs(now - was) > EPSILON)
    return pd.DataFrame(
        {
            "pilot": before["pilot"].to_numpy()[rows],
            "gap": np.array(GAP_IDS, dtype=object)[gaps],
            "before": was[rows, gaps],
            "after": now[rows, gaps],
        }
    )


def _blocked(frame: pd.DataFrame, applied: Applied) -> tuple[tuple[str, str], ...]:
    rows, items = np.nonzero(applied.blocked)
    names = frame["pilot"].to_numpy()
    return tuple((str(names[r]), applied.items[k]) for r, k in zip(rows, items, strict=True))


# --------------------------------------------------------------------------------------------
# Every single-item fix at once, and the greedy list
# --------------------------------------------------------------------------------------------


def verdict_ranks(verdict: np.ndarray) -> np.ndarray:
    """Each verdict's position in :data:`readiness.scoring.VERDICT_ORDER` (not ready 0, conditional 1, ready 2)."""
    ranks = np.zeros(np.shape(verdict), dtype=int)
    for k, name in enumerate(VERDICT_ORDER):
        ranks[np.asarray(verdict) == name] = k
    return ranks


@dataclass(frozen=True, eq=False)
class _State:
    """The portfolio in scope as arrays (pilots × items, pilots × gaps): score_frame's item arrays, where each
    item can still be fixed, and each pilot's gap scores, confidences, open core questions, overall and
    verdict. The greedy list advances it in place of re-reading and re-scoring a frame at every step."""

    q_scores: np.ndarray
    q_evidence: np.ndarray
    q_counted: np.ndarray
    m_scores: np.ndarray
    m_evidence: np.ndarray
    fixed_metric_level: np.ndarray
    fixable: np.ndarray
    gap_scores: np.ndarray
    gap_conf: np.ndarray
    open_core: np.ndarray
    overall: np.ndarray
    verdict: np.ndarray


def _initial_state(frame: pd.DataFrame, model: ReadinessModel, scored: pd.DataFrame | None = None) -> _State:
    frame = frame.reset_index(drop=True)
    base = scored.reset_index(drop=True) if scored is not None else score_frame(frame, model)
    levels = model.scoring.evidence_levels
    q_scores, q_evidence, q_counted = question_arrays(frame, model)
    m_scores, m_evidence = metric_arrays(frame, model)
    items = model_items(model)
    fixable = np.zeros((len(frame), len(items)), dtype=bool)
    for k, item in enumerate(items):
        fixable[:, k] = _fixable(frame, item, model)[0]
    measured = np.zeros(m_scores.shape, dtype=bool)
    for j, metric in enumerate(model.scored_metrics):
        measured[:, j] = _column(frame, measured_column(metric.id), False)
    return _State(
        q_scores=q_scores,
        q_evidence=q_evidence,
        q_counted=q_counted,
        m_scores=m_scores,
        m_evidence=m_evidence,
        # The level a fixed metric earns: measured where it was measured, else documented (see the module).
        fixed_metric_level=np.where(measured, levels["measured"], levels["documented"]),
        fixable=fixable,
        gap_scores=base[[f"score.{g}" for g in GAP_IDS]].to_numpy(dtype=float),
        gap_conf=base[[f"confidence.{g}" for g in GAP_IDS]].to_numpy(dtype=float),
        open_core=base["open_core"].to_numpy(dtype=int),
        overall=base["overall"].to_numpy(dtype=float),
        verdict=base["verdict"].to_numpy(dtype=object),
    )


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every single-item fix evaluated on every pilot in scope: the items (model order), where each can be
    fixed (pilots × items) and, per candidate and pilot (items × pilots), the gap scores and confidences,
    open core questions, overall and verdict it would give."""

    items: list[Item]
    state: _State
    gap_scores: np.ndarray
    gap_conf: np.ndarray
    open_core: np.ndarray
    overall: np.ndarray
    verdict: np.ndarray

    @property
    def fixable(self) -> np.ndarray:
        """Where each item can be fixed (pilots × items)."""
        return self.state.fixable

    def table(self) -> pd.DataFrame:
        """One row per item, in model order: ``item``, ``label``, ``kind``, ``gap``, ``pilots_fixed``,
        ``moved_to_ready``, ``improved`` (pilots whose verdict improves at all) and ``overall_gain`` (summed)."""
        base = self.state
        ready = (self.verdict == "ready") & (base.verdict != "ready")[None, :]
        improved = verdict_ranks(self.verdict) > verdict_ranks(base.verdict)[None, :]
        return pd.DataFrame(
            {
                "item": [i.id for i in self.items],
                "label": [i.label for i in self.items],
                "kind": [i.kind for i in self.items],
                "gap": [i.gap for i in self.items],
                "pilots_fixed": base.fixable.sum(axis=0).astype(int),
                "moved_to_ready": ready.sum(axis=1).astype(int),
                "improved": improved.sum(axis=1).astype(int),
                "overall_gain": (self.overall - base.overall[None, :]).sum(axis=1),
            }
        )

    def advanced(self, k: int, model: ReadinessModel) -> _State:
        """The state once candidate ``k`` is fixed: its item arrays updated where it was fixable, its gap
        scores, overall and verdict taken from the evaluation."""
        state, item = self.state, self.items[k]
        fix = state.fixable[:, k]
        q_scores, q_evidence, q_counted = state.q_scores.copy(), state.q_evidence.copy(), state.q_counted.copy()
        m_scores, m_evidence = state.m_scores.copy(), state.m_evidence.copy()
        if item.kind == "question":
            j = [q.id for q in model.questions].index(item.id)
            q_scores[fix, j] = model.scoring.answer_scores["yes"]
            q_counted[fix, j] = True
            q_evidence[fix, j] = model.scoring.evidence_levels["documented"]
        else:
            j = [m.id for m in model.scored_metrics].index(item.id)
            m_scores[fix, j] = 100.0
            m_evidence[fix, j] = state.fixed_metric_level[fix, j]
        fixable = state.fixable.copy()
        fixable[:, k] = False
        return _State(
            q_scores=q_scores,
            q_evidence=q_evidence,
            q_counted=q_counted,
            m_scores=m_scores,
            m_evidence=m_evidence,
            fixed_metric_level=state.fixed_metric_level,
            fixable=fixable,
            gap_scores=self.gap_scores[k],
            gap_conf=self.gap_conf[k],
            open_core=self.open_core[k],
            overall=self.overall[k],
            verdict=self.verdict[k],
        )


def evaluate_single_fixes(
    frame: pd.DataFrame, model: ReadinessModel | None = None, scored: pd.DataFrame | None = None
) -> Candidates:
    """Every item of the model fixed alone on every row of ``frame`` (the pilots in scope), evaluated at once;
    ``scored``: ``score_frame(frame, model)`` when the caller has it already."""
    model = model or load_model()
    check_monotone_evidence(model)
    return _evaluate(_initial_state(frame, model, scored), model)


def _evaluate(state: _State, model: ReadinessModel) -> Candidates:
    """A fix changes one gap, so for the candidates of each gap the gap is recomputed as score_frame computes
    it (candidates × pilots × items of the gap), the other gaps are kept, and the overall, compound edges and
    verdicts of all candidates × pilots are computed in one vectorized pass."""
    items = model_items(model)
    n, k_items = len(state.verdict), len(items)
    levels = model.scoring.evidence_levels
    cand_scores = np.broadcast_to(state.gap_scores, (k_items, n, len(GAP_IDS))).copy()
    cand_conf = np.broadcast_to(state.gap_conf, (k_items, n, len(GAP_IDS))).copy()
    q_weights = np.array([q.weight for q in model.questions], dtype=float)
    m_weights = np.array([m.weight for m in model.scored_metrics], dtype=float)
    q_gap = np.array([q.gap for q in model.questions])
    m_gap = np.array([m.gap for m in model.scored_metrics])
    question_index = {q.id: j for j, q in enumerate(model.questions)}
    metric_index = {m.id: j for j, m in enumerate(model.scored_metrics)}
    for g, gap in enumerate(GAP_IDS):
        qs, ms = np.flatnonzero(q_gap == gap), np.flatnonzero(m_gap == gap)
        cands = [k for k, item in enumerate(items) if item.gap == gap]
        c = len(cands)
        qsc = np.broadcast_to(state.q_scores[:, qs], (c, n, len(qs))).copy()
        qev = np.broadcast_to(state.q_evidence[:, qs], (c, n, len(qs))).copy()
        qct = np.broadcast_to(state.q_counted[:, qs], (c, n, len(qs))).copy()
        msc = np.broadcast_to(state.m_scores[:, ms], (c, n, len(ms))).copy()
        mev = np.broadcast_to(state.m_evidence[:, ms], (c, n, len(ms))).copy()
        for slot, k in enumerate(cands):
            fix, item = state.fixable[:, k], items[k]
            if item.kind == "question":
                j = int(np.flatnonzero(qs == question_index[item.id])[0])
                qsc[slot, fix, j] = model.scoring.answer_scores["yes"]
                qct[slot, fix, j] = True
                qev[slot, fix, j] = levels["documented"]
            else:
                column = metric_index[item.id]
                j = int(np.flatnonzero(ms == column)[0])
                msc[slot, fix, j] = 100.0
                mev[slot, fix, j] = state.fixed_metric_level[fix, column]
        # score_frame's gap formulas, term for term, over the candidates' axis.
        qw = np.where(qct, q_weights[qs], 0.0)
        mw = np.where(~np.isnan(msc), m_weights[ms], 0.0)
        total = qw.sum(axis=-1) + mw.sum(axis=-1)
        weighted = (np.nan_to_num(qsc) * qw).sum(axis=-1) + (np.nan_to_num(msc) * mw).sum(axis=-1)
        cand_scores[cands, :, g] = weighted_ratio(weighted, total)
        conf_total = qw.sum(axis=-1) + m_weights[ms].sum()
        conf = (qev * qw).sum(axis=-1) + (mev * m_weights[ms]).sum(axis=-1)
        cand_conf[cands, :, g] = weighted_ratio(conf, conf_total)

    flat_scores = cand_scores.reshape(k_items * n, len(GAP_IDS))
    gap_weights = np.array([gap.weight for gap in model.gaps], dtype=float)
    overall = overall_scores(flat_scores, model)
    confidence = np.round(cand_conf.reshape(k_items * n, len(GAP_IDS)) @ gap_weights / gap_weights.sum(), PRECISION)
    # A fixable core question is one not answered yes, so it was open: fixing it closes it.
    core = np.array([item.core for item in items])
    open_core = state.open_core[None, :] - (state.fixable.T & core[:, None])
    active, critical = edge_counts(flat_scores, model)
    verdict = verdicts(flat_scores, overall, confidence, open_core.ravel(), active, critical, model.verdict)
    return Candidates(
        items=items,
        state=state,
        gap_scores=cand_scores,
        gap_conf=cand_conf,
        open_core=open_core,
        overall=overall.reshape(k_items, n),
        verdict=verdict.reshape(k_items, n),
    )


def best_single_fix(table: pd.DataFrame) -> int | None:
    """The row of :meth:`Candidates.table` to fix next: the most pilots moved to ready, then the most pilots
    whose verdict improves at all, then the largest total overall gain, then model order; None when no item
    changes any verdict or overall score."""
    useful = table[(table["pilots_fixed"] > 0)]
    useful = useful[(useful["moved_to_ready"] > 0) | (useful["improved"] > 0) | (useful["overall_gain"] > EPSILON)]
    if useful.empty:
        return None
    # Gains are compared to the sixth decimal, so that float noise never overrides model order.
    order = np.lexsort(
        (np.asarray(useful.index), -useful["overall_gain"].round(6), -useful["improved"], -useful["moved_to_ready"])
    )
    return int(useful.index[order[0]])


@dataclass(frozen=True)
class GreedyStep:
    """One step of the greedy list: the item fixed on every pilot in scope that falls short on it, the pilots
    it moves to ready, and the portfolio's cumulative ready count and share once it (and the steps before) are
    done."""

    step: int
    item: str
    label: str
    kind: ItemKind
    gap: str
    pilots_fixed: int
    moved_to_ready: tuple[str, ...]
    improved: int
    overall_gain: float
    ready: int
    ready_share: float
    ready_in_scope: int


def next_best_fixes(
    frame: pd.DataFrame, model: ReadinessModel | None = None, in_scope: Any = None, steps: int = 5
) -> list[GreedyStep]:
    """The greedy "next best fix across the portfolio": up to ``steps`` items, each the single fix (applied to
    every pilot in scope) that moves the most pilots to ready given the steps before (see
    :func:`best_single_fix` for the tie-breaks). Stops early when no single item changes any verdict or
    overall score. The portfolio analogue of :func:`readiness.scoring.path_to_next_verdict`.

    All steps run on arrays (:func:`evaluate_single_fixes`, then the chosen candidate's numbers become the
    next step's base), never re-reading a frame: a list of ten steps over 1,000 pilots stays interactive.
    """
    model = model or load_model()
    check_monotone_evidence(model)
    frame = one_row_per_pilot(frame)
    scope = _scope_mask(frame, in_scope)
    total = len(frame)
    inside = frame[scope].reset_index(drop=True)
    outside_ready = int((score_frame(frame[~scope], model)["verdict"] == "ready").sum()) if (~scope).any() else 0
    names = inside["pilot"].astype(str).to_numpy()
    state = _initial_state(inside, model)
    out: list[GreedyStep] = []
    for number in range(1, steps + 1):
        if not len(names):
            break
        candidates = _evaluate(state, model)
        table = candidates.table()
        best = best_single_fix(table)
        if best is None:
            break
        item, row = candidates.items[best], table.loc[best]
        newly_ready = (candidates.verdict[best] == "ready") & (state.verdict != "ready")
        ready_in_scope = int((candidates.verdict[best] == "ready").sum())
        out.append(
            GreedyStep(
                step=number,
                item=item.id,
                label=item.label,
                kind=item.kind,
                gap=item.gap,
                pilots_fixed=int(row["pilots_fixed"]),
                moved_to_ready=tuple(sorted(names[newly_ready], key=str.casefold)),
                improved=int(row["improved"]),
                overall_gain=float(row["overall_gain"]),
                ready=outside_ready + ready_in_scope,
                ready_share=100 * (outside_ready + ready_in_scope) / total,
                ready_in_scope=ready_in_scope,
            )
        )
        state = candidates.advanced(best, model)
    return out


# --------------------------------------------------------------------------------------------
# Ranking plans
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PlanRank:
    """A plan's yield: the pilots it moves to ready per item it fixes (an item fixed across the whole scope
    counts once, as the plan states it)."""

    plan: Plan
    items: int
    moved_to_ready: int
    projection: Projection

    @property
    def per_item(self) -> float:
        """Pilots moved to ready per item fixed (0 for an empty plan)."""
        return self.moved_to_ready / self.items if self.items else 0.0


def rank_plans(
    frame: pd.DataFrame, plans: Sequence[Plan], model: ReadinessModel | None = None, in_scope: Any = None
) -> list[PlanRank]:
    """The plans, best yield first: pilots moved to ready per item fixed, then more pilots moved, then fewer
    items, then the order given."""
    model = model or load_model()
    frame = one_row_per_pilot(frame)
    ranked = []
    for plan in plans:
        projection = project(frame, plan, model, in_scope)
        ranked.append(PlanRank(plan, len(plan.items(model)), len(projection.moved_to_ready), projection))
    order = sorted(range(len(ranked)), key=lambda k: (-ranked[k].per_item, -ranked[k].moved_to_ready,
                                                       ranked[k].items, k))  # fmt: skip
    return [ranked[k] for k in order]
