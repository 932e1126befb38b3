"""Portfolio: the whole pilot portfolio in ten seconds — KPIs, the pilots × gaps heatmap, value × readiness."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.model import load_model
from readiness.portfolio import sort_portfolio
from readiness.service.portfolio import PortfolioStats, ready_sentence, weakest_gap_sentence
from ui import (
    apply_filters,
    cached_figure,
    empty_state,
    filters_key,
    guarded,
    is_database_empty,
    latest_portfolio,
    open_pilot,
    portfolio_stats,
    render_chart,
)

SORTS = {"readiness": "Least ready first", "risk": "Most compound risk first", "name": "Name"}
ROW_LIMITS = {"40": "40 pilots", "100": "100 pilots", "all": "All pilots"}


def kpi_tiles(stats: PortfolioStats) -> None:
    """Five headline numbers with their references (Gartner's 48 % ready, 8 months in pilot)."""
    ready, conditional, not_ready = (stats.by_verdict[v] for v in ("ready", "conditional", "not_ready"))
    share = display.floor_to(stats.ready_share or 0.0)
    gartner = stats.gartner_ready_share
    tiles = st.columns(5, border=True)
    versus_gartner = f"{display.percent_text(stats.ready_share)} · Gartner {display.threshold_text(gartner)}%"
    tiles[0].metric("Ready for production", f"{ready} of {stats.pilots}", versus_gartner,
                    delta_color="normal" if share >= gartner else "inverse",
                    delta_arrow="up" if share >= gartner else "down",
                    help="Share of pilots whose verdict is ready, against Gartner's 48% of AI prototypes.")  # fmt: skip
    tiles[1].metric("Not ready", not_ready, f"{conditional} conditional", delta_color="off", delta_arrow="off",
                    help="Not ready: a blocker (seed rule, a gap below 40, a critical compound risk).")  # fmt: skip
    median, limit = stats.median_months_in_pilot, stats.stalled_after_months
    versus = (
        None if median is None else f"{display.floor_to(median, 1) - limit:+.1f} vs {display.threshold_text(limit)}"
    )
    tiles[2].metric("Months in pilot", display.months_text(median), versus, delta_color="inverse",
                    help="Median over pilots still in the pilot stage; Gartner: 8 months to production.")  # fmt: skip
    tiles[3].metric("Compound risks", stats.active_compound_risks, f"{stats.critical_compound_risks} critical",
                    delta_color="off", delta_arrow="off",
                    help=f"Active in {stats.pilots_with_compound_risk} pilots: linked gaps both weak.")  # fmt: skip
    tiles[4].metric("Stalled pilots", len(stats.stalled), f"in pilot > {display.threshold_text(limit)} months",
                    delta_color="off", delta_arrow="off")  # fmt: skip


def headline(stats: PortfolioStats) -> str:
    """The portfolio in two sentences: how many are ready, and the weakest gap (the deck's and report's words)."""
    return f"{ready_sentence(stats)} {weakest_gap_sentence(stats)}"


def heatmap(latest: pd.DataFrame) -> None:
    """The pilots × gaps heatmap, sortable; a click on a cell (or the picker) opens the pilot."""
    left, middle, right = st.columns([2, 1, 2], vertical_alignment="bottom")
    sort = left.segmented_control("Sort", list(SORTS), format_func=SORTS.get, default="readiness", key="portfolio.sort")
    limit = middle.selectbox("Show", list(ROW_LIMITS), format_func=ROW_LIMITS.get, key="portfolio.limit",
                             index=0 if len(latest) > 40 else 2)  # fmt: skip
    shown = sort_portfolio(latest, sort or "readiness")
    if limit != "all":
        shown = shown.head(int(limit))
    order = sort or "readiness"
    fig = cached_figure("heatmap", (filters_key(), order, limit),
                        lambda: charts.portfolio_heatmap(shown, load_model(), sort=order, title=None))  # fmt: skip
    choice = right.selectbox("Open a pilot", shown["pilot"].tolist(), index=None, placeholder="Choose a pilot…",
                             key="portfolio.open")  # fmt: skip
    if choice:
        open_pilot(choice)
    st.caption("Scores 0-100 per gap: below 40 blocks production, 70 and above is ready. Click a cell to open a pilot.")
    event = render_chart(fig, key="portfolio_heatmap", on_select="rerun", selection_mode="points")
    points = event.selection.points if event else []
    if points:
        clicked = points[0].get("customdata") or [points[0].get("y")]
        if clicked and clicked[0] in set(shown["pilot"]):
            open_pilot(clicked[0])
    if len(shown) < len(latest):
        st.caption(f"Showing {len(shown)} of {len(latest)} pilots.")


def body() -> None:
    st.title("AI pilot portfolio")
    if is_database_empty():
        empty_state()
        return
    everything = latest_portfolio()
    latest = apply_filters(everything)
    if latest.empty:
        st.warning("No pilot matches the filters in the sidebar. Clear a filter to see pilots again.")
        return
    as_of = pd.to_datetime(latest["as_of"]).max()
    scope = "" if len(latest) == len(everything) else f" · filtered: {len(latest)} of {len(everything)} pilots"
    st.caption(f"Latest assessment of each pilot, up to {as_of:%d %B %Y}{scope}")
    stats = portfolio_stats(latest)
    st.markdown(f"**{headline(stats)}**")
    kpi_tiles(stats)
    heatmap(latest)
    left, right = st.columns([3, 2])
    with left:
        if charts.has_value_data(latest):
            fig = cached_figure("value", filters_key(), lambda: charts.value_readiness_matrix(latest))
            render_chart(fig, key="value_matrix")
        else:
            st.info("No pilot reports its expected annual value and run cost yet, so the value matrix is empty.")
    with right:
        fig = cached_figure("verdicts", filters_key(), lambda: charts.verdict_distribution(latest))
        render_chart(fig, key="verdicts")


with guarded("the portfolio"):
    body()
