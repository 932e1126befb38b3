"""Methodology: the readiness model itself, drawn from the same data the scores use (``readiness/model.toml``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.model import ReadinessModel, load_model
from readiness.sensitivity import BAND_POINTS
from ui import audit_log_cached, guarded, is_database_empty, render_chart


def rules(model: ReadinessModel) -> None:
    """How items become gap scores, gap scores an overall score, and scores a verdict."""
    v, c, s = model.verdict, model.compound, model.scoring
    default = model.aggregator(s.default_aggregator)
    st.markdown(
        f"""
**Items.** Each question scores yes = {s.answer_scores["yes"]:g}, no = {s.answer_scores["no"]:g},
not sure = {s.answer_scores["not_sure"]:g}; a core question left blank counts as not sure, a deeper one is left
out. Each metric scores 0-100 on its curve (below). A gap's score is the weighted mean of its items (core question
{_weights(model, core=True)}, metric {_weights(model, metric=True)}, deeper question {_weights(model, core=False)});
its **confidence** is the weighted evidence level of its items (the table below).

**Overall.** {default.label} of the six gaps (the default): {default.description}

**Verdict.**
- **{charts.verdict_label("not_ready")}** when more than {v.seed_rule_max_open_core} core questions are answered no
  or not sure (the seed's rule), or any gap is below {v.not_ready_gap_below:g}, or a compound risk is critical.
- **{charts.verdict_label("ready")}** when every gap is at least {v.ready_gap_at_least:g}, overall at least
  {v.ready_overall_at_least:g}, no compound risk is active and confidence is at least
  {display.confidence_threshold_text(v.ready_confidence_at_least)}.
- **{charts.verdict_label("conditional")}** otherwise.

**Compound risks.** An interaction is *active* when both of its gaps are below {c.active_below:g} and *critical*
when both are below {c.critical_below:g}. **Flags:** stalled (in pilot longer than {s.stalled_after_months:g}
months) and multi-gap ({s.multi_gap_count} or more gaps below {s.multi_gap_threshold:g}).
"""
    )
    st.dataframe(pd.DataFrame([{"Aggregator": a.label, "Default": a.id == s.default_aggregator,
                                "Description": a.description} for a in model.aggregators]),
                 hide_index=True, width="stretch",
                 column_config={"Aggregator": st.column_config.TextColumn(width=120),
                                "Default": st.column_config.CheckboxColumn(width=70),
                                "Description": st.column_config.TextColumn(width=600)})  # fmt: skip
    evidence_levels(model)


EVIDENCE_LEVEL_LABELS = {"measured": "Measured", "documented": "Documented", "self_reported": "Self-reported",
                         "unknown": "Unknown or missing"}  # fmt: skip


def evidence_levels(model: ReadinessModel) -> None:
    """What each evidence level requires and what it adds to confidence (a list: the requirements wrap)."""
    s = model.scoring
    lines = [f"- **{EVIDENCE_LEVEL_LABELS[level]}** (weight {weight:g}): {s.evidence_requirements[level]}"
             for level, weight in s.evidence_levels.items()]  # fmt: skip
    st.markdown("**Evidence levels.** Confidence says how much of a score rests on evidence, not on belief:\n\n"
                + "\n".join(lines))  # fmt: skip


def portfolio_definitions(model: ReadinessModel) -> None:
    """What each statistic of the portfolio means, and how every number is rounded for display."""
    v = model.verdict
    st.markdown(
        f"""
- **Portfolio as of a day**: each pilot's latest snapshot dated on or before that day (of two on the same day,
  the later written). Filters in the sidebar narrow every page and every export to the pilots they keep.
- **Ready share**: pilots whose verdict is ready, as a percentage of the pilots in view, set against the
  {model.scoring.gartner_ready_share:g}% of AI prototypes that reach production (Gartner).
- **Weakest gap of the portfolio**: the gap with the lowest median score over the pilots in view; a tie goes to
  the gap that is the weakest of more pilots, then to the order of the six gaps above. The dashboard, the deck,
  the HTML report and the command line all name this gap.
- **Stalled**: still in the pilot stage after more than {model.scoring.stalled_after_months:g} months.
- **Stale assessment** ({charts.STALE_GLYPH}): a pilot last assessed more than
  {model.scoring.stale_after_months} months before the newest assessment in view; the heatmap and the tables
  mark it with the month it dates from, as its scores may be out of date.
- **Compound risks**: active interactions summed over pilots, critical ones counted apart.
- **Method-sensitive**: a pilot whose verdict differs between the three ways of making overall readiness (the
  table above). Only overall depends on the method, so only ready and conditional can swap; the sentence beside
  the pilot names the methods and why (the weakest link is the lowest gap).
- **Close to a threshold**: a pilot whose verdict would change if the not-ready and ready thresholds
  ({v.not_ready_gap_below:g}, {v.ready_gap_at_least:g} per gap, {v.ready_overall_at_least:g} overall) all moved by
  {BAND_POINTS:g} points, up or down. Both are computed from the scores already made, never by scoring again.
- **Order**: pilots are listed not ready first, then conditional, then ready; within a verdict the lowest
  overall score first.

**How numbers are shown.** Every number is shown **rounded down** to the precision written: scores and
percentages to whole numbers, months and the points a fix adds to one decimal. Rounding down keeps a shown number
on the same side of every threshold as the exact one: a gap at 39.6 reads 39, below {v.not_ready_gap_below:g};
a gap at 69.9 reads 69, not a ready-looking {v.ready_gap_at_least:g}. Changes are differences of the shown
numbers (64 → 71 reads ▲7). Confidence (0-1 in the model) is shown as a percentage. The exported workbook's
Scores sheet shows scores to one decimal, also rounded down; the JSON outputs and the CSV keep the exact values.
"""
    )


def _weights(model: ReadinessModel, core: bool | None = None, metric: bool = False) -> str:
    """The weight(s) a kind of item carries in the model, as text."""
    if metric:
        values = {m.weight for m in model.scored_metrics}
    else:
        values = {q.weight for q in model.questions if q.core == core}
    return " / ".join(f"{v:g}" for v in sorted(values))


def gap_section(model: ReadinessModel, gap_id: str) -> None:
    """A gap: its symptom and guidance, its questions, and its metrics with their curves."""
    gap = model.gap(gap_id)
    st.markdown(f"**Symptom.** {gap.symptom}\n\n**What good looks like.** {gap.guidance}")
    questions = [q for q in model.questions if q.gap == gap_id]
    # Column widths that fit a laptop screen (1280 px): no sideways scrolling; a cell shows its full text when
    # pointed at.
    st.dataframe(pd.DataFrame([{"ID": q.id, "Core": q.core, "Weight": q.weight, "Question": q.text,
                                "Why": q.rationale} for q in questions]),
                 hide_index=True, width="stretch",
                 column_config={"ID": st.column_config.TextColumn(width=70),
                                "Core": st.column_config.CheckboxColumn(width=50),
                                "Weight": st.column_config.NumberColumn(width=60),
                                "Question": st.column_config.TextColumn(width=330),
                                "Why": st.column_config.TextColumn(width=280)})  # fmt: skip
    metrics = [m for m in model.metrics if m.gap == gap_id]
    columns = st.columns(2)
    for k, metric in enumerate(metrics):
        with columns[k % 2].container(border=True):
            st.markdown(f"**{metric.label}** `{metric.id}`  \n{metric.rationale}  \n"
                        f"Green {metric.green_label or '—'} · red {metric.red_label or '—'} · "
                        f"where to find it: {metric.where_to_find}")  # fmt: skip
            if metric.curve is not None:
                render_chart(charts.metric_curve_figure(metric), key=f"curve_{metric.id}")
            else:
                st.caption("Not scored on its own: the denominator of a ratio.")


def body() -> None:
    model = load_model()
    st.title("Methodology", anchor=False)
    st.caption(f"Readiness model {model.version} · source: “{model.source}”. Every score in this app is computed "
               "from exactly this model.")  # fmt: skip
    st.subheader("How a score is made", anchor=False)
    rules(model)
    st.subheader("Portfolio statistics and rounding", anchor=False)
    portfolio_definitions(model)
    st.subheader("The six gaps", anchor=False)
    for gap, tab in zip(model.gaps, st.tabs([charts.SHORT_GAP_LABELS[g.id] for g in model.gaps]), strict=True):
        with tab:
            gap_section(model, gap.id)
    st.subheader("Interactions", anchor=False)
    interactions(model)


def interactions(model: ReadinessModel) -> None:
    """The compound-risk edges in words: which weak gap makes which worse, and how. The weight column is
    shown only when the edges' weights differ (all equal, it says nothing); the IDs come last."""
    labels = charts.gap_labels(model)
    st.caption(f"Each pair is a compound risk: it is active when both gaps are below {model.compound.active_below:g} "
               f"and critical when both are below {model.compound.critical_below:g}.")  # fmt: skip
    rows = [{"A weak gap …": labels[e.source], "… makes this one worse": labels[e.target], "How": e.chain,
             "Weight": e.weight, "ID": e.id} for e in model.edges]  # fmt: skip
    table = pd.DataFrame(rows)
    if table["Weight"].nunique() <= 1:
        table = table.drop(columns="Weight")
    # Widths that fit a laptop screen (1280 px) whether or not the weight column is shown.
    widths = {"A weak gap …": 180, "… makes this one worse": 180, "How": 400 - 60 * ("Weight" in table),
              "Weight": 60, "ID": 50}  # fmt: skip
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.Column(width=widths[c]) for c in table.columns})  # fmt: skip


def audit_log() -> None:
    """Who wrote what and when: the append-only log the database itself protects."""
    st.subheader("Audit log", anchor=False)
    st.caption("Every write to the store, newest first. The database refuses UPDATE and DELETE on this log, "
               "and snapshots are never changed: a correction is a new dated snapshot. Who: the person signed in "
               "(single sign-on), the user of the command line, or the name typed when nobody signs in; an "
               "assessment's own “submitted by” stays with the assessment.")  # fmt: skip
    if is_database_empty():
        st.info("Nothing has been written to this store yet.")
        return
    log = audit_log_cached()
    # "who": the identity that wrote (readiness.store.views.who_text); logs read before it existed: the actor.
    log = log.assign(who=log["who"] if "who" in log else log["actor"])
    columns = {
        "at": "When (UTC)",
        "who": "Who",
        "action": "Action",
        "what": "What",
        "source_hash": "Source file (SHA-256)",
    }
    widths = {"When (UTC)": 180, "Who": 130, "Action": 100, "What": 270, "Source file (SHA-256)": 130}
    st.dataframe(log[list(columns)].rename(columns=columns), hide_index=True, width="stretch", height=320,
                 column_config={c: st.column_config.Column(width=w) for c, w in widths.items()})  # fmt: skip


with guarded("the methodology"):
    body()
with guarded("the audit log"):
    audit_log()
