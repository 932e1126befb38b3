"""Import the self-assessment template and the multi-pilot Portfolio sheet: forgiving, then strict.

Forgiving where people are sloppy (docs/contracts.md): header case and spaces, column order, blank rows,
percentages as ``45``, ``"45%"`` or a percent-formatted ``0.45``, booleans as Yes/No/True/False/Y/N/1/0,
dates as Excel dates or ISO text, files saved by Excel, LibreOffice or Google Sheets. Strict where the
data would be wrong: unknown IDs, wrong types, out-of-range values, formulas without a cached value,
error values, and two answers for one question are errors with their sheet and cell. Extra columns
and hidden sheets are warnings. A workbook with any error gives no assessment at all.

Values come from python-calamine (fast); what calamine does not expose (number formats, formulas
without a cached value, error cells) comes from the streaming scan of :mod:`readiness.excel.safe`,
which has also vetted the bytes before calamine sees them.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, Literal

from python_calamine import CalamineWorkbook

from readiness.assessment import (
    STAGES,
    Assessment,
    coerce_metric_value,
    name_key,
    out_of_range_text,
    parse_assessment,
)
from readiness.errors import InvalidInput, Issue, IssueReport
from readiness.excel import layout
from readiness.excel.layout import PILOT_FIELDS, PilotField, normalise_header
from readiness.excel.safe import (
    DEFAULT_LIMITS,
    Limits,
    ScannedWorkbook,
    SheetScan,
    cell_ref,
    column_letter,
    ensure_defusedxml,
    scan_workbook,
)
from readiness.limits import Limits as Caps
from readiness.model import Metric, ReadinessModel, load_model

MAX_TEXT = 32_767  # Excel's own limit for one cell
MAX_ISSUES = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_QUESTION_ID = re.compile(r"^[A-Za-z]+-\d+$")
_METRIC_ID = re.compile(r"^[A-Za-z]+\.[A-Za-z0-9_]+$")
_EVIDENCE_HEADER = re.compile(r"^([a-z]+-\d+)\s*[:_\-]?\s*evidence$")
# A metric's evidence column, as normalise_header leaves it: ``scale.p95 latency s evidence``.
_METRIC_EVIDENCE_HEADER = re.compile(r"^([a-z]+\.[a-z0-9 ]+?)\s*[:\-]?\s*evidence$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
ORPHAN_EVIDENCE = "a reference without the metric's value is ignored: add the value"

ensure_defusedxml()


@dataclass
class WorkbookReport(IssueReport):
    """What a workbook holds and what is wrong with it. ``assessments`` is empty when there is any error."""

    source: str
    kind: Literal["template", "portfolio", "unknown"] = "unknown"
    assessments: list[Assessment] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def raise_for_errors(self) -> list[Assessment]:
        """The assessments, or :class:`InvalidInput` with every issue (errors first)."""
        if self.errors or not self.assessments:
            issues = self.issues or [Issue("error", "", "the workbook holds no assessment")]
            raise InvalidInput(issues, self.source)
        return self.assessments


class _Problems:
    """Collects issues, capped so that a hostile workbook cannot make the report itself huge."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.dropped = 0

    def add(self, severity: Literal["error", "warning"], location: str, message: str) -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(severity, location, message))
        else:
            self.dropped += 1

    def error(self, location: str, message: str) -> None:
        self.add("error", location, message)

    def warning(self, location: str, message: str) -> None:
        self.add("warning", location, message)

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues) or self.dropped > 0

    def final(self) -> list[Issue]:
        issues = sorted(self.issues, key=lambda i: i.severity != "error")
        if self.dropped:
            issues.append(Issue("error", "", f"{self.dropped} more problems not listed: fix the ones above first"))
        return issues


# ------------------------------------------------------------------------------------------------
# Public entry point
# ------------------------------------------------------------------------------------------------


def read_workbook(
    data: bytes,
    source: str = "workbook.xlsx",
    model: ReadinessModel | None = None,
    limits: Limits = DEFAULT_LIMITS,
    caps: Caps | None = None,
) -> WorkbookReport:
    """Read a template or portfolio workbook from untrusted bytes, without writing anything.

    Every problem comes back located in the report (``Metrics!E7``); the only exception this raises
    for any input is :class:`InvalidInput`, and in practice it returns a report instead. ``caps`` (the
    product's caps, :mod:`readiness.limits`) sets the file size and how many pilot rows a Portfolio sheet
    may hold: more is refused before any row is validated.
    """
    model = model or load_model()
    if caps is not None:
        limits = replace(limits, max_file_bytes=caps.max_file_bytes)
    report = WorkbookReport(source=source)
    try:
        scanned = scan_workbook(data, source, limits)
        book = _open_calamine(scanned)
        report.kind, report.assessments, report.issues = _read(scanned, book, model, caps)
    except InvalidInput as problem:
        report.assessments = []
        report.issues = [*problem.issues, *problem.warnings]
    if report.errors:
        report.assessments = []
    return report


def read_workbook_assessments(data: bytes, source: str, model: ReadinessModel | None = None) -> list[Assessment]:
    """The workbook's assessments, or :class:`InvalidInput` naming every problem."""
    return read_workbook(data, source, model).raise_for_errors()


# ------------------------------------------------------------------------------------------------
# Calamine, guarded
# ------------------------------------------------------------------------------------------------


def _damaged(source: str, error: BaseException) -> InvalidInput:
    detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return InvalidInput([Issue("error", "", f"the workbook cannot be read ({detail}): damaged file")], source)


def _guarded(source: str, call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except Exception as error:  # noqa: BLE001 - calamine raises many types; each means a damaged file
        raise _damaged(source, error) from None
    except BaseException as error:
        # A Rust panic surfaces as pyo3's PanicException, which derives from BaseException.
        if type(error).__name__ == "PanicException":
            raise _damaged(source, error) from None
        raise


def sheets_text(names: Iterable[str], shown: int = 8) -> str:
    """A workbook's sheet names for a one-line message: the first few, then how many more (a workbook may hold
    thousands, and a message must stay one line)."""
    names = list(names)
    listed = ", ".join(repr(n[:40]) for n in names[:shown])
    return listed + (f" and {len(names) - shown:,} more" if len(names) > shown else "")


def _open_calamine(scanned: ScannedWorkbook) -> CalamineWorkbook:
    book = _guarded(scanned.source, CalamineWorkbook.from_filelike, io.BytesIO(scanned.data))
    names = list(_guarded(scanned.source, lambda: book.sheet_names))
    if names != list(scanned.sheets):
        # The scan and calamine must see the same workbook, or the scan proved nothing.
        raise InvalidInput(
            [Issue("error", "", "the workbook's sheet list is inconsistent: damaged file")], scanned.source
        )
    return book


@dataclass
class _Sheet:
    """A sheet's values (0-based absolute coordinates) with the scan's per-cell facts."""

    name: str
    scan: SheetScan
    book: CalamineWorkbook
    source: str

    @cached_property
    def _loaded(self) -> Any:
        # Loaded once: the header search and the row loop both walk the sheet.
        return _guarded(self.source, self.book.get_sheet_by_name, self.name)

    def rows(self) -> Iterator[tuple[int, list[Any], int]]:
        """(row index, values, index of the first column) for every row; calamine trims leading columns."""
        sheet = self._loaded
        start = sheet.start or (0, 0)
        for index, values in enumerate(_guarded(self.source, sheet.iter_rows)):
            yield index, values, start[1]

    def ref(self, row: int, column: int) -> str:
        return cell_ref(self.name, row, column)


def _find_sheet(scanned: ScannedWorkbook, wanted: str) -> str | None:
    key = normalise_header(wanted)
    return next((name for name in scanned.sheets if normalise_header(name) == key), None)


# ------------------------------------------------------------------------------------------------
# Cells: one value from calamine, checked against the scan, turned into what the model expects
# ------------------------------------------------------------------------------------------------


class _Bad(ValueError):
    """A cell that cannot be used; the message says why."""


class _Invalid:
    """What :meth:`_Cells.raw` returns for a cell whose problem it has already reported (not a blank)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


@dataclass
class _Cells:
    """Reads cells of one sheet with the strict checks every used cell gets."""

    sheet: _Sheet
    problems: _Problems

    def raw(self, row: int, column: int, values: list[Any], first: int) -> Any:
        """The cell's value: None when blank, :data:`INVALID` after reporting why it cannot be used."""
        scan = self.sheet.scan
        position = (row, column)
        if scan.error_cells and position in scan.error_cells:
            self.problems.error(self.sheet.ref(row, column), f"error value {scan.error_cells[position]} in the cell")
            return INVALID
        if scan.formula_cells and position in scan.formula_cells:
            self.problems.error(
                self.sheet.ref(row, column),
                "a formula without a saved result: type the value, or open and save the file in Excel or LibreOffice",
            )
            return INVALID
        index = column - first
        value = values[index] if 0 <= index < len(values) else ""
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if len(value) > MAX_TEXT:
                self.problems.error(
                    self.sheet.ref(row, column), f"text of {len(value):,} characters (Excel's limit is {MAX_TEXT:,})"
                )
                return INVALID
            if _CONTROL.search(value):
                self.problems.error(self.sheet.ref(row, column), "the text contains control characters")
                return INVALID
        if isinstance(value, float) and not math.isfinite(value):
            self.problems.error(self.sheet.ref(row, column), "not a finite number")
            return INVALID
        return value

    def is_percent(self, row: int, column: int) -> bool:
        return (row, column) in self.sheet.scan.percent_cells


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _Bad(f"expected text, got {value}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise _Bad(f"expected text, got {value!r}")


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).date() if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            raise _Bad(f"expected a date as YYYY-MM-DD or an Excel date, got {value!r}") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _Bad(f"expected a date, got the number {value:g}: format the cell as a date or type YYYY-MM-DD")
    raise _Bad(f"expected a date as YYYY-MM-DD or an Excel date, got {value!r}")


def _number(value: Any, percent_cell: bool = False) -> float:
    """A number from a numeric cell or from text such as ``2.4``, ``1,200`` or ``45%`` (which gives 45).

    ``percent_cell``: the cell is formatted as a percentage, so calamine's ``0.45`` is the ``45%`` the
    user sees (scaled in decimal so that 0.45 gives exactly 45, not 45.00000000000001).
    """
    if isinstance(value, bool | datetime | date | time | timedelta):
        raise _Bad(f"expected a number, got {_shown(value)}")
    if isinstance(value, int | float):
        number = float(value)
        return float(Decimal(repr(number)) * 100) if percent_cell else number
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").removesuffix("%")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = float(Decimal(text))
    except (InvalidOperation, ValueError):
        raise _Bad(f"expected a number, got {_shown(value)}") from None
    if not math.isfinite(number):
        raise _Bad(f"expected a finite number, got {_shown(value)}")
    return number


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and value in (0, 1):
        return "yes" if value == 1 else "no"
    key = str(value).strip().lower()
    if key in layout.ANSWER_WORDS:
        return layout.ANSWER_WORDS[key]
    key = re.sub(r"\s+", " ", key).rstrip(".")
    key = {"n/a": "n/a", "n.a": "n_a"}.get(key, key)
    if key in layout.ANSWER_WORDS:
        return layout.ANSWER_WORDS[key]
    raise _Bad(f"expected Yes, No, Not sure (or N/A on deeper questions), got {_shown(value)}")


def _metric_value(metric: Metric, value: Any, percent_cell: bool) -> bool | float:
    if metric.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return value == 1
        key = str(value).strip().lower()
        if key in layout.BOOL_WORDS:
            return layout.BOOL_WORDS[key]
        raise _Bad(f"expected Yes or No, got {_shown(value)}")
    number = _number(value, percent_cell and metric.kind == "percent")
    try:
        coerce_metric_value(metric, number)  # the core's rule judges the value (type, whole number, range)
    except ValueError as problem:
        # Out of range: say the whole accepted range in words, not only the bound that was crossed.
        raise _Bad(out_of_range_text(metric, number) if _out_of_range(metric, number) else str(problem)) from None
    return number


def _out_of_range(metric: Metric, number: float) -> bool:
    low, high = metric.bounds
    below = low is not None and (number < low or (metric.exclusive_minimum and number == low))
    return below or (high is not None and number > high)


def _pilot_value(spec: PilotField, value: Any) -> Any:
    if spec.kind == "text":
        return _text(value)
    if spec.kind == "date":
        return _date(value).isoformat()
    if spec.kind == "stage":
        stage = _text(value).strip().lower()
        if stage not in STAGES:
            raise _Bad(f"expected one of {', '.join(STAGES)}, got {_shown(value)}")
        return stage
    number = _number(value)
    if spec.kind == "count":
        if not number.is_integer():
            raise _Bad(f"expected a whole number, got {_shown(value)}")
        return int(number)
    return number


# ------------------------------------------------------------------------------------------------
# Headers
# ------------------------------------------------------------------------------------------------


@dataclass
class _Header:
    row: int
    columns: dict[str, int]  # role → 0-based column


def _find_header(
    sheet: _Sheet, required: dict[str, tuple[str, ...]], problems: _Problems
) -> tuple[_Header | None, list[tuple[int, list[Any], int]]]:
    """The first row (of the first 20) naming every required column; also returns the rows read so far."""
    seen: list[tuple[int, list[Any], int]] = []
    for row, values, first in sheet.rows():
        seen.append((row, values, first))
        names = {normalise_header(v): first + i for i, v in enumerate(values) if isinstance(v, str) and v.strip()}
        found = {role: next((names[a] for a in aliases if a in names), None) for role, aliases in required.items()}
        if all(column is not None for column in found.values()):
            return _Header(row, {k: v for k, v in found.items() if v is not None}), seen
        if row + 1 >= layout.HEADER_SCAN_ROWS:
            break
    wanted = " and ".join(f"'{aliases[0].title()}'" for aliases in required.values())
    problems.error(cell_ref(sheet.name, 0, 0).split("!")[0], f"no header row with {wanted} in the first 20 rows")
    return None, seen


def _warn_extra_columns(
    sheet: _Sheet,
    header_values: list[Any],
    first: int,
    header_row: int,
    used: set[int],
    known: tuple[str, ...],
    problems: _Problems,
) -> None:
    for i, value in enumerate(header_values):
        column = first + i
        if column in used or (not (isinstance(value, str) and value.strip()) and not isinstance(value, int | float)):
            continue
        if normalise_header(value) in known:
            continue
        problems.warning(sheet.ref(header_row, column), f"extra column {_shown(value)} is ignored")


def _duplicate_header(
    sheet: _Sheet, values: list[Any], first: int, row: int, aliases: tuple[str, ...], problems: _Problems
) -> None:
    columns = [first + i for i, v in enumerate(values) if isinstance(v, str) and normalise_header(v) in aliases]
    if len(columns) > 1:
        problems.error(sheet.ref(row, columns[1]), f"two columns named {_shown(values[columns[1] - first])}")


# ------------------------------------------------------------------------------------------------
# The one-pilot template
# ------------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """One assessment being assembled, with the cell each field came from."""

    pilot: dict[str, Any] = field(default_factory=dict)
    top: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)  # pilot fields already reported as wrong

    def missing(self, key: str) -> bool:
        """Whether a pilot field has no value and no reported problem (so "required" is worth saying)."""
        return key not in self.pilot and key not in self.top and key not in self.invalid

    def data(self) -> dict[str, Any]:
        return {
            "pilot": self.pilot,
            **self.top,
            "answers": self.answers,
            "evidence": self.evidence,
            "metrics": self.metrics,
        }

    def set_field(self, spec: PilotField, value: Any, location: str) -> None:
        if spec.key in ("as_of", "submitted_by"):
            self.top[spec.key] = value
            self.where[spec.key] = location
        else:
            self.pilot[spec.key] = value
            self.where[f"pilot.{spec.key}"] = location


def _field_by_name() -> dict[str, PilotField]:
    names: dict[str, PilotField] = {}
    for spec in PILOT_FIELDS:
        for name in spec.names:
            names.setdefault(name, spec)
    return names


FIELDS_BY_NAME = _field_by_name()


def _read_pilot_sheet(sheet: _Sheet, draft: _Draft, problems: _Problems) -> None:
    header, seen = _find_header(sheet, {"field": layout.PILOT_FIELD, "value": layout.PILOT_VALUE}, problems)
    if header is None:
        return
    cells = _Cells(sheet, problems)
    field_col, value_col = header.columns["field"], header.columns["value"]
    header_values = next(v for r, v, _ in seen if r == header.row)
    first = next(f for r, _, f in seen if r == header.row)
    _warn_extra_columns(sheet, header_values, first, header.row, {field_col, value_col}, layout.PILOT_INFO, problems)
    found: dict[str, str] = {}
    for row, values, first in sheet.rows():
        if row <= header.row:
            continue
        label = cells.raw(row, field_col, values, first)
        value = cells.raw(row, value_col, values, first)
        if label is INVALID:
            continue
        if label is None:
            if value is not None:
                problems.warning(sheet.ref(row, value_col), "a value without a field name is ignored")
            continue
        spec = FIELDS_BY_NAME.get(normalise_header(label))
        location = sheet.ref(row, value_col)
        if spec is None:
            if value is not None:
                problems.warning(sheet.ref(row, field_col), f"unknown field {_shown(label)} is ignored")
            continue
        if spec.key in found:
            problems.error(location, f"a second row for {spec.label} (the first is {found[spec.key]})")
            continue
        found[spec.key] = location
        if value is None or value is INVALID:
            draft.where.setdefault(
                f"pilot.{spec.key}" if spec.key not in ("as_of", "submitted_by") else spec.key, location
            )
            if value is INVALID:
                draft.invalid.add(spec.key)
            continue
        try:
            draft.set_field(spec, _pilot_value(spec, value), location)
        except _Bad as bad:
            draft.invalid.add(spec.key)
            problems.error(location, f"{spec.label}: {bad}")
    for spec in PILOT_FIELDS:
        if spec.required and draft.missing(spec.key):
            problems.error(found.get(spec.key, sheet.name), f"{spec.label} is required")


def _read_checklist(sheet: _Sheet, draft: _Draft, model: ReadinessModel, problems: _Problems) -> None:
    required = {"id": layout.CHECKLIST_ID, "answer": layout.CHECKLIST_ANSWER}
    header, seen = _find_header(sheet, required, problems)
    if header is None:
        return
    header_values = next(v for r, v, _ in seen if r == header.row)
    first = next(f for r, _, f in seen if r == header.row)
    names = {normalise_header(v): first + i for i, v in enumerate(header_values) if isinstance(v, str)}
    evidence_col = next((names[a] for a in layout.CHECKLIST_EVIDENCE if a in names), None)
    used = {header.columns["id"], header.columns["answer"]} | ({evidence_col} if evidence_col is not None else set())
    _warn_extra_columns(sheet, header_values, first, header.row, used, layout.CHECKLIST_INFO, problems)
    for aliases in (layout.CHECKLIST_ID, layout.CHECKLIST_ANSWER, layout.CHECKLIST_EVIDENCE):
        _duplicate_header(sheet, header_values, first, header.row, aliases, problems)
    questions = {q.id.upper(): q for q in model.questions}
    cells = _Cells(sheet, problems)
    id_col, answer_col = header.columns["id"], header.columns["answer"]
    first_seen: dict[str, str] = {}
    for row, values, first in sheet.rows():
        if row <= header.row:
            continue
        raw_id = cells.raw(row, id_col, values, first)
        answer = cells.raw(row, answer_col, values, first)
        evidence = cells.raw(row, evidence_col, values, first) if evidence_col is not None else None
        if raw_id is INVALID:
            continue
        if raw_id is None:
            if answer is not None or evidence is not None:
                problems.error(sheet.ref(row, id_col), "an answer without a question ID")
            continue
        question = questions.get(_text(raw_id).strip().upper()) if not isinstance(raw_id, bool) else None
        if question is None:
            problems.error(sheet.ref(row, id_col), f"unknown question ID {_shown(raw_id)}")
            continue
        location = sheet.ref(row, answer_col)
        if question.id in first_seen:
            problems.error(location, f"a second answer for {question.id} (the first is at {first_seen[question.id]})")
            continue
        first_seen[question.id] = location
        draft.where[f"answers.{question.id}"] = location
        if answer is not None and answer is not INVALID:
            try:
                draft.answers[question.id] = _answer(answer)
            except _Bad as bad:
                problems.error(location, f"{question.id}: {bad}")
        if evidence is not None and evidence is not INVALID and evidence_col is not None:
            evidence_at = sheet.ref(row, evidence_col)
            draft.where[f"evidence.{question.id}"] = evidence_at
            try:
                draft.evidence[question.id] = _text(evidence)
            except _Bad as bad:  # a TRUE or FALSE cell: evidence is a note or a link
                problems.error(evidence_at, f"{question.id} evidence: {bad}")


def _read_metrics(sheet: _Sheet, draft: _Draft, model: ReadinessModel, problems: _Problems) -> None:
    required = {"id": layout.METRICS_ID, "value": layout.METRICS_VALUE}
    header, seen = _find_header(sheet, required, problems)
    if header is None:
        return
    header_values = next(v for r, v, _ in seen if r == header.row)
    first = next(f for r, _, f in seen if r == header.row)
    names = {normalise_header(v): first + i for i, v in enumerate(header_values) if isinstance(v, str)}
    # Templates made before metric evidence existed have no such column: their values read as self-reported.
    evidence_col = next((names[a] for a in layout.METRICS_EVIDENCE if a in names), None)
    used = {header.columns["id"], header.columns["value"]} | ({evidence_col} if evidence_col is not None else set())
    _warn_extra_columns(sheet, header_values, first, header.row, used, layout.METRICS_INFO, problems)
    for aliases in (layout.METRICS_ID, layout.METRICS_VALUE, layout.METRICS_EVIDENCE):
        _duplicate_header(sheet, header_values, first, header.row, aliases, problems)
    metrics = {m.id.lower(): m for m in model.metrics}
    cells = _Cells(sheet, problems)
    id_col, value_col = header.columns["id"], header.columns["value"]
    first_seen: dict[str, str] = {}
    for row, values, first in sheet.rows():
        if row <= header.row:
            continue
        raw_id = cells.raw(row, id_col, values, first)
        value = cells.raw(row, value_col, values, first)
        evidence = cells.raw(row, evidence_col, values, first) if evidence_col is not None else None
        if raw_id is INVALID:
            continue
        if raw_id is None:
            if value is not None or evidence is not None:
                what = "a value" if value is not None else "evidence"
                problems.error(sheet.ref(row, id_col), f"{what} without a metric ID")
            continue
        metric = metrics.get(_text(raw_id).strip().lower()) if not isinstance(raw_id, bool) else None
        if metric is None:
            problems.error(sheet.ref(row, id_col), f"unknown metric ID {_shown(raw_id)}")
            continue
        location = sheet.ref(row, value_col)
        if metric.id in first_seen:
            problems.error(location, f"a second value for {metric.id} (the first is at {first_seen[metric.id]})")
            continue
        first_seen[metric.id] = location
        draft.where[f"metrics.{metric.id}"] = location
        if evidence is not None and evidence is not INVALID and evidence_col is not None:
            evidence_at = sheet.ref(row, evidence_col)
            draft.where[f"evidence.{metric.id}"] = evidence_at
            if value is None:
                # The core drops a reference that backs no value; said here, at its cell, whatever else fails.
                problems.warning(evidence_at, f"{metric.id}: {ORPHAN_EVIDENCE}")
            else:
                try:
                    draft.evidence[metric.id] = _text(evidence)
                except _Bad as bad:
                    problems.error(evidence_at, f"{metric.id} evidence: {bad}")
        if value is None or value is INVALID:
            continue
        try:
            draft.metrics[metric.id] = _metric_value(metric, value, cells.is_percent(row, value_col))
        except _Bad as bad:
            problems.error(location, f"{metric.id}: {bad}")


def _read_template(
    scanned: ScannedWorkbook, book: CalamineWorkbook, model: ReadinessModel, problems: _Problems
) -> list[Assessment]:
    draft = _Draft()
    names = {key: _find_sheet(scanned, key) for key in (layout.PILOT, layout.CHECKLIST, layout.METRICS)}
    if names[layout.PILOT] is None:
        problems.error("", f"the template has no '{layout.PILOT}' sheet (pilot name and assessment date)")
    if names[layout.CHECKLIST] is None:
        # Without it every core answer would read as "not sure": a verdict nobody gave, so refuse the file.
        found = sheets_text(scanned.sheets)
        problems.error(
            "",
            f"the template has no '{layout.CHECKLIST}' sheet (the checklist answers; sheets found: {found}): "
            f"restore it, or rename the sheet holding the answers back to '{layout.CHECKLIST}'",
        )
    readers = {
        layout.PILOT: lambda sheet: _read_pilot_sheet(sheet, draft, problems),
        layout.CHECKLIST: lambda sheet: _read_checklist(sheet, draft, model, problems),
        layout.METRICS: lambda sheet: _read_metrics(sheet, draft, model, problems),
    }
    for key, read_sheet in readers.items():
        name = names[key]
        if name is not None:
            read_sheet(_Sheet(name, scanned.sheets[name], book, scanned.source))
        elif key == layout.METRICS:
            problems.warning("", f"no '{layout.METRICS}' sheet: no metric is reported")
    # Parsed even when the sheets had errors: the core's checks (ranges, dates) of the cells that could be
    # read are reported in the same pass, so one upload lists every problem of the workbook.
    assessment = _parse(draft, "", model, problems, names.get(layout.PILOT) or layout.PILOT)
    return [assessment] if assessment is not None and not problems.has_errors else []


# Stand-ins for required fields whose problem is already reported (missing or unreadable), so that the
# core's checks of everything else still run; a draft with a stand-in never gives an assessment.
_STAND_INS: dict[str, Any] = {"pilot.name": "(unnamed pilot)", "as_of": "9999-12-31"}
_MAX_PASSES = 4


def _parse(draft: _Draft, prefix: str, model: ReadinessModel, problems: _Problems, fallback: str) -> Assessment | None:
    """Validate a draft with the core's own rules, reporting each problem at the cell it came from.

    Every independent problem is reported in one go: a field the core rejects is set aside and the rest is
    checked again (the core stops at type errors before it checks ranges and dates), and a problem at a
    cell that already has an error is not reported twice.
    """
    data = draft.data()
    data |= {part: dict(data[part]) for part in ("pilot", "answers", "evidence", "metrics")}
    stood_in = False
    for key, stand_in in _STAND_INS.items():
        if _get(data, key) is None:
            _put(data, key, stand_in)
            stood_in = True
    reported = {i.location for i in problems.issues if i.severity == "error"}
    for _ in range(_MAX_PASSES):
        try:
            assessment = parse_assessment(data, "", model)
        except InvalidInput as invalid:
            progressed = False
            for issue in invalid.issues:
                if issue.location in _STAND_INS and _get(data, issue.location) == _STAND_INS[issue.location]:
                    continue  # a stand-in's own problem (an assessment date in the future): the real one is reported
                location = draft.where.get(issue.location) or _nearest(draft.where, issue.location) or fallback
                if location not in reported or issue.severity != "error":
                    problems.add(issue.severity, location, f"{prefix}{_field_label(issue.location)}: {issue.message}")
                    reported.add(location)
                progressed |= _set_aside(data, issue.location)
            if not progressed:
                return None
            stood_in = True
            continue
        return None if stood_in else assessment
    return None


def _get(data: dict[str, Any], key: str) -> Any:
    head, _, rest = key.partition(".")
    return data.get(head, {}).get(rest) if rest else data.get(head)


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    head, _, rest = key.partition(".")
    if rest:
        data[head][rest] = value
    else:
        data[head] = value


def _set_aside(data: dict[str, Any], location: str) -> bool:
    """Remove (or stand in for, when required) the field a problem names; False when nothing could be."""
    head, _, rest = location.partition(".")
    key = f"{head}.{rest.split('.')[0]}" if rest else head
    if key in _STAND_INS:
        if _get(data, key) == _STAND_INS[key]:
            return False
        _put(data, key, _STAND_INS[key])
        return True
    part, _, name = key.partition(".")
    if name and isinstance(data.get(part), dict) and name in data[part]:
        del data[part][name]
        return True
    if not name and part in data and not isinstance(data[part], dict):
        del data[part]
        return True
    return False


def _nearest(where: dict[str, str], location: str) -> str | None:
    parts = location.split(".")
    while parts:
        parts.pop()
        key = ".".join(parts)
        if key in where:
            return where[key]
    return None


def _field_label(location: str) -> str:
    labels = {f"pilot.{f.key}": f.label for f in PILOT_FIELDS if f.key not in ("as_of", "submitted_by")}
    labels |= {"as_of": "Assessment date", "submitted_by": "Submitted by"}
    if location in labels:
        return labels[location]
    return location.split(".", 1)[-1] if "." in location else location


# ------------------------------------------------------------------------------------------------
# The multi-pilot Portfolio sheet
# ------------------------------------------------------------------------------------------------


# The Assessment field each Portfolio column role fills (parse_assessment reports problems under it).
_ROLE_FIELDS = {"answer": "answers", "evidence": "evidence", "metric": "metrics"}


@dataclass
class _Column:
    role: Literal["field", "answer", "evidence", "metric"]
    key: str
    spec: PilotField | Metric | None = None
    where_key: str = ""  # the field path parse_assessment reports problems under
    prefix: str = ""  # "Portfolio!C": the cell of row r is prefix + str(r + 1)

    def locate(self, sheet: str, column: int) -> _Column:
        """Fill in where problems of this column are reported."""
        if self.role == "field":
            self.where_key = self.key if self.key in ("as_of", "submitted_by") else f"pilot.{self.key}"
        else:
            self.where_key = f"{_ROLE_FIELDS[self.role]}.{self.key}"
        self.prefix = cell_ref(sheet, 0, column)[:-1]
        return self


def _portfolio_columns(
    sheet: _Sheet, values: list[Any], first: int, row: int, model: ReadinessModel, problems: _Problems
) -> dict[int, _Column]:
    questions = {q.id.lower(): q.id for q in model.questions}
    metrics = {m.id.lower(): m for m in model.metrics}
    columns: dict[int, _Column] = {}
    taken: dict[tuple[str, str], int] = {}
    for i, value in enumerate(values):
        column = first + i
        if value is None or (isinstance(value, str) and not value.strip()) or value == "":
            continue
        if not isinstance(value, str):
            problems.warning(sheet.ref(row, column), f"extra column {_shown(value)} is ignored")
            continue
        name = normalise_header(value)
        spec = FIELDS_BY_NAME.get(name)
        evidence = _EVIDENCE_HEADER.match(name)
        metric_evidence = _METRIC_EVIDENCE_HEADER.match(name)
        metric_evidence_id = metric_evidence.group(1).replace(" ", "_") if metric_evidence else ""
        if spec is not None:
            found = _Column("field", spec.key, spec)
        elif name in questions:
            found = _Column("answer", questions[name])
        elif name.replace(" ", "_") in metrics:
            metric = metrics[name.replace(" ", "_")]
            found = _Column("metric", metric.id, metric)
        elif evidence and evidence.group(1) in questions:
            found = _Column("evidence", questions[evidence.group(1)])
        elif metric_evidence_id in metrics:
            found = _Column("evidence", metrics[metric_evidence_id].id, metrics[metric_evidence_id])
        elif metric_evidence:
            problems.error(sheet.ref(row, column), f"unknown metric ID in column header {_shown(value)}")
            continue
        elif evidence or _QUESTION_ID.match(name):
            problems.error(sheet.ref(row, column), f"unknown question ID in column header {_shown(value)}")
            continue
        elif _METRIC_ID.match(name.replace(" ", "_")):
            problems.error(sheet.ref(row, column), f"unknown metric ID in column header {_shown(value)}")
            continue
        else:
            problems.warning(sheet.ref(row, column), f"extra column {_shown(value)} is ignored")
            continue
        key = (found.role, found.key)
        if key in taken:
            problems.error(
                sheet.ref(row, column),
                f"two columns for {_shown(value)} (the first is column {column_letter(taken[key])})",
            )
            continue
        taken[key] = column
        columns[column] = found.locate(sheet.name, column)
    return columns


def _read_portfolio(
    scanned: ScannedWorkbook,
    name: str,
    book: CalamineWorkbook,
    model: ReadinessModel,
    problems: _Problems,
    caps: Caps | None = None,
) -> list[Assessment]:
    sheet = _Sheet(name, scanned.sheets[name], book, scanned.source)
    required = {"pilot": FIELDS_BY_NAME_ALIASES["name"], "as_of": FIELDS_BY_NAME_ALIASES["as_of"]}
    header, seen = _find_header(sheet, required, problems)
    if header is None:
        return []
    if caps is not None and _too_many_rows(sheet, header.row, caps, problems):
        return []
    header_values = next(v for r, v, _ in seen if r == header.row)
    first = next(f for r, _, f in seen if r == header.row)
    columns = _portfolio_columns(sheet, header_values, first, header.row, model, problems)
    cells = _Cells(sheet, problems)
    # Each row is validated as soon as it is read and its draft dropped: a 24,000-row history would
    # otherwise hold every row's cell map at once. Assessments are kept only while no error is found.
    assessments: list[Assessment] = []
    rows_read = 0
    keys: dict[tuple[str, str], int] = {}
    sheet_prefix = cell_ref(sheet.name, 0, 0).split("!")[0]
    metric_evidence = {c: s.key for c, s in columns.items() if s.role == "evidence" and isinstance(s.spec, Metric)}
    orphans: dict[str, list[str]] = {}  # metric ID → the evidence cells of rows without its value
    for row, values, first in sheet.rows():
        if row <= header.row:
            continue
        if not any(v != "" for v in values):
            continue  # a blank row
        errors_before = len(problems.issues) + problems.dropped
        draft = _draft_from_row(sheet, cells, columns, row, values, first, problems)
        if draft is None:
            continue
        rows_read += 1
        for column, metric_id in metric_evidence.items():
            if metric_id in draft.evidence and metric_id not in draft.metrics:
                # The core drops a reference that backs no value: said once per column, not once per row.
                del draft.evidence[metric_id]
                if metric_id not in draft.invalid:
                    orphans.setdefault(metric_id, []).append(sheet.ref(row, column))
        key = (name_key(str(draft.pilot.get("name", ""))), str(draft.top.get("as_of", "")))
        if key[0] and key[1]:
            if key in keys:
                problems.error(
                    sheet.ref(row, header.columns["pilot"]),
                    f"a second row for pilot {draft.pilot['name']!r} on {key[1]} (the first is row {keys[key] + 1})",
                )
            else:
                keys[key] = row
        # A row with cell errors is still checked by the core (ranges, dates), so every problem of the
        # sheet is listed in one pass; it never gives an assessment.
        row_failed = len(problems.issues) + problems.dropped > errors_before and problems.has_errors
        assessment = _parse(draft, "", model, problems, f"{sheet_prefix}!{row + 1}:{row + 1}")
        if assessment is not None and not row_failed and not problems.has_errors:
            assessments.append(assessment)
        elif problems.has_errors:
            assessments.clear()
    for metric_id, where in orphans.items():
        more = f" (in {len(where)} rows, the first shown)" if len(where) > 1 else ""
        problems.warning(where[0], f"{metric_id}: {ORPHAN_EVIDENCE}{more}")
    if not rows_read and not problems.has_errors:
        problems.error(sheet.name, "the Portfolio sheet has a header but no pilot rows")
    return [] if problems.has_errors else assessments


def _too_many_rows(sheet: _Sheet, header_row: int, caps: Caps, problems: _Problems) -> bool:
    """Whether the sheet holds more pilot rows than one file may (an error is then added), counted before
    any row is validated: the scan's extent first, then, only when that is over the cap, the non-blank rows."""
    cap = caps.max_assessments_per_file
    if sheet.scan.rows - header_row - 1 <= cap:
        return False
    filled = sum(1 for row, values, _ in sheet.rows() if row > header_row and any(v != "" for v in values))
    if filled <= cap:
        return False
    problems.error(sheet.name, caps.too_many_assessments(filled, "pilot rows"))
    return True


FIELDS_BY_NAME_ALIASES = {spec.key: spec.names for spec in PILOT_FIELDS}


def _draft_from_row(
    sheet: _Sheet,
    cells: _Cells,
    columns: dict[int, _Column],
    row: int,
    values: list[Any],
    first: int,
    problems: _Problems,
) -> _Draft | None:
    draft = _Draft()
    meaningful = False
    for column, spec in columns.items():
        value = cells.raw(row, column, values, first)
        location = spec.prefix + str(row + 1)
        draft.where[spec.where_key] = location
        if value is None:
            continue
        meaningful = True
        if value is INVALID:
            draft.invalid.add(spec.key)
            continue
        try:
            if spec.role == "field":
                assert isinstance(spec.spec, PilotField)
                draft.set_field(spec.spec, _pilot_value(spec.spec, value), location)
            elif spec.role == "answer":
                draft.answers[spec.key] = _answer(value)
            elif spec.role == "evidence":
                draft.evidence[spec.key] = _text(value)
            else:
                assert isinstance(spec.spec, Metric)
                draft.metrics[spec.key] = _metric_value(spec.spec, value, cells.is_percent(row, column))
        except _Bad as bad:
            draft.invalid.add(spec.key)
            label = (
                spec.spec.label
                if isinstance(spec.spec, PilotField)
                else layout.evidence_header(spec.key)
                if spec.role == "evidence"
                else spec.key
            )
            problems.error(location, f"{label}: {bad}")
    if not meaningful:
        return None
    for required in ("name", "as_of"):
        if draft.missing(required):
            spec = next(f for f in PILOT_FIELDS if f.key == required)
            where = draft.where.get("as_of" if required == "as_of" else "pilot.name", sheet.ref(row, first))
            problems.error(where, f"{spec.label} is required")
    return draft


# ------------------------------------------------------------------------------------------------
# Dispatch
# ------------------------------------------------------------------------------------------------


def _read(
    scanned: ScannedWorkbook, book: CalamineWorkbook, model: ReadinessModel, caps: Caps | None = None
) -> tuple[Literal["template", "portfolio", "unknown"], list[Assessment], list[Issue]]:
    problems = _Problems()
    portfolio = _find_sheet(scanned, layout.PORTFOLIO)
    template = [_find_sheet(scanned, n) for n in (layout.CHECKLIST, layout.METRICS)]
    read = set()
    if portfolio is not None:
        kind: Literal["template", "portfolio", "unknown"] = "portfolio"
        read.add(portfolio)
        if any(template):
            problems.warning("", "the workbook has a Portfolio sheet and template sheets: only Portfolio is read")
    elif any(template):
        kind = "template"
        read |= {n for n in template if n} | {n for n in [_find_sheet(scanned, layout.PILOT)] if n}
    else:
        found = sheets_text(scanned.sheets) or "none"
        problems.error(
            "",
            "neither a Portfolio sheet nor the template's Checklist and Metrics sheets were found "
            f"(sheets: {found}): use the template from `readiness template` or the upload page",
        )
        return "unknown", [], problems.final()
    for name, scan in scanned.sheets.items():
        if scan.hidden:
            if name in read:
                problems.warning(name, f"sheet {name!r} is hidden but imported: unhide it to check what you submit")
            else:
                problems.warning(name, f"hidden sheet {name!r} is ignored")
    if portfolio is not None:
        assessments = _read_portfolio(scanned, portfolio, book, model, problems, caps)
    else:
        assessments = _read_template(scanned, book, model, problems)
    return kind, ([] if problems.has_errors else assessments), problems.final()
