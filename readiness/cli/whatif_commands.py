"""``readiness whatif``: project a plan of fixes on the stored portfolio, save it as a scenario, or run a saved one.

A projection never changes a stored snapshot, and the output says so first. The numbers come from
:mod:`readiness.service.whatif`, the same use case as the what-if page.
"""

from __future__ import annotations

import json

import click

from readiness import display
from readiness.cli.main import cli, examples
from readiness.cli.store_commands import current_user, db_option, store
from readiness.display import count_text
from readiness.errors import InvalidInput, Issue
from readiness.model import load_model
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER
from readiness.service.access import cli_identity
from readiness.service.portfolio import PortfolioStats, names_text
from readiness.service.whatif import (
    WhatIfResult,
    WhatIfScope,
    project_portfolio,
    run_scenario,
    save_scenario,
    step_moves,
)
from readiness.whatif import Plan, parse_plan

DEFAULT_GREEDY = 5


@cli.command(
    short_help="Project a plan of fixes on the portfolio (no stored snapshot changes).",
    epilog=examples(
        "readiness whatif --unit Operations --close-gap data_quality",
        "readiness whatif --pilot 'Claims triage' --yes SCALE-1 --green scale.p95_latency_s",
        "readiness whatif --close-gap monitoring --save 'Q3 monitoring push'",
        "readiness whatif --scenario 'Q3 monitoring push' --json",
        "readiness whatif --greedy 10                # the next best fixes across the portfolio",
    ),
)
@click.option("--unit", metavar="BU", default=None, help="Apply the plan to one business unit's pilots.")
@click.option("--pilot", "pilots", metavar="NAME", multiple=True, help="Apply the plan to this pilot (repeatable).")
@click.option("--yes", "answer_yes", metavar="Q-ID", multiple=True, help="Answer this question yes (repeatable).")
@click.option("--green", "metrics", metavar="METRIC-ID", multiple=True, help="Bring this metric to green (repeatable).")
@click.option(
    "--close-gap",
    "gaps",
    metavar="GAP",
    multiple=True,
    help="Close a gap: every question yes, every metric green (gap ID or label, any case; repeatable).",
)
@click.option(
    "--greedy",
    "greedy_steps",
    metavar="N",
    type=click.IntRange(min=0, max=50),
    default=DEFAULT_GREEDY,
    show_default=True,
    help="List the next N best single fixes across the pilots in scope, after the plan (0: none).",
)
@click.option("--save", "save_as", metavar="NAME", default=None, help="Save the plan and scope as a named scenario.")
@click.option("--scenario", metavar="NAME", default=None, help="Project a saved scenario (its plan and scope).")
@click.option("--json", "as_json", is_flag=True, help="Print the projection as JSON.")
@db_option
def whatif(
    unit: str | None,
    pilots: tuple[str, ...],
    answer_yes: tuple[str, ...],
    metrics: tuple[str, ...],
    gaps: tuple[str, ...],
    greedy_steps: int,
    save_as: str | None,
    scenario: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Project a plan of fixes on each pilot's latest snapshot: the portfolio before and after (verdict counts,
    ready share against Gartner's 48%, compound risks), the pilots whose verdict moves, and the next best
    fixes. A fix is a question answered yes or a metric at its green anchor, delivered with its evidence
    (docs/model.md, "What-if projections"). Nothing stored changes; --save keeps the plan as a scenario.
    """
    model = load_model()
    identity = cli_identity(current_user())
    if scenario is not None and (unit or pilots or answer_yes or metrics or gaps):
        message = "a saved scenario carries its plan and scope: drop --unit, --pilot, --yes, --green and --close-gap"
        raise InvalidInput([Issue("error", "--scenario", message)])
    with store(db_url) as engine:
        if scenario is not None:
            result = run_scenario(engine, scenario, greedy_steps=greedy_steps, identity=identity, model=model)
            plan, scope = result.plan, result.scope
        else:
            data = {"answer_yes": answer_yes, "metrics_to_green": metrics, "close_gaps": gaps}
            plan = _cli_plan(data)
            scope = _cli_scope(unit, pilots)
            result = project_portfolio(engine, plan, scope, greedy_steps=greedy_steps, identity=identity, model=model)
        saved = None
        if save_as is not None:
            saved = save_scenario(engine, save_as, plan, scope, identity=identity, model=model)
    if as_json:
        payload = result.to_json_dict()
        if saved is not None:
            payload["saved"] = {"name": saved.name, "version": saved.version}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    click.echo(whatif_text(result))
    if saved is not None:
        click.echo(f"\nSaved as scenario '{saved.name}' (version {saved.version}).")


OPTION_OF_FIELD = {"answer_yes": "--yes", "metrics_to_green": "--green", "close_gaps": "--close-gap"}


def _cli_plan(data: dict[str, tuple[str, ...]]) -> Plan:
    """The plan of the options; an unknown ID names the option it came from."""
    try:
        return parse_plan(data)
    except InvalidInput as problem:
        issues = [Issue(i.severity, OPTION_OF_FIELD.get(i.location, i.location), i.message) for i in problem.issues]
        raise InvalidInput(issues) from None


def _cli_scope(unit: str | None, pilots: tuple[str, ...]) -> WhatIfScope:
    try:
        return WhatIfScope(unit=unit, pilots=pilots)
    except InvalidInput:
        raise InvalidInput([Issue("error", "--unit", "give --unit or --pilot, not both")]) from None


def _stats_rows(before: PortfolioStats, after: PortfolioStats) -> list[tuple[str, str, str]]:
    rows = [(VERDICT_LABELS[v], str(before.by_verdict[v]), str(after.by_verdict[v])) for v in reversed(VERDICT_ORDER)]
    rows.append(("Ready share", display.percent_text(before.ready_share), display.percent_text(after.ready_share)))
    rows.append(("Active compound risks", str(before.active_compound_risks), str(after.active_compound_risks)))
    rows.append(("Critical compound risks", str(before.critical_compound_risks), str(after.critical_compound_risks)))
    rows.append(
        ("Pilots with a compound risk", str(before.pilots_with_compound_risk), str(after.pilots_with_compound_risk))
    )
    return rows


def _table(title: str, before: PortfolioStats, after: PortfolioStats) -> list[str]:
    rows = _stats_rows(before, after)
    width = max(len(r[0]) for r in [*rows, (title, "", "")])
    lines = [f"{title:<{width}}  {'Before':>8}  {'After':>8}"]
    lines += [f"{label:<{width}}  {was:>8}  {now:>8}" for label, was, now in rows]
    return lines


def whatif_text(result: WhatIfResult) -> str:
    """The projection as the terminal shows it, headed as a projection."""
    model = result.model
    projection = result.projection
    lines = [result.label, "=" * len(result.label)]
    if result.scenario is not None:
        s = result.scenario
        lines.append(f"Scenario: {s.name} (version {s.version}, saved by {s.created_by} on {s.created_at:%Y-%m-%d})")
    in_scope = result.pilots_in_scope
    shown = ", ".join(in_scope[:6]) + (f" and {len(in_scope) - 6} more" if len(in_scope) > 6 else "")
    lines.append(f"Scope: {result.scope.describe()} ({count_text(len(in_scope), 'pilot')}: {shown})")
    lines.append(f"Plan: {result.plan.text(model)}")
    if projection.fixed_cells:
        fixed = count_text(projection.fixed_cells, "answer or metric", "answers and metrics")
        lines.append(f"Fixes: {fixed} brought to yes or green, each with its evidence.")
    else:
        lines.append("Fixes: none: every item of the plan is at full score already for the pilots in scope.")
    if projection.blocked:
        blocked = sorted({pilot for pilot, _ in projection.blocked}, key=str.casefold)
        lines.append(f"Not fixable: p95 latency of {names_text(blocked, 4)}: no latency budget reported.")
    lines += [
        "",
        *_table(f"Portfolio ({count_text(result.before.pilots, 'pilot')})", result.before, result.after),
    ]
    lines.append(f"(Gartner: {display.threshold_text(result.before.gartner_ready_share)}% of AI prototypes reach "
                 "production)")  # fmt: skip
    if result.scope.unit or result.scope.pilots:
        lines += ["", *_table(f"In scope ({count_text(result.scope_before.pilots, 'pilot')})", result.scope_before,
                              result.scope_after)]  # fmt: skip
    lines += ["", "Verdicts that move:"]
    if projection.movers:
        width = max(len(m.pilot) for m in projection.movers)
        for m in projection.movers:
            lines.append(
                f"  {m.pilot:<{width}}  {VERDICT_LABELS[m.before]} → {VERDICT_LABELS[m.after]}  "
                f"(overall {display.score_text(m.overall_before)} → {display.score_text(m.overall_after)})"
            )
    else:
        lines.append("  none: no pilot's verdict changes with this plan.")
    if result.greedy:
        after_plan = " after this plan" if not result.plan.is_empty else ""
        lines += ["", f"Next best fixes across the pilots in scope{after_plan} (greedy, one item at a time):"]
        for step in result.greedy:
            moved = step_moves(step, names=4) or "no verdict moves"
            lines.append(
                f"  {step.step}. {step.label} [{step.item}]: {moved}; then {step.ready} ready "
                f"({display.percent_text(step.ready_share)})"
            )
    lines += ["", *(f"- {sentence}" for sentence in result.sentences())]
    return "\n".join(lines)
