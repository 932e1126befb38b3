"""Alembic environment of the store.

Run programmatically by :func:`readiness.store.migrate` (which hands over an open connection inside the
transaction that holds the migration lock), or by the ``alembic`` command for developers writing a new
revision: ``alembic -c readiness/migrations/alembic.ini revision --autogenerate -m "..."`` against the
database of ``--db`` resolution (``READINESS_DATABASE_URL``, else ``data/readiness.db``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from readiness.store.engine import database_url, make_engine
from readiness.store.tables import metadata

config = context.config


def configure(connection: Connection | None = None, url: str | None = None) -> None:
    """Alembic's context for the store: batch mode on SQLite (it cannot ALTER most things), types compared."""
    dialect = connection.dialect.name if connection is not None else (url or "").split(":", 1)[0]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        render_as_batch=dialect.startswith("sqlite"),
        compare_type=True,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    """Emit the SQL of the migrations (``alembic upgrade --sql``) without a database."""
    configure(url=config.get_main_option("sqlalchemy.url") or database_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply the migrations on the given connection, or on a new one to the configured database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url())
    try:
        with engine.connect() as new_connection:
            configure(new_connection)
            with context.begin_transaction():
                context.run_migrations()
            new_connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
