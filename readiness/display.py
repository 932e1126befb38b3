"""The one display rule for numbers: every surface (pages, chart text and hovers, deck, HTML report, CLI
text) writes numbers through these functions, so a number reads the same wherever it is read.

The rule: **a number is shown rounded down to the precision shown** (scores and shares to whole numbers,
months and gains to one decimal). Rounding down keeps a shown number on the same side of every threshold
as the exact number: the verdict rules compare scores with ``score < 40`` and ``score >= 70``, and for
whole-number thresholds ``x < t`` exactly when ``floor(x) < t``. A score of 39.6 reads "39, below 40",
never "40, below 40"; a gap at 69.9 reads 69, not a ready-looking 70. Half-way cases cannot differ
between surfaces either (Python rounds 6.5 to 6, Plotly's d3 format to 7).

Changes are the difference of the shown numbers (71 after 64 reads ▲7), so the arithmetic a reader does
on the page always adds up.

Exact values stay exact where machines read them: the JSON outputs and the CSV carry the unrounded numbers
(the workbook's Scores sheet shows one decimal, rounded down); this module decides how numbers are written
for a person.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from readiness.evidence.base import Provenance

# Values arrive as floats that went through sums and products; rounding to the 9 decimals at which the
# scoring compares thresholds (``readiness.scoring.PRECISION``) absorbs representation noise (0.29 × 100 =
# 28.999…) without ever moving a value across a threshold the verdict rules saw it on.
NOISE_DECIMALS = 9
MISSING = "—"


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, Real) and math.isnan(float(value)))


def floor_to(value: float, decimals: int = 0) -> float:
    """``value`` rounded down to ``decimals`` decimals, after removing float noise.

    The noise is removed on the value itself first, so rounding down to any precision agrees with rounding
    down to a coarser one (``floor_to(floor_to(x, 2)) == floor_to(x)``), and again after scaling, where
    binary fractions can land a hair below a whole number (0.29 × 100 = 28.999…).
    """
    scale = 10**decimals
    return math.floor(round(round(float(value), NOISE_DECIMALS) * scale, NOISE_DECIMALS)) / scale


def floor_values(values: pd.Series, decimals: int = 0) -> pd.Series:
    """:func:`floor_to` of every value of a column (NaN stays NaN), for the vectorized path."""
    scale = 10**decimals
    return np.floor((values.astype(float).round(NOISE_DECIMALS) * scale).round(NOISE_DECIMALS)) / scale


def score_number(value: float | None) -> int | None:
    """A 0-100 score as the whole number a reader sees (for table cells that stay numeric)."""
    return None if _is_missing(value) else int(floor_to(value))  # type: ignore[arg-type]


def score_text(value: float | None) -> str:
    """A 0-100 score as text: ``39``; ``—`` when there is none."""
    shown = score_number(value)
    return MISSING if shown is None else str(shown)


def score_change(before: float | None, after: float | None) -> int | None:
    """The change between two scores as shown: the difference of the shown numbers (None if one is missing)."""
    a, b = score_number(before), score_number(after)
    return None if a is None or b is None else b - a


def change_text(before: float | None, after: float | None, unchanged: str = "=") -> str:
    """The change between two scores in arrows: ``▲7``, ``▼12``, ``=``; ``new`` when there is no before."""
    if _is_missing(before):
        return "new"
    delta = score_change(before, after)
    if delta is None:
        return MISSING
    if delta == 0:
        return unchanged
    return f"{'▲' if delta > 0 else '▼'}{abs(delta)}"


def signed_change_text(before: float | None, after: float | None) -> str:
    """The change between two scores with a sign, for tables and sentences: ``+7``, ``-12``, ``0``."""
    delta = score_change(before, after)
    return MISSING if delta is None else f"{delta:+d}" if delta else "0"


def confidence_text(value: float | None) -> str:
    """A 0-1 confidence as a whole percentage: ``62%``."""
    return MISSING if _is_missing(value) else f"{int(floor_to(100 * float(value)))}%"  # type: ignore[arg-type]


def percent_text(value: float | None) -> str:
    """A share already in percent (0-100) as a whole percentage: ``26%``."""
    return MISSING if _is_missing(value) else f"{int(floor_to(value))}%"  # type: ignore[arg-type]


def months_text(value: float | None) -> str:
    """A duration in months with one decimal: ``8.9``."""
    return MISSING if _is_missing(value) else f"{floor_to(value, 1):.1f}"  # type: ignore[arg-type]


def gain_text(value: float | None) -> str:
    """Points of readiness gained by a fix, with one decimal and a sign: ``+3.2``."""
    return MISSING if _is_missing(value) else f"{floor_to(value, 1):+.1f}"  # type: ignore[arg-type]


def threshold_text(value: float) -> str:
    """A threshold of the model as written in a rule: ``40``, ``0.6`` stays ``0.6`` (no rounding: it is exact)."""
    return f"{value:g}"


def confidence_threshold_text(value: float) -> str:
    """A confidence threshold of the model (0-1) as the percentage it is written in: ``60%``."""
    return f"{100 * value:g}%"


def count_text(count: int, noun: str, plural: str | None = None) -> str:
    """``1 pilot``, ``3 pilots``."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def period_text(start: datetime | None, end: datetime | None) -> str:
    """A period of time in UTC, as short as it can be: ``2026-11-27 19:20–19:25 UTC`` within one day,
    ``2026-11-01 – 2026-11-27`` across days; empty when the evidence has no times."""
    if start is None or end is None:
        return ""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC"
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def measured_from_text(provenance: Provenance) -> str:
    """Where a measured value comes from, in one line: ``measured from run_stats_history.csv,
    2026-11-27 19:20–19:25 UTC, 48,210 requests``."""
    files = " and ".join(f.name for f in provenance.files)
    parts = [f"measured from {files}", period_text(provenance.period_start, provenance.period_end)]
    parts.append(f"{provenance.count:,} {provenance.count_unit}")
    return ", ".join(p for p in parts if p)
