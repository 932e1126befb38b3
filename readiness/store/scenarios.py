"""Saved what-if scenarios: a named plan and the pilots it applies to, kept append-only in ``scenario``.

The store keeps the plan and the scope as JSON and knows nothing of what they mean (that is
:mod:`readiness.whatif` and :mod:`readiness.service.whatif`). Saving a name again adds the name's next version;
reading a name gives its latest version. Names are compared as pilot names are
(:func:`~readiness.assessment.name_key`): ``q3 data push`` is a new version of ``Q3 data push``, kept under the
first spelling saved. A scenario never changes a stored snapshot; each save is audited (``scenario.save``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from readiness.assessment import match_name
from readiness.store.repository import WrittenBy, _audit, _utc, _with_retries
from readiness.store.tables import SCENARIO, utcnow


@dataclass(frozen=True)
class ScenarioRecord:
    """One stored version of a scenario: its plan and scope as saved (JSON), the model they were made under,
    and who saved it when."""

    id: int
    name: str
    version: int
    scope: dict[str, Any]
    plan: dict[str, Any]
    model_version: str
    created_by: str
    created_at: datetime
    written_by: WrittenBy | None


def _record(row: Any) -> ScenarioRecord:
    subject = row["identity_subject"]
    by = None if subject is None else WrittenBy(subject, row["identity_email"], row["identity_source"])
    return ScenarioRecord(
        id=row["id"],
        name=row["name"],
        version=row["version"],
        scope=dict(row["scope"]),
        plan=dict(row["plan"]),
        model_version=row["model_version"],
        created_by=row["created_by"],
        created_at=_utc(row["created_at"]),
        written_by=by,
    )


def _stored_name(connection: Connection, name: str) -> str:
    """The spelling a scenario of this name is stored under (``name`` itself for a new one)."""
    names = connection.execute(select(SCENARIO.c.name).distinct()).scalars().all()
    return match_name(name, names) or name


def save_scenario(
    engine: Engine,
    name: str,
    scope: dict[str, Any],
    plan: dict[str, Any],
    model_version: str,
    *,
    actor: str,
    written_by: WrittenBy | None = None,
) -> ScenarioRecord:
    """Store a new version of the scenario ``name`` (version 1 for a new name); audited as ``scenario.save``.
    ``name`` is expected checked already (the use case does: length, characters)."""

    def write(connection: Connection) -> ScenarioRecord:
        now = utcnow()
        stored = _stored_name(connection, name)
        latest = connection.execute(select(func.max(SCENARIO.c.version)).where(SCENARIO.c.name == stored)).scalar()
        values = {
            "name": stored,
            "version": (latest or 0) + 1,
            "scope": scope,
            "plan": plan,
            "model_version": model_version,
            "created_by": actor[:320],
            "created_at": now,
            **(written_by.columns() if written_by is not None else {}),
        }
        row = connection.execute(SCENARIO.insert().values(**values).returning(*SCENARIO.c)).mappings().one()
        record = _record(row)
        detail = {"name": record.name, "version": record.version, "scope": scope, "plan": plan}
        _audit(connection, now, actor, "scenario.save", f"scenario/{record.id}", None, detail, written_by)
        return record

    return _with_retries(engine, write)


def latest_scenarios(engine: Engine) -> list[ScenarioRecord]:
    """The latest version of every scenario, by name (case-insensitively)."""
    newest = select(SCENARIO.c.name, func.max(SCENARIO.c.version).label("version")).group_by(SCENARIO.c.name).subquery()
    query = select(SCENARIO).join(newest, (newest.c.name == SCENARIO.c.name) & (newest.c.version == SCENARIO.c.version))
    with engine.connect() as connection:
        records = [_record(row) for row in connection.execute(query).mappings()]
    return sorted(records, key=lambda r: (r.name.casefold(), r.name))


def scenario_versions(engine: Engine, name: str) -> list[ScenarioRecord]:
    """Every version of the scenario ``name`` (matched as names are), oldest first; empty when there is none."""
    with engine.connect() as connection:
        stored = _stored_name(connection, name)
        rows = connection.execute(
            select(SCENARIO).where(SCENARIO.c.name == stored).order_by(SCENARIO.c.version)
        ).mappings()
        return [_record(row) for row in rows]


def get_scenario(engine: Engine, name: str) -> ScenarioRecord | None:
    """The latest version of the scenario ``name`` (matched as names are), or None."""
    versions = scenario_versions(engine, name)
    return versions[-1] if versions else None


__all__ = ["ScenarioRecord", "get_scenario", "latest_scenarios", "save_scenario", "scenario_versions"]
