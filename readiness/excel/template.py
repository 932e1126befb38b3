"""The self-assessment template teams fill in offline: Instructions, Pilot, Checklist, Metrics.

It is the first thing a pilot team sees of the product, so it has to read like a consultancy's
deliverable: a title block, styled and frozen headers, readable widths, colour bands per gap,
dropdowns for every answer (N/A only where the model allows it), metric values validated by type and
range with their unit and green and red anchors shown, and a cover sheet explaining the method.

Every string that may come from a user (a prefilled pilot name, evidence) is written as a string cell,
never a formula.

A metric's Evidence cell (the report or dashboard its value comes from) makes the value documented; left
blank, the value is self-reported. A measured value (computed by Readiness from an evidence file) is
prefilled with the measurement described in its Evidence cell, so that the re-imported template gives a
documented value referencing the measurement: a workbook can never claim a measurement.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from readiness.assessment import STAGES, Assessment
from readiness.display import measured_from_text
from readiness.excel import layout
from readiness.excel.layout import PILOT_FIELDS, TEMPLATE_HEADER_ROW
from readiness.model import ANSWER_LABELS, Metric, Question, ReadinessModel, load_model

NAVY = "1F3864"
INK = "262626"
MUTED = "595959"
RULE = "BFBFBF"
INPUT_FILL = "FFF9E5"
GAP_COLOURS: dict[str, tuple[str, str]] = {  # (band, accent) per gap
    "data": ("DDEBF7", "2E75B6"),
    "scale": ("FCE4D6", "C55A11"),
    "monitoring": ("E2EFDA", "548235"),
    "governance": ("EADCF4", "7030A0"),
    "ownership": ("FFF2CC", "BF8F00"),
    "trust": ("DDF2F3", "1B7C83"),
}
ANSWER_COLOURS = {"Yes": "C6EFCE", "No": "FFC7CE", "Not sure": "FFEB9C", "N/A": "E7E6E6"}
FONT = "Calibri"
THIN = Side(style="thin", color=RULE)
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
DATE_FORMAT = "yyyy-mm-dd"
EXCEL_EPOCH_2000 = 36526  # 2000-01-01 as an Excel serial date, the earliest date the template accepts


def put(cell: Cell, value: Any) -> Cell:
    """Write a value; strings always as string cells, so ``=HYPERLINK(...)`` stays text.

    Floats are written as their shortest exact text (openpyxl would keep 16 digits), so that a
    prefilled value comes back unchanged.
    """
    if isinstance(value, float) and math.isfinite(value):
        cell.value = repr(value)
        cell.data_type = "n"
        return cell
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _title_block(ws: Worksheet, title: str, subtitle: str, width: int) -> None:
    ws.sheet_view.showGridLines = False
    put(ws.cell(1, 1), title).font = Font(name=FONT, size=18, bold=True, color=NAVY)
    put(ws.cell(2, 1), subtitle).font = Font(name=FONT, size=10, italic=True, color=MUTED)
    ws.row_dimensions[1].height = 30
    for column in range(1, width + 1):
        ws.cell(3, column).border = Border(top=Side(style="medium", color=NAVY))


def _header(ws: Worksheet, row: int, names: Iterable[str]) -> int:
    count = 0
    for column, name in enumerate(names, start=1):
        cell = put(ws.cell(row, column), name)
        cell.font = Font(name=FONT, bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=NAVY)
        cell.alignment = Alignment(vertical="center", horizontal="left", wrap_text=True)
        cell.border = BOX
        count = column
    ws.row_dimensions[row].height = 22
    return count


def _widths(ws: Worksheet, widths: Iterable[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _body(cell: Cell, *, wrap: bool = False, bold: bool = False, colour: str = INK, fill: str | None = None) -> Cell:
    cell.font = Font(name=FONT, bold=bold, color=colour)
    cell.alignment = Alignment(vertical="top", wrap_text=wrap)
    cell.border = BOX
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    return cell


def _page_setup(ws: Worksheet, header_row: int | None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


LINE_HEIGHT = 15.0


def fit_row_heights(ws: Worksheet, first_row: int) -> None:
    """Give rows with wrapped text the height their longest cell needs.

    Excel, LibreOffice and Google Sheets do not all re-fit row heights when they open a generated file;
    an explicit estimate (about 1.15 characters per unit of column width) reads well in each of them.
    """
    widths = {letter: dimension.width for letter, dimension in ws.column_dimensions.items() if dimension.width}
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str) or not (cell.alignment and cell.alignment.wrap_text):
                continue
            per_line = max(int(widths.get(cell.column_letter, 10) * 1.15), 1)
            needed = sum(max(1, -(-len(part) // per_line)) for part in cell.value.split("\n"))
            lines = max(lines, needed)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines + 3


def _validation(ws: Worksheet, rule: DataValidation) -> DataValidation:
    rule.showErrorMessage = True
    rule.showInputMessage = True
    rule.errorStyle = "stop"
    ws.add_data_validation(rule)
    return rule


# ------------------------------------------------------------------------------------------------
# Sheets
# ------------------------------------------------------------------------------------------------


def _instructions(ws: Worksheet, model: ReadinessModel) -> None:
    _title_block(ws, "AI pilot production readiness: self-assessment", _subtitle(model), 4)
    _widths(ws, (26, 60, 60, 40))
    row = 5

    def section(text: str) -> None:
        nonlocal row
        row += 1
        put(ws.cell(row, 1), text).font = Font(name=FONT, size=13, bold=True, color=NAVY)
        ws.cell(row, 1).border = Border(bottom=Side(style="thin", color=NAVY))
        row += 1

    def line(*values: str, bold_first: bool = False) -> None:
        nonlocal row
        for column, value in enumerate(values, start=1):
            cell = put(ws.cell(row, column), value)
            cell.font = Font(name=FONT, color=INK, bold=bold_first and column == 1)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        row += 1

    put(ws.cell(4, 1), "Which of your AI pilots are ready for production, which are not, and exactly why.").font = Font(
        name=FONT, size=11, color=INK
    )
    section("How to fill it in")
    steps = (
        ("1. Pilot", "Enter the pilot name and the assessment date (both required), then the other context fields."),
        (
            "2. Checklist",
            "Answer every question from the dropdown: Yes, No or Not sure. N/A is allowed only on deeper questions; "
            "a core question left blank counts as Not sure.",
        ),
        ("3. Evidence", "Add a note or a link for each answer you can back up: documented answers raise confidence."),
        (
            "4. Metrics",
            "Enter the values you know; leave the others blank (a blank lowers confidence, not the score). "
            "Percentages are numbers from 0 to 100: 45 means 45%. In Evidence, name the report, dashboard or link "
            "each value comes from.",
        ),
        (
            "5. Keep the IDs",
            "Do not rename sheets, IDs or headers. You may reorder columns and add your own (they are ignored).",
        ),
        ("6. Upload", "Save as Excel Workbook (.xlsx), then upload it on the Upload page or run `readiness import`."),
    )
    for step in steps:
        line(*step, bold_first=True)
    section("How sure each metric value is")
    for level in layout.METRIC_EVIDENCE_LEVELS:
        line(*level, bold_first=True)
    section("How the verdict is reached")
    rule = model.verdict
    line(
        "Seed rule",
        f"If more than {rule.seed_rule_max_open_core} of the {len(model.core_questions)} core questions are No or "
        "Not sure, the pilot is not ready for production.",
        bold_first=True,
    )
    line(
        "Not ready",
        f"Also when any gap scores below {rule.not_ready_gap_below:g}, or when two gaps that amplify each other are "
        f"both below {model.compound.critical_below:g} (a critical compound risk).",
        bold_first=True,
    )
    line(
        "Ready",
        f"Every gap at least {rule.ready_gap_at_least:g}, overall at least {rule.ready_overall_at_least:g}, no active "
        f"compound risk, and confidence at least {rule.ready_confidence_at_least:.0%}. Otherwise: conditional.",
        bold_first=True,
    )
    section("The six gaps that kill pilots between demo and production")
    _table_header(ws, row, ("Gap", "What goes wrong", "How to close it"))
    row += 1
    for gap in model.gaps:
        band, accent = GAP_COLOURS[gap.id]
        _body(put(ws.cell(row, 1), gap.label), bold=True, colour=accent, fill=band)
        _body(put(ws.cell(row, 2), gap.symptom), wrap=True)
        _body(put(ws.cell(row, 3), gap.guidance), wrap=True)
        row += 1
    section("Where to find each metric")
    _table_header(ws, row, ("Metric ID", "Metric", "Where to find it", "Unit"))
    row += 1
    for metric in model.metrics:
        band, _ = GAP_COLOURS[metric.gap]
        _body(put(ws.cell(row, 1), metric.id), fill=band)
        _body(put(ws.cell(row, 2), metric.label), wrap=True)
        _body(put(ws.cell(row, 3), metric.where_to_find), wrap=True)
        _body(put(ws.cell(row, 4), metric.unit))
        row += 1
    fit_row_heights(ws, 5)
    _page_setup(ws, None)
    ws.sheet_properties.tabColor = NAVY


def _table_header(ws: Worksheet, row: int, names: Iterable[str]) -> None:
    for column, name in enumerate(names, start=1):
        cell = put(ws.cell(row, column), name)
        cell.font = Font(name=FONT, bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=NAVY)
        cell.border = BOX


def _subtitle(model: ReadinessModel) -> str:
    return f"Readiness model {model.version} · after “{model.source}” · template generated {date.today().isoformat()}"


def _pilot_value(assessment: Assessment | None, key: str) -> Any:
    if assessment is None:
        return None
    if key == "as_of":
        return None  # a new snapshot needs today's date, typed by the team
    if key == "submitted_by":
        return None
    return getattr(assessment.pilot, key)


def _pilot(ws: Worksheet, model: ReadinessModel, prefill: Assessment | None) -> None:
    header = TEMPLATE_HEADER_ROW + 1
    _title_block(ws, "Pilot", "Who and what the pilot is. Fields marked Required must be filled in.", 3)
    _widths(ws, (28, 42, 70))
    _header(ws, header, layout.PILOT_COLUMNS)
    stage = _validation(
        ws,
        DataValidation(
            type="list",
            formula1='"' + ",".join(STAGES) + '"',
            allow_blank=True,
            promptTitle="Stage",
            prompt="pilot, scaling, production, paused or retired",
            errorTitle="Stage",
            error="Choose a stage from the list.",
        ),
    )
    dates = _validation(
        ws,
        DataValidation(
            type="date",
            operator="greaterThan",
            formula1=str(EXCEL_EPOCH_2000),
            allow_blank=True,
            promptTitle="Date",
            prompt="A date such as 2026-11-01.",
            errorTitle="Date",
            error="Enter a date after 2000-01-01 (YYYY-MM-DD).",
        ),
    )
    money = _validation(
        ws,
        DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            promptTitle="Amount",
            prompt="A number, 0 or more.",
            errorTitle="Amount",
            error="Enter a number, 0 or more.",
        ),
    )
    count = _validation(
        ws,
        DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            promptTitle="Users",
            prompt="A whole number, 0 or more.",
            errorTitle="Users",
            error="Enter a whole number, 0 or more.",
        ),
    )
    for offset, spec in enumerate(PILOT_FIELDS):
        row = header + 1 + offset
        _body(put(ws.cell(row, 1), spec.label), bold=spec.required)
        value = _pilot_value(prefill, spec.key)
        cell = _body(put(ws.cell(row, 2), value), fill=INPUT_FILL)
        _body(put(ws.cell(row, 3), spec.help), wrap=True, colour=MUTED)
        match spec.kind:
            case "stage":
                stage.add(cell)
            case "date":
                dates.add(cell)
                cell.number_format = DATE_FORMAT
                cell.alignment = Alignment(horizontal="left", vertical="top")
            case "money":
                money.add(cell)
                cell.number_format = "#,##0.00"
            case "count":
                count.add(cell)
                cell.number_format = "0"
    ws.freeze_panes = ws.cell(header + 1, 1)
    fit_row_heights(ws, header + 1)
    _page_setup(ws, header)
    ws.sheet_properties.tabColor = "8EA9DB"


def _checklist(ws: Worksheet, model: ReadinessModel, prefill: Assessment | None) -> None:
    header = TEMPLATE_HEADER_ROW + 1
    _title_block(
        ws,
        "Checklist",
        "Answer every question from the dropdown. Core = the 13-question production-readiness checklist; "
        "N/A only on deeper questions.",
        len(layout.CHECKLIST_COLUMNS),
    )
    _widths(ws, (12, 24, 9, 72, 13, 48, 62))
    width = _header(ws, header, layout.CHECKLIST_COLUMNS)
    core = _answer_rule(ws, ("Yes", "No", "Not sure"), "Core question: Yes, No or Not sure.")
    deeper = _answer_rule(ws, ("Yes", "No", "Not sure", "N/A"), "Deeper question: Yes, No, Not sure or N/A.")
    questions = sorted(model.questions, key=lambda q: (_gap_index(model, q.gap), not q.core))
    for offset, question in enumerate(questions):
        row = header + 1 + offset
        _question_row(ws, row, question, model, prefill)
        (core if question.core else deeper).add(ws.cell(row, 5))
    last = header + len(questions)
    answers = f"E{header + 1}:E{last}"
    for label, colour in ANSWER_COLOURS.items():
        ws.conditional_formatting.add(
            answers, CellIsRule(operator="equal", formula=[f'"{label}"'], fill=PatternFill("solid", bgColor=colour))
        )
    ws.freeze_panes = ws.cell(header + 1, 2)
    ws.auto_filter.ref = f"A{header}:{get_column_letter(width)}{last}"
    fit_row_heights(ws, header + 1)
    _page_setup(ws, header)
    ws.sheet_properties.tabColor = "548235"


def _gap_index(model: ReadinessModel, gap_id: str) -> int:
    return [g.id for g in model.gaps].index(gap_id)


def _answer_rule(ws: Worksheet, labels: tuple[str, ...], prompt: str) -> DataValidation:
    return _validation(
        ws,
        DataValidation(
            type="list",
            formula1='"' + ",".join(labels) + '"',
            allow_blank=True,
            promptTitle="Answer",
            prompt=prompt,
            errorTitle="Answer",
            error=f"Choose {', '.join(labels[:-1])} or {labels[-1]} from the list.",
        ),
    )


def _question_row(
    ws: Worksheet, row: int, question: Question, model: ReadinessModel, prefill: Assessment | None
) -> None:
    band, accent = GAP_COLOURS[question.gap]
    _body(put(ws.cell(row, 1), question.id), bold=question.core, colour=accent, fill=band)
    _body(put(ws.cell(row, 2), model.gap(question.gap).label), colour=accent, fill=band)
    _body(
        put(ws.cell(row, 3), "Core" if question.core else "Deeper"),
        bold=question.core,
        colour=INK if question.core else MUTED,
    )
    _body(put(ws.cell(row, 4), question.text), wrap=True, bold=question.core)
    answer = prefill.answers.get(question.id) if prefill else None
    cell = _body(put(ws.cell(row, 5), ANSWER_LABELS[answer] if answer else None), fill=INPUT_FILL)
    cell.alignment = Alignment(horizontal="center", vertical="top")
    evidence = prefill.evidence.get(question.id) if prefill else None
    _body(put(ws.cell(row, 6), evidence), wrap=True, fill=INPUT_FILL)
    _body(put(ws.cell(row, 7), question.rationale), wrap=True, colour=MUTED)


def _metrics(ws: Worksheet, model: ReadinessModel, prefill: Assessment | None) -> None:
    header = TEMPLATE_HEADER_ROW + 1
    _title_block(
        ws,
        "Metrics",
        "Enter what you know and, in Evidence, the report or dashboard it comes from (documented); a value "
        "without evidence is self-reported. Leave the rest blank. Percentages from 0 to 100 (45 means 45%).",
        len(layout.METRICS_COLUMNS),
    )
    _widths(ws, (36, 24, 58, 10, 12, 40, 14, 14, 30, 62))
    width = _header(ws, header, layout.METRICS_COLUMNS)
    metrics = sorted(model.metrics, key=lambda m: _gap_index(model, m.gap))
    for offset, metric in enumerate(metrics):
        row = header + 1 + offset
        band, accent = GAP_COLOURS[metric.gap]
        _body(put(ws.cell(row, 1), metric.id), colour=accent, fill=band)
        _body(put(ws.cell(row, 2), model.gap(metric.gap).label), colour=accent, fill=band)
        _body(put(ws.cell(row, 3), metric.label), wrap=True)
        _body(put(ws.cell(row, 4), metric.unit), colour=MUTED)
        value = prefill.metrics.get(metric.id) if prefill else None
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        cell = _body(put(ws.cell(row, 5), value), fill=INPUT_FILL)
        cell.alignment = Alignment(horizontal="right", vertical="top")
        rule, accepted = _value_rule(metric)
        _validation(ws, rule).add(cell)
        if metric.kind != "bool":
            cell.number_format = "0" if metric.kind == "count" else "General"
        evidence = metric_evidence_text(prefill, metric.id) if prefill else None
        _body(put(ws.cell(row, 6), evidence), wrap=True, fill=INPUT_FILL)
        green = _body(put(ws.cell(row, 7), metric.green_label or "—"), colour="375623")
        green.fill = PatternFill("solid", fgColor="E2EFDA")
        red = _body(put(ws.cell(row, 8), metric.red_label or "—"), colour="9C0006")
        red.fill = PatternFill("solid", fgColor="FCE4E4")
        _body(put(ws.cell(row, 9), accepted), wrap=True, colour=MUTED)
        _body(put(ws.cell(row, 10), metric.where_to_find), wrap=True, colour=MUTED)
    last = header + len(metrics)
    ws.freeze_panes = ws.cell(header + 1, 2)
    ws.auto_filter.ref = f"A{header}:{get_column_letter(width)}{last}"
    fit_row_heights(ws, header + 1)
    _page_setup(ws, header)
    ws.sheet_properties.tabColor = "BF8F00"


def metric_evidence_text(assessment: Assessment, metric_id: str) -> str | None:
    """What a workbook writes as a metric's evidence: the measurement in one line when Readiness measured the
    value (``measured from run_stats_history.csv, ...``), else the report the typed value comes from.

    Read back, either makes the value documented, never measured: only evidence files give measurements.
    """
    if metric_id not in assessment.metrics:
        return None  # a reference backs a value; the core ignores one without
    if assessment.measured(metric_id):
        return measured_from_text(assessment.measurements[metric_id].provenance)
    return assessment.evidence.get(metric_id) or None


def _value_rule(metric: Metric) -> tuple[DataValidation, str]:
    """The Value cell's validation, and the same rule in words for the Accepted values column."""
    title = metric.id[:32]
    if metric.kind == "bool":
        words = "Yes or No"
        return DataValidation(
            type="list",
            formula1='"Yes,No"',
            allow_blank=True,
            promptTitle=title,
            prompt=words,
            errorTitle=title,
            error=f"Choose {words}.",
        ), words
    low, high = metric.bounds
    kind = "whole" if metric.kind == "count" else "decimal"
    noun = "A whole number" if kind == "whole" else "A number"
    unit = "" if metric.unit in ("%", "yes/no") or metric.unit.startswith("of ") else f" ({metric.unit})"
    if low is not None and high is not None:
        words = f"{noun} from {low:g} to {high:g}{' (45 means 45%)' if metric.kind == 'percent' else unit}"
        rule = DataValidation(type=kind, operator="between", formula1=f"{low:g}", formula2=f"{high:g}")
    elif low is not None and metric.exclusive_minimum:
        words = f"{noun} greater than {low:g}{unit}"
        rule = DataValidation(type=kind, operator="greaterThan", formula1=f"{low:g}")
    elif low is not None:
        words = f"{noun}, {low:g} or more{unit}"
        rule = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=f"{low:g}")
    else:
        words = f"{noun}{unit}"
        rule = DataValidation(type=kind, operator="between", formula1="-1E+300", formula2="1E+300")
    rule.allow_blank = True
    rule.promptTitle, rule.prompt = title, words
    rule.errorTitle, rule.error = title, f"{words}."
    return rule, words


# ------------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------------


def build_template(prefill: Assessment | None = None, model: ReadinessModel | None = None) -> Workbook:
    """The template as an openpyxl workbook, blank or prefilled with a pilot's last snapshot.

    A prefilled template keeps the pilot's context, answers, evidence and metrics, and leaves the
    assessment date and submitter empty: the team is making a new, dated snapshot. A measured metric's
    Evidence cell describes the measurement (:func:`metric_evidence_text`), so it comes back documented.
    """
    model = model or load_model()
    workbook = Workbook()
    instructions = workbook.active
    assert instructions is not None
    instructions.title = layout.INSTRUCTIONS
    _instructions(instructions, model)
    _pilot(workbook.create_sheet(layout.PILOT), model, prefill)
    _checklist(workbook.create_sheet(layout.CHECKLIST), model, prefill)
    _metrics(workbook.create_sheet(layout.METRICS), model, prefill)
    workbook.active = 1
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == layout.PILOT
    workbook.properties.title = "AI pilot production readiness: self-assessment"
    workbook.properties.creator = "Readiness"
    workbook.properties.subject = f"Readiness model {model.version}"
    workbook.defined_names["ReadinessModelVersion"] = DefinedName(
        "ReadinessModelVersion", attr_text=f'"{model.version}"'
    )
    return workbook


def template_bytes(prefill: Assessment | None = None, model: ReadinessModel | None = None) -> bytes:
    """The template as .xlsx bytes (what the upload page offers for download)."""
    buffer = io.BytesIO()
    build_template(prefill, model).save(buffer)
    return buffer.getvalue()
