"""Commands of the Excel round trip: ``template`` and ``export FORMAT OUT``.

``export`` dispatches through the export registry of :mod:`readiness.service.exports`, so formats added
there (the board pack's deck, HTML, PNG) appear here without a change to this module.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from readiness.assessment import Assessment
from readiness.cli.main import cli, examples
from readiness.cli.store_commands import as_of_option
from readiness.errors import InvalidInput, Issue
from readiness.excel.template import template_bytes
from readiness.model import load_model
from readiness.outputs import check_output, write_output
from readiness.service.exports import ExportRequest, ExportScope, export_formats, get_exporter

DB_HELP = "Database URL (default: $READINESS_DATABASE_URL, else the SQLite file data/readiness.db)."


def _last_snapshot(db: str | None, pilot: str) -> Assessment:
    from readiness.cli.store_commands import store
    from readiness.store.repository import list_pilots, pilot_history

    with store(db) as engine:
        history = pilot_history(engine, pilot)
        if history:
            return history[-1].assessment
        names = [p.context.name for p in list_pilots(engine)]
    close = [n for n in names if pilot.casefold() in n.casefold()][:5] or names[:5]
    hint = f"; known pilots include {', '.join(repr(n) for n in close)}" if close else "; the store has no pilot yet"
    raise InvalidInput([Issue("error", "--pilot", f"no pilot named {pilot!r}{hint}")])


def _pilot_names(values: tuple[str, ...], exact: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``--pilots "A,B" --pilots C`` → (A, B, C), then each ``--pilot NAME`` as it is (a name may hold a comma)."""
    split = (name.strip() for value in values for name in value.split(",") if name.strip())
    return tuple(dict.fromkeys([*split, *(name.strip() for name in exact if name.strip())]))


@cli.command(
    short_help="Write the self-assessment workbook, blank or prefilled.",
    epilog=examples("readiness template team.xlsx", 'readiness template claims.xlsx --pilot "Claims triage"'),
)
@click.argument("out", type=click.Path(readable=False))
@click.option(
    "--pilot", metavar="NAME", default=None, help="Prefill with this pilot's last snapshot (from the database)."
)
@click.option("--db", metavar="URL", default=None, help=DB_HELP)
def template(out: str, pilot: str | None, db: str | None) -> None:
    """Write the self-assessment template OUT.xlsx (blank, or prefilled with --pilot)."""
    protected = _database_files(db)
    path = check_output(out, protected)
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(
            [Issue("error", "OUT", f"the template is an .xlsx workbook, not {path.suffix or 'no suffix'}")]
        )
    prefill = _last_snapshot(db, pilot) if pilot else None
    write_output(path, template_bytes(prefill), protected)
    what = f"prefilled with {prefill.pilot.name!r} as of {prefill.as_of}" if prefill else "blank"
    click.echo(f"wrote {path} (template, {what})")


def _database_files(db: str | None) -> tuple[Path, ...]:
    """The files of the database ``--db`` names, which no output may replace (none when it names no SQLite file)."""
    from readiness.store import database_files, database_url

    try:
        return database_files(database_url(db))
    except InvalidInput:
        return ()


class _ExportCommand(click.Command):
    """Lists the registered formats at help time, after every module has had its chance to register."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Formats"):
            formatter.write_dl([(f.name, f.description) for f in export_formats()])
        super().format_epilog(ctx, formatter)


@cli.command(
    "export",
    cls=_ExportCommand,
    short_help="Export the portfolio: xlsx, csv, deck, html or charts.",
    epilog=examples(
        "readiness export xlsx portfolio.xlsx",
        "readiness export csv history.csv --history",
        'readiness export deck board.pptx --as-of 2026-09-30 --pilots "Claims triage,Invoice matching"',
        "readiness export html report.html",
        'readiness export deck board.pptx --scenario "Q3 data push"   # adds the scenario\'s projection slide',
    ),
)
@click.argument("fmt", metavar="FORMAT")
@click.argument("out", type=click.Path(readable=False))
@as_of_option
@click.option("--history", is_flag=True, help="xlsx, csv: every snapshot instead of each pilot's latest.")
@click.option(
    "--pilots",
    "pilots",
    multiple=True,
    metavar="A,B",
    help="Comma-separated pilot names: the rows of xlsx/csv, the pilot pages of a deck.",
)
@click.option(
    "--pilot",
    "exact_pilots",
    multiple=True,
    metavar="NAME",
    help="One pilot name exactly as written, for a name that holds a comma; repeatable, with or without --pilots.",
)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="NAME",
    help="xlsx, deck, html: add this saved what-if scenario as a projection (a sheet, a slide, a section); "
    "repeatable. Projected on the portfolio exported; nothing stored changes.",
)
@click.option("--db", metavar="URL", default=None, help=DB_HELP)
def export(
    fmt: str,
    out: str,
    as_of: datetime | None,
    history: bool,
    pilots: tuple[str, ...],
    exact_pilots: tuple[str, ...],
    scenarios: tuple[str, ...],
    db: str | None,
) -> None:
    """Export the stored portfolio as FORMAT (listed below) to OUT."""
    from readiness.cli.store_commands import current_user, store
    from readiness.service.access import cli_identity

    chosen = get_exporter(fmt)
    names = _pilot_names(pilots, exact_pilots)
    # A scenario's name is one name, as typed (it may hold a comma); each once.
    wanted = tuple(dict.fromkeys(name.strip() for name in scenarios if name.strip()))
    scope = ExportScope(as_of=as_of.date() if as_of else None, history=history, pilots=names, scenarios=wanted)
    with store(db) as engine:
        request = ExportRequest(engine, scope, load_model(), identity=cli_identity(current_user()))
        chosen.write(request, out)
    click.echo(f"wrote {out} ({chosen.name}, {_scope_text(request)})")


def _scope_text(request: ExportRequest) -> str:
    """What went into the export, in words: ``every snapshot of 16 pilots, as of today; chosen: A, B``."""
    scope = request.scope
    what = "every snapshot" if scope.history else "latest snapshots"
    when = f"as of {scope.as_of.isoformat()}" if scope.as_of else "as of today"
    chosen = f"; chosen: {', '.join(scope.pilots)}" if scope.pilots else ""
    projected = [r.scenario.name for r in request.scenario_results() if r.scenario is not None]
    named = ", ".join(repr(name) for name in projected)  # quoted: a scenario's name may hold a comma
    scenarios = f"; projected scenario{'s' if len(projected) != 1 else ''} {named}" if projected else ""
    pilots = f"{request.selected.pilots} pilot{'s' if request.selected.pilots != 1 else ''}"
    return f"{what} of {pilots}, {when}{chosen}{scenarios}"
