"""Errors that carry *where* a problem is, so every interface can tell the user what to fix.

The CLI prints them as one line each and exits 2; the upload page shows them as a table; the
importer attaches a sheet and cell. Nothing else in the core raises at a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem found in some input: how bad it is, where it is, and what is wrong."""

    severity: Severity
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{self.severity}: {where}{self.message}"


class IssueReport:
    """For reports that hold ``issues`` and the ``assessments`` read: errors, warnings, and whether it can
    be imported (at least one assessment, no error)."""

    issues: list[Issue]
    assessments: list

    @property
    def errors(self) -> list[Issue]:
        """Problems that block the import."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Problems worth reading that do not block the import."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """Whether the input can be imported: at least one assessment and no error."""
        return bool(self.assessments) and not self.errors


class InvalidInput(Exception):
    """Input that cannot be accepted; ``issues`` says what and where (never a traceback)."""

    def __init__(self, issues: list[Issue], source: str = "") -> None:
        self.issues = [i for i in issues if i.severity == "error"] or issues
        self.warnings = [i for i in issues if i.severity == "warning"]
        self.source = source
        super().__init__(self.summary())

    def summary(self) -> str:
        """A one-line message: the source, the first problem, and how many more there are."""
        first = self.issues[0] if self.issues else Issue("error", "", "invalid input")
        prefix = f"{self.source}: " if self.source else ""
        where = f"{first.location}: " if first.location else ""
        more = len(self.issues) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        return f"{prefix}{where}{first.message}{suffix}"


def issues_from_pydantic(error: ValidationError, prefix: str = "") -> list[Issue]:
    """Turn pydantic's errors into located issues (``answers.DATA-9``, ``pilot.start_date``)."""
    issues = []
    for detail in error.errors(include_url=False):
        parts = [str(p) for p in detail["loc"] if p != "__root__"]
        location = ".".join(([prefix] if prefix else []) + parts)
        message = detail["msg"].removeprefix("Value error, ")
        issues.append(Issue("error", location, message))
    return issues
