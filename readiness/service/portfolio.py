"""The portfolio as of a day, and every statistic the product states about it, each defined once.

The dashboard, the deck, the HTML report and the CLI all call these functions, so "7 of 15 pilots are
ready" or "the weakest gap is Monitoring" reads the same on every surface. Inputs are scored frames
(:func:`readiness.portfolio.score_frame` rows, one per snapshot) and explained scores
(:class:`readiness.scoring.ScoreResult`); the sentences are written with :mod:`readiness.display`.

Definitions (also on the Methodology page):

- **Portfolio as of a day**: each pilot's latest snapshot dated on or before that day
  (:func:`readiness.portfolio.latest_per_pilot`).
- **Ready share**: pilots whose verdict is ready, as a percentage of the pilots in view.
- **Weakest gap of the portfolio**: the gap with the lowest median score over the pilots in view; a tie
  goes to the gap that is the weakest gap of more pilots, then to model order.
- **Stalled**: still in the pilot stage after more than the model's ``stalled_after_months``.
- **Compound risks**: active edges (both gaps below the active threshold), critical ones counted apart.
- **What changed**: a pilot's latest snapshot against its previous one, gap by gap, as shown scores.
- **Top actions**: the remediation items with a positive gain, best first (the first few items when no
  single fix raises overall readiness).

Large portfolios: no surface draws or lists every pilot of a store of thousands. Heatmaps (the Portfolio
page, the deck, the report, the chart images) show at most :data:`MAX_SHOWN` pilots, the least ready first
(:func:`least_ready`, with the note of :func:`shown_note`), value matrices the :data:`MAX_SHOWN` of highest
value (:func:`highest_value`); pilot pickers above :data:`SEARCH_ABOVE` pilots
ask for a search first and offer at most :data:`MAX_SHOWN` matches (:func:`search_names`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from readiness import display
from readiness.assessment import name_key
from readiness.errors import InvalidInput, Issue
from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.portfolio import SortKey, display_order, latest_per_pilot, sort_portfolio
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER, Action, ScoreResult

Filters = Mapping[str, Sequence[str]]
MAX_SHOWN = 200  # rows of a heatmap, options of a pilot picker
SEARCH_ABOVE = 500  # above this many pilots, a picker asks for a search before it offers any


# --------------------------------------------------------------------------------------------
# Selection: as of a day, filters, chosen pilots
# --------------------------------------------------------------------------------------------


def portfolio_on(scored: pd.DataFrame, day: date | None = None) -> pd.DataFrame:
    """The portfolio as it stood on ``day`` (default: as it stands): each pilot's latest snapshot by then."""
    return latest_per_pilot(scored, day)


def history_until(scored: pd.DataFrame, day: date | None) -> pd.DataFrame:
    """Every snapshot dated on or before ``day`` (all when ``day`` is None)."""
    if day is None or scored.empty:
        return scored
    return scored[pd.to_datetime(scored["as_of"]) <= pd.Timestamp(day)].reset_index(drop=True)


def apply_filters(frame: pd.DataFrame, filters: Filters | None) -> pd.DataFrame:
    """The rows whose context passes every filter (column → accepted values; an empty list accepts all)."""
    if not filters or frame.empty:
        return frame
    mask = pd.Series(True, index=frame.index)
    for column, values in filters.items():
        if values and column in frame:
            mask &= frame[column].isin(list(values))
    return frame[mask]


def filtered_pilots(latest: pd.DataFrame, filters: Filters | None) -> list[str]:
    """The names of the pilots that pass the filters, in review order (least ready first)."""
    return review_order(apply_filters(latest, filters))


def check_pilots(requested: Sequence[str], known: Iterable[str], source: str = "") -> list[str]:
    """The requested pilots under their known names, deduplicated in order; an unknown name is an
    :class:`InvalidInput` naming the closest known ones. A name matches the known one of the same
    :func:`~readiness.assessment.name_key` (``claims triage`` picks ``Claims triage``)."""
    exact = set(known)
    names = sorted(exact)
    by_key: dict[str, str] = {}
    for known_name in names:
        by_key.setdefault(name_key(known_name), known_name)
    issues = []
    found = []
    for name in requested:
        match = name if name in exact else by_key.get(name_key(name))
        if match is not None:
            found.append(match)
            continue
        close = [n for n in names if name.casefold() in n.casefold() or n.casefold() in name.casefold()]
        shown = close or names
        hint = ", ".join(repr(n) for n in shown[:5]) + (", ..." if len(shown) > 5 else "")
        message = f"no pilot named {name!r} on the as-of date (known: {hint or 'none'})"
        issues.append(Issue("error", "--pilots", message))
    if issues:
        raise InvalidInput(issues, source)
    return list(dict.fromkeys(found))


def review_order(latest: pd.DataFrame) -> list[str]:
    """Pilots in the order a board reviews them: not ready, conditional, ready; weakest overall first."""
    return latest["pilot"].to_numpy()[display_order(latest, "readiness")].tolist()


# --------------------------------------------------------------------------------------------
# Large portfolios: search, and the least ready first
# --------------------------------------------------------------------------------------------


def search_names(names: Iterable[str], query: str, limit: int | None = MAX_SHOWN) -> list[str]:
    """The names that contain ``query``, case-insensitively (compared by
    :func:`~readiness.assessment.name_key`: case, accents' forms and runs of spaces do not matter), best first:
    the name itself, then names that start with it, then the others, each in the order given; at most ``limit``
    (None: all). An empty query matches every name."""
    wanted = name_key(query)
    if not wanted:
        found = list(names)
        return found if limit is None else found[:limit]
    exact, starts, contains = [], [], []
    for name in names:
        key = name_key(name)
        if wanted not in key:
            continue
        (exact if key == wanted else starts if key.startswith(wanted) else contains).append(name)
    found = exact + starts + contains
    return found if limit is None else found[:limit]


def search_portfolio(latest: pd.DataFrame, query: str) -> pd.DataFrame:
    """The rows of a portfolio frame whose pilot name contains ``query`` (as :func:`search_names`; an empty
    query keeps every row), in the frame's order."""
    if not name_key(query) or latest.empty:
        return latest
    kept = set(search_names(latest["pilot"].astype(str), query, limit=None))
    return latest[latest["pilot"].isin(kept)]


def least_ready(latest: pd.DataFrame, limit: int = MAX_SHOWN, order: SortKey = "readiness") -> pd.DataFrame:
    """At most ``limit`` rows of a portfolio frame, sorted by ``order`` (default: the least ready first, the
    order a board reviews them), for a heatmap that must stay readable and fast on thousands of pilots."""
    return sort_portfolio(latest, order, limit)


def highest_value(latest: pd.DataFrame, limit: int = MAX_SHOWN) -> pd.DataFrame:
    """At most ``limit`` rows of a portfolio frame, the highest expected annual value first (the pilots a value
    matrix names), so that a value matrix of thousands of pilots stays readable and light."""
    if len(latest) <= limit:
        return latest
    return latest.sort_values("expected_annual_value", ascending=False, na_position="last", kind="stable").head(limit)


def shown_note(shown: int, total: int, order: str = "readiness") -> str:
    """``Showing the 200 least ready of 10,000 pilots.`` ("" when every pilot is shown); ``order`` is how the
    shown ones were chosen: ``readiness``, ``risk``, ``name`` or ``value``."""
    if shown >= total:
        return ""
    which = {"readiness": "least ready", "risk": "most at risk", "value": "highest-value"}.get(order, "first by name")
    return f"Showing the {shown:,} {which} of {total:,} pilots."


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeakestGap:
    """The portfolio's weakest gap: its ID and label, median score, and how many pilots it holds back."""

    gap: str
    label: str
    median: float
    weakest_of: int
    below_not_ready: int


@dataclass(frozen=True)
class PortfolioStats:
    """Every number the product states about a portfolio (one row per pilot: the latest snapshots)."""

    pilots: int
    by_verdict: dict[str, int]
    ready_share: float | None
    gartner_ready_share: float
    median_months_in_pilot: float | None
    stalled_after_months: float
    stalled: list[str]
    active_compound_risks: int
    critical_compound_risks: int
    pilots_with_compound_risk: int
    weakest_gap: WeakestGap | None
    top_compound_risk: tuple[str, int] | None  # (the edge's story, pilots where it is active)
    median_gap_scores: dict[str, float]

    @property
    def ready(self) -> int:
        """How many pilots are ready."""
        return self.by_verdict["ready"]


def verdict_counts(latest: pd.DataFrame) -> dict[str, int]:
    """Pilots per verdict, every verdict present."""
    counts = latest["verdict"].value_counts() if len(latest) else pd.Series(dtype=int)
    return {v: int(counts.get(v, 0)) for v in VERDICT_ORDER}


def ready_share(latest: pd.DataFrame) -> float | None:
    """The percentage of pilots whose verdict is ready (None for an empty portfolio)."""
    return 100 * verdict_counts(latest)["ready"] / len(latest) if len(latest) else None


def median_gap_scores(latest: pd.DataFrame) -> dict[str, float]:
    """The median score of each gap over the pilots (0 for an empty portfolio)."""
    return {g: float(latest[f"score.{g}"].median()) if len(latest) else 0.0 for g in GAP_IDS}


def weakest_gap(latest: pd.DataFrame, model: ReadinessModel | None = None) -> WeakestGap | None:
    """The gap with the lowest median score; ties go to the gap that is weakest for more pilots, then
    to model order. None for an empty portfolio."""
    if latest.empty:
        return None
    model = model or load_model()
    medians = median_gap_scores(latest)
    weakest_of = latest["weakest_gap"].value_counts()
    order = {g: k for k, g in enumerate(GAP_IDS)}
    gap = min(GAP_IDS, key=lambda g: (medians[g], -int(weakest_of.get(g, 0)), order[g]))
    below = int((latest[f"score.{gap}"] < model.verdict.not_ready_gap_below).sum())
    return WeakestGap(gap, model.gap(gap).label, medians[gap], int(weakest_of.get(gap, 0)), below)


def stalled_pilots(latest: pd.DataFrame) -> list[str]:
    """The pilots still in the pilot stage for longer than the model allows, by name."""
    if latest.empty:
        return []
    return sorted(latest.loc[latest["stalled"].astype(bool), "pilot"].astype(str), key=str.casefold)


def compound_risk_counts(latest: pd.DataFrame) -> tuple[int, int, int]:
    """(active edges, critical edges, pilots with at least one active edge) over the portfolio."""
    if latest.empty:
        return 0, 0, 0
    return (
        int(latest["active_edges"].sum()),
        int(latest["critical_edges"].sum()),
        int((latest["active_edges"] > 0).sum()),
    )


def most_frequent_compound_risk(latest: pd.DataFrame, model: ReadinessModel | None = None) -> tuple[str, int] | None:
    """The compound edge active in the most pilots (its story and the count), None when none is active."""
    if latest.empty:
        return None
    model = model or load_model()
    counts = {e.id: int((latest[f"state.{e.id}"] != "inactive").sum()) for e in model.edges}
    top = max(model.edges, key=lambda e: counts[e.id])
    return (top.chain, counts[top.id]) if counts[top.id] else None


def portfolio_stats(latest: pd.DataFrame, model: ReadinessModel | None = None) -> PortfolioStats:
    """The portfolio's numbers, each from its one function."""
    model = model or load_model()
    in_pilot = latest.loc[latest["stage"] == "pilot", "months_in_pilot"].dropna() if len(latest) else pd.Series([])
    active, critical, with_risk = compound_risk_counts(latest)
    return PortfolioStats(
        pilots=len(latest),
        by_verdict=verdict_counts(latest),
        ready_share=ready_share(latest),
        gartner_ready_share=float(model.scoring.gartner_ready_share),
        median_months_in_pilot=float(in_pilot.median()) if len(in_pilot) else None,
        stalled_after_months=float(model.scoring.stalled_after_months),
        stalled=stalled_pilots(latest),
        active_compound_risks=active,
        critical_compound_risks=critical,
        pilots_with_compound_risk=with_risk,
        weakest_gap=weakest_gap(latest, model),
        top_compound_risk=most_frequent_compound_risk(latest, model),
        median_gap_scores=median_gap_scores(latest),
    )


# --------------------------------------------------------------------------------------------
# The statistics in words
# --------------------------------------------------------------------------------------------


def ready_sentence(stats: PortfolioStats) -> str:
    """``4 of 15 pilots are ready for production (26%), below the 48% of AI prototypes that reach production
    (Gartner).``"""
    share = stats.ready_share or 0.0
    shown = display.floor_to(share)
    side = "above" if shown > stats.gartner_ready_share else "below" if shown < stats.gartner_ready_share else "at"
    noun = "pilot" if stats.pilots == 1 else "pilots"
    verb = "is" if stats.ready == 1 else "are"
    return (
        f"{stats.ready} of {stats.pilots} {noun} {verb} ready for production ({display.percent_text(share)}), "
        f"{side} the {display.threshold_text(stats.gartner_ready_share)}% of AI prototypes that reach production "
        "(Gartner)."
    )


def weakest_gap_sentence(stats: PortfolioStats, model: ReadinessModel | None = None) -> str:
    """``Weakest gap across the portfolio: Monitoring & observability (median score 35); 6 pilots score below
    40 on it.``"""
    weakest = stats.weakest_gap
    if weakest is None:
        return "No pilot has been assessed yet."
    model = model or load_model()
    return (
        f"Weakest gap across the portfolio: {weakest.label} (median score {display.score_text(weakest.median)}); "
        f"{display.count_text(weakest.below_not_ready, 'pilot')} score below "
        f"{display.threshold_text(model.verdict.not_ready_gap_below)} on it."
    )


def compound_risk_sentence(stats: PortfolioStats) -> str:
    """``Most frequent compound risk: <story> (5 pilots).`` or that none is active."""
    if stats.top_compound_risk is None:
        return "No compound risk is active: no two linked gaps are weak together."
    story, count = stats.top_compound_risk
    return f"Most frequent compound risk: {story} ({display.count_text(count, 'pilot')})."


def stalled_sentence(stats: PortfolioStats, limit: int = 4) -> str:
    """Which pilots have stalled in the pilot stage, or that none has."""
    months = display.threshold_text(stats.stalled_after_months)
    if not stats.stalled:
        return f"No pilot has been in the pilot stage for more than {months} months."
    return f"Stalled in pilot for more than {months} months: {names_text(stats.stalled, limit)}."


def names_text(names: Sequence[str], limit: int) -> str:
    """``A, B, C and 2 more``."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def movers_sentence(history: pd.DataFrame) -> str:
    """The largest rise and fall of overall readiness since each pilot's previous snapshot ("" when none moved)."""
    if history.empty:
        return ""
    ordered = history.sort_values(["pilot", "as_of"], kind="stable")
    last_two = ordered.groupby("pilot").tail(2)
    shown = last_two["overall"].map(display.score_number)
    change = shown.groupby(last_two["pilot"]).agg(lambda s: s.iloc[-1] - s.iloc[0] if len(s) == 2 else 0)
    change = change[change != 0]
    parts = []
    if len(change) and change.max() > 0:
        parts.append(f"largest improvement {change.idxmax()} (+{change.max()} points)")
    if len(change) and change.min() < 0:
        parts.append(f"largest decline {change.idxmin()} (−{abs(change.min())} points)")
    return f"Since each pilot's previous assessment: {'; '.join(parts)}." if parts else ""


def key_messages(latest: pd.DataFrame, history: pd.DataFrame, model: ReadinessModel | None = None) -> list[str]:
    """What the board should know, in sentences derived from the numbers (deck, HTML report, CLI)."""
    if latest.empty:
        return ["No pilot has been assessed on or before this date."]
    model = model or load_model()
    stats = portfolio_stats(latest, model)
    lines = [ready_sentence(stats), weakest_gap_sentence(stats, model)]
    if stats.top_compound_risk is not None:
        lines.append(compound_risk_sentence(stats))
    lines.append(stalled_sentence(stats))
    movers = movers_sentence(history)
    if movers:
        lines.append(movers)
    return lines


def verdict_summary(stats: PortfolioStats) -> str:
    """``4 ready · 3 conditional · 8 not ready``."""
    return " · ".join(f"{stats.by_verdict[v]} {VERDICT_LABELS[v].lower()}" for v in reversed(VERDICT_ORDER))


# --------------------------------------------------------------------------------------------
# Time: the portfolio month by month
# --------------------------------------------------------------------------------------------


def monthly_portfolio(history: pd.DataFrame) -> pd.DataFrame:
    """The portfolio at the end of every month of its history: median gap and overall scores, verdict counts.

    Each month counts every pilot's latest snapshot on or before that month's end (the one as-of rule), so
    a pilot that skipped an assessment keeps its last known state instead of dropping out.
    """
    columns = ["month", *[f"score.{g}" for g in GAP_IDS], "overall", *VERDICT_ORDER, "pilots"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    needed = ["pilot", "as_of", *[f"score.{g}" for g in GAP_IDS], "overall", "verdict"]
    frame = history[needed]
    months = pd.to_datetime(frame["as_of"]).dt.to_period("M")
    rows = []
    for month in sorted(months.unique()):
        upto = latest_per_pilot(frame, month.end_time.date())
        row: dict[str, object] = {"month": month.to_timestamp().date()}
        row.update({f"score.{g}": float(upto[f"score.{g}"].median()) for g in GAP_IDS})
        row["overall"] = float(upto["overall"].median())
        row.update(verdict_counts(upto))
        row["pilots"] = len(upto)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------
# One pilot: what changed, top actions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One gap (or overall) of a pilot, now and at its previous snapshot, as shown."""

    key: str
    label: str
    before: float | None
    after: float

    @property
    def delta(self) -> int | None:
        """The change of the shown scores (None when there is no previous snapshot)."""
        return display.score_change(self.before, self.after)

    @property
    def arrow(self) -> str:
        """``▲7``, ``▼3``, ``=`` or ``new``."""
        return display.change_text(self.before, self.after)


def what_changed(
    current: ScoreResult, previous: ScoreResult | None, model: ReadinessModel | None = None
) -> list[Change]:
    """Every gap and overall, now and at the previous snapshot (``before`` is None without one)."""
    model = model or load_model()
    changes = [
        Change(g.id, g.label, previous.gaps[g.id].score if previous else None, current.gaps[g.id].score)
        for g in model.gaps
    ]
    changes.append(Change("overall", "Overall", previous.overall if previous else None, current.overall))
    return changes


def overall_change_text(current: ScoreResult, previous: ScoreResult | None) -> str:
    """``+7 since 2026-10-01``, ``unchanged since …``, or "" for a first snapshot."""
    if previous is None:
        return ""
    delta = display.score_change(previous.overall, current.overall)
    moved = "unchanged" if not delta else f"{delta:+d}".replace("-", "−")
    return f"{moved} since {previous.as_of.isoformat()}"


def top_actions(result: ScoreResult, limit: int = 3) -> list[Action]:
    """The fixes worth doing first: those that raise overall readiness, best first; when no single fix
    does (a zero gap holds the geometric mean at 0), the first ``limit`` of the ranked remediation."""
    gaining = [a for a in result.remediation if a.gain > 0]
    return (gaining or result.remediation)[:limit]


def overall_explained(result: ScoreResult, model: ReadinessModel | None = None) -> str:
    """Overall readiness in one line, wherever it is shown: how it is made, and what holds it down.

    ``Overall 0: the geometric mean of the six gaps, so Organizational ownership at 0 holds it at 0.``
    """
    model = model or load_model()
    method = model.aggregator(result.aggregator).label.lower()
    shown = display.score_text(result.overall)
    zero = [result.gaps[g].label for g in GAP_IDS if display.score_number(result.gaps[g].score) == 0]
    if zero and result.aggregator == "geometric":
        return f"Overall {shown}: the {method} of the six gaps, so {' and '.join(zero)} at 0 holds it at 0."
    lowest = result.gaps[result.weakest_gap]
    if result.aggregator == "weighted_mean":
        return f"Overall {shown}: the {method} of the six gaps, where strong gaps can hide a weak one."
    return (
        f"Overall {shown}: the {method} of the six gaps, so the weakest ({lowest.label}, "
        f"{display.score_text(lowest.score)}) pulls it down most."
    )


def measured_lines(
    result: ScoreResult, model: ReadinessModel | None = None, gaps: Sequence[str] = GAP_IDS
) -> list[str]:
    """The pilot's measured metrics (of ``gaps``), one line each, wherever a pilot is shown (Pilot page, deck,
    HTML report): ``p95 latency vs budget: 2.4 s vs budget 3 s (ratio 0.80), measured from run.csv, …``."""
    model = model or load_model()
    return [
        f"{model.item_label(item.id)}: {item.display}, {item.source}"
        for gap in gaps
        for item in result.gaps[gap].items
        if item.evidence == "measured" and item.source
    ]


def measured_sources(result: ScoreResult, model: ReadinessModel | None = None) -> list[str]:
    """The pilot's measured metrics grouped by the evidence they come from, one line per evidence set, source
    first (deck, HTML report): ``Measured from run.csv, 2026-11-27 19:20–19:25 UTC, 48,210 requests:
    p95 latency vs budget 1.3 s vs budget 3 s (ratio 0.43); Error rate at peak 1.244%``."""
    model = model or load_model()
    by_source: dict[str, list[str]] = {}
    for gap in GAP_IDS:
        for item in result.gaps[gap].items:
            if item.evidence == "measured" and item.source:
                by_source.setdefault(item.source, []).append(f"{model.item_label(item.id)} {item.display}")
    return [f"{source[:1].upper()}{source[1:]}: {'; '.join(values)}" for source, values in by_source.items()]
