"""Score one assessment, with every number explained down to the answers and metrics behind it.

The pipeline is: items (each answer and metric as a 0-100 score with its evidence level) → six gap
scores and confidences → overall readiness (non-compensatory by default) → compound risks and flags
→ verdict with reasons → remediation ranked by gain and the path to the next verdict. Every rule and
threshold comes from the readiness model; this module only applies them.

:mod:`readiness.portfolio` computes the same numbers for thousands of assessments at once; a test
holds the two paths equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from readiness import display
from readiness.assessment import Assessment
from readiness.curves import curve_score
from readiness.model import (
    ANSWER_LABELS,
    GAP_IDS,
    AggregatorId,
    Metric,
    Question,
    RatioCurve,
    ReadinessModel,
    load_model,
)

Verdict = Literal["ready", "conditional", "not_ready"]
VERDICT_LABELS: dict[str, str] = {"ready": "Ready", "conditional": "Conditional", "not_ready": "Not ready"}
VERDICT_ORDER: tuple[Verdict, ...] = ("not_ready", "conditional", "ready")
EvidenceLevel = Literal["measured", "documented", "self_reported", "unknown", "missing", "n_a"]
EdgeState = Literal["inactive", "active", "critical"]

DAYS_PER_MONTH = 365.25 / 12
# Scores are compared with thresholds after rounding to this many decimals, on both the explained
# and the vectorized path, so that float summation order can never flip a verdict between them.
PRECISION = 9


# --------------------------------------------------------------------------------------------
# Result types: the Score JSON of docs/contracts.md
# --------------------------------------------------------------------------------------------


class ItemScore(BaseModel):
    """One answer or metric: its value, item score, weight and evidence level."""

    id: str
    kind: Literal["question", "metric"]
    label: str
    core: bool = False
    value: str | float | bool | None
    display: str
    score: float | None = Field(description="0-100; None when the item is left out of the score")
    weight: float
    evidence: EvidenceLevel
    evidence_weight: float = Field(description="the evidence level's contribution to confidence, 0-1")
    counted: bool = Field(description="whether the item enters the gap score")
    in_confidence: bool = Field(description="whether the item enters the gap confidence")
    source: str | None = Field(
        default=None, description="for a measured metric, the evidence file it was measured from, its period and count"
    )


EVIDENCE_WORDS: dict[str, str] = {
    "measured": "measured",
    "documented": "documented",
    "self_reported": "self-reported",
    "unknown": "unknown",
    "missing": "missing",
    "n_a": "n/a",
}


class GapScore(BaseModel):
    """A gap's score (0-100) and confidence (0-1), with the items that make them."""

    id: str
    label: str
    score: float
    confidence: float
    items: list[ItemScore]


class CompoundRisk(BaseModel):
    """A compound edge's severity and state for this pilot."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    severity: float
    state: EdgeState
    chain: str


class Chain(BaseModel):
    """A maximal path of active edges, reported as one story (ownership → scale → trust)."""

    gaps: list[str]
    edges: list[str]
    critical: bool
    text: str


class Flag(BaseModel):
    """A condition beside the score: stalled in pilot, multi-gap."""

    id: Literal["stalled", "multi_gap"]
    message: str


class Action(BaseModel):
    """A remediation: fixing ``item`` would raise overall readiness by ``gain`` points."""

    item: str
    gap: str
    label: str
    current: str
    target: str
    gain: float
    gap_gain: float
    advice: str


class PathToNext(BaseModel):
    """The smallest set of fixes, greedy by gain, that moves the pilot up one verdict.

    When the fixes cannot reach the next verdict, ``remaining`` names, with their numbers, the
    conditions of that verdict that still fail once every item is fixed; the note quotes each of them.
    """

    target_verdict: Verdict | None
    items: list[str]
    reached: bool
    note: str
    remaining: list[str] = Field(default_factory=list, description="conditions of the target verdict left unmet")


class SeedRule(BaseModel):
    """The seed's rule: more than two core questions answered no or not sure → not ready."""

    fired: bool
    open_items: list[str]


class ScoreResult(BaseModel):
    """The Score JSON of docs/contracts.md, plus the explanation that backs every number."""

    verdict: Verdict
    reasons: list[str]
    plain_reasons: list[str] = Field(
        default_factory=list, description="the same reasons naming items by their short labels (executive surfaces)"
    )
    overall: float
    overall_confidence: float
    aggregator: AggregatorId
    model_version: str
    as_of: date
    pilot: str
    gaps: dict[str, GapScore]
    weakest_gap: str
    seed_rule: SeedRule
    compound_risks: list[CompoundRisk]
    chains: list[Chain]
    flags: list[Flag]
    months_in_pilot: float | None
    remediation: list[Action]
    path_to_next_verdict: PathToNext
    missing_metrics: list[str]

    def to_json_dict(self) -> dict:
        """The Score JSON, ready for ``json.dumps``."""
        return self.model_dump(mode="json", by_alias=True)


# --------------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------------


def question_item(question: Question, assessment: Assessment, model: ReadinessModel) -> ItemScore:
    """Score one question. A missing core answer counts as not sure; a missing deeper one is left out."""
    answer = assessment.answers.get(question.id)
    levels = model.scoring.evidence_levels
    if answer is None and not question.core:
        return ItemScore(
            id=question.id, kind="question", label=question.text, core=False, value=None,
            display="not answered", score=None, weight=question.weight, evidence="missing",
            evidence_weight=0.0, counted=False, in_confidence=False,
        )  # fmt: skip
    if answer == "n_a":
        return ItemScore(
            id=question.id, kind="question", label=question.text, core=question.core, value="n_a",
            display=ANSWER_LABELS["n_a"], score=None, weight=question.weight, evidence="n_a",
            evidence_weight=0.0, counted=False, in_confidence=False,
        )  # fmt: skip
    effective = answer or "not_sure"
    if effective == "not_sure":
        evidence: EvidenceLevel = "unknown" if answer else "missing"
        evidence_weight = levels["unknown"]
    elif assessment.documented(question.id):
        evidence, evidence_weight = "documented", levels["documented"]
    else:
        evidence, evidence_weight = "self_reported", levels["self_reported"]
    return ItemScore(
        id=question.id, kind="question", label=question.text, core=question.core, value=answer,
        display=ANSWER_LABELS[answer] if answer else "not answered (counts as not sure)",
        score=model.scoring.answer_scores[effective], weight=question.weight, evidence=evidence,
        evidence_weight=evidence_weight, counted=True, in_confidence=True,
    )  # fmt: skip


def metric_item(metric: Metric, assessment: Assessment, model: ReadinessModel) -> ItemScore:
    """Score one metric on its curve. A metric not reported is left out but counts as missing evidence."""
    assert metric.curve is not None
    raw = assessment.metrics.get(metric.id)
    denominator = None
    display = "not reported"
    if isinstance(metric.curve, RatioCurve):
        denominator = assessment.metrics.get(metric.curve.denominator)
        if raw is not None and denominator is None:
            display = f"{_format_value(metric, raw)} (no budget reported, cannot score)"
            raw = None
    score = None
    if raw is not None:
        score = float(curve_score(metric.curve, float(raw), None if denominator is None else float(denominator)))
        display = _format_value(metric, raw)
        if denominator is not None:
            display += f" vs budget {float(denominator):g} s (ratio {float(raw) / float(denominator):.2f})"
    evidence, source = metric_evidence(metric.id, assessment) if score is not None else ("missing", None)
    level = model.scoring.evidence_levels[evidence] if score is not None else 0.0
    return ItemScore(
        id=metric.id, kind="metric", label=metric.label, value=raw, display=display, score=score,
        weight=metric.weight, evidence=evidence, evidence_weight=level, counted=score is not None,
        in_confidence=True, source=source,
    )  # fmt: skip


def metric_evidence(metric_id: str, assessment: Assessment) -> tuple[EvidenceLevel, str | None]:
    """A reported metric's evidence level, and for a measured one where it was measured from.

    Measured: computed by Readiness from an evidence file; documented: typed, with a reference to the report
    it comes from; self-reported: typed with none.
    """
    if assessment.measured(metric_id):
        return "measured", display.measured_from_text(assessment.measurements[metric_id].provenance)
    return ("documented" if assessment.documented(metric_id) else "self_reported"), None


def _format_value(metric: Metric, raw: object) -> str:
    """A metric value with its unit, as a reader expects it (``45%``, ``2.4 s``, ``yes``)."""
    if metric.kind == "bool":
        return "yes" if raw else "no"
    spacer = "" if metric.unit in {"%", "×"} else " "
    return f"{float(raw):g}{spacer}{metric.unit}"  # type: ignore[arg-type]


def score_items(assessment: Assessment, model: ReadinessModel) -> dict[str, list[ItemScore]]:
    """Every item of every gap, scored and explained, in model order."""
    items: dict[str, list[ItemScore]] = {gap: [] for gap in GAP_IDS}
    for question in model.questions:
        items[question.gap].append(question_item(question, assessment, model))
    for metric in model.scored_metrics:
        items[metric.gap].append(metric_item(metric, assessment, model))
    return items


# --------------------------------------------------------------------------------------------
# Gaps, overall, compound risks, verdict
# --------------------------------------------------------------------------------------------


def gap_score(items: list[ItemScore]) -> float:
    """Weighted mean of the counted items' scores."""
    counted = [i for i in items if i.counted and i.score is not None]
    total = sum(i.weight for i in counted)
    return sum(i.score * i.weight for i in counted) / total if total else 0.0  # type: ignore[operator]


def gap_confidence(items: list[ItemScore]) -> float:
    """Weighted mean of the evidence levels of the items that make up the evidence base."""
    base = [i for i in items if i.in_confidence]
    total = sum(i.weight for i in base)
    return sum(i.evidence_weight * i.weight for i in base) / total if total else 0.0


def aggregate(scores: dict[str, float], weights: dict[str, float], aggregator: AggregatorId) -> float:
    """Overall readiness from the six gap scores with the chosen aggregator."""
    values = [scores[g] for g in GAP_IDS]
    w = [weights[g] for g in GAP_IDS]
    if aggregator == "weakest_link":
        return min(values)
    if aggregator == "weighted_mean":
        return sum(v * x for v, x in zip(values, w, strict=True)) / sum(w)
    if min(values) <= 0:
        return 0.0  # the geometric mean of anything with a zero is zero: one dead gap kills the pilot
    return math.exp(sum(math.log(v) * x for v, x in zip(values, w, strict=True)) / sum(w))


class EdgeRisk(NamedTuple):
    """A compound edge evaluated for one pilot (a light tuple: what-ifs build thousands of them)."""

    id: str
    source: str
    target: str
    severity: float
    state: EdgeState
    chain: str

    def public(self) -> CompoundRisk:
        """The edge as it appears in the Score JSON."""
        return CompoundRisk(id=self.id, source=self.source, target=self.target, severity=round(self.severity, 4),
                            state=self.state, chain=self.chain)  # fmt: skip


def compound_risks(scores: dict[str, float], model: ReadinessModel) -> list[EdgeRisk]:
    """Severity and state of every compound edge."""
    rules = model.compound
    risks = []
    for edge in model.edges:
        a, b = scores[edge.source], scores[edge.target]
        severity = edge.weight * (100 - a) / 100 * (100 - b) / 100
        state: EdgeState = "inactive"
        if a < rules.active_below and b < rules.active_below:
            state = "active"
        if a < rules.critical_below and b < rules.critical_below:
            state = "critical"
        risks.append(EdgeRisk(edge.id, edge.source, edge.target, severity, state, edge.chain))
    return risks


def chains(risks: list[EdgeRisk], model: ReadinessModel) -> list[Chain]:
    """Maximal paths through the active edges, each told as one story."""
    active = [r for r in risks if r.state != "inactive"]
    targets = {r.target for r in active}
    labels = {g.id: g.label for g in model.gaps}
    found: list[Chain] = []

    def walk(path: list[str], edges: list[EdgeRisk]) -> None:
        onward = [r for r in active if r.source == path[-1] and r.target not in path]
        if not onward and edges:
            text = " → ".join(labels[g] for g in path)
            critical = all(e.state == "critical" for e in edges)
            found.append(Chain(gaps=list(path), edges=[e.id for e in edges], critical=critical, text=text))
        for risk in onward:
            walk([*path, risk.target], [*edges, risk])

    for start in GAP_IDS:
        if any(r.source == start for r in active) and start not in targets:
            walk([start], [])
    return found


@dataclass(frozen=True)
class Summary:
    """The numbers a verdict is made of; recomputed cheaply for each remediation what-if."""

    scores: dict[str, float]
    confidences: dict[str, float]
    overall: float
    overall_confidence: float
    open_core: list[str]
    risks: list[EdgeRisk]
    verdict: Verdict
    blockers: int


def summarise(
    items: dict[str, list[ItemScore]],
    model: ReadinessModel,
    aggregator: AggregatorId,
    base: Summary | None = None,
    changed_gap: str | None = None,
) -> Summary:
    """Gap scores, overall, compound risks and verdict from scored items.

    With ``base`` and ``changed_gap`` only that gap is recomputed: remediation asks hundreds of
    what-ifs that each change one item.
    """
    weights = {g.id: g.weight for g in model.gaps}
    if base is not None and changed_gap is not None:
        scores = base.scores | {changed_gap: round(gap_score(items[changed_gap]), PRECISION)}
        confidences = base.confidences | {changed_gap: round(gap_confidence(items[changed_gap]), PRECISION)}
    else:
        scores = {gap: round(gap_score(items[gap]), PRECISION) for gap in GAP_IDS}
        confidences = {gap: round(gap_confidence(items[gap]), PRECISION) for gap in GAP_IDS}
    overall = round(aggregate(scores, weights, aggregator), PRECISION)
    overall_confidence = round(sum(confidences[g] * weights[g] for g in GAP_IDS) / sum(weights.values()), PRECISION)
    open_core = [i.id for gap in GAP_IDS for i in items[gap] if i.core and i.value != "yes"]
    risks = compound_risks(scores, model)
    summary = Summary(scores, confidences, overall, overall_confidence, open_core, risks, "not_ready", 0)
    verdict, blockers = _verdict(summary, model)
    return replace(summary, verdict=verdict, blockers=blockers)


def _verdict(s: Summary, model: ReadinessModel) -> tuple[Verdict, int]:
    """The verdict, and how many conditions stand between it and the next one up."""
    rules = model.verdict
    excess_open = max(0, len(s.open_core) - rules.seed_rule_max_open_core)
    not_ready_blockers = (
        excess_open
        + sum(v < rules.not_ready_gap_below for v in s.scores.values())
        + sum(r.state == "critical" for r in s.risks)
    )
    if not_ready_blockers:
        return "not_ready", not_ready_blockers
    ready_blockers = (
        sum(v < rules.ready_gap_at_least for v in s.scores.values())
        + (s.overall < rules.ready_overall_at_least)
        + sum(r.state != "inactive" for r in s.risks)
        + (s.overall_confidence < rules.ready_confidence_at_least)
    )
    return ("conditional", ready_blockers) if ready_blockers else ("ready", 0)


def _weak_items(items: list[ItemScore], limit: int = 3) -> list[str]:
    """The counted items that cost the gap the most points."""
    weak = [i for i in items if i.counted and i.score is not None and i.score < 100]
    weak.sort(key=lambda i: -(100 - i.score) * i.weight)  # type: ignore[operator]
    return [i.id for i in weak[:limit]]


def reasons(s: Summary, items: dict[str, list[ItemScore]], model: ReadinessModel, plain: bool = False) -> list[str]:
    """The verdict in words, each reason naming the items behind it: by ID (the Score JSON's ``reasons``, for
    analysts and the drill-down), or with ``plain`` by their short labels (executive surfaces)."""
    rules = model.verdict
    labels = {g.id: g.label for g in model.gaps}

    def named(ids: list[str]) -> str:
        return ", ".join(model.item_label(i) if plain else i for i in ids)

    out: list[str] = []
    n_open = len(s.open_core)
    if n_open > rules.seed_rule_max_open_core:
        lead = (
            f"{n_open} of the {len(model.core_questions)} checklist questions are answered no or not sure "
            f"(more than {rules.seed_rule_max_open_core} means not ready)"
            if plain
            else f"Seed rule: {n_open} core questions answered no or not sure (more than "
            f"{rules.seed_rule_max_open_core})"
        )
        out.append(f"{lead}: {named(s.open_core)}.")
    for gap in GAP_IDS:
        score = s.scores[gap]
        weak = named(_weak_items(items[gap])) or "no weak item"
        if score < rules.not_ready_gap_below:
            out.append(f"{labels[gap]} is {display.score_text(score)}, below {rules.not_ready_gap_below:g}: {weak}.")
        elif score < rules.ready_gap_at_least and s.verdict != "not_ready":
            out.append(
                f"{labels[gap]} is {display.score_text(score)}, below {rules.ready_gap_at_least:g} for ready: {weak}."
            )
    for risk in s.risks:
        if risk.state == "critical" or (risk.state == "active" and s.verdict != "not_ready"):
            a, b = s.scores[risk.source], s.scores[risk.target]
            name = f"{risk.state.capitalize()} compound risk" if plain else f"Compound risk {risk.id} is {risk.state}"
            out.append(
                f"{name}: {labels[risk.source]} ({display.score_text(a)}) → "
                f"{labels[risk.target]} ({display.score_text(b)}): {risk.chain}."
            )
    if s.verdict == "not_ready":
        return out
    if s.overall < rules.ready_overall_at_least:
        out.append(
            f"Overall readiness is {display.score_text(s.overall)}, below {rules.ready_overall_at_least:g} for ready."
        )
    if s.overall_confidence < rules.ready_confidence_at_least:
        thin = [i.id for gap in GAP_IDS for i in items[gap] if i.in_confidence and i.evidence_weight < 0.5]
        out.append(
            f"Confidence is {display.confidence_text(s.overall_confidence)}, below "
            f"{display.confidence_threshold_text(rules.ready_confidence_at_least)}: "
            f"evidence missing for {named(thin[:6])}{' and more' if len(thin) > 6 else ''}."
        )
    if s.verdict == "ready":
        n_core = len(model.core_questions)
        lowest = min(GAP_IDS, key=lambda g: s.scores[g])
        open_text = f" (open: {named(s.open_core)})" if s.open_core else ""
        out.append(
            f"{n_core - n_open} of {n_core} core questions answered yes{open_text}; "
            f"every gap is at least {rules.ready_gap_at_least:g} (lowest: {labels[lowest]} "
            f"{display.score_text(s.scores[lowest])}); overall {display.score_text(s.overall)}; "
            "no active compound risk; "
            f"confidence {display.confidence_text(s.overall_confidence)}."
        )
    return out


# --------------------------------------------------------------------------------------------
# Remediation
# --------------------------------------------------------------------------------------------


def _fixed(item: ItemScore, model: ReadinessModel) -> ItemScore:
    """The item as it would be if fixed: a yes, or a metric at its green anchor."""
    if item.kind == "question":
        evidence = item.evidence if item.evidence == "documented" else "self_reported"
        level = model.scoring.evidence_levels[evidence]  # type: ignore[index]
        return item.model_copy(
            update={"value": "yes", "score": model.scoring.answer_scores["yes"], "evidence": evidence,
                    "evidence_weight": level, "counted": True, "in_confidence": True}
        )  # fmt: skip
    return item.model_copy(update={"score": 100.0})


def _with(items: dict[str, list[ItemScore]], gap: str, fixed: ItemScore) -> dict[str, list[ItemScore]]:
    return {**items, gap: [fixed if i.id == fixed.id else i for i in items[gap]]}


def _candidates(items: dict[str, list[ItemScore]]) -> list[tuple[str, ItemScore]]:
    """Items that are not green: counted with a score below 100."""
    return [(gap, i) for gap in GAP_IDS for i in items[gap] if i.counted and (i.score or 0) < 100]


def _target_label(item: ItemScore, model: ReadinessModel) -> str:
    if item.kind == "question":
        return "Yes"
    return f"green: {model.metric_by_id[item.id].green_label}"


def remediation(
    items: dict[str, list[ItemScore]], base: Summary, model: ReadinessModel, aggregator: AggregatorId
) -> list[Action]:
    """Every non-green item with the overall gain of fixing it, ranked by gain (then gap gain)."""
    actions = []
    for gap, item in _candidates(items):
        after = summarise(_with(items, gap, _fixed(item, model)), model, aggregator, base, gap)
        actions.append(
            Action(
                item=item.id, gap=gap, label=item.label, current=item.display,
                target=_target_label(item, model), gain=display.floor_to(after.overall - base.overall, 2),
                gap_gain=display.floor_to(after.scores[gap] - base.scores[gap], 2), advice=model.gap(gap).guidance,
            )
        )  # fmt: skip
    order = {i.id: n for n, (_, i) in enumerate(_candidates(items))}
    actions.sort(key=lambda a: (-a.gain, -a.gap_gain, order[a.item]))
    return actions


def _strongest_candidates(items: dict[str, list[ItemScore]]) -> list[tuple[str, ItemScore]]:
    """Per gap, the fix that lifts the gap most, and the core question that lifts it most.

    A fix changes only its own gap, and every verdict rule is monotonic in gap scores, so within a
    gap nothing beats its strongest fix, except a core question, which also counts for the seed's
    rule. The greedy path evaluates these few instead of every item.
    """

    def lift(item: ItemScore) -> tuple[float, float]:
        return item.weight * (100 - (item.score or 0)), 1 - item.evidence_weight

    strongest: dict[tuple[str, bool], ItemScore] = {}
    for gap, item in _candidates(items):
        for key in {(gap, False), (gap, True)} if item.core else {(gap, False)}:
            if key not in strongest or lift(item) > lift(strongest[key]):
                strongest[key] = item
    unique = {item.id: (gap, item) for (gap, _), item in strongest.items()}
    return list(unique.values())


def _unmet_conditions(s: Summary, target: Verdict, model: ReadinessModel, verb: str) -> list[str]:
    """The conditions of ``target`` that ``s`` fails, each with its number and threshold.

    Mirrors :func:`_verdict` rule for rule, so a summary below ``target`` always yields at least one.
    ``verb`` is "is" for the pilot as it stands and "stays" for the pilot after the proposed fixes.
    """
    rules = model.verdict
    labels = {g.id: g.label for g in model.gaps}
    needs = f"that {VERDICT_LABELS[target].lower()} needs"
    out: list[str] = []
    if len(s.open_core) > rules.seed_rule_max_open_core:
        out.append(
            f"the seed rule still holds: {display.count_text(len(s.open_core), 'core question')} not answered "
            f"yes, more than the {rules.seed_rule_max_open_core} allowed ({', '.join(s.open_core)})"
        )
    if target == "conditional":
        gap_floor, risk_states = rules.not_ready_gap_below, {"critical"}
    else:
        gap_floor, risk_states = rules.ready_gap_at_least, {"active", "critical"}
    for gap in GAP_IDS:
        if s.scores[gap] < gap_floor:
            out.append(
                f"{labels[gap]} {verb} at {display.score_text(s.scores[gap])}, below the "
                f"{display.threshold_text(gap_floor)} {needs}"
            )
    for risk in s.risks:
        if risk.state in risk_states:
            below = model.compound.critical_below if risk.state == "critical" else model.compound.active_below
            out.append(
                f"the compound risk {labels[risk.source]} → {labels[risk.target]} {verb} {risk.state} ("
                f"{labels[risk.source]} "
                f"{display.score_text(s.scores[risk.source])} and {labels[risk.target]} "
                f"{display.score_text(s.scores[risk.target])}, both below {display.threshold_text(below)})"
            )
    if target == "ready" and s.overall < rules.ready_overall_at_least:
        out.append(
            f"overall readiness {verb} at {display.score_text(s.overall)}, below the "
            f"{display.threshold_text(rules.ready_overall_at_least)} {needs}"
        )
    if target == "ready" and s.overall_confidence < rules.ready_confidence_at_least:
        out.append(
            f"confidence {verb} at {display.confidence_text(s.overall_confidence)}, below the "
            f"{display.confidence_threshold_text(rules.ready_confidence_at_least)} {needs}"
        )
    return out


def _shortfall_note(n_fixed: int, base: Summary, state: Summary, target: Verdict, remaining: list[str]) -> str:
    """Why the path stops short of the next verdict: what the fixes do, and what they leave unmet."""
    unmet = "; ".join(remaining)
    # Confidence comes from evidence, which no fix of an answer or a metric value can supply.
    low_confidence = any(condition.startswith("confidence ") for condition in remaining)
    hint = " More evidence (documented answers, measured metrics) raises confidence." if low_confidence else ""
    if n_fixed == 0:
        return f"No answer or metric left to fix: {unmet}.{hint}"
    fixes = f"Fixing {display.count_text(n_fixed, 'item')}"
    before, after = display.score_text(base.overall), display.score_text(state.overall)
    if after == before:
        return f"{fixes} does not reach {VERDICT_LABELS[target]}: {unmet}.{hint}"
    return f"{fixes} raises overall readiness from {before} to {after}, but {unmet}.{hint}"


def path_to_next_verdict(
    items: dict[str, list[ItemScore]], base: Summary, model: ReadinessModel, aggregator: AggregatorId
) -> PathToNext:
    """Greedy: apply the fix that removes the most verdict blockers (then the largest gain) until the
    verdict moves up one step or no fix is left; when none is left, say which conditions remain."""
    position = VERDICT_ORDER.index(base.verdict)
    if position == len(VERDICT_ORDER) - 1:
        return PathToNext(target_verdict=None, items=[], reached=True, note="Already ready for production.")
    target = VERDICT_ORDER[position + 1]
    current, state, chosen = items, base, []
    while VERDICT_ORDER.index(state.verdict) < position + 1:
        options = []
        for gap, item in _strongest_candidates(current):
            trial = _with(current, gap, _fixed(item, model))
            after = summarise(trial, model, aggregator, state, gap)
            progress = VERDICT_ORDER.index(after.verdict) > VERDICT_ORDER.index(state.verdict)
            key = (progress, state.blockers - after.blockers, after.overall - state.overall,
                   after.scores[gap] - state.scores[gap])  # fmt: skip
            options.append((key, item.id, trial, after))
        if not options:
            remaining = _unmet_conditions(state, target, model, "stays" if chosen else "is")
            note = _shortfall_note(len(chosen), base, state, target, remaining)
            return PathToNext(target_verdict=target, items=chosen, reached=False, note=note, remaining=remaining)
        key, item_id, current, state = max(options, key=lambda o: o[0])
        chosen.append(item_id)
    label = VERDICT_LABELS[target]
    note = f"Fixing {display.count_text(len(chosen), 'item')} moves the verdict to {label}."
    return PathToNext(target_verdict=target, items=chosen, reached=True, note=note)


# --------------------------------------------------------------------------------------------
# Flags and the whole score
# --------------------------------------------------------------------------------------------


def months_between(start: date, end: date) -> float:
    """Months from ``start`` to ``end`` (average month length), rounded down to a tenth: the stalled rule
    compares the number a reader sees (8.04 months reads 8.0 and is not more than 8)."""
    return display.floor_to((end - start).days / DAYS_PER_MONTH, 1)


def flags(assessment: Assessment, scores: dict[str, float], model: ReadinessModel) -> list[Flag]:
    """Conditions reported beside the score: stalled in pilot, several weak gaps at once."""
    rules = model.scoring
    out = []
    pilot = assessment.pilot
    if pilot.stage == "pilot" and pilot.start_date is not None:
        months = months_between(pilot.start_date, assessment.as_of)
        if months > rules.stalled_after_months:
            out.append(
                Flag(id="stalled", message=f"In pilot for {display.months_text(months)} months, longer than the "
                     f"{rules.stalled_after_months:g} months the pilots that reach production take on average.")
            )  # fmt: skip
    weak = [g for g in GAP_IDS if scores[g] < rules.multi_gap_threshold]
    if len(weak) >= rules.multi_gap_count:
        out.append(
            Flag(id="multi_gap", message=f"{len(weak)} gaps below {rules.multi_gap_threshold:g} at once "
                 f"({', '.join(model.gap(g).label for g in weak)}): the gaps compound.")
        )  # fmt: skip
    return out


def weakest_gap(summary: Summary) -> str:
    """The lowest gap; ties go to the lower confidence, then to model order."""
    return min(GAP_IDS, key=lambda g: (summary.scores[g], summary.confidences[g]))


def score_assessment(
    assessment: Assessment, model: ReadinessModel | None = None, aggregator: AggregatorId | None = None
) -> ScoreResult:
    """Score one assessment: verdict, reasons, gaps, compound risks, flags and remediation."""
    model = model or load_model()
    aggregator = aggregator or model.scoring.default_aggregator
    items = score_items(assessment, model)
    summary = summarise(items, model, aggregator)
    gaps = {
        g.id: GapScore(id=g.id, label=g.label, score=display.floor_to(summary.scores[g.id], 2),
                       confidence=display.floor_to(summary.confidences[g.id], 3), items=items[g.id])
        for g in model.gaps
    }  # fmt: skip
    start = assessment.pilot.start_date
    missing = [i.id for g in GAP_IDS for i in items[g] if i.kind == "metric" and i.evidence == "missing"]
    return ScoreResult(
        verdict=summary.verdict,
        reasons=reasons(summary, items, model),
        plain_reasons=reasons(summary, items, model, plain=True),
        overall=display.floor_to(summary.overall, 2),
        overall_confidence=display.floor_to(summary.overall_confidence, 3),
        aggregator=aggregator,
        model_version=model.version,
        as_of=assessment.as_of,
        pilot=assessment.pilot.name,
        gaps=gaps,
        weakest_gap=weakest_gap(summary),
        seed_rule=SeedRule(
            fired=len(summary.open_core) > model.verdict.seed_rule_max_open_core, open_items=summary.open_core
        ),
        compound_risks=[risk.public() for risk in summary.risks],
        chains=chains(summary.risks, model),
        flags=flags(assessment, summary.scores, model),
        months_in_pilot=months_between(start, assessment.as_of) if start else None,
        remediation=remediation(items, summary, model, aggregator),
        path_to_next_verdict=path_to_next_verdict(items, summary, model, aggregator),
        missing_metrics=missing,
    )


def issued_score(
    assessment: Assessment, model: ReadinessModel | None = None, aggregator: AggregatorId | None = None
) -> dict:
    """The score as issued, for the record kept with each stored snapshot.

    The verdict, its reasons and every number a reader saw, without the per-item explanation and the
    remediation what-ifs: those are reproduced from the stored answers and the model version, and
    leaving them out keeps a snapshot's record small (about 2 KB, not 20) and a bulk import fast.
    """
    model = model or load_model()
    aggregator = aggregator or model.scoring.default_aggregator
    items = score_items(assessment, model)
    summary = summarise(items, model, aggregator)
    start = assessment.pilot.start_date
    return {
        "verdict": summary.verdict,
        "reasons": reasons(summary, items, model),
        "overall": display.floor_to(summary.overall, 2),
        "overall_confidence": display.floor_to(summary.overall_confidence, 3),
        "aggregator": aggregator,
        "model_version": model.version,
        "gaps": {
            g: {
                "score": display.floor_to(summary.scores[g], 2),
                "confidence": display.floor_to(summary.confidences[g], 3),
            }
            for g in GAP_IDS
        },
        "weakest_gap": weakest_gap(summary),
        "seed_rule": {
            "fired": len(summary.open_core) > model.verdict.seed_rule_max_open_core,
            "open_items": summary.open_core,
        },
        "compound_risks": [r.public().model_dump(mode="json", by_alias=True) for r in summary.risks],
        "flags": [f.model_dump(mode="json") for f in flags(assessment, summary.scores, model)],
        "months_in_pilot": months_between(start, assessment.as_of) if start else None,
    }
