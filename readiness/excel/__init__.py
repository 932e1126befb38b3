"""Excel round trip: the self-assessment template, safe and forgiving import, portfolio exports."""

from readiness.excel.reader import WorkbookReport, read_workbook, read_workbook_assessments
from readiness.excel.template import build_template, template_bytes

__all__ = ["WorkbookReport", "build_template", "read_workbook", "read_workbook_assessments", "template_bytes"]
