"""Every chart of the product as a pure function: plain data in, a Plotly figure out.

The dashboard draws these figures on screen and the exports (PNG, SVG, PPTX, HTML) render the very same
figures, so a number can never look different in the board pack than in the app. All figures share one
template (:data:`TEMPLATE_NAME`): a single sans font, neutral greys, and one diverging readiness scale
from red through amber to green that also runs dark → light → dark-teal, so that it stays readable for
colour-blind readers; scores are written in the cells and verdicts carry a symbol and a word, so colour
is never the only carrier of meaning.

Every number written on a chart (cell text, data labels, hover text, annotations) is made in Python by
:mod:`readiness.display`, never by a Plotly number format: d3 rounds 6.5 up to 7 where the display rule
writes 6, and a number must read the same on every surface. Colours and positions use the exact values.

Each figure is assembled as plain dicts and lists (trace dicts with their ``"type"``, one layout dict) and
constructed, validated, in one call by :func:`figure`: Plotly's incremental updates cost several times more, and
a busy server draws these for every session.

Inputs are the frames of :mod:`readiness.portfolio` (``score_frame`` output: one row per snapshot), the
month-end table of :func:`readiness.service.portfolio.monthly_portfolio`, or a
:class:`readiness.scoring.ScoreResult` (or gap-score mappings taken from one). Charts only draw: orders,
statistics and compound-risk states come from the core. Nothing here touches a database or Streamlit.

Two display settings are read here, each in one place: the currency of the money shown (:func:`currency`,
the ``READINESS_CURRENCY`` environment variable, an ISO code, EUR by default) and when an assessment is stale
(:func:`stale_mask`, the model's ``[scoring] stale_after_months``, 3 by default). User text (pilot names,
business units, teams) is escaped for Plotly's pseudo-HTML with :func:`plain_text` wherever Plotly shows it
(text, tick labels, legend, hover, titles); the raw name rides only as a key (a heatmap row's category, whose
tick label is the escaped text, and ``customdata[0]``, which no template shows), so that a click opens it.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from readiness import display
from readiness.curves import curve_score
from readiness.model import GAP_IDS, BandCurve, BoolCurve, Metric, RatioCurve, ReadinessModel, load_model
from readiness.portfolio import SortKey, sort_portfolio
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER, ScoreResult

TEMPLATE_NAME = "readiness"
FONT_FAMILY = '"Source Sans 3", "Source Sans Pro", "Segoe UI", "Helvetica Neue", Arial, sans-serif'
INK = "#1f2933"
MUTED = "#6b7280"
GRID = "#e5e7eb"
FAINT = "#f3f4f6"

# Dark red → orange → light amber → pale green → dark teal-green. Lightness falls on both sides of the
# amber middle and the green end leans towards blue, so that red and green differ for deuteranopes too.
READINESS_SCALE: list[tuple[float, str]] = [
    (0.00, "#7f1d2d"),
    (0.20, "#c0392b"),
    (0.40, "#e8833a"),
    (0.55, "#f6c85f"),
    (0.70, "#b9dfa8"),
    (0.85, "#4ea585"),
    (1.00, "#17695a"),
]
# Changes: red for worse, near-white for no change, teal-green for better (lightness carries the size).
DELTA_SCALE: list[tuple[float, str]] = [(0.0, "#8e1b2b"), (0.25, "#d9735f"), (0.5, "#f7f7f5"), (0.75, "#6fb59b"),
                                        (1.0, "#17695a")]  # fmt: skip
VERDICT_COLORS: dict[str, str] = {"not_ready": "#b0283a", "conditional": "#d98a1c", "ready": "#1f7a62"}
VERDICT_SYMBOLS: dict[str, str] = {"not_ready": "x", "conditional": "diamond", "ready": "circle"}
VERDICT_GLYPHS: dict[str, str] = {"not_ready": "✕", "conditional": "◆", "ready": "●"}
# Okabe-Ito: the qualitative palette designed for colour-blind readers, for overlaid pilots.
SERIES_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]
SERIES_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash"]
SERIES_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "hexagon", "cross"]
SHORT_GAP_LABELS = {"data": "Data quality", "scale": "Latency & scale", "monitoring": "Monitoring",
                    "governance": "Governance", "ownership": "Ownership", "trust": "User trust"}  # fmt: skip
EDGE_STATES = ("inactive", "active", "critical")
# The portfolio heatmap's hover: customdata holds pilot, confidence, weakest items (by their short labels),
# score and the pilot as drawn (escaped for Plotly's pseudo-HTML), all as text.
HEATMAP_HOVER = (
    "<b>%{customdata[4]}</b> · %{x}<br>Score %{customdata[3]} · confidence %{customdata[1]}"
    "<br>Weakest items: %{customdata[2]}<extra></extra>"
)
# The currency of the money the charts show (expected annual value, run cost): an ISO 4217 code in this
# environment variable, read by :func:`currency` only; EUR when unset.
CURRENCY_VARIABLE = "READINESS_CURRENCY"
DEFAULT_CURRENCY = "EUR"
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}
# A stale assessment's marker beside its pilot ("◷ as of Jul 2026"): a clock face from the Geometric Shapes
# block, which the common sans fonts carry (an emoji clock would need an emoji font).
STALE_GLYPH = "◷"


def _template() -> go.layout.Template:
    """The one look of every chart."""
    axis = {
        "gridcolor": GRID,
        "linecolor": GRID,
        "zerolinecolor": GRID,
        "ticks": "",
        "tickfont": {"color": MUTED, "size": 12},
        "title": {"font": {"color": MUTED, "size": 12}},
        "automargin": True,
    }
    return go.layout.Template(
        layout=go.Layout(
            font={"family": FONT_FAMILY, "color": INK, "size": 13},
            title={"font": {"size": 16, "color": INK}, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
            paper_bgcolor="white",
            plot_bgcolor="white",
            colorway=SERIES_COLORS,
            colorscale={"sequential": READINESS_SCALE, "diverging": READINESS_SCALE},
            xaxis=axis,
            yaxis=axis,
            polar={
                "bgcolor": "white",
                "radialaxis": {"gridcolor": GRID, "linecolor": GRID, "tickfont": {"color": MUTED, "size": 10}},
                "angularaxis": {"gridcolor": GRID, "linecolor": GRID, "tickfont": {"color": INK, "size": 12}},
            },
            legend={"font": {"size": 12, "color": INK}, "bgcolor": "rgba(255,255,255,0)", "orientation": "h",
                    "yanchor": "bottom", "y": 1.01, "xanchor": "right", "x": 1},
            hoverlabel={"bgcolor": "white", "bordercolor": GRID, "font": {"family": FONT_FAMILY, "color": INK}},
            margin={"l": 10, "r": 10, "t": 48, "b": 10},
        )
    )  # fmt: skip


pio.templates[TEMPLATE_NAME] = _template()
# Each figure is given the Template object itself, which Plotly copies: 3.6 ms a figure on a slow 2-core
# machine, where a dict of it is validated anew (6.6 ms) and its name looked up and copied (5.6 ms).
TEMPLATE = pio.templates[TEMPLATE_NAME]


def figure(
    data: list[dict[str, Any]], layout: dict[str, Any], title: str | None = None, height: int | None = None
) -> go.Figure:
    """The figure of ``data`` (trace dicts, each with its ``"type"``) and ``layout`` in the readiness template,
    with ``title`` and ``height`` when given, constructed (and validated) in one call.

    Every builder here assembles plain dicts and lists and calls this once: Plotly's incremental updates
    (``add_trace``, ``update_layout``, ``make_subplots``) cost 3-8 times more per figure than constructing it
    from a whole spec, and a busy server builds charts for every session. Each figure names its template
    rather than relying on Plotly's process-wide default, which importing Streamlit replaces with its own."""
    spec = {**layout, "template": TEMPLATE}
    if title is not None:
        # A title may already carry a subtitle (the verdict distribution's key): the text joins it.
        spec["title"] = {**spec.get("title", {}), "text": title}
    if height is not None:
        spec["height"] = height
    return go.Figure({"data": data, "layout": spec})


# A verdict column beside a grid of scores, sharing the rows' axis (the portfolio and snapshot heatmaps): the
# axes make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.13, 0.87], horizontal_spacing=0.006)
# made, written out so that the figure is built in one call.
VERDICT_COLUMN_SHARE = 0.13
COLUMN_SPACING = 0.006


def _verdict_column_axes(
    x: dict[str, Any], x2: dict[str, Any], y: dict[str, Any], y2: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Layout axes for a verdict column (``x``/``y``, traces on ``"x"``/``"y"``) beside a score grid
    (``x2``/``y2``, traces on ``"x2"``/``"y2"``) whose rows follow the verdict column's (``matches``), its
    own row labels hidden; the given dicts are each axis's own settings."""
    # The same arithmetic as make_subplots, so that the domains are the same floats.
    split = (1.0 - COLUMN_SPACING) * VERDICT_COLUMN_SHARE
    return {
        "xaxis": {**x, "anchor": "y", "domain": [0.0, split]},
        "xaxis2": {**x2, "anchor": "y2", "domain": [split + COLUMN_SPACING, 1.0]},
        "yaxis": {**y, "anchor": "x", "domain": [0.0, 1.0]},
        "yaxis2": {**y2, "anchor": "x2", "domain": [0.0, 1.0], "matches": "y", "showticklabels": False},
    }


def _column_separator(x: float) -> dict[str, Any]:
    """A layout shape: a thin white line down the whole score grid (on ``x2``) at ``x``, before its Overall
    column (what ``add_vline(x, row=1, col=2)`` drew)."""
    return {"type": "line", "xref": "x2", "x0": x, "x1": x, "yref": "y2 domain", "y0": 0, "y1": 1,
            "line": {"color": "white", "width": 6}}  # fmt: skip


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def score_color(score: float) -> str:
    """The readiness scale's colour of a 0-100 score, as ``#rrggbb`` (for tiles and cards)."""
    position = min(1.0, max(0.0, float(score) / 100))
    for (p0, c0), (p1, c1) in pairwise(READINESS_SCALE):
        if position <= p1:
            t = (position - p0) / (p1 - p0)
            rgb = [round(a + (b - a) * t) for a, b in zip(_hex_to_rgb(c0), _hex_to_rgb(c1), strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return READINESS_SCALE[-1][1]


def text_color_on(background: str) -> str:
    """Dark ink or white, whichever reads better on ``background`` (WCAG relative luminance)."""
    channels = [c / 255 for c in _hex_to_rgb(background)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "white" if luminance < 0.33 else INK


def gap_labels(model: ReadinessModel | None = None) -> dict[str, str]:
    """Gap ID → its label."""
    model = model or load_model()
    return {g.id: g.label for g in model.gaps}


def short_gap_labels(model: ReadinessModel | None = None) -> dict[str, str]:
    """Gap ID → a short label that fits a heatmap column or a radar axis."""
    labels = gap_labels(model)
    return {g: SHORT_GAP_LABELS.get(g, labels[g]) for g in labels}


def verdict_label(verdict: str) -> str:
    """The verdict in words with its glyph: ``✕ Not ready``."""
    return f"{VERDICT_GLYPHS[verdict]} {VERDICT_LABELS[verdict]}"


def plain_text(text: object) -> str:
    """User text (a pilot's name) for a Plotly label or hover: Plotly reads ``<b>``, ``<br>`` and ``<a>`` as
    markup, so ``&``, ``<`` and ``>`` are written as entities and the text shows exactly as typed."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrapped(label: str, width: int = 10) -> str:
    """A label on two lines (``Latency &<br>scale``) when it is longer than ``width`` characters, split at the
    space nearest its middle, so that narrow columns and radar axes never cut it."""
    if len(label) <= width or " " not in label:
        return label
    middle = len(label) / 2
    # Never start the second line with a symbol ("Latency &<br>scale", not "Latency<br>& scale").
    spaces = [k for k, c in enumerate(label) if c == " " and label[k + 1 : k + 2].isalnum()] or [label.index(" ")]
    cut = min(spaces, key=lambda k: abs(k - middle))
    return f"{label[:cut]}<br>{label[cut + 1 :]}"


# Margins sized here to hold the tick labels. Plotly's automargin (on in the template) only ever widens a margin:
# when the given one already holds the labels, the first draw is final; when it is short, Plotly measures and
# draws the chart a second time, which cost a third of the Portfolio's chart time on a cold first visit. An
# estimate a little wide costs a few pixels of white; one a little short, that second draw.
CHAR_WIDTH_EM = 0.52  # the average glyph of the sans fonts above, a little over (Arial's is 0.45-0.5 em)
TICK_PAD_PX = 10  # between a tick label and the plot, and from the label to the figure's edge
COLORBAR_MARGIN_PX = 96  # a colour bar of thickness 10 with "100" and its side title "Score" (measured: 93)
AXIS_TITLE_PX = 16  # an axis title of 12 px, with its distance from the tick labels
_MARKUP = re.compile(r"<[^>]+>")


def label_margin(labels: Sequence[str], font_size: int = 12) -> int:
    """Pixels of margin that hold the widest of ``labels`` (Plotly label text: markup stripped, entities read,
    ``<br>`` as a new line) beside an axis: the estimate that lets Plotly draw the chart once."""
    lines = (line for label in labels for line in re.split(r"<br\s*/?>", str(label)))
    widest = max((len(html.unescape(_MARKUP.sub("", line))) for line in lines), default=0)
    return round(widest * CHAR_WIDTH_EM * font_size) + TICK_PAD_PX


def currency(code: str | None = None) -> tuple[str, str]:
    """The currency money is shown in, as ``(code, symbol)``: ``code``, else the ``READINESS_CURRENCY``
    environment variable, else EUR. A code without a known symbol is its own symbol (``("CHF", "CHF ")``)."""
    chosen = (code or os.environ.get(CURRENCY_VARIABLE) or DEFAULT_CURRENCY).strip().upper() or DEFAULT_CURRENCY
    return chosen, CURRENCY_SYMBOLS.get(chosen, f"{chosen} ")


def item_labels_text(ids: str, model: ReadinessModel | None = None) -> str:
    """Comma-separated item IDs (``"DATA-1, DATA-3"``, as in the ``weak.<gap>`` columns) as their short
    labels (``"Tested on production data, Evaluation data from every source"``)."""
    labels = item_short_labels(model)
    return ", ".join(labels.get(i.strip(), i.strip()) for i in str(ids).split(",") if i.strip())


def item_short_labels(model: ReadinessModel | None = None) -> dict[str, str]:
    """Every question's and metric's ID → its short label (``ReadinessModel.item_label`` for all at once)."""
    model = model or load_model()
    return {item.id: model.item_label(item.id) for item in [*model.questions, *model.metrics]}


def month_text(day: object) -> str:
    """A date as its month: ``Jul 2026``."""
    return f"{pd.Timestamp(day):%b %Y}"


def stale_mask(latest: pd.DataFrame, model: ReadinessModel | None = None, reference: date | None = None) -> pd.Series:
    """Which pilots' assessments are stale: dated more than the model's ``stale_after_months`` before
    ``reference`` (default: the newest assessment of ``latest``, the date the portfolio stands on).

    The one definition of a stale assessment: the Portfolio heatmap, its table and the Compare table all mark
    the pilots this returns (True for stale, aligned on ``latest``'s index)."""
    if latest.empty:
        return pd.Series(False, index=latest.index, dtype=bool)
    model = model or load_model()
    dates = pd.to_datetime(latest["as_of"])
    newest = pd.Timestamp(reference) if reference is not None else dates.max()
    limit = newest - pd.DateOffset(months=int(model.scoring.stale_after_months))
    return dates < limit


def stale_text(day: object) -> str:
    """The marker of a stale assessment: ``◷ as of Jul 2026``."""
    return f"{STALE_GLYPH} as of {month_text(day)}"


# --------------------------------------------------------------------------------------------
# Data helpers shared by the screen and the exports
# --------------------------------------------------------------------------------------------


def gap_scores_of(source: ScoreResult | pd.Series | Mapping[str, float]) -> dict[str, float]:
    """The six gap scores of a ScoreResult, a scored frame row, or a mapping already keyed by gap."""
    if isinstance(source, ScoreResult):
        return {g: float(source.gaps[g].score) for g in GAP_IDS}
    if isinstance(source, pd.Series):
        return {g: float(source[f"score.{g}"]) for g in GAP_IDS}
    return {g: float(source[g]) for g in GAP_IDS}


def severity_text(severity: float) -> str:
    """A compound risk's 0-1 severity with two decimals, rounded down like every shown number (``0.86``)."""
    return f"{display.floor_to(severity, 2):.2f}"


def score_texts(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """Scores as the text a reader sees (:func:`readiness.display.score_text`), element by element."""
    array = np.asarray(values, dtype=float)
    return np.array([display.score_text(v) for v in array.ravel()], dtype=object).reshape(array.shape)


def confidence_texts(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """0-1 confidences as whole percentages (:func:`readiness.display.confidence_text`), element by element."""
    array = np.asarray(values, dtype=float)
    return np.array([display.confidence_text(v) for v in array.ravel()], dtype=object).reshape(array.shape)


# --------------------------------------------------------------------------------------------
# Portfolio
# --------------------------------------------------------------------------------------------


def portfolio_heatmap(
    latest: pd.DataFrame,
    model: ReadinessModel | None = None,
    sort: SortKey = "readiness",
    weak: pd.DataFrame | None = None,
    title: str | None = "Readiness by pilot and gap",
) -> go.Figure:
    """Pilots × the six gaps (and overall), each cell coloured on the readiness scale with its score written
    in it; a verdict column on the left says the verdict in words.

    ``weak`` (from :func:`readiness.portfolio.weakest_items`, same index as ``latest``) adds the weakest
    items to the hover; so do ``weak.<gap>`` columns already in ``latest``. Cell text and hover are written
    with :mod:`readiness.display`, so a cell reads what every other surface reads.
    Every cell's ``customdata[0]`` is the pilot name, so a click can open the pilot.
    """
    model = model or load_model()
    shorts = short_gap_labels(model)
    frame = latest.copy()
    if weak is not None:
        frame = frame.drop(columns=[f"weak.{g}" for g in GAP_IDS], errors="ignore").join(weak.add_prefix("weak."))
    frame = sort_portfolio(frame, sort)
    # Plotly draws the first row at the bottom; reverse so the first pilot of the order is on top.
    frame = frame.iloc[::-1].reset_index(drop=True)
    names = frame["pilot"].astype(str).tolist()
    columns = [*GAP_IDS, "overall"]
    x_labels = [shorts[g] for g in GAP_IDS] + ["Overall"]
    z = np.column_stack([frame[f"score.{g}"].to_numpy(float) for g in GAP_IDS] + [frame["overall"].to_numpy(float)])
    conf = np.column_stack(
        [frame[f"confidence.{g}"].to_numpy(float) for g in GAP_IDS] + [frame["overall_confidence"].to_numpy(float)]
    )
    weak_text = np.column_stack(
        [frame[f"weak.{g}"].fillna("").to_numpy(object) if f"weak.{g}" in frame else np.full(len(frame), "")
         for g in GAP_IDS] + [np.full(len(frame), "")]
    ) if len(frame) else np.zeros((0, len(columns)), dtype=object)  # fmt: skip
    # The weakest items by their short labels (the IDs stay in the pilot's drill-down).
    labels = item_short_labels(model)
    weak_text = np.array([", ".join(labels.get(i.strip(), i.strip()) for i in str(ids).split(",") if i.strip())
                          or "—" for ids in weak_text.ravel()], dtype=object).reshape(weak_text.shape)  # fmt: skip
    pilot_grid = np.repeat(np.array(names, dtype=object)[:, None], len(columns), axis=1)
    shown_grid = np.repeat(np.array([plain_text(n) for n in names], dtype=object)[:, None], len(columns), axis=1)
    # Every number is written in Python with the one display rule (Plotly's d3 format rounds 6.5 up to 7,
    # the deck would show 6); the colour still comes from the exact score in ``z``.
    scores = score_texts(z)
    customdata = (np.dstack([pilot_grid, confidence_texts(conf), weak_text, scores, shown_grid])
                  if len(frame) else None)  # fmt: skip
    # Each row is labelled with its pilot; an assessment older than the model's stale_after_months (before
    # the portfolio's newest) carries its month, in grey: "Shift scheduling ◷ as of Jul 2026".
    stale = stale_mask(frame, model).to_numpy(bool) if len(frame) else np.zeros(0, bool)
    row_labels = [plain_text(n) + (f" <span style='color:{MUTED}'>{stale_text(d)}</span>" if old else "")
                  for n, d, old in zip(names, frame["as_of"] if len(frame) else [], stale, strict=False)]  # fmt: skip

    verdicts = frame["verdict"].astype(str).tolist()
    codes = np.array([[VERDICT_ORDER.index(v)] for v in verdicts], dtype=float)
    verdict_scale = _discrete_scale([VERDICT_COLORS[v] for v in VERDICT_ORDER])
    verdict_column = {
        "type": "heatmap", "xaxis": "x", "yaxis": "y", "z": codes, "x": ["Verdict"], "y": names,
        "text": [[VERDICT_LABELS[v]] for v in verdicts], "texttemplate": "%{text}", "textfont": {"size": 12},
        "colorscale": verdict_scale, "zmin": -0.5, "zmax": 2.5, "showscale": False, "xgap": 2, "ygap": 2,
        "customdata": [[[n, plain_text(n)]] for n in names],
        "hovertemplate": "<b>%{customdata[1]}</b><br>%{text}<extra></extra>",
    }  # fmt: skip
    cells: dict[str, Any] = {
        "type": "heatmap", "xaxis": "x2", "yaxis": "y2", "z": z, "x": x_labels, "y": names, "text": scores,
        "texttemplate": "%{text}", "textfont": {"size": 13}, "colorscale": READINESS_SCALE, "zmin": 0, "zmax": 100,
        "xgap": 2, "ygap": 2,
        # The title beside the bar (on top, it sat on the "100" tick label).
        "colorbar": {"title": {"text": "Score", "side": "right"}, "thickness": 10, "y": 1, "yanchor": "top",
                     "len": min(1.0, 300 / _height(len(frame))), "tickvals": [0, 40, 70, 100], "outlinewidth": 0},
    }  # fmt: skip
    traces = [verdict_column, cells]
    if len(frame):
        # The click targets carry the hover; the cells under them stay silent (one hover per cell).
        cells.update(customdata=customdata, hoverinfo="skip")
        traces.append(_click_targets(x_labels, names, customdata))
    else:
        cells["hovertemplate"] = HEATMAP_HOVER
    column_axis = {"side": "top", "showgrid": False, "tickfont": {"color": INK, "size": 12}, "tickangle": 0}
    row_axis = {"showgrid": False, "tickfont": {"color": INK, "size": 12}, "autorange": True}
    layout = {
        **_verdict_column_axes(
            x=column_axis,
            # Column labels on two lines where they are long, so that they never need to be turned or cut.
            x2={**column_axis, "tickmode": "array", "tickvals": x_labels, "ticktext": [wrapped(x) for x in x_labels]},
            y={**row_axis, "tickmode": "array", "tickvals": names, "ticktext": row_labels},
            y2=row_axis,
        ),
        # A thin white separator before the Overall column.
        "shapes": [_column_separator(len(GAP_IDS) - 0.5)],
        # Hover and click go to the nearest cell wherever the pointer is; no drag-zoom on a table of scores.
        "hovermode": "closest", "hoverdistance": -1, "clickmode": "event+select", "dragmode": False,
        "margin": {"l": label_margin(row_labels), "r": COLORBAR_MARGIN_PX, "t": 80 if title else 48, "b": 10},
    }  # fmt: skip
    return figure(traces, layout, title, _height(len(frame)))


def _click_targets(x_labels: list[str], names: list[str], customdata: np.ndarray) -> dict[str, Any]:
    """Invisible markers at the centre of every cell. Plotly cannot select a heatmap cell, but it can select a
    point: a click on a cell selects its marker, whose ``customdata[0]`` is the pilot (the app opens it)."""
    rows, cols = customdata.shape[:2]
    return {
        "type": "scatter", "xaxis": "x2", "yaxis": "y2", "x": np.tile(x_labels, rows), "y": np.repeat(names, cols),
        "mode": "markers", "showlegend": False, "name": "cells",
        "marker": {"size": 24, "symbol": "square", "opacity": 0, "color": "white"},
        "customdata": customdata.reshape(rows * cols, -1),
        "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}},
        "hovertemplate": HEATMAP_HOVER,
    }  # fmt: skip


def _height(rows: int) -> int:
    return max(220, 110 + 30 * rows)


def _discrete_scale(colors: Sequence[str]) -> list[tuple[float, str]]:
    """A stepwise colour scale mapping integer codes 0..n-1 (with zmin=-0.5, zmax=n-0.5) to colours."""
    n = len(colors)
    scale: list[tuple[float, str]] = []
    for k, color in enumerate(colors):
        scale += [(k / n, color), ((k + 1) / n, color)]
    return scale


def has_value_data(latest: pd.DataFrame) -> bool:
    """Whether any pilot reports both its expected annual value and its monthly run cost."""
    needed = {"expected_annual_value", "monthly_run_cost"}
    if not needed <= set(latest.columns):
        return False
    return bool((latest["expected_annual_value"].notna() & latest["monthly_run_cost"].notna()).any())


# The value matrix's geometry, for placing labels where they collide with nothing: the plot area (in pixels)
# of the narrowest column the dashboard draws it in (three fifths of the page at 1280 px), and the size of
# its label text. A wider chart only spreads the labels further apart.
VALUE_PLOT_PX = (440.0, 300.0)
LABEL_FONT = 11
CROWDED = 60  # pilots: above this, bubbles are drawn smaller and fainter, and labels may cover the crowd
LABEL_CHAR_PX = 6.2
LABEL_LINE_PX = 15.0
VALUE_X_RANGE = (-8.0, 108.0)


def bubble_size(cost: np.ndarray | float, max_cost: float) -> np.ndarray:
    """A bubble's diameter in pixels for a monthly run cost: its area grows with the cost (one rule for the
    bubbles and their size legend)."""
    return 12 + 26 * np.sqrt(np.asarray(cost, dtype=float) / max(max_cost, 1.0))


def _nice(value: float) -> float:
    """``value`` rounded down to one significant digit (48 000 → 40 000), at least 1."""
    if value < 1:
        return 1.0
    magnitude = 10 ** np.floor(np.log10(value))
    return float(np.floor(value / magnitude) * magnitude)


def _money_text(amount: float, symbol: str) -> str:
    """An amount of money as a reader sees it: ``€2.4M``, ``€35k``, ``€900``."""
    if amount >= 1e6:
        return f"{symbol}{_decimal_text(amount / 1e6, 1)}M"
    if amount >= 1e3:
        return f"{symbol}{_decimal_text(amount / 1e3, 0)}k"
    return f"{symbol}{_decimal_text(amount, 0)}"


def value_labels(data: pd.DataFrame, top: int = 3) -> list[str]:
    """The pilots a value matrix names: the ``top`` highest-value pilots and the ``top`` highest-value ones
    that are not ready (where the money is at risk), highest value first. Every other bubble has its hover."""
    by_value = data.sort_values(["expected_annual_value", "pilot"], ascending=[False, True], kind="stable")
    chosen = [*by_value["pilot"].head(top), *by_value.loc[by_value["verdict"] == "not_ready", "pilot"].head(top)]
    return list(dict.fromkeys(chosen))


def _label_positions(
    points: pd.DataFrame, labelled: Sequence[str], y_max: float, obstacles: Sequence[tuple[float, ...]] = ()
) -> dict[str, str]:
    """Where each labelled pilot's name goes (a Plotly ``textposition``) so that no label covers another
    label, a bubble or the chart's edge; a label that fits nowhere is left out (its bubble keeps its hover).

    ``points`` has ``pilot``, ``x`` (0-100), ``y`` (value) and ``size`` (diameter in pixels). Positions are
    tried in order around the bubble, greedily, in the order of ``labelled`` (most important first)."""
    width, height = VALUE_PLOT_PX
    x0, x1 = VALUE_X_RANGE

    def px(x: float, y: float) -> tuple[float, float]:
        return (x - x0) / (x1 - x0) * width, y / y_max * height

    # A crowded chart (hundreds of pilots) has no free space: its labels then avoid each other and the
    # labelled bubbles only, and sit over the (smaller, fainter) crowd.
    crowd = points if len(points) <= CROWDED else points[points["pilot"].isin(labelled)]
    bubbles = []
    for row in crowd.itertuples(index=False):
        cx, cy = px(row.x, row.y)
        r = row.size / 2
        bubbles.append((row.pilot, (cx - r, cy - r, cx + r, cy + r)))
    taken: list[tuple[float, float, float, float]] = [tuple(o) for o in obstacles]  # type: ignore[misc]
    placed: dict[str, str] = {}
    by_name = {row.pilot: row for row in points.itertuples(index=False)}

    def clear(box: tuple[float, float, float, float], own: str) -> bool:
        left, bottom, right, top = box
        if left < 0 or right > width or bottom < 0 or top > height:
            return False
        boxes = taken + [b for name, b in bubbles if name != own]
        return all(right <= b[0] or left >= b[2] or top <= b[1] or bottom >= b[3] for b in boxes)

    for name in labelled:
        row = by_name[name]
        cx, cy = px(row.x, row.y)
        r, w, h = row.size / 2 + 2, len(str(name)) * LABEL_CHAR_PX, LABEL_LINE_PX
        candidates = {
            "top center": (cx - w / 2, cy + r, cx + w / 2, cy + r + h),
            "bottom center": (cx - w / 2, cy - r - h, cx + w / 2, cy - r),
            "middle right": (cx + r, cy - h / 2, cx + r + w, cy + h / 2),
            "middle left": (cx - r - w, cy - h / 2, cx - r, cy + h / 2),
            "top right": (cx + r * 0.7, cy + r * 0.7, cx + r * 0.7 + w, cy + r * 0.7 + h),
            "top left": (cx - r * 0.7 - w, cy + r * 0.7, cx - r * 0.7, cy + r * 0.7 + h),
            "bottom right": (cx + r * 0.7, cy - r * 0.7 - h, cx + r * 0.7 + w, cy - r * 0.7),
            "bottom left": (cx - r * 0.7 - w, cy - r * 0.7 - h, cx - r * 0.7, cy - r * 0.7),
        }
        for position, box in candidates.items():
            if clear(box, name):
                placed[name] = position
                taken.append(box)
                break
    return placed


def value_readiness_matrix(latest: pd.DataFrame, model: ReadinessModel | None = None,
                           title: str | None = "Value × readiness", currency_code: str | None = None,
                           label_top: int = 3) -> go.Figure:  # fmt: skip
    """Overall readiness (x) against expected annual value (y), bubble area = monthly run cost.

    Only pilots that report value and cost are drawn. Verdicts differ by colour *and* marker symbol. Only the
    pilots that matter are named (:func:`value_labels`: the highest-value ones and the highest-value not-ready
    ones), each where its name covers no other name or bubble; every bubble has its hover. A size legend under
    the chart says what a bubble's size means, and the money is in :func:`currency` (``currency_code`` or the
    ``READINESS_CURRENCY`` setting). The vertical line is the overall score a ready verdict needs.
    """
    model = model or load_model()
    code, symbol = currency(currency_code)
    data = latest.dropna(subset=["expected_annual_value", "monthly_run_cost"])
    max_cost = float(data["monthly_run_cost"].max()) if len(data) else 1.0
    y_max = max(float(data["expected_annual_value"].max()) / 1e6 if len(data) else 1.0, 0.1) * 1.15
    crowded = len(data) > CROWDED
    scale = 0.5 if crowded else 1.0
    points = pd.DataFrame({"pilot": data["pilot"].astype(str), "x": data["overall"].astype(float),
                           "y": data["expected_annual_value"].astype(float) / 1e6,
                           "size": scale * bubble_size(data["monthly_run_cost"], max_cost)})  # fmt: skip
    ready_at = model.verdict.ready_overall_at_least
    # The threshold's note sits at the bottom right of its line: no label may cover it.
    note_x = (ready_at - VALUE_X_RANGE[0]) / (VALUE_X_RANGE[1] - VALUE_X_RANGE[0]) * VALUE_PLOT_PX[0]
    positions = _label_positions(points, value_labels(data, label_top), y_max, [(note_x, 0, note_x + 100, 16)])
    traces = []
    for verdict in VERDICT_ORDER:
        part = data[data["verdict"] == verdict]
        if part.empty:
            continue
        value = part["expected_annual_value"].to_numpy(float)
        cost = part["monthly_run_cost"].to_numpy(float)
        hover = [
            f"<b>{plain_text(name)}</b><br>Readiness {display.score_text(x)}<br>Value {_money_text(v, symbol)} a year"
            f"<br>Run cost {_money_text(c, symbol)} a month"
            for name, x, v, c in zip(part["pilot"], part["overall"], value, cost, strict=True)
        ]
        names = part["pilot"].astype(str).tolist()
        traces.append(
            {"type": "scatter", "x": part["overall"], "y": value / 1e6, "mode": "markers+text",
             "name": VERDICT_LABELS[verdict], "text": [plain_text(n) if n in positions else "" for n in names],
             "textposition": [positions.get(n, "top center") for n in names],
             "textfont": {"size": LABEL_FONT, "color": INK}, "cliponaxis": False,
             "customdata": np.column_stack([part["pilot"], hover]),
             "marker": {"size": scale * bubble_size(cost, max_cost), "color": VERDICT_COLORS[verdict],
                        "symbol": VERDICT_SYMBOLS[verdict], "opacity": 0.35 if crowded else 0.75,
                        "line": {"color": "white", "width": 1}},
             "hovertemplate": "%{customdata[1]}<extra></extra>"}
        )  # fmt: skip
    # The threshold: a dotted line across the plot, its note at the bottom right of it.
    threshold = {"type": "line", "xref": "x", "x0": ready_at, "x1": ready_at, "yref": "y domain", "y0": 0, "y1": 1,
                 "line": {"color": MUTED, "width": 1, "dash": "dot"}}  # fmt: skip
    note = {"text": f"ready needs ≥ {display.threshold_text(ready_at)}", "font": {"color": MUTED, "size": 11},
            "showarrow": False, "xref": "x", "x": ready_at, "xanchor": "left", "yref": "y domain", "y": 0,
            "yanchor": "bottom"}  # fmt: skip
    legend = _size_legend(max_cost, symbol, scale)
    layout = {
        "shapes": [threshold, *legend["shapes"]], "annotations": [note, *legend["annotations"]],
        "xaxis": {"title": {"text": "Overall readiness (0-100)"}, "range": list(VALUE_X_RANGE)},
        "yaxis": {"title": {"text": f"Expected annual value ({symbol.strip()} millions)"}, "range": [0, y_max]},
        "showlegend": True, "margin": {"l": _value_axis_margin(y_max), "r": 10, "t": 48, "b": 96},
        "meta": {"currency": code},
    }  # fmt: skip
    return figure(traces, layout, title, 480)


def _value_axis_margin(y_max: float) -> int:
    """The left margin of the value axis (0 to ``y_max`` millions): its widest tick label (Plotly writes
    whole millions from 3 up, halves below) and its title."""
    widest = str(int(y_max)) + (".5" if y_max < 3 else "")
    return label_margin([widest]) + AXIS_TITLE_PX


def _size_legend(max_cost: float, symbol: str, scale: float = 1.0) -> dict[str, list[dict[str, Any]]]:
    """Under the x axis: what a bubble's size means, three circles drawn with :func:`bubble_size` itself
    (times ``scale``, the crowded chart's smaller bubbles), as layout ``shapes`` and ``annotations``."""
    costs = sorted({_nice(max_cost * f) for f in (0.1, 0.4, 1.0)})
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = [
        {"text": "Bubble size: run cost a month", "x": 0, "y": 0, "xref": "paper", "yref": "paper",
         "xanchor": "left", "yanchor": "middle", "yshift": -70, "showarrow": False,
         "font": {"size": 11, "color": MUTED}}
    ]  # fmt: skip
    offset = 168
    for cost in costs:
        diameter = scale * float(bubble_size(cost, max_cost))
        shapes.append({"type": "circle", "xref": "paper", "yref": "paper", "xsizemode": "pixel",
                       "ysizemode": "pixel", "xanchor": 0, "yanchor": 0, "x0": offset, "x1": offset + diameter,
                       "y0": -70 - diameter / 2, "y1": -70 + diameter / 2, "line": {"color": MUTED, "width": 1},
                       "fillcolor": "rgba(107,114,128,0.15)"})  # fmt: skip
        annotations.append({"text": _money_text(cost, symbol), "x": 0, "y": 0, "xref": "paper", "yref": "paper",
                            "xanchor": "left", "yanchor": "middle", "xshift": offset + diameter + 4, "yshift": -70,
                            "showarrow": False, "font": {"size": 11, "color": MUTED}})  # fmt: skip
        offset += diameter + 52
    return {"shapes": shapes, "annotations": annotations}


def _decimal_text(value: float, decimals: int) -> str:
    """A measured value (money in thousands or millions, a metric's raw value) with ``decimals`` decimals,
    rounded down like every shown number (``2.4``)."""
    return f"{display.floor_to(value, decimals):.{decimals}f}"


def verdict_distribution(latest: pd.DataFrame, by: str = "business_unit",
                         title: str | None = "Verdicts by business unit") -> go.Figure:  # fmt: skip
    """Horizontal stacked bars: pilots per ``by`` group split by verdict, counts written on the bars."""
    return verdict_bars(verdict_counts(latest, by), title)


def verdict_counts(latest: pd.DataFrame, by: str = "business_unit") -> pd.DataFrame:
    """Pilots per ``by`` group (rows, the smallest group first) and verdict (columns, in review order): what
    :func:`verdict_bars` draws. A write that changes no verdict leaves it, and so the figure, as it was."""
    groups = latest[by].fillna("(none)") if len(latest) else pd.Series([], dtype=object)
    table = pd.crosstab(groups, latest["verdict"]) if len(latest) else pd.DataFrame()
    table = table.reindex(columns=list(VERDICT_ORDER), fill_value=0)
    return table.loc[table.sum(axis=1).sort_values().index] if len(table) else table


def verdict_bars(table: pd.DataFrame, title: str | None = "Verdicts by business unit") -> go.Figure:
    """The stacked bars of :func:`verdict_distribution` from its :func:`verdict_counts`."""
    # The groups (business units, teams) are user text and the categories are drawn as the tick labels and
    # in the hover as they are: escaped, so that Plotly shows them as typed and never as a link.
    groups_shown = [plain_text(i) for i in table.index]
    traces = []
    for verdict in VERDICT_ORDER:
        counts = table[verdict] if verdict in table else pd.Series([], dtype=int)
        traces.append(
            {"type": "bar", "y": groups_shown, "x": counts, "orientation": "h", "name": verdict_label(verdict),
             "marker": {"color": VERDICT_COLORS[verdict], "line": {"color": "white", "width": 1}},
             "text": [str(c) if c else "" for c in counts], "textposition": "inside", "insidetextanchor": "middle",
             "textfont": {"color": "white", "size": 12},
             "hovertemplate": "%{y}: %{x} " + VERDICT_LABELS[verdict].lower() + "<extra></extra>"}
        )  # fmt: skip
    x_axis: dict[str, Any] = {"title": {"text": "Pilots"}}
    if table.to_numpy().sum(axis=1).max(initial=0) <= 10:
        x_axis["dtick"] = 1  # whole pilots while the bars are short; Plotly's own ticks beyond
    # The groups' names beside the bars, the count ticks and the axis title below them.
    margin = {"l": label_margin(groups_shown), "b": TICK_PAD_PX + 14 + AXIS_TITLE_PX}  # 12 px count ticks
    layout: dict[str, Any] = {"barmode": "stack", "bargap": 0.35, "legend": {"traceorder": "normal"},
                              "xaxis": x_axis, "yaxis": {"showgrid": False}, "margin": margin}  # fmt: skip
    if title:
        # The key on one line under the title: a Plotly legend beside the title ran into it, and above the
        # plot it wraps to the plot's width (narrow here, beside long business-unit names).
        key = "   ".join(f"<span style='color:{VERDICT_COLORS[v]}'>■</span> {verdict_label(v)}" for v in VERDICT_ORDER)
        layout.update(showlegend=False, title={"subtitle": {"text": key, "font": {"size": 12, "color": INK}}},
                      margin={**margin, "t": 72})  # fmt: skip
    return figure(traces, layout, title, max(240, 120 + 38 * len(table)))


# --------------------------------------------------------------------------------------------
# Pilot
# --------------------------------------------------------------------------------------------


def _closed(values: Sequence[float]) -> list[float]:
    return [*values, values[0]]


# Where a radar's data label goes for each of the six axes (clockwise from the top): away from the centre,
# so that labels of low scores, which all sit near the centre, point six different ways instead of piling up.
RADAR_LABEL_POSITIONS = ["top center", "top right", "bottom right", "bottom center", "bottom left", "top left"]
# Near the outer ring a label written outwards would sit on the axis label: from this score on, it goes inwards.
RADAR_INWARD_FROM = 75
_OPPOSITE = {"top": "bottom", "bottom": "top", "left": "right", "right": "left", "center": "center"}


def radar_label_positions(values: Sequence[float]) -> list[str]:
    """Where each of the six values is written: outwards from the centre along its axis, inwards near the ring."""
    return [position if value < RADAR_INWARD_FROM else " ".join(_OPPOSITE[w] for w in position.split())
            for value, position in zip(values, RADAR_LABEL_POSITIONS, strict=True)]  # fmt: skip


def pilot_radar(
    latest: Mapping[str, float],
    previous: Mapping[str, float] | None = None,
    median: Mapping[str, float] | None = None,
    model: ReadinessModel | None = None,
    title: str | None = "The six gaps",
    names: tuple[str, str, str] = ("Latest", "Previous", "Portfolio median"),
) -> go.Figure:
    """Radar of the six gaps: the latest snapshot (filled, solid), the previous one (dashed) and the
    portfolio median (dotted grey). Only the latest points carry their values, each written outwards from
    the centre along its own axis, so that low scores near the centre never overprint one another, and inwards
    from :data:`RADAR_INWARD_FROM` on, so that high ones stay off the axis labels."""
    shorts = short_gap_labels(model)
    theta = _closed([shorts[g] for g in GAP_IDS])
    traces = []
    if median is not None:
        traces.append(_radar_trace([median[g] for g in GAP_IDS], theta, names[2], "#9ca3af", "dot", "square"))
    if previous is not None:
        traces.append(_radar_trace([previous[g] for g in GAP_IDS], theta, names[1], "#8d6cab", "dash", "diamond"))
    values = [latest[g] for g in GAP_IDS]
    trace = _radar_trace(values, theta, names[0], SERIES_COLORS[0], "solid", "circle", fill=True)
    # The closing point repeats the first: its label is left empty, or the first value would be written twice.
    trace.update(mode="lines+markers+text", text=[*score_texts(values), ""],
                 textposition=_closed(radar_label_positions(values)), textfont={"size": 12, "color": INK})  # fmt: skip
    traces.append(trace)
    return figure(traces, _polar_layout(traces), title, 440)


def _radar_trace(values: Sequence[float], theta: list[str], name: str, color: str, dash: str, symbol: str,
                 fill: bool = False) -> dict[str, Any]:  # fmt: skip
    """One radar outline as a ``scatterpolar`` trace dict: closed, its hover naming the trace and the value."""
    trace = {
        "type": "scatterpolar", "r": _closed(list(values)), "theta": theta, "name": plain_text(name),
        "mode": "lines+markers", "line": {"color": color, "dash": dash, "width": 2.5 if fill else 1.8},
        "marker": {"symbol": symbol, "size": 7, "color": color},
        "customdata": list(score_texts(_closed(list(values)))),
        # The name (a pilot's, user text) is read from the trace, not written into the template: typed into
        # it, a "%{...}" in the name would be filled in instead of shown.
        "hovertemplate": "<b>%{fullData.name}</b><br>%{theta}: %{customdata}<extra></extra>",
    }  # fmt: skip
    if fill:
        trace.update(fill="toself", fillcolor=_rgba(color, 0.12))
    return trace


def _rgba(color: str, alpha: float) -> str:
    r, g, b = _hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha})"


def _polar_layout(traces: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The layout of a radar of ``traces`` (the axes named by the first trace's ``theta``)."""
    labels = [str(t) for t in traces[0]["theta"][:-1]] if traces else []
    return {
        # The radial ticks run between the first two axes, so they never sit on an axis or its label.
        "polar": {"radialaxis": {"range": [0, 100], "tickvals": [40, 70, 100], "angle": 60, "tickangle": 60},
                  # Long axis labels on two lines ("Latency &<br>scale"): no wider than the margins below, so
                  # they are never cut, even in a narrow column (the Assess page's live score).
                  # Invisible outside ticks hold the axis labels off the ring, clear of the values written
                  # outwards from the points near 100.
                  "angularaxis": {"direction": "clockwise", "rotation": 90, "tickmode": "array", "tickvals": labels,
                                  "ticktext": [wrapped(t) for t in labels], "ticks": "outside", "ticklen": 14,
                                  "tickcolor": "rgba(0,0,0,0)"}},
        # The legend at the foot of the figure, below the bottom axis label whatever the chart's size; the
        # bottom margin holds both (a row of legend for every two traces).
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0.5,
                   "xanchor": "center"},
        "margin": {"l": 80, "r": 80, "t": 60, "b": 44 + 20 * ((len(traces) + 1) // 2)},
    }  # fmt: skip


def compound_risk_heatmap(
    result: ScoreResult, model: ReadinessModel | None = None, title: str | None = "Compound risks"
) -> go.Figure:
    """The 6 × 6 interaction matrix of one scored snapshot: rows amplify columns. Each compound risk the
    scoring found (``result.compound_risks``) is a cell whose colour and word give its state (inactive,
    active, critical) and whose number is its severity; cells with no edge stay blank.

    States and severities are drawn as the core computed them, never recomputed here: the chart and the
    pilot's reasons cannot disagree."""
    shorts = short_gap_labels(model)
    labels = [shorts[g] for g in GAP_IDS]
    index = {g: k for k, g in enumerate(GAP_IDS)}
    z = np.full((6, 6), np.nan)
    text = np.full((6, 6), "", dtype=object)
    hover = np.full((6, 6), "no interaction in the model", dtype=object)
    for risk in result.compound_risks:
        a, b = result.gaps[risk.source].score, result.gaps[risk.target].score
        i, j = index[risk.source], index[risk.target]
        z[i, j] = EDGE_STATES.index(risk.state)
        text[i, j] = f"{risk.id}<br>{risk.state}<br>{severity_text(risk.severity)}"
        hover[i, j] = (
            f"{risk.id}: {risk.chain}<br>{shorts[risk.source]} {display.score_text(a)} → "
            f"{shorts[risk.target]} {display.score_text(b)}"
        )
    state_colors = ["#e5e7eb", VERDICT_COLORS["conditional"], VERDICT_COLORS["not_ready"]]
    cells = {
        "type": "heatmap", "z": z[::-1], "x": labels, "y": labels[::-1], "text": text[::-1],
        "customdata": hover[::-1], "texttemplate": "%{text}", "textfont": {"size": 11},
        "colorscale": _discrete_scale(state_colors), "zmin": -0.5, "zmax": 2.5, "showscale": False, "xgap": 3,
        "ygap": 3, "hoverongaps": False, "hovertemplate": "%{customdata}<extra></extra>",
    }  # fmt: skip
    layout = {
        # Column labels on two lines, so that six columns fit a half-width column without turning or cutting them.
        "xaxis": {"side": "top", "showgrid": False, "title": {"text": "… makes this gap's weakness worse"},
                  "tickfont": {"color": INK}, "tickangle": 0, "tickmode": "array", "tickvals": labels,
                  "ticktext": [wrapped(x, 8) for x in labels]},
        "yaxis": {"showgrid": False, "title": {"text": "A weak gap here …"}, "tickfont": {"color": INK}},
        "plot_bgcolor": FAINT, "margin": {"l": 10, "r": 10, "t": 100 if title else 60, "b": 10},
    }  # fmt: skip
    return figure([cells], layout, title, 460)


def trend_figure(
    history: pd.DataFrame, model: ReadinessModel | None = None, title: str | None = "Readiness over time"
) -> go.Figure:
    """Overall readiness (bold, its values written above its points) and the six gap scores (thin, each with
    its own dash and marker) across a pilot's snapshots, with the ready and not-ready thresholds as reference
    lines labelled in the right margin, clear of the data labels.

    The time axis reads in days and months: a single snapshot (or snapshots on one day) gets a month either
    side of it and its date as the one tick, never a sub-second scale."""
    model = model or load_model()
    shorts = short_gap_labels(model)
    data = history.sort_values("as_of")
    dates = pd.to_datetime(data["as_of"])
    # Traces as plain dicts of NumPy arrays, validated once by the Figure (a pandas column costs Plotly a
    # conversion per trace): a busy server draws this for every pilot opened.
    x = dates.to_numpy()
    traces = [
        {"type": "scatter", "x": x, "y": data[f"score.{gap}"].to_numpy(float), "name": shorts[gap],
         "mode": "lines+markers",
         "line": {"width": 1.4, "dash": SERIES_DASHES[k], "color": SERIES_COLORS[k + 1]},
         "marker": {"symbol": SERIES_SYMBOLS[k], "size": 6}, "opacity": 0.9,
         "customdata": score_texts(data[f"score.{gap}"]),
         "hovertemplate": f"{shorts[gap]} %{{customdata}}<extra></extra>"}
        for k, gap in enumerate(GAP_IDS)
    ]  # fmt: skip
    traces.append(
        {"type": "scatter", "x": x, "y": data["overall"].to_numpy(float), "name": "Overall",
         "mode": "lines+markers+text",
         "line": {"width": 3.5, "color": INK}, "marker": {"size": 8}, "text": score_texts(data["overall"]),
         "textposition": "top center", "cliponaxis": False, "textfont": {"size": 11, "color": INK},
         "hovertemplate": "Overall %{text}<extra></extra>"}
    )  # fmt: skip
    layout = {
        **_threshold_layout(model),
        "xaxis": _date_axis(dates),
        "yaxis": {"range": [-3, 108], "title": {"text": "Score"}, "tickvals": [0, 40, 70, 100]},
        "hovermode": "x unified", "legend": {"y": -0.15, "yanchor": "top"},
        "margin": {"l": 10, "r": 96, "t": 48 if title else 20, "b": 10},
    }  # fmt: skip
    return figure(traces, layout, title, 420)


def _date_axis(dates: pd.Series) -> dict[str, Any]:
    """A time axis (a layout ``xaxis``) in days and months whatever the span: one tick per snapshot date while
    they are few, a month either side of a single day."""
    unique = sorted(pd.to_datetime(dates).dt.normalize().unique())
    axis: dict = {"type": "date", "hoverformat": "%d %b %Y", "showgrid": False}
    if len(unique) <= 1:
        day = pd.Timestamp(unique[0]) if unique else pd.Timestamp.today().normalize()
        axis.update(range=[day - pd.DateOffset(months=1), day + pd.DateOffset(months=1)], tickmode="array",
                    tickvals=[day], ticktext=[f"{day:%d %b %Y}"])  # fmt: skip
    elif len(unique) <= 12:
        span = (unique[-1] - unique[0]) / np.timedelta64(1, "D")
        pad = pd.Timedelta(days=max(5.0, span * 0.04))
        form = "%b %Y" if span > 62 else "%d %b"
        axis.update(range=[unique[0] - pad, unique[-1] + pad], tickmode="array", tickvals=list(unique),
                    ticktext=[f"{pd.Timestamp(d):{form}}" for d in unique])  # fmt: skip
    else:
        axis.update(tickformat="%b %Y")
    return axis


def _threshold_layout(model: ReadinessModel) -> dict[str, Any]:
    """The ready and not-ready thresholds as dotted lines across the plot, each named in the right margin
    (outside the plot, where no data label can sit on it): layout shapes and annotations, given at once."""
    ready, not_ready = model.verdict.ready_overall_at_least, model.verdict.not_ready_gap_below
    shapes, annotations = [], []
    for value, color, text in (
        (ready, VERDICT_COLORS["ready"], f"ready ≥ {display.threshold_text(ready)}"),
        (not_ready, VERDICT_COLORS["not_ready"], f"any gap < {display.threshold_text(not_ready)}:<br>not ready"),
    ):
        shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": value, "y1": value,
                       "line": {"color": color, "width": 1, "dash": "dot"}})  # fmt: skip
        annotations.append({"text": text, "x": 1, "xref": "paper", "y": value, "yref": "y", "xanchor": "left",
                            "yanchor": "middle", "xshift": 6, "showarrow": False, "align": "left",
                            "font": {"size": 11, "color": MUTED}})  # fmt: skip
    return {"shapes": shapes, "annotations": annotations}


def portfolio_trend(monthly: pd.DataFrame, title: str | None = "Portfolio verdicts over time") -> go.Figure:
    """For every month of history, how many pilots stood at each verdict (their latest snapshot by then).

    ``monthly`` is :func:`readiness.service.portfolio.monthly_portfolio` of the history: the month-end
    portfolio is computed once, by the one as-of rule, and only drawn here.
    """
    table = monthly.assign(month=pd.to_datetime(monthly["month"]))
    traces = [
        {"type": "bar", "x": table["month"], "y": table[verdict], "name": verdict_label(verdict),
         "marker": {"color": VERDICT_COLORS[verdict]}, "text": [str(int(c)) if c else "" for c in table[verdict]],
         "textposition": "inside", "textfont": {"color": "white", "size": 11}}
        for verdict in VERDICT_ORDER
    ]  # fmt: skip
    layout = {"barmode": "stack", "bargap": 0.25, "yaxis": {"title": {"text": "Pilots"}}}
    return figure(traces, layout, title, 360)


# --------------------------------------------------------------------------------------------
# Compare
# --------------------------------------------------------------------------------------------


def compare_radar(latest: pd.DataFrame, model: ReadinessModel | None = None,
                  title: str | None = "Pilots side by side") -> go.Figure:  # fmt: skip
    """Overlaid radars of 2-8 pilots (one row each), told apart by colour, dash and marker."""
    shorts = short_gap_labels(model)
    theta = _closed([shorts[g] for g in GAP_IDS])
    traces = [
        _radar_trace([float(row[f"score.{g}"]) for g in GAP_IDS], theta,
                     f"{row['pilot']} ({display.score_text(row['overall'])})", SERIES_COLORS[k], SERIES_DASHES[k],
                     SERIES_SYMBOLS[k])
        for k, (_, row) in enumerate(latest.head(len(SERIES_COLORS)).iterrows())
    ]  # fmt: skip
    return figure(traces, _polar_layout(traces), title, 500 + 20 * (len(traces) // 3))


def delta_heatmap(
    before: pd.DataFrame,
    after: pd.DataFrame,
    model: ReadinessModel | None = None,
    title: str | None = "Change between the two dates",
) -> go.Figure:
    """Pilots × gaps (and overall) at the later date, in review order (least ready first), each cell showing
    its score and the change since the earlier date (``72 ▲8``, ``40 ▼12``, ``new``); the colour is the
    change, red for worse, green for better, so the arrows and numbers carry the meaning too.

    Scores and arrows follow :mod:`readiness.display`: the arrow is the difference of the shown scores, so
    64 then 71 reads ``71 ▲7`` whatever the decimals were."""
    shorts = short_gap_labels(model)
    columns = [*(f"score.{g}" for g in GAP_IDS), "overall"]
    x_labels = [shorts[g] for g in GAP_IDS] + ["Overall"]
    previous = before.set_index("pilot")[columns].add_suffix(".before")
    order = sort_portfolio(after, "readiness")["pilot"] if len(after) else []
    merged = after.set_index("pilot")[columns].join(previous).loc[order]
    now = merged[columns].to_numpy(float)
    then = merged[[f"{c}.before" for c in columns]].to_numpy(float)
    delta = now - then
    text = np.empty(now.shape, dtype=object)
    for (i, j), value in np.ndenumerate(now):
        text[i, j] = f"{display.score_text(value)} {display.change_text(then[i, j], value)}"
    limit = max(10.0, float(np.nanmax(np.abs(delta))) if np.isfinite(delta).any() else 10.0)
    shown = np.array([plain_text(n) for n in merged.index], dtype=object)
    cells = {
        "type": "heatmap", "z": np.nan_to_num(delta, nan=0.0), "x": x_labels, "y": merged.index.tolist(),
        "text": text, "texttemplate": "%{text}", "textfont": {"size": 12}, "colorscale": DELTA_SCALE, "zmid": 0,
        "zmin": -limit, "zmax": limit, "xgap": 2, "ygap": 2, "customdata": np.repeat(shown[:, None], len(columns), 1),
        "colorbar": {"title": {"text": "Change", "side": "right"}, "thickness": 10, "len": 0.5, "y": 1,
                     "yanchor": "top", "outlinewidth": 0},
        "hovertemplate": "<b>%{customdata}</b> · %{x}<br>%{text}<extra></extra>",
    }  # fmt: skip
    layout = {
        "xaxis": {"side": "top", "showgrid": False, "tickfont": {"color": INK}, "tickangle": 0, "tickmode": "array",
                  "tickvals": x_labels, "ticktext": [wrapped(x) for x in x_labels]},
        "yaxis": {"autorange": "reversed", "showgrid": False, "tickfont": {"color": INK}, "tickmode": "array",
                  "tickvals": merged.index.tolist(), "ticktext": [plain_text(n) for n in merged.index]},
        "margin": {"t": 80 if title else 48},
    }  # fmt: skip
    return figure([cells], layout, title, _height(len(merged)))


# --------------------------------------------------------------------------------------------
# Methodology
# --------------------------------------------------------------------------------------------


def metric_curve_figure(metric: Metric, title: str | None = None) -> go.Figure:
    """How a metric's value becomes its 0-100 item score: the curve, with the green and red anchors."""
    curve = metric.curve
    assert curve is not None, f"{metric.id} has no curve"
    margin = {"l": 10, "r": 10, "t": 30 if title else 10, "b": 10}
    if isinstance(curve, BoolCurve):
        bars = {"type": "bar", "x": ["no", "yes"], "y": [0, 100], "text": ["0", "100"], "textposition": "outside",
                "marker": {"color": [score_color(0), score_color(100)]}}  # fmt: skip
        layout = {"yaxis": {"range": [0, 118], "tickvals": [0, 50, 100]}, "showlegend": False, "margin": margin}
        return figure([bars], layout, title, 180)
    if isinstance(curve, BandCurve):
        anchors = [curve.red_low, curve.green_low, curve.green_high, curve.red_high]
    else:
        anchors = [curve.red, curve.green]
    low, high = min(anchors), max(anchors)
    pad = (high - low) * 0.2
    x = np.linspace(low - pad, high + pad, 200)
    if metric.kind == "percent":
        x = x[(x >= 0) & (x <= 100)]
    y = curve_score(curve, x, np.ones_like(x)) if isinstance(curve, RatioCurve) else curve_score(curve, x)
    hover = [f"{_decimal_text(v, 2)} → {display.score_text(score)}" for v, score in zip(x, y, strict=True)]
    line = {"type": "scatter", "x": x, "y": y, "mode": "lines", "line": {"color": INK, "width": 2},
            "customdata": hover, "hovertemplate": "%{customdata}<extra></extra>"}  # fmt: skip
    points = [(a, float(curve_score(curve, a, 1.0) if isinstance(curve, RatioCurve) else curve_score(curve, a)))
              for a in anchors]  # fmt: skip
    markers = {
        "type": "scatter", "x": [p[0] for p in points], "y": [p[1] for p in points], "mode": "markers+text",
        "marker": {"size": 9, "color": [score_color(p[1]) for p in points], "line": {"color": INK, "width": 1}},
        "text": [display.threshold_text(p[0]) for p in points], "textposition": "top center", "textfont": {"size": 11},
    }  # fmt: skip
    unit = "ratio to budget" if isinstance(curve, RatioCurve) else metric.unit
    layout = {"xaxis": {"title": {"text": unit}},
              "yaxis": {"range": [-5, 118], "tickvals": [0, 50, 100], "title": {"text": "score"}},
              "showlegend": False, "margin": margin}  # fmt: skip
    return figure([line, markers], layout, title, 200)


def snapshot_heatmap(
    history: pd.DataFrame, model: ReadinessModel | None = None, title: str | None = "Snapshots over time"
) -> go.Figure:
    """One pilot's snapshots (rows, newest on top) × the six gaps and overall, scores written in the cells,
    the verdict of each snapshot in words on the left."""
    shorts = short_gap_labels(model)
    data = history.sort_values("as_of", ascending=True).reset_index(drop=True)
    dates = [f"{pd.Timestamp(d):%d %b %Y}" for d in data["as_of"]]
    z = np.column_stack([data[f"score.{g}"].to_numpy(float) for g in GAP_IDS] + [data["overall"].to_numpy(float)])
    scores = score_texts(z)
    verdicts = data["verdict"].astype(str).tolist()
    x_labels = [shorts[g] for g in GAP_IDS] + ["Overall"]
    verdict_column = {
        "type": "heatmap", "xaxis": "x", "yaxis": "y", "z": [[VERDICT_ORDER.index(v)] for v in verdicts],
        "x": ["Verdict"], "y": dates, "text": [[VERDICT_LABELS[v]] for v in verdicts], "texttemplate": "%{text}",
        "textfont": {"size": 12}, "colorscale": _discrete_scale([VERDICT_COLORS[v] for v in VERDICT_ORDER]),
        "zmin": -0.5, "zmax": 2.5, "showscale": False, "xgap": 2, "ygap": 2,
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }  # fmt: skip
    cells = {
        "type": "heatmap", "xaxis": "x2", "yaxis": "y2", "z": z, "x": x_labels, "y": dates, "text": scores,
        "texttemplate": "%{text}", "textfont": {"size": 13}, "colorscale": READINESS_SCALE, "zmin": 0, "zmax": 100,
        "xgap": 2, "ygap": 2, "showscale": False, "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
    }  # fmt: skip
    column_axis = {"side": "top", "showgrid": False, "tickfont": {"color": INK, "size": 12}, "tickangle": 0}
    row_axis = {"showgrid": False, "tickfont": {"color": INK, "size": 12}, "type": "category"}
    layout = {
        **_verdict_column_axes(
            x=column_axis,
            x2={**column_axis, "tickmode": "array", "tickvals": x_labels, "ticktext": [wrapped(x) for x in x_labels]},
            y=row_axis,
            y2=row_axis,
        ),
        "shapes": [_column_separator(len(GAP_IDS) - 0.5)],
        "margin": {"l": 10, "r": 10, "t": 80 if title else 40, "b": 10},
    }
    return figure([verdict_column, cells], layout, title, _height(len(data)))


# --------------------------------------------------------------------------------------------
# What-if
# --------------------------------------------------------------------------------------------

# The mark of a cell a what-if plan changes, beside its new score (``▲ 94``); the cell is outlined too, so the
# mark never rests on colour alone.
CHANGED_GLYPH = "▲"
# How far inside its cell a changed cell's outline runs (in cells), clear of the 2-pixel gaps between cells.
OUTLINE_INSET = 0.07


def _outline(marked: np.ndarray, axes: tuple[str, str] = ("x2", "y2"), name: str = "changed") -> dict[str, Any]:
    """One line trace outlining every marked cell of a grid drawn at integer positions (column ``j``, row ``i``) on
    ``axes``: one trace, not a layout shape per cell, so that a plan changing a thousand cells stays one object to
    draw."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    low, high = -0.5 + OUTLINE_INSET, 0.5 - OUTLINE_INSET
    for i, j in zip(*np.nonzero(marked), strict=True):
        xs += [j + low, j + high, j + high, j + low, j + low, None]
        ys += [i + low, i + low, i + high, i + high, i + low, None]
    return {"type": "scatter", "xaxis": axes[0], "yaxis": axes[1], "x": xs, "y": ys, "mode": "lines",
            "line": {"color": INK, "width": 2}, "hoverinfo": "skip", "showlegend": False, "name": name}  # fmt: skip


def whatif_heatmap(
    before: pd.DataFrame,
    after: pd.DataFrame,
    changed: pd.DataFrame,
    model: ReadinessModel | None = None,
    title: str | None = "After the plan",
) -> go.Figure:
    """Pilots × the six gaps (and overall) as a what-if plan would leave them: each cell on the readiness scale
    with its score after the plan; every cell the plan changes outlined and written ``▲ 94``, its score before the
    plan in the hover; the verdict column says the verdict after the plan, outlined where it moves (a glyph beside
    the word would not fit the column).

    ``after`` holds the pilots to draw (scored rows of :func:`readiness.portfolio.score_frame`) in the order to
    draw them, the first on top; ``before`` the same pilots' rows now (matched by name); ``changed`` the
    projection's changed cells (:attr:`readiness.whatif.Projection.changed_cells`: ``pilot``, ``gap``,
    ``before``, ``after``), whose pilots not drawn are ignored. Overall is marked where its shown number
    changes. The grid is drawn at integer positions (columns, rows top-down) so that the outlines, one line
    trace, follow the cells at any size.
    """
    model = model or load_model()
    shorts = short_gap_labels(model)
    names = after["pilot"].astype(str).tolist()
    n = len(names)
    columns = [*(f"score.{g}" for g in GAP_IDS), "overall"]
    x_labels = [shorts[g] for g in GAP_IDS] + ["Overall"]
    now = before.assign(pilot=before["pilot"].astype(str)).set_index("pilot").reindex(names)
    z = after[columns].to_numpy(float).reshape(n, len(columns))
    z_now = now[columns].to_numpy(float).reshape(n, len(columns))
    marked = np.zeros(z.shape, dtype=bool)
    row_of = {name: i for i, name in enumerate(names)}
    column_of = {gap: j for j, gap in enumerate(GAP_IDS)}
    for pilot, gap in zip(changed["pilot"].astype(str), changed["gap"], strict=True):
        if pilot in row_of:
            marked[row_of[pilot], column_of[gap]] = True
    overall_now, overall_after = score_texts(z_now[:, -1]), score_texts(z[:, -1])
    marked[:, -1] = overall_now != overall_after
    scores, scores_now = score_texts(z), score_texts(z_now)
    text = np.where(marked, np.char.add(f"{CHANGED_GLYPH} ", scores.astype(str)), scores).astype(object)
    # The hover says both scores of a changed cell in words; an unchanged one says so.
    hover = np.where(marked, np.char.add(np.char.add("Before ", scores_now.astype(str)),
                                         np.char.add(" → after the plan ", scores.astype(str))),
                     np.char.add("Unchanged: ", scores.astype(str))).astype(object)  # fmt: skip
    shown = np.array([plain_text(name) for name in names], dtype=object)
    labels = np.array(x_labels, dtype=object)
    customdata = (np.dstack([np.repeat(shown[:, None], len(columns), 1), np.tile(labels, (n, 1)), hover])
                  if n else None)  # fmt: skip

    verdict_now = now["verdict"].astype(str).tolist() if n else []
    verdict_after = after["verdict"].astype(str).tolist()
    moved = [a != b for a, b in zip(verdict_now, verdict_after, strict=True)]
    verdict_hover = [[[name, f"{VERDICT_LABELS[b]} → {VERDICT_LABELS[a]}" if m else f"{VERDICT_LABELS[a]} (unchanged)"]]
                     for name, b, a, m in zip(shown, verdict_now, verdict_after, moved, strict=True)]  # fmt: skip
    rows = list(range(n))
    verdict_column = {
        "type": "heatmap", "xaxis": "x", "yaxis": "y", "z": [[VERDICT_ORDER.index(v)] for v in verdict_after],
        "x": [0], "y": rows, "text": [[VERDICT_LABELS[v]] for v in verdict_after], "texttemplate": "%{text}",
        "textfont": {"size": 12},
        "colorscale": _discrete_scale([VERDICT_COLORS[v] for v in VERDICT_ORDER]), "zmin": -0.5, "zmax": 2.5,
        "showscale": False, "xgap": 2, "ygap": 2, "customdata": verdict_hover,
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
    }  # fmt: skip
    cells = {
        "type": "heatmap", "xaxis": "x2", "yaxis": "y2", "z": z, "x": list(range(len(columns))), "y": rows,
        "text": text, "texttemplate": "%{text}", "textfont": {"size": 13}, "colorscale": READINESS_SCALE,
        "zmin": 0, "zmax": 100, "xgap": 2, "ygap": 2, "customdata": customdata,
        "hovertemplate": "<b>%{customdata[0]}</b> · %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
        "colorbar": {"title": {"text": "Score", "side": "right"}, "thickness": 10, "y": 1, "yanchor": "top",
                     "len": min(1.0, 300 / _height(n)), "tickvals": [0, 40, 70, 100], "outlinewidth": 0},
    }  # fmt: skip
    traces = [verdict_column, cells]
    if marked.any():
        traces.append(_outline(marked))
    if any(moved):
        traces.append(_outline(np.array(moved, dtype=bool)[:, None], ("x", "y"), "changed verdicts"))
    column_axis = {"side": "top", "showgrid": False, "zeroline": False, "tickfont": {"color": INK, "size": 12},
                   "tickangle": 0}  # fmt: skip
    # Rows top-down: the first pilot given on top. The range is set, not computed, so that the outlines (drawn
    # at the cells' edges) never widen it.
    row_axis = {"showgrid": False, "zeroline": False, "tickfont": {"color": INK, "size": 12},
                "range": [n - 0.5, -0.5] if n else [0.5, -0.5]}  # fmt: skip
    layout = {
        **_verdict_column_axes(
            x={**column_axis, "tickmode": "array", "tickvals": [0], "ticktext": ["Verdict"], "range": [-0.5, 0.5]},
            x2={**column_axis, "tickmode": "array", "tickvals": list(range(len(columns))),
                "ticktext": [wrapped(x) for x in x_labels], "range": [-0.5, len(columns) - 0.5]},
            y={**row_axis, "tickmode": "array", "tickvals": rows, "ticktext": shown.tolist()},
            y2=row_axis,
        ),
        "shapes": [_column_separator(len(GAP_IDS) - 0.5)],
        "hovermode": "closest", "dragmode": False,
        "margin": {"l": 10, "r": 10, "t": 80 if title else 48, "b": 10},
    }  # fmt: skip
    return figure(traces, layout, title, _height(n))
