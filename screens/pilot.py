"""Pilot: one pilot's verdict and why, its six gaps and the items behind them, compound risks, what to fix
next, and how it moved over time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.assessment import match_name
from readiness.model import GAP_IDS, load_model
from readiness.scoring import EVIDENCE_WORDS, VERDICT_LABELS, ScoreResult
from readiness.service import portfolio as service_portfolio
from readiness.service.sensitivity import outcomes_text, pilot_band_note
from ui import (
    PILOT_PARAM,
    cached_figure,
    empty_state,
    explained_score,
    guarded,
    is_database_empty,
    latest_portfolio,
    lazy_expander,
    pilot_names_cached,
    pilot_picker,
    pilot_recent_cached,
    pilot_scored_history,
    plain,
    portfolio_sensitivity,
    render_chart,
)
from ui.evidence import evidence_section

SHOWN_REASONS = 4


def verdict_banner(result: ScoreResult) -> None:
    """The verdict in colour, glyph and words, with overall score and confidence, overall explained in one
    line, then the reasons in plain words (items named by their short labels)."""
    color = charts.VERDICT_COLORS[result.verdict]
    st.markdown(
        f"<div style='border-left:6px solid {color};padding:0.4rem 0 0.4rem 0.9rem;margin-bottom:0.5rem'>"
        f"<span style='font-size:1.6rem;font-weight:700;color:{color}'>{charts.verdict_label(result.verdict)}</span>"
        f"<span style='color:#6b7280;margin-left:1rem'>overall {display.score_text(result.overall)} / 100 · "
        f"confidence {display.confidence_text(result.overall_confidence)} · weakest gap "
        f"{charts.gap_labels()[result.weakest_gap]}</span></div>",
        unsafe_allow_html=True,
    )
    st.caption(service_portfolio.overall_explained(result, load_model()))
    reasons = result.plain_reasons or result.reasons
    for reason in reasons[:SHOWN_REASONS]:
        st.markdown(f"- {reason}")
    if len(reasons) > SHOWN_REASONS:  # a pilot weak everywhere: the first few, the rest a click away
        with st.expander(f"{len(reasons) - SHOWN_REASONS} more reasons"):
            for reason in reasons[SHOWN_REASONS:]:
                st.markdown(f"- {reason}")
    for flag in result.flags:
        st.warning(plain(flag.message), icon=":material/flag:")


def sensitivity_note(name: str) -> None:
    """When the verdict depends on the method, why and the overall and verdict under each; when a 5-point move of
    the thresholds would change it, which way. Nothing for a pilot that is neither."""
    found = portfolio_sensitivity()
    method, band = found.method.of(name), pilot_band_note(found, name)
    if method is not None:
        lines = [f"**Method-sensitive.** {plain(method.reason)}", plain(outcomes_text(method))]
        st.info("  \n".join([*lines, plain(band)] if band else lines), icon=":material/balance:")
    elif band:
        st.caption(f":material/straighten: {plain(band)}")


def gap_cards(result: ScoreResult) -> None:
    """One card per gap: score on the readiness colour, confidence, and its weakest item in words."""
    labels = charts.item_short_labels(load_model())
    for k, gap in enumerate(GAP_IDS):
        if k % 3 == 0:  # two rows of three, so that the cards of a row line up
            columns = st.columns(3)
        score = result.gaps[gap]
        color = charts.score_color(score.score)
        weakest = [labels.get(a.item, a.item) for a in result.remediation if a.gap == gap][:1]
        with columns[k % 3].container(border=True, height="stretch"):
            st.markdown(
                f"<div style='display:flex;justify-content:space-between;align-items:center;gap:0.5rem'>"
                f"<b>{score.label}</b><span style='background:{color};color:{charts.text_color_on(color)};"
                "padding:0.1rem 0.6rem;border-radius:4px;font-weight:700'>"
                f"{display.score_text(score.score)}</span></div>"
                f"<div style='color:#6b7280;font-size:0.85rem'>confidence {display.confidence_text(score.confidence)}"
                f"{' · weakest: ' + ', '.join(weakest) if weakest else ' · nothing left to fix'}</div>",
                unsafe_allow_html=True,
            )


def items_behind(result: ScoreResult) -> None:
    """The drill-down, full width: one tab per gap with the items behind its score, readable without
    scrolling sideways on a laptop (the IDs, for analysts, in the last column). Only the open tab's table is
    made and sent: a click on another tab asks the server for it, instead of six tables converted and sent at
    every rerun of the page, five of them unseen."""
    st.markdown("**Items behind each score**")
    shorts = charts.short_gap_labels()
    tabs = st.tabs([shorts[g] for g in GAP_IDS], key="pilot.gap_tab", on_change="rerun")
    for gap, tab in zip(GAP_IDS, tabs, strict=True):
        if not tab.open:
            continue
        with tab:
            st.dataframe(items_table(result, gap), hide_index=True, width="stretch", column_config=ITEM_COLUMNS)
            for line in service_portfolio.measured_lines(result, load_model(), [gap]):
                st.caption(plain(f"Measured · {line}"))


ITEM_COLUMNS = {
    "Item": st.column_config.TextColumn("Item"),
    "Answer / value": st.column_config.TextColumn("Answer / value"),
    "Target": st.column_config.TextColumn("Target"),
    "Points lost": st.column_config.NumberColumn("Points lost", format="%.1f",
                                                 help="Points of the gap score this item costs (they add up to "
                                                      "100 minus the score)"),
    "Evidence": st.column_config.TextColumn("Evidence", help="Measured (computed by Readiness from an evidence "
                                            "file, named under the table), documented (with a reference) or "
                                            "self-reported (typed with none)"),
    "ID": st.column_config.TextColumn("ID"),
}  # fmt: skip


def items_table(result: ScoreResult, gap: str) -> pd.DataFrame:
    """The answers and metrics of one gap: short label, answer or value, target, the points of the gap score
    it costs (the core's ``gap_gain`` of its fix), evidence, and the ID last."""
    model = load_model()
    fixes = {a.item: a for a in result.remediation}
    rows = []
    for item in result.gaps[gap].items:
        fix = fixes.get(item.id)
        if not item.counted:
            target, lost = "left out", None
        elif fix is not None:
            target, lost = fix.target.removeprefix("green: "), display.floor_to(fix.gap_gain, 1)
        else:
            target, lost = "met", 0.0
        rows.append({"Item": model.item_label(item.id), "Answer / value": item.display, "Target": target,
                     "Points lost": lost, "Evidence": EVIDENCE_WORDS[item.evidence], "ID": item.id})  # fmt: skip
    return pd.DataFrame(rows, columns=list(ITEM_COLUMNS))


def risks(result: ScoreResult) -> None:
    """Compound risks as plain chains with their severity in words (the 6 × 6 matrix, for analysts, is
    :func:`risk_matrix`)."""
    st.markdown("**Compound risks**")
    stories = {r.id: r.chain for r in result.compound_risks}
    if not result.chains:
        st.markdown(":green-badge[None active] no two linked gaps are both weak.")
    for chain in result.chains:
        story = "; ".join(stories[e] for e in chain.edges if e in stories)
        badge = ":red-badge[Critical]" if chain.critical else ":orange-badge[Active]"
        with st.container(border=True):
            st.markdown(f"{badge} **{chain.text}** — {story}")
    st.caption("A compound risk is two linked gaps weak together: each makes the other worse (critical: both "
               f"below {display.threshold_text(load_model().compound.critical_below)}).")  # fmt: skip


def risk_matrix(result: ScoreResult) -> None:
    """The 6 × 6 interaction matrix for analysts, full width (in a half column its six labels collide), made and
    sent only once the expander is opened."""
    lazy_expander("The interaction matrix (for analysts)", "pilot.matrix", lambda: matrix_chart(result))


def matrix_chart(result: ScoreResult) -> None:
    """The interaction matrix itself, built once per pilot snapshot."""
    fig = cached_figure("compound", (result.pilot, str(result.as_of)),
                        lambda: charts.compound_risk_heatmap(result, title=None), pilot=result.pilot)  # fmt: skip
    render_chart(fig, key="compound")


def remediation(result: ScoreResult) -> None:
    """The path to the next verdict, then the ten fixes that add the most points, in short labels."""
    model = load_model()
    shorts = charts.short_gap_labels(model)
    gap_of = {a.item: a.gap for a in result.remediation}
    path = result.path_to_next_verdict
    st.markdown(f"**Path to the next verdict.** {path.note}")
    if path.items:
        steps = [model.item_label(item) + (f" ({shorts[gap_of[item]]})" if item in gap_of else "")
                 for item in path.items]  # fmt: skip
        st.markdown("\n".join(f"1. {step}" for step in steps))
    table = pd.DataFrame([{"Fix": model.item_label(a.item), "Gap": shorts.get(a.gap, a.gap), "Now": a.current,
                           "Target": a.target.removeprefix("green: "), "Overall +": display.gain_text(a.gain),
                           "Gap +": display.gain_text(a.gap_gain)}
                          for a in result.remediation[:10]])  # fmt: skip
    if not table.empty:
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"Overall +": st.column_config.TextColumn("Overall +", help="Points of overall "
                                                                             "readiness this fix adds on its own"),
                                    "Gap +": st.column_config.TextColumn("Gap +", help="Points of its gap's score "
                                                                         "this fix adds")})  # fmt: skip


def changes(now: ScoreResult, before: ScoreResult) -> pd.DataFrame:
    """Answers and metrics that differ between two snapshots, named by their short labels."""
    model = load_model()
    rows = []
    for gap in GAP_IDS:
        old = {i.id: i for i in before.gaps[gap].items}
        for item in now.gaps[gap].items:
            previous = old.get(item.id)
            if previous is not None and previous.display != item.display:
                rows.append({"Gap": charts.SHORT_GAP_LABELS[gap], "Item": model.item_label(item.id),
                             "Before": previous.display, "Now": item.display})  # fmt: skip
    return pd.DataFrame(rows)


def what_changed(now: ScoreResult, before: ScoreResult | None) -> None:
    if before is None:
        st.caption("This is the pilot's first snapshot: nothing to compare with yet.")
        return
    moved = service_portfolio.what_changed(now, before)
    overall = moved.pop()
    moves = [f"{c.label} {display.score_text(c.before)} → {display.score_text(c.after)}" for c in moved if c.delta]
    verdict = (f"verdict {VERDICT_LABELS[before.verdict]} → {VERDICT_LABELS[now.verdict]}; "
               if before.verdict != now.verdict else "")  # fmt: skip
    st.markdown(f"Since {before.as_of:%d %b %Y}: {verdict}overall {display.score_text(overall.before)} → "
                f"{display.score_text(overall.after)}{'; ' + ', '.join(moves) if moves else ''}.")  # fmt: skip
    table = changes(now, before)
    if table.empty:
        st.caption("No answer or metric changed.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")


def follow_linked_name(names: list[str]) -> None:
    """``?pilot=`` naming a registered pilot in another spelling (``claims triage`` for ``Claims triage``,
    same :func:`~readiness.assessment.name_key`) opens that pilot: the link is set to the registered name
    before the picker reads it."""
    wanted = st.query_params.get(PILOT_PARAM)
    if wanted and wanted not in names:
        match = match_name(wanted, names)
        if match is not None:
            st.session_state[PILOT_PARAM] = match
            st.query_params[PILOT_PARAM] = match


def body() -> None:
    if is_database_empty():
        st.title("Pilot", anchor=False)
        empty_state()
        return
    names = pilot_names_cached()
    follow_linked_name(names)
    with st.columns([2, 3])[0]:
        name = pilot_picker(names)
    if not name:
        st.info("Choose a pilot above, or click a cell of the portfolio heatmap.")
        return
    recent = pilot_recent_cached(name)
    if recent is None:
        st.info(f"{plain(name)} has no assessment yet.")
        return
    latest, previous = recent.latest, recent.previous
    result = explained_score(name, latest.snapshot_id)
    before = explained_score(name, previous.snapshot_id) if previous else None
    context = latest.assessment.pilot
    st.title(plain(name), anchor=False)
    # Names, teams and e-mail addresses are user text: escaped, so that they show exactly as typed.
    by = latest.assessment.submitted_by
    facts = [context.business_unit and plain(context.business_unit), context.owning_team and plain(context.owning_team),
             f"stage: {context.stage}", context.executive_sponsor and f"sponsor: {plain(context.executive_sponsor)}",
             result.months_in_pilot is not None and f"{display.months_text(result.months_in_pilot)} months since start",
             f"assessed {latest.assessment.as_of:%d %b %Y}" + (f" by {plain(by)}" if by else "")]  # fmt: skip
    st.caption(" · ".join(str(f) for f in facts if f))
    other_models = recent.other_models()
    if other_models:
        st.info(f"Some snapshots were issued under model {', '.join(other_models)}; every score here is recomputed "
                f"with the current model {load_model().version}.", icon=":material/info:")  # fmt: skip
    verdict_banner(result)
    sensitivity_note(name)
    left, right = st.columns(2)
    with left:
        prev = charts.gap_scores_of(before) if before else None
        radar = cached_figure("radar", (name,), lambda: charts.pilot_radar(
            charts.gap_scores_of(result), prev, service_portfolio.median_gap_scores(latest_portfolio())))  # fmt: skip
        render_chart(radar, key="radar")
    with right:
        risks(result)
    risk_matrix(result)
    st.subheader("The six gaps", anchor=False)
    gap_cards(result)
    items_behind(result)
    evidence_section(name, context)
    st.subheader("What to fix", anchor=False)
    remediation(result)
    st.subheader("Over time", anchor=False)
    trend = cached_figure("trend", (name,), lambda: charts.trend_figure(pilot_scored_history(name)), pilot=name)
    render_chart(trend, key="trend")
    st.markdown("**What changed since the previous snapshot**")
    what_changed(result, before)


with guarded("this pilot"):
    body()
