"""The board pack: the deck opened with python-pptx, the offline HTML report, chart images, the CLI.

The numbers on the slides are checked against the core computed independently (``score_assessment``
of each pilot's snapshots, ``score_frame`` of the portfolio), not against the board pack's own data.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner
from plotly.offline import get_plotlyjs
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE

from readiness import display
from readiness.assessment import Assessment
from readiness.boardpack import build_deck, pack_from_assessments
from readiness.boardpack.deck import long_date, slide_plan, why_lines
from readiness.boardpack.figures import all_figures
from readiness.boardpack.html import build_html
from readiness.boardpack.images import PNG_MAGIC, ChromiumMissing, chromium_path, write_images
from readiness.charts import SHORT_GAP_LABELS
from readiness.cli.main import cli
from readiness.demo import demo_assessments
from readiness.errors import InvalidInput
from readiness.model import GAP_IDS, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame, sort_portfolio
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER, score_assessment
from readiness.service.decisions import DECISION_LABELS, action_text, decision_of, decision_order
from readiness.service.portfolio import overall_explained, portfolio_stats, review_order, top_actions

IN_CI = bool(os.environ.get("CI"))
requires_chromium = pytest.mark.skipif(
    chromium_path() is None and not IN_CI, reason="chart images need Chromium (in CI they always run)"
)
requires_office = pytest.mark.skipif(
    (shutil.which("soffice") is None or shutil.which("pdftoppm") is None) and not IN_CI,
    reason="rendering a deck page needs LibreOffice and poppler-utils (in CI they always run)",
)
MODEL_VERSION = load_model().version
MODEL = load_model()
# Any item or compound-risk ID of the model, as a word: none may appear on a slide or in the report's
# executive sections.
RAW_ID = re.compile(
    r"(?<![\w.-])("
    + "|".join(re.escape(i) for i in sorted([q.id for q in MODEL.questions] + [m.id for m in MODEL.metrics],
                                             key=len, reverse=True))
    + r"|C\d+)(?![\w-])"
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> list[Assessment]:
    return demo_assessments()


@pytest.fixture(scope="module")
def pack(demo: list[Assessment]):
    return pack_from_assessments(demo)


@pytest.fixture(scope="module")
def deck(pack) -> Presentation:
    return Presentation(io.BytesIO(build_deck(pack)))


def snapshots_of(assessments: list[Assessment], pilot: str, as_of: date | None = None) -> list[Assessment]:
    """A pilot's snapshots on or before ``as_of``, oldest first."""
    dated = [a for a in assessments if a.pilot.name == pilot and (as_of is None or a.as_of <= as_of)]
    return sorted(dated, key=lambda a: a.as_of)


def shape_named(slide, name: str):
    found = [s for s in slide.shapes if s.name == name]
    assert found, f"slide has no shape named {name!r}: {[s.name for s in slide.shapes]}"
    return found[0]


def radar_of(slide):
    charts = [s.chart for s in slide.shapes if s.has_chart and s.chart.chart_type == XL_CHART_TYPE.RADAR]
    assert len(charts) == 1, "a pilot slide holds exactly one radar chart"
    return charts[0]


def pilot_slides(presentation: Presentation, pilots: list[str]) -> list:
    """The last ``len(pilots)`` slides, which are the pilot pages in order."""
    slides = list(presentation.slides)
    return slides[len(slides) - len(pilots) :]


def slide_of(presentation: Presentation, pack, kind: str):
    """The first slide of a kind of the plan (``"heatmap"``, ``"decisions"``, ...)."""
    return list(presentation.slides)[slide_plan(pack).index(kind)]


def slide_text(slide) -> str:
    """Every text of a slide: text boxes, shapes and table cells."""
    texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
    for shape in slide.shapes:
        if shape.has_table:
            texts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(texts)


# --------------------------------------------------------------------------------------------
# Deck
# --------------------------------------------------------------------------------------------


def test_deck_is_16_9_with_the_planned_slides(pack, deck) -> None:
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, rel=1e-3)
    pilots = sorted({a.pilot.name for a in demo_assessments()})
    # title, summary, decisions, one heatmap page (16 pilots), verdicts, compound risks, trends, one per pilot
    assert len(deck.slides) == 7 + len(pilots) == len(slide_plan(pack))
    assert slide_plan(pack)[:3] == ["title", "summary", "decisions"]
    assert sorted(pack.pilots) == pilots


def test_every_slide_carries_the_as_of_date_and_model_version(pack, deck) -> None:
    for number, slide in enumerate(deck.slides, start=1):
        footer = shape_named(slide, "Footer").text_frame.text
        assert long_date(pack.as_of) in footer, f"slide {number}: {footer!r}"
        assert MODEL_VERSION in footer, f"slide {number}: {footer!r}"
    title_slide = deck.slides[0]
    assert long_date(pack.as_of) in shape_named(title_slide, "As of").text_frame.text
    assert pack.as_of == date(2026, 11, 1)


def test_pilot_slides_hold_native_radars_with_the_cores_scores(demo, pack, deck) -> None:
    for slide, pilot in zip(pilot_slides(deck, pack.pilots), pack.pilots, strict=True):
        assert shape_named(slide, "Title").text_frame.text == pilot
        history = snapshots_of(demo, pilot)
        latest = score_assessment(history[-1])
        chart = radar_of(slide)
        series = list(chart.plots[0].series)
        assert [round(v, 6) for v in series[0].values] == [round(latest.gaps[g].score, 6) for g in GAP_IDS], pilot
        assert len(list(chart.plots[0].categories)) == len(GAP_IDS)
        if len(history) > 1:
            previous = score_assessment(history[-2])
            assert list(series[1].values) == pytest.approx([previous.gaps[g].score for g in GAP_IDS]), pilot
        else:
            assert len(series) == 1
        assert shape_named(slide, "Verdict").text_frame.text == VERDICT_LABELS[latest.verdict].upper()
        assert f"Overall {display.score_text(latest.overall)} / 100" == shape_named(slide, "Overall").text_frame.text
        assert shape_named(slide, "Overall explained").text_frame.text == overall_explained(latest)
        body = shape_named(slide, "Why and actions").text_frame.text
        first = why_lines(latest, MODEL)[0]
        assert first.rstrip(".")[:40] in body, (pilot, first)
        if any(a.gain > 0 for a in latest.remediation):
            best = max(latest.remediation, key=lambda a: a.gain)
            assert f"{display.gain_text(best.gain)}  {MODEL.item_label(best.item)}: " in body, pilot
        for gap in GAP_IDS:
            assert shape_named(slide, f"Score {gap}").text_frame.text == display.score_text(latest.gaps[gap].score)
            if len(history) > 1:
                before = score_assessment(history[-2]).gaps[gap].score
                arrow = display.change_text(before, latest.gaps[gap].score)
                assert shape_named(slide, f"Change {gap}").text_frame.text == arrow, (pilot, gap)


def test_heatmap_and_kpis_equal_the_portfolio_scores(demo, pack, deck) -> None:
    latest = latest_per_pilot(score_frame(assessments_to_frame(demo))).set_index("pilot")
    table = shape_named(slide_of(deck, pack, "heatmap"), "Heatmap").table
    headers = [table.cell(0, k).text for k in range(len(table.columns))]
    assert headers[0] == "Pilot" and headers[-1] == "Overall"
    seen = []
    for r in range(1, len(table.rows)):
        pilot = table.cell(r, 0).text
        seen.append(pilot)
        row = latest.loc[pilot]
        for k, gap in enumerate(GAP_IDS, start=3):
            assert table.cell(r, k).text.rstrip("*") == display.score_text(row[f"score.{gap}"]), (pilot, gap)
        assert table.cell(r, len(headers) - 1).text == display.score_text(row["overall"])
        assert table.cell(r, 2).text == VERDICT_LABELS[row["verdict"]]
    assert sorted(seen) == sorted(latest.index)
    assert seen == review_order(latest.reset_index()), "not ready first, then conditional, then ready"

    stats = portfolio_stats(latest.reset_index())
    summary = " ".join(s.text_frame.text for s in deck.slides[1].shapes if s.has_text_frame)
    assert display.percent_text(stats.ready_share) in summary
    assert display.months_text(stats.median_months_in_pilot) in summary
    assert f"{stats.active_compound_risks}" in summary
    assert f"{stats.by_verdict['ready']} ready · {stats.by_verdict['conditional']} conditional" in summary


def test_portfolio_charts_are_native_and_editable(pack, deck) -> None:
    types = {s.chart.chart_type for slide in deck.slides for s in slide.shapes if s.has_chart}
    assert {XL_CHART_TYPE.DOUGHNUT, XL_CHART_TYPE.BAR_STACKED, XL_CHART_TYPE.LINE_MARKERS} <= types
    assert XL_CHART_TYPE.COLUMN_STACKED in types and XL_CHART_TYPE.RADAR in types
    verdicts = slide_of(deck, pack, "verdicts")
    doughnut = next(s.chart for s in verdicts.shapes if s.has_chart and s.chart.chart_type == XL_CHART_TYPE.DOUGHNUT)
    assert sum(doughnut.plots[0].series[0].values) == 16


def test_chosen_pilots_and_as_of_date(demo) -> None:
    day = date(2026, 8, 15)
    chosen = ["Route optimisation", "Claims triage"]
    pack = pack_from_assessments(demo, as_of=day, pilots=chosen)
    presentation = Presentation(io.BytesIO(build_deck(pack)))
    assert pack.pilots == chosen  # both to fix: the order given
    assert len(presentation.slides) == 7 + len(chosen)
    for slide, pilot in zip(pilot_slides(presentation, chosen), chosen, strict=True):
        expected = score_assessment(snapshots_of(demo, pilot, day)[-1])
        assert expected.as_of <= day
        assert list(radar_of(slide).plots[0].series[0].values) == pytest.approx(
            [expected.gaps[g].score for g in GAP_IDS]
        )
        assert long_date(day) in shape_named(slide, "Footer").text_frame.text
    assert all(d <= day for d in pack.history["as_of"])


def test_unknown_pilot_and_early_date_are_invalid_input(demo) -> None:
    with pytest.raises(InvalidInput, match="no pilot named 'Nobody'"):
        pack_from_assessments(demo, pilots=["Nobody"])
    with pytest.raises(InvalidInput, match="no snapshot on or before 2020-01-01"):
        pack_from_assessments(demo, as_of=date(2020, 1, 1))


def test_pilots_in_view_limit_the_portfolio(demo) -> None:
    within = ["Claims triage", "Fraud alerts", "Route optimisation"]
    pack = pack_from_assessments(demo, within=within)
    assert sorted(pack.latest["pilot"]) == sorted(within) and set(pack.history["pilot"]) == set(within)
    assert pack.pilots == decision_order(pack.latest)
    with pytest.raises(InvalidInput, match="no pilot in view"):
        pack_from_assessments(demo, within=["Nobody"])


def test_large_portfolio_splits_the_heatmap(demo) -> None:
    renamed = [
        a.model_copy(update={"pilot": a.pilot.model_copy(update={"name": f"{a.pilot.name} {k}"})})
        for k in range(2)
        for a in demo
    ]
    pack = pack_from_assessments(renamed, pilots=["Claims triage 0"])
    presentation = Presentation(io.BytesIO(build_deck(pack)))
    titles = [shape_named(s, "Title").text_frame.text for s in presentation.slides]
    assert titles[3:5] == ["Readiness by pilot and gap (1 of 2)", "Readiness by pilot and gap (2 of 2)"]
    rows = sum(len(shape_named(s, "Heatmap").table.rows) - 1 for s in list(presentation.slides)[3:5])
    assert rows == 32
    assert len(presentation.slides) == len(slide_plan(pack)) == 9


@requires_office
def test_a_deck_page_renders_in_libreoffice(deck, pack, tmp_path: Path) -> None:
    path = tmp_path / "deck.pptx"
    path.write_bytes(build_deck(pack))
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "deck.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(deck.slides)
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in pages)


# --------------------------------------------------------------------------------------------
# Decisions and plain words
# --------------------------------------------------------------------------------------------


def expected_decisions(demo: list[Assessment]) -> dict[str, str]:
    """Each demo pilot's decision, from the core's portfolio frame: ready → promote; not ready and stalled
    → stop; everything else → fix."""
    latest = latest_per_pilot(score_frame(assessments_to_frame(demo)))
    out = {}
    for _, row in latest.iterrows():
        if row["verdict"] == "ready":
            out[row["pilot"]] = "promote"
        elif row["verdict"] == "not_ready" and bool(row["stalled"]):
            out[row["pilot"]] = "stop"
        else:
            out[row["pilot"]] = "fix"
    return out


def test_decisions_slide_asks_the_board_for_something(demo, pack, deck) -> None:
    slide = slide_of(deck, pack, "decisions")
    assert deck.slides.index(slide) == 2, "right after the summary"
    assert shape_named(slide, "Title").text_frame.text == "Decisions for the board"
    decided = expected_decisions(demo)
    for decision, label in DECISION_LABELS.items():
        members = [p for p, d in decided.items() if d == decision]
        assert shape_named(slide, f"Decision {decision}").text_frame.text == f"{label} · {len(members)}"
        listed = shape_named(slide, f"Decision list {decision}").text_frame.text
        shown = [p for p in members if p in listed]
        assert len(shown) == min(5, len(members)), (decision, listed)
        if len(members) > 5:
            assert f"and {len(members) - 5} more" in listed
    # The fix list names each pilot's top action by its short label, "now → target" in words, with its gain.
    fixes = shape_named(slide, "Decision list fix").text_frame.text
    for pilot in [p for p, d in decided.items() if d == "fix" and p in fixes]:
        action = top_actions(score_assessment(snapshots_of(demo, pilot)[-1]), 1)[0]
        assert f"{action_text(action)} ({display.gain_text(action.gain)} overall)" in fixes, pilot
    asks = shape_named(slide, "Asks").text_frame.text
    assert "The board's asks" in asks
    assert "Approve production launch for Invoice matching" in asks
    assert "Fund the fixes for Agent knowledge search" in asks and "(owners: CX Platform" in asks
    assert "Decide whether to stop or rethink Demand forecasting, Contract clause extraction." in asks


def test_pilot_pages_cover_ready_pilots_in_decision_order(demo, pack, deck) -> None:
    decided = expected_decisions(demo)
    rank = {"promote": 0, "fix": 1, "stop": 2}
    pages = pilot_slides(deck, pack.pilots)
    titles = [shape_named(s, "Title").text_frame.text for s in pages]
    assert titles == pack.pilots
    assert [rank[decided[t]] for t in titles] == sorted(rank[decided[t]] for t in titles)
    assert {p for p, d in decided.items() if d == "promote"} <= set(titles), "every ready pilot gets a page"
    for slide, pilot in zip(pages, titles, strict=True):
        subtitle = shape_named(slide, "Subtitle").text_frame.text
        assert subtitle.startswith(f"Board decision: {DECISION_LABELS[decided[pilot]]} · "), subtitle
        body = shape_named(slide, "Why and actions").text_frame.text
        verdict = score_assessment(snapshots_of(demo, pilot)[-1]).verdict
        heading = {"ready": "Why it is ready", "conditional": "What keeps it conditional"}
        assert body.startswith(heading.get(verdict, "Why it is not ready")), body[:40]


def test_no_slide_carries_a_raw_item_or_risk_id(deck) -> None:
    for number, slide in enumerate(deck.slides, start=1):
        found = RAW_ID.findall(slide_text(slide))
        assert not found, f"slide {number}: {found}"


def test_a_pilot_at_zero_explains_its_overall(pack, deck) -> None:
    slide = pilot_slides(deck, pack.pilots)[pack.pilots.index("Policy Q&A assistant")]
    assert shape_named(slide, "Overall").text_frame.text == "Overall 0 / 100"
    explained = shape_named(slide, "Overall explained").text_frame.text
    assert explained == "Overall 0: the geometric mean of the six gaps, so Organizational ownership at 0 holds it at 0."
    body = shape_named(slide, "Why and actions").text_frame.text
    assert "Organizational ownership is 0, below 40: Named operating team, Budget for running costs." in body
    assert "Named operating team: not sure → yes" in body


def test_default_pages_are_bounded_and_show_every_decision(demo) -> None:
    from readiness.boardpack.data import DEFAULT_PILOT_PAGES

    renamed = [
        a.model_copy(update={"pilot": a.pilot.model_copy(update={"name": f"{a.pilot.name} {k}"})})
        for k in range(2)
        for a in demo
    ]
    pack = pack_from_assessments(renamed)
    assert len(pack.pilots) == DEFAULT_PILOT_PAGES < len(pack.latest)
    decisions = decision_of(pack.latest.set_index("pilot").loc[pack.pilots].reset_index())
    assert set(decisions) == {"promote", "fix", "stop"}
    assert list(decisions) == sorted(decisions, key=["promote", "fix", "stop"].index)
    assert len(pack.decision_results) <= 5


# --------------------------------------------------------------------------------------------
# HTML report
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(demo) -> str:
    return build_html(pack_from_assessments(demo, pilots=["Claims triage", "Policy Q&A assistant"]))


def test_report_inlines_plotly_once_and_references_nothing_outside(report: str) -> None:
    plotly_js = get_plotlyjs()
    assert report.count(plotly_js) == 1
    # plotly.js carries inert URL strings (map tile servers, licences); everything else must have none.
    ours = report.replace(plotly_js, "")
    assert not re.search(r"https?://|//cdn|www\.", ours, re.IGNORECASE), re.findall(r".{40}https?://.{40}", ours)[:3]
    assert not re.search(r"<script[^>]*\bsrc\s*=", report, re.IGNORECASE)
    assert not re.search(r"<link\b", ours, re.IGNORECASE)
    assert not re.search(r"@import|url\(", ours, re.IGNORECASE)
    assert not re.search(r"<(img|iframe|embed|object|source)\b", ours, re.IGNORECASE)


def test_report_has_every_chart_and_section(demo, report: str) -> None:
    pack = pack_from_assessments(demo, pilots=["Claims triage", "Policy Q&A assistant"])
    names = list(all_figures(pack))
    assert re.findall(r'data-chart="([^"]+)"', report) == names
    assert report.count("Plotly.newPlot(") == len(names)
    assert 'id="portfolio"' in report and 'id="pilot-claims-triage"' in report and "Policy Q&amp;A assistant" in report
    latest = score_assessment(snapshots_of(demo, "Claims triage")[-1])
    assert f"Overall <b>{display.score_text(latest.overall)}</b> / 100" in report
    assert MODEL_VERSION in report and "1 November 2026" in report


def plotted(report: str, name: str) -> list[dict]:
    """The traces of the report's chart ``name``, read back from its ``Plotly.newPlot`` call."""
    start = report.index(f'"chart-{name}",', report.index(f'data-chart="{name}"')) + len(f'"chart-{name}",')
    traces, _ = json.JSONDecoder().raw_decode(report[start:].lstrip())
    return traces


def section_of(report: str, anchor: str) -> str:
    """The HTML of one ``<section id=anchor>``."""
    start = report.index(f'<section id="{anchor}">')
    return report[start : report.index("</section>", start)]


def test_a_half_point_score_reads_the_same_on_chart_deck_and_report(demo, pack, deck, report: str) -> None:
    # Claims triage's data quality is 6.5 (6.504 before the explained score's rounding): Python rounds the
    # one to 6 and the other to 7, d3 rounds both to 7. Every surface now writes the display rule's 6.
    result = score_assessment(snapshots_of(demo, "Claims triage")[-1])
    exact = result.gaps["data"].score
    assert exact == 6.5 and display.score_text(exact) == "6"
    frame_exact = float(pack.latest.set_index("pilot").loc["Claims triage", "score.data"])
    assert f"{frame_exact:.0f}" == "7" and display.score_text(frame_exact) == "6"

    # The dashboard's heatmap, as drawn in the HTML report: cell text and hover.
    cells = plotted(report, "portfolio-heatmap")[1]
    row, col = cells["y"].index("Claims triage"), cells["x"].index(SHORT_GAP_LABELS["data"])
    assert cells["text"][row][col] == "6" and cells["customdata"][row][col][3] == "6"
    # The report's own gap table on the pilot's section.
    section = section_of(report, "pilot-claims-triage")
    assert re.search(r'<tr data-gap="data"><td>[^<]*</td><td class="num"><b>6</b></td>', section)
    assert "Data quality is 6, below 40" in section
    # The deck: heatmap table, score tile and the "Why" bullet of the pilot page.
    table = shape_named(slide_of(deck, pack, "heatmap"), "Heatmap").table
    (r,) = [r for r in range(1, len(table.rows)) if table.cell(r, 0).text == "Claims triage"]
    assert table.cell(r, 3 + GAP_IDS.index("data")).text.rstrip("*") == "6"
    slide = pilot_slides(deck, pack.pilots)[pack.pilots.index("Claims triage")]
    assert shape_named(slide, "Score data").text_frame.text == "6"
    assert "Data quality is 6, below 40" in shape_named(slide, "Why and actions").text_frame.text


def test_deck_and_report_list_the_heatmap_in_review_order(demo, pack, deck, report: str) -> None:
    latest = latest_per_pilot(score_frame(assessments_to_frame(demo)))
    expected = sort_portfolio(latest, "readiness")["pilot"].tolist()
    ranks = [VERDICT_ORDER.index(v) for v in latest.set_index("pilot").loc[expected, "verdict"]]
    assert ranks == sorted(ranks) and ranks[0] == 0, "not ready first, ready last"
    table = shape_named(slide_of(deck, pack, "heatmap"), "Heatmap").table
    assert [table.cell(r, 0).text for r in range(1, len(table.rows))] == expected
    # Plotly draws the first row at the bottom: top down, the report's heatmap reads the trace's rows reversed.
    verdicts, cells = plotted(report, "portfolio-heatmap")[:2]
    assert list(reversed(cells["y"])) == expected
    assert list(reversed(verdicts["y"])) == expected


def test_deck_and_report_name_the_same_weakest_gap(demo, deck, report: str) -> None:
    latest = latest_per_pilot(score_frame(assessments_to_frame(demo)))
    weakest = portfolio_stats(latest).weakest_gap
    assert weakest is not None
    sentence = f"Weakest gap across the portfolio: {weakest.label} (median score {display.score_text(weakest.median)})"
    summary = " ".join(s.text_frame.text for s in deck.slides[1].shapes if s.has_text_frame)
    assert sentence in summary
    assert escape(sentence) in section_of(report, "portfolio")


KNOWN_SENSITIVE = (
    "Email intent routing: Ready by the geometric mean (87) and the weighted mean (88) but conditional by the weakest "
    "link (70): its weakest gap, Monitoring & observability, scores 70, and ready needs an overall of at least 75."
)


def test_deck_and_report_flag_the_method_sensitive_pilot(pack, deck, report: str) -> None:
    note = shape_named(slide_of(deck, pack, "verdicts"), "Sensitivity").text_frame.text
    assert "Method-sensitive.  1 pilot's verdict depends on the method: Email intent routing." in note
    assert KNOWN_SENSITIVE in note
    assert ("Close to a threshold.  1 pilot would change verdict if the thresholds moved by 5 points: Email intent "
            "routing.") in note  # fmt: skip
    section = section_of(report, "portfolio")
    assert escape("1 pilot's verdict depends on the method.") in section
    assert escape(KNOWN_SENSITIVE) in section
    assert escape("Email intent routing: ready now, conditional if the thresholds were 5 points stricter.") in section


def executive_text(report: str) -> str:
    """The report's HTML without plotly.js, the charts and the analysts' appendix."""
    html = report.replace(get_plotlyjs(), "")
    html = html[: html.index('<section id="appendix">')] if '<section id="appendix">' in html else html
    return re.sub(r'<div class="chart".*?</script>\s*</div>\s*</div>', "", html, flags=re.DOTALL)


def test_report_asks_the_board_in_plain_words(demo, report: str) -> None:
    section = section_of(report, "decisions")
    assert "Decisions for the board" in section and "The board's asks" in section
    decided = expected_decisions(demo)
    for decision, label in DECISION_LABELS.items():
        total = sum(d == decision for d in decided.values())
        assert f'data-decision="{decision}"' in section and f"{escape(label)} · {total}</h3>" in section
    assert "Approve production launch for Invoice matching" in section
    executive = executive_text(report)
    assert not RAW_ID.findall(executive), RAW_ID.findall(executive)[:10]
    for pilot in ["Claims triage", "Policy Q&A assistant"]:
        latest = score_assessment(snapshots_of(demo, pilot)[-1])
        part = section_of(report, f"pilot-{'claims-triage' if pilot == 'Claims triage' else 'policy-q-a-assistant'}")
        assert escape(overall_explained(latest)) in part
        assert escape(latest.plain_reasons[0]) in part
        assert f"Board decision: {DECISION_LABELS[decided[pilot]]}" in part
    appendix = report[report.index('<section id="appendix">') :]
    assert "DATA-1" in appendix, "IDs stay available to analysts, in the appendix only"


@pytest.mark.e2e
@requires_chromium
def test_report_never_scrolls_sideways_at_1280_and_1440(pack, tmp_path: Path, browser) -> None:
    path = tmp_path / "report.html"
    path.write_text(build_html(pack), encoding="utf-8")  # every demo pilot: the longest navigation row
    for width in (1280, 1440):
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            page = context.new_page()
            page.goto(path.as_uri())
            page.wait_for_function("document.querySelectorAll('.chart .main-svg').length > 0", timeout=60_000)
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            nav_rows = page.evaluate(
                "new Set(Array.from(document.querySelectorAll('nav a')).map(a => a.getBoundingClientRect().top)).size"
            )
        finally:
            context.close()
        assert scroll <= inner, f"{width} px viewport: the page is {scroll} px wide"
        assert nav_rows > 1, "the navigation wraps"


@pytest.mark.e2e
@requires_chromium
def test_report_draws_every_chart_with_the_network_off(report: str, tmp_path: Path, browser) -> None:
    path = tmp_path / "report.html"
    path.write_text(report, encoding="utf-8")
    outside: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()

        def block(route) -> None:
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", block)
        page.goto(path.as_uri())
        expected = len(re.findall(r'data-chart="', report))
        page.wait_for_function(
            f"document.querySelectorAll('.chart .plotly-graph-div .main-svg').length >= {expected}", timeout=60_000
        )
        drawn = page.eval_on_selector_all(
            ".chart .plotly-graph-div", "els => els.filter(e => e.querySelector('.main-svg')).length"
        )
    finally:
        context.close()
    assert drawn == expected
    assert outside == []


# --------------------------------------------------------------------------------------------
# Chart images
# --------------------------------------------------------------------------------------------


@requires_chromium
def test_png_and_svg_of_the_heatmap_and_a_radar_are_images(demo, tmp_path: Path) -> None:
    pack = pack_from_assessments(demo, pilots=["Claims triage"])
    paths = write_images(pack, tmp_path)
    names = {p.name for p in paths}
    assert {
        "portfolio-heatmap.png",
        "portfolio-heatmap.svg",
        "claims-triage-radar.png",
        "claims-triage-radar.svg",
    } <= names
    assert len(paths) == 2 * len(all_figures(pack))
    for path in paths:
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(PNG_MAGIC), path.name
            width = int.from_bytes(data[16:20], "big")
            assert width == 2 * 1100, "PNG at scale 2"
        else:
            assert data.lstrip().startswith(b"<svg"), path.name
            assert b"</svg>" in data[-200:]


def test_missing_chromium_is_a_clear_error(monkeypatch, demo, tmp_path: Path) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    pack = pack_from_assessments(demo, pilots=["Claims triage"])
    with pytest.raises(ChromiumMissing, match=r"need Chromium.*no-such-chromium"):
        write_images(pack, tmp_path / "charts")
    assert not (tmp_path / "charts").exists()


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(demo_database_url: str) -> str:
    """The session's demo store (conftest.py): the exports only read it."""
    return demo_database_url


def test_cli_deck_radars_equal_readiness_score(demo, demo_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "deck.pptx"
    result = runner.invoke(cli, ["export", "deck", str(out), "--pilots", "Claims triage,Fraud alerts", "--db", demo_db])
    assert result.exit_code == 0, result.output
    presentation = Presentation(str(out))
    chosen = ["Fraud alerts", "Claims triage"]  # pages by decision: promote (ready) before fix
    for slide, pilot in zip(pilot_slides(presentation, chosen), chosen, strict=True):
        assert shape_named(slide, "Title").text_frame.text == pilot
        snapshot = tmp_path / f"{pilot}.json"
        snapshot.write_text(json.dumps(snapshots_of(demo, pilot)[-1].model_dump(mode="json", by_alias=True)))
        scored = runner.invoke(cli, ["score", str(snapshot), "--json"])
        assert scored.exit_code == 0, scored.output
        gaps = json.loads(scored.output)["gaps"]
        assert list(radar_of(slide).plots[0].series[0].values) == [gaps[g]["score"] for g in GAP_IDS]


def test_cli_html_and_errors(demo_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "report.html"
    result = runner.invoke(cli, ["export", "html", str(out), "--as-of", "2026-09-30", "--db", demo_db])
    assert result.exit_code == 0, result.output
    assert "30 September 2026" in out.read_text(encoding="utf-8")

    wrong = runner.invoke(cli, ["export", "deck", str(tmp_path / "deck.ppt"), "--db", demo_db])
    assert wrong.exit_code == 2 and "is written to a .pptx file" in wrong.output
    unknown = runner.invoke(cli, ["export", "deck", str(tmp_path / "d.pptx"), "--pilots", "Nobody", "--db", demo_db])
    assert unknown.exit_code == 2 and "no pilot named 'Nobody'" in unknown.output
    assert not (tmp_path / "d.pptx").exists() and not (tmp_path / "deck.ppt").exists()


def test_cli_images_without_chromium_write_nothing(monkeypatch, demo_db: str, tmp_path: Path) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    result = CliRunner().invoke(cli, ["export", "png", str(tmp_path / "charts"), "--db", demo_db])
    assert result.exit_code == 2
    assert "chart images need Chromium" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "charts").exists()


@requires_chromium
def test_cli_svg_archive(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "charts.zip"
    result = CliRunner().invoke(cli, ["export", "svg", str(out), "--pilots", "Claims triage", "--db", demo_db])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert "portfolio-heatmap.svg" in names and "claims-triage-radar.svg" in names
        assert all(archive.read(n).lstrip().startswith(b"<svg") for n in names)


def test_pack_from_store_equals_pack_from_assessments(demo, demo_db: str) -> None:
    from readiness.boardpack import pack_from_store
    from readiness.store import open_store

    engine = open_store(demo_db)
    try:
        stored = pack_from_store(engine, as_of=date(2026, 10, 1), pilots=["Claims triage", "Invoice matching"])
    finally:
        engine.dispose()
    direct = pack_from_assessments(demo, as_of=date(2026, 10, 1), pilots=["Claims triage", "Invoice matching"])
    assert stored.pilots == direct.pilots and stored.as_of == direct.as_of
    for pilot in stored.pilots:
        for mine, theirs in zip(stored.pilot_results[pilot], direct.pilot_results[pilot], strict=True):
            assert mine is not None and theirs is not None
            assert mine.to_json_dict() == theirs.to_json_dict()
    columns = ["pilot", "as_of", "overall", "verdict", *[f"score.{g}" for g in GAP_IDS]]
    assert stored.latest[columns].reset_index(drop=True).equals(direct.latest[columns].reset_index(drop=True))
    assert stored.decisions == direct.decisions and stored.decision_results.keys() == direct.decision_results.keys()
    assert len(stored.history) == len(direct.history)


def test_progress_is_reported_in_order(demo) -> None:
    pack = pack_from_assessments(demo, pilots=["Claims triage", "Fraud alerts"])
    for build in (build_deck, build_html):
        calls: list[tuple[float, str]] = []
        build(pack, progress=lambda done, what, calls=calls: calls.append((done, what)))
        fractions = [c[0] for c in calls]
        assert fractions == sorted(fractions) and fractions[0] == 0.0 and calls[-1] == (1.0, "done")
        assert any(what == "Claims triage" for _, what in calls)


def test_text_in_the_charts_data_workbooks_is_never_a_formula(demo: list[Assessment]) -> None:
    # A business unit that reads as a formula: PowerPoint's "Edit Data" must show it as text, not run it.
    unit = '=HYPERLINK("http://127.0.0.1:9/x","click")'
    renamed = [a.model_copy(update={"pilot": a.pilot.model_copy(update={"business_unit": unit})})
               if a.pilot.name == demo[0].pilot.name else a for a in demo]  # fmt: skip
    import openpyxl

    presentation = Presentation(io.BytesIO(build_deck(pack_from_assessments(renamed))))
    workbooks = [shape.chart.part.chart_workbook.xlsx_part.blob for slide in presentation.slides
                 for shape in slide.shapes if shape.has_chart]  # fmt: skip
    assert workbooks
    cells = [cell for blob in workbooks for sheet in openpyxl.load_workbook(io.BytesIO(blob)).worksheets
             for row in sheet.iter_rows() for cell in row if cell.value is not None]  # fmt: skip
    assert not [c.value for c in cells if c.data_type == "f"]
    assert unit in {c.value for c in cells}
