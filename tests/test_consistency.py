"""One truth on every surface: the same number and the same named statistic wherever they are read.

On the demo portfolio and on a generated portfolio holding every verdict, the numbers read from the CLI's
JSON, the Portfolio and Pilot pages (AppTest element values), the deck (slide text and native chart
values), the HTML report and the exported workbook's Scores sheet agree once written by the display rule
(:mod:`readiness.display`), and every surface names the same ready share and weakest gap.
"""

from __future__ import annotations

import html
import json
import re
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from readiness import display
from readiness.assessment import Assessment
from readiness.boardpack.deck import SENSITIVITY_NAMES, SENSITIVITY_SENTENCES
from readiness.cli.main import cli
from readiness.demo import synthetic_assessments
from readiness.model import GAP_IDS, load_model
from readiness.service.exports import ExportRequest, ExportScope, render_export
from readiness.service.portfolio import portfolio_on, portfolio_stats, ready_sentence, weakest_gap_sentence
from readiness.service.queries import scored_portfolio
from readiness.service.sensitivity import (
    band_count_sentence,
    band_message,
    band_sentence,
    close_to_threshold_names,
    method_count_sentence,
    method_line,
    method_message,
    method_sensitive_names,
    portfolio_sensitivity,
)
from readiness.store import add_assessments, make_engine, migrate
from tests.factories import green_metrics

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def generated_portfolio() -> list[Assessment]:
    """24 generated pilots × 3 snapshots; a third all green with documented evidence (ready), a third green
    but for the deeper data questions (ready or conditional), a third as generated (mostly not ready)."""
    model = load_model()
    yes = {q.id: "yes" for q in model.questions}
    documented = {q.id: "evaluation report, Q3" for q in model.questions}
    data_no = {q.id: "no" for q in model.questions if q.gap == "data" and not q.core}
    names: list[str] = []
    out = []
    for assessment in synthetic_assessments(24, 3, seed=11):
        if assessment.pilot.name not in names:
            names.append(assessment.pilot.name)
        kind = names.index(assessment.pilot.name) % 3
        if kind < 2:
            answers = yes if kind == 0 else yes | data_no
            update = {"answers": answers, "evidence": documented, "metrics": green_metrics()}
            assessment = assessment.model_copy(update=update)
        out.append(assessment)
    return out


@pytest.fixture(scope="module")
def generated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The generated portfolio in a store of its own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('generated') / 'generated.db'}"
    engine = make_engine(url)
    migrate(engine)
    add_assessments(engine, generated_portfolio(), source="cli", actor="test")
    engine.dispose()
    return url


@pytest.fixture(params=["demo", "generated"])
def store_url(request: pytest.FixtureRequest, demo_database_url: str) -> str:
    return demo_database_url if request.param == "demo" else request.getfixturevalue("generated_url")


@pytest.fixture
def surfaces(store_url: str) -> dict:
    """Every surface's reading of the store: CLI JSON and text, deck, HTML report, workbook, as-stands frame."""
    engine = make_engine(store_url)
    try:
        latest = portfolio_on(scored_portfolio(engine))
        request = ExportRequest(engine, ExportScope())
        deck = Presentation(BytesIO(render_export("deck", request)))
        report = render_export("html", request).decode("utf-8")
        workbook = load_workbook(BytesIO(render_export("xlsx", request)), read_only=True)
    finally:
        engine.dispose()
    runner = CliRunner()
    cli_json = json.loads(runner.invoke(cli, ["portfolio", "--json", "--db", store_url]).stdout)
    cli_text = runner.invoke(cli, ["portfolio", "--db", store_url]).stdout
    sensitivity = json.loads(runner.invoke(cli, ["sensitivity", "--json", "--db", store_url]).stdout)
    sensitivity_text = runner.invoke(cli, ["sensitivity", "--db", store_url]).stdout
    return {"latest": latest, "deck": deck, "report": report, "workbook": workbook, "json": cli_json,
            "text": cli_text, "sensitivity": sensitivity, "sensitivity_text": sensitivity_text}  # fmt: skip


def test_the_generated_portfolio_holds_every_verdict(generated_url: str) -> None:
    engine = make_engine(generated_url)
    stats = portfolio_stats(portfolio_on(scored_portfolio(engine)))
    assert all(count > 0 for count in stats.by_verdict.values()), stats.by_verdict


def test_every_gap_score_reads_the_same_on_every_surface(surfaces: dict) -> None:
    """Exact numbers agree between the CLI JSON, the frame, the Scores sheet and the deck's radars; their shown
    text agrees between the CLI JSON, the deck's tiles and the HTML report."""
    latest = surfaces["latest"].set_index("pilot")
    scores_sheet = scores_by_pilot(surfaces["workbook"])
    slides = {slide_title(s): s for s in surfaces["deck"].slides}
    for entry in surfaces["json"]:
        name = entry["name"]
        row = latest.loc[name]
        for gap in GAP_IDS:
            exact = entry["gaps"][gap]["score"]
            shown = display.score_text(exact)
            assert display.score_text(row[f"score.{gap}"]) == shown, (name, gap)
            assert display.score_text(scores_sheet[name][gap]) == shown, (name, gap)
        assert display.score_text(row["overall"]) == display.score_text(entry["overall"])
        slide = slides.get(name)
        if slide is None:  # only the chosen pilots get a page
            continue
        for gap in GAP_IDS:
            shown = display.score_text(entry["gaps"][gap]["score"])
            assert shape_text(slide, f"Score {gap}") == shown, (name, gap)
        radar = next(s for s in slide.shapes if s.name == "Radar").chart
        values = list(radar.plots[0].series[0].values)
        assert [display.score_text(v) for v in values] == [
            display.score_text(entry["gaps"][g]["score"]) for g in GAP_IDS
        ]


def test_the_report_and_the_deck_write_each_pilots_gaps_as_the_cli(surfaces: dict) -> None:
    report = surfaces["report"]
    for entry in surfaces["json"]:
        anchor = re.search(rf'<section id="([^"]+)"><h2>{re.escape(html.escape(entry["name"]))}</h2>', report)
        if anchor is None:
            continue
        section = report[anchor.start() : report.find("</section>", anchor.start())]
        for gap in GAP_IDS:
            shown = display.score_text(entry["gaps"][gap]["score"])
            assert re.search(rf'<tr data-gap="{gap}"><td>[^<]*</td><td class="num"><b>{shown}</b></td>', section), (
                entry["name"],
                gap,
            )


def test_every_surface_names_the_same_statistics(surfaces: dict, store_url: str, monkeypatch) -> None:
    stats = portfolio_stats(surfaces["latest"])
    model = load_model()
    sentences = [ready_sentence(stats), weakest_gap_sentence(stats, model)]
    deck_text = "\n".join(all_text(s) for s in surfaces["deck"].slides)
    report_text = html.unescape(surfaces["report"])
    for sentence in sentences:
        assert sentence in deck_text
        assert sentence in report_text
        assert sentence in surfaces["text"]
    monkeypatch.setenv("READINESS_DATABASE_URL", store_url)
    page = AppTest.from_file(APP, default_timeout=60)
    page.switch_page("screens/portfolio.py").run()
    assert not page.exception
    headline = "\n".join(m.value for m in page.markdown)
    for sentence in sentences:
        assert sentence in headline
    tile = next(m for m in page.metric if m.label == "Ready")
    assert tile.value == display.percent_text(stats.ready_share)
    assert f"{stats.ready} of {stats.pilots} pilots" in tile.proto.help


def test_the_pilot_page_shows_the_cli_numbers(surfaces: dict, store_url: str, monkeypatch) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", store_url)
    entry = surfaces["json"][0]
    page = AppTest.from_file(APP, default_timeout=60)
    page.query_params["pilot"] = entry["name"]
    page.switch_page("screens/pilot.py").run()
    assert not page.exception
    cards = "\n".join(m.value for m in page.markdown)
    for gap in GAP_IDS:
        label = entry["gaps"][gap]["label"] if "label" in entry["gaps"][gap] else load_model().gap(gap).label
        assert re.search(
            rf"<b>{re.escape(label)}</b>.*?>{display.score_text(entry['gaps'][gap]['score'])}</span>", cards
        )
    assert f"overall {display.score_text(entry['overall'])} / 100" in cards


def test_every_surface_flags_the_same_method_sensitive_pilots(surfaces: dict, store_url: str, monkeypatch) -> None:
    """The CLI's JSON and text, the deck's verdict slide, the report and the Portfolio page name the same
    method-sensitive pilots and the same pilots close to a threshold, in the same sentences."""
    found = portfolio_sensitivity(surfaces["latest"])
    names, close = method_sensitive_names(found), close_to_threshold_names(found)
    cli_json = surfaces["sensitivity"]
    assert [p["pilot"] for p in cli_json["method_sensitive"]["pilots"]] == names
    assert cli_json["method_sensitive"]["count"] == len(names)
    assert [p["pilot"] for p in cli_json["threshold_band"]["pilots"]] == close
    sentences = [method_count_sentence(found), band_sentence(found)]
    lines = [method_line(p) for p in found.sensitive]
    for text in sentences + lines:
        assert text in surfaces["sensitivity_text"]
    titled = {shape_text(s, "Title"): s for s in surfaces["deck"].slides if any(t.name == "Title" for t in s.shapes)}
    slide = titled["Verdict distribution"]
    notes = [s for s in slide.shapes if s.name == "Sensitivity"]
    assert bool(notes) == bool(names or close)
    if notes:
        note = notes[0].text_frame.text
        assert all(
            m in note for m in (method_message(found, SENSITIVITY_NAMES), band_message(found, SENSITIVITY_NAMES))
        )
        assert all(line in note for line in lines[:SENSITIVITY_SENTENCES])
    report = html.unescape(surfaces["report"])
    for text in [method_count_sentence(found), band_count_sentence(found), *lines]:
        assert text in report
    monkeypatch.setenv("READINESS_DATABASE_URL", store_url)
    page = AppTest.from_file(APP, default_timeout=60)
    page.switch_page("screens/portfolio.py").run()
    assert not page.exception
    assert any(method_count_sentence(found) in m.value for m in page.markdown)
    captions = [c.value.replace("\\", "") for c in page.caption]
    for pilot in found.sensitive[:3]:
        assert f"**{pilot.pilot}**: {pilot.reason}" in captions
    labels = [e.label for e in page.expander]
    assert (band_sentence(found) in labels) if close else any(band_sentence(found) in c for c in captions)


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def scores_by_pilot(workbook) -> dict[str, dict[str, float]]:
    """The Scores sheet: pilot → gap → exact score."""
    labels = {g.label: g.id for g in load_model().gaps}
    rows = list(workbook["Scores"].iter_rows(values_only=True))
    header_at = next(k for k, row in enumerate(rows) if row and "Overall readiness" in [str(c) for c in row])
    header = [str(c) for c in rows[header_at]]
    pilot_column = next(k for k, h in enumerate(header) if h.lower().startswith("pilot"))
    columns = {labels[h]: k for k, h in enumerate(header) if h in labels}
    return {
        row[pilot_column]: {gap: row[k] for gap, k in columns.items()}
        for row in rows[header_at + 1 :]
        if row and row[pilot_column]
    }


def slide_title(slide) -> str:
    return slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""


def shape_text(slide, name: str) -> str:
    return next(s for s in slide.shapes if s.name == name).text_frame.text


def all_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(" ".join(p.text for p in shape.text_frame.paragraphs))
    return "\n".join(parts)
