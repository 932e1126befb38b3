"""A ``readiness`` CLI process that pauses inside one of its write transactions, for crash and backup tests.

Usage: ``python -m tests.store_child HOLD_AT MARKER RELEASE -- readiness arguments...``

The HOLD_AT-th write transaction inserts its rows, then writes MARKER and waits, without committing,
until RELEASE exists (or for two minutes). A test can then kill the process mid-transaction, or do
something while the transaction holds the write lock.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from readiness.cli.main import cli
from readiness.store import repository

WAIT_S = 120.0


def pause_in_transaction(hold_at: int, marker: Path, release: Path) -> None:
    """Make the ``hold_at``-th snapshot insert wait for ``release`` before its transaction goes on."""
    insert = repository._insert_snapshots
    calls = 0

    def pausing(*args: Any) -> list[int]:
        nonlocal calls
        ids = insert(*args)
        calls += 1
        if calls == hold_at:
            marker.write_text(str(len(ids)))
            deadline = time.monotonic() + WAIT_S
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        return ids

    repository._insert_snapshots = pausing  # type: ignore[assignment]


if __name__ == "__main__":
    hold, marker_path, release_path, separator, *arguments = sys.argv[1:]
    assert separator == "--", __doc__
    pause_in_transaction(int(hold), Path(marker_path), Path(release_path))
    cli.main(arguments, prog_name="readiness")
