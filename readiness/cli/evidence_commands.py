"""``readiness evidence``: compute a pilot's metrics from evidence files, and store them as measured."""

from __future__ import annotations

import json
from pathlib import Path

import click

from readiness import display
from readiness.cli.main import cli, examples
from readiness.cli.store_commands import current_user, db_option, store
from readiness.evidence.base import column_list
from readiness.evidence.dispatch import EVIDENCE_KINDS, EvidenceFile, EvidenceOptions
from readiness.scoring import VERDICT_LABELS, ScoreResult
from readiness.service.access import cli_identity
from readiness.service.evidence import EvidencePlan, plan_evidence, store_evidence


@cli.command(
    "evidence",
    short_help="Compute a pilot's metrics from load tests, data samples and logs; --import stores them.",
    epilog=examples(
        "readiness evidence run_stats.csv run_stats_history.csv --pilot 'Claims triage'",
        "readiness evidence results.jtl --pilot 'Claims triage' --import",
        "readiness evidence extract.parquet --pilot 'Invoice matching' --required id,amount --key id",
        "readiness evidence usage.csv --pilot 'Claims triage' --intended-users 400 --json",
    ),
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pilot", "pilot", required=True, metavar="NAME", help="The pilot the evidence is for.")
@click.option(
    "--kind",
    type=click.Choice(EVIDENCE_KINDS),
    default=None,
    help="What the files are (default: recognised from their content).",
)
@click.option("--required", metavar="COLS", default=None, help="Data sample: the columns every record must have.")
@click.option("--key", metavar="COLS", default=None, help="Data sample: the columns that identify a record.")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    default=None,
    help="Data sample: the pilot's own sample, to report schema drift against.",
)
@click.option("--intended-users", type=click.IntRange(min=1), default=None, help="Usage log: users it is meant for.")
@click.option(
    "--peak-users",
    type=click.IntRange(min=1),
    default=None,
    help="Load test: expected peak concurrent users (default: the pilot's own).",
)
@click.option("--import", "do_import", is_flag=True, help="Store a new snapshot with these metrics measured.")
@click.option("--actor", metavar="NAME", default=None, help="Who imports, for the audit log (default: the OS user).")
@click.option("--json", "as_json", is_flag=True, help="Print what was computed as JSON.")
@db_option
def evidence(
    files: tuple[Path, ...],
    pilot: str,
    kind: str | None,
    required: str | None,
    key: str | None,
    baseline: Path | None,
    intended_users: int | None,
    peak_users: int | None,
    do_import: bool,
    actor: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Compute metrics for the pilot NAME from evidence FILES and print them with their provenance.

    Load tests (Locust's --csv output, JMeter JTL as CSV, k6's summary JSON) give p95 latency, error rate
    and load multiple; a production data sample gives missing-field and duplicate rates; a usage log
    adoption and override rates; an incident log time to detect. With --import, the pilot's latest
    snapshot is stored again, dated today, with those metrics replaced and marked measured. Exits 2 when a
    file cannot be read (nothing is stored).
    """
    options = EvidenceOptions(
        peak_concurrent_users=peak_users,
        required_columns=column_list(required),
        key_columns=column_list(key),
        intended_users=intended_users,
        baseline=EvidenceFile.at(baseline) if baseline else None,
    )
    actor = (actor or "").strip() or current_user()
    identity = cli_identity(actor)
    with store(db_url) as engine:
        plan = plan_evidence(
            engine, pilot, [EvidenceFile.at(f) for f in files], kind=kind, options=options, identity=identity
        )  # type: ignore[arg-type]
        stored = store_evidence(engine, plan, interface="cli", actor=actor, identity=identity) if do_import else None
    if as_json:
        click.echo(json.dumps(plan_json(plan, stored is not None and stored.created), indent=2))
        return
    click.echo(plan_text(plan))
    if stored is not None:
        done = "stored" if stored.created else "already present"
        click.echo(f"{done}: snapshot {stored.snapshot_id} of {plan.pilot} as of {plan.assessment.as_of}")


def plan_text(plan: EvidencePlan) -> str:
    """The plan as a person reads it: each metric with value, anchors and provenance, then the score change."""
    lines = [f"{plan.pilot}: evidence measured against the snapshot of {plan.based_on}"]
    lines += [f"  read {line}" for line in plan.read_lines()]
    for value in plan.measured:
        lines.append(f"  {value.label}: {value.value} [{value.status}; green {value.green}, red {value.red}]")
        lines.append(f"    was {value.before}")
        lines.append(f"    {value.method}")
        lines.append(f"    {value.source}")
    lines += [f"  note: {note}" for note in plan.notes]
    before, after = plan.before, plan.after
    lines.append(
        f"  verdict {VERDICT_LABELS[before.verdict]} → {VERDICT_LABELS[after.verdict]}; overall "
        f"{display.score_text(before.overall)} → {display.score_text(after.overall)}; confidence "
        f"{display.confidence_text(before.overall_confidence)} → {display.confidence_text(after.overall_confidence)}"
    )
    return "\n".join(lines)


def plan_json(plan: EvidencePlan, stored: bool) -> dict[str, object]:
    """The plan for machines: exact values, provenance, and the score before and after."""
    readings = {r.metric_id: r for s in plan.summaries for r in s.readings}
    return {
        "pilot": plan.pilot,
        "based_on": plan.based_on.isoformat(),
        "as_of": plan.assessment.as_of.isoformat(),
        "stored": stored,
        "measurements": [
            {
                "metric": value.metric_id,
                "value": readings[value.metric_id].value,
                "status": value.status,
                "method": value.method,
                "provenance": plan.assessment.measurements[value.metric_id].provenance.model_dump(mode="json"),
            }
            for value in plan.measured
        ],
        "notes": list(plan.notes),
        "before": _score_json(plan.before),
        "after": _score_json(plan.after),
    }


def _score_json(result: ScoreResult) -> dict[str, object]:
    return {"verdict": result.verdict, "overall": result.overall, "overall_confidence": result.overall_confidence}
