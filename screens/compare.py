"""Compare: 2-8 pilots side by side, the portfolio at two dates with the deltas, one pilot over time."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.assessment import match_name
from readiness.model import GAP_IDS, load_model
from readiness.scoring import VERDICT_LABELS
from readiness.service.portfolio import MAX_SHOWN, least_ready, review_order
from ui import (
    cached_figure,
    cached_value,
    compare_picker,
    empty_state,
    filtered_portfolio,
    filtered_portfolio_on,
    filters_key,
    guarded,
    is_database_empty,
    pilot_scored_history,
    plain,
    render_chart,
    scored_history,
    searchable,
    selected_pilot,
)

ROW_LIMITS = {"40": "40 least ready", "100": "100 least ready", str(MAX_SHOWN): f"{MAX_SHOWN} least ready"}


def gap_table(rows: pd.DataFrame, stale: pd.Series | None = None) -> pd.DataFrame:
    """Pilots as rows, verdict, overall and the six gap scores as columns; a pilot whose assessment is stale
    (``stale``, from :func:`readiness.charts.stale_mask`) is marked ``◷`` beside its name."""
    old = stale.reindex(rows.index, fill_value=False) if stale is not None else pd.Series(False, index=rows.index)
    marks = [f" {charts.STALE_GLYPH}" if is_old else "" for is_old in old]
    names = [f"{name}{mark}" for name, mark in zip(rows["pilot"], marks, strict=True)]
    table = pd.DataFrame({"Pilot": names, "Verdict": rows["verdict"].map(VERDICT_LABELS).to_numpy(),
                          "Overall": rows["overall"].map(display.score_number).to_numpy()})  # fmt: skip
    for gap in GAP_IDS:
        table[charts.SHORT_GAP_LABELS[gap]] = rows[f"score.{gap}"].map(display.score_number).to_numpy()
    return table


def overall_rule() -> str:
    """How overall readiness is made, in one line (the model's default aggregator)."""
    model = load_model()
    aggregator = model.aggregator(model.scoring.default_aggregator)
    return f"Overall is the {aggregator.label.lower()} of the six gaps. {aggregator.description}"


def side_by_side(latest: pd.DataFrame) -> None:
    names = latest["pilot"].tolist()
    worst = cached_value("least_ready_names", filters_key(), lambda: review_order(latest)[:3], of=latest)
    chosen = compare_picker(names, default=worst)
    if len(chosen) < 2:
        st.info("Choose at least two pilots to compare.")
        return
    stale = cached_value("stale", filters_key(), lambda: charts.stale_mask(latest), of=latest)
    positions = {name: k for k, name in enumerate(latest["pilot"])}
    rows = latest.iloc[[positions[name] for name in chosen]]
    # The table spans the page so every gap column shows; the radar sits centred below it.
    table = gap_table(rows, stale)
    columns = {c: st.column_config.NumberColumn(c, format="%d") for c in table.columns[2:]}
    st.dataframe(table, hide_index=True, width="stretch", column_config=columns)
    notes = [overall_rule()]
    old = rows[stale.reindex(rows.index, fill_value=False).to_numpy(bool)]
    if len(old):
        months = load_model().scoring.stale_after_months
        pairs = zip(old["pilot"], old["as_of"], strict=True)
        dates = ", ".join(f"{plain(name)} ({charts.month_text(day)})" for name, day in pairs)
        notes.append(f"{charts.STALE_GLYPH} Last assessed more than {display.count_text(months, 'month')} before "
                     f"the newest assessment in view: {dates}.")  # fmt: skip
    st.caption(" ".join(notes))
    rows = rows.reset_index(drop=True)
    _, middle, _ = st.columns([1, 3, 1])
    with middle:
        radar = cached_figure("compare_radar", (tuple(chosen), filters_key()),
                              lambda: charts.compare_radar(rows, title=None), of=rows)  # fmt: skip
        render_chart(radar, key="compare_radar")


def history_span() -> tuple[date, date]:
    """The first and the last date of the stored history."""
    dates = pd.to_datetime(scored_history()["as_of"])
    return dates.min().date(), dates.max().date()


def two_dates() -> None:
    first, last = cached_value("history_span", (), history_span)
    default_before = max(first, (pd.Timestamp(last) - pd.DateOffset(months=6)).date())
    left, right, rows_box, _ = st.columns([1, 1, 1, 1])
    before_day: date = left.date_input("From", value=default_before, min_value=first, max_value=last, key="cmp.from")
    after_day: date = right.date_input("To", value=last, min_value=first, max_value=last, key="cmp.to")
    limit = rows_box.selectbox("Show", list(ROW_LIMITS), format_func=ROW_LIMITS.get, key="cmp.limit")
    if before_day >= after_day:
        st.warning("Choose a “From” date before the “To” date.")
        return
    before, after = filtered_portfolio_on(before_day), filtered_portfolio_on(after_day)
    if after.empty:
        st.info(f"No pilot had been assessed by {after_day:%d %b %Y}.")
        return
    title = f"{before_day:%d %b %Y} → {after_day:%d %b %Y}"
    # The delta heatmap draws its rows in review order itself.
    shown = cached_value("least_ready_on", (after_day, limit, filters_key()),
                         lambda: least_ready(after, int(limit or MAX_SHOWN)), of=after)  # fmt: skip
    delta = cached_figure("delta", (before_day, after_day, limit, filters_key()),
                          lambda: charts.delta_heatmap(before, shown, title=title), of=(before, shown))  # fmt: skip
    render_chart(delta, key="delta")
    more = f" Showing the {len(shown)} least ready of {len(after)} pilots." if len(shown) < len(after) else ""
    st.caption(f"Each cell: the score on the later date and its change (▲ better, ▼ worse, = unchanged, new).{more}")


def one_pilot(names: list[str]) -> None:
    current = selected_pilot()
    current = match_name(current, names) if current else None  # any spelling of a registered name
    options = searchable(names, "cmp.pilot.search", keep=[st.session_state.get("cmp.pilot"), current])
    if not options:
        return
    name = st.selectbox("Pilot", options, index=options.index(current) if current in options else 0, key="cmp.pilot")
    heatmap = cached_figure("snapshots", (name,), lambda: charts.snapshot_heatmap(pilot_scored_history(name),
                                                                                  title=None), pilot=name)  # fmt: skip
    render_chart(heatmap, key="snapshots")
    # The Pilot page's trend of this pilot: the same figure, built once for both pages.
    trend = cached_figure("trend", (name,), lambda: charts.trend_figure(pilot_scored_history(name)), pilot=name)
    render_chart(trend, key="snapshot_trend")


def body() -> None:
    st.title("Compare", anchor=False)
    if is_database_empty():
        empty_state()
        return
    latest = filtered_portfolio()
    if latest.empty:
        st.warning("No pilot matches the filters in the sidebar.")
        return
    st.subheader("Pilots side by side", anchor=False)
    side_by_side(latest)
    st.subheader("The portfolio at two dates", anchor=False)
    two_dates()
    st.subheader("One pilot's snapshots over time", anchor=False)
    one_pilot(latest["pilot"].tolist())


with guarded("the comparison"):
    body()
