"""The import benchmark ``make bench`` runs: a 1,000-row portfolio workbook validated and imported (≤ 3 s).

Beside it, the baseline a reader would reach for first: ``pandas.read_excel(engine="openpyxl")`` of the
same sheet, which only parses (no safety scan, no validation, no store).
"""

from __future__ import annotations

import gc
import io
import statistics
import tempfile
import time
from pathlib import Path

from readiness.assessment import parse_assessment
from readiness.demo import synthetic_assessments
from readiness.excel.export import portfolio_workbook_bytes
from readiness.excel.layout import PORTFOLIO
from readiness.excel.reader import read_workbook


def bench_workbook(n_rows: int = 1000) -> bytes:
    """A deterministic portfolio workbook of ``n_rows`` snapshots (one per pilot, the synthetic portfolio)."""
    assessments = [parse_assessment(a.model_dump(mode="json")) for a in synthetic_assessments(n_rows, 1)]
    return portfolio_workbook_bytes(assessments)


def _median(samples: list[float]) -> float:
    return round(statistics.median(samples), 4)


def bench_import(n_rows: int = 1000, runs: int = 3) -> dict[str, float]:
    """Median seconds to validate and import an ``n_rows`` portfolio workbook into a fresh SQLite store.

    Returns ``import_s`` (validate + store, the figure held to 3 s), its parts ``validate_s`` (safety
    scan, calamine, forgiving and strict checks) and ``store_s`` (one atomic write of every snapshot),
    ``pandas_openpyxl_s`` (plain ``pandas.read_excel`` of the same sheet), ``rows``, ``bytes`` and ``runs``.
    """
    import pandas as pd

    from readiness.store.engine import make_engine
    from readiness.store.migrate import migrate
    from readiness.store.repository import add_assessments

    data = bench_workbook(n_rows)
    validate, store, total, baseline = [], [], [], []
    for _ in range(max(1, runs)):
        with tempfile.TemporaryDirectory(prefix="readiness-bench-") as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            migrate(engine)
            gc.collect()
            started = time.perf_counter()
            report = read_workbook(data, "bench.xlsx")
            checked = time.perf_counter()
            assessments = report.raise_for_errors()
            add_assessments(engine, assessments, source="excel", origin="bench.xlsx")
            done = time.perf_counter()
            engine.dispose()
        if len(assessments) != n_rows:
            raise RuntimeError(f"the benchmark workbook gave {len(assessments)} assessments, not {n_rows}")
        validate.append(checked - started)
        store.append(done - checked)
        total.append(done - started)
        gc.collect()
        started = time.perf_counter()
        frame = pd.read_excel(io.BytesIO(data), sheet_name=PORTFOLIO, engine="openpyxl")
        baseline.append(time.perf_counter() - started)
        if len(frame) != n_rows:
            raise RuntimeError(f"pandas read {len(frame)} rows, not {n_rows}")
    return {
        "import_s": _median(total),
        "validate_s": _median(validate),
        "store_s": _median(store),
        "pandas_openpyxl_s": _median(baseline),
        "rows": float(n_rows),
        "bytes": float(len(data)),
        "runs": float(len(total)),
    }


if __name__ == "__main__":
    print(bench_import())
