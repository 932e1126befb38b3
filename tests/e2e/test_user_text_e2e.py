"""User text is text, in the browser: pilots whose names, units, teams, sponsors and submitters are attacks
(``tests/user_text.py``) pointing at a beacon served here, on the Portfolio, Pilot (``?pilot=`` too), Compare
and Export pages in Chromium.

A Markdown image in a name made every viewer's browser fetch it; a name holding ``<a href>`` became a link in
the Plotly heatmap; a ``:red[...]`` directive turned into a phishing link; a line break in a name started a
heading; the URL's ``?pilot=`` was echoed as Markdown. Here the beacon must see no request at all, no ``<a>``
element (HTML or Plotly's SVG) may carry user text or point at the beacon, no title may carry an anchor link,
and the names must show as typed. The AppTest-level checks are ``tests/test_user_text.py``.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from readiness.store import add_assessments, make_engine, migrate
from tests.e2e.conftest import AppServer, free_port, open_app, requires_chromium, wait_for_app_run, wait_until
from tests.user_text import LINK_WORDS, Payloads, payload_assessments

pytestmark = [pytest.mark.e2e, requires_chromium]

# Every <a> of the page (HTML, and the SVG links Plotly draws from text): its text, its target, whether a
# title (st.title, st.header, st.subheader) holds it.
ANCHORS_JS = """[...document.querySelectorAll('a')].map(a => ({
  text: a.textContent, href: a.getAttribute('href') || a.getAttribute('xlink:href') || '',
  heading: !!a.closest('[data-testid="stHeading"]')}))"""
HEADINGS_JS = "[...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => h.textContent)"
IMAGES_JS = "[...document.querySelectorAll('img, image')].map(i => i.getAttribute('src') || i.getAttribute('href'))"
HOVER_JS = "[...document.querySelectorAll('.hoverlayer')].map(h => h.textContent).join(' ')"
TICKS_JS = "[...document.querySelectorAll('.ytick text')].map(t => t.textContent)"


@dataclass
class Beacon:
    """A tiny HTTP server on 127.0.0.1 that records every request it gets (and answers 204)."""

    port: int = field(default_factory=free_port)
    requests: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self) -> http.server.ThreadingHTTPServer:
        requests = self.requests

        class Record(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, *args: object) -> None:  # quiet: the list is the record
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Record)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture(scope="module")
def beacon() -> Iterator[Beacon]:
    found = Beacon()
    server = found.serve()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def payloads(beacon: Beacon) -> Payloads:
    return Payloads(beacon.base)


@pytest.fixture(scope="module")
def payload_server(payloads: Payloads, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app on a store holding only the payload pilots."""
    path: Path = tmp_path_factory.mktemp("e2e-user-text") / "readiness.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        migrate(engine)
        add_assessments(engine, payload_assessments(payloads), source="cli", actor=payloads.submitter)
    finally:
        engine.dispose()
    server = AppServer(url).start()
    try:
        yield server
    finally:
        server.stop()


def as_typed(text: str) -> str:
    """What a page shows of user text: on one line (the escape turns a line break into a space)."""
    return " ".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def shown(text: str) -> str:
    """Text read from the page, without the invisible word joiners that keep a URL from becoming a link."""
    return text.replace("\u2060", "")


def draw_charts_and_hover(page: Any, beacon: Beacon) -> str:
    """Wait for every chart to be drawn, then point at the middle of each one (so that Plotly draws its hover
    label too); return the text of the hover labels seen."""
    charts = page.locator("[data-testid='stPlotlyChart']")
    count = charts.count()
    if count:
        wait_until(page, lambda: page.locator("[data-testid='stPlotlyChart'] .main-svg").count() >= count,
                   what="the charts to be drawn")  # fmt: skip
    hovers = []
    for k in range(count):
        area = charts.nth(k).locator(".nsewdrag").last  # the heatmap's cells, right of its verdict column
        if not area.count():
            continue
        area.scroll_into_view_if_needed()
        box = area.bounding_box()
        if box is None:
            continue
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
        hovers.append(page.evaluate(HOVER_JS))
        assert_no_user_link(page, beacon)
    page.wait_for_timeout(500)  # any image the page asked for has reached the beacon by now
    return " ".join(hovers)


def assert_no_user_link(page: Any, beacon: Beacon) -> None:
    for anchor in page.evaluate(ANCHORS_JS):
        made_of_user_text = beacon.base in anchor["href"] or beacon.base in shown(anchor["text"])
        made_of_user_text |= any(word in anchor["text"] for word in LINK_WORDS)
        assert not made_of_user_text, f"a link made of user text: {anchor}"
        assert not anchor["heading"], f"a title carries an anchor link: {anchor}"


def assert_untouched(page: Any, beacon: Beacon) -> None:
    """Nothing of user text became a request, a link, an image or a heading."""
    assert beacon.requests == [], f"the viewer's browser fetched user URLs: {beacon.requests}"
    assert not [src for src in page.evaluate(IMAGES_JS) if src and beacon.base in src]
    assert_no_user_link(page, beacon)
    assert "HEADINGLINK" not in [h.strip() for h in page.evaluate(HEADINGS_JS)], "a line break started a heading"
    assert page.get_by_test_id("stException").count() == 0


@pytest.fixture
def viewer(page: Any, payload_server: AppServer, beacon: Beacon) -> Any:
    """A fresh browser page on the payload app; the beacon's record starts empty."""
    beacon.requests.clear()
    return page


def test_the_portfolio_fetches_nothing_and_links_nothing(viewer: Any, payload_server: AppServer, beacon: Beacon,
                                                         payloads: Payloads) -> None:  # fmt: skip
    open_app(viewer, payload_server, "portfolio")
    hovers = draw_charts_and_hover(viewer, beacon)
    assert_untouched(viewer, beacon)
    # Written as typed: the heatmap's rows, the verdicts' business units, the pilot in a cell's hover.
    ticks = viewer.evaluate(TICKS_JS)
    assert as_typed(payloads.unit) in ticks, ticks
    assert any(tick.startswith(as_typed(payloads.html_name)) for tick in ticks), ticks  # then "◷ as of Jun 2026"
    assert any(as_typed(name) in hovers for name in payloads.names), hovers


@pytest.mark.parametrize("which", ["image_name", "html_name", "directive_name", "heading_name"])
def test_the_pilot_page_fetches_nothing_and_links_nothing(viewer: Any, payload_server: AppServer, beacon: Beacon,
                                                          payloads: Payloads, which: str) -> None:  # fmt: skip
    text = getattr(payloads, which)
    open_app(viewer, payload_server, f"pilot?pilot={quote(text, safe='')}")
    draw_charts_and_hover(viewer, beacon)
    assert_untouched(viewer, beacon)
    assert shown(viewer.locator("h1").first.inner_text()) == as_typed(text)
    facts = shown(viewer.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").first.inner_text())
    for field_text in (payloads.unit, payloads.team, payloads.sponsor, payloads.submitter):
        assert as_typed(field_text) in facts


def test_a_link_naming_no_pilot_is_echoed_as_typed(viewer: Any, payload_server: AppServer, beacon: Beacon,
                                                   payloads: Payloads) -> None:  # fmt: skip
    for page_name in ("pilot", "assess"):  # both say that the linked pilot does not exist
        open_app(viewer, payload_server, f"{page_name}?pilot={quote(payloads.query, safe='')}")
        draw_charts_and_hover(viewer, beacon)
        assert_untouched(viewer, beacon)
        warning = shown(viewer.get_by_test_id("stAlertContentWarning").first.inner_text())
        assert as_typed(payloads.query) in warning


def test_compare_fetches_nothing_and_links_nothing(viewer: Any, payload_server: AppServer, beacon: Beacon) -> None:
    open_app(viewer, payload_server, "compare")
    draw_charts_and_hover(viewer, beacon)
    assert_untouched(viewer, beacon)


def test_building_the_board_pack_fetches_nothing(viewer: Any, payload_server: AppServer, beacon: Beacon) -> None:
    # The build's progress names each pilot page as it is made: a progress text reads Markdown.
    open_app(viewer, payload_server, "export")
    viewer.get_by_role("button", name="Build the board pack").click()
    viewer.get_by_role("button", name="Download the deck (.pptx)").wait_for(timeout=180_000)
    wait_for_app_run(viewer)
    assert_untouched(viewer, beacon)
