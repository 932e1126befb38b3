"""The board pack's look: one font, a restrained palette, and the dashboard's own colours.

Score and verdict colours come from :mod:`readiness.charts` (the one template of every chart), so a cell
of the deck's heatmap has the colour of the same cell on the Portfolio page. This module only adds what a
slide needs beyond a chart: the deck font, panel and rule colours, and hex → RGB conversion.
"""

from __future__ import annotations

from pptx.dml.color import RGBColor

from readiness.charts import INK, MUTED, SERIES_COLORS, VERDICT_COLORS, score_color, text_color_on

FONT = "Arial"  # in every office suite, and metric-compatible with Liberation Sans where LibreOffice renders
NAVY = "#14213d"  # title slide background
ACCENT = "#0072B2"  # the one accent colour: the charts' first series colour
PANEL = "#f3f5f8"  # tile and panel backgrounds
RULE = "#d5dae1"  # hairlines and table borders
WHITE = "#ffffff"
OVERALL_COLOR = INK  # the overall line, bold and dark as on the dashboard's trend chart
GAP_LINE_COLORS = SERIES_COLORS[1:7]  # the six gap lines, in the dashboard's order

__all__ = [
    "ACCENT",
    "FONT",
    "GAP_LINE_COLORS",
    "INK",
    "MUTED",
    "NAVY",
    "OVERALL_COLOR",
    "PANEL",
    "RULE",
    "VERDICT_COLORS",
    "WHITE",
    "cell_text_color",
    "rgb",
    "score_color",
]


def rgb(color: str) -> RGBColor:
    """``"#rrggbb"`` (or ``"white"``) → python-pptx colour."""
    return RGBColor.from_string(WHITE[1:] if color == "white" else color.lstrip("#").upper())


def cell_text_color(background: str) -> str:
    """Ink or white text for a cell filled with ``background``, as the dashboard's heatmap chooses."""
    chosen = text_color_on(background)
    return WHITE if chosen == "white" else chosen
