"""Pilot: one pilot's verdict and why, its six gaps and the items behind them, compound risks, what to fix
next, and how it moved over time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.model import GAP_IDS, load_model
from readiness.scoring import VERDICT_LABELS, ScoreResult
from readiness.service import portfolio as service_portfolio
from ui import (
    cached_figure,
    empty_state,
    explained_score,
    guarded,
    is_database_empty,
    latest_portfolio,
    pilot_history_cached,
    pilot_names_cached,
    pilot_picker,
    pilot_scored_history,
    render_chart,
)

EVIDENCE_WORDS = {"measured": "measured", "documented": "documented", "self_reported": "self-reported",
                  "unknown": "unknown", "missing": "missing", "n_a": "n/a"}  # fmt: skip


def verdict_banner(result: ScoreResult) -> None:
    """The verdict in colour, glyph and words, with overall score and confidence, then its reasons."""
    color = charts.VERDICT_COLORS[result.verdict]
    st.markdown(
        f"<div style='border-left:6px solid {color};padding:0.4rem 0 0.4rem 0.9rem;margin-bottom:0.5rem'>"
        f"<span style='font-size:1.6rem;font-weight:700;color:{color}'>{charts.verdict_label(result.verdict)}</span>"
        f"<span style='color:#6b7280;margin-left:1rem'>overall {display.score_text(result.overall)} / 100 · "
        f"confidence {display.confidence_text(result.overall_confidence)} · weakest gap "
        f"{charts.gap_labels()[result.weakest_gap]}</span></div>",
        unsafe_allow_html=True,
    )
    for reason in result.reasons:
        st.markdown(f"- {reason}")
    for flag in result.flags:
        st.warning(flag.message, icon=":material/flag:")


def gap_cards(result: ScoreResult) -> None:
    """One card per gap: score on the readiness colour, confidence, and the items that make it."""
    columns = st.columns(3)
    for k, gap in enumerate(GAP_IDS):
        score = result.gaps[gap]
        color = charts.score_color(score.score)
        with columns[k % 3].container(border=True):
            st.markdown(
                f"<div style='display:flex;justify-content:space-between;align-items:center'>"
                f"<b>{score.label}</b><span style='background:{color};color:{charts.text_color_on(color)};"
                "padding:0.1rem 0.6rem;border-radius:4px;font-weight:700'>"
                f"{display.score_text(score.score)}</span></div>"
                f"<div style='color:#6b7280;font-size:0.85rem'>confidence {display.confidence_text(score.confidence)}"
                "</div>",
                unsafe_allow_html=True,
            )
            with st.expander("Items behind the score"):
                st.dataframe(items_table(result, gap), hide_index=True, width="stretch")


def items_table(result: ScoreResult, gap: str) -> pd.DataFrame:
    """The answers and metrics of one gap with their scores and evidence."""
    rows = [{"ID": i.id, "Item": i.label, "Answer / value": i.display,
             "Score": display.score_number(i.score), "Evidence": EVIDENCE_WORDS[i.evidence]}
            for i in result.gaps[gap].items]  # fmt: skip
    return pd.DataFrame(rows)


def risks(result: ScoreResult) -> None:
    """The compound-risk matrix and the chains in words."""
    fig = cached_figure("compound", (result.pilot, str(result.as_of)),
                        lambda: charts.compound_risk_heatmap(result))  # fmt: skip
    render_chart(fig, key="compound")
    if not result.chains:
        st.caption("No active compound risk: no two linked gaps are both weak.")
    for chain in result.chains:
        severity = "Critical chain" if chain.critical else "Active chain"
        st.markdown(f"**{severity}:** {chain.text} ({', '.join(chain.edges)})")


def remediation(result: ScoreResult) -> None:
    """The path to the next verdict, then every fix ranked by the points it would add."""
    path = result.path_to_next_verdict
    st.markdown(f"**Path to the next verdict.** {path.note}")
    if path.items:
        labels = {a.item: a.label for a in result.remediation}
        st.markdown("\n".join(f"1. `{item}` {labels.get(item, '')}" for item in path.items))
    table = pd.DataFrame([{"ID": a.item, "Fix": a.label, "Now": a.current, "Target": a.target,
                           "Overall +": display.gain_text(a.gain), "Gap +": display.gain_text(a.gap_gain)}
                          for a in result.remediation[:10]])  # fmt: skip
    if not table.empty:
        st.dataframe(table, hide_index=True, width="stretch")


def changes(now: ScoreResult, before: ScoreResult) -> pd.DataFrame:
    """Answers and metrics that differ between two snapshots, with the gap score movement."""
    rows = []
    for gap in GAP_IDS:
        old = {i.id: i for i in before.gaps[gap].items}
        for item in now.gaps[gap].items:
            previous = old.get(item.id)
            if previous is not None and previous.display != item.display:
                rows.append({"Gap": charts.SHORT_GAP_LABELS[gap], "ID": item.id, "Before": previous.display,
                             "Now": item.display})  # fmt: skip
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


def body() -> None:
    if is_database_empty():
        st.title("Pilot")
        empty_state()
        return
    with st.columns([2, 3])[0]:
        name = pilot_picker(pilot_names_cached())
    if not name:
        st.info("Choose a pilot above, or click a cell of the portfolio heatmap.")
        return
    history = pilot_history_cached(name)
    if not history:
        st.info(f"{name} has no assessment yet.")
        return
    latest, previous = history[-1], (history[-2] if len(history) > 1 else None)
    result = explained_score(name, latest.snapshot_id)
    before = explained_score(name, previous.snapshot_id) if previous else None
    context = latest.assessment.pilot
    st.title(name)
    facts = [context.business_unit, context.owning_team, f"stage: {context.stage}",
             context.executive_sponsor and f"sponsor: {context.executive_sponsor}",
             result.months_in_pilot is not None and f"{display.months_text(result.months_in_pilot)} months since start",
             f"assessed {latest.assessment.as_of:%d %b %Y}" + (f" by {latest.assessment.submitted_by}"
                                                               if latest.assessment.submitted_by else "")]  # fmt: skip
    st.caption(" · ".join(str(f) for f in facts if f))
    other_models = sorted({s.model_version for s in history if s.issued_under_other_model()})
    if other_models:
        st.info(f"Some snapshots were issued under model {', '.join(other_models)}; every score here is recomputed "
                f"with the current model {load_model().version}.", icon=":material/info:")  # fmt: skip
    verdict_banner(result)
    left, right = st.columns(2)
    with left:
        prev = charts.gap_scores_of(before) if before else None
        radar = cached_figure("radar", (name,), lambda: charts.pilot_radar(
            charts.gap_scores_of(result), prev, service_portfolio.median_gap_scores(latest_portfolio())))  # fmt: skip
        render_chart(radar, key="radar")
    with right:
        risks(result)
    st.subheader("The six gaps")
    gap_cards(result)
    st.subheader("What to fix")
    remediation(result)
    st.subheader("Over time")
    trend = cached_figure("trend", (name,), lambda: charts.trend_figure(pilot_scored_history(name)))
    render_chart(trend, key="trend")
    st.markdown("**What changed since the previous snapshot**")
    what_changed(result, before)


with guarded("this pilot"):
    body()
