"""A what-if scenario as a workbook sheet: the projection labelled as one, its plan, scope, before → after
summary, every pilot in scope before and after, and the next best fixes.

The sheet follows the portfolio workbook's conventions (:mod:`readiness.excel.export`): every string is a
string cell, never a formula, whatever it starts with (a scenario or pilot named ``=HYPERLINK(…)`` is text);
headers are white on navy; scores are written rounded down to the one decimal shown, so the sheet reads on
the same side of every threshold as the app. Nothing is recomputed: the numbers are the
:class:`~readiness.service.whatif.WhatIfResult`'s, the summary rows and sentences those the deck and report
show (:mod:`readiness.boardpack.scenario`).

Layout, top to bottom (one column of labels, sections separated by a blank row): the title and the label
"Projection — no stored snapshot changes"; the scenario (name, version, who saved it), scope and fixes; the
plan, one row per item it fixes (how the plan states it, ID, label, kind, gap); the portfolio before and after
(and the pilots in scope, for a plan on a unit or chosen pilots) with the use case's sentences; one row per
pilot in scope (verdict, overall and each gap before and after, what changed); the greedy next best fixes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from readiness import display
from readiness.boardpack.scenario import (
    blocked_line,
    fixes_line,
    saved_text,
    scenario_title,
    stat_rows,
)
from readiness.excel.export import VERDICT_FILLS, header_cells, write_cell
from readiness.excel.template import NAVY
from readiness.model import GAP_IDS
from readiness.scoring import VERDICT_LABELS
from readiness.service.portfolio import names_text
from readiness.service.whatif import WhatIfResult

SCENARIO_SHEET = "Scenario"
WHATIF_SHEET = "What-if"
LABEL_FILL = "FFEB9C"  # the projection label's background: amber, as a caution, never a verdict's colour
CHANGED_FILL = "DDEBF7"  # a gap score the plan raises
_TITLE_FONT = Font(name="Calibri", size=16, bold=True, color=NAVY)
_LABEL_FONT = Font(name="Calibri", size=12, bold=True, color="7F6000")
_SECTION_FONT = Font(name="Calibri", size=12, bold=True, color=NAVY)
_NOTE_FONT = Font(name="Calibri", italic=True, color="595959")
_KEY_FONT = Font(name="Calibri", bold=True)
_BOLD = Font(name="Calibri", bold=True)
SCORE_FORMAT = "0.0"
VERDICT_MOVES, SCORES_RISE, NO_CHANGE = "Verdict moves", "Scores rise", "No change"


def sheet_names(results: Sequence[WhatIfResult]) -> list[str]:
    """The sheets' names: ``Scenario`` (``What-if`` for a plan not saved) for one projection, ``Scenario 1``,
    ``Scenario 2``… for several. A scenario's name is written inside the sheet, never as its title: a sheet
    title is short, forbids characters a name may hold, and must be unique."""
    if len(results) == 1:
        return [SCENARIO_SHEET if results[0].scenario is not None else WHATIF_SHEET]
    return [f"{SCENARIO_SHEET} {k}" for k in range(1, len(results) + 1)]


def _score(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> Any:
    """A score (0-100) rounded down to one decimal, as the Scores sheet writes it; blank when there is none."""
    if value is None or pd.isna(value):
        return None
    return write_cell(ws, display.floor_to(float(value), 1), number_format=SCORE_FORMAT, **style)


def _verdict(ws: WriteOnlyWorksheet, verdict: str) -> Any:
    label = VERDICT_LABELS.get(verdict, verdict)
    return write_cell(ws, label, fill=PatternFill("solid", fgColor=VERDICT_FILLS[label]))


def _section(ws: WriteOnlyWorksheet, title: str) -> None:
    ws.append([])
    ws.append([write_cell(ws, title, font=_SECTION_FONT)])


def _plan_rows(result: WhatIfResult) -> list[list[str]]:
    """One row per item the plan fixes, in model order: how the plan states it, the ID, the label, kind, gap."""
    model, plan = result.model, result.plan
    closed = set(plan.close_gaps)
    rows = []
    for item_id in plan.items(model):
        question = model.question_by_id.get(item_id)
        if question is not None:
            gap, label, kind, stated = question.gap, question.short, "Question", "Answer yes"
        else:
            metric = model.metric_by_id[item_id]
            gap, kind, stated = metric.gap, "Metric", "Bring to green"
            label = f"{metric.short} ({metric.green_label})"
        if gap in closed:
            stated = f"Close the {model.gap(gap).label} gap"
        rows.append([stated, item_id, label, kind, model.gap(gap).label])
    return rows


def _changes(result: WhatIfResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pilots in scope before and after (scored rows, aligned), ordered as a reader looks for them: the
    verdicts that move first (the use case's order), then the pilots whose scores rise, then the rest, by name."""
    projection = result.projection
    mask = projection.in_scope
    before = projection.before[mask].reset_index(drop=True)
    after = projection.after[mask].reset_index(drop=True)
    movers = {m.pilot: k for k, m in enumerate(projection.movers)}
    raised = set(projection.changed_cells["pilot"].astype(str))
    names = before["pilot"].astype(str)
    rank = [(0, movers[n], "") if n in movers else (1 if n in raised else 2, 0, n.casefold()) for n in names]
    order = sorted(range(len(before)), key=lambda k: rank[k])
    return before.iloc[order].reset_index(drop=True), after.iloc[order].reset_index(drop=True)


def write_scenario_sheet(wb: Workbook, result: WhatIfResult, name: str = SCENARIO_SHEET) -> None:
    """Add the sheet ``name`` holding the projection ``result`` to a write-only workbook."""
    model = result.model
    ws = wb.create_sheet(name)
    ws.sheet_view.showGridLines = False
    ws.sheet_properties.tabColor = LABEL_FILL
    gaps = [model.gap(g) for g in GAP_IDS]
    widths = [34, 22, 16, 14, 14, 14, 14, *[13] * (2 * len(gaps))]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    ws.append([write_cell(ws, scenario_title(result), font=_TITLE_FONT)])
    # The label on a row of its own, before any number: whoever opens the sheet reads a projection.
    ws.append([write_cell(ws, result.label, font=_LABEL_FONT, fill=PatternFill("solid", fgColor=LABEL_FILL))])
    ws.append([write_cell(ws, f"Readiness model {model.version} · projected on each pilot's latest snapshot · "
                              "scores 0-100, rounded down to one decimal", font=_NOTE_FONT)])  # fmt: skip
    ws.append([])
    facts = [
        ("Scenario", result.scenario.name if result.scenario is not None else "(not saved)"),
        ("Saved", saved_text(result) or "not saved"),
        ("Scope", result.scope.describe()),
        ("Pilots in scope", len(result.pilots_in_scope)),
        ("Fixes", fixes_line(result)),
    ]
    blocked = blocked_line(result, 10)
    if blocked:
        facts.append(("Not fixable", blocked))
    for key, value in facts:
        ws.append([write_cell(ws, key, font=_KEY_FONT), write_cell(ws, value)])

    _section(ws, "Plan")
    ws.append(header_cells(ws, ["Fix as stated", "Item ID", "Item", "Kind", "Gap"], [NAVY] * 5))
    for row in _plan_rows(result):
        ws.append([write_cell(ws, value) for value in row])

    _section(ws, "Before and after")
    scoped = bool(result.scope.unit or result.scope.pilots)
    headers = ["Measure", "Portfolio before", "Portfolio after", "Change"]
    headers += ["In scope before", "In scope after"] if scoped else []
    ws.append(header_cells(ws, headers, [NAVY] * len(headers)))
    # (label, portfolio before, after, change, in scope before, after, a share?): the pilots, then the rows the
    # deck and the report show, as numbers.
    lines: list[tuple[str, Any, Any, str, Any, Any, bool]] = [
        ("Pilots", result.before.pilots, result.after.pilots, "=", result.scope_before.pilots,
         result.scope_after.pilots, False)
    ]  # fmt: skip
    for row, in_scope in zip(stat_rows(result.before, result.after),
                             stat_rows(result.scope_before, result.scope_after), strict=True):  # fmt: skip
        label = "Ready share (%)" if row.share else row.label
        lines.append((label, row.before, row.after, row.change, in_scope.before, in_scope.after, row.share))
    for label, was, now, change, scope_was, scope_now, share in lines:
        values = [_share(ws, v) if share else v for v in (was, now, scope_was, scope_now)]
        cells = [write_cell(ws, label, font=_KEY_FONT), values[0], values[1], write_cell(ws, change)]
        ws.append(cells + (values[2:] if scoped else []))
    gartner = result.before.gartner_ready_share
    ws.append([write_cell(ws, "Gartner benchmark (%)", font=_KEY_FONT), gartner, gartner])
    for sentence in result.sentences():
        ws.append([write_cell(ws, sentence)])

    _section(ws, "Pilots in scope, before and after")
    headers = ["Pilot", "Business unit", "Changed", "Verdict before", "Verdict after", "Overall before",
               "Overall after"]  # fmt: skip
    headers += [f"{g.label} {when}" for g in gaps for when in ("before", "after")]
    ws.append(header_cells(ws, headers, [NAVY] * len(headers)))
    before, after = _changes(result)
    # The cells the heatmap marks: the use case's changed cells, never a comparison made again here.
    cells = result.projection.changed_cells
    raised_cells = set(zip(cells["pilot"].astype(str), cells["gap"].astype(str), strict=True))
    for (_, was), (_, now) in zip(before.iterrows(), after.iterrows(), strict=True):
        moved = was["verdict"] != now["verdict"]
        raised = [(str(was["pilot"]), gap) in raised_cells for gap in GAP_IDS]
        changed = VERDICT_MOVES if moved else SCORES_RISE if any(raised) else NO_CHANGE
        unit = was.get("business_unit")
        row = [
            write_cell(ws, str(was["pilot"]), font=_BOLD),
            write_cell(ws, None if unit is None or pd.isna(unit) else str(unit)),
            write_cell(ws, changed, font=_BOLD if changed != NO_CHANGE else Font(name="Calibri")),
            _verdict(ws, str(was["verdict"])),
            _verdict(ws, str(now["verdict"])),
            _score(ws, was["overall"]),
            _score(ws, now["overall"], font=_BOLD),
        ]
        for gap, rose in zip(GAP_IDS, raised, strict=True):
            row.append(_score(ws, was[f"score.{gap}"]))
            style = {"font": _BOLD, "fill": PatternFill("solid", fgColor=CHANGED_FILL)} if rose else {}
            row.append(_score(ws, now[f"score.{gap}"], **style))
        ws.append(row)

    _section(ws, "Next best fixes after the plan (greedy, one item at a time across the pilots in scope)")
    headers = ["Step", "Item", "Item ID", "Kind", "Gap", "Pilots fixed", "Moved to ready", "Verdicts up",
               "Overall gain (total)", "Ready after", "Ready share after (%)", "Pilots moved to ready"]  # fmt: skip
    ws.append(header_cells(ws, headers, [NAVY] * len(headers)))
    for step in result.greedy:
        ws.append(
            [
                step.step,
                write_cell(ws, step.label, font=_BOLD),
                write_cell(ws, step.item),
                write_cell(ws, step.kind.capitalize()),
                write_cell(ws, model.gap(step.gap).label),
                step.pilots_fixed,
                len(step.moved_to_ready),
                step.improved,
                write_cell(ws, display.floor_to(step.overall_gain, 1), number_format=SCORE_FORMAT),
                step.ready,
                _share(ws, step.ready_share),
                write_cell(ws, names_text(list(step.moved_to_ready), 50) if step.moved_to_ready else ""),
            ]
        )
    if not result.greedy:
        ws.append([write_cell(ws, "No single fix moves a verdict or an overall score further.", font=_NOTE_FONT)])


def _share(ws: WriteOnlyWorksheet, value: float | None) -> Any:
    """A share in percent rounded down to one decimal (the sheet never shows 47.96 as a ready-looking 48.0)."""
    if value is None:
        return None
    return write_cell(ws, display.floor_to(float(value), 1), number_format=SCORE_FORMAT)


def scenario_workbook_bytes(results: Sequence[WhatIfResult], title: str | None = None) -> bytes:
    """A workbook of projections alone, one sheet each (:func:`sheet_names`), as .xlsx bytes."""
    if not results:
        raise ValueError("a scenario workbook needs at least one projection")
    wb = Workbook(write_only=True)
    for result, name in zip(results, sheet_names(results), strict=True):
        write_scenario_sheet(wb, result, name)
    wb.properties.title = (title or f"What-if projection: {scenario_title(results[0])}")[:255]
    wb.properties.subject = results[0].label
    wb.properties.creator = "Readiness"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


__all__ = ["SCENARIO_SHEET", "WHATIF_SHEET", "scenario_workbook_bytes", "sheet_names", "write_scenario_sheet"]
