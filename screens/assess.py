"""Assess: a pilot team answers the checklist, enters its metrics, watches the score move, and saves a snapshot.

The form lives in session state (keys from :mod:`readiness.assess_form`), so the score is computed from
the same values the widgets show, before they are drawn: every validation problem appears under the
input that holds it, and the live score always matches what Save would store.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from readiness import assess_form as form
from readiness import display
from readiness.assessment import STAGES, Assessment, match_name, parse_assessment
from readiness.charts import (
    VERDICT_COLORS,
    gap_scores_of,
    pilot_radar,
    short_gap_labels,
    text_color_on,
    verdict_label,
)
from readiness.errors import InvalidInput, Issue
from readiness.model import Metric, Question, ReadinessModel, load_model
from readiness.scoring import ScoreResult, score_assessment
from readiness.service.intake import save_assessment
from ui import (
    PAGES,
    PILOT_PARAM,
    clear_caches,
    get_engine,
    guarded,
    pilot_history_cached,
    pilot_names_cached,
    plain,
    render_chart,
    searchable,
    selected_pilot,
)

NEW_PILOT = "+ New pilot"
CHOICE_KEY = "assess.pilot_choice"
LOADED_KEY = "assess.loaded_for"
PENDING_KEY = "assess.pending_choice"
FLASH_KEY = "assess.flash"
PLACEHOLDER_NAME = "New pilot"
NAME_MISSING = "give the new pilot a name"
# Whether the team has acted on the new pilot's name (typed in it) or tried to save: until then its absence
# is a hint, not an error in red (no error before the user acts).
NAME_TOUCHED_KEY = "assess.name_touched"
SAVE_TRIED_KEY = "assess.save_tried"
RADAR_HEIGHT = 340
EARLIEST = date(1990, 1, 1)  # Streamlit's default lower bound (ten years back) is too recent for old pilots


# --------------------------------------------------------------------------------------------
# State: which pilot is loaded, prefill, and the values that survive a page switch
# --------------------------------------------------------------------------------------------


def last_snapshot(name: str) -> Assessment | None:
    """The pilot's most recent snapshot, or None for a new pilot."""
    history = pilot_history_cached(name)
    return history[-1].assessment if history else None


def load_form(choice: str, model: ReadinessModel) -> None:
    """Fill the form for ``choice``: blank for a new pilot, else from its last snapshot, dated today."""
    previous = None if choice == NEW_PILOT else last_snapshot(choice)
    values = form.prefill_values(previous, model) if previous else form.blank_values(model)
    if choice != NEW_PILOT and previous is None:
        values[form.context_key("name")] = choice
    st.session_state.update(values)
    st.session_state[LOADED_KEY] = choice
    st.session_state[NAME_TOUCHED_KEY] = False
    st.session_state[SAVE_TRIED_KEY] = False


def ensure_form(choice: str, model: ReadinessModel) -> None:
    """Load the form when the pilot changes (the widgets keep their values across pages on their own)."""
    if st.session_state.get(LOADED_KEY) != choice:
        load_form(choice, model)


def form_state() -> dict[str, Any]:
    """The current values of every form field."""
    return {k: v for k, v in st.session_state.items() if isinstance(k, str) and k.startswith(form.PREFIX)}


def validate(choice: str, names: list[str], model: ReadinessModel) -> tuple[Assessment | None, list[Issue]]:
    """The assessment the form holds (for the live score) and every problem that blocks saving.

    A new pilot without a name is still scored under a placeholder, so the team sees its score from the
    first answer; saving stays blocked until the name is given.
    """
    payload = form.assessment_payload(form_state(), model)
    issues: list[Issue] = []
    name = payload["pilot"]["name"]
    if choice == NEW_PILOT:
        if not name:
            issues.append(Issue("error", "pilot.name", NAME_MISSING))
            payload["pilot"]["name"] = PLACEHOLDER_NAME
        elif (existing := match_name(name, names)) is not None:
            # Another spelling of a registered name (case, spacing, Unicode form) is that pilot.
            issues.append(Issue("error", "pilot.name", f"a pilot named '{existing}' exists: pick it in the list above"))
    if payload["as_of"] is None:
        issues.append(Issue("error", "as_of", "give the assessment date"))
        return None, issues
    try:
        assessment = parse_assessment(payload, "assessment", model)
    except InvalidInput as problem:
        return None, issues + problem.issues
    return assessment, issues


def is_pending(issue: Issue) -> bool:
    """A problem the team has not had the chance to cause yet: the new pilot's name, before anything was
    typed in it and before a save was tried. It blocks saving but is not shown as an error."""
    acted = st.session_state.get(NAME_TOUCHED_KEY) or st.session_state.get(SAVE_TRIED_KEY)
    return issue.location == "pilot.name" and issue.message == NAME_MISSING and not acted


def mark_name_touched() -> None:
    """The name input changed: from now on an empty name is an error."""
    st.session_state[NAME_TOUCHED_KEY] = True


# --------------------------------------------------------------------------------------------
# Widgets
# --------------------------------------------------------------------------------------------


def field_errors(key: str, problems: dict[str, list[str]]) -> None:
    """Show the validation problems of one field right under its input."""
    for message in problems.get(key, []):
        st.markdown(f":red[**⚠ {plain(message)}**]")


def context_inputs(choice: str, problems: dict[str, list[str]]) -> None:
    """The pilot's context and the assessment's date and author."""
    new = choice == NEW_PILOT
    keep = {"persist_state": "session"}  # widget values survive a visit to another page
    ctx = form.context_key
    with st.expander("Pilot and assessment details", expanded=new):
        left, right = st.columns(2)
        with left:
            st.text_input("Pilot name", key=ctx("name"), disabled=not new, max_chars=200, on_change=mark_name_touched,
                          **keep)  # fmt: skip
            field_errors(ctx("name"), problems)
            st.text_input("Business unit", key=ctx("business_unit"), max_chars=200, **keep)
            st.text_input("Owning team", key=ctx("owning_team"), max_chars=200, **keep)
            st.text_input("Executive sponsor", key=ctx("executive_sponsor"), max_chars=200, **keep)
            st.selectbox("Stage", STAGES, key=ctx("stage"), format_func=str.capitalize, **keep)
            field_errors(ctx("stage"), problems)
            st.text_input("Submitted by", key=form.SUBMITTED_BY_KEY, max_chars=320, placeholder="name@example.com",
                          **keep)  # fmt: skip
            field_errors(form.SUBMITTED_BY_KEY, problems)
        with right:
            st.date_input("Pilot start date", key=ctx("start_date"), min_value=EARLIEST, format="YYYY-MM-DD", **keep)
            field_errors(ctx("start_date"), problems)
            st.date_input("Assessment date", key=form.AS_OF_KEY, min_value=EARLIEST, format="YYYY-MM-DD", **keep)
            field_errors(form.AS_OF_KEY, problems)
            money = "In your reporting currency; used by the value × readiness matrix."
            st.number_input("Expected annual value", key=ctx("expected_annual_value"), min_value=0.0,
                            step=10_000.0, format="%.0f", help=money, **keep)  # fmt: skip
            st.number_input("Monthly run cost", key=ctx("monthly_run_cost"), min_value=0.0, step=1_000.0,
                            format="%.0f", help=money, **keep)  # fmt: skip
            st.number_input("Peak concurrent users", key=ctx("peak_concurrent_users"), min_value=0.0, step=1.0,
                            format="%.0f", **keep)  # fmt: skip


def question_input(question: Question, problems: dict[str, list[str]]) -> None:
    """One question: its answer (Yes / No / Not sure, N/A on deeper ones) and its evidence."""
    st.segmented_control(
        f"**{question.id}** · {question.text}",
        form.answer_options(question.core),
        key=form.answer_key(question.id),
        persist_state="session",
        format_func=form.answer_label,
        help=question.rationale,
    )
    field_errors(form.answer_key(question.id), problems)
    st.text_input(
        f"Evidence for {question.id}",
        key=form.evidence_key(question.id),
        persist_state="session",
        placeholder="Evidence: a link or a note (documented answers count for more confidence)",
        label_visibility="collapsed",
        max_chars=2_000,
    )
    field_errors(form.evidence_key(question.id), problems)


def metric_input(metric: Metric, problems: dict[str, list[str]]) -> None:
    """One metric: a typed input bounded by the metric's range, with its unit and anchors shown."""
    key = form.metric_key(metric.id)
    label = f"{metric.label} ({metric.unit})"
    if metric.kind == "bool":
        st.segmented_control(
            label,
            ("yes", "no"),
            key=key,
            persist_state="session",
            format_func=str.capitalize,
            help=metric.where_to_find,
        )
    else:
        low, high = metric.bounds
        st.number_input(
            label, key=key, persist_state="session", min_value=low, max_value=high, step=form.metric_step(metric),
            format=form.metric_format(metric), help=metric.where_to_find, placeholder="not reported",
        )  # fmt: skip
    if metric.scored:
        st.caption(f"Green {metric.green_label} · Red {metric.red_label} · `{metric.id}`")
    else:
        st.caption(f"Not scored alone: the denominator of a ratio metric · `{metric.id}`")
    field_errors(key, problems)


def gap_tab(gap_id: str, model: ReadinessModel, problems: dict[str, list[str]]) -> None:
    """One gap's core questions, deeper questions (folded) and metrics."""
    gap = model.gap(gap_id)
    st.caption(f"**{gap.label}**: {gap.symptom}")
    questions = [q for q in model.questions if q.gap == gap_id]
    core = [q for q in questions if q.core]
    deeper = [q for q in questions if not q.core]
    metrics = [m for m in model.metrics if m.gap == gap_id]
    if core:
        st.markdown("##### Core checklist")
        for question in core:
            question_input(question, problems)
    if deeper:
        answered = sum(1 for q in deeper if st.session_state.get(form.answer_key(q.id)))
        with st.expander(f"Deeper questions ({answered} of {len(deeper)} answered)"):
            for question in deeper:
                question_input(question, problems)
    if metrics:
        st.markdown("##### Metrics")
        columns = st.columns(2)
        for index, metric in enumerate(metrics):
            with columns[index % 2]:
                metric_input(metric, problems)


# --------------------------------------------------------------------------------------------
# Live score and save
# --------------------------------------------------------------------------------------------


def verdict_badge(result: ScoreResult) -> None:
    """The verdict as a tile in the verdict's colour (the same as every chart's), with the word and glyph
    (colour is never the only signal) and the overall score."""
    background = VERDICT_COLORS[result.verdict]
    ink = text_color_on(background)
    st.markdown(
        f"<div style='background:{background};color:{ink};padding:0.6rem 0.9rem;border-radius:0.4rem;"
        f"font-size:1.25rem;font-weight:600'>{verdict_label(result.verdict)} · "
        f"{display.score_text(result.overall)}/100</div>",
        unsafe_allow_html=True,
    )


def live_score(assessment: Assessment | None, previous: Assessment | None, model: ReadinessModel) -> None:
    """The score of the form as it stands: verdict, overall, the six gaps, and what blocks saving."""
    st.subheader("Live score", anchor=False)
    if assessment is None:
        st.info("Fix the fields marked in red to see the score.")
        return
    result = score_assessment(assessment, model)
    verdict_badge(result)
    st.caption(
        f"Confidence {display.confidence_text(result.overall_confidence)} · "
        f"weakest gap: {model.gap(result.weakest_gap).label}"
    )
    for reason in result.reasons[:3]:
        st.markdown(f"- {reason}")
    prior = gap_scores_of(score_assessment(previous, model)) if previous is not None else None
    figure = pilot_radar(
        gap_scores_of(result), previous=prior, title=None, names=("This assessment", "Last snapshot", "Median")
    )
    # The score column is narrow: room on the sides for the axis labels; above for "Data quality" on two
    # lines, and the legend low enough to clear "Governance" below, whether the radar is as wide as the
    # column allows (1280 pixels) or as tall as the figure (1440).
    figure.update_layout(margin={"l": 72, "r": 72, "t": 48, "b": 40}, height=RADAR_HEIGHT, legend={"y": -0.15})
    render_chart(figure, key="assess.radar")
    shorts = short_gap_labels(model)
    columns = st.columns(2)
    for index, gap in enumerate(model.gaps):
        score = result.gaps[gap.id]
        columns[index % 2].metric(
            shorts[gap.id],
            display.score_text(score.score),
            help=f"{gap.label}: confidence {display.confidence_text(score.confidence)}",
        )


def save(assessment: Assessment, choice: str, supersede: bool = False) -> None:
    """Store the assessment as a dated snapshot, then reload the page on that pilot."""
    try:
        result = save_assessment(get_engine(), assessment, interface="app", actor=assessment.submitted_by,
                                 supersede=supersede)  # fmt: skip
    except InvalidInput as problem:
        st.error(plain(f"Not saved: {problem.summary()}"))
        return
    except SQLAlchemyError as problem:
        st.error(f"Not saved: the database refused the write ({type(problem).__name__}). Try again in a moment.")
        return
    clear_caches()
    name = assessment.pilot.name
    if result.created:
        message = f"Saved snapshot #{result.snapshot_id} of {name} as of {assessment.as_of}."
        st.session_state[FLASH_KEY] = ("success", message, name)
    else:
        message = f"An identical snapshot of {name} is already stored; nothing new written."
        st.session_state[FLASH_KEY] = ("info", message, name)
    if choice == NEW_PILOT:
        st.session_state[PENDING_KEY] = name
        st.session_state[LOADED_KEY] = name
    st.session_state[SAVE_TRIED_KEY] = False
    st.rerun()


def show_flash(flash: tuple[str, ...]) -> None:
    """What the last save did, with links to the pilot's page and to the Portfolio."""
    kind, message, *rest = flash
    (st.success if kind == "success" else st.info)(plain(message))
    if not rest:
        return
    name = rest[0]
    st.page_link(PAGES["pilot"], label=f"Open {plain(name)} on the Pilot page", icon=":material/radar:",
                 query_params={PILOT_PARAM: name})  # fmt: skip
    st.page_link(PAGES["portfolio"], label="See the Portfolio", icon=":material/grid_view:")


def save_panel(assessment: Assessment | None, issues: list[Issue], choice: str, model: ReadinessModel) -> None:
    """The problems that block saving, each with its field, the Save button, and what the last save did
    (under the button, where the team is looking after clicking it).

    A problem the team has not caused yet (the new pilot's name before it was typed) is a hint until a save
    is tried; the button then shows it as an error instead of saving.
    """
    errors = [i for i in issues if i.severity == "error"]
    shown = [i for i in errors if not is_pending(i)]
    if shown:
        st.error(
            "Before saving, fix:\n\n"
            + "\n".join(f"- **{plain(form.field_label(i.location, model))}**: {plain(i.message)}" for i in shown)
        )
    elif errors:
        st.caption("Name the new pilot under *Pilot and assessment details* to save it.")
    as_of = assessment.as_of if assessment is not None else None
    label = f"Save snapshot as of {as_of}" if as_of else "Save snapshot"
    supersede = st.checkbox(
        "Replace this day's saved snapshot",
        key="assess.supersede",
        help="The saved one is retracted (kept in the record) and this one takes its place.",
    )
    if st.button(label, type="primary", disabled=bool(shown) or assessment is None, key="assess.save"):
        if errors:
            st.session_state[SAVE_TRIED_KEY] = True
            st.rerun()
        assert assessment is not None
        save(assessment, choice, supersede)
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        show_flash(flash)


# --------------------------------------------------------------------------------------------
# Page
# --------------------------------------------------------------------------------------------


def pick_pilot(names: list[str]) -> str:
    """The pilot selector: existing pilots and New pilot; a pilot in the URL is preselected. Above 500 pilots
    a search box comes first and the list offers its matches (:func:`ui.searchable`)."""
    if PENDING_KEY in st.session_state:
        st.session_state[CHOICE_KEY] = st.session_state.pop(PENDING_KEY)
    linked = st.query_params.get(PILOT_PARAM)
    wanted = selected_pilot()
    keep = [st.session_state.get(CHOICE_KEY), match_name(wanted, names) if wanted else None]
    options = [NEW_PILOT, *searchable(names, "assess.pilot_search", keep=keep)]
    if linked and match_name(linked, names) is None:
        st.warning(f"There is no pilot named “{plain(linked)}” yet: assess it as a new pilot, or pick one in the list.")
    if st.session_state.get(CHOICE_KEY) not in options:
        # Any spelling of a registered name (same name_key) preselects that pilot.
        st.session_state[CHOICE_KEY] = (match_name(wanted, names) if wanted else None) or NEW_PILOT
    choice = st.selectbox(
        "Pilot", options, key=CHOICE_KEY, persist_state="session",
        help="Pick a pilot to start from its last snapshot, or create a new one.",
    )  # fmt: skip
    if choice != NEW_PILOT:
        # The Pilot page opens on the pilot just assessed.
        st.session_state[PILOT_PARAM] = choice
    return choice


def main() -> None:
    """Draw the Assess page."""
    model = load_model()
    st.title("Assess a pilot", anchor=False)
    st.caption(
        "Answer the 13-question core checklist and the deeper questions with evidence, enter the metrics you "
        "have, and save a dated snapshot. Unanswered core questions count as Not sure."
    )
    names = pilot_names_cached()
    choice = pick_pilot(names)
    ensure_form(choice, model)
    assessment, issues = validate(choice, names, model)
    problems: dict[str, list[str]] = {}
    for issue in issues:
        if is_pending(issue):
            continue
        key = form.field_key(issue.location)
        if key:
            problems.setdefault(key, []).append(issue.message)
    previous = None if choice == NEW_PILOT else last_snapshot(choice)

    # Wide enough for the six gap tabs to be read whole at 1280 pixels, the rest for the live score.
    form_column, score_column = st.columns([16, 9], gap="medium")
    with form_column:
        context_inputs(choice, problems)
        shorts = short_gap_labels(model)
        tabs = st.tabs([shorts[g.id] for g in model.gaps])
        for tab, gap in zip(tabs, model.gaps, strict=True):
            with tab:
                gap_tab(gap.id, model, problems)
    with score_column:
        live_score(assessment, previous, model)
        save_panel(assessment, issues, choice, model)


with guarded("the Assess page"):
    main()
