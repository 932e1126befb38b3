"""What a what-if scenario says on an export: the words and rows that the deck slide, the HTML report's
section and the workbook's sheet share, so that the three read alike.

Everything here reads a :class:`~readiness.service.whatif.WhatIfResult` and recomputes nothing: the statistics
are the use case's (:class:`~readiness.service.portfolio.PortfolioStats` before and after), the sentences its
own (:meth:`~readiness.service.whatif.WhatIfResult.sentences`), and every number is written with
:mod:`readiness.display`. Every surface states that it shows a projection (:data:`PROJECTION_TAG` and the
result's ``label``): a scenario describes the portfolio as it would stand, never as it stands. No python-pptx
or openpyxl here, so the workbook and the report can use it without loading the deck's libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from readiness import display
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER
from readiness.service.portfolio import PortfolioStats, names_text, verdict_summary
from readiness.service.whatif import WhatIfResult, step_moves
from readiness.whatif import GreedyStep

PROJECTION_TAG = "PROJECTION"
SCOPE_NAMES = 4  # pilots named in the scope line; the rest counted


def scenario_title(result: WhatIfResult) -> str:
    """``Scenario: Q3 data push — projection``, or ``What-if: <the plan in one line>`` for a plan not saved."""
    if result.scenario is not None:
        return f"Scenario: {result.scenario.name} — projection"
    return f"What-if: {result.plan.text(result.model)}"


def saved_text(result: WhatIfResult) -> str:
    """Who saved the scenario and when (``version 2, saved by ann on 2026-11-27``); empty for a plan not saved."""
    s = result.scenario
    if s is None:
        return ""
    return f"version {s.version}, saved by {s.created_by} on {s.created_at:%Y-%m-%d}"


def scenario_subtitle(result: WhatIfResult) -> str:
    """The label first (a projection, nothing stored changes), then who saved the scenario and when."""
    saved = saved_text(result)
    return f"{result.label} · {saved[:1].upper()}{saved[1:]}" if saved else result.label


def scope_line(result: WhatIfResult, limit: int = SCOPE_NAMES) -> str:
    """``business unit Operations: 3 of 16 pilots (Claims triage, Maintenance prediction, Shift scheduling)``;
    every pilot is counted, not named."""
    names = list(result.pilots_in_scope)
    count = f"{len(names)} of {display.count_text(result.before.pilots, 'pilot')}"
    if not (result.scope.unit or result.scope.pilots):
        return f"every pilot ({display.count_text(len(names), 'pilot')})"
    return f"{result.scope.describe()}: {count} ({names_text(names, limit)})"


def fixes_line(result: WhatIfResult) -> str:
    """How many answers and metrics the plan brings to yes or green (a fix is delivered with its evidence)."""
    fixed = result.projection.fixed_cells
    if not fixed:
        return "Every item of the plan is at full score already for the pilots in scope: nothing to fix."
    noun = display.count_text(fixed, "answer or metric", "answers and metrics")
    return f"{noun} brought to yes or green, each delivered with its evidence."


def blocked_line(result: WhatIfResult, limit: int = SCOPE_NAMES) -> str:
    """The fixes the plan cannot make (a latency with no budget to be green against); empty when none."""
    blocked = sorted({pilot for pilot, _ in result.projection.blocked}, key=str.casefold)
    if not blocked:
        return ""
    return f"Not fixable: p95 latency of {names_text(blocked, limit)}: no latency budget reported."


def in_scope_line(result: WhatIfResult) -> str:
    """The verdicts of the pilots in scope before → after; empty when the scope is every pilot (the portfolio's
    numbers say it all)."""
    if not (result.scope.unit or result.scope.pilots):
        return ""
    before, after = result.scope_before, result.scope_after
    return (
        f"In scope ({display.count_text(before.pilots, 'pilot')}): {verdict_summary(before)} → {verdict_summary(after)}"
    )


@dataclass(frozen=True)
class StatRow:
    """One line of the before → after summary: what it counts, both values as numbers (a share in percent)
    and as a reader sees them, and the change of the shown values (``▲1``, ``▼2``, ``=``)."""

    label: str
    before: float | None
    after: float | None
    before_text: str
    after_text: str
    change: str
    verdict: str | None = None  # the verdict a count is of (its row takes the verdict's colour)
    share: bool = False  # a percentage (the ready share), compared with Gartner's benchmark


def stat_rows(before: PortfolioStats, after: PortfolioStats) -> list[StatRow]:
    """The summary the deck, the report and the workbook show: pilots by verdict (ready first), the ready
    share against Gartner's benchmark, and the active and critical compound risks."""

    def counted(label: str, get: Callable[[PortfolioStats], int], verdict: str | None = None) -> StatRow:
        was, now = get(before), get(after)
        return StatRow(label, was, now, str(was), str(now), display.change_text(was, now), verdict)

    rows = [counted(VERDICT_LABELS[v], lambda s, v=v: s.by_verdict[v], v) for v in reversed(VERDICT_ORDER)]
    gartner = display.threshold_text(before.gartner_ready_share)
    shares = before.ready_share, after.ready_share
    change = display.change_text(*shares) if None not in shares else display.MISSING
    rows.append(
        StatRow(
            f"Ready share (Gartner: {gartner}%)",
            shares[0],
            shares[1],
            display.percent_text(shares[0]),
            display.percent_text(shares[1]),
            change if change in ("=", display.MISSING) else f"{change} pts",
            share=True,
        )
    )
    rows.append(counted("Active compound risks", lambda s: s.active_compound_risks))
    rows.append(counted("Critical compound risks", lambda s: s.critical_compound_risks))
    return rows


def meets_benchmark(stats: PortfolioStats) -> bool:
    """Whether the shown ready share reaches Gartner's benchmark (the summary slide's tile rule)."""
    return display.floor_to(stats.ready_share or 0) >= stats.gartner_ready_share


def greedy_detail(step: GreedyStep, pilots: int, limit: int = 2) -> str:
    """What a next best fix does, after its label: ``on 8 pilots: +1 ready (Policy Q&A assistant); then 10 of
    16 ready (62%)``."""
    moved = step_moves(step, names=limit) or f"overall {display.gain_text(step.overall_gain)} in total"
    return (
        f"on {display.count_text(step.pilots_fixed, 'pilot')}: {moved}; then {step.ready} of {pilots} ready "
        f"({display.percent_text(step.ready_share)})"
    )


def mover_overall(before: float, after: float) -> str:
    """A mover's overall before → after, as shown (``67 → 94``)."""
    return f"{display.score_text(before)} → {display.score_text(after)}"


__all__ = [
    "PROJECTION_TAG",
    "StatRow",
    "blocked_line",
    "fixes_line",
    "greedy_detail",
    "in_scope_line",
    "meets_benchmark",
    "mover_overall",
    "saved_text",
    "scenario_subtitle",
    "scenario_title",
    "scope_line",
    "stat_rows",
]
