"""``readiness sensitivity``: which pilots' verdicts depend on the method, and which sit close to a threshold."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import click

from readiness import display
from readiness.cli.main import cli, examples
from readiness.cli.store_commands import as_of_option, db_option, store
from readiness.model import load_model
from readiness.scoring import VERDICT_LABELS
from readiness.service.queries import scored_portfolio
from readiness.service.sensitivity import (
    PortfolioSensitivity,
    band_rules_text,
    band_sentence,
    method_count_sentence,
    method_line,
    portfolio_sensitivity,
    sensitivity_json,
)


@cli.command(
    short_help="Show the pilots whose verdict depends on the method or a threshold.",
    epilog=examples(
        "readiness sensitivity", "readiness sensitivity --json", "readiness sensitivity --as-of 2026-06-30"
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print the Sensitivity JSON instead of tables.")
@as_of_option
@db_option
def sensitivity(as_json: bool, as_of: datetime | None, db_url: str | None) -> None:
    """Each pilot's verdict under the model's three methods (geometric mean, weakest link, weighted mean):
    the pilots whose verdict depends on the method, and those whose verdict would change if the not-ready and
    ready thresholds moved by 5 points."""
    day = as_of.date() if as_of else None
    with store(db_url) as engine:
        latest = scored_portfolio(engine, as_of=day)
    result = portfolio_sensitivity(latest)
    if as_json:
        click.echo(json.dumps(sensitivity_json(result), indent=2, ensure_ascii=False))
        return
    when = f" as of {day}" if day else ""
    if latest.empty:
        click.echo(f"No assessment stored{when}. Load some with `readiness import FILE` or `readiness demo`.")
        return
    click.echo(sensitivity_text(result, when))


def sensitivity_text(result: PortfolioSensitivity, when: str = "") -> str:
    """The two lists as readable tables, each with its sentence (the pages' and the deck's words)."""
    model = load_model()
    method = result.method
    default = model.aggregator(method.default).label.lower()
    lines = [f"{display.count_text(len(method.table), 'pilot')}{when}, scored by the {default} (the model's method)."]
    lines += ["", method_count_sentence(result)]
    if result.sensitive:
        labels = [model.aggregator(a).label for a in method.aggregators]
        rows = [
            [p.pilot, *(f"{display.score_text(o.overall)} {VERDICT_LABELS[o.verdict]}" for o in p.outcomes)]
            for p in result.sensitive
        ]
        lines += ["", *_table(["Pilot", *labels], rows), ""]
        lines += [f"- {method_line(p)}" for p in result.sensitive]
    lines += ["", band_sentence(result)]
    if result.close:
        points = display.threshold_text(result.band.points)
        rows = [
            [p.pilot, VERDICT_LABELS[p.verdict], VERDICT_LABELS[p.stricter], VERDICT_LABELS[p.looser]]
            for p in result.close
        ]
        lines += [band_rules_text(result), ""]
        lines += _table(["Pilot", "Now", f"{points} points stricter", f"{points} points looser"], rows)
    return "\n".join(lines)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns as wide as their widest cell, under a rule."""
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out
