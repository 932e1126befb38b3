"""Concurrent writers and crashed writers, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from readiness.assessment import Assessment
from readiness.cli.main import cli
from readiness.store import AddResult, add_assessment, audit_entries, count_rows, list_pilots, make_engine, migrate
from readiness.store.tables import ANSWER, METRIC_VALUE, SNAPSHOT
from tests.factories import assessment_data, build

THREADS = 8
PER_THREAD = 50
SHARED = 5  # assessments every thread writes too: each must end up stored once
CHILD = Path(__file__).with_name("store_child.py")


def own_assessments(thread: int) -> list[Assessment]:
    """Fifty distinct assessments of the thread's own five pilots, ten monthly snapshots each."""
    start = date(2025, 1, 1)
    return [
        build(name=f"T{thread} pilot {k % 5}", start_date=start.isoformat()).model_copy(
            update={"as_of": start + timedelta(days=31 * (k // 5))}
        )
        for k in range(PER_THREAD)
    ]


SHARED_ASSESSMENTS = [build(name=f"Shared {k}", start_date="2025-01-01") for k in range(SHARED)]


def write_all(engine: Engine, thread: int) -> list[AddResult]:
    """One transaction per assessment, the shared ones interleaved with the thread's own."""
    results = []
    for k, item in enumerate(own_assessments(thread)):
        results.append(add_assessment(engine, item, actor=f"thread {thread}"))
        if k % 10 == 0:
            add_assessment(engine, SHARED_ASSESSMENTS[k // 10 % SHARED], actor=f"thread {thread}")
    return results


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(engine: Engine) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda t: write_all(engine, t), range(THREADS)))
    own = [r for per_thread in results for r in per_thread]
    assert all(r.created for r in own)
    assert len({r.snapshot_id for r in own}) == THREADS * PER_THREAD
    counts = count_rows(engine)
    assert counts["snapshot"] == THREADS * PER_THREAD + SHARED
    assert counts["pilot"] == THREADS * 5 + SHARED
    additions = [e for e in audit_entries(engine, limit=None) if e.action == "snapshot.add"]
    assert len(additions) == counts["snapshot"]
    with engine.connect() as connection:
        per_snapshot = connection.execute(
            select(func.count()).select_from(ANSWER).group_by(ANSWER.c.snapshot_id)
        ).scalars()
        assert set(per_snapshot) == {len(SHARED_ASSESSMENTS[0].answers)}, "every snapshot has all its answers"
    assert {p.context.name: p.snapshots for p in list_pilots(engine)}["T3 pilot 2"] == PER_THREAD // 5


def write_file(path: Path, pilots: int, name: str = "Pilot") -> Path:
    """A JSON file of ``pilots`` assessments."""
    records = [assessment_data(name=f"{name} {k}", start_date="2025-01-01") for k in range(pilots)]
    path.write_text(json.dumps(records))
    return path


def start_paused_import(url: str, hold_at: int, tmp_path: Path, *files: Path) -> tuple[subprocess.Popen[str], Path]:
    """A ``readiness import`` process paused inside its ``hold_at``-th write transaction; returns it and the
    file to create to let it go on."""
    marker, release = tmp_path / "holding", tmp_path / "release"
    marker.unlink(missing_ok=True)
    release.unlink(missing_ok=True)
    command = [sys.executable, str(CHILD), str(hold_at), str(marker), str(release), "--", "import", *map(str, files)]
    child = subprocess.Popen([*command, "--db", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"the import never reached its write transaction: {child.communicate()}")
        time.sleep(0.02)
    return child, release


def snapshots_without_rows(engine: Engine) -> int:
    """Snapshots that lack their answers or metric values (a torn write)."""
    with engine.connect() as connection:
        answered = select(ANSWER.c.snapshot_id)
        measured = select(METRIC_VALUE.c.snapshot_id)
        torn = select(func.count()).where(SNAPSHOT.c.id.not_in(answered) | SNAPSHOT.c.id.not_in(measured))
        return connection.execute(torn).scalar_one()


def test_a_writer_killed_mid_import_leaves_no_partial_snapshot(store_url: str, tmp_path: Path) -> None:
    engine = make_engine(store_url)
    try:
        migrate(engine)
        first = write_file(tmp_path / "first.json", 3, "Before")
        big = write_file(tmp_path / "big.json", 40, "Killed")
        child, _ = start_paused_import(store_url, 2, tmp_path, first, big)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        counts = count_rows(engine)
        assert counts["snapshot"] == 3, "the first file was committed, nothing of the killed transaction was"
        assert counts["pilot"] == 3
        assert snapshots_without_rows(engine) == 0
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        rerun = CliRunner().invoke(cli, ["import", str(first), str(big), "--db", store_url])
        assert rerun.exit_code == 0, rerun.output
        assert count_rows(engine)["snapshot"] == 43, "the lock died with the writer; the import runs again"
    finally:
        engine.dispose()
