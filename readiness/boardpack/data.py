"""What a board pack is made of: the portfolio as of a date, its history, and the selected pilots' scores.

Every output of the board pack (deck, chart images, HTML report) reads one :class:`BoardPack`, so the
three always show the same numbers, and those numbers are the core's: the portfolio rows come from
:func:`readiness.portfolio.score_frame`, the pilot pages from :func:`readiness.scoring.score_assessment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import pandas as pd
from sqlalchemy import Engine

from readiness.assessment import Assessment
from readiness.errors import InvalidInput, Issue
from readiness.model import ReadinessModel, load_model
from readiness.portfolio import assessments_to_frame, score_frame
from readiness.scoring import ScoreResult, score_assessment
from readiness.service.portfolio import check_pilots, history_until, monthly_portfolio, portfolio_on, review_order

DEFAULT_TITLE = "AI pilot portfolio"
PilotResults = tuple[ScoreResult, ScoreResult | None]


@dataclass(frozen=True)
class BoardPack:
    """Everything a board pack shows, already scored.

    ``latest``: one :func:`~readiness.portfolio.score_frame` row per pilot, its last snapshot on or
    before ``as_of``. ``history``: every scored snapshot on or before ``as_of``. ``pilot_results``: the
    pilots that get their own page, in page order, each with its latest and previous
    :class:`~readiness.scoring.ScoreResult` (previous is ``None`` for a pilot with one snapshot).
    """

    latest: pd.DataFrame
    history: pd.DataFrame
    pilot_results: dict[str, PilotResults]
    as_of: date
    model_version: str
    title: str = DEFAULT_TITLE
    model: ReadinessModel = field(default_factory=load_model, repr=False)

    @property
    def pilots(self) -> list[str]:
        """The pilots that get their own page, in page order."""
        return list(self.pilot_results)

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """The portfolio at every month end of the history (:func:`readiness.service.portfolio.monthly_portfolio`),
        computed once for the deck's trend slide and the trend chart."""
        return monthly_portfolio(self.history)


def in_view(scored: pd.DataFrame, within: Sequence[str] | None) -> pd.DataFrame:
    """The snapshots of the pilots in view (the dashboard's filters; None or empty: every pilot). A view
    that holds none of the stored pilots is an :class:`InvalidInput`."""
    if not within or scored.empty:
        return scored
    kept = scored[scored["pilot"].isin(list(within))].reset_index(drop=True)
    if kept.empty:
        raise InvalidInput([Issue("error", "portfolio", "no pilot in view has a snapshot: nothing to report")],
                           "board pack")  # fmt: skip
    return kept


def resolve_as_of(scored: pd.DataFrame, as_of: date | None) -> date:
    """The as-of date: the one asked for, else the latest snapshot's; no snapshot by then is an error."""
    if scored.empty:
        raise InvalidInput([Issue("error", "portfolio", "no assessment stored yet: nothing to report")], "board pack")
    dates = pd.to_datetime(scored["as_of"]).dt.date
    if as_of is None:
        return max(dates)
    if min(dates) > as_of:
        message = f"no snapshot on or before {as_of.isoformat()} (the first is {min(dates).isoformat()})"
        raise InvalidInput([Issue("error", "--as-of", message)], "board pack")
    return as_of


def pack_from_scored(
    scored: pd.DataFrame,
    snapshots: dict[str, list[Assessment]],
    as_of: date,
    model: ReadinessModel | None = None,
    title: str = DEFAULT_TITLE,
) -> BoardPack:
    """A board pack from an already scored history and, for each pilot that gets a page, its snapshots.

    ``scored`` holds :func:`~readiness.portfolio.score_frame` rows (any dates; later ones are dropped);
    ``snapshots`` maps each selected pilot, in page order, to its assessments (any order, any dates).
    """
    model = model or load_model()
    history = history_until(scored, as_of).reset_index(drop=True)
    latest = portfolio_on(history)
    results: dict[str, PilotResults] = {}
    for pilot, assessments in snapshots.items():
        dated = sorted((a for a in assessments if a.as_of <= as_of), key=lambda a: a.as_of)
        if not dated:
            raise InvalidInput([Issue("error", "--pilots", f"{pilot!r} has no snapshot on or before {as_of}")], "")
        previous = score_assessment(dated[-2], model) if len(dated) > 1 else None
        results[pilot] = (score_assessment(dated[-1], model), previous)
    return BoardPack(latest, history, results, as_of, model.version, title, model)


def pack_from_assessments(
    assessments: Iterable[Assessment],
    as_of: date | None = None,
    pilots: Sequence[str] | None = None,
    model: ReadinessModel | None = None,
    title: str = DEFAULT_TITLE,
    within: Sequence[str] | None = None,
) -> BoardPack:
    """A board pack from every snapshot of a portfolio (e.g. :func:`readiness.demo.demo_assessments`).

    ``pilots`` chooses the pilot pages and their order; ``None`` gives every pilot in review order (not
    ready, conditional, ready; weakest overall first: :func:`readiness.service.portfolio.review_order`).
    ``within`` limits the portfolio to the pilots in view (None: every pilot).
    """
    model = model or load_model()
    assessments = list(assessments)
    scored = in_view(score_frame(assessments_to_frame(assessments, model), model), within)
    as_of = resolve_as_of(scored, as_of)
    latest = portfolio_on(scored, as_of)
    chosen = check_pilots(pilots, latest["pilot"], "board pack") if pilots else review_order(latest)
    by_pilot: dict[str, list[Assessment]] = {name: [] for name in chosen}
    for assessment in assessments:
        if assessment.pilot.name in by_pilot:
            by_pilot[assessment.pilot.name].append(assessment)
    return pack_from_scored(scored, by_pilot, as_of, model, title)


def pack_from_store(
    engine: Engine,
    as_of: date | None = None,
    pilots: Sequence[str] | None = None,
    model: ReadinessModel | None = None,
    title: str = DEFAULT_TITLE,
    within: Sequence[str] | None = None,
) -> BoardPack:
    """A board pack from the store (what the Export page and ``readiness export`` call): the portfolio
    history is loaded as one frame and scored vectorized; only the pilots that get a page are loaded as
    assessments. ``within`` limits the portfolio to the pilots in view (None: every pilot)."""
    from readiness.store import pilot_history, portfolio_frame

    model = model or load_model()
    scored = in_view(score_frame(portfolio_frame(engine, as_of, history=True, model=model), model), within)
    as_of = resolve_as_of(scored, as_of)
    latest = portfolio_on(scored, as_of)
    chosen = check_pilots(pilots, latest["pilot"], "board pack") if pilots else review_order(latest)
    snapshots = {name: [s.assessment for s in pilot_history(engine, name)] for name in chosen}
    return pack_from_scored(scored, snapshots, as_of, model, title)
