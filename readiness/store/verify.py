"""``readiness verify``: recompute every snapshot's content hash from its stored rows and walk the audit chain.

The app runs the cheaper :func:`readiness.store.chain.quick_check` when it starts; this is the full check, for
an operator (it reads every snapshot, so it takes seconds on a large store).
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from readiness.store.chain import ChainReport, check_snapshots, walk_chain
from readiness.store.repository import all_assessments
from readiness.store.tables import PILOT, SNAPSHOT


def verify_store(engine: Engine, expect_head: str | None = None) -> ChainReport:
    """The whole store checked: the chain, each snapshot against its rows and its audit entry, each snapshot's
    pilot name against the registry, and (when given) the chain's head against one kept earlier."""
    with engine.connect() as connection:
        report = walk_chain(connection)
    stored = all_assessments(engine, include_retracted=True)
    recomputed = ((s.snapshot_id, s.content_hash, s.assessment.content_hash()) for s in stored)
    with engine.connect() as connection:
        check_snapshots(connection, recomputed, report)
        renamed = connection.execute(
            select(SNAPSHOT.c.id, SNAPSHOT.c.name, PILOT.c.name)
            .join(PILOT, PILOT.c.id == SNAPSHOT.c.pilot_id)
            .where(SNAPSHOT.c.name != PILOT.c.name)
            .order_by(SNAPSHOT.c.id)
            .limit(1)
        ).first()
    if renamed is not None:
        snapshot_id, taken_as, now_named = renamed
        report.fail(f"snapshot {snapshot_id}: taken under the name {taken_as!r}, its pilot is now named {now_named!r}")
    if expect_head and report.head != expect_head:
        report.fail(f"the chain's head is {report.head}, not the {expect_head} kept earlier: the log was rewritten "
                    "from some entry on, or this is not the store whose head was kept")  # fmt: skip
    return report
