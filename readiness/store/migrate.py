"""Schema migrations, run in code so that an installed package migrates its database without a checkout.

Alembic is configured programmatically with ``script_location`` pointing at the ``readiness/migrations``
directory inside the installed package. One process migrates at a time: on SQLite the migration runs in
a ``BEGIN IMMEDIATE`` transaction (the write lock), on PostgreSQL under a transaction-scoped advisory
lock, so that two app replicas starting together do not both try to create the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

import readiness.migrations
from readiness.store.engine import is_sqlite, writer

# Any constant works: it only has to be the same in every process that migrates this database.
MIGRATION_LOCK_ID = 7_301_264_015


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate` did: the revision before (None on an empty database) and after."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """Whether any migration ran."""
        return self.before != self.after


def script_location() -> Path:
    """The migrations directory inside the installed package."""
    return Path(readiness.migrations.__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the store, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The latest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration found in {script_location()}")
    return head


def known_revisions() -> set[str]:
    """Every revision the package ships."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it has never been migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> MigrationResult:
    """Bring the database to the latest revision; a no-op (and no lock taken) when it already is there."""
    head = head_revision()
    before = current_revision(engine)
    if before == head:
        return MigrationResult(before, head)
    if before is not None and before not in known_revisions():
        raise RuntimeError(
            f"the database is at schema revision {before}, which this version of readiness does not know "
            f"(its latest is {head}): it was migrated by a newer version; upgrade readiness"
        )
    if is_sqlite(engine):
        return _migrate_sqlite(engine, head)
    with writer(engine).begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(alembic_config(connection), "head")
    return MigrationResult(before, head)


def _migrate_sqlite(engine: Engine, head: str) -> MigrationResult:
    # Batch mode recreates tables (copy, drop, rename); with foreign keys enforced, dropping a referenced
    # table would fail or cascade. SQLite's documented procedure: keys off outside the transaction, check
    # them before committing, keys back on.
    with writer(engine).connect() as connection:
        # On the driver connection: through SQLAlchemy the PRAGMA would open a transaction, and inside one
        # SQLite ignores it.
        raw = connection.connection.driver_connection
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                before = MigrationContext.configure(connection).get_current_revision()
                command.upgrade(alembic_config(connection), "head")
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left {len(broken)} rows with a broken foreign key: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys = ON")
    return MigrationResult(before, head)
