"""Plain-text renderings of scores and of the model, for the terminal."""

from __future__ import annotations

from readiness import display
from readiness.model import ReadinessModel
from readiness.scoring import VERDICT_LABELS, ScoreResult
from readiness.service.portfolio import top_actions


def _bar(score: float, width: int = 20) -> str:
    filled = int(display.floor_to(score / 100 * width))
    return "█" * filled + "·" * (width - filled)


def score_text(result: ScoreResult) -> str:
    """A readable summary of one score: verdict, reasons, gap table, compound risks, top actions."""
    lines = [
        f"{result.pilot} — as of {result.as_of} — model {result.model_version}",
        f"Verdict: {VERDICT_LABELS[result.verdict].upper()}   overall {display.score_text(result.overall)}/100 "
        f"({result.aggregator}), confidence {display.confidence_text(result.overall_confidence)}, "
        f"weakest gap: {result.gaps[result.weakest_gap].label}",
        "",
        "Reasons:",
        *[f"  - {reason}" for reason in result.reasons],
        "",
        f"  {'gap':<28}{'score':>6}  {'':20}  {'confidence':>10}",
    ]
    for gap in result.gaps.values():
        score, confidence = display.score_text(gap.score), display.confidence_text(gap.confidence)
        lines.append(f"  {gap.label:<28}{score:>6}  {_bar(gap.score)}  {confidence:>10}")
    active = [r for r in result.compound_risks if r.state != "inactive"]
    if active:
        lines += ["", "Compound risks:"]
        labels = {gap.id: gap.label for gap in result.gaps.values()}
        lines += [f"  {r.id} {labels[r.source]} → {labels[r.target]}: {r.state} ({r.chain})" for r in active]
    if result.flags:
        lines += ["", "Flags:", *[f"  - {flag.message}" for flag in result.flags]]
    if result.remediation:
        lines += ["", "Top actions (gain in overall readiness):"]
        lines += [
            f"  {display.gain_text(a.gain):>6}  {a.item:<36} {a.current} → {a.target}" for a in top_actions(result, 5)
        ]
    path = result.path_to_next_verdict
    if path.target_verdict:
        lines += ["", f"Path to {VERDICT_LABELS[path.target_verdict]}: {', '.join(path.items) or '—'}. {path.note}"]
    return "\n".join(lines)


def model_text(model: ReadinessModel) -> str:
    """The model as a terminal listing: gaps with their questions and metrics, edges, verdict rules."""
    lines = [f"Readiness model {model.version} — source: {model.source}", ""]
    for gap in model.gaps:
        lines.append(f"[{gap.id}] {gap.label}")
        for q in (q for q in model.questions if q.gap == gap.id):
            lines.append(f"  {q.id:<9}{'core' if q.core else 'deeper':<7}w{q.weight:g}  {q.text}")
        for m in (m for m in model.metrics if m.gap == gap.id):
            anchors = f"green {m.green_label}, red {m.red_label}" if m.scored else "input only"
            lines.append(f"  {m.id:<40}{m.unit:<7}{anchors}")
        lines.append("")
    lines.append("Compound edges:")
    lines += [f"  {e.id} {e.source} → {e.target} (weight {e.weight:g}): {e.chain}" for e in model.edges]
    v = model.verdict
    lines += [
        "",
        "Verdict: not ready when more than "
        f"{v.seed_rule_max_open_core} core answers are no/not sure, any gap < {v.not_ready_gap_below:g}, "
        f"or a compound edge is critical; ready when every gap ≥ {v.ready_gap_at_least:g}, overall ≥ "
        f"{v.ready_overall_at_least:g}, no active edge, "
        f"confidence ≥ {display.confidence_threshold_text(v.ready_confidence_at_least)}.",
    ]
    return "\n".join(lines)
