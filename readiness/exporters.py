"""The export formats of ``readiness export FORMAT OUT``, as a registry other modules extend.

product.md names ``readiness export deck|xlsx|csv|html OUT``: one command, a format argument. Each
format registers an :class:`ExportFormat` here (this module registers ``xlsx`` and ``csv``; the board
pack adds its own with :func:`register_exporter`), so the CLI and the Export page dispatch through the
same table and a new format needs no change to either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from readiness.assessment import Assessment
from readiness.errors import InvalidInput, Issue
from readiness.model import ReadinessModel, load_model


@dataclass(frozen=True)
class ExportRequest:
    """What to export and where.

    ``assessments`` holds every snapshot on or before ``as_of`` (the whole history, so that a deck can
    draw trends); each format picks what it shows. Tabular formats write :meth:`chosen`: each pilot's
    latest snapshot, or every snapshot when ``history`` is set, limited to ``pilots`` when any are named.
    """

    out: Path
    assessments: Sequence[Assessment]
    as_of: date | None = None
    history: bool = False
    pilots: tuple[str, ...] = ()
    model: ReadinessModel = field(default_factory=load_model)

    def chosen(self) -> list[Assessment]:
        """The snapshots a table of the portfolio holds, or :class:`InvalidInput` for an unknown pilot."""
        known = {a.pilot.name for a in self.assessments}
        unknown = [p for p in self.pilots if p not in known]
        if unknown:
            names = ", ".join(repr(n) for n in sorted(known)[:5]) or "none"
            message = f"no pilot named {unknown[0]!r} (known pilots include {names})"
            raise InvalidInput([Issue("error", "--pilots", message)])
        wanted = [a for a in self.assessments if not self.pilots or a.pilot.name in self.pilots]
        return list(wanted) if self.history else latest_per_pilot(wanted)


def latest_per_pilot(assessments: Sequence[Assessment]) -> list[Assessment]:
    """Each pilot's most recent snapshot (the later one in the sequence when two share a date)."""
    latest: dict[str, Assessment] = {}
    for assessment in assessments:
        current = latest.get(assessment.pilot.name)
        if current is None or assessment.as_of >= current.as_of:
            latest[assessment.pilot.name] = assessment
    return list(latest.values())


@dataclass(frozen=True)
class ExportFormat:
    """A registered format: its name on the command line, what it produces, and the function that writes it.

    ``write`` must write ``request.out`` whole or not at all (see
    :func:`readiness.excel.export.write_atomically`).
    """

    name: str
    description: str
    suffix: str
    write: Callable[[ExportRequest], None]
    history: bool = False  # always export from every snapshot (the board pack's trends and previous radars)


EXPORTERS: dict[str, ExportFormat] = {}


def register_exporter(export_format: ExportFormat) -> ExportFormat:
    """Add (or replace) a format in the registry."""
    EXPORTERS[export_format.name] = export_format
    return export_format


def get_exporter(name: str) -> ExportFormat:
    """The format called ``name``, or :class:`InvalidInput` listing the known ones."""
    found = EXPORTERS.get(name.strip().lower())
    if found is None:
        known = ", ".join(sorted(EXPORTERS)) or "none"
        raise InvalidInput([Issue("error", "FORMAT", f"unknown export format {name!r}: expected one of {known}")])
    return found


def _write_xlsx(request: ExportRequest) -> None:
    from readiness.excel.export import portfolio_workbook_bytes, write_atomically

    when = f" as of {request.as_of.isoformat()}" if request.as_of else ""
    title = f"AI pilot portfolio{' history' if request.history else ''}: production readiness{when}"
    write_atomically(request.out, portfolio_workbook_bytes(request.chosen(), request.model, title))


def _write_csv(request: ExportRequest) -> None:
    from readiness.excel.export import portfolio_csv_bytes, write_atomically

    write_atomically(request.out, portfolio_csv_bytes(request.chosen(), request.model))


register_exporter(
    ExportFormat(
        "xlsx", "portfolio workbook: Portfolio (re-importable), Scores and Legend sheets", ".xlsx", _write_xlsx
    )
)
register_exporter(
    ExportFormat("csv", "portfolio as CSV: context, scores, answers, metrics, evidence", ".csv", _write_csv)
)
