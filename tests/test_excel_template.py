"""The self-assessment template: its sheets, styling and validation, prefill, and the LibreOffice round trip."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from excel_helpers import MEASURED_LINE, fill_template, with_measurement

from readiness.assessment import parse_assessment
from readiness.cli.main import cli
from readiness.display import measured_from_text
from readiness.excel import read_workbook
from readiness.excel.layout import CHECKLIST_COLUMNS, METRICS_COLUMNS, PILOT_FIELDS
from readiness.excel.template import GAP_COLOURS, NAVY, template_bytes
from readiness.model import ANSWER_LABELS, load_model
from readiness.scoring import score_assessment

MODEL = load_model()
FIXTURES = Path(__file__).parent / "fixtures" / "excel"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"), reason="LibreOffice is not installed (runs in CI)"
)


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_bytes()))


def header_row(sheet, first: str) -> int:
    return next(row[0].row for row in sheet.iter_rows(max_row=20) if row[0].value == first)


def test_sheets_in_order(book) -> None:
    assert book.sheetnames == ["Instructions", "Pilot", "Checklist", "Metrics"]
    assert book.active.title == "Pilot"


@pytest.mark.parametrize(
    ("sheet", "columns"),
    [("Pilot", ("Field", "Value", "Help")), ("Checklist", CHECKLIST_COLUMNS), ("Metrics", METRICS_COLUMNS)],
)
def test_styled_frozen_headers_and_readable_widths(book, sheet: str, columns: tuple[str, ...]) -> None:
    ws = book[sheet]
    row = header_row(ws, columns[0])
    cells = [ws.cell(row, i + 1) for i in range(len(columns))]
    assert [c.value for c in cells] == list(columns)
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith(NAVY) for c in cells)
    assert ws.freeze_panes in (f"A{row + 1}", f"B{row + 1}")
    widths = [ws.column_dimensions[c.column_letter].width for c in cells]
    assert all(w >= 9 for w in widths)
    assert ws.sheet_view.showGridLines is False
    assert ws.cell(1, 1).font.size >= 16  # a title block, as a consultancy deliverable has


def test_checklist_rows_dropdowns_and_gap_bands(book) -> None:
    ws = book["Checklist"]
    first = header_row(ws, "Question ID") + 1
    rows = {ws.cell(r, 1).value: r for r in range(first, first + len(MODEL.questions))}
    assert set(rows) == {q.id for q in MODEL.questions}
    lists: dict[str, str] = {}
    for validation in ws.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            for (cell,) in ws[cell_range.coord] if ":" in cell_range.coord else ((ws[cell_range.coord],),):
                lists[cell.coordinate] = validation.formula1
    for question in MODEL.questions:
        row = rows[question.id]
        expected = '"Yes,No,Not sure"' if question.core else '"Yes,No,Not sure,N/A"'
        assert lists[f"E{row}"] == expected, question.id
        band, accent = GAP_COLOURS[question.gap]
        assert ws.cell(row, 2).fill.fgColor.rgb.endswith(band)
        assert ws.cell(row, 1).font.color.rgb.endswith(accent)
        assert ws.cell(row, 3).value == ("Core" if question.core else "Deeper")
        assert ws.cell(row, 4).value == question.text
    assert len(ws.conditional_formatting) >= 1


def _validations(ws) -> dict[str, object]:
    found = {}
    for validation in ws.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            found[cell_range.coord] = validation
    return found


def metric_column(name: str) -> int:
    """The 1-based column of a Metrics header."""
    return METRICS_COLUMNS.index(name) + 1


def test_metric_values_validated_by_type_and_range_with_unit_and_anchors(book) -> None:
    ws = book["Metrics"]
    first = header_row(ws, "Metric ID") + 1
    validations = _validations(ws)
    for row in range(first, first + len(MODEL.metrics)):
        metric = MODEL.metric_by_id[ws.cell(row, 1).value]
        assert ws.cell(row, metric_column("Unit")).value == metric.unit
        assert ws.cell(row, metric_column("Green")).value == (metric.green_label or "—")
        assert ws.cell(row, metric_column("Red")).value == (metric.red_label or "—")
        rule = validations[f"E{row}"]
        low, _ = metric.bounds
        if metric.kind == "bool":
            assert (rule.type, rule.formula1) == ("list", '"Yes,No"')
        elif metric.kind == "count":
            assert rule.type == "whole"
        else:
            assert rule.type == "decimal"
        if metric.kind == "percent":
            assert (rule.operator, rule.formula1, rule.formula2) == ("between", "0", "100")
        elif metric.exclusive_minimum:
            assert (rule.operator, rule.formula1) == ("greaterThan", f"{low:g}")
        assert rule.showErrorMessage and rule.error


def test_metrics_sheet_has_an_evidence_column_right_after_value(book) -> None:
    assert METRICS_COLUMNS.index("Evidence") == METRICS_COLUMNS.index("Value") + 1
    ws = book["Metrics"]
    header = header_row(ws, "Metric ID")
    evidence = metric_column("Evidence")
    assert ws.cell(header, evidence).value == "Evidence"
    assert ws.column_dimensions[ws.cell(header, evidence).column_letter].width >= 30
    cells = [ws.cell(row, evidence) for row in range(header + 1, header + 1 + len(MODEL.metrics))]
    assert all(c.value is None and c.fill.fgColor.rgb.endswith("FFF9E5") for c in cells)  # an input cell, blank
    assert "Evidence" in ws.cell(2, 1).value and "self-reported" in ws.cell(2, 1).value


def test_pilot_fields_with_their_validation(book) -> None:
    ws = book["Pilot"]
    first = header_row(ws, "Field") + 1
    labels = [ws.cell(r, 1).value for r in range(first, first + len(PILOT_FIELDS))]
    assert labels == [f.label for f in PILOT_FIELDS]
    validations = _validations(ws)
    stage_row = first + labels.index("Stage")
    assert validations[f"B{stage_row}"].formula1 == '"pilot,scaling,production,paused,retired"'
    date_row = first + labels.index("Assessment date")
    assert validations[f"B{date_row}"].type == "date"
    assert ws.cell(date_row, 2).number_format == "yyyy-mm-dd"


def test_instructions_explain_the_gaps_and_where_to_find_each_metric(book) -> None:
    text = " ".join(str(c.value) for row in book["Instructions"].iter_rows() for c in row if c.value)
    for gap in MODEL.gaps:
        assert gap.label in text and gap.guidance in text
    for metric in MODEL.metrics:
        assert metric.where_to_find in text
    assert "N/A is allowed only on deeper questions" in text
    assert MODEL.version in text


def test_instructions_explain_documented_self_reported_and_measured_values(book) -> None:
    rows = [[str(c.value) for c in row if c.value] for row in book["Instructions"].iter_rows()]
    levels = {row[0]: row[1] for row in rows if len(row) > 1}
    assert "report, dashboard or link" in levels["Documented"] and "Evidence" in levels["Documented"]
    assert "left blank" in levels["Self-reported"]
    assert "evidence file" in levels["Measured"] and "readiness evidence" in levels["Measured"]
    assert "Pilot page" in levels["Measured"] and "never measured" in levels["Measured"]
    assert "In Evidence, name the report, dashboard or link" in levels["4. Metrics"]


def test_prefilled_template_carries_the_last_snapshot_but_not_its_date() -> None:
    last = parse_assessment(EXPECTED)
    prefilled = openpyxl.load_workbook(io.BytesIO(template_bytes(last)))
    pilot = prefilled["Pilot"]
    values = {pilot.cell(r, 1).value: pilot.cell(r, 2).value for r in range(5, 5 + len(PILOT_FIELDS))}
    assert values["Pilot name"] == last.pilot.name
    assert values["Assessment date"] is None and values["Submitted by"] is None
    checklist = prefilled["Checklist"]
    answers = {checklist.cell(r, 1).value: checklist.cell(r, 5).value for r in range(5, 5 + len(MODEL.questions))}
    assert {k: v for k, v in answers.items() if v} == {q: ANSWER_LABELS[a] for q, a in last.answers.items()}
    # Dated again by the team, the prefilled template reads back as the same content on the new date.
    pilot.cell(5 + [f.key for f in PILOT_FIELDS].index("as_of"), 2).value = date(2026, 11, 15)
    buffer = io.BytesIO()
    prefilled.save(buffer)
    (again,) = read_workbook(buffer.getvalue(), "prefilled.xlsx").assessments
    assert again.model_copy(update={"as_of": last.as_of, "submitted_by": last.submitted_by}) == last


def test_prefilled_metric_evidence_and_a_measurement_come_back_documented() -> None:
    """A typed value's reference is prefilled as it is; a measured value's Evidence cell describes the
    measurement, so the re-imported template gives a documented value, never a forged "measured"."""
    data = EXPECTED | {"evidence": EXPECTED["evidence"] | {"trust.adoption_rate": "Usage dashboard, Oct 2026"}}
    last = with_measurement(data, "scale.p95_latency_s")
    assert measured_from_text(last.measurements["scale.p95_latency_s"].provenance) == MEASURED_LINE
    prefilled = openpyxl.load_workbook(io.BytesIO(template_bytes(last)))
    metrics = prefilled["Metrics"]
    first = header_row(metrics, "Metric ID") + 1
    cells = {
        metrics.cell(r, 1).value: metrics.cell(r, metric_column("Evidence")).value
        for r in range(first, first + len(MODEL.metrics))
    }
    assert {k: v for k, v in cells.items() if v} == {
        "trust.adoption_rate": "Usage dashboard, Oct 2026",
        "scale.p95_latency_s": MEASURED_LINE,
    }
    pilot = prefilled["Pilot"]
    pilot.cell(5 + [f.key for f in PILOT_FIELDS].index("as_of"), 2).value = date(2026, 11, 15)
    buffer = io.BytesIO()
    prefilled.save(buffer)
    report = read_workbook(buffer.getvalue(), "prefilled.xlsx")
    assert report.ok and report.warnings == [], report.issues
    (again,) = report.assessments
    assert again.measurements == {}
    assert again.metrics == last.metrics
    assert again.evidence == last.evidence | {"scale.p95_latency_s": MEASURED_LINE}
    before = {i.id: i.evidence for g in score_assessment(last).gaps.values() for i in g.items}
    after = {i.id: i.evidence for g in score_assessment(again).gaps.values() for i in g.items}
    assert before["scale.p95_latency_s"] == "measured" and after["scale.p95_latency_s"] == "documented"
    assert after["trust.adoption_rate"] == "documented"
    assert after["data.production_sample_share"] == "self_reported"


def test_user_text_is_never_a_formula_in_the_template() -> None:
    evidence = {"DATA-1": "=1+1", "GOV-1": "@SUM(A1)", "trust.adoption_rate": '=HYPERLINK("http://x","y")'}
    hostile = parse_assessment(EXPECTED | {"evidence": evidence})
    data = template_bytes(hostile)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for name in ("Checklist", "Metrics") for row in book[name].iter_rows() for c in row]
    cells = [c for c in cells if c.value in evidence.values()]
    assert len(cells) == 3 and all(c.data_type == "s" for c in cells)


def test_cli_template_writes_a_blank_template(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(cli, ["template", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == ["Instructions", "Pilot", "Checklist", "Metrics"]
    wrong = CliRunner().invoke(cli, ["template", str(tmp_path / "t.xls")])
    assert wrong.exit_code == 2 and "OUT" in wrong.output
    missing = CliRunner().invoke(cli, ["template", str(tmp_path / "nowhere" / "t.xlsx")])
    assert missing.exit_code == 2 and "no such folder" in missing.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_cli_template_prefilled_from_the_store(sqlite_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    source = tmp_path / "a.json"
    source.write_text(json.dumps(EXPECTED), encoding="utf-8")
    assert runner.invoke(cli, ["import", str(source), "--db", sqlite_url]).exit_code == 0
    out = tmp_path / "prefilled.xlsx"
    result = runner.invoke(cli, ["template", str(out), "--pilot", EXPECTED["pilot"]["name"], "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out)["Pilot"]["B5"].value == EXPECTED["pilot"]["name"]
    unknown = runner.invoke(cli, ["template", str(tmp_path / "x.xlsx"), "--pilot", "Claims", "--db", sqlite_url])
    assert unknown.exit_code == 2
    assert "no pilot named 'Claims'" in unknown.output and "Claims triage (Zürich)" in unknown.output
    assert not (tmp_path / "x.xlsx").exists()


@needs_libreoffice
def test_acceptance_template_filled_by_script_and_saved_by_libreoffice_scores_as_the_json(tmp_path: Path) -> None:
    runner = CliRunner()
    template = tmp_path / "t.xlsx"
    assert runner.invoke(cli, ["template", str(template)]).exit_code == 0
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_template(template.read_bytes(), EXPECTED, percent_formatted=("trust.adoption_rate",)))
    resaved = tmp_path / "lo"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
         "xlsx:Calc MS Excel 2007 XML", "--outdir", str(resaved), str(filled)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    as_json = tmp_path / "a.json"
    as_json.write_text(json.dumps(EXPECTED), encoding="utf-8")
    from_workbook = runner.invoke(cli, ["score", str(resaved / "filled.xlsx"), "--json"])
    from_json = runner.invoke(cli, ["score", str(as_json), "--json"])
    assert from_workbook.exit_code == 0, from_workbook.output
    assert json.loads(from_workbook.output) == json.loads(from_json.output)
