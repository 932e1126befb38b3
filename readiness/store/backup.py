"""A consistent copy of the embedded SQLite store, taken while the app keeps writing; and its restore.

SQLite's online backup API copies the database page by page from inside a read transaction. Done in one
step, the copy is the database exactly as it was when the step began: in WAL mode writers go on
meanwhile, and nothing they write after that moment is in the copy. (In several small steps, every
write by another connection would restart the copy, which under a steady import never finishes.)

Restore goes the other way through the same API: the backup, checked on a private copy (integrity, the
Readiness tables, a schema revision this code knows), is written into the live database in one write
transaction, so connections the app holds open see the old database or the restored one, never a mix,
and never a file swapped under them. A database that cannot be opened at all (only with ``force``) is
replaced by an atomic rename instead. The replaced database is kept beside it first.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from readiness.errors import InvalidInput, Issue
from readiness.outputs import file_kind, write_output
from readiness.store.engine import (
    BUSY_TIMEOUT_S,
    database_files,
    is_sqlite,
    make_engine,
    normalise_url,
    redact,
    sqlite_path,
)
from readiness.store.migrate import MigrationResult, head_revision, known_revisions, migrate

# The tables every Readiness database has had since its first revision (a backup may be older than this code).
CORE_TABLES = ("alembic_version", "pilot", "snapshot", "answer", "metric_value", "audit_log")
# Tables whose rows make a database worth keeping: restoring over them needs ``force``.
CONTENT_TABLES = ("pilot", "snapshot", "audit_log", "grant", "scenario")
READINESS_TABLES = (*CORE_TABLES, "measurement", "grant", "retraction", "scenario")


def backup(engine_or_url: Engine | str | URL, out_path: Path | str) -> Path:
    """Copy the SQLite store to ``out_path`` (a regular file there is replaced) and check the copy's integrity.

    Goes through :func:`readiness.outputs.write_output`: OUT must be a new name or a regular file, never the
    database itself, and the copy is written next to it under a temporary name and renamed into place only
    once ``PRAGMA integrity_check`` passes, so OUT is never a partial file. PostgreSQL stores are backed up
    with the server's own tools (``pg_dump``).
    """
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    if not is_sqlite(engine):
        message = "backup copies the embedded SQLite store; back up PostgreSQL with pg_dump"
        raise InvalidInput([Issue("error", "--db", message)], redact(engine.url))
    source = sqlite_path(engine)
    if not source.is_file():
        raise InvalidInput([Issue("error", "--db", "no database file there")], str(source))
    return write_output(out_path, lambda partial: _copy(engine, partial), database_files(engine))


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


# --------------------------------------------------------------------------------------------
# Restore
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupInfo:
    """What a checked backup holds: its schema revision and how many pilots and snapshots."""

    revision: str
    pilots: int
    snapshots: int


@dataclass(frozen=True)
class RestoreResult:
    """What :func:`restore` did: the backup it checked, the database it replaced, where the replaced database
    was kept (None when there was no file), and the migration that followed."""

    backup: Path
    database: Path
    checked: BackupInfo
    kept: Path | None
    migration: MigrationResult


def _refuse(location: str, message: str, source: str = "") -> InvalidInput:
    return InvalidInput([Issue("error", location, message)], source)


def _read_only(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return connection


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def inspect_backup(connection: sqlite3.Connection, label: str) -> BackupInfo:
    """Check that an open SQLite database is a whole Readiness database this code can migrate, or
    :class:`InvalidInput` (location ``BACKUP``) saying why not."""
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchall()
        if [tuple(row) for row in verdict] != [("ok",)]:
            problems = "; ".join(str(row[0]) for row in verdict[:3])
            raise _refuse("BACKUP", f"{label} fails SQLite's integrity check: {problems}")
        missing = [name for name in CORE_TABLES if name not in _tables(connection)]
        if missing:
            raise _refuse("BACKUP", f"{label} is not a Readiness database: no {', '.join(missing)} table")
        revisions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        pilots = connection.execute("SELECT count(*) FROM pilot").fetchone()[0]
        snapshots = connection.execute("SELECT count(*) FROM snapshot").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise _refuse("BACKUP", f"{label} is not a readable SQLite database ({error})") from None
    if len(revisions) != 1:
        raise _refuse("BACKUP", f"{label} is not a Readiness database: no single schema revision")
    revision = str(revisions[0])
    if revision not in known_revisions():
        message = (
            f"{label} is at schema revision {revision}, which this version of readiness does not know (its "
            f"latest is {head_revision()}): it comes from a newer version; restore it with that version"
        )
        raise _refuse("BACKUP", message)
    return BackupInfo(revision, int(pilots), int(snapshots))


def _regular_file(path: Path, location: str) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise _refuse(location, f"{path}: no such file") from None
    except OSError as error:
        raise _refuse(location, f"{path} cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        raise _refuse(location, f"{path} is {file_kind(mode)}, not a backup file")


def _contents(target: Path) -> tuple[bool, str]:
    """Whether the database file at ``target`` can be opened, and what it holds in words ("" when nothing)."""
    try:
        with closing(_read_only(target)) as connection:
            tables = {t for t in _tables(connection) if not t.startswith("sqlite_")}
            counts = {
                name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                for name in CONTENT_TABLES
                if name in tables
            }
    except sqlite3.DatabaseError as error:
        return False, f"a file SQLite cannot open ({error})"
    words = {
        "pilot": "pilot",
        "snapshot": "snapshot",
        "audit_log": "audit entry",
        "grant": "grant",
        "scenario": "scenario",
    }
    held = [_count(counts[name], words[name]) for name in CONTENT_TABLES if counts.get(name)]
    others = sorted(tables - set(READINESS_TABLES))
    if others:
        held.append(f"tables Readiness does not know ({', '.join(others[:5])})")
    return True, ", ".join(held)


def _count(count: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{count} {noun if count == 1 else plural}"


def _keep(target: Path, readable: bool, now: datetime, protected: tuple[Path, ...]) -> Path:
    """Copy the database about to be replaced beside it, as ``<db>.before-restore-<UTC timestamp>``."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.name}.before-restore-{stamp}")
    number = 1
    while kept.exists() or kept.is_symlink():
        number += 1
        kept = target.with_name(f"{target.name}.before-restore-{stamp}-{number}")

    def copy(partial: Path) -> None:
        if readable:  # through SQLite: a consistent copy, with what the WAL holds
            with closing(_read_only(target)) as source, closing(sqlite3.connect(partial)) as copy_to:
                source.backup(copy_to, pages=-1)
                copy_to.execute("PRAGMA journal_mode = DELETE")
        else:  # SQLite cannot open it: the bytes as they are
            shutil.copyfile(target, partial)

    return write_output(kept, copy, protected, location="--db")


def restore(
    backup_path: Path | str, url: str | URL, *, force: bool = False, now: datetime | None = None
) -> RestoreResult:
    """Replace the SQLite store at ``url`` with the backup at ``backup_path``, then migrate it to the latest schema.

    The backup must be a whole Readiness database (integrity check, the Readiness tables, a schema revision
    this code knows, so not one from a newer version); it is checked on a private copy, which is what gets
    restored. A store that holds anything (pilots, snapshots, audit entries, grants) or cannot be opened is
    replaced only with ``force``; the replaced database is kept beside it first
    (``<db>.before-restore-<UTC timestamp>``). PostgreSQL is refused: restore it with ``pg_restore``.
    """
    url = normalise_url(str(url) if isinstance(url, URL) else url)
    if not is_sqlite(url):
        message = (
            "restore replaces the embedded SQLite file; restore PostgreSQL with its own tools: pg_restore for "
            "a pg_dump archive (pg_dump -Fc), psql for a plain SQL dump"
        )
        raise _refuse("--db", message, redact(url))
    source = Path(backup_path)
    target = sqlite_path(url).resolve()
    companions = tuple(target.with_name(target.name + suffix) for suffix in ("-wal", "-shm", "-journal"))
    protected = (*database_files(url), target, *companions)
    _regular_file(source, "BACKUP")
    if any(_samefile(source, p) for p in protected):
        raise _refuse("BACKUP", f"{source} is the database to restore into; name a backup file")
    if target.exists() and not target.is_file():
        raise _refuse("--db", f"{target} is {file_kind(target.stat().st_mode)}, not a database file")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.restore-", suffix=".tmp", dir=target.parent)
    os.close(handle)
    private = Path(name)
    try:
        # The backup's content, copied once: what is checked is exactly what is restored.
        try:
            with closing(_read_only(source)) as reader, closing(sqlite3.connect(private)) as copy:
                reader.backup(copy, pages=-1)
        except sqlite3.DatabaseError as error:
            raise _refuse("BACKUP", f"{source} is not a readable SQLite database ({error})") from None
        with closing(sqlite3.connect(private)) as copy:
            checked = inspect_backup(copy, str(source))
        present = target.is_file() and target.stat().st_size > 0
        readable, held = _contents(target) if present else (True, "")
        if (held or not readable) and not force:
            message = f"{target} holds {held}" if readable else f"{target} is {held}"
            raise _refuse("--db", f"{message}; restoring replaces it: add --force (a copy is kept beside it)")
        kept = _keep(target, readable, now or datetime.now(UTC), protected) if present else None
        if present and readable:
            # Into the live database, in one write transaction: open connections see the old or the new.
            with (
                closing(sqlite3.connect(private)) as copy,
                closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)) as live,
            ):
                live.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                copy.backup(live, pages=-1)
        else:
            # No database there (or one SQLite cannot open): the checked copy is renamed into place, and the
            # old file's companions, which SQLite would replay onto it, go.
            for companion in companions:
                companion.unlink(missing_ok=True)
            os.replace(private, target)
    finally:
        private.unlink(missing_ok=True)
    engine = make_engine(url)
    try:
        migration = migrate(engine)
    finally:
        engine.dispose()
    return RestoreResult(source, target, checked, kept, migration)


def _samefile(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False
