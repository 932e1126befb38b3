"""What a board pack is made of: the portfolio as of a date, its history, and the selected pilots' scores.

Every output of the board pack (deck, chart images, HTML report) reads one :class:`BoardPack`, so the
three always show the same numbers, and those numbers are the core's: the portfolio rows come from
:func:`readiness.portfolio.score_frame`, the pilot pages from :func:`readiness.scoring.score_assessment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from readiness.assessment import Assessment
from readiness.errors import InvalidInput, Issue
from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame
from readiness.scoring import VERDICT_ORDER, ScoreResult, score_assessment

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


def monthly_portfolio(history: pd.DataFrame) -> pd.DataFrame:
    """The portfolio at the end of every month of its history: median gap and overall scores, verdict counts.

    Each month counts every pilot's last snapshot on or before that month's end, so a pilot that skipped
    an assessment keeps its last known state instead of dropping out.
    """
    columns = ["month", *[f"score.{g}" for g in GAP_IDS], "overall", *VERDICT_ORDER, "pilots"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    needed = ["pilot", "as_of", *[f"score.{g}" for g in GAP_IDS], "overall", "verdict"]
    # Only the columns used, sorted once: the score frame is wide and this loops over every month.
    frame = history[needed].sort_values(["pilot", "as_of"])
    frame = frame.assign(_month=pd.to_datetime(frame["as_of"]).dt.to_period("M"))
    rows = []
    for month in sorted(frame["_month"].unique()):
        upto = frame[frame["_month"] <= month].groupby("pilot").tail(1)
        row: dict[str, object] = {"month": month.to_timestamp().date()}
        for gap in GAP_IDS:
            row[f"score.{gap}"] = float(upto[f"score.{gap}"].median())
        row["overall"] = float(upto["overall"].median())
        counts = upto["verdict"].value_counts()
        row.update({v: int(counts.get(v, 0)) for v in VERDICT_ORDER})
        row["pilots"] = len(upto)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def default_pilot_order(latest: pd.DataFrame) -> list[str]:
    """Pilot pages in the order a board reads them: not ready first, then conditional, then ready;
    within a verdict the weakest overall score first."""
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    ordered = latest.assign(_rank=latest["verdict"].map(rank)).sort_values(["_rank", "overall", "pilot"])
    return list(ordered["pilot"])


def check_pilots(requested: Sequence[str], known: Iterable[str]) -> list[str]:
    """The requested pilots, deduplicated in order; an unknown name is an :class:`InvalidInput`."""
    names = sorted(set(known))
    issues = []
    for name in requested:
        if name in names:
            continue
        close = [n for n in names if name.casefold() in n.casefold() or n.casefold() in name.casefold()]
        shown = close or names
        hint = ", ".join(repr(n) for n in shown[:5]) + (", ..." if len(shown) > 5 else "")
        issues.append(Issue("error", "--pilots", f"no pilot named {name!r} on the as-of date (known: {hint})"))
    if issues:
        raise InvalidInput(issues, "board pack")
    return list(dict.fromkeys(requested))


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
    history = scored[pd.to_datetime(scored["as_of"]).dt.date <= as_of].reset_index(drop=True)
    latest = latest_per_pilot(history)
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
) -> BoardPack:
    """A board pack from every snapshot of a portfolio (e.g. :func:`readiness.demo.demo_assessments`).

    ``pilots`` chooses the pilot pages and their order; ``None`` gives every pilot, weakest first.
    """
    model = model or load_model()
    assessments = list(assessments)
    scored = score_frame(assessments_to_frame(assessments, model), model)
    as_of = resolve_as_of(scored, as_of)
    latest = latest_per_pilot(scored[pd.to_datetime(scored["as_of"]).dt.date <= as_of])
    chosen = check_pilots(pilots, latest["pilot"]) if pilots else default_pilot_order(latest)
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
) -> BoardPack:
    """A board pack from the store (what the Export page calls): the portfolio history is loaded as one
    frame and scored vectorized; only the pilots that get a page are loaded as assessments."""
    from readiness.store import pilot_history, portfolio_frame

    model = model or load_model()
    scored = score_frame(portfolio_frame(engine, as_of, history=True, model=model), model)
    as_of = resolve_as_of(scored, as_of)
    latest = latest_per_pilot(scored)
    chosen = check_pilots(pilots, latest["pilot"]) if pilots else default_pilot_order(latest)
    snapshots = {name: [s.assessment for s in pilot_history(engine, name)] for name in chosen}
    return pack_from_scored(scored, snapshots, as_of, model, title)
