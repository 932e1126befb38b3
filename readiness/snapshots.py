"""Which stored snapshots an export holds: each pilot's latest (today or on a date), or the whole history.

The exporters (:mod:`readiness.excel.export`) take assessments; this module picks them from the store
so that the Export page and scripts choose them by the same rule.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from readiness.assessment import Assessment
from readiness.store.repository import latest_assessments, list_pilots, pilot_history


def export_assessments(engine: Engine, as_of: date | None = None, history: bool = False) -> list[Assessment]:
    """The snapshots to export, ordered by pilot then date.

    Without ``history``: each pilot's latest snapshot dated on or before ``as_of`` (default: the latest).
    With ``history``: every snapshot dated on or before ``as_of`` (default: all of them).
    """
    if not history:
        return [stored.assessment for stored in latest_assessments(engine, as_of)]
    chosen: list[Assessment] = []
    # One read per pilot: an export is built on request, and the store reads a pilot's history set-based.
    for record in list_pilots(engine):
        for stored in pilot_history(engine, record.context.name):
            if as_of is None or stored.assessment.as_of <= as_of:
                chosen.append(stored.assessment)
    return chosen
