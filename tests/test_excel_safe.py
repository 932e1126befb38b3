"""Safe reading: the hostile corpus, bounded memory, and arbitrary bytes never escaping as a crash."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from excel_corpus import corpus, corpus_names, far_cell, million_rows, portfolio_rows, valid_portfolio
from excel_helpers import raw_xlsx, simple_sheet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.cli.main import cli
from readiness.errors import InvalidInput
from readiness.excel import read_workbook, read_workbook_assessments
from readiness.excel.safe import (
    Limits,
    cell_ref,
    column_index,
    column_letter,
    ensure_defusedxml,
    is_percent_format,
    scan_workbook,
)
from readiness.excel.template import template_bytes

ROOT = Path(__file__).resolve().parents[1]  # where a child process finds the tests package

MEMORY_LIMIT_MB = 500
Corpus = dict[str, tuple[bytes, str | None]]


@pytest.fixture(scope="module")
def hostile() -> Corpus:
    """The hostile corpus, built when the first test needs it, not at collection (it takes seconds)."""
    return corpus()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, hostile: Corpus) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, (data, _) in hostile.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("name", corpus_names())
def test_each_hostile_file_gives_a_clear_error_or_a_safe_import(name: str, hostile: Corpus) -> None:
    data, expected = hostile[name]
    report = read_workbook(data, name)
    if expected is None:
        assert report.ok, report.issues
        assert report.assessments
    else:
        assert not report.assessments
        assert report.errors
        assert expected in report.errors[0].message or any(expected in i.message for i in report.errors)


@pytest.mark.parametrize("name", corpus_names())
def test_the_cli_exits_2_naming_the_problem(name: str, corpus_dir: Path, hostile: Corpus) -> None:
    _, expected = hostile[name]
    before = sorted(p.name for p in corpus_dir.iterdir())
    result = CliRunner().invoke(cli, ["score", str(corpus_dir / name)])
    assert sorted(p.name for p in corpus_dir.iterdir()) == before  # nothing written
    if expected is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2, result.output
        assert expected in result.output
        assert "Traceback" not in result.output


def test_the_whole_corpus_stays_under_500_mb_in_a_fresh_process(corpus_dir: Path, hostile: Corpus) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from tests.peak_memory import own_peak_mb
        from readiness.errors import InvalidInput
        from readiness.service.intake import validate_path
        results = {}
        for path in sorted(Path(sys.argv[1]).iterdir()):
            try:
                results[path.name] = f"ok {len(validate_path(path).raise_for_errors())}"
            except InvalidInput as problem:
                results[path.name] = problem.summary()
        print(json.dumps({"results": results, "peak_mb": own_peak_mb()}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(corpus_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["peak_mb"] < MEMORY_LIMIT_MB, report
    for name, (_, expected) in hostile.items():
        outcome = report["results"][name]
        assert outcome.startswith("ok") if expected is None else expected in outcome, (name, outcome)


def test_the_million_row_sheet_is_refused_at_the_row_limit_without_reading_it_all() -> None:
    limits = Limits(max_rows=1_000)
    with pytest.raises(InvalidInput, match="more than 1,000 rows"):
        scan_workbook(million_rows(), "big.xlsx", limits)


def test_a_lying_dimension_tag_is_not_trusted(hostile: Corpus) -> None:
    scanned = scan_workbook(hostile["lying_dimension.xlsx"][0], "dim.xlsx")
    sheet = scanned.sheets["Portfolio"]
    assert (sheet.rows, sheet.columns) == (3, len(portfolio_rows()[0]))


def test_a_stray_far_cell_never_reaches_the_parser() -> None:
    # calamine would allocate the rectangle up to the cell (and abort the process): the scan stops first.
    with pytest.raises(InvalidInput, match="column XFD"):
        read_workbook_assessments(far_cell("XFD2"), "far.xlsx")


def test_defusedxml_is_active() -> None:
    ensure_defusedxml()
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML


def test_scan_records_formulas_without_value_errors_and_percent_cells() -> None:
    rows = [["Metric ID", "Value"], ["trust.adoption_rate", 0.45], ["data.duplicate_rate", 1]]
    sheet, strings = simple_sheet(rows)
    sheet = sheet.replace('<c r="B2"><v>0.45</v></c>', '<c r="B2" s="3"><v>0.45</v></c>')
    sheet = sheet.replace("</sheetData>", '<row r="4"><c r="A4"><f>1/0</f><v></v></c><c r="B4" t="e"><v>#DIV/0!</v>')
    sheet = sheet.replace('<c r="B4" t="e"><v>#DIV/0!</v>', '<c r="B4" t="e"><v>#DIV/0!</v></c></row></sheetData>')
    sheet = sheet.replace("</sheetData>", '<row r="5"><c r="A5" t="str"><f>""</f><v></v></c></row></sheetData>')
    scanned = scan_workbook(raw_xlsx({"Metrics": sheet}, strings), "x.xlsx")
    scan = scanned.sheets["Metrics"]
    assert scan.percent_cells == {(1, 1)}
    assert scan.formula_cells == {(3, 0)}
    assert scan.error_cells == {(3, 1): "#DIV/0!"}


@pytest.mark.parametrize(
    ("code", "percent"),
    [("0%", True), ("0.0%", True), ('0.0"%"', False), ("0\\%", False), ("[Red]0%", True), ("#,##0", False)],
)
def test_percent_number_formats(code: str, percent: bool) -> None:
    assert is_percent_format(code) is percent


def test_cell_references() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    assert all(column_index(column_letter(i)) == i for i in range(0, 20000, 7))
    assert cell_ref("Metrics", 6, 4) == "Metrics!E7"
    assert cell_ref("My sheet", 0, 0) == "'My sheet'!A1"


def test_calamine_rows_and_columns_line_up_with_the_scan() -> None:
    # calamine pads rows from the top but trims leading columns: the reader relies on that mapping.
    sheet, strings = simple_sheet([[None, None, None], [None, None, None], [None, None, "Pilot name"]])
    report = read_workbook(raw_xlsx({"Portfolio": sheet}, strings), "offset.xlsx")
    assert any("Assessment date" in i.message or "header" in i.message for i in report.errors)
    rows = portfolio_rows()
    shifted = [[None, None, *row] for row in ([[None] * len(rows[0])] * 2 + rows)]
    sheet, strings = simple_sheet(shifted)
    report = read_workbook(raw_xlsx({"Portfolio": sheet}, strings), "offset.xlsx")
    assert report.ok, report.issues
    assert [a.pilot.name for a in report.assessments] == ["Pilot 0", "Pilot 1"]
    assert report.assessments[0].metrics == {"trust.adoption_rate": 40.0}


# ------------------------------------------------------------------------------------------------
# Arbitrary input
# ------------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def blank_template() -> bytes:
    """The blank template, built on first use (not at collection)."""
    return template_bytes()


def _only_invalid_input(data: bytes) -> None:
    try:
        read_workbook_assessments(data, "fuzz.xlsx")
    except InvalidInput as problem:
        assert problem.issues
        assert all(i.message for i in problem.issues)


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_raise_nothing_but_invalid_input(data: bytes) -> None:
    _only_invalid_input(data)
    _only_invalid_input(b"PK\x03\x04" + data)
    report = read_workbook(data, "fuzz.xlsx")
    assert report.errors and not report.assessments


@FUZZ
@given(st.data())
def test_damaged_workbooks_raise_nothing_but_invalid_input(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from([valid_portfolio(), blank_template()]))
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(damaged) // 2, len(damaged)))
    _only_invalid_input(bytes(damaged[:cut]))


@FUZZ
@given(st.data())
def test_mangled_sheet_xml_raises_nothing_but_invalid_input(data: st.DataObject) -> None:
    # Mangle the XML itself and zip it properly, so that the parsers (not the CRC) meet the damage.
    with zipfile.ZipFile(io.BytesIO(valid_portfolio())) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    target = data.draw(st.sampled_from(sorted(parts)))
    text = bytearray(parts[target])
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, max(len(text) - 1, 0)))
        text[position : position + 1] = data.draw(st.sampled_from([b"<", b">", b'"', b"", b"&", b"\x00", b"r", b"9"]))
    parts[target] = bytes(text)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    _only_invalid_input(buffer.getvalue())


def test_the_fuzz_seeds_reach_the_reader() -> None:
    # The mutations above start from workbooks the reader fully reads, not from files refused up front.
    assert read_workbook(valid_portfolio(), "valid.xlsx").ok
    blank = read_workbook(blank_template(), "template.xlsx")
    assert blank.kind == "template"
    assert {i.message for i in blank.errors} == {"Pilot name is required", "Assessment date is required"}
