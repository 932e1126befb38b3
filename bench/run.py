"""``make bench``: the performance targets of docs/contracts.md, measured at ten times the largest portfolio.

Generates the deterministic 1,000 pilots × 24 monthly snapshots portfolio, then measures each target
(median of several runs), prints a table and writes ``bench-results/bench-<time>.json`` with one
object per measurement (``value``, ``unit``, ``budget``, ``budget_met``). The last line printed is
the JSON file's path.

Budgets are checked here and only here: tests never assert on time.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results"
N_PILOTS, N_SNAPSHOTS = 1000, 24
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Measurement:
    """One figure of the benchmark, with the budget it is held to (None: a baseline, no budget)."""

    name: str
    value: float
    unit: str
    budget: float | None
    budget_met: bool | None
    runs: int
    note: str = ""


def median_time(work: Callable[[], Any], runs: int, warmup: int = 1) -> float:
    """Median wall time of ``work`` in seconds over ``runs`` runs, after ``warmup`` unmeasured runs."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measured(
    name: str, seconds: float, runs: int, budget_s: float | None, unit: str = "ms", note: str = ""
) -> Measurement:
    """A timing in milliseconds (or seconds) against its budget in seconds."""
    scale = 1000 if unit == "ms" else 1
    budget = None if budget_s is None else budget_s * scale
    value = round(seconds * scale, 1 if unit == "ms" else 3)
    return Measurement(name, value, unit, budget, None if budget is None else value <= budget, runs, note)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------------------------


def bench_scoring(assessments: list) -> list[Measurement]:
    """Vectorized scoring of every snapshot, and the explained one-by-one path as the baseline."""
    from readiness.portfolio import assessments_to_frame, score_frame
    from readiness.scoring import score_assessment

    frame = assessments_to_frame(assessments)
    vectorized = median_time(lambda: score_frame(frame), runs=5)
    # The explained path takes about a minute for all 24,000: one run is the baseline, not three.
    one = median_time(lambda: [score_assessment(a) for a in assessments], runs=1, warmup=0)
    return [
        measured(f"scoring.vectorized ({len(frame):,} snapshots)", vectorized, 5, 1.0, unit="s"),
        measured(
            f"scoring.one_by_one ({len(assessments):,} snapshots, baseline)", one, 1, None, unit="s",
            note="the explained path: items, reasons, remediation and path to the next verdict for each",
        ),
    ]  # fmt: skip


def bench_whatif(assessments: list) -> list[Measurement]:
    """A what-if plan projected on each pilot's latest snapshot, warm (the frame already read, as the what-if page
    keeps it), beside the one-by-one baseline (each assessment modified, then scored on the explained path); and
    the greedy list of the ten next best fixes (reported, no budget)."""
    from readiness.portfolio import assessments_to_frame
    from readiness.scoring import score_assessment
    from readiness.service.exports import latest_assessments
    from readiness.whatif import Plan, apply_plan_to_assessment, next_best_fixes, project

    latest = latest_assessments(assessments)
    frame = assessments_to_frame(latest)
    plan = Plan(close_gaps=("data",), answer_yes=("SCALE-1", "MON-2"), metrics_to_green=("scale.p95_latency_s",))
    vectorized = median_time(lambda: project(frame, plan), runs=7)
    one = median_time(lambda: [score_assessment(apply_plan_to_assessment(a, plan)) for a in latest], runs=1, warmup=0)
    greedy = median_time(lambda: next_best_fixes(frame, steps=10), runs=3)
    pilots = f"{len(latest):,} pilots"
    return [
        measured(
            f"whatif.plan ({pilots}, warm)", vectorized, 7, 0.300,
            note="close a gap, answer two questions yes, bring a metric to green: fixes applied to the frame, "
            "scored before and after, movers and changed cells",
        ),
        measured(
            f"whatif.plan_one_by_one ({pilots}, baseline)", one, 1, None, unit="s",
            note="each assessment modified, then score_assessment (the explained path)",
        ),
        measured(f"whatif.greedy_10_steps ({pilots})", greedy, 3, None, note="every single-item fix evaluated at "
                 "once at each step (candidates × pilots × gaps)"),
    ]  # fmt: skip


def load_database(url: str, assessments: list) -> Any:
    """Create, migrate and fill a database with the benchmark portfolio (reused when already full)."""
    from readiness.store import add_assessments, count_rows, make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    if count_rows(engine).get("snapshot", 0) >= len(assessments):
        log(f"reusing the benchmark portfolio in {engine.url.render_as_string(hide_password=True)}")
        return engine
    log(f"loading {len(assessments):,} snapshots into {engine.url.drivername} (scored as issued)")
    for start in range(0, len(assessments), 2400):
        add_assessments(engine, assessments[start : start + 2400], source="cli", actor="bench")
    return engine


def bench_database(name: str, engine: Any) -> list[Measurement]:
    """Loading the portfolio (latest snapshot per pilot, and the whole history) as a scoring frame."""
    from readiness.store import portfolio_frame

    latest = median_time(lambda: portfolio_frame(engine), runs=5)
    history = median_time(lambda: portfolio_frame(engine, history=True), runs=3)
    return [
        measured(f"db.{name}.portfolio_latest ({N_PILOTS:,} pilots)", latest, 5, None, unit="s"),
        measured(f"db.{name}.portfolio_history ({N_PILOTS * N_SNAPSHOTS:,} snapshots)", history, 3, None, unit="s"),
    ]


def bench_pages(database_url: str) -> list[Measurement]:
    """Warm server-side reruns of the Portfolio and Pilot pages (Streamlit AppTest, caches warm)."""
    from streamlit.testing.v1 import AppTest

    os.environ["READINESS_DATABASE_URL"] = database_url
    results = []
    for page, query in (("screens/portfolio.py", {}), ("screens/pilot.py", {"pilot": "Pilot 0001"})):
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for key, value in query.items():
            app.query_params[key] = value
        app.run()
        app.switch_page(page)
        app.run()  # cold: fills the caches
        if app.exception:
            raise RuntimeError(f"{page} raised: {app.exception[0].value}")
        seconds = median_time(app.run, runs=7)
        results.append(measured(f"page.{Path(page).stem}.warm_rerun", seconds, 7, 0.150))
    return results


def bench_import() -> list[Measurement]:
    """Validating and importing a 1,000-row portfolio workbook, beside plain pandas as the baseline."""
    from readiness.excel import bench_import as excel_bench

    figures = excel_bench(n_rows=1000)
    return [
        measured("excel.import_1000_rows", figures["import_s"], figures.get("runs", 3), 3.0, unit="s"),
        measured("excel.pandas_openpyxl_baseline", figures["pandas_openpyxl_s"], figures.get("runs", 3), None, "s"),
    ]


def bench_deck() -> list[Measurement]:
    """Building a 30-slide board deck."""
    from readiness.boardpack import bench_deck as deck_bench

    figures = deck_bench(slides=30)
    return [
        measured(f"deck.build_{figures.get('slides', 30)}_slides", figures["seconds"], figures.get("runs", 3), 3.0, "s")
    ]


def processor() -> str:
    """The processor's model name (``/proc/cpuinfo``): the same run differs by a factor of two between the
    machines CI lends, so each result names the one it ran on."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """What a result was measured on: cores, processor, memory, Python and platform."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "processor": processor(), "memory_gib": round(memory, 1),
            "python": platform.python_version(), "platform": platform.platform()}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


@contextlib.contextmanager
def _streamlit_server(app: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, str]]:
    """A ``streamlit run`` server of ``app`` on a free port, once it answers its health check: (process, URL)."""
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield server, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _first_visit(page: Any, url: str) -> tuple[float, float]:
    """Seconds from the request to the first metric tile shown, and to the first chart drawn by Plotly."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
    content = time.perf_counter() - started
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=120_000)
    return content, time.perf_counter() - started


COLD_VISITS = 3  # a single cold visit varies by ±0.3 s here: the median of three, each after its own server start


def _cold_visit(driver: Any, app: Path, env: dict[str, str], flags: list[str]) -> tuple[float, float]:
    """A server started for ``app`` and one first visit in a browser of its own (nothing compiled or cached):
    seconds to the first metric tile and to the first chart drawn."""
    with _streamlit_server(app, env) as (_, url):
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            return _first_visit(browser.new_page(viewport={"width": 1440, "height": 1000}), url)
        finally:
            browser.close()


def bench_memory(database_url: str) -> list[Measurement]:
    """The first visit after a server start (cold caches): the KPI tiles shown and the Portfolio heatmap drawn in
    Chromium, the median of ``COLD_VISITS``; the same first visit of the smallest Streamlit page with one chart
    (``bench/floor_app.py``), the floor any Streamlit page pays on this machine; and the app server's peak
    memory with the portfolio, a pilot and the comparison loaded in a real browser session."""
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run"]  # fmt: skip
    env = os.environ | {"READINESS_DATABASE_URL": database_url}
    with sync_playwright() as driver:
        floor = statistics.median(_cold_visit(driver, ROOT / "bench" / "floor_app.py", env, flags)[1]
                                  for _ in range(COLD_VISITS))  # fmt: skip
        visits = [_cold_visit(driver, ROOT / "serve.py", env, flags) for _ in range(COLD_VISITS)]
        content, cold = (statistics.median(v[k] for v in visits) for k in (0, 1))
        with _streamlit_server(ROOT / "serve.py", env) as (server, url):
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=flags)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            for path in ("", "pilot?pilot=Pilot%200001", "compare"):
                page.goto(f"{url}/{path}")
                page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=120_000)
                page.wait_for_timeout(1500)
            browser.close()
            peak = _peak_rss_mb(server.pid)
    note = f"first visit after the server started (median of {COLD_VISITS}): request to"
    return [
        Measurement("app.cold_start_portfolio", round(cold, 2), "s", 3, cold <= 3, COLD_VISITS,
                    f"{note} the heatmap drawn in Chromium"),
        Measurement("app.cold_start_first_content", round(content, 2), "s", None, None, COLD_VISITS,
                    f"{note} the KPI tiles shown"),
        Measurement("app.floor_one_chart_page", round(floor, 2), "s", None, None, COLD_VISITS,
                    "the same first visit of the smallest Streamlit page with one Plotly chart (bench/floor_app.py)"),
        Measurement("app.peak_memory", round(peak, 1), "MB", 500, peak <= 500, 1, "VmHWM of the server process"),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------


def main() -> int:
    """Run every measurement, print the table, write the JSON, print its path last."""
    from readiness.demo import synthetic_assessments

    RESULTS.mkdir(exist_ok=True)
    started = time.time()
    log(f"generating {N_PILOTS:,} pilots × {N_SNAPSHOTS} snapshots")
    assessments = synthetic_assessments(N_PILOTS, N_SNAPSHOTS)
    results: list[Measurement] = []
    results += bench_scoring(assessments)
    log("what-if projections")
    results += bench_whatif(assessments)

    sqlite_file = RESULTS / "bench.db"
    sqlite_url = f"sqlite:///{sqlite_file}"
    results += bench_database("sqlite", load_database(sqlite_url, assessments))
    postgres = os.environ.get("TEST_DATABASE_URL")
    if postgres:
        results += bench_database("postgresql", load_database(postgres_bench_url(postgres), assessments))
    log("pages")
    results += bench_pages(sqlite_url)
    log("workbook import")
    results += bench_import()
    log("board deck")
    results += bench_deck()
    if Path(CHROMIUM).exists():
        log("app memory")
        results += bench_memory(sqlite_url)
    log("evidence: a 5,000,000-row JMeter JTL, a 1,000,000-row data sample")
    from evidence_jtl import bench_jtl  # beside this file (bench/ is the script's directory on sys.path)
    from evidence_sample import bench_sample

    results += bench_jtl(RESULTS)
    results += bench_sample(RESULTS)

    payload = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "portfolio": {"pilots": N_PILOTS, "snapshots_per_pilot": N_SNAPSHOTS},
        "duration_s": round(time.time() - started, 1),
        "measurements": [asdict(m) for m in results],
    }
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(table(results))
    print(out)
    return 0


def postgres_bench_url(base: str) -> str:
    """A dedicated ``readiness_bench`` database next to the test database (created when missing)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = 'readiness_bench'")).scalar()
        if not exists:
            connection.execute(text("CREATE DATABASE readiness_bench"))
    admin.dispose()
    return url.set(database="readiness_bench").render_as_string(hide_password=False)


def table(results: list[Measurement]) -> str:
    """The measurements as a fixed-width table."""
    width = max(len(m.name) for m in results) + 2
    lines = [f"{'measurement':<{width}}{'value':>12}  {'budget':>10}  met", "-" * (width + 30)]
    for m in results:
        budget = "—" if m.budget is None else f"{m.budget:g} {m.unit}"
        met = "—" if m.budget_met is None else ("yes" if m.budget_met else "NO")
        lines.append(f"{m.name:<{width}}{m.value:>9g} {m.unit:<3}  {budget:>10}  {met}")
    return "\n".join(lines)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
