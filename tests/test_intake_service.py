"""The one way in for files (readiness.service.intake): the same judgement from bytes and from a path, one
source tagging rule for every interface, a missing Checklist sheet refused, and validation that never
changes what it is given."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from readiness.assessment import Assessment, PilotContext, check_against_model, parse_assessment
from readiness.errors import InvalidInput
from readiness.limits import Limits
from readiness.model import load_model
from readiness.service.intake import (
    ACCEPTED_SUFFIXES,
    file_hash,
    file_kind,
    import_report,
    snapshot_source,
    validate_file,
    validate_path,
)
from readiness.store.repository import add_assessments, audit_entries, count_rows, pilot_history
from tests.input_files import assessment_json, filled_workbook, sample_assessment

MODEL = load_model()


def workbook_without_sheet(data: bytes, sheet: str, rename: str | None = None) -> bytes:
    """The workbook with ``sheet`` deleted, or renamed to ``rename``."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    if rename is None:
        del book[sheet]
    else:
        book[sheet].title = rename
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def messages(report) -> list[str]:
    return [i.message for i in report.errors]


# --------------------------------------------------------------------------------------------
# One judgement, from bytes or from a path
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("team.xlsx", filled_workbook(sample_assessment())),
        ("team.xls", filled_workbook(sample_assessment())),  # judged by content: really an .xlsx
        ("one.json", assessment_json(sample_assessment())),
        ("sheet.csv", b"Pilot name\nx\n"),
        ("sheet.numbers", b"x"),
        ("scan.pdf", b"%PDF-1.4"),
        ("empty.json", b""),
        ("empty.xlsx", b""),
        ("broken.json", b"{not json"),
        ("no_checklist.xlsx", workbook_without_sheet(filled_workbook(sample_assessment()), "Checklist")),
    ],
)
def test_bytes_and_path_give_the_same_report(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    from_bytes, from_path = validate_file(name, data), validate_path(path)
    # Only the hash may differ: a path refused by its name is never read, so it has none.
    assert (from_path.name, from_path.kind, from_path.assessments, from_path.issues) == (
        from_bytes.name,
        from_bytes.kind,
        from_bytes.assessments,
        from_bytes.issues,
    )
    assert from_bytes.ok == (not from_bytes.errors)
    if from_bytes.ok:
        assert from_bytes.source_hash == file_hash(data)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", "this is a CSV file: open it in Excel, LibreOffice or Google Sheets and save it as an Excel "
                  "Workbook (.xlsx)"),
        ("a.tsv", "this is a tab-separated text file"),
        ("a.txt", "this is a text file"),
        ("a.numbers", "this is an Apple Numbers file"),
        ("a.pdf", "unsupported file type '.pdf': expected .json or .xlsx"),
        ("README", "unsupported file type 'none'"),
    ],
)  # fmt: skip
def test_other_formats_are_answered_with_what_to_do(name: str, expected: str) -> None:
    report = validate_file(name, b"Pilot name,As of\n")
    assert not report.ok and report.assessments == []
    assert messages(report)[0].startswith(expected)


def test_every_workbook_suffix_is_read_as_a_workbook() -> None:
    assert {file_kind(f"a{s}") for s in ACCEPTED_SUFFIXES} == {"excel", "json"}
    assert file_kind("A.XLSX") == "excel" and file_kind("a.json") == "json" and file_kind("a.csv") == ""
    data = filled_workbook(sample_assessment())
    for suffix in ACCEPTED_SUFFIXES:
        if suffix != ".json":
            assert validate_file(f"team{suffix}", data).ok, suffix


@pytest.mark.parametrize("kind_name", ["big.json", "big.xlsx"])
def test_size_bounds_are_the_same_for_bytes_and_paths(tmp_path: Path, kind_name: str) -> None:
    limit = Limits().max_file_bytes  # one size limit for JSON and workbooks (READINESS_MAX_FILE_MB)
    expected = [Limits().file_too_large(limit + 1)]
    assert expected[0].startswith("the file is 20.1 MB, larger than the 20 MB one file may be")
    assert messages(validate_file(kind_name, b" " * (limit + 1))) == expected
    path = tmp_path / kind_name
    with path.open("wb") as handle:
        handle.truncate(limit + 1)
    assert messages(validate_path(path)) == expected


def test_a_missing_file_or_a_folder_is_no_such_file(tmp_path: Path) -> None:
    assert messages(validate_path(tmp_path / "nope.json")) == ["no such file"]
    (tmp_path / "folder.xlsx").mkdir()
    report = validate_path(tmp_path / "folder.xlsx")
    assert messages(report) == ["no such file"] and report.name == "folder.xlsx"
    with pytest.raises(InvalidInput, match=r"^folder\.xlsx: no such file$"):
        report.raise_for_errors()


def test_an_unreadable_file_is_a_message_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.json"
    path.write_bytes(assessment_json(sample_assessment()))

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert messages(validate_path(path)) == ["the file cannot be read: Permission denied"]


# --------------------------------------------------------------------------------------------
# Required sheets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rename", [None, "Answers"])
def test_a_workbook_without_its_checklist_is_invalid(rename: str | None) -> None:
    data = workbook_without_sheet(filled_workbook(sample_assessment()), "Checklist", rename)
    report = validate_file("team.xlsx", data)
    assert not report.ok and report.assessments == []
    [error] = report.errors
    assert "no 'Checklist' sheet" in error.message
    if rename:
        assert "'Answers'" in error.message  # the sheets found are named, so a renamed one is easy to spot


def test_a_workbook_without_its_metrics_is_valid_with_a_warning() -> None:
    report = validate_file("team.xlsx", workbook_without_sheet(filled_workbook(sample_assessment()), "Metrics"))
    assert report.ok, report.issues
    assert [i.message for i in report.warnings] == ["no 'Metrics' sheet: no metric is reported"]


# --------------------------------------------------------------------------------------------
# One source tagging rule
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("interface", ["app", "cli"])
@pytest.mark.parametrize(("name", "expected_source"), [("team.xlsx", "excel"), ("team.json", None)])
def test_source_names_the_kind_and_the_audit_names_the_interface(
    sqlite_engine: Engine, interface: str, name: str, expected_source: str | None
) -> None:
    assessment = sample_assessment(f"Tagged {interface} {name}")
    data = filled_workbook(assessment) if name.endswith(".xlsx") else assessment_json(assessment)
    report = validate_file(name, data)
    outcome = import_report(sqlite_engine, report, interface=interface, actor="pmo@example.com")  # type: ignore[arg-type]
    assert (outcome.created, outcome.already_present, outcome.pilots) == (1, 0, 1)
    [stored] = pilot_history(sqlite_engine, assessment.pilot.name)
    assert stored.source == (expected_source or interface) == snapshot_source(report.kind, interface)  # type: ignore[arg-type]
    [entry] = [e for e in audit_entries(sqlite_engine) if e.action == "snapshot.add"]
    assert entry.actor == "pmo@example.com"
    assert entry.source_hash == file_hash(data)
    assert (entry.detail["origin"], entry.detail["interface"], entry.detail["source"]) == (
        name,
        interface,
        stored.source,
    )


def test_an_invalid_report_never_reaches_the_store(sqlite_engine: Engine) -> None:
    data = workbook_without_sheet(filled_workbook(sample_assessment()), "Checklist")
    before = count_rows(sqlite_engine)
    with pytest.raises(InvalidInput, match="no 'Checklist' sheet"):
        import_report(sqlite_engine, validate_file("team.xlsx", data), interface="app")
    assert count_rows(sqlite_engine) == before


# --------------------------------------------------------------------------------------------
# Validation is pure
# --------------------------------------------------------------------------------------------


def loose_assessment() -> Assessment:
    """An assessment whose metric values still need normalising (an int percentage, a "yes" flag)."""
    return Assessment(
        pilot=PilotContext(name="Loose values"),
        as_of="2026-10-01",  # type: ignore[arg-type]
        answers={"DATA-1": "yes"},
        metrics={"trust.adoption_rate": 45, "governance.pii_assessed": "yes"},
    )


def test_check_against_model_returns_normalised_values_and_leaves_its_input_unchanged() -> None:
    original = loose_assessment()
    before = original.model_dump()
    metrics = original.metrics
    normalised, issues = check_against_model(original, MODEL)
    assert issues == []
    assert original.model_dump() == before and original.metrics is metrics
    assert [type(v) for v in original.metrics.values()] == [int, str]
    assert normalised.metrics == {"trust.adoption_rate": 45.0, "governance.pii_assessed": True}
    assert [type(v) for v in normalised.metrics.values()] == [float, bool]
    assert normalised is not original


def test_check_against_model_reports_problems_without_changing_anything() -> None:
    original = loose_assessment().model_copy(update={"metrics": {"trust.adoption_rate": 450, "x.unknown": 1}})
    before = original.model_dump()
    _, issues = check_against_model(original, MODEL)
    assert [i.location for i in issues] == ["metrics.trust.adoption_rate", "metrics.x.unknown"]
    assert original.model_dump() == before


def test_an_already_normal_assessment_comes_back_as_it_is() -> None:
    parsed = parse_assessment(json.loads(assessment_json(sample_assessment())))
    same, issues = check_against_model(parsed, MODEL)
    assert same is parsed and issues == []


def test_the_store_leaves_the_callers_assessment_unchanged(sqlite_engine: Engine) -> None:
    original = loose_assessment()
    before = original.model_dump()
    [result] = add_assessments(sqlite_engine, [original], source="cli")
    assert result.created
    assert original.model_dump() == before
    [stored] = pilot_history(sqlite_engine, "Loose values")
    assert stored.assessment.metrics == {"trust.adoption_rate": 45.0, "governance.pii_assessed": True}
    # The same content with normalised values is the same snapshot: the hash is of the normalised form.
    [again] = add_assessments(sqlite_engine, [parse_assessment(original.model_dump(mode="json"))], source="cli")
    assert not again.created and again.snapshot_id == result.snapshot_id
