"""The server's scored copy of the store (``queries.ScoredSnapshots``) stays equal to reading everything afresh,
however writes and reads interleave: it scores only the new snapshots, so a write costs a busy server little."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from readiness.assessment import Assessment, parse_assessment
from readiness.service import portfolio as service_portfolio
from readiness.service.queries import (
    ScoredSnapshots,
    data_version,
    recent_snapshots,
    registry_version,
    rows_token,
    scored_portfolio,
)
from readiness.store import add_assessment, make_engine, migrate, pilot_history
from tests.factories import assessment_data

NAMES = ["Claims triage", "Fraud alerts", "Shift scheduling"]


def snapshot(name: str, day: date, answer: str = "yes") -> Assessment:
    """A snapshot of ``name`` dated ``day``; ``answer`` to DATA-1 makes two snapshots score apart."""
    data = assessment_data(answers={"DATA-1": answer}, name=name, start_date="2025-06-01")
    return parse_assessment({**data, "as_of": day.isoformat()})


def assert_same(kept: pd.DataFrame, fresh: pd.DataFrame) -> None:
    """Equal frames, row for row (the kept frame is a union of increments, so its dtypes may be wider)."""
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), fresh.reset_index(drop=True), check_dtype=False)


def fresh_latest(engine: Engine) -> pd.DataFrame:
    return scored_portfolio(engine)


def fresh_history(engine: Engine) -> pd.DataFrame:
    return scored_portfolio(engine, history=True)


def test_new_snapshots_join_the_portfolio_and_the_history(engine: Engine) -> None:
    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    add_assessment(engine, snapshot("Fraud alerts", date(2026, 2, 1), "no"))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    assert_same(scored.latest(), fresh_latest(engine))
    assert_same(scored.history(), fresh_history(engine))

    add_assessment(engine, snapshot("Claims triage", date(2026, 3, 1), "no"))  # a later snapshot
    add_assessment(engine, snapshot("Fraud alerts", date(2025, 12, 1)))  # a back-dated one: not the latest
    add_assessment(engine, snapshot("Shift scheduling", date(2026, 2, 1)))  # a new pilot
    scored.refresh(data_version(engine))
    assert_same(scored.latest(), fresh_latest(engine))
    assert_same(scored.history(), fresh_history(engine))
    assert scored.latest()["pilot"].tolist() == NAMES


def test_a_rows_token_moves_with_the_snapshots_of_its_frame_and_no_others(engine: Engine) -> None:
    """The cache key of what is derived from a view (``ui.cached_value(..., of=frame)``): a view that does not
    hold the pilot written keeps its token, row labels included; one that holds it gets a new one."""
    for name in NAMES:
        add_assessment(engine, snapshot(name, date(2026, 1, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    before = scored.latest()
    others = before[before["pilot"] != "Fraud alerts"]

    add_assessment(engine, snapshot("Fraud alerts", date(2026, 2, 1), "no"))
    scored.refresh(data_version(engine))
    after = scored.latest()

    assert rows_token(after[after["pilot"] != "Fraud alerts"]) == rows_token(others)
    assert rows_token(after) != rows_token(before)
    assert rows_token(others, after) != rows_token(others, before)
    assert rows_token(others.reset_index(drop=True)) != rows_token(others)  # same snapshots, other row labels
    assert rows_token(before.iloc[0:0]) == rows_token(after.iloc[0:0])


def test_a_cold_start_reads_only_the_portfolio_and_the_history_catches_up_later(engine: Engine) -> None:
    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    assert not scored.has_history
    add_assessment(engine, snapshot("Claims triage", date(2026, 2, 1), "no"))
    scored.refresh(data_version(engine))
    assert not scored.has_history
    assert_same(scored.latest(), fresh_latest(engine))
    assert_same(scored.history(), fresh_history(engine))
    assert_same(scored.on(date(2026, 1, 15)), service_portfolio.portfolio_on(fresh_history(engine), date(2026, 1, 15)))


def test_a_pilot_token_moves_only_when_that_pilot_gets_a_snapshot(engine: Engine) -> None:
    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    add_assessment(engine, snapshot("Fraud alerts", date(2026, 1, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    claims, fraud = scored.pilot_token("Claims triage"), scored.pilot_token("Fraud alerts")
    add_assessment(engine, snapshot("Fraud alerts", date(2026, 2, 1)))
    scored.refresh(data_version(engine))
    assert scored.pilot_token("Claims triage") == claims
    assert scored.pilot_token("Fraud alerts") != fraud
    assert scored.pilot_token("Unknown") == "0:0"


def test_a_caller_changing_its_frame_leaves_the_shared_one_alone(engine: Engine) -> None:
    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    mine = scored.latest()
    mine["overall"] = -1.0
    mine.loc[0, "verdict"] = "tampered"
    assert scored.latest()["overall"].iloc[0] >= 0
    assert scored.latest()["verdict"].iloc[0] != "tampered"


def test_a_replaced_database_is_read_again(tmp_path) -> None:
    first = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate(first)
    for day in (1, 2, 3):
        add_assessment(first, snapshot("Claims triage", date(2026, 1, day)))
    scored = ScoredSnapshots(first)
    scored.refresh(data_version(first))
    scored.history()
    # The same engine now sees fewer snapshots (a restore of an older backup): the kept ids are not all there.
    second = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    migrate(second)
    add_assessment(second, snapshot("Fraud alerts", date(2026, 1, 1)))
    scored.engine = second
    scored.refresh(data_version(second))
    assert_same(scored.latest(), fresh_latest(second))
    assert_same(scored.history(), fresh_history(second))


# Steps: write a snapshot (pilot, day offset, answer), refresh, or read the history.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.sampled_from(NAMES), st.integers(0, 40), st.sampled_from(["yes", "no"])),
        st.tuples(st.just("refresh")),
        st.tuples(st.just("history")),
        st.tuples(st.just("on"), st.integers(0, 40)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_any_interleaving_of_writes_and_reads_ends_equal_to_a_fresh_read(tmp_path_factory, steps) -> None:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('scored') / 'store.db'}")
    migrate(engine)
    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    days: set[date] = set()
    for step in steps:
        if step[0] == "write":  # another answer on a day already stored replaces that snapshot
            _, name, offset, answer = step
            day = date(2026, 1, 1) + pd.Timedelta(days=offset).to_pytimedelta()
            add_assessment(engine, snapshot(name, day, answer), supersede=True)
        elif step[0] == "refresh":
            scored.refresh(data_version(engine))
        elif step[0] == "on":  # a past day's portfolio, kept and then brought up to date by later writes
            day = date(2026, 1, 1) + pd.Timedelta(days=step[1]).to_pytimedelta()
            days.add(day)
            scored.on(day)
        else:
            scored.history()
    scored.refresh(data_version(engine))
    assert_same(scored.latest(), fresh_latest(engine))
    assert_same(scored.history(), fresh_history(engine))
    for day in days:
        assert_same(scored.on(day), service_portfolio.portfolio_on(fresh_history(engine), day))
    engine.dispose()


@pytest.mark.parametrize("day", [date(2026, 1, 10), date(2026, 2, 10)])
def test_the_portfolio_on_a_day_is_the_one_as_of_rule(engine: Engine, day: date) -> None:
    for month in (1, 2, 3):
        add_assessment(engine, snapshot("Claims triage", date(2026, month, 1), "no" if month == 2 else "yes"))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    assert_same(scored.on(day), service_portfolio.portfolio_on(fresh_history(engine), day))


def test_a_write_taken_in_while_the_history_is_read_is_not_lost(engine: Engine, monkeypatch) -> None:
    from readiness.service import queries

    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    real = queries.scored_portfolio

    def read_then_write(*args, **kwargs) -> pd.DataFrame:
        result = real(*args, **kwargs)
        if kwargs.get("history"):  # another session writes and refreshes while this read is in flight
            add_assessment(engine, snapshot("Fraud alerts", date(2026, 2, 1)))
            scored.refresh(data_version(engine))
        return result

    monkeypatch.setattr(queries, "scored_portfolio", read_then_write)
    assert_same(scored.history(), fresh_history(engine))
    assert_same(scored.latest(), fresh_latest(engine))


def test_a_pilots_rows_of_the_history_are_its_scored_history(engine: Engine) -> None:
    from readiness.service.queries import pilot_scored_history, pilot_snapshots

    for month, answer in ((1, "yes"), (2, "no"), (3, "yes")):
        add_assessment(engine, snapshot("Claims triage", date(2026, month, 1), answer))
    add_assessment(engine, snapshot("Fraud alerts", date(2026, 2, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    rows = scored.pilot_history("Claims triage")
    alone = pilot_scored_history(pilot_snapshots(engine, "Claims triage"))
    assert_same(rows[alone.columns], alone)
    assert scored.pilot_history("Unknown").empty
    add_assessment(engine, snapshot("Claims triage", date(2026, 4, 1), "no"))
    scored.refresh(data_version(engine))
    assert len(scored.pilot_history("Claims triage")) == 4


def test_a_retraction_and_a_reinstatement_reach_the_kept_frames(engine: Engine) -> None:
    from readiness.service.access import cli_identity
    from readiness.service.integrity import retract

    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    newest = add_assessment(engine, snapshot("Claims triage", date(2026, 2, 1), "no"))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    scored.history()
    before = scored.pilot_token("Claims triage")
    retract(engine, cli_identity("ada"), "wrong pilot", [newest.snapshot_id])
    scored.refresh(data_version(engine))
    assert_same(scored.latest(), fresh_latest(engine))
    assert_same(scored.history(), fresh_history(engine))
    assert scored.pilot_token("Claims triage") != before
    retract(engine, cli_identity("ada"), "right after all", [newest.snapshot_id], reinstate=True)
    scored.refresh(data_version(engine))
    assert_same(scored.latest(), fresh_latest(engine))
    assert_same(scored.history(), fresh_history(engine))
    assert scored.latest()["snapshot_id"].tolist() == [newest.snapshot_id]


def test_a_pilot_as_it_stands_is_its_two_newest_snapshots(engine: Engine) -> None:
    """The Pilot page reads two snapshots, not the whole history: the newest and the one before it, by date
    then by the order written, whatever order they were written in."""
    assert recent_snapshots(engine, "Claims triage") is None
    for day, answer in [(date(2026, 3, 1), "yes"), (date(2026, 1, 1), "no"), (date(2026, 2, 1), "yes")]:
        add_assessment(engine, snapshot("Claims triage", day, answer))
    add_assessment(engine, snapshot("Fraud alerts", date(2026, 4, 1)))
    recent = recent_snapshots(engine, "claims TRIAGE")  # any spelling of the same pilot
    history = pilot_history(engine, "Claims triage")
    assert recent is not None and recent.previous is not None
    assert [recent.previous.snapshot_id, recent.latest.snapshot_id] == [s.snapshot_id for s in history[-2:]]
    assert recent.latest.assessment.as_of == date(2026, 3, 1)
    assert recent.find(history[0].snapshot_id) is None and recent.find(recent.previous.snapshot_id) is not None
    assert recent.other_models() == []
    only = recent_snapshots(engine, "Fraud alerts")
    assert only is not None and only.previous is None


def test_the_registry_version_moves_with_the_registry_alone(engine: Engine) -> None:
    """The pickers' names are cached under the registry's part of the data version: a snapshot of a known
    pilot leaves it, a new pilot moves it."""
    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    before = data_version(engine)
    add_assessment(engine, snapshot("Claims triage", date(2026, 2, 1), "no"))
    after_snapshot = data_version(engine)
    assert after_snapshot != before and registry_version(after_snapshot) == registry_version(before)
    add_assessment(engine, snapshot("Fraud alerts", date(2026, 2, 1)))
    assert registry_version(data_version(engine)) != registry_version(after_snapshot)


def test_counts_are_named_by_their_content() -> None:
    """A frame counted from scored rows has no snapshot ids: its token follows its values, labels and columns."""
    counts = pd.DataFrame({"not_ready": [1, 2], "ready": [3, 0]}, index=["Finance", "Operations"])
    assert rows_token(counts) == rows_token(counts.copy())
    assert rows_token(counts) != rows_token(counts.assign(ready=[3, 1]))
    assert rows_token(counts) != rows_token(counts.rename(index={"Finance": "Legal"}))
    assert rows_token(counts) != rows_token(counts.rename(columns={"ready": "conditional"}))


def test_a_history_replaced_while_a_read_holds_the_old_one_is_read_as_held(engine: Engine, monkeypatch) -> None:
    """A session that got the history just before a write was appended to it (another session's refresh) reads
    the rows of the frame it holds: never positions of the newer frame, and nothing of the old one is kept."""
    add_assessment(engine, snapshot("Claims triage", date(2026, 1, 1)))
    scored = ScoredSnapshots(engine)
    scored.refresh(data_version(engine))
    held = scored.history()
    scored.pilot_history("Claims triage")  # each pilot's rows are now kept, by position
    for month in (2, 3):
        add_assessment(engine, snapshot("Claims triage", date(2026, month, 1), "no"))
        scored.refresh(data_version(engine))
    monkeypatch.setattr(scored, "_read_history", lambda: held)
    assert len(scored.pilot_history("Claims triage")) == 1
    assert len(scored.history()) == 1
    monkeypatch.undo()
    assert len(scored.pilot_history("Claims triage")) == 3 and len(scored.history()) == 3
