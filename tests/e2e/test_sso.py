"""Single sign-on end to end: a real OpenID Connect provider (``oidc-provider-mock``) on 127.0.0.1, the app under
``streamlit run`` with an ``[auth]`` section, and Chromium signing in as a viewer, a contributor and an admin.

For each role: the navigation it sees (screenshot in /tmp/shots/role-<role>.png), the refusal of the pages it
may not open by their direct URL, and what it writes: the contributor's workbook for a pilot outside its team
is refused with nothing written, its own pilot is imported under its identity (audit log, on the Methodology
page too), the admin grants a role on the Admin page under its identity, then signs out. Also: nothing renders
before sign-in, and a server whose ``[auth]`` has no cookie secret stops instead of serving.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from readiness.assessment import Assessment, PilotContext
from readiness.store import count_rows, make_engine, pilot_history
from readiness.store.grants import list_grants
from readiness.store.repository import audit_entries
from tests.e2e.conftest import (
    RUN_TIMEOUT_MS,
    AppServer,
    free_port,
    requires_chromium,
    run_cli,
    wait_for_app_run,
    wait_until,
)
from tests.input_files import filled_workbook

pytestmark = [pytest.mark.e2e, requires_chromium]

SHOTS = Path("/tmp/shots")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COOKIE_SECRET = "e2e-" + "5f0c9e1a" * 6
# The identity provider's users: subject → claims, groups as the ID token carries them.
USERS = {
    "vera": {"email": "vera@example.com", "name": "Vera Viewer", "groups": ["readiness-viewers"]},
    "carl": {"email": "carl@example.com", "name": "Carl Contributor", "groups": ["claims-ai"]},
    "ada": {"email": "ada@example.com", "name": "Ada Admin", "groups": ["readiness-admins", "readiness-viewers"]},
}
GROUPS = {"readiness-viewers": "viewer", "claims-ai": "contributor:team=Claims AI", "readiness-admins": "admin"}
READER_PAGES = ["Portfolio", "Pilot", "Compare", "What-if", "Export", "Methodology"]
NAVIGATION = {
    "viewer": READER_PAGES,
    "contributor": ["Portfolio", "Pilot", "Assess", "Upload", "Compare", "What-if", "Export", "Methodology"],
    "admin": ["Portfolio", "Pilot", "Assess", "Upload", "Compare", "What-if", "Export", "Methodology", "Admin"],
}
# Labels of the navigation's links, icons left out (as tests/e2e/conftest.py's recorder reads them).
NAV_LABELS_JS = """
() => [...document.querySelectorAll('[data-testid="stSidebarNav"] a')].map((link) => {
  const copy = link.cloneNode(true);
  copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach((icon) => icon.remove());
  return (copy.innerText || copy.textContent).trim();
})
"""


# --------------------------------------------------------------------------------------------
# The identity provider, the database and the app
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """``oidc-provider-mock`` on 127.0.0.1, in a thread of this process; users and their groups set through its
    API (``PUT /users/<sub>``)."""
    import werkzeug.serving
    from oidc_provider_mock import app as provider_app

    server = werkzeug.serving.make_server("127.0.0.1", free_port(), provider_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        for sub, claims in USERS.items():
            request = urllib.request.Request(
                f"{url}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 204
        yield url
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="module")
def sso_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo portfolio, loaded through the CLI, in a database of this module's own (its tests write)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-sso') / 'readiness.db'}"
    run_cli("demo", database_url=url)
    return url


def secrets_file(folder: Path, server: AppServer, provider_url: str, **auth: str) -> Path:
    """A ``secrets.toml`` with Streamlit's ``[auth]`` for the provider and the groups-to-roles mapping."""
    settings = {
        "redirect_uri": f"{server.url}/oauth2callback",
        "cookie_secret": COOKIE_SECRET,
        "client_id": "readiness-e2e",
        "client_secret": "e2e-client-secret",
        "server_metadata_url": f"{provider_url}/.well-known/openid-configuration",
        **auth,
    }
    lines = ["[auth]", *(f"{k} = {json.dumps(v)}" for k, v in settings.items() if v is not None), "",
             "[readiness.groups]", *(f"{json.dumps(g)} = {json.dumps(r)}" for g, r in GROUPS.items())]  # fmt: skip
    path = folder / "secrets.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sso_server(sso_db_url: str, provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app with single sign-on against the provider (its own secrets file, never the checkout's)."""
    server = AppServer(sso_db_url)
    secrets = secrets_file(tmp_path_factory.mktemp("sso-secrets"), server, provider)
    server.extra_args = ["--secrets.files", str(secrets)]
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


# --------------------------------------------------------------------------------------------
# Signing in, as a person does
# --------------------------------------------------------------------------------------------


def sign_in(page: Any, server: AppServer, subject: str) -> None:
    """Open the app, press Sign in, authorize ``subject`` at the provider, and wait for the app, signed in."""
    page.goto(server.url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"), timeout=RUN_TIMEOUT_MS)
    page.locator("input[name='sub']").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(server.url)), timeout=RUN_TIMEOUT_MS)
    page.get_by_test_id("stSidebarNav").get_by_text("Portfolio", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_app_run(page)
    page.get_by_test_id("stSidebar").get_by_text(re.compile("Signed in as")).wait_for()


def as_shown(text: str) -> re.Pattern[str]:
    """``text`` as ``ui.plain`` shows it: a word joiner may follow each @ (so it is never read as a link)."""
    return re.compile(re.escape(text).replace("@", "@\u2060?"))


def sidebar_text(page: Any) -> str:
    """The sidebar as read (the word joiners ``ui.plain`` puts after an @ left out)."""
    return page.get_by_test_id("stSidebar").inner_text().replace("\u2060", "")


def navigation(page: Any) -> list[str]:
    return page.evaluate(NAV_LABELS_JS)


def open_path(page: Any, server: AppServer, path: str) -> None:
    """Open a page by its URL in the signed-in browser (the identity cookie goes along)."""
    response = page.goto(f"{server.url}/{path}")
    assert response is not None and response.status == 200
    page.get_by_test_id("stSidebarNav").wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_app_run(page)


def no_exception(page: Any) -> None:
    assert page.get_by_test_id("stException").count() == 0


def assert_refused(page: Any, server: AppServer, path: str, title: str, role: str) -> None:
    """A direct URL to a page the identity may not open: the reason, and none of the page (no data, no inputs)."""
    open_path(page, server, path)
    main = page.get_by_test_id("stMain")
    main.get_by_text(f"Not permitted: {title} needs the {role} role.").wait_for()
    no_exception(page)
    for widget in ("stFileUploader", "stDataFrame", "stPlotlyChart", "stForm", "stTextInput"):
        assert main.get_by_test_id(widget).count() == 0, f"{widget} on the refused {title} page"
    assert title not in navigation(page)


def upload_and_import(page: Any, name: str, data: bytes) -> None:
    chooser = page.get_by_test_id("stFileUploaderDropzoneInput")
    chooser.set_input_files(files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    wait_until(page, lambda: page.get_by_text(name, exact=True).count() > 0, what=f"{name} to be listed")
    wait_for_app_run(page, initial_wait_ms=500)
    page.get_by_role("button", name=re.compile(r"^Import 1 valid file")).click()
    wait_for_app_run(page, initial_wait_ms=500)


def snapshot_of(name: str, team: str, unit: str, day: date) -> Assessment:
    return Assessment(
        pilot=PilotContext(name=name, business_unit=unit, owning_team=team, stage="pilot", start_date=date(2026, 1, 1)),
        as_of=day,
        submitted_by="typed.name@example.com",
        answers={"DATA-1": "yes", "SCALE-1": "no", "GOV-1": "not_sure"},
        metrics={"data.production_sample_share": 60.0},
    )


def engine_of(url: str):
    return make_engine(url)


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


def test_nothing_renders_before_sign_in(sso_server: AppServer, page: Any) -> None:
    for path in ("", "portfolio", "upload", "admin"):
        response = page.goto(f"{sso_server.url}/{path}")
        assert response is not None and response.status == 200
        page.get_by_role("button", name="Sign in").wait_for(timeout=RUN_TIMEOUT_MS)
        wait_for_app_run(page)
        assert page.get_by_test_id("stSidebarNav").count() == 0
        for widget in ("stDataFrame", "stPlotlyChart", "stFileUploader", "stMetric"):
            assert page.get_by_test_id(widget).count() == 0, (path, widget)
        no_exception(page)


def test_a_viewer_reads_and_is_refused_everything_else(
    sso_server: AppServer, sso_db_url: str, page: Any, shots: Path
) -> None:
    sign_in(page, sso_server, "vera")
    assert navigation(page) == NAVIGATION["viewer"]
    assert "Signed in as vera@example.com · viewer" in sidebar_text(page)
    page.screenshot(path=str(shots / "role-viewer.png"))
    for path, title, role in [("upload", "Upload", "contributor"), ("assess", "Assess", "contributor"),
                              ("admin", "Admin", "admin")]:  # fmt: skip
        assert_refused(page, sso_server, path, title, role)
    engine = engine_of(sso_db_url)
    try:
        assert not [e for e in audit_entries(engine, limit=None) if e.written_by and e.written_by.subject == "vera"]
    finally:
        engine.dispose()


def test_a_contributor_writes_only_its_teams_pilots_under_its_identity(
    sso_server: AppServer, sso_db_url: str, page: Any, shots: Path
) -> None:
    sign_in(page, sso_server, "carl")
    assert navigation(page) == NAVIGATION["contributor"]
    page.screenshot(path=str(shots / "role-contributor.png"))
    assert_refused(page, sso_server, "admin", "Admin", "admin")

    # Another team's pilot: refused, naming the pilot, and nothing written.
    engine = engine_of(sso_db_url)
    before = count_rows(engine)
    open_path(page, sso_server, "upload")
    fraud = snapshot_of("Fraud alerts", "Risk Analytics", "Finance", date(2026, 11, 20))
    upload_and_import(page, "fraud-alerts.xlsx", filled_workbook(fraud))
    refusal = page.get_by_test_id("stMain").get_by_text(re.compile(r"fraud-alerts\.xlsx: not imported"))
    refusal.wait_for()
    # User text carries an invisible word joiner after "@" so that it never becomes a link (ui.plain).
    text = refusal.inner_text().replace("\u2060", "")
    assert "not permitted" in text and "carl@example.com" in text and "Fraud alerts" in text, text
    assert "Claims AI" in text and "Risk Analytics" in text, text
    refusal.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "role-contributor-refused.png"))
    assert count_rows(engine) == before, "a refused upload wrote something"

    # Its own team's pilot: imported, and recorded under the signed-in identity.
    open_path(page, sso_server, "upload")
    claims = snapshot_of("Claims triage", "Claims AI", "Operations", date(2026, 11, 21))
    upload_and_import(page, "claims-triage.xlsx", filled_workbook(claims))
    page.get_by_text("Imported 1 new snapshot").wait_for()
    no_exception(page)
    try:
        newest = pilot_history(engine, "Claims triage")[-1]
        assert newest.assessment.as_of == date(2026, 11, 21)
        assert (newest.written_by.subject, newest.written_by.email, newest.written_by.source) == (
            "carl", "carl@example.com", "sso")  # fmt: skip
        assert newest.assessment.submitted_by == "typed.name@example.com"  # the typed field stays apart
        added = next(e for e in audit_entries(engine) if e.action == "snapshot.add")
        assert added.actor == "carl@example.com" and added.written_by.subject == "carl"
    finally:
        engine.dispose()

    # The Methodology page's audit log says who did it.
    open_path(page, sso_server, "methodology")
    cells = page.get_by_test_id("stDataFrame").last.locator("td[role='gridcell']")
    wait_until(page, lambda: "carl@example.com (signed in)" in cells.all_text_contents(), what="the audit log")


def test_an_admin_manages_grants_under_its_identity_and_signs_out(
    sso_server: AppServer, sso_db_url: str, page: Any, shots: Path
) -> None:
    sign_in(page, sso_server, "ada")
    assert navigation(page) == NAVIGATION["admin"]
    page.screenshot(path=str(shots / "role-admin.png"))

    open_path(page, sso_server, "admin")
    main = page.get_by_test_id("stMain")
    main.get_by_label("E-mail address or subject").fill("lee@example.com")
    main.get_by_text("contributor", exact=True).click()
    main.get_by_text("Business unit", exact=True).first.click()
    unit = main.get_by_test_id("stSelectbox").filter(has_text="Business unit")
    unit.click()
    page.get_by_role("option", name="Finance", exact=True).click()
    main.get_by_role("button", name="Grant").click()
    wait_for_app_run(page, initial_wait_ms=500)
    main.get_by_text(as_shown("Granted: lee@example.com: contributor for business unit Finance")).wait_for()
    no_exception(page)
    page.screenshot(path=str(shots / "role-admin-grant.png"), full_page=True)
    engine = engine_of(sso_db_url)
    try:
        assert [(g.principal, g.role, g.unit, g.granted_by) for g in list_grants(engine)] == [
            ("lee@example.com", "contributor", "Finance", "ada@example.com")
        ]
        entry = audit_entries(engine)[0]
        assert (entry.action, entry.actor, entry.written_by.subject, entry.written_by.source) == (
            "grant.add", "ada@example.com", "ada", "sso")  # fmt: skip
    finally:
        engine.dispose()

    # Sign out: through the provider's end of session, back to the sign-in screen, and no data.
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/oauth2/end_session"), timeout=RUN_TIMEOUT_MS)
    page.get_by_role("button", name="End session").click()  # the provider confirms the end of the session
    page.get_by_role("button", name="Sign in").wait_for(timeout=RUN_TIMEOUT_MS)
    open_path_signed_out = page.goto(f"{sso_server.url}/portfolio")
    assert open_path_signed_out is not None
    page.get_by_role("button", name="Sign in").wait_for(timeout=RUN_TIMEOUT_MS)
    assert page.get_by_test_id("stSidebarNav").count() == 0


def test_a_server_without_a_cookie_secret_refuses_to_serve(
    sso_db_url: str, provider: str, page: Any, tmp_path: Path
) -> None:
    server = AppServer(sso_db_url)
    server.extra_args = ["--secrets.files", str(secrets_file(tmp_path, server, provider, cookie_secret=None))]
    server.start()
    try:
        response = page.goto(server.url)
        assert response is not None and response.status == 200
        page.get_by_text(re.compile("Sign-in is configured but cannot work, so this server stops")).wait_for()
        assert page.get_by_text(re.compile("has no cookie_secret")).count() == 1
        assert page.get_by_test_id("stSidebarNav").count() == 0 and page.get_by_test_id("stDataFrame").count() == 0
        process = server.process
        assert process is not None
        wait_until(page, lambda: process.poll() is not None, timeout_ms=30_000, what="the server to stop")
        assert "cannot work, so this server stops" in server.output()
    finally:
        server.stop()
