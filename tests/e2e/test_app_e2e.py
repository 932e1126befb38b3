"""The dashboard in headless Chromium against ``streamlit run``: every page at its own URL on the demo data and
on an empty database, the first visit to a freshly started server (the root, a page's URL, a deep link to a
pilot), an upload through the file chooser, an invalid upload, and a deep link to a pilot."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest

from readiness.demo import demo_assessments
from readiness.excel.reader import read_workbook
from readiness.store.engine import make_engine
from readiness.store.repository import count_rows, latest_assessments, pilot_history
from tests.e2e.conftest import (
    AppServer,
    dialogs_seen,
    navigation_seen,
    open_app,
    record_what_is_seen,
    requires_chromium,
    wait_for_app_run,
    wait_until,
)
from tests.input_files import BAD_CELL, filled_workbook, sample_assessment

pytestmark = [pytest.mark.e2e, requires_chromium]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHOT_HEIGHT = 8_000
DEMO_PILOT = demo_assessments()[0].pilot.name
# URL path → page title (its label in the navigation, in the navigation's order). Every page has its own
# stable URL; the root "/" opens Portfolio too.
PAGES = {
    "portfolio": "Portfolio",
    "pilot": "Pilot",
    "assess": "Assess",
    "upload": "Upload",
    "compare": "Compare",
    "whatif": "What-if",
    "export": "Export",
    "methodology": "Methodology",
}
NAVIGATION = list(PAGES.values())
# URL path → the page's heading, per database state (the Pilot page on the demo data is opened with
# ``?pilot=DEMO_PILOT``, so its heading is the pilot's name).
HEADINGS = {
    "portfolio": "AI pilot portfolio",
    "pilot": "Pilot",
    "assess": "Assess a pilot",
    "upload": "Upload assessments",
    "compare": "Compare",
    "whatif": "What-if",
    "export": "Export",
    "methodology": "Methodology",
}
# Pages that must draw Plotly charts, per database state. The Pilot page gets a pilot through its deep link.
CHART_PAGES = {
    "demo": {"portfolio", "pilot", "assess", "compare", "methodology"},
    "empty": {"assess", "methodology"},
}


def no_exception(page: Any) -> None:
    """No Streamlit exception box and no Python traceback text on the page."""
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
    assert "Traceback (most recent call last)" not in page.content()


def no_dialog(page: Any) -> None:
    """No dialog open (such as Streamlit's "Page not found")."""
    dialogs = page.get_by_role("dialog")
    assert dialogs.count() == 0, dialogs.first.inner_text()


def active_page(page: Any) -> str:
    """The label of the navigation entry marked as the current page."""
    link = page.get_by_test_id("stSidebarNav").locator("a[aria-current='page']")
    assert link.count() == 1, f"{link.count()} current pages in the navigation"
    return link.locator("[data-testid='stMarkdownContainer']").inner_text().strip()


def heading(page: Any) -> str:
    """The page's title (its first ``st.title``)."""
    return page.get_by_test_id("stMain").locator("h1").first.inner_text().strip()


def assert_page_opened(
    page: Any, server: AppServer, path: str, title: str, expected_heading: str, *, or_at: str | None = None
) -> None:
    """The page opened at ``path`` (or ``or_at``) is the one in view, with no dialog and no exception."""
    no_exception(page)
    no_dialog(page)
    urls = {f"{server.url}/{p}" for p in (path, or_at) if p is not None}
    assert page.url.split("?")[0] in urls, f"/{path}: the URL became {page.url}"
    assert active_page(page) == title
    assert heading(page) == expected_heading


def charts_drawn(page: Any) -> int:
    """How many Plotly charts are on the page, after checking that each one has really been drawn."""
    charts = page.locator("[data-testid='stPlotlyChart']")
    count = charts.count()
    if count:
        wait_until(
            page,
            lambda: page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg").count() >= count,
            what=f"{count} Plotly chart(s) to be drawn",
        )
    return count


def screenshot(page: Any, artifacts: Path, name: str) -> None:
    """A screenshot of the whole page in tests/artifacts/.

    Streamlit scrolls inside its main container, so a "full page" screenshot would stop at the window:
    the window is made as tall as the content for the shot, then restored.
    """
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), MAX_SHOT_HEIGHT)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"{name}.png"))
    page.set_viewport_size(size)


def upload(page: Any, name: str, data: bytes) -> None:
    """Choose a file in the uploader, as a user would through the file chooser."""
    chooser = page.get_by_test_id("stFileUploaderDropzoneInput")
    chooser.set_input_files(files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    wait_until(page, lambda: page.get_by_text(name, exact=True).count() > 0, what=f"{name} to be listed")
    wait_for_app_run(page, initial_wait_ms=500)


@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("state", ["demo", "empty"])
def test_every_page_renders_at_its_own_url(
    state: str, path: str, request: pytest.FixtureRequest, page: Any, artifacts: Path
) -> None:
    server: AppServer = request.getfixturevalue(f"{state}_server")
    with_pilot = path == "pilot" and state == "demo"
    query = f"?{urlencode({'pilot': DEMO_PILOT})}" if with_pilot else ""
    open_app(page, server, f"{path}{query}")
    assert_page_opened(page, server, path, PAGES[path], DEMO_PILOT if with_pilot else HEADINGS[path])
    drawn = charts_drawn(page)
    if path in CHART_PAGES[state]:
        assert drawn >= 1, f"no Plotly chart on {PAGES[path]} ({state})"
    screenshot(page, artifacts, f"{state}-{PAGES[path].lower()}")


def test_empty_database_offers_the_three_ways_to_start(empty_server: AppServer, page: Any) -> None:
    open_app(page, empty_server)
    no_exception(page)
    for text in ("Load the demo", "Download the template", "Assess a pilot"):
        assert page.get_by_text(text).count() >= 1, text


def test_uploaded_workbook_appears_in_the_portfolio_heatmap(
    demo_server: AppServer, demo_db_url: str, page: Any, artifacts: Path
) -> None:
    name = "E2E uploaded pilot"
    open_app(page, demo_server, "upload")
    upload(page, "e2e-good.xlsx", filled_workbook(sample_assessment(name)))
    no_exception(page)
    assert page.get_by_text("✓ valid").count() == 1
    screenshot(page, artifacts, "demo-upload-valid")
    page.get_by_role("button", name=re.compile(r"^Import 1 valid file")).click()
    wait_for_app_run(page, initial_wait_ms=500)
    page.get_by_text("Imported 1 new snapshot").wait_for()
    no_exception(page)
    engine = make_engine(demo_db_url)
    assert [s.source for s in pilot_history(engine, name)] == ["excel"]
    engine.dispose()

    open_app(page, demo_server)
    no_exception(page)
    heatmap = page.locator("[data-testid='stPlotlyChart']").first
    wait_until(page, lambda: heatmap.locator(".main-svg").count() > 0, what="the heatmap")
    assert heatmap.locator("text", has_text=name).count() >= 1, "the uploaded pilot is not in the heatmap"
    screenshot(page, artifacts, "demo-portfolio-after-upload")


def test_invalid_workbook_shows_its_errors_with_cells_and_changes_nothing(
    demo_server: AppServer, demo_db_url: str, page: Any, artifacts: Path
) -> None:
    engine = make_engine(demo_db_url)
    before = count_rows(engine)
    open_app(page, demo_server, "upload")
    upload(page, "e2e-bad.xlsx", filled_workbook(sample_assessment("E2E broken pilot"), bad_metric=True))
    no_exception(page)
    assert page.get_by_text("✕ 1 error").count() == 1
    # The grid draws on a canvas; its cells are also in the DOM as an accessible table.
    cells = page.get_by_test_id("stDataFrame").first.locator("td[role='gridcell']")
    wait_until(page, lambda: any("out of range" in c for c in cells.all_text_contents()), what="the report")
    row = cells.all_text_contents()
    assert row[:3] == ["error", "Metrics", BAD_CELL], row
    assert page.get_by_role("button", name=re.compile(r"^Import 0 valid files")).is_disabled()
    screenshot(page, artifacts, "demo-upload-invalid")
    assert count_rows(engine) == before
    engine.dispose()


def test_deep_link_opens_the_pilot(demo_server: AppServer, page: Any, artifacts: Path) -> None:
    pilot = demo_assessments()[-1].pilot.name
    open_app(page, demo_server, f"pilot?{urlencode({'pilot': pilot})}")  # the name holds "&": encoded
    no_exception(page)
    main = page.get_by_test_id("stMain")
    assert main.get_by_text(pilot).count() >= 1
    assert main.get_by_text(re.compile(r"Ready|Conditional|Not ready")).count() >= 1
    assert charts_drawn(page) >= 1
    screenshot(page, artifacts, "demo-pilot-deep-link")


def test_assessing_a_pilot_in_the_browser_saves_a_snapshot(
    demo_server: AppServer, demo_db_url: str, page: Any, artifacts: Path
) -> None:
    pilot = demo_assessments()[-1].pilot.name
    engine = make_engine(demo_db_url)
    before = len(pilot_history(engine, pilot))
    open_app(page, demo_server, f"assess?{urlencode({'pilot': pilot})}")
    no_exception(page)
    assert charts_drawn(page) >= 1
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="Latency & scale").click()  # another gap's tab
    main.get_by_text("SCALE-1", exact=True).first.wait_for()
    screenshot(page, artifacts, "demo-assess-pilot")
    main.get_by_role("button", name=re.compile(r"^Save snapshot as of")).click()
    wait_for_app_run(page, initial_wait_ms=500)
    main.get_by_text(re.compile(r"Saved snapshot #\d+ of")).wait_for()
    no_exception(page)
    assert len(pilot_history(engine, pilot)) == before + 1
    engine.dispose()


def download(page: Any, name: str | re.Pattern[str]) -> bytes:
    """Click a download button and return the file the browser received."""
    with page.expect_download() as caught:
        page.get_by_role("button", name=name).click()
    return Path(caught.value.path()).read_bytes()


def test_template_downloads_blank_and_prefilled(demo_server: AppServer, page: Any) -> None:
    open_app(page, demo_server, "upload")
    blank = openpyxl.load_workbook(io.BytesIO(download(page, "Download template")))
    assert blank.sheetnames[:4] == ["Instructions", "Pilot", "Checklist", "Metrics"]
    assert blank["Pilot"]["B5"].value in (None, "")
    page.get_by_test_id("stSelectbox").filter(has_text="Template").click()
    page.get_by_role("option", name=f"Prefilled with {DEMO_PILOT}'s last snapshot").click()
    wait_for_app_run(page)
    prefilled = openpyxl.load_workbook(io.BytesIO(download(page, "Download template")))
    assert prefilled["Pilot"]["A5"].value == "Pilot name"
    assert prefilled["Pilot"]["B5"].value == DEMO_PILOT
    no_exception(page)


def test_export_builds_the_workbook_and_csv_on_request(demo_server: AppServer, demo_db_url: str, page: Any) -> None:
    open_app(page, demo_server, "export")
    assert page.get_by_role("button", name=re.compile("Download the")).count() == 0
    page.get_by_role("button", name="Build the files").click()
    wait_for_app_run(page, initial_wait_ms=500)
    page.get_by_text(re.compile(r"^Ready: \d+ snapshot")).wait_for()
    engine = make_engine(demo_db_url)
    expected = sorted(s.assessment.pilot.name for s in latest_assessments(engine))
    engine.dispose()
    workbook = read_workbook(download(page, re.compile(r"^Download the workbook")), "export.xlsx")
    assert workbook.ok, workbook.issues[:3]
    assert sorted(a.pilot.name for a in workbook.assessments) == expected
    csv_text = download(page, "Download the CSV").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert len(rows) == len(expected) + 1
    no_exception(page)


# --------------------------------------------------------------------------------------------
# The first visit to a freshly started server (a new process that nobody has visited yet)
# --------------------------------------------------------------------------------------------


def assert_only_the_router_navigation_was_seen(page: Any) -> None:
    """From the first render on, the sidebar only ever listed the router's pages (never file names such as
    "app" or "portfolio"), and no dialog was shown."""
    seen = navigation_seen(page)
    assert seen, "the navigation was never drawn"
    assert all(labels == NAVIGATION for labels in seen), f"the navigation showed {seen}"
    assert dialogs_seen(page) == []


def test_first_visit_to_the_root_shows_the_router_navigation(fresh_server: AppServer, page: Any) -> None:
    record_what_is_seen(page)
    response = page.goto(fresh_server.url)
    assert response is not None and response.status == 200
    # Right after the first render: the navigation as soon as it is drawn, before the run has finished.
    nav = page.get_by_test_id("stSidebarNav")
    nav.wait_for(timeout=60_000)
    assert navigation_seen(page)[0] == NAVIGATION
    wait_for_app_run(page)
    # The root may stay "/" or move to the Portfolio page's own URL.
    assert_page_opened(page, fresh_server, "", "Portfolio", HEADINGS["portfolio"], or_at="portfolio")
    assert_only_the_router_navigation_was_seen(page)


def test_first_visit_to_a_page_url_opens_that_page(fresh_server: AppServer, page: Any) -> None:
    record_what_is_seen(page)
    open_app(page, fresh_server, "portfolio")
    assert_page_opened(page, fresh_server, "portfolio", "Portfolio", HEADINGS["portfolio"])
    assert_only_the_router_navigation_was_seen(page)


def test_first_visit_to_a_deep_link_opens_the_pilot_with_the_sidebar(
    fresh_server: AppServer, page: Any, artifacts: Path
) -> None:
    record_what_is_seen(page)
    open_app(page, fresh_server, f"pilot?{urlencode({'pilot': DEMO_PILOT})}")
    assert_page_opened(page, fresh_server, "pilot", "Pilot", DEMO_PILOT)
    assert_only_the_router_navigation_was_seen(page)
    assert page.get_by_test_id("stMain").get_by_text(re.compile(r"Ready|Conditional|Not ready")).count() >= 1
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text("FILTERS", exact=True).count() == 1
    for label in ("Business unit", "Stage", "Verdict", "Owning team"):
        assert sidebar.get_by_test_id("stWidgetLabel").filter(has_text=label).count() >= 1, label
    screenshot(page, artifacts, "demo-pilot-first-visit")
