"""Who may do what: roles, identities and the one permission rule every interface applies.

Pure (no store, no Streamlit): the pages, the CLI and the use cases of :mod:`readiness.service.intake`
ask :func:`permits` or call :func:`require`, and nothing else decides.

Roles
    ``viewer``       reads the portfolio and exports it;
    ``contributor``  also saves assessments and imports files, but only for the pilots of the owning teams
                     or business units it was granted (its *scope*), and creates new pilots only there;
    ``admin``        everything, including managing grants, renaming and archiving pilots.

An :class:`Identity` holds :class:`Grant` s (a role, and for a contributor a :class:`Scope`), gathered from
the ID token's groups claim (mapped to roles by configuration, :func:`parse_group_roles`) and from the
grants table. ``source`` says where the identity comes from: ``sso`` (signed in), ``cli`` (the command line,
which holds the database's credentials and so acts as an admin) or ``local`` (no sign-in configured: the
single local user is an admin).

Actions (:data:`ACTIONS`): ``read``, ``export``, ``assess``, ``import``, ``manage_grants``, ``rename_pilot``,
``archive_pilot``, ``retract``. ``assess`` and ``import`` take the pilot: a contributor may write a pilot only when its
scope covers the pilot (its owning team, or its business unit); without a pilot they ask whether the
identity may write *some* pilot (what the navigation needs to list the Assess and Upload pages).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal, Protocol

from readiness.errors import InvalidInput, Issue


class Role(StrEnum):
    """A role in Readiness, weakest first."""

    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    ADMIN = "admin"


ROLES: tuple[Role, ...] = tuple(Role)
RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
Action = Literal["read", "export", "assess", "import", "manage_grants", "rename_pilot", "archive_pilot", "retract"]
ACTIONS: tuple[Action, ...] = ("read", "export", "assess", "import", "manage_grants", "rename_pilot", "archive_pilot",
                               "retract")  # fmt: skip
# The weakest role each action needs.
NEEDS: dict[str, Role] = {
    "read": Role.VIEWER,
    "export": Role.VIEWER,
    "assess": Role.CONTRIBUTOR,
    "import": Role.CONTRIBUTOR,
    "manage_grants": Role.ADMIN,
    "rename_pilot": Role.ADMIN,
    "archive_pilot": Role.ADMIN,
    "retract": Role.ADMIN,
}
# Actions on one pilot that a contributor may take only inside its scope.
SCOPED_ACTIONS = frozenset({"assess", "import"})
DOING: dict[str, str] = {
    "read": "read the portfolio",
    "export": "export the portfolio",
    "assess": "save assessments",
    "import": "import assessments",
    "manage_grants": "manage who has access",
    "rename_pilot": "rename pilots",
    "archive_pilot": "archive pilots",
    "retract": "retract or reinstate snapshots",
}
Source = Literal["local", "sso", "cli"]
ScopeKind = Literal["all", "team", "unit"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("all", "team", "unit")
SCOPE_WORDS = {"team": "team", "unit": "business unit"}
MAX_PRINCIPAL = 320
MAX_SCOPE = 200


class PilotLike(Protocol):
    """What a permission check needs to know of a pilot (``readiness.assessment.PilotContext`` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def business_unit(self) -> str | None: ...
    @property
    def owning_team(self) -> str | None: ...


@dataclass(frozen=True)
class PilotScope:
    """A pilot as the permission rule sees it: its name, business unit and owning team."""

    name: str
    business_unit: str | None = None
    owning_team: str | None = None


def _same(a: str | None, b: str | None) -> bool:
    """Names compared as people read them: ignoring case and surrounding spaces."""
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold() and bool(a.strip())


@dataclass(frozen=True)
class Scope:
    """Which pilots a grant covers: ``all``, the pilots of one owning ``team``, or of one business ``unit``."""

    kind: ScopeKind = "all"
    value: str = ""

    def covers(self, pilot: PilotLike) -> bool:
        """Whether the pilot lies inside this scope."""
        if self.kind == "all":
            return True
        if self.kind == "team":
            return _same(self.value, pilot.owning_team)
        return _same(self.value, pilot.business_unit)

    @property
    def team(self) -> str | None:
        return self.value if self.kind == "team" else None

    @property
    def unit(self) -> str | None:
        return self.value if self.kind == "unit" else None

    def __str__(self) -> str:
        return "every pilot" if self.kind == "all" else f"{SCOPE_WORDS[self.kind]} {self.value}"


EVERYWHERE = Scope()


def scope_of(team: str | None = None, unit: str | None = None) -> Scope:
    """The scope of a team or a business unit (at most one of them), or everywhere."""
    team, unit = (team or "").strip(), (unit or "").strip()
    if team and unit:
        raise InvalidInput([Issue("error", "scope", "a grant covers one team or one business unit, not both")])
    if team:
        return Scope("team", team)
    if unit:
        return Scope("unit", unit)
    return EVERYWHERE


@dataclass(frozen=True)
class Grant:
    """A role, and for a contributor the pilots it covers; ``origin`` says where it came from (for people)."""

    role: Role
    scope: Scope = EVERYWHERE
    origin: str = field(default="", compare=False)

    def __str__(self) -> str:
        return str(self.role) if self.scope.kind == "all" else f"{self.role} for {self.scope}"


@dataclass(frozen=True)
class Identity:
    """Who is acting: the subject (the identity provider's stable ID, the OS user for the CLI), e-mail and
    name as the provider gave them, the grants that apply and where the identity comes from."""

    subject: str
    email: str | None = None
    name: str | None = None
    grants: tuple[Grant, ...] = ()
    source: Source = "sso"

    @property
    def roles(self) -> frozenset[Role]:
        """Every role granted, whatever its scope."""
        return frozenset(g.role for g in self.grants)

    @property
    def top_role(self) -> Role | None:
        """The strongest role granted, or None when the identity has none."""
        return max(self.roles, key=RANK.__getitem__, default=None)

    @property
    def label(self) -> str:
        """How the identity is named to people and in the audit log: e-mail, else name, else subject."""
        return self.email or self.name or self.subject

    def with_grants(self, grants: Iterable[Grant]) -> Identity:
        """The same identity with more grants (duplicates dropped, order kept)."""
        return replace(self, grants=tuple(dict.fromkeys([*self.grants, *grants])))

    def describe(self) -> str:
        """The identity's access in words: ``admin``, ``contributor for team Claims AI``, ``no role``."""
        if not self.grants:
            return "no role"
        top = self.top_role
        assert top is not None
        if top != Role.CONTRIBUTOR:
            return str(top)
        scopes = sorted({str(g.scope) for g in self.grants if g.role == Role.CONTRIBUTOR})
        return f"contributor for {', '.join(scopes)}"


LOCAL_ADMIN = Identity(
    subject="local",
    name="Local user",
    grants=(Grant(Role.ADMIN, origin="local mode: no sign-in configured"),),
    source="local",
)
# Somebody who has not signed in (SSO mode): no grant, so nothing is permitted.
ANONYMOUS = Identity(subject="anonymous", name="Not signed in", source="sso")


def cli_identity(user: str) -> Identity:
    """The person running the command line: whoever holds the database's credentials acts as an admin."""
    user = (user or "unknown").strip()[:MAX_PRINCIPAL] or "unknown"
    return Identity(subject=user, name=user, grants=(Grant(Role.ADMIN, origin="command line"),), source="cli")


# --------------------------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------------------------


def needed_role(action: str) -> Role:
    """The weakest role that may take ``action``."""
    try:
        return NEEDS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}") from None


def permits(identity: Identity | None, action: str, pilot_context: PilotLike | None = None) -> bool:
    """Whether ``identity`` may take ``action`` (on the pilot described by ``pilot_context``).

    Admins may do everything; viewers read and export; contributors also assess and import, on a pilot only
    when one of their contributor grants covers it (without a pilot: when they hold any contributor grant).
    No identity (nobody signed in) may do nothing.
    """
    need = needed_role(action)
    if identity is None:
        return False
    for grant in identity.grants:
        if RANK[grant.role] < RANK[need]:
            continue
        if grant.role == Role.ADMIN or action not in SCOPED_ACTIONS or pilot_context is None:
            return True
        if grant.scope.covers(pilot_context):
            return True
    return False


def unrestricted(identity: Identity | None, action: str) -> bool:
    """Whether ``identity`` may take ``action`` on every pilot (no scope to check: an admin, or any role
    enough for an unscoped action)."""
    if identity is None:
        return False
    need = needed_role(action)
    return any(
        RANK[g.role] >= RANK[need] and (g.role == Role.ADMIN or action not in SCOPED_ACTIONS or g.scope.kind == "all")
        for g in identity.grants
    )


class NotPermitted(InvalidInput):
    """An action refused to an identity; the message names who, what, and (for a pilot) which pilot and why.

    A subclass of :class:`~readiness.errors.InvalidInput`, so every interface already shows it as a clear
    message (the pages as an error, the CLI as one line with exit code 2), never a traceback.
    """

    def __init__(self, issues: list[Issue], source: str = "") -> None:
        super().__init__(issues, source)

    @classmethod
    def of(
        cls, identity: Identity | None, action: str, pilot_context: PilotLike | None = None, source: str = ""
    ) -> NotPermitted:
        return cls([refusal_issue(identity, action, pilot_context)], source)


def refusal_issue(identity: Identity | None, action: str, pilot_context: PilotLike | None = None) -> Issue:
    """Why ``identity`` may not take ``action``, as an issue located at the pilot when there is one."""
    need = needed_role(action)
    who = "nobody is signed in" if identity is None else f"{identity.label} ({identity.describe()})"
    if (
        identity is not None
        and pilot_context is not None
        and action in SCOPED_ACTIONS
        and any(g.role == Role.CONTRIBUTOR for g in identity.grants)
    ):
        scopes = sorted({str(g.scope) for g in identity.grants if g.role == Role.CONTRIBUTOR})
        where = _pilot_words(pilot_context)
        message = (
            f"not permitted: {identity.label} may {DOING[action]} only for {' or '.join(scopes)}; "
            f"pilot '{pilot_context.name}' {where}"
        )
        return Issue("error", f"pilot '{pilot_context.name}'", message)
    location = f"pilot '{pilot_context.name}'" if pilot_context is not None else ""
    return Issue("error", location, f"not permitted: {who} may not {DOING[action]}: it needs the {need} role")


def _pilot_words(pilot: PilotLike) -> str:
    team, unit = (pilot.owning_team or "").strip(), (pilot.business_unit or "").strip()
    if team and unit:
        return f"belongs to team {team}, business unit {unit}"
    if team:
        return f"belongs to team {team} (no business unit)"
    if unit:
        return f"belongs to business unit {unit} (no owning team)"
    return "has no owning team and no business unit"


def require(identity: Identity | None, action: str, pilot_context: PilotLike | None = None, source: str = "") -> None:
    """Raise :class:`NotPermitted` unless :func:`permits` allows the action."""
    if not permits(identity, action, pilot_context):
        raise NotPermitted.of(identity, action, pilot_context, source)


def audit_actor(identity: Identity, typed: str | None) -> str | None:
    """Who the audit log names: the signed-in person or the CLI's user; in local mode (nobody signed in)
    the name typed, as before sign-in existed (None: the store falls back to each assessment's submitter)."""
    if identity.source == "local":
        return typed
    return identity.label


# --------------------------------------------------------------------------------------------
# Configuration: the ID token's groups mapped to roles
# --------------------------------------------------------------------------------------------


def parse_role_spec(spec: str, where: str = "") -> Grant:
    """``viewer``, ``admin``, ``contributor:team=Claims AI`` or ``contributor:unit=Finance`` as a grant."""
    text = str(spec).strip()
    role_text, _, scope_text = text.partition(":")
    role = _role(role_text, where)
    scope = EVERYWHERE
    if scope_text.strip():
        kind, equals, value = scope_text.partition("=")
        kind = kind.strip().lower()
        if not equals or kind not in ("team", "unit") or not value.strip():
            message = f"scope {scope_text.strip()!r} is not team=NAME or unit=NAME"
            raise InvalidInput([Issue("error", where, message)])
        scope = Scope("team" if kind == "team" else "unit", value.strip()[:MAX_SCOPE])
    grant = Grant(role, scope)
    check_grant(grant, where)
    return grant


def _role(text: str, where: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        message = f"unknown role {text.strip()!r}: expected {', '.join(ROLES)}"
        raise InvalidInput([Issue("error", where, message)]) from None


def role_of(text: str, where: str = "role") -> Role:
    """The role named ``text`` (``viewer``, ``contributor`` or ``admin``), or :class:`InvalidInput`."""
    return _role(text, where)


def check_grant(grant: Grant, where: str = "") -> None:
    """A contributor covers a team or a business unit; a viewer or an admin covers everything."""
    if grant.role == Role.CONTRIBUTOR and grant.scope.kind == "all":
        message = (
            "a contributor needs the owning team or business unit it may write "
            "(team=NAME or unit=NAME; --team or --unit on the command line)"
        )
        raise InvalidInput([Issue("error", where, message)])
    if grant.role != Role.CONTRIBUTOR and grant.scope.kind != "all":
        message = f"a {grant.role} sees every pilot: only a contributor takes a team or business unit"
        raise InvalidInput([Issue("error", where, message)])


GroupRoles = dict[str, tuple[Grant, ...]]


def parse_group_roles(config: Mapping[str, object] | str | None, where: str = "groups") -> GroupRoles:
    """The mapping of identity-provider groups to grants, from configuration.

    Either a mapping (``[readiness.groups]`` in ``.streamlit/secrets.toml``: group → ``"role[:scope]"`` or a
    list of them) or text (the ``READINESS_GROUP_ROLES`` variable): a JSON object, or entries
    ``group=role[:scope]`` separated by ``;`` or new lines. Raises :class:`InvalidInput` naming the entry.
    """
    if config is None:
        return {}
    if isinstance(config, str):
        config = _group_roles_text(config, where)
    result: GroupRoles = {}
    issues: list[Issue] = []
    for group, specs in config.items():
        name = str(group).strip()
        values = [specs] if isinstance(specs, str) else list(specs) if isinstance(specs, Sequence) else None
        if not name or values is None:
            issues.append(Issue("error", f"{where}.{group}", "expected a role, or a list of roles"))
            continue
        grants = []
        for spec in values:
            try:
                grants.append(replace(parse_role_spec(str(spec), f"{where}.{name}"), origin=f"group {name}"))
            except InvalidInput as problem:
                issues += problem.issues
        result[_group_key(name)] = (*result.get(_group_key(name), ()), *grants)
    if issues:
        raise InvalidInput(issues)
    return result


def _group_roles_text(text: str, where: str) -> Mapping[str, object]:
    text = text.strip()
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidInput([Issue("error", where, f"not valid JSON: {error.msg}")]) from None
        if not isinstance(loaded, dict):
            raise InvalidInput([Issue("error", where, "expected a JSON object: group → role")])
        return loaded
    mapping: dict[str, list[str]] = {}
    for entry in text.replace("\n", ";").split(";"):
        if not entry.strip():
            continue
        group, equals, spec = entry.partition("=")
        if not equals or not group.strip():
            raise InvalidInput([Issue("error", where, f"entry {entry.strip()!r} is not group=role[:scope]")])
        mapping.setdefault(group.strip(), []).append(spec)
    return mapping


def _group_key(name: str) -> str:
    """Groups compared ignoring case and a leading slash (Keycloak names groups ``/claims-ai``)."""
    return name.strip().lstrip("/").casefold()


def claimed_groups(claims: Mapping[str, object], groups_claim: str = "groups") -> list[str]:
    """The groups an ID token names (a list, or one string), as text."""
    value = claims.get(groups_claim)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return []


def identity_from_claims(
    claims: Mapping[str, object],
    group_roles: GroupRoles | None = None,
    granted: Iterable[Grant] = (),
    groups_claim: str = "groups",
) -> Identity:
    """The signed-in identity from the ID token's claims: its groups mapped to grants, plus the grants table's
    grants for it (``granted``, already selected by :func:`matches`). Raises :class:`InvalidInput` without a
    subject."""
    subject = str(claims.get("sub") or "").strip()
    if not subject:
        raise InvalidInput([Issue("error", "sub", "the identity provider gave no subject (sub claim)")])
    email = _text_claim(claims, "email") or _email_like(_text_claim(claims, "preferred_username"))
    name = _text_claim(claims, "name") or _text_claim(claims, "preferred_username")
    mapping = group_roles or {}
    grants = [g for group in claimed_groups(claims, groups_claim) for g in mapping.get(_group_key(group), ())]
    return Identity(subject=subject[:MAX_PRINCIPAL], email=email, name=name, source="sso").with_grants(
        [*grants, *granted]
    )


def _text_claim(claims: Mapping[str, object], key: str) -> str | None:
    value = claims.get(key)
    return str(value).strip()[:MAX_PRINCIPAL] or None if value is not None else None


def _email_like(value: str | None) -> str | None:
    return value if value and "@" in value else None


def matches(principal: str, subject: str, email: str | None) -> bool:
    """Whether a grant's principal names this identity: its subject exactly, or its e-mail ignoring case."""
    principal = principal.strip()
    return principal == subject or (email is not None and principal.casefold() == email.strip().casefold())


# --------------------------------------------------------------------------------------------
# Is single sign-on configured so that it can work?
# --------------------------------------------------------------------------------------------

REQUIRE_ENV = "READINESS_REQUIRE_SIGN_IN"
GROUPS_ENV = "READINESS_GROUP_ROLES"
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
MIN_COOKIE_SECRET = 32


def sign_in_required() -> bool:
    """Whether ``READINESS_REQUIRE_SIGN_IN`` forbids local mode (a shared server must never fall back to it)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def sign_in_problems(auth: Mapping[str, object] | None, readiness: Mapping[str, object] | None = None) -> list[str]:
    """What keeps single sign-on from working safely, from Streamlit's ``[auth]`` section (None: not configured)
    and the ``[readiness]`` section (its group mapping); empty when it can work or in a deliberate local mode.

    Checks what Streamlit itself would only find at the first sign-in, or never: a cookie secret (without one
    Streamlit signs the identity cookie with a random per-process key, so sessions break on restart and differ
    between replicas), the callback address, the client registration, and the group mapping.
    """
    if not auth:
        return [f"{REQUIRE_ENV} is set but no [auth] section is configured in .streamlit/secrets.toml"] if (
            sign_in_required()
        ) else []  # fmt: skip
    problems = []
    secret = str(auth.get("cookie_secret") or "")
    if not secret:
        problems.append(
            "[auth] has no cookie_secret: without one the sign-in cookie cannot be trusted or shared by replicas. "
            "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    elif len(secret) < MIN_COOKIE_SECRET:
        problems.append(f"[auth] cookie_secret is shorter than {MIN_COOKIE_SECRET} characters: make it long and random")
    if not str(auth.get("redirect_uri") or "").endswith("/oauth2callback"):
        problems.append("[auth] redirect_uri must be the app's address followed by /oauth2callback")
    missing = [key for key in PROVIDER_KEYS if not auth.get(key)]
    if missing:
        problems.append(f"[auth] is missing {', '.join(missing)} (the identity provider's client registration)")
    if readiness is not None:
        for source, where in ((readiness.get("groups"), "readiness.groups"), (os.environ.get(GROUPS_ENV), GROUPS_ENV)):
            try:
                parse_group_roles(source, where)  # type: ignore[arg-type]
            except InvalidInput as problem:
                problems += [f"{i.location}: {i.message}" for i in problem.issues]
    return problems


# --------------------------------------------------------------------------------------------
# The identity behind a call that does not pass one
# --------------------------------------------------------------------------------------------

_resolver: Callable[[], Identity | None] | None = None


def use_identity_resolver(resolver: Callable[[], Identity | None] | None) -> None:
    """Install how an interface knows who is acting (the dashboard: the signed-in user of the session).

    :func:`ambient_identity` calls it for use cases called without an identity, so a page that does not
    pass one is still checked as the person using it.
    """
    global _resolver
    _resolver = resolver


def ambient_identity() -> Identity:
    """The identity the installed resolver gives; where none is installed or it has no answer (a script, a
    test, a library call outside a page), the local admin, as before sign-in existed."""
    if _resolver is not None:
        found = _resolver()
        if found is not None:
            return found
    return LOCAL_ADMIN
