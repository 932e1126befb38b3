"""Score many assessments at once: the portfolio path, vectorized with numpy over a pandas frame.

The dashboard scores tens of thousands of snapshots on every cold load; one Python object per item
would take seconds. Here each item is a column and each rule one array operation. The numbers are
the same as :func:`readiness.scoring.score_assessment` (a property test holds the two equal); the
explanations (reasons, remediation) stay on the one-assessment path, where a reader asks for them.

The *frame* is the exchange format between the store, the Excel reader and the scorer: one row per
snapshot, context columns (:data:`CONTEXT_COLUMNS`), one column per question ID holding the answer
string, one ``<ID>:documented`` boolean column per question and per metric (evidence attached), one float
column per metric ID (booleans as 1.0 / 0.0; NaN when not reported), and one ``<ID>:measured`` boolean
column per metric (computed by Readiness from an evidence file).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

import numpy as np
import pandas as pd

from readiness import display
from readiness.assessment import CONTEXT_FIELDS, Assessment
from readiness.curves import curve_score
from readiness.model import GAP_IDS, AggregatorId, Edge, RatioCurve, ReadinessModel, VerdictRules, load_model
from readiness.scoring import PRECISION, VERDICT_ORDER

CONTEXT_COLUMNS = ["pilot", *CONTEXT_FIELDS, "as_of", "submitted_by"]
DOCUMENTED_SUFFIX = ":documented"
MEASURED_SUFFIX = ":measured"
DAYS_PER_MONTH = 365.25 / 12


def documented_column(item_id: str) -> str:
    """The frame column that says whether a question's answer or a metric's typed value carries evidence."""
    return f"{item_id}{DOCUMENTED_SUFFIX}"


def measured_column(metric_id: str) -> str:
    """The frame column that says whether a metric was measured by Readiness from an evidence file."""
    return f"{metric_id}{MEASURED_SUFFIX}"


def assessment_row(assessment: Assessment, model: ReadinessModel) -> dict[str, object]:
    """One assessment as one frame row."""
    pilot = assessment.pilot
    row: dict[str, object] = {
        "pilot": pilot.name,
        "business_unit": pilot.business_unit,
        "owning_team": pilot.owning_team,
        "executive_sponsor": pilot.executive_sponsor,
        "stage": pilot.stage,
        "start_date": pilot.start_date,
        "expected_annual_value": pilot.expected_annual_value,
        "monthly_run_cost": pilot.monthly_run_cost,
        "peak_concurrent_users": pilot.peak_concurrent_users,
        "as_of": assessment.as_of,
        "submitted_by": assessment.submitted_by,
    }
    for question in model.questions:
        row[question.id] = assessment.answers.get(question.id)
        row[documented_column(question.id)] = assessment.documented(question.id)
    for metric in model.metrics:
        value = assessment.metrics.get(metric.id)
        row[metric.id] = np.nan if value is None else float(value)
    for metric in model.metrics:
        row[documented_column(metric.id)] = assessment.documented(metric.id)
    for metric in model.metrics:
        row[measured_column(metric.id)] = assessment.measured(metric.id)
    return row


def assessments_to_frame(assessments: Iterable[Assessment], model: ReadinessModel | None = None) -> pd.DataFrame:
    """The frame of many assessments, with every model column present even when all are empty."""
    model = model or load_model()
    rows = [assessment_row(a, model) for a in assessments]
    columns = frame_columns(model)
    return pd.DataFrame(rows, columns=columns)


def frame_columns(model: ReadinessModel) -> list[str]:
    """Every column of the frame, in order."""
    questions = [q.id for q in model.questions]
    metrics = [m.id for m in model.metrics]
    return (
        CONTEXT_COLUMNS
        + questions
        + [documented_column(q) for q in questions]
        + metrics
        + [documented_column(m) for m in metrics]
        + [measured_column(m) for m in metrics]
    )


def question_arrays(frame: pd.DataFrame, model: ReadinessModel) -> tuple[np.ndarray, ...]:
    """Scores, evidence levels and counted masks of every question, as (rows × questions) arrays."""
    n = len(frame)
    answer_scores = model.scoring.answer_scores
    levels = model.scoring.evidence_levels
    scores, evidence, counted = [], [], []
    for question in model.questions:
        answers = _values(frame, question.id)
        missing = pd.isna(answers)
        answers = np.where(missing, "not_sure" if question.core else None, answers)
        documented = _flags(frame, documented_column(question.id))
        is_counted = (answers == "yes") | (answers == "no") | (answers == "not_sure")
        score = np.select(
            [answers == "yes", answers == "no", answers == "not_sure"],
            [answer_scores["yes"], answer_scores["no"], answer_scores["not_sure"]],
            default=np.nan,
        )
        level = np.where(documented, levels["documented"], levels["self_reported"])
        level = np.where(answers == "not_sure", levels["unknown"], level)
        scores.append(score)
        evidence.append(np.where(is_counted, level, 0.0))
        counted.append(is_counted)
    return _columns(scores, n), _columns(evidence, n), _columns(counted, n).astype(bool)


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as an object array (None where the frame has none). Plain NumPy, not pandas' ``where`` and
    ``fillna``: scoring the one snapshot a write adds would otherwise cost tens of milliseconds of pandas
    overhead per hundred columns."""
    return frame[column].to_numpy(dtype=object) if column in frame else np.full(len(frame), None, dtype=object)


def _flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column of flags as booleans, missing values false (no such column: all false)."""
    values = _values(frame, column)
    return np.where(pd.isna(values), False, values).astype(bool)


def _columns(parts: list[np.ndarray], rows: int) -> np.ndarray:
    """Stack per-item columns into a (rows × items) array, also when there are no rows."""
    return np.column_stack(parts) if rows else np.zeros((0, len(parts)))


def metric_arrays(frame: pd.DataFrame, model: ReadinessModel) -> tuple[np.ndarray, np.ndarray]:
    """Scores (NaN when not reported) and evidence levels of every scored metric: measured, documented or
    self-reported, as :func:`readiness.scoring.metric_evidence` decides them one by one."""
    n = len(frame)
    levels = model.scoring.evidence_levels

    def column(metric_id: str) -> np.ndarray:
        return frame[metric_id].to_numpy(dtype=float) if metric_id in frame else np.full(n, np.nan)

    scores, evidence = [], []
    for metric in model.scored_metrics:
        assert metric.curve is not None
        denominator = column(metric.curve.denominator) if isinstance(metric.curve, RatioCurve) else None
        scores.append(curve_score(metric.curve, column(metric.id), denominator))
        level = np.where(_flags(frame, documented_column(metric.id)), levels["documented"], levels["self_reported"])
        evidence.append(np.where(_flags(frame, measured_column(metric.id)), levels["measured"], level))
    matrix = _columns(scores, n)
    return matrix, np.where(np.isnan(matrix), 0.0, _columns(evidence, n))


def weighted_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """A weighted mean's division, 0 where nothing was weighed, rounded like the scalar path."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.round(np.where(denominator > 0, numerator / safe, 0.0), PRECISION)


def _weakest(scores: np.ndarray, confidences: np.ndarray) -> np.ndarray:
    """Index of each row's weakest gap: lowest score, then lowest confidence, then model order."""
    lowest = scores == scores.min(axis=1, keepdims=True)
    masked = np.where(lowest, confidences, np.inf)
    return (lowest & (masked == masked.min(axis=1, keepdims=True))).argmax(axis=1)


def _aggregate(scores: np.ndarray, weights: np.ndarray, aggregator: AggregatorId) -> np.ndarray:
    if aggregator == "weakest_link":
        return scores.min(axis=1)
    if aggregator == "weighted_mean":
        return scores @ weights / weights.sum()
    with np.errstate(divide="ignore"):
        logs = np.log(scores)
    geometric = np.exp(np.where(scores > 0, logs, 0.0) @ weights / weights.sum())
    return np.where(scores.min(axis=1) <= 0, 0.0, geometric)


def score_frame(
    frame: pd.DataFrame, model: ReadinessModel | None = None, aggregator: AggregatorId | None = None
) -> pd.DataFrame:
    """Score every row of a frame: gap scores and confidences, overall, compound risks, verdict, flags.

    Returns the context columns followed by ``score.<gap>``, ``confidence.<gap>``, ``overall``,
    ``overall_confidence``, ``open_core``, ``seed_rule``, ``weakest_gap``, ``severity.<edge>``,
    ``state.<edge>``, ``active_edges``, ``critical_edges``, ``months_in_pilot``, ``stalled``,
    ``multi_gap`` and ``verdict``.
    """
    model = model or load_model()
    aggregator = aggregator or model.scoring.default_aggregator
    frame = frame.reset_index(drop=True)
    q_scores, q_evidence, q_counted = question_arrays(frame, model)
    m_scores, m_evidence = metric_arrays(frame, model)
    q_weights = np.array([q.weight for q in model.questions], dtype=float)
    m_weights = np.array([m.weight for m in model.scored_metrics], dtype=float)
    q_gap = np.array([q.gap for q in model.questions])
    m_gap = np.array([m.gap for m in model.scored_metrics])

    # Columns are gathered first and the frame made once: inserting some fifty columns one by one rebuilds the
    # frame's column index each time, which was most of the cost of scoring the one snapshot a write adds.
    out: dict[str, Any] = {c: frame[c] for c in frame.columns if c in CONTEXT_COLUMNS or c == "snapshot_id"}
    gap_scores = np.zeros((len(frame), len(GAP_IDS)))
    gap_conf = np.zeros_like(gap_scores)
    for k, gap in enumerate(GAP_IDS):
        qs, ms = q_gap == gap, m_gap == gap
        qw = np.where(q_counted[:, qs], q_weights[qs], 0.0)
        m_known = ~np.isnan(m_scores[:, ms])
        mw = np.where(m_known, m_weights[ms], 0.0)
        total = qw.sum(axis=1) + mw.sum(axis=1)
        weighted = (np.nan_to_num(q_scores[:, qs]) * qw).sum(axis=1) + (np.nan_to_num(m_scores[:, ms]) * mw).sum(axis=1)
        gap_scores[:, k] = weighted_ratio(weighted, total)
        conf_total = qw.sum(axis=1) + m_weights[ms].sum()
        conf = (q_evidence[:, qs] * qw).sum(axis=1) + (m_evidence[:, ms] * m_weights[ms]).sum(axis=1)
        gap_conf[:, k] = weighted_ratio(conf, conf_total)
        out[f"score.{gap}"] = gap_scores[:, k]
        out[f"confidence.{gap}"] = gap_conf[:, k]

    gap_weights = np.array([g.weight for g in model.gaps], dtype=float)
    overall = overall_scores(gap_scores, model, aggregator)
    overall_conf = np.round(gap_conf @ gap_weights / gap_weights.sum(), PRECISION)
    out["overall"] = overall
    out["overall_confidence"] = overall_conf

    core = np.array([q.core for q in model.questions])
    core_answers = q_scores[:, core]
    open_core = (core_answers < model.scoring.answer_scores["yes"]).sum(axis=1)
    out["open_core"] = open_core
    out["seed_rule"] = open_core > model.verdict.seed_rule_max_open_core
    out["weakest_gap"] = np.array(GAP_IDS, dtype=object)[_weakest(gap_scores, gap_conf)]

    index = {gap: k for k, gap in enumerate(GAP_IDS)}
    active_count = np.zeros(len(frame), dtype=int)
    critical_count = np.zeros(len(frame), dtype=int)
    for edge, active, critical in edge_states(gap_scores, model):
        a, b = gap_scores[:, index[edge.source]], gap_scores[:, index[edge.target]]
        out[f"severity.{edge.id}"] = edge.weight * (100 - a) / 100 * (100 - b) / 100
        out[f"state.{edge.id}"] = np.select([critical, active], ["critical", "active"], default="inactive")
        active_count += active
        critical_count += critical
    out["active_edges"] = active_count
    out["critical_edges"] = critical_count

    months = _months_in_pilot(frame)
    out["months_in_pilot"] = months
    out["stalled"] = (frame["stage"] == "pilot").to_numpy() & (
        months.fillna(0).to_numpy() > model.scoring.stalled_after_months
    )
    out["multi_gap"] = (gap_scores < model.scoring.multi_gap_threshold).sum(axis=1) >= model.scoring.multi_gap_count

    out["verdict"] = verdicts(gap_scores, overall, overall_conf, open_core, active_count, critical_count, model.verdict)
    return pd.DataFrame(out)


def edge_states(gap_scores: np.ndarray, model: ReadinessModel) -> Iterator[tuple[Edge, np.ndarray, np.ndarray]]:
    """Each compound edge of the model with, per row of gap scores (rows × gaps, model order), whether it is
    active and whether it is critical: both its gaps below the model's bar (docs/model.md, Compound risks)."""
    index = {gap: k for k, gap in enumerate(GAP_IDS)}
    rules = model.compound
    for edge in model.edges:
        a, b = gap_scores[:, index[edge.source]], gap_scores[:, index[edge.target]]
        active = (a < rules.active_below) & (b < rules.active_below)
        critical = (a < rules.critical_below) & (b < rules.critical_below)
        yield edge, active, critical


def edge_counts(gap_scores: np.ndarray, model: ReadinessModel) -> tuple[np.ndarray, np.ndarray]:
    """How many compound edges are active and how many critical, per row of gap scores (:func:`edge_states`)."""
    active = np.zeros(len(gap_scores), dtype=int)
    critical = np.zeros(len(gap_scores), dtype=int)
    for _, is_active, is_critical in edge_states(gap_scores, model):
        active += is_active
        critical += is_critical
    return active, critical


def overall_scores(gap_scores: np.ndarray, model: ReadinessModel, aggregator: AggregatorId | None = None) -> np.ndarray:
    """Each row's overall readiness from its six gap scores (rows × gaps, model order) under an aggregator
    (default: the model's), rounded like the explained path."""
    weights = np.array([g.weight for g in model.gaps], dtype=float)
    return np.round(_aggregate(gap_scores, weights, aggregator or model.scoring.default_aggregator), PRECISION)


def verdicts(
    gap_scores: np.ndarray,
    overall: np.ndarray,
    overall_confidence: np.ndarray,
    open_core: np.ndarray,
    active_edges: np.ndarray,
    critical_edges: np.ndarray,
    rules: VerdictRules,
) -> np.ndarray:
    """Each row's verdict (``not_ready``, ``conditional`` or ``ready``) under the verdict rules: the one
    vectorized statement of docs/model.md's Verdict, shared by scoring, the method sensitivity and the what-if
    projections (which pass other overalls or other thresholds)."""
    not_ready = (
        (open_core > rules.seed_rule_max_open_core)
        | (gap_scores < rules.not_ready_gap_below).any(axis=1)
        | (critical_edges > 0)
    )
    ready = (
        ~not_ready
        & (gap_scores >= rules.ready_gap_at_least).all(axis=1)
        & (overall >= rules.ready_overall_at_least)
        & (active_edges == 0)
        & (overall_confidence >= rules.ready_confidence_at_least)
    )
    return np.select([not_ready, ready], ["not_ready", "ready"], default="conditional")


def _months_in_pilot(frame: pd.DataFrame) -> pd.Series:
    """Months from start to snapshot, rounded down to a tenth like :func:`readiness.scoring.months_between`:
    the stalled rule compares the number a reader sees."""
    start = pd.to_datetime(frame["start_date"], errors="coerce")
    as_of = pd.to_datetime(frame["as_of"], errors="coerce")
    return display.floor_values((as_of - start).dt.days / DAYS_PER_MONTH, 1)


def latest_per_pilot(frame: pd.DataFrame, as_of: object = None) -> pd.DataFrame:
    """The portfolio as of a day: each pilot's latest row dated on or before ``as_of`` (default: all rows).

    The one rule every surface uses (the store's SQL applies the same one): the latest date wins, and of two
    rows with the same date the later written (higher ``snapshot_id``, else later in the frame).
    """
    if frame.empty:
        return frame
    if as_of is not None:
        frame = frame[pd.to_datetime(frame["as_of"]) <= pd.Timestamp(as_of)]
    keys = ["pilot", "as_of", "snapshot_id"] if "snapshot_id" in frame else ["pilot", "as_of"]
    ordered = frame.sort_values(keys, kind="stable")
    return ordered.groupby("pilot", sort=False).tail(1).reset_index(drop=True)


SortKey = Literal["readiness", "risk", "name"]


def sort_portfolio(latest: pd.DataFrame, by: SortKey = "readiness", limit: int | None = None) -> pd.DataFrame:
    """Pilots in display order. ``readiness`` (the review order of the dashboard, deck and report): not
    ready, conditional, ready, and within a verdict the lowest overall first; ``risk``: most critical then
    active compound risks first; ``name``: alphabetical. With ``limit``, only the first ``limit`` rows."""
    order = display_order(latest, by)
    return latest.iloc[order if limit is None else order[:limit]].reset_index(drop=True)


def display_order(latest: pd.DataFrame, by: SortKey = "readiness") -> np.ndarray:
    """The row positions of :func:`sort_portfolio`'s order. Only the sort keys are sorted: a portfolio frame
    has some sixty columns, and a page that shows the first 40 pilots should not reorder every one of them."""
    if by == "name":
        keys = pd.DataFrame({"name": latest["pilot"].astype(str).str.casefold().to_numpy()})
        return keys.sort_values("name", kind="stable").index.to_numpy()
    if by == "risk":
        keys = pd.DataFrame({c: latest[c].to_numpy() for c in ("critical_edges", "active_edges", "overall", "pilot")})
        return keys.sort_values(list(keys.columns), ascending=[False, False, True, True]).index.to_numpy()
    rank = latest["verdict"].map({v: k for k, v in enumerate(VERDICT_ORDER)}).to_numpy()
    keys = pd.DataFrame({"rank": rank, "overall": latest["overall"].to_numpy(), "pilot": latest["pilot"].to_numpy()})
    return keys.sort_values(["rank", "overall", "pilot"], kind="stable").index.to_numpy()


def weakest_items(frame: pd.DataFrame, model: ReadinessModel | None = None, limit: int = 3) -> pd.DataFrame:
    """Per snapshot and gap, the IDs of the items that cost the gap the most points (``"DATA-1, DATA-3"``).

    The loss of an item is its weight times the points it misses (100 − item score), the same rule as the
    explained path's weak items; scored with whole-column operations, one pass per item.
    """
    model = model or load_model()
    question_scores, _, _ = question_arrays(frame, model)
    metric_scores, _ = metric_arrays(frame, model)
    n = len(frame)
    out: dict[str, list[str]] = {}
    q_index = {q.id: k for k, q in enumerate(model.questions)}
    m_index = {m.id: k for k, m in enumerate(model.scored_metrics)}
    for gap in GAP_IDS:
        ids, losses = [], []
        for item in model.items_of(gap):
            ids.append(item.id)
            scores = question_scores[:, q_index[item.id]] if item.id in q_index else metric_scores[:, m_index[item.id]]
            losses.append((100 - scores) * item.weight)
        out[gap] = _top_ids(np.column_stack(losses) if n else np.zeros((0, len(ids))), ids, limit)
    return pd.DataFrame(out, index=frame.index)


def _top_ids(losses: np.ndarray, ids: list[str], limit: int) -> list[str]:
    """Join the IDs of the largest positive losses of each row, largest first."""
    filled = np.nan_to_num(losses, nan=0.0)
    order = np.argsort(-filled, axis=1, kind="stable")[:, :limit]
    names = np.array(ids, dtype=object)
    return [", ".join(names[k] for k in picks if row[k] > 0) for row, picks in zip(filled, order, strict=True)]
