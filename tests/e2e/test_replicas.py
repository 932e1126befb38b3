"""Two replicas, one PostgreSQL: what one replica writes, the other shows on its next rerun, and imports made
through both at the same moment lose nothing. This is how the README scales the dashboard out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from readiness.store.engine import make_engine
from readiness.store.repository import count_rows, pilot_history
from tests.e2e.conftest import AppServer, open_app, requires_chromium, run_cli, wait_for_app_run, wait_until
from tests.e2e.test_app_e2e import upload
from tests.input_files import filled_workbook, sample_assessment

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, requires_chromium]


@pytest.fixture
def replicas(postgres_url: str) -> Iterator[tuple[AppServer, AppServer]]:
    """Two ``streamlit run`` servers on different ports, one PostgreSQL schema holding the demo portfolio."""
    run_cli("demo", database_url=postgres_url)
    first, second = AppServer(postgres_url), AppServer(postgres_url)
    first.start()
    try:
        second.start()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def heatmap_names(page: Any) -> str:
    """The text of the Portfolio heatmap once drawn (its row labels are the pilots' names)."""
    heatmap = page.locator("[data-testid='stPlotlyChart']").first
    wait_until(page, lambda: heatmap.locator(".main-svg").count() > 0, what="the heatmap")
    return " ".join(heatmap.locator("text").all_text_contents())


def import_through(page: Any, server: AppServer, name: str) -> None:
    """Upload a workbook for a new pilot on ``server``'s Upload page and import it."""
    open_app(page, server, "upload")
    upload(page, f"{name}.xlsx", filled_workbook(sample_assessment(name)))
    page.get_by_role("button", name=re.compile(r"^Import 1 valid file")).click()
    wait_for_app_run(page, initial_wait_ms=500)
    page.get_by_text("Imported 1 new snapshot").wait_for()


def test_a_write_through_one_replica_shows_on_the_other(
    replicas: tuple[AppServer, AppServer], postgres_url: str, browser: Any
) -> None:
    first, second = replicas
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        on_first, on_second = context.new_page(), context.new_page()
        open_app(on_second, second)  # replica B has the portfolio cached before the write
        assert "Replica pilot A" not in heatmap_names(on_second)
        import_through(on_first, first, "Replica pilot A")
        on_second.reload()  # B's next rerun
        wait_for_app_run(on_second)
        assert "Replica pilot A" in heatmap_names(on_second)
    finally:
        context.close()


def test_imports_through_both_replicas_at_once_lose_nothing(
    replicas: tuple[AppServer, AppServer], postgres_url: str, browser: Any
) -> None:
    engine = make_engine(postgres_url)
    before = count_rows(engine)["snapshot"]
    names = ("Concurrent pilot A", "Concurrent pilot B")
    contexts, pages = [], []
    for server, name in zip(replicas, names, strict=True):
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        open_app(page, server, "upload")
        upload(page, f"{name}.xlsx", filled_workbook(sample_assessment(name)))
        contexts.append(context)
        pages.append(page)
    # Both clicks go out back to back, so the two replicas write at the same time.
    for page in pages:
        page.get_by_role("button", name=re.compile(r"^Import 1 valid file")).click(no_wait_after=True)
    for page in pages:
        page.get_by_text("Imported 1 new snapshot").wait_for()
    for context in contexts:
        context.close()
    assert count_rows(engine)["snapshot"] == before + 2
    for name in names:
        assert [s.source for s in pilot_history(engine, name)] == ["excel"]
    engine.dispose()
