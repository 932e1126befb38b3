"""One way out: every export (workbook, CSV, board deck, HTML report, chart images) is a registered format
that renders an :class:`ExportRequest`, whether ``readiness export`` or the Export page asked for it.

A request names what to export with an :class:`ExportScope`: the date (each pilot's latest snapshot on or
before it), whether tabular formats carry every snapshot, the pilots in view (the dashboard's filters;
empty: all) and the chosen pilots (the rows of a table, the pilot pages of a deck; empty: all rows, the
default pages). Formats are registered here (``xlsx``, ``csv``) and by :mod:`readiness.boardpack.export`
(``deck``, ``html``, ``png``, ``svg``, ``charts``) so a new format needs no change to the CLI or the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Engine

from readiness.assessment import Assessment
from readiness.errors import InvalidInput, Issue
from readiness.model import ReadinessModel, load_model
from readiness.portfolio import latest_per_pilot
from readiness.service.portfolio import check_pilots

if TYPE_CHECKING:
    from readiness.boardpack.data import BoardPack

DEFAULT_TITLE = "AI pilot portfolio"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ExportScope:
    """What an export holds.

    ``as_of``: the day it describes (None: as it stands). ``history``: tabular formats write every snapshot
    up to that day instead of each pilot's latest. ``within``: the pilots in view (the filters; empty: the
    whole portfolio). ``pilots``: the chosen pilots, in order (a table's rows, a deck's pilot pages; empty:
    every pilot in view, and the default pilot pages).
    """

    as_of: date | None = None
    history: bool = False
    within: tuple[str, ...] = ()
    pilots: tuple[str, ...] = ()

    def describe(self) -> str:
        """The scope in words: ``each pilot's latest snapshot, as of today, 4 pilots in view``."""
        what = "every snapshot" if self.history else "each pilot's latest snapshot"
        when = f"up to {self.as_of.isoformat()}" if self.as_of else "as of today"
        view = f", {len(self.within)} pilot{'s' if len(self.within) != 1 else ''} in view" if self.within else ""
        return f"{what}, {when}{view}"

    def stem(self, kind: str = "portfolio") -> str:
        """A file name without extension: ``readiness-portfolio-history-2026-11-27``."""
        day = (self.as_of or date.today()).isoformat()
        return f"readiness-{kind}{'-history' if self.history and kind == 'portfolio' else ''}-{day}"

    def title(self) -> str:
        """The title written into a workbook, the same from the CLI and the page."""
        when = f" as of {self.as_of.isoformat()}" if self.as_of else ""
        return f"{DEFAULT_TITLE}{' history' if self.history else ''}: production readiness{when}"


@dataclass
class Selection:
    """What an export ended up holding, filled in as it renders (for the message that reports it)."""

    snapshots: int = 0
    pilots: int = 0

    def describe(self) -> str:
        """``24 snapshots of 16 pilots``."""
        return (
            f"{self.snapshots} snapshot{'s' if self.snapshots != 1 else ''} of "
            f"{self.pilots} pilot{'s' if self.pilots != 1 else ''}"
        )


@dataclass(frozen=True)
class ExportRequest:
    """An export to render: the store, the scope and the model; ``selected`` reports what it held."""

    engine: Engine
    scope: ExportScope = ExportScope()
    model: ReadinessModel = field(default_factory=load_model)
    progress: Progress | None = None
    selected: Selection = field(default_factory=Selection)

    def assessments(self) -> list[Assessment]:
        """The snapshots a table holds: in view and chosen, latest or every one, up to the as-of date.

        Raises :class:`InvalidInput` when the store holds nothing by then or a chosen pilot is unknown.
        """
        from readiness.store import all_assessments

        stored = [s.assessment for s in all_assessments(self.engine, self.scope.as_of)]
        in_view = [a for a in stored if not self.scope.within or a.pilot.name in self.scope.within]
        _require_snapshots(in_view, self.scope)
        wanted = set(check_pilots(self.scope.pilots, {a.pilot.name for a in in_view}))
        chosen = [a for a in in_view if not self.scope.pilots or a.pilot.name in wanted]
        rows = chosen if self.scope.history else latest_assessments(chosen)
        self.selected.snapshots, self.selected.pilots = len(rows), len({a.pilot.name for a in rows})
        return rows

    def database_files(self) -> tuple[Path, ...]:
        """The files of the store the export reads (SQLite), which no export may write over."""
        from readiness.store import database_files

        return database_files(self.engine)

    def pack(self) -> BoardPack:
        """The board pack of the scope: the portfolio in view, the chosen pilots' pages."""
        from readiness.boardpack.data import pack_from_store

        pack = pack_from_store(
            self.engine, self.scope.as_of, list(self.scope.pilots) or None, self.model, within=self.scope.within or None
        )
        self.selected.snapshots, self.selected.pilots = len(pack.history), len(pack.latest)
        return pack


def _require_snapshots(assessments: Sequence[Assessment], scope: ExportScope) -> None:
    if assessments:
        return
    when = f" on or before {scope.as_of.isoformat()}" if scope.as_of else ""
    view = " among the pilots in view" if scope.within else ""
    message = f"the store holds no snapshot{when}{view} to export (try `readiness demo`)"
    raise InvalidInput([Issue("error", "", message)])


def latest_assessments(assessments: Sequence[Assessment]) -> list[Assessment]:
    """Each pilot's latest snapshot, by the one as-of rule (:func:`readiness.portfolio.latest_per_pilot`)."""
    if not assessments:
        return []
    index = pd.DataFrame(
        {"pilot": [a.pilot.name for a in assessments], "as_of": [a.as_of for a in assessments]}
    ).assign(position=range(len(assessments)))
    return [assessments[k] for k in latest_per_pilot(index)["position"]]


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """A registered format: its name, what it produces, its file suffix and MIME type, and its renderer.

    ``render`` returns the file's bytes (what the Export page offers for download); ``write`` puts the
    export at a path for the CLI, whole or not at all (by default: the rendered bytes, atomically).
    """

    name: str
    description: str
    suffix: str
    mime: str
    render: Callable[[ExportRequest], bytes] | None = None
    write_to: Callable[[ExportRequest, Path | str], None] | None = None

    def write(self, request: ExportRequest, out: Path | str) -> None:
        """Write the export to ``out``: checked before anything is rendered (see :mod:`readiness.outputs`)."""
        if self.write_to is not None:
            self.write_to(request, out)
            return
        from readiness.outputs import check_output, write_output

        assert self.render is not None, f"{self.name} has neither a renderer nor a writer"
        protected = request.database_files()
        path = check_output(out, protected)
        if self.suffix and path.suffix.lower() != self.suffix:
            message = f"the {self.name} export is written to a {self.suffix} file, not {path.suffix or 'no suffix'}"
            raise InvalidInput([Issue("error", "OUT", message)])
        write_output(path, self.render(request), protected)


EXPORTERS: dict[str, ExportFormat] = {}


def register_exporter(export_format: ExportFormat) -> ExportFormat:
    """Add (or replace) a format in the registry."""
    EXPORTERS[export_format.name] = export_format
    return export_format


def get_exporter(name: str) -> ExportFormat:
    """The format called ``name``, or :class:`InvalidInput` listing the known ones."""
    _register_board_pack()
    found = EXPORTERS.get(name.strip().lower())
    if found is None:
        known = ", ".join(sorted(EXPORTERS)) or "none"
        raise InvalidInput([Issue("error", "FORMAT", f"unknown export format {name!r}: expected one of {known}")])
    return found


def export_formats() -> list[ExportFormat]:
    """Every registered format, in registration order."""
    _register_board_pack()
    return list(EXPORTERS.values())


def _register_board_pack() -> None:
    # Registers deck, html, png, svg and charts; cheap (the renderers load on first use).
    import readiness.boardpack.export  # noqa: F401


def render_export(name: str, request: ExportRequest) -> bytes:
    """The bytes of one export (what the Export page offers for download)."""
    export_format = get_exporter(name)
    if export_format.render is None:
        raise InvalidInput([Issue("error", "FORMAT", f"the {name} export writes files into a folder, not one file")])
    return export_format.render(request)


def write_export(name: str, request: ExportRequest, out: Path) -> None:
    """Write one export to ``out`` (what ``readiness export`` does)."""
    get_exporter(name).write(request, out)


def _render_xlsx(request: ExportRequest) -> bytes:
    from readiness.excel.export import portfolio_workbook_bytes

    return portfolio_workbook_bytes(request.assessments(), request.model, request.scope.title())


def _render_csv(request: ExportRequest) -> bytes:
    from readiness.excel.export import portfolio_csv_bytes

    return portfolio_csv_bytes(request.assessments(), request.model)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
register_exporter(
    ExportFormat(
        "xlsx",
        "portfolio workbook: Portfolio (re-importable), Scores and Legend sheets",
        ".xlsx",
        XLSX_MIME,
        render=_render_xlsx,
    )
)
register_exporter(
    ExportFormat(
        "csv", "portfolio as CSV: context, scores, answers, metrics, evidence", ".csv", "text/csv", render=_render_csv
    )
)
