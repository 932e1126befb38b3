"""Commands of the Excel round trip: ``template`` and ``export FORMAT OUT``.

``export`` dispatches through :mod:`readiness.exporters`, so formats added there (the board pack's
deck, HTML, PNG) appear here without a change to this module.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from readiness.assessment import Assessment
from readiness.cli.main import cli
from readiness.errors import InvalidInput, Issue
from readiness.excel.export import write_atomically
from readiness.excel.template import template_bytes
from readiness.exporters import EXPORTERS, ExportRequest, get_exporter
from readiness.model import load_model

DB_HELP = "Database URL (default: READINESS_DATABASE_URL, then data/readiness.db)."


def _engine(db: str | None):
    from readiness.store.engine import database_url, make_engine
    from readiness.store.migrate import migrate

    engine = make_engine(database_url(db))
    migrate(engine)
    return engine


def _last_snapshot(db: str | None, pilot: str) -> Assessment:
    from readiness.store.repository import list_pilots, pilot_history

    engine = _engine(db)
    try:
        history = pilot_history(engine, pilot)
        if history:
            return history[-1].assessment
        names = [p.context.name for p in list_pilots(engine)]
    finally:
        engine.dispose()
    close = [n for n in names if pilot.casefold() in n.casefold()][:5] or names[:5]
    hint = f"; known pilots include {', '.join(repr(n) for n in close)}" if close else "; the store has no pilot yet"
    raise InvalidInput([Issue("error", "--pilot", f"no pilot named {pilot!r}{hint}")])


def _snapshots(db: str | None, as_of: date | None, history: bool) -> list[Assessment]:
    from readiness.store.repository import latest_assessments, list_pilots, pilot_history

    engine = _engine(db)
    try:
        if not history:
            return [s.assessment for s in latest_assessments(engine, as_of)]
        chosen = []
        for record in list_pilots(engine):
            chosen += [s.assessment for s in pilot_history(engine, record.context.name)]
    finally:
        engine.dispose()
    return [a for a in chosen if as_of is None or a.as_of <= as_of]


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--pilot", default=None, help="Prefill with this pilot's last snapshot (from the database).")
@click.option("--db", default=None, help=DB_HELP)
def template(out: Path, pilot: str | None, db: str | None) -> None:
    """Write the self-assessment template OUT.xlsx (blank, or prefilled with --pilot)."""
    if out.suffix.lower() != ".xlsx":
        raise InvalidInput(
            [Issue("error", "OUT", f"the template is an .xlsx workbook, not {out.suffix or 'no suffix'}")]
        )
    prefill = _last_snapshot(db, pilot) if pilot else None
    write_atomically(out, template_bytes(prefill))
    what = f"prefilled with {prefill.pilot.name!r} as of {prefill.as_of}" if prefill else "blank"
    click.echo(f"wrote {out} (template, {what})")


class _ExportCommand(click.Command):
    """Lists the registered formats at help time, after every module has had its chance to register."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Formats"):
            formatter.write_dl([(f.name, f.description) for f in EXPORTERS.values()])


@cli.command("export", cls=_ExportCommand)
@click.argument("fmt", metavar="FORMAT")
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Use the snapshots on or before this date (YYYY-MM-DD).",
)
@click.option("--history", is_flag=True, help="Every snapshot instead of each pilot's latest.")
@click.option(
    "--pilots",
    "pilot_names",
    multiple=True,
    help="Board pack only: the pilots that get a page, in order (repeat, or separate with commas; default: all).",
)
@click.option("--db", default=None, help=DB_HELP)
def export(
    fmt: str, out: Path, as_of: datetime | None, history: bool, pilot_names: tuple[str, ...], db: str | None
) -> None:
    """Export the stored portfolio as FORMAT (listed below) to OUT."""
    chosen = get_exporter(fmt)
    day = as_of.date() if as_of else None
    assessments = _snapshots(db, day, history or chosen.history)
    names = [n.strip() for value in pilot_names for n in value.split(",") if n.strip()] or None
    if not assessments:
        raise InvalidInput([Issue("error", "", "the store holds no snapshot to export (try `readiness demo`)")])
    request = ExportRequest(out, assessments, day, history or chosen.history, load_model(), names)
    chosen.write(request)
    pilots = len({a.pilot.name for a in assessments})
    click.echo(f"wrote {out} ({chosen.name}: {len(assessments)} snapshots of {pilots} pilots)")
