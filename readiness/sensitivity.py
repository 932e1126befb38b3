"""How much a verdict depends on the method: each pilot's overall and verdict under every aggregator of the
model, and the pilots whose verdict a small move of the verdict thresholds would change.

Both are computed from a scored frame (:func:`readiness.portfolio.score_frame` rows) without scoring again:
of everything the verdict reads, only overall readiness depends on the aggregator (gap scores, confidence,
open core questions and compound edges do not), so each method costs one
:func:`~readiness.portfolio.overall_scores` and one :func:`~readiness.portfolio.verdicts` over the whole
frame, and each threshold move one more :func:`~readiness.portfolio.verdicts` with other rules. The verdict
rule is never restated here. Python loops run only over the few rows flagged, to write their sentences.

- A row is **method-sensitive** when its verdict differs between two aggregators of the model.
- A row is **close to a threshold** when its verdict (as scored) changes once the not-ready and ready
  thresholds (``not_ready_gap_below``, ``ready_gap_at_least``, ``ready_overall_at_least``) all move by
  :data:`BAND_POINTS` up (stricter) or down (looser).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Self, TypeVar

import numpy as np
import pandas as pd

from readiness import display
from readiness.model import GAP_IDS, AggregatorId, ReadinessModel, VerdictRules, load_model
from readiness.portfolio import overall_scores, verdicts
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER, Verdict

Found = TypeVar("Found", "SensitivePilot", "BandPilot")

BAND_POINTS = 5.0
# The thresholds that decide between not ready, conditional and ready on scores (the seed rule counts
# questions and the confidence bar is a share: a move "by 5 points" means nothing for them).
BAND_THRESHOLDS = ("not_ready_gap_below", "ready_gap_at_least", "ready_overall_at_least")
_RANK = {v: k for k, v in enumerate(VERDICT_ORDER)}


@dataclass(frozen=True)
class MethodOutcome:
    """A pilot's overall readiness and verdict under one aggregator."""

    aggregator: AggregatorId
    label: str  # the aggregator's label, "Geometric mean"
    overall: float
    verdict: Verdict


@dataclass(frozen=True)
class SensitivePilot:
    """A pilot whose verdict depends on the method, with its outcome under each aggregator and why."""

    pilot: str
    outcomes: tuple[MethodOutcome, ...]  # one per aggregator, in the model's order
    weakest_gap: str  # the gap's ID (the weakest link is its score)
    weakest_label: str
    weakest_score: float
    reason: str  # one sentence in labels: which methods give which verdict, and why

    def outcome(self, aggregator: str) -> MethodOutcome:
        """The outcome under one aggregator."""
        return next(o for o in self.outcomes if o.aggregator == aggregator)


class _PilotsFound(Generic[Found]):
    """What the two results share: a ``table`` with a row per row of the scored frame, and the ``pilots`` found
    (method-sensitive, or in the threshold band), in the frame's order."""

    table: pd.DataFrame
    pilots: tuple[Found, ...]

    @property
    def count(self) -> int:
        """How many pilots were found."""
        return len(self.pilots)

    @property
    def names(self) -> list[str]:
        """The pilots found, in the frame's order."""
        return [p.pilot for p in self.pilots]

    def of(self, pilot: str) -> Found | None:
        """The pilot's entry when it was found, else None."""
        return next((p for p in self.pilots if p.pilot == pilot), None)

    def within(self, names: Collection[str]) -> Self:
        """The same result restricted to the pilots named (a filtered view)."""
        keep = set(names)
        table = self.table[_kept(self.table, keep)].reset_index(drop=True)
        return replace(self, table=table, pilots=tuple(p for p in self.pilots if p.pilot in keep))


@dataclass(frozen=True)
class MethodSensitivity(_PilotsFound["SensitivePilot"]):
    """Every row's overall and verdict under every aggregator, and the rows whose verdict depends on it.

    ``table`` has one row per row of the scored frame, in its order: ``pilot``, ``overall.<aggregator>`` and
    ``verdict.<aggregator>`` for each aggregator of the model, and ``sensitive``. ``pilots`` holds the
    sensitive rows with their sentence, in the frame's order.
    """

    aggregators: tuple[AggregatorId, ...]
    default: AggregatorId
    table: pd.DataFrame
    pilots: tuple[SensitivePilot, ...]


@dataclass(frozen=True)
class BandPilot:
    """A pilot whose verdict changes when the thresholds move by the band's points, with the verdict each way."""

    pilot: str
    verdict: Verdict  # as scored
    stricter: Verdict  # with the thresholds raised
    looser: Verdict  # with the thresholds lowered


@dataclass(frozen=True)
class ThresholdBand(_PilotsFound["BandPilot"]):
    """The rows whose verdict changes when the verdict thresholds move by ``points`` either way.

    ``table`` has one row per row of the scored frame: ``pilot``, ``verdict``, ``verdict.stricter``,
    ``verdict.looser`` and ``in_band``; ``pilots`` holds the rows in the band, in the frame's order.
    """

    points: float
    stricter_rules: VerdictRules
    looser_rules: VerdictRules
    table: pd.DataFrame
    pilots: tuple[BandPilot, ...]


def _kept(table: pd.DataFrame, keep: set[str]) -> np.ndarray:
    """Which rows of a table name a pilot of ``keep`` (a set lookup per row: pandas' ``isin`` on Arrow strings
    costs milliseconds on a thousand rows, and a filtered page asks on every rerun)."""
    pilots = table["pilot"].to_numpy(dtype=object)
    return np.fromiter((p in keep for p in pilots), dtype=bool, count=len(pilots))


def _gap_scores(scored: pd.DataFrame) -> np.ndarray:
    """The (rows × gaps) score matrix, in model order (column by column: selecting six columns at once makes
    pandas build an index and copy a block, several times the cost)."""
    columns = [scored[f"score.{g}"].to_numpy(dtype=float) for g in GAP_IDS]
    return np.column_stack(columns) if len(scored) else np.zeros((0, len(GAP_IDS)))


def _inputs(scored: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """What the verdict reads besides the gap scores and overall: none of it depends on the aggregator."""
    return (
        scored["overall_confidence"].to_numpy(dtype=float),
        scored["open_core"].to_numpy(dtype=int),
        scored["active_edges"].to_numpy(dtype=int),
        scored["critical_edges"].to_numpy(dtype=int),
    )


def method_sensitivity(scored: pd.DataFrame, model: ReadinessModel | None = None) -> MethodSensitivity:
    """Each row's overall and verdict under each aggregator of the model, and the rows whose verdict differs
    between them, each with the sentence that says why (:func:`method_reason`)."""
    model = model or load_model()
    names = scored["pilot"].to_numpy(dtype=object)  # positions, not labels: the frame's index may be anything
    gaps = _gap_scores(scored)
    confidence, open_core, active, critical = _inputs(scored)
    aggregators = tuple(a.id for a in model.aggregators)
    overall = np.column_stack([overall_scores(gaps, model, a) for a in aggregators])
    verdict = np.column_stack(
        [
            verdicts(gaps, overall[:, k], confidence, open_core, active, critical, model.verdict)
            for k in range(len(aggregators))
        ]
    )
    sensitive = (verdict != verdict[:, :1]).any(axis=1)
    columns: dict[str, np.ndarray] = {"pilot": names}
    for k, aggregator in enumerate(aggregators):
        columns[f"overall.{aggregator}"] = overall[:, k]
        columns[f"verdict.{aggregator}"] = verdict[:, k]
    table = pd.DataFrame({**columns, "sensitive": sensitive})  # built at once: column by column costs 10×
    flagged = np.flatnonzero(sensitive)
    weakest = (
        scored["weakest_gap"].to_numpy(dtype=object)
        if "weakest_gap" in scored
        else np.array(GAP_IDS, dtype=object)[gaps.argmin(axis=1)]
    )
    labels = {a.id: a.label for a in model.aggregators}
    pilots = []
    for row in flagged:  # the flagged few only
        outcomes = tuple(
            MethodOutcome(a, labels[a], float(overall[row, k]), str(verdict[row, k])) for k, a in enumerate(aggregators)
        )
        gap = str(weakest[row])
        score = float(gaps[row, GAP_IDS.index(gap)])
        entry = SensitivePilot(str(names[row]), outcomes, gap, model.gap(gap).label, score, "")
        pilots.append(replace(entry, reason=method_reason(entry, model)))
    return MethodSensitivity(aggregators, model.scoring.default_aggregator, table, tuple(pilots))


def method_reason(entry: SensitivePilot, model: ReadinessModel) -> str:
    """Why a pilot's verdict depends on the method, in one sentence of labels.

    ``Ready by the geometric mean (87) and the weighted mean (88) but conditional by the weakest link (70): its
    weakest gap, Monitoring & observability, scores 70, and ready needs an overall of at least 75.``

    The methods are grouped by verdict, the model's own method first. The reason is the verdict condition
    that differs between them: overall readiness reaching the ready bar (the one condition an aggregator
    changes: gap scores, confidence, open core questions and compound edges are the same under every method).
    The weakest link is the lowest gap's score and never exceeds the geometric or the weighted mean, so whenever
    a method falls short of the bar the weakest link does too: the weakest gap is the reason, named with its
    score. When the geometric mean falls short too, only the weighted mean's compensation reaches the bar.
    """
    bar = model.verdict.ready_overall_at_least
    default = model.scoring.default_aggregator
    groups: dict[str, list[MethodOutcome]] = {}
    for outcome in entry.outcomes:
        groups.setdefault(outcome.verdict, []).append(outcome)
    first = next(o.verdict for o in entry.outcomes if o.aggregator == default)
    order = [first, *sorted((v for v in groups if v != first), key=lambda v: -_RANK[v])]
    parts = [
        f"{VERDICT_LABELS[v] if k == 0 else VERDICT_LABELS[v].lower()} by "
        + _and([f"the {o.label.lower()} ({display.score_text(o.overall)})" for o in groups[v]])
        for k, v in enumerate(order)
    ]
    short = {o.aggregator for o in entry.outcomes if o.overall < bar}
    why = (
        f"its weakest gap, {entry.weakest_label}, scores {display.score_text(entry.weakest_score)}, and ready needs "
        f"an overall of at least {display.threshold_text(bar)}"
    )
    if "geometric" in short and "weighted_mean" not in short:
        why += "; only the weighted mean lets its stronger gaps make up for it"
    return f"{' but '.join(parts)}: {why}."


def _and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def moved_rules(rules: VerdictRules, points: float) -> VerdictRules:
    """The verdict rules with the not-ready and ready thresholds moved by ``points`` (up: stricter)."""
    return rules.model_copy(update={name: getattr(rules, name) + points for name in BAND_THRESHOLDS})


def threshold_band(
    scored: pd.DataFrame, model: ReadinessModel | None = None, points: float = BAND_POINTS
) -> ThresholdBand:
    """The rows whose verdict changes when the not-ready and ready thresholds all move by ``points``, up
    (stricter) or down (looser), with the verdict each way; overall is the scored frame's own."""
    model = model or load_model()
    names = scored["pilot"].to_numpy(dtype=object)  # positions, not labels: the frame's index may be anything
    gaps = _gap_scores(scored)
    overall = scored["overall"].to_numpy(dtype=float)
    confidence, open_core, active, critical = _inputs(scored)
    stricter_rules, looser_rules = moved_rules(model.verdict, points), moved_rules(model.verdict, -points)
    now = scored["verdict"].to_numpy(dtype=object)
    stricter = verdicts(gaps, overall, confidence, open_core, active, critical, stricter_rules)
    looser = verdicts(gaps, overall, confidence, open_core, active, critical, looser_rules)
    in_band = (stricter != now) | (looser != now)
    table = pd.DataFrame(
        {"pilot": names, "verdict": now, "verdict.stricter": stricter,
         "verdict.looser": looser, "in_band": in_band}
    )  # fmt: skip
    pilots = tuple(
        BandPilot(str(names[row]), str(now[row]), str(stricter[row]), str(looser[row]))
        for row in np.flatnonzero(in_band)
    )
    return ThresholdBand(points, stricter_rules, looser_rules, table, pilots)
