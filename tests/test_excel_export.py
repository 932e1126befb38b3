"""Portfolio exports: injection-safe xlsx and CSV, and export → import giving back the same scores."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from excel_corpus import INJECTIONS
from excel_helpers import MEASURED_LINE, with_measurement
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness import display
from readiness.assessment import (
    STAGES,
    Assessment,
    PilotContext,
    name_key,
    normalise_name,
    parse_assessment,
    script_problem,
)
from readiness.cli.main import cli
from readiness.demo import demo_assessments
from readiness.excel import read_workbook
from readiness.excel.export import (
    csv_safe,
    portfolio_csv_bytes,
    portfolio_csv_text,
    portfolio_headers,
    portfolio_workbook_bytes,
    score_table,
)
from readiness.model import load_model
from readiness.scoring import score_assessment
from readiness.service.exports import export_formats, latest_assessments

MODEL = load_model()
HYPERLINK = '=HYPERLINK("http://x","y")'


def normalised(assessments: list[Assessment]) -> list[Assessment]:
    """Assessments as the core's parser leaves them (metric values as floats), ordered like the export."""
    parsed = [parse_assessment(a.model_dump(mode="json")) for a in assessments]
    return sorted(parsed, key=lambda a: (a.pilot.name.casefold(), a.as_of))


def as_reimported(assessment: Assessment) -> Assessment:
    """What export then import gives back: measured metrics come back documented, the measurement as evidence."""
    if not assessment.measurements:
        return assessment
    lines = {m: display.measured_from_text(x.provenance) for m, x in assessment.measurements.items()}
    return assessment.model_copy(update={"measurements": {}, "evidence": assessment.evidence | lines})


def hostile(name: str = HYPERLINK) -> Assessment:
    """A pilot whose every text field holds a formula-injection string."""
    text = iter(INJECTIONS * 10)
    return Assessment(
        pilot=PilotContext(
            name=name, business_unit=next(text), owning_team=next(text), executive_sponsor=next(text),
            stage="pilot", start_date=date(2026, 1, 1),
        ),
        as_of=date(2026, 10, 1),
        submitted_by=next(text),
        answers={"DATA-1": "yes", "GOV-1": "no"},
        evidence={q.id: next(text) for q in MODEL.questions[:6]} | {"trust.adoption_rate": next(text)},
        metrics={"trust.adoption_rate": 35.0},
    )  # fmt: skip


def sheet_xml(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")}


# ------------------------------------------------------------------------------------------------
# Injection
# ------------------------------------------------------------------------------------------------


def test_xlsx_writes_every_user_string_as_a_string_cell() -> None:
    data = portfolio_workbook_bytes([hostile()])
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheet_xml(data).values())
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    dangerous = [c for c in texts if c.value.startswith(("=", "+", "-", "@", "\t"))]
    assert len(dangerous) >= 10
    assert all(c.data_type == "s" for c in dangerous)
    assert book["Portfolio"]["A2"].value == HYPERLINK
    assert book["Scores"]["A5"].value == HYPERLINK


def test_xlsx_injection_strings_import_back_as_the_same_text() -> None:
    (back,) = read_workbook(portfolio_workbook_bytes([hostile()]), "x.xlsx").assessments
    assert back == normalised([hostile()])[0]


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t'=1"),
     ("\r=1", "' =1"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), (3.5, 3.5), (-2, -2)],
)  # fmt: skip
def test_csv_safe(value: object, safe: object) -> None:
    assert csv_safe(value) == safe


def test_csv_prefixes_every_dangerous_cell_and_nothing_else() -> None:
    text = portfolio_csv_text([hostile(), *demo_assessments()[:3]])
    rows = list(csv.reader(io.StringIO(text)))
    header, cells = rows[0], [cell for row in rows[1:] for cell in row]
    assert rows[1][header.index("Pilot name")] == "'" + HYPERLINK
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    for injection in INJECTIONS:
        assert "'" + injection.strip() in cells  # the model strips surrounding whitespace
    numbers = [rows[i][header.index("Overall readiness")] for i in range(1, len(rows))]
    assert all(float(n) >= 0 for n in numbers)


def test_csv_is_utf8_with_a_bom_for_excel() -> None:
    data = portfolio_csv_bytes([hostile("Zürich ☂")])
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Zürich ☂" in data.decode("utf-8-sig")


def test_text_an_xlsx_cannot_hold_is_made_safe() -> None:
    # A name stored before the input rules refused control characters: the export still makes it safe.
    base = hostile()
    legacy = base.pilot.model_copy(update={"name": "Bell\x07pilot"})
    odd = base.model_copy(update={"pilot": legacy, "evidence": {"DATA-1": "x" * 40_000}})
    book = openpyxl.load_workbook(io.BytesIO(portfolio_workbook_bytes([odd])))
    assert book["Portfolio"]["A2"].value == "Bell\ufffdpilot"
    evidence = book["Portfolio"].cell(2, portfolio_headers().index("DATA-1 evidence") + 1).value
    assert len(evidence) == 32_767 and evidence.endswith("…")


# ------------------------------------------------------------------------------------------------
# Round trip
# ------------------------------------------------------------------------------------------------

SCORE_COLUMNS = ["overall", "overall_confidence", "verdict", "weakest_gap", "open_core", "active_edges"]
SCORE_COLUMNS += [f"score.{g.id}" for g in MODEL.gaps] + [f"confidence.{g.id}" for g in MODEL.gaps]


def same_scores(a: list[Assessment], b: list[Assessment]) -> None:
    left, right = score_table(a, MODEL)[SCORE_COLUMNS], score_table(b, MODEL)[SCORE_COLUMNS]
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True))


def test_demo_portfolio_exports_and_imports_with_the_same_scores() -> None:
    original = normalised(demo_assessments())
    report = read_workbook(portfolio_workbook_bytes(original), "demo.xlsx")
    assert report.ok and report.kind == "portfolio" and report.warnings == []
    expected = [as_reimported(a) for a in original]
    assert [a.content_hash() for a in report.assessments] == [a.content_hash() for a in expected]
    same_scores(expected, report.assessments)


def test_scores_sheet_shows_the_vectorised_scores() -> None:
    original = normalised(demo_assessments())
    book = openpyxl.load_workbook(io.BytesIO(portfolio_workbook_bytes(original)))
    ws = book["Scores"]
    header = [c.value for c in ws[4]]
    scored = score_table(original, MODEL)
    overall = [ws.cell(r, header.index("Overall readiness") + 1).value for r in range(5, 5 + len(original))]
    # Written rounded down to the one decimal the sheet shows (the display rule), never rounded up.
    assert overall == [display.floor_to(v, 1) for v in scored["overall"]]
    verdicts = {ws.cell(r, header.index("Verdict") + 1).value for r in range(5, 5 + len(original))}
    assert verdicts <= {"Ready", "Conditional", "Not ready"}
    assert ws.freeze_panes == "B5"


def test_legend_names_every_portfolio_column() -> None:
    book = openpyxl.load_workbook(io.BytesIO(portfolio_workbook_bytes(demo_assessments()[:2])))
    legend = {row[0].value: row[1].value for row in book["Legend"].iter_rows(min_row=2)}
    headers = set(portfolio_headers())
    assert {h for h in headers if not h.endswith(" evidence")} <= set(legend)
    assert "documented" in legend["<question ID> evidence"]
    assert "self-reported" in legend["<metric ID> evidence"] and "measured from" in legend["<metric ID> evidence"]


def test_metric_evidence_columns_follow_the_question_evidence_columns() -> None:
    headers = portfolio_headers()
    question_evidence = [f"{q.id} evidence" for q in MODEL.questions]
    metric_evidence = [f"{m.id} evidence" for m in MODEL.metrics]
    assert headers[-len(metric_evidence) - len(question_evidence) :] == question_evidence + metric_evidence


def test_a_measured_metric_exports_its_measurement_and_imports_back_as_documented() -> None:
    documented = "Usage dashboard, Oct 2026"
    data = json.loads(json.dumps(demo_assessments()[0].model_dump(mode="json")))
    data["metrics"] |= {"scale.p95_latency_s": 2.4, "trust.adoption_rate": 35.0, "trust.override_rate": 10.0}
    data["evidence"] = {k: v for k, v in data["evidence"].items() if k not in data["metrics"]}
    data["evidence"] |= {"trust.adoption_rate": documented}
    measured = with_measurement(data, "scale.p95_latency_s")
    book = openpyxl.load_workbook(io.BytesIO(portfolio_workbook_bytes([measured])))
    headers = portfolio_headers()
    row = {h: book["Portfolio"].cell(2, i + 1).value for i, h in enumerate(headers)}
    assert row["scale.p95_latency_s evidence"] == MEASURED_LINE
    assert row["trust.adoption_rate evidence"] == documented
    assert row["trust.override_rate evidence"] is None
    text = portfolio_csv_text([measured])
    (record,) = csv.DictReader(io.StringIO(text))
    assert record["scale.p95_latency_s evidence"] == MEASURED_LINE
    assert record["trust.adoption_rate evidence"] == documented
    assert record["trust.override_rate evidence"] == ""
    (back,) = read_workbook(portfolio_workbook_bytes([measured]), "measured.xlsx").assessments
    assert back == as_reimported(measured)
    assert back.evidence == measured.evidence | {"scale.p95_latency_s": MEASURED_LINE}
    items = {i.id: i for g in score_assessment(back).gaps.values() for i in g.items}
    assert items["scale.p95_latency_s"].evidence == items["trust.adoption_rate"].evidence == "documented"
    assert items["trust.override_rate"].evidence == "self_reported"
    # The same scores, but for confidence: measured counts more than documented.
    scores = ["overall", "verdict", "open_core"] + [f"score.{g.id}" for g in MODEL.gaps]
    pd.testing.assert_frame_equal(score_table([measured], MODEL)[scores], score_table([back], MODEL)[scores])


# Text the input rules accept: no control, format (bidirectional, zero-width) or line-separator character.
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s.strip())
# A pilot name as stored: normalised already, in one script.
NAME = TEXT.filter(lambda s: normalise_name(s) == s and not script_problem(s))


def metric_values(metric) -> st.SearchStrategy:
    if metric.kind == "bool":
        return st.booleans()
    low, high = metric.bounds
    low = 0.0 if low is None else low
    high = 1e6 if high is None else high
    if metric.kind == "count":
        return st.integers(int(low), int(min(high, 10_000))).map(float)
    floor = 1e-6 if metric.exclusive_minimum else low
    return st.floats(floor, high, allow_nan=False, allow_infinity=False)


@st.composite
def portfolios(draw) -> list[Assessment]:
    names = draw(st.lists(NAME | st.sampled_from(INJECTIONS[:4]), min_size=1, max_size=4, unique_by=name_key))
    snapshots = []
    for name in names:
        dates = draw(st.lists(st.dates(date(2020, 1, 1), date.today()), min_size=1, max_size=3, unique=True))
        start = draw(st.none() | st.dates(date(2015, 1, 1), min(dates)))
        for as_of in dates:
            answers = {}
            for question in MODEL.questions:
                options = ["yes", "no", "not_sure"] + ([] if question.core else ["n_a"])
                answer = draw(st.none() | st.sampled_from(options))
                if answer:
                    answers[question.id] = answer
            evidence = {q: draw(TEXT) for q in answers if draw(st.booleans())}
            metrics = {m.id: draw(metric_values(m)) for m in MODEL.metrics if draw(st.booleans())}
            evidence |= {m: draw(TEXT) for m in metrics if draw(st.booleans())}
            pilot = PilotContext(
                name=name,
                business_unit=draw(st.none() | TEXT),
                stage=draw(st.sampled_from(STAGES)),
                start_date=start,
                expected_annual_value=draw(st.none() | st.floats(0, 1e9, allow_nan=False)),
                peak_concurrent_users=draw(st.none() | st.integers(0, 10**6)),
            )
            submitted = draw(st.none() | TEXT)
            snapshots.append(
                Assessment(pilot=pilot, as_of=as_of, submitted_by=submitted, answers=answers, evidence=evidence,
                           metrics=metrics)
            )  # fmt: skip
    return snapshots


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(portfolios())
def test_round_trip_property_export_then_import_gives_the_same_assessments_and_scores(
    snapshots: list[Assessment],
) -> None:
    original = normalised(snapshots)
    report = read_workbook(portfolio_workbook_bytes(original), "property.xlsx")
    assert report.ok, report.issues
    assert [a.content_hash() for a in report.assessments] == [a.content_hash() for a in original]
    same_scores(original, report.assessments)


# ------------------------------------------------------------------------------------------------
# The registry and the CLI
# ------------------------------------------------------------------------------------------------


def test_latest_per_pilot_and_the_registry() -> None:
    demo = demo_assessments()
    latest = latest_assessments(demo)
    assert len(latest) == len({a.pilot.name for a in demo})
    for snapshot in latest:
        assert snapshot.as_of == max(a.as_of for a in demo if a.pilot.name == snapshot.pilot.name)
    assert {"xlsx", "csv", "deck", "html", "png", "svg", "charts"} <= {f.name for f in export_formats()}


@pytest.fixture
def store_with_hostile_pilot(demo_database_copy: str, tmp_path: Path) -> str:
    sqlite_url = demo_database_copy  # the session's demo store, copied: this test adds a pilot (conftest.py)
    runner = CliRunner()
    source = tmp_path / "hostile.json"
    source.write_text(json.dumps(hostile().model_dump(mode="json")), encoding="utf-8")
    result = runner.invoke(cli, ["import", str(source), "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    return sqlite_url


def test_cli_acceptance_hyperlink_pilot_is_a_string_cell_and_an_apostrophe(
    store_with_hostile_pilot: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    xlsx, out_csv = tmp_path / "p.xlsx", tmp_path / "p.csv"
    assert runner.invoke(cli, ["export", "xlsx", str(xlsx), "--db", store_with_hostile_pilot]).exit_code == 0
    assert runner.invoke(cli, ["export", "csv", str(out_csv), "--db", store_with_hostile_pilot]).exit_code == 0
    portfolio = openpyxl.load_workbook(xlsx)["Portfolio"]
    cell = next(c for (c,) in portfolio.iter_rows(min_col=1, max_col=1) if c.value == HYPERLINK)
    assert cell.data_type == "s"
    assert not any(b"<f>" in xml for xml in sheet_xml(xlsx.read_bytes()).values())
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in rows if HYPERLINK in row[0]] == ["'" + HYPERLINK]


def test_cli_export_then_import_is_already_present(store_with_hostile_pilot: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "history.xlsx"
    result = runner.invoke(cli, ["export", "xlsx", str(out), "--history", "--db", store_with_hostile_pilot])
    assert result.exit_code == 0, result.output
    assert "every snapshot of 17 pilots" in result.output
    again = runner.invoke(cli, ["import", str(out), "--db", store_with_hostile_pilot])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("already present")


def test_cli_export_options_and_errors(store_with_hostile_pilot: str, tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", store_with_hostile_pilot]
    early = tmp_path / "early.csv"
    result = runner.invoke(cli, ["export", "csv", str(early), "--as-of", "2026-03-31", *db])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(early.read_text(encoding="utf-8-sig"))))
    assert rows and all(r["Assessment date"] <= "2026-03-31" for r in rows)
    chosen = tmp_path / "chosen.csv"
    result = runner.invoke(cli, ["export", "csv", str(chosen), "--pilots", "Claims triage", "--history", *db])
    assert result.exit_code == 0, result.output
    names = {r["Pilot name"] for r in csv.DictReader(io.StringIO(chosen.read_text(encoding="utf-8-sig")))}
    assert names == {"Claims triage"}
    before = sorted(p.name for p in tmp_path.iterdir())
    for args, message in [
        (["export", "pdf", str(tmp_path / "x.pdf")], "unknown export format 'pdf'"),
        (["export", "xlsx", str(tmp_path / "x.xlsx"), "--pilots", "Nobody"], "no pilot named 'Nobody'"),
        (["export", "xlsx", str(tmp_path / "no" / "x.xlsx")], "no such folder"),
        (["export", "xlsx", str(tmp_path / "x.xlsx"), "--as-of", "1990-01-01"], "no snapshot on or before"),
    ]:
        failed = runner.invoke(cli, [*args, *db])
        assert failed.exit_code == 2, failed.output
        assert message in failed.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    help_text = runner.invoke(cli, ["export", "--help"]).output
    assert "xlsx" in help_text and "csv" in help_text


def test_bench_import_reports_both_timings_on_a_small_workbook() -> None:
    from readiness.excel import bench_import
    from readiness.excel.bench import bench_workbook

    assert len(read_workbook(bench_workbook(25), "bench.xlsx").assessments) == 25
    figures = bench_import(n_rows=20, runs=1)
    assert figures["rows"] == 20 and figures["runs"] == 1
    assert figures["import_s"] >= figures["validate_s"] > 0
    assert figures["pandas_openpyxl_s"] > 0
