"""The verdicts' sensitivity to the method and the ±5-point threshold band.

The oracle is scoring again: each pilot's verdict under an aggregator must be the verdict of
``score_frame(frame, model, aggregator=...)``, and its verdict with moved thresholds that of ``score_frame`` with a
model whose verdict rules moved, although :mod:`readiness.sensitivity` never scores. Then the demo's known
method-sensitive pilot, and how the Portfolio and Pilot pages show it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from readiness.assessment import Assessment, PilotContext
from readiness.demo import demo_assessments
from readiness.model import GAP_IDS, LinearCurve, RatioCurve, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame
from readiness.scoring import VERDICT_ORDER
from readiness.sensitivity import BAND_POINTS, method_sensitivity, moved_rules, threshold_band
from readiness.service.sensitivity import (
    band_line,
    band_sentence,
    method_count_sentence,
    method_message,
    portfolio_sensitivity,
    sensitivity_json,
)
from readiness.store import add_assessments, make_engine, migrate
from tests.factories import green_metrics
from tests.test_properties import assessments

MODEL = load_model()
AGGREGATORS = [a.id for a in MODEL.aggregators]
APP = str(Path(__file__).resolve().parent.parent / "app.py")
KNOWN = "Email intent routing"


@st.composite
def near_ready(draw: st.DrawFn) -> Assessment:
    """A documented pilot close to ready: every core question yes, some deeper ones no, some metrics drawn between
    their green and red anchors. Its gap scores land around the ready bars, where the methods can disagree (the
    general generator makes few such pilots: a verdict that depends on the method needs every gap at 70 or more
    and one short of 75)."""
    weakness = draw(st.integers(1, 4))  # one deeper question in 8 to one in 2 answered no
    answers = {q.id: "no" if not q.core and draw(st.integers(1, 8)) <= weakness else "yes" for q in MODEL.questions}
    metrics = green_metrics()
    for metric in MODEL.scored_metrics:
        curve = metric.curve
        if isinstance(curve, LinearCurve | RatioCurve) and draw(st.booleans()):
            value = curve.green + draw(st.floats(0, 1)) * (curve.red - curve.green)
            metrics[metric.id] = value * metrics[curve.denominator] if isinstance(curve, RatioCurve) else value
    evidence = {item: "evaluation report, Q3" for item in [*answers, *metrics]}
    pilot = PilotContext(name="P", stage="pilot", start_date=date(2026, 1, 1))
    return Assessment(pilot=pilot, as_of=date(2026, 11, 1), answers=answers, evidence=evidence, metrics=metrics)


PILOTS = st.lists(assessments() | near_ready(), min_size=1, max_size=10)


def named(batch: list[Assessment]) -> list[Assessment]:
    """The batch with a distinct pilot name each (the generator names every pilot "P")."""
    return [a.model_copy(update={"pilot": a.pilot.model_copy(update={"name": f"P{k}"})}) for k, a in enumerate(batch)]


@pytest.fixture(scope="module")
def demo_latest() -> pd.DataFrame:
    return latest_per_pilot(score_frame(assessments_to_frame(demo_assessments(MODEL), MODEL), MODEL))


# --------------------------------------------------------------------------------------------
# Properties: scoring again is the oracle
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PILOTS)
def test_each_methods_verdict_is_the_verdict_of_scoring_with_it(batch: list[Assessment]) -> None:
    frame = assessments_to_frame(named(batch), MODEL)
    scored = score_frame(frame, MODEL)
    found = method_sensitivity(scored, MODEL)
    rescored = {a: score_frame(frame, MODEL, aggregator=a) for a in AGGREGATORS}
    for aggregator, oracle in rescored.items():
        assert found.table[f"verdict.{aggregator}"].tolist() == oracle["verdict"].tolist(), aggregator
        assert np.array_equal(found.table[f"overall.{aggregator}"].to_numpy(), oracle["overall"].to_numpy())
    oracle_verdicts = np.column_stack([rescored[a]["verdict"].to_numpy(dtype=object) for a in AGGREGATORS])
    differs = [len(set(row)) > 1 for row in oracle_verdicts]
    assert found.table["sensitive"].tolist() == differs
    assert found.names == [name for name, d in zip(scored["pilot"], differs, strict=True) if d]
    for pilot in found.pilots:
        event("batch holds a method-sensitive pilot")
        row = scored[scored["pilot"] == pilot.pilot].iloc[0]
        for outcome in pilot.outcomes:
            oracle = rescored[outcome.aggregator]
            assert outcome.verdict == oracle.loc[oracle["pilot"] == pilot.pilot, "verdict"].item()
        # The weakest link is the lowest gap, the reason's number; only ready and conditional can swap.
        assert pilot.weakest_score == min(row[f"score.{g}"] for g in GAP_IDS)
        assert pilot.outcome("weakest_link").overall == pytest.approx(pilot.weakest_score)
        assert {o.verdict for o in pilot.outcomes} == {"ready", "conditional"}
        assert f"its weakest gap, {pilot.weakest_label}, scores" in pilot.reason


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PILOTS)
def test_the_band_is_the_verdict_of_scoring_with_moved_thresholds(batch: list[Assessment]) -> None:
    frame = assessments_to_frame(named(batch), MODEL)
    scored = score_frame(frame, MODEL)
    band = threshold_band(scored, MODEL)
    moved = {}
    for way, points in (("stricter", BAND_POINTS), ("looser", -BAND_POINTS)):
        rules = MODEL.verdict.model_copy(
            update={
                "not_ready_gap_below": MODEL.verdict.not_ready_gap_below + points,
                "ready_gap_at_least": MODEL.verdict.ready_gap_at_least + points,
                "ready_overall_at_least": MODEL.verdict.ready_overall_at_least + points,
            }
        )
        moved[way] = score_frame(frame, MODEL.model_copy(update={"verdict": rules}))["verdict"].tolist()
        assert band.table[f"verdict.{way}"].tolist() == moved[way]
    now = scored["verdict"].tolist()
    in_band = [s != n or loose != n for n, s, loose in zip(now, moved["stricter"], moved["looser"], strict=True)]
    assert band.table["in_band"].tolist() == in_band
    assert band.names == [name for name, b in zip(scored["pilot"], in_band, strict=True) if b]
    for pilot in band.pilots:
        event(f"band: {pilot.verdict} → {pilot.stricter} / {pilot.looser}")
    # Stricter thresholds never raise a verdict, looser ones never lower it.
    rank = {v: k for k, v in enumerate(VERDICT_ORDER)}
    for n, s, loose in zip(now, moved["stricter"], moved["looser"], strict=True):
        assert rank[s] <= rank[n] <= rank[loose]


def test_the_band_moves_the_three_score_thresholds_and_nothing_else() -> None:
    stricter = moved_rules(MODEL.verdict, BAND_POINTS)
    assert stricter.not_ready_gap_below == MODEL.verdict.not_ready_gap_below + 5
    assert stricter.ready_gap_at_least == MODEL.verdict.ready_gap_at_least + 5
    assert stricter.ready_overall_at_least == MODEL.verdict.ready_overall_at_least + 5
    assert stricter.seed_rule_max_open_core == MODEL.verdict.seed_rule_max_open_core
    assert stricter.ready_confidence_at_least == MODEL.verdict.ready_confidence_at_least


# --------------------------------------------------------------------------------------------
# The sentences
# --------------------------------------------------------------------------------------------


def scored_row(pilot: str, gaps: list[float], verdict: str, **rest: float) -> dict[str, object]:
    """One row of a scored frame, as much as the sensitivity reads (all gaps weigh the same in the model)."""
    values = {"overall_confidence": 0.7, "open_core": 0, "active_edges": 0, "critical_edges": 0, **rest}
    weakest = GAP_IDS[int(np.argmin(gaps))]
    geometric = float(np.exp(np.log(gaps).mean()))
    return {"pilot": pilot, **{f"score.{g}": s for g, s in zip(GAP_IDS, gaps, strict=True)}, "overall": geometric,
            "weakest_gap": weakest, "verdict": verdict, **values}  # fmt: skip


def test_the_demo_has_the_known_method_sensitive_pilot(demo_latest: pd.DataFrame) -> None:
    found = method_sensitivity(demo_latest, MODEL)
    pilot = found.of(KNOWN)
    assert pilot is not None
    shown = {o.aggregator: (int(o.overall), o.verdict) for o in pilot.outcomes}
    assert shown == {"geometric": (87, "ready"), "weakest_link": (70, "conditional"), "weighted_mean": (88, "ready")}
    assert pilot.reason == (
        "Ready by the geometric mean (87) and the weighted mean (88) but conditional by the weakest link (70): its "
        "weakest gap, Monitoring & observability, scores 70, and ready needs an overall of at least 75."
    )
    band = threshold_band(demo_latest, MODEL).of(KNOWN)
    assert band is not None and (band.verdict, band.stricter, band.looser) == ("ready", "conditional", "ready")


def test_a_pilot_only_the_weighted_mean_calls_ready() -> None:
    # Five gaps at 70 and one at 100: geometric mean 74.3, weighted mean 75.0.
    frame = pd.DataFrame([scored_row("Compensated", [70, 70, 70, 70, 70, 100], "conditional"),
                          scored_row("Plain", [90] * 6, "ready")])  # fmt: skip
    found = method_sensitivity(frame, MODEL)
    assert found.names == ["Compensated"]
    assert found.pilots[0].reason == (
        "Conditional by the geometric mean (74) and the weakest link (70) but ready by the weighted mean (75): its "
        "weakest gap, Data quality, scores 70, and ready needs an overall of at least 75; only the weighted mean "
        "lets its stronger gaps make up for it."
    )


def test_a_pilot_held_back_by_another_rule_is_not_method_sensitive() -> None:
    # The same scores, but a critical compound edge: not ready whatever the method.
    frame = pd.DataFrame([scored_row("Blocked", [70, 70, 70, 70, 70, 100], "not_ready", critical_edges=1)])
    assert method_sensitivity(frame, MODEL).count == 0


def test_portfolio_sentences(demo_latest: pd.DataFrame) -> None:
    found = portfolio_sensitivity(demo_latest, MODEL)
    assert method_count_sentence(found) == "1 pilot's verdict depends on the method."
    assert method_message(found) == f"1 pilot's verdict depends on the method: {KNOWN}."
    assert band_sentence(found) == (
        "Close to a threshold: 1 pilot would change verdict if the thresholds moved by 5 points."
    )
    assert band_line(found.close[0], found.band.points) == (
        f"{KNOWN}: ready now, conditional if the thresholds were 5 points stricter."
    )
    none = found.within(["Fraud alerts", "Invoice matching"])
    assert none.method.count == 0 and none.band.count == 0
    assert method_count_sentence(none).startswith("No pilot's verdict depends on the method")
    assert band_sentence(none) == "No pilot would change verdict if the thresholds moved by 5 points."
    assert method_message(none) == ""
    data = sensitivity_json(found)
    assert data["pilots"] == len(demo_latest)
    assert [p["pilot"] for p in data["method_sensitive"]["pilots"]] == [KNOWN]
    assert data["threshold_band"]["thresholds"]["looser"]["ready_overall_at_least"] == 70


def test_an_empty_portfolio_has_nothing_to_flag(demo_latest: pd.DataFrame) -> None:
    found = portfolio_sensitivity(demo_latest.iloc[:0], MODEL)
    assert found.method.count == 0 and found.band.count == 0 and len(found.method.table) == 0


# --------------------------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------------------------


@pytest.fixture
def demo_app(demo_database_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_url)
    return AppTest.from_file(APP, default_timeout=60)


def test_the_portfolio_marks_the_method_sensitive_pilot(demo_app: AppTest, demo_latest: pd.DataFrame) -> None:
    at = demo_app.run()
    assert not at.exception and not at.error
    pilot = method_sensitivity(demo_latest, MODEL).of(KNOWN)
    assert pilot is not None
    assert any("Method-sensitive" in m.value and "1 pilot's verdict depends on the method." in m.value
               for m in at.markdown)  # fmt: skip
    # The name and the sentence are escaped for Markdown: compare what a reader sees.
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert f"**{KNOWN}**: {pilot.reason}" in captions
    band = next(e for e in at.expander if e.label.startswith("Close to a threshold"))
    assert band.label == "Close to a threshold: 1 pilot would change verdict if the thresholds moved by 5 points."
    assert not band.dataframe  # made once the expander is opened
    at.session_state["portfolio.band"] = True
    at.run()
    band = next(e for e in at.expander if e.label.startswith("Close to a threshold"))
    table = band.dataframe[0].value
    assert table.to_dict("records") == [
        {"Pilot": KNOWN, "Verdict": "Ready", "5 points stricter": "Conditional", "5 points looser": "Ready"}
    ]


def test_a_filter_leaves_the_pilots_in_view(demo_app: AppTest) -> None:
    at = demo_app.run()
    at.multiselect(key="bu").set_value(["Finance"]).run()
    assert not at.exception
    assert any("No pilot's verdict depends on the method" in m.value for m in at.markdown)
    assert not [e for e in at.expander if e.label.startswith("Close to a threshold")]


def test_the_pilot_page_explains_the_method_sensitive_verdict(demo_app: AppTest, demo_latest: pd.DataFrame) -> None:
    demo_app.query_params["pilot"] = KNOWN
    at = demo_app.run()
    at.switch_page("screens/pilot.py").run()
    assert not at.exception and not at.error
    pilot = method_sensitivity(demo_latest, MODEL).of(KNOWN)
    assert pilot is not None
    notes = [i.value.replace("\\", "") for i in at.info]
    note = next(n for n in notes if n.startswith("**Method-sensitive.**"))
    assert pilot.reason in note
    assert "Geometric mean 87, ready · Weakest link 70, conditional · Weighted mean 88, ready" in note
    assert "Close to a threshold: conditional if the thresholds were 5 points stricter." in note


def test_the_pilot_page_says_nothing_for_a_settled_verdict(demo_app: AppTest) -> None:
    demo_app.query_params["pilot"] = "Invoice matching"
    at = demo_app.run()
    at.switch_page("screens/pilot.py").run()
    assert not at.exception
    assert not [i for i in at.info if "Method-sensitive" in i.value]
    assert not [c for c in at.caption if "Close to a threshold" in c.value]


def test_many_method_sensitive_pilots_go_to_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Five copies of the demo's sensitive pilot under other names (one of them markup, shown as typed).
    newest = max((a for a in demo_assessments(MODEL) if a.pilot.name == KNOWN), key=lambda a: a.as_of)
    names = [f"Copy {k}" for k in range(4)] + ["<b>*Bold*</b> copy"]
    copies = [newest.model_copy(update={"pilot": newest.pilot.model_copy(update={"name": n})}) for n in names]
    url = f"sqlite:///{tmp_path / 'copies.db'}"
    engine = make_engine(url)
    migrate(engine)
    add_assessments(engine, copies, source="cli", actor="test")
    engine.dispose()
    monkeypatch.setenv("READINESS_DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("5 pilots' verdicts depend on the method." in m.value for m in at.markdown)
    shown = [c.value for c in at.caption if "Ready by the geometric mean" in c.value]
    assert len(shown) == 3 and shown[0].startswith("**\\<b\\>\\*Bold\\*\\</b\\> copy**")
    assert not next(e for e in at.expander if e.label == "Every method-sensitive pilot (5)").dataframe
    at.session_state["portfolio.method"] = True
    at.run()
    table = next(e for e in at.expander if e.label == "Every method-sensitive pilot (5)").dataframe[0].value
    assert table["Pilot"].tolist() == sorted(names, key=str.casefold)
    assert set(table["Weakest link"]) == {"70 · Conditional"} and set(table["Geometric mean"]) == {"87 · Ready"}
    assert set(table["Weakest gap"]) == {"Monitoring & observability 70"}
