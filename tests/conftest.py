"""Shared fixtures: store engines on SQLite and on PostgreSQL, and the demo portfolio's database.

Every PostgreSQL test gets a schema of its own, created for it and dropped after it, so tests never see
each other's rows and can run in parallel. PostgreSQL tests run whenever ``TEST_DATABASE_URL`` is set;
in CI (``CI`` set) they must run, so a missing URL fails them instead of skipping them.

``make test`` runs the suite in parallel (pytest-xdist, ``-n auto``): every fixture here writes only under
pytest's temporary directories (one per worker) or into a schema of its own, so workers never share a file,
a port or a schema.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from readiness.demo import load_demo
from readiness.store.engine import make_engine, normalise_url
from readiness.store.migrate import migrate
from readiness.store.repository import count_rows

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
# The demo portfolio in a SQLite store: built once per session (per worker under xdist), where
# four test modules used to build it each. Tests that only read share it; tests that write get a copy.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The SQLite file of a migrated store holding the demo portfolio, as ``readiness demo`` loads it.

    Shared by the whole session, so read-only: the row counts are checked after the last test, and a
    test that wrote to it fails there (use :func:`demo_database_copy` to write).
    """
    path = tmp_path_factory.mktemp("demo-store") / "readiness.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_demo(engine, actor="tests (readiness demo)", source="cli")
    built = count_rows(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL, so the file alone is complete
    yield path
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert count_rows(engine) == built, "a test wrote to the shared demo database: use demo_database_copy"
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def demo_database_url(demo_database: Path) -> str:
    """The URL of the shared, read-only demo store."""
    return f"sqlite:///{demo_database}"


@pytest.fixture
def demo_database_copy(demo_database: Path, tmp_path: Path) -> str:
    """The URL of a private copy of the demo store, for a test that writes."""
    path = tmp_path / "demo-copy" / "readiness.db"
    path.parent.mkdir()
    shutil.copyfile(demo_database, path)
    return f"sqlite:///{path}"


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
