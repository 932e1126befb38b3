"""What the evidence benchmarks share: a measurement in a fresh subprocess, its own peak memory, and the
standalone entry point. Used by bench/evidence_jtl.py and bench/evidence_sample.py."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# The child's own peak RSS. VmHWM, not ru_maxrss: Linux carries the parent's peak over across fork and exec.
PEAK_MB = """
def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
"""


def run_child(code: str, *args: str, what: str, timeout: int = 900) -> dict[str, Any]:
    """Run ``code`` (which prints one JSON object last) in a fresh interpreter; its figures."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_MB + code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def as_measurements(rows: list[dict[str, Any]]) -> list[Any]:
    """The rows as bench/run.py's ``Measurement`` objects (the benchmark's table and JSON)."""
    if str(Path(__file__).parent) not in sys.path:
        sys.path.insert(0, str(Path(__file__).parent))
    main = sys.modules.get("__main__")
    measurement = getattr(main, "Measurement", None)
    if measurement is None:
        from run import Measurement as measurement
    return [measurement(**row) for row in rows]


def standalone(bench: Callable[[Path], list[Any]], argv: list[str]) -> int:
    """``python bench/evidence_*.py [results_dir]``: run one benchmark, print its table and JSON."""
    from run import table

    results_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "bench-results"
    started = time.perf_counter()
    results = bench(results_dir)
    print(table(results))
    print(f"({time.perf_counter() - started:.1f} s in all, input generation included when not cached)")
    print(json.dumps([r.__dict__ for r in results], indent=2))
    return 0
