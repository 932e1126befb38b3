"""Where the store lives and how to connect to it: the embedded SQLite file or a shared PostgreSQL.

The same code runs on both. SQLite gets what it needs to be safe with several writers (the app, a CLI
import, a second replica on the same disk): WAL so that readers never block writers, a busy timeout so
that a writer waits for the lock instead of failing, foreign keys enforced, and write transactions that
take the lock up front (``BEGIN IMMEDIATE``) so that two writers never both read, then both try to
upgrade to a write lock and one of them fails with "database is locked".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from readiness.errors import InvalidInput, Issue

ENV_VAR = "READINESS_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("data") / "readiness.db"
BUSY_TIMEOUT_S = 60.0
# Execution option that marks a connection as a writer: on SQLite its transactions begin IMMEDIATE.
WRITE_OPTION = "readiness_write"
SUPPORTED = "sqlite:///path/to/file.db or postgresql://user@host:port/database"


def database_url(explicit: str | None = None) -> str:
    """The database URL to use: ``explicit`` (``--db``), else ``READINESS_DATABASE_URL``, else the embedded file.

    The embedded file is ``data/readiness.db`` under the current directory. PostgreSQL URLs are pointed at
    psycopg 3 (``postgres://`` and ``postgresql://`` both work); a bare path means a SQLite file.
    """
    raw = (explicit or "").strip() or os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_PATH}"
    return normalise_url(raw)


def normalise_url(raw: str) -> str:
    """A URL SQLAlchemy can open with the drivers this project ships, or :class:`InvalidInput` saying why."""
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise InvalidInput([Issue("error", "--db", f"not a database URL; expected {SUPPORTED}")], raw) from None
    backend = url.get_backend_name()
    if backend in {"postgres", "postgresql"}:
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
            message = "an in-memory SQLite database is not shared between connections; give a file path"
            raise InvalidInput([Issue("error", "--db", message)], redact(url))
        url = url.set(drivername="sqlite")
    else:
        message = f"unsupported database '{backend}'; expected {SUPPORTED}"
        raise InvalidInput([Issue("error", "--db", message)], redact(url))
    return url.render_as_string(hide_password=False)


def redact(url: str | URL) -> str:
    """The URL for messages and logs of the command line: password hidden, query parameters dropped (they can
    carry credentials too, ``?password=...``)."""
    return make_url(url).set(query={}).render_as_string(hide_password=True)


ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "postgres": "PostgreSQL"}


def describe_database(url: str | URL | None) -> str:
    """The store as the dashboard may name it to an admin: the engine and the database's name, nothing else.

    ``SQLite · readiness.db`` (the file's name, not its folder), ``PostgreSQL · readiness``: no host, port,
    user, password, path or query parameter. Never raises: a URL that cannot be read is ``an unreadable
    database URL``.
    """
    try:
        parsed = make_url(url) if url is not None else None
    except (ArgumentError, ValueError, TypeError):
        parsed = None
    if parsed is None:
        return "an unreadable database URL"
    backend = parsed.get_backend_name()
    engine = ENGINE_NAMES.get(backend, backend or "unknown engine")
    name = Path(parsed.database).name if backend == "sqlite" and parsed.database else (parsed.database or "")
    return f"{engine} · {name}" if name else engine


def is_sqlite(engine_or_url: Engine | Connection | str | URL) -> bool:
    """Whether the store is the embedded SQLite file."""
    if isinstance(engine_or_url, Engine | Connection):
        return engine_or_url.dialect.name == "sqlite"
    return make_url(engine_or_url).get_backend_name() == "sqlite"


def sqlite_path(engine_or_url: Engine | str | URL) -> Path:
    """The file of a SQLite store."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return Path(url.database or "")


def database_files(engine_or_url: Engine | str | URL) -> tuple[Path, ...]:
    """The files of a SQLite store (the database and its ``-wal``, ``-shm`` and ``-journal`` companions), which
    no command may write over; none for PostgreSQL."""
    if not is_sqlite(engine_or_url):
        return ()
    database = sqlite_path(engine_or_url)
    if not str(database):
        return ()
    return (database, *(database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal")))


def make_engine(url: str | URL) -> Engine:
    """An engine for the store at ``url`` (see :func:`database_url`), configured for safe concurrent writes.

    Creates the folder of a SQLite file when it is missing. The schema is not touched: call
    :func:`readiness.store.migrate` (the CLI and the app do on start).
    """
    url = make_url(normalise_url(str(url) if isinstance(url, URL) else url))
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, for write transactions: on SQLite they take the write lock when they begin."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN to the first write and commits before DDL; turn it
    # off so that the "begin" hook below decides how every transaction starts (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # Readers begin DEFERRED (in WAL they never wait); writers take the lock up front and so wait for
    # each other in the busy timeout instead of failing when a read lock cannot be upgraded.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
