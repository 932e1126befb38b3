"""The board deck: a 16:9 PowerPoint built with python-pptx, every chart native and editable.

No browser is involved: charts are PowerPoint charts (radar, doughnut, bar, line) and the heatmap is a
table with coloured, annotated cells, so the deck builds in milliseconds per slide and a chief of staff
can restyle any chart in PowerPoint. The numbers are the core's: portfolio rows from
:func:`readiness.portfolio.score_frame`, pilot pages from :func:`readiness.scoring.score_assessment`,
statistics and sentences from :mod:`readiness.service.portfolio`; every number is written with
:mod:`readiness.display`, so a slide reads what the dashboard and the HTML report read.

Slides: title; portfolio summary (the dashboard's KPI tiles and key messages); decisions for the board
(promote, fix, stop or rethink, and the board's asks: :mod:`readiness.service.decisions`); pilots × gaps
heatmap (split over several slides; at most 200 pilots, the least ready, of a larger portfolio); verdict
distribution (with the pilots whose verdict depends on the method or sits close to a threshold:
:mod:`readiness.service.sensitivity`); compound risks; trends over time; one page per selected pilot,
promote first, then fix, then stop; last, one slide per what-if scenario the pack carries
(:attr:`BoardPack.scenarios`), tagged a projection in its corner and labelled so under its title (the plan,
its scope, the portfolio before → after, the verdicts that move, the next best fixes, all from the
:class:`~readiness.service.whatif.WhatIfResult`). Every slide but the title carries a footer with the as-of
date, the model version and the page number (the title slide states both in its body).
:func:`build_scenario_deck` draws projections alone, in the same look (the what-if page's download).

Plain words: the slides name items by their short label (``Named operating team``), never by ID, and
compound risks by their chain of gaps. Text that fits: every box is sized for its lines at Arial's widths
plus slack (:mod:`readiness.boardpack.style`), with no autofit and no wrapping in narrow tiles, so the deck
lays out alike in PowerPoint, Keynote, Google Slides and LibreOffice (tests/test_deck_layout.py renders
every slide through LibreOffice and checks that no word leaves its shape or breaks inside).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.slide import Slide
from pptx.table import Table
from pptx.util import Inches, Pt
from xlsxwriter import Workbook

from readiness import display
from readiness.assessment import Assessment
from readiness.boardpack.data import DEFAULT_TITLE, BoardPack
from readiness.boardpack.export import PPTX_MIME
from readiness.boardpack.scenario import (
    PROJECTION_TAG,
    blocked_line,
    fixes_line,
    greedy_detail,
    in_scope_line,
    meets_benchmark,
    mover_overall,
    scenario_subtitle,
    scenario_title,
    scope_line,
    stat_rows,
)
from readiness.boardpack.style import (
    ACCENT,
    EMU_PER_POINT,
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
    fit,
    lines_needed,
    rgb,
    score_color,
    text_width,
)
from readiness.charts import short_gap_labels
from readiness.model import GAP_IDS
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER, ScoreResult
from readiness.service.decisions import DECISION_LABELS, PilotDecision, action_text, decision_of, plain_text
from readiness.service.portfolio import (
    MAX_SHOWN,
    key_messages,
    least_ready,
    measured_sources,
    names_text,
    overall_change_text,
    overall_explained,
    portfolio_stats,
    shown_note,
    top_actions,
    verdict_summary,
    what_changed,
)
from readiness.service.sensitivity import band_message, method_line, method_message
from readiness.service.whatif import PROJECTION_LABEL, WhatIfResult

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.55)
CONTENT_TOP = Inches(1.45)
FOOTER_TOP = Inches(7.0)
CONTENT_BOTTOM = Inches(6.85)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
TITLE_SIZE, SMALLER_TITLE_SIZE = 26, 20  # points; the smaller for a long scenario name before it is cut
HEATMAP_ROWS_PER_SLIDE = 16  # at 0.28 in a row, with the header and the note, above the footer
NAMES_TRIED = 100  # names a table cell of a few lines is tried with (it holds far fewer)
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


class _LiteralWorkbookWriter(CategoryWorkbookWriter):
    """The workbook python-pptx embeds behind each native chart ("Edit Data" in PowerPoint), with text never
    read as a formula: a business unit named ``=HYPERLINK(…)`` is a label there, as everywhere else."""

    @contextmanager
    def _open_worksheet(self, xlsx_file: io.BytesIO) -> Iterator[tuple[Workbook, object]]:
        workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class ChartData(CategoryChartData):
    """Category chart data whose embedded workbook keeps user text as text (:class:`_LiteralWorkbookWriter`)."""

    @cached_property
    def _workbook_writer(self) -> CategoryWorkbookWriter:
        return _LiteralWorkbookWriter(self)


def long_date(day: date) -> str:
    """``1 November 2026`` (no platform-specific strftime flags)."""
    return f"{day.day} {day:%B %Y}"


def footer_text(pack: BoardPack) -> str:
    """The footer of every content slide: what, as of when, by which model version."""
    return f"{pack.title} · As of {long_date(pack.as_of)} · Readiness model {pack.model_version}"


# --------------------------------------------------------------------------------------------
# Drawing primitives
# --------------------------------------------------------------------------------------------

LINE_SPACING = 1.2  # a line's height in points per point of font size (PowerPoint's, with room to spare)


def _frame(box, wrap: bool) -> object:
    """A text frame with no insets and no autofit: the box is what its rectangle says in every suite."""
    frame = box.text_frame
    frame.word_wrap = wrap
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    return frame


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
    lines: int = 1,
) -> None:
    """A text box with one paragraph in the deck font, no insets, no autofit; the text is fitted to
    ``lines`` lines of the box (cut at a word with "…" when longer), and only a multi-line box wraps."""
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = _frame(box, wrap=lines > 1)
    frame.vertical_anchor = anchor
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align
    _run(paragraph, fit(text, width, size, lines, bold), size, color, bold)


def _run(paragraph, text: str, size: float, color: str, bold: bool = False) -> None:
    run = paragraph.add_run()
    run.text = text
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = rgb(color)


@dataclass
class _Para:
    """One paragraph of a flowed text box: runs of (text, bold, colour), a size, at most ``lines`` lines."""

    runs: list[tuple[str, bool, str]]
    size: float
    lines: int = 1
    before: float = 0
    after: float = 0
    keep: bool = True  # False: dropped (from the end) when the box cannot hold every paragraph

    def fitted(self, width: int, scale: float) -> list[tuple[str, bool, str]]:
        """The runs with the last one cut so the paragraph takes at most ``lines`` lines."""
        size = self.size * scale
        lead = "".join(text for text, _, _ in self.runs[:-1])
        text, bold, color = self.runs[-1]
        whole = fit(lead + text, width, size, self.lines, bold or any(b for _, b, _ in self.runs))
        if not whole.startswith(lead):  # cut inside the leading runs: one run in the first run's style
            return [(whole, self.runs[0][1], self.runs[0][2])]
        return [*self.runs[:-1], (whole[len(lead) :], bold, color)]

    def height(self, width: int, scale: float) -> float:
        size = self.size * scale
        text = "".join(t for t, _, _ in self.fitted(width, scale))
        bold = any(b for _, b, _ in self.runs)
        return self.before + self.after + lines_needed(text, width, size, bold) * size * LINE_SPACING


def _layout(
    paragraphs: list[_Para], width: int, height: int, smallest: float = 0.85
) -> tuple[list[_Para], float, float]:
    """How :func:`_flow` fits paragraphs in a box: the paragraphs kept, the scale of their sizes, and the height
    they take in points. Each is cut to its ``lines``, the sizes shrink (down to ``smallest`` of the given) and
    then optional paragraphs are dropped from the end until the laid-out height, at Arial's widths plus the
    slack, is within the box."""
    room = height / EMU_PER_POINT
    paragraphs = list(paragraphs)
    scale = 1.0
    while True:
        total = sum(p.height(width, scale) for p in paragraphs) - (paragraphs[0].before if paragraphs else 0)
        if total <= room:
            break
        if scale > smallest + 1e-9:
            scale = max(smallest, scale - 0.05)
            continue
        optional = [k for k, p in enumerate(paragraphs) if not p.keep]
        if not optional:
            break
        paragraphs.pop(optional[-1])
    return paragraphs, scale, total


def _flow(slide: Slide, left: int, top: int, width: int, height: int, paragraphs: list[_Para],
          name: str | None = None, smallest: float = 0.85) -> None:  # fmt: skip
    """Paragraphs in one wrapped text box that they are sure to fit (:func:`_layout`)."""
    paragraphs, scale, _ = _layout(paragraphs, width, height, smallest)
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = _frame(box, wrap=True)
    for k, para in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.space_before = Pt(0 if k == 0 else para.before)
        paragraph.space_after = Pt(para.after)
        paragraph.line_spacing = 1.0
        for text, bold, color in para.fitted(width, scale):
            _run(paragraph, text, round(para.size * scale * 2) / 2, color, bold)


def _bullets(slide: Slide, left: int, top: int, width: int, height: int, lines: Sequence[str], size: float = 13,
             color: str = INK, space_after: float = 6, marker: str = "•", name: str | None = None) -> None:  # fmt: skip
    """A list with bullet glyphs (drawn as text so every office suite shows them alike), each item at most
    two lines, the whole list fitted to its box (:func:`_flow`)."""
    paragraphs = [
        _Para([(f"{marker}  " if marker else "", True, ACCENT), (line, False, color)], size, 2, 0, space_after, k == 0)
        for k, line in enumerate(lines)
    ]
    _flow(slide, left, top, width, height, paragraphs, name)


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


def _label_in(shape: object, text: str, size: float, color: str, bold: bool = True,
              align: PP_ALIGN = PP_ALIGN.CENTER) -> None:  # fmt: skip
    """One line of text in a shape (a tile, a badge): no wrap, no autofit, fitted to the shape's width."""
    frame = shape.text_frame  # type: ignore[attr-defined]
    frame.word_wrap = False
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = Inches(0.08)
    frame.margin_top = frame.margin_bottom = 0
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align
    width = shape.width - Inches(0.16)  # type: ignore[attr-defined]
    _run(paragraph, fit(text, width, size, 1, bold), size, color, bold)


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


TAG_WIDTH = Inches(1.9)  # the corner tag of a projection slide ("PROJECTION"), beside the title


@dataclass
class _Slides:
    """A presentation being built: its slides' frame (title, subtitle, footer and page numbers), with no
    portfolio attached, so that a deck of what-if projections alone has the board pack's look."""

    prs: Presentation
    total: int
    footer_line: str

    def slide(self, title: str, subtitle: str = "", tag: str = "", title_size: float = TITLE_SIZE) -> Slide:
        """A blank content slide with its title, subtitle, accent rule and footer; ``tag``: a label in the
        accent colour in the top right corner (a projection says so there), the title giving it room."""
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[6])
        _rect(slide, MARGIN, Inches(0.42), Inches(0.09), Inches(0.62), ACCENT)
        room = TAG_WIDTH + Inches(0.2) if tag else 0
        _text(slide, MARGIN + Inches(0.25), Inches(0.36), CONTENT_WIDTH - Inches(0.25) - room, Inches(0.5), title,
              title_size, INK, bold=True, name="Title")  # fmt: skip
        if tag:
            badge = _rect(slide, SLIDE_WIDTH - MARGIN - TAG_WIDTH, Inches(0.43), TAG_WIDTH, Inches(0.44), ACCENT,
                          MSO_SHAPE.ROUNDED_RECTANGLE)  # fmt: skip
            badge.name = "Tag"
            _label_in(badge, tag, 13, WHITE)
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
        _text(slide, MARGIN, FOOTER_TOP, CONTENT_WIDTH - Inches(1.2), Inches(0.3), self.footer_line, 10, MUTED,
              name="Footer")  # fmt: skip
        _text(slide, SLIDE_WIDTH - MARGIN - Inches(1.2), FOOTER_TOP, Inches(1.2), Inches(0.3),
              f"{number} / {self.total}", 10, MUTED, align=PP_ALIGN.RIGHT, name="Page number")  # fmt: skip


@dataclass
class _Deck(_Slides):
    """The board deck being built: the slides' frame and the pack every slide draws from."""

    pack: BoardPack


# --------------------------------------------------------------------------------------------
# Portfolio slides
# --------------------------------------------------------------------------------------------


def _title_slide(deck: _Deck) -> None:
    pack = deck.pack
    slide = deck.prs.slides.add_slide(deck.prs.slide_layouts[6])
    _rect(slide, 0, 0, SLIDE_WIDTH, SLIDE_HEIGHT, NAVY)
    # A long title takes a second line, upwards: its last line stays where a one-line title stands.
    lines = lines_needed(fit(pack.title, Inches(11), 44, 2, True), Inches(11), 44, True)
    shift = Inches(0.75) * (lines - 1)
    _rect(slide, Inches(0.9), Inches(2.35) - shift, Inches(0.12), Inches(1.9) + shift, ACCENT)
    _text(slide, Inches(1.25), Inches(2.2) - shift, Inches(11), Inches(0.9) + shift, pack.title, 44, WHITE, bold=True,
          name="Title", lines=2)  # fmt: skip
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
    pad = Inches(0.18)
    inner = width - 2 * pad
    _text(slide, left + pad, top + Inches(0.16), inner, Inches(0.25), label, 10.5, MUTED, bold=True)
    _text(slide, left + pad, top + Inches(0.45), inner, Inches(0.7), value, 36, value_color, bold=True)
    _text(slide, left + pad, top + Inches(1.2), inner, height - Inches(1.28), note, 10.5, MUTED, lines=3)


def _summary_slide(deck: _Deck) -> None:
    pack = deck.pack
    stats = portfolio_stats(pack.latest, pack.model)
    slide = deck.slide("Portfolio at a glance", f"{display.count_text(stats.pilots, 'pilot')} assessed on the six "
                       "production gaps")  # fmt: skip
    gap = Inches(0.22)
    width = int((CONTENT_WIDTH - 4 * gap) / 5)
    height = Inches(1.85)
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
    messages_top = top + height + Inches(0.35)
    _text(slide, MARGIN, messages_top, CONTENT_WIDTH, Inches(0.35), "What the board should know", 16, INK, bold=True)
    _bullets(slide, MARGIN, messages_top + Inches(0.45), CONTENT_WIDTH, CONTENT_BOTTOM - messages_top - Inches(0.45),
             key_messages(pack.latest, pack.history, pack.model), 14, space_after=7, name="Key messages")  # fmt: skip


# --------------------------------------------------------------------------------------------
# Decisions: what the board is asked for
# --------------------------------------------------------------------------------------------

DECISION_COLORS = {"promote": VERDICT_COLORS["ready"], "fix": VERDICT_COLORS["conditional"],
                   "stop": VERDICT_COLORS["not_ready"]}  # fmt: skip
DECISION_EMPTY = {"promote": "No pilot is ready for production yet.", "fix": "No pilot to fix.",
                  "stop": "No pilot has stalled: nothing to stop."}  # fmt: skip


def decision_detail(item: PilotDecision) -> str:
    """The second line of a pilot on the decisions slide: the top action and its gain (fix), or the
    numbers behind the decision and the owning team (promote, stop)."""
    if item.decision == "fix" and item.action_text:
        return f"{item.action_text} ({item.gain} overall)"
    overall = f"overall {display.score_text(item.overall)}"
    if item.decision == "stop":
        bits = [f"{display.months_text(item.months_in_pilot)} months in pilot", overall]
    else:
        bits = [item.owning_team, overall]
    text = " · ".join(b for b in bits if b)
    return text[:1].upper() + text[1:]


def _decisions_slide(deck: _Deck) -> None:
    pack = deck.pack
    chosen = pack.decisions
    stalled = display.threshold_text(pack.model.scoring.stalled_after_months)
    slide = deck.slide(
        "Decisions for the board",
        f"Promote: ready · Fix: conditional, or not ready and still moving · Stop or rethink: not ready and in "
        f"pilot for more than {stalled} months",
    )
    gap = Inches(0.2)
    widths = [Inches(3.45), Inches(5.03), Inches(3.35)]
    widths[1] = CONTENT_WIDTH - widths[0] - widths[2] - 2 * gap
    top, height, header = CONTENT_TOP, Inches(3.3), Inches(0.42)
    left = MARGIN
    for group, width in zip(chosen.groups, widths, strict=True):
        _rect(slide, left, top, width, height, PANEL)
        color = DECISION_COLORS[group.decision]
        bar = _rect(slide, left, top, width, header, color)
        bar.name = f"Decision {group.decision}"
        _label_in(bar, f"{group.label} · {group.total}", 14, cell_text_color(color), align=PP_ALIGN.LEFT)
        pad = Inches(0.14)
        inner = width - 2 * pad
        paragraphs = []
        for item in group.shown:
            # the owning team beside the name where a top action fills the second line, else on that line
            team = f" · {item.owning_team}" if item.owning_team and group.decision == "fix" else ""
            paragraphs.append(_Para([(item.pilot, True, INK), (team, False, MUTED)], 12, before=7))
            paragraphs.append(_Para([(decision_detail(item), False, INK)], 10.5))
        if group.more:
            paragraphs.append(_Para([(f"and {group.more} more (see the heatmap)", False, MUTED)], 10.5, before=8))
        if not paragraphs:
            paragraphs.append(_Para([(DECISION_EMPTY[group.decision], False, MUTED)], 11, 2))
        _flow(slide, left + pad, top + header + Inches(0.06), inner, height - header - Inches(0.14), paragraphs,
              name=f"Decision list {group.decision}")  # fmt: skip
        left += width + gap
    asks_top = top + height + Inches(0.22)
    paragraphs = [_Para([("The board's asks", True, INK)], 16, after=6)]
    paragraphs += [
        _Para([(f"{k}.  ", True, ACCENT), (ask, False, INK)], 13, 2, after=5) for k, ask in enumerate(chosen.asks, 1)
    ] or [_Para([("Nothing to decide: no pilot has been assessed.", False, MUTED)], 13)]
    _flow(slide, MARGIN, asks_top, CONTENT_WIDTH, CONTENT_BOTTOM - asks_top, paragraphs, name="Asks")


def _heatmap_slides(deck: _Deck) -> None:
    """The heatmap as tables of ``HEATMAP_ROWS_PER_SLIDE`` rows: at most ``MAX_SHOWN`` pilots, the least ready
    first (a large portfolio says how many of how many it shows)."""
    pack = deck.pack
    ordered = least_ready(pack.latest, MAX_SHOWN)
    note = shown_note(len(ordered), len(pack.latest))
    pages = _heatmap_pages(len(pack.latest))
    for page in range(pages):
        chunk = ordered.iloc[page * HEATMAP_ROWS_PER_SLIDE : (page + 1) * HEATMAP_ROWS_PER_SLIDE]
        suffix = f" ({page + 1} of {pages})" if pages > 1 else ""
        subtitle = "Least ready first; each cell is the gap's score out of 100" + (f". {note}" if note else "")
        slide = deck.slide(f"Readiness by pilot and gap{suffix}", subtitle)
        _heatmap_table(slide, chunk, pack)


def _heatmap_table(slide: Slide, rows: pd.DataFrame, pack: BoardPack) -> None:
    shorts = short_gap_labels(pack.model)
    low_confidence = pack.model.verdict.ready_confidence_at_least
    headers = ["Pilot", "Business unit", "Verdict", *[shorts[g] for g in GAP_IDS], "Overall"]
    widths = [Inches(w) for w in [2.6, 1.65, 1.12, *[1.0] * len(GAP_IDS), 0.86]]
    row_height, header_height = Inches(0.28), Inches(0.42)
    height = header_height + row_height * len(rows)
    # Headers may take two lines ("Latency &" / "scale"); each word fits its column.
    table = _table(slide, "Heatmap", MARGIN, CONTENT_TOP, widths, headers, set(range(3, len(headers))),
                   header_height, row_height, len(rows), header_size=9, header_lines=2)  # fmt: skip
    for i, (_, row) in enumerate(rows.iterrows(), start=1):
        _cell(table.cell(i, 0), str(row["pilot"]), WHITE, INK, bold=True, width=widths[0])
        _cell(table.cell(i, 1), _plain(row["business_unit"]), WHITE, MUTED, width=widths[1])
        verdict = str(row["verdict"])
        _cell(table.cell(i, 2), VERDICT_LABELS[verdict], VERDICT_COLORS[verdict], WHITE, bold=True, width=widths[2])
        for k, gap in enumerate(GAP_IDS, start=3):
            score = float(row[f"score.{gap}"])
            mark = "*" if float(row[f"confidence.{gap}"]) < low_confidence else ""
            _cell(table.cell(i, k), f"{display.score_text(score)}{mark}", score_color(score), None,
                  align=PP_ALIGN.CENTER, width=widths[k])  # fmt: skip
        overall = float(row["overall"])
        _cell(table.cell(i, len(headers) - 1), display.score_text(overall), score_color(overall), None, bold=True,
              align=PP_ALIGN.CENTER, width=widths[-1])  # fmt: skip
    verdict = pack.model.verdict
    note = (
        f"* confidence below {display.confidence_threshold_text(low_confidence)}: mostly unknown, missing or "
        f"self-reported evidence.   Red: below {display.threshold_text(verdict.not_ready_gap_below)} (not ready); "
        f"green: {display.threshold_text(verdict.ready_gap_at_least)} or more (ready)."
    )
    _text(slide, MARGIN, CONTENT_TOP + height + Inches(0.1), CONTENT_WIDTH, Inches(0.25), note, 10, MUTED,
          name="Heatmap note")  # fmt: skip


def _plain(value: object) -> str:
    """A context value as text ("" for a missing one)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


CELL_MARGIN = Inches(0.06)


def _table(
    slide: Slide,
    name: str,
    left: int,
    top: int,
    widths: list[int],
    headers: list[str],
    centred: set[int],
    header_height: int,
    row_height: int,
    rows: int,
    header_size: float = 10.5,
    header_lines: int = 1,
) -> Table:
    """A table in the deck's look, its body left to fill: columns of ``widths``; one header row, muted bold on
    white (the ``centred`` columns centred, the rest left), ``header_height`` tall; then ``rows`` body rows of
    ``row_height``, without banding (each table colours its own cells)."""
    height = header_height + row_height * rows
    frame = slide.shapes.add_table(rows + 1, len(widths), left, top, sum(widths), height)
    frame.name = name
    table = frame.table
    table.first_row = True
    table.horz_banding = False
    for k, width in enumerate(widths):
        table.columns[k].width = width
    for k, header in enumerate(headers):
        align = PP_ALIGN.CENTER if k in centred else PP_ALIGN.LEFT
        _cell(table.cell(0, k), header, WHITE, MUTED, bold=True, align=align, size=header_size, width=widths[k],
              lines=header_lines)  # fmt: skip
    table.rows[0].height = header_height
    for i in range(1, rows + 1):
        table.rows[i].height = row_height
    return table


def _cell(cell, text: str, fill: str, color: str | None, bold: bool = False, align: PP_ALIGN = PP_ALIGN.LEFT,
          size: float = 10.5, width: int | None = None, lines: int = 1) -> None:  # fmt: skip
    """A table cell: filled, one paragraph fitted to ``lines`` lines of the column's width (LibreOffice wraps
    table cells whatever the wrap setting says, so the text must fit, not rely on the setting)."""
    cell.fill.solid()
    cell.fill.fore_color.rgb = rgb(fill)
    cell.margin_left = cell.margin_right = CELL_MARGIN
    cell.margin_top = cell.margin_bottom = Inches(0.02)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame = cell.text_frame
    frame.word_wrap = lines > 1
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align
    shown = fit(text, width - 2 * CELL_MARGIN, size, lines, bold) if width else text
    _run(paragraph, shown, size, color or cell_text_color(fill), bold)


SENSITIVITY_NAMES = 4  # pilots named in each line of the verdict slide's sensitivity note; the rest counted
SENSITIVITY_SENTENCES = 2  # method-sensitive pilots whose sentence the note carries
SENSITIVITY_HEIGHT = Inches(1.2)


def sensitivity_paragraphs(pack: BoardPack) -> list[_Para]:
    """The verdict slide's note: the pilots whose verdict depends on the method (the first few with their
    sentence) and those close to a threshold; empty when there are none."""
    found = pack.sensitivity
    paragraphs = []
    method = method_message(found, SENSITIVITY_NAMES)
    if method:
        paragraphs.append(_Para([("Method-sensitive.  ", True, INK), (method, False, INK)], 11, 2))
        paragraphs += [_Para([(method_line(p), False, MUTED)], 10.5, 2, before=2, keep=False)
                       for p in found.sensitive[:SENSITIVITY_SENTENCES]]  # fmt: skip
    band = band_message(found, SENSITIVITY_NAMES)
    if band:
        paragraphs.append(_Para([("Close to a threshold.  ", True, INK), (band, False, INK)], 11, 2, before=6))
    return paragraphs


def _verdict_slide(deck: _Deck) -> None:
    pack = deck.pack
    latest = pack.latest
    stats = portfolio_stats(latest, pack.model)
    slide = deck.slide("Verdict distribution", "How many pilots are ready, conditional or not ready, and where")
    notes = sensitivity_paragraphs(pack)
    data = ChartData()
    order = list(reversed(VERDICT_ORDER))
    data.categories = [VERDICT_LABELS[v] for v in order]
    data.add_series("Pilots", [stats.by_verdict[v] for v in order])
    left_width = Inches(5.2)
    # The charts give up the bottom of the slide to the sensitivity note when there is one.
    chart_height = CONTENT_BOTTOM - CONTENT_TOP - Inches(0.1) - (SENSITIVITY_HEIGHT if notes else 0)
    if notes:
        _flow(slide, MARGIN, CONTENT_BOTTOM - SENSITIVITY_HEIGHT + Inches(0.05), CONTENT_WIDTH,
              SENSITIVITY_HEIGHT - Inches(0.05), notes, name="Sensitivity")  # fmt: skip
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
    by_unit = ChartData()
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
        rows.append((edge, len(active), critical, [str(n) for n in ranked["pilot"]]))
    rows.sort(key=lambda r: (-r[1], -r[2], r[0].id))
    headers = ["Interaction", "What happens", "Active", "Critical", "Pilots affected (most severe first)"]
    widths = [Inches(w) for w in [2.2, 4.0, 0.85, 0.85, 4.33]]
    table = _table(slide, "Compound risks", MARGIN, CONTENT_TOP, widths, headers, {2, 3}, Inches(0.32),
                   Inches(0.52), len(rows))  # fmt: skip
    for i, (edge, active, critical, names) in enumerate(rows, start=1):
        fill = PANEL if i % 2 else WHITE
        _cell(table.cell(i, 0), f"{labels[edge.source]} → {labels[edge.target]}", fill, INK, bold=True,
              width=widths[0], lines=2)  # fmt: skip
        _cell(table.cell(i, 1), edge.chain[:1].upper() + edge.chain[1:], fill, INK, width=widths[1], lines=2)
        active_fill = VERDICT_COLORS["conditional"] if active else fill
        critical_fill = VERDICT_COLORS["not_ready"] if critical else fill
        _cell(table.cell(i, 2), str(active), active_fill, None, bold=True, align=PP_ALIGN.CENTER, width=widths[2])
        _cell(table.cell(i, 3), str(critical), critical_fill, None, bold=True, align=PP_ALIGN.CENTER, width=widths[3])
        affected = _names_within(names, widths[4] - 2 * CELL_MARGIN, 10.5, 2) if names else "—"
        _cell(table.cell(i, 4), affected, fill, MUTED if not names else INK, width=widths[4], lines=2)


def _names_within(names: Sequence[str], width: int, size: float, lines: int) -> str:
    """As many names as fit ``lines`` lines, then "and K more" (:func:`readiness.service.portfolio.names_text`).

    At most ``NAMES_TRIED`` names are tried (far more than two lines hold): thousands of affected pilots cost
    no more than a hundred.
    """
    for shown in range(min(len(names), NAMES_TRIED), 0, -1):
        text = names_text(names, shown)
        if lines_needed(text, width, size) <= lines:
            return text
    return fit(names_text(list(names), 1), width, size, lines)


def _trend_slide(deck: _Deck) -> None:
    pack = deck.pack
    monthly = pack.monthly
    slide = deck.slide("Trends over time",
                       "Portfolio at each month end: every pilot's latest assessment by then")  # fmt: skip
    months = [f"{m:%b %Y}" for m in monthly["month"]]
    shorts = short_gap_labels(pack.model)
    data = ChartData()
    data.categories = months
    for gap in GAP_IDS:
        data.add_series(shorts[gap], _chart_values(monthly[f"score.{gap}"]))
    data.add_series("Overall", _chart_values(monthly["overall"]))
    height = CONTENT_BOTTOM - CONTENT_TOP - Inches(0.1)
    left_width = Inches(6.6)
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

    counts = ChartData()
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
    chart.category_axis.tick_labels.font.size = Pt(10)  # "Nov" / "2026" under each narrow column
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


def pilot_context(pack: BoardPack, pilot: str, latest: ScoreResult) -> list[str]:
    """What a pilot page's subtitle says after the decision: unit, team, stage, months, assessment date."""
    row = pack.latest.loc[pack.latest["pilot"] == pilot]
    bits = [_plain(row.iloc[0][c]) for c in ("business_unit", "owning_team", "stage")] if len(row) else []
    if latest.months_in_pilot is not None:
        bits.append(f"{display.months_text(latest.months_in_pilot)} months since start")
    bits.append(f"assessed {long_date(latest.as_of)}")
    return [b for b in bits if b]


def pilot_decision(pack: BoardPack, pilot: str) -> str:
    """The board's decision on a pilot, in words (``Promote now``, ``Fix``, ``Stop or rethink``)."""
    row = pack.latest.loc[pack.latest["pilot"] == pilot]
    return DECISION_LABELS[str(decision_of(row).iloc[0])] if len(row) else ""


def _pilot_slide(deck: _Deck, pilot: str, latest: ScoreResult, previous: ScoreResult | None) -> None:
    pack = deck.pack
    decision = pilot_decision(pack, pilot)
    bits = [f"Board decision: {decision}", *pilot_context(pack, pilot, latest)] if decision else []
    slide = deck.slide(pilot, " · ".join(bits))

    shorts = short_gap_labels(pack.model)
    data = ChartData()
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
    _score_strip(slide, MARGIN, CONTENT_BOTTOM - Inches(0.98), STRIP_WIDTH, latest, previous, pack)
    _pilot_panel(slide, latest, previous, pack)


STRIP_WIDTH = Inches(6.55)  # the six score tiles under the radar: 1.09" each, "Latency & scale" fits at 9 pt
PANEL_LEFT = MARGIN + Inches(6.75)


def _score_strip(slide: Slide, left: int, top: int, width: int, latest: ScoreResult, previous: ScoreResult | None,
                 pack: BoardPack) -> None:  # fmt: skip
    """The six scores written out under the radar, coloured on the dashboard's scale, with the change: the
    arrows are the difference of the shown scores (:func:`readiness.service.portfolio.what_changed`). Each
    label is one line, never wrapped, so it can never run into its tile."""
    shorts = short_gap_labels(pack.model)
    cell_width = int(width / len(GAP_IDS))
    changes = {c.key: c for c in what_changed(latest, previous, pack.model)}
    for k, gap in enumerate(GAP_IDS):
        x = left + k * cell_width
        score = latest.gaps[gap].score
        _text(slide, x, top, cell_width, Inches(0.2), shorts[gap], 9, MUTED, align=PP_ALIGN.CENTER,
              name=f"Label {gap}")  # fmt: skip
        tile = _rect(slide, x + Inches(0.06), top + Inches(0.25), cell_width - Inches(0.12), Inches(0.42),
                     score_color(score))  # fmt: skip
        tile.name = f"Score {gap}"
        _label_in(tile, display.score_text(score), 16, cell_text_color(score_color(score)))
        if previous is not None:
            change = changes[gap]
            delta = change.delta or 0
            color = MUTED if delta == 0 else VERDICT_COLORS["ready" if delta > 0 else "not_ready"]
            _text(slide, x, top + Inches(0.72), cell_width, Inches(0.22), change.arrow, 10, color,
                  align=PP_ALIGN.CENTER, name=f"Change {gap}")  # fmt: skip


WHY_HEADINGS = {
    "ready": "Why it is ready",
    "conditional": "What keeps it conditional",
    "not_ready": "Why it is not ready",
}
ACTION_HEADINGS = {"ready": "Still worth doing (gain in overall readiness)"}


def why_lines(result: ScoreResult, model, limit: int = 3) -> list[str]:
    """A pilot page's "Why" in plain words: the verdict's reasons by short label
    (:attr:`~readiness.scoring.ScoreResult.plain_reasons`) with the weakest gaps first, compound risks as
    one chain of gaps (the most critical, longest one, third), then the flags (a stalled pilot that is not
    ready has it second: it is why the board may stop it); at most ``limit``."""
    gap_of = {f"{g.label} is ": g.id for g in model.gaps}

    def weak_gap(reason: str) -> str | None:
        return next((gap for prefix, gap in gap_of.items() if reason.startswith(prefix)), None)

    reasons = [r for r in result.plain_reasons if " compound risk: " not in r]
    lead = [r for r in reasons[:1] if weak_gap(r) is None]  # the checklist (seed) rule, when it fired
    gaps = sorted((r for r in reasons if weak_gap(r)), key=lambda r: result.gaps[weak_gap(r)].score)
    rest = [r for r in reasons if r not in lead and r not in gaps]
    ordered = [*lead, *gaps, *rest]
    chains = sorted(result.chains, key=lambda c: (not c.critical, -len(c.gaps)))
    if chains:
        first = chains[0]
        more = f" (and {len(chains) - 1} more)" if len(chains) > 1 else ""
        state = "critical" if first.critical else "active"
        ordered.insert(min(2, len(ordered)), f"Compound risk, {state}: {first.text}{more}.")
    flags = [f.message for f in result.flags if f.id != "stalled"]
    stalled = [f.message for f in result.flags if f.id == "stalled"]
    if stalled and result.verdict == "not_ready":  # not ready and stalled: why the board may stop it
        ordered[1:1] = stalled
    else:
        flags = stalled + flags
    return [*ordered, *flags][:limit]


def action_lines(result: ScoreResult, model, limit: int = 3) -> list[str]:
    """A pilot page's top actions: gain in overall readiness, then the short label and "now → target"."""
    return [f"{display.gain_text(a.gain)}  {action_text(a, model)}" for a in top_actions(result, limit)]


def _pilot_panel(slide: Slide, latest: ScoreResult, previous: ScoreResult | None, pack: BoardPack) -> None:
    """Right half of a pilot page: verdict badge, overall and how it is made, reasons, top actions, path onward."""
    model = pack.model
    left = PANEL_LEFT
    width = SLIDE_WIDTH - MARGIN - left
    top = CONTENT_TOP
    badge = _rect(slide, left, top, Inches(1.95), Inches(0.6), VERDICT_COLORS[latest.verdict],
                  MSO_SHAPE.ROUNDED_RECTANGLE)  # fmt: skip
    badge.name = "Verdict"
    _label_in(badge, VERDICT_LABELS[latest.verdict].upper(), 14, WHITE)
    text_left = left + Inches(2.15)
    text_width = width - Inches(2.15)
    _text(slide, text_left, top - Inches(0.04), text_width, Inches(0.36),
          f"Overall {display.score_text(latest.overall)} / 100", 20, INK, bold=True, name="Overall")  # fmt: skip
    weakest = short_gap_labels(model)[latest.weakest_gap]
    change = overall_change_text(latest, previous)
    status = f"confidence {display.confidence_text(latest.overall_confidence)} · weakest: {weakest}"
    _flow(slide, text_left, top + Inches(0.34), text_width, Inches(0.4),
          [_Para([(change or "first assessment", False, MUTED)], 10.5), _Para([(status, False, MUTED)], 10.5)],
          name="Overall status")  # fmt: skip
    _text(slide, left, top + Inches(0.82), width, Inches(0.42), overall_explained(latest, model), 11, INK,
          name="Overall explained", lines=2)  # fmt: skip

    body_top = top + Inches(1.36)
    paragraphs = [_Para([(WHY_HEADINGS[latest.verdict], True, INK)], 14, after=5)]
    paragraphs += [
        _Para([("•  ", True, ACCENT), (line, False, INK)], 11.5, 3, after=4, keep=k == 0)
        for k, line in enumerate(why_lines(latest, model))
    ]
    actions = action_lines(latest, model)
    paragraphs.append(_Para([(ACTION_HEADINGS.get(latest.verdict, "Top actions (gain in overall readiness)"), True,
                              INK)], 14, before=10, after=5))  # fmt: skip
    paragraphs += [_Para([("›  ", True, ACCENT), (line, False, INK)], 11.5, 1, after=4) for line in actions] or [
        _Para([("Nothing left to fix: every item is green.", False, MUTED)], 11.5)
    ]
    path = latest.path_to_next_verdict
    if path.target_verdict:
        note = plain_text(f"Path to {VERDICT_LABELS[path.target_verdict]}: {path.note}", model)
        paragraphs.append(_Para([(note, False, MUTED)], 10.5, 2, before=6, keep=False))
    # Measured values with their provenance, last: dropped before anything else when the page is full.
    paragraphs += [
        _Para([(line, False, MUTED)], 10, 4, before=4 if k == 0 else 0, keep=False)
        for k, line in enumerate(measured_sources(latest, model)[:2])
    ]
    _flow(slide, left, body_top, width, CONTENT_BOTTOM - body_top, paragraphs, name="Why and actions")


# --------------------------------------------------------------------------------------------
# What-if scenarios: projections, labelled so on the slide
# --------------------------------------------------------------------------------------------

SCENARIO_MOVERS = 8  # pilots whose verdict moves listed on a scenario slide; the rest counted
SCENARIO_FIXES = 5  # next best fixes listed (the greedy list's first steps)
SCENARIO_PLAN_LINES = 5  # fixes of the plan as stated; the rest counted
SCENARIO_LEFT_WIDTH = Inches(5.75)
SCENARIO_GUTTER = Inches(0.4)
SCENARIO_COLUMNS_TOP = Inches(2.17)
SCENARIO_TABLE_TOP = Inches(4.3)  # the lowest the before → after table sits (a long plan pushes it down to here)
SCENARIO_ROW = Inches(0.29)
MOVER_ROW = Inches(0.28)


def _scenario_slide(slides: _Slides, result: WhatIfResult) -> None:
    """One what-if projection: the plan, its scope and the portfolio before → after on the left; the pilots
    whose verdict moves and the next best fixes on the right; the use case's sentences on top. The corner tag
    and the subtitle (the result's label) say it is a projection: no stored snapshot changes."""
    heading, size = _scenario_heading(result)
    slide = slides.slide(heading, scenario_subtitle(result), tag=PROJECTION_TAG, title_size=size)
    # The use case's sentences: where the portfolio would stand, then where it stands.
    before, after, _ = result.sentences()
    band_top, band_height = Inches(1.33), Inches(0.7)
    _rect(slide, MARGIN, band_top, CONTENT_WIDTH, band_height, PANEL).name = "Projection band"
    _rect(slide, MARGIN, band_top, Inches(0.06), band_height, ACCENT)
    _flow(slide, MARGIN + Inches(0.22), band_top + Inches(0.09), CONTENT_WIDTH - Inches(0.37),
          band_height - Inches(0.14),
          [_Para([(after, True, INK)], 13, 2), _Para([(before, False, MUTED)], 11, 1, before=2, keep=False)],
          name="Projection sentences")  # fmt: skip
    table_top = _scenario_plan(slide, result)
    _scenario_stats(slide, result, table_top)
    _scenario_movers(slide, result)


SCENARIO_TITLE_WIDTH = CONTENT_WIDTH - Inches(0.25) - TAG_WIDTH - Inches(0.2)  # as _Slides.slide leaves it


def _scenario_heading(result: WhatIfResult) -> tuple[str, float]:
    """The slide's title and its size: a name that does not fit at the deck's title size is set smaller before
    it is cut, and never are the words "— projection" after it."""
    title = scenario_title(result)
    if result.scenario is None:
        return title, TITLE_SIZE
    prefix, suffix = "Scenario: ", " — projection"
    for size in (TITLE_SIZE, SMALLER_TITLE_SIZE):
        room = SCENARIO_TITLE_WIDTH - int((text_width(prefix + suffix, size, True) + 1) * EMU_PER_POINT)
        name = fit(result.scenario.name, room, size, 1, True)
        if name == result.scenario.name:
            break
    return f"{prefix}{name}{suffix}", size


def _scenario_plan(slide: Slide, result: WhatIfResult) -> int:
    """The plan as stated (labels, not IDs), whom it applies to, and how many answers and metrics it fixes;
    returns where the before → after table goes: under the plan, at most as low as ``SCENARIO_TABLE_TOP``."""
    top = SCENARIO_COLUMNS_TOP
    _text(slide, MARGIN, top, SCENARIO_LEFT_WIDTH, Inches(0.3), "The plan", 14, INK, bold=True, name="Plan heading")
    lines = result.plan.describe(result.model) or ["No fix"]
    shown = lines[:SCENARIO_PLAN_LINES] if len(lines) <= SCENARIO_PLAN_LINES else lines[: SCENARIO_PLAN_LINES - 1]
    paragraphs = [_Para([("•  ", True, ACCENT), (line, False, INK)], 12, 1, after=3) for line in shown]
    if len(shown) < len(lines):
        paragraphs.append(_Para([(f"and {len(lines) - len(shown)} more fixes", False, MUTED)], 11, after=3))
    paragraphs.append(_Para([("Applied to ", True, INK), (scope_line(result), False, INK)], 11.5, 2, before=5))
    paragraphs.append(_Para([(fixes_line(result), False, MUTED)], 10.5, 2, before=3, keep=False))
    blocked = blocked_line(result)
    if blocked:
        paragraphs.append(_Para([(blocked, False, MUTED)], 10.5, 2, before=2, keep=False))
    room = SCENARIO_TABLE_TOP - top - Inches(0.46)
    _, _, used = _layout(paragraphs, SCENARIO_LEFT_WIDTH, room)
    height = min(room, int((used + 2) * EMU_PER_POINT))  # the box as tall as its lines (and 2 points to spare)
    _flow(slide, MARGIN, top + Inches(0.36), SCENARIO_LEFT_WIDTH, height, paragraphs, name="Plan")
    return top + Inches(0.36) + height + Inches(0.22)


def _scenario_stats(slide: Slide, result: WhatIfResult, table_top: int) -> None:
    """The portfolio before → after as a table: pilots by verdict, the ready share against Gartner's benchmark
    and the compound risks, each with the change of the shown numbers; then the pilots in scope in one line."""
    rows = stat_rows(result.before, result.after)
    widths = [Inches(w) for w in (2.75, 0.95, 0.95, 1.1)]
    header = Inches(0.32)
    headers = [f"Portfolio · {display.count_text(result.before.pilots, 'pilot')}", "Before", "After", "Change"]
    table = _table(slide, "Before and after", MARGIN, table_top, widths, headers, {1, 2, 3}, header, SCENARIO_ROW,
                   len(rows), header_size=10)  # fmt: skip
    for i, row in enumerate(rows, start=1):
        fill = PANEL if i % 2 else WHITE
        if row.verdict:
            _cell(table.cell(i, 0), row.label, VERDICT_COLORS[row.verdict], WHITE, bold=True, width=widths[0])
        else:
            _cell(table.cell(i, 0), row.label, fill, INK, bold=True, width=widths[0])
        after_color = INK
        if row.share:  # the ready share in the colour of its side of the benchmark, as on the summary slide
            after_color = VERDICT_COLORS["ready" if meets_benchmark(result.after) else "not_ready"]
        _cell(table.cell(i, 1), row.before_text, fill, INK, align=PP_ALIGN.CENTER, width=widths[1])
        _cell(table.cell(i, 2), row.after_text, fill, after_color, bold=True, align=PP_ALIGN.CENTER, width=widths[2])
        _cell(table.cell(i, 3), row.change, fill, MUTED, align=PP_ALIGN.CENTER, width=widths[3])
    note = in_scope_line(result)
    if note:
        top = table_top + header + SCENARIO_ROW * len(rows) + Inches(0.08)
        _text(slide, MARGIN, top, SCENARIO_LEFT_WIDTH, CONTENT_BOTTOM - top, note, 10.5, MUTED, name="In scope",
              lines=2)  # fmt: skip


def _scenario_movers(slide: Slide, result: WhatIfResult) -> None:
    """The pilots whose verdict moves (the highest verdict reached first: the use case's order), at most
    ``SCENARIO_MOVERS`` and how many more, then the next best fixes after the plan."""
    left = MARGIN + SCENARIO_LEFT_WIDTH + SCENARIO_GUTTER
    width = SLIDE_WIDTH - MARGIN - left
    top = SCENARIO_COLUMNS_TOP
    movers = result.projection.movers
    heading = f"Verdicts that move · {len(movers)}" if movers else "Verdicts that move"
    _text(slide, left, top, width, Inches(0.3), heading, 14, INK, bold=True, name="Movers heading")
    y = top + Inches(0.36)
    if movers:
        shown = movers[:SCENARIO_MOVERS]
        # No business unit column: the heatmap has every pilot's, and a unit-wide plan would repeat one name.
        widths = [Inches(w) for w in (1.0, 1.0, 1.0)]
        widths.insert(0, width - sum(widths))
        height = Inches(0.3) + MOVER_ROW * len(shown)
        table = _table(slide, "Movers", left, y, widths, ["Pilot", "Before", "After", "Overall"], {1, 2, 3},
                       Inches(0.3), MOVER_ROW, len(shown), header_size=10)  # fmt: skip
        for i, mover in enumerate(shown, start=1):
            _cell(table.cell(i, 0), mover.pilot, WHITE, INK, bold=True, size=10, width=widths[0])
            for k, verdict in ((1, mover.before), (2, mover.after)):
                _cell(table.cell(i, k), VERDICT_LABELS[verdict], VERDICT_COLORS[verdict], WHITE, bold=True, size=9.5,
                      align=PP_ALIGN.CENTER, width=widths[k])  # fmt: skip
            _cell(table.cell(i, 3), mover_overall(mover.overall_before, mover.overall_after), WHITE, INK, size=10,
                  align=PP_ALIGN.CENTER, width=widths[3])  # fmt: skip
        y += height + Inches(0.06)
        if len(movers) > len(shown):
            _text(slide, left, y, width, Inches(0.22), f"and {len(movers) - len(shown)} more", 10.5, MUTED,
                  name="More movers")  # fmt: skip
            y += Inches(0.24)
    else:
        _text(slide, left, y, width, Inches(0.22), "No pilot's verdict changes with this plan.", 11, MUTED,
              name="No movers")  # fmt: skip
        y += Inches(0.28)
    y += Inches(0.16)
    paragraphs = [_Para([("Next best fixes after the plan", True, INK)], 14, after=5)]
    for k, step in enumerate(result.greedy[:SCENARIO_FIXES]):
        runs = [(f"{step.step}.  ", True, ACCENT), (step.label, True, INK),
                (f"  {greedy_detail(step, result.after.pilots, 1)}", False, INK)]  # fmt: skip
        paragraphs.append(_Para(runs, 10.5, 2, after=3, keep=k < 2))
    if not result.greedy:
        paragraphs.append(_Para([("No single fix moves a verdict or an overall score further.", False, MUTED)], 10.5))
    _flow(slide, left, y, width, CONTENT_BOTTOM - y, paragraphs, name="Next best fixes")


def scenario_footer(result: WhatIfResult, title: str = DEFAULT_TITLE) -> str:
    """The footer of a deck of projections alone: what, projected when, by which model version."""
    return f"{title} · What-if projection, {long_date(date.today())} · Readiness model {result.model.version}"


def build_scenario_deck(results: Sequence[WhatIfResult], title: str = DEFAULT_TITLE) -> bytes:
    """A deck of what-if projections alone (one slide each, in the board deck's look), as PPTX bytes: what
    the what-if page downloads. Each slide is tagged a projection; nothing stored changes."""
    if not results:
        raise ValueError("a scenario deck needs at least one projection")
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    prs.core_properties.title = f"{title} — what-if projection: {scenario_title(results[0])}"[:255]
    prs.core_properties.subject = f"{PROJECTION_LABEL} · Readiness model {results[0].model.version}"
    slides = _Slides(prs, len(results), scenario_footer(results[0], title))
    for result in results:
        _scenario_slide(slides, result)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The deck
# --------------------------------------------------------------------------------------------


def slide_plan(pack: BoardPack) -> list[str]:
    """The slides the deck will hold, in order (``"pilot:<name>"`` for pilot pages)."""
    heatmap_pages = _heatmap_pages(len(pack.latest))
    return [
        "title",
        "summary",
        "decisions",
        *["heatmap"] * heatmap_pages,
        "verdicts",
        "compound_risks",
        "trends",
        *[f"pilot:{name}" for name in pack.pilots],
        *[f"scenario:{k}" for k in range(len(pack.scenarios))],
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
    deck = _Deck(prs, len(plan), footer_text(pack), pack)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("title", lambda: _title_slide(deck)),
        ("portfolio summary", lambda: _summary_slide(deck)),
        ("decisions", lambda: _decisions_slide(deck)),
        ("heatmap", lambda: _heatmap_slides(deck)),
        ("verdict distribution", lambda: _verdict_slide(deck)),
        ("compound risks", lambda: _risk_slide(deck)),
        ("trends", lambda: _trend_slide(deck)),
    ]
    for name, (latest, previous) in pack.pilot_results.items():
        steps.append((name, lambda n=name, a=latest, b=previous: _pilot_slide(deck, n, a, b)))
    # Projections come last, after the portfolio as it stands: each slide is tagged a projection.
    for result in pack.scenarios:
        steps.append((scenario_title(result), lambda r=result: _scenario_slide(deck, r)))
    for k, (label, draw) in enumerate(steps):
        if progress:
            progress(k / len(steps), label)
        draw()
    if progress:
        progress(1.0, "done")
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


FIXED_SLIDES = 6  # title, summary, decisions, verdicts, compound risks, trends


def _heatmap_pages(pilots: int) -> int:
    """The heatmap slides of a portfolio of ``pilots`` (at most ``MAX_SHOWN`` of them are shown)."""
    return max(1, -(-min(pilots, MAX_SHOWN) // HEATMAP_ROWS_PER_SLIDE))


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
    while FIXED_SLIDES + _heatmap_pages(copies * len(names)) + copies * len(names) < slides:
        copies += 1
    assessments = [_renamed(a, f"{a.pilot.name} {k + 1}" if k else a.pilot.name) for k in range(copies) for a in base]
    pilot_pages = max(0, slides - FIXED_SLIDES - _heatmap_pages(copies * len(names)))
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


__all__ = [
    "PPTX_MIME",
    "bench_deck",
    "build_deck",
    "build_scenario_deck",
    "footer_text",
    "radar_values",
    "scenario_footer",
    "slide_plan",
]
