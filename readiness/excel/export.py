"""The portfolio as a workbook and as CSV, injection-safe, and re-importable with the same scores.

The workbook has three sheets: ``Portfolio`` (one row per pilot and assessment date, one column per
context field, question ID, metric ID, ``<question ID> evidence`` and ``<metric ID> evidence``: exactly
what the importer reads), ``Scores`` (the same snapshots scored, for people) and ``Legend`` (what each
Portfolio column means). A workbook exported with what-if scenarios has a sheet for each after these,
labelled a projection (:mod:`readiness.excel.scenario`); the importer never reads it.

Export then import gives back the same assessments and scores, with one deliberate exception: a metric
Readiness measured from an evidence file is written with the measurement described in its evidence column
(``measured from run_stats_history.csv, 2026-11-27 19:20–19:25 UTC, 48,210 requests``) and comes back as a
documented value referencing that measurement, never as measured. Only evidence files give measurements;
a spreadsheet cell cannot claim one, so such a snapshot re-imports with a lower confidence and a new hash.

User text never becomes a formula: in the workbook every string is written as a string cell, whatever
it starts with. In CSV a spreadsheet may split the file on another separator than the comma (``;`` in
many locales, a tab, ``|``), so any place where a field could begin counts, not only the cell's start: a
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or holds one of those right
after a ``,`` ``;`` tab or ``|`` (blanks and double quotes between do not help), gets a leading apostrophe
(the OWASP rule for CSV injection) and an apostrophe after each such separator too; line breaks in a cell
become spaces, so that no cell can start a row of its own. See :func:`csv_safe`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from readiness import display
from readiness.assessment import Assessment
from readiness.excel import layout
from readiness.excel.layout import PILOT_FIELDS, evidence_header
from readiness.excel.template import GAP_COLOURS, NAVY, metric_evidence_text
from readiness.model import ANSWER_LABELS, GAP_IDS, ReadinessModel, load_model
from readiness.portfolio import assessments_to_frame, score_frame
from readiness.scoring import VERDICT_LABELS

if TYPE_CHECKING:
    from readiness.service.whatif import WhatIfResult

CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A field starting here (blanks and double quotes first do not stop a spreadsheet) would be a formula.
_CSV_RISKY_START = re.compile(r'^[ "]*[=+\-@\t\r]')
# Where a spreadsheet may begin a field inside a cell: after a separator it might split on (, ; tab |).
_CSV_RISKY_FIELD = re.compile(r'([,;\t|])(?=[ "]*[=+\-@\t])')
# Line breaks (every one str.splitlines knows): in a cell they would let text start a row of its own.
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
MAX_CELL_TEXT = 32_767
# XML 1.0 cannot hold these; openpyxl refuses them. They can reach the store through JSON.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
_HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
_THIN = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
VERDICT_FILLS = {"Ready": "C6EFCE", "Conditional": "FFEB9C", "Not ready": "FFC7CE"}


# ------------------------------------------------------------------------------------------------
# Safe values
# ------------------------------------------------------------------------------------------------


def csv_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run, whatever separator it splits the file on.

    Line breaks become spaces. Then, when any place where a field could begin would begin a formula (the
    cell's start, or right after ``,`` ``;`` tab or ``|``: ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return, blanks and double quotes allowed before it), the cell gets a leading apostrophe and each such
    separator an apostrophe after it: ``x;=SUM(2;3)`` becomes ``'x;'=SUM(2;3)``. Text with no such place
    (``a=b``, ``Claims triage``) and non-text values are unchanged.
    """
    if not isinstance(value, str):
        return value
    text = _LINE_BREAKS.sub(" ", value)
    if not (_CSV_RISKY_START.match(text) or _CSV_RISKY_FIELD.search(text)):
        return text
    return "'" + _CSV_RISKY_FIELD.sub(r"\1'", text)


def xlsx_text(value: str) -> str:
    """Text an .xlsx can hold: characters XML forbids replaced, and cut at Excel's 32,767-character limit."""
    cleaned = _ILLEGAL_XML.sub("\ufffd", value)
    return cleaned if len(cleaned) <= MAX_CELL_TEXT else cleaned[: MAX_CELL_TEXT - 1] + "…"


def write_cell(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> WriteOnlyCell:
    """A write-only cell; a string is always a string cell (openpyxl would make ``=...`` a formula)."""
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    if isinstance(value, str):
        value = xlsx_text(value)
    if isinstance(value, float):
        return exact_number(WriteOnlyCell(ws, None), value, **style)
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def exact_number(cell: Any, value: float, **style: Any) -> Any:
    """A numeric cell holding the float's shortest exact text (openpyxl keeps only 16 digits, Excel 17).

    Export then import must give back the same values, to the last bit, so that scores are equal.
    """
    cell.value = repr(value)
    cell.data_type = "n"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


# ------------------------------------------------------------------------------------------------
# The Portfolio sheet's columns
# ------------------------------------------------------------------------------------------------


def portfolio_headers(model: ReadinessModel | None = None) -> list[str]:
    """The Portfolio sheet's header row: context, answers, metrics, then the questions' and metrics' evidence."""
    model = model or load_model()
    return (
        [spec.label for spec in PILOT_FIELDS]
        + [q.id for q in model.questions]
        + [m.id for m in model.metrics]
        + [evidence_header(q.id) for q in model.questions]
        + [evidence_header(m.id) for m in model.metrics]
    )


def portfolio_row(assessment: Assessment, model: ReadinessModel) -> list[Any]:
    """One snapshot as Portfolio values, in :func:`portfolio_headers` order (answers as Yes / No / ...).

    A measured metric's evidence is the measurement in one line: imported again, the value is documented.
    """
    pilot = assessment.pilot
    context = {**pilot.model_dump(), "as_of": assessment.as_of, "submitted_by": assessment.submitted_by}
    values: list[Any] = [context.get(spec.key) for spec in PILOT_FIELDS]
    values += [ANSWER_LABELS.get(assessment.answers.get(q.id, ""), None) for q in model.questions]
    for metric in model.metrics:
        value = assessment.metrics.get(metric.id)
        values.append(("Yes" if value else "No") if isinstance(value, bool) else value)
    values += [assessment.evidence.get(q.id) for q in model.questions]
    values += [metric_evidence_text(assessment, m.id) for m in model.metrics]
    return values


def _ordered(assessments: Iterable[Assessment]) -> list[Assessment]:
    return sorted(assessments, key=lambda a: (a.pilot.name.casefold(), a.as_of))


# ------------------------------------------------------------------------------------------------
# Scores
# ------------------------------------------------------------------------------------------------


def score_columns(model: ReadinessModel) -> list[tuple[str, str]]:
    """(frame column, header) of the scores shown next to each snapshot."""
    columns = [("verdict", "Verdict"), ("overall", "Overall readiness"), ("overall_confidence", "Confidence")]
    columns += [(f"score.{g.id}", g.label) for g in model.gaps]
    columns += [(f"confidence.{g.id}", f"{g.label} confidence") for g in model.gaps]
    columns += [
        ("weakest_gap", "Weakest gap"),
        ("open_core", "Open core answers"),
        ("active_edges", "Active compound risks"),
        ("critical_edges", "Critical compound risks"),
        ("months_in_pilot", "Months in pilot"),
        ("stalled", "Stalled"),
        ("multi_gap", "Multi-gap"),
    ]
    return columns


def score_table(assessments: Sequence[Assessment], model: ReadinessModel) -> pd.DataFrame:
    """The vectorised scores of the snapshots, in the same order."""
    return score_frame(assessments_to_frame(assessments, model), model)


def _score_value(column: str, value: Any, model: ReadinessModel) -> Any:
    if column == "verdict":
        return VERDICT_LABELS.get(str(value), str(value))
    if column == "weakest_gap":
        return model.gap(str(value)).label if value in GAP_IDS else value
    if column in ("stalled", "multi_gap"):
        return "Yes" if bool(value) else "No"
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


# ------------------------------------------------------------------------------------------------
# Workbook
# ------------------------------------------------------------------------------------------------


def header_cells(ws: WriteOnlyWorksheet, names: Sequence[str], fills: Sequence[str]) -> list[WriteOnlyCell]:
    """A header row: white bold text on each column's fill, boxed (every sheet of the workbook alike)."""
    return [
        write_cell(
            ws, name, font=_HEADER_FONT, fill=PatternFill("solid", fgColor=fill), alignment=_HEADER_ALIGN, border=_BOX
        )
        for name, fill in zip(names, fills, strict=True)
    ]


def _row_value(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """A value for ``ws.append``: plain when openpyxl writes it faithfully, a cell when it would not.

    A plain value costs openpyxl a fraction of a cell object, which matters at 24,000 rows. Plain is
    safe for blanks, integers, booleans, floats that 16 digits hold exactly, and text that openpyxl
    would not turn into a formula or an error value; everything else goes through :func:`write_cell`.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value) and float(f"{value:.16g}") == value:
        return value
    if isinstance(value, str) and not value.startswith("=") and value not in ERROR_CODES:
        cleaned = xlsx_text(value)
        if cleaned == value:
            return value
    cell = write_cell(ws, value)
    if isinstance(value, date | datetime):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _portfolio_sheet(wb: Workbook, assessments: Sequence[Assessment], model: ReadinessModel) -> None:
    ws = wb.create_sheet(layout.PORTFOLIO)
    headers = portfolio_headers(model)
    context = len(PILOT_FIELDS)
    gap_of = {q.id: q.gap for q in model.questions} | {m.id: m.gap for m in model.metrics}
    fills = []
    for index, name in enumerate(headers):
        key = name.removesuffix(layout.EVIDENCE_SUFFIX)
        fills.append(NAVY if index < context else GAP_COLOURS[gap_of[key]][1])
    widths = [28, 18, 18, 18, 11, 12, 12, 24, 14, 12, 12]
    for index, name in enumerate(headers):
        width = widths[index] if index < context else (36 if name.endswith(layout.EVIDENCE_SUFFIX) else 11)
        if "." in name:
            width = max(width, min(len(name) + 2, 36))
        ws.column_dimensions[get_column_letter(index + 1)].width = width
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(assessments) + 1}"
    ws.append(header_cells(ws, headers, fills))
    for assessment in assessments:
        ws.append([_row_value(ws, v) for v in portfolio_row(assessment, model)])


def _scores_sheet(
    wb: Workbook, assessments: Sequence[Assessment], scored: pd.DataFrame, model: ReadinessModel, title: str
) -> None:
    ws = wb.create_sheet(layout.SCORES)
    ws.sheet_view.showGridLines = False
    context = [
        ("pilot", "Pilot"),
        ("business_unit", "Business unit"),
        ("owning_team", "Owning team"),
        ("stage", "Stage"),
        ("as_of", "Assessment date"),
    ]
    columns = context + score_columns(model)
    first_data_row = 5
    ws.freeze_panes = f"B{first_data_row}"
    for index, (_, name) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = 28 if index == 1 else max(12, min(len(name) + 2, 24))
    ws.append([write_cell(ws, title, font=Font(name="Calibri", size=16, bold=True, color=NAVY))])
    ws.append(
        [
            write_cell(
                ws,
                f"Readiness model {model.version} · {len(assessments)} snapshots · scores 0-100, confidence 0-1",
                font=Font(name="Calibri", italic=True, color="595959"),
            )
        ]
    )
    ws.append([])
    ws.append(header_cells(ws, [name for _, name in columns], [NAVY] * len(columns)))
    records = scored.to_dict("records")
    for record in records:
        row = []
        for column, _ in columns:
            value = _score_value(column, record.get(column), model)
            if isinstance(value, float) and math.isfinite(value):
                # Excel rounds half up for display; writing the value already rounded down to the digits the
                # format shows keeps the sheet on the same side of every threshold as the app (display rule).
                decimals = 2 if "confidence" in column else 1
                row.append(write_cell(ws, display.floor_to(value, decimals), number_format=f"0.{'0' * decimals}"))
            else:
                row.append(_row_value(ws, value))
        ws.append(row)
    last = first_data_row + len(records) - 1
    if records:
        verdict_col = get_column_letter(len(context) + 1)
        for label, colour in VERDICT_FILLS.items():
            ws.conditional_formatting.add(
                f"{verdict_col}{first_data_row}:{verdict_col}{last}",
                CellIsRule(operator="equal", formula=[f'"{label}"'], fill=PatternFill("solid", bgColor=colour)),
            )
        score_first = get_column_letter(len(context) + 2)
        score_last = get_column_letter(len(context) + 3 + len(model.gaps))
        ws.conditional_formatting.add(
            f"{score_first}{first_data_row}:{score_last}{last}",
            ColorScaleRule(
                start_type="num",
                start_value=0,
                start_color="F8696B",
                mid_type="num",
                mid_value=50,
                mid_color="FFEB84",
                end_type="num",
                end_value=100,
                end_color="63BE7B",
            ),
        )
        ws.auto_filter.ref = f"A{first_data_row - 1}:{get_column_letter(len(columns))}{last}"


def _legend_sheet(wb: Workbook, model: ReadinessModel) -> None:
    ws = wb.create_sheet(layout.LEGEND)
    for letter, width in zip("ABCD", (34, 64, 40, 24), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.append(header_cells(ws, ["Column", "Meaning", "Accepted values", "Gap"], [NAVY] * 4))
    wrap = Alignment(wrap_text=True, vertical="top")

    def line(*values: str) -> None:
        ws.append([write_cell(ws, v, alignment=wrap) for v in values])

    kinds = {
        "text": "text",
        "stage": "pilot, scaling, production, paused, retired",
        "date": "a date (YYYY-MM-DD)",
        "money": "a number, 0 or more",
        "count": "a whole number, 0 or more",
    }
    for spec in PILOT_FIELDS:
        line(spec.label, spec.help, kinds[spec.kind], "")
    for question in model.questions:
        answers = "Yes, No, Not sure" + ("" if question.core else ", N/A")
        kind = "Core checklist" if question.core else "Deeper question"
        line(question.id, f"{kind}: {question.text}", answers, model.gap(question.gap).label)
    for metric in model.metrics:
        low, high = metric.bounds
        accepted = (
            "Yes or No"
            if metric.kind == "bool"
            else f"{metric.unit}"
            + (
                f", {low:g} to {high:g}"
                if low is not None and high is not None
                else f", {'more than' if metric.exclusive_minimum else 'at least'} {low:g}"
                if low is not None
                else ""
            )
        )
        line(metric.id, metric.label, accepted, model.gap(metric.gap).label)
    line(
        "<question ID> evidence",
        "The evidence behind an answer (a note or a link), e.g. 'DATA-1 evidence'. An answer with evidence counts "
        "as documented.",
        "text",
        "",
    )
    line(
        "<metric ID> evidence",
        "The report, dashboard or link a metric value comes from, e.g. 'scale.p95_latency_s evidence'. A value "
        "with evidence counts as documented, without as self-reported. A value Readiness measured from an "
        "evidence file is exported with the measurement here ('measured from ...') and imports back as "
        "documented: only evidence files read by Readiness give measured values.",
        "text",
        "",
    )


def portfolio_workbook_bytes(
    assessments: Iterable[Assessment],
    model: ReadinessModel | None = None,
    title: str | None = None,
    scenarios: Sequence[WhatIfResult] = (),
) -> bytes:
    """The portfolio workbook (Portfolio, Scores, Legend) of these snapshots, as .xlsx bytes; each what-if
    projection in ``scenarios`` adds a sheet after them, labelled a projection (:mod:`readiness.excel.scenario`).
    The importer reads the Portfolio sheet only, so a workbook with scenarios re-imports the same snapshots."""
    model = model or load_model()
    ordered = _ordered(assessments)
    scored = score_table(ordered, model)
    wb = Workbook(write_only=True)
    _portfolio_sheet(wb, ordered, model)
    _scores_sheet(wb, ordered, scored, model, title or "AI pilot portfolio: production readiness")
    _legend_sheet(wb, model)
    if scenarios:
        # Imported here: the scenario sheet builds on this module's cells and headers.
        from readiness.excel.scenario import sheet_names, write_scenario_sheet

        for result, name in zip(scenarios, sheet_names(scenarios), strict=True):
            write_scenario_sheet(wb, result, name)
    wb.properties.title = title or "AI pilot portfolio: production readiness"
    wb.properties.creator = "Readiness"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value) if not value.is_integer() else str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return csv_safe(value if isinstance(value, str) else str(value))


def portfolio_csv_text(assessments: Iterable[Assessment], model: ReadinessModel | None = None) -> str:
    """The portfolio as CSV text: context, scores, answers, metrics and evidence, one row per snapshot."""
    model = model or load_model()
    ordered = _ordered(assessments)
    scored = score_table(ordered, model).to_dict("records")
    headers = portfolio_headers(model)
    context = len(PILOT_FIELDS)
    scores = score_columns(model)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in headers[:context] + [name for _, name in scores] + headers[context:]])
    for assessment, record in zip(ordered, scored, strict=True):
        values = portfolio_row(assessment, model)
        score_values = [_score_value(column, record.get(column), model) for column, _ in scores]
        writer.writerow([_csv_value(v) for v in values[:context] + score_values + values[context:]])
    return buffer.getvalue()


def portfolio_csv_bytes(assessments: Iterable[Assessment], model: ReadinessModel | None = None) -> bytes:
    """The CSV as UTF-8 with a byte-order mark, so that Excel opens accents correctly."""
    return portfolio_csv_text(assessments, model).encode("utf-8-sig")
