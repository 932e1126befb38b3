"""The board deck: a 16:9 PowerPoint built with python-pptx, every chart native and editable.

No browser is involved: charts are PowerPoint charts (radar, doughnut, bar, line) and the heatmap is a
table with coloured, annotated cells, so the deck builds in milliseconds per slide and a chief of staff
can restyle any chart in PowerPoint. The numbers are the core's: portfolio rows from
:func:`readiness.portfolio.score_frame`, pilot pages from :func:`readiness.scoring.score_assessment`,
statistics and sentences from :mod:`readiness.service.portfolio`; every number is written with
:mod:`readiness.display`, so a slide reads what the dashboard and the HTML report read.

Slides: title; portfolio summary (the dashboard's KPI tiles and key messages); pilots × gaps heatmap
(split over several slides for a large portfolio); verdict distribution; compound risks; trends over
time; one page per selected pilot. Every slide but the title carries a footer with the as-of date, the
model version and the page number (the title slide states both in its body).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.slide import Slide
from pptx.util import Inches, Pt

from readiness import display
from readiness.assessment import Assessment
from readiness.boardpack.data import BoardPack
from readiness.boardpack.export import PPTX_MIME
from readiness.boardpack.style import (
    ACCENT,
    FONT,
    GAP_LINE_COLORS,
    INK,
    MUTED,
    NAVY,
    OVERALL_COLOR,
    PANEL,
    RULE,
    VERDICT_COLORS,
    WHITE,
    cell_text_color,
    rgb,
    score_color,
)
from readiness.charts import short_gap_labels
from readiness.model import GAP_IDS
from readiness.portfolio import sort_portfolio
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER, ScoreResult
from readiness.service.portfolio import (
    key_messages,
    names_text,
    overall_change_text,
    portfolio_stats,
    top_actions,
    verdict_summary,
    what_changed,
)

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.55)
CONTENT_TOP = Inches(1.45)
FOOTER_TOP = Inches(7.0)
CONTENT_BOTTOM = Inches(6.85)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
HEATMAP_ROWS_PER_SLIDE = 15
# The dashboard's trend chart tells the gap lines apart by dash and marker as well as colour; so does the deck.
GAP_DASHES = [
    MSO_LINE_DASH_STYLE.SOLID,
    MSO_LINE_DASH_STYLE.DASH,
    MSO_LINE_DASH_STYLE.ROUND_DOT,
    MSO_LINE_DASH_STYLE.DASH_DOT,
    MSO_LINE_DASH_STYLE.LONG_DASH,
    MSO_LINE_DASH_STYLE.LONG_DASH_DOT,
]
GAP_MARKERS = [
    XL_MARKER_STYLE.CIRCLE,
    XL_MARKER_STYLE.SQUARE,
    XL_MARKER_STYLE.DIAMOND,
    XL_MARKER_STYLE.TRIANGLE,
    XL_MARKER_STYLE.X,
    XL_MARKER_STYLE.STAR,
]


def long_date(day: date) -> str:
    """``1 November 2026`` (no platform-specific strftime flags)."""
    return f"{day.day} {day:%B %Y}"


def footer_text(pack: BoardPack) -> str:
    """The footer of every content slide: what, as of when, by which model version."""
    return f"{pack.title} · As of {long_date(pack.as_of)} · Readiness model {pack.model_version}"


# --------------------------------------------------------------------------------------------
# Drawing primitives
# --------------------------------------------------------------------------------------------


def _text(
    slide: Slide,
    left: int,
    top: int,
    width: int,
    height: int,
    text: str,
    size: float = 14,
    color: str = INK,
    bold: bool = False,
    align: PP_ALIGN = PP_ALIGN.LEFT,
    anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
    name: str | None = None,
) -> None:
    """A text box with one paragraph (lines split on ``\\n``), no insets, wrapped, in the deck font."""
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    for k, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.alignment = align
        _run(paragraph, line, size, color, bold)


def _run(paragraph, text: str, size: float, color: str, bold: bool = False) -> None:
    run = paragraph.add_run()
    run.text = text
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = rgb(color)


def _bullets(slide: Slide, left: int, top: int, width: int, height: int, lines: Sequence[str], size: float = 13,
             color: str = INK, space_after: float = 6, marker: str = "•") -> None:  # fmt: skip
    """A list with hanging bullet glyphs (drawn as text so every office suite shows them alike)."""
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    for k, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(space_after)
        _run(paragraph, f"{marker}  " if marker else "", size, ACCENT, bold=True)
        _run(paragraph, line, size, color)


def _rect(slide: Slide, left: int, top: int, width: int, height: int, fill: str,
          shape: MSO_SHAPE = MSO_SHAPE.RECTANGLE) -> object:  # fmt: skip
    box = slide.shapes.add_shape(shape, left, top, width, height)
    box.fill.solid()
    box.fill.fore_color.rgb = rgb(fill)
    box.line.fill.background()
    # The default shape style carries a theme shadow that LibreOffice draws even with an empty effect
    # list; without the style element the shape is exactly what its properties say.
    style = box._element.find(qn("p:style"))
    if style is not None:
        box._element.remove(style)
    if shape == MSO_SHAPE.ROUNDED_RECTANGLE:
        box.adjustments[0] = 0.08
    return box


def _label_in(shape: object, text: str, size: float, color: str, bold: bool = True) -> None:
    frame = shape.text_frame  # type: ignore[attr-defined]
    frame.margin_left = frame.margin_right = Inches(0.08)
    frame.margin_top = frame.margin_bottom = 0
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.CENTER
    _run(paragraph, text, size, color, bold)


def _style_chart(chart, size: float = 11, legend: bool = True) -> None:
    chart.font.name = FONT
    chart.font.size = Pt(size)
    chart.font.color.rgb = rgb(INK)
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(size)
        chart.legend.font.name = FONT


def _gridlines(axis, color: str = RULE) -> None:
    axis.has_major_gridlines = True
    axis.major_gridlines.format.line.color.rgb = rgb(color)
    axis.major_gridlines.format.line.width = Pt(0.75)
    axis.format.line.fill.background()


# --------------------------------------------------------------------------------------------
# Slide frame: title, subtitle, footer
# --------------------------------------------------------------------------------------------


@dataclass
class _Deck:
    """The presentation being built and what every slide needs to know."""

    pack: BoardPack
    prs: Presentation
    total: int

    def slide(self, title: str, subtitle: str = "") -> Slide:
        """A blank content slide with its title, subtitle, accent rule and footer."""
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[6])
        _rect(slide, MARGIN, Inches(0.42), Inches(0.09), Inches(0.62), ACCENT)
        _text(slide, MARGIN + Inches(0.25), Inches(0.36), CONTENT_WIDTH - Inches(0.25), Inches(0.5), title, 26, INK,
              bold=True, name="Title")  # fmt: skip
        if subtitle:
            _text(slide, MARGIN + Inches(0.25), Inches(0.86), CONTENT_WIDTH - Inches(0.25), Inches(0.35), subtitle,
                  13, MUTED, name="Subtitle")  # fmt: skip
        self.footer(slide)
        return slide

    def footer(self, slide: Slide) -> None:
        """The hairline, the footer text and the page number."""
        line = slide.shapes.add_connector(1, MARGIN, FOOTER_TOP - Inches(0.08), SLIDE_WIDTH - MARGIN,
                                          FOOTER_TOP - Inches(0.08))  # fmt: skip
        line.line.color.rgb = rgb(RULE)
        line.line.width = Pt(0.75)
        number = len(self.prs.slides)
        _text(slide, MARGIN, FOOTER_TOP, CONTENT_WIDTH - Inches(1.2), Inches(0.3), footer_text(self.pack), 10, MUTED,
              name="Footer")  # fmt: skip
        _text(slide, SLIDE_WIDTH - MARGIN - Inches(1.2), FOOTER_TOP, Inches(1.2), Inches(0.3),
              f"{number} / {self.total}", 10, MUTED, align=PP_ALIGN.RIGHT, name="Page number")  # fmt: skip


# --------------------------------------------------------------------------------------------
# Portfolio slides
# --------------------------------------------------------------------------------------------


def _title_slide(deck: _Deck) -> None:
    pack = deck.pack
    slide = deck.prs.slides.add_slide(deck.prs.slide_layouts[6])
    _rect(slide, 0, 0, SLIDE_WIDTH, SLIDE_HEIGHT, NAVY)
    _rect(slide, Inches(0.9), Inches(2.35), Inches(0.12), Inches(1.9), ACCENT)
    _text(slide, Inches(1.25), Inches(2.2), Inches(11), Inches(0.9), pack.title, 44, WHITE, bold=True, name="Title")
    _text(slide, Inches(1.25), Inches(3.1), Inches(11), Inches(0.6), "Production readiness review for the board", 22,
          "#c9d3e3")  # fmt: skip
    _text(slide, Inches(1.25), Inches(3.75), Inches(11), Inches(0.5), f"As of {long_date(pack.as_of)}", 18, WHITE,
          bold=True, name="As of")  # fmt: skip
    pilots = len(pack.latest)
    _text(slide, Inches(1.25), Inches(6.45), Inches(11), Inches(0.4),
          f"As of {long_date(pack.as_of)} · {pilots} pilot{'s' if pilots != 1 else ''} · six production gaps · "
          f"Readiness model {pack.model_version}",
          12, "#c9d3e3", name="Footer")  # fmt: skip


def _kpi_tile(slide: Slide, left: int, top: int, width: int, height: int, label: str, value: str, note: str,
              value_color: str = INK) -> None:  # fmt: skip
    _rect(slide, left, top, width, height, PANEL)
    pad = Inches(0.2)
    _text(slide, left + pad, top + Inches(0.18), width - 2 * pad, Inches(0.3), label.upper(), 10, MUTED, bold=True)
    _text(slide, left + pad, top + Inches(0.5), width - 2 * pad, Inches(0.75), value, 36, value_color, bold=True)
    _text(slide, left + pad, top + Inches(1.28), width - 2 * pad, Inches(0.5), note, 11, MUTED)


def _summary_slide(deck: _Deck) -> None:
    pack = deck.pack
    stats = portfolio_stats(pack.latest, pack.model)
    slide = deck.slide("Portfolio at a glance", f"{display.count_text(stats.pilots, 'pilot')} assessed on the six "
                       "production gaps")  # fmt: skip
    gap = Inches(0.22)
    width = int((CONTENT_WIDTH - 4 * gap) / 5)
    height = Inches(1.95)
    top = CONTENT_TOP
    share = stats.ready_share
    months = stats.median_months_in_pilot
    benchmark = display.threshold_text(stats.stalled_after_months)
    # Tile colours compare the shown numbers, as the sentences below them do (8.04 months reads 8.0: not red).
    over_benchmark = months is not None and display.floor_to(months, 1) > stats.stalled_after_months
    tiles = [
        ("Pilots", f"{stats.pilots}", verdict_summary(stats), INK),
        ("Ready for production", display.percent_text(share),
         f"Gartner benchmark: {display.threshold_text(stats.gartner_ready_share)}% reach production",
         VERDICT_COLORS["ready"] if display.floor_to(share or 0) >= stats.gartner_ready_share
         else VERDICT_COLORS["not_ready"]),
        ("Median months in pilot", display.months_text(months), f"Benchmark: {benchmark} months to production",
         VERDICT_COLORS["not_ready"] if over_benchmark else INK),
        ("Active compound risks", f"{stats.active_compound_risks}",
         f"{stats.critical_compound_risks} critical, in {display.count_text(stats.pilots_with_compound_risk, 'pilot')}",
         VERDICT_COLORS["not_ready"] if stats.critical_compound_risks else INK),
        ("Stalled pilots", f"{len(stats.stalled)}", f"In pilot longer than {benchmark} months",
         VERDICT_COLORS["not_ready"] if stats.stalled else INK),
    ]  # fmt: skip
    for k, (label, value, note, color) in enumerate(tiles):
        _kpi_tile(slide, MARGIN + k * (width + gap), top, width, height, label, value, note, color)
    messages_top = top + height + Inches(0.45)
    _text(slide, MARGIN, messages_top, CONTENT_WIDTH, Inches(0.35), "What the board should know", 16, INK, bold=True)
    _bullets(slide, MARGIN, messages_top + Inches(0.5), CONTENT_WIDTH, CONTENT_BOTTOM - messages_top - Inches(0.5),
             key_messages(pack.latest, pack.history, pack.model), 14, space_after=8)  # fmt: skip


def _heatmap_slides(deck: _Deck) -> None:
    pack = deck.pack
    ordered = sort_portfolio(pack.latest, "readiness")
    pages = max(1, -(-len(ordered) // HEATMAP_ROWS_PER_SLIDE))
    for page in range(pages):
        chunk = ordered.iloc[page * HEATMAP_ROWS_PER_SLIDE : (page + 1) * HEATMAP_ROWS_PER_SLIDE]
        suffix = f" ({page + 1} of {pages})" if pages > 1 else ""
        slide = deck.slide(f"Readiness by pilot and gap{suffix}",
                           "Least ready first; each cell is the gap's score out of 100")  # fmt: skip
        _heatmap_table(slide, chunk, pack)


def _heatmap_table(slide: Slide, rows: pd.DataFrame, pack: BoardPack) -> None:
    shorts = short_gap_labels(pack.model)
    low_confidence = pack.model.verdict.ready_confidence_at_least
    headers = ["Pilot", "Business unit", "Verdict", *[shorts[g] for g in GAP_IDS], "Overall"]
    widths = [2.45, 1.7, 1.15, *[1.02] * len(GAP_IDS), 0.9]
    row_height = Inches(0.3)
    height = row_height * (len(rows) + 1)
    frame = slide.shapes.add_table(len(rows) + 1, len(headers), MARGIN, CONTENT_TOP, Inches(sum(widths)), height)
    frame.name = "Heatmap"
    table = frame.table
    table.first_row = True
    table.horz_banding = False
    for k, width in enumerate(widths):
        table.columns[k].width = Inches(width)
    for k, header in enumerate(headers):
        _cell(table.cell(0, k), header, WHITE, MUTED, bold=True, align=PP_ALIGN.LEFT if k < 3 else PP_ALIGN.CENTER,
              size=10)  # fmt: skip
    for i, (_, row) in enumerate(rows.iterrows(), start=1):
        table.rows[i].height = row_height
        _cell(table.cell(i, 0), str(row["pilot"]), WHITE, INK, bold=True)
        _cell(table.cell(i, 1), str(row["business_unit"] or ""), WHITE, MUTED)
        verdict = str(row["verdict"])
        _cell(table.cell(i, 2), VERDICT_LABELS[verdict], VERDICT_COLORS[verdict], WHITE, bold=True)
        for k, gap in enumerate(GAP_IDS, start=3):
            score = float(row[f"score.{gap}"])
            mark = "*" if float(row[f"confidence.{gap}"]) < low_confidence else ""
            _cell(table.cell(i, k), f"{display.score_text(score)}{mark}", score_color(score), None,
                  align=PP_ALIGN.CENTER)  # fmt: skip
        overall = float(row["overall"])
        _cell(table.cell(i, len(headers) - 1), display.score_text(overall), score_color(overall), None, bold=True,
              align=PP_ALIGN.CENTER)  # fmt: skip
    table.rows[0].height = row_height
    verdict = pack.model.verdict
    note = (
        f"* confidence below {display.confidence_threshold_text(low_confidence)}: the score rests mostly on "
        f"unknown, missing or self-reported evidence.   Red below {display.threshold_text(verdict.not_ready_gap_below)}"
        f" (not ready), green from {display.threshold_text(verdict.ready_gap_at_least)} (ready)."
    )
    _text(slide, MARGIN, CONTENT_TOP + height + Inches(0.12), CONTENT_WIDTH, Inches(0.3), note, 10, MUTED)


def _cell(cell, text: str, fill: str, color: str | None, bold: bool = False,
          align: PP_ALIGN = PP_ALIGN.LEFT, size: float = 11) -> None:  # fmt: skip
    cell.fill.solid()
    cell.fill.fore_color.rgb = rgb(fill)
    cell.margin_left = cell.margin_right = Inches(0.08)
    cell.margin_top = cell.margin_bottom = Inches(0.02)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame = cell.text_frame
    frame.word_wrap = False
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align
    _run(paragraph, text, size, color or cell_text_color(fill), bold)


def _verdict_slide(deck: _Deck) -> None:
    pack = deck.pack
    latest = pack.latest
    stats = portfolio_stats(latest, pack.model)
    slide = deck.slide("Verdict distribution", "How many pilots are ready, conditional or not ready, and where")
    data = CategoryChartData()
    order = list(reversed(VERDICT_ORDER))
    data.categories = [VERDICT_LABELS[v] for v in order]
    data.add_series("Pilots", [stats.by_verdict[v] for v in order])
    left_width = Inches(5.2)
    chart_height = CONTENT_BOTTOM - CONTENT_TOP - Inches(0.1)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.DOUGHNUT, MARGIN, CONTENT_TOP, left_width, chart_height, data)
    frame.name = "Verdict doughnut"
    chart = frame.chart
    _style_chart(chart, 12)
    chart.has_title = True
    chart.chart_title.text_frame.text = f"{display.count_text(stats.pilots, 'pilot')} by verdict"
    _title_font(chart.chart_title, 13)
    plot = chart.plots[0]
    plot.vary_by_categories = True
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.show_value = True
    labels.show_category_name = False
    labels.font.size = Pt(14)
    labels.font.bold = True
    labels.font.color.rgb = rgb(WHITE)
    for k, verdict in enumerate(order):
        point = plot.series[0].points[k]
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = rgb(VERDICT_COLORS[verdict])
        point.format.line.color.rgb = rgb(WHITE)

    table = pd.crosstab(latest["business_unit"].fillna("(none)"), latest["verdict"]) if len(latest) else None
    by_unit = CategoryChartData()
    units: list[str] = []
    if table is not None:
        table = table.reindex(columns=list(VERDICT_ORDER), fill_value=0)
        table = table.loc[table.sum(axis=1).sort_values().index]
        units = [str(u) for u in table.index]
    by_unit.categories = units
    for verdict in order:
        counts = [int(table.loc[u, verdict]) for u in table.index] if table is not None else []
        by_unit.add_series(VERDICT_LABELS[verdict], counts)
    right = MARGIN + left_width + Inches(0.4)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, right, CONTENT_TOP, SLIDE_WIDTH - MARGIN - right,
                                   chart_height, by_unit)  # fmt: skip
    frame.name = "Verdicts by business unit"
    chart = frame.chart
    _style_chart(chart, 12)
    chart.has_title = True
    chart.chart_title.text_frame.text = "Pilots by business unit"
    _title_font(chart.chart_title, 13)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.overlap = 100
    plot.has_data_labels = True
    plot.data_labels.font.color.rgb = rgb(WHITE)
    plot.data_labels.font.size = Pt(12)
    plot.data_labels.font.bold = True
    plot.data_labels.number_format = "0;;;"  # hide zero counts
    plot.data_labels.number_format_is_linked = False
    for series, verdict in zip(plot.series, order, strict=True):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = rgb(VERDICT_COLORS[verdict])
    value_axis = chart.value_axis
    value_axis.minimum_scale = 0
    value_axis.maximum_scale = max(1, int(table.sum(axis=1).max())) if table is not None and len(table) else 1
    value_axis.major_unit = 1 if value_axis.maximum_scale <= 12 else None
    _gridlines(value_axis)
    value_axis.tick_labels.font.color.rgb = rgb(MUTED)
    chart.category_axis.format.line.color.rgb = rgb(RULE)


def _title_font(title, size: float) -> None:
    for paragraph in title.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = True
            run.font.name = FONT
            run.font.color.rgb = rgb(INK)


def _risk_slide(deck: _Deck) -> None:
    pack = deck.pack
    latest, model = pack.latest, pack.model
    labels = short_gap_labels(model)
    rules = model.compound
    slide = deck.slide(
        "Compound risks across the portfolio",
        f"Two weak gaps amplify each other: active when both score below {display.threshold_text(rules.active_below)}, "
        f"critical below {display.threshold_text(rules.critical_below)}",
    )
    rows = []
    for edge in model.edges:
        states = latest[f"state.{edge.id}"] if len(latest) else pd.Series(dtype=object)
        active = latest.loc[states != "inactive"] if len(latest) else latest
        critical = int((states == "critical").sum())
        ranked = active.assign(_critical=active[f"state.{edge.id}"] == "critical").sort_values(
            ["_critical", f"severity.{edge.id}"], ascending=[False, False]
        )
        rows.append((edge, len(active), critical, list(ranked["pilot"])))
    rows.sort(key=lambda r: (-r[1], -r[2], r[0].id))
    headers = ["Interaction", "What happens", "Active", "Critical", "Pilots affected (most severe first)"]
    widths = [2.2, 4.0, 0.85, 0.85, 4.33]
    row_height = Inches(0.52)
    frame = slide.shapes.add_table(len(rows) + 1, len(headers), MARGIN, CONTENT_TOP, Inches(sum(widths)),
                                   row_height * (len(rows) + 1))  # fmt: skip
    frame.name = "Compound risks"
    table = frame.table
    table.horz_banding = False
    for k, width in enumerate(widths):
        table.columns[k].width = Inches(width)
    for k, header in enumerate(headers):
        align = PP_ALIGN.CENTER if k in (2, 3) else PP_ALIGN.LEFT
        _cell(table.cell(0, k), header, WHITE, MUTED, bold=True, align=align)
    table.rows[0].height = Inches(0.32)
    for i, (edge, active, critical, names) in enumerate(rows, start=1):
        table.rows[i].height = row_height
        fill = PANEL if i % 2 else WHITE
        _cell(table.cell(i, 0), f"{labels[edge.source]} → {labels[edge.target]}", fill, INK, bold=True)
        _wrapped(table.cell(i, 1), edge.chain[:1].upper() + edge.chain[1:], fill, INK)
        active_fill = VERDICT_COLORS["conditional"] if active else fill
        critical_fill = VERDICT_COLORS["not_ready"] if critical else fill
        _cell(table.cell(i, 2), str(active), active_fill, None, bold=True, align=PP_ALIGN.CENTER)
        _cell(table.cell(i, 3), str(critical), critical_fill, None, bold=True, align=PP_ALIGN.CENTER)
        _wrapped(table.cell(i, 4), names_text(names, 6) if names else "—", fill, MUTED if not names else INK)


def _wrapped(cell, text: str, fill: str, color: str) -> None:
    _cell(cell, text, fill, color)
    cell.text_frame.word_wrap = True
    for run in cell.text_frame.paragraphs[0].runs:
        run.font.size = Pt(10.5)


def _trend_slide(deck: _Deck) -> None:
    pack = deck.pack
    monthly = pack.monthly
    slide = deck.slide("Trends over time",
                       "Portfolio at each month end: every pilot's latest assessment by then")  # fmt: skip
    months = [f"{m:%b %Y}" for m in monthly["month"]]
    shorts = short_gap_labels(pack.model)
    data = CategoryChartData()
    data.categories = months
    for gap in GAP_IDS:
        data.add_series(shorts[gap], _chart_values(monthly[f"score.{gap}"]))
    data.add_series("Overall", _chart_values(monthly["overall"]))
    height = CONTENT_BOTTOM - CONTENT_TOP - Inches(0.1)
    left_width = Inches(7.2)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, MARGIN, CONTENT_TOP, left_width, height, data)
    frame.name = "Median scores over time"
    chart = frame.chart
    _style_chart(chart, 11)
    chart.has_title = True
    chart.chart_title.text_frame.text = "Median score by gap (0-100)"
    _title_font(chart.chart_title, 13)
    colors = [*GAP_LINE_COLORS, OVERALL_COLOR]
    for k, series in enumerate(chart.plots[0].series):
        overall = k == len(GAP_IDS)
        series.smooth = False
        series.format.line.color.rgb = rgb(colors[k])
        series.format.line.width = Pt(3.5 if overall else 1.5)
        series.format.line.dash_style = MSO_LINE_DASH_STYLE.SOLID if overall else GAP_DASHES[k]
        series.marker.style = XL_MARKER_STYLE.CIRCLE if overall else GAP_MARKERS[k]
        series.marker.size = 7 if overall else 5
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = rgb(colors[k])
        series.marker.format.line.color.rgb = rgb(colors[k])
    value_axis = chart.value_axis
    value_axis.minimum_scale, value_axis.maximum_scale, value_axis.major_unit = 0, 100, 20
    _gridlines(value_axis)
    value_axis.tick_labels.font.color.rgb = rgb(MUTED)
    chart.category_axis.tick_labels.font.color.rgb = rgb(MUTED)
    chart.category_axis.format.line.color.rgb = rgb(RULE)

    counts = CategoryChartData()
    counts.categories = months
    order = list(VERDICT_ORDER)
    for verdict in order:
        counts.add_series(VERDICT_LABELS[verdict], [int(v) for v in monthly[verdict]])
    right = MARGIN + left_width + Inches(0.35)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_STACKED, right, CONTENT_TOP, SLIDE_WIDTH - MARGIN - right,
                                   height, counts)  # fmt: skip
    frame.name = "Verdicts over time"
    chart = frame.chart
    _style_chart(chart, 11)
    chart.has_title = True
    chart.chart_title.text_frame.text = "Pilots by verdict"
    _title_font(chart.chart_title, 13)
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.overlap = 100
    for series, verdict in zip(plot.series, order, strict=True):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = rgb(VERDICT_COLORS[verdict])
    _gridlines(chart.value_axis)
    chart.value_axis.tick_labels.font.color.rgb = rgb(MUTED)
    chart.category_axis.tick_labels.font.color.rgb = rgb(MUTED)
    chart.category_axis.format.line.color.rgb = rgb(RULE)


def _chart_values(values: pd.Series) -> list[float]:
    """A native chart's data with one decimal, rounded down like every shown number: whoever opens the
    chart's data sheet reads no number the slides would write differently."""
    return [display.floor_to(float(v), 1) for v in values]


# --------------------------------------------------------------------------------------------
# Pilot slides
# --------------------------------------------------------------------------------------------


def radar_values(result: ScoreResult) -> list[float]:
    """The six gap scores of a score, in model order: what a pilot slide's radar plots."""
    return [float(result.gaps[g].score) for g in GAP_IDS]


def _pilot_slide(deck: _Deck, pilot: str, latest: ScoreResult, previous: ScoreResult | None) -> None:
    pack = deck.pack
    row = pack.latest.loc[pack.latest["pilot"] == pilot]
    context = row.iloc[0] if len(row) else None
    bits = []
    if context is not None:
        bits += [str(context["business_unit"] or ""), str(context["owning_team"] or ""), str(context["stage"] or "")]
    if latest.months_in_pilot is not None:
        bits.append(f"{display.months_text(latest.months_in_pilot)} months since start")
    bits.append(f"assessed {long_date(latest.as_of)}")
    slide = deck.slide(pilot, " · ".join(b for b in bits if b))

    shorts = short_gap_labels(pack.model)
    data = CategoryChartData()
    data.categories = [shorts[g] for g in GAP_IDS]
    data.add_series(f"Latest ({latest.as_of.isoformat()})", radar_values(latest))
    if previous is not None:
        data.add_series(f"Previous ({previous.as_of.isoformat()})", radar_values(previous))
    chart_width, chart_height = Inches(6.3), CONTENT_BOTTOM - CONTENT_TOP - Inches(1.0)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.RADAR, MARGIN, CONTENT_TOP - Inches(0.1), chart_width, chart_height,
                                   data)  # fmt: skip
    frame.name = "Radar"
    chart = frame.chart
    _style_chart(chart, 11)
    chart.has_title = False  # a one-series chart would otherwise be titled with its series name
    # A plain radar (lines, no markers): it stays XL_CHART_TYPE.RADAR for anyone who edits or inspects it;
    # the exact numbers are written under it.
    styles = [(ACCENT, 3.0, MSO_LINE_DASH_STYLE.SOLID), ("#8d6cab", 1.75, MSO_LINE_DASH_STYLE.DASH)]
    for series, (color, width, dash) in zip(chart.plots[0].series, styles, strict=False):
        series.format.line.color.rgb = rgb(color)
        series.format.line.width = Pt(width)
        series.format.line.dash_style = dash
        series.smooth = False
    value_axis = chart.value_axis
    value_axis.minimum_scale, value_axis.maximum_scale, value_axis.major_unit = 0, 100, 20
    value_axis.tick_labels.font.size = Pt(9)
    value_axis.tick_labels.font.color.rgb = rgb(MUTED)
    _gridlines(value_axis)
    _score_strip(slide, MARGIN, CONTENT_BOTTOM - Inches(0.98), chart_width, latest, previous, pack)
    _pilot_panel(slide, latest, previous, pack)


def _score_strip(slide: Slide, left: int, top: int, width: int, latest: ScoreResult, previous: ScoreResult | None,
                 pack: BoardPack) -> None:  # fmt: skip
    """The six scores written out under the radar, coloured on the dashboard's scale, with the change: the
    arrows are the difference of the shown scores (:func:`readiness.service.portfolio.what_changed`)."""
    shorts = short_gap_labels(pack.model)
    cell_width = int(width / len(GAP_IDS))
    changes = {c.key: c for c in what_changed(latest, previous, pack.model)}
    for k, gap in enumerate(GAP_IDS):
        x = left + k * cell_width
        score = latest.gaps[gap].score
        _text(slide, x, top, cell_width, Inches(0.25), shorts[gap], 10, MUTED, align=PP_ALIGN.CENTER)
        tile = _rect(slide, x + Inches(0.06), top + Inches(0.27), cell_width - Inches(0.12), Inches(0.42),
                     score_color(score))  # fmt: skip
        tile.name = f"Score {gap}"
        _label_in(tile, display.score_text(score), 16, cell_text_color(score_color(score)))
        if previous is not None:
            change = changes[gap]
            delta = change.delta or 0
            color = MUTED if delta == 0 else VERDICT_COLORS["ready" if delta > 0 else "not_ready"]
            _text(slide, x, top + Inches(0.74), cell_width, Inches(0.25), change.arrow, 10, color,
                  align=PP_ALIGN.CENTER, name=f"Change {gap}")  # fmt: skip


def _pilot_panel(slide: Slide, latest: ScoreResult, previous: ScoreResult | None, pack: BoardPack) -> None:
    """Right half of a pilot page: verdict badge, headline numbers, reasons, top actions, path onward."""
    left = MARGIN + Inches(6.75)
    width = SLIDE_WIDTH - MARGIN - left
    top = CONTENT_TOP
    badge = _rect(slide, left, top, Inches(2.0), Inches(0.62), VERDICT_COLORS[latest.verdict],
                  MSO_SHAPE.ROUNDED_RECTANGLE)  # fmt: skip
    badge.name = "Verdict"
    _label_in(badge, VERDICT_LABELS[latest.verdict].upper(), 16, WHITE)
    text_left = left + Inches(2.2)
    _text(slide, text_left, top - Inches(0.04), width - Inches(2.2), Inches(0.36),
          f"Overall {display.score_text(latest.overall)} / 100", 20, INK, bold=True, name="Overall")  # fmt: skip
    weakest = short_gap_labels(pack.model)[latest.weakest_gap]
    lines = [f"confidence {display.confidence_text(latest.overall_confidence)} · weakest: {weakest}"]
    change = overall_change_text(latest, previous)
    if change:
        lines.insert(0, change)
    _text(slide, text_left, top + Inches(0.36), width - Inches(2.2), Inches(0.45), "\n".join(lines), 11, MUTED)

    box = slide.shapes.add_textbox(left, top + Inches(0.95), width, CONTENT_BOTTOM - top - Inches(0.95))
    box.name = "Why and actions"
    frame = box.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    reasons = latest.reasons[:3]
    flags = [f.message for f in latest.flags][: max(0, 4 - len(reasons))]
    actions = top_actions(latest, 3)
    lines = [f"{display.gain_text(a.gain)}  {a.item}: {_clip(a.label, 90)} ({a.current} → {a.target})" for a in actions]
    blocks: list[tuple[str, str]] = [("heading", "Why")]
    blocks += [("bullet", line) for line in [*reasons, *flags]]
    blocks.append(("heading", "Top actions (gain in overall readiness)"))
    blocks += [("action", line) for line in lines] or [("note", "Nothing left to fix: every item is green.")]
    path = latest.path_to_next_verdict
    if path.target_verdict:
        blocks.append(("note", f"Path to {VERDICT_LABELS[path.target_verdict]}: {path.note}"))
    for k, (kind, text) in enumerate(blocks):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        if kind == "heading":
            paragraph.space_before = Pt(0 if k == 0 else 14)
            paragraph.space_after = Pt(6)
            _run(paragraph, text, 14, INK, bold=True)
        elif kind == "note":
            paragraph.space_before = Pt(6)
            _run(paragraph, text, 10.5, MUTED)
        else:
            paragraph.space_after = Pt(5)
            _run(paragraph, "•  " if kind == "bullet" else "›  ", 11.5, ACCENT, bold=True)
            _run(paragraph, text, 11.5, INK)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------------------------
# The deck
# --------------------------------------------------------------------------------------------


def slide_plan(pack: BoardPack) -> list[str]:
    """The slides the deck will hold, in order (``"pilot:<name>"`` for pilot pages)."""
    heatmap_pages = _heatmap_pages(len(pack.latest))
    return [
        "title",
        "summary",
        *["heatmap"] * heatmap_pages,
        "verdicts",
        "compound_risks",
        "trends",
        *[f"pilot:{name}" for name in pack.pilots],
    ]


def build_deck(pack: BoardPack, progress: Callable[[float, str], None] | None = None) -> bytes:
    """The board deck of ``pack`` as PPTX bytes.

    ``progress`` (optional) is called with the fraction done (0-1) and what is being drawn, so a page
    can drive a progress bar.
    """
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    prs.core_properties.title = f"{pack.title} — board pack, as of {pack.as_of.isoformat()}"
    prs.core_properties.subject = f"Readiness model {pack.model_version}"
    plan = slide_plan(pack)
    deck = _Deck(pack, prs, len(plan))
    steps: list[tuple[str, Callable[[], None]]] = [
        ("title", lambda: _title_slide(deck)),
        ("portfolio summary", lambda: _summary_slide(deck)),
        ("heatmap", lambda: _heatmap_slides(deck)),
        ("verdict distribution", lambda: _verdict_slide(deck)),
        ("compound risks", lambda: _risk_slide(deck)),
        ("trends", lambda: _trend_slide(deck)),
    ]
    for name, (latest, previous) in pack.pilot_results.items():
        steps.append((name, lambda n=name, a=latest, b=previous: _pilot_slide(deck, n, a, b)))
    for k, (label, draw) in enumerate(steps):
        if progress:
            progress(k / len(steps), label)
        draw()
    if progress:
        progress(1.0, "done")
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def _heatmap_pages(pilots: int) -> int:
    return max(1, -(-pilots // HEATMAP_ROWS_PER_SLIDE))


def _renamed(assessment: Assessment, name: str) -> Assessment:
    return assessment.model_copy(update={"pilot": assessment.pilot.model_copy(update={"name": name})})


def bench_deck(slides: int = 30, runs: int = 3) -> dict[str, float]:
    """Time a ``slides``-slide deck on the demo portfolio, for ``make bench`` (target: at most 3 s).

    The demo's pilots are repeated under new names until the deck has enough pilot pages. ``seconds``
    is the median over ``runs`` of the whole job from assessments to PPTX bytes (scoring the portfolio,
    scoring each pilot page's snapshots, drawing and saving); ``prepare_seconds`` and ``deck_seconds``
    split it; ``slides`` and ``bytes`` describe the deck built.
    """
    from readiness.boardpack.data import pack_from_assessments
    from readiness.demo import demo_assessments

    base = demo_assessments()
    names = sorted({a.pilot.name for a in base})
    copies = 1
    while 5 + _heatmap_pages(copies * len(names)) + copies * len(names) < slides:
        copies += 1
    assessments = [_renamed(a, f"{a.pilot.name} {k + 1}" if k else a.pilot.name) for k in range(copies) for a in base]
    pilot_pages = max(0, slides - 5 - _heatmap_pages(copies * len(names)))
    pilots = sorted({a.pilot.name for a in assessments})[:pilot_pages]
    timings: list[tuple[float, float, float]] = []
    blob = b""
    pack = None
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        pack = pack_from_assessments(assessments, pilots=pilots)
        prepared = time.perf_counter()
        blob = build_deck(pack)
        built = time.perf_counter()
        timings.append((built - started, prepared - started, built - prepared))
    total, prepare, deck = sorted(timings)[len(timings) // 2]
    assert pack is not None
    return {
        "seconds": round(total, 3),
        "prepare_seconds": round(prepare, 3),
        "deck_seconds": round(deck, 3),
        "runs": len(timings),
        "slides": len(slide_plan(pack)),
        "bytes": len(blob),
    }


__all__ = ["PPTX_MIME", "bench_deck", "build_deck", "footer_text", "radar_values", "slide_plan"]
