"""Portfolio: the whole pilot portfolio in ten seconds — KPIs, the pilots × gaps heatmap, value × readiness.

The heatmap shows at most ``MAX_SHOWN`` (200) pilots, the first of the chosen order, and a search box narrows
it to the pilots whose name contains the text typed (matched in :mod:`readiness.service.portfolio`), so a
store of thousands of pilots never sends thousands of rows or options to the browser.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.model import ReadinessModel, load_model
from readiness.scoring import VERDICT_LABELS
from readiness.service.portfolio import (
    MAX_SHOWN,
    PortfolioStats,
    highest_value,
    least_ready,
    names_text,
    ready_sentence,
    search_portfolio,
    shown_note,
    weakest_gap_sentence,
)
from readiness.service.sensitivity import (
    PortfolioSensitivity,
    band_rules_text,
    band_sentence,
    method_count_sentence,
)
from ui import (
    cached_figure,
    cached_value,
    empty_state,
    filtered_portfolio,
    filtered_stats,
    filters_key,
    guarded,
    is_database_empty,
    latest_portfolio,
    lazy_expander,
    open_pilot,
    plain,
    portfolio_sensitivity,
    render_chart,
)

SORTS = {"readiness": "Least ready first", "risk": "Most compound risk first", "name": "Name"}
ROW_LIMITS = {"40": "40 pilots", "100": "100 pilots", str(MAX_SHOWN): f"{MAX_SHOWN} pilots"}
SENTENCES_SHOWN = 3  # method-sensitive pilots whose sentence shows on the page; the rest are in the table


def kpi_tiles(stats: PortfolioStats) -> None:
    """Five headline numbers with their references (Gartner's 48 % ready, 8 months in pilot).

    Labels and deltas are a few words so that five tiles fit a laptop screen (1280 px) uncut; the help of
    each tile says the rest."""
    ready, conditional, not_ready = (stats.by_verdict[v] for v in ("ready", "conditional", "not_ready"))
    share = display.floor_to(stats.ready_share or 0.0)
    gartner, percent = display.threshold_text(stats.gartner_ready_share), display.percent_text(stats.ready_share)
    limit, months = stats.stalled_after_months, display.threshold_text(stats.stalled_after_months)
    above = share >= stats.gartner_ready_share
    tiles = st.columns(5, border=True)
    tiles[0].metric("Ready", percent, f"Gartner {gartner}%", delta_color="normal" if above else "inverse",
                    delta_arrow="up" if above else "down",
                    help=f"{ready} of {stats.pilots} pilots have a ready verdict ({percent}), against the {gartner}% "
                         "of AI prototypes that reach production (Gartner).")  # fmt: skip
    tiles[1].metric("Not ready", not_ready, f"{conditional} conditional", delta_color="off", delta_arrow="off",
                    help="Not ready: a blocker (seed rule, a gap below 40, a critical compound risk). "
                         f"{conditional} more are conditional.")  # fmt: skip
    median = stats.median_months_in_pilot
    versus = None if median is None else f"{display.floor_to(median, 1) - limit:+.1f} vs {months}"
    tiles[2].metric("In pilot", display.months_text(median), versus, delta_color="inverse",
                    help=f"Median months in the pilot stage, over pilots still in it; Gartner: {months} months to "
                         "production.")  # fmt: skip
    tiles[3].metric("Compound risks", stats.active_compound_risks, f"{stats.critical_compound_risks} critical",
                    delta_color="off", delta_arrow="off",
                    help=f"Active in {stats.pilots_with_compound_risk} pilots: two linked gaps both weak.")  # fmt: skip
    stalled = (f"In the pilot stage for more than {months} months: {plain(names_text(stats.stalled, 6))}."
               if stats.stalled else f"No pilot has been in the pilot stage over {months} months.")  # fmt: skip
    tiles[4].metric("Stalled", len(stats.stalled), f"> {months} months", delta_color="off", delta_arrow="off",
                    help=stalled)  # fmt: skip


def headline(stats: PortfolioStats) -> str:
    """The portfolio in two sentences: how many are ready, and the weakest gap (the deck's and report's words)."""
    return f"{ready_sentence(stats)} {weakest_gap_sentence(stats)}"


def overall_rule(model: ReadinessModel) -> str:
    """How the overall column is made, in one line (the default aggregator of the model)."""
    aggregator = model.aggregator(model.scoring.default_aggregator)
    return f"Overall is the {aggregator.label.lower()} of the six gaps. {aggregator.description}"


def heatmap(latest: pd.DataFrame) -> None:
    """The pilots × gaps heatmap, sortable, at most ``MAX_SHOWN`` pilots, narrowed by a search on the name; a
    click on a cell (or the picker) opens the pilot."""
    sort_box, limit_box, search_box, open_box = st.columns([1, 1, 1.2, 1.8], vertical_alignment="bottom")
    sort = sort_box.selectbox("Sort", list(SORTS), format_func=SORTS.get, key="portfolio.sort")
    limit = limit_box.selectbox("Show", list(ROW_LIMITS), format_func=ROW_LIMITS.get, key="portfolio.limit")
    query = search_box.text_input("Find pilots", key="portfolio.search", placeholder="Name contains…",
                                  help="Only the pilots whose name contains this text (any case).").strip()  # fmt: skip
    order = sort or "readiness"
    matching = cached_value("search", (filters_key(), query), lambda: search_portfolio(latest, query), of=latest)
    if matching.empty:
        st.info(f"No pilot name in view contains “{plain(query)}”. Change the search to see pilots again.")
        return
    shown = cached_value("least_ready", (filters_key(), query, order, limit),
                         lambda: least_ready(matching, int(limit or MAX_SHOWN), order), of=matching)  # fmt: skip
    fig = cached_figure("heatmap", (filters_key(), order, limit, query),
                        lambda: charts.portfolio_heatmap(shown, load_model(), sort=order, title=None),
                        of=shown)  # fmt: skip
    choice = open_box.selectbox("Open a pilot", shown["pilot"].tolist(), index=None, placeholder="Choose a pilot…",
                                key="portfolio.open")  # fmt: skip
    if choice:
        open_pilot(choice)
    st.caption("Scores 0-100 per gap: below 40 blocks production, 70 and above is ready. "
               f"{overall_rule(load_model())} Click a cell to open a pilot.")  # fmt: skip
    event = render_chart(fig, key="portfolio_heatmap", on_select="rerun", selection_mode="points")
    points = event.selection.points if event else []
    if points:
        clicked = points[0].get("customdata") or [points[0].get("y")]
        if clicked and clicked[0] in set(shown["pilot"]):
            open_pilot(clicked[0])
    found = f" Pilots whose name contains “{plain(query)}”: {len(matching):,} of {len(latest):,}." if query else ""
    if len(shown) < len(matching) or query:
        st.caption(f"{shown_note(len(shown), len(matching), order)}{found}".strip())
    stale_assessments(latest)


def stale_assessments(latest: pd.DataFrame) -> None:
    """The pilots whose latest assessment is stale (``charts.stale_mask``), marked ◷ on the heatmap: how many,
    and a table of them with the date of their last assessment."""
    model = load_model()
    stale = cached_value("stale_rows", filters_key(), lambda: latest[charts.stale_mask(latest, model)], of=latest)
    if stale.empty:
        return
    months = model.scoring.stale_after_months
    newest = cached_value("newest", filters_key(), lambda: pd.to_datetime(latest["as_of"]).max(), of=latest)
    count, age = display.count_text(len(stale), "pilot"), display.count_text(months, "month")
    st.caption(f"{charts.STALE_GLYPH} {count} last assessed more than {age} before {newest:%d %b %Y}: "
               "scores may be out of date.")  # fmt: skip
    lazy_expander(f"Stale assessments ({len(stale)})", "portfolio.stale", lambda: stale_list(stale))


def stale_list(stale: pd.DataFrame) -> None:
    """The stale pilots in a table, assessed longest ago first (the first ``MAX_SHOWN``)."""
    ordered = stale.sort_values("as_of", kind="stable").head(MAX_SHOWN)
    if len(stale) > MAX_SHOWN:
        st.caption(f"The {MAX_SHOWN} assessed longest ago of {len(stale):,}.")
    st.dataframe(pd.DataFrame({"Pilot": ordered["pilot"].astype(str),
                               "Last assessed": pd.to_datetime(ordered["as_of"]).dt.strftime("%d %b %Y"),
                               "Verdict": ordered["verdict"].map(VERDICT_LABELS),
                               "Business unit": ordered["business_unit"].astype(str)}),
                 hide_index=True, width="stretch")  # fmt: skip


def sensitivity_notes(latest: pd.DataFrame) -> None:
    """The pilots whose verdict depends on the method (each with its sentence, the first few on the page), and
    those a 5-point move of the thresholds would change (a click away)."""
    found = cached_value("sensitivity.view", filters_key(),
                         lambda: portfolio_sensitivity().within(set(latest["pilot"])), of=latest)  # fmt: skip
    method = found.sensitive
    st.markdown(f":material/balance: **Method-sensitive.** {method_count_sentence(found)}")
    for pilot in method[:SENTENCES_SHOWN]:
        st.caption(f"**{plain(pilot.pilot)}**: {plain(pilot.reason)}")  # the pilot's name is user text
    if len(method) > SENTENCES_SHOWN:
        lazy_expander(f"Every method-sensitive pilot ({len(method):,})", "portfolio.method", lambda: method_list(found))
    if found.close:
        lazy_expander(band_sentence(found), "portfolio.band", lambda: band_list(found), icon=":material/straighten:")
    else:
        st.caption(band_sentence(found))


def method_list(found: PortfolioSensitivity) -> None:
    """Every method-sensitive pilot in a table (the first ``MAX_SHOWN``)."""
    if len(found.sensitive) > MAX_SHOWN:
        st.caption(f"The first {MAX_SHOWN} by name of {len(found.sensitive):,}.")
    bar = display.threshold_text(load_model().verdict.ready_overall_at_least)
    weakest = st.column_config.TextColumn(help=f"The weakest link is this gap's score; ready needs an overall of "
                                               f"at least {bar}.")  # fmt: skip
    st.dataframe(method_table(found), hide_index=True, width="stretch", column_config={"Weakest gap": weakest})


def band_list(found: PortfolioSensitivity) -> None:
    """The pilots close to a threshold in a table (the first ``MAX_SHOWN``), under the band's rules."""
    st.caption(band_rules_text(found))
    if len(found.close) > MAX_SHOWN:
        st.caption(f"The first {MAX_SHOWN} by name of {len(found.close):,}.")
    st.dataframe(band_table(found), hide_index=True, width="stretch")


def method_table(found: PortfolioSensitivity) -> pd.DataFrame:
    """The method-sensitive pilots (at most ``MAX_SHOWN``): overall and verdict under each method, and the weakest
    gap that holds the weakest link below the ready bar (the sentence's reason, short enough for a cell)."""
    rows = [{"Pilot": p.pilot,
             **{o.label: f"{display.score_text(o.overall)} · {VERDICT_LABELS[o.verdict]}" for o in p.outcomes},
             "Weakest gap": f"{p.weakest_label} {display.score_text(p.weakest_score)}"}
            for p in found.sensitive[:MAX_SHOWN]]  # fmt: skip
    return pd.DataFrame(rows)


def band_table(found: PortfolioSensitivity) -> pd.DataFrame:
    """The pilots close to a threshold (at most ``MAX_SHOWN``): the verdict now and with the thresholds moved."""
    points = display.threshold_text(found.band.points)
    return pd.DataFrame([{"Pilot": p.pilot, "Verdict": VERDICT_LABELS[p.verdict],
                          f"{points} points stricter": VERDICT_LABELS[p.stricter],
                          f"{points} points looser": VERDICT_LABELS[p.looser]}
                         for p in found.close[:MAX_SHOWN]])  # fmt: skip


def body() -> None:
    st.title("AI pilot portfolio", anchor=False)
    if is_database_empty():
        empty_state()
        return
    everything = latest_portfolio()
    latest = filtered_portfolio()
    if latest.empty:
        st.warning("No pilot matches the filters in the sidebar. Clear a filter to see pilots again.")
        return
    as_of = cached_value("newest", filters_key(), lambda: pd.to_datetime(latest["as_of"]).max(), of=latest)
    scope = "" if len(latest) == len(everything) else f" · filtered: {len(latest)} of {len(everything)} pilots"
    st.caption(f"Latest assessment of each pilot, up to {as_of:%d %B %Y}{scope}")
    stats = filtered_stats()
    st.markdown(f"**{headline(stats)}**")
    kpi_tiles(stats)
    heatmap(latest)
    sensitivity_notes(latest)
    left, right = st.columns([3, 2])
    with left:
        if cached_value("has_value", filters_key(), lambda: charts.has_value_data(latest), of=latest):
            # Thousands of bubbles would be unreadable, and heavy.
            valued = cached_value("highest_value", filters_key(), lambda: highest_value(latest, MAX_SHOWN), of=latest)
            fig = cached_figure("value", filters_key(), lambda: charts.value_readiness_matrix(valued), of=valued)
            render_chart(fig, key="value_matrix")
            st.caption("Named: the highest-value pilots and the highest-value ones that are not ready. "
                       "Point at any bubble for its pilot, value and run cost. "
                       f"{shown_note(len(valued), len(latest), 'value')}".strip())  # fmt: skip
        else:
            st.info("No pilot reports its expected annual value and run cost yet, so the value matrix is empty.")
    with right:
        counts = cached_value("verdict_counts", filters_key(), lambda: charts.verdict_counts(latest), of=latest)
        fig = cached_figure("verdicts", filters_key(), lambda: charts.verdict_bars(counts), of=counts)
        render_chart(fig, key="verdicts")


with guarded("the portfolio"):
    body()
