"""User text is text: names, units, teams, sponsors, submitters and URL parameters are never read as Markdown or
HTML, on the pages (AppTest), in the charts (Plotly's pseudo-HTML) and in the offline HTML report; titles carry
no anchor links.

The store holds pilots whose every text field is an attack (``tests/user_text.py``): a Markdown image that
would fetch a beacon, a ``:red[...]`` directive around a phishing link, HTML links and images, a line break
followed by a heading. The browser's view of the same store is ``tests/e2e/test_user_text_e2e.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from readiness import charts
from readiness.boardpack import pack_from_assessments
from readiness.boardpack.figures import all_figures
from readiness.boardpack.html import build_html
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame
from readiness.scoring import score_assessment
from readiness.service.portfolio import monthly_portfolio
from readiness.store import add_assessments, make_engine, migrate
from tests.user_text import Payloads, payload_assessments
from ui.state import plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60
# Nothing listens there: the tests read what would be drawn, the browser test serves a beacon of its own.
PAYLOADS = Payloads("http://127.0.0.1:9")
# Markup made from user text: a Markdown image or link, an HTML link or image, a Streamlit directive, a
# heading after a line break. Escaped text (``\!\[``, ``\<a``, ``\:red\[``) never matches.
RAW_MARKDOWN = re.compile(r"(?<!\\)!\[|\]\(http|(?<!\\)<(?:a|img)\b|(?<!\\):red\[|\n\s*#")
# Plotly draws <a> and <img>-like tags from text: the charts write <b> and <br> themselves, never these.
RAW_PLOTLY_MARKUP = re.compile(r"<(?:a|img)\b", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# The store and the pages
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def payload_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite store holding the payload pilots (read only: every test here only reads)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('user-text') / 'readiness.db'}"
    engine = make_engine(url)
    try:
        migrate(engine)
        add_assessments(engine, payload_assessments(PAYLOADS), source="cli", actor=PAYLOADS.submitter)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def app(payload_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The app's path, on the payload store."""
    monkeypatch.setenv("READINESS_DATABASE_URL", payload_database)
    return APP


def open_page(app: str, page: str, **query: str) -> AppTest:
    """A new session opening ``page`` with ``query`` in its URL."""
    at = AppTest.from_file(app, default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown_surfaces(at: AppTest) -> list[str]:
    """Every text the page hands to Streamlit's Markdown: bodies, titles, messages, and the labels and tooltips
    that read Markdown too (metrics, expanders, tabs, widgets)."""
    texts: list[str] = []
    for elements in (at.markdown, at.caption, at.title, at.header, at.subheader, at.info, at.warning, at.error,
                     at.success):  # fmt: skip
        texts += [e.value for e in elements]
    for metric in at.metric:
        texts += [metric.label, metric.value, metric.proto.delta, metric.proto.help]
    texts += [e.label for e in at.expander] + [t.label for t in at.tabs]
    for widget in [*at.selectbox, *at.multiselect]:
        texts += [widget.label, widget.proto.help]
    return texts


def assert_no_raw_markdown(at: AppTest) -> None:
    for text in markdown_surfaces(at):
        assert not RAW_MARKDOWN.search(text), f"user text read as Markdown: {text!r}"
        assert not any(payload in text for payload in PAYLOADS.all), f"user text unescaped: {text!r}"


def assert_titles_without_anchors(at: AppTest) -> None:
    headings = [*at.title, *at.header, *at.subheader]
    assert headings
    assert all(h.proto.hide_anchor for h in headings), [h.value for h in headings if not h.proto.hide_anchor]


def figure_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


# --------------------------------------------------------------------------------------------
# What Plotly shows of a figure
# --------------------------------------------------------------------------------------------


def _strings(value: Any, skip: frozenset[str] = frozenset()) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() if key not in skip for s in _strings(item, skip)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item, skip)]
    return []


def _records(value: Any) -> Iterator[list[Any]]:
    """The innermost lists of a customdata array: one record per point (or heatmap cell)."""
    if isinstance(value, list) and value and not any(isinstance(v, list) for v in value):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _records(item)


def _axis_hides(layout: dict[str, Any], trace: dict[str, Any], letter: str) -> bool:
    """Whether the trace's ``x`` or ``y`` values are never written as tick labels (the axis writes its
    ``ticktext`` instead, or no labels at all)."""
    anchor = str(trace.get(f"{letter}axis", letter))
    axis = layout.get(f"{letter}axis{anchor[1:]}", {})
    return "ticktext" in axis or axis.get("showticklabels") is False


def shown_strings(spec: dict[str, Any]) -> list[str]:
    """Every string of a figure that Plotly may draw as text: all of them, but for the keys it only carries
    (a tick's value when the axis writes ``ticktext``, the ``customdata`` fields no template names)."""
    layout = spec.get("layout", {})
    shown = [s for key, value in layout.items() if key != "template" for s in _strings(value, frozenset({"tickvals"}))]
    for trace in spec.get("data", []):
        templates = " ".join(str(trace.get(key) or "") for key in ("hovertemplate", "texttemplate"))
        # With a template (or no hover) the hover shows what the template names, else x and y too.
        templated = trace.get("hoverinfo") in ("skip", "none") or bool(trace.get("hovertemplate"))
        for key, value in trace.items():
            if key == "customdata":
                named = re.findall(r"%\{customdata(?:\[(\d+)\])?", templates)
                if "" in named:
                    shown += _strings(value)
                for index in {int(n) for n in named if n}:
                    shown += [str(record[index]) for record in _records(value) if len(record) > index]
            elif (key in ("x", "y") and _axis_hides(layout, trace, key) and templated
                  and f"%{{{key}}}" not in templates):  # fmt: skip
                continue
            else:
                shown += _strings(value)
    return shown


def assert_inert_for_plotly(spec: dict[str, Any]) -> None:
    for text in shown_strings(spec):
        assert not RAW_PLOTLY_MARKUP.search(text), f"user text drawn as markup by Plotly: {text!r}"


# --------------------------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------------------------


def test_the_portfolio_shows_user_text_as_typed(app: str) -> None:
    at = open_page(app, "portfolio")
    assert_titles_without_anchors(at)
    assert_no_raw_markdown(at)
    # The stalled pilot is named, escaped, in the tile's help.
    stalled = next(m for m in at.metric if m.label == "Stalled")
    assert plain(PAYLOADS.image_name) in stalled.proto.help
    # Heatmap, value matrix, verdicts by business unit: every name and unit drawn as text.
    specs = figure_specs(at)
    assert len(specs) == 3
    for spec in specs:
        assert_inert_for_plotly(spec)
    drawn = [text for spec in specs for text in shown_strings(spec)]
    assert charts.plain_text(PAYLOADS.unit) in drawn
    assert any(charts.plain_text(PAYLOADS.html_name) in text for text in drawn)


@pytest.mark.parametrize("which", ["image_name", "html_name", "directive_name", "heading_name"])
def test_the_pilot_page_shows_user_text_as_typed(app: str, which: str) -> None:
    name = getattr(PAYLOADS, which)
    at = open_page(app, "pilot", pilot=name)
    assert_titles_without_anchors(at)
    assert_no_raw_markdown(at)
    assert at.title[0].value == plain(name)
    facts = at.caption[0].value
    for text in (PAYLOADS.unit, PAYLOADS.team, PAYLOADS.sponsor, PAYLOADS.submitter):
        assert plain(text) in facts
    for spec in figure_specs(at):
        assert_inert_for_plotly(spec)


def test_a_link_naming_no_pilot_is_echoed_as_typed(app: str) -> None:
    at = open_page(app, "pilot", pilot=PAYLOADS.query)
    assert_no_raw_markdown(at)
    assert any(plain(PAYLOADS.query) in w.value for w in at.warning)
    # The Assess page echoes it too.
    at = open_page(app, "assess", pilot=PAYLOADS.query)
    assert_titles_without_anchors(at)
    assert_no_raw_markdown(at)
    assert any(plain(PAYLOADS.query) in w.value for w in at.warning)


def test_compare_shows_user_text_as_typed(app: str) -> None:
    at = open_page(app, "compare")
    assert_titles_without_anchors(at)
    assert_no_raw_markdown(at)
    # The least ready pilots are compared; the stale one is named, escaped, in the note under the table.
    assert any(plain(PAYLOADS.html_name) in c.value for c in at.caption)
    specs = figure_specs(at)
    assert len(specs) == 4  # radar, two dates, one pilot's snapshots and trend
    for spec in specs:
        assert_inert_for_plotly(spec)


def test_every_page_title_has_no_anchor(app: str) -> None:
    for page in ("upload", "export", "methodology", "admin"):
        assert_titles_without_anchors(open_page(app, page))


def test_plain_keeps_user_text_on_one_line() -> None:
    # A carriage return ends a Markdown line as a line feed does: either would let a name start a heading.
    for text in ("One\n# Two", "One\r# Two", "One\r\n# Two"):
        assert plain(text) == "One \\# Two"


def test_an_error_quoting_user_text_shows_it_as_typed() -> None:
    def page(payload: str) -> None:
        from readiness.errors import InvalidInput, Issue
        from ui.state import guarded

        with guarded("this pilot"):
            raise InvalidInput([Issue("error", "pilot.name", f"no pilot named {payload}")])

    at = AppTest.from_function(page, args=(PAYLOADS.image_name,), default_timeout=TIMEOUT).run()
    assert len(at.error) == 1
    assert plain(PAYLOADS.image_name) in at.error[0].value
    assert not RAW_MARKDOWN.search(at.error[0].value)


# --------------------------------------------------------------------------------------------
# Charts and the board pack
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scored() -> tuple[list, Any, Any]:
    assessments = payload_assessments(PAYLOADS)
    history = score_frame(assessments_to_frame(assessments))
    return assessments, history, latest_per_pilot(history)


def test_no_chart_draws_user_text_as_markup(scored: tuple) -> None:
    assessments, history, latest = scored
    before = latest_per_pilot(history[history["as_of"] < history["as_of"].max()])
    one = history[history["pilot"] == PAYLOADS.image_name]
    result = score_assessment(assessments[-1])
    figures = [
        charts.portfolio_heatmap(latest),
        charts.value_readiness_matrix(latest),
        charts.verdict_distribution(latest),
        charts.verdict_distribution(latest, by="owning_team", title=None),
        charts.compare_radar(latest),
        charts.delta_heatmap(before, latest),
        charts.snapshot_heatmap(one),
        charts.trend_figure(one),
        charts.pilot_radar(charts.gap_scores_of(result), names=(PAYLOADS.html_name, "Previous", "Median")),
        charts.compound_risk_heatmap(result),
        charts.portfolio_trend(monthly_portfolio(history)),
    ]
    for figure in figures:
        assert_inert_for_plotly(json.loads(figure.to_json()))
    # Shown as typed: the verdicts' rows are the units escaped for Plotly (it turns &lt; back into "<").
    units = charts.verdict_distribution(latest)
    assert list(units.data[0].y) == [charts.plain_text(PAYLOADS.unit)]
    assert "%{fullData.name}" in figures[4].data[0].hovertemplate, "a name is never part of a hover template"


def report_figures(report: str) -> list[dict[str, Any]]:
    """The figures the report draws: the data and layout of each ``Plotly.newPlot`` call, as JSON."""
    decoder, specs = json.JSONDecoder(), []
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', report):
        data, end = decoder.raw_decode(report, call.end())
        layout, _ = decoder.raw_decode(report, end + len(re.match(r",\s*", report[end:]).group()))  # type: ignore[union-attr]
        specs.append({"data": data, "layout": layout})
    return specs


def test_the_html_report_shows_user_text_as_typed(scored: tuple) -> None:
    assessments, _, _ = scored
    pack = pack_from_assessments(assessments, pilots=PAYLOADS.names)
    report = build_html(pack)
    # The page itself: every text escaped, no link or image made of user text.
    page = re.sub(r"<script\b.*?</script>", "", report, flags=re.DOTALL)
    assert f'<a href="{PAYLOADS.base}' not in page
    assert "<img" not in page
    for name in PAYLOADS.names:
        assert f"<h2>{escape(name)}</h2>" in report
    assert escape(PAYLOADS.unit) in page and escape(PAYLOADS.team) in page
    # Its charts (the pilot pages' titles name the pilot): nothing Plotly would draw as a link or an image.
    figures = report_figures(report)
    assert len(figures) == len(all_figures(pack))
    for spec in figures:
        assert_inert_for_plotly(spec)
    titles = [spec["layout"].get("title", {}).get("text", "") for spec in figures]
    assert f"{charts.plain_text(PAYLOADS.html_name)}: the six gaps" in titles
