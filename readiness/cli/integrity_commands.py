"""Commands over the record's integrity: ``verify``, ``retract`` and ``reinstate``."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from readiness.cli.main import cli, examples
from readiness.cli.store_commands import current_user, db_option, store
from readiness.errors import InvalidInput
from readiness.service.access import cli_identity
from readiness.service.integrity import retract, verify_store


@cli.command(
    "verify",
    short_help="Check that no snapshot or audit entry was changed, removed or inserted behind the app's back.",
    epilog=examples("readiness verify", "readiness verify --expect-head 3f9a…  # the head printed last time"),
)
@click.option("--expect-head", metavar="HASH", default=None, help="The chain head printed by an earlier verify.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@db_option
@click.pass_context
def verify_command(ctx: click.Context, expect_head: str | None, as_json: bool, db_url: str | None) -> None:
    """Recompute every snapshot's content hash from its stored rows, check it against the audit entry that
    recorded it, and walk the audit log's hash chain.

    Exits 0 when the store is intact, 2 naming the first bad row otherwise. Keep the printed head: a later
    ``--expect-head`` run also catches a log rewritten from some entry to its end.
    """
    with store(db_url) as engine:
        report = verify_store(engine, expect_head=expect_head)
    if as_json:
        click.echo(json.dumps({"intact": report.intact, "entries": report.entries, "snapshots": report.snapshots,
                               "head": report.head, "problems": report.details}, indent=2))  # fmt: skip
    elif report.intact:
        click.echo(f"intact: {report.snapshots:,} snapshots match their rows and audit entries; "
                   f"{report.entries:,} audit entries chain unbroken.")  # fmt: skip
        click.echo(f"head: {report.head}  (keep it; `readiness verify --expect-head` checks against it later)")
    else:
        click.echo(f"TAMPERED: {report.problem}", err=True)
        for more in report.details[1:10]:
            click.echo(f"  also: {more}", err=True)
        click.echo("Restore the last good backup (`readiness restore`) and find out who had write access.", err=True)
    if not report.intact:
        ctx.exit(2)


def _retraction_command(reinstate: bool) -> Callable[..., None]:
    verb = "reinstate" if reinstate else "retract"

    @click.argument("snapshot_ids", nargs=-1, type=click.IntRange(min=1), metavar="SNAPSHOT_ID...")
    @click.option(
        "--import",
        "import_hash",
        metavar="SHA256",
        default=None,
        help=f"{verb.capitalize()} every snapshot of one import (its file's SHA-256, see `readiness audit`).",
    )
    @click.option("--reason", required=True, help="Why (kept in the record with who and when).")
    @db_option
    @click.pass_context
    def command(ctx: click.Context, snapshot_ids: tuple[int, ...], import_hash: str | None, reason: str,
                db_url: str | None) -> None:  # fmt: skip
        identity = cli_identity(current_user())
        try:
            with store(db_url) as engine:
                outcome = retract(engine, identity, reason, snapshot_ids, import_hash, reinstate=reinstate)
        except InvalidInput as problem:
            for issue in problem.issues[:20]:
                click.echo(f"{verb} refused: {issue.location}: {issue.message}", err=True)
            ctx.exit(2)
        done = "reinstated" if reinstate else "retracted"
        unchanged = len(outcome.asked) - len(outcome.changed)
        click.echo(f"{done}: {len(outcome.changed)} of {len(outcome.asked)} snapshots"
                   + (f" ({unchanged} already {done})" if unchanged else "")
                   + (f": {', '.join(map(str, outcome.changed[:20]))}" if outcome.changed else ""))  # fmt: skip

    return command


cli.command(
    "retract",
    short_help="Take snapshots out of every view (they stay in the record, with who, when and why).",
    help="Retract snapshots by id, or every snapshot of one import (--import SHA256). A retracted snapshot leaves "
    "every view and stays in the record; `readiness reinstate` brings it back. Admins only.",
    epilog=examples(
        "readiness retract 412 --reason 'typed against the wrong pilot'",
        "readiness retract --import 9c1e… --reason 'test upload'",
    ),
)(_retraction_command(reinstate=False))
cli.command(
    "reinstate",
    short_help="Bring retracted snapshots back into the views.",
    help="Reinstate retracted snapshots by id, or every snapshot of one import (--import SHA256). Refused when "
    "another snapshot is in force for the same pilot and day. Admins only.",
    epilog=examples("readiness reinstate 412 --reason 'retracted by mistake'"),
)(_retraction_command(reinstate=True))
