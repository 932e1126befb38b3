"""The core CLI through the installed console script, in a subprocess, as a user runs it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from readiness.model import load_model
from tests.factories import assessment_data

READINESS = shutil.which("readiness", path=str(Path(sys.executable).parent)) or "readiness"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([READINESS, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def write(tmp_path: Path, data: object, name: str = "a.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_score_json_of_a_green_assessment_is_ready(tmp_path: Path) -> None:
    result = run("score", str(write(tmp_path, assessment_data())), "--json")
    assert result.returncode == 0, result.stderr
    score = json.loads(result.stdout)
    assert score["verdict"] == "ready"
    assert {g: v["score"] for g, v in score["gaps"].items()} == dict.fromkeys(
        ["data", "scale", "monitoring", "governance", "ownership", "trust"], 100.0
    )
    for key in ("reasons", "overall", "aggregator", "model_version", "weakest_gap", "compound_risks", "flags"):
        assert key in score
    assert {"id", "from", "to", "severity", "state"} <= set(score["compound_risks"][0])
    assert score["model_version"] == load_model().version


def test_score_table_with_three_open_core_answers(tmp_path: Path) -> None:
    data = assessment_data(answers={"DATA-1": "no", "MON-2": "not_sure", "OWN-2": "no"})
    result = run("score", str(write(tmp_path, data)))
    assert result.returncode == 0, result.stderr
    assert "NOT READY" in result.stdout
    assert "DATA-1, MON-2, OWN-2" in result.stdout


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (assessment_data(answers={"DATA-1": "maybe"}), "answers.DATA-1"),
        (assessment_data(metrics={"trust.adoption_rate": 140}), "metrics.trust.adoption_rate"),
        ("{not json", "not valid JSON"),
    ],
)
def test_invalid_input_exits_2_with_one_line_naming_the_field(tmp_path: Path, content, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("error: bad.json")


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("score", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_model_json_lists_the_contract_ids() -> None:
    result = run("model", "--json")
    assert result.returncode == 0
    model = json.loads(result.stdout)
    assert len([q for q in model["questions"] if q["core"]]) == 13
    assert {e["id"]: e["from"] for e in model["edges"]}["C3"] == "ownership"
    assert run("model").stdout.count("[") >= 6


def test_schema_is_a_json_schema_listing_the_ids() -> None:
    result = run("schema")
    schema = json.loads(result.stdout)
    assert "DATA-1" in schema["properties"]["answers"]["propertyNames"]["enum"]
    assert schema["properties"]["pilot"]


def test_a_list_of_assessments_is_scored_one_by_one(tmp_path: Path) -> None:
    result = run(
        "score",
        str(write(tmp_path, [assessment_data(), assessment_data(answers={"DATA-1": "no", "DATA-2": "no"})])),
        "--json",
    )
    assert result.returncode == 0
    assert [s["verdict"] for s in json.loads(result.stdout)] == ["ready", "conditional"]


def test_workbook_warnings_are_printed_beside_the_score(tmp_path: Path) -> None:
    from readiness.excel.template import template_bytes
    from tests.excel_helpers import fill_template

    workbook = fill_template(template_bytes(), assessment_data())
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    book.create_sheet("Scratch").sheet_state = "hidden"
    path = tmp_path / "filled.xlsx"
    book.save(path)
    result = run("score", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "ready"
    assert "warning: filled.xlsx:" in result.stderr and "hidden sheet 'Scratch'" in result.stderr


@pytest.mark.parametrize("rename", [None, "Answers"])
def test_a_workbook_without_its_checklist_sheet_exits_2_naming_it(tmp_path: Path, rename: str | None) -> None:
    from readiness.excel.template import template_bytes
    from tests.excel_helpers import fill_template

    book = openpyxl.load_workbook(io.BytesIO(fill_template(template_bytes(), assessment_data())))
    if rename is None:
        del book["Checklist"]
    else:
        book["Checklist"].title = rename
    path = tmp_path / "no-checklist.xlsx"
    book.save(path)
    result = run("score", str(path), "--json")
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("error: no-checklist.xlsx: the template has no 'Checklist' sheet")
    assert "Traceback" not in result.stderr


def test_other_spreadsheet_formats_exit_2_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "pilots.csv"
    path.write_text("Pilot name,Assessment date\nClaims triage,2026-11-01\n")
    result = run("score", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: pilots.csv: this is a CSV file:")
    assert "save it as an Excel Workbook (.xlsx)" in result.stderr


# --------------------------------------------------------------------------------------------
# Help: full summaries, dates as YYYY-MM-DD, an example per command
# --------------------------------------------------------------------------------------------


def every_command() -> list[tuple[str, ...]]:
    """The path of every command and group (``("db", "upgrade")``), the root group included."""
    import click

    from readiness.cli.main import cli

    paths: list[tuple[str, ...]] = [()]

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name, command in sorted(group.commands.items()):
            paths.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))

    walk(cli, ())
    return paths


def help_text(*path: str) -> str:
    from click.testing import CliRunner

    from readiness.cli.main import cli

    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", every_command(), ids=lambda p: " ".join(p) or "readiness")
def test_every_command_help_has_an_example_and_readable_dates(path: tuple[str, ...]) -> None:
    text = help_text(*path)
    assert "Example" in text
    assert f"readiness {' '.join(path)}".strip() in text.split("Example", 1)[1]
    assert "%Y" not in text and "%m" not in text and "%d" not in text


def test_date_options_show_the_date_format() -> None:
    assert "--as-of YYYY-MM-DD" in help_text("export")
    assert "--as-of YYYY-MM-DD" in help_text("portfolio")


def test_command_lists_show_whole_summaries() -> None:
    """No summary is cut with "...": each says what its command does, in full, in an 80-column terminal."""
    from readiness.cli.main import cli

    result = run("--help")
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("Commands:", 1)[1].split("Example", 1)[0]
    assert "..." not in listed
    for name, command in cli.commands.items():
        assert name in listed
        summary = " ".join(command.get_short_help_str(limit=1_000).split())
        assert summary.split()[0] in listed and summary.split()[-1] in listed, name
    assert "..." not in help_text("db").split("Commands:", 1)[1]
