"""A warm rerun asks the database almost nothing: the data version once, every read served from the caches
keyed on it. Counted with SQLAlchemy's cursor events, not timed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Engine, event
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_clean

MAX_WARM_QUERIES = 2


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine sends while the block runs, but the start-up integrity check's: it runs
    once per server in its own thread (ui.state), started after the first visit's page, not by a rerun."""
    seen: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        if threading.current_thread().name != "readiness-integrity":
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("page", "query"), [("screens/portfolio.py", {}), ("screens/pilot.py", {"pilot": "Claims triage"})]
)
def test_a_warm_rerun_issues_at_most_two_queries(
    demo_database_url: str, monkeypatch: pytest.MonkeyPatch, page: str, query: dict[str, str]
) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_url)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(page).run()  # cold: loads and caches the portfolio
    assert_clean(at)
    with statements() as warm:
        at.run()
    assert_clean(at)
    assert len(warm) <= MAX_WARM_QUERIES, warm
    assert any("count" in s.lower() for s in warm)  # the data version, read once


def test_a_write_elsewhere_is_seen_on_the_next_rerun(demo_database_copy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.store import add_assessment, make_engine
    from tests.factories import build

    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_copy)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert "Written elsewhere" not in str(at.get("plotly_chart")[0].proto.spec)
    engine = make_engine(demo_database_copy)
    add_assessment(engine, build(name="Written elsewhere"))  # another process, or a replica
    engine.dispose()
    at.run()
    assert_clean(at)
    assert "Written elsewhere" in str(at.get("plotly_chart")[0].proto.spec)


def count_portfolio_work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times the Portfolio's statistics and its shown rows are computed from here on (by name)."""
    from readiness.service import portfolio as service_portfolio

    counted: dict[str, int] = {"portfolio_stats": 0, "least_ready": 0}
    for name in counted:
        real = getattr(service_portfolio, name)

        def counting(*args, _real=real, _name=name, **kwargs):
            counted[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(service_portfolio, name, counting)
    return counted


def test_sessions_share_what_is_derived_from_the_portfolio(
    demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two people on the Portfolio between two writes: the statistics and the rows shown are computed once, not
    once per session (fifty sessions would otherwise repeat the same work at every click)."""
    import streamlit as st

    counted = count_portfolio_work(monkeypatch)
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_url)
    st.cache_resource.clear()
    for _ in range(2):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        assert_clean(at)
        at.run()  # and a rerun of the same session
        assert_clean(at)
    assert counted == {"portfolio_stats": 1, "least_ready": 1}


def test_a_write_recomputes_only_the_views_that_show_the_pilot_written(
    demo_database_copy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session filtered to Finance keeps its statistics and rows while an Operations pilot gets a snapshot
    (the view holds the same snapshots: ``queries.rows_token``), and recomputes them, once, when a Finance
    pilot does: under a write every few seconds, fifty sessions would otherwise redo every view each time."""
    import streamlit as st

    from readiness.store import add_assessment, make_engine
    from tests.factories import build

    def dated(assessment, day: date):
        return assessment.model_copy(update={"as_of": day})

    counted = count_portfolio_work(monkeypatch)
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_copy)
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["bu"] = "Finance"
    at.run()
    assert_clean(at)
    assert "filtered: 3 of 16 pilots" in at.caption[0].value
    assert counted == {"portfolio_stats": 1, "least_ready": 1}

    engine = make_engine(demo_database_copy)
    add_assessment(engine, dated(build(name="Claims triage", business_unit="Operations"), date(2026, 11, 20)))
    at.run()
    assert_clean(at)
    assert counted == {"portfolio_stats": 1, "least_ready": 1}, "a write to another unit's pilot"

    add_assessment(engine, dated(build(name="Invoice matching", business_unit="Finance"), date(2026, 11, 21)))
    engine.dispose()
    at.run()
    assert_clean(at)
    assert counted == {"portfolio_stats": 2, "least_ready": 2}, "a write to a pilot in view"
    assert "up to 21 November 2026" in at.caption[0].value
