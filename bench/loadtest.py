"""``make loadtest``: many concurrent dashboard sessions against a real ``streamlit run serve.py``, measured at the
protocol level.

Each simulated user speaks Streamlit's own websocket protocol (``/_stcore/stream``: protobuf ``BackMsg`` up,
``ForwardMsg`` down), as the browser does, so a client costs a coroutine and no browser. A user opens the app
(its first complete Portfolio render is measured on its own), then cycles Pilot (``?pilot=<name>``) → Compare →
Portfolio → a Business unit filter change on the Portfolio, thinking 2-8 s (seeded) between steps. A background
writer process imports a changed workbook every few seconds, so the caches are invalidated under load.

A step is timed from sending its ``rerun_script`` to the ``script_finished`` that ends it (after any
``st.switch_page``). Errors: an ``exception`` element in a delta, a compile error, ``page_not_found``, a
disconnect, a step timeout (``--step-timeout``, 60 s: the user then reloads, i.e. opens a new session);
``st.error`` messages are counted beside them. The server's peak memory is its ``VmHWM`` (one process; the RSS
of its process tree is sampled every 0.5 s as well), and the CPU it and this driver used is reported.

Runs at 25, 50 and 100 sessions on the 1,000 pilots × 24 snapshots benchmark portfolio (``bench/run.py``'s,
reused from ``bench-results/bench.db``; each run works on a fresh copy, since the writer adds snapshots), one
new server per run. Prints a table like ``bench/run.py`` and writes ``bench-results/loadtest-<time>.json``;
the JSON path is the last line printed. Budgets (at 50 sessions) are checked here only: tests never assert on
time.

    python bench/loadtest.py [--sessions 25,50,100] [--duration 90] [--ramp 20] [--quick]
                             [--write-every 5] [--streamlit-option runner.postScriptGC=false] [--profile]

``--profile`` samples the server with py-spy (``--gil``: the thread holding the GIL) during each run and prints
which of the app's functions the time goes to; py-spy is not a dependency (``pip install py-spy``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(ROOT))

from bench.run import Measurement, machine, table  # noqa: E402 - needs the project root on the path
from tests.e2e.conftest import AppServer as E2EServer  # noqa: E402 - the e2e tests start servers the same way

RESULTS = ROOT / "bench-results"
BENCH_DB = RESULTS / "bench.db"
N_PILOTS, N_SNAPSHOTS = 1000, 24
# The budgets hold at this many sessions; the other levels are the curve, without budgets.
BUDGET_SESSIONS = 50
STEP_P95_BUDGET_S = 1.0
FIRST_RENDER_P95_BUDGET_S = 2.0
PEAK_MEMORY_BUDGET_MB = 1024.0
# One cycle of a user, after the first render (which lands on the Portfolio).
CYCLE = ("pilot", "compare", "portfolio", "filter")
FIRST_RENDER = "first render"
FILTER_PARAM = "bu"  # ui/state.py FILTERS["business_unit"]: the sidebar multiselect bound to ?bu=
PILOT_PARAM = "pilot"


def log(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# One session: the browser's side of the websocket protocol
# --------------------------------------------------------------------------------------------


@dataclass
class Widget:
    """A widget seen in the deltas: its id (needed to send its state), type and options."""

    id: str
    kind: str
    label: str
    options: list[str]


@dataclass
class StepResult:
    """What one rerun produced: its time to ``script_finished``, and anything wrong with it."""

    page: str
    seconds: float
    ok: bool
    status: str  # "ok", "exception", "compile_error", "page_not_found", "timeout", "disconnect"
    exceptions: list[str] = field(default_factory=list)
    error_alerts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0
    runs: int = 0  # script runs it took (a st.switch_page adds one)
    shown: bool = True  # whether the page showed what the step asked for (the pilot, the filter)


class Session:
    """One simulated browser tab: a websocket to ``/_stcore/stream`` speaking protobuf, one rerun at a time.

    ``rerun`` sends what the frontend's ``sendRerunBackMsg`` sends: a ``rerun_script`` ``ClientState`` with the
    query string, the page (``page_name`` from the URL path on the first load, then the page's
    ``page_script_hash`` from the ``navigation`` message), the widget states, and the browser context.
    """

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.ws: ClientConnection | None = None
        self.pages: dict[str, str] = {}  # url path ("portfolio") → page_script_hash
        self.page_hash = ""  # the page on screen
        self.query_string = ""  # the URL's query, as the server last set it (page_info_changed)
        self.widgets: dict[str, Widget] = {}  # by query-param key, else label
        self.widget_values: dict[str, Any] = {}  # widget id → value the user set (sent while it is shown)
        self.texts: list[str] = []  # headings and Markdown of the last run (what the page says)
        self._shown: set[str] = set()  # widget ids drawn by the run being read

    async def connect(self) -> None:
        """Open the websocket as the browser does (subprotocol ``streamlit``, same-origin ``Origin``)."""
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await connect(
            ws_url,
            subprotocols=["streamlit"],
            origin=self.base_url,
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,
            close_timeout=2,
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    def _client_state(self, page: str | None, query_string: str) -> BackMsg:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query_string
        if page is None:
            state.page_script_hash = self.page_hash
        elif page in self.pages:
            state.page_script_hash = self.pages[page]
        else:
            state.page_name = page  # first load: the path of the URL ("" for /)
        for widget_id, value in self.widget_values.items():
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            if isinstance(value, list):
                widget.string_array_value.data.extend(value)
            else:
                widget.string_value = value
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.base_url}/{page or ''}" + (f"?{query_string}" if query_string else "")
        info.color_scheme = "light"
        return msg

    async def rerun(
        self, page: str | None, query_string: str = "", widget_values: dict[str, Any] | None = None
    ) -> StepResult:
        """Ask for a run of ``page`` (None: the page on screen) and read until it has finished.

        ``widget_values`` (widget id → value) are set before sending, as a user's change would be; they stay set.
        """
        if self.ws is None:
            raise RuntimeError("not connected")
        if widget_values:
            self.widget_values.update(widget_values)
        if page is not None:
            self.query_string = query_string  # the browser's URL is the new page's (the server may correct it)
        result = StepResult(page=page or "", seconds=0.0, ok=False, status="ok")
        self.texts, self._shown = [], set()
        payload = self._client_state(page, query_string).SerializeToString()
        started = time.perf_counter()
        deadline = started + self.timeout
        try:
            await self.ws.send(payload)
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise TimeoutError
                data = await asyncio.wait_for(self.ws.recv(), timeout=remaining)
                result.messages += 1
                result.bytes += len(data)
                if self._read(ForwardMsg.FromString(data), result):
                    break
        except TimeoutError:
            result.status = "timeout"
        except (ConnectionClosed, OSError) as error:
            result.status = "disconnect"
            result.exceptions.append(repr(error)[:200])
        result.seconds = time.perf_counter() - started
        if result.status == "ok" and result.exceptions:
            result.status = "exception"
        result.ok = result.status == "ok"
        return result

    def _read(self, msg: ForwardMsg, result: StepResult) -> bool:
        """Take in one message; True once the run asked for is over."""
        kind = msg.WhichOneof("type")
        if kind == "delta":
            if msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, result)
        elif kind == "new_session":
            result.runs += 1
            self.texts, self._shown = [], set()
            self.page_hash = msg.new_session.page_script_hash
            self._pages(msg.new_session.app_pages)
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
            self._pages(msg.navigation.app_pages)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            result.status = "page_not_found"
            return True
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            result.exceptions.append(msg.session_event.script_compilation_exception.message)
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                result.status = "compile_error"
                return True
            # FINISHED_EARLY_FOR_RERUN: a st.switch_page or st.rerun; the run that follows is the one shown.
            if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                # The frontend forgets the widgets the run did not draw (WidgetStateManager.removeInactive).
                self.widget_values = {k: v for k, v in self.widget_values.items() if k in self._shown}
                return True
        return False

    def _pages(self, app_pages: Sequence[Any]) -> None:
        for page in app_pages:
            if page.url_pathname:
                self.pages[page.url_pathname] = page.page_script_hash

    def _element(self, element: Any, result: StepResult) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            text = f"{element.exception.type}: {element.exception.message}".strip(": ")
            (result.warnings if element.exception.is_warning else result.exceptions).append(text)
        elif kind == "alert":
            if element.alert.format == element.alert.ERROR:
                result.error_alerts.append(element.alert.body[:200])
            elif element.alert.format == element.alert.WARNING:
                result.warnings.append(element.alert.body[:200])
        elif kind in ("multiselect", "selectbox"):
            widget = getattr(element, kind)
            found = Widget(widget.id, kind, widget.label, list(widget.options))
            self.widgets[widget.query_param_key or widget.label] = found
            self._shown.add(widget.id)
        elif kind == "heading":
            self.texts.append(element.heading.body)
        elif kind == "markdown":
            self.texts.append(element.markdown.body)

    def says(self, text: str) -> bool:
        """Whether the last run's headings or Markdown contain ``text`` (Markdown escapes ignored)."""
        return any(text in body.replace("\\", "") for body in self.texts)


# --------------------------------------------------------------------------------------------
# The simulated users
# --------------------------------------------------------------------------------------------


@dataclass
class StepRecord:
    """One measured step of one user."""

    user: int
    page: str
    started: float  # seconds since the load began
    seconds: float
    status: str
    error_alerts: int


@dataclass
class LoadResult:
    """Everything one run measured."""

    sessions: int
    duration_s: float
    ramp_s: float
    steps: list[StepRecord] = field(default_factory=list)
    first_renders: list[float] = field(default_factory=list)
    cycles: list[int] = field(default_factory=list)  # full cycles completed, per user
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    error_alerts: int = 0
    alert_examples: list[str] = field(default_factory=list)
    not_shown: int = 0  # steps that did not show what was asked (the pilot's name, the filter)
    writer: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    profile: list[str] = field(default_factory=list)  # summary of a py-spy profile of the server, if taken

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


async def _user(
    index: int,
    url: str,
    names: Sequence[str],
    result: LoadResult,
    began: float,
    stop_at: float,
    *,
    ramp: float,
    think: tuple[float, float],
    seed: int,
    step_timeout: float,
    min_cycles: int,
) -> None:
    rng = random.Random(seed * 100_003 + index)
    await asyncio.sleep(ramp * index / max(result.sessions, 1))
    cycles = 0

    def record(step: StepResult, at: float) -> None:
        result.steps.append(StepRecord(index, step.page, at - began, step.seconds, step.status, len(step.error_alerts)))
        if not step.ok:
            result.errors[step.status] += 1
            if len(result.error_examples) < 20:
                detail = "; ".join(step.exceptions)[:300]
                result.error_examples.append(f"user {index} {step.page}: {step.status} {detail}".strip())
        result.error_alerts += len(step.error_alerts)
        for text in step.error_alerts[: max(0, 10 - len(result.alert_examples))]:
            result.alert_examples.append(f"user {index} {step.page}: {text}")

    def more() -> bool:
        return time.perf_counter() < stop_at or cycles < min_cycles

    while more():
        session = Session(url, timeout=step_timeout)
        opened = time.perf_counter()
        try:
            await session.connect()
            first = await session.rerun("")  # the browser opening "/": home forwards to the Portfolio
        except TimeoutError:
            first = StepResult("", 0.0, False, "timeout")
        except (OSError, ConnectionClosed) as error:
            first = StepResult("", 0.0, False, "disconnect", [repr(error)[:200]])
        first.seconds = time.perf_counter() - opened  # connecting included: the user waits for that too
        first.page = FIRST_RENDER
        record(first, opened)
        if first.status != "disconnect":
            result.first_renders.append(first.seconds)
        healthy = first.ok
        while healthy and more():
            for step_name in CYCLE:
                await asyncio.sleep(rng.uniform(*think))
                if not more():
                    break
                at = time.perf_counter()
                step = await _step(session, step_name, names, rng)
                record(step, at)
                if step.ok and not step.shown:
                    result.not_shown += 1
                if step.status in ("timeout", "disconnect"):
                    healthy = False  # state unknown: open a new session, as a reload would
                    break
            else:
                cycles += 1
        await session.close()
        if not healthy and more():
            await asyncio.sleep(rng.uniform(*think))
    result.cycles.append(cycles)


async def _step(session: Session, step: str, names: Sequence[str], rng: random.Random) -> StepResult:
    """One step of the cycle."""
    if step == "pilot":  # the Pilot page at ?pilot=<name>, as a shared link opens it
        name = rng.choice(names)
        result = await session.rerun("pilot", urlencode({PILOT_PARAM: name}, quote_via=quote))
        result.shown = session.says(name)
        return result
    if step == "filter":  # a Business unit chosen (or the filter cleared) in the sidebar, on the Portfolio
        widget = session.widgets.get(FILTER_PARAM)
        if widget is None or not widget.options:
            result = await session.rerun(None, session.query_string)
            result.page = "filter"
            return result
        current = session.widget_values.get(widget.id) or []
        value = [] if current and rng.random() < 0.4 else [rng.choice(widget.options)]
        result = await session.rerun(None, session.query_string, {widget.id: value})
        result.page = "filter"
        result.shown = session.says("filtered:") == bool(value)  # the Portfolio's caption names a filter
        return result
    return await session.rerun(step)


async def run_load(
    url: str,
    sessions: int,
    duration: float,
    names: Sequence[str],
    *,
    ramp: float = 20.0,
    think: tuple[float, float] = (2.0, 8.0),
    seed: int = 7,
    step_timeout: float = 60.0,
    min_cycles: int = 0,
    writer: Writer | None = None,
    server_pid: int | None = None,
) -> LoadResult:
    """``sessions`` users against the app at ``url`` for ``ramp`` + ``duration`` seconds (users start evenly over
    the ramp-up), with ``writer`` importing in the background and the memory of ``server_pid`` sampled.

    Each user then finishes the step it is in; with ``min_cycles`` it goes on until it has done that many
    full cycles (the smoke test's guarantee).
    """
    result = LoadResult(sessions=sessions, duration_s=duration, ramp_s=ramp)
    began = time.perf_counter()
    stop_at = began + ramp + duration
    done = asyncio.Event()
    background = []
    if writer is not None:
        background.append(asyncio.create_task(writer.run(done)))
    sampler = ServerSampler(server_pid) if server_pid else None
    if sampler is not None:
        background.append(asyncio.create_task(sampler.run(done)))
    users = [
        _user(
            i,
            url,
            names,
            result,
            began,
            stop_at,
            ramp=ramp,
            think=think,
            seed=seed,
            step_timeout=step_timeout,
            min_cycles=min_cycles,
        )
        for i in range(sessions)
    ]
    try:
        await asyncio.gather(*users)
    finally:
        done.set()
        await asyncio.gather(*background, return_exceptions=True)
    result.duration_s = round(time.perf_counter() - began - ramp, 1)
    result.load_average = os.getloadavg()
    if writer is not None:
        result.writer = writer.summary()
    if sampler is not None:
        result.memory = sampler.summary()
    return result


# --------------------------------------------------------------------------------------------
# The writer, the server and its memory
# --------------------------------------------------------------------------------------------


class Writer:
    """Every ``interval`` seconds, imports one changed workbook of an existing pilot: the pilot's latest snapshot a
    day later with one answer changed, written as the prefilled Excel template.

    The imports run in one long-lived writer process (``--serve-writes``) through the intake use case that the CLI
    and the Upload page call: a team uploading a workbook, without a new interpreter's start-up per import, which
    on a 2-core machine would take CPU from the server that no real uploader's machine would.
    """

    def __init__(
        self, database_url: str, interval: float = 5.0, seed: int = 7, workdir: Path | None = None, nice: int = 0
    ) -> None:
        self.database_url = database_url
        self.interval = interval
        self.nice = nice
        self.rng = random.Random(seed)
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="loadtest-writer-"))
        self.imports = 0
        self.failures: list[str] = []
        self.seconds: list[float] = []
        self._names: list[str] = []
        self._latest: dict[str, Any] = {}

    def next_file(self, count: int) -> Path:
        """The next workbook to import (reads the store and writes the file: runs in a thread)."""
        from readiness.excel.layout import PILOT, PILOT_FIELDS
        from readiness.excel.template import build_template
        from readiness.service.queries import pilot_names, pilot_snapshots
        from readiness.store import make_engine

        engine = make_engine(self.database_url)
        try:
            if not self._names:
                self._names = pilot_names(engine)
            name = self.rng.choice(self._names)
            latest = self._latest.get(name)
            if latest is None:
                latest = max(pilot_snapshots(engine, name), key=lambda s: s.assessment.as_of).assessment
        finally:
            engine.dispose()
        answers = dict(latest.answers)
        question = self.rng.choice(sorted(answers)) if answers else None
        if question is not None:
            answers[question] = "yes" if answers[question] != "yes" else "no"
        changed = latest.model_copy(update={"as_of": latest.as_of + timedelta(days=1), "answers": answers})
        self._latest[name] = changed
        path = self.workdir / f"write-{count:04d}.xlsx"
        workbook = build_template(changed)
        # What the team types into the prefilled template: the new snapshot's date and who submits it.
        typed = {field.label: field.key for field in PILOT_FIELDS if field.key in {"as_of", "submitted_by"}}
        for label, value in workbook[PILOT].iter_rows(min_col=1, max_col=2):
            if typed.get(label.value) == "as_of":
                value.value = changed.as_of
            elif typed.get(label.value) == "submitted_by":
                value.value = "loadtest@example.com"
        workbook.save(path)
        return path

    async def run(self, done: asyncio.Event) -> None:
        """Import a workbook every ``interval`` seconds until ``done``."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), "--serve-writes", self.database_url,
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, preexec_fn=_niced(self.nice),
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        count = 0
        try:
            while not done.is_set():
                try:
                    await asyncio.wait_for(done.wait(), timeout=self.interval)
                    return
                except TimeoutError:
                    pass
                count += 1
                started = time.perf_counter()
                try:
                    path = await asyncio.to_thread(self.next_file, count)
                    process.stdin.write(f"{path}\n".encode())
                    await process.stdin.drain()
                    reply = (await process.stdout.readline()).decode(errors="replace").strip()
                except Exception as error:  # noqa: BLE001 - a failed write is reported, never fatal
                    self.failures.append(repr(error)[:300])
                    continue
                self.seconds.append(time.perf_counter() - started)
                if reply.startswith("imported"):
                    self.imports += 1
                else:
                    self.failures.append(reply[:300] or f"the writer process ended ({process.returncode})")
        finally:
            process.stdin.close()
            await process.wait()

    def summary(self) -> dict[str, Any]:
        median = round(percentile(self.seconds, 50), 2) if self.seconds else None
        return {
            "imports": self.imports,
            "failures": len(self.failures),
            "failure_examples": self.failures[:5],
            "interval_s": self.interval,
            "median_import_s": median,
        }


def serve_writes(database_url: str) -> int:
    """The writer process: imports each workbook path read from stdin through the intake use case, answering one
    line per file (``imported: N snapshots`` or what was wrong)."""
    from readiness.errors import InvalidInput
    from readiness.service.access import cli_identity
    from readiness.service.intake import import_report, validate_path
    from readiness.store import make_engine

    engine = make_engine(database_url)
    identity = cli_identity("loadtest")
    for line in sys.stdin:
        path = Path(line.strip())
        try:
            outcome = import_report(engine, validate_path(path), interface="cli", actor="loadtest", identity=identity)
            reply = f"imported: {outcome.created} snapshots"
        except InvalidInput as problem:
            reply = f"rejected: {path.name}: {problem.issues[0] if problem.issues else 'invalid'}"
        except Exception as error:  # noqa: BLE001 - reported to the driver, which counts it as a failed write
            reply = f"failed: {type(error).__name__}: {error}"
        print(reply.replace("\n", " "), flush=True)
    engine.dispose()
    return 0


def _niced(increment: int) -> Any:
    """A ``preexec_fn`` lowering the child's priority by ``increment`` (None for none)."""
    return (lambda: os.nice(increment)) if increment else None


def _status_kb(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        try:
            for task in Path(f"/proc/{pids[index]}/task").iterdir():
                children = (task / "children").read_text().split()
                pids.extend(int(c) for c in children)
        except OSError:
            pass
        index += 1
    return pids


class ServerSampler:
    """The server's memory (its VmHWM at the end; its process tree's RSS sampled every 0.5 s) and the CPU it used,
    beside this driver's own (client and server share the machine)."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_tree_kb = 0
        self.started = time.perf_counter()
        self.server_cpu = _cpu_seconds(pid)
        self.client_cpu = time.process_time()

    async def run(self, done: asyncio.Event) -> None:
        while not done.is_set():
            self.peak_tree_kb = max(self.peak_tree_kb, sum(_status_kb(p, "VmRSS") for p in _tree(self.pid)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=self.interval)

    def summary(self) -> dict[str, float]:
        wall = max(time.perf_counter() - self.started, 1e-9)
        return {
            "vmhwm_mb": round(_status_kb(self.pid, "VmHWM") / 1024, 1),
            "tree_rss_peak_mb": round(self.peak_tree_kb / 1024, 1),
            "server_cpu_percent": round(100 * (_cpu_seconds(self.pid) - self.server_cpu) / wall, 1),
            "client_cpu_percent": round(100 * (time.process_time() - self.client_cpu) / wall, 1),
        }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (``/proc/<pid>/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class AppServer(E2EServer):
    """``streamlit run serve.py`` on its own port and database, started as the e2e tests start it, as a context
    manager and with its process id (for the memory and CPU samples)."""

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the server is not started")
        return self.process.pid

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def warm_up(url: str) -> float:
    """One unmeasured visit of every page of the cycle: the server's first run imports and caches what it needs."""
    session = Session(url, timeout=300)
    started = time.perf_counter()
    await session.connect()
    try:
        for page in ("", "pilot", "compare", "portfolio"):
            step = await session.rerun(page)
            if not step.ok:
                raise RuntimeError(f"warm-up of {page or 'home'} failed: {step.status} {step.exceptions}")
    finally:
        await session.close()
    return time.perf_counter() - started


class Profiler:
    """``py-spy record --gil`` on the server during the load: which code holds the GIL (one process, so that is
    where its time goes). Optional: py-spy is no dependency of the project (``--profile``, ``--py-spy PATH``)."""

    def __init__(self, executable: str, pid: int, out: Path, rate: int = 25) -> None:
        self.command = [executable, "record", "--pid", str(pid), "--gil", "--rate", str(rate), "--format", "raw",
                        "--output", str(out), "--nonblocking"]  # fmt: skip
        self.out = out
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def summarise_profile(path: Path, top: int = 25) -> list[str]:
    """The frames most often on the GIL holder's stack in a py-spy ``raw`` (collapsed) file: the project's own
    (``app.py``, ``screens/``, ``ui/``, ``readiness/``) and Streamlit's cache and end-of-run work by inclusive share,
    then the heaviest leaves (where the time is spent) by exclusive share."""
    if not path.exists():
        return []
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_frame(f) for f in stack.split(";")]
        for name, interesting in set(frames):
            if interesting:
                inclusive[name] += samples
        leaves[frames[-1][0]] += samples
    if not total:
        return []
    lines = [f"{total} samples of the GIL holder; the app's frames by inclusive share:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines.append("leaf frames by exclusive share:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(top // 2)]
    return lines


def _frame(frame: str) -> tuple[str, bool]:
    """``function (path/file.py:12)`` → (``function (path/file.py)``, whether it is the project's or Streamlit's
    cache or end-of-run code). py-spy writes paths relative to the working directory or site-packages."""
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    for marker in (str(ROOT) + "/", "site-packages/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    if "/" not in file and (ROOT / "screens" / file).is_file():  # a page, run by st.navigation: named bare
        file = f"screens/{file}"
    ours = file == "app.py" or file.startswith(("readiness/", "ui/", "screens/"))
    streamlit = file.endswith("caching/cache_utils.py") or name.endswith("_on_script_finished")
    return f"{name} ({file})", ours or streamlit


# --------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` percentile (0-100) by the nearest-rank rule (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def measurements(result: LoadResult) -> list[Measurement]:
    """The figures of one run; budgets only at ``BUDGET_SESSIONS`` sessions."""
    n = result.sessions
    budgeted = n == BUDGET_SESSIONS
    # Every step that ended, well or not, or timed out (counted at the time it was given up): not disconnects.
    cycle_steps = [s for s in result.steps if s.status != "disconnect" and s.page != FIRST_RENDER]
    steady = [s for s in cycle_steps if s.started >= result.ramp_s] or cycle_steps  # a short run: take them all
    times = [s.seconds for s in steady]
    prefix = f"loadtest.{n}_sessions"

    def ms(name: str, values: Sequence[float], q: float, budget_s: float | None, note: str = "") -> Measurement:
        value = round(percentile(values, q) * 1000, 1) if values else math.nan
        budget = None if budget_s is None or not budgeted else budget_s * 1000
        met = None if budget is None else bool(value <= budget)
        return Measurement(f"{prefix}.{name}", value, "ms", budget, met, len(values), note)

    out = [
        ms(
            "step_p95",
            times,
            95,
            STEP_P95_BUDGET_S,
            f"rerun sent → script_finished, {len(times)} steps after the {result.ramp_s:g} s ramp-up "
            f"(a timed-out step counts as its timeout)",
        ),
        ms("step_p50", times, 50, None),
    ]
    for page in ("pilot", "compare", "portfolio", "filter"):
        values = [s.seconds for s in steady if s.page == page]
        if values:
            out.append(ms(f"step_p95.{page}", values, 95, None))
    out.append(
        ms(
            "first_render_p95",
            result.first_renders,
            95,
            FIRST_RENDER_P95_BUDGET_S,
            "connect + rerun of / → Portfolio's script_finished (home forwards with st.switch_page)",
        )
    )
    errors = result.error_count
    detail = ", ".join(f"{k} {v}" for k, v in sorted(result.errors.items())) or "none"
    out.append(
        Measurement(
            f"{prefix}.errors",
            errors,
            "",
            0 if budgeted else None,
            (errors == 0) if budgeted else None,
            len(result.steps),
            f"exceptions, compile errors, page not found, disconnects, timeouts: {detail}; "
            f"{result.not_shown} steps did not show the pilot or filter asked for",
        )
    )
    out.append(
        Measurement(
            f"{prefix}.st_error_messages",
            result.error_alerts,
            "",
            0 if budgeted else None,
            (result.error_alerts == 0) if budgeted else None,
            len(result.steps),
            "st.error elements (a page's guarded() failure)",
        )
    )
    if result.memory:
        peak = result.memory["vmhwm_mb"]
        budget = PEAK_MEMORY_BUDGET_MB if budgeted else None
        out.append(
            Measurement(
                f"{prefix}.server_peak_memory",
                peak,
                "MB",
                budget,
                None if budget is None else peak <= budget,
                1,
                f"VmHWM of the server process; its process tree's sampled RSS peaked at "
                f"{result.memory['tree_rss_peak_mb']:g} MB",
            )
        )
        out.append(
            Measurement(
                f"{prefix}.server_cpu",
                result.memory["server_cpu_percent"],
                "%",
                None,
                None,
                1,
                f"of one core, over the run (one process: its scripts share one GIL); the load driver used "
                f"{result.memory['client_cpu_percent']:g} %",
            )
        )
    throughput = len([s for s in result.steps if s.started >= result.ramp_s]) / max(result.duration_s, 1e-9)
    out.append(
        Measurement(
            f"{prefix}.throughput",
            round(throughput, 2),
            "/s",
            None,
            None,
            len(result.steps),
            f"steps per second after the ramp-up; full cycles per user: "
            f"min {min(result.cycles, default=0)}, total {sum(result.cycles)}",
        )
    )
    if result.writer:
        w = result.writer
        out.append(
            Measurement(
                f"{prefix}.writer_imports",
                w["imports"],
                "",
                None,
                None,
                w["imports"] + w["failures"],
                f"workbook imports every {w['interval_s']:g} s (median {w['median_import_s']} s each), "
                f"{w['failures']} failed",
            )
        )
    load = result.load_average
    out.append(
        Measurement(
            f"{prefix}.load_average_1min",
            round(load[0], 2),
            "",
            None,
            None,
            1,
            f"at the end of the run; 5 min {load[1]:.2f}, 15 min {load[2]:.2f}",
        )
    )
    return out


# --------------------------------------------------------------------------------------------
# The benchmark database and the main program
# --------------------------------------------------------------------------------------------


def benchmark_database() -> Path:
    """``bench-results/bench.db``: the 1,000 × 24 portfolio of ``bench/run.py`` (made by its functions if missing)."""
    from readiness.store import count_rows, make_engine, migrate

    RESULTS.mkdir(exist_ok=True)
    url = f"sqlite:///{BENCH_DB}"
    if BENCH_DB.exists():
        engine = make_engine(url)
        try:
            migrate(engine)  # once here, not in the first measured visit
            if count_rows(engine).get("snapshot", 0) >= N_PILOTS * N_SNAPSHOTS:
                log(f"reusing {BENCH_DB.relative_to(ROOT)}")
                return BENCH_DB
        finally:
            engine.dispose()
    from bench.run import load_database
    from readiness.demo import synthetic_assessments

    log(f"generating {N_PILOTS:,} pilots × {N_SNAPSHOTS} snapshots into {BENCH_DB.relative_to(ROOT)}")
    load_database(url, synthetic_assessments(N_PILOTS, N_SNAPSHOTS)).dispose()
    return BENCH_DB


def working_copy(source: Path, target: Path) -> str:
    """A consistent copy of the SQLite file (the writer adds to it, the benchmark's stays as it is)."""
    remove_database(target)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def pilot_names(database_url: str) -> list[str]:
    from readiness.service.queries import pilot_names as names
    from readiness.store import make_engine

    engine = make_engine(database_url)
    try:
        return names(engine)
    finally:
        engine.dispose()


def run_level(sessions: int, args: argparse.Namespace, source: Path) -> tuple[LoadResult, list[Measurement]]:
    """One run: a fresh copy of the database, a new server, warm-up, then the load."""
    copy = RESULTS / "loadtest.db"
    url = working_copy(source, copy)
    names = pilot_names(url)
    options: list[str] = []
    for option in args.streamlit_option:  # KEY=VALUE → --KEY VALUE
        key, _, value = option.partition("=")
        options += [f"--{key}", value]
    with AppServer(url, extra_args=options) as server:
        warm = asyncio.run(warm_up(server.url))
        log(
            f"{sessions} sessions: server pid {server.pid} on {server.url}, warmed up in {warm:.1f} s; "
            f"ramp-up {args.ramp:g} s, then {args.duration:g} s"
        )
        writer = Writer(url, interval=args.write_every, seed=args.seed) if args.write_every > 0 else None
        profile = RESULTS / f"loadtest-{sessions}-{time.strftime('%Y%m%d-%H%M%S')}.pyspy.txt"
        profiling = Profiler(args.py_spy, server.pid, profile) if args.profile else contextlib.nullcontext()
        with profiling:
            result = asyncio.run(
                run_load(
                    server.url,
                    sessions,
                    args.duration,
                    names,
                    ramp=args.ramp,
                    think=(args.think_min, args.think_max),
                    seed=args.seed,
                    step_timeout=args.step_timeout,
                    writer=writer,
                    server_pid=server.pid,
                )
            )
        if args.profile:
            result.profile = summarise_profile(profile)
            log(f"{sessions} sessions: py-spy profile {profile.relative_to(ROOT)}\n" + "\n".join(result.profile))
        if result.error_count or result.error_alerts:
            log("server log (tail):\n" + server.output()[-4000:])
    remove_database(copy)
    figures = measurements(result)
    log(
        f"{sessions} sessions: {len(result.steps)} steps, {result.error_count} errors, "
        f"{result.error_alerts} st.error, load average {result.load_average[0]:.2f}"
    )
    for example in result.error_examples[:5] + result.alert_examples[:5]:
        log(f"  {example}")
    return result, figures


def _no_nan(value: Any) -> Any:
    """``value`` with every NaN (a percentile of nothing) as null: the JSON stays strict."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="bench/loadtest.py")
    parser.add_argument("--sessions", default=None, help="comma-separated session counts (default 25,50,100)")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured after the ramp-up (90)")
    parser.add_argument("--ramp", type=float, default=None, help="seconds over which the sessions start (20)")
    parser.add_argument("--think-min", type=float, default=2.0, help="think time between steps, from (s)")
    parser.add_argument("--think-max", type=float, default=8.0, help="think time between steps, to (s)")
    parser.add_argument("--write-every", type=float, default=5.0, help="seconds between imports (0: no writer)")
    parser.add_argument("--step-timeout", type=float, default=60.0, help="seconds before a step counts as timed out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--streamlit-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a `streamlit run` option for the server, e.g. runner.postScriptGC=false (repeatable)",
    )
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy (--gil) during each run")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy", help="the py-spy executable")
    parser.add_argument("--quick", action="store_true", help="30 s runs after a 10 s ramp-up (a trial, not a figure)")
    args = parser.parse_args(argv)
    args.duration = args.duration if args.duration is not None else (30.0 if args.quick else 90.0)
    args.ramp = args.ramp if args.ramp is not None else (10.0 if args.quick else 20.0)
    args.sessions = [int(n) for n in (args.sessions or "25,50,100").split(",") if n.strip()]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run each level, print the table, write the JSON, print its path last."""
    import streamlit

    if argv is None and sys.argv[1:2] == ["--serve-writes"]:
        return serve_writes(sys.argv[2])
    args = parse_args(argv)
    started = time.time()
    source = benchmark_database()
    load_before = os.getloadavg()
    runs: list[dict[str, Any]] = []
    results: list[Measurement] = []
    for sessions in args.sessions:
        result, figures = run_level(sessions, args, source)
        results += figures
        runs.append(
            {
                "sessions": sessions,
                "steps": len(result.steps),
                "errors": dict(result.errors),
                "error_examples": result.error_examples,
                "st_error_examples": result.alert_examples,
                "steps_not_showing_what_was_asked": result.not_shown,
                "writer": result.writer,
                "memory": result.memory,
                "load_average": result.load_average,
                "profile": result.profile,
            }
        )
    payload = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "streamlit": streamlit.__version__,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "portfolio": {"pilots": N_PILOTS, "snapshots_per_pilot": N_SNAPSHOTS},
        "settings": {
            "sessions": args.sessions,
            "duration_s": args.duration,
            "ramp_s": args.ramp,
            "think_s": [args.think_min, args.think_max],
            "write_every_s": args.write_every,
            "step_timeout_s": args.step_timeout,
            "streamlit_options": args.streamlit_option,
            "seed": args.seed,
            "quick": args.quick,
            "cycle": list(CYCLE),
        },
        "duration_s": round(time.time() - started, 1),
        "runs": runs,
        "measurements": [asdict(m) for m in results],
    }
    out = RESULTS / f"loadtest-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(_no_nan(payload), indent=2, default=str, allow_nan=False), encoding="utf-8")
    print(table(results))
    print(out)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
