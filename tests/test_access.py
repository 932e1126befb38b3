"""The permission model: role × action × scope, as one table, plus identities from ID-token claims and the
groups-to-roles configuration."""

from __future__ import annotations

import pytest

from readiness.errors import InvalidInput
from readiness.service import access
from readiness.service.access import (
    ACTIONS,
    ANONYMOUS,
    LOCAL_ADMIN,
    Grant,
    Identity,
    NotPermitted,
    PilotScope,
    Role,
    Scope,
    ambient_identity,
    audit_actor,
    cli_identity,
    identity_from_claims,
    matches,
    needed_role,
    parse_group_roles,
    parse_role_spec,
    permits,
    require,
    unrestricted,
    use_identity_resolver,
)

CLAIMS_TEAM = Grant(Role.CONTRIBUTOR, Scope("team", "Claims AI"))
FINANCE_UNIT = Grant(Role.CONTRIBUTOR, Scope("unit", "Finance"))
IDENTITIES = {
    "nobody": None,
    "no role": Identity("u0", "none@example.com"),
    "viewer": Identity("u1", "vera@example.com", grants=(Grant(Role.VIEWER),)),
    "contributor/team": Identity("u2", "carl@example.com", grants=(CLAIMS_TEAM,)),
    "contributor/unit": Identity("u3", "fin@example.com", grants=(FINANCE_UNIT,)),
    "admin": Identity("u4", "ada@example.com", grants=(Grant(Role.ADMIN),)),
}
# The pilots a write may concern: inside the team, inside the unit (other team), outside both, none at all.
PILOTS = {
    "none": None,
    "claims": PilotScope("Claims triage", business_unit="Operations", owning_team="Claims AI"),
    "claims, other case": PilotScope("Claims triage", business_unit="Operations", owning_team="  claims ai "),
    "finance": PilotScope("Invoice matching", business_unit="Finance", owning_team="Finance automation"),
    "outside": PilotScope("Fraud alerts", business_unit="Risk", owning_team="Fraud AI"),
    "no context": PilotScope("Orphan"),
}
Y, N = True, False
# identity → action → pilot → permitted. Columns: none, claims, claims (other case), finance, outside, no context.
TABLE: dict[str, dict[str, tuple[bool, ...]]] = {
    "nobody": {a: (N, N, N, N, N, N) for a in ACTIONS},
    "no role": {a: (N, N, N, N, N, N) for a in ACTIONS},
    "viewer": {
        "read": (Y, Y, Y, Y, Y, Y),
        "export": (Y, Y, Y, Y, Y, Y),
        "assess": (N, N, N, N, N, N),
        "import": (N, N, N, N, N, N),
        "manage_grants": (N, N, N, N, N, N),
        "rename_pilot": (N, N, N, N, N, N),
        "archive_pilot": (N, N, N, N, N, N),
        "retract": (N, N, N, N, N, N),
    },
    "contributor/team": {
        "read": (Y, Y, Y, Y, Y, Y),
        "export": (Y, Y, Y, Y, Y, Y),
        "assess": (Y, Y, Y, N, N, N),
        "import": (Y, Y, Y, N, N, N),
        "manage_grants": (N, N, N, N, N, N),
        "rename_pilot": (N, N, N, N, N, N),
        "archive_pilot": (N, N, N, N, N, N),
        "retract": (N, N, N, N, N, N),
    },
    "contributor/unit": {
        "read": (Y, Y, Y, Y, Y, Y),
        "export": (Y, Y, Y, Y, Y, Y),
        "assess": (Y, N, N, Y, N, N),
        "import": (Y, N, N, Y, N, N),
        "manage_grants": (N, N, N, N, N, N),
        "rename_pilot": (N, N, N, N, N, N),
        "archive_pilot": (N, N, N, N, N, N),
        "retract": (N, N, N, N, N, N),
    },
    "admin": {a: (Y, Y, Y, Y, Y, Y) for a in ACTIONS},
}
CASES = [
    pytest.param(who, action, pilot, TABLE[who][action][column], id=f"{who}-{action}-{pilot}")
    for who in TABLE
    for action in ACTIONS
    for column, pilot in enumerate(PILOTS)
]


def test_the_table_covers_every_role_and_action() -> None:
    assert set(TABLE) == set(IDENTITIES)
    assert all(set(row) == set(ACTIONS) and all(len(v) == len(PILOTS) for v in row.values()) for row in TABLE.values())


@pytest.mark.parametrize(("who", "action", "pilot", "expected"), CASES)
def test_permits(who: str, action: str, pilot: str, expected: bool) -> None:
    identity, context = IDENTITIES[who], PILOTS[pilot]
    assert permits(identity, action, context) is expected
    if expected:
        require(identity, action, context)
    else:
        with pytest.raises(NotPermitted) as refused:
            require(identity, action, context)
        assert isinstance(refused.value, InvalidInput)  # every interface shows it as a message
        assert refused.value.summary().startswith(f"pilot '{context.name}': not permitted" if context else "not ")


def test_a_refusal_names_the_pilot_and_the_scope() -> None:
    with pytest.raises(NotPermitted) as refused:
        require(IDENTITIES["contributor/team"], "import", PILOTS["outside"], source="fraud.xlsx")
    assert refused.value.summary() == (
        "fraud.xlsx: pilot 'Fraud alerts': not permitted: carl@example.com may import assessments only for team "
        "Claims AI; pilot 'Fraud alerts' belongs to team Fraud AI, business unit Risk"
    )
    with pytest.raises(NotPermitted, match=r"vera@example.com \(viewer\) may not save assessments: it needs the "):
        require(IDENTITIES["viewer"], "assess", PILOTS["claims"])
    with pytest.raises(NotPermitted, match="nobody is signed in may not read the portfolio: it needs the viewer"):
        require(None, "read")


def test_needed_roles_and_unknown_actions() -> None:
    assert [needed_role(a) for a in ACTIONS] == ["viewer", "viewer", "contributor", "contributor", "admin", "admin",
                                                 "admin", "admin"]  # fmt: skip
    with pytest.raises(ValueError, match="unknown action 'delete'"):
        permits(LOCAL_ADMIN, "delete")


def test_unrestricted_means_no_scope_to_check() -> None:
    assert unrestricted(IDENTITIES["admin"], "import") and unrestricted(LOCAL_ADMIN, "assess")
    assert not unrestricted(IDENTITIES["contributor/team"], "import")
    assert unrestricted(IDENTITIES["contributor/team"], "read")
    assert not unrestricted(None, "read") and not unrestricted(ANONYMOUS, "read")


def test_local_and_cli_identities_are_admins_and_say_so() -> None:
    assert LOCAL_ADMIN.source == "local" and LOCAL_ADMIN.top_role == Role.ADMIN
    cli = cli_identity("ana")
    assert (cli.subject, cli.source, cli.top_role, cli.label) == ("ana", "cli", Role.ADMIN, "ana")
    assert all(permits(cli, a, PILOTS["outside"]) for a in ACTIONS)
    # In local mode the audit log keeps naming the person typed; signed in, the identity.
    assert audit_actor(LOCAL_ADMIN, "Ana") == "Ana" and audit_actor(LOCAL_ADMIN, None) is None
    assert audit_actor(IDENTITIES["viewer"], "typed") == "vera@example.com"
    assert audit_actor(cli, None) == "ana"


def test_describe() -> None:
    assert IDENTITIES["admin"].describe() == "admin"
    assert IDENTITIES["no role"].describe() == "no role"
    both = IDENTITIES["contributor/team"].with_grants([FINANCE_UNIT, Grant(Role.VIEWER)])
    assert both.describe() == "contributor for business unit Finance, team Claims AI"
    assert both.top_role == Role.CONTRIBUTOR


# --------------------------------------------------------------------------------------------
# Configuration and claims
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "grant"),
    [
        ("viewer", Grant(Role.VIEWER)),
        (" Admin ", Grant(Role.ADMIN)),
        ("contributor:team=Claims AI", CLAIMS_TEAM),
        ("contributor: unit = Finance", FINANCE_UNIT),
    ],
)
def test_role_specs(spec: str, grant: Grant) -> None:
    assert parse_role_spec(spec) == grant


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("owner", "unknown role 'owner'"),
        ("contributor", "a contributor needs the owning team or business unit"),
        ("viewer:team=X", "only a contributor takes a team or business unit"),
        ("contributor:squad=X", "is not team=NAME or unit=NAME"),
        ("contributor:team=", "is not team=NAME or unit=NAME"),
    ],
)
def test_bad_role_specs(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_role_spec(spec)


def test_group_roles_from_secrets_env_text_and_json() -> None:
    from_toml = parse_group_roles({"readiness-admins": "admin", "finance": ["contributor:unit=Finance", "viewer"]})
    assert from_toml == {"readiness-admins": (Grant(Role.ADMIN),), "finance": (FINANCE_UNIT, Grant(Role.VIEWER))}
    assert from_toml["finance"][0].origin == "group finance"
    from_env = parse_group_roles("readiness-admins=admin; finance=contributor:unit=Finance\nfinance=viewer")
    assert from_env == from_toml
    assert parse_group_roles('{"readiness-admins": "admin"}') == {"readiness-admins": (Grant(Role.ADMIN),)}
    assert parse_group_roles(None) == {} and parse_group_roles("") == {}
    with pytest.raises(InvalidInput) as bad:
        parse_group_roles({"a": "owner", "b": "contributor", "c": 3})
    assert [i.location for i in bad.value.issues] == ["groups.a", "groups.b", "groups.c"]
    with pytest.raises(InvalidInput, match="is not group=role"):
        parse_group_roles("admins")


def test_identity_from_claims_maps_groups_and_adds_grants() -> None:
    groups = parse_group_roles({"/Readiness-Admins": "admin", "claims-ai": "contributor:team=Claims AI"})
    claims = {"sub": "abc", "email": "carl@example.com", "name": "Carl", "groups": ["/claims-ai", "other"]}
    identity = identity_from_claims(claims, groups, granted=[FINANCE_UNIT])
    assert (identity.subject, identity.email, identity.name, identity.source) == ("abc", "carl@example.com", "Carl",
                                                                                  "sso")  # fmt: skip
    assert identity.grants == (CLAIMS_TEAM, FINANCE_UNIT)
    admin = identity_from_claims({"sub": "x", "groups": "readiness-admins"}, groups)
    assert admin.top_role == Role.ADMIN and admin.email is None and admin.label == "x"
    entra = identity_from_claims({"sub": "y", "preferred_username": "ana@corp.example", "roles": ["claims-ai"]}, groups,
                                 groups_claim="roles")  # fmt: skip
    assert entra.email == "ana@corp.example" and entra.grants == (CLAIMS_TEAM,)
    assert identity_from_claims({"sub": "z"}, groups).grants == ()
    with pytest.raises(InvalidInput, match="no subject"):
        identity_from_claims({"email": "a@b.c"}, groups)


def test_principals_match_the_subject_or_the_email_ignoring_case() -> None:
    assert matches("abc", "abc", None)
    assert matches(" Carl@Example.com ", "abc", "carl@example.com")
    assert not matches("ABC", "abc", None)
    assert not matches("carl@example.com", "abc", None)


def test_the_ambient_identity_defaults_to_the_local_admin() -> None:
    installed = access._resolver  # a page test in this process may have installed the dashboard's
    use_identity_resolver(None)
    assert ambient_identity() == LOCAL_ADMIN
    try:
        use_identity_resolver(lambda: IDENTITIES["viewer"])
        assert ambient_identity() == IDENTITIES["viewer"]
        use_identity_resolver(lambda: None)
        assert ambient_identity() == LOCAL_ADMIN
    finally:
        use_identity_resolver(installed)
