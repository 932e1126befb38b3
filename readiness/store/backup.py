"""A consistent copy of the embedded SQLite store, taken while the app keeps writing.

SQLite's online backup API copies the database page by page from inside a read transaction. Done in one
step, the copy is the database exactly as it was when the step began: in WAL mode writers go on
meanwhile, and nothing they write after that moment is in the copy. (In several small steps, every
write by another connection would restart the copy, which under a steady import never finishes.)
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from readiness.errors import InvalidInput, Issue
from readiness.store.engine import is_sqlite, make_engine, redact, sqlite_path


def backup(engine_or_url: Engine | str | URL, out_path: Path) -> Path:
    """Copy the SQLite store to ``out_path`` (replaced if it exists) and check the copy's integrity.

    The copy is written next to ``out_path`` under a temporary name and renamed into place only once
    ``PRAGMA integrity_check`` passes, so ``out_path`` is never a partial file. PostgreSQL stores are
    backed up with the server's own tools (``pg_dump``).
    """
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    if not is_sqlite(engine):
        message = "backup copies the embedded SQLite store; back up PostgreSQL with pg_dump"
        raise InvalidInput([Issue("error", "--db", message)], redact(engine.url))
    source = sqlite_path(engine)
    if not source.is_file():
        raise InvalidInput([Issue("error", "--db", "no database file there")], str(source))
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise InvalidInput([Issue("error", "OUT", "the folder does not exist")], str(out_path))
    partial = out_path.with_name(f".{out_path.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        _copy(engine, partial)
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
    return out_path


def _copy(engine: Engine, destination: Path) -> None:
    pooled = engine.raw_connection()
    try:
        target = sqlite3.connect(destination)
        try:
            pooled.driver_connection.backup(target, pages=-1)  # type: ignore[union-attr]
            # A standalone file: no -wal / -shm companions to lose when it is copied elsewhere.
            target.execute("PRAGMA journal_mode = DELETE")
            verdict = target.execute("PRAGMA integrity_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise RuntimeError(f"the backup copy failed its integrity check: {verdict}")
        finally:
            target.close()
    finally:
        pooled.close()
