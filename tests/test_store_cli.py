"""The store's commands through the installed console script, as a user runs them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from readiness.assessment import parse_assessment
from readiness.cli.main import cli
from readiness.excel.template import template_bytes
from readiness.model import load_model
from readiness.scoring import score_assessment
from readiness.store import add_assessment, count_rows, latest_assessments, make_engine, pilot_history
from readiness.store.engine import ENV_VAR
from readiness.store.repository import audit_entries
from tests.conftest import requires_postgres
from tests.excel_helpers import fill_template
from tests.factories import assessment_data
from tests.test_store_concurrency import snapshots_without_rows, start_paused_import, write_file

READINESS = Path(sys.executable).with_name("readiness")
EXAMPLE = {  # the Assessment JSON of docs/contracts.md
    "pilot": {
        "name": "Claims triage",
        "business_unit": "Operations",
        "owning_team": "Claims AI",
        "stage": "pilot",
        "start_date": "2026-03-01",
    },
    "as_of": "2026-11-01",
    "submitted_by": "ana@example.com",
    "answers": {"DATA-1": "yes", "SCALE-1": "not_sure"},
    "evidence": {"DATA-1": "eval report Q3, 2M production records"},
    "metrics": {"scale.p95_latency_s": 2.4, "scale.latency_budget_s": 3.0, "trust.adoption_rate": 35},
}


def readiness(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script; ``READINESS_DATABASE_URL`` comes only from ``env``."""
    environment = {k: v for k, v in os.environ.items() if k != ENV_VAR} | (env or {})
    return subprocess.run(
        [str(READINESS), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def counts(url: str) -> dict[str, int]:
    """Row counts of every table of the store at ``url``."""
    engine: Engine = make_engine(url)
    try:
        return count_rows(engine)
    finally:
        engine.dispose()


def invoke(*args: str) -> Result:
    """Run a command in this process (quick); the acceptance paths go through the console script instead."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_import_reimport_and_rejection_through_the_console_script(store_url: str, tmp_path: Path) -> None:
    env = {ENV_VAR: store_url}  # the same commands, pointed at either engine through the environment
    (tmp_path / "a.json").write_text(json.dumps(EXAMPLE))
    (tmp_path / "bad.json").write_text(json.dumps({**EXAMPLE, "answers": {"DATA-99": "yes"}}))

    first = readiness("import", "a.json", cwd=tmp_path, env=env)
    assert (first.returncode, first.stdout) == (0, "imported: a.json (1 snapshot, 1 pilot)\n"), first.stderr
    listed = readiness("portfolio", "--json", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    expected = score_assessment(parse_assessment(EXAMPLE)).to_json_dict()
    assert (entry["name"], entry["business_unit"], entry["as_of"]) == ("Claims triage", "Operations", "2026-11-01")
    fields = ("verdict", "overall", "gaps", "compound_risks", "flags", "remediation", "model_version")
    assert {k: entry[k] for k in fields} == {k: expected[k] for k in fields}
    assert entry["issued"]["verdict"] == expected["verdict"]

    again = readiness("import", "a.json", cwd=tmp_path, env=env)
    assert (again.returncode, again.stdout) == (0, "already present: a.json (1 snapshot, 1 pilot)\n")
    before = counts(store_url)
    assert before["snapshot"] == 1

    rejected = readiness("import", "bad.json", cwd=tmp_path, env=env)
    assert rejected.returncode == 2
    assert rejected.stdout == "rejected: bad.json: answers.DATA-99: unknown question ID 'DATA-99'\n"
    assert counts(store_url) == before

    audit = readiness("audit", "--json", cwd=tmp_path, env=env)
    assert audit.returncode == 0, audit.stderr
    newest, oldest = json.loads(audit.stdout)  # one pilot created, one snapshot added; the re-import wrote nothing
    assert (oldest["action"], oldest["what"]) == ("pilot.create", "Claims triage")
    assert (newest["action"], newest["what"]) == ("snapshot.add", "Claims triage, assessment of 2026-11-01")
    assert newest["source_hash"] == hashlib.sha256((tmp_path / "a.json").read_bytes()).hexdigest()
    table = readiness("audit", cwd=tmp_path, env=env)
    assert "snapshot.add" in table.stdout and "Claims triage, assessment of 2026-11-01" in table.stdout


def test_each_file_is_imported_or_rejected_on_its_own(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([assessment_data(name=n, start_date="2026-01-01") for n in ("Fraud alerts", "HR bot")]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([EXAMPLE, {**EXAMPLE, "as_of": "2025-01-01"}]))
    result = invoke("import", str(bad), str(good), str(tmp_path / "missing.json"), "--db", url)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"rejected: {bad}: [1].as_of: assessment date 2025-01-01 is before the pilot's start date 2026-03-01",
        f"imported: {good} (2 snapshots, 2 pilots)",
        f"rejected: {tmp_path / 'missing.json'}: no such file",
    ]
    assert count_rows(engine)["snapshot"] == 2, "nothing of the rejected file, all of the good one"
    table = invoke("portfolio", "--db", url)
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    headers = ["Pilot", "Stage", "As", "of", "Verdict", "Overall", "Confidence", "Weakest", "gap", "Flags"]
    assert lines[0].split() == headers
    assert [line.split()[0] for line in lines[2:4]] == ["Fraud", "HR"]
    assert any(line.startswith("2 pilots:") for line in lines)
    assert any(line.startswith("- Weakest gap across the portfolio:") for line in lines), "the deck's sentences"
    assert json.loads(invoke("portfolio", "--json", "--as-of", "2026-10-31", "--db", url).stdout) == []
    assert "No assessment stored as of 2026-10-31" in invoke("portfolio", "--as-of", "2026-10-31", "--db", url).stdout


def test_import_without_a_checklist_sheet_is_rejected_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    book = openpyxl.load_workbook(io.BytesIO(fill_template(template_bytes(), EXAMPLE)))
    book["Checklist"].title = "Answers"
    path = tmp_path / "renamed.xlsx"
    book.save(path)
    before = count_rows(engine)
    result = invoke("import", str(path), "--db", url)
    assert result.exit_code == 2
    assert result.stdout.startswith(f"rejected: {path}: the template has no 'Checklist' sheet")
    assert count_rows(engine) == before


def test_import_tags_workbooks_excel_and_json_cli_and_audits_the_interface(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    workbook = tmp_path / "team.xlsx"
    workbook.write_bytes(fill_template(template_bytes(), assessment_data(name="From a workbook")))
    document = tmp_path / "team.json"
    document.write_text(json.dumps(assessment_data(name="From JSON")))
    result = invoke("import", str(workbook), str(document), "--db", url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"imported: {workbook} (1 snapshot, 1 pilot)",
        f"imported: {document} (1 snapshot, 1 pilot)",
    ]
    assert [s.source for s in pilot_history(engine, "From a workbook")] == ["excel"]
    assert [s.source for s in pilot_history(engine, "From JSON")] == ["cli"]
    added = {e.detail["origin"]: e for e in audit_entries(engine) if e.action == "snapshot.add"}
    assert {name: e.detail["interface"] for name, e in added.items()} == {"team.xlsx": "cli", "team.json": "cli"}
    assert added["team.xlsx"].source_hash == hashlib.sha256(workbook.read_bytes()).hexdigest()


def test_db_option_wins_and_the_default_is_data_readiness_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    upgraded = invoke("db", "upgrade")
    assert upgraded.exit_code == 0
    assert "migrated from an empty database to revision" in upgraded.stdout
    assert (tmp_path / "data" / "readiness.db").is_file()
    assert "already at the latest revision" in invoke("db", "upgrade").stdout
    (tmp_path / "a.json").write_text(json.dumps(EXAMPLE))
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'from-env.db'}")
    other = tmp_path / "other.db"
    assert invoke("import", "a.json", "--db", f"sqlite:///{other}").exit_code == 0
    assert counts(f"sqlite:///{other}")["snapshot"] == 1
    assert not (tmp_path / "from-env.db").exists()
    wrong = invoke("portfolio", "--db", "mysql://db/readiness")
    assert wrong.exit_code == 2 and "unsupported database 'mysql'" in wrong.stderr


def test_demo_loads_once_when_asked_if_empty(sqlite_url: str) -> None:
    loaded = invoke("demo", "--if-empty", "--db", sqlite_url)
    assert loaded.stdout.startswith("Demo portfolio: ")
    after = counts(sqlite_url)
    assert after["pilot"] >= 10 and after["snapshot"] > after["pilot"]
    skipped = invoke("demo", "--if-empty", "--db", sqlite_url)
    assert "demo portfolio not loaded" in skipped.stdout
    forced = invoke("demo", "--db", sqlite_url)
    expected = f"0 snapshots of {after['pilot']} pilots loaded, {after['snapshot']} already present.\n"
    assert forced.stdout.endswith(expected)
    assert counts(sqlite_url) == after


def test_backup_while_another_process_imports(sqlite_url: str, tmp_path: Path) -> None:
    first = write_file(tmp_path / "first.json", 5, "Committed")
    second = write_file(tmp_path / "second.json", 30, "In flight")
    # The importer commits the first file, then stops inside the second file's transaction, holding the lock.
    importer, release = start_paused_import(sqlite_url, 2, tmp_path, first, second)
    try:
        copied = readiness("backup", str(tmp_path / "copy.db"), "--db", sqlite_url, cwd=tmp_path)
        assert copied.returncode == 0, copied.stderr
        assert "integrity ok" in copied.stdout
        assert importer.poll() is None, "the backup ran while the import was still writing"
    finally:
        release.touch()
        out, err = importer.communicate(timeout=120)
    assert importer.returncode == 0, err
    assert "imported: " in out
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT count(*) FROM snapshot").fetchone() == (5,), "committed rows only"
    finally:
        copy.close()
    backup_engine = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        assert snapshots_without_rows(backup_engine) == 0
    finally:
        backup_engine.dispose()
    assert counts(sqlite_url)["snapshot"] == 35


@requires_postgres
@pytest.mark.postgres
def test_backup_of_postgresql_is_refused_with_advice(postgres_url: str, tmp_path: Path) -> None:
    refused = invoke("backup", str(tmp_path / "copy.db"), "--db", postgres_url)
    assert refused.exit_code == 2
    assert "pg_dump" in refused.stderr
    assert not (tmp_path / "copy.db").exists()


def test_views_rescore_with_the_current_model_and_say_what_was_issued(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    current = load_model()
    older = current.model_copy(update={"version": "2025.1.0"})
    add_assessment(engine, parse_assessment(EXAMPLE), model=older)
    [stored] = latest_assessments(engine)
    assert stored.model_version == "2025.1.0" and stored.issued_under_other_model()
    [entry] = json.loads(invoke("portfolio", "--json", "--db", url).stdout)
    assert (entry["model_version"], entry["issued"]["model_version"]) == (current.version, "2025.1.0")
    table = invoke("portfolio", "--db", url).stdout
    assert "issued under model 2025.1.0" in table
    assert f"Scored with model {current.version}." in table
