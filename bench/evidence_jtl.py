"""Summarising a JMeter JTL: 5,000,000 samples (about 550 MB of CSV, JMeter 5's 17 default columns, quoted
multi-line failure messages) through :func:`readiness.evidence.loadtest.read_jmeter`. Budgets: 10 s and
600 MB peak RSS. Baseline (no budget): plain ``pandas.read_csv`` of the same file.

Each run is a fresh subprocess, the modules imported before the clock starts; the peak memory is that
process's VmHWM (imports included). ru_maxrss would not do: Linux carries the parent's peak over across
fork and exec. The JTL is generated once (deterministic, vectorized, in chunks: tests/evidence_files.py)
and cached in the results folder.

Standalone: ``python bench/evidence_jtl.py [results_dir]`` prints the figures and their JSON.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

from evidence_common import as_measurements, run_child, standalone

ROOT = Path(__file__).resolve().parents[1]
ROWS = 5_000_000
BUDGET_S = 10.0
BUDGET_MB = 600.0
RUNS = 3
JTL_VERSION = 1

CHILD = """
import json, sys, time

path = sys.argv[2]
if sys.argv[1] == "read_jmeter":
    from readiness.evidence.base import EvidenceFile, EvidenceOptions
    from readiness.evidence.loadtest import read_jmeter

    started, cpu = time.perf_counter(), time.process_time()
    summary = read_jmeter(EvidenceFile.at(path), EvidenceOptions(peak_concurrent_users=100))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    values = {r.metric_id: r.value for r in summary.readings}
    rows = summary.provenance.count
else:
    import pandas as pd

    started, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    values = {}
    rows = len(frame)
print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mb": peak_mb(), "rows": rows, "values": values}))
"""


def jtl_path(results_dir: Path, rows: int = ROWS) -> Path:
    """The cached benchmark JTL (generated when missing, through a partial file renamed when complete)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"evidence-jtl-v{JTL_VERSION}-{rows}.jtl"
    if not path.exists():
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from tests.evidence_files import write_jtl

        partial = path.with_suffix(".partial")
        write_jtl(partial, rows, seed=7, max_threads=200, duration_s=600)
        partial.replace(path)
    return path


def _run_once(what: str, path: Path) -> dict[str, Any]:
    return run_child(CHILD, what, str(path), what=f"{what} on the benchmark JTL")


def bench_jtl(results_dir: Path, runs: int = RUNS, baseline_runs: int = 1) -> list[Any]:
    """read_jmeter on the 5,000,000-row JTL: seconds (median of ``runs`` fresh subprocesses, budget 10 s)
    and peak RSS (largest, budget 600 MB); plain ``pandas.read_csv`` of the same file as the baseline
    (``baseline_runs`` runs, no budget). As bench/run.py's ``Measurement`` objects."""
    path = jtl_path(Path(results_dir))
    ours = [_run_once("read_jmeter", path) for _ in range(runs)]
    pandas = [_run_once("pandas", path) for _ in range(baseline_runs)]
    seconds = round(statistics.median(f["seconds"] for f in ours), 3)
    peak = round(max(f["peak_mb"] for f in ours), 1)
    pandas_seconds = round(statistics.median(f["seconds"] for f in pandas), 3)
    pandas_peak = round(max(f["peak_mb"] for f in pandas), 1)
    size_mb = path.stat().st_size / 2**20
    cpu = statistics.median(f["cpu_s"] for f in ours)
    pandas_cpu = statistics.median(f["cpu_s"] for f in pandas)
    values = ours[0]["values"]
    what = f"{ours[0]['rows']:,} samples, {size_mb:,.0f} MB JTL (CSV, 17 columns)"
    found = (
        f"p95 {values.get('scale.p95_latency_s')} s, error rate {values.get('scale.error_rate_at_peak')} %, "
        f"multiple {values.get('scale.load_test_multiple')}"
    )
    rows = [
        {
            "name": "evidence.jmeter_5m_rows",
            "value": seconds,
            "unit": "s",
            "budget": BUDGET_S,
            "budget_met": seconds <= BUDGET_S,
            "runs": runs,
            "note": f"{what}; streamed with pyarrow.csv.open_csv, SHA-256 included; CPU {cpu:.2f} s (all threads; "
            f"wall time grows when other work shares the 2 cores); {found}",
        },
        {
            "name": "evidence.jmeter_5m_rows.peak_rss",
            "value": peak,
            "unit": "MB",
            "budget": BUDGET_MB,
            "budget_met": peak <= BUDGET_MB,
            "runs": runs,
            "note": "peak RSS (VmHWM) of the subprocess, imports included",
        },
        {
            "name": "evidence.jmeter_5m_rows.pandas_read_csv (baseline)",
            "value": pandas_seconds,
            "unit": "s",
            "budget": None,
            "budget_met": None,
            "runs": baseline_runs,
            "note": f"plain pandas.read_csv of the same {what}, all columns; CPU {pandas_cpu:.2f} s",
        },
        {
            "name": "evidence.jmeter_5m_rows.pandas_read_csv.peak_rss (baseline)",
            "value": pandas_peak,
            "unit": "MB",
            "budget": None,
            "budget_met": None,
            "runs": baseline_runs,
            "note": "peak RSS (VmHWM) of the pandas subprocess, imports included",
        },
    ]
    return as_measurements(rows)


if __name__ == "__main__":
    sys.exit(standalone(bench_jtl, sys.argv))
