"""Uploaded files, from bytes to stored snapshots: validate, preview, then import on confirmation.

The upload page only wires widgets to these functions, so the same rules apply whether a workbook
arrives through the browser, a test or a script: a file is judged as a whole, its problems are located
(sheet and cell for workbooks, field for JSON), and a file with any error writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from readiness.assessment import Assessment
from readiness.errors import InvalidInput, Issue, IssueReport
from readiness.excel import read_workbook
from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.portfolio import assessments_to_frame, score_frame
from readiness.scoring import VERDICT_LABELS
from readiness.sources import read_json_assessments
from readiness.store import add_assessments

ACCEPTED_SUFFIXES = (".xlsx", ".json")
ISSUE_COLUMNS = ["severity", "sheet", "cell", "message"]


@dataclass
class FileReport(IssueReport):
    """What one uploaded file holds and what is wrong with it; ``ok`` when it can be imported."""

    name: str
    source_hash: str
    kind: str
    assessments: list[Assessment] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class ImportOutcome:
    """The result of importing one file: how many snapshots were new and how many already stored."""

    name: str
    created: int
    already_present: int

    @property
    def message(self) -> str:
        """One line for the user."""
        if self.created == 0:
            return f"{self.name}: already present, nothing new to import"
        extra = f", {self.already_present} already present" if self.already_present else ""
        plural = "s" if self.created != 1 else ""
        return f"{self.name}: {self.created} snapshot{plural} imported{extra}"


def file_hash(data: bytes) -> str:
    """SHA-256 of the file's bytes: the same file always has the same hash, so re-imports are no-ops."""
    return hashlib.sha256(data).hexdigest()


def source_kind(name: str) -> str:
    """``excel`` or ``json`` from the file name, or ``""`` for anything else."""
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return "excel"
    if lowered.endswith(".json"):
        return "json"
    return ""


def validate_upload(name: str, data: bytes) -> FileReport:
    """Read and check one uploaded file without writing anything.

    Never raises for bad input: every problem comes back as an :class:`Issue` in the report.
    """
    kind = source_kind(name)
    report = FileReport(name=name, source_hash=file_hash(data), kind=kind)
    if not kind:
        accepted = " or ".join(ACCEPTED_SUFFIXES)
        report.issues.append(Issue("error", "", f"unsupported file type: expected {accepted}"))
        return report
    if not data:
        report.issues.append(Issue("error", "", "the file is empty"))
        return report
    try:
        if kind == "excel":
            workbook = read_workbook(data, name)
            report.assessments, report.issues = list(workbook.assessments), list(workbook.issues)
        else:
            report.assessments = read_json_assessments(data, name)
    except InvalidInput as problem:
        report.assessments = []
        report.issues = [*problem.issues, *problem.warnings]
    if not report.assessments and not report.errors:
        report.issues.append(Issue("error", "", "the file holds no assessment"))
    return report


def split_location(location: str) -> tuple[str, str]:
    """``Metrics!E7`` → (``Metrics``, ``E7``); a JSON field such as ``metrics.x`` stays whole as the cell."""
    sheet, bang, cell = location.rpartition("!")
    if bang:
        return sheet.strip("'"), cell
    return "", location


def issues_frame(issues: Sequence[Issue]) -> pd.DataFrame:
    """The validation report as a table: severity, sheet, cell (or field) and message; errors first."""
    rows = []
    for issue in sorted(issues, key=lambda i: i.severity != "error"):
        sheet, cell = split_location(issue.location)
        rows.append({"severity": issue.severity, "sheet": sheet, "cell": cell, "message": issue.message})
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


def preview_frame(assessments: Sequence[Assessment], model: ReadinessModel | None = None) -> pd.DataFrame:
    """The scores the file would give, one row per assessment: pilot, date, verdict, overall, six gaps."""
    model = model or load_model()
    columns = ["pilot", "as_of", "verdict", "overall", *GAP_IDS]
    if not assessments:
        return pd.DataFrame(columns=columns)
    scored = score_frame(assessments_to_frame(assessments, model), model)
    frame = pd.DataFrame(
        {
            "pilot": scored["pilot"].to_numpy(),
            "as_of": scored["as_of"].to_numpy(),
            "verdict": scored["verdict"].map(VERDICT_LABELS).to_numpy(),
            "overall": scored["overall"].round(1).to_numpy(),
        }
    )
    for gap in GAP_IDS:
        frame[gap] = scored[f"score.{gap}"].round(1).to_numpy()
    return frame


def import_report(engine: Engine, report: FileReport, actor: str | None = None) -> ImportOutcome:
    """Store every assessment of a valid file in one transaction (all or nothing).

    Raises :class:`InvalidInput` when the file has errors: such a file must never reach the store.
    """
    if not report.ok:
        raise InvalidInput(report.errors or [Issue("error", "", "the file holds no assessment")], report.name)
    source = "excel" if report.kind == "excel" else "app"
    results = add_assessments(
        engine, report.assessments, source=source, actor=actor, source_hash=report.source_hash, origin=report.name
    )
    created = sum(1 for r in results if r.created)
    return ImportOutcome(name=report.name, created=created, already_present=len(results) - created)


def import_reports(
    engine: Engine,
    reports: Sequence[FileReport],
    actor: str | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> tuple[list[ImportOutcome], list[tuple[str, str]]]:
    """Import every valid file, each in its own transaction; a failing file does not stop the others.

    Returns the outcomes and, for files that could not be stored, (file name, reason) pairs.
    ``on_progress(done, total, name)`` is called after each file, for a progress bar.
    """
    outcomes: list[ImportOutcome] = []
    failures: list[tuple[str, str]] = []
    valid = [r for r in reports if r.ok]
    for done, report in enumerate(valid, start=1):
        try:
            outcomes.append(import_report(engine, report, actor))
        except InvalidInput as problem:
            failures.append((report.name, problem.summary()))
        if on_progress is not None:
            on_progress(done, len(valid), report.name)
    return outcomes, failures
