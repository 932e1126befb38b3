"""The What-if page in headless Chromium against ``streamlit run``: a plan built in the widgets (close the data-quality
gap for Operations) shows the projection banner, the use case's numbers, the movers and the heatmap with its marks;
the plan is saved as a scenario (stored, audited) and the projection downloaded as a slide and a sheet; and the
page's link reopens the same projection in a new session."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect
from pptx import Presentation

from readiness import display
from readiness.service.access import cli_identity
from readiness.service.whatif import PROJECTION_LABEL, WhatIfResult, WhatIfScope, list_scenarios, project_portfolio
from readiness.store import make_engine
from readiness.whatif import Plan
from tests.e2e.conftest import AppServer, open_app, requires_chromium, wait_for_app_run, wait_until
from tests.e2e.test_app_e2e import charts_drawn, download, no_exception, screenshot

pytestmark = [pytest.mark.e2e, requires_chromium]

SCENARIO = "Operations data programme"


@pytest.fixture(scope="module")
def whatif_db_url(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo store loaded through the CLI: saving a scenario writes to it, never to the shared one."""
    source = Path(demo_db_url.removeprefix("sqlite:///"))
    copy = tmp_path_factory.mktemp("e2e-whatif") / "readiness.db"
    shutil.copyfile(source, copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def whatif_server(whatif_db_url: str) -> Iterator[AppServer]:
    server = AppServer(whatif_db_url).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def expected(whatif_db_url: str) -> WhatIfResult:
    """The use case's projection of the issue's example, which the page must state."""
    engine = make_engine(whatif_db_url)
    try:
        plan, scope = Plan(close_gaps=("data",)), WhatIfScope(unit="Operations")
        return project_portfolio(engine, plan, scope, greedy_steps=5, identity=cli_identity("tests"))
    finally:
        engine.dispose()


def choose(page: Any, widget: str, label: str, option: str) -> None:
    """Open the select box or multiselect labelled ``label`` and pick ``option``, as a user would."""
    main = page.get_by_test_id("stMain")
    main.get_by_test_id(widget).filter(has=page.get_by_text(label, exact=True)).click()
    page.get_by_role("option", name=option, exact=True).click()
    if widget == "stMultiSelect":
        page.keyboard.press("Escape")  # its list stays open for more choices (a select box's closes itself)
    wait_for_app_run(page, initial_wait_ms=500)


def assert_projection_shown(page: Any, expected: WhatIfResult) -> None:
    """The banner first, the use case's ready share and movers, and the heatmap drawn with its marks."""
    main = page.get_by_test_id("stMain")
    alert = main.get_by_test_id("stAlert").first
    expect(alert).to_contain_text(PROJECTION_LABEL)
    expect(alert).to_contain_text("Plan: Close the Data quality gap")
    tile = main.get_by_test_id("stMetric").filter(has_text="Ready after the plan")
    expect(tile).to_contain_text(display.percent_text(expected.after.ready_share))
    expect(tile).to_contain_text(f"from {display.percent_text(expected.before.ready_share)}")
    moved = expected.moved_to_ready
    assert moved, "the demo's example moves a pilot to ready"
    expect(main.get_by_text(f"Moved to ready: {', '.join(moved)}.", exact=True)).to_be_visible()
    assert charts_drawn(page) == 1
    heatmap = main.get_by_test_id("stPlotlyChart")
    # The changed cells' text (▲ and the new score) and their outlines are drawn.
    wait_until(page, lambda: heatmap.locator("text", has_text="▲").count() > 0, what="the marked cells")
    assert heatmap.locator(".scatterlayer path.js-line").count() >= 1


def test_a_plan_built_in_the_browser_is_projected_saved_and_exported(
    whatif_server: AppServer, whatif_db_url: str, expected: WhatIfResult, page: Any, artifacts: Path
) -> None:
    open_app(page, whatif_server, "whatif")
    no_exception(page)
    main = page.get_by_test_id("stMain")
    # An empty plan: the next best fixes for the portfolio as it stands, nothing projected yet.
    expect(main.get_by_text(re.compile("^Choose fixes above"))).to_be_visible()
    main.get_by_test_id("stButtonGroup").get_by_role("radio", name="A business unit").click()
    wait_for_app_run(page, initial_wait_ms=500)
    choose(page, "stSelectbox", "Business unit", "Operations")
    choose(page, "stMultiSelect", "Close gaps", "Data quality")
    no_exception(page)
    assert_projection_shown(page, expected)
    # The URL carries the scope and the plan, so the link reproduces the projection.
    assert re.search(r"[?&]unit=Operations", page.url) and re.search(r"[?&]close=Data(\+|%20)quality", page.url)
    screenshot(page, artifacts, "demo-whatif-operations-data")

    main.get_by_role("textbox", name="Scenario name").fill(SCENARIO)
    main.get_by_role("textbox", name="Saved by").fill("e2e@example.com")
    main.get_by_role("button", name=re.compile(r"Save$")).click()
    wait_for_app_run(page, initial_wait_ms=500)
    expect(main.get_by_text(re.compile(f"^Saved “{SCENARIO}”, version 1"))).to_be_visible()
    expect(main.get_by_test_id("stAlert").first).to_contain_text(f"Scenario “{SCENARIO}”")
    no_exception(page)
    engine = make_engine(whatif_db_url)
    try:
        saved = list_scenarios(engine, cli_identity("tests"))
    finally:
        engine.dispose()
    assert [(s.name, s.version, s.created_by) for s in saved] == [(SCENARIO, 1, "e2e@example.com")]
    assert saved[0].scope == {"unit": "Operations", "pilots": []}

    # The projection as a slide and a sheet, each labelled a projection and named after the scenario.
    deck = Presentation(io.BytesIO(download(page, "Download the slide")))
    slide_text = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes
                          if shape.has_text_frame)  # fmt: skip
    assert PROJECTION_LABEL in slide_text and "Version 1, saved by e2e@example.com" in slide_text
    workbook = openpyxl.load_workbook(io.BytesIO(download(page, "Download the sheet")))
    cells = " ".join(str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value)
    assert PROJECTION_LABEL in cells and SCENARIO in cells
    no_exception(page)


def test_the_link_reopens_the_projection(whatif_server: AppServer, expected: WhatIfResult, page: Any) -> None:
    open_app(page, whatif_server, "whatif?scope=A+business+unit&unit=Operations&close=Data+quality")
    no_exception(page)
    assert_projection_shown(page, expected)
