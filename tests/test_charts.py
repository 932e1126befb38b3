"""The chart functions: the numbers drawn are the scores, and colour never carries meaning alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from readiness import charts
from readiness.demo import demo_assessments
from readiness.model import GAP_IDS, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame
from readiness.scoring import VERDICT_LABELS, _weak_items, score_assessment

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
    assert cells.texttemplate == "%{z:.0f}"
    assert list(cells.x) == [charts.SHORT_GAP_LABELS[g] for g in GAP_IDS] + ["Overall"]
    by_name = latest.set_index("pilot")
    for row, name in enumerate(cells.y):
        expected = [by_name.loc[name, f"score.{g}"] for g in GAP_IDS] + [by_name.loc[name, "overall"]]
        assert np.allclose(cells.z[row], expected)
        assert all(cells.customdata[row][col][0] == name for col in range(len(expected)))
        assert verdicts.text[row][0] == VERDICT_LABELS[by_name.loc[name, "verdict"]]


def test_heatmap_sorting(latest: pd.DataFrame) -> None:
    # The first pilot of the order is drawn at the top, which is the last row of the trace.
    top = lambda fig: fig.data[1].y[-1]  # noqa: E731
    assert top(charts.portfolio_heatmap(latest, sort="readiness")) == latest.loc[latest["overall"].idxmin(), "pilot"]
    assert top(charts.portfolio_heatmap(latest, sort="name")) == sorted(latest["pilot"], key=str.casefold)[0]
    riskiest = charts.sort_portfolio(latest, "risk").iloc[0]
    assert riskiest["critical_edges"] == latest["critical_edges"].max()


def test_heatmap_of_an_empty_portfolio(latest: pd.DataFrame) -> None:
    fig = charts.portfolio_heatmap(latest.iloc[0:0])
    assert len(fig.data[1].y) == 0


def test_weakest_items_match_the_explained_scoring(demo: tuple) -> None:
    assessments, frame, _ = demo
    weak = charts.weakest_items(frame)
    for index in (0, 17, 60, len(assessments) - 1):
        result = score_assessment(assessments[index])
        for gap in GAP_IDS:
            assert weak.loc[index, gap] == ", ".join(_weak_items(result.gaps[gap].items)), (index, gap)


def test_heatmap_hover_names_the_weakest_items(latest: pd.DataFrame, demo: tuple) -> None:
    _, frame, scored = demo
    idx = scored.sort_values(["pilot", "as_of"]).groupby("pilot").tail(1).index
    weak = charts.weakest_items(frame.loc[idx].reset_index(drop=True))
    fig = charts.portfolio_heatmap(scored.loc[idx].reset_index(drop=True), weak=weak)
    cells, targets = fig.data[1], fig.data[2]
    assert "Weakest items" in targets.hovertemplate
    first_gap = [cells.customdata[r][0][2] for r in range(len(cells.y))]
    assert any("DATA-" in text or "data." in text for text in first_gap)


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
    fig = charts.pilot_radar(charts.gap_scores_of(result), median=charts.median_gap_scores(demo[2]))
    latest_trace = fig.data[-1]
    assert list(latest_trace.r[:6]) == [result.gaps[g].score for g in GAP_IDS]
    assert list(latest_trace.text[:6]) == [f"{result.gaps[g].score:.0f}" for g in GAP_IDS]
    assert {t.line.dash for t in fig.data} == {"solid", "dot"}


def test_compound_heatmap_states_match_scoring(demo: tuple) -> None:
    for assessment in demo[0][::20]:
        result = score_assessment(assessment)
        fig = charts.compound_risk_heatmap(charts.gap_scores_of(result))
        texts = [t for row in fig.data[0].text for t in row if t]
        assert len(texts) == len(MODEL.edges)
        for risk in result.compound_risks:
            assert any(t.startswith(f"{risk.id} {risk.state}") for t in texts)


def test_trend_and_delta(demo: tuple, latest: pd.DataFrame) -> None:
    scored = demo[2]
    history = scored[scored["pilot"] == "Route optimisation"]
    trend = charts.trend_figure(history)
    overall = trend.data[-1]
    assert list(overall.y) == list(history.sort_values("as_of")["overall"])
    assert overall.text[-1] == f"{history.sort_values('as_of')['overall'].iloc[-1]:.0f}"

    before = charts.latest_as_of(scored, "2026-06-01")
    fig = charts.delta_heatmap(before, latest)
    cells = fig.data[0]
    route = list(cells.y).index("Route optimisation")
    now = latest.set_index("pilot").loc["Route optimisation", "overall"]
    then = before.set_index("pilot").loc["Route optimisation", "overall"]
    assert cells.text[route][-1] == f"{now:.0f} ▼{then - now:.0f}"


def test_compare_radar_tells_pilots_apart(latest: pd.DataFrame) -> None:
    fig = charts.compare_radar(latest.head(8))
    assert len(fig.data) == 8
    assert len({(t.line.color, t.line.dash, t.marker.symbol) for t in fig.data}) == 8


def test_portfolio_kpis(latest: pd.DataFrame) -> None:
    kpis = charts.portfolio_kpis(latest)
    assert kpis.pilots == len(latest) == sum(kpis.by_verdict.values())
    assert kpis.ready_share == pytest.approx(100 * (latest["verdict"] == "ready").mean())
    assert kpis.gartner_ready_share == 48
    assert kpis.stalled == int(latest["stalled"].sum())
    empty = charts.portfolio_kpis(latest.iloc[0:0])
    assert empty.pilots == 0 and empty.ready_share is None and empty.median_months_in_pilot is None


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
    assert [t[0] for t in verdicts.text] == [VERDICT_LABELS[v] for v in ordered["verdict"]]
