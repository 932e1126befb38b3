"""What-if projections (readiness.whatif, readiness.service.whatif, readiness.store.scenarios): a plan never
lowers a score or a verdict, the vectorized projection equals the one-by-one path, the greedy list's first item
is the best single fix, scopes are respected, and scenarios are saved append-only on both backends."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from readiness.assessment import Assessment
from readiness.curves import curve_score
from readiness.demo import demo_assessments, synthetic_assessments
from readiness.errors import InvalidInput
from readiness.model import GAP_IDS, RatioCurve, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, measured_column, score_frame
from readiness.scoring import score_assessment
from readiness.service.access import Grant, Identity, NotPermitted, Role, Scope, cli_identity
from readiness.service.integrity import retract
from readiness.service.whatif import (
    WhatIfScope,
    list_scenarios,
    load_scenario,
    project_portfolio,
    run_scenario,
    save_scenario,
)
from readiness.store import add_assessments, audit_entries, count_rows
from readiness.store.roles import app_role_statements
from readiness.store.scenarios import get_scenario, latest_scenarios, scenario_versions
from readiness.store.scenarios import save_scenario as store_scenario
from readiness.whatif import (
    PROJECTION_LABEL,
    Plan,
    apply_items,
    apply_plan_to_assessment,
    best_single_fix,
    check_monotone_evidence,
    evaluate_single_fixes,
    green_values,
    model_items,
    next_best_fixes,
    parse_plan,
    project,
    rank_plans,
    verdict_ranks,
)
from tests.factories import build
from tests.test_properties import CONFIDENCE_TOLERANCE, SCORE_TOLERANCE, assessments

MODEL = load_model()
ADMIN = cli_identity("ada")
VIEWER = Identity(subject="vic", grants=(Grant(Role.VIEWER),), source="sso")
OPERATIONS = Identity(subject="olga", grants=(Grant(Role.CONTRIBUTOR, Scope("unit", "Operations")),), source="sso")
UNITS = ("Operations", "Finance", None)
QUESTION_IDS = [q.id for q in MODEL.questions]
METRIC_IDS = [m.id for m in MODEL.scored_metrics]
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------


@st.composite
def portfolios(draw: st.DrawFn, max_size: int = 8) -> list[Assessment]:
    """Distinct pilots (one assessment each) across two business units, every verdict possible."""
    batch = draw(st.lists(assessments(), min_size=1, max_size=max_size))
    renamed = []
    for k, assessment in enumerate(batch):
        pilot = assessment.pilot.model_copy(
            update={"name": f"Pilot {k}", "business_unit": draw(st.sampled_from(UNITS))}
        )
        renamed.append(assessment.model_copy(update={"pilot": pilot}))
    return renamed


plans = st.builds(
    Plan,
    answer_yes=st.lists(st.sampled_from(QUESTION_IDS), max_size=6).map(tuple),
    metrics_to_green=st.lists(st.sampled_from(METRIC_IDS), max_size=5).map(tuple),
    close_gaps=st.lists(st.sampled_from(GAP_IDS), max_size=2).map(tuple),
)


def single(item_id: str) -> Plan:
    """The plan that fixes one item."""
    return Plan(answer_yes=(item_id,)) if item_id in MODEL.question_by_id else Plan(metrics_to_green=(item_id,))


def scope_of(draw: st.DrawFn, n: int) -> np.ndarray:
    return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------


def test_a_plan_names_its_items_in_model_order_and_in_plain_words() -> None:
    plan = parse_plan({"close_gaps": ["Data_Quality"], "answer_yes": ["scale-1", "DATA-1"],
                       "metrics_to_green": ["monitoring.signals_tracked"]})  # fmt: skip
    assert plan.close_gaps == ("data",) and plan.answer_yes == ("SCALE-1", "DATA-1")
    items = plan.items(MODEL)
    assert items[:3] == ("DATA-1", "DATA-2", "SCALE-1")
    assert {i.id for i in MODEL.items_of("data")} <= set(items) and "monitoring.signals_tracked" in items
    assert plan.describe(MODEL) == [
        "Close the Data quality gap",
        "Answer yes: Load-tested at 10× peak",
        "Bring to green: Signals tracked (≥ 5)",
    ]
    assert Plan().is_empty and Plan().text(MODEL) == "No fix"


@pytest.mark.parametrize(
    ("data", "location", "words"),
    [
        ({"answer_yes": ["DATA-1", "DATA-99"]}, "answer_yes", "unknown question ID 'DATA-99'"),
        ({"metrics_to_green": ["data.nothing"]}, "metrics_to_green", "unknown metric ID 'data.nothing'"),
        ({"metrics_to_green": ["scale.latency_budget_s"]}, "metrics_to_green", "not scored on its own"),
        ({"close_gaps": ["vibes", "moon"]}, "close_gaps", "unknown gaps 'vibes', 'moon'"),
        ({"answer_yes": ["DATA-1"], "pilots": ["x"]}, "pilots", "Extra inputs"),
    ],
)
def test_an_unknown_id_is_refused_naming_the_field(data: dict, location: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_plan(data, MODEL)
    issue = refused.value.issues[0]
    assert issue.location.startswith(location) and words in issue.message


def test_a_model_whose_evidence_levels_could_lower_confidence_is_refused() -> None:
    levels = MODEL.scoring.evidence_levels | {"documented": 0.4}
    broken = MODEL.model_copy(update={"scoring": MODEL.scoring.model_copy(update={"evidence_levels": levels})})
    with pytest.raises(ValueError, match="measured ≥ documented ≥ self_reported"):
        check_monotone_evidence(broken)
    frame = assessments_to_frame([build()], MODEL)
    with pytest.raises(ValueError, match="never lower a pilot's confidence"):
        project(frame, Plan(answer_yes=("DATA-1",)), broken)
    check_monotone_evidence(MODEL)


# --------------------------------------------------------------------------------------------
# Properties of a projection
# --------------------------------------------------------------------------------------------


@SLOW
@given(portfolios(), plans, st.data())
def test_a_plan_never_lowers_a_score_a_confidence_or_a_verdict(batch: list[Assessment], plan: Plan, data) -> None:
    frame = assessments_to_frame(batch, MODEL)
    projection = project(frame, plan, MODEL, scope_of(data.draw, len(frame)))
    before, after = projection.before, projection.after
    for column in [f"score.{g}" for g in GAP_IDS] + [f"confidence.{g}" for g in GAP_IDS]:
        assert (after[column] >= before[column] - 1e-9).all(), column
    assert (after["overall"] >= before["overall"] - 1e-9).all()
    assert (after["overall_confidence"] >= before["overall_confidence"] - 1e-9).all()
    assert (verdict_ranks(after["verdict"].to_numpy()) >= verdict_ranks(before["verdict"].to_numpy())).all()
    assert (after["open_core"] <= before["open_core"]).all()
    assert (after["active_edges"] <= before["active_edges"]).all()
    assert all(m.after != m.before for m in projection.movers)


@SLOW
@given(portfolios())
def test_an_empty_plan_changes_nothing(batch: list[Assessment]) -> None:
    frame = assessments_to_frame(batch, MODEL)
    projection = project(frame, Plan(), MODEL)
    pd.testing.assert_frame_equal(projection.after, projection.before)
    pd.testing.assert_frame_equal(projection.frame_after, frame)
    assert projection.movers == () and projection.changed_cells.empty and projection.fixed_cells == 0
    assert projection.label == PROJECTION_LABEL


@SLOW
@given(portfolios(), plans, st.data())
def test_the_projection_equals_scoring_the_modified_assessments_one_by_one(
    batch: list[Assessment], plan: Plan, data
) -> None:
    frame = assessments_to_frame(batch, MODEL)
    scope = scope_of(data.draw, len(frame))
    after = project(frame, plan, MODEL, scope).after.to_dict("records")
    for values, assessment, inside in zip(after, batch, scope, strict=True):
        single_path = score_assessment(apply_plan_to_assessment(assessment, plan, MODEL) if inside else assessment)
        assert values["verdict"] == single_path.verdict
        assert values["overall"] == pytest.approx(single_path.overall, abs=SCORE_TOLERANCE)
        assert values["overall_confidence"] == pytest.approx(single_path.overall_confidence, abs=CONFIDENCE_TOLERANCE)
        for gap in GAP_IDS:
            assert values[f"score.{gap}"] == pytest.approx(single_path.gaps[gap].score, abs=SCORE_TOLERANCE)
            assert values[f"confidence.{gap}"] == pytest.approx(
                single_path.gaps[gap].confidence, abs=CONFIDENCE_TOLERANCE
            )


@SLOW
@given(portfolios(), plans, st.data())
def test_pilots_out_of_scope_are_left_exactly_as_they_are(batch: list[Assessment], plan: Plan, data) -> None:
    frame = assessments_to_frame(batch, MODEL)
    scope = scope_of(data.draw, len(frame))
    projection = project(frame, plan, MODEL, scope)
    outside = ~scope
    pd.testing.assert_frame_equal(
        projection.frame_after[outside].reset_index(drop=True), frame[outside].reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(
        projection.after[outside].reset_index(drop=True), projection.before[outside].reset_index(drop=True)
    )
    out_names = set(frame.loc[outside, "pilot"])
    assert not out_names & {m.pilot for m in projection.movers}
    assert not out_names & set(projection.changed_cells["pilot"])
    assert projection.pilots_in_scope == frame.loc[scope, "pilot"].tolist()


def test_closing_a_gap_puts_it_at_100_with_documented_evidence() -> None:
    weak = build(answers={"DATA-1": "no", "DATA-2": "not_sure"}, metrics={"data.duplicate_rate": 8.0})
    frame = assessments_to_frame([weak], MODEL)
    projection = project(frame, Plan(close_gaps=("data",)), MODEL)
    assert projection.after.loc[0, "score.data"] == 100
    row = projection.frame_after.loc[0]
    assert (
        row["DATA-1"] == row["DATA-2"] == "yes" and row["DATA-1:documented"] and row["data.duplicate_rate:documented"]
    )
    # Unanswered deeper questions are left alone: outside the score and the evidence base, they hold nothing back.
    assert pd.isna(row["DATA-3"])
    assert projection.changed_cells.to_dict("records")[0]["gap"] == "data"


def test_a_latency_without_a_budget_is_blocked_not_invented() -> None:
    metrics = {"scale.p95_latency_s": 9.0}
    pilot = build(answers={"SCALE-1": "no"}, metrics=metrics)
    projection = project(assessments_to_frame([pilot], MODEL), Plan(close_gaps=("scale",)), MODEL)
    assert projection.blocked == (("Claims triage", "scale.p95_latency_s"),)
    assert projection.frame_after.loc[0, "scale.p95_latency_s"] == 9.0
    assert pd.isna(projection.frame_after.loc[0, "scale.latency_budget_s"])
    assert projection.frame_after.loc[0, "SCALE-1"] == "yes"


@settings(max_examples=200, deadline=None)
@given(st.floats(0.001, 1e6, allow_nan=False))
def test_a_green_latency_scores_exactly_100_against_any_budget(budget: float) -> None:
    metric = MODEL.metric_by_id["scale.p95_latency_s"]
    assert isinstance(metric.curve, RatioCurve)
    values = green_values(metric, np.array([budget]))
    assert curve_score(metric.curve, values, np.array([budget]))[0] == 100.0


def test_a_measured_metric_stays_measured_when_fixed() -> None:
    frame = assessments_to_frame([build(metrics={"monitoring.time_to_detect_h": 100.0})], MODEL)
    as_measured = frame.copy()
    as_measured[measured_column("monitoring.time_to_detect_h")] = True
    plan = Plan(metrics_to_green=("monitoring.time_to_detect_h",))
    typed, measured = project(frame, plan, MODEL).after, project(as_measured, plan, MODEL).after
    assert typed.loc[0, "score.monitoring"] == measured.loc[0, "score.monitoring"]
    assert measured.loc[0, "confidence.monitoring"] > typed.loc[0, "confidence.monitoring"]


def test_a_history_is_projected_on_each_pilots_latest_snapshot() -> None:
    history = assessments_to_frame(demo_assessments(MODEL), MODEL)
    projection = project(history, Plan(close_gaps=("trust",)), MODEL)
    assert projection.before["pilot"].is_unique
    latest = latest_per_pilot(history)
    assert projection.before["as_of"].tolist() == latest["as_of"].tolist()


# --------------------------------------------------------------------------------------------
# Every single fix at once, and the greedy list
# --------------------------------------------------------------------------------------------


def brute_force(frame: pd.DataFrame, scope: np.ndarray | None = None) -> pd.DataFrame:
    """Every item fixed alone on the frame and scored through score_frame, one frame per item."""
    before = score_frame(frame, MODEL)
    was = verdict_ranks(before["verdict"].to_numpy())
    rows = []
    for item in model_items(MODEL):
        applied = apply_items(frame, [item.id], MODEL, scope)
        after = score_frame(applied.frame, MODEL)
        rows.append(
            {
                "item": item.id,
                "pilots_fixed": int(applied.fixed.sum()),
                "moved_to_ready": int(((after["verdict"] == "ready") & (before["verdict"] != "ready")).sum()),
                "improved": int((verdict_ranks(after["verdict"].to_numpy()) > was).sum()),
                "overall_gain": float((after["overall"] - before["overall"]).sum()),
            }
        )
    return pd.DataFrame(rows)


def check_against_brute_force(frame: pd.DataFrame, scope: np.ndarray | None = None) -> None:
    brute = brute_force(frame, scope)
    inside = frame if scope is None else frame[scope]
    table = evaluate_single_fixes(inside, MODEL).table()
    assert table["item"].tolist() == brute["item"].tolist()
    for column in ("pilots_fixed", "moved_to_ready", "improved"):
        assert table[column].tolist() == brute[column].tolist(), column
    assert np.allclose(table["overall_gain"], brute["overall_gain"], atol=1e-6)
    best = best_single_fix(brute)
    greedy = next_best_fixes(frame, MODEL, scope, steps=1)
    if best is None:
        assert greedy == []
        return
    assert greedy[0].item == brute.loc[best, "item"]
    assert len(greedy[0].moved_to_ready) == brute["moved_to_ready"].max()


def test_the_greedy_first_item_is_the_best_single_fix_on_the_demo() -> None:
    frame = latest_per_pilot(assessments_to_frame(demo_assessments(MODEL), MODEL))
    check_against_brute_force(frame)
    # Not a vacuous check: on the demo the best single fix does make a pilot ready.
    assert next_best_fixes(frame, MODEL, steps=1)[0].moved_to_ready
    check_against_brute_force(frame, (frame["business_unit"] == "Operations").to_numpy())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios(max_size=6), st.data())
def test_the_greedy_first_item_is_the_best_single_fix(batch: list[Assessment], data) -> None:
    frame = assessments_to_frame(batch, MODEL)
    check_against_brute_force(frame, scope_of(data.draw, len(frame)))


def test_each_greedy_step_states_what_projecting_the_steps_so_far_gives() -> None:
    frame = latest_per_pilot(assessments_to_frame(synthetic_assessments(60, 1), MODEL))
    scope = (frame["business_unit"] != "Finance").to_numpy()
    steps = next_best_fixes(frame, MODEL, scope, steps=6)
    assert steps and [s.step for s in steps] == list(range(1, len(steps) + 1))
    ready_before = int((project(frame, Plan(), MODEL).before["verdict"] == "ready").sum())
    for k, step in enumerate(steps):
        ids = [s.item for s in steps[: k + 1]]
        plan = Plan(answer_yes=tuple(i for i in ids if i in MODEL.question_by_id),
                    metrics_to_green=tuple(i for i in ids if i in MODEL.metric_by_id))  # fmt: skip
        projection = project(frame, plan, MODEL, scope)
        ready = int((projection.after["verdict"] == "ready").sum())
        assert step.ready == ready and step.ready_share == pytest.approx(100 * ready / len(frame))
        assert step.ready >= ready_before
        earlier = {name for s in steps[:k] for name in s.moved_to_ready}
        assert set(step.moved_to_ready) == set(projection.moved_to_ready) - earlier


def test_plans_are_ranked_by_pilots_moved_to_ready_per_item() -> None:
    data_short = {"DATA-1": "no", "DATA-2": "no"}
    frame = assessments_to_frame([
        build(answers=data_short, name="A"), build(answers=data_short, name="B"),
        build(answers={"SCALE-1": "no", "SCALE-2": "no"}, name="C"), build(name="D"),
    ], MODEL)  # fmt: skip
    one = Plan(answer_yes=("DATA-1",))
    two = Plan(answer_yes=("DATA-1", "SCALE-1"))
    gap = Plan(close_gaps=("data",))
    ranked = rank_plans(frame, [Plan(), gap, two, one], MODEL)
    assert [r.plan for r in ranked] == [one, two, gap, Plan()]
    assert [(r.moved_to_ready, r.items, r.per_item) for r in ranked] == [(2, 1, 2.0), (3, 2, 1.5), (2, 10, 0.2),
                                                                          (0, 0, 0.0)]  # fmt: skip
    assert sorted(ranked[1].projection.moved_to_ready) == ["A", "B", "C"]


# --------------------------------------------------------------------------------------------
# The use case and scenarios in the store
# --------------------------------------------------------------------------------------------


def stored_portfolio(engine: Engine) -> None:
    add_assessments(engine, [
        build(answers={"DATA-1": "no", "DATA-2": "no"}, name="Claims triage"),
        build(answers={"TRUST-1": "not_sure"}, name="Invoice matching", business_unit="Finance", owning_team="AP"),
        build(name="Maintenance prediction", owning_team="Plant"),
    ], source="cli", actor="tests")  # fmt: skip


def test_a_scenario_is_saved_append_only_and_read_back(engine: Engine) -> None:
    stored_portfolio(engine)
    before = count_rows(engine)
    plan = Plan(close_gaps=("data",))
    first = save_scenario(engine, "Q3 data push", plan, WhatIfScope(unit="operations"), identity=ADMIN)
    second = save_scenario(engine, "q3  DATA push", Plan(answer_yes=("TRUST-1",)), identity=ADMIN)
    assert (first.name, first.version, second.name, second.version) == ("Q3 data push", 1, "Q3 data push", 2)
    assert first.scope == {"unit": "Operations", "pilots": []} and first.created_by == "ada"
    assert [r.version for r in scenario_versions(engine, "Q3 DATA PUSH")] == [1, 2]
    assert [(r.name, r.version) for r in latest_scenarios(engine)] == [("Q3 data push", 2)]
    record, loaded, scope = load_scenario(engine, "q3 data push", ADMIN, MODEL)
    assert (record.version, loaded, scope) == (2, Plan(answer_yes=("TRUST-1",)), WhatIfScope())
    after = count_rows(engine)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}
    assert [e.action for e in audit_entries(engine, limit=2)] == ["scenario.save", "scenario.save"]
    for statement in ("UPDATE scenario SET name = 'x'", "DELETE FROM scenario"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert get_scenario(engine, "Q3 data push").version == 2


def test_the_app_role_may_append_scenarios_but_not_change_them() -> None:
    statements = app_role_statements("readiness", "readiness_app")
    appends = next(s for s in statements if s.startswith("GRANT INSERT ON "))
    assert '"readiness".scenario' in appends
    assert not any("scenario" in s and ("UPDATE" in s or "DELETE" in s) for s in statements)


def test_a_scenario_projects_the_portfolio_as_it_stands(engine: Engine) -> None:
    stored_portfolio(engine)
    plan = Plan(close_gaps=("data",))
    save_scenario(engine, "Data for Operations", plan, WhatIfScope(unit="Operations"), identity=ADMIN)
    saved = run_scenario(engine, "data for operations", greedy_steps=2, identity=ADMIN)
    direct = project_portfolio(engine, plan, WhatIfScope(unit="Operations"), greedy_steps=2, identity=ADMIN)
    assert saved.scenario is not None and saved.scenario.name == "Data for Operations"
    assert {k: v for k, v in saved.to_json_dict().items() if k != "scenario"} == {
        k: v for k, v in direct.to_json_dict().items() if k != "scenario"
    }
    assert direct.pilots_in_scope == ("Claims triage", "Maintenance prediction")
    assert direct.moved_to_ready == ["Claims triage"]
    assert direct.before.by_verdict["ready"] + 1 == direct.after.by_verdict["ready"]
    assert [r.name for r in list_scenarios(engine, VIEWER)] == ["Data for Operations"]


def test_a_saved_scenario_naming_an_item_the_model_lost_is_refused_clearly(sqlite_engine: Engine) -> None:
    stored_portfolio(sqlite_engine)
    store_scenario(sqlite_engine, "Old", {"unit": None, "pilots": []}, {"answer_yes": ["DATA-77"]}, "2025.1",
                   actor="tests")  # fmt: skip
    with pytest.raises(InvalidInput, match="scenario 'Old': answer_yes: unknown question ID 'DATA-77'"):
        run_scenario(sqlite_engine, "Old", identity=ADMIN)
    with pytest.raises(InvalidInput, match="no scenario named 'Nope'"):
        run_scenario(sqlite_engine, "Nope", identity=ADMIN)


def test_reading_needs_read_and_saving_needs_assess_on_every_pilot_in_scope(sqlite_engine: Engine) -> None:
    stored_portfolio(sqlite_engine)
    plan = Plan(answer_yes=("DATA-1",))
    assert project_portfolio(sqlite_engine, plan, identity=VIEWER).after.pilots == 3
    with pytest.raises(NotPermitted, match="may not save assessments"):
        save_scenario(sqlite_engine, "Viewer plan", plan, identity=VIEWER)
    saved = save_scenario(sqlite_engine, "Ops plan", plan, WhatIfScope(unit="Operations"), identity=OPERATIONS)
    assert saved.written_by is not None and saved.written_by.subject == "olga"
    with pytest.raises(NotPermitted, match="Invoice matching"):
        save_scenario(sqlite_engine, "Everyone", plan, identity=OPERATIONS)
    nobody = Identity(subject="x", source="sso")
    with pytest.raises(NotPermitted):
        project_portfolio(sqlite_engine, plan, identity=nobody)


def test_bad_names_scopes_and_plans_are_refused(sqlite_engine: Engine) -> None:
    stored_portfolio(sqlite_engine)
    plan = Plan(answer_yes=("DATA-1",))
    with pytest.raises(InvalidInput, match="name the scenario"):
        save_scenario(sqlite_engine, "   ", plan, identity=ADMIN)
    with pytest.raises(InvalidInput, match="control character"):
        save_scenario(sqlite_engine, "bad\x07name", plan, identity=ADMIN)
    with pytest.raises(InvalidInput, match="fixes nothing"):
        save_scenario(sqlite_engine, "Empty", Plan(), identity=ADMIN)
    with pytest.raises(
        InvalidInput, match=r"no pilot belongs to business unit 'Mars' \(known: 'Finance', 'Operations'\)"
    ):
        project_portfolio(sqlite_engine, plan, WhatIfScope(unit="Mars"), identity=ADMIN)
    with pytest.raises(InvalidInput, match="no pilot named 'Nobody'"):
        project_portfolio(sqlite_engine, plan, WhatIfScope(pilots=("Nobody",)), identity=ADMIN)
    with pytest.raises(InvalidInput, match="not both"):
        WhatIfScope(unit="Finance", pilots=("Claims triage",))


def test_a_projection_reads_the_snapshots_in_force(sqlite_engine: Engine) -> None:
    old = build(answers={"DATA-1": "no"}, name="Claims triage")
    new = old.model_copy(update={"as_of": date(2026, 11, 2), "answers": old.answers | {"DATA-1": "yes"}})
    added = add_assessments(sqlite_engine, [old, new], source="cli", actor="tests")
    retract(sqlite_engine, ADMIN, "typed against the wrong pilot", [added[1].snapshot_id])
    result = project_portfolio(sqlite_engine, Plan(answer_yes=("DATA-1",)), identity=ADMIN)
    assert result.projection.before["as_of"].tolist() == [date(2026, 11, 1)]
    assert result.projection.fixed_cells == 1


# --------------------------------------------------------------------------------------------
# The benchmark's rows (timings are reported by `make bench`, never asserted)
# --------------------------------------------------------------------------------------------


def test_the_bench_reports_the_plan_beside_its_baseline_and_the_greedy_list() -> None:
    from bench.run import bench_whatif

    rows = bench_whatif(synthetic_assessments(40, 2))
    assert [r.name for r in rows] == [
        "whatif.plan (40 pilots, warm)",
        "whatif.plan_one_by_one (40 pilots, baseline)",
        "whatif.greedy_10_steps (40 pilots)",
    ]
    assert rows[0].budget == 300 and rows[0].budget_met is not None
    assert rows[1].budget is None and rows[2].budget is None and all(r.value > 0 for r in rows)
