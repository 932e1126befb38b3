"""The record's integrity: verifying the store, and retracting or reinstating snapshots.

Retraction is how a wrong snapshot leaves the views without leaving the record: the snapshot stays, a
``retraction`` row and an audit entry say who took it out, when and why, and reinstating it is another
audited row. Only admins retract and reinstate (in local mode everyone is one); the check is made here, on
the server, whatever the interface showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from readiness.errors import InvalidInput, Issue
from readiness.service.access import Identity, require
from readiness.service.grants import written_by
from readiness.store.chain import ChainReport, quick_check
from readiness.store.repository import RecordEntry, import_snapshots, pilot_record, retract_snapshots
from readiness.store.verify import verify_store

MAX_REASON = 2_000

__all__ = ["ChainReport", "RecordEntry", "RetractionOutcome", "quick_check", "record", "retract", "verify_store"]


@dataclass(frozen=True)
class RetractionOutcome:
    """What a retraction or reinstatement did: the snapshots asked for and those whose state changed."""

    action: str
    asked: tuple[int, ...]
    changed: tuple[int, ...]


def retract(
    engine: Engine,
    identity: Identity,
    reason: str,
    snapshot_ids: Sequence[int] = (),
    import_hash: str | None = None,
    reinstate: bool = False,
) -> RetractionOutcome:
    """Retract (or reinstate) snapshots by id, or every snapshot of one import (its file's SHA-256)."""
    require(identity, "retract")
    if len(reason) > MAX_REASON:
        raise InvalidInput([Issue("error", "reason", f"at most {MAX_REASON:,} characters")])
    ids = list(snapshot_ids)
    if import_hash:
        found = import_snapshots(engine, import_hash.strip().lower())
        if not found:
            raise InvalidInput([Issue("error", "import", f"no import with the file hash {import_hash!r}")])
        ids += found
    if not ids:
        raise InvalidInput([Issue("error", "snapshots", "name at least one snapshot, or an import")])
    actor = identity.email or identity.subject
    changed = retract_snapshots(engine, ids, reason, actor, reinstate=reinstate,
                                batch=import_hash, written_by=written_by(identity))  # fmt: skip
    return RetractionOutcome("reinstate" if reinstate else "retract", tuple(sorted(set(ids))), tuple(changed))


def record(engine: Engine, identity: Identity, name: str) -> list[RecordEntry]:
    """A pilot's whole record, retracted snapshots included, oldest first (admins only: others never see what
    was retracted)."""
    require(identity, "retract")
    return pilot_record(engine, name)
