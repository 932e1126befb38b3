"""The dashboard's sign-in gate and role-aware navigation, through the router (AppTest): local mode says there is
no sign-in; in single sign-on mode nothing renders before sign-in, a configuration that cannot work is refused,
each role gets its pages, a refused page shows no data, and the admin page grants roles (audited)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from readiness.store import add_assessment, make_engine, migrate
from readiness.store.grants import list_grants
from readiness.store.repository import audit_entries
from tests.factories import build

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 60
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 40,
    "client_id": "readiness",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
}
GROUPS = {"readiness-viewers": "viewer", "claims-ai": "contributor:team=Claims AI", "readiness-admins": "admin"}


def user(sub: str, *groups: str) -> dict:
    return {
        "is_logged_in": True,
        "sub": sub,
        "email": f"{sub}@example.com",
        "name": sub.title(),
        "groups": list(groups),
    }


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    monkeypatch.setenv("READINESS_DATABASE_URL", url)
    monkeypatch.delenv("READINESS_GROUP_ROLES", raising=False)
    monkeypatch.delenv("READINESS_REQUIRE_SIGN_IN", raising=False)
    return url


def app(signed_in: dict | None = None, auth: dict | None = AUTH) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if auth is not None:
        at.secrets["auth"] = dict(auth)
        at.secrets["readiness"] = {"groups": dict(GROUPS)}
    at.user = signed_in if signed_in is not None else {"is_logged_in": False}
    return at


def shown(value: str) -> str:
    """Text as a person reads it: the Markdown escapes of ``ui.plain`` removed."""
    return value.replace("\\", "").replace("\u2060", "")


def texts(at: AppTest) -> str:
    parts = [*at.title, *at.markdown, *at.caption, *at.error, *at.info, *at.warning]
    return "\n".join(shown(str(p.value)) for p in parts)


def test_local_mode_says_there_is_no_sign_in_and_admin_stays_reachable(db: str) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No sign-in" in c.value and "everyone" in c.value for c in at.sidebar.caption)
    at.switch_page("screens/admin.py").run()
    assert not at.exception and at.title[0].value == "Admin"
    assert "Local mode" in texts(at)


def test_nothing_renders_before_sign_in(db: str) -> None:
    at = app().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["AI pilot readiness"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.get("plotly_chart") and not at.sidebar.caption


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"cookie_secret": ""}, "[auth] has no cookie_secret"),
        ({"cookie_secret": "short"}, "shorter than 32 characters"),
        ({"redirect_uri": "http://localhost:8501/"}, "redirect_uri must be"),
        ({"client_secret": ""}, "missing client_secret"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused(db: str, broken: dict, message: str) -> None:
    at = app(user("ada", "readiness-admins"), {**AUTH, **broken}).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "Sign-in is configured but cannot work, so this server stops" in shown(at.error[0].value)
    assert message in shown(at.error[0].value)
    assert not at.dataframe and not at.button


def test_a_bad_group_mapping_is_refused(db: str) -> None:
    at = app(user("ada", "readiness-admins"))
    at.secrets["readiness"] = {"groups": {"x": "owner"}}
    at.run()
    assert "unknown role" in at.error[0].value


def test_require_sign_in_refuses_local_mode(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_REQUIRE_SIGN_IN", "1")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert "no [auth] section" in shown(at.error[0].value) and not at.dataframe


def test_a_viewer_reads_but_a_refused_page_shows_only_the_reason(db: str) -> None:
    at = app(user("vera", "readiness-viewers")).run()
    assert not at.exception
    assert "Signed in as vera@example.com · viewer" in shown(" ".join(c.value for c in at.sidebar.caption))
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    at.switch_page("screens/methodology.py").run()
    assert not at.exception and at.title[0].value == "Methodology"
    # The refused pages are callables at their own URLs (no page file behind them, so none of its code can run);
    # AppTest switches only to file pages, so the direct URLs are opened in Chromium: tests/e2e/test_sso.py
    # (assert_refused: the reason, and no uploader, table, chart, form or text input).


def test_someone_signed_in_without_a_role_sees_no_data(db: str) -> None:
    at = app(user("nora", "unknown-group")).run()
    assert not at.exception
    assert "with no role in Readiness yet" in at.warning[0].value
    assert not at.dataframe and not at.get("plotly_chart")


def test_the_admin_page_grants_a_role_and_audits_it(db: str) -> None:
    engine = make_engine(db)
    migrate(engine)
    add_assessment(engine, build(), actor="seed")  # a pilot of team Claims AI
    engine.dispose()
    at = app(user("ada", "readiness-admins")).run()
    at.switch_page("screens/admin.py").run()
    assert not at.exception and at.title[0].value == "Admin"
    at.text_input(key="admin.principal").input("carl@example.com")
    at.radio(key="admin.role").set_value("contributor")
    at.selectbox(key="admin.team").set_value("Claims AI")
    at.button[0].click().run()  # the form's Grant button
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert shown(at.success[0].value) == "Granted: carl@example.com: contributor for team Claims AI"
    engine = make_engine(db)
    try:
        migrate(engine)
        (grant,) = list_grants(engine)
        assert (grant.principal, grant.role, grant.team) == ("carl@example.com", "contributor", "Claims AI")
        assert grant.granted_by == "ada@example.com"
        entry = audit_entries(engine)[0]
        assert (entry.action, entry.written_by.subject, entry.written_by.source) == ("grant.add", "ada", "sso")
    finally:
        engine.dispose()
