"""Grants: roles given to people by subject or e-mail, kept in the ``grant`` table; every change audited.

The store only keeps them; what a role allows is :mod:`readiness.service.access`, and who may change grants
is checked in :mod:`readiness.service.grants`. Also here: the registry's business unit and owning team of
some pilots, which the permission check of a contributor's write needs (the stored pilot, not the file,
decides whose pilot it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.engine import Connection

from readiness.store.repository import WrittenBy, _audit, _chunks, _registry_names, _utc, _with_retries
from readiness.store.tables import GRANT, PILOT, utcnow


@dataclass(frozen=True)
class GrantRecord:
    """One stored grant: a role for a principal (subject or e-mail), over ``all`` pilots or one ``team`` or
    business ``unit`` (``scope_value``)."""

    id: int
    principal: str
    role: str
    scope_kind: str
    scope_value: str
    granted_at: datetime
    granted_by: str

    @property
    def scope_text(self) -> str:
        """The scope in words: ``team Claims AI``, ``business unit Finance`` or ``every pilot``."""
        if self.scope_kind == "team":
            return f"team {self.scope_value}"
        if self.scope_kind == "unit":
            return f"business unit {self.scope_value}"
        return "every pilot"

    @property
    def team(self) -> str | None:
        return self.scope_value if self.scope_kind == "team" else None

    @property
    def unit(self) -> str | None:
        return self.scope_value if self.scope_kind == "unit" else None

    def detail(self) -> dict[str, Any]:
        """What the audit log records about it."""
        return {"principal": self.principal, "role": self.role, "scope": self.scope_kind, "value": self.scope_value}


def _record(row: Any) -> GrantRecord:
    return GrantRecord(
        id=row["id"],
        principal=row["principal"],
        role=row["role"],
        scope_kind=row["scope_kind"],
        scope_value=row["scope_value"],
        granted_at=_utc(row["granted_at"]),
        granted_by=row["granted_by"],
    )


def add_grant(
    engine: Engine,
    principal: str,
    role: str,
    scope_kind: str = "all",
    scope_value: str = "",
    *,
    actor: str,
    written_by: WrittenBy | None = None,
) -> tuple[GrantRecord, bool]:
    """Grant ``role`` to ``principal`` (audited as ``grant.add``); returns the grant and whether it is new
    (granting the same role and scope again changes nothing and writes nothing)."""
    key = {"principal": principal, "role": role, "scope_kind": scope_kind, "scope_value": scope_value}

    def write(connection: Connection) -> tuple[GrantRecord, bool]:
        existing = connection.execute(select(GRANT).where(*[GRANT.c[k] == v for k, v in key.items()])).mappings()
        found = existing.first()
        if found is not None:
            return _record(found), False
        now = utcnow()
        row = connection.execute(
            GRANT.insert().values(**key, granted_at=now, granted_by=actor[:320]).returning(*GRANT.c)
        ).mappings()
        record = _record(row.one())
        _audit(connection, now, actor, "grant.add", f"grant/{record.id}", None, record.detail(), written_by)
        return record, True

    return _with_retries(engine, write)


def revoke_grants(
    engine: Engine,
    principal: str,
    role: str | None = None,
    scope_kind: str | None = None,
    scope_value: str | None = None,
    *,
    actor: str,
    written_by: WrittenBy | None = None,
) -> list[GrantRecord]:
    """Remove the grants of ``principal`` that match (every grant when only the principal is given; all of a
    role when no scope is); each removal is audited as ``grant.revoke``. Returns what was removed."""

    def write(connection: Connection) -> list[GrantRecord]:
        conditions = [GRANT.c.principal == principal]
        if role is not None:
            conditions.append(GRANT.c.role == role)
        if scope_kind is not None:
            conditions += [GRANT.c.scope_kind == scope_kind, GRANT.c.scope_value == (scope_value or "")]
        found = [_record(r) for r in connection.execute(select(GRANT).where(*conditions).with_for_update()).mappings()]
        if not found:
            return []
        connection.execute(delete(GRANT).where(GRANT.c.id.in_([g.id for g in found])))
        now = utcnow()
        for grant in found:
            _audit(connection, now, actor, "grant.revoke", f"grant/{grant.id}", None, grant.detail(), written_by)
        return found

    return _with_retries(engine, write)


def list_grants(engine: Engine, principal: str | None = None) -> list[GrantRecord]:
    """Every grant (or a principal's), ordered by principal, role and scope."""
    query = select(GRANT).order_by(GRANT.c.principal, GRANT.c.role, GRANT.c.scope_kind, GRANT.c.scope_value)
    if principal is not None:
        query = query.where(GRANT.c.principal == principal)
    with engine.connect() as connection:
        return [_record(r) for r in connection.execute(query).mappings()]


def grants_of(engine: Engine, subject: str, email: str | None) -> list[GrantRecord]:
    """The grants that name this identity: by its subject exactly, or by its e-mail ignoring case."""
    names = [GRANT.c.principal == subject]
    if email:
        names.append(func.lower(GRANT.c.principal) == email.strip().lower())
    query = select(GRANT).where(or_(*names)).order_by(GRANT.c.id)
    with engine.connect() as connection:
        return [_record(r) for r in connection.execute(query).mappings()]


def pilot_scopes(engine: Engine, names: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """The registry's (business unit, owning team) of the named pilots that exist, keyed by the names given;
    a pilot is found by its name's key (:func:`~readiness.assessment.name_key`), as writes attach to it."""
    found: dict[str, tuple[str | None, str | None]] = {}
    with engine.connect() as connection:
        registered = _registry_names(connection, names)
        for chunk in _chunks(sorted(set(registered.values()))):
            query = select(PILOT.c.name, PILOT.c.business_unit, PILOT.c.owning_team).where(PILOT.c.name.in_(chunk))
            found.update({name: (unit, team) for name, unit, team in connection.execute(query)})
    return {name: found[stored] for name, stored in registered.items() if stored in found}


def known_scopes(engine: Engine) -> tuple[list[str], list[str]]:
    """Every owning team and business unit the registry names (for the admin page's pickers), sorted."""
    with engine.connect() as connection:
        teams = connection.execute(select(PILOT.c.owning_team).where(PILOT.c.owning_team.is_not(None)).distinct())
        units = connection.execute(select(PILOT.c.business_unit).where(PILOT.c.business_unit.is_not(None)).distinct())
        return sorted(t for (t,) in teams if t), sorted(u for (u,) in units if u)


__all__ = [
    "GrantRecord",
    "add_grant",
    "grants_of",
    "known_scopes",
    "list_grants",
    "pilot_scopes",
    "revoke_grants",
]
