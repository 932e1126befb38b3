"""Commands over the scoring core alone: ``score``, ``schema``, ``model``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from readiness.assessment import assessment_json_schema
from readiness.cli.main import cli, examples
from readiness.model import load_model
from readiness.report import model_text, score_text
from readiness.scoring import score_assessment
from readiness.service.intake import validate_path

AGGREGATORS = click.Choice(["geometric", "weakest_link", "weighted_mean"])


@cli.command(
    short_help="Score an assessment file (JSON or workbook) without storing it.",
    epilog=examples(
        "readiness score team.xlsx",
        "readiness score assessment.json --json > score.json",
        "readiness score team.xlsx --aggregator weakest_link",
    ),
)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the Score JSON instead of a table.")
@click.option("--aggregator", type=AGGREGATORS, default=None, help="Overall readiness aggregator.")
def score(file: Path, as_json: bool, aggregator: str | None) -> None:
    """Score an assessment FILE (JSON or workbook) without storing it."""
    report = validate_path(file)
    assessments = report.raise_for_errors()  # invalid input: the group prints it and exits 2
    for warning in report.warnings:
        click.echo(f"warning: {file.name}: {warning.location}: {warning.message}", err=True)
    results = [score_assessment(a, aggregator=aggregator) for a in assessments]  # type: ignore[arg-type]
    if as_json:
        payload = [r.to_json_dict() for r in results]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, ensure_ascii=False))
        return
    click.echo("\n\n".join(score_text(r) for r in results))


@cli.command(
    short_help="Print the JSON Schema of the assessment input.",
    epilog=examples("readiness schema > assessment.schema.json"),
)
def schema() -> None:
    """Print the JSON Schema of the assessment input."""
    click.echo(json.dumps(assessment_json_schema(), indent=2, ensure_ascii=False))


@cli.command(
    short_help="Print the readiness model: gaps, questions, metrics, rules.",
    epilog=examples("readiness model", "readiness model --json > model.json"),
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole model as JSON.")
def model(as_json: bool) -> None:
    """Print the readiness model: gaps, questions, metrics, compound edges, verdict rules."""
    readiness_model = load_model()
    if as_json:
        click.echo(json.dumps(readiness_model.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False))
        return
    click.echo(model_text(readiness_model))
