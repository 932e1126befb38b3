"""The board's decisions (readiness.service.decisions): who to promote, fix, stop or rethink, and the asks.

Checked on the demo portfolio against the core's own frame and explained scores, on small hand-made
frames for the edge cases, and on a portfolio of a thousand pilots for the bound on explained scores.
"""

from __future__ import annotations

import time
from html import escape

import pandas as pd
import pytest

from readiness import display
from readiness.assessment import Assessment
from readiness.demo import demo_assessments
from readiness.model import load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame
from readiness.scoring import Action, score_assessment
from readiness.service.decisions import (
    DECISION_LIMIT,
    action_text,
    decision_of,
    decision_order,
    decisions,
    default_pilot_pages,
    order_by_decision,
    pilots_needing_scores,
    plain_text,
    target_words,
)
from readiness.service.portfolio import top_actions

MODEL = load_model()


@pytest.fixture(scope="module")
def demo() -> list[Assessment]:
    return demo_assessments()


@pytest.fixture(scope="module")
def latest(demo) -> pd.DataFrame:
    return latest_per_pilot(score_frame(assessments_to_frame(demo, MODEL), MODEL))


def latest_snapshot(demo: list[Assessment], pilot: str) -> Assessment:
    return max((a for a in demo if a.pilot.name == pilot), key=lambda a: a.as_of)


def explained(demo: list[Assessment], pilots: list[str]) -> dict:
    return {p: score_assessment(latest_snapshot(demo, p), MODEL) for p in pilots}


def test_decision_follows_verdict_and_stalled() -> None:
    frame = pd.DataFrame(
        {
            "pilot": ["a", "b", "c", "d", "e"],
            "verdict": ["ready", "conditional", "not_ready", "not_ready", "conditional"],
            "stalled": [True, True, True, False, False],
        }
    )
    assert decision_of(frame).tolist() == ["promote", "fix", "stop", "fix", "fix"]
    assert decision_of(frame.iloc[:0]).tolist() == []


def test_decision_order_on_the_demo(latest) -> None:
    order = decision_order(latest)
    rows = latest.set_index("pilot").loc[order]
    kinds = decision_of(rows.reset_index()).tolist()
    assert kinds == sorted(kinds, key=["promote", "fix", "stop"].index)
    promote = rows[[k == "promote" for k in kinds]]
    assert list(promote["overall"]) == sorted(promote["overall"], reverse=True), "highest overall first"
    fix = rows[[k == "fix" for k in kinds]]
    assert list(fix["verdict"][:2]) == ["conditional", "conditional"], "closest to production first"
    stop = rows[[k == "stop" for k in kinds]]
    assert list(stop.index) == ["Demand forecasting", "Contract clause extraction"], "longest in pilot first"
    assert sorted(order) == sorted(latest["pilot"])


def test_chosen_pilots_are_grouped_by_decision_in_the_order_given(latest) -> None:
    chosen = ["Claims triage", "Contract clause extraction", "Fraud alerts", "Agent knowledge search"]
    assert order_by_decision(chosen, latest) == [
        "Fraud alerts",
        "Claims triage",
        "Agent knowledge search",
        "Contract clause extraction",
    ]


def test_default_pages_are_bounded_and_show_every_decision(latest) -> None:
    eight = default_pilot_pages(latest, 8)
    assert len(eight) == 8
    kinds = decision_of(latest.set_index("pilot").loc[eight].reset_index()).tolist()
    assert kinds.count("promote") == 3 and kinds.count("fix") == 3 and kinds.count("stop") == 2
    assert eight == [p for p in decision_order(latest) if p in eight], "in decision order"
    assert default_pilot_pages(latest, 100) == decision_order(latest)
    assert default_pilot_pages(latest, 0) == []
    assert default_pilot_pages(latest.iloc[:0], 8) == []


def test_decisions_on_the_demo(demo, latest) -> None:
    needed = pilots_needing_scores(latest)
    assert len(needed) == DECISION_LIMIT
    chosen = decisions(latest, explained(demo, needed), MODEL)
    assert [g.total for g in chosen.groups] == [4, 10, 2]
    assert [len(g.shown) for g in chosen.groups] == [4, 5, 2] and chosen.fix.more == 5
    for item in chosen.fix.shown:
        action = top_actions(score_assessment(latest_snapshot(demo, item.pilot), MODEL), 1)[0]
        assert item.action == action
        assert item.gain == display.gain_text(action.gain)
        assert item.note == f"{action_text(action, MODEL)} ({item.gain})"
        assert item.owning_team
    assert chosen.asks == [
        "Approve production launch for Invoice matching, Maintenance prediction, Fraud alerts and 1 more.",
        "Fund the fixes for Agent knowledge search, Cash-flow forecasting, Parts demand sensing and 7 more "
        "(owners: CX Platform, Treasury Data, Plant Reliability and 2 more).",
        "Decide whether to stop or rethink Demand forecasting, Contract clause extraction.",
    ]
    stop = chosen.stop.shown[0]
    assert stop.note.startswith("11.9 months in pilot (benchmark 8); overall 52; weakest Monitoring")


def test_a_pilot_without_its_explained_score_is_listed_without_an_action(latest) -> None:
    chosen = decisions(latest, {}, MODEL)
    assert all(item.action is None and item.action_text == "" for item in chosen.fix.shown)
    assert chosen.fix.shown[0].note.startswith("Overall ")


def test_no_ask_for_an_empty_list(latest) -> None:
    ready = latest[latest["verdict"] == "ready"]
    chosen = decisions(ready, {}, MODEL)
    assert [g.total for g in chosen.groups] == [4, 0, 0]
    assert chosen.asks == [
        "Approve production launch for Invoice matching, Maintenance prediction, Fraud alerts and 1 more."
    ]
    assert decisions(latest.iloc[:0], {}, MODEL).asks == []


def test_a_thousand_pilots_need_a_handful_of_explained_scores(demo, latest) -> None:
    copies = -(-1000 // len(latest))
    big = pd.concat([latest.assign(pilot=latest["pilot"] + f" #{k}") for k in range(copies)], ignore_index=True).iloc[
        :1000
    ]
    started = time.perf_counter()
    needed = pilots_needing_scores(big)
    assert len(needed) == DECISION_LIMIT
    results = {name: score_assessment(latest_snapshot(demo, name.rsplit(" #", 1)[0]), MODEL) for name in needed}
    chosen = decisions(big, results, MODEL)
    pages = default_pilot_pages(big, 20)
    assert time.perf_counter() - started < 5
    assert sum(g.total for g in chosen.groups) == 1000
    assert all(len(g.shown) <= DECISION_LIMIT for g in chosen.groups)
    assert chosen.fix.more == chosen.fix.total - DECISION_LIMIT
    assert len(pages) == 20


def action(item: str, current: str) -> Action:
    return Action(item=item, gap="data", label="", current=current, target="", gain=1.0, gap_gain=1.0, advice="")


def test_actions_in_words() -> None:
    assert action_text(action("OWN-1", "Not sure"), MODEL) == "Named operating team: not sure → yes"
    assert target_words(action("data.production_sample_share", "35%"), MODEL) == "at least 80%"
    assert action_text(action("data.duplicate_rate", "3%"), MODEL) == "Duplicate rate: 3% → at most 1%"
    assert target_words(action("trust.override_rate", "43.7%"), MODEL) == "between 2 and 25%"
    assert target_words(action("scale.p95_latency_s", "5 s"), MODEL) == "at most 1× latency budget"
    assert target_words(action("ownership.operating_team_named", "no"), MODEL) == "yes"


def test_plain_text_replaces_ids_with_labels() -> None:
    text = "compound risk C3 stays critical; open: DATA-1, OWN-2 (data.production_sample_share). DATA-10 C9"
    assert plain_text(text, MODEL) == (
        "the compound risk Organizational ownership → Latency & scale stays critical; open: Tested on production "
        "data, Budget for running costs (Production share of eval data). DATA-10 C9"
    )


def test_pilot_names_are_text_in_the_report(demo) -> None:
    from readiness.boardpack import build_html, pack_from_assessments

    name = '<img src=x onerror="alert(1)"> & *bold*'
    renamed = [
        a.model_copy(update={"pilot": a.pilot.model_copy(update={"name": name})})
        if a.pilot.name == "Fraud alerts"
        else a
        for a in demo
    ]
    html = build_html(pack_from_assessments(renamed, pilots=[name]))
    assert name not in html
    decisions_part = html[html.index('<section id="decisions">') :]
    assert escape(name) in decisions_part[: decisions_part.index("</section>")]
