"""Commands over the store: ``import``, ``portfolio``, ``audit``, ``demo``, ``db upgrade``, ``backup``, ``restore``.

Every command takes ``--db URL``; without it ``READINESS_DATABASE_URL``, then the embedded SQLite file
``data/readiness.db`` under the current directory. The schema is migrated on start.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from readiness import display
from readiness.cli.main import cli, examples
from readiness.display import count_text
from readiness.errors import InvalidInput
from readiness.model import load_model
from readiness.scoring import VERDICT_LABELS
from readiness.service.access import cli_identity
from readiness.service.intake import ImportBatch, import_report, validate_path
from readiness.store import (
    backup,
    count_rows,
    database_url,
    is_empty,
    latest_assessments,
    make_engine,
    migrate,
    portfolio_frame,
    redact,
    restore,
)
from readiness.store.repository import audit_entries
from readiness.store.roles import grant_app_role
from readiness.store.views import audit_rows, portfolio_json

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    help="Database URL (default: $READINESS_DATABASE_URL, else the SQLite file data/readiness.db).",
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    default=None,
    help="The portfolio as it stood on this date.",
)


@contextmanager
def store(db_url: str | None, upgrade: bool = True) -> Iterator[Engine]:
    """The store's engine for one command, migrated on start and closed at the end."""
    engine = make_engine(database_url(db_url))
    try:
        if upgrade:
            migrate(engine)
        yield engine
    finally:
        engine.dispose()


def current_user() -> str:
    """Who runs the command, for the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------


@cli.command(
    "import",
    short_help="Store the assessments of JSON files or workbooks as snapshots.",
    epilog=examples("readiness import q3/*.xlsx", "readiness import claims.json --db sqlite:///team.db"),
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--actor",
    metavar="NAME",
    default=None,
    help="Who imports, for the audit log (default: the operating-system user); recorded as a command-line write.",
)
@click.option(
    "--supersede",
    is_flag=True,
    help="Replace a stored snapshot of the same pilot and day that says otherwise (it is retracted, not deleted).",
)
@db_option
@click.pass_context
def import_files(
    ctx: click.Context, files: tuple[Path, ...], actor: str | None, supersede: bool, db_url: str | None
) -> None:
    """Store the assessments of each FILE (JSON or workbook) as snapshots.

    Each file is imported whole or not at all; a file already imported is a no-op. A pilot has one snapshot
    in force per day: a file dated the same day as a stored snapshot with other content is rejected unless
    --supersede. Prints one line per file; exits 2 if any file was rejected (the others are still imported).

    One call takes at most READINESS_MAX_FILES files (more: nothing is imported) and adds at most
    READINESS_MAX_NEW_PILOTS new pilots; a file holds at most READINESS_MAX_ASSESSMENTS_PER_FILE assessments
    and READINESS_MAX_FILE_MB megabytes; the store holds at most READINESS_MAX_PILOTS pilots.
    """
    actor = (actor or "").strip() or current_user()
    batch = ImportBatch()
    batch.check_files(len(files))  # before the store is opened: nothing is imported
    rejected = 0
    with store(db_url) as engine:
        for path in files:
            line, ok = import_one(engine, path, actor, supersede, batch)
            click.echo(line)
            rejected += not ok
    if rejected:
        ctx.exit(2)


def import_one(
    engine: Engine, path: Path, actor: str, supersede: bool = False, batch: ImportBatch | None = None
) -> tuple[str, bool]:
    """Import one file atomically through the intake use case; returns its report line and whether it
    was accepted. ``batch``: the import call the file belongs to (its caps, the new pilots added so far)."""
    batch = batch or ImportBatch()
    report = validate_path(path, limits=batch.limits)
    if report.ok:
        for warning in report.warnings:
            click.echo(f"  warning: {warning.location}: {warning.message}", err=True)
    try:
        outcome = import_report(engine, report, interface="cli", actor=actor, identity=cli_identity(actor),
                                supersede=supersede, batch=batch)  # fmt: skip
    except InvalidInput as problem:
        for issue in problem.issues[1:20]:
            click.echo(f"  {issue}", err=True)
        return f"rejected: {path}: {problem_text(problem, path)}", False
    new, present = outcome.created, outcome.already_present
    pilot_text = count_text(outcome.pilots, "pilot")
    if new == 0:
        return f"already present: {path} ({count_text(present, 'snapshot')}, {pilot_text})", True
    if present == 0:
        return f"imported: {path} ({count_text(new, 'snapshot')}, {pilot_text})", True
    return (
        f"imported: {path} ({count_text(new, 'new snapshot')}, {present} already present, {pilot_text})",
        True,
    )


def problem_text(problem: InvalidInput, path: Path) -> str:
    """What is wrong and where, without repeating the file name."""
    if not problem.issues:
        return "invalid input"
    first = problem.issues[0]
    parts = [problem.source] if problem.source and problem.source not in {path.name, str(path)} else []
    parts += [first.location] if first.location else []
    more = len(problem.issues) - 1
    suffix = f" (and {count_text(more, 'more problem')})" if more else ""
    return ": ".join([*parts, first.message]) + suffix


# --------------------------------------------------------------------------------------------
# portfolio
# --------------------------------------------------------------------------------------------


@cli.command(
    short_help="Show each pilot's latest snapshot, scored with the current model.",
    epilog=examples("readiness portfolio", "readiness portfolio --as-of 2026-06-30", "readiness portfolio --json"),
)
@click.option("--json", "as_json", is_flag=True, help="Print the Portfolio JSON instead of a table.")
@as_of_option
@db_option
def portfolio(as_json: bool, as_of: datetime | None, db_url: str | None) -> None:
    """Each pilot's latest snapshot, re-scored with the current model."""
    day = as_of.date() if as_of else None
    with store(db_url) as engine:
        if as_json:
            entries = portfolio_json(latest_assessments(engine, day))
            click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
            return
        frame = portfolio_frame(engine, as_of=day)
    click.echo(portfolio_table(frame, day))


def portfolio_table(frame: Any, day: date | None) -> str:
    """The portfolio as a readable table, scored with the current model (vectorized), then what the board
    should know (the deck's sentences)."""
    from readiness.portfolio import score_frame
    from readiness.service.portfolio import key_messages, portfolio_stats, verdict_summary

    model = load_model()
    when = f" as of {day}" if day else ""
    if frame.empty:
        return f"No assessment stored{when}. Load some with `readiness import FILE` or `readiness demo`."
    scored = score_frame(frame, model)
    headers = ["Pilot", "Stage", "As of", "Verdict", "Overall", "Confidence", "Weakest gap", "Flags"]
    rows = []
    for record, issued_model in zip(scored.itertuples(index=False), frame["model_version"], strict=True):
        flags = [name for name in ("stalled", "multi_gap") if getattr(record, name)]
        if issued_model != model.version:
            flags.append(f"issued under model {issued_model}")
        rows.append(
            [
                str(record.pilot),
                str(record.stage),
                str(record.as_of),
                VERDICT_LABELS[record.verdict],
                display.score_text(record.overall),
                display.confidence_text(record.overall_confidence),
                model.gap(str(record.weakest_gap)).label,
                ", ".join(flags),
            ]
        )
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    stats = portfolio_stats(scored, model)
    lines += [
        "",
        f"{count_text(len(rows), 'pilot')}{when}: {verdict_summary(stats)}. Scored with model {model.version}.",
    ]
    lines += [f"- {message}" for message in key_messages(scored, scored, model)]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# demo, db upgrade, backup, restore
# --------------------------------------------------------------------------------------------


@cli.command(
    short_help="Load the demo portfolio (fifteen pilots with monthly history).",
    epilog=examples("readiness demo", "readiness demo --if-empty --db sqlite:////tmp/demo.db"),
)
@click.option("--if-empty", is_flag=True, help="Load the demo only when the store holds no assessment yet.")
@db_option
def demo(if_empty: bool, db_url: str | None) -> None:
    """Load the demo portfolio (fifteen pilots with monthly history)."""
    from readiness.demo import load_demo

    with store(db_url) as engine:
        if if_empty and not is_empty(engine):
            snapshots = count_rows(engine)["snapshot"]
            click.echo(f"The store already holds {count_text(snapshots, 'snapshot')}; demo portfolio not loaded.")
            return
        loaded = load_demo(engine, actor=f"{current_user()} (readiness demo)", source="cli")
    click.echo(
        f"Demo portfolio: {count_text(loaded.created, 'snapshot')} of {count_text(loaded.pilots, 'pilot')} loaded",
        nl=False,
    )
    click.echo(f", {loaded.already_present} already present." if loaded.already_present else ".")


@cli.group(
    short_help="Database maintenance: upgrade the schema, grant the app's role.",
    epilog=examples("readiness db upgrade", "readiness db grant-app readiness_app"),
)
def db() -> None:
    """Database maintenance."""


@db.command(
    short_help="Migrate the database to the latest schema.",
    epilog=examples("readiness db upgrade", "readiness db upgrade --db postgresql://user@host/readiness"),
)
@db_option
def upgrade(db_url: str | None) -> None:
    """Migrate the database to the latest schema (the app and the CLI also do on start)."""
    url = database_url(db_url)
    with store(db_url, upgrade=False) as engine:
        result = migrate(engine)
    if result.changed:
        click.echo(f"{redact(url)}: migrated from {result.before or 'an empty database'} to revision {result.after}.")
    else:
        click.echo(f"{redact(url)}: already at the latest revision ({result.after}).")


@db.command(
    "grant-app",
    short_help="PostgreSQL: give an existing role only what the app needs (read, append history).",
    epilog=examples("readiness db grant-app readiness_app --db postgresql://readiness_owner@db/readiness"),
)
@click.argument("role")
@db_option
@click.pass_context
def grant_app(ctx: click.Context, role: str, db_url: str | None) -> None:
    """Grant ROLE SELECT on every table, INSERT on the history tables and UPDATE only on the pilot registry and
    access grants. Run as the schema's owner; the app then connects as ROLE, which, not owning the tables, can
    neither alter, disable nor drop the triggers that keep history append-only."""
    try:
        with store(db_url) as engine:
            statements = grant_app_role(engine, role)
    except InvalidInput as problem:
        for issue in problem.issues:
            click.echo(f"refused: {issue.location}: {issue.message}", err=True)
        ctx.exit(2)
    for statement in statements:
        click.echo(f"{statement};")


@cli.command(
    "backup",
    short_help="Copy the SQLite store to a file, safely while others write.",
    epilog=examples("readiness backup backups/readiness-2026-11-01.db"),
)
@click.argument("out", type=click.Path(readable=False))
@db_option
def backup_command(out: str, db_url: str | None) -> None:
    """Copy the SQLite store to OUT: a consistent copy, also while the app or an import writes.

    OUT is a new file or a regular file, which is replaced; anything else there (a folder, a FIFO, a
    device) and the database itself are refused (exit 2). Restore with `readiness restore OUT`.
    """
    with store(db_url, upgrade=False) as engine:
        written = backup(engine, out)
    click.echo(f"Backed up {redact(engine.url)} to {written} ({written.stat().st_size:,} bytes, integrity ok).")


@cli.command(
    "restore",
    short_help="Replace the SQLite store with a backup (the replaced database is kept beside it).",
    epilog=examples(
        "readiness restore backups/readiness-2026-11-01.db",
        "readiness restore backups/readiness-2026-11-01.db --db sqlite:///data/readiness.db --force",
    ),
)
@click.argument("backup_file", metavar="BACKUP", type=click.Path(readable=False))
@click.option("--force", is_flag=True, help="Replace a database that holds data (a copy of it is kept beside it).")
@db_option
def restore_command(backup_file: str, force: bool, db_url: str | None) -> None:
    """Replace the SQLite store with BACKUP (a file `readiness backup` wrote), then migrate it.

    BACKUP must pass SQLite's integrity check, hold the Readiness tables, and be at a schema revision this
    version knows. A store that holds pilots, snapshots, audit entries or grants is replaced only with
    --force; the replaced database is kept beside it as <db>.before-restore-<UTC time>. The restore is one
    transaction of the database, so a running app never sees a mix (restart it afterwards, so that no cache
    keeps the replaced data). For PostgreSQL use pg_restore (or psql for a plain SQL dump).
    """
    url = database_url(db_url)
    result = restore(backup_file, url, force=force)
    checked = result.checked
    click.echo(
        f"Checked {result.backup}: integrity ok, schema revision {checked.revision}, "
        f"{count_text(checked.pilots, 'pilot')}, {count_text(checked.snapshots, 'snapshot')}."
    )
    if result.kept is not None:
        click.echo(f"Kept the replaced database as {result.kept}.")
    click.echo(f"Restored {result.backup} into {result.database}.")
    migration = result.migration
    if migration.changed:
        click.echo(f"Migrated from revision {migration.before} to {migration.after}.")
    else:
        click.echo(f"Schema already at the latest revision ({migration.after}).")


@cli.command(
    "audit",
    short_help="Show the audit log: who wrote what, when, from which file.",
    epilog=examples("readiness audit", "readiness audit --limit 200 --json > audit.json"),
)
@click.option(
    "--limit", default=50, show_default=True, metavar="N", type=click.IntRange(min=1), help="How many entries."
)
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@db_option
def audit_command(limit: int, as_json: bool, db_url: str | None) -> None:
    """Show the append-only audit log, newest first: who wrote what, when, and from which file."""
    with store(db_url) as engine:
        rows = audit_rows(audit_entries(engine, limit=limit))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("The audit log is empty: nothing has been written to this store yet.")
        return
    for row in rows:
        source = f"  file sha256 {row['source_hash'][:12]}…" if row["source_hash"] else ""
        click.echo(f"{row['at']}  {row['actor']:<28} {row['action']:<16} {row['what']}{source}")
