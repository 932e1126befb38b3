"""AppTests of the Assess, Upload and Export pages, through the router, on the demo data and an empty database."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from readiness import assess_form as form
from readiness.charts import VERDICT_COLORS, short_gap_labels
from readiness.demo import demo_assessments
from readiness.scoring import score_assessment
from readiness.service.exports import ExportRequest, ExportScope
from readiness.store.engine import make_engine
from readiness.store.migrate import migrate
from readiness.store.repository import count_rows, latest_assessments, list_pilots, pilot_history
from tests.input_files import BAD_CELL, assessment_json, filled_workbook, sample_assessment
from ui import plain

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


@pytest.fixture
def demo_db(demo_database_copy: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private copy of the session's demo store (conftest.py): these pages write."""
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_copy)
    return demo_database_copy


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("READINESS_DATABASE_URL", url)
    return url


@pytest.fixture(params=["demo", "empty"])
def any_db(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_db")


def engine_of(url: str):
    engine = make_engine(url)
    migrate(engine)
    return engine


def open_page(page: str, **query: str) -> AppTest:
    """The app, through its router, on one page."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def links(at: AppTest) -> list[tuple[str, str, dict[str, list[str]]]]:
    """Every page link drawn on the page: (label, page, query parameters)."""
    return [(link.value, link.proto.page, parse_qs(link.proto.query_string)) for link in at.page_link]


def shown_text(at: AppTest) -> str:
    """Every text a reader sees in the main area: Markdown, captions, alerts and metric tiles."""
    parts = [texts(at.markdown), texts(at.caption), texts(at.error), texts(at.info), texts(at.success)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Assess
# --------------------------------------------------------------------------------------------


def test_assess_renders_with_every_question_and_metric(any_db: str) -> None:
    at = open_page("assess")
    assert at.title[0].value == "Assess a pilot"
    model = form.load_model()
    keys = {w.key for w in at.segmented_control}
    assert {form.answer_key(q.id) for q in model.questions} <= keys
    numbers = {w.key for w in at.number_input}
    assert {form.metric_key(m.id) for m in model.metrics if m.kind != "bool"} <= numbers
    assert [t.label for t in at.tabs] == list(short_gap_labels(model).values())
    # A new pilot without a name: nothing in red before the team has done anything, only a hint.
    assert not at.error
    assert "give the new pilot a name" not in texts(at.markdown)
    assert "Name the new pilot" in texts(at.caption)


def test_a_missing_name_is_an_error_once_a_save_is_tried_and_nothing_is_written(any_db: str) -> None:
    before = count_rows(engine_of(any_db))["snapshot"]
    at = open_page("assess")
    at.button(key="assess.save").click().run()
    assert "Pilot name" in texts(at.error)
    assert "⚠ give the new pilot a name" in texts(at.markdown)  # under its input too
    assert at.button(key="assess.save").disabled
    assert count_rows(engine_of(any_db))["snapshot"] == before


def test_a_name_typed_then_cleared_is_an_error(any_db: str) -> None:
    at = open_page("assess")
    at.text_input(key=form.context_key("name")).input("Draft").run()
    assert not at.error
    at.text_input(key=form.context_key("name")).input("").run()
    assert "Pilot name" in texts(at.error)
    assert at.button(key="assess.save").disabled


def test_the_live_badge_has_the_verdict_colour_and_confidence_one_format(demo_db: str) -> None:
    """A conditional pilot scoring above 70 reads Conditional on the conditional colour (not the green of its
    score), and every confidence on the page is a whole percentage."""
    engine = engine_of(demo_db)
    model = form.load_model()
    name, _ = next(
        (p.context.name, r)
        for p in list_pilots(engine)
        if (r := score_assessment(pilot_history(engine, p.context.name)[-1].assessment, model)).verdict == "conditional"
        and r.overall >= 70
    )
    at = open_page("assess", pilot=name)
    badge = next(m for m in at.markdown if "Conditional" in m.value and "background" in m.value)
    assert f"background:{VERDICT_COLORS['conditional']}" in badge.value
    shown = shown_text(at) + "\n" + "\n".join(m.help or "" for m in at.metric)
    confidences = re.findall(r"confidence\D{0,12}?(\d[\d.]*%?)", shown, flags=re.IGNORECASE)
    assert len(confidences) >= 7  # the caption and the six gap tiles
    assert all(re.fullmatch(r"\d+%", value) for value in confidences), confidences


def test_saving_a_new_pilot_adds_a_snapshot(any_db: str) -> None:
    before = count_rows(engine_of(any_db))["snapshot"]
    at = open_page("assess")
    at.text_input(key=form.context_key("name")).input("Contract review").run()
    at.segmented_control(key=form.answer_key("DATA-1")).set_value("yes").run()
    at.text_input(key=form.evidence_key("DATA-1")).input("eval report").run()
    at.number_input(key=form.metric_key("trust.adoption_rate")).set_value(40.0).run()
    assert not at.error, texts(at.error)
    assert not at.button(key="assess.save").disabled
    at.button(key="assess.save").click().run()
    assert not at.exception
    assert "Saved snapshot" in texts(at.success)
    # Where to see it: the pilot's page (linked by its name) and the Portfolio.
    assert ("Open Contract review on the Pilot page", "pilot", {"pilot": ["Contract review"]}) in links(at)
    assert any(page == "portfolio" for _, page, _ in links(at))
    engine = engine_of(any_db)
    assert count_rows(engine)["snapshot"] == before + 1
    [stored] = pilot_history(engine, "Contract review")
    assert stored.source == "app"
    assert stored.assessment.answers == {"DATA-1": "yes"}
    assert stored.assessment.evidence == {"DATA-1": "eval report"}
    assert stored.assessment.metrics == {"trust.adoption_rate": 40.0}
    # The page now shows the pilot just created, prefilled from the snapshot just saved.
    assert at.selectbox(key="assess.pilot_choice").value == "Contract review"
    assert at.segmented_control(key=form.answer_key("DATA-1")).value == "yes"


def test_existing_pilot_is_prefilled_and_a_new_dated_snapshot_is_saved(demo_db: str) -> None:
    engine = engine_of(demo_db)
    name = list_pilots(engine)[0].context.name
    last = pilot_history(engine, name)[-1].assessment
    at = open_page("assess")
    at.selectbox(key="assess.pilot_choice").set_value(name).run()
    for question_id, answer in last.answers.items():
        assert at.segmented_control(key=form.answer_key(question_id)).value == answer
    assert at.text_input(key=form.context_key("name")).disabled
    at.date_input(key=form.AS_OF_KEY).set_value(date(2026, 11, 15)).run()
    at.button(key="assess.save").click().run()
    history = pilot_history(engine, name)
    assert history[-1].assessment.as_of == date(2026, 11, 15)
    assert history[-1].assessment.answers == last.answers
    # Saving the very same content again writes nothing new.
    at.button(key="assess.save").click().run()
    assert "already stored" in texts(at.info)
    assert len(pilot_history(engine, name)) == len(history)


def test_assess_opens_the_pilot_named_in_the_url(demo_db: str) -> None:
    name = list_pilots(engine_of(demo_db))[3].context.name
    at = open_page("assess", pilot=name)
    assert at.selectbox(key="assess.pilot_choice").value == name
    assert at.text_input(key=form.context_key("name")).value == name


def test_assess_warns_about_an_unknown_pilot_in_the_url(demo_db: str) -> None:
    at = open_page("assess", pilot="No such pilot")
    assert "no pilot named" in texts(at.warning).lower()
    assert at.selectbox(key="assess.pilot_choice").value == "+ New pilot"


def test_assess_shows_validation_problems_with_their_field_and_saves_nothing(demo_db: str) -> None:
    before = count_rows(engine_of(demo_db))
    at = open_page("assess")
    at.text_input(key=form.context_key("name")).input("Early bird").run()
    at.date_input(key=form.context_key("start_date")).set_value(date(2026, 6, 1)).run()
    at.date_input(key=form.AS_OF_KEY).set_value(date(2026, 1, 1)).run()
    at.number_input(key=form.metric_key("scale.latency_budget_s")).set_value(0.0).run()
    errors = texts(at.error)
    assert "Assessment date" in errors and "before the pilot's start date" in errors
    assert "latency budget" in errors.lower()
    under_fields = texts(at.markdown)
    assert "⚠ " + plain("assessment date 2026-01-01 is before") in under_fields
    assert at.button(key="assess.save").disabled
    assert count_rows(engine_of(demo_db)) == before


def test_a_new_pilot_cannot_take_an_existing_name(demo_db: str) -> None:
    name = list_pilots(engine_of(demo_db))[0].context.name
    at = open_page("assess")
    at.text_input(key=form.context_key("name")).input(name).run()
    assert "exists" in texts(at.error)
    assert at.button(key="assess.save").disabled


# --------------------------------------------------------------------------------------------
# Upload
# --------------------------------------------------------------------------------------------


def test_upload_renders_with_template_download(any_db: str) -> None:
    at = open_page("upload")
    assert at.title[0].value == "Upload assessments"
    assert at.file_uploader(key="upload.files").accept_multiple_files
    assert set(at.file_uploader(key="upload.files").allowed_type) >= {".xlsx", ".json"}
    options = at.selectbox(key="upload.template_choice").options
    assert options[0] == "Blank template"
    assert len(options) == 1 + len(list_pilots(engine_of(any_db)))


def test_uploading_a_valid_and_an_invalid_workbook(any_db: str) -> None:
    engine = engine_of(any_db)
    before = count_rows(engine)["snapshot"]
    at = open_page("upload")
    files = [
        ("good.xlsx", filled_workbook(sample_assessment("Uploaded pilot")), XLSX),
        ("bad.xlsx", filled_workbook(sample_assessment("Broken pilot"), bad_metric=True), XLSX),
    ]
    at.file_uploader(key="upload.files").set_value(files).run()
    assert not at.exception
    shown = texts(at.markdown)
    assert "✓ valid" in shown and "✕ 1 error" in shown
    issues = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert issues[["severity", "sheet", "cell"]].values.tolist() == [["error", "Metrics", BAD_CELL]]
    preview = next(d for d in at.dataframe if "verdict" in d.value.columns)
    assert preview.value["snapshot"].tolist() == ["Uploaded pilot · 2026-10-01"]
    # All six gaps, under the product's gap labels.
    labels = {column.get("label") for column in json.loads(preview.proto.columns).values()}
    assert set(short_gap_labels().values()) <= labels
    assert count_rows(engine)["snapshot"] == before  # nothing is written before the confirmation
    confirm = at.button(key="upload.confirm")
    assert confirm.label == "Import 1 valid file (1 assessment)"
    confirm.click().run()
    assert "Imported 1 new snapshot" in texts(at.success)
    assert count_rows(engine)["snapshot"] == before + 1
    assert ("Open Uploaded pilot", "pilot", {"pilot": ["Uploaded pilot"]}) in links(at)
    assert any(page == "portfolio" for _, page, _ in links(at))
    assert [s.source for s in pilot_history(engine, "Uploaded pilot")] == ["excel"]
    assert pilot_history(engine, "Broken pilot") == []
    # The same file again: already present, nothing written.
    at.button(key="upload.confirm").click().run()
    assert "already present" in texts(at.info)
    assert count_rows(engine)["snapshot"] == before + 1


def three_problem_workbook() -> bytes:
    """A filled template with a problem on each sheet: a date in words (Pilot), an answer that is not one
    (Checklist) and six signals of five (Metrics)."""
    book = openpyxl.load_workbook(io.BytesIO(filled_workbook(sample_assessment("Three problems"))))
    for row in book["Pilot"].iter_rows():
        if row[0].value == "Pilot start date":
            row[1].value = "last spring"
    for sheet, metric_or_question, value in (("Checklist", "DATA-1", "Maybe"),
                                             ("Metrics", "monitoring.signals_tracked", 6)):  # fmt: skip
        row = next(r for r in book[sheet].iter_rows() if r[0].value == metric_or_question)
        row[4].value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_with_three_problems_shows_all_three_at_once(empty_db: str) -> None:
    at = open_page("upload")
    at.file_uploader(key="upload.files").set_value([("three.xlsx", three_problem_workbook(), XLSX)]).run()
    assert "✕ 3 errors" in texts(at.markdown)
    issues = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert sorted(issues["sheet"]) == ["Checklist", "Metrics", "Pilot"]
    assert "must be between 0 and 5" in " ".join(issues["message"])
    assert at.button(key="upload.confirm").disabled
    assert count_rows(engine_of(empty_db))["snapshot"] == 0


def test_names_are_shown_as_typed_not_as_markdown(empty_db: str) -> None:
    """A file name with Markdown in it reads as typed: its marks are escaped, never rendered."""
    at = open_page("upload")
    name = "**bold** :red[x] - q3.xlsx"
    at.file_uploader(key="upload.files").set_value([(name, filled_workbook(sample_assessment()), XLSX)]).run()
    assert plain("**bold** :red[x] - q3.xlsx") in texts(at.markdown), "escaped: shown exactly as typed"


def test_uploading_many_files_at_once_including_json(empty_db: str) -> None:
    at = open_page("upload")
    files = [(f"p{i}.xlsx", filled_workbook(sample_assessment(f"Pilot {i}")), XLSX) for i in range(3)]
    files.append(("p3.json", assessment_json(sample_assessment("Pilot 3")), "application/json"))
    at.file_uploader(key="upload.files").set_value(files).run()
    confirm = at.button(key="upload.confirm")
    assert confirm.label == "Import 4 valid files (4 assessments)"
    confirm.click().run()
    assert "Imported 4 new snapshots" in texts(at.success)
    engine = engine_of(empty_db)
    assert [p.context.name for p in list_pilots(engine)] == [f"Pilot {i}" for i in range(4)]
    assert pilot_history(engine, "Pilot 3")[0].source == "app"
    # Another set of files: the previous import's outcome is not shown beside them.
    at.file_uploader(key="upload.files").set_value([files[0]]).run()
    assert not at.success


def test_only_invalid_files_cannot_be_confirmed(empty_db: str) -> None:
    at = open_page("upload")
    bad = filled_workbook(sample_assessment(), bad_metric=True)
    at.file_uploader(key="upload.files").set_value([("bad.xlsx", bad, XLSX), ("notes.json", b"{oops", "x")]).run()
    assert at.button(key="upload.confirm").disabled
    assert "not valid JSON" in " ".join(at.dataframe[1].value["message"])
    assert count_rows(engine_of(empty_db))["snapshot"] == 0


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def test_export_on_an_empty_database_greets_with_the_ways_to_start(empty_db: str) -> None:
    at = open_page("export")
    assert "holds no assessment yet" in texts(at.info)
    assert "export.build_button" not in [b.key for b in at.button]


def test_export_builds_only_when_asked_then_offers_both_files(demo_db: str) -> None:
    at = open_page("export")
    assert [b.key for b in at.get("download_button")] == []
    at.button(key="export.build_button").click().run()
    pilots = len(list_pilots(engine_of(demo_db)))
    assert f"Ready: {pilots} snapshots of {pilots} pilots (each pilot's latest snapshot, as of today)." in texts(
        at.success
    )
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["Download the workbook (.xlsx)", "Download the CSV"]
    # Changing the options hides the stale build until it is rebuilt.
    at.toggle(key="export.history").set_value(True).run()
    assert not at.get("download_button")
    at.button(key="export.build_button").click().run()
    total = len(demo_assessments())
    assert f"Ready: {total} snapshots of {pilots} pilots (every snapshot, as of today)." in texts(at.success)


def test_export_downloads_survive_other_clicks(demo_db: str) -> None:
    at = open_page("export")
    at.button(key="export.build_button").click().run()
    table_downloads = ["Download the workbook (.xlsx)", "Download the CSV"]
    assert [d.proto.label for d in at.get("download_button")] == table_downloads
    at.toggle(key="export.pack.dated").set_value(True).run()
    assert [d.proto.label for d in at.get("download_button")] == table_downloads
    at.toggle(key="export.pack.dated").set_value(False).run()
    at.multiselect(key="export.pack_pilots").set_value(["Claims triage"]).run()
    at.button(key="export.pack_button").click().run()
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels[:2] == table_downloads and "Download the deck (.pptx)" in labels


def test_export_as_of_a_date_before_any_snapshot_warns(demo_db: str) -> None:
    at = open_page("export")
    at.toggle(key="export.table.dated").set_value(True).run()
    at.date_input(key="export.table.as_of").set_value(date(2000, 1, 1)).run()
    at.button(key="export.build_button").click().run()
    # Escaped: the problem can name a pilot (user text).
    assert plain("no snapshot on or before 2000-01-01") in texts(at.warning)
    assert not at.get("download_button")


def test_export_honours_the_sidebar_filters(demo_db: str) -> None:
    engine = engine_of(demo_db)
    finance = sorted(s.assessment.pilot.name for s in latest_assessments(engine)
                     if s.assessment.pilot.business_unit == "Finance")  # fmt: skip
    assert 0 < len(finance) < len(list_pilots(engine))
    at = open_page("export", bu="Finance")
    assert "Filtered in the sidebar" in texts(at.caption)
    assert sorted(at.multiselect(key="export.pack_pilots").options) == finance
    at.button(key="export.build_button").click().run()
    built = at.session_state["export.built"]
    (scope,) = {scope for (name, scope) in built if name == "xlsx"}
    assert sorted(scope.within) == finance
    assert sorted(portfolio_sheet_pilots(built[("xlsx", scope)][0])) == finance


def portfolio_sheet_pilots(data: bytes) -> list[str]:
    """The pilot names of a workbook's Portfolio sheet."""
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(data), read_only=True)["Portfolio"]
    rows = sheet.iter_rows(values_only=True)
    column = [str(h).strip().lower() for h in next(rows)].index("pilot name")
    return [row[column] for row in rows if row[column]]


def test_export_selection_rules(demo_db: str) -> None:
    engine = engine_of(demo_db)
    everything = demo_assessments()

    def chosen(**scope) -> list:
        return ExportRequest(engine, ExportScope(**scope)).assessments()

    assert len(chosen()) == len(latest_assessments(engine))
    assert len(chosen(history=True)) == len(everything)
    cut = date(2026, 6, 1)
    assert len(chosen(as_of=cut, history=True)) == sum(1 for a in everything if a.as_of <= cut)
    assert all(a.as_of <= cut for a in chosen(as_of=cut))
    pair = {"Claims triage", "Invoice matching"}
    assert {a.pilot.name for a in chosen(within=tuple(pair))} == pair


def test_export_builds_the_board_pack_for_the_chosen_pilots(demo_db: str) -> None:
    at = open_page("export")
    chosen = at.multiselect(key="export.pack_pilots")
    assert len(chosen.value) == 8, "eight pilot pages by default"
    assert "Invoice matching" in chosen.value, "ready pilots get pages too (promote, fix and stop in turn)"
    chosen.set_value(["Claims triage", "Invoice matching"]).run()
    at.button(key="export.pack_button").click().run()
    assert not at.exception
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Download the deck (.pptx)" in labels and "Download the report (.html)" in labels
    assert any(label.startswith("Download the charts") for label in labels) or at.info
