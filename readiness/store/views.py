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
            "identity": _identity(entry),
            "who": who_text(entry),
        }
        for entry in entries
    ]


SOURCE_WORDS = {"sso": "signed in", "cli": "command line", "local": "no sign-in"}


def _identity(entry: AuditEntry) -> dict[str, str | None] | None:
    """Who wrote the entry as the store recorded it (subject, e-mail, source), or None before migration 0002."""
    by = entry.written_by
    return None if by is None else {"subject": by.subject, "email": by.email, "source": by.source}


def who_text(entry: AuditEntry) -> str:
    """Who made the write, in words: the signed-in person (``ana@example.com (signed in)``), the CLI's user
    (``ana (command line)``), else the actor recorded (the name typed in local mode, as before sign-in)."""
    by = entry.written_by
    if by is None or by.source not in ("sso", "cli"):
        return entry.actor
    return f"{by.email or by.subject} ({SOURCE_WORDS[by.source]})"


def _audit_subject(entry: AuditEntry) -> str:
    """The object in words: the pilot and the snapshot's date where the entry records them."""
    if entry.action.startswith("grant."):
        scope = {"team": "team ", "unit": "business unit "}.get(entry.detail.get("scope", ""), "")
        where = f"{scope}{entry.detail.get('value')}" if scope else "every pilot"
        return f"{entry.detail.get('principal')}: {entry.detail.get('role')} for {where}"
    pilot, as_of = entry.detail.get("pilot") or entry.detail.get("name"), entry.detail.get("as_of")
    if pilot and as_of:
        measured = [f["name"] for e in entry.detail.get("evidence") or [] for f in e.get("files", [])]
        return f"{pilot}, assessment of {as_of}" + (f", measured from {', '.join(measured)}" if measured else "")
    return str(pilot or entry.object)
