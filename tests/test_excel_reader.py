"""The workbook reader: forgiving where people are sloppy, strict where the data would be wrong."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from excel_corpus import portfolio_rows
from excel_helpers import STYLE_PERCENT, SheetBuilder, fill_template, raw_xlsx, simple_sheet

from readiness.assessment import parse_assessment
from readiness.excel import WorkbookReport, read_workbook
from readiness.excel.export import portfolio_headers
from readiness.excel.layout import METRICS_COLUMNS
from readiness.excel.template import template_bytes
from readiness.scoring import score_assessment

FIXTURES = Path(__file__).parent / "fixtures" / "excel"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
HEADERS = portfolio_headers()


def read(data: bytes, name: str = "book.xlsx") -> WorkbookReport:
    return read_workbook(data, name)


def portfolio(rows: list[list[Any]], hidden: tuple[str, ...] = ()) -> bytes:
    sheet, strings = simple_sheet(rows)
    return raw_xlsx({"Portfolio": sheet}, strings, hidden=hidden)


def one_row(**values: Any) -> list[list[Any]]:
    """A Portfolio sheet with one pilot row holding ``values`` (keyed by header)."""
    row: list[Any] = [None] * len(HEADERS)
    base = {"Pilot name": "Claims triage", "Assessment date": "2026-10-01"}
    for header, value in (base | values).items():
        row[HEADERS.index(header)] = value
    return [list(HEADERS), row]


def locations(report: WorkbookReport) -> dict[str, str]:
    return {i.location: i.message for i in report.errors}


def edit_template(changes: dict[str, dict[str, Any]], data: dict[str, Any] | None = None) -> bytes:
    """The filled template with some cells overwritten: {sheet: {cell: value}}."""
    filled = fill_template(template_bytes(), data or EXPECTED)
    book = openpyxl.load_workbook(io.BytesIO(filled))
    for sheet, cells in changes.items():
        for ref, value in cells.items():
            book[sheet][ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def evidence_levels(report: WorkbookReport) -> dict[str, str]:
    """Item ID → evidence level (documented, self_reported, ...) of the report's only assessment, scored."""
    (assessment,) = report.assessments
    return {i.id: i.evidence for gap in score_assessment(assessment).gaps.values() for i in gap.items}


EVIDENCE_COLUMN = "ABCDEFGHIJ"[METRICS_COLUMNS.index("Evidence")]  # the Metrics sheet's Evidence column


def template_row(sheet: str, key: str) -> int:
    """The 1-based row of a question, metric or field in the template."""
    book = openpyxl.load_workbook(io.BytesIO(template_bytes()), read_only=True)
    for row in book[sheet].iter_rows(min_row=1, max_col=1):
        if row[0].value == key:
            return row[0].row
    raise AssertionError(key)


# ------------------------------------------------------------------------------------------------
# Files saved by Excel-like programs
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["template_openpyxl.xlsx", "template_libreoffice.xlsx", "template_gsheets.xlsx"])
def test_fixture_saved_by_each_program_reads_as_the_json_assessment(name: str) -> None:
    report = read((FIXTURES / name).read_bytes(), name)
    assert report.ok, report.issues
    assert report.kind == "template"
    assert report.warnings == []
    expected = parse_assessment(EXPECTED)
    (assessment,) = report.assessments
    assert assessment.content_hash() == expected.content_hash()
    assert score_assessment(assessment).to_json_dict() == score_assessment(expected).to_json_dict()


def test_percent_formatted_cell_in_each_fixture_is_the_percentage_shown() -> None:
    for name in ("template_openpyxl.xlsx", "template_libreoffice.xlsx", "template_gsheets.xlsx"):
        (assessment,) = read((FIXTURES / name).read_bytes(), name).assessments
        assert assessment.metrics["trust.adoption_rate"] == 35.0


# ------------------------------------------------------------------------------------------------
# Forgiving
# ------------------------------------------------------------------------------------------------


def test_headers_forgive_case_spaces_underscores_and_units() -> None:
    headers = ["  PILOT name ", "assessment_date", "data-1", "TRUST.ADOPTION_RATE", "Data-1 Evidence", "Stage (phase)"]
    report = read(portfolio([headers, ["Claims", "2026-10-01", "yes", 40, "eval report", "Scaling"]]))
    assert report.ok, report.issues
    (assessment,) = report.assessments
    assert assessment.answers == {"DATA-1": "yes"}
    assert assessment.evidence == {"DATA-1": "eval report"}
    assert assessment.metrics == {"trust.adoption_rate": 40.0}
    assert assessment.pilot.stage == "scaling"


def test_column_order_does_not_matter() -> None:
    rows = portfolio_rows()
    order = list(reversed(range(len(rows[0]))))
    shuffled = [[row[i] for i in order] for row in rows]
    first, second = read(portfolio(rows)), read(portfolio(shuffled))
    assert first.ok and second.ok
    assert [a.content_hash() for a in first.assessments] == [a.content_hash() for a in second.assessments]


def test_extra_columns_are_a_warning_with_their_cell() -> None:
    rows = one_row()
    rows[0].append("Comments")
    rows[1].append("anything")
    report = read(portfolio(rows))
    assert report.ok
    (warning,) = report.warnings
    assert warning.message == "extra column 'Comments' is ignored"
    assert warning.location.startswith("Portfolio!") and warning.location.endswith("1")


def test_blank_rows_are_skipped() -> None:
    rows = portfolio_rows(3)
    spaced = [rows[0], [None] * len(HEADERS), rows[1], [""] * len(HEADERS), [None] * 5, rows[2], rows[3]]
    report = read(portfolio(spaced))
    assert report.ok, report.issues
    assert [a.pilot.name for a in report.assessments] == ["Pilot 0", "Pilot 1", "Pilot 2"]


@pytest.mark.parametrize("typed", [45, 45.0, "45", "45%", " 45 % "])
def test_percentages_as_numbers_or_text(typed: Any) -> None:
    report = read(portfolio(one_row(**{"trust.adoption_rate": typed})))
    assert report.ok, report.issues
    assert report.assessments[0].metrics["trust.adoption_rate"] == 45.0


def test_a_percent_formatted_fraction_is_the_percentage_shown() -> None:
    strings: list[str] = []
    sheet = SheetBuilder(strings)
    for column, header in enumerate(["Pilot name", "Assessment date", "trust.adoption_rate", "data.duplicate_rate"]):
        sheet.cell(f"{'ABCD'[column]}1", header)
    sheet.cell("A2", "Claims")
    sheet.cell("B2", date(2026, 10, 1))
    sheet.cell("C2", 0.45, STYLE_PERCENT)
    sheet.cell("D2", 0.07, STYLE_PERCENT)
    report = read(raw_xlsx({"Portfolio": sheet.xml()}, strings))
    assert report.ok, report.issues
    assert report.assessments[0].metrics == {"trust.adoption_rate": 45.0, "data.duplicate_rate": 7.0}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("Yes", True), ("no", False), ("TRUE", True), ("False", False), ("Y", True), ("n", False), (1, True), (0, False),
     (True, True), (False, False)],
)  # fmt: skip
def test_booleans_in_every_spelling(typed: Any, expected: bool) -> None:
    report = read(portfolio(one_row(**{"governance.pii_assessed": typed})))
    assert report.ok, report.issues
    assert report.assessments[0].metrics["governance.pii_assessed"] is expected


@pytest.mark.parametrize(
    ("typed", "answer"),
    [("Yes", "yes"), ("NO", "no"), ("Not sure", "not_sure"), ("not_sure", "not_sure"), ("n/a", "n_a"),
     ("N/A", "n_a"), ("y", "yes"), (True, "yes"), (0, "no"), ("  Yes  ", "yes")],
)  # fmt: skip
def test_answers_in_every_spelling(typed: Any, answer: str) -> None:
    report = read(portfolio(one_row(**{"DATA-3": typed})))
    assert report.ok, report.issues
    assert report.assessments[0].answers["DATA-3"] == answer


@pytest.mark.parametrize("typed", [date(2026, 10, 1), "2026-10-01", "2026-10-01T00:00:00", datetime(2026, 10, 1, 9)])
def test_dates_as_excel_dates_or_iso_text(typed: Any) -> None:
    report = read(portfolio(one_row(**{"Assessment date": typed})))
    assert report.ok, report.issues
    assert report.assessments[0].as_of == date(2026, 10, 1)


def test_numbers_in_text_fields_read_as_text() -> None:
    report = read(portfolio(one_row(**{"Business unit": 42, "Owning team": 3.5})))
    assert report.ok, report.issues
    assert (report.assessments[0].pilot.business_unit, report.assessments[0].pilot.owning_team) == ("42", "3.5")


def test_template_with_moved_header_and_reordered_columns() -> None:
    book = openpyxl.load_workbook(io.BytesIO(fill_template(template_bytes(), EXPECTED)))
    checklist = book["Checklist"]
    checklist.delete_rows(1, 2)  # the header now sits on row 2
    checklist.move_range("E1:E40", cols=5)  # Answer moves to column J
    checklist["J2"] = "  answer  "
    buffer = io.BytesIO()
    book.save(buffer)
    report = read(buffer.getvalue())
    assert report.ok, report.issues
    assert report.assessments[0].answers == parse_assessment(EXPECTED).answers


# ------------------------------------------------------------------------------------------------
# Strict
# ------------------------------------------------------------------------------------------------


def test_unknown_ids_are_errors_at_their_cells() -> None:
    rows = one_row()
    rows[0] += ["DATA-99", "data.made_up"]
    rows[1] += ["Yes", 3]
    report = read(portfolio(rows))
    assert not report.assessments
    messages = sorted(i.message for i in report.errors)
    assert messages == [
        "unknown metric ID in column header 'data.made_up'",
        "unknown question ID in column header 'DATA-99'",
    ]
    row = template_row("Checklist", "DATA-1")
    report = read(edit_template({"Checklist": {f"A{row}": "DATA-42"}}))
    assert locations(report) == {f"Checklist!A{row}": "unknown question ID 'DATA-42'"}


def test_wrong_types_are_errors_naming_the_cell() -> None:
    row = template_row("Metrics", "scale.p95_latency_s")
    report = read(edit_template({"Metrics": {f"E{row}": "fast"}}))
    assert locations(report) == {f"Metrics!E{row}": "scale.p95_latency_s: expected a number, got 'fast'"}
    report = read(portfolio(one_row(**{"Assessment date": "next tuesday"})))
    assert list(locations(report).values()) == [
        "Assessment date: expected a date as YYYY-MM-DD or an Excel date, got 'next tuesday'"
    ]
    report = read(portfolio(one_row(**{"DATA-1": "maybe"})))
    assert "expected Yes, No, Not sure" in report.errors[0].message


def test_out_of_range_is_an_error_at_the_value_cell() -> None:
    row = template_row("Metrics", "data.production_sample_share")
    report = read(edit_template({"Metrics": {f"E{row}": 150}}))
    (error,) = report.errors
    assert error.location == f"Metrics!E{row}"
    assert "out of range" in error.message and "data.production_sample_share" in error.message
    assert not report.assessments


def test_out_of_range_says_the_whole_range_in_words() -> None:
    row = template_row("Metrics", "monitoring.signals_tracked")
    report = read(edit_template({"Metrics": {f"E{row}": 6}}))
    (error,) = report.errors
    assert error.location == f"Metrics!E{row}"
    assert error.message == "monitoring.signals_tracked: 6 is out of range: Signals tracked must be between 0 and 5"
    assert "of 5" not in error.message


@pytest.mark.parametrize(
    ("metric_id", "expected"),
    [
        ("monitoring.signals_tracked", "between 0 and 5"),  # the unit "of 5" is the range itself
        ("data.production_sample_share", "between 0 and 100%"),
        ("scale.latency_budget_s", "greater than 0 s"),
        ("monitoring.time_to_detect_h", "at least 0 h"),
    ],
)
def test_range_text_of_each_kind_of_bound(metric_id: str, expected: str) -> None:
    from readiness.assessment import range_text
    from readiness.model import load_model

    assert range_text(load_model().metric_by_id[metric_id]) == expected


def test_every_problem_of_a_template_is_reported_in_one_pass() -> None:
    """A bad date on Pilot, a bad answer on Checklist and an out-of-range metric: three errors at once (the
    range used to appear only after the other two were fixed)."""
    start = template_row("Pilot", "Pilot start date")
    answer = template_row("Checklist", "DATA-1")
    metric = template_row("Metrics", "monitoring.signals_tracked")
    report = read(
        edit_template({"Pilot": {f"B{start}": "last spring"}, "Checklist": {f"E{answer}": "Maybe"},
                       "Metrics": {f"E{metric}": 6}})
    )  # fmt: skip
    assert set(locations(report)) == {f"Pilot!B{start}", f"Checklist!E{answer}", f"Metrics!E{metric}"}
    assert "out of range" in locations(report)[f"Metrics!E{metric}"]
    assert report.assessments == []


def test_the_cores_checks_run_beside_cell_errors() -> None:
    """A cell error on one sheet does not hide what the core finds elsewhere: n/a on a core question and an
    assessment date before the start are reported with it, each at its own cell, once."""
    answer = template_row("Checklist", "DATA-1")
    metric = template_row("Metrics", "scale.p95_latency_s")
    start = template_row("Pilot", "Pilot start date")
    as_of = template_row("Pilot", "Assessment date")
    report = read(
        edit_template({"Checklist": {f"E{answer}": "N/A"}, "Metrics": {f"E{metric}": "fast"},
                       "Pilot": {f"B{start}": "2026-12-01", f"B{as_of}": "2026-10-01"}})
    )  # fmt: skip
    found = locations(report)
    assert set(found) == {f"Checklist!E{answer}", f"Metrics!E{metric}", f"Pilot!B{as_of}"}, found
    assert "n_a is allowed only on deeper questions" in found[f"Checklist!E{answer}"]
    assert "before the pilot's start date" in found[f"Pilot!B{as_of}"]
    assert len(report.errors) == 3


def test_a_missing_name_is_reported_once_beside_other_problems() -> None:
    name = template_row("Pilot", "Pilot name")
    metric = template_row("Metrics", "monitoring.signals_tracked")
    report = read(edit_template({"Pilot": {f"B{name}": None}, "Metrics": {f"E{metric}": 9}}))
    messages = [i.message for i in report.errors]
    assert messages.count("Pilot name is required") == 1
    assert sum("name" in m.lower() for m in messages) == 1, messages
    assert any("9 is out of range" in m for m in messages)


def test_a_type_error_of_the_core_does_not_hide_its_model_checks() -> None:
    """pydantic rejects a 201-character name before the core checks dates: both are reported."""
    name = template_row("Pilot", "Pilot name")
    start = template_row("Pilot", "Pilot start date")
    as_of = template_row("Pilot", "Assessment date")
    report = read(
        edit_template({"Pilot": {f"B{name}": "x" * 201, f"B{start}": "2026-12-01", f"B{as_of}": "2026-10-01"}})
    )
    found = locations(report)
    assert set(found) == {f"Pilot!B{name}", f"Pilot!B{as_of}"}, found


def test_every_problem_of_a_portfolio_row_is_reported_in_one_pass() -> None:
    report = read(portfolio(one_row(**{"DATA-1": "maybe", "monitoring.signals_tracked": 7,
                                       "Pilot start date": "2026-12-01"})))  # fmt: skip
    messages = sorted(locations(report).values())
    assert len(messages) == 3, messages
    assert any("expected Yes, No, Not sure" in m for m in messages)
    assert any("7 is out of range: Signals tracked must be between 0 and 5" in m for m in messages)
    assert any("before the pilot's start date" in m for m in messages)
    assert report.assessments == []


def test_n_a_on_a_core_question_is_an_error() -> None:
    row = template_row("Checklist", "DATA-1")
    report = read(edit_template({"Checklist": {f"E{row}": "N/A"}}))
    (error,) = report.errors
    assert error.location == f"Checklist!E{row}"
    assert "n_a is allowed only on deeper questions" in error.message


def test_two_answers_for_one_question_are_an_error() -> None:
    first = template_row("Checklist", "DATA-1")
    second = template_row("Checklist", "DATA-2")
    report = read(edit_template({"Checklist": {f"A{second}": "DATA-1"}}))
    (error,) = report.errors
    assert error.location == f"Checklist!E{second}"
    assert error.message == f"a second answer for DATA-1 (the first is at Checklist!E{first})"


def test_two_rows_for_one_pilot_and_date_are_an_error() -> None:
    rows = one_row()
    rows.append(list(rows[1]))
    report = read(portfolio(rows))
    (error,) = report.errors
    assert error.location == "Portfolio!A3"
    assert "a second row for pilot 'Claims triage' on 2026-10-01" in error.message


def test_two_columns_for_one_question_are_an_error() -> None:
    rows = one_row()
    rows[0].append("data-1")
    rows[1].append("No")
    report = read(portfolio(rows))
    assert [i.message for i in report.errors] == ["two columns for 'data-1' (the first is column L)"]


def test_formula_without_cached_value_is_an_error() -> None:
    row = template_row("Metrics", "trust.adoption_rate")
    report = read(edit_template({"Metrics": {f"E{row}": "=40+5"}}))  # openpyxl saves no cached value
    (error,) = report.errors
    assert error.location == f"Metrics!E{row}"
    assert "formula without a saved result" in error.message


def test_error_values_are_errors() -> None:
    rows = one_row(**{"trust.adoption_rate": 1})
    sheet, strings = simple_sheet(rows)
    column = openpyxl.utils.get_column_letter(HEADERS.index("trust.adoption_rate") + 1)
    sheet = sheet.replace(f'<c r="{column}2"><v>1</v></c>', f'<c r="{column}2" t="e"><v>#DIV/0!</v></c>')
    report = read(raw_xlsx({"Portfolio": sheet}, strings))
    assert locations(report) == {f"Portfolio!{column}2": "error value #DIV/0! in the cell"}


def test_a_formula_with_its_cached_value_is_read() -> None:
    rows = one_row(**{"trust.adoption_rate": 1})
    sheet, strings = simple_sheet(rows)
    column = openpyxl.utils.get_column_letter(HEADERS.index("trust.adoption_rate") + 1)
    sheet = sheet.replace(f'<c r="{column}2"><v>1</v></c>', f'<c r="{column}2"><f>40+5</f><v>45</v></c>')
    report = read(raw_xlsx({"Portfolio": sheet}, strings))
    assert report.ok, report.issues
    assert report.assessments[0].metrics["trust.adoption_rate"] == 45.0


def test_assessment_date_before_the_start_is_located() -> None:
    report = read(portfolio(one_row(**{"Pilot start date": "2026-11-01"})))
    (error,) = report.errors
    assert error.location == f"Portfolio!{openpyxl.utils.get_column_letter(HEADERS.index('Assessment date') + 1)}2"
    assert "before the pilot's start date" in error.message


def test_required_fields_are_reported_once() -> None:
    report = read(portfolio(one_row(**{"Pilot name": None, "DATA-1": "Yes"})))
    assert [i.message for i in report.errors] == ["Pilot name is required"]
    report = read(portfolio(one_row(**{"Assessment date": "soon"})))
    assert len(report.errors) == 1


def test_any_error_means_no_assessment_from_the_workbook() -> None:
    rows = portfolio_rows(3)
    rows[2][HEADERS.index("trust.adoption_rate")] = 400
    report = read(portfolio(rows))
    assert len(report.errors) == 1
    assert report.assessments == []
    with pytest.raises(Exception, match="out of range"):
        report.raise_for_errors()


def test_hidden_sheets_are_warnings() -> None:
    sheet, strings = simple_sheet(portfolio_rows())
    notes, _ = simple_sheet([["scratch"]])
    report = read(raw_xlsx({"Portfolio": sheet, "Notes": notes}, [*strings, "scratch"], hidden=("Notes",)))
    assert report.ok
    assert [i.message for i in report.warnings] == ["hidden sheet 'Notes' is ignored"]
    report = read(raw_xlsx({"Portfolio": sheet}, strings, hidden=("Portfolio",)))
    assert report.ok
    assert "is hidden but imported" in report.warnings[0].message


def test_a_workbook_without_known_sheets_names_what_it_found() -> None:
    sheet, strings = simple_sheet([["a", "b"]])
    report = read(raw_xlsx({"Sheet1": sheet}, strings))
    assert "neither a Portfolio sheet nor the template's Checklist and Metrics sheets" in report.errors[0].message
    assert "'Sheet1'" in report.errors[0].message


@pytest.mark.parametrize("rename", [None, "Answers"])
def test_a_template_without_its_checklist_sheet_is_an_error(rename: str | None) -> None:
    # Read as "not sure" everywhere, such a workbook would be stored as Not ready: nobody answered that.
    book = openpyxl.load_workbook(io.BytesIO(fill_template(template_bytes(), EXPECTED)))
    if rename is None:
        del book["Checklist"]
    else:
        book["Checklist"].title = rename
    buffer = io.BytesIO()
    book.save(buffer)
    report = read(buffer.getvalue())
    assert not report.ok and report.assessments == []
    [error] = report.errors
    assert error.location == ""
    assert error.message.startswith("the template has no 'Checklist' sheet")
    assert ("'Answers'" in error.message) == (rename is not None)


def test_a_template_without_its_metrics_sheet_is_read_with_a_warning() -> None:
    book = openpyxl.load_workbook(io.BytesIO(fill_template(template_bytes(), EXPECTED)))
    del book["Metrics"]
    buffer = io.BytesIO()
    book.save(buffer)
    report = read(buffer.getvalue())
    assert report.ok, report.issues
    assert report.assessments[0].metrics == {}
    assert [i.message for i in report.warnings] == ["no 'Metrics' sheet: no metric is reported"]


def test_a_portfolio_workbook_needs_no_checklist_sheet() -> None:
    report = read(portfolio(one_row()))
    assert report.ok, report.issues
    assert report.kind == "portfolio"


def test_the_blank_template_asks_for_name_and_date() -> None:
    report = read(template_bytes())
    assert sorted(i.message for i in report.errors) == ["Assessment date is required", "Pilot name is required"]
    assert all(i.location.startswith("Pilot!B") for i in report.errors)


def test_text_and_numbers_never_raise_whatever_the_cell_holds() -> None:
    odd = ["", " ", "∞", "1e999", "nan", "-0", "1,000,000", "12:30", "#N/A", "TRUE", "=1+1", "'45"]
    for value in odd:
        report = read(portfolio(one_row(**{"trust.adoption_rate": value, "Business unit": value})))
        assert isinstance(report, WorkbookReport)
        assert report.ok or report.errors


def test_template_extra_columns_warn_and_known_columns_do_not() -> None:
    book = openpyxl.load_workbook(io.BytesIO(fill_template(template_bytes(), EXPECTED)))
    checklist = book["Checklist"]
    checklist["H4"] = "Owner"
    checklist["I4"] = "Notes"
    checklist["H5"] = "ana"
    buffer = io.BytesIO()
    book.save(buffer)
    report = read(buffer.getvalue())
    assert report.ok
    assert [(i.location, i.message) for i in report.warnings] == [("Checklist!H4", "extra column 'Owner' is ignored")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", b"Pilot name\nx\n", "this is a CSV file"),
        ("a.ods", b"PK\x03\x04junk", "damaged"),
        ("a.xls", (FIXTURES / "legacy.xls").read_bytes(), "legacy Excel 97-2003"),
        ("a.xlsm", (FIXTURES / "template_openpyxl.xlsx").read_bytes(), None),
        ("a.numbers", b"x", "Apple Numbers"),
        ("a.txt", b"x", "a text file"),
        ("a.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
    ],
)
def test_validate_path_answers_other_formats(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    from readiness.errors import InvalidInput
    from readiness.service.intake import validate_path

    path = tmp_path / name
    path.write_bytes(content)
    if message is None:  # the content decides: an .xlsx under another workbook name is read
        assert validate_path(path).raise_for_errors()[0].pilot.name == EXPECTED["pilot"]["name"]
        return
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_path(path).raise_for_errors()


def test_validate_path_refuses_a_huge_file_before_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.service.intake import validate_path

    path = tmp_path / "huge.xlsx"
    with path.open("wb") as handle:
        handle.truncate(25 * 2**20)  # sparse: 25 MB that cost nothing to make
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    report = validate_path(path)
    [message] = [i.message for i in report.errors]
    assert message.startswith("the file is 25.0 MB, larger than the 20 MB") and "READINESS_MAX_FILE_MB" in message


# ------------------------------------------------------------------------------------------------
# Metric evidence: documented with a reference, self-reported without
# ------------------------------------------------------------------------------------------------

METRIC_EVIDENCE = {"scale.p95_latency_s": "Grafana p95 board, Oct 2026", "governance.pii_assessed": "DPIA 14"}


def test_a_metric_with_evidence_reads_as_documented_and_without_as_self_reported() -> None:
    data = EXPECTED | {"evidence": EXPECTED["evidence"] | METRIC_EVIDENCE}
    report = read(edit_template({}, data))
    assert report.ok and report.warnings == [], report.issues
    assert report.assessments[0].evidence == data["evidence"]
    assert report.assessments[0].content_hash() == parse_assessment(data).content_hash()
    levels = evidence_levels(report)
    assert levels["scale.p95_latency_s"] == levels["governance.pii_assessed"] == "documented"
    assert levels["trust.adoption_rate"] == levels["data.missing_field_rate"] == "self_reported"


@pytest.mark.parametrize("header", ["Evidence", "evidence or link", "Source", "REFERENCE", "Evidence / link"])
def test_the_metric_evidence_header_is_matched_forgivingly(header: str) -> None:
    row = template_row("Metrics", "scale.p95_latency_s")
    report = read(edit_template({"Metrics": {f"{EVIDENCE_COLUMN}4": header, f"{EVIDENCE_COLUMN}{row}": "load test"}}))
    assert report.ok and report.warnings == [], report.issues
    assert report.assessments[0].evidence["scale.p95_latency_s"] == "load test"


def test_metric_evidence_problems_are_located_at_the_evidence_cell() -> None:
    row = template_row("Metrics", "scale.p95_latency_s")
    question = template_row("Checklist", "DATA-1")
    report = read(edit_template({"Metrics": {f"{EVIDENCE_COLUMN}{row}": True}, "Checklist": {f"F{question}": False}}))
    assert locations(report) == {
        f"Metrics!{EVIDENCE_COLUMN}{row}": "scale.p95_latency_s evidence: expected text, got True",
        f"Checklist!F{question}": "DATA-1 evidence: expected text, got False",
    }
    blank = template_row("Metrics", "trust.skeptical_testers")
    report = read(edit_template({"Metrics": {f"{EVIDENCE_COLUMN}{blank}": "survey"}}))
    assert report.ok and "trust.skeptical_testers" not in report.assessments[0].evidence
    message = "trust.skeptical_testers: a reference without the metric's value is ignored: add the value"
    assert [(i.location, i.message) for i in report.warnings] == [(f"Metrics!{EVIDENCE_COLUMN}{blank}", message)]
    report = read(edit_template({"Metrics": {f"A{blank}": None, f"{EVIDENCE_COLUMN}{blank}": "survey"}}))
    assert locations(report) == {f"Metrics!A{blank}": "evidence without a metric ID"}


def test_an_old_template_without_the_metrics_evidence_column_still_imports() -> None:
    """Templates made before metric evidence existed: the same assessment, every metric self-reported."""
    book = openpyxl.load_workbook(io.BytesIO(fill_template(template_bytes(), EXPECTED)))
    book["Metrics"].delete_cols(METRICS_COLUMNS.index("Evidence") + 1)
    buffer = io.BytesIO()
    book.save(buffer)
    report = read(buffer.getvalue())
    assert report.ok and report.warnings == [], report.issues
    assert report.assessments[0].content_hash() == parse_assessment(EXPECTED).content_hash()
    levels = evidence_levels(report)
    assert all(levels[m] == "self_reported" for m in EXPECTED["metrics"] if m in levels)
    assert levels["scale.p95_latency_s"] == "self_reported"
    # The committed fixtures were saved from a template of that age too (no Evidence column on Metrics).
    old = openpyxl.load_workbook(FIXTURES / "template_openpyxl.xlsx", read_only=True)["Metrics"]
    assert "Evidence" not in [c.value for c in next(old.iter_rows(min_row=4, max_row=4))]


@pytest.mark.parametrize(
    "header",
    ["scale.p95_latency_s evidence", "Scale.P95_Latency_S Evidence", "scale.p95_latency_s_evidence",
     "scale.p95_latency_s: evidence", " scale.p95 latency s evidence "],
)  # fmt: skip
def test_portfolio_metric_evidence_column_is_matched_forgivingly(header: str) -> None:
    rows = [
        ["Pilot name", "Assessment date", "scale.p95_latency_s", "scale.latency_budget_s", header],
        ["Claims", "2026-10-01", 2.4, 3, "Grafana"],
    ]
    report = read(portfolio(rows))
    assert report.ok and report.warnings == [], report.issues
    assert report.assessments[0].evidence == {"scale.p95_latency_s": "Grafana"}
    assert evidence_levels(report)["scale.p95_latency_s"] == "documented"


def test_portfolio_metric_evidence_round_trips_through_the_exported_columns() -> None:
    rows = one_row(**{"scale.p95_latency_s": 2.4, "scale.latency_budget_s": 3,
                      "scale.p95_latency_s evidence": "Grafana board", "trust.adoption_rate": 40, "DATA-1": "Yes",
                      "DATA-1 evidence": "eval report"})  # fmt: skip
    report = read(portfolio(rows))
    assert report.ok and report.warnings == [], report.issues
    (assessment,) = report.assessments
    assert assessment.evidence == {"DATA-1": "eval report", "scale.p95_latency_s": "Grafana board"}
    levels = evidence_levels(report)
    assert (levels["scale.p95_latency_s"], levels["trust.adoption_rate"]) == ("documented", "self_reported")


def test_portfolio_metric_evidence_without_a_value_is_ignored_with_one_warning_per_column() -> None:
    rows = portfolio_rows(3)
    column = HEADERS.index("trust.override_rate evidence")
    for row in rows[1:]:
        row[column] = "override log"
    report = read(portfolio(rows))
    assert report.ok and all("trust.override_rate" not in a.evidence for a in report.assessments)
    letter = openpyxl.utils.get_column_letter(column + 1)
    assert [(i.location, i.message) for i in report.warnings] == [
        (f"Portfolio!{letter}2", "trust.override_rate: a reference without the metric's value is ignored: add the "
         "value (in 3 rows, the first shown)")
    ]  # fmt: skip


def test_unknown_metric_id_in_an_evidence_header_is_an_error_at_its_cell() -> None:
    rows = one_row()
    rows[0] += ["data.made_up evidence", "scale.p95_latency_s_evidence"]
    rows[1] += ["a report", "board again"]
    report = read(portfolio(rows))
    assert not report.assessments
    made_up = openpyxl.utils.get_column_letter(len(HEADERS) + 1)
    duplicate = openpyxl.utils.get_column_letter(len(HEADERS) + 2)
    first = openpyxl.utils.get_column_letter(HEADERS.index("scale.p95_latency_s evidence") + 1)
    assert locations(report) == {
        f"Portfolio!{made_up}1": "unknown metric ID in column header 'data.made_up evidence'",
        f"Portfolio!{duplicate}1": f"two columns for 'scale.p95_latency_s_evidence' (the first is column {first})",
    }
