"""A cheap token that changes whenever the store changes, whoever wrote (this process, the CLI, a replica)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from readiness.store.tables import AUDIT_LOG, PILOT, RETRACTION, SNAPSHOT

# Between the token's parts: no count, id or timestamp contains it (a timestamp holds ":", "-", "." and "+").
SEPARATOR = "|"


def data_version(engine: Engine) -> str:
    """Snapshot count and newest id, pilot count and newest registry change, newest audit entry and retraction,
    in one query.

    Snapshots are append-only and the registry stamps every change, so any write moves the token; caches
    keyed on it read fresh data on the next request after a write anywhere. Every other write (a grant given
    or revoked) leaves an audit entry, which moves it too.
    """
    query = select(
        select(func.count()).select_from(SNAPSHOT).scalar_subquery(),
        select(func.max(SNAPSHOT.c.id)).scalar_subquery(),
        select(func.count()).select_from(PILOT).scalar_subquery(),
        select(func.max(PILOT.c.updated_at)).scalar_subquery(),
        select(func.max(AUDIT_LOG.c.id)).scalar_subquery(),
        select(func.max(RETRACTION.c.id)).scalar_subquery(),
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return SEPARATOR.join(str(value) for value in row)


def registry_version(version: str) -> str:
    """The part of a :func:`data_version` token that moves only when the pilot registry does (a pilot created,
    a context changed): its pilot count and newest registry change. What is read from the registry alone (the
    pilots' names, for the pickers) is cached under it, so a snapshot of an existing pilot leaves it alone."""
    return SEPARATOR.join(version.split(SEPARATOR)[2:4])
