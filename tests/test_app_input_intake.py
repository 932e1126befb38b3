"""The upload and assess logic without a browser: readiness.service.intake and readiness.assess_form."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from readiness import assess_form as form
from readiness import display
from readiness.assessment import parse_assessment
from readiness.demo import demo_assessments
from readiness.errors import InvalidInput, Issue
from readiness.model import GAP_IDS, load_model
from readiness.scoring import VERDICT_LABELS, score_assessment
from readiness.service.intake import (
    file_hash,
    import_report,
    import_reports,
    issues_frame,
    preview_frame,
    split_location,
    validate_file,
)
from readiness.store.engine import make_engine
from readiness.store.migrate import migrate
from readiness.store.repository import count_rows, latest_assessments, list_pilots, pilot_history
from tests.input_files import BAD_CELL, assessment_json, filled_workbook, sample_assessment
from tests.test_intake_service import workbook_without_sheet

MODEL = load_model()


@pytest.fixture
def engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'intake.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def test_valid_workbook_reports_its_assessment_and_no_error() -> None:
    assessment = sample_assessment()
    data = filled_workbook(assessment)
    report = validate_file("team.xlsx", data)
    assert report.ok, report.issues
    assert report.kind == "excel"
    assert report.source_hash == file_hash(data)
    [read] = report.assessments
    assert read.pilot.name == assessment.pilot.name
    assert read.as_of == assessment.as_of
    assert read.answers["DATA-1"] == "yes"


def test_invalid_workbook_names_sheet_and_cell() -> None:
    report = validate_file("bad.xlsx", filled_workbook(sample_assessment(), bad_metric=True))
    assert not report.ok
    assert report.assessments == []
    [error] = report.errors
    assert error.location == f"Metrics!{BAD_CELL}"
    table = issues_frame(report.issues)
    assert table.loc[0, ["severity", "sheet", "cell"]].tolist() == ["error", "Metrics", BAD_CELL]
    assert "out of range" in table.loc[0, "message"]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
        ("notes.txt", b"hello", "this is a text file"),
        ("sheet.csv", b"Pilot name\nx\n", "save it as an Excel Workbook (.xlsx)"),
        ("empty.xlsx", b"", "empty"),
        ("fake.xlsx", b"this is not a workbook at all", ""),
        ("broken.json", b"{not json", "not valid JSON"),
        ("list.json", b"[]", "empty list"),
    ],
)
def test_unreadable_files_are_errors_not_exceptions(name: str, data: bytes, expected: str) -> None:
    report = validate_file(name, data)
    assert not report.ok
    assert report.errors
    assert expected in report.errors[0].message


def test_json_upload_is_read_with_field_locations() -> None:
    good = validate_file("one.json", assessment_json(sample_assessment()))
    assert good.ok and good.kind == "json"
    payload = sample_assessment().model_dump(mode="json")
    payload["answers"]["DATA-1"] = "n_a"  # core questions do not accept N/A
    bad = validate_file("bad.json", json.dumps(payload).encode())
    assert not bad.ok
    assert bad.errors[0].location == "answers.DATA-1"
    assert split_location(bad.errors[0].location) == ("", "answers.DATA-1")


def test_split_location_handles_quoted_sheet_names() -> None:
    assert split_location("Metrics!E7") == ("Metrics", "E7")
    assert split_location("'My sheet'!B2") == ("My sheet", "B2")
    assert split_location("") == ("", "")


def test_issues_frame_lists_errors_before_warnings() -> None:
    issues = [Issue("warning", "Checklist!F1", "extra column"), Issue("error", "Metrics!E7", "bad")]
    assert issues_frame(issues)["severity"].tolist() == ["error", "warning"]
    assert issues_frame([]).columns.tolist() == ["severity", "sheet", "cell", "message"]


def test_preview_matches_the_explained_score() -> None:
    assessments = demo_assessments()[:4]
    frame = preview_frame(assessments, MODEL)
    assert len(frame) == 4
    for row, assessment in zip(frame.itertuples(), assessments, strict=True):
        result = score_assessment(assessment, MODEL)
        assert row.verdict == VERDICT_LABELS[result.verdict]
        # The preview shows what every other surface shows: the display rule's whole numbers.
        assert row.overall == display.score_number(result.overall)
        for gap in GAP_IDS:
            assert getattr(row, gap) == display.score_number(result.gaps[gap].score)


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def test_import_stores_once_and_reimport_is_already_present(engine) -> None:
    report = validate_file("team.xlsx", filled_workbook(sample_assessment()))
    first = import_report(engine, report, interface="app", actor="pmo@example.com")
    assert (first.created, first.already_present) == (1, 0)
    assert "1 snapshot imported" in first.message
    again = import_report(engine, validate_file("team.xlsx", filled_workbook(sample_assessment())), interface="app")
    assert (again.created, again.already_present) == (0, 1)
    assert "already present" in again.message
    [stored] = pilot_history(engine, "Upload test pilot")
    assert stored.source == "excel"
    assert stored.source_hash == report.source_hash


def test_invalid_file_never_reaches_the_store(engine) -> None:
    before = count_rows(engine)
    report = validate_file("bad.xlsx", filled_workbook(sample_assessment(), bad_metric=True))
    with pytest.raises(InvalidInput):
        import_report(engine, report, interface="app")
    outcomes, failures = import_reports(engine, [report], interface="app")
    assert outcomes == [] and failures == []
    assert count_rows(engine) == before


def test_import_reports_imports_each_valid_file_with_progress(engine) -> None:
    files = [
        validate_file("a.xlsx", filled_workbook(sample_assessment("Pilot A"))),
        validate_file("bad.xlsx", filled_workbook(sample_assessment("Pilot B"), bad_metric=True)),
        validate_file("c.json", assessment_json(sample_assessment("Pilot C"))),
    ]
    calls: list[tuple[int, int, str]] = []
    outcomes, failures = import_reports(engine, files, interface="app", on_progress=lambda *call: calls.append(call))
    assert [o.name for o in outcomes] == ["a.xlsx", "c.json"]
    assert failures == []
    assert calls == [(1, 2, "a.xlsx"), (2, 2, "c.json")]
    assert sorted(s.assessment.pilot.name for s in latest_assessments(engine)) == ["Pilot A", "Pilot C"]
    assert pilot_history(engine, "Pilot C")[0].source == "app"


def test_multi_assessment_file_is_all_or_nothing(engine) -> None:
    good = sample_assessment("Pilot D").model_dump(mode="json")
    bad = sample_assessment("Pilot E").model_dump(mode="json")
    bad["metrics"]["data.production_sample_share"] = 150
    report = validate_file("two.json", json.dumps([good, bad]).encode())
    assert not report.ok
    assert report.errors[0].location.startswith("[1].metrics")
    import_reports(engine, [report], interface="app")
    assert pilot_history(engine, "Pilot D") == []


def test_a_workbook_without_its_checklist_is_reported_invalid() -> None:
    data = workbook_without_sheet(filled_workbook(sample_assessment()), "Checklist", rename="Answers")
    report = validate_file("renamed.xlsx", data)
    assert not report.ok and report.assessments == []
    table = issues_frame(report.issues)
    assert table.loc[0, "severity"] == "error"
    assert "no 'Checklist' sheet" in table.loc[0, "message"]


# --------------------------------------------------------------------------------------------
# The Upload page, through the router
# --------------------------------------------------------------------------------------------


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture
def upload_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'upload.db'}"
    monkeypatch.setenv("READINESS_DATABASE_URL", url)
    return url


def open_upload_page() -> AppTest:
    """The app, through its router, on the Upload page."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("screens/upload.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def stored_engine(url: str):
    engine = make_engine(url)
    migrate(engine)
    return engine


def test_upload_shows_a_missing_checklist_as_invalid(upload_db: str) -> None:
    at = open_upload_page()
    good = filled_workbook(sample_assessment("Complete pilot"))
    renamed = workbook_without_sheet(filled_workbook(sample_assessment("Renamed pilot")), "Checklist", "Answers")
    files = [("good.xlsx", good, XLSX), ("renamed.xlsx", renamed, XLSX)]
    at.file_uploader(key="upload.files").set_value(files).run()
    assert not at.exception
    shown = texts(at.markdown)
    assert "✓ valid" in shown and "✕ 1 error" in shown
    issues = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert issues["severity"].tolist() == ["error"]
    assert "no 'Checklist' sheet" in issues["message"][0]
    confirm = at.button(key="upload.confirm")
    assert confirm.label == "Import 1 valid file (1 assessment)"
    confirm.click().run()
    engine = stored_engine(upload_db)
    assert [p.context.name for p in list_pilots(engine)] == ["Complete pilot"]


def test_upload_answers_a_csv_with_how_to_save_it(upload_db: str) -> None:
    at = open_upload_page()
    assert ".csv" in at.file_uploader(key="upload.files").allowed_type
    at.file_uploader(key="upload.files").set_value([("pilots.csv", b"Pilot name\nx\n", "text/csv")]).run()
    assert at.button(key="upload.confirm").disabled
    [message] = next(d.value for d in at.dataframe if "message" in d.value.columns)["message"].tolist()
    assert message.startswith("this is a CSV file:") and "save it as an Excel Workbook (.xlsx)" in message
    assert count_rows(stored_engine(upload_db))["snapshot"] == 0


# --------------------------------------------------------------------------------------------
# The Assess form as data
# --------------------------------------------------------------------------------------------


def test_prefill_then_payload_gives_back_the_same_assessment_dated_today() -> None:
    original = demo_assessments()[-1]
    today = date(2026, 11, 20)
    values = form.prefill_values(original, MODEL, today)
    rebuilt = parse_assessment(form.assessment_payload(values, MODEL), "form", MODEL)
    assert rebuilt.as_of == today
    assert rebuilt.model_dump(exclude={"as_of"}) == original.model_dump(exclude={"as_of"})


def test_blank_form_scores_with_core_questions_as_not_sure() -> None:
    values = form.blank_values(MODEL, date(2026, 11, 1))
    values[form.context_key("name")] = "Fresh"
    assessment = parse_assessment(form.assessment_payload(values, MODEL), "form", MODEL)
    assert assessment.answers == {} and assessment.metrics == {}
    assert score_assessment(assessment, MODEL).verdict == "not_ready"


def test_payload_leaves_out_empty_fields_and_converts_types() -> None:
    values = form.blank_values(MODEL, date(2026, 11, 1))
    values |= {
        form.context_key("name"): "  Typed  ",
        form.context_key("peak_concurrent_users"): 250.0,
        form.evidence_key("DATA-1"): "   ",
        form.answer_key("DATA-1"): "yes",
        form.metric_key("governance.pii_assessed"): "no",
        form.metric_key("trust.adoption_rate"): 35.0,
    }
    payload = form.assessment_payload(values, MODEL)
    assert payload["pilot"]["name"] == "Typed"
    assert payload["pilot"]["peak_concurrent_users"] == 250
    assert "business_unit" not in payload["pilot"]
    assert payload["evidence"] == {}
    assert payload["answers"] == {"DATA-1": "yes"}
    assert payload["metrics"] == {"governance.pii_assessed": False, "trust.adoption_rate": 35.0}


def test_validation_problems_point_at_their_inputs() -> None:
    values = form.blank_values(MODEL, date(2026, 1, 1))
    values[form.context_key("name")] = "Dated"
    values[form.context_key("start_date")] = date(2026, 6, 1)
    values[form.metric_key("scale.latency_budget_s")] = 0.0  # must be greater than 0
    with pytest.raises(InvalidInput) as caught:
        parse_assessment(form.assessment_payload(values, MODEL), "form", MODEL)
    keys = {form.field_key(i.location) for i in caught.value.issues}
    assert keys == {form.AS_OF_KEY, form.metric_key("scale.latency_budget_s")}
    labels = {form.field_label(i.location, MODEL) for i in caught.value.issues}
    assert "Assessment date" in labels
    assert any("latency budget" in label.lower() for label in labels)


def test_field_keys_and_labels_cover_every_location_kind() -> None:
    assert form.field_key("pilot.name") == form.context_key("name")
    assert form.field_key("answers.DATA-1") == form.answer_key("DATA-1")
    assert form.field_key("evidence.DATA-1") == form.evidence_key("DATA-1")
    assert form.field_key("submitted_by") == form.SUBMITTED_BY_KEY
    assert form.field_key("somewhere") is None
    assert form.field_label("pilot.start_date", MODEL) == "Pilot start date"
    assert form.field_label("answers.DATA-1", MODEL) == "DATA-1 (answer)"
    assert form.field_label("", MODEL) == "form"


def test_only_deeper_questions_offer_n_a() -> None:
    assert "n_a" not in form.answer_options(core=True)
    assert "n_a" in form.answer_options(core=False)
