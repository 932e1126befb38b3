"""Every chart is constructed in one call from a complete spec (issue 14: performance under concurrent sessions).

Building a figure through Plotly's incremental API (``add_trace``, ``update_layout``, ``make_subplots``, the
template applied afterwards) cost 10-45 ms per figure, most of it in Plotly's update machinery; the same figure
constructed once from its dict spec costs a fraction of that. These tests hold every builder of
:mod:`readiness.charts` to one validated ``go.Figure`` construction and no incremental update, and check that
each figure still names the readiness template whatever Plotly's process-wide default is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from readiness import charts
from readiness.demo import demo_assessments
from readiness.model import BoolCurve, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame, weakest_items
from readiness.scoring import score_assessment
from readiness.service.portfolio import median_gap_scores, monthly_portfolio, portfolio_on
from readiness.whatif import Plan, project

MODEL = load_model()
# The incremental API a builder must not use: each call runs Plotly's update machinery again.
INCREMENTAL = ("add_trace", "add_traces", "update", "update_layout", "update_traces", "update_xaxes", "update_yaxes",
               "update_polars", "add_vline", "add_hline", "add_shape", "add_annotation", "set_subplots")  # fmt: skip


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    """The demo portfolio in every shape the builders take."""
    assessments = demo_assessments()
    frame = assessments_to_frame(assessments)
    scored = score_frame(frame)
    latest = latest_per_pilot(scored)
    route = scored[scored["pilot"] == "Route optimisation"]
    return {
        "assessments": assessments,
        "scored": scored,
        "latest": latest,
        "weak": weakest_items(frame.loc[latest.index]),
        "before": portfolio_on(scored, "2026-06-01"),
        "route": route,
        "result": score_assessment(assessments[5]),
        "previous": score_assessment(assessments[4]),
    }


def _whatif(d: dict[str, Any], rows: int | None = None) -> go.Figure:
    """The what-if heatmap of the demo with the data-quality gap closed (its first ``rows`` pilots)."""
    projection = project(assessments_to_frame(d["assessments"]), Plan(close_gaps=("data",)), MODEL)
    before, after = projection.before.head(rows), projection.after.head(rows)
    return charts.whatif_heatmap(before, after, projection.changed_cells, MODEL, title=None if rows == 0 else "After")


def _metric(boolean: bool) -> Any:
    return next(m for m in MODEL.scored_metrics if isinstance(m.curve, BoolCurve) is boolean)


# Every builder, on inputs that take each of its branches (empty frames, one snapshot, no title, no value data).
BUILDS: dict[str, Callable[[dict[str, Any]], go.Figure]] = {
    "portfolio_heatmap": lambda d: charts.portfolio_heatmap(d["latest"], MODEL, weak=d["weak"]),
    "portfolio_heatmap, empty": lambda d: charts.portfolio_heatmap(d["latest"].iloc[0:0], title=None),
    "value_readiness_matrix": lambda d: charts.value_readiness_matrix(d["latest"], MODEL),
    "value_readiness_matrix, no value": lambda d: charts.value_readiness_matrix(
        d["latest"].assign(expected_annual_value=float("nan")), title=None
    ),
    "verdict_distribution": lambda d: charts.verdict_distribution(d["latest"]),
    "verdict_distribution, no title": lambda d: charts.verdict_distribution(d["latest"], "owning_team", None),
    "verdict_distribution, empty": lambda d: charts.verdict_distribution(d["latest"].iloc[0:0]),
    "pilot_radar": lambda d: charts.pilot_radar(
        charts.gap_scores_of(d["result"]), charts.gap_scores_of(d["previous"]), median_gap_scores(d["latest"])
    ),
    "pilot_radar, latest only": lambda d: charts.pilot_radar(charts.gap_scores_of(d["result"]), title=None),
    "compound_risk_heatmap": lambda d: charts.compound_risk_heatmap(d["result"]),
    "trend_figure": lambda d: charts.trend_figure(d["route"]),
    "trend_figure, one snapshot": lambda d: charts.trend_figure(d["route"].head(1), title=None),
    "portfolio_trend": lambda d: charts.portfolio_trend(monthly_portfolio(d["scored"])),
    "compare_radar": lambda d: charts.compare_radar(d["latest"].head(3)),
    "compare_radar, empty": lambda d: charts.compare_radar(d["latest"].head(0), title=None),
    "delta_heatmap": lambda d: charts.delta_heatmap(d["before"], d["latest"]),
    "delta_heatmap, empty": lambda d: charts.delta_heatmap(d["before"], d["latest"].iloc[0:0], title=None),
    "metric_curve_figure": lambda d: charts.metric_curve_figure(_metric(False), title="Curve"),
    "metric_curve_figure, yes/no": lambda d: charts.metric_curve_figure(_metric(True)),
    "snapshot_heatmap": lambda d: charts.snapshot_heatmap(d["route"]),
    "snapshot_heatmap, one snapshot": lambda d: charts.snapshot_heatmap(d["route"].head(1), title=None),
    "whatif_heatmap": lambda d: _whatif(d),
    "whatif_heatmap, empty": lambda d: _whatif(d, 0),
}


@pytest.mark.parametrize("name", list(BUILDS))
def test_each_builder_constructs_its_figure_once(
    name: str, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    constructed: list[dict[str, Any]] = []
    construct = go.Figure.__init__

    def counted(self: go.Figure, *args: Any, **kwargs: Any) -> None:
        # The private _validate=False would skip Plotly's checks: every figure is validated.
        assert kwargs.get("_validate", True), "figures are validated"
        constructed.append(kwargs)
        construct(self, *args, **kwargs)

    def refused(method: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"{name} called go.Figure.{method}: build the whole spec, then the figure once")

        return call

    monkeypatch.setattr(go.Figure, "__init__", counted)
    for method in INCREMENTAL:
        monkeypatch.setattr(go.Figure, method, refused(method))
    # Importing Streamlit replaces Plotly's default template: a figure must name its own.
    monkeypatch.setattr(pio.templates, "default", "plotly_dark")

    fig = BUILDS[name](demo)

    assert isinstance(fig, go.Figure)
    assert len(constructed) == 1, f"{name} constructed {len(constructed)} figures"
    assert fig.layout.template.layout.font.family == charts.FONT_FAMILY
    assert fig.layout.template.layout.paper_bgcolor == "white"


def test_no_builder_uses_make_subplots() -> None:
    assert not hasattr(charts, "make_subplots"), "side-by-side grids are explicit axis domains"


def test_the_verdict_column_sits_where_make_subplots_put_it(demo: dict[str, Any]) -> None:
    from plotly.subplots import make_subplots

    grid = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.13, 0.87], horizontal_spacing=0.006)
    for fig in (charts.portfolio_heatmap(demo["latest"]), charts.snapshot_heatmap(demo["route"])):
        for axis in ("xaxis", "xaxis2", "yaxis", "yaxis2"):
            expected, drawn = grid.layout[axis], fig.layout[axis]
            assert drawn.domain == expected.domain and drawn.anchor == expected.anchor, axis
        assert fig.layout.yaxis2.matches == "y" and fig.layout.yaxis2.showticklabels is False
        assert [(t.xaxis, t.yaxis) for t in fig.data][:2] == [("x", "y"), ("x2", "y2")]


def test_figure_names_the_template_and_keeps_a_subtitle() -> None:
    bars = [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}]
    fig = charts.figure(bars, {"title": {"subtitle": {"text": "key"}}, "bargap": 0.3}, title="Title", height=300)
    assert fig.layout.template.layout.font.family == charts.FONT_FAMILY
    assert (fig.layout.title.text, fig.layout.title.subtitle.text) == ("Title", "key")
    assert (fig.layout.height, fig.layout.bargap) == (300, 0.3)
    plain = charts.figure(bars, {})
    assert plain.layout.title.text is None and plain.layout.height is None
    # Validated: a misspelt property fails at once instead of being dropped.
    with pytest.raises(ValueError, match="bargapp"):
        charts.figure(bars, {"bargapp": 0.3})


def test_building_leaves_the_spec_as_it_was() -> None:
    # Specs share pieces (an axis style, a constant): building one figure must not change the next one's.
    layout = {"title": {"subtitle": {"text": "key"}}, "margin": {"t": 10}}
    charts.figure([], layout, title="Title", height=200)
    assert layout == {"title": {"subtitle": {"text": "key"}}, "margin": {"t": 10}}
