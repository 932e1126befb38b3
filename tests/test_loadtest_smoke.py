"""The load-test driver (``bench/loadtest.py``) in small: 5 simulated users for 20 s against a real ``streamlit run``
server on the demo portfolio, speaking Streamlit's websocket protocol, while a writer process imports changed workbooks
in the background.

It checks that the driver and the app hold together under concurrent sessions and writes: no exception, no
``st.error``, no disconnect or timeout, every user through at least one full cycle (Pilot, Compare, Portfolio,
a filter change), each page showing what was asked. No timing is asserted (``make loadtest`` measures).

It shares the machine with the rest of the parallel suite: the server and the writer run niced, the users think
1-3 s between steps, and a step may take up to two minutes before it counts as timed out.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from bench.loadtest import CYCLE, AppServer, Writer, pilot_names, run_load

SESSIONS = 5
DURATION_S = 20.0
NICE = 5


def _cli(*args: str) -> None:
    command = [str(Path(sys.executable).parent / "readiness"), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"readiness {' '.join(args)}: {done.stderr or done.stdout}"


@pytest.fixture
def demo_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'readiness.db'}"
    _cli("db", "upgrade", "--db", url)
    _cli("demo", "--db", url)
    return url


def test_five_sessions_with_a_writer(demo_url: str, tmp_path: Path) -> None:
    names = pilot_names(demo_url)
    writer = Writer(demo_url, interval=4.0, seed=11, workdir=tmp_path, nice=NICE)
    server = AppServer(demo_url, nice=NICE)
    server.start()
    try:
        result = asyncio.run(
            run_load(server.url, SESSIONS, DURATION_S, names, ramp=2.0, think=(1.0, 3.0), seed=11,
                     step_timeout=120.0, min_cycles=1, writer=writer, server_pid=server.pid)
        )  # fmt: skip
        log = server.output()
    finally:
        server.stop()

    context = f"errors {dict(result.errors)}: {result.error_examples}\nserver log:\n{log[-3000:]}"
    assert result.error_count == 0, context
    assert result.error_alerts == 0, f"st.error shown: {result.alert_examples}\nserver log:\n{log[-3000:]}"
    assert len(result.cycles) == SESSIONS
    assert min(result.cycles) >= 1, f"full cycles per user: {result.cycles}"
    assert len(result.first_renders) == SESSIONS  # one session each: nobody had to reconnect
    pages = {step.page for step in result.steps}
    assert set(CYCLE) <= pages, pages
    assert result.not_shown == 0, "a Pilot step did not show its pilot, or a filter change its filter"
    assert result.writer["imports"] >= 1 and result.writer["failures"] == 0, result.writer
    assert result.memory["vmhwm_mb"] > 0
