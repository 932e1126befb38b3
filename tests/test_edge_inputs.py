"""Smaller edges of input and output: a pilot name holding a comma can be exported, a workbook of many sheets
gets a one-line message, and an evidence note never has to be cut to fit a template cell."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from readiness.assessment import MAX_EVIDENCE_CHARS, parse_assessment
from readiness.cli.main import cli
from readiness.errors import InvalidInput
from readiness.excel.export import MAX_CELL_TEXT
from readiness.service.intake import validate_file
from readiness.store import add_assessment, make_engine, migrate
from tests.factories import assessment_data, build


def test_export_selects_a_pilot_whose_name_holds_a_comma(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    migrate(engine)
    add_assessment(engine, build(name="Claims, EMEA"))
    add_assessment(engine, build(name="Fraud alerts"))
    engine.dispose()
    out = tmp_path / "one.xlsx"
    result = CliRunner().invoke(cli, ["export", "xlsx", str(out), "--pilot", "Claims, EMEA", "--db", url])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out, read_only=True)["Portfolio"]
    names = {row[0] for row in sheet.iter_rows(values_only=True)}
    assert "Claims, EMEA" in names and "Fraud alerts" not in names
    # --pilots still splits on commas: the same name there is two unknown pilots, refused by name.
    split = CliRunner().invoke(cli, ["export", "xlsx", str(out), "--pilots", "Claims, EMEA", "--db", url])
    assert split.exit_code == 2 and "no pilot named 'EMEA'" in split.output


def test_a_workbook_of_many_sheets_gets_a_one_line_message() -> None:
    book = openpyxl.Workbook()
    book.active.title = "Sheet 0"
    for k in range(1, 300):
        book.create_sheet(f"Sheet {k}")
    data = io.BytesIO()
    book.save(data)
    report = validate_file("many.xlsx", data.getvalue())
    assert not report.ok
    message = report.issues[0].message
    assert "and 292 more" in message
    assert len(message) < 600 and "\n" not in message


def test_an_evidence_note_longer_than_a_cell_is_refused_naming_its_field() -> None:
    assert MAX_EVIDENCE_CHARS < MAX_CELL_TEXT  # so a prefilled template never cuts one
    data = assessment_data()
    data["evidence"] = {"DATA-1": "x" * (MAX_EVIDENCE_CHARS + 1)}
    with pytest.raises(InvalidInput, match=r"evidence\.DATA-1: is 32,001 characters long"):
        parse_assessment(data)
    data["evidence"] = {"DATA-1": "x" * MAX_EVIDENCE_CHARS}
    assert parse_assessment(data).evidence["DATA-1"] == "x" * MAX_EVIDENCE_CHARS
