"""Tamper evidence: the audit log as a hash chain, and the check that every snapshot still says what it said.

Each audit entry carries ``prev_hash`` (the hash of the entry before it) and ``row_hash`` (SHA-256 over its own
fields and ``prev_hash``). Every snapshot has a ``snapshot.add`` entry naming its content hash, so the chain
also vouches for each snapshot's content: rewriting an answer changes the snapshot's recomputed hash; rewriting
the stored hash too breaks the match with its audit entry; rewriting that entry breaks the chain at the next
one; rewriting the whole chain from there on changes its head, which an operator who kept the head printed by
``readiness verify`` sees (``--expect-head``).

Appending is serialised so that the chain never forks: SQLite write transactions take the write lock when
they begin, and on PostgreSQL every write transaction takes one transaction-level advisory lock first
(:func:`serialise_writes`), which needs no privilege beyond connecting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection

from readiness.store.tables import AUDIT_LOG, SNAPSHOT

# The fields of an audit entry that its hash covers, in order (``id`` is not one: the order of the ids is
# what the chain follows, so a removed or reordered entry breaks it anyway).
HASHED_FIELDS = ("at", "actor", "action", "object", "source_hash", "detail", "identity_subject", "identity_email",
                 "identity_source")  # fmt: skip
GENESIS = "0" * 64
# Any constant works: it names the one advisory lock every Readiness writer takes on PostgreSQL.
WRITE_LOCK_KEY = 0x52454144  # "READ"


def serialise_writes(connection: Connection) -> None:
    """Make this write transaction the only one appending to the chain until it ends (PostgreSQL; on SQLite the
    write lock taken at BEGIN already does). Call it first in the transaction, before any row lock, so that
    two writers can never wait for each other in a cycle."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})


def canonical_time(at: datetime) -> str:
    """A timestamp as the hash sees it: UTC, microseconds (SQLite gives it back naive, PostgreSQL aware)."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """The hash of one audit entry: SHA-256 over the previous entry's hash and this entry's fields."""
    values = [canonical_time(entry["at"]) if name == "at" else entry.get(name) for name in HASHED_FIELDS]
    payload = json.dumps([prev_hash, *values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append_audit(connection: Connection, entries: Sequence[dict[str, Any]]) -> None:
    """Insert audit entries at the end of the chain, each carrying the previous entry's hash and its own."""
    if not entries:
        return
    serialise_writes(connection)
    last = connection.execute(select(AUDIT_LOG.c.row_hash).order_by(AUDIT_LOG.c.id.desc()).limit(1)).scalar()
    previous = last or GENESIS
    chained = []
    for entry in entries:
        row_hash = entry_hash(previous, entry)
        chained.append({**entry, "prev_hash": previous, "row_hash": row_hash})
        previous = row_hash
    connection.execute(AUDIT_LOG.insert(), chained)


@dataclass
class ChainReport:
    """What a walk of the chain found: entries checked, the head, and the first problem (None: intact)."""

    entries: int = 0
    head: str = GENESIS
    problem: str | None = None
    snapshots: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether nothing was found wrong."""
        return self.problem is None

    def fail(self, message: str) -> None:
        """Record a problem (the first one found is the one reported)."""
        self.details.append(message)
        if self.problem is None:
            self.problem = message


AUDIT_COLUMNS = ("id", *HASHED_FIELDS, "prev_hash", "row_hash")


def _audit_rows(connection: Connection, batch: int = 5_000) -> Iterator[dict[str, Any]]:
    columns = [AUDIT_LOG.c[name] for name in AUDIT_COLUMNS]
    last_id = 0
    while True:
        rows = connection.execute(
            select(*columns).where(AUDIT_LOG.c.id > last_id).order_by(AUDIT_LOG.c.id).limit(batch)
        ).mappings()
        chunk = [dict(row) for row in rows]
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1]["id"]


def walk_chain(connection: Connection, report: ChainReport | None = None) -> ChainReport:
    """Recompute every audit entry's hash in id order; report the first entry whose hash or link is wrong."""
    report = report or ChainReport()
    previous = GENESIS
    for row in _audit_rows(connection):
        report.entries += 1
        if row["prev_hash"] != previous:
            report.fail(f"audit entry {row['id']} ({row['action']} {row['object']}): its link to the entry before "
                        "it is broken (an entry was removed, inserted or changed)")  # fmt: skip
        expected = entry_hash(row["prev_hash"] or GENESIS, row)
        if row["row_hash"] != expected:
            report.fail(f"audit entry {row['id']} ({row['action']} {row['object']}): its content does not match "
                        "its hash (the entry was changed)")  # fmt: skip
        previous = row["row_hash"] or previous
        if len(report.details) >= 20:
            break
    report.head = previous
    return report


def snapshot_hashes_in_audit(connection: Connection) -> dict[int, str]:
    """Each snapshot's content hash as its ``snapshot.add`` audit entry recorded it."""
    found: dict[int, str] = {}
    rows = connection.execute(
        select(AUDIT_LOG.c.object, AUDIT_LOG.c.detail).where(AUDIT_LOG.c.action == "snapshot.add")
    )
    for obj, detail in rows:
        try:
            found[int(obj.removeprefix("snapshot/"))] = json.loads(detail or "{}").get("content_hash")
        except (ValueError, AttributeError):
            continue
    return found


def check_snapshots(
    connection: Connection, recomputed: Iterable[tuple[int, str, str]], report: ChainReport
) -> ChainReport:
    """Check each snapshot (id, stored content hash, content hash recomputed from its rows) against its rows and
    its audit entry; the first mismatch becomes the report's problem."""
    in_audit = snapshot_hashes_in_audit(connection)
    for snapshot_id, stored, computed in recomputed:
        report.snapshots += 1
        if computed != stored:
            report.fail(f"snapshot {snapshot_id}: its answers, metrics or context no longer give its content hash "
                        "(its rows were changed)")  # fmt: skip
        elif in_audit.get(snapshot_id) != stored:
            report.fail(f"snapshot {snapshot_id}: its content hash differs from the one its audit entry recorded")
        if len(report.details) >= 20:
            break
    return report


def quick_check(engine: Engine) -> ChainReport:
    """The check the app runs when it starts: the whole chain, and every snapshot's stored hash against its audit
    entry (set-based and fast; ``readiness verify`` also recomputes each snapshot's hash from its rows)."""
    with engine.connect() as connection:
        report = walk_chain(connection)
        in_audit = snapshot_hashes_in_audit(connection)
        for snapshot_id, stored in connection.execute(select(SNAPSHOT.c.id, SNAPSHOT.c.content_hash)):
            report.snapshots += 1
            if in_audit.get(snapshot_id) != stored:
                report.fail(f"snapshot {snapshot_id}: its content hash differs from the one its audit entry recorded")
                break
    return report
