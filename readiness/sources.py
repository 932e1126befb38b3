"""Read assessments from files: the JSON of product.md (one object or a list of them).

Every interface (CLI, upload page, tests) goes through :func:`read_assessment_file` so that a file is
judged by the same rules wherever it comes from.
"""

from __future__ import annotations

import json
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


def read_assessment_file(path: Path) -> list[Assessment]:
    """Read every assessment in a file, or raise :class:`InvalidInput` saying what and where."""
    source = path.name
    if not path.is_file():
        raise InvalidInput([Issue("error", "", "no such file")], str(path))
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_json_assessments(data, source)
    raise InvalidInput([Issue("error", "", f"unsupported file type '{suffix}': expected .json")], source)
