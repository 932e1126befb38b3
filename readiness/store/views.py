"""Stored snapshots as the interfaces show them: the Portfolio JSON of docs/contracts.md.

Views re-score history with the current model so that every number compares like with like; each entry
also says what was issued at the time and under which model version.
"""

from __future__ import annotations

from typing import Any

from readiness.model import ReadinessModel, load_model
from readiness.scoring import score_assessment
from readiness.store.repository import AuditEntry, StoredAssessment


def portfolio_entry(stored: StoredAssessment, model: ReadinessModel | None = None) -> dict[str, Any]:
    """One pilot of the Portfolio JSON: its context, the snapshot's date, and the Score JSON fields."""
    model = model or load_model()
    assessment = stored.assessment
    score = score_assessment(assessment, model).to_json_dict()
    entry: dict[str, Any] = assessment.pilot.model_dump(mode="json")
    entry["as_of"] = assessment.as_of.isoformat()
    entry["submitted_by"] = assessment.submitted_by
    entry["snapshot_id"] = stored.snapshot_id
    entry.update({key: value for key, value in score.items() if key not in {"pilot", "as_of"}})
    entry["issued"] = {
        "model_version": stored.model_version,
        "verdict": stored.issued_verdict,
        "overall": stored.issued_overall,
        "created_at": stored.created_at.isoformat(),
        "source": stored.source,
    }
    return entry


def portfolio_json(stored: list[StoredAssessment], model: ReadinessModel | None = None) -> list[dict[str, Any]]:
    """The Portfolio JSON: one entry per pilot, re-scored with the current model."""
    model = model or load_model()
    return [portfolio_entry(s, model) for s in stored]


def audit_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """The audit log as plain rows (newest first): when, who, what, on which object, from which file."""
    return [
        {
            "id": entry.id,
            "at": entry.at.isoformat(timespec="seconds"),
            "actor": entry.actor,
            "action": entry.action,
            "object": entry.object,
            "what": _audit_subject(entry),
            "source_hash": entry.source_hash,
            "detail": entry.detail,
        }
        for entry in entries
    ]


def _audit_subject(entry: AuditEntry) -> str:
    """The object in words: the pilot and the snapshot's date where the entry records them."""
    pilot, as_of = entry.detail.get("pilot") or entry.detail.get("name"), entry.detail.get("as_of")
    if pilot and as_of:
        return f"{pilot}, assessment of {as_of}"
    return str(pilot or entry.object)
