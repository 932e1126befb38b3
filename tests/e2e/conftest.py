"""End-to-end fixtures: the real app under ``streamlit run``, driven by Playwright in the system Chromium.

Modelled on Streamlit's own ``e2e_playwright/conftest.py``: the server runs in a subprocess on a free
port with its output captured to a file, the fixture waits for ``/_stcore/health``, and a page counts as
loaded once the websocket is connected, the script has stopped running and no skeleton is left. One
server per database state (the demo portfolio, loaded through the CLI, and an empty database) is shared
by the whole session, so the suite stays well under three minutes; ``fresh_server`` starts a new server
process for the tests about a first visit after a (re)start.

Browser tests run in CI (``CI`` set) and must not skip there; locally they skip only when
``/usr/bin/chromium`` is missing. The browser is never downloaded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
IN_CI = bool(os.environ.get("CI"))
SERVER_START_TIMEOUT_S = 90.0
RUN_TIMEOUT_MS = 60_000

# Test modules here set ``pytestmark = [pytest.mark.e2e, requires_chromium]``.
requires_chromium = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not IN_CI,
    reason="end-to-end tests need /usr/bin/chromium (in CI they always run)",
)


# --------------------------------------------------------------------------------------------
# The app server
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_healthy(port: int) -> bool:
    """Whether the Streamlit server on ``port`` answers its health check."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class AppServer:
    """A ``streamlit run serve.py`` subprocess on its own port and database."""

    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    # More ``streamlit run`` options (e.g. ``--secrets.files``) and environment, for the sign-in tests.
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    # A niceness increment: a server started beside other tests (the load-test smoke) yields them the CPU.
    nice: int = 0

    @property
    def url(self) -> str:
        """The app's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        """Start the server and wait for its health check; fail with its output if it does not come up."""
        # A file, not a pipe: a chatty server would fill a pipe nobody reads and block.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop(), it outlives this method
        args = [
            sys.executable, "-m", "streamlit", "run", "serve.py",
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            "--global.developmentMode", "false",
            *self.extra_args,
        ]  # fmt: skip
        env = {**os.environ, "READINESS_DATABASE_URL": self.database_url, "PYTHONUNBUFFERED": "1", **self.extra_env}
        niced = (lambda: os.nice(self.nice)) if self.nice else None
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=niced
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"streamlit exited with {self.process.returncode}:\n{self.output()}")
            if is_healthy(self.port):
                return self
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"streamlit did not answer /_stcore/health within {SERVER_START_TIMEOUT_S:.0f} s:\n{self.output()}")

    def output(self) -> str:
        """What the server printed so far."""
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-20_000:]

    def stop(self) -> None:
        """Stop the server (only the process this fixture started)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
            self.log = None


def run_cli(*args: str, database_url: str) -> None:
    """Run the ``readiness`` CLI (as a user would) against ``database_url``."""
    command = [str(Path(sys.executable).parent / "readiness"), *args, "--db", database_url]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed ({result.returncode}): {result.stderr or result.stdout}"


def _server(database_url: str) -> Iterator[AppServer]:
    server = AppServer(database_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding the demo portfolio, loaded through the CLI."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-demo') / 'readiness.db'}"
    run_cli("db", "upgrade", database_url=url)
    run_cli("demo", database_url=url)
    return url


@pytest.fixture(scope="session")
def empty_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database that does not exist yet: the app creates and migrates it."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-empty') / 'readiness.db'}"


# The large portfolio of the layout tests: 1,000 synthetic pilots with 2 snapshots each (written in seconds).
LARGE_PILOTS = 1000
LARGE_SNAPSHOTS = 2


@pytest.fixture(scope="session")
def large_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding a 1,000-pilot portfolio (``readiness.demo.synthetic_assessments``)."""
    from readiness.demo import synthetic_assessments
    from readiness.store import add_assessments, make_engine, migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-large') / 'readiness.db'}"
    engine = make_engine(url)
    try:
        migrate(engine)
        add_assessments(engine, synthetic_assessments(LARGE_PILOTS, LARGE_SNAPSHOTS), source="cli", actor="e2e")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def large_server(large_db_url: str) -> Iterator[AppServer]:
    """The app on the 1,000-pilot portfolio, shared by the session."""
    yield from _server(large_db_url)


@pytest.fixture(scope="session")
def demo_server(demo_db_url: str) -> Iterator[AppServer]:
    """The app on the demo portfolio, shared by the session."""
    yield from _server(demo_db_url)


@pytest.fixture(scope="session")
def empty_server(empty_db_url: str) -> Iterator[AppServer]:
    """The app on an empty database, shared by the session."""
    yield from _server(empty_db_url)


@pytest.fixture
def fresh_server(demo_db_url: str) -> Iterator[AppServer]:
    """A new server process on the demo portfolio that nobody has visited yet: the first visit after a restart."""
    yield from _server(demo_db_url)


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page per test (no shared cookies or session)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --------------------------------------------------------------------------------------------
# Waiting for Streamlit (as in Streamlit's e2e_playwright/conftest.py)
# --------------------------------------------------------------------------------------------


def wait_for_app_run(page: Any, initial_wait_ms: int = 250) -> None:
    """Wait until the script run triggered last has finished and everything is drawn."""
    from playwright.sync_api import expect

    page.wait_for_timeout(initial_wait_ms)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=RUN_TIMEOUT_MS
    )
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=RUN_TIMEOUT_MS
    )
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=RUN_TIMEOUT_MS)
    page.wait_for_timeout(150)


def open_app(page: Any, server: AppServer, path: str = "") -> None:
    """Open ``path`` (a page's URL path and query) and wait for the app to be drawn."""
    response = page.goto(f"{server.url}/{path.lstrip('/')}")
    assert response is not None and response.status == 200, f"could not load {path!r}"
    page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached", timeout=RUN_TIMEOUT_MS)
    # The run state can read "not running" before the first run has even started: wait for the navigation
    # that app.py's st.navigation draws before trusting it.
    page.get_by_test_id("stSidebarNav").get_by_text("Portfolio", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_app_run(page)


def wait_until(page: Any, condition: Callable[[], bool], timeout_ms: int = 20_000, what: str = "condition") -> None:
    """Poll ``condition`` until it holds (Plotly draws after Streamlit reports the run finished)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


# --------------------------------------------------------------------------------------------
# What a visitor saw on the way: every state of the sidebar navigation and every dialog
# --------------------------------------------------------------------------------------------

# Runs in the browser before the app's own scripts, on every DOM change from the very first render: records
# each distinct list of navigation labels (icons left out) and the text of each dialog that was ever shown.
RECORDER_JS = """
(() => {
  window.__navSeen = [];
  window.__dialogsSeen = [];
  const label = (link) => {
    const copy = link.cloneNode(true);
    copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach((icon) => icon.remove());
    return copy.innerText.trim() || copy.textContent.trim();
  };
  const record = () => {
    const nav = document.querySelector('[data-testid="stSidebarNav"]');
    if (nav) {
      const labels = [...nav.querySelectorAll('a')].map(label);
      const last = window.__navSeen[window.__navSeen.length - 1];
      if (!last || last.join('\\n') !== labels.join('\\n')) window.__navSeen.push(labels);
    }
    for (const dialog of document.querySelectorAll('[role="dialog"]')) {
      const text = dialog.innerText.trim();
      if (text && !window.__dialogsSeen.includes(text)) window.__dialogsSeen.push(text);
    }
  };
  new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true });
})();
"""


def record_what_is_seen(page: Any) -> None:
    """From the next navigation on, record every navigation list and dialog the page shows (``RECORDER_JS``)."""
    page.add_init_script(RECORDER_JS)


def navigation_seen(page: Any) -> list[list[str]]:
    """Each distinct list of labels the sidebar navigation showed, in order (needs ``record_what_is_seen``)."""
    return page.evaluate("window.__navSeen")


def dialogs_seen(page: Any) -> list[str]:
    """The text of every dialog shown so far (needs ``record_what_is_seen``)."""
    return page.evaluate("window.__dialogsSeen")
