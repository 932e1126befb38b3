"""What-if scenarios exported: a deck slide, a workbook sheet and a report section per scenario, each labelled a
projection, with the use case's own numbers; added to the board pack and the workbook by ``readiness export
--scenario NAME`` and the Export page; and never a change to the store.

Every expected number comes from the use case's :class:`~readiness.service.whatif.WhatIfResult` (and the
display formatters), never from the demo's counts: the demo portfolio changes, the rule does not.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from pptx import Presentation
from pptx.slide import Slide
from sqlalchemy import Engine, select

from readiness import display
from readiness.boardpack.scenario import PROJECTION_TAG, greedy_detail, mover_overall
from readiness.cli.main import cli
from readiness.errors import InvalidInput
from readiness.excel.reader import read_workbook_assessments
from readiness.model import GAP_IDS, load_model
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER
from readiness.service.access import Grant, Identity, NotPermitted, Role, cli_identity
from readiness.service.exports import (
    ExportRequest,
    ExportScope,
    render_export,
    scenario_deck,
    scenario_results,
    scenario_stem,
    scenario_workbook,
    with_next_fixes,
)
from readiness.service.portfolio import portfolio_stats
from readiness.service.whatif import WhatIfResult, WhatIfScope, project_portfolio, run_scenario, save_scenario
from readiness.store import make_engine
from readiness.store.repository import ALL_TABLES
from readiness.store.tables import SCENARIO
from readiness.whatif import PROJECTION_LABEL, Plan

MODEL = load_model()
HOSTILE = '=HYPERLINK("http://x")'
MARKDOWN = "**md**"
OPS = "Operations data push"
TESTS = cli_identity("tests")


def save(engine: Engine, name: str, plan: Plan, scope: WhatIfScope | None = None) -> None:
    save_scenario(engine, name, plan, scope, identity=TESTS, model=MODEL)


@pytest.fixture
def store(demo_database_copy: str) -> Iterator[tuple[str, Engine]]:
    """A private demo store holding three scenarios: a hostile name on Operations' data gap, a Markdown name on
    a plan of many items across every pilot, and a plain one."""
    engine = make_engine(demo_database_copy)
    try:
        save(engine, HOSTILE, Plan(close_gaps=("data",)), WhatIfScope(unit="Operations"))
        many = Plan(
            close_gaps=("monitoring", "data"),
            answer_yes=("SCALE-1", "SCALE-2", "TRUST-1", "TRUST-2"),
            metrics_to_green=("ownership.run_budget_months", "scale.p95_latency_s", "trust.confidence_shown"),
        )
        save(engine, MARKDOWN, many)
        save(engine, OPS, Plan(answer_yes=("TRUST-1",)), WhatIfScope(pilots=("Claims triage", "Fraud alerts")))
        yield demo_database_copy, engine
    finally:
        engine.dispose()


def projected(engine: Engine, name: str) -> WhatIfResult:
    """The use case's projection of a saved scenario, with the next best fixes the exports list."""
    return run_scenario(engine, name, greedy_steps=5, identity=TESTS, model=MODEL)


# --------------------------------------------------------------------------------------------
# Reading a deck
# --------------------------------------------------------------------------------------------


def shapes(slide: Slide) -> dict[str, object]:
    return {shape.name: shape for shape in slide.shapes}


def text_of(slide: Slide, name: str) -> str:
    return shapes(slide)[name].text_frame.text  # type: ignore[attr-defined]


def table_of(slide: Slide, name: str) -> list[list[str]]:
    table = shapes(slide)[name].table  # type: ignore[attr-defined]
    return [[table.cell(r, c).text for c in range(len(table.columns))] for r in range(len(table.rows))]


def all_text(slide: Slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        elif getattr(shape, "has_table", False) and shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def check_slide(slide: Slide, result: WhatIfResult) -> None:
    """The slide states the projection and the use case's numbers, formatted by the display rule."""
    assert result.scenario is not None
    assert text_of(slide, "Title") == f"Scenario: {result.scenario.name} — projection"
    assert text_of(slide, "Tag") == PROJECTION_TAG
    assert text_of(slide, "Subtitle").startswith(PROJECTION_LABEL)
    before, after, _ = result.sentences()
    assert text_of(slide, "Projection sentences").split("\n") == [after, before]
    stats = table_of(slide, "Before and after")
    assert stats[0] == [f"Portfolio · {display.count_text(result.before.pilots, 'pilot')}", "Before", "After",
                        "Change"]  # fmt: skip
    rows = {row[0]: row[1:3] for row in stats[1:]}
    for verdict in VERDICT_ORDER:
        was, now = result.before.by_verdict[verdict], result.after.by_verdict[verdict]
        assert rows[VERDICT_LABELS[verdict]] == [str(was), str(now)]
    gartner = display.threshold_text(result.before.gartner_ready_share)
    assert rows[f"Ready share (Gartner: {gartner}%)"] == [
        display.percent_text(result.before.ready_share),
        display.percent_text(result.after.ready_share),
    ]
    assert rows["Active compound risks"] == [str(result.before.active_compound_risks),
                                             str(result.after.active_compound_risks)]  # fmt: skip
    assert rows["Critical compound risks"] == [str(result.before.critical_compound_risks),
                                               str(result.after.critical_compound_risks)]  # fmt: skip
    movers = result.projection.movers
    if movers:
        table = table_of(slide, "Movers")
        shown = movers[:8]
        assert table[0] == ["Pilot", "Before", "After", "Overall"]
        assert [row[0] for row in table[1:]] == [m.pilot for m in shown]
        assert [row[1:] for row in table[1:]] == [
            [VERDICT_LABELS[m.before], VERDICT_LABELS[m.after], mover_overall(m.overall_before, m.overall_after)]
            for m in shown
        ]
        more = shapes(slide).get("More movers")
        assert (more is not None) == (len(movers) > 8)
        if more is not None:
            assert text_of(slide, "More movers") == f"and {len(movers) - 8} more"
    else:
        assert "No pilot's verdict changes with this plan." in all_text(slide)
    fixes = text_of(slide, "Next best fixes")
    assert result.greedy, "the demo always has a next best fix"
    first = result.greedy[0]
    assert f"1.  {first.label}  {greedy_detail(first, result.after.pilots, 1)}" in fixes.split("\n")


# --------------------------------------------------------------------------------------------
# One projection alone: the what-if page's downloads
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [HOSTILE, MARKDOWN, OPS])
def test_a_scenario_deck_is_one_slide_labelled_a_projection_with_the_use_cases_numbers(store, name: str) -> None:
    _, engine = store
    result = projected(engine, name)
    deck = Presentation(io.BytesIO(scenario_deck(result)))
    (slide,) = deck.slides
    check_slide(slide, result)
    assert PROJECTION_LABEL in deck.core_properties.subject
    # Every fix of the plan as stated, by label (a plan longer than the slide counts the rest).
    plan = text_of(slide, "Plan")
    lines = result.plan.describe(MODEL)
    shown = lines if len(lines) <= 5 else lines[:4]
    assert all(f"•  {line}" in plan.split("\n") for line in shown)
    if len(lines) > 5:
        assert f"and {len(lines) - 4} more fixes" in plan


def test_the_hostile_scenario_moves_a_pilot_so_the_movers_are_checked(store) -> None:
    # The checks above only mean something if a verdict moves: closing Operations' data gap moves one.
    _, engine = store
    assert projected(engine, HOSTILE).projection.movers
    assert len(projected(engine, MARKDOWN).projection.movers) > 1


def test_an_unsaved_plan_is_titled_by_its_plan_and_still_labelled_a_projection(store) -> None:
    _, engine = store
    plan = Plan(close_gaps=("data",))
    result = project_portfolio(engine, plan, WhatIfScope(unit="Operations"), greedy_steps=3, identity=TESTS)
    (slide,) = Presentation(io.BytesIO(scenario_deck(result))).slides
    assert text_of(slide, "Title") == f"What-if: {plan.text(MODEL)}"
    assert text_of(slide, "Tag") == PROJECTION_TAG and text_of(slide, "Subtitle") == PROJECTION_LABEL
    book = load_workbook(io.BytesIO(scenario_workbook(result)))
    assert book.sheetnames == ["What-if"]
    sheet = book["What-if"]
    assert sheet["A1"].value == f"What-if: {plan.text(MODEL)}" and sheet["A2"].value == PROJECTION_LABEL
    assert scenario_stem(result).startswith("readiness-what-if-")


def test_a_projection_made_without_next_fixes_is_exported_with_the_use_cases_list(store) -> None:
    _, engine = store
    plan, scope = Plan(close_gaps=("data",)), WhatIfScope(unit="Operations")
    bare = project_portfolio(engine, plan, scope, greedy_steps=0, identity=TESTS)
    full = project_portfolio(engine, plan, scope, greedy_steps=5, identity=TESTS)
    assert not bare.greedy and full.greedy
    assert with_next_fixes(bare).greedy == full.greedy
    (slide,) = Presentation(io.BytesIO(scenario_deck(bare))).slides
    first = full.greedy[0]
    assert f"1.  {first.label}  {greedy_detail(first, full.after.pilots, 1)}" in text_of(slide, "Next best fixes")


def test_a_long_scenario_name_is_cut_before_the_words_projection(store) -> None:
    _, engine = store
    name = "Q3 " + "a very long scenario name about everything we could fix " * 3
    save(engine, name, Plan(answer_yes=("TRUST-1",)))
    (slide,) = Presentation(io.BytesIO(scenario_deck(projected(engine, name)))).slides
    title = text_of(slide, "Title")
    assert title.startswith("Scenario: Q3 a very long") and title.endswith("… — projection")


# --------------------------------------------------------------------------------------------
# The workbook sheet
# --------------------------------------------------------------------------------------------


def sheet_rows(sheet) -> list[list[object]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def section(rows: list[list[object]], title: str) -> list[list[object]]:
    """The rows of a section: from its header row (after the title) to the next blank row."""
    start = next(k for k, row in enumerate(rows) if row and row[0] == title) + 1
    end = next((k for k in range(start, len(rows)) if not any(v is not None for v in rows[k])), len(rows))
    return rows[start:end]


def check_sheet(sheet, result: WhatIfResult) -> None:
    """The sheet holds the label, the scenario's name as text, and the use case's numbers."""
    assert result.scenario is not None
    assert sheet["A2"].value == PROJECTION_LABEL
    rows = sheet_rows(sheet)
    facts = {row[0]: row[1] for row in rows[4:10] if row and row[0]}
    assert facts["Scenario"] == result.scenario.name
    assert facts["Pilots in scope"] == len(result.pilots_in_scope)
    plan = section(rows, "Plan")
    assert [row[1] for row in plan[1:]] == list(result.plan.items(MODEL))
    summary = {row[0]: row[1:6] for row in section(rows, "Before and after")[1:] if row[0]}
    scoped = bool(result.scope.unit or result.scope.pilots)
    for verdict in VERDICT_ORDER:
        values = summary[VERDICT_LABELS[verdict]]
        assert values[:2] == [result.before.by_verdict[verdict], result.after.by_verdict[verdict]]
        if scoped:
            assert values[3:5] == [result.scope_before.by_verdict[verdict], result.scope_after.by_verdict[verdict]]
    assert summary["Ready share (%)"][:2] == [display.floor_to(result.before.ready_share, 1),
                                              display.floor_to(result.after.ready_share, 1)]  # fmt: skip
    assert summary["Active compound risks"][:2] == [result.before.active_compound_risks,
                                                    result.after.active_compound_risks]  # fmt: skip
    assert summary["Pilots"][:2] == [result.before.pilots, result.after.pilots]
    assert all(sentence in [row[0] for row in rows] for sentence in result.sentences())
    pilots = section(rows, "Pilots in scope, before and after")
    header = pilots[0]
    assert header[:7] == ["Pilot", "Business unit", "Changed", "Verdict before", "Verdict after", "Overall before",
                          "Overall after"]  # fmt: skip
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in pilots[1:]}
    assert set(by_name) == set(result.pilots_in_scope)
    after = result.projection.after.set_index("pilot")
    before = result.projection.before.set_index("pilot")
    movers = {m.pilot for m in result.projection.movers}
    for name, row in by_name.items():
        assert row["Verdict after"] == VERDICT_LABELS[after.loc[name, "verdict"]]
        assert row["Overall after"] == display.floor_to(after.loc[name, "overall"], 1)
        assert row["Overall before"] == display.floor_to(before.loc[name, "overall"], 1)
        for gap in GAP_IDS:
            label = MODEL.gap(gap).label
            assert row[f"{label} after"] == display.floor_to(after.loc[name, f"score.{gap}"], 1)
        assert (row["Changed"] == "Verdict moves") == (name in movers)
    # Movers first, in the use case's order.
    assert [row[0] for row in pilots[1 : len(movers) + 1]] == [m.pilot for m in result.projection.movers]
    greedy = section(rows, "Next best fixes after the plan (greedy, one item at a time across the pilots in scope)")
    assert [(row[0], row[2], row[9]) for row in greedy[1:]] == [(s.step, s.item, s.ready) for s in result.greedy]


def no_formula(book) -> None:
    """No cell of any sheet is a formula (user text stays text whatever it starts with)."""
    formulas = [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


@pytest.mark.parametrize("name", [HOSTILE, MARKDOWN, OPS])
def test_a_scenario_workbook_holds_the_label_and_the_use_cases_numbers(store, name: str) -> None:
    _, engine = store
    result = projected(engine, name)
    book = load_workbook(io.BytesIO(scenario_workbook(result)))
    assert book.sheetnames == ["Scenario"]
    sheet = book["Scenario"]
    check_sheet(sheet, result)
    no_formula(book)
    name_cell = next(c for row in sheet.iter_rows(max_col=2) for c in row if c.value == name)
    assert name_cell.data_type == "s"


# --------------------------------------------------------------------------------------------
# The full exports: board deck, workbook, report, and readiness export --scenario
# --------------------------------------------------------------------------------------------


def export(*args: str) -> Result:
    return CliRunner().invoke(cli, ["export", *args])


def store_digest(engine: Engine) -> tuple[dict[str, int], str]:
    """Every table's rows (snapshots, answers, audit log, scenarios...) counted and hashed in key order."""
    counts, digest = {}, hashlib.sha256()
    with engine.connect() as connection:
        for table in (*ALL_TABLES, SCENARIO):
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            counts[table.name] = len(rows)
            digest.update(repr((table.name, [tuple(row) for row in rows])).encode())
    return counts, digest.hexdigest()


def test_readiness_export_adds_a_slide_sheet_and_section_per_scenario_and_writes_nothing(store, tmp_path: Path) -> None:
    url, engine = store
    stored = store_digest(engine)
    plain_deck, plain_xlsx = tmp_path / "plain.pptx", tmp_path / "plain.xlsx"
    assert export("deck", str(plain_deck), "--db", url).exit_code == 0
    assert export("xlsx", str(plain_xlsx), "--db", url).exit_code == 0
    deck, xlsx, html = tmp_path / "board.pptx", tmp_path / "board.xlsx", tmp_path / "report.html"
    names = ("--scenario", HOSTILE, "--scenario", MARKDOWN)
    for fmt, out in (("deck", deck), ("xlsx", xlsx), ("html", html)):
        done = export(fmt, str(out), *names, "--db", url)
        assert done.exit_code == 0, done.output
        assert f"projected scenarios {HOSTILE!r}, {MARKDOWN!r}" in done.output
    results = [projected(engine, HOSTILE), projected(engine, MARKDOWN)]

    slides = list(Presentation(io.BytesIO(deck.read_bytes())).slides)
    assert len(slides) == len(Presentation(str(plain_deck)).slides) + 2
    for slide, result in zip(slides[-2:], results, strict=True):
        check_slide(slide, result)
    # The portfolio slides before them are not projections.
    assert all("Tag" not in shapes(s) for s in slides[:-2])

    book = load_workbook(io.BytesIO(xlsx.read_bytes()))
    assert book.sheetnames == ["Portfolio", "Scores", "Legend", "Scenario 1", "Scenario 2"]
    for sheet, result in zip((book["Scenario 1"], book["Scenario 2"]), results, strict=True):
        check_sheet(sheet, result)
    no_formula(book)
    # The importer reads the Portfolio sheet only: the same snapshots with or without the scenarios.
    assert read_workbook_assessments(xlsx.read_bytes(), "board.xlsx") == read_workbook_assessments(
        plain_xlsx.read_bytes(), "plain.xlsx"
    )

    report = html.read_text(encoding="utf-8")
    assert report.count(PROJECTION_LABEL) == 2 and report.count('data-projection="true"') == 2
    assert "Scenario: =HYPERLINK(&quot;http://x&quot;) — projection" in report
    assert "Scenario: **md** — projection" in report
    assert HOSTILE not in report  # every user text escaped

    assert store_digest(engine) == stored, "an export changed the store"


def test_an_unknown_scenario_exits_2_and_writes_nothing(store, tmp_path: Path) -> None:
    url, engine = store
    stored = store_digest(engine)
    out = tmp_path / "board.pptx"
    done = export("deck", str(out), "--scenario", "No such plan", "--db", url)
    assert done.exit_code == 2
    assert "no scenario named 'No such plan'" in done.output and repr(OPS) in done.output
    assert not out.exists()
    assert store_digest(engine) == stored


@pytest.mark.parametrize("fmt", ["csv", "charts"])
def test_a_format_that_cannot_show_a_scenario_refuses_it(store, tmp_path: Path, fmt: str) -> None:
    url, _ = store
    out = tmp_path / f"out.{'csv' if fmt == 'csv' else 'zip'}"
    done = export(fmt, str(out), "--scenario", OPS, "--db", url)
    assert done.exit_code == 2
    assert f"the {fmt} export cannot show what-if scenarios: use xlsx, deck, html" in done.output
    assert not out.exists()


def test_a_scenario_is_projected_on_the_portfolio_the_export_describes(store) -> None:
    # The "before" of a scenario's slide is the portfolio the deck's summary slide shows: the as-of date and
    # the pilots in view apply to the projection too.
    _, engine = store
    cut = date(2026, 6, 1)
    scope = ExportScope(as_of=cut, scenarios=(MARKDOWN,))
    pack = ExportRequest(engine, scope, MODEL, identity=TESTS).pack()
    (result,) = pack.scenarios
    shown = portfolio_stats(pack.latest, MODEL)
    assert result.before.by_verdict == shown.by_verdict and result.before.pilots == shown.pilots
    in_view = ("Claims triage", "Fraud alerts", "Invoice matching")
    (narrow,) = scenario_results(engine, (OPS,), within=in_view, identity=TESTS, model=MODEL)
    assert narrow.before.pilots == len(in_view)
    with pytest.raises(InvalidInput, match="scenario 'Operations data push'"):
        scenario_results(engine, (OPS,), within=("Invoice matching",), identity=TESTS, model=MODEL)


def test_names_match_as_typed_and_one_scenario_is_exported_once(store) -> None:
    _, engine = store
    results = scenario_results(engine, ("operations DATA push", OPS), identity=TESTS, model=MODEL)
    assert [r.scenario.name for r in results if r.scenario] == [OPS]


def test_exporting_needs_the_export_action(store) -> None:
    _, engine = store
    result = projected(engine, OPS)
    nobody = Identity(subject="nobody", email="nobody@example.com")
    viewer = Identity(subject="viewer", grants=(Grant(Role.VIEWER),))
    for attempt in (lambda: scenario_deck(result, identity=nobody), lambda: scenario_workbook(result, identity=nobody),
                    lambda: scenario_results(engine, (OPS,), identity=nobody)):  # fmt: skip
        with pytest.raises(NotPermitted):
            attempt()
    request = ExportRequest(engine, ExportScope(scenarios=(OPS,)), MODEL, identity=nobody)
    with pytest.raises(NotPermitted):
        render_export("xlsx", request)
    assert scenario_deck(result, identity=viewer)[:2] == b"PK"
    assert render_export("xlsx", ExportRequest(engine, ExportScope(scenarios=(OPS,)), MODEL, identity=viewer))


# --------------------------------------------------------------------------------------------
# The Export page
# --------------------------------------------------------------------------------------------


@pytest.fixture
def page_store(store, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Engine]:
    monkeypatch.setenv("READINESS_DATABASE_URL", store[0])
    return store


def test_the_export_page_adds_the_chosen_scenarios_to_the_workbook_and_the_deck(page_store) -> None:
    from tests.test_app_input_pages import open_page, texts

    _, engine = page_store
    at = open_page("export")
    choice = at.multiselect(key="export.scenarios")
    assert choice.label == "Include scenarios (projections)"
    assert sorted(choice.options) == sorted([HOSTILE, MARKDOWN, OPS])
    choice.set_value([OPS]).run()
    at.button(key="export.build_button").click().run()
    assert not at.exception
    assert "1 scenario (projection)" in texts(at.success)
    built = at.session_state["export.built"]
    (scope,) = {scope for (name, scope) in built if name == "xlsx"}
    assert scope.scenarios == (OPS,)
    book = load_workbook(io.BytesIO(built[("xlsx", scope)][0]))
    assert book.sheetnames[-1] == "Scenario"
    check_sheet(book["Scenario"], projected(engine, OPS))
    assert b"Projection" not in built[("csv", scope)][0]  # the CSV holds the portfolio only
    at.multiselect(key="export.pack_pilots").set_value(["Claims triage"]).run()
    at.button(key="export.pack_button").click().run()
    assert not at.exception
    (pack_scope,) = {scope for (name, scope) in at.session_state["export.built"] if name == "deck"}
    slides = list(Presentation(io.BytesIO(at.session_state["export.built"][("deck", pack_scope)][0])).slides)
    check_slide(slides[-1], projected(engine, OPS))


def test_the_export_page_offers_no_scenario_choice_when_none_is_saved(
    demo_database_copy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_app_input_pages import open_page

    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_copy)
    at = open_page("export")
    assert "export.scenarios" not in [m.key for m in at.multiselect]
