"""What the interfaces read from the store, already scored with the current model.

Pages and commands ask here rather than the store's tables: the scored frames carry the columns the
statistics of :mod:`readiness.service.portfolio` and the charts expect, and an explained score is always
the current model's, whichever model issued the stored one.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine

from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.portfolio import assessments_to_frame, score_frame, weakest_items
from readiness.scoring import ScoreResult, score_assessment
from readiness.store import StoredAssessment, audit_entries, is_empty, list_pilots, pilot_history, portfolio_frame
from readiness.store.version import data_version
from readiness.store.views import audit_rows

__all__ = [
    "audit_log",
    "data_version",
    "explain",
    "is_empty",
    "pilot_names",
    "pilot_scored_history",
    "pilot_snapshots",
    "scored_portfolio",
]


def scored_portfolio(
    engine: Engine, history: bool = False, as_of: date | None = None, model: ReadinessModel | None = None
) -> pd.DataFrame:
    """The stored snapshots scored with the current model (:func:`readiness.portfolio.score_frame` rows).

    By default each pilot's latest snapshot on or before ``as_of``; with ``history`` every snapshot up to
    it. Each row also carries ``snapshot_id``, ``model_version`` (the model that issued the stored score)
    and ``weak.<gap>`` (the items that cost the gap the most points).
    """
    model = model or load_model()
    frame = portfolio_frame(engine, as_of, history=history, model=model)
    scored = score_frame(frame, model)
    weak = weakest_items(frame, model)
    for gap in GAP_IDS:
        scored[f"weak.{gap}"] = weak[gap].to_numpy()
    scored["model_version"] = frame["model_version"].to_numpy() if "model_version" in frame else None
    return scored


def pilot_names(engine: Engine) -> list[str]:
    """Every pilot of the registry, by name."""
    return [record.context.name for record in list_pilots(engine)]


def pilot_snapshots(engine: Engine, name: str) -> list[StoredAssessment]:
    """A pilot's snapshots, oldest first (empty for an unknown pilot)."""
    return pilot_history(engine, name)


def pilot_scored_history(snapshots: list[StoredAssessment], model: ReadinessModel | None = None) -> pd.DataFrame:
    """A pilot's snapshots scored with the current model, oldest first."""
    model = model or load_model()
    frame = assessments_to_frame([s.assessment for s in snapshots], model)
    frame["snapshot_id"] = [s.snapshot_id for s in snapshots]
    return score_frame(frame, model)


def explain(snapshot: StoredAssessment, model: ReadinessModel | None = None) -> ScoreResult:
    """The explained score of a stored snapshot under the current model."""
    return score_assessment(snapshot.assessment, model)


def audit_log(engine: Engine, limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` entries of the audit log (at, actor, action, what, source hash), newest first."""
    return pd.DataFrame(audit_rows(audit_entries(engine, limit=limit)))
