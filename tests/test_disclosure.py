"""No disclosure: the dashboard never shows where the database lives or who connects to it (host, user, password,
SQLite path, query parameters); an admin sees only the engine and the database's name; `make run` listens on
this machine only unless told otherwise."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import readiness.store
from tests.test_auth_pages import AUTH

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 60
# A PostgreSQL URL with every kind of secret, pointing at a port nothing listens on (refused at once).
POSTGRES = "postgresql://scott:tiger@127.0.0.1:1/test?password=hunter2&sslmode=disable&application_name=leaky"
POSTGRES_SECRETS = ("scott", "tiger", "127.0.0.1", "hunter2", "sslmode", "leaky", "postgresql://", "+psycopg")


def shown(value: str) -> str:
    """Text as a person reads it: the Markdown escapes of ``ui.plain`` removed."""
    return value.replace("\\", "").replace("\u2060", "")


def everything(at: AppTest) -> str:
    """Every piece of text the page and its sidebar show."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "exception", "title", "header",
             "subheader", "code", "text", "json", "toast")  # fmt: skip
    parts = [str(getattr(element, "value", "")) for kind in kinds for element in at.get(kind)]
    parts += [str(getattr(e, "message", "")) for e in at.exception]
    return shown("\n".join(parts))


def sidebar_text(at: AppTest) -> str:
    return shown("\n".join(str(c.value) for c in at.sidebar.caption))


@pytest.fixture
def local_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READINESS_GROUP_ROLES", raising=False)
    monkeypatch.delenv("READINESS_REQUIRE_SIGN_IN", raising=False)


@pytest.fixture
def hidden_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_mode: None) -> Path:
    folder = tmp_path / "private-folder-7f3a" / "nested"
    monkeypatch.setenv("READINESS_DATABASE_URL", f"sqlite:///{folder / 'readiness.db'}")
    return folder


def test_an_admin_sees_only_the_engine_and_file_name_of_sqlite(hidden_sqlite: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Database: SQLite · readiness.db" in sidebar_text(at)  # local mode: everyone is an admin
    text = everything(at)
    assert "private-folder-7f3a" not in text and str(hidden_sqlite.parent.parent) not in text
    assert "sqlite://" not in text


def test_postgresql_credentials_host_and_query_are_never_shown(
    monkeypatch: pytest.MonkeyPatch, local_mode: None
) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", POSTGRES)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Database: PostgreSQL · test" in sidebar_text(at)
    # The database cannot be reached: every guarded part says what failed, not where the database lives.
    errors = [shown(e.value) for e in at.error]
    assert errors and all("The database could not be read" in e for e in errors), errors
    text = everything(at)
    leaked = [secret for secret in POSTGRES_SECRETS if secret in text]
    assert leaked == [], text


def test_a_signed_in_viewer_sees_nothing_of_the_database(hidden_sqlite: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.secrets["readiness"] = {"groups": {"readiness-viewers": "viewer", "readiness-admins": "admin"}}
    at.user = {"is_logged_in": True, "sub": "vera", "email": "vera@example.com", "name": "Vera",
               "groups": ["readiness-viewers"]}  # fmt: skip
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    sidebar = sidebar_text(at)
    assert "Signed in as vera@example.com · viewer" in sidebar, "the gate let the viewer in"
    assert "Database" not in sidebar and "SQLite" not in sidebar and "readiness.db" not in sidebar
    text = everything(at)
    assert "private-folder-7f3a" not in text and "readiness.db" not in text


def test_a_database_error_in_guarded_names_no_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", POSTGRES)

    def page() -> None:
        from sqlalchemy.exc import OperationalError

        from ui.state import guarded

        with guarded("the portfolio"):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    at = AppTest.from_function(page, default_timeout=TIMEOUT).run()
    assert len(at.error) == 1
    message = shown(at.error[0].value)
    assert message.startswith("The database could not be read while drawing the portfolio (OperationalError).")
    assert [secret for secret in (*POSTGRES_SECRETS, "test") if secret in message] == []


# --------------------------------------------------------------------------------------------
# One description of a database, and redact
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "described"),
    [
        ("sqlite:////srv/private/data/readiness.db", "SQLite · readiness.db"),
        ("sqlite:///relative/team.db?timeout=5", "SQLite · team.db"),
        (POSTGRES, "PostgreSQL · test"),
        ("postgresql+psycopg://u:p@db.internal:5432/readiness", "PostgreSQL · readiness"),
        ("postgres://u@h", "PostgreSQL"),
        ("not a url at all", "an unreadable database URL"),
    ],
)
def test_describe_database_keeps_only_the_engine_and_name(url: str, described: str) -> None:
    assert readiness.store.describe_database(url) == described


def test_redact_drops_the_password_and_every_query_parameter() -> None:
    redacted = readiness.store.redact(POSTGRES)
    assert "tiger" not in redacted and "hunter2" not in redacted and "?" not in redacted
    assert redacted == "postgresql://scott:***@127.0.0.1:1/test"


# --------------------------------------------------------------------------------------------
# make run
# --------------------------------------------------------------------------------------------


def make_run(*variables: str) -> str:
    done = subprocess.run(["make", "-n", "run", *variables], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)  # fmt: skip
    return next(line for line in done.stdout.splitlines() if "streamlit run" in line)


def test_make_run_listens_on_this_machine_unless_told_otherwise() -> None:
    assert "--server.address 127.0.0.1" in make_run()
    assert "--server.address 0.0.0.0" in make_run("ADDRESS=0.0.0.0")
