"""Which stored snapshots an export holds: each pilot's latest (today or on a date), or the whole history.

The exporters (:mod:`readiness.excel.export`) take assessments; this module picks them from the store
so that the Export page and scripts choose them by the same rule.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from readiness.assessment import Assessment
from readiness.store import all_assessments, latest_assessments


def export_assessments(engine: Engine, as_of: date | None = None, history: bool = False) -> list[Assessment]:
    """The snapshots to export, ordered by pilot then date.

    Without ``history``: each pilot's latest snapshot dated on or before ``as_of`` (default: the latest).
    With ``history``: every snapshot dated on or before ``as_of`` (default: all of them).
    """
    chosen = all_assessments(engine, as_of) if history else latest_assessments(engine, as_of)
    return [stored.assessment for stored in chosen]
