"""The verdicts' sensitivity to the method, in the words every surface uses (pages, CLI, deck, HTML report).

The numbers come from :mod:`readiness.sensitivity` (each pilot's overall and verdict under every aggregator,
and the ±5-point threshold band, computed from the scored frame without scoring again); the counts, lists
and sentences are defined here once, so "1 pilot's verdict depends on the method" reads the same everywhere.

Definitions (also on the Methodology page and in docs/model.md, Sensitivity):

- **Method-sensitive**: the pilot's verdict differs between the model's aggregators (geometric mean,
  weakest link, weighted mean). Only overall readiness depends on the aggregator, so the verdict can only
  move between ready and conditional.
- **Close to a threshold**: the pilot's verdict changes when the not-ready and ready thresholds all move by
  5 points, up (stricter) or down (looser).

Pilots are listed by name (any case), as the stalled pilots are.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pandas as pd

from readiness import display
from readiness.model import ReadinessModel, VerdictRules, load_model
from readiness.scoring import VERDICT_LABELS
from readiness.sensitivity import (
    BAND_POINTS,
    BAND_THRESHOLDS,
    BandPilot,
    MethodSensitivity,
    SensitivePilot,
    ThresholdBand,
    method_sensitivity,
    threshold_band,
)
from readiness.service.portfolio import names_text


@dataclass(frozen=True)
class PortfolioSensitivity:
    """A portfolio's method sensitivity and threshold band (one row per pilot: the latest snapshots)."""

    method: MethodSensitivity
    band: ThresholdBand

    def within(self, names: Collection[str]) -> PortfolioSensitivity:
        """Restricted to the pilots named (the pilots in view of a filtered page)."""
        return PortfolioSensitivity(self.method.within(names), self.band.within(names))

    @property
    def sensitive(self) -> list[SensitivePilot]:
        """The method-sensitive pilots, by name."""
        return sorted(self.method.pilots, key=lambda p: p.pilot.casefold())

    @property
    def close(self) -> list[BandPilot]:
        """The pilots close to a threshold, by name."""
        return sorted(self.band.pilots, key=lambda p: p.pilot.casefold())


def portfolio_sensitivity(latest: pd.DataFrame, model: ReadinessModel | None = None) -> PortfolioSensitivity:
    """The method sensitivity and the ±5-point band of a portfolio (scored rows, one per pilot)."""
    model = model or load_model()
    return PortfolioSensitivity(method_sensitivity(latest, model), threshold_band(latest, model, BAND_POINTS))


# --------------------------------------------------------------------------------------------
# Counts and lists
# --------------------------------------------------------------------------------------------


def method_sensitive_names(sensitivity: PortfolioSensitivity) -> list[str]:
    """The pilots whose verdict depends on the method, by name."""
    return [p.pilot for p in sensitivity.sensitive]


def close_to_threshold_names(sensitivity: PortfolioSensitivity) -> list[str]:
    """The pilots whose verdict a 5-point move of the thresholds would change, by name."""
    return [p.pilot for p in sensitivity.close]


# --------------------------------------------------------------------------------------------
# In words
# --------------------------------------------------------------------------------------------


def method_count_sentence(sensitivity: PortfolioSensitivity) -> str:
    """``1 pilot's verdict depends on the method.``, ``3 pilots' verdicts depend on the method.``, or that none
    does."""
    count = sensitivity.method.count
    if count == 0:
        return "No pilot's verdict depends on the method: the three methods agree on every verdict."
    if count == 1:
        return "1 pilot's verdict depends on the method."
    return f"{count} pilots' verdicts depend on the method."


def method_line(pilot: SensitivePilot) -> str:
    """``Email intent routing: Ready by the geometric mean (87) … at least 75.`` (the pilot's name first)."""
    return f"{pilot.pilot}: {pilot.reason}"


def method_message(sensitivity: PortfolioSensitivity, limit: int = 3) -> str:
    """The count and who, in one line for the deck and the report: ``1 pilot's verdict depends on the method:
    Email intent routing.`` ("" when none does)."""
    if not sensitivity.method.count:
        return ""
    return f"{method_count_sentence(sensitivity)[:-1]}: {names_text(method_sensitive_names(sensitivity), limit)}."


def outcomes_text(pilot: SensitivePilot) -> str:
    """``Geometric mean 87, ready · Weakest link 70, conditional · Weighted mean 88, ready``."""
    return " · ".join(
        f"{o.label} {display.score_text(o.overall)}, {VERDICT_LABELS[o.verdict].lower()}" for o in pilot.outcomes
    )


def moved_text(rules: VerdictRules) -> str:
    """The thresholds of moved rules: ``not ready below 45, ready from 75 on every gap and 80 overall``."""
    return (
        f"not ready below {display.threshold_text(rules.not_ready_gap_below)}, ready from "
        f"{display.threshold_text(rules.ready_gap_at_least)} on every gap and "
        f"{display.threshold_text(rules.ready_overall_at_least)} overall"
    )


def band_count_sentence(sensitivity: PortfolioSensitivity) -> str:
    """``3 pilots would change verdict if the thresholds moved by 5 points.``, or that none would."""
    points = display.threshold_text(sensitivity.band.points)
    count = sensitivity.band.count
    who = "No pilot" if count == 0 else display.count_text(count, "pilot")
    return f"{who} would change verdict if the thresholds moved by {points} points."


def band_sentence(sensitivity: PortfolioSensitivity) -> str:
    """``Close to a threshold: 3 pilots would change verdict if the thresholds moved by 5 points.`` (no label
    when none would)."""
    sentence = band_count_sentence(sensitivity)
    return f"Close to a threshold: {sentence}" if sensitivity.band.count else sentence


def band_rules_text(sensitivity: PortfolioSensitivity) -> str:
    """What the moved thresholds are: ``5 points stricter: not ready below 45, …; 5 points looser: …``."""
    band = sensitivity.band
    points = display.threshold_text(band.points)
    return (
        f"{points} points stricter: {moved_text(band.stricter_rules)}; "
        f"{points} points looser: {moved_text(band.looser_rules)}."
    )


def band_change_text(pilot: BandPilot, points: float) -> str:
    """How the pilot's verdict would move: ``conditional if the thresholds were 5 points stricter`` and/or
    ``ready if the thresholds were 5 points looser``."""
    shown = display.threshold_text(points)
    moves = [
        f"{VERDICT_LABELS[verdict].lower()} if the thresholds were {shown} points {way}"
        for verdict, way in ((pilot.stricter, "stricter"), (pilot.looser, "looser"))
        if verdict != pilot.verdict
    ]
    return " and ".join(moves)


def band_line(pilot: BandPilot, points: float) -> str:
    """``Email intent routing: ready now, conditional if the thresholds were 5 points stricter.``"""
    return f"{pilot.pilot}: {VERDICT_LABELS[pilot.verdict].lower()} now, {band_change_text(pilot, points)}."


def band_message(sensitivity: PortfolioSensitivity, limit: int = 3) -> str:
    """The band's count and who, in one line for the deck and the report: ``1 pilot would change verdict if the
    thresholds moved by 5 points: Email intent routing.`` ("" when no pilot is in it)."""
    if not sensitivity.band.count:
        return ""
    return f"{band_count_sentence(sensitivity)[:-1]}: {names_text(close_to_threshold_names(sensitivity), limit)}."


def pilot_band_note(sensitivity: PortfolioSensitivity, pilot: str) -> str:
    """The Pilot page's note when the pilot is close to a threshold ("" when it is not): ``Close to a threshold:
    conditional if the thresholds were 5 points stricter.``"""
    found = sensitivity.band.of(pilot)
    if found is None:
        return ""
    return f"Close to a threshold: {band_change_text(found, sensitivity.band.points)}."


def sensitivity_json(sensitivity: PortfolioSensitivity) -> dict[str, Any]:
    """The CLI's JSON (``readiness sensitivity --json``): the flagged pilots with their numbers, and the
    sentences the other surfaces show."""
    band = sensitivity.band
    rules = {"stricter": band.stricter_rules, "looser": band.looser_rules}
    return {
        "pilots": len(sensitivity.method.table),
        "default_aggregator": sensitivity.method.default,
        "aggregators": list(sensitivity.method.aggregators),
        "method_sensitive": {
            "count": sensitivity.method.count,
            "sentence": method_count_sentence(sensitivity),
            "pilots": [
                {
                    "pilot": p.pilot,
                    "reason": p.reason,
                    "weakest_gap": p.weakest_gap,
                    "by_aggregator": {o.aggregator: {"overall": o.overall, "verdict": o.verdict} for o in p.outcomes},
                }
                for p in sensitivity.sensitive
            ],
        },
        "threshold_band": {
            "points": band.points,
            "count": band.count,
            "sentence": band_sentence(sensitivity),
            "thresholds": {
                way: {name: getattr(moved, name) for name in BAND_THRESHOLDS} for way, moved in rules.items()
            },
            "pilots": [
                {"pilot": p.pilot, "verdict": p.verdict, "stricter": p.stricter, "looser": p.looser}
                for p in sensitivity.close
            ],
        },
    }
