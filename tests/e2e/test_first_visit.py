"""What makes a first visit to the Portfolio quick, in the real server and browser: every page announces the
first screen's scripts (ui.preload), and the Portfolio's charts are drawn once, their margins already holding
their labels (readiness.charts.label_margin), on the demo portfolio and on a 1,000-pilot one."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import AppServer, open_app, requires_chromium
from tests.e2e.test_app_e2e import charts_drawn
from ui.preload import EVALUATED_EARLY, first_screen_scripts

pytestmark = pytest.mark.e2e

# Per chart on the page: its title (or its place) and each side whose margin Plotly had to widen to fit what it
# draws there, given → measured. Any such side means Plotly drew that chart a second time.
WIDENED_MARGINS_JS = """
() => [...document.querySelectorAll('.js-plotly-plot')].map((chart, k) => {
  const full = chart._fullLayout;
  const sides = ['l', 'r', 't', 'b'].filter(side => full._size[side] > full.margin[side])
    .map(side => `${side} ${full.margin[side]} → ${full._size[side]}`);
  const name = (chart.layout.title && chart.layout.title.text) || `chart ${k + 1}`;
  return sides.length ? `${name}: ${sides.join(', ')}` : null;
}).filter(Boolean)
"""


@pytest.mark.parametrize("path", ["", "portfolio", "pilot"])
def test_every_page_announces_the_first_screens_scripts(demo_server: AppServer, path: str) -> None:
    """The root and the pages' own URLs (which Streamlit serves gzipped) carry the links, and each one loads."""
    request = urllib.request.Request(f"{demo_server.url}/{path}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.headers.get("Content-Encoding") is None
        page = reply.read().decode()
    scripts = first_screen_scripts()
    missing = [name for name in scripts if f'rel="modulepreload" crossorigin href="./static/js/{name}"' not in page]
    assert scripts and not missing, f"not announced on /{path}: {missing}"
    early = [name for name in scripts if name.startswith(EVALUATED_EARLY)]
    assert early and all(f'import("./static/js/{name}")' in page for name in early)  # evaluated once connected
    with urllib.request.urlopen(f"{demo_server.url}/static/js/{scripts[0]}", timeout=30) as script:
        assert script.status == 200


def test_the_server_starts_without_a_warning(fresh_server: AppServer) -> None:
    """serve.py loads the app (its cached functions) only once Streamlit's runtime exists, and its warm-up reads
    the database: the log has neither the cache store's fallback warning nor a failed warm-up."""
    log = fresh_server.output()
    assert "No runtime found" not in log and "could not read the database" not in log, log[-2000:]


@requires_chromium
@pytest.mark.parametrize("state", ["demo", "large"])
def test_the_portfolio_charts_are_drawn_once(state: str, request: pytest.FixtureRequest, page: Any) -> None:
    server: AppServer = request.getfixturevalue(f"{state}_server")
    for width, height in [(1280, 800), (1440, 900)]:
        page.set_viewport_size({"width": width, "height": height})
        open_app(page, server, "portfolio")
        assert charts_drawn(page) >= 2
        widened = page.evaluate(WIDENED_MARGINS_JS)
        assert not widened, f"margins Plotly had to widen at {width}×{height} ({state}): {widened}"
