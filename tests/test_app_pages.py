"""AppTests of the Portfolio, Pilot, Compare and Methodology pages, on the demo portfolio and an empty database."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from readiness import charts, display
from readiness.assessment import Assessment
from readiness.demo import demo_assessments
from readiness.model import load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame
from readiness.scoring import VERDICT_LABELS, score_assessment
from readiness.service.portfolio import overall_explained, portfolio_stats

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60


@pytest.fixture(scope="module")
def demo() -> list[Assessment]:
    return demo_assessments()


@pytest.fixture(scope="module")
def latest(demo: list[Assessment]) -> pd.DataFrame:
    return latest_per_pilot(score_frame(assessments_to_frame(demo)))


@pytest.fixture
def demo_app(demo_database_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    # The pages only read: they share the session's demo store (conftest.py).
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_url)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


@pytest.fixture
def empty_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("READINESS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def figures(at: AppTest) -> list[dict]:
    """The Plotly figures drawn on the page, as their JSON specs."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def heatmap_pilots(at: AppTest) -> list[str]:
    """The pilots (rows) of the portfolio heatmap."""
    spec = next(f for f in figures(at) if any(t.get("name") == "cells" for t in f["data"]))
    return list(spec["data"][1]["y"])


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(t.value for t in at.title)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_portfolio_on_the_demo(demo_app: AppTest, latest: pd.DataFrame) -> None:
    at = demo_app.run()
    assert_clean(at)
    kpis = portfolio_stats(latest)
    ready = next(m for m in at.metric if m.label == "Ready")
    # Short labels and deltas that fit a laptop screen; the count and the reference are in the help.
    assert ready.value == display.percent_text(kpis.ready_share)
    assert f"{kpis.by_verdict['ready']} of {kpis.pilots}" in ready.help and "Gartner" in ready.help
    assert [m.label for m in at.metric] == ["Ready", "Not ready", "In pilot", "Compound risks", "Stalled"]
    assert all(len(m.label) <= 15 for m in at.metric)
    assert sorted(heatmap_pilots(at)) == sorted(latest["pilot"])
    assert len(figures(at)) == 3  # heatmap, value × readiness, verdicts


def test_the_portfolio_marks_stale_assessments(demo_app: AppTest) -> None:
    at = demo_app.run()
    assert_clean(at)
    assert any("last assessed more than 3 months before 01 Nov 2026" in c.value for c in at.caption)
    assert "Stale assessments (1)" in [e.label for e in at.expander]
    assert not any("Last assessed" in d.value.columns for d in at.dataframe)  # made once the expander is opened
    at.session_state["portfolio.stale"] = True
    at.run()
    stale = next(d.value for d in at.dataframe if "Last assessed" in d.value.columns)
    assert stale["Pilot"].tolist() == ["Shift scheduling"] and stale["Last assessed"].tolist() == ["01 Jul 2026"]


def test_executive_charts_offer_only_the_png_download(demo_app: AppTest) -> None:
    at = demo_app.run()
    for chart in at.get("plotly_chart"):
        config = json.loads(chart.proto.config)
        assert config["modeBarButtons"] == [["toImage"]]
        assert config["displaylogo"] is False


def test_a_filter_narrows_the_heatmap(demo_app: AppTest, latest: pd.DataFrame) -> None:
    at = demo_app.run()
    at.multiselect(key="bu").set_value(["Finance"]).run()
    assert_clean(at)
    finance = latest[latest["business_unit"] == "Finance"]["pilot"]
    assert sorted(heatmap_pilots(at)) == sorted(finance)


def test_the_filter_comes_from_the_url(demo_app: AppTest, latest: pd.DataFrame) -> None:
    demo_app.query_params["verdict"] = "Ready"  # bound widgets carry the label the user sees
    at = demo_app.run()
    assert_clean(at)
    assert sorted(heatmap_pilots(at)) == sorted(latest[latest["verdict"] == "ready"]["pilot"])


def test_sorting_by_name(demo_app: AppTest, latest: pd.DataFrame) -> None:
    at = demo_app.run()
    # A select box, so that no option is hidden on a laptop screen (a segmented control scrolled "Name" away).
    at.selectbox(key="portfolio.sort").select("name").run()
    assert_clean(at)
    # The heatmap draws its first row at the bottom: the list is the order reversed.
    assert heatmap_pilots(at)[::-1] == sorted(latest["pilot"], key=str.casefold)


def _expected_verdict(name: str) -> str:
    newest = max((a for a in demo_assessments() if a.pilot.name == name), key=lambda a: a.as_of)
    return VERDICT_LABELS[score_assessment(newest).verdict]


def test_choosing_a_pilot_shows_its_verdict(demo_app: AppTest) -> None:
    at = demo_app.run()
    at.switch_page("screens/pilot.py").run()
    assert_clean(at)
    at.selectbox(key="pilot").select("Claims triage").run()
    assert_clean(at)
    assert at.title[0].value == "Claims triage"
    assert _expected_verdict("Claims triage") in texts(at)
    assert len(figures(at)) == 2  # radar, trend; the analysts' matrix is made once its expander is opened
    at.session_state["pilot.matrix"] = True
    at.run()
    assert len(figures(at)) == 3  # radar, compound risks, trend


def test_the_pilot_page_speaks_plain_words(demo_app: AppTest) -> None:
    demo_app.query_params["pilot"] = "Claims triage"
    at = demo_app.run()
    at.switch_page("screens/pilot.py").run()
    assert_clean(at)
    newest = max((a for a in demo_assessments() if a.pilot.name == "Claims triage"), key=lambda a: a.as_of)
    result = score_assessment(newest)
    shown = texts(at)
    # Verdict reasons name items by their short labels; overall is explained in one line.
    for reason in result.plain_reasons:
        assert f"- {reason}" in shown
    assert not any(item_id in shown for item_id in ("DATA-1", "TRUST-1", "data.production_sample_share"))
    assert overall_explained(result) in [c.value for c in at.caption]
    # Compound risks as chains in words with their severity; the matrix is kept, in an expander.
    assert "**Data quality → User trust** — poor data quality → poor model performance → low user trust" in shown
    assert ":red-badge[Critical]" in shown
    assert "The interaction matrix (for analysts)" in [e.label for e in at.expander]
    # The drill-down: one tab per gap, the IDs last; only the open tab's table is made.
    assert [t.label for t in at.tabs] == list(charts.SHORT_GAP_LABELS.values())
    assert sum("Points lost" in d.value.columns for d in at.dataframe) == 1
    tables = [d.value for d in at.dataframe]
    items = next(t for t in tables if "Points lost" in t.columns)
    assert list(items.columns) == ["Item", "Answer / value", "Target", "Points lost", "Evidence", "ID"]
    assert items["Item"].iloc[0] == load_model().item_label(items["ID"].iloc[0])
    # The points lost add up to what the gap misses (100 − its score), to rounding.
    data = result.gaps["data"]
    lost = next(t for t in tables if "Points lost" in t.columns and "DATA-1" in set(t["ID"]))["Points lost"]
    assert abs(lost.sum() - (100 - data.score)) < 0.1 * len(lost) + 0.01
    fixes = next(t for t in tables if "Overall +" in t.columns)
    assert list(fixes.columns) == ["Fix", "Gap", "Now", "Target", "Overall +", "Gap +"]
    assert fixes["Fix"].iloc[0] == load_model().item_label(result.remediation[0].item)
    changed = next(t for t in tables if "Before" in t.columns)
    assert list(changed.columns) == ["Gap", "Item", "Before", "Now"]
    # Another tab opened: its table instead (a click on it reruns the page).
    at.session_state["pilot.gap_tab"] = charts.SHORT_GAP_LABELS["trust"]
    at.run()
    items = [d.value for d in at.dataframe if "Points lost" in d.value.columns]
    assert len(items) == 1 and set(items[0]["ID"]) == {i.id for i in result.gaps["trust"].items}


def test_user_text_is_escaped(demo_app: AppTest) -> None:
    from ui.state import plain

    assert plain("**Bold** [link](http://x.io) <b>x</b> :red[y]") == (
        "\\*\\*Bold\\*\\* \\[link\\]\\(http\\:\u2060//x\\.io\\) \\<b\\>x\\</b\\> \\:red\\[y\\]"
    )
    # An e-mail address does not become a link (GFM finds those after the escapes are read).
    assert "@\u2060" in plain("claims.ai@example.com")
    demo_app.query_params["pilot"] = "Claims triage"
    at = demo_app.run()
    at.switch_page("screens/pilot.py").run()
    facts = at.caption[0].value
    assert "claims\\.ai\\@\u2060example\\.com" in facts


def test_a_deep_link_opens_the_pilot(demo_app: AppTest) -> None:
    demo_app.query_params["pilot"] = "Route optimisation"
    at = demo_app.run()
    at.switch_page("screens/pilot.py").run()
    assert_clean(at)
    assert at.title[0].value == "Route optimisation"
    assert _expected_verdict("Route optimisation") in texts(at)


def test_a_deep_link_to_an_unknown_pilot_says_so(demo_app: AppTest) -> None:
    demo_app.query_params["pilot"] = "No such pilot"
    at = demo_app.run()
    at.switch_page("screens/pilot.py").run()
    assert not at.exception
    assert any("No such pilot" in w.value for w in at.warning)


def test_the_portfolio_picker_opens_the_pilot(demo_app: AppTest) -> None:
    at = demo_app.run()
    at.selectbox(key="portfolio.open").select("Fraud alerts").run()
    assert_clean(at)
    assert at.title[0].value == "Fraud alerts"


def test_compare_on_the_demo(demo_app: AppTest) -> None:
    demo_app.query_params["compare"] = ["Fraud alerts", "Claims triage"]
    at = demo_app.run()
    at.switch_page("screens/compare.py").run()
    assert_clean(at)
    assert at.multiselect(key="compare").value == ["Fraud alerts", "Claims triage"]
    radar = figures(at)[0]
    assert [t["name"].split(" (")[0] for t in radar["data"]] == ["Fraud alerts", "Claims triage"]
    assert len(figures(at)) == 4  # radars, two dates, snapshots, trend


def test_methodology(demo_app: AppTest, demo: list[Assessment]) -> None:
    at = demo_app.run()
    at.switch_page("screens/methodology.py").run()
    assert_clean(at)
    version = load_model().version
    assert version in at.caption[0].value
    assert len(figures(at)) == len(load_model().scored_metrics)  # one curve per scored metric
    audit = at.dataframe[-1].value
    assert list(audit.columns) == ["When (UTC)", "Who", "Action", "What", "Source file (SHA-256)"]
    assert (audit["Action"] == "snapshot.add").sum() == len(demo)
    # Interactions in words: gap labels, no column of equal weights, the IDs last.
    interactions = next(d.value for d in at.dataframe if "How" in d.value.columns)
    assert list(interactions.columns) == ["A weak gap …", "… makes this one worse", "How", "ID"]
    assert set(interactions["A weak gap …"]) <= set(charts.gap_labels().values())


def test_compare_marks_stale_assessments_and_explains_overall(demo_app: AppTest) -> None:
    demo_app.query_params["compare"] = ["Fraud alerts", "Shift scheduling"]
    at = demo_app.run()
    at.switch_page("screens/compare.py").run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert table["Pilot"].tolist() == ["Fraud alerts", f"Shift scheduling {charts.STALE_GLYPH}"]
    notes = " ".join(c.value for c in at.caption)
    assert "Overall is the geometric mean of the six gaps" in notes
    assert "Shift scheduling (Jul 2026)" in notes


@pytest.mark.parametrize("page", ["screens/portfolio.py", "screens/pilot.py", "screens/compare.py"])
def test_empty_database_offers_three_ways_to_start(empty_app: AppTest, page: str) -> None:
    at = empty_app.run()
    at.switch_page(page).run()
    assert_clean(at)
    assert at.button(key="empty.demo").label == "Load the demo"
    assert not at.get("plotly_chart")


def test_loading_the_demo_from_the_empty_state(empty_app: AppTest, latest: pd.DataFrame) -> None:
    at = empty_app.run()
    at.button(key="empty.demo").click().run()
    assert_clean(at)
    assert sorted(heatmap_pilots(at)) == sorted(latest["pilot"])


def test_methodology_on_an_empty_database(empty_app: AppTest) -> None:
    at = empty_app.run()
    at.switch_page("screens/methodology.py").run()
    assert_clean(at)
    assert at.get("plotly_chart")
    assert "Nothing has been written to this store yet." in [i.value for i in at.info]


def test_an_unusable_database_gives_a_message_not_a_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", "mysql://someone@somewhere/db")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("mysql" in e.value.lower() or "database" in e.value.lower() for e in at.error)
