"""Workbooks and JSON files for the upload tests: a filled template, and the same with a bad cell."""

from __future__ import annotations

import io
import json
from datetime import date
from functools import cache

import openpyxl

from readiness.assessment import Assessment, PilotContext
from readiness.excel import template_bytes

BAD_CELL = "E5"  # Metrics sheet: the first metric (a percentage), given 150


def sample_assessment(name: str = "Upload test pilot", as_of: date = date(2026, 10, 1)) -> Assessment:
    """A small, valid assessment of a pilot that is not in the demo portfolio."""
    return Assessment(
        pilot=PilotContext(
            name=name, business_unit="Finance", owning_team="Upload team", stage="pilot", start_date=date(2026, 1, 1)
        ),
        as_of=as_of,
        submitted_by="tester@example.com",
        answers={"DATA-1": "yes", "SCALE-1": "no", "GOV-1": "not_sure"},
        evidence={"DATA-1": "eval report Q3"},
        metrics={"data.production_sample_share": 60.0},
    )


def filled_workbook(assessment: Assessment, bad_metric: bool = False) -> bytes:
    """The template prefilled with ``assessment`` and dated, as a team would send it back.

    With ``bad_metric`` the first metric holds 150 %, out of range: an error at ``Metrics!E5``.
    """
    return _filled_workbook(assessment.model_dump_json(), bad_metric)


@cache
def _filled_workbook(assessment_json: str, bad_metric: bool) -> bytes:
    # Cached per assessment: building a workbook takes a third of a second, and test modules build the
    # same one many times, some of them in parametrize lists, at collection.
    assessment = Assessment.model_validate_json(assessment_json)
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(assessment)))
    for row in book["Pilot"].iter_rows():
        label = str(row[0].value or "")
        if label == "Assessment date":
            row[1].value = assessment.as_of
        elif label == "Submitted by":
            row[1].value = assessment.submitted_by
    metrics = book["Metrics"]
    assert metrics["A5"].value == "data.production_sample_share", "the template layout changed"
    metrics[BAD_CELL] = 150 if bad_metric else assessment.metrics.get("data.production_sample_share", 50)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def assessment_json(assessment: Assessment) -> bytes:
    """The assessment as the Assessment JSON of docs/contracts.md."""
    return json.dumps(assessment.model_dump(mode="json")).encode()
