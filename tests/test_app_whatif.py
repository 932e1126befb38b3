"""The What-if page (AppTest) on the demo portfolio: the numbers of the use case and of ``readiness whatif --json``,
headed as a projection; the movers, the heatmap's marks, the next best fixes and the ranking; scenarios saved
(audited, versioned; refused to a viewer) and opened back into the widgets; user text shown as typed; a link naming
nothing known says so; a warm rerun reads nothing but the data version. And the heatmap builder on its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from readiness import charts, display
from readiness.cli.main import cli
from readiness.demo import demo_assessments
from readiness.model import GAP_IDS, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot
from readiness.service.access import cli_identity
from readiness.service.whatif import (
    PROJECTION_LABEL,
    WhatIfScope,
    list_scenarios,
    project_portfolio,
    save_scenario,
)
from readiness.store import make_engine
from readiness.whatif import Plan, project
from tests.test_app_pages import APP, TIMEOUT, assert_clean, figures
from tests.test_auth_pages import AUTH, GROUPS, user
from tests.test_query_count import MAX_WARM_QUERIES, statements

MODEL = load_model()
PAGE = "screens/whatif.py"
# The example as the page's URL says it: the scope and the plan by the labels the widgets show.
OPERATIONS_DATA = {"scope": "A business unit", "unit": "Operations", "close": "Data quality"}
MARKDOWN_NAME = "**x** [a](http://e)"


def open_whatif(query: dict[str, Any] | None = None, at: AppTest | None = None) -> AppTest:
    """A session opening the What-if page with ``query`` in its URL."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT) if at is None else at
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    at.switch_page(PAGE).run()
    return at


@pytest.fixture
def demo_env(demo_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_url)
    return demo_database_url


@pytest.fixture
def writable(demo_database_copy: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A private copy of the demo store, used by the app, and an engine on it."""
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_copy)
    engine = make_engine(demo_database_copy)
    yield engine
    engine.dispose()


def table_with(at: AppTest, column: str, nth: int = 0) -> pd.DataFrame:
    """The ``nth`` table of the page that has ``column``."""
    return [d.value for d in at.dataframe if column in d.value.columns][nth]


def download_labels(at: AppTest) -> list[str]:
    return [button.proto.label for button in at.get("download_button")]


def shown(value: str) -> str:
    """Text as a person reads it: the Markdown escapes of ``ui.plain`` removed."""
    return value.replace("\\", "").replace("\u2060", "")


def page_text(at: AppTest) -> str:
    parts = [*at.title, *at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success]
    return "\n".join(str(p.value) for p in parts)


def expected_rows(stats: dict[str, Any]) -> dict[str, str]:
    """A ``--json`` statistics block as the rows of the page's before/after tables."""
    risks = stats["compound_risks"]
    return {
        "Ready": str(stats["verdicts"]["ready"]),
        "Conditional": str(stats["verdicts"]["conditional"]),
        "Not ready": str(stats["verdicts"]["not_ready"]),
        "Ready share": display.percent_text(stats["ready_share"]),
        "Active compound risks": str(risks["active"]),
        "Critical compound risks": str(risks["critical"]),
        "Pilots with a compound risk": str(risks["pilots"]),
    }


def column_of(table: pd.DataFrame, column: str) -> dict[str, str]:
    return dict(zip(table[""], table[column], strict=True))


# --------------------------------------------------------------------------------------------
# The example: close the data-quality gap for Operations
# --------------------------------------------------------------------------------------------


def test_closing_the_data_gap_for_operations_states_the_clis_numbers(demo_env: str) -> None:
    printed = CliRunner().invoke(cli, ["whatif", "--unit", "Operations", "--close-gap", "data_quality", "--json",
                                       "--db", demo_env])  # fmt: skip
    assert printed.exit_code == 0, printed.output
    cli_json = json.loads(printed.output)
    engine = make_engine(demo_env)
    try:
        plan, scope = Plan(close_gaps=("data",)), WhatIfScope(unit="Operations")
        expected = project_portfolio(engine, plan, scope, greedy_steps=5, identity=cli_identity("tests"))
    finally:
        engine.dispose()
    # The command line and the use case agree; the page must state the same.
    assert cli_json == json.loads(json.dumps(expected.to_json_dict()))
    assert cli_json["moved_to_ready"], "the demo's example moves a pilot to ready"

    at = open_whatif(OPERATIONS_DATA)
    assert_clean(at)
    assert at.segmented_control(key="scope").value == "unit"
    assert at.selectbox(key="unit").value == "Operations"
    assert at.multiselect(key="close").value == ["data"]
    # Headed as a projection, first.
    banner = shown(at.info[0].value)
    assert banner.startswith(f"**{PROJECTION_LABEL}**")
    assert "Plan: Close the Data quality gap" in banner
    assert f"Scope: business unit Operations ({len(expected.pilots_in_scope)} pilots)" in banner
    # Before and after, for the whole portfolio and for Operations.
    whole, in_scope = table_with(at, "After the plan", 0), table_with(at, "After the plan", 1)
    for table, block in ((whole, "portfolio"), (in_scope, "in_scope")):
        assert column_of(table, "Before") == expected_rows(cli_json[block]["before"])
        assert column_of(table, "After the plan") == expected_rows(cli_json[block]["after"])
    tile = next(m for m in at.metric if m.label == "Ready after the plan")
    assert tile.value == display.percent_text(cli_json["portfolio"]["after"]["ready_share"])
    assert display.percent_text(cli_json["portfolio"]["before"]["ready_share"]) in tile.proto.delta
    moved = next(m for m in at.metric if m.label == "Moved to ready")
    assert moved.value == str(len(cli_json["moved_to_ready"]))
    # The portfolio against Gartner's 48%, in the product's sentences.
    captions = [shown(c.value) for c in at.caption]
    assert any(f"Before: {cli_json['portfolio']['before']['sentence']}" in c for c in captions)
    assert any(f"After the plan: {cli_json['portfolio']['after']['sentence']}" in c for c in captions)
    assert "48%" in cli_json["portfolio"]["after"]["sentence"]
    # Each pilot whose verdict moves, verdict and overall before → after.
    movers = table_with(at, "Verdict")
    assert movers["Pilot"].tolist() == [m["pilot"] for m in cli_json["movers"]]
    first = cli_json["movers"][0]
    verdicts = f"{charts.verdict_label(first['before'])} → {charts.verdict_label(first['after'])}"
    assert movers["Verdict"].iloc[0] == verdicts
    assert movers["Overall"].iloc[0] == (f"{display.score_text(first['overall_before'])} → "
                                         f"{display.score_text(first['overall_after'])}")  # fmt: skip
    # The greedy list, fix by label, and the portfolio's ready count after each step.
    greedy = table_with(at, "Moves to ready")
    assert greedy["Fix"].tolist() == [MODEL.item_label(s["item"]) for s in cli_json["greedy"]]
    pilots = cli_json["portfolio"]["after"]["pilots"]
    assert greedy["Ready after"].tolist() == [f"{s['ready']} of {pilots} ({display.percent_text(s['ready_share'])})"
                                              for s in cli_json["greedy"]]  # fmt: skip
    # This plan ranked against closing each other gap alone.
    ranked = table_with(at, "Ready per item fixed")
    assert "This plan: Close the Data quality gap" in ranked["Plan"].tolist()
    assert len(ranked) == 6
    assert download_labels(at) == ["Download the slide", "Download the sheet"]


def test_the_heatmap_draws_the_scope_movers_first_with_the_changed_cells_marked(demo_env: str) -> None:
    at = open_whatif(OPERATIONS_DATA)
    assert_clean(at)
    engine = make_engine(demo_env)
    try:
        expected = project_portfolio(engine, Plan(close_gaps=("data",)), WhatIfScope(unit="Operations"),
                                     identity=cli_identity("tests"))  # fmt: skip
    finally:
        engine.dispose()
    spec = next(f for f in figures(at) if any(t.get("name") == "changed" for t in f["data"]))
    rows = spec["layout"]["yaxis"]["ticktext"]
    assert sorted(rows) == sorted(charts.plain_text(n) for n in expected.pilots_in_scope)
    movers = [m.pilot for m in expected.projection.movers]
    assert rows[: len(movers)] == [charts.plain_text(n) for n in movers]
    cells = spec["data"][1]["text"]
    marked_gaps = sum(cell.startswith(charts.CHANGED_GLYPH) for row in cells for cell in row[:-1])
    assert marked_gaps == len(expected.projection.changed_cells) > 0
    assert {spec["layout"]["xaxis2"]["ticktext"][0]} == {charts.wrapped(charts.short_gap_labels()["data"])}


def test_an_empty_plan_shows_the_next_best_fixes_for_the_portfolio(demo_env: str) -> None:
    at = open_whatif()
    assert_clean(at)
    assert at.segmented_control(key="scope").value == "all"
    engine = make_engine(demo_env)
    try:
        expected = project_portfolio(engine, Plan(), greedy_steps=5, identity=cli_identity("tests"))
    finally:
        engine.dispose()
    assert "Choose fixes above" in at.info[0].value
    greedy = table_with(at, "Moves to ready")
    assert greedy["Fix"].tolist() == [MODEL.item_label(s.item) for s in expected.greedy]
    made_ready = [s for s in expected.greedy if s.moved_to_ready]
    assert made_ready, "on the demo, a single fix moves a pilot to ready"
    assert greedy["Moves to ready"].iloc[made_ready[0].step - 1] == f"+{len(made_ready[0].moved_to_ready)} ready"
    named = f"step {made_ready[0].step}: {', '.join(made_ready[0].moved_to_ready)}"
    assert any(f"Made ready by {named}" in shown(c.value) for c in at.caption)
    assert not any("This plan" in p for p in table_with(at, "Ready per item fixed")["Plan"])
    assert not at.get("plotly_chart") and not at.metric  # nothing projected, nothing to compare
    assert not [t for t in at.text_input if t.key == "whatif.name"]  # an empty plan is not saved


def test_adding_the_next_best_fixes_puts_them_in_the_plan(demo_env: str) -> None:
    at = open_whatif()
    steps = table_with(at, "Moves to ready")["Fix"].tolist()
    at.button(key="whatif.add_greedy").click().run()
    assert_clean(at)
    chosen = [*at.multiselect(key="yes").value, *at.multiselect(key="green").value]
    assert sorted(MODEL.item_label(i) for i in chosen) == sorted(steps)
    assert shown(at.info[0].value).startswith(f"**{PROJECTION_LABEL}**")


def test_choosing_pilots_and_items_in_the_widgets(demo_env: str) -> None:
    at = open_whatif()
    at.segmented_control(key="scope").set_value("pilots").run()
    at.multiselect(key="pilots").set_value(["Claims triage", "Fraud alerts"]).run()
    at.multiselect(key="yes").set_value(["TRUST-1"]).run()
    at.multiselect(key="green").set_value(["trust.adoption_rate"]).run()
    assert_clean(at)
    banner = shown(at.info[0].value)
    assert "Scope: 2 chosen pilots" in banner
    assert "Answer yes: Tested with skeptical users" in banner
    assert "Bring to green: Adoption rate (≥ 60)" in banner


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


def test_saving_a_scenario_writes_it_and_saving_again_adds_a_version(writable: Engine) -> None:
    at = open_whatif(OPERATIONS_DATA)
    at.text_input(key="whatif.name").input("Q3 data programme")
    at.text_input(key="whatif.actor").input("ada@example.com")
    at.button(key="whatif.save").click().run()
    assert_clean(at)
    assert "Saved “Q3 data programme”, version 1" in shown(at.success[0].value)
    saved = list_scenarios(writable, cli_identity("tests"))
    assert [(s.name, s.version, s.created_by) for s in saved] == [("Q3 data programme", 1, "ada@example.com")]
    assert saved[0].scope == {"unit": "Operations", "pilots": []}
    assert saved[0].plan == {"answer_yes": [], "metrics_to_green": [], "close_gaps": ["data"]}
    # The page now names the scenario in the banner and offers it to open.
    assert "Scenario “Q3 data programme”: Version 1 · saved by ada@example.com" in shown(at.info[0].value)
    at.button(key="whatif.save").click().run()
    assert "version 2" in shown(at.success[0].value)
    assert [(s.name, s.version) for s in list_scenarios(writable, cli_identity("tests"))] == [("Q3 data programme", 2)]
    assert at.selectbox(key="whatif.scenario").options == ["Q3 data programme"]


def test_a_scenario_needs_a_name(writable: Engine) -> None:
    at = open_whatif(OPERATIONS_DATA)
    at.button(key="whatif.save").click().run()
    assert not at.exception
    assert "The scenario was not saved: name: name the scenario." in shown(at.error[0].value)
    assert list_scenarios(writable, cli_identity("tests")) == []


def test_a_viewer_sees_the_projection_but_no_save_box(writable: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READINESS_GROUP_ROLES", raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.secrets["readiness"] = {"groups": dict(GROUPS)}
    at.user = user("vera", "readiness-viewers")
    at = open_whatif(OPERATIONS_DATA, at)
    assert_clean(at)
    assert shown(at.info[0].value).startswith(f"**{PROJECTION_LABEL}**")
    assert not [t for t in at.text_input if t.key == "whatif.name"]
    assert not [b for b in at.button if b.key == "whatif.save"]
    assert any("Saving a scenario needs the contributor role" in c.value for c in at.caption)
    # Viewers export: the projection's slide and sheet are offered.
    assert download_labels(at) == ["Download the slide", "Download the sheet"]


def test_opening_a_saved_scenario_restores_its_scope_and_plan(writable: Engine) -> None:
    plan = Plan(close_gaps=("monitoring",), answer_yes=("TRUST-1",), metrics_to_green=("scale.p95_latency_s",))
    scope = WhatIfScope(pilots=("Claims triage", "Fraud alerts"))
    save_scenario(writable, "Latency and trust", plan, scope, identity=cli_identity("grace"))
    save_scenario(writable, "Operations data", Plan(close_gaps=("data",)), WhatIfScope(unit="Operations"),
                  identity=cli_identity("tests"))  # fmt: skip
    at = open_whatif()
    assert_clean(at)
    at.selectbox(key="whatif.scenario").select("Latency and trust").run()
    assert "Version 1 · saved by grace on" in shown(" ".join(c.value for c in at.caption))
    at.button(key="whatif.open").click().run()
    assert_clean(at)
    assert at.segmented_control(key="scope").value == "pilots"
    assert at.multiselect(key="pilots").value == ["Claims triage", "Fraud alerts"]
    assert at.multiselect(key="close").value == ["monitoring"]
    assert at.multiselect(key="yes").value == ["TRUST-1"]
    assert at.multiselect(key="green").value == ["scale.p95_latency_s"]
    banner = shown(at.info[0].value)
    assert "Scenario “Latency and trust”: Version 1 · saved by grace" in banner
    assert "Close the Monitoring & observability gap" in banner
    # Another scenario replaces the scope and the plan.
    at.selectbox(key="whatif.scenario").select("Operations data").run()
    at.button(key="whatif.open").click().run()
    assert at.segmented_control(key="scope").value == "unit"
    assert at.selectbox(key="unit").value == "Operations"
    assert (at.multiselect(key="close").value, at.multiselect(key="yes").value) == (["data"], [])


def test_a_scenario_whose_pilot_is_gone_opens_with_a_warning(writable: Engine) -> None:
    from readiness.store.scenarios import save_scenario as store_scenario

    # Stored as an older portfolio would have it: one of its pilots is no longer in the store.
    store_scenario(writable, "Old", {"unit": None, "pilots": ["Claims triage", "Retired pilot"]},
                   {"answer_yes": ["TRUST-1"], "metrics_to_green": [], "close_gaps": []}, MODEL.version,
                   actor="tests")  # fmt: skip
    at = open_whatif()
    at.selectbox(key="whatif.scenario").select("Old").run()
    at.button(key="whatif.open").click().run()
    assert_clean(at)
    assert at.multiselect(key="pilots").value == ["Claims triage"]
    assert "Retired pilot no longer in the portfolio" in shown(at.warning[0].value)


def test_a_scenario_named_with_markdown_shows_as_typed(writable: Engine) -> None:
    save_scenario(writable, MARKDOWN_NAME, Plan(close_gaps=("data",)), WhatIfScope(unit="Operations"),
                  identity=cli_identity("tests"))  # fmt: skip
    at = open_whatif()
    at.selectbox(key="whatif.scenario").select(MARKDOWN_NAME).run()
    at.button(key="whatif.open").click().run()
    assert_clean(at)
    banner = at.info[0].value
    # Escaped for Markdown: the stars and the link show as typed.
    assert "\\*\\*x\\*\\* \\[a\\]\\(http\\:\u2060//e\\)" in banner
    assert f"Scenario “{MARKDOWN_NAME}”" in shown(banner)
    at.text_input(key="whatif.name").input(MARKDOWN_NAME)
    at.button(key="whatif.save").click().run()
    assert "\\*\\*x\\*\\*" in at.success[0].value and "version 2" in at.success[0].value


# --------------------------------------------------------------------------------------------
# Bad input, an empty database, and a warm rerun
# --------------------------------------------------------------------------------------------


def test_a_link_naming_unknown_pilots_and_items_says_so(demo_env: str) -> None:
    at = open_whatif({"scope": "Chosen pilots", "pilots": ["No such pilot", "Claims triage"],
                                "close": ["Data quality", "Vibes"]})  # fmt: skip
    assert_clean(at)
    warnings = shown(" ".join(w.value for w in at.warning))
    assert "“No such pilot”" in warnings and "“Vibes”" in warnings
    assert at.multiselect(key="pilots").value == ["Claims triage"]
    assert at.multiselect(key="close").value == ["data"]
    assert "Scope: 1 chosen pilot" in shown(at.info[0].value)


def test_an_empty_database_offers_the_three_ways_to_start(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    at = open_whatif()
    assert_clean(at)
    assert at.button(key="empty.demo").label == "Load the demo"
    assert not at.dataframe


def test_a_warm_rerun_reads_only_the_data_version(demo_env: str) -> None:
    at = open_whatif(OPERATIONS_DATA)
    assert_clean(at)
    with statements() as warm:
        at.run()
    assert_clean(at)
    assert len(warm) <= MAX_WARM_QUERIES, warm


def test_sessions_share_the_frame_and_the_projection(demo_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fifty people trying the same plan between two writes: the store's frame is read and the plan projected
    once, not once per session or per rerun (the page is load-tested)."""
    import streamlit as st

    from readiness.service import queries
    from readiness.service import whatif as service_whatif

    counted = {"latest_assessment_frame": 0, "project_frame": 0}
    for module, name in ((queries, "latest_assessment_frame"), (service_whatif, "project_frame")):
        real = getattr(module, name)

        def counting(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            counted[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
    st.cache_resource.clear()
    for _ in range(2):
        at = open_whatif(OPERATIONS_DATA)
        assert_clean(at)
        at.run()
        assert_clean(at)
    assert counted == {"latest_assessment_frame": 1, "project_frame": 1}


# --------------------------------------------------------------------------------------------
# The heatmap builder
# --------------------------------------------------------------------------------------------


def test_the_whatif_heatmap_outlines_and_marks_exactly_the_changed_cells() -> None:
    latest = latest_per_pilot(assessments_to_frame(demo_assessments()))
    scope = (latest["business_unit"] == "Operations").to_numpy()
    projection = project(latest, Plan(close_gaps=("data",)), MODEL, scope)
    now, after = projection.before[scope], projection.after[scope]
    fig = charts.whatif_heatmap(now, after, projection.changed_cells, MODEL)
    verdicts, cells, outline, moved_outline = fig.data
    text = [list(row) for row in cells.text]
    # A gap cell is marked exactly when the projection lists it as changed; overall when its shown number moves.
    changed = {(p, g) for p, g in zip(projection.changed_cells["pilot"], projection.changed_cells["gap"], strict=True)}
    for i, pilot in enumerate(after["pilot"]):
        for j, gap in enumerate(GAP_IDS):
            assert text[i][j].startswith(charts.CHANGED_GLYPH) == ((pilot, gap) in changed)
        overall_moved = display.score_text(now["overall"].iloc[i]) != display.score_text(after["overall"].iloc[i])
        assert text[i][-1].startswith(charts.CHANGED_GLYPH) == overall_moved
        hover = cells.customdata[i][0][2]
        if (pilot, "data") in changed:
            was = display.score_text(now["score.data"].iloc[i])
            assert hover == f"Before {was} → after the plan {display.score_text(after['score.data'].iloc[i])}"
    # One closed rectangle (5 points and a break) per marked cell.
    marked = sum(cell.startswith(charts.CHANGED_GLYPH) for row in text for cell in row)
    assert len(outline.x) == 6 * marked
    # The verdicts that move are outlined, one rectangle each, around the verdict column's cell of their row.
    rows = [i for i, pilot in enumerate(after["pilot"]) if pilot in set(projection.moved_to_ready)]
    assert rows and moved_outline.xaxis == "x" and len(moved_outline.x) == 6 * len(rows)
    assert sorted({round(y) for y in moved_outline.y if y is not None}) == rows
    assert [row[0] for row in verdicts.text] == [charts.VERDICT_LABELS[v] for v in after["verdict"]]


def test_the_whatif_heatmap_escapes_names_and_draws_an_unchanged_plan_without_marks() -> None:
    latest = latest_per_pilot(assessments_to_frame(demo_assessments()))
    latest = latest.assign(pilot=latest["pilot"].where(latest.index != latest.index[0], "<b>Bold</b> & co"))
    projection = project(latest, Plan(), MODEL)
    fig = charts.whatif_heatmap(projection.before, projection.after, projection.changed_cells, MODEL, title=None)
    assert len(fig.data) == 2  # no outline: nothing changed
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in fig.layout.yaxis.ticktext
    assert not any(cell.startswith(charts.CHANGED_GLYPH) for row in fig.data[1].text for cell in row)
