"""Excel round trip: the self-assessment template, safe and forgiving import, portfolio exports."""

from readiness.excel.reader import WorkbookReport, read_workbook, read_workbook_assessments
from readiness.excel.template import build_template, template_bytes


def bench_import(n_rows: int = 1000, runs: int = 3) -> dict[str, float]:
    """Time the import of an ``n_rows`` portfolio workbook (see :func:`readiness.excel.bench.bench_import`)."""
    from readiness.excel.bench import bench_import as run

    return run(n_rows, runs)


__all__ = [
    "WorkbookReport",
    "bench_import",
    "build_template",
    "read_workbook",
    "read_workbook_assessments",
    "template_bytes",
]
