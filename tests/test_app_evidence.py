"""AppTest of the Pilot page's evidence drop: upload a load test, see what it measures, store it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from readiness.charts import SHORT_GAP_LABELS
from readiness.store import count_rows, make_engine, pilot_history
from tests.evidence_files import write_jtl
from tests.test_app_pages import APP, TIMEOUT, assert_clean
from ui import plain

PILOT = "Claims triage"


@pytest.fixture
def pilot_page(demo_database_copy: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_copy)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["pilot"] = PILOT
    at.run()
    at.switch_page("screens/pilot.py").run()
    assert_clean(at)
    return at


def test_a_load_test_is_measured_shown_and_stored(pilot_page: AppTest, demo_database_copy: str, tmp_path: Path) -> None:
    at = pilot_page
    engine = make_engine(demo_database_copy)
    before = count_rows(engine)
    jtl = write_jtl(tmp_path / "claims-peak.jtl", rows=5_000, max_threads=400, duration_s=240.0).read_bytes()
    at.file_uploader(key="evidence.files").set_value([("claims-peak.jtl", jtl, "text/csv")])
    at.button(key="evidence.compute").click().run()
    assert_clean(at)
    plan = next(df.value for df in at.dataframe if "Measured" in df.value.columns)
    assert list(plan["Metric"]) == ["p95 latency vs budget", "Error rate at peak", "Load tested vs peak"]
    assert any(plain("Error rate at peak: ") in c.value and plain("; measured from claims-peak.jtl, ") in c.value
               for c in at.caption)  # how and from what, under the table  # fmt: skip
    assert count_rows(engine) == before  # computing writes nothing
    at.button(key="evidence.store").click().run()
    assert_clean(at)
    assert any("Stored: 3 measured metrics" in s.value for s in at.success)
    latest = pilot_history(engine, PILOT)[-1].assessment
    assert set(latest.measurements) == {"scale.p95_latency_s", "scale.error_rate_at_peak", "scale.load_test_multiple"}
    # The drill-down marks the items measured and names the file under the table (in the scale gap's tab).
    at.session_state["pilot.gap_tab"] = SHORT_GAP_LABELS["scale"]
    at.run()
    evidence = [value for df in at.dataframe if "Evidence" in df.value.columns for value in df.value["Evidence"]]
    assert evidence.count("measured") == 3
    assert any(plain("Error rate at peak: ") in c.value and plain("measured from claims-peak.jtl, ") in c.value
               for c in at.caption)  # fmt: skip
    engine.dispose()


def test_an_unreadable_file_is_answered_and_nothing_is_stored(pilot_page: AppTest, demo_database_copy: str) -> None:
    at = pilot_page
    engine = make_engine(demo_database_copy)
    before = count_rows(engine)
    at.file_uploader(key="evidence.files").set_value([("notes.csv", b"colour,size\nred,2\n", "text/csv")])
    at.button(key="evidence.compute").click().run()
    assert not at.exception
    # Shown as text: the message's Markdown characters are escaped (ui.plain).
    assert any(plain("notes.csv: not recognised") in e.value for e in at.error)
    assert count_rows(engine) == before
    engine.dispose()
