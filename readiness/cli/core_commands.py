"""Commands over the scoring core alone: ``score``, ``schema``, ``model``."""

from __future__ import annotations

import json
import textwrap
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
    report = validate_path(file)  # bounded by the caps of readiness.limits (size, assessments per file)
    assessments = report.raise_for_errors()  # invalid input: the group prints it and exits 2
    for warning in report.warnings:
        click.echo(f"warning: {file.name}: {warning.location}: {warning.message}", err=True)
    # Each assessment is scored, printed and dropped before the next: an explained score is large, and a file
    # may hold thousands of assessments.
    for k, assessment in enumerate(assessments):
        result = score_assessment(assessment, aggregator=aggregator)  # type: ignore[arg-type]
        if as_json:
            # The items of one indented JSON list, written one by one (the same text as json.dumps of the list).
            text = json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False)
            if len(assessments) > 1:
                text = ("[\n" if k == 0 else "") + textwrap.indent(text, "  ")
                text += ",\n" if k < len(assessments) - 1 else "\n]"
            click.echo(text, nl=len(assessments) == 1 or k == len(assessments) - 1)
        else:
            click.echo(("\n\n" if k else "") + score_text(result), nl=k == len(assessments) - 1)


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
