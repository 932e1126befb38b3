"""The shape of the workbooks, shared by the writers and the reader so that they can never disagree.

The template (sheets ``Instructions``, ``Pilot``, ``Checklist``, ``Metrics``) and the portfolio
workbook (sheet ``Portfolio``, one row per pilot and assessment date) are public contracts
(docs/contracts.md). The reader matches headers forgivingly (:func:`normalise_header`), so the names here
are what we write, and the aliases what we also accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

INSTRUCTIONS = "Instructions"
PILOT = "Pilot"
CHECKLIST = "Checklist"
METRICS = "Metrics"
PORTFOLIO = "Portfolio"
SCORES = "Scores"
LEGEND = "Legend"

FieldKind = Literal["text", "stage", "date", "money", "count"]


@dataclass(frozen=True)
class PilotField:
    """One row of the Pilot sheet, one context column of the Portfolio sheet."""

    key: str
    label: str
    kind: FieldKind
    help: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every header this field is recognised by, normalised."""
        return tuple(normalise_header(n) for n in (self.label, self.key, *self.aliases))


PILOT_FIELDS: tuple[PilotField, ...] = (
    PilotField("name", "Pilot name", "text", "Required. The name used across the portfolio.", True, ("pilot", "name")),
    PilotField("business_unit", "Business unit", "text", "The business unit that will own the outcomes."),
    PilotField("owning_team", "Owning team", "text", "The team that builds or runs the pilot."),
    PilotField(
        "executive_sponsor",
        "Executive sponsor",
        "text",
        "Who answers for the pilot at leadership level.",
        aliases=("sponsor",),
    ),
    PilotField("stage", "Stage", "stage", "pilot, scaling, production, paused or retired."),
    PilotField(
        "start_date", "Pilot start date", "date", "When the pilot started (YYYY-MM-DD).", aliases=("start date",)
    ),
    PilotField(
        "as_of",
        "Assessment date",
        "date",
        "Required. The date this self-assessment describes (YYYY-MM-DD).",
        True,
        ("as of", "date", "snapshot date"),
    ),
    PilotField("submitted_by", "Submitted by", "text", "Name or e-mail of who filled this in.", aliases=("submitter",)),
    PilotField(
        "expected_annual_value",
        "Expected annual value",
        "money",
        "Expected value per year once in production.",
        aliases=("annual value",),
    ),
    PilotField(
        "monthly_run_cost",
        "Monthly run cost",
        "money",
        "Compute, licences and people per month.",
        aliases=("run cost",),
    ),
    PilotField(
        "peak_concurrent_users",
        "Peak concurrent users",
        "count",
        "Expected peak of simultaneous users.",
        aliases=("peak users",),
    ),
)

# Template columns: what we write, in order. Required columns are found by name wherever they are.
CHECKLIST_COLUMNS = ("Question ID", "Gap", "Kind", "Question", "Answer", "Evidence", "Why it matters")
METRICS_COLUMNS = (
    "Metric ID",
    "Gap",
    "Metric",
    "Unit",
    "Value",
    "Evidence",
    "Green",
    "Red",
    "Accepted values",
    "Where to find it",
)
PILOT_COLUMNS = ("Field", "Value", "Help")

CHECKLIST_ID = ("question id", "id", "question code")
CHECKLIST_ANSWER = ("answer", "response")
CHECKLIST_EVIDENCE = ("evidence", "evidence or link", "evidence / link", "evidence link")
CHECKLIST_INFO = ("gap", "kind", "question", "why it matters", "core", "notes", "comment", "comments")
METRICS_ID = ("metric id", "id", "metric code")
METRICS_VALUE = ("value", "your value")
# The report, dashboard or link a typed value comes from (absent from templates made before it existed).
METRICS_EVIDENCE = ("evidence", "evidence or link", "evidence / link", "evidence link", "source", "reference")
METRICS_INFO = (
    "gap",
    "metric",
    "unit",
    "green",
    "red",
    "notes",
    "accepted values",
    "where to find it",
    "comment",
    "comments",
)
PILOT_FIELD = ("field",)
PILOT_VALUE = ("value",)
PILOT_INFO = ("help", "notes", "description", "comment", "comments")

EVIDENCE_SUFFIX = " evidence"

# How sure a metric value is, in plain words: what the template's Instructions and the exports' Legend say.
METRIC_EVIDENCE_LEVELS: tuple[tuple[str, str], ...] = (
    (
        "Documented",
        "A value with the report, dashboard or link it comes from in the Evidence column. It counts with more "
        "confidence than a self-reported value.",
    ),
    (
        "Self-reported",
        "A value with the Evidence column left blank. It counts in the score all the same, with less confidence.",
    ),
    (
        "Measured",
        "Only a value Readiness computes itself from an evidence file it reads (a load test, a data sample, a "
        "usage or incident log), on the Pilot page or with `readiness evidence`. A value typed into a workbook is "
        "never measured: a measured value written into a template or an export comes back as documented, with "
        "the measurement as its evidence.",
    ),
)

HEADER_SCAN_ROWS = 20
TEMPLATE_HEADER_ROW = 3  # 0-based: title, subtitle, blank... the header sits on the fourth row
TEMPLATE_FIRST_ROW = TEMPLATE_HEADER_ROW + 1

ANSWER_WORDS: dict[str, str] = {
    "yes": "yes",
    "y": "yes",
    "true": "yes",
    "1": "yes",
    "no": "no",
    "n": "no",
    "false": "no",
    "0": "no",
    "not sure": "not_sure",
    "not_sure": "not_sure",
    "notsure": "not_sure",
    "unsure": "not_sure",
    "unknown": "not_sure",
    "don't know": "not_sure",
    "dont know": "not_sure",
    "?": "not_sure",
    "n/a": "n_a",
    "na": "n_a",
    "n_a": "n_a",
    "n.a.": "n_a",
    "not applicable": "n_a",
}
BOOL_WORDS: dict[str, bool] = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
}

_SPACES = re.compile(r"[\s_]+")
_TRAILING_NOTE = re.compile(r"\s*\([^)]*\)\s*$")


def normalise_header(text: object) -> str:
    """Headers compared the forgiving way: case, spaces, underscores, a trailing ``(unit)``, ``*`` and ``:``."""
    value = str(text).strip().strip("*:").strip()
    value = _TRAILING_NOTE.sub("", value)
    return _SPACES.sub(" ", value).strip().lower()


def evidence_header(item_id: str) -> str:
    """The Portfolio column that holds a question's or a metric's evidence: ``DATA-1 evidence``,
    ``scale.p95_latency_s evidence``."""
    return f"{item_id}{EVIDENCE_SUFFIX}"
