"""The chart functions: the numbers drawn are the scores, and colour never carries meaning alone."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from readiness import charts, display
from readiness.demo import demo_assessments
from readiness.model import GAP_IDS, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame, sort_portfolio, weakest_items
from readiness.scoring import VERDICT_LABELS, _weak_items, score_assessment
from readiness.service.portfolio import median_gap_scores, monthly_portfolio, portfolio_on

MODEL = load_model()


@pytest.fixture(scope="module")
def demo() -> tuple[list, pd.DataFrame, pd.DataFrame]:
    assessments = demo_assessments()
    frame = assessments_to_frame(assessments)
    return assessments, frame, score_frame(frame)


@pytest.fixture(scope="module")
def latest(demo: tuple) -> pd.DataFrame:
    return latest_per_pilot(demo[2])


def _uses_template(fig: go.Figure) -> bool:
    return fig.layout.template.layout.font.family == charts.FONT_FAMILY


def test_heatmap_cells_are_the_scores_written_in_the_cells(latest: pd.DataFrame) -> None:
    fig = charts.portfolio_heatmap(latest)
    assert _uses_template(fig)
    verdicts, cells, targets = fig.data
    assert isinstance(cells, go.Heatmap)
    # The invisible click targets: one per cell, each naming its pilot (a click opens it).
    assert len(targets.x) == len(cells.y) * len(cells.x)
    assert [c[0] for c in targets.customdata] == [name for name in cells.y for _ in cells.x]
    # The numbers are written in Python with the display rule, never by Plotly's d3 format.
    assert cells.texttemplate == "%{text}"
    assert list(cells.x) == [charts.SHORT_GAP_LABELS[g] for g in GAP_IDS] + ["Overall"]
    by_name = latest.set_index("pilot")
    for row, name in enumerate(cells.y):
        expected = [by_name.loc[name, f"score.{g}"] for g in GAP_IDS] + [by_name.loc[name, "overall"]]
        confidences = [by_name.loc[name, f"confidence.{g}"] for g in GAP_IDS] + [
            by_name.loc[name, "overall_confidence"]
        ]
        assert np.allclose(cells.z[row], expected), "colours use the exact scores"
        assert list(cells.text[row]) == [display.score_text(v) for v in expected]
        assert [c[3] for c in cells.customdata[row]] == [display.score_text(v) for v in expected]
        assert [c[1] for c in cells.customdata[row]] == [display.confidence_text(v) for v in confidences]
        assert all(cells.customdata[row][col][0] == name for col in range(len(expected)))
        assert verdicts.text[row][0] == VERDICT_LABELS[by_name.loc[name, "verdict"]]


def test_a_half_point_score_reads_rounded_down_in_cell_and_hover(latest: pd.DataFrame) -> None:
    # Claims triage's data quality is 6.5 (6.504 unrounded): d3's and Python's rounding make it 7, the
    # display rule 6, and the chart must write what the deck and the report write.
    exact = float(latest.set_index("pilot").loc["Claims triage", "score.data"])
    assert f"{exact:.0f}" == "7" and display.score_text(exact) == "6"
    fig = charts.portfolio_heatmap(latest)
    cells, targets = fig.data[1], fig.data[2]
    row, col = list(cells.y).index("Claims triage"), list(cells.x).index(charts.SHORT_GAP_LABELS["data"])
    assert cells.text[row][col] == "6"
    assert cells.customdata[row][col][3] == "6"
    target = next(c for c in targets.customdata if c[0] == "Claims triage" and c[3] == "6")
    assert "%{customdata[3]}" in targets.hovertemplate and target is not None


def test_no_chart_formats_a_number_in_plotly(demo: tuple, latest: pd.DataFrame) -> None:
    # d3 formats round differently from Python (6.5 → 7); every number is text made by readiness.display.
    assessments, _, scored = demo
    result = score_assessment(next(a for a in reversed(assessments) if a.pilot.name == "Claims triage"))
    history = scored[scored["pilot"] == "Claims triage"]
    figures = [
        charts.portfolio_heatmap(latest),
        charts.value_readiness_matrix(latest),
        charts.verdict_distribution(latest),
        charts.pilot_radar(charts.gap_scores_of(result), median=median_gap_scores(latest)),
        charts.compound_risk_heatmap(result),
        charts.trend_figure(history),
        charts.portfolio_trend(monthly_portfolio(scored)),
        charts.compare_radar(latest.head(3)),
        charts.delta_heatmap(portfolio_on(scored, "2026-06-01"), latest),
        charts.snapshot_heatmap(history),
        *[charts.metric_curve_figure(m) for m in MODEL.scored_metrics],
    ]
    for fig in figures:
        for trace in fig.data:
            for template in (trace.hovertemplate, getattr(trace, "texttemplate", None)):
                assert not template or not re.search(r"%\{[^}]*:[^}]*\}", template), (fig.layout.title.text, template)


def test_heatmap_sorting(latest: pd.DataFrame) -> None:
    # The first pilot of the order is drawn at the top, which is the last row of the trace.
    top_down = lambda fig: list(reversed(fig.data[1].y))  # noqa: E731
    review = sort_portfolio(latest, "readiness")["pilot"].tolist()
    assert top_down(charts.portfolio_heatmap(latest, sort="readiness")) == review
    assert top_down(charts.portfolio_heatmap(latest)) == review, "the review order is the default"
    assert top_down(charts.portfolio_heatmap(latest, sort="name")) == sorted(latest["pilot"], key=str.casefold)
    assert top_down(charts.portfolio_heatmap(latest, sort="risk")) == sort_portfolio(latest, "risk")["pilot"].tolist()


def test_heatmap_of_an_empty_portfolio(latest: pd.DataFrame) -> None:
    fig = charts.portfolio_heatmap(latest.iloc[0:0])
    assert len(fig.data[1].y) == 0


def test_weakest_items_match_the_explained_scoring(demo: tuple) -> None:
    assessments, frame, _ = demo
    weak = weakest_items(frame)
    for index in (0, 17, 60, len(assessments) - 1):
        result = score_assessment(assessments[index])
        for gap in GAP_IDS:
            assert weak.loc[index, gap] == ", ".join(_weak_items(result.gaps[gap].items)), (index, gap)


def test_heatmap_hover_names_the_weakest_items(latest: pd.DataFrame, demo: tuple) -> None:
    _, frame, scored = demo
    idx = scored.sort_values(["pilot", "as_of"]).groupby("pilot").tail(1).index
    weak = weakest_items(frame.loc[idx].reset_index(drop=True))
    fig = charts.portfolio_heatmap(scored.loc[idx].reset_index(drop=True), weak=weak)
    cells, targets = fig.data[1], fig.data[2]
    assert "Weakest items" in targets.hovertemplate
    first_gap = [cells.customdata[r][0][2] for r in range(len(cells.y))]
    # Plain words on the executive page: the weakest items by their short labels, never their IDs.
    labels = {MODEL.item_label(i.id) for i in MODEL.items_of("data")}
    assert any(label in text for text in first_gap for label in labels)
    assert not any("DATA-" in text or "data." in text for row in cells.customdata for c in row for text in [c[2]])
    for row, name in zip(cells.customdata, cells.y, strict=True):
        ids = weak.loc[list(scored.loc[idx, "pilot"]).index(name), "data"]
        assert row[0][2] == (charts.item_labels_text(ids) or "—")


def test_value_matrix_tells_verdicts_apart_without_colour(latest: pd.DataFrame) -> None:
    assert charts.has_value_data(latest)
    fig = charts.value_readiness_matrix(latest)
    symbols = {trace.marker.symbol for trace in fig.data}
    assert len(symbols) == len(fig.data)
    for trace in fig.data:
        assert "text" in trace.mode
        assert any(label in trace.name for label in VERDICT_LABELS.values())
    assert sum(len(trace.x) for trace in fig.data) == len(latest)
    assert not charts.has_value_data(latest.assign(expected_annual_value=np.nan))


def test_verdict_distribution_counts(latest: pd.DataFrame) -> None:
    fig = charts.verdict_distribution(latest)
    total = sum(sum(trace.x) for trace in fig.data)
    assert total == len(latest)
    for trace in fig.data:
        assert all(t == (str(x) if x else "") for t, x in zip(trace.text, trace.x, strict=True))


def test_pilot_radar_draws_the_scores(demo: tuple) -> None:
    result = score_assessment(demo[0][5])
    fig = charts.pilot_radar(charts.gap_scores_of(result), median=median_gap_scores(latest_per_pilot(demo[2])))
    latest_trace = fig.data[-1]
    assert list(latest_trace.r[:6]) == [result.gaps[g].score for g in GAP_IDS]
    assert list(latest_trace.text[:6]) == [display.score_text(result.gaps[g].score) for g in GAP_IDS]
    assert list(latest_trace.customdata[:6]) == list(latest_trace.text[:6])
    assert {t.line.dash for t in fig.data} == {"solid", "dot"}


def test_compound_heatmap_states_match_scoring(demo: tuple) -> None:
    for assessment in demo[0][::20]:
        result = score_assessment(assessment)
        fig = charts.compound_risk_heatmap(result)
        texts = [t for row in fig.data[0].text for t in row if t]
        assert len(texts) == len(MODEL.edges)
        for risk in result.compound_risks:
            assert f"{risk.id}<br>{risk.state}<br>{charts.severity_text(risk.severity)}" in texts
        # Six columns fit a half-width column: long labels on two lines, never turned.
        assert fig.layout.xaxis.tickangle == 0
        assert all(len(line) <= 10 for t in fig.layout.xaxis.ticktext for line in t.split("<br>"))


def test_compound_heatmap_draws_the_scored_risks_without_recomputing(demo: tuple) -> None:
    result = score_assessment(next(a for a in reversed(demo[0]) if a.pilot.name == "Claims triage"))
    first = result.compound_risks[0]
    # A state the scores alone would not give: the chart must show what the core said, not its own rule.
    edited = first.model_copy(update={"state": "inactive" if first.state != "inactive" else "critical"})
    fig = charts.compound_risk_heatmap(result.model_copy(update={"compound_risks": [edited]}))
    heatmap = fig.data[0]
    cells = [(i, j) for i, row in enumerate(heatmap.text) for j, t in enumerate(row) if t]
    assert len(cells) == 1
    (i, j) = cells[0]
    assert heatmap.text[i][j].startswith(f"{edited.id}<br>{edited.state}")
    assert heatmap.z[i][j] == charts.EDGE_STATES.index(edited.state)
    source, target = result.gaps[first.source].score, result.gaps[first.target].score
    assert f"{display.score_text(source)} → " in heatmap.customdata[i][j]
    assert heatmap.customdata[i][j].endswith(display.score_text(target))


def test_trend_and_delta(demo: tuple, latest: pd.DataFrame) -> None:
    scored = demo[2]
    history = scored[scored["pilot"] == "Route optimisation"]
    trend = charts.trend_figure(history)
    overall = trend.data[-1]
    assert list(overall.y) == list(history.sort_values("as_of")["overall"])
    assert overall.text[-1] == display.score_text(history.sort_values("as_of")["overall"].iloc[-1])

    before = portfolio_on(scored, "2026-06-01")
    fig = charts.delta_heatmap(before, latest)
    cells = fig.data[0]
    assert list(cells.y) == sort_portfolio(latest, "readiness")["pilot"].tolist(), "review order, drawn top down"
    route = list(cells.y).index("Route optimisation")
    now = latest.set_index("pilot").loc["Route optimisation", "overall"]
    then = before.set_index("pilot").loc["Route optimisation", "overall"]
    # The arrow is the difference of the shown numbers, so the reader's arithmetic adds up.
    shown_drop = display.score_number(then) - display.score_number(now)
    assert cells.text[route][-1] == f"{display.score_text(now)} ▼{shown_drop}"
    for row, name in enumerate(cells.y):
        for col, column in enumerate([*(f"score.{g}" for g in GAP_IDS), "overall"]):
            a = before.set_index("pilot")[column].get(name)
            b = latest.set_index("pilot").loc[name, column]
            assert cells.text[row][col] == f"{display.score_text(b)} {display.change_text(a, b)}"


def test_portfolio_trend_draws_the_monthly_portfolio(demo: tuple) -> None:
    monthly = monthly_portfolio(demo[2])
    fig = charts.portfolio_trend(monthly)
    for trace, verdict in zip(fig.data, ["not_ready", "conditional", "ready"], strict=True):
        assert list(trace.y) == list(monthly[verdict])
        assert list(trace.text) == [str(c) if c else "" for c in monthly[verdict]]
    assert sum(fig.data[k].y[-1] for k in range(3)) == monthly["pilots"].iloc[-1] == 16


def test_compare_radar_tells_pilots_apart(latest: pd.DataFrame) -> None:
    fig = charts.compare_radar(latest.head(8))
    assert len(fig.data) == 8
    assert len({(t.line.color, t.line.dash, t.marker.symbol) for t in fig.data}) == 8


def test_metric_curves_pass_through_their_anchors() -> None:
    for metric in MODEL.scored_metrics:
        fig = charts.metric_curve_figure(metric)
        if metric.curve.type == "bool":
            assert list(fig.data[0].y) == [0, 100]
            continue
        anchors = fig.data[1]
        assert min(anchors.y) == 0 and max(anchors.y) == 100


def test_colour_scale_is_readable() -> None:
    # Dark ends, light middle: lightness carries the score as well as hue.
    assert charts.text_color_on(charts.score_color(0)) == "white"
    assert charts.text_color_on(charts.score_color(55)) == charts.INK
    assert charts.text_color_on(charts.score_color(100)) == "white"
    assert charts.score_color(0) != charts.score_color(100)


def test_snapshot_heatmap_writes_every_snapshot(demo: tuple) -> None:
    scored = demo[2]
    history = scored[scored["pilot"] == "Fraud alerts"]
    fig = charts.snapshot_heatmap(history)
    verdicts, cells = fig.data
    assert len(cells.y) == len(history)
    ordered = history.sort_values("as_of")
    assert np.allclose([row[-1] for row in cells.z], ordered["overall"])
    assert [row[-1] for row in cells.text] == [display.score_text(v) for v in ordered["overall"]]
    assert [t[0] for t in verdicts.text] == [VERDICT_LABELS[v] for v in ordered["verdict"]]


# --------------------------------------------------------------------------------------------
# Charts an executive reads at a glance (issue 11)
# --------------------------------------------------------------------------------------------


def test_value_matrix_names_only_the_pilots_that_matter_where_no_label_collides(latest: pd.DataFrame) -> None:
    fig = charts.value_readiness_matrix(latest)
    named = [t for trace in fig.data for t in trace.text if t]
    expected = charts.value_labels(latest)
    # The three highest-value pilots and the three highest-value not-ready ones, no more.
    by_value = latest.sort_values("expected_annual_value", ascending=False)
    assert set(by_value["pilot"].head(3)) <= set(expected)
    assert set(by_value.loc[by_value["verdict"] == "not_ready", "pilot"].head(3)) <= set(expected)
    assert len(expected) <= 6 and set(named) <= set(expected) and len(named) >= 3
    # Every bubble keeps its hover with its pilot, value and run cost.
    hovers = [c[1] for trace in fig.data for c in trace.customdata]
    assert len(hovers) == len(latest) and all("€" in h for h in hovers)
    # The placed labels, as boxes on the narrowest plot area, overlap neither each other nor a bubble.
    points = pd.DataFrame(
        {
            "pilot": latest["pilot"],
            "x": latest["overall"],
            "y": latest["expected_annual_value"] / 1e6,
            "size": charts.bubble_size(latest["monthly_run_cost"], latest["monthly_run_cost"].max()),
        }
    )
    y_max = fig.layout.yaxis.range[1]
    placed = charts._label_positions(points, expected, y_max)
    assert set(placed) == set(named)
    for trace in fig.data:
        for text, position in zip(trace.text, trace.textposition, strict=True):
            if text:
                assert placed[text] == position


def test_label_placement_moves_a_label_off_its_neighbour() -> None:
    # Two bubbles side by side: the second label cannot go where the first went.
    points = pd.DataFrame(
        {"pilot": ["Alpha pilot", "Beta pilot"], "x": [50.0, 52.0], "y": [2.0, 2.0], "size": [20.0, 20.0]}
    )
    placed = charts._label_positions(points, ["Alpha pilot", "Beta pilot"], y_max=4.0)
    assert placed["Alpha pilot"] == "top center"
    assert placed["Beta pilot"] not in {"top center", "top left", "top right"}
    # A label at the right edge goes left, never past the edge.
    edge = pd.DataFrame({"pilot": ["Edge pilot"], "x": [104.0], "y": [3.0], "size": [16.0]})
    assert "left" in charts._label_positions(edge, ["Edge pilot"], y_max=4.0)["Edge pilot"]


def test_value_matrix_has_a_size_legend_and_the_configured_currency(
    latest: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(charts.CURRENCY_VARIABLE, raising=False)
    fig = charts.value_readiness_matrix(latest)
    assert fig.layout.yaxis.title.text == "Expected annual value (€ millions)"
    circles = [s for s in fig.layout.shapes if s.type == "circle"]
    assert len(circles) == 3
    max_cost = float(latest["monthly_run_cost"].max())
    notes = [a.text for a in fig.layout.annotations]
    assert any("Bubble size" in n for n in notes)
    for circle in circles:
        diameter = circle.x1 - circle.x0
        assert circle.xsizemode == "pixel" and circle.y1 - circle.y0 == pytest.approx(diameter)
        # Drawn with the bubbles' own rule: a legend circle is the size of a bubble of its cost.
        costs = [float(n.strip("€k")) * 1e3 for n in notes if n.startswith("€") and n.endswith("k")]
        assert any(diameter == pytest.approx(float(charts.bubble_size(c, max_cost))) for c in costs)
    monkeypatch.setenv(charts.CURRENCY_VARIABLE, "usd")
    assert charts.value_readiness_matrix(latest).layout.yaxis.title.text == "Expected annual value ($ millions)"
    monkeypatch.setenv(charts.CURRENCY_VARIABLE, "CHF")
    fig = charts.value_readiness_matrix(latest)
    assert fig.layout.yaxis.title.text == "Expected annual value (CHF millions)"
    assert any("CHF " in c[1] for trace in fig.data for c in trace.customdata)
    assert charts.currency("GBP") == ("GBP", "£")


def test_radar_labels_fan_out_and_axis_labels_wrap(demo: tuple) -> None:
    result = score_assessment(demo[0][5])
    fig = charts.pilot_radar({g: 0.0 for g in GAP_IDS}, median=charts.gap_scores_of(result))
    latest_trace = fig.data[-1]
    # Six directions for six axes (no two labels of a low pilot pile up at the centre); the closing point,
    # which repeats the first, is not written twice.
    assert len(set(latest_trace.textposition[:6])) == 6
    assert list(latest_trace.textposition[:6]) == charts.RADAR_LABEL_POSITIONS
    assert latest_trace.text[-1] == ""
    # Near the ring the values go inwards, off the axis labels.
    high = charts.pilot_radar({g: 100.0 for g in GAP_IDS}).data[-1]
    assert list(high.textposition[:6]) == [
        "bottom center",
        "bottom left",
        "top left",
        "top center",
        "top right",
        "bottom right",
    ]
    axis = fig.layout.polar.angularaxis
    assert list(axis.tickvals) == [charts.SHORT_GAP_LABELS[g] for g in GAP_IDS]
    assert "Latency &<br>scale" in axis.ticktext
    assert all(len(line) <= 10 for t in axis.ticktext for line in t.split("<br>"))
    assert axis.ticks == "outside" and axis.ticklen > 0
    # Only the latest points carry values.
    assert all("text" not in (t.mode or "") for t in fig.data[:-1])


def test_trend_of_one_snapshot_reads_in_days(demo: tuple) -> None:
    scored = demo[2]
    one = scored[scored["pilot"] == "Claims triage"].sort_values("as_of").tail(1)
    fig = charts.trend_figure(one)
    day = pd.Timestamp(one["as_of"].iloc[0])
    axis = fig.layout.xaxis
    assert axis.type == "date"
    low, high = (pd.Timestamp(v) for v in axis.range)
    assert (high - low) >= pd.Timedelta(days=28), "a month either side, not milliseconds"
    assert list(axis.ticktext) == [f"{day:%d %b %Y}"]
    many = charts.trend_figure(scored[scored["pilot"] == "Claims triage"])
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", t) for t in many.layout.xaxis.ticktext)


def test_trend_reference_labels_sit_in_the_margin(demo: tuple) -> None:
    scored = demo[2]
    fig = charts.trend_figure(scored[scored["pilot"] == "Route optimisation"])
    notes = [a for a in fig.layout.annotations if "ready" in a.text]
    assert len(notes) == 2
    # Right of the plot area (x = 1 of the paper, anchored left): the overall's data labels cannot reach them.
    assert all(a.xref == "paper" and a.x == 1 and a.xanchor == "left" for a in notes)
    assert fig.layout.margin.r >= 80


def test_stale_assessments_are_marked_on_the_heatmap(latest: pd.DataFrame) -> None:
    assert MODEL.scoring.stale_after_months == 3
    stale = charts.stale_mask(latest)
    # The demo's Shift scheduling was last assessed in July, the others in November.
    assert latest.loc[stale, "pilot"].tolist() == ["Shift scheduling"]
    fig = charts.portfolio_heatmap(latest)
    axis = fig.layout.yaxis
    labels = dict(zip(axis.tickvals, axis.ticktext, strict=True))
    assert "as of Jul 2026" in labels["Shift scheduling"]
    assert charts.STALE_GLYPH in labels["Shift scheduling"]
    assert all(labels[n] == charts.plain_text(n) for n in latest["pilot"] if n != "Shift scheduling")
    # The reference is the portfolio's newest assessment, or a given day.
    assert not charts.stale_mask(latest, reference=pd.Timestamp("2026-08-15").date()).any()
    assert charts.stale_mask(latest, reference=pd.Timestamp("2027-06-01").date()).all()
    assert charts.stale_text("2026-07-01") == f"{charts.STALE_GLYPH} as of Jul 2026"


def test_stale_after_months_comes_from_the_model(latest: pd.DataFrame) -> None:
    strict = MODEL.model_copy(update={"scoring": MODEL.scoring.model_copy(update={"stale_after_months": 5})})
    assert latest.loc[charts.stale_mask(latest, strict), "pilot"].tolist() == []


def test_user_text_in_charts_is_shown_as_typed(latest: pd.DataFrame) -> None:
    assert charts.plain_text("R&D <b>bold</b>") == "R&amp;D &lt;b&gt;bold&lt;/b&gt;"
    renamed = latest.assign(pilot=latest["pilot"].where(latest["pilot"] != "Fraud alerts", "<b>Fraud</b>"))
    fig = charts.portfolio_heatmap(renamed)
    assert "&lt;b&gt;Fraud&lt;/b&gt;" in fig.layout.yaxis.ticktext
    assert "<b>Fraud</b>" in fig.data[1].y, "the raw name stays the cell's key (a click opens that pilot)"
    matrix = charts.value_readiness_matrix(renamed)
    assert "&lt;b&gt;Fraud&lt;/b&gt;" in [t for trace in matrix.data for t in trace.text]


def test_wrapped_labels() -> None:
    assert charts.wrapped("Latency & scale") == "Latency &<br>scale"
    assert charts.wrapped("Overall") == "Overall"
    assert charts.wrapped("Monitoring & observability") == "Monitoring &<br>observability"


def test_a_label_margin_holds_the_widest_line_of_plain_text() -> None:
    """Markup is not text, an entity is one character, and a label on two lines is as wide as its longer line."""
    base = charts.label_margin(["Claims triage"])
    assert charts.label_margin(["Claims <b>triage</b>"]) == base
    assert charts.label_margin(["Claims&amp;triage"]) == charts.label_margin(["Claims&triage"])
    assert charts.label_margin(["Claims<br>triage and more"]) == charts.label_margin(["triage and more"])
    assert charts.label_margin(["Claims triage", "A"]) == base > charts.label_margin(["A"])
    assert charts.label_margin([]) == charts.TICK_PAD_PX


def test_the_portfolio_charts_margins_hold_their_labels(latest: pd.DataFrame) -> None:
    """The heatmap's left margin holds its longest row label (a stale one carries its date), its right one the
    colour bar; the verdict chart's holds the business units: so that Plotly draws them once (the browser test
    checks Plotly's own measure against these)."""
    heatmap = charts.portfolio_heatmap(latest, title=None)
    rows = heatmap.layout.yaxis.ticktext
    assert heatmap.layout.margin.l == charts.label_margin(rows) > charts.label_margin([str(latest["pilot"].iloc[0])])
    assert heatmap.layout.margin.r == charts.COLORBAR_MARGIN_PX
    verdicts = charts.verdict_distribution(latest)
    assert verdicts.layout.margin.l == charts.label_margin(list(latest["business_unit"].unique()))
    assert verdicts.layout.margin.t == 72  # the title and its key keep theirs
