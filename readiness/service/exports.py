"""One way out: every export (workbook, CSV, board deck, HTML report, chart images) is a registered format
that renders an :class:`ExportRequest`, whether ``readiness export`` or the Export page asked for it.

A request names what to export with an :class:`ExportScope`: the date (each pilot's latest snapshot on or
before it), whether tabular formats carry every snapshot, the pilots in view (the dashboard's filters;
empty: all) and the chosen pilots (the rows of a table, the pilot pages of a deck; empty: all rows, the
default pages). Formats are registered here (``xlsx``, ``csv``) and by :mod:`readiness.boardpack.export`
(``deck``, ``html``, ``png``, ``svg``, ``charts``) so a new format needs no change to the CLI or the page.

What-if scenarios: a scope may name saved scenarios (``scenarios``); the formats that can show one (the
workbook, the deck, the HTML report: ``ExportFormat.scenarios``) add a sheet, a slide or a section for each,
projected on the portfolio the export describes (the as-of date, the pilots in view) and labelled a
projection; any other format refuses them rather than leave them out silently. :func:`scenario_deck` and
:func:`scenario_workbook` export one projection alone (what the what-if page downloads). A projection never
changes a stored snapshot: every export reads the store, none writes it.

Permissions: every export needs the ``export`` action (:mod:`readiness.service.access`), checked here before
anything is read, whoever asks (the Export page, the what-if page, ``readiness export``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Engine

from readiness.assessment import Assessment
from readiness.errors import InvalidInput, Issue
from readiness.model import ReadinessModel, load_model
from readiness.portfolio import latest_per_pilot
from readiness.service.access import Identity, ambient_identity, require
from readiness.service.portfolio import check_pilots

if TYPE_CHECKING:
    from readiness.boardpack.data import BoardPack
    from readiness.service.whatif import WhatIfResult

DEFAULT_TITLE = "AI pilot portfolio"
# The next best fixes a scenario's slide and sheet list after its plan (the what-if CLI's default too).
SCENARIO_GREEDY_STEPS = 5
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ExportScope:
    """What an export holds.

    ``as_of``: the day it describes (None: as it stands). ``history``: tabular formats write every snapshot
    up to that day instead of each pilot's latest. ``within``: the pilots in view (the filters; empty: the
    whole portfolio). ``pilots``: the chosen pilots, in order (a table's rows, a deck's pilot pages; empty:
    every pilot in view, and the default pilot pages). ``scenarios``: saved what-if scenarios, by name, that
    the workbook, deck and report add as projections (empty: none).
    """

    as_of: date | None = None
    history: bool = False
    within: tuple[str, ...] = ()
    pilots: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()

    def describe(self) -> str:
        """The scope in words: ``each pilot's latest snapshot, as of today, 4 pilots in view, 1 scenario
        (projection)``."""
        what = "every snapshot" if self.history else "each pilot's latest snapshot"
        when = f"up to {self.as_of.isoformat()}" if self.as_of else "as of today"
        view = f", {len(self.within)} pilot{'s' if len(self.within) != 1 else ''} in view" if self.within else ""
        count = len(self.scenarios)
        projections = f", {count} scenario{'s (projections)' if count != 1 else ' (projection)'}" if count else ""
        return f"{what}, {when}{view}{projections}"

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
    """An export to render: the store, the scope and the model; ``selected`` reports what it held.
    ``identity``: who asks (None: the ambient identity, :func:`readiness.service.access.ambient_identity`)."""

    engine: Engine
    scope: ExportScope = ExportScope()
    model: ReadinessModel = field(default_factory=load_model)
    progress: Progress | None = None
    selected: Selection = field(default_factory=Selection)
    identity: Identity | None = None
    # The scope's scenarios once projected: the deck and the report of one request project them once.
    _projected: list[WhatIfResult] = field(default_factory=list, repr=False, compare=False)

    def check(self) -> None:
        """Refuse unless the identity may ``export`` (:class:`~readiness.service.access.NotPermitted`)."""
        require(self.identity or ambient_identity(), "export")

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
        if self.scope.scenarios:
            pack = replace(pack, scenarios=tuple(self.scenario_results()))
        return pack

    def scenario_results(self) -> list[WhatIfResult]:
        """The scope's scenarios projected on the portfolio the export describes (:func:`scenario_results`),
        once per request."""
        if self.scope.scenarios and not self._projected:
            self._projected.extend(
                scenario_results(self.engine, self.scope.scenarios, as_of=self.scope.as_of, within=self.scope.within,
                                 identity=self.identity, model=self.model)
            )  # fmt: skip
        return list(self._projected)


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
# What-if scenarios: projections, exported beside the portfolio or alone
# --------------------------------------------------------------------------------------------


def scenario_results(
    engine: Engine,
    names: Sequence[str],
    *,
    as_of: date | None = None,
    within: Sequence[str] = (),
    identity: Identity | None = None,
    model: ReadinessModel | None = None,
    greedy_steps: int = SCENARIO_GREEDY_STEPS,
) -> list[WhatIfResult]:
    """The saved scenarios ``names`` (matched as names are; one projection each, in the order given) projected
    on the portfolio an export describes: each pilot's latest snapshot on or before ``as_of``, of the pilots
    ``within`` (empty: every pilot). So the "before" of a scenario's slide is the portfolio the deck's summary
    shows. Needs ``export``; :class:`InvalidInput` for an unknown name (naming the saved ones), a scope that
    names no pilot of that portfolio, or nothing stored by then. Reads the store, never writes it."""
    from readiness.service.whatif import run_scenario
    from readiness.store import portfolio_frame

    identity = identity or ambient_identity()
    require(identity, "export")
    model = model or load_model()
    frame = portfolio_frame(engine, as_of, model=model)
    if within:
        frame = frame[frame["pilot"].isin(list(within))].reset_index(drop=True)
    results: list[WhatIfResult] = []
    seen: set[int] = set()
    for name in names:
        try:
            result = run_scenario(engine, name, greedy_steps=greedy_steps, identity=identity, model=model, frame=frame)
        except InvalidInput as problem:
            # An unknown name says so itself. Otherwise the scenario's scope (a unit, chosen pilots) names no pilot
            # of the portfolio exported (by the as-of date, in view): the message names the scenario.
            if problem.source or any(issue.location == "scenario" for issue in problem.issues):
                raise
            issues = [Issue(issue.severity, "scope", issue.message) for issue in problem.issues]
            raise InvalidInput(issues, f"scenario {name!r}") from None
        assert result.scenario is not None
        if result.scenario.id not in seen:  # two spellings of one name: one projection
            seen.add(result.scenario.id)
            results.append(result)
    return results


def with_next_fixes(result: WhatIfResult, steps: int = SCENARIO_GREEDY_STEPS) -> WhatIfResult:
    """``result`` with its next best fixes: a projection made without them (``greedy_steps=0``) gets them as
    the use case would have listed them (:func:`readiness.whatif.next_best_fixes` on the portfolio after the
    plan, over the same scope), so an exported slide never says "no fix left" for a list nobody asked for."""
    if result.greedy or steps <= 0:
        return result
    from readiness.whatif import next_best_fixes

    projection = result.projection
    greedy = next_best_fixes(projection.frame_after, result.model, projection.in_scope, steps)
    return replace(result, greedy=tuple(greedy))


def scenario_deck(result: WhatIfResult, *, identity: Identity | None = None, title: str = DEFAULT_TITLE) -> bytes:
    """One projection (saved as a scenario or not) as a one-slide deck (.pptx bytes) in the board deck's look,
    tagged a projection, with its next best fixes (:func:`with_next_fixes`). Needs ``export``."""
    from readiness.boardpack.deck import build_scenario_deck

    require(identity or ambient_identity(), "export")
    return build_scenario_deck([with_next_fixes(result)], title)


def scenario_workbook(result: WhatIfResult, *, identity: Identity | None = None) -> bytes:
    """One projection (saved as a scenario or not) as a one-sheet workbook (.xlsx bytes), labelled a
    projection, with its next best fixes (:func:`with_next_fixes`). Needs ``export``."""
    from readiness.excel.scenario import scenario_workbook_bytes

    require(identity or ambient_identity(), "export")
    return scenario_workbook_bytes([with_next_fixes(result)])


def scenario_stem(result: WhatIfResult) -> str:
    """A file name without extension for one projection: ``readiness-scenario-q3-data-push-2026-11-27``, or
    ``readiness-what-if-2026-11-27`` for a plan not saved (only letters, digits and dashes: a scenario's name
    may hold anything)."""
    day = date.today().isoformat()
    if result.scenario is None:
        return f"readiness-what-if-{day}"
    slug = "-".join("".join(c if c.isascii() and c.isalnum() else " " for c in result.scenario.name.lower()).split())
    return f"readiness-scenario-{slug[:60].strip('-') or 'unnamed'}-{day}"


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
    scenarios: bool = False  # whether it shows what-if scenarios (a slide, a sheet, a section for each)

    def check(self, request: ExportRequest) -> None:
        """Refuse the request before any work: the identity may not ``export``, or the scope names scenarios
        this format cannot show (left out silently, a reader would miss them)."""
        request.check()
        if request.scope.scenarios and not self.scenarios:
            takes = ", ".join(f.name for f in export_formats() if f.scenarios)
            message = f"the {self.name} export cannot show what-if scenarios: use {takes}, or drop --scenario"
            raise InvalidInput([Issue("error", "--scenario", message)])

    def write(self, request: ExportRequest, out: Path | str) -> None:
        """Write the export to ``out``: checked before anything is rendered (see :mod:`readiness.outputs`)."""
        self.check(request)
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
    export_format.check(request)
    return export_format.render(request)


def write_export(name: str, request: ExportRequest, out: Path) -> None:
    """Write one export to ``out`` (what ``readiness export`` does)."""
    get_exporter(name).write(request, out)


def _render_xlsx(request: ExportRequest) -> bytes:
    from readiness.excel.export import portfolio_workbook_bytes

    assessments = request.assessments()  # first: an empty scope says so before any scenario is projected
    return portfolio_workbook_bytes(assessments, request.model, request.scope.title(), request.scenario_results())


def _render_csv(request: ExportRequest) -> bytes:
    from readiness.excel.export import portfolio_csv_bytes

    return portfolio_csv_bytes(request.assessments(), request.model)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
register_exporter(
    ExportFormat(
        "xlsx",
        "portfolio workbook: Portfolio (re-importable), Scores and Legend sheets; a sheet per --scenario",
        ".xlsx",
        XLSX_MIME,
        render=_render_xlsx,
        scenarios=True,
    )
)
register_exporter(
    ExportFormat(
        "csv", "portfolio as CSV: context, scores, answers, metrics, evidence", ".csv", "text/csv", render=_render_csv
    )
)
