"""Read assessments from files: the JSON of product.md (one object or a list of them) and workbooks.

Every interface (CLI, upload page, tests) goes through :func:`read_assessment_file` so that a file is
judged by the same rules wherever it comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from readiness.assessment import Assessment, parse_assessment
from readiness.errors import InvalidInput, Issue

MAX_JSON_BYTES = 20 * 1024 * 1024


def read_json_assessments(data: bytes, source: str) -> list[Assessment]:
    """Parse JSON bytes holding one assessment or a list of them."""
    if len(data) > MAX_JSON_BYTES:
        raise InvalidInput([Issue("error", "", f"file is larger than {MAX_JSON_BYTES // 2**20} MB")], source)
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput([Issue("error", "", "not UTF-8 text: expected an assessment JSON file")], source) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise InvalidInput([Issue("error", where, f"not valid JSON: {error.msg}")], source) from None
    records = payload if isinstance(payload, list) else [payload]
    if not records:
        raise InvalidInput([Issue("error", "", "the file holds an empty list: no assessment")], source)
    if len(records) == 1:
        return [parse_assessment(records[0], source)]
    assessments, issues = [], []
    for index, record in enumerate(records):
        try:
            assessments.append(parse_assessment(record, source))
        except InvalidInput as problem:
            issues += [Issue(i.severity, f"[{index}].{i.location}", i.message) for i in problem.issues]
    if issues:
        raise InvalidInput(issues, source)
    return assessments


# Formats people save spreadsheets in that are not workbooks, each answered with what to do.
SAVE_AS_XLSX = "open it in Excel, LibreOffice or Google Sheets and save it as an Excel Workbook (.xlsx)"
NOT_WORKBOOKS = {
    ".csv": "a CSV file",
    ".tsv": "a tab-separated text file",
    ".txt": "a text file",
    ".numbers": "an Apple Numbers file",
}
# Workbook-like names go to the workbook reader, which judges the content, not the name: an .xls that
# is really an .xlsx is read, an .xlsx that is really a legacy .xls, an .ods or a macro workbook is
# answered with what it is.
WORKBOOK_SUFFIXES = (".xlsx", ".xltx", ".xlsm", ".xltm", ".xls", ".xlsb", ".ods")


@dataclass(frozen=True)
class FileContents:
    """The assessments a file holds, and the warnings worth reading that did not block them."""

    assessments: list[Assessment]
    warnings: list[Issue] = field(default_factory=list)


def read_assessment_file(path: Path) -> list[Assessment]:
    """Read every assessment in a file, or raise :class:`InvalidInput` saying what and where.

    ``.json`` holds Assessment JSON; ``.xlsx`` the self-assessment template or a Portfolio sheet. Other
    spreadsheet formats are answered with "save as .xlsx"; a workbook with any error gives nothing.
    """
    return read_file_contents(path).assessments


def read_file_contents(path: Path) -> FileContents:
    """:func:`read_assessment_file`, keeping the warnings (hidden sheets, extra columns) for the reader."""
    source = path.name
    if not path.is_file():
        raise InvalidInput([Issue("error", "", "no such file")], str(path))
    suffix = path.suffix.lower()
    if suffix in NOT_WORKBOOKS:
        raise InvalidInput([Issue("error", "", f"this is {NOT_WORKBOOKS[suffix]}: {SAVE_AS_XLSX}")], source)
    if suffix in WORKBOOK_SUFFIXES:
        return _read_workbook_file(path, source)
    if suffix == ".json":
        return FileContents(read_json_assessments(_bounded_read(path, MAX_JSON_BYTES, source), source))
    raise InvalidInput(
        [Issue("error", "", f"unsupported file type '{suffix or 'none'}': expected .json or .xlsx")], source
    )


def _bounded_read(path: Path, limit: int, source: str) -> bytes:
    """The file's bytes, refusing before reading anything when it is larger than ``limit``."""
    if path.stat().st_size > limit:
        raise InvalidInput([Issue("error", "", f"file is larger than {limit // 2**20} MB")], source)
    return path.read_bytes()


def _read_workbook_file(path: Path, source: str) -> FileContents:
    # Imported here so that reading JSON never pays for (or depends on) the spreadsheet stack.
    from readiness.excel.reader import read_workbook
    from readiness.excel.safe import DEFAULT_LIMITS

    report = read_workbook(_bounded_read(path, DEFAULT_LIMITS.max_file_bytes, source), source)
    return FileContents(report.raise_for_errors(), report.warnings)
