"""The board pack's look: one font, a restrained palette, the dashboard's own colours, and text that fits.

Score and verdict colours come from :mod:`readiness.charts` (the one template of every chart), so a cell
of the deck's heatmap has the colour of the same cell on the Portfolio page. This module only adds what a
slide needs beyond a chart: the deck font, panel and rule colours, hex → RGB conversion, and the text
metrics that keep every line inside its box.

The font: **Arial**. PowerPoint, Keynote and Google Slides have it; LibreOffice (and any Linux viewer using
fontconfig) replaces it with **Liberation Sans**, whose every glyph has Arial's advance width, so a line
breaks at the same word everywhere (Debian package ``fonts-liberation2``). Text is laid out with Arial's
advance widths plus :data:`SLACK` (15%), so a slide still fits where a wider sans (DejaVu Sans, about 14%
wider) stands in: :func:`fit` clips a text to the lines its box holds, and every box is sized for them.
"""

from __future__ import annotations

from functools import lru_cache

from pptx.dml.color import RGBColor

from readiness.charts import INK, MUTED, SERIES_COLORS, VERDICT_COLORS, score_color, text_color_on

FONT = "Arial"  # in every office suite; metric-compatible with Liberation Sans (fonts-liberation2) elsewhere
NAVY = "#14213d"  # title slide background
ACCENT = "#0072B2"  # the one accent colour: the charts' first series colour
PANEL = "#f3f5f8"  # tile and panel backgrounds
RULE = "#d5dae1"  # hairlines and table borders
WHITE = "#ffffff"
OVERALL_COLOR = INK  # the overall line, bold and dark as on the dashboard's trend chart
GAP_LINE_COLORS = SERIES_COLORS[1:7]  # the six gap lines, in the dashboard's order

__all__ = [
    "ACCENT",
    "EMU_PER_POINT",
    "FONT",
    "GAP_LINE_COLORS",
    "INK",
    "MUTED",
    "NAVY",
    "OVERALL_COLOR",
    "PANEL",
    "RULE",
    "SLACK",
    "VERDICT_COLORS",
    "WHITE",
    "cell_text_color",
    "fit",
    "lines_needed",
    "rgb",
    "score_color",
    "text_width",
]


def rgb(color: str) -> RGBColor:
    """``"#rrggbb"`` (or ``"white"``) → python-pptx colour."""
    return RGBColor.from_string(WHITE[1:] if color == "white" else color.lstrip("#").upper())


def cell_text_color(background: str) -> str:
    """Ink or white text for a cell filled with ``background``, as the dashboard's heatmap chooses."""
    chosen = text_color_on(background)
    return WHITE if chosen == "white" else chosen


# Arial's (= Liberation Sans's) advance widths of the printable ASCII characters (32-126), in 1/1000 em.
_REGULAR = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667,
    556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556,
    556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722,
    500, 500, 500, 334, 260, 334, 584,
]  # fmt: skip
_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722,
    611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556,
    611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778,
    556, 556, 500, 389, 280, 389, 584,
]  # fmt: skip
_WIDE = {"→": 1000, "▲": 990, "▼": 990, "…": 1000, "—": 1000, "·": 333, "•": 350, "›": 333, "’": 278}
_OTHER = 1000  # any other character (accented letters, CJK, symbols): counted as wide as an em
SLACK = 1.15  # room for a substitute font up to 15% wider than Arial
EMU_PER_POINT = 12700


_TABLES = {bold: {chr(32 + k): w for k, w in enumerate(_BOLD if bold else _REGULAR)} | _WIDE for bold in (False, True)}


@lru_cache(maxsize=8192)
def _units(text: str, bold: bool) -> int:
    table = _TABLES[bold]
    return sum(table.get(char, _OTHER) for char in text)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` set in ``size``-point Arial, with :data:`SLACK`, in points."""
    return _units(text, bold) * size / 1000 * SLACK


@lru_cache(maxsize=4096)
def _wrap(text: str, width: float, size: float, bold: bool) -> tuple[str, ...]:
    """``text`` broken into lines at spaces as an office suite does; a word too long for a line of its own
    is broken inside (which :func:`fit` never lets happen)."""
    space = text_width(" ", size, bold)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            need = text_width(word, size, bold)
            if line and used + space + need <= width:
                line, used = f"{line} {word}", used + space + need
                continue
            if line:
                lines.append(line)
            line, used = word, need
            while len(line) > 1 and used > width:  # a word wider than the line: broken inside
                cut = len(line) - 1
                while cut > 1 and text_width(line[:cut], size, bold) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
                used = text_width(line, size, bold)
        lines.append(line)
    return tuple(lines)


def lines_needed(text: str, width_emu: int, size: float, bold: bool = False) -> int:
    """How many lines ``text`` takes in a box ``width_emu`` wide (at the slack's widths)."""
    return len(_wrap(text, width_emu / EMU_PER_POINT, size, bold))


@lru_cache(maxsize=4096)
def fit(text: str, width_emu: int, size: float, lines: int = 1, bold: bool = False) -> str:
    """``text`` as it fits ``lines`` lines of a box ``width_emu`` wide: whole, or cut at a word with "…"
    (a single word too long for a line is cut inside it, so no office suite ever breaks it). Spaces are
    kept as they are; line breaks become spaces."""
    width = width_emu / EMU_PER_POINT
    text = text.replace("\n", " ").rstrip()

    def fits(candidate: str) -> bool:
        words = candidate.split(" ")
        return len(_wrap(candidate, width, size, bold)) <= lines and all(
            text_width(w, size, bold) <= width for w in words
        )

    if fits(text):
        return text
    words = text.split(" ")
    for count in range(len(words) - 1, 0, -1):
        head = " ".join(words[:count]).rstrip(" ,;:·-–—→(")
        if head and fits(head + "…"):
            return head + "…"
    first = words[0]
    while len(first) > 1 and text_width(first + "…", size, bold) > width:
        first = first[:-1]
    return first + "…"
