"""What-if: a plan of fixes projected on the portfolio — which pilots it makes ready, the portfolio before and
after, the next best fixes across the portfolio, plans ranked by their yield, and plans saved as scenarios.

Every number comes from the use case ``readiness whatif`` uses (:mod:`readiness.service.whatif`) and is written
with the product's sentences and display rule (:mod:`readiness.service.portfolio`, :mod:`readiness.display`), so
the page and the command line state the same projection. The assessment frame is read once per data version and
shared by every session (:func:`ui.assessment_frame`); each projection, ranking and figure is computed once per
data version, plan and scope (:func:`ui.cached_value`). The scope and the plan live in the URL, so a link
reopens the same projection. Nothing here changes a snapshot: saving a scenario stores the plan, audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import pandas as pd
import streamlit as st

from readiness import charts, display
from readiness.errors import InvalidInput
from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER
from readiness.service.access import permits
from readiness.service.exports import scenario_deck, scenario_stem, scenario_workbook
from readiness.service.portfolio import MAX_SHOWN, PortfolioStats, names_text, ready_sentence, review_order
from readiness.service.whatif import (
    BLOCKED_REASON,
    ScenarioRecord,
    WhatIfResult,
    WhatIfScope,
    list_scenarios,
    load_scenario,
    project_portfolio,
    ranked_gap_plans,
    save_scenario,
    step_moves,
)
from readiness.whatif import GreedyStep, Plan, PlanRank, parse_plan
from ui import (
    assessment_frame,
    cached_figure,
    cached_value,
    clear_caches,
    empty_state,
    filters_active,
    get_engine,
    guarded,
    is_database_empty,
    latest_portfolio,
    plain,
    render_chart,
    searchable,
)
from ui.auth import current_identity

# The scope and the plan, each bound to its query parameter (the widget's key is the parameter's name).
SCOPE_PARAM, UNIT_PARAM, PILOTS_PARAM = "scope", "unit", "pilots"
GAPS_PARAM, YES_PARAM, GREEN_PARAM = "close", "yes", "green"
SCOPES = {"all": "All pilots", "unit": "A business unit", "pilots": "Chosen pilots"}
# As many steps as `readiness whatif` lists by default, so the page and the command line show the same list.
GREEDY_STEPS = 5
# A message left by a callback (opening a scenario) for the run that follows it.
NOTICE = "whatif.notice"
# The scenario last opened (its record and the plan and scope it holds), to name it while the plan is unchanged.
OPENED = "whatif.opened"
SCENARIO_PICK = "whatif.scenario"
# What the last save wrote, said beside the save box in the run that follows it.
SAVED = "whatif.saved"
# Pilots named in a sentence before "and N more" (a plan over a large portfolio can move hundreds).
NAMES_SHOWN = 12
RANK_COLUMNS = ["Plan", "Items fixed", "Pilots moved to ready", "Ready per item fixed"]
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --------------------------------------------------------------------------------------------
# Options in executive words
# --------------------------------------------------------------------------------------------


def gap_options(model: ReadinessModel) -> dict[str, str]:
    """Gap ID → its label (``Data quality``), in model order."""
    return {g.id: g.label for g in model.gaps}


def question_options(model: ReadinessModel) -> dict[str, str]:
    """Question ID → ``Data quality · Tested on production data``: grouped by gap (core questions first), the
    gap named first so that a question's group shows in the list and in its chip."""
    shorts = charts.short_gap_labels(model)
    return {q.id: f"{shorts[q.gap]} · {q.short}" for gap in GAP_IDS for q in model.questions if q.gap == gap}


def metric_options(model: ReadinessModel) -> dict[str, str]:
    """Scored metric ID → ``Data quality · Missing-field rate (green ≤ 2)``: grouped by gap, with the green anchor
    a fix brings it to."""
    shorts = charts.short_gap_labels(model)
    return {m.id: f"{shorts[m.gap]} · {m.short} (green {m.green_label})" for m in model.scored_metrics}


def scope_text(result: WhatIfResult) -> str:
    """The scope with its size: ``business unit Operations (4 pilots)``, ``3 chosen pilots``, ``all 16 pilots``."""
    count = len(result.pilots_in_scope)
    if result.scope.unit:
        return f"{result.scope.describe()} ({display.count_text(count, 'pilot')})"
    if result.scope.pilots:
        return display.count_text(count, "chosen pilot")
    return f"all {display.count_text(count, 'pilot')}"


# --------------------------------------------------------------------------------------------
# Saved scenarios: open one into the widgets
# --------------------------------------------------------------------------------------------


def saved_scenarios() -> list[ScenarioRecord]:
    """The latest version of every saved scenario (a save writes an audit entry, which moves the data version)."""
    return cached_value("whatif.scenarios", (), lambda: list_scenarios(get_engine(), current_identity()))


def saved_text(record: ScenarioRecord) -> str:
    """``Version 2 · saved by ada@example.com on 12 Nov 2026, 14:05 UTC``: who saved the scenario and when."""
    return (f"Version {record.version} · saved by {record.created_by} on "
            f"{record.created_at:%d %b %Y, %H:%M} UTC")  # fmt: skip


def open_scenario() -> None:
    """Put the chosen scenario's scope and plan into the widgets. A callback: it runs before they are drawn,
    the only moment their values may be set; what cannot be restored (a pilot or unit gone from the portfolio,
    an item the model no longer has) is said on the page that follows."""
    name = st.session_state.get(SCENARIO_PICK)
    if not name:
        return
    try:
        record, plan, scope = load_scenario(get_engine(), name, current_identity(), load_model())
    except InvalidInput as problem:
        issues = "; ".join(f"{i.location}: {i.message}" for i in problem.issues)
        st.session_state[NOTICE] = ("error", f"The scenario “{name}” cannot be opened: {issues}.")
        return
    latest = latest_portfolio()
    pilots = set(latest["pilot"].astype(str))
    units = {str(u) for u in latest["business_unit"].dropna()}
    kept = [p for p in scope.pilots if p in pilots]
    gone = [p for p in scope.pilots if p not in pilots]
    unit = scope.unit if scope.unit in units else None
    notes = []
    if gone:
        notes.append(f"{names_text(gone, 4)} no longer in the portfolio, left out of the scope")
    if scope.unit and unit is None:
        notes.append(f"no pilot belongs to business unit {scope.unit} any more: choose a unit")
    st.session_state[NOTICE] = ("warning", f"Opened “{record.name}”: {'; '.join(notes)}.") if notes else None
    st.session_state[SCOPE_PARAM] = "unit" if scope.unit else "pilots" if scope.pilots else "all"
    st.session_state[UNIT_PARAM] = unit
    st.session_state[PILOTS_PARAM] = kept
    st.session_state[GAPS_PARAM] = list(plan.close_gaps)
    st.session_state[YES_PARAM] = list(plan.answer_yes)
    st.session_state[GREEN_PARAM] = list(plan.metrics_to_green)
    st.session_state[OPENED] = (record, plan, WhatIfScope(unit=unit, pilots=tuple(kept)))


def scenario_opener(records: list[ScenarioRecord]) -> None:
    """A picker of the saved scenarios and the button that opens the chosen one (who saved it, and when)."""
    names = [r.name for r in records]
    by_name = {r.name: r for r in records}
    pick, button = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Open a saved scenario", searchable(names, "whatif.scenario.search", noun="scenario"),
                            index=None, placeholder="Choose a scenario…", key=SCENARIO_PICK)  # fmt: skip
    button.button("Open scenario", key="whatif.open", on_click=open_scenario, disabled=chosen is None, width="stretch",
                  icon=":material/folder_open:")  # fmt: skip
    if chosen in by_name:
        record = by_name[chosen]
        st.caption(plain(f"{saved_text(record)} · {plan_in_words(record)}"))


def plan_in_words(record: ScenarioRecord) -> str:
    """A saved scenario's plan and scope in one line, as far as the current model still reads its plan."""
    try:
        plan = parse_plan(record.plan)
        scope = WhatIfScope.from_json(record.scope)
    except InvalidInput:
        return "its plan names items the current model no longer has"
    return f"{plan.text()} for {scope.describe()}"


# --------------------------------------------------------------------------------------------
# The scope and the plan
# --------------------------------------------------------------------------------------------


def unknown_in_url(param: str, known: Sequence[str], noun: str) -> None:
    """Warn about the values of a link's parameter that name nothing known (the widget leaves them out)."""
    unknown = [v for v in st.query_params.get_all(param) if v and v not in set(known)]
    if unknown:
        listed = names_text([f"“{v}”" for v in unknown], 4)
        one = len(unknown) == 1
        st.warning(plain(f"This link's {noun}{'' if one else 's'} {listed} {'is' if one else 'are'} not known here "
                         f"and {'was' if one else 'were'} left out."))  # fmt: skip


def scope_picker(latest: pd.DataFrame) -> WhatIfScope | None:
    """The pilots the plan applies to: all, one business unit, or chosen pilots; None while a unit or the pilots
    are still to be chosen."""
    if SCOPE_PARAM not in st.session_state and not st.query_params.get_all(SCOPE_PARAM):
        st.session_state[SCOPE_PARAM] = "all"  # set, not a default: a scenario opened later sets it too
    unknown_in_url(SCOPE_PARAM, list(SCOPES.values()), "scope")
    kind_box, choice_box = st.columns(2, vertical_alignment="bottom")
    kind = kind_box.segmented_control("Apply the plan to", list(SCOPES), format_func=SCOPES.get, key=SCOPE_PARAM,
                                      bind="query-params", required=True)  # fmt: skip
    with choice_box:
        return scope_choice(kind, latest)


def scope_choice(kind: str | None, latest: pd.DataFrame) -> WhatIfScope | None:
    """The business unit or the pilots of the scope chosen (None while they are still to be chosen), or every
    pilot."""
    names = latest["pilot"].astype(str).tolist()
    units = sorted({str(u) for u in latest["business_unit"].dropna()}, key=str.casefold)
    if kind == "unit":
        unknown_in_url(UNIT_PARAM, units, "business unit")
        keep = [st.session_state.get(UNIT_PARAM), *st.query_params.get_all(UNIT_PARAM)]
        options = searchable(units, "whatif.unit.search", keep=keep, noun="business unit")
        unit = st.selectbox("Business unit", options, index=None, placeholder="Choose a business unit…",
                            key=UNIT_PARAM, bind="query-params")  # fmt: skip
        return WhatIfScope(unit=unit) if unit else None
    if kind == "pilots":
        unknown_in_url(PILOTS_PARAM, names, "pilot")
        keep = [*(st.session_state.get(PILOTS_PARAM) or []), *st.query_params.get_all(PILOTS_PARAM)]
        chosen = st.multiselect("Pilots", searchable(names, "whatif.pilot.search", keep=keep), key=PILOTS_PARAM,
                                bind="query-params", placeholder="Choose pilots…")  # fmt: skip
        return WhatIfScope(pilots=tuple(chosen)) if chosen else None
    return WhatIfScope()


def plan_picker(model: ReadinessModel) -> Plan:
    """The plan in executive words: gaps to close, questions to answer yes, metrics to bring to green."""
    gaps, questions, metrics = gap_options(model), question_options(model), metric_options(model)
    for param, options, noun in ((GAPS_PARAM, gaps, "gap"), (YES_PARAM, questions, "question"),
                                 (GREEN_PARAM, metrics, "metric")):  # fmt: skip
        unknown_in_url(param, list(options.values()), noun)
    close = st.multiselect("Close gaps", list(gaps), format_func=gaps.get, key=GAPS_PARAM, bind="query-params",
                           placeholder="Every question of the gap answered yes, every metric at green",
                           help="Closing a gap answers every question of the gap yes and brings every metric of it "
                                "to its green anchor, for each pilot in scope.")  # fmt: skip
    yes = st.multiselect("Answer yes to", list(questions), format_func=questions.get, key=YES_PARAM,
                         bind="query-params", placeholder="Questions, by gap",
                         help="Each question answered yes for every pilot in scope that answered no or not sure "
                              "(or left a core question open), with its evidence documented.")  # fmt: skip
    green = st.multiselect("Bring to green", list(metrics), format_func=metrics.get, key=GREEN_PARAM,
                           bind="query-params", placeholder="Metrics, by gap, with their green anchor",
                           help="Each metric brought to its green anchor for every pilot in scope below it or not "
                                "reporting it. p95 latency is measured against the pilot's own latency budget: a "
                                "pilot that reported none cannot be brought to green there.")  # fmt: skip
    return parse_plan({"close_gaps": close, "answer_yes": yes, "metrics_to_green": green}, model)


# --------------------------------------------------------------------------------------------
# The projection, computed once per data version, plan and scope
# --------------------------------------------------------------------------------------------


def key_of(plan: Plan, scope: WhatIfScope) -> tuple:
    """What a projection depends on besides the stored data, hashable (a cache key)."""
    return plan.close_gaps, plan.answer_yes, plan.metrics_to_green, scope.unit, scope.pilots


def projection(plan: Plan, scope: WhatIfScope) -> WhatIfResult:
    """The use case's projection of ``plan`` over ``scope``, with the greedy list, on the shared frame."""
    return cached_value("whatif.result", key_of(plan, scope),
                        lambda: project_portfolio(get_engine(), plan, scope, greedy_steps=GREEDY_STEPS,
                                                  identity=current_identity(), frame=assessment_frame()))  # fmt: skip


def ranking(plan: Plan, scope: WhatIfScope) -> list[PlanRank]:
    """This plan and each single "close gap X" plan over the same scope, best yield first (the use case's)."""
    return cached_value(
        "whatif.ranking", key_of(plan, scope), lambda: ranked_gap_plans(assessment_frame(), plan, scope)
    )


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


def opened_scenario(result: WhatIfResult) -> ScenarioRecord | None:
    """The scenario last opened or saved in this session, while the page still shows its plan and scope."""
    opened = st.session_state.get(OPENED)
    if opened is not None and opened[1] == result.plan and opened[2] == result.scope:
        return opened[0]
    return None


def banner(result: WhatIfResult) -> None:
    """The projection's label first, then the plan, the scope and what the plan fixes (as the CLI says them)."""
    projection_ = result.projection
    lines = [f"Plan: {result.plan.text(result.model)}", f"Scope: {scope_text(result)}"]
    if projection_.fixed_cells:
        fixed = display.count_text(projection_.fixed_cells, "answer or metric", "answers and metrics")
        lines.append(f"{fixed} brought to yes or green, each with its evidence.")
    else:
        lines.append("Nothing to fix: every item of the plan is at full score already for the pilots in scope.")
    record = opened_scenario(result)
    if record is not None:
        lines.insert(0, f"Scenario “{record.name}”: {saved_text(record)}")
    st.info(f"**{result.label}**  \n" + "  \n".join(plain(line) for line in lines), icon=":material/science:")
    if projection_.blocked:
        blocked = sorted({pilot for pilot, _ in projection_.blocked}, key=str.casefold)
        st.caption(plain(f"Not fixable: p95 latency of {names_text(blocked, 4)} ({BLOCKED_REASON})."))


def kpi_tiles(result: WhatIfResult) -> None:
    """The whole portfolio's headline numbers after the plan, each with its value now."""
    before, after = result.before, result.after
    moved = result.moved_to_ready
    tiles = st.columns(4, border=True)
    rose = display.floor_to(after.ready_share or 0) > display.floor_to(before.ready_share or 0)
    tiles[0].metric("Ready after the plan", display.percent_text(after.ready_share),
                    f"from {display.percent_text(before.ready_share)}", delta_arrow="up" if rose else "off",
                    delta_color="normal" if rose else "off", help=plain(ready_sentence(after)))  # fmt: skip
    who = plain(f"{names_text(moved, 8)}.") if moved else "No pilot becomes ready with this plan."
    tiles[1].metric("Moved to ready", len(moved), f"of {after.pilots} pilots", delta_arrow="off", delta_color="off",
                    help=who)  # fmt: skip
    for tile, label, was, now in ((tiles[2], "Compound risks", before.active_compound_risks,
                                   after.active_compound_risks),
                                  (tiles[3], "Critical risks", before.critical_compound_risks,
                                   after.critical_compound_risks)):  # fmt: skip
        change = now - was
        tile.metric(label, now, f"{change:+d} from {was}" if change else f"unchanged from {was}",
                    delta_color="inverse" if change else "off", delta_arrow="auto" if change else "off",
                    help="Active compound risks: two linked gaps both weak (critical: both very weak), counted "
                         "over every pilot of the portfolio.")  # fmt: skip


def stats_table(before: PortfolioStats, after: PortfolioStats) -> pd.DataFrame:
    """The portfolio's numbers now and after the plan, the rows of ``readiness whatif``'s tables."""
    rows = [(VERDICT_LABELS[v], str(before.by_verdict[v]), str(after.by_verdict[v])) for v in reversed(VERDICT_ORDER)]
    rows.append(("Ready share", display.percent_text(before.ready_share), display.percent_text(after.ready_share)))
    rows.append(("Active compound risks", str(before.active_compound_risks), str(after.active_compound_risks)))
    rows.append(("Critical compound risks", str(before.critical_compound_risks), str(after.critical_compound_risks)))
    rows.append(("Pilots with a compound risk", str(before.pilots_with_compound_risk),
                 str(after.pilots_with_compound_risk)))  # fmt: skip
    return pd.DataFrame(rows, columns=["", "Before", "After the plan"])


def before_after(result: WhatIfResult) -> None:
    """Now and after the plan side by side: the whole portfolio, and the pilots in scope when they are fewer."""
    scoped = bool(result.scope.unit or result.scope.pilots)
    columns = st.columns(2) if scoped else [st.container()]
    with columns[0]:
        st.markdown(f"**Whole portfolio** · {display.count_text(result.before.pilots, 'pilot')}")
        st.dataframe(stats_table(result.before, result.after), hide_index=True, width="stretch")
    if scoped:
        with columns[1]:
            st.markdown(f"**In scope** · {plain(scope_text(result))}")
            st.dataframe(stats_table(result.scope_before, result.scope_after), hide_index=True, width="stretch")
    before, after_plan, _ = result.sentences()
    st.caption(plain(f"{before} {after_plan}"))


def movers_table(result: WhatIfResult) -> pd.DataFrame:
    """The pilots whose verdict moves (those made ready first), at most ``MAX_SHOWN``: verdict and overall now
    and after the plan."""
    return pd.DataFrame(
        [{"Pilot": m.pilot, "Business unit": m.business_unit or display.MISSING,
          "Verdict": f"{charts.verdict_label(m.before)} → {charts.verdict_label(m.after)}",
          "Overall": f"{display.score_text(m.overall_before)} → {display.score_text(m.overall_after)}"}
         for m in result.projection.movers[:MAX_SHOWN]],
        columns=["Pilot", "Business unit", "Verdict", "Overall"],
    )  # fmt: skip


def movers(result: WhatIfResult) -> None:
    """Each pilot whose verdict moves, and which become ready."""
    found = result.projection.movers
    st.subheader(f"Verdicts that move ({len(found):,})" if found else "Verdicts that move", anchor=False)
    ready = result.moved_to_ready
    # The use case's sentence, its list cut short on a large portfolio (the table below lists the movers).
    sentence = result.sentences()[2]
    if len(ready) > NAMES_SHOWN:
        sentence = f"Moved to ready: {names_text(ready, NAMES_SHOWN)}."
    st.markdown(plain(sentence))
    if not found:
        return
    st.dataframe(movers_table(result), hide_index=True, width="stretch")
    if len(found) > MAX_SHOWN:
        st.caption(f"The first {MAX_SHOWN} of {len(found):,}: those made ready first, then the largest gains.")


def heatmap_rows(result: WhatIfResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pilots in scope to draw (at most ``MAX_SHOWN``), now and after the plan: those whose verdict moves
    first, in the movers' order, then the rest in review order (least ready first)."""
    projection_ = result.projection
    now, after = projection_.before[projection_.in_scope], projection_.after[projection_.in_scope]
    moving = [m.pilot for m in projection_.movers]
    moved = set(moving)
    names = [*moving, *(n for n in review_order(after) if n not in moved)][:MAX_SHOWN]
    position = {name: k for k, name in enumerate(after["pilot"].astype(str))}
    rows = [position[name] for name in names]
    return now.iloc[rows], after.iloc[rows]


def heatmap(result: WhatIfResult, key: tuple) -> None:
    """The pilots in scope after the plan, the changed cells outlined and marked ▲ (their score before in the
    hover)."""
    st.subheader("The pilots in scope after the plan", anchor=False)
    now, after = cached_value("whatif.heatmap_rows", key, lambda: heatmap_rows(result))
    fig = cached_figure("whatif.heatmap", key, lambda: charts.whatif_heatmap(now, after,
                                                                           result.projection.changed_cells,
                                                                           result.model, title=None))  # fmt: skip
    st.caption(f"Outlined {charts.CHANGED_GLYPH}: a score the plan changes, written as it would be after the "
               "plan; point at a cell for its score before. Pilots whose verdict moves come first, then the least "
               "ready.")  # fmt: skip
    render_chart(fig, key="whatif_heatmap")
    total = len(result.pilots_in_scope)
    if len(after) < total:
        st.caption(f"Showing {len(after):,} of the {total:,} pilots in scope.")


def greedy_table(steps: Sequence[GreedyStep], pilots: int, model: ReadinessModel) -> pd.DataFrame:
    """The greedy list as a table: each fix by its label and gap, the pilots it applies to, how many it moves to
    ready (their names are under the table: long names would push the table wider than a laptop's screen), and
    the portfolio's ready count and share once it and the steps above are done (the CLI's words)."""
    shorts = charts.short_gap_labels(model)
    rows = []
    for step in steps:
        moves = step_moves(step) or "No verdict moves"
        ready = f"{step.ready} of {pilots} ({display.percent_text(step.ready_share)})"
        rows.append({"Step": step.step, "Fix": model.item_label(step.item), "Gap": shorts[step.gap],
                     "Pilots it fixes": step.pilots_fixed, "Moves to ready": moves, "Ready after": ready})  # fmt: skip
    return pd.DataFrame(rows, columns=["Step", "Fix", "Gap", "Pilots it fixes", "Moves to ready", "Ready after"])


def add_fixes(steps: Sequence[GreedyStep]) -> None:
    """Add the greedy list's fixes to the plan (a callback: the widgets are set before they are drawn)."""
    for step in steps:
        param = YES_PARAM if step.kind == "question" else GREEN_PARAM
        chosen = list(st.session_state.get(param) or [])
        if step.item not in chosen:
            st.session_state[param] = [*chosen, step.item]


def next_best_fixes(result: WhatIfResult) -> None:
    """The greedy "next best fix across the portfolio", after the plan: the portfolio analogue of the Pilot page's
    path to the next verdict."""
    after_plan = " after this plan" if not result.plan.is_empty else ""
    st.subheader(f"Next best fixes across the portfolio{after_plan}", anchor=False)
    if not result.greedy:
        st.caption("No single question or metric would change a verdict or an overall score of the pilots in scope.")
        return
    st.caption(plain(f"For {scope_text(result)}: each step is the one question or metric that, fixed on every pilot "
                     "in scope that falls short on it, moves the most pilots to ready given the steps above (then "
                     "the most verdicts up, then the largest gain in overall readiness)."))  # fmt: skip
    table = greedy_table(result.greedy, result.after.pilots, result.model)
    fixes = st.column_config.NumberColumn("Pilots it fixes", help="Pilots in scope that fall short on this item")
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"Step": st.column_config.NumberColumn("Step", width="small"),
                                "Pilots it fixes": fixes})  # fmt: skip
    made_ready = [f"step {s.step}: {names_text(s.moved_to_ready, NAMES_SHOWN)}" for s in result.greedy
                  if s.moved_to_ready]  # fmt: skip
    if made_ready:
        st.caption(plain(f"Made ready by {'; '.join(made_ready)}."))
    st.button(f"Add these {len(result.greedy)} fixes to the plan", key="whatif.add_greedy", on_click=add_fixes,
              args=(result.greedy,), icon=":material/add:")  # fmt: skip


def ranking_table(ranked: Sequence[PlanRank], plan: Plan, model: ReadinessModel) -> pd.DataFrame:
    """The plans by yield: each in words (this plan named so), items fixed, pilots moved to ready, and pilots
    moved to ready per item fixed (two decimals, rounded down like every shown number)."""
    rows = [{"Plan": f"This plan: {r.plan.text(model)}" if r.plan == plan else r.plan.text(model),
             "Items fixed": r.items, "Pilots moved to ready": r.moved_to_ready,
             "Ready per item fixed": f"{display.floor_to(r.per_item, 2):.2f}"} for r in ranked]  # fmt: skip
    return pd.DataFrame(rows, columns=RANK_COLUMNS)


def ranked_plans(result: WhatIfResult) -> None:
    """This plan against closing each gap alone, over the same scope: pilots moved to ready per item fixed."""
    st.subheader("Plans ranked by pilots moved to ready per item fixed", anchor=False)
    ranked = ranking(result.plan, result.scope)
    st.caption(plain(f"For {scope_text(result)}: {'this plan and ' if not result.plan.is_empty else ''}closing each "
                     "gap alone. An item counts once however many pilots it is fixed on."))  # fmt: skip
    st.dataframe(ranking_table(ranked, result.plan, result.model), hide_index=True, width="stretch",
                 column_config={"Ready per item fixed": st.column_config.TextColumn(
                     "Ready per item fixed", help="Pilots moved to ready divided by the questions and metrics the "
                                                  "plan fixes")})  # fmt: skip


# --------------------------------------------------------------------------------------------
# Save
# --------------------------------------------------------------------------------------------


def save_box(plan: Plan, scope: WhatIfScope) -> None:
    """Save the plan and scope as a named scenario (a new version when the name exists), for those who may."""
    identity = current_identity()
    if not permits(identity, "assess"):
        st.caption("Saving a scenario needs the contributor role. The link in the address bar reopens this plan.")
        return
    local = identity.source == "local"
    fields = st.columns([3, 2, 1] if local else [5, 1], vertical_alignment="bottom")
    name = fields[0].text_input("Scenario name", key="whatif.name", max_chars=200,
                                placeholder="e.g. Q3 data-quality programme")  # fmt: skip
    actor = fields[1].text_input("Saved by", key="whatif.actor", placeholder="name@example.com",
                                 help="Recorded with the scenario and in the audit log.") if local else ""  # fmt: skip
    clicked = fields[-1].button("Save", key="whatif.save", type="primary", disabled=plan.is_empty, width="stretch",
                                icon=":material/save:")  # fmt: skip
    st.caption("Saving keeps the plan and its scope under the name, audited; saving the same name again adds a "
               "version. No snapshot changes. The link in the address bar reopens this plan too.")  # fmt: skip
    done = st.session_state.pop(SAVED, None)
    if done:
        st.success(plain(done), icon=":material/check_circle:")
    if not clicked:
        return
    try:
        record = save_scenario(get_engine(), name, plan, scope, identity=identity, actor=actor.strip() or None)
    except InvalidInput as problem:
        issues = "; ".join(f"{i.location}: {i.message}" if i.location else i.message for i in problem.issues)
        st.error(plain(f"The scenario was not saved: {issues}."))
        return
    clear_caches()
    st.session_state[OPENED] = (record, plan, scope)
    st.session_state[SAVED] = f"Saved “{record.name}”, version {record.version}, at {datetime_text(record.created_at)}."
    # Again from the top: the picker above offers the new version and the banner names the scenario.
    st.rerun()


def export_buttons(result: WhatIfResult) -> None:
    """The projection as a slide in the board deck's look and as a workbook sheet, both labelled a projection
    (named after the scenario when one is open), built when clicked; for those who may export."""
    identity = current_identity()
    if not permits(identity, "export"):
        return
    record = opened_scenario(result)
    named = result if record is None else replace(result, scenario=record)
    stem = scenario_stem(named)
    deck, sheet, _ = st.columns([1, 1, 1])
    deck.download_button("Download the slide", data=lambda: scenario_deck(named, identity=identity),
                         file_name=f"{stem}.pptx", mime=PPTX, key="whatif.deck", on_click="ignore",
                         icon=":material/slideshow:", width="stretch")  # fmt: skip
    sheet.download_button("Download the sheet", data=lambda: scenario_workbook(named, identity=identity),
                          file_name=f"{stem}.xlsx", mime=XLSX, key="whatif.sheet", on_click="ignore",
                          icon=":material/table_view:", width="stretch")  # fmt: skip


def datetime_text(moment: datetime) -> str:
    """``12 Nov 2026, 14:05 UTC``."""
    return f"{moment:%d %b %Y, %H:%M} UTC"


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def notice() -> None:
    """The message a callback left for this run (a scenario that could not be opened as saved)."""
    left = st.session_state.pop(NOTICE, None)
    if left:
        kind, text = left
        (st.error if kind == "error" else st.warning)(plain(text))


def body() -> None:
    st.title("What-if", anchor=False)
    if is_database_empty():
        empty_state()
        return
    st.caption("Project a plan of fixes on each pilot's latest assessment: which pilots it would make ready, and "
               "the portfolio before and after. A projection never changes a stored snapshot.")  # fmt: skip
    notice()
    model = load_model()
    latest = latest_portfolio()
    records = saved_scenarios()
    if records:
        scenario_opener(records)
    with st.container(border=True):
        scope = scope_picker(latest)
        plan = plan_picker(model)
    if filters_active():
        st.caption("The sidebar's filters do not apply here: the plan's scope is chosen above.")
    if scope is None:
        st.info("Choose the business unit or the pilots the plan applies to.")
        return
    result = projection(plan, scope)
    key = key_of(plan, scope)
    if plan.is_empty:
        st.info(plain(f"Choose fixes above to project them. As the portfolio stands: {ready_sentence(result.before)}"),
                icon=":material/science:")  # fmt: skip
    else:
        banner(result)
        kpi_tiles(result)
        before_after(result)
        movers(result)
        heatmap(result, key)
    next_best_fixes(result)
    ranked_plans(result)
    if not plan.is_empty:
        st.subheader("Save and export", anchor=False)
        save_box(plan, result.scope)
        export_buttons(result)


with guarded("the what-if projection"):
    body()
