"""Managing who has access: grant and revoke roles, list grants, and the grants that apply to an identity.

The one way the admin page and the ``readiness grant`` / ``revoke`` / ``grants`` commands change access:
each call checks that the identity may ``manage_grants`` (:mod:`readiness.service.access`), validates the
principal, role and scope, and writes through :mod:`readiness.store.grants`, which audits every change
with the identity that made it.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import Engine

from readiness.errors import InvalidInput, Issue
from readiness.service.access import (
    MAX_PRINCIPAL,
    Grant,
    Identity,
    Role,
    Scope,
    check_grant,
    require,
    role_of,
    scope_of,
)
from readiness.store.grants import GrantRecord, add_grant, grants_of, known_scopes, list_grants, revoke_grants
from readiness.store.repository import WrittenBy

__all__ = [
    "GrantRecord",
    "all_grants",
    "grant_role",
    "grants_for",
    "revoke_role",
    "scope_choices",
    "written_by",
]


def written_by(identity: Identity) -> WrittenBy:
    """What the store records of the identity behind a write: subject, e-mail and source."""
    return WrittenBy(identity.subject, identity.email, identity.source)


def principal_of(text: str) -> str:
    """A grant's principal as typed (a subject or an e-mail address), checked: one word, at most 320 chars."""
    principal = (text or "").strip()
    if not principal:
        raise InvalidInput([Issue("error", "principal", "name the person: their e-mail address or subject")])
    if len(principal) > MAX_PRINCIPAL:
        raise InvalidInput([Issue("error", "principal", f"longer than {MAX_PRINCIPAL} characters")])
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in principal):
        message = "an e-mail address or subject has no spaces or control characters"
        raise InvalidInput([Issue("error", "principal", message)])
    return principal


def grant_role(
    engine: Engine, identity: Identity, principal: str, role: str, *, team: str | None = None, unit: str | None = None
) -> tuple[GrantRecord, bool]:
    """Grant ``role`` (a contributor: over ``team`` or ``unit``) to ``principal``; returns the grant and
    whether it is new. Refused (:class:`~readiness.service.access.NotPermitted`) unless ``identity`` is an
    admin; :class:`InvalidInput` for a bad principal, role or scope."""
    require(identity, "manage_grants")
    who = principal_of(principal)
    grant = Grant(role_of(role), scope_of(team, unit))
    check_grant(grant, "role")
    return add_grant(
        engine,
        who,
        str(grant.role),
        grant.scope.kind,
        grant.scope.value,
        actor=identity.label,
        written_by=written_by(identity),
    )


def revoke_role(
    engine: Engine,
    identity: Identity,
    principal: str,
    role: str | None = None,
    *,
    team: str | None = None,
    unit: str | None = None,
) -> list[GrantRecord]:
    """Revoke ``principal`` 's grants: all of them, all of one role, or the one of a role and scope.
    Raises :class:`InvalidInput` when nothing matches (so a typo is never silently "done")."""
    require(identity, "manage_grants")
    who = principal_of(principal)
    named_role = str(role_of(role)) if role else None
    scope = scope_of(team, unit)
    kind = scope.kind if scope.kind != "all" else None
    removed = revoke_grants(
        engine, who, named_role, kind, scope.value if kind else None, actor=identity.label,
        written_by=written_by(identity),
    )  # fmt: skip
    if not removed:
        what = " ".join(filter(None, [named_role, f"for {scope}" if kind else ""])) or "grant"
        raise InvalidInput([Issue("error", "principal", f"{who} has no such {what}")])
    return removed


def all_grants(engine: Engine, identity: Identity) -> list[GrantRecord]:
    """Every grant, for an admin."""
    require(identity, "manage_grants")
    return list_grants(engine)


def grants_for(engine: Engine, subject: str, email: str | None) -> list[Grant]:
    """The grants table's grants of an identity, as :class:`~readiness.service.access.Grant` s."""
    return [
        Grant(Role(r.role), Scope(r.scope_kind, r.scope_value), origin=f"grant #{r.id}")  # type: ignore[arg-type]
        for r in grants_of(engine, subject, email)
    ]


def scope_choices(engine: Engine) -> tuple[list[str], list[str]]:
    """The owning teams and business units the registry knows, for pickers."""
    return known_scopes(engine)
