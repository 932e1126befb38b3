"""``readiness whatif`` on the demo portfolio: the same numbers as the use case and as scoring the modified
assessments one by one, headed as a projection, scenarios saved and run, and clear refusals (exit 2)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner, Result

from readiness.cli.main import cli
from readiness.model import load_model
from readiness.scoring import score_assessment
from readiness.service.access import cli_identity
from readiness.service.whatif import WhatIfScope, project_portfolio
from readiness.store import count_rows, latest_assessments, make_engine
from readiness.whatif import PROJECTION_LABEL, Plan, apply_plan_to_assessment

MODEL = load_model()


def whatif(*args: str) -> Result:
    return CliRunner().invoke(cli, ["whatif", *args])


def test_closing_the_data_gap_for_operations_states_the_use_cases_numbers(demo_database_url: str) -> None:
    result = whatif("--unit", "Operations", "--close-gap", "data_quality", "--json", "--db", demo_database_url)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    engine = make_engine(demo_database_url)
    try:
        plan, scope = Plan(close_gaps=("data",)), WhatIfScope(unit="Operations")
        expected = project_portfolio(engine, plan, scope, greedy_steps=5, identity=cli_identity("tests"))
        stored = [s.assessment for s in latest_assessments(engine)]
    finally:
        engine.dispose()
    assert printed == json.loads(json.dumps(expected.to_json_dict()))
    assert printed["projection"] is True and printed["label"] == PROJECTION_LABEL
    assert printed["scope"]["pilots_in_scope"] == [
        "Claims triage",
        "Maintenance prediction",
        "Parts demand sensing",
        "Shift scheduling",
    ]
    # The same portfolio scored one assessment at a time on the explained path, Operations' pilots modified.
    one_by_one = [
        score_assessment(apply_plan_to_assessment(a, plan, MODEL) if a.pilot.business_unit == "Operations" else a)
        for a in stored
    ]
    verdicts = Counter(r.verdict for r in one_by_one)
    after = printed["portfolio"]["after"]
    assert after["verdicts"] == {v: verdicts.get(v, 0) for v in ("not_ready", "conditional", "ready")}
    assert after["ready_share"] == pytest.approx(100 * verdicts["ready"] / len(stored))
    before_ready = {r.pilot for r in map(score_assessment, stored) if r.verdict == "ready"}
    now_ready = {r.pilot for r in one_by_one if r.verdict == "ready"}
    assert printed["moved_to_ready"] == sorted(now_ready - before_ready) == ["Parts demand sensing"]
    assert {c["gap"] for c in printed["changed_cells"]} == {"data"}
    assert after["gartner_ready_share"] == MODEL.scoring.gartner_ready_share


def test_the_table_is_headed_as_a_projection(demo_database_url: str) -> None:
    result = whatif("--unit", "operations", "--close-gap", "Data quality", "--db", demo_database_url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == PROJECTION_LABEL
    assert (
        "Scope: business unit Operations (4 pilots: Claims triage, Maintenance prediction, Parts demand sensing, "
        "Shift scheduling)" in lines
    )
    assert "Plan: Close the Data quality gap" in lines
    assert any(line.startswith("Ready share") and line.split()[-2:] == ["25%", "31%"] for line in lines)
    assert "(Gartner: 48% of AI prototypes reach production)" in lines
    assert "Verdicts that move:" in lines and "Next best fixes" in result.output


def test_a_plan_is_saved_as_a_scenario_and_run_again(demo_database_copy: str) -> None:
    saved = whatif("--pilot", "claims triage", "--yes", "trust-1", "--yes", "TRUST-2", "--green",
                   "trust.confidence_shown", "--save", "Trust push", "--json", "--db", demo_database_copy)  # fmt: skip
    assert saved.exit_code == 0, saved.output
    first = json.loads(saved.output)
    assert first["saved"] == {"name": "Trust push", "version": 1}
    engine = make_engine(demo_database_copy)
    try:
        snapshots = count_rows(engine)["snapshot"]
    finally:
        engine.dispose()
    again = whatif("--scenario", "TRUST PUSH", "--json", "--db", demo_database_copy)
    assert again.exit_code == 0, again.output
    second = json.loads(again.output)
    assert second["scenario"]["name"] == "Trust push" and second["scenario"]["version"] == 1
    assert second["plan"]["items"] == ["TRUST-1", "TRUST-2", "trust.confidence_shown"]
    assert second["scope"]["pilots"] == ["Claims triage"]
    for key in ("portfolio", "in_scope", "movers", "changed_cells", "greedy"):
        assert second[key] == first[key], key
    table = whatif("--scenario", "Trust push", "--greedy", "0", "--db", demo_database_copy)
    assert table.exit_code == 0 and "Scenario: Trust push (version 1" in table.output
    engine = make_engine(demo_database_copy)
    try:
        assert count_rows(engine)["snapshot"] == snapshots, "a scenario never changes a stored snapshot"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--yes", "DATA-99"], "error: --yes: unknown question ID 'DATA-99'"),
        (["--green", "scale.latency_budget_s"], "error: --green: scale.latency_budget_s is not scored on its own"),
        (["--close-gap", "vibes"], "error: --close-gap: unknown gap 'vibes'"),
        (["--unit", "Mars", "--yes", "DATA-1"], "error: unit: no pilot belongs to business unit 'Mars'"),
        (["--pilot", "Nobody", "--yes", "DATA-1"], "error: --pilots: no pilot named 'Nobody'"),
        (["--unit", "Finance", "--pilot", "Claims triage"], "error: --unit: give --unit or --pilot, not both"),
        (["--scenario", "Nope"], "error: scenario: no scenario named 'Nope'"),
        (["--scenario", "Nope", "--yes", "DATA-1"], "error: --scenario: a saved scenario carries its plan"),
        (["--save", "Nothing"], "error: plan: the plan fixes nothing"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(demo_database_copy: str, args: list[str], message: str) -> None:
    result = whatif(*args, "--db", demo_database_copy)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message), result.output
    assert "Traceback" not in result.output
