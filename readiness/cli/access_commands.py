"""Commands over access: ``grant``, ``revoke`` and ``grants``; and ``serve``, which starts the dashboard only
once its sign-in configuration can work.

The command line holds the database's credentials, so whoever runs it acts as an admin; every change is
audited with the operating-system user (or ``--actor``) as a command-line identity. Roles and scopes are
those of :mod:`readiness.service.access`: ``viewer``, ``contributor`` (with ``--team`` or ``--unit``, one
grant each) and ``admin``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

import click

from readiness.cli.main import cli, examples
from readiness.cli.store_commands import current_user, db_option, store
from readiness.errors import InvalidInput, Issue
from readiness.service.access import ROLES, Identity, cli_identity, sign_in_problems
from readiness.service.grants import all_grants, grant_role, revoke_role

actor_option = click.option(
    "--actor",
    metavar="NAME",
    default=None,
    help="Who is making the change, for the audit log (default: the operating-system user).",
)
ROLE_CHOICE = click.Choice([str(r) for r in ROLES], case_sensitive=False)


def operator(actor: str | None) -> Identity:
    """The command line's identity: ``--actor``, else the operating-system user, as an admin."""
    return cli_identity((actor or "").strip() or current_user())


def _scopes(teams: tuple[str, ...], units: tuple[str, ...]) -> list[tuple[str | None, str | None]]:
    scopes: list[tuple[str | None, str | None]] = [(t, None) for t in teams] + [(None, u) for u in units]
    return scopes or [(None, None)]


@cli.command(
    "grant",
    short_help="Give a person a role: viewer, contributor (for a team or unit) or admin.",
    epilog=examples(
        "readiness grant ana@example.com admin",
        "readiness grant lee@example.com contributor --team 'Claims AI' --unit Finance",
        "readiness grant 5f0c9e1a-… viewer      # the identity provider's subject",
    ),
)
@click.argument("principal", metavar="SUBJECT_OR_EMAIL")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--team", "teams", multiple=True, metavar="TEAM", help="A contributor's owning team (repeatable).")
@click.option("--unit", "units", multiple=True, metavar="UNIT", help="A contributor's business unit (repeatable).")
@actor_option
@db_option
def grant_command(
    principal: str, role: str, teams: tuple[str, ...], units: tuple[str, ...], actor: str | None, db_url: str | None
) -> None:
    """Grant ROLE to a person, named by e-mail address or by the identity provider's subject.

    A contributor saves and imports assessments only for the pilots of the owning teams (--team) and
    business units (--unit) granted, one grant each; viewers and admins see every pilot. Granting what is
    already granted changes nothing.
    """
    identity = operator(actor)
    with store(db_url) as engine:
        for team, unit in _scopes(teams, units):
            record, created = grant_role(engine, identity, principal, role, team=team, unit=unit)
            state = "granted" if created else "already granted"
            click.echo(f"{state}: {record.principal} is {record.role} for {record.scope_text} (grant #{record.id})")


@cli.command(
    "revoke",
    short_help="Take a role back: every grant of a person, of one role, or of one scope.",
    epilog=examples(
        "readiness revoke lee@example.com                      # every grant of lee",
        "readiness revoke lee@example.com contributor --team 'Claims AI'",
    ),
)
@click.argument("principal", metavar="SUBJECT_OR_EMAIL")
@click.argument("role", type=ROLE_CHOICE, required=False)
@click.option("--team", "teams", multiple=True, metavar="TEAM", help="Only the grant for this owning team.")
@click.option("--unit", "units", multiple=True, metavar="UNIT", help="Only the grant for this business unit.")
@actor_option
@db_option
def revoke_command(
    principal: str,
    role: str | None,
    teams: tuple[str, ...],
    units: tuple[str, ...],
    actor: str | None,
    db_url: str | None,
) -> None:
    """Revoke grants of a person: all of them, all of ROLE, or ROLE for one --team or --unit.

    Groups from the identity provider are not grants: remove the person from the group there. Exits 2
    when nothing matches.
    """
    if (teams or units) and not role:
        raise click.UsageError("--team and --unit name the scope of a ROLE: give the ROLE too")
    identity = operator(actor)
    with store(db_url) as engine:
        for team, unit in _scopes(teams, units):
            for record in revoke_role(engine, identity, principal, role, team=team, unit=unit):
                what = f"{record.role} for {record.scope_text}"
                click.echo(f"revoked: {record.principal} as {what} (grant #{record.id})")


@cli.command(
    "grants",
    short_help="List who was granted which role, for which pilots.",
    epilog=examples("readiness grants", "readiness grants --json"),
)
@click.option("--json", "as_json", is_flag=True, help="Print the grants as JSON.")
@actor_option
@db_option
def grants_command(as_json: bool, actor: str | None, db_url: str | None) -> None:
    """List every grant of the grants table (roles from identity-provider groups are configured, not listed)."""
    with store(db_url) as engine:
        records = all_grants(engine, operator(actor))
    if as_json:
        rows = [
            {
                "id": r.id,
                "principal": r.principal,
                "role": r.role,
                "team": r.team,
                "unit": r.unit,
                "granted_at": r.granted_at.isoformat(timespec="seconds"),
                "granted_by": r.granted_by,
            }
            for r in records
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not records:
        click.echo("No grants yet: give one with `readiness grant SUBJECT_OR_EMAIL ROLE`.")
        return
    width = max(len(r.principal) for r in records)
    for r in records:
        when = r.granted_at.strftime("%Y-%m-%d")
        click.echo(f"#{r.id:<4} {r.principal:<{width}}  {r.role:<11}  {r.scope_text:<30}  {when} by {r.granted_by}")


# --------------------------------------------------------------------------------------------
# serve
# --------------------------------------------------------------------------------------------


def streamlit_secret_files() -> list[Path]:
    """Where Streamlit reads secrets by default, later ones winning: the user's, then the app folder's."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def read_secrets(files: list[Path]) -> dict[str, Any]:
    """The secrets of the files that exist, merged as Streamlit merges them; an unreadable file is an error."""
    merged: dict[str, Any] = {}
    for path in files:
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            issue = Issue("error", str(path), f"the secrets file cannot be read: {error}")
            raise InvalidInput([issue], "the server does not start") from None
    return merged


@cli.command(
    "serve",
    short_help="Start the dashboard, once its sign-in configuration can work.",
    context_settings={"ignore_unknown_options": True},
    epilog=examples("readiness serve", "readiness serve --port 8080 --server.address 0.0.0.0"),
)
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="The port to serve.")
@click.option("--app", "app_path", default="serve.py", show_default=True, type=click.Path(path_type=Path),
              help="The dashboard's entry point.")  # fmt: skip
@click.option("--secrets", "secret_files", multiple=True, metavar="FILE", type=click.Path(path_type=Path),
              help="A secrets.toml instead of Streamlit's (~/.streamlit/, ./.streamlit/); repeatable.")  # fmt: skip
@click.argument("streamlit_args", nargs=-1, type=click.UNPROCESSED)
def serve_command(port: int, app_path: Path, secret_files: tuple[Path, ...], streamlit_args: tuple[str, ...]) -> None:
    """Check the sign-in configuration, then run `streamlit run APP` (further options go to Streamlit).

    It listens on 127.0.0.1 only, unless ``--server.address`` says otherwise (``--server.address 0.0.0.0``
    behind a reverse proxy with TLS; see the README's Deployment section).

    With an [auth] section in the secrets, the server does not start when sign-in cannot work: no
    cookie_secret (or a short one), a redirect_uri not ending in /oauth2callback, a missing client_id,
    client_secret or server_metadata_url, a group mapping it cannot read, or Authlib missing; nor without
    [auth] when READINESS_REQUIRE_SIGN_IN is set. Exits 2 with the reasons. Without [auth]: local mode.
    """
    secrets = read_secrets(list(secret_files) or streamlit_secret_files())
    auth = secrets.get("auth") or None
    problems = sign_in_problems(auth, secrets.get("readiness") or {})
    if auth and importlib.util.find_spec("authlib") is None:
        problems.append("Authlib (>= 1.3.2) is not installed: pip install 'Authlib>=1.3.2'")
    if problems:
        issues = [Issue("error", "secrets", problem) for problem in problems]
        raise InvalidInput(issues, "sign-in cannot work, so the server does not start")
    if not app_path.is_file():
        raise InvalidInput([Issue("error", "--app", f"{app_path} is not a file: run from the checkout, or pass --app")])
    mode = "single sign-on" if auth else "local mode (no sign-in: everyone who can reach the port is an admin)"
    click.echo(f"Sign-in: {mode}. Starting {app_path} on port {port}.", err=True)
    args = [sys.executable, "-m", "streamlit", "run", str(app_path), "--server.port", str(port)]
    for path in secret_files:
        args += ["--secrets.files", str(path)]
    if not any(arg.split("=")[0] == "--server.address" for arg in streamlit_args):
        # This machine only, unless told otherwise: exposing the dashboard is a decision (README, Deployment).
        args += ["--server.address", "127.0.0.1"]
    os.execv(sys.executable, [*args, *streamlit_args])
