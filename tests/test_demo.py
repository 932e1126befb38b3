"""The demo portfolio tells the stories it promises, through the real scoring model."""

from __future__ import annotations

import pandas as pd
import pytest

from readiness.demo import demo_assessments
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    return score_frame(assessments_to_frame(demo_assessments()))


def latest(scored: pd.DataFrame, pilot: str) -> pd.Series:
    return latest_per_pilot(scored).set_index("pilot").loc[pilot]


def test_shape_of_the_portfolio(scored: pd.DataFrame) -> None:
    counts = scored.groupby("pilot").size()
    assert 14 <= len(counts) <= 16
    assert counts.between(6, 12).all()
    assert scored["business_unit"].nunique() == 5


def test_it_is_deterministic() -> None:
    assert demo_assessments() == demo_assessments()


def test_stories(scored: pd.DataFrame) -> None:
    last = latest_per_pilot(scored).set_index("pilot")
    assert last.loc["Invoice matching", "verdict"] == "ready"
    assert set(last.index[last["stalled"]]) == {"Demand forecasting", "Contract clause extraction"}
    claims = last.loc["Claims triage"]
    assert claims["state.C1"] == "critical"
    copilot = last.loc["Customer service copilot"]
    assert copilot["state.C3"] != "inactive" and copilot["state.C4"] != "inactive"
    fraud = scored[scored.pilot == "Fraud alerts"]["overall"].to_numpy()
    assert fraud[-1] - fraud[0] > 60 and (pd.Series(fraud).diff().dropna() > -5).all()
    route = scored[scored.pilot == "Route optimisation"]
    assert route["score.ownership"].iloc[0] > 80 and route["score.ownership"].iloc[-1] < 20
    assert route["overall"].iloc[-1] < route["overall"].iloc[0] - 40
    assert set(last["verdict"]) == {"ready", "conditional", "not_ready"}
