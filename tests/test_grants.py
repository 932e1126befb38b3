"""Grants and the identity in the record: migration 0002 on both engines, grants added, revoked and listed
(audited), writes refused outside a contributor's scope with nothing written, the writing identity on
snapshots and audit entries, and the ``grant`` / ``revoke`` / ``grants`` / ``import --actor`` commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from readiness.cli.main import cli
from readiness.errors import InvalidInput
from readiness.service.access import (
    LOCAL_ADMIN,
    Grant,
    Identity,
    NotPermitted,
    Role,
    Scope,
    cli_identity,
    identity_from_claims,
    parse_group_roles,
)
from readiness.service.grants import all_grants, grant_role, grants_for, revoke_role
from readiness.service.intake import import_report, import_reports, save_assessment, validate_file
from readiness.store import add_assessment, count_rows, make_engine, pilot_history
from readiness.store.migrate import alembic_config, current_revision, head_revision, migrate
from readiness.store.repository import audit_entries
from readiness.store.views import audit_rows
from tests.factories import assessment_data, build
from tests.input_files import assessment_json, filled_workbook

ADMIN = Identity("admin-sub", "ada@example.com", "Ada", (Grant(Role.ADMIN),))
CARL = Identity("carl-sub", "carl@example.com", "Carl", (Grant(Role.CONTRIBUTOR, Scope("team", "Claims AI")),))
VERA = Identity("vera-sub", "vera@example.com", "Vera", (Grant(Role.VIEWER),))


def claims_pilot(**pilot: object):
    return build(**pilot)  # Claims triage, team Claims AI, unit Operations


# --------------------------------------------------------------------------------------------
# Migration 0002
# --------------------------------------------------------------------------------------------


def test_0002_upgrades_a_0001_store_with_history_and_keeps_it_append_only(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
        assert current_revision(engine) == "0001"
        # A row written under 0001 (the identity columns do not exist yet).
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO audit_log (at, actor, action, object) VALUES (CURRENT_TIMESTAMP, 'old', 'x', 'y')")
            )
        result = migrate(engine)
        assert (result.before, result.after) == ("0001", head_revision())
        columns = {c["name"] for c in inspect(engine).get_columns("audit_log")}
        assert {"identity_subject", "identity_email", "identity_source"} <= columns
        assert "grant" in inspect(engine).get_table_names()
        (old,) = audit_entries(engine)
        assert old.actor == "old" and old.written_by is None
        # The append-only triggers of 0001 survive the new columns on both engines.
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        add_assessment(engine, build(), actor="a")
        for statement in ("UPDATE snapshot SET as_of = as_of", "DELETE FROM snapshot"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_0002_downgrades_and_upgrades_again(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        migrate(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0001")
        assert "grant" not in inspect(engine).get_table_names()
        assert "identity_subject" not in {c["name"] for c in inspect(engine).get_columns("snapshot")}
        assert migrate(engine).after == head_revision()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# Grants through the use case (admins only), audited
# --------------------------------------------------------------------------------------------


def test_grants_are_added_listed_revoked_and_audited(engine: Engine) -> None:
    record, created = grant_role(engine, ADMIN, "carl@example.com", "contributor", team="Claims AI")
    assert created
    assert (record.principal, record.role, record.team, record.unit) == ("carl@example.com", "contributor",
                                                                         "Claims AI", None)  # fmt: skip
    assert grant_role(engine, ADMIN, "carl@example.com", "contributor", team="Claims AI") == (record, False)
    grant_role(engine, ADMIN, "carl@example.com", "contributor", unit="Finance")
    grant_role(engine, ADMIN, "vera-sub", "viewer")
    assert [(g.principal, g.role, g.scope_kind) for g in all_grants(engine, ADMIN)] == [
        ("carl@example.com", "contributor", "team"),
        ("carl@example.com", "contributor", "unit"),
        ("vera-sub", "viewer", "all"),
    ]
    # By e-mail ignoring case, or by subject.
    assert grants_for(engine, "someone", "CARL@example.com") == [
        Grant(Role.CONTRIBUTOR, Scope("team", "Claims AI")),
        Grant(Role.CONTRIBUTOR, Scope("unit", "Finance")),
    ]
    assert grants_for(engine, "vera-sub", None) == [Grant(Role.VIEWER)]
    removed = revoke_role(engine, ADMIN, "carl@example.com", "contributor", unit="Finance")
    assert [(g.role, g.unit) for g in removed] == [("contributor", "Finance")]
    assert len(revoke_role(engine, ADMIN, "carl@example.com")) == 1
    with pytest.raises(InvalidInput, match=r"carl@example\.com has no such grant"):
        revoke_role(engine, ADMIN, "carl@example.com")
    entries = audit_entries(engine)
    assert [e.action for e in entries] == ["grant.revoke", "grant.revoke", "grant.add", "grant.add", "grant.add"]
    assert {(e.actor, e.written_by.subject, e.written_by.email, e.written_by.source) for e in entries} == {
        ("ada@example.com", "admin-sub", "ada@example.com", "sso")
    }
    assert audit_rows(entries)[-1]["what"] == "carl@example.com: contributor for team Claims AI"
    assert audit_rows(entries)[-1]["who"] == "ada@example.com (signed in)"


@pytest.mark.parametrize("who", [CARL, VERA, None])
def test_only_admins_manage_grants(engine: Engine, who: Identity | None) -> None:
    for attempt in (
        lambda: grant_role(engine, who, "x@example.com", "admin"),
        lambda: revoke_role(engine, who, "x@example.com"),
        lambda: all_grants(engine, who),
    ):
        with pytest.raises(NotPermitted, match="needs the admin role"):
            attempt()
    assert count_rows(engine)["grant"] == 0 and count_rows(engine)["audit_log"] == 0


@pytest.mark.parametrize(
    ("principal", "role", "scope", "message"),
    [
        ("", "viewer", {}, "name the person"),
        ("a b@example.com", "viewer", {}, "no spaces"),
        ("x" * 321, "viewer", {}, "longer than 320"),
        ("a@example.com", "owner", {}, "unknown role 'owner'"),
        ("a@example.com", "contributor", {}, "a contributor needs the owning team or business unit"),
        ("a@example.com", "admin", {"team": "T"}, "only a contributor takes a team"),
        ("a@example.com", "contributor", {"team": "T", "unit": "U"}, "not both"),
    ],
)
def test_bad_grants_are_refused(sqlite_engine: Engine, principal: str, role: str, scope: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        grant_role(sqlite_engine, ADMIN, principal, role, **scope)
    assert count_rows(sqlite_engine)["grant"] == 0


def test_groups_and_grants_make_the_signed_in_identity(sqlite_engine: Engine) -> None:
    grant_role(sqlite_engine, ADMIN, "carl@example.com", "contributor", unit="Finance")
    groups = parse_group_roles("claims-ai=contributor:team=Claims AI")
    claims = {"sub": "carl-sub", "email": "carl@example.com", "groups": ["claims-ai"]}
    identity = identity_from_claims(claims, groups, grants_for(sqlite_engine, "carl-sub", "carl@example.com"))
    assert identity.describe() == "contributor for business unit Finance, team Claims AI"


# --------------------------------------------------------------------------------------------
# Writes checked in the use-case layer
# --------------------------------------------------------------------------------------------


def test_a_contributor_writes_inside_its_scope_and_is_recorded(engine: Engine) -> None:
    report = validate_file("claims.json", assessment_json(claims_pilot()))
    outcome = import_report(engine, report, interface="app", actor="typed name", identity=CARL)
    assert outcome.created == 1
    (stored,) = pilot_history(engine, "Claims triage")
    assert stored.assessment.submitted_by == "ana@example.com"  # the typed submitter stays as typed
    assert (stored.written_by.subject, stored.written_by.email, stored.written_by.source) == (
        "carl-sub", "carl@example.com", "sso")  # fmt: skip
    entries = audit_entries(engine)
    assert {e.actor for e in entries} == {"carl@example.com"}  # the identity, not the name typed
    assert all(e.written_by.subject == "carl-sub" for e in entries)
    # A second snapshot of the same pilot, typed in the Assess page.
    later = build(answers={"DATA-1": "no"}).model_copy(update={"as_of": date(2026, 11, 2)})
    assert save_assessment(engine, later, interface="app", identity=CARL).created


def test_an_out_of_scope_workbook_is_refused_naming_the_pilot_and_writes_nothing(engine: Engine) -> None:
    add_assessment(engine, build(name="Fraud alerts", owning_team="Fraud AI", business_unit="Risk"), actor="seed")
    before = count_rows(engine)
    mixed = [claims_pilot(), build(name="Fraud alerts", owning_team="Fraud AI", business_unit="Risk")]
    data = json.dumps([a.model_dump(mode="json") for a in mixed]).encode()
    report = validate_file("q3.json", data)
    assert report.ok
    with pytest.raises(NotPermitted) as refused:
        import_report(engine, report, interface="app", identity=CARL)
    assert refused.value.summary() == (
        "pilot 'Fraud alerts': not permitted: carl@example.com may import assessments only for team "
        "Claims AI; pilot 'Fraud alerts' belongs to team Fraud AI, business unit Risk"
    )
    assert count_rows(engine) == before  # all or nothing: not even the in-scope Claims triage
    outcomes, failures = import_reports(engine, [report], interface="app", identity=CARL)
    assert outcomes == [] and failures == [("q3.json", refused.value.summary())]
    assert count_rows(engine) == before


def test_a_file_cannot_claim_an_existing_pilot_or_move_one_out_of_scope(engine: Engine) -> None:
    # Fraud alerts belongs to Fraud AI in the registry: a file saying it is Claims AI's does not make it so.
    add_assessment(engine, build(name="Fraud alerts", owning_team="Fraud AI", business_unit="Risk"), actor="seed")
    claimed = build(name="Fraud alerts", owning_team="Claims AI", business_unit="Risk")
    with pytest.raises(NotPermitted, match="pilot 'Fraud alerts' belongs to team Fraud AI"):
        save_assessment(engine, claimed, interface="app", identity=CARL)
    # Claims triage is Carl's: moving it to another team is refused.
    save_assessment(engine, claims_pilot(), interface="app", identity=CARL)
    moved = build(owning_team="Fraud AI", answers={"DATA-1": "no"})
    with pytest.raises(NotPermitted, match="the file moves pilot 'Claims triage' to team Fraud AI"):
        save_assessment(engine, moved, interface="app", identity=CARL)
    # A new pilot only inside the scope.
    with pytest.raises(NotPermitted, match="pilot 'New bot' belongs to team Other"):
        save_assessment(engine, build(name="New bot", owning_team="Other"), interface="app", identity=CARL)
    assert save_assessment(engine, build(name="New bot"), interface="app", identity=CARL).created


@pytest.mark.parametrize("who", [VERA, Identity("nobody", grants=())])
def test_viewers_and_people_without_a_role_write_nothing(sqlite_engine: Engine, who: Identity) -> None:
    with pytest.raises(NotPermitted, match="needs the contributor role"):
        save_assessment(sqlite_engine, claims_pilot(), interface="app", identity=who)
    report = validate_file("a.xlsx", filled_workbook(claims_pilot()))
    with pytest.raises(NotPermitted, match=r"^not permitted: .* may not import assessments"):
        import_report(sqlite_engine, report, interface="app", identity=who)
    assert count_rows(sqlite_engine)["snapshot"] == 0


def test_without_an_identity_the_local_admin_writes_as_before(sqlite_engine: Engine) -> None:
    report = validate_file("claims.json", assessment_json(claims_pilot()))
    import_report(sqlite_engine, report, interface="app", actor="Typed Name")
    entries = audit_entries(sqlite_engine)
    assert {e.actor for e in entries} == {"Typed Name"}
    assert {(e.written_by.subject, e.written_by.source) for e in entries} == {("local", "local")}
    assert audit_rows(entries)[0]["who"] == "Typed Name"
    assert LOCAL_ADMIN.source == "local"


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_grant_revoke_and_grants_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert invoke("grants", "--db", db).output.startswith("No grants yet")
    done = invoke("grant", "lee@example.com", "contributor", "--team", "Claims AI", "--unit", "Finance", "--db", db)
    assert done.exit_code == 0
    assert done.output.splitlines() == [
        "granted: lee@example.com is contributor for team Claims AI (grant #1)",
        "granted: lee@example.com is contributor for business unit Finance (grant #2)",
    ]
    assert (
        "already granted" in invoke("grant", "lee@example.com", "contributor", "--team", "Claims AI", "--db", db).output
    )
    assert invoke("grant", "ana@example.com", "ADMIN", "--actor", "ops-bot", "--db", db).exit_code == 0
    refused = invoke("grant", "x@example.com", "contributor", "--db", db)
    assert refused.exit_code == 2 and "a contributor needs the owning team or business unit" in refused.output
    listed = json.loads(invoke("grants", "--json", "--db", db).output)
    assert [(g["principal"], g["role"], g["team"], g["unit"]) for g in listed] == [
        ("ana@example.com", "admin", None, None),
        ("lee@example.com", "contributor", "Claims AI", None),
        ("lee@example.com", "contributor", None, "Finance"),
    ]
    assert listed[0]["granted_by"] == "ops-bot"
    revoked = invoke("revoke", "lee@example.com", "contributor", "--unit", "Finance", "--db", db)
    assert revoked.output.strip() == "revoked: lee@example.com as contributor for business unit Finance (grant #2)"
    assert invoke("revoke", "lee@example.com", "--team", "X", "--db", db).exit_code == 2  # a scope needs a role
    missing = invoke("revoke", "nobody@example.com", "--db", db)
    assert missing.exit_code == 2 and "nobody@example.com has no such grant" in missing.output
    audit = json.loads(invoke("audit", "--json", "--db", db).output)
    assert [a["action"] for a in audit] == ["grant.revoke", "grant.add", "grant.add", "grant.add"]
    assert audit[1]["identity"] == {"subject": "ops-bot", "email": None, "source": "cli"}
    assert audit[1]["who"] == "ops-bot (command line)"


def test_cli_imports_record_the_os_user_or_the_actor_as_a_cli_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("readiness.cli.store_commands.current_user", lambda: "osuser")
    db = f"sqlite:///{tmp_path / 'r.db'}"
    first = tmp_path / "a.json"
    first.write_text(json.dumps(assessment_data()))
    second = tmp_path / "b.json"
    second.write_text(json.dumps(assessment_data(name="Other pilot")))
    assert invoke("import", str(first), "--db", db).exit_code == 0
    assert invoke("import", str(second), "--actor", "release-bot", "--db", db).exit_code == 0
    engine = make_engine(db)
    try:
        added = {e.detail["origin"]: e for e in audit_entries(engine) if e.action == "snapshot.add"}
        assert (added["a.json"].actor, added["a.json"].written_by.subject, added["a.json"].written_by.source) == (
            "osuser", "osuser", "cli")  # fmt: skip
        assert (added["b.json"].actor, added["b.json"].written_by.subject) == ("release-bot", "release-bot")
        (stored,) = pilot_history(engine, "Other pilot")
        assert stored.written_by.source == "cli" and stored.assessment.submitted_by == "ana@example.com"
    finally:
        engine.dispose()
    assert cli_identity("").subject == "unknown"


GOOD_AUTH = """[auth]
redirect_uri = "https://readiness.example.com/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef"
client_id = "readiness"
client_secret = "s"
server_metadata_url = "https://idp.example.com/.well-known/openid-configuration"
"""


@pytest.mark.parametrize(
    ("secrets", "env", "message"),
    [
        (GOOD_AUTH.replace('cookie_secret = "0123456789abcdef0123456789abcdef"\n', ""), {}, "has no cookie_secret"),
        (GOOD_AUTH.replace("/oauth2callback", "/"), {}, "redirect_uri must be"),
        (GOOD_AUTH + '[readiness.groups]\n"x" = "owner"\n', {}, "readiness.groups.x: unknown role 'owner'"),
        (GOOD_AUTH, {"READINESS_GROUP_ROLES": "admins"}, "READINESS_GROUP_ROLES: entry 'admins' is not group=role"),
        ("[readiness]\n", {"READINESS_REQUIRE_SIGN_IN": "1"}, "READINESS_REQUIRE_SIGN_IN is set but no [auth]"),
        ("[auth\n", {}, "the secrets file cannot be read"),
    ],
)
def test_serve_refuses_to_start_when_sign_in_cannot_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets: str, env: dict[str, str], message: str
) -> None:
    for name in ("READINESS_GROUP_ROLES", "READINESS_REQUIRE_SIGN_IN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    started: list[list[str]] = []
    monkeypatch.setattr("readiness.cli.access_commands.os.execv", lambda _exe, args: started.append(args))
    path = tmp_path / "secrets.toml"
    path.write_text(secrets)
    result = CliRunner().invoke(cli, ["serve", "--secrets", str(path), "--app", __file__])
    assert result.exit_code == 2, result.output
    assert "the server does not start" in result.output and message in result.output
    assert started == []


def test_serve_starts_streamlit_with_a_working_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READINESS_REQUIRE_SIGN_IN", raising=False)
    monkeypatch.delenv("READINESS_GROUP_ROLES", raising=False)
    started: list[list[str]] = []
    monkeypatch.setattr("readiness.cli.access_commands.os.execv", lambda _exe, args: started.append(args))
    path = tmp_path / "secrets.toml"
    path.write_text(GOOD_AUTH)
    result = CliRunner().invoke(cli, ["serve", "--port", "8600", "--secrets", str(path), "--app", __file__,
                                      "--server.headless", "true"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Sign-in: single sign-on" in result.output
    (args,) = started
    assert args[1:] == ["-m", "streamlit", "run", __file__, "--server.port", "8600", "--secrets.files", str(path),
                        "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    started.clear()  # an address given is passed on instead of the default
    CliRunner().invoke(cli, ["serve", "--secrets", str(path), "--app", __file__, "--server.address", "0.0.0.0"])
    assert started[0].count("--server.address") == 1 and started[0][-1] == "0.0.0.0"
