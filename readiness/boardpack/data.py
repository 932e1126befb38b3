"""What a board pack is made of: the portfolio as of a date, its history, and the selected pilots' scores.

Every output of the board pack (deck, chart images, HTML report) reads one :class:`BoardPack`, so the
three always show the same numbers, and those numbers are the core's: the portfolio rows come from
:func:`readiness.portfolio.score_frame`, the pilot pages from :func:`readiness.scoring.score_assessment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from readiness.service.decisions import (
    DECISION_LIMIT,
    Decisions,
    decisions,
    default_pilot_pages,
    order_by_decision,
    pilots_needing_scores,
)
from readiness.service.portfolio import check_pilots, history_until, monthly_portfolio, portfolio_on
from readiness.service.sensitivity import PortfolioSensitivity, portfolio_sensitivity
from readiness.service.whatif import WhatIfResult

DEFAULT_TITLE = "AI pilot portfolio"
# Pilot pages when none are chosen: every pilot of a small portfolio; of a large one, this many taken in
# turn from the board's three lists (promote, fix, stop), so a ready pilot always gets a page.
DEFAULT_PILOT_PAGES = 20
PilotResults = tuple[ScoreResult, ScoreResult | None]


@dataclass(frozen=True)
class BoardPack:
    """Everything a board pack shows, already scored.

    ``latest``: one :func:`~readiness.portfolio.score_frame` row per pilot, its last snapshot on or
    before ``as_of``. ``history``: every scored snapshot on or before ``as_of``. ``pilot_results``: the
    pilots that get their own page, in page order, each with its latest and previous
    :class:`~readiness.scoring.ScoreResult` (previous is ``None`` for a pilot with one snapshot).
    ``decision_results``: the latest explained score of the other pilots the decisions name with their
    top action (at most :data:`~readiness.service.decisions.DECISION_LIMIT`). ``scenarios``: what-if
    projections (:class:`~readiness.service.whatif.WhatIfResult`) shown after everything else, each
    labelled a projection: they describe the portfolio as it would stand, never as it stands.
    """

    latest: pd.DataFrame
    history: pd.DataFrame
    pilot_results: dict[str, PilotResults]
    as_of: date
    model_version: str
    title: str = DEFAULT_TITLE
    model: ReadinessModel = field(default_factory=load_model, repr=False)
    decision_results: dict[str, ScoreResult] = field(default_factory=dict, repr=False)
    scenarios: tuple[WhatIfResult, ...] = field(default=(), repr=False)

    @property
    def pilots(self) -> list[str]:
        """The pilots that get their own page, in page order."""
        return list(self.pilot_results)

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """The portfolio at every month end of the history (:func:`readiness.service.portfolio.monthly_portfolio`),
        computed once for the deck's trend slide and the trend chart."""
        return monthly_portfolio(self.history)

    @cached_property
    def decisions(self) -> Decisions:
        """What the board is asked to decide (:func:`readiness.service.decisions.decisions`), computed once
        for the deck's decisions slide and the report's decisions section."""
        results = {**self.decision_results, **{p: r[0] for p, r in self.pilot_results.items()}}
        return decisions(self.latest, results, self.model)

    @cached_property
    def sensitivity(self) -> PortfolioSensitivity:
        """The pilots whose verdict depends on the method and those close to a threshold
        (:func:`readiness.service.sensitivity.portfolio_sensitivity`), computed once for the deck and the report."""
        return portfolio_sensitivity(self.latest, self.model)


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
    others: Mapping[str, Sequence[Assessment]] | None = None,
) -> BoardPack:
    """A board pack from an already scored history and, for each pilot that gets a page, its snapshots.

    ``scored`` holds :func:`~readiness.portfolio.score_frame` rows (any dates; later ones are dropped);
    ``snapshots`` maps each selected pilot, in page order, to its assessments (any order, any dates);
    ``others`` maps further pilots to their assessments: those the decisions name with a top action
    (:func:`~readiness.service.decisions.pilots_needing_scores`) are scored too, the rest ignored.
    """
    model = model or load_model()
    history = history_until(scored, as_of).reset_index(drop=True)
    latest = portfolio_on(history)
    results: dict[str, PilotResults] = {}
    for pilot, assessments in snapshots.items():
        dated = _dated(assessments, as_of)
        if not dated:
            raise InvalidInput([Issue("error", "--pilots", f"{pilot!r} has no snapshot on or before {as_of}")], "")
        previous = score_assessment(dated[-2], model) if len(dated) > 1 else None
        results[pilot] = (score_assessment(dated[-1], model), previous)
    extra: dict[str, ScoreResult] = {}
    for pilot in pilots_needing_scores(latest, DECISION_LIMIT):
        dated = _dated((others or {}).get(pilot, ()), as_of)
        if pilot not in results and dated:
            extra[pilot] = score_assessment(dated[-1], model)
    return BoardPack(latest, history, results, as_of, model.version, title, model, extra)


def _dated(assessments: Iterable[Assessment], as_of: date) -> list[Assessment]:
    """The snapshots dated on or before ``as_of``, oldest first (the last is the latest)."""
    return sorted((a for a in assessments if a.as_of <= as_of), key=lambda a: a.as_of)


def chosen_pilots(latest: pd.DataFrame, pilots: Sequence[str] | None, source: str = "board pack") -> list[str]:
    """The pilot pages, ordered by the board's decision (promote, fix, stop): the chosen pilots (each
    decision's in the order given; an unknown name is an :class:`InvalidInput`), or by default a bounded
    selection that shows every decision (:func:`~readiness.service.decisions.default_pilot_pages`)."""
    if pilots:
        return order_by_decision(check_pilots(pilots, latest["pilot"], source), latest)
    return default_pilot_pages(latest, DEFAULT_PILOT_PAGES)


def pack_from_assessments(
    assessments: Iterable[Assessment],
    as_of: date | None = None,
    pilots: Sequence[str] | None = None,
    model: ReadinessModel | None = None,
    title: str = DEFAULT_TITLE,
    within: Sequence[str] | None = None,
) -> BoardPack:
    """A board pack from every snapshot of a portfolio (e.g. :func:`readiness.demo.demo_assessments`).

    ``pilots`` chooses the pilot pages, shown grouped by the board's decision (promote, fix, stop; each
    group in the order given); ``None`` gives every pilot of a portfolio of up to
    :data:`DEFAULT_PILOT_PAGES`, else that many taken in turn from the three decisions
    (:func:`chosen_pilots`). ``within`` limits the portfolio to the pilots in view (None: every pilot).
    """
    model = model or load_model()
    assessments = list(assessments)
    scored = in_view(score_frame(assessments_to_frame(assessments, model), model), within)
    as_of = resolve_as_of(scored, as_of)
    latest = portfolio_on(scored, as_of)
    chosen = chosen_pilots(latest, pilots)
    needed = set(pilots_needing_scores(latest, DECISION_LIMIT)) - set(chosen)
    by_pilot: dict[str, list[Assessment]] = {name: [] for name in chosen}
    others: dict[str, list[Assessment]] = {name: [] for name in needed}
    for assessment in assessments:
        name = assessment.pilot.name
        if name in by_pilot:
            by_pilot[name].append(assessment)
        elif name in others:
            others[name].append(assessment)
    return pack_from_scored(scored, by_pilot, as_of, model, title, others)


def pack_from_store(
    engine: Engine,
    as_of: date | None = None,
    pilots: Sequence[str] | None = None,
    model: ReadinessModel | None = None,
    title: str = DEFAULT_TITLE,
    within: Sequence[str] | None = None,
) -> BoardPack:
    """A board pack from the store (what the Export page and ``readiness export`` call): the portfolio
    history is loaded as one frame and scored vectorized; only the pilots that get a page, and the few
    the decisions name with a top action, are loaded as assessments. ``within`` limits the portfolio to
    the pilots in view (None: every pilot)."""
    from readiness.store import pilot_history, portfolio_frame

    model = model or load_model()
    scored = in_view(score_frame(portfolio_frame(engine, as_of, history=True, model=model), model), within)
    as_of = resolve_as_of(scored, as_of)
    latest = portfolio_on(scored, as_of)
    chosen = chosen_pilots(latest, pilots)
    snapshots = {name: [s.assessment for s in pilot_history(engine, name)] for name in chosen}
    needed = [name for name in pilots_needing_scores(latest, DECISION_LIMIT) if name not in snapshots]
    others = {name: [s.assessment for s in pilot_history(engine, name)] for name in needed}
    return pack_from_scored(scored, snapshots, as_of, model, title, others)
