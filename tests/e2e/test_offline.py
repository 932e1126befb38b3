"""Offline: the app asks nothing of any host but its own, on every page (issue 11).

Each page is opened in Chromium with every request to another host aborted and recorded; the page must
draw with no exception and the record must stay empty. A Material icon as the page icon made Streamlit
point the favicon at Google's font host (``fonts.gstatic.com``), which fails offline: the favicon is now a
file of the repository, served by the app itself. The navigation's Material icons come from the font
Streamlit bundles, which these tests confirm by blocking everything else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest

from readiness.demo import demo_assessments
from tests.e2e.conftest import AppServer, open_app, requires_chromium, wait_for_app_run, wait_until

pytestmark = [pytest.mark.e2e, requires_chromium]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
DEMO_PILOT = demo_assessments()[0].pilot.name
# Every page of the navigation; the Pilot page opened on a pilot so that it draws its charts.
PAGES = [
    "portfolio",
    f"pilot?pilot={quote(DEMO_PILOT)}",
    "assess",
    "upload",
    "compare",
    "whatif",
    "export",
    "methodology",
]


def is_local(url: str) -> bool:
    """Whether a request stays on the app's own host (data: and blob: URLs never leave the browser)."""
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS


def block_other_hosts(page: Any) -> list[str]:
    """Abort every request (and refuse every websocket) to a host other than the app's own; return the
    list the blocked URLs are recorded in."""
    blocked: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if is_local(url):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort("internetdisconnected")

    page.route("**/*", route)
    page.on("websocket", lambda socket: None if is_local(socket.url) else blocked.append(socket.url))
    return blocked


def settle(page: Any) -> None:
    """Wait for what loads after the script run: Plotly's drawing, fonts, the favicon."""
    charts = page.locator("[data-testid='stPlotlyChart']").count()
    if charts:
        wait_until(
            page,
            lambda: page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg").count() >= charts,
            what="the charts to be drawn",
        )
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_timeout(1_000)


@pytest.mark.parametrize("path", PAGES, ids=[p.split("?")[0] for p in PAGES])
def test_every_page_asks_nothing_of_other_hosts(demo_server: AppServer, page: Any, path: str) -> None:
    blocked = block_other_hosts(page)
    open_app(page, demo_server, path)
    settle(page)
    assert page.get_by_test_id("stException").count() == 0
    assert blocked == [], f"/{path} requested other hosts: {sorted(set(blocked))}"


def test_the_favicon_is_served_by_the_app(demo_server: AppServer, page: Any) -> None:
    blocked = block_other_hosts(page)
    open_app(page, demo_server, "portfolio")
    icons = page.locator("link[rel~='icon']")
    wait_until(page, lambda: icons.count() > 0, what="the favicon link")
    hrefs = [urljoin(page.url, icons.nth(k).get_attribute("href") or "") for k in range(icons.count())]
    assert all(is_local(href) for href in hrefs), hrefs
    # The icon itself loads from the app, as an image.
    icon = page.request.get(hrefs[0])
    assert icon.ok and icon.headers.get("content-type", "").startswith("image/"), icon.headers
    assert blocked == []


def test_assess_tabs_stay_offline_when_used(demo_server: AppServer, page: Any) -> None:
    """Opening every gap tab of the Assess page and the deeper questions draws nothing from elsewhere."""
    blocked = block_other_hosts(page)
    open_app(page, demo_server, "assess")
    for tab in page.get_by_role("tab").all():
        tab.click()
        wait_for_app_run(page, initial_wait_ms=100)
    page.get_by_text("Deeper questions", exact=False).first.click()
    settle(page)
    assert blocked == [], sorted(set(blocked))
