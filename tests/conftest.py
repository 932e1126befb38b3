"""Shared fixtures: store engines on SQLite and on PostgreSQL.

Every PostgreSQL test gets a schema of its own, created for it and dropped after it, so tests never see
each other's rows and can run in parallel. PostgreSQL tests run whenever ``TEST_DATABASE_URL`` is set;
in CI (``CI`` set) they must run, so a missing URL fails them instead of skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from readiness.store.engine import make_engine, normalise_url
from readiness.store.migrate import migrate

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
IN_CI = bool(os.environ.get("CI"))

requires_postgres = pytest.mark.skipif(
    not TEST_DATABASE_URL and not IN_CI,
    reason="PostgreSQL tests need TEST_DATABASE_URL (in CI they always run)",
)
BACKENDS = ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, requires_postgres])]


def schema_url(base_url: str, schema: str) -> str:
    """``base_url`` with every connection's search path set to ``schema`` (tables, triggers, alembic_version)."""
    url = make_url(normalise_url(base_url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a fresh, empty SQLite file."""
    return f"sqlite:///{tmp_path / 'readiness.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema, dropped after the test."""
    if not TEST_DATABASE_URL:
        pytest.fail("CI is set but TEST_DATABASE_URL is not: the PostgreSQL tests must run in CI")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield schema_url(TEST_DATABASE_URL, schema)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty (not migrated) store on each backend."""
    return request.getfixturevalue(f"{request.param}_url")


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated store in a fresh SQLite file."""
    yield from _migrated(sqlite_url)


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated store in a fresh PostgreSQL schema."""
    yield from _migrated(postgres_url)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated store on each backend: the test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_engine")


# --------------------------------------------------------------------------------------------
# The browser: one Playwright session for the whole run. Playwright's sync API runs an event loop
# for as long as it is open, so two suites opening their own would collide; they share this one.
# --------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The system Chromium, headless (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
