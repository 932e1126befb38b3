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
    """What to export and where: the snapshots chosen (latest per pilot, or the whole history)."""

    out: Path
    assessments: Sequence[Assessment]
    as_of: date | None = None
    history: bool = False
    model: ReadinessModel = field(default_factory=load_model)
    pilots: Sequence[str] | None = None  # the board pack's pilot pages, in order; None: every pilot


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
    write_atomically(request.out, portfolio_workbook_bytes(request.assessments, request.model, title))


def _write_csv(request: ExportRequest) -> None:
    from readiness.excel.export import portfolio_csv_bytes, write_atomically

    write_atomically(request.out, portfolio_csv_bytes(request.assessments, request.model))


register_exporter(
    ExportFormat(
        "xlsx", "portfolio workbook: Portfolio (re-importable), Scores and Legend sheets", ".xlsx", _write_xlsx
    )
)
register_exporter(
    ExportFormat("csv", "portfolio as CSV: context, scores, answers, metrics, evidence", ".csv", _write_csv)
)
