"""Safe outputs: every command that writes OUT refuses what is not a regular file there (a FIFO, a folder), an
empty OUT and the live database itself, and still replaces a regular file atomically; ``readiness restore``
checks a backup and keeps the database it replaces; CSV cells cannot start a formula whatever the separator."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from readiness.cli.main import cli
from readiness.excel.export import csv_safe, portfolio_csv_text
from readiness.store import add_assessment, count_rows, make_engine
from tests.factories import build

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def store(sqlite_engine: Engine) -> tuple[Engine, str, Path]:
    """A migrated SQLite store holding one pilot: its engine (kept open, as the app keeps it), URL and file."""
    add_assessment(sqlite_engine, build(name="Kept pilot"))
    url = sqlite_engine.url.render_as_string(hide_password=False)
    return sqlite_engine, url, Path(sqlite_engine.url.database or "")


def snapshots(url: str) -> int:
    engine = make_engine(url)
    try:
        return count_rows(engine)["snapshot"]
    finally:
        engine.dispose()


def is_readiness_copy(path: Path) -> bool:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone() == ("ok",) and bool(
            connection.execute("SELECT count(*) FROM snapshot").fetchone()[0]
        )


# (command before OUT, the name OUT gets, command after OUT)
WRITERS = {
    "backup": (["backup"], "out.db", []),
    "export csv": (["export", "csv"], "out.csv", []),
    "export xlsx": (["export", "xlsx"], "out.xlsx", []),
    "template": (["template"], "out.xlsx", []),
}


def run_writer(kind: str, out: str, url: str) -> Result:
    before, _, after = WRITERS[kind]
    return invoke(*before, out, *after, "--db", url)


# --------------------------------------------------------------------------------------------
# What OUT may be
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_fifo_as_out_is_refused_and_stays_a_fifo(kind: str, store: tuple, tmp_path: Path) -> None:
    _, url, _ = store
    fifo = tmp_path / WRITERS[kind][1]
    os.mkfifo(fifo)
    result = run_writer(kind, str(fifo), url)
    assert result.exit_code == 2, result.output
    assert f"OUT: {fifo} is a FIFO" in result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".partial"))]


def test_a_fifo_as_the_charts_folder_is_refused(store: tuple, tmp_path: Path) -> None:
    _, url, _ = store
    fifo = tmp_path / "charts"
    os.mkfifo(fifo)
    result = invoke("export", "png", str(fifo), "--db", url)
    assert result.exit_code == 2 and str(fifo) in result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_directory_as_out_is_refused(kind: str, store: tuple, tmp_path: Path) -> None:
    _, url, _ = store
    folder = tmp_path / WRITERS[kind][1]
    folder.mkdir()
    (folder / "inside.txt").write_text("kept")
    result = run_writer(kind, str(folder), url)
    assert result.exit_code == 2, result.output
    assert f"OUT: {folder} is a directory" in result.output
    assert folder.is_dir() and (folder / "inside.txt").read_text() == "kept"


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_an_empty_out_is_refused(kind: str, store: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, url, _ = store
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_writer(kind, "", url)
    assert result.exit_code == 2, result.output
    assert "OUT: no file name given" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_live_database_is_refused_as_a_backup(store: tuple, tmp_path: Path) -> None:
    engine, url, path = store
    before = path.read_bytes()
    result = invoke("backup", str(path), "--db", url)
    assert result.exit_code == 2, result.output
    assert f"OUT: {path} is the database in use" in result.output
    assert path.read_bytes() == before and count_rows(engine)["snapshot"] == 1
    link = tmp_path / "link.db"
    link.symlink_to(path)
    through_link = invoke("backup", str(link), "--db", url)
    assert through_link.exit_code == 2 and "is the database in use" in through_link.output
    assert link.is_symlink()
    companion = invoke("backup", f"{path}-wal", "--db", url)
    assert companion.exit_code == 2 and "a file of the database in use" in companion.output


def test_the_live_database_is_refused_as_an_export(tmp_path: Path) -> None:
    # A store whose file happens to carry the export's suffix: the export would have replaced it.
    path = tmp_path / "portfolio.xlsx"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        assert invoke("db", "upgrade", "--db", url).exit_code == 0
        add_assessment(engine, build(name="Kept pilot"))
        result = invoke("export", "xlsx", str(path), "--db", url)
        assert result.exit_code == 2, result.output
        assert f"OUT: {path} is the database in use" in result.output
        assert count_rows(engine)["snapshot"] == 1
        template = invoke("template", str(path), "--db", url)
        assert template.exit_code == 2 and "is the database in use" in template.output
        assert count_rows(engine)["snapshot"] == 1
    finally:
        engine.dispose()


def test_a_regular_file_is_replaced_as_before(store: tuple, tmp_path: Path) -> None:
    _, url, _ = store
    copy, table = tmp_path / "copy.db", tmp_path / "portfolio.csv"
    copy.write_text("an old backup")
    table.write_text("old,export\n")
    backed_up = invoke("backup", str(copy), "--db", url)
    assert backed_up.exit_code == 0, backed_up.output
    assert "integrity ok" in backed_up.output and is_readiness_copy(copy)
    exported = invoke("export", "csv", str(table), "--db", url)
    assert exported.exit_code == 0, exported.output
    assert "Kept pilot" in table.read_text(encoding="utf-8-sig")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(table.stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --------------------------------------------------------------------------------------------
# Restore
# --------------------------------------------------------------------------------------------


def test_restore_round_trip_keeps_the_replaced_database(store: tuple, tmp_path: Path) -> None:
    engine, url, path = store
    backup = tmp_path / "backups" / "monday.db"
    backup.parent.mkdir()
    assert invoke("backup", str(backup), "--db", url).exit_code == 0
    add_assessment(engine, build(name="Added after the backup"))
    assert count_rows(engine)["snapshot"] == 2

    refused = invoke("restore", str(backup), "--db", url)
    assert refused.exit_code == 2, refused.output
    assert "--force" in refused.output and "1 snapshot" not in refused.output and "2 snapshots" in refused.output
    assert count_rows(engine)["snapshot"] == 2, "nothing restored without --force"

    restored = invoke("restore", str(backup), "--db", url, "--force")
    assert restored.exit_code == 0, restored.output
    lines = restored.output.splitlines()
    assert lines[0].startswith(f"Checked {backup}: integrity ok, schema revision ")
    assert lines[0].endswith("1 pilot, 1 snapshot.")
    [kept] = sorted(path.parent.glob(f"{path.name}.before-restore-*"))
    assert lines[1] == f"Kept the replaced database as {kept}."
    assert lines[2] == f"Restored {backup} into {path.resolve()}."
    assert "latest revision" in lines[3] or lines[3].startswith("Migrated")

    # The engine the app would hold open sees the restored database at once.
    assert count_rows(engine)["snapshot"] == 1
    listed = invoke("portfolio", "--json", "--db", url)
    assert listed.exit_code == 0, listed.output
    assert [entry["name"] for entry in json.loads(listed.stdout)] == ["Kept pilot"]
    with sqlite3.connect(kept) as connection:
        assert connection.execute("SELECT count(*) FROM snapshot").fetchone() == (2,), "the copy holds both"
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # Readiness commands work on the restored store: it takes writes again.
    (tmp_path / "new.json").write_text(json.dumps(build(name="After the restore").model_dump(mode="json")))
    imported = invoke("import", str(tmp_path / "new.json"), "--db", url)
    assert imported.exit_code == 0, imported.output
    assert snapshots(url) == 2
    assert invoke("audit", "--db", url).exit_code == 0


def test_restore_into_a_new_file_needs_no_force(store: tuple, tmp_path: Path) -> None:
    _, url, _ = store
    backup = tmp_path / "b.db"
    assert invoke("backup", str(backup), "--db", url).exit_code == 0
    fresh = tmp_path / "elsewhere" / "fresh.db"
    result = invoke("restore", str(backup), "--db", f"sqlite:///{fresh}")
    assert result.exit_code == 0, result.output
    assert "Kept" not in result.output
    assert snapshots(f"sqlite:///{fresh}") == 1


def test_restore_refuses_a_file_that_is_not_a_readiness_database(store: tuple, tmp_path: Path) -> None:
    engine, url, path = store
    before = path.read_bytes()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all\n" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    for candidate, message in [
        (junk, "not a readable SQLite database"),
        (other, "not a Readiness database"),
        (fifo, "is a FIFO (named pipe), not a backup file"),
        (tmp_path / "missing.db", "no such file"),
        (path, "is the database to restore into"),
    ]:
        result = invoke("restore", str(candidate), "--db", url, "--force")
        assert result.exit_code == 2, (candidate, result.output)
        assert f"BACKUP: {candidate}" in result.output and message in result.output, result.output
    assert path.read_bytes() == before and count_rows(engine)["snapshot"] == 1
    assert not list(path.parent.glob("*.before-restore-*")), "nothing replaced, nothing kept"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_restore_refuses_a_backup_from_a_newer_version(store: tuple, tmp_path: Path) -> None:
    _, url, _ = store
    backup = tmp_path / "future.db"
    assert invoke("backup", str(backup), "--db", url).exit_code == 0
    with sqlite3.connect(backup) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    result = invoke("restore", str(backup), "--db", url, "--force")
    assert result.exit_code == 2
    assert "9999_from_the_future" in result.output and "newer version" in result.output


def test_restore_refuses_postgresql_and_points_to_pg_restore(tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    backup.write_bytes(b"")
    result = invoke("restore", str(backup), "--db", "postgresql://scott:tiger@db.internal/readiness")
    assert result.exit_code == 2
    assert "pg_restore" in result.output and "tiger" not in result.output


# --------------------------------------------------------------------------------------------
# CSV: no field can start a formula, whatever the separator
# --------------------------------------------------------------------------------------------

HOSTILE = {"x;=SUM(2;3)": "'x;'=SUM(2;3)", "a,=1+1": "'a,'=1+1", "=1": "'=1", "@x": "'@x"}


@pytest.mark.parametrize(("value", "safe"), [*HOSTILE.items(), ("a|@x", "'a|'@x"), ("b\t-1", "'b\t'-1"),
                                             ("Claims triage", "Claims triage"), ("a=b; c-d", "a=b; c-d"),
                                             ("two\nlines", "two lines"), ("x;\r\n=1", "'x;' =1")])  # fmt: skip
def test_csv_safe_neutralises_every_place_a_field_can_start(value: str, safe: str) -> None:
    assert csv_safe(value) == safe


@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_export_has_no_field_that_starts_a_formula(separator: str) -> None:
    assessments = [build(name=name, owning_team="Claims AI") for name in [*HOSTILE, "Plain pilot"]]
    text = portfolio_csv_text(assessments)
    rows = list(csv.reader(io.StringIO(text), delimiter=separator))
    assert len(rows) == len(assessments) + 1, "no cell broke a row"
    fields = [field for row in rows for field in row]
    assert not [f for f in fields if f.lstrip(' "').startswith(TRIGGERS)]
    if separator == ",":
        header = rows[0]
        names = {row[header.index("Pilot name")] for row in rows[1:]}
        assert names == {*HOSTILE.values(), "Plain pilot"}
        assert {row[header.index("Owning team")] for row in rows[1:]} == {"Claims AI"}
