"""Every page at laptop widths (1280×800 and 1440×900), on the demo portfolio and on a 1,000-pilot one: no text
is cut. A KPI tile's label or delta ending in "…", a control whose option is scrolled out of view, a tab cut to
"U›", a table that must be scrolled sideways, a chart label outside its chart or clipped by its plot area, and
two texts of one chart printed over each other all fail the test, which names the page, width and text.

One browser page per database visits every page in turn, each checked at both widths (2 × 8 page loads, about
a minute and a half). On a failure a screenshot of the page goes to
``tests/artifacts/layout-<state>-<width>-<page>.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from readiness.demo import demo_assessments, synthetic_pilots
from tests.e2e.conftest import (
    LARGE_SNAPSHOTS,
    ROOT,
    RUN_TIMEOUT_MS,
    AppServer,
    open_app,
    requires_chromium,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.e2e, requires_chromium]

WIDTHS = [(1280, 800), (1440, 900)]
RESIZE_SETTLE_MS = 1000  # the page and its charts lay themselves out again after a resize
# Every page at its URL; the admin page (grants) too where it exists (in local mode it is reachable at /admin).
PAGES = [
    page
    for page in ["portfolio", "pilot", "assess", "upload", "compare", "whatif", "export", "methodology", "admin"]
    if (ROOT / "screens" / f"{page}.py").is_file()
]
# The pilot each Pilot page opens (its deep link), per database.
PILOTS = {
    "demo": demo_assessments()[0].pilot.name,
    "large": synthetic_pilots(1, LARGE_SNAPSHOTS)[0].name,
}

# Runs in the page; returns one line per problem. Text elements are checked two ways: cut inside their own box
# (an ellipsis, or hidden overflow with more content than width) and cut by the nearest ancestor that clips
# sideways (a tab list or a segmented control scrolled so that an option is out of view). Tables: a data grid
# wider than its frame. Charts: text outside the chart's SVG, text clipped by its plot area, and two texts of
# one chart (data labels, cell text, axis labels, title, legend, notes) overlapping one another.
OVERFLOW_JS = """
() => {
  const problems = [];
  const TEXT = [
    '[data-testid="stMetricLabel"]', '[data-testid="stMetricLabel"] p', '[data-testid="stMetricValue"]',
    '[data-testid="stMetricValue"] div', '[data-testid="stMetricDelta"]', '[data-testid="stMetricDelta"] div',
    'button', 'button p', '[role="tab"]', '[role="tab"] p', 'label', 'label p', '[data-testid="stWidgetLabel"] p',
    '[data-testid="stMarkdownContainer"] p', '[data-testid="stCaptionContainer"]', '[data-baseweb="select"] span',
    '[data-baseweb="tag"] span', '[data-testid="stExpander"] summary p', '[data-testid="stHeading"] h1',
    '[data-testid="stHeading"] h2', '[data-testid="stHeading"] h3',
  ].join(', ');
  const text = (el) => (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ');
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    // Content of a closed expander keeps a box but is not shown: checkVisibility says so.
    const shown = el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
    if (r.width < 1 || r.height < 1 || !shown) return false;
    const cs = getComputedStyle(el);
    return cs.visibility !== 'hidden' && cs.display !== 'none' && !el.closest('[hidden], [aria-hidden="true"]');
  };
  const outside = (r, c) =>
    r.left < c.left - 1 || r.right > c.right + 1 || r.top < c.top - 1 || r.bottom > c.bottom + 1;
  const clipsX = (el) => ['hidden', 'clip', 'auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const roots = [...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]')];
  for (const root of roots) {
    for (const el of root.querySelectorAll(TEXT)) {
      if (!visible(el) || !text(el)) continue;
      const cs = getComputedStyle(el);
      if ((cs.textOverflow === 'ellipsis' || clipsX(el)) && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`text cut in its box: "${text(el).slice(0, 60)}" (${el.scrollWidth} > ${el.clientWidth} px)`);
        continue;
      }
      let box = el.parentElement;
      while (box && box !== root && !clipsX(box)) box = box.parentElement;
      if (!box || box === root) continue;
      const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
      if (r.right > b.right + 1 || r.left < b.left - 1) {
        const px = (x) => Math.round(x);
        const where = `${px(r.left)}-${px(r.right)} px outside ${px(b.left)}-${px(b.right)}`;
        problems.push(`text cut by its container: "${text(el).slice(0, 60)}" (${where})`);
      }
    }
  }
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')) {
    if (visible(grid) && grid.scrollWidth > grid.clientWidth + 1) {
      const head = [...grid.closest('[data-testid="stDataFrame"]').querySelectorAll('th')].map(text).join(' | ');
      problems.push(`table scrolls sideways (${grid.scrollWidth} > ${grid.clientWidth} px): ${head.slice(0, 80)}`);
    }
  }
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (!visible(chart)) continue;
    const svg = chart.querySelector('svg.main-svg');
    if (!svg) continue;
    const frame = svg.getBoundingClientRect();
    const labels = [];
    for (const t of chart.querySelectorAll('svg.main-svg text')) {
      const content = (t.textContent || '').trim();
      const r = t.getBoundingClientRect();
      if (!content || r.width < 1 || getComputedStyle(t).visibility === 'hidden') continue;
      if (outside(r, frame)) {
        problems.push(`chart text outside its chart: "${content.slice(0, 60)}"`);
        continue;
      }
      // A clip path's rectangle is in the user space of the element it clips: map it to the screen.
      const clipped = t.closest('[clip-path]');
      const id = clipped && (clipped.getAttribute('clip-path').match(/#([^)'"]+)/) || [])[1];
      const rect = id && document.getElementById(id) && document.getElementById(id).querySelector('rect');
      if (rect && clipped.getScreenCTM()) {
        const at = (name) => parseFloat(rect.getAttribute(name)) || 0;
        const ctm = clipped.getScreenCTM();
        const p1 = new DOMPoint(at('x'), at('y')).matrixTransform(ctm);
        const p2 = new DOMPoint(at('x') + at('width'), at('y') + at('height')).matrixTransform(ctm);
        const c = {left: Math.min(p1.x, p2.x), right: Math.max(p1.x, p2.x), top: Math.min(p1.y, p2.y),
                   bottom: Math.max(p1.y, p2.y)};
        if (c.right - c.left > 0 && outside(r, c)) {
          problems.push(`chart text clipped by its plot area: "${content.slice(0, 60)}"`);
        }
      }
      labels.push([content, r]);
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const [a, ra] = labels[i], [b, rb] = labels[j];
        const dx = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const dy = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (dx > 2 && dy > 2) problems.push(`chart texts overprint: "${a.slice(0, 40)}", "${b.slice(0, 40)}"`);
      }
    }
  }
  return [...new Set(problems)];
}
"""


def charts_drawn(page: Any) -> None:
    """Wait until every Plotly chart on the page has drawn its SVG (Plotly draws after the script run ends)."""
    count = page.locator("[data-testid='stPlotlyChart']").count()
    if count:
        wait_until(
            page,
            lambda: page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg").count() >= count,
            what=f"{count} Plotly chart(s) to be drawn",
        )
        page.wait_for_timeout(300)


OPEN_EXPANDERS_JS = """
() => {
  let opened = 0;
  for (const summary of document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary')) {
    if (summary.checkVisibility()) { summary.click(); opened += 1; }
  }
  return opened;
}
"""


def whole_page_shot(page: Any, path: Path) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside its main container: the window is made as tall
    as the content for the shot, then restored)."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 8000)})
    page.wait_for_timeout(RESIZE_SETTLE_MS)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    page.wait_for_timeout(RESIZE_SETTLE_MS)


def open_expanders(page: Any) -> None:
    """Open every expander in view (not those in a hidden tab), so that what it holds (a table, the analysts'
    matrix) is checked too. Some make their content only once opened: the page runs again to send it."""
    if page.evaluate(OPEN_EXPANDERS_JS):
        wait_for_app_run(page)
        page.wait_for_timeout(RESIZE_SETTLE_MS)


@pytest.mark.parametrize("state", ["demo", "large"])
def test_no_text_is_cut_at_laptop_widths(state: str, request: pytest.FixtureRequest, browser: Any,
                                         artifacts: Path) -> None:  # fmt: skip
    """Each page is loaded at the first width, its expanders opened, and checked; then the window is resized to
    the next width (the page lays itself out again, charts included) and checked again: half the page loads of
    a fresh load per width, for the same layouts."""
    server: AppServer = request.getfixturevalue(f"{state}_server")
    context = browser.new_context(viewport={"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    found: list[str] = []
    try:
        for path in PAGES:
            page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
            query = f"?{urlencode({'pilot': PILOTS[state]})}" if path == "pilot" else ""
            open_app(page, server, f"{path}{query}")
            open_expanders(page)
            for k, (width, height) in enumerate(WIDTHS):
                if k:
                    page.set_viewport_size({"width": width, "height": height})
                    page.wait_for_timeout(RESIZE_SETTLE_MS)
                charts_drawn(page)
                problems = page.evaluate(OVERFLOW_JS)
                if problems:
                    whole_page_shot(page, artifacts / f"layout-{state}-{width}-{path}.png")
                    found += [f"{path} at {width}×{height} ({state}): {problem}" for problem in problems]
    finally:
        context.close()
    assert not found, "text cut or overprinted:\n" + "\n".join(found)
