"""Measured evidence for a pilot: from evidence files to a new snapshot with those metrics measured.

The Pilot page and ``readiness evidence`` both go through here, in two steps so that a person sees what
the files compute before anything is stored:

* :func:`plan_evidence` reads the files (nothing is written) and returns an :class:`EvidencePlan`: each
  metric computed, its value against its green and red anchors, the provenance, and the pilot's latest
  snapshot with those metrics replaced and marked measured, scored before and after.
* :func:`store_evidence` stores that snapshot (idempotent, audited with the files' names and SHA-256).

Permission: the identity must be allowed to ``import`` for the pilot, checked in both steps on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Engine

from readiness import display
from readiness.assessment import Assessment, Measurement, parse_assessment
from readiness.errors import InvalidInput, Issue
from readiness.evidence.dispatch import (
    KIND_LABELS,
    EvidenceFile,
    EvidenceKind,
    EvidenceOptions,
    EvidenceSummary,
    read_evidence,
)
from readiness.model import ReadinessModel, load_model
from readiness.scoring import EVIDENCE_WORDS, ItemScore, ScoreResult, score_assessment
from readiness.service.access import Identity, ambient_identity, audit_actor
from readiness.service.grants import written_by
from readiness.service.intake import Interface, check_write
from readiness.store import AddResult, StoredAssessment, add_assessment, pilot_history


@dataclass(frozen=True)
class MeasuredValue:
    """One metric as the evidence measured it, beside what the latest snapshot said."""

    metric_id: str
    label: str
    value: str
    status: str
    green: str
    red: str
    before: str
    method: str
    source: str


@dataclass(frozen=True)
class EvidencePlan:
    """What storing the evidence would do: the new snapshot, what it measures, and the score before and after."""

    pilot: str
    based_on: date
    assessment: Assessment
    summaries: tuple[EvidenceSummary, ...]
    measured: tuple[MeasuredValue, ...]
    notes: tuple[str, ...]
    before: ScoreResult
    after: ScoreResult

    def audit_detail(self) -> dict[str, Any]:
        """What the audit log records of the evidence: per set its kind, files (name, SHA-256) and metrics."""
        return {
            "evidence": [
                {
                    "kind": s.provenance.kind,
                    "files": [
                        {"name": f.name, "sha256": f.sha256, "size_bytes": f.size_bytes} for f in s.provenance.files
                    ],
                    "count": s.provenance.count,
                    "metrics": {r.metric_id: r.value for r in s.readings},
                }
                for s in self.summaries
            ]
        }

    def read_lines(self) -> list[str]:
        """What was read, one line per evidence set: its kind, files, the tool when the file names it, and the
        columns matched (``Locust load test: run_stats.csv and run_stats_history.csv (Locust); columns …``)."""
        lines = []
        for summary in self.summaries:
            provenance = summary.provenance
            files = " and ".join(f.name for f in provenance.files)
            tool = " ".join(t for t in (provenance.tool, provenance.tool_version) if t)
            columns = ", ".join(f"{role} = '{column}'" for role, column in summary.columns.items())
            lines.append(
                f"{kind_label(provenance.kind)}: {files}{f' ({tool})' if tool else ''}"
                f"{f'; columns used: {columns}' if columns else ''}"
            )
        return lines

    def origin(self) -> str:
        """The evidence files' names, for the audit log's ``origin``."""
        return ", ".join(f.name for s in self.summaries for f in s.provenance.files)[:300]


def latest_snapshot(engine: Engine, pilot: str) -> StoredAssessment:
    """The pilot's latest snapshot (latest date, then latest stored); :class:`InvalidInput` if it has none."""
    snapshots = pilot_history(engine, pilot)
    if not snapshots:
        raise InvalidInput([Issue("error", "pilot", f"no pilot named '{pilot}' has an assessment: assess it first")])
    return max(snapshots, key=lambda s: (s.assessment.as_of, s.snapshot_id))


def plan_evidence(
    engine: Engine,
    pilot: str,
    files: Sequence[EvidenceFile],
    *,
    kind: EvidenceKind | None = None,
    options: EvidenceOptions | None = None,
    identity: Identity | None = None,
    today: date | None = None,
    model: ReadinessModel | None = None,
) -> EvidencePlan:
    """Read evidence files for a pilot and lay out the snapshot they would give; writes nothing.

    The pilot's expected peak concurrent users come from its latest snapshot unless ``options`` says
    otherwise. The new snapshot is the latest one, dated ``today`` (never before the latest), with the
    measured metrics replaced and their typed references dropped (the file is the evidence now).
    Raises :class:`InvalidInput` naming the file for unreadable evidence, and
    :class:`~readiness.service.access.NotPermitted` when ``identity`` may not import for the pilot.
    """
    model = model or load_model()
    identity = identity or ambient_identity()
    latest = latest_snapshot(engine, pilot)
    check_write(engine, identity, "import", [latest.assessment])
    options = options or EvidenceOptions()
    if options.peak_concurrent_users is None:
        options = replace(options, peak_concurrent_users=latest.assessment.pilot.peak_concurrent_users)
    summaries = tuple(read_evidence(files, options, kind))
    if not any(s.readings for s in summaries):
        names = ", ".join(f.name for f in files)
        notes = " ".join(n for s in summaries for n in s.notes)
        raise InvalidInput([Issue("error", "", f"no metric could be computed from {names}. {notes}".strip())])
    assessment = measured_assessment(latest.assessment, summaries, max(today or date.today(), latest.assessment.as_of))
    before, after = score_assessment(latest.assessment, model), score_assessment(assessment, model)
    return EvidencePlan(
        pilot=latest.assessment.pilot.name,  # as registered, whichever spelling was asked for
        based_on=latest.assessment.as_of,
        assessment=assessment,
        summaries=summaries,
        measured=tuple(_measured_values(summaries, before, after, model)),
        notes=tuple(n for s in summaries for n in s.notes),
        before=before,
        after=after,
    )


def measured_assessment(base: Assessment, summaries: Sequence[EvidenceSummary], as_of: date) -> Assessment:
    """``base`` dated ``as_of``, with the metrics the evidence measured replaced and marked measured."""
    readings = {r.metric_id: (r, s.provenance) for s in summaries for r in s.readings}
    data = base.model_dump(mode="json")
    data["as_of"] = as_of.isoformat()
    data["metrics"] = data["metrics"] | {m: r.value for m, (r, _) in readings.items()}
    data["evidence"] = {k: v for k, v in data["evidence"].items() if k not in readings}
    measurements = {m: Measurement(provenance=p, method=r.method) for m, (r, p) in readings.items()}
    data["measurements"] = data["measurements"] | {m: x.model_dump(mode="json") for m, x in measurements.items()}
    return parse_assessment(data, "evidence", measured=True)


def _measured_values(
    summaries: Sequence[EvidenceSummary], before: ScoreResult, after: ScoreResult, model: ReadinessModel
) -> list[MeasuredValue]:
    items_before = {i.id: i for g in before.gaps.values() for i in g.items}
    items_after = {i.id: i for g in after.gaps.values() for i in g.items}
    rows = []
    for summary in summaries:
        for reading in summary.readings:
            metric = model.metric_by_id[reading.metric_id]
            item = items_after[reading.metric_id]
            previous = items_before.get(reading.metric_id)
            rows.append(
                MeasuredValue(
                    metric_id=metric.id,
                    label=metric.short,
                    value=item.display,
                    status=anchor_status(item),
                    green=metric.green_label,
                    red=metric.red_label,
                    before=_before_text(previous),
                    method=reading.method,
                    source=display.measured_from_text(summary.provenance),
                )
            )
    return rows


def anchor_status(item: ItemScore) -> str:
    """Where a metric's value sits on its curve, in words: ``green``, ``red``, ``between``, or ``not scored``."""
    if item.score is None:
        return "not scored"
    return "green" if item.score >= 100 else "red" if item.score <= 0 else "between"


def _before_text(item: ItemScore | None) -> str:
    if item is None or item.score is None:
        return "not reported"
    return f"{item.display} ({EVIDENCE_WORDS[item.evidence]})"


def store_evidence(
    engine: Engine,
    plan: EvidencePlan,
    *,
    interface: Interface,
    actor: str | None = None,
    identity: Identity | None = None,
) -> AddResult:
    """Store the plan's snapshot (the same content again is a no-op), audited with the evidence files.

    The permission is checked again: a plan shown to one person must not be stored by another.
    """
    identity = identity or ambient_identity()
    check_write(engine, identity, "import", [plan.assessment])
    return add_assessment(
        engine,
        plan.assessment,
        source=interface,
        actor=audit_actor(identity, actor),
        source_hash=plan.summaries[0].provenance.files[0].sha256,
        origin=plan.origin(),
        interface=interface,
        written_by=written_by(identity),
        audit_detail=plan.audit_detail(),
    )


def kind_label(kind: str) -> str:
    """An evidence kind in words: ``Locust load test``."""
    return KIND_LABELS.get(kind, kind)  # type: ignore[call-overload]
