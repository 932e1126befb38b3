"""A record nobody can quietly bend: the hash chain and ``readiness verify``, INSERT OR REPLACE and renames refused,
the PostgreSQL app role, retraction instead of deletion, and one snapshot in force per pilot and day."""

from __future__ import annotations

import sqlite3
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from streamlit.testing.v1 import AppTest

from readiness.assessment import Assessment, parse_assessment
from readiness.cli.main import cli
from readiness.errors import InvalidInput
from readiness.service.access import Grant, Identity, NotPermitted, Role, cli_identity
from readiness.service.integrity import retract
from readiness.service.queries import scored_portfolio
from readiness.store import (
    add_assessment,
    add_assessments,
    count_rows,
    is_empty,
    latest_assessments,
    make_engine,
    migrate,
    pilot_history,
)
from readiness.store.chain import quick_check
from readiness.store.migrate import alembic_config
from readiness.store.repository import audit_entries
from readiness.store.verify import verify_store
from tests.conftest import TEST_DATABASE_URL, requires_postgres, schema_url
from tests.factories import assessment_data
from tests.test_app_pages import APP, TIMEOUT

ADMIN = cli_identity("ada")
VIEWER = Identity("vic-sub", "vic@example.com", "Vic", (Grant(Role.VIEWER),))


def snapshot(name: str = "Claims triage", day: date = date(2026, 10, 1), answer: str = "yes") -> Assessment:
    data = assessment_data(answers={"DATA-1": answer}, name=name, start_date="2025-06-01")
    return parse_assessment({**data, "as_of": day.isoformat()})


def sqlite_path(engine: Engine) -> str:
    return str(engine.url.database)


def raw_sqlite(engine: Engine, sql: str) -> None:
    """Run SQL on the SQLite file behind the app's back, as someone with the file would."""
    with sqlite3.connect(sqlite_path(engine)) as connection:
        connection.executescript(sql)


def verify_cli(url: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", "--db", url, *extra])
    return result.exit_code, result.output


@pytest.fixture
def filled(sqlite_engine: Engine) -> Engine:
    """A SQLite store with three pilots, two snapshots each."""
    for name in ("Claims triage", "Fraud alerts", "Shift scheduling"):
        add_assessment(sqlite_engine, snapshot(name, date(2026, 9, 1), "no"))
        add_assessment(sqlite_engine, snapshot(name, date(2026, 10, 1)))
    return sqlite_engine


# --------------------------------------------------------------------------------------------
# verify
# --------------------------------------------------------------------------------------------


def test_an_intact_store_verifies_on_both_engines(engine: Engine) -> None:
    add_assessments(engine, [snapshot(), snapshot("Fraud alerts")])
    add_assessment(engine, snapshot(day=date(2026, 11, 1), answer="no"))
    report = verify_store(engine)
    assert report.intact, report.details
    assert (report.snapshots, report.entries) == (3, 5)  # 3 snapshot.add, 2 pilot.create
    assert verify_store(engine, expect_head=report.head).intact


def test_verify_exits_0_and_prints_the_head(filled: Engine) -> None:
    code, output = verify_cli(str(filled.url))
    assert code == 0, output
    assert "intact: 6 snapshots" in output and "head: " in output


def test_an_answer_rewritten_behind_the_triggers_is_caught(filled: Engine) -> None:
    # The observed attack: the rows of a snapshot rewritten (here with the UPDATE trigger dropped first).
    rewrite = "UPDATE answer SET answer = 'yes' WHERE snapshot_id = 1 AND question_id = 'DATA-1';"
    raw_sqlite(filled, f"DROP TRIGGER trg_answer_no_update; {rewrite}")
    code, output = verify_cli(str(filled.url))
    assert code == 2
    assert "snapshot 1: its answers, metrics or context no longer give its content hash" in output


def test_a_deleted_audit_entry_breaks_the_chain_at_the_next_one(filled: Engine) -> None:
    raw_sqlite(filled, "DROP TRIGGER trg_audit_log_no_delete; DELETE FROM audit_log WHERE id = 3;")
    code, output = verify_cli(str(filled.url))
    assert code == 2
    assert "audit entry 4" in output and "link to the entry before it is broken" in output
    assert not quick_check(filled).intact  # the app's start-up check sees it too


def test_a_chain_rewritten_to_its_end_differs_from_the_kept_head(filled: Engine) -> None:
    kept = verify_store(filled).head
    # Rewrite the stored hash of snapshot 1's content and every chain link after it, consistently: only the
    # head an operator kept can tell.
    from readiness.store.chain import GENESIS, entry_hash

    with sqlite3.connect(sqlite_path(filled)) as connection:
        connection.executescript("DROP TRIGGER trg_audit_log_no_update;")
        rows = connection.execute("SELECT id, at, actor, action, object, source_hash, detail, identity_subject, "
                                  "identity_email, identity_source FROM audit_log ORDER BY id").fetchall()  # fmt: skip
        previous = GENESIS
        for row in rows:
            fields = dict(zip(("id", "at", "actor", "action", "object", "source_hash", "detail", "identity_subject",
                               "identity_email", "identity_source"), row, strict=True))  # fmt: skip
            from datetime import datetime

            fields["at"] = datetime.fromisoformat(fields["at"])
            fields["actor"] = "mallory" if fields["id"] == 2 else fields["actor"]
            row_hash = entry_hash(previous, fields)
            connection.execute("UPDATE audit_log SET actor = ?, prev_hash = ?, row_hash = ? WHERE id = ?",
                               (fields["actor"], previous, row_hash, fields["id"]))  # fmt: skip
            previous = row_hash
    assert verify_store(filled).intact, "a consistent rewrite passes the chain alone"
    code, output = verify_cli(str(filled.url), "--expect-head", kept)
    assert code == 2 and "not the" in output and "kept earlier" in output


def test_insert_or_replace_into_history_is_refused_on_sqlite(filled: Engine) -> None:
    for sql in (
        "INSERT OR REPLACE INTO answer (snapshot_id, question_id, answer, documented) VALUES (1, 'DATA-1', 'yes', 0)",
        "REPLACE INTO audit_log (id, at, actor, action, object) VALUES (1, '2026-01-01', 'x', 'y', 'z')",
        "INSERT OR REPLACE INTO snapshot SELECT * FROM snapshot WHERE id = 1",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only: replacing a row is refused"):
            raw_sqlite(filled, sql)
    assert verify_store(filled).intact


def test_a_pilot_cannot_be_renamed_on_either_engine(engine: Engine) -> None:
    add_assessment(engine, snapshot())
    with pytest.raises(DBAPIError, match="name never changes"), engine.begin() as connection:
        connection.execute(text("UPDATE pilot SET name = 'Shift scheduling'"))
    with engine.begin() as connection:  # the rest of the registry's context still follows imports
        connection.execute(text("UPDATE pilot SET owning_team = 'Claims AI 2'"))


def test_an_old_store_is_chained_by_the_upgrade(store_url: str) -> None:
    from alembic import command

    engine = make_engine(store_url)
    try:
        migrate(engine)
        add_assessments(engine, [snapshot(), snapshot("Fraud alerts")])
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0003")
        with engine.begin() as connection:  # written by the old code: no chain columns
            connection.execute(text("INSERT INTO audit_log (at, actor, action, object) "
                                    "VALUES ('2026-11-01 10:00:00', 'old', 'grant.add', 'grant/1')"))  # fmt: skip
        migrate(engine)
        report = verify_store(engine)
        assert report.intact, report.details
        assert report.entries == 5
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# PostgreSQL: the owner migrates, the app's role reads and appends
# --------------------------------------------------------------------------------------------


@pytest.mark.postgres
@requires_postgres
def test_the_app_role_cannot_alter_disable_or_drop_a_trigger() -> None:
    schema, role = f"test_{uuid.uuid4().hex[:12]}", f"app_{uuid.uuid4().hex[:12]}"
    admin = create_engine(TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    owner = make_engine(schema_url(TEST_DATABASE_URL, schema))
    app_url = make_url(schema_url(TEST_DATABASE_URL, schema)).set(username=role).render_as_string(False)
    app = make_engine(app_url)
    try:
        migrate(owner)
        result = CliRunner().invoke(cli, ["db", "grant-app", role, "--db", schema_url(TEST_DATABASE_URL, schema)])
        assert result.exit_code == 0, result.output
        assert "GRANT INSERT ON" in result.output
        migrate(app)  # at head already: the app starts without owning anything
        assert add_assessment(app, snapshot()).created  # the app imports
        for sql, refusal in (
            ("ALTER TABLE snapshot DISABLE TRIGGER USER", "must be owner"),
            ("ALTER TABLE audit_log DISABLE TRIGGER trg_audit_log_append_only", "must be owner"),
            ("DROP TRIGGER trg_snapshot_append_only ON snapshot", "must be owner"),
            ("UPDATE answer SET answer = 'no'", "permission denied"),
            ("DELETE FROM audit_log", "permission denied"),
            ("TRUNCATE snapshot CASCADE", "permission denied"),
        ):
            with pytest.raises(DBAPIError, match=refusal), app.begin() as connection:
                connection.execute(text(sql))
        assert verify_store(app).intact
    finally:
        app.dispose()
        owner.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_grant_app_is_refused_on_sqlite(sqlite_url: str) -> None:
    result = CliRunner().invoke(cli, ["db", "grant-app", "readiness_app", "--db", sqlite_url])
    assert result.exit_code == 2 and "PostgreSQL feature" in result.output


# --------------------------------------------------------------------------------------------
# Retraction, reinstatement, one snapshot in force per day
# --------------------------------------------------------------------------------------------


def test_a_retracted_snapshot_leaves_every_view_and_stays_in_the_record(engine: Engine) -> None:
    old = add_assessment(engine, snapshot(day=date(2026, 9, 1), answer="no"))
    new = add_assessment(engine, snapshot(day=date(2026, 10, 1)))
    outcome = retract(engine, ADMIN, "typed against the wrong pilot", [new.snapshot_id])
    assert outcome.changed == (new.snapshot_id,)
    assert [s.snapshot_id for s in pilot_history(engine, "Claims triage")] == [old.snapshot_id]
    assert [s.snapshot_id for s in latest_assessments(engine)] == [old.snapshot_id]
    assert scored_portfolio(engine)["snapshot_id"].tolist() == [old.snapshot_id]
    assert scored_portfolio(engine, history=True)["snapshot_id"].tolist() == [old.snapshot_id]
    assert count_rows(engine)["snapshot"] == 2, "nothing is deleted"
    entry = audit_entries(engine, limit=1)[0]
    assert (entry.action, entry.object) == ("snapshot.retract", f"snapshot/{new.snapshot_id}")
    assert entry.detail["reason"] == "typed against the wrong pilot"
    assert verify_store(engine).intact, "retracted snapshots are still checked"
    again = retract(engine, ADMIN, "back", [new.snapshot_id], reinstate=True)
    assert again.changed == (new.snapshot_id,)
    assert [s.snapshot_id for s in latest_assessments(engine)] == [new.snapshot_id]


def test_a_whole_import_is_retracted_by_its_file_hash(sqlite_engine: Engine) -> None:
    sha = "ab" * 32
    add_assessments(sqlite_engine, [snapshot(), snapshot("Fraud alerts")], source_hash=sha)
    result = CliRunner().invoke(cli, ["retract", "--import", sha, "--reason", "test upload",
                                      "--db", str(sqlite_engine.url)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "retracted: 2 of 2 snapshots" in result.output
    assert is_empty(sqlite_engine)


def test_only_admins_retract_and_a_reason_is_required(sqlite_engine: Engine) -> None:
    added = add_assessment(sqlite_engine, snapshot())
    with pytest.raises(NotPermitted):
        retract(sqlite_engine, VIEWER, "no", [added.snapshot_id])
    with pytest.raises(InvalidInput, match="say why"):
        retract(sqlite_engine, ADMIN, "  ", [added.snapshot_id])
    with pytest.raises(InvalidInput, match="no such snapshot"):
        retract(sqlite_engine, ADMIN, "why", [999])


def test_the_retraction_record_is_append_only(filled: Engine) -> None:
    retract(filled, ADMIN, "why", [1])
    for sql in ("UPDATE retraction SET action = 'reinstate'", "DELETE FROM retraction",
                "INSERT OR REPLACE INTO retraction SELECT * FROM retraction"):  # fmt: skip
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw_sqlite(filled, sql)


def test_a_same_day_conflict_is_refused_unless_it_supersedes(engine: Engine) -> None:
    a, b = snapshot(answer="yes"), snapshot(answer="no")  # same pilot, same day, other answers
    first = add_assessment(engine, a)
    with pytest.raises(InvalidInput, match=r"other content is stored for this day \(snapshot \d+\)"):
        add_assessment(engine, b)
    replaced = add_assessment(engine, b, supersede=True)
    assert [s.snapshot_id for s in pilot_history(engine, "Claims triage")] == [replaced.snapshot_id]
    # A again: the observed bug left B in force and said "already present"; now A is refused as retracted...
    with pytest.raises(InvalidInput, match="this content was retracted"):
        add_assessment(engine, a)
    # ...unless the user says it supersedes: A is reinstated, B retracted, both in the record.
    back = add_assessment(engine, a, supersede=True)
    assert back.snapshot_id == first.snapshot_id and not back.created
    assert [s.snapshot_id for s in pilot_history(engine, "Claims triage")] == [first.snapshot_id]
    actions = [e.action for e in audit_entries(engine, limit=10)]
    assert actions.count("snapshot.retract") == 2 and actions.count("snapshot.reinstate") == 1
    assert verify_store(engine).intact


def test_the_cli_import_says_how_to_supersede(tmp_path: Path, sqlite_url: str) -> None:
    one, two = tmp_path / "a.json", tmp_path / "b.json"
    one.write_text(snapshot(answer="yes").model_dump_json())
    two.write_text(snapshot(answer="no").model_dump_json())
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(one), "--db", sqlite_url]).exit_code == 0
    refused = runner.invoke(cli, ["import", str(two), "--db", sqlite_url])
    assert refused.exit_code == 2 and "--supersede" in refused.output
    assert runner.invoke(cli, ["import", str(two), "--supersede", "--db", sqlite_url]).exit_code == 0


# --------------------------------------------------------------------------------------------
# The app's alarm
# --------------------------------------------------------------------------------------------


def test_admins_see_an_alarm_when_the_record_fails_the_start_up_check(
    filled: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw_sqlite(filled, "DROP TRIGGER trg_audit_log_no_delete; DELETE FROM audit_log WHERE id = 2;")
    monkeypatch.setenv("READINESS_DATABASE_URL", str(filled.url))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for _ in range(50):  # the check runs in the background: the first visit does not wait for it
        at.run()
        if any("Integrity alarm" in e.value for e in at.error):
            break
        time.sleep(0.1)
    assert any("Integrity alarm" in e.value for e in at.error), [e.value for e in at.error]


def test_no_alarm_on_an_intact_store(filled: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", str(filled.url))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    from ui.state import _integrity

    deadline = time.monotonic() + 10
    while _integrity(str(filled.url)).report is None and time.monotonic() < deadline:
        time.sleep(0.05)
    at.run()
    assert _integrity(str(filled.url)).report is not None
    assert not any("Integrity alarm" in e.value for e in at.error)


def test_an_admin_retracts_and_reinstates_on_the_admin_page(filled: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_app_pages import assert_clean

    monkeypatch.setenv("READINESS_DATABASE_URL", str(filled.url))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("screens/admin.py").run()
    at.selectbox(key="admin.record.pilot").select("Fraud alerts").run()
    snapshot_box = at.selectbox(key="admin.record.snapshot")
    newest = snapshot_box.value
    assert "in force" in snapshot_box.format_func(newest)
    at.text_input(key="admin.record.reason").input("typed against the wrong pilot").run()
    at.button(key="admin.record.go").click().run()
    assert_clean(at)
    shown = [s.value.replace("\\", "") for s in at.success]  # the message is escaped Markdown
    assert f"Retracted snapshot #{newest.snapshot_id} of Fraud alerts." in shown, shown
    assert [s.snapshot_id for s in pilot_history(filled, "Fraud alerts")] == [newest.snapshot_id - 1]
    at.text_input(key="admin.record.reason").input("right pilot after all").run()
    assert at.button(key="admin.record.go").label.startswith("Reinstate")
    at.button(key="admin.record.go").click().run()
    assert newest.snapshot_id in [s.snapshot_id for s in pilot_history(filled, "Fraud alerts")]
    assert [e.action for e in audit_entries(filled, limit=2)] == ["snapshot.reinstate", "snapshot.retract"]
