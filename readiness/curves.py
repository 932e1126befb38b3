"""Metric curves: a measured value to a 0-100 item score.

Written once with numpy so that the same function scores one value (the explained, one-assessment
path) and a column of 24,000 values (the portfolio path): the two paths cannot drift apart.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from readiness.model import BandCurve, BoolCurve, Curve, LinearCurve, RatioCurve


def linear(value: ArrayLike, green: float, red: float) -> NDArray[np.float64]:
    """100 at ``green``, 0 at ``red``, linear between and clipped; works in either direction."""
    fraction = (np.asarray(value, dtype=float) - red) / (green - red)
    return np.clip(fraction, 0.0, 1.0) * 100.0


def band(value: ArrayLike, curve: BandCurve) -> NDArray[np.float64]:
    """100 inside the green band, linear down to 0 at ``red_low`` and at ``red_high``."""
    v = np.asarray(value, dtype=float)
    rising = np.clip((v - curve.red_low) / (curve.green_low - curve.red_low), 0.0, 1.0)
    falling = np.clip((curve.red_high - v) / (curve.red_high - curve.green_high), 0.0, 1.0)
    return np.minimum(rising, falling) * 100.0


def curve_score(curve: Curve, value: ArrayLike, denominator: ArrayLike | None = None) -> NDArray[np.float64]:
    """The item score of ``value`` on ``curve``; NaN in gives NaN out (a metric not reported)."""
    v = np.asarray(value, dtype=float)
    match curve:
        case LinearCurve():
            result = linear(v, curve.green, curve.red)
        case RatioCurve():
            d = np.asarray(denominator if denominator is not None else np.nan, dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(d > 0, v / np.where(d > 0, d, 1.0), np.nan)
            result = linear(ratio, curve.green, curve.red)
        case BandCurve():
            result = band(v, curve)
        case BoolCurve():
            result = np.where(v > 0.5, 100.0, 0.0)
    return np.where(np.isnan(v), np.nan, result)


def green_value(curve: Curve) -> float:
    """A value that scores 100 on the curve (what "fixed" means in remediation)."""
    match curve:
        case LinearCurve() | RatioCurve():
            return curve.green
        case BandCurve():
            return (curve.green_low + curve.green_high) / 2
        case BoolCurve():
            return 1.0
