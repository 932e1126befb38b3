"""Compare: 2-8 pilots side by side, the portfolio at two dates with the deltas, one pilot over time."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.model import GAP_IDS
from readiness.scoring import VERDICT_LABELS
from readiness.service.portfolio import review_order
from ui import (
    apply_filters,
    compare_picker,
    empty_state,
    guarded,
    is_database_empty,
    latest_portfolio,
    portfolio_on,
    render_chart,
    scored_history,
    selected_pilot,
)


def gap_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Pilots as rows, verdict, overall and the six gap scores as columns."""
    table = pd.DataFrame({"Pilot": rows["pilot"], "Verdict": rows["verdict"].map(VERDICT_LABELS),
                          "Overall": rows["overall"].map(display.score_number)})  # fmt: skip
    for gap in GAP_IDS:
        table[charts.SHORT_GAP_LABELS[gap]] = rows[f"score.{gap}"].map(display.score_number)
    return table


def side_by_side(latest: pd.DataFrame) -> None:
    names = latest["pilot"].tolist()
    worst = review_order(latest)[:3]
    chosen = compare_picker(names, default=worst)
    if len(chosen) < 2:
        st.info("Choose at least two pilots to compare.")
        return
    rows = latest.set_index("pilot").loc[chosen].reset_index()
    # The table spans the page so every gap column shows; the radar sits centred below it.
    table = gap_table(rows)
    columns = {c: st.column_config.NumberColumn(c, format="%d") for c in table.columns[2:]}
    st.dataframe(table, hide_index=True, width="stretch", column_config=columns)
    _, middle, _ = st.columns([1, 3, 1])
    with middle:
        render_chart(charts.compare_radar(rows, title=None), key="compare_radar")


def two_dates(history: pd.DataFrame) -> None:
    dates = pd.to_datetime(history["as_of"])
    first, last = dates.min().date(), dates.max().date()
    default_before = max(first, (pd.Timestamp(last) - pd.DateOffset(months=6)).date())
    left, right, _ = st.columns([1, 1, 2])
    before_day: date = left.date_input("From", value=default_before, min_value=first, max_value=last, key="cmp.from")
    after_day: date = right.date_input("To", value=last, min_value=first, max_value=last, key="cmp.to")
    if before_day >= after_day:
        st.warning("Choose a “From” date before the “To” date.")
        return
    before, after = apply_filters(portfolio_on(before_day)), apply_filters(portfolio_on(after_day))
    if after.empty:
        st.info(f"No pilot had been assessed by {after_day:%d %b %Y}.")
        return
    title = f"{before_day:%d %b %Y} → {after_day:%d %b %Y}"
    render_chart(charts.delta_heatmap(before, after, title=title), key="delta")
    st.caption("Each cell: the score on the later date and its change (▲ better, ▼ worse, = unchanged, new).")


def one_pilot(history: pd.DataFrame, names: list[str]) -> None:
    current = selected_pilot()
    name = st.selectbox("Pilot", names, index=names.index(current) if current in names else 0, key="cmp.pilot")
    own = history[history["pilot"] == name]
    render_chart(charts.snapshot_heatmap(own, title=None), key="snapshots")
    render_chart(charts.trend_figure(own), key="snapshot_trend")


def body() -> None:
    st.title("Compare")
    if is_database_empty():
        empty_state()
        return
    latest = apply_filters(latest_portfolio())
    history = scored_history()
    if latest.empty:
        st.warning("No pilot matches the filters in the sidebar.")
        return
    st.subheader("Pilots side by side")
    side_by_side(latest)
    st.subheader("The portfolio at two dates")
    two_dates(history)
    st.subheader("One pilot's snapshots over time")
    one_pilot(history, latest["pilot"].tolist())


with guarded("the comparison"):
    body()
