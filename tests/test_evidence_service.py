"""From evidence files to a measured snapshot: the use case (plan, store, permissions, audit) and the
``readiness evidence`` command, through the installed console script."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from readiness.errors import InvalidInput
from readiness.evidence.base import EvidenceFile, EvidenceOptions
from readiness.scoring import score_assessment
from readiness.service.access import Grant, Identity, NotPermitted, Role, scope_of
from readiness.service.evidence import latest_snapshot, plan_evidence, store_evidence
from readiness.store import add_assessment, audit_entries, count_rows, make_engine, migrate, pilot_history
from tests.evidence_files import write_jtl
from tests.evidence_records_files import write_incident_log
from tests.factories import build
from tests.test_cli_core import READINESS

TODAY = date(2026, 11, 27)
ADMIN = Identity(subject="admin", email="admin@example.com", grants=(Grant(Role.ADMIN),))


@pytest.fixture
def engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    add_assessment(engine, build(peak_concurrent_users=20))
    yield engine
    engine.dispose()


@pytest.fixture
def jtl(tmp_path: Path) -> Path:
    return write_jtl(tmp_path / "results.jtl", rows=20_000, max_threads=200, duration_s=300.0)


def test_a_plan_replaces_the_measured_metrics_and_writes_nothing(engine, jtl: Path) -> None:
    before = count_rows(engine)
    plan = plan_evidence(engine, "Claims triage", [EvidenceFile.at(jtl)], identity=ADMIN, today=TODAY)
    assert count_rows(engine) == before
    measured = {v.metric_id for v in plan.measured}
    assert measured == {"scale.p95_latency_s", "scale.error_rate_at_peak", "scale.load_test_multiple"}
    assert plan.assessment.as_of == TODAY
    assert set(plan.assessment.measurements) == measured
    latest = latest_snapshot(engine, "Claims triage").assessment
    # Everything else is the latest snapshot's; the typed references of measured metrics are gone.
    assert plan.assessment.answers == latest.answers
    assert {k: v for k, v in plan.assessment.metrics.items() if k not in measured} == {
        k: v for k, v in latest.metrics.items() if k not in measured
    }
    assert not measured & set(plan.assessment.evidence)
    # The load multiple uses the pilot's own expected peak: 200 threads held ÷ 20 users.
    multiple = next(r for r in plan.summaries[0].readings if r.metric_id == "scale.load_test_multiple")
    assert multiple.value == 10.0
    items = {i.id: i for i in score_assessment(plan.assessment).gaps["scale"].items}
    assert items["scale.error_rate_at_peak"].evidence == "measured"
    assert items["scale.error_rate_at_peak"].source.startswith("measured from results.jtl, ")


def test_storing_a_plan_adds_one_audited_snapshot_once(engine, jtl: Path) -> None:
    plan = plan_evidence(engine, "Claims triage", [EvidenceFile.at(jtl)], identity=ADMIN, today=TODAY)
    stored = store_evidence(engine, plan, interface="cli", identity=ADMIN)
    assert stored.created
    assert not store_evidence(engine, plan, interface="cli", identity=ADMIN).created
    history = pilot_history(engine, "Claims triage")
    assert len(history) == 2
    assert history[-1].assessment == plan.assessment
    entry = audit_entries(engine, limit=1)[0]
    assert entry.action == "snapshot.add"
    [evidence] = entry.detail["evidence"]
    assert evidence["kind"] == "jmeter"
    assert evidence["files"][0]["name"] == "results.jtl"
    assert evidence["files"][0]["sha256"] == plan.summaries[0].provenance.files[0].sha256
    assert entry.source_hash == evidence["files"][0]["sha256"]


def test_a_contributor_of_another_team_is_refused_before_reading(engine, jtl: Path) -> None:
    outsider = Identity(subject="x", email="x@example.com", grants=(Grant(Role.CONTRIBUTOR, scope_of(team="Other")),))
    with pytest.raises(NotPermitted):
        plan_evidence(engine, "Claims triage", [EvidenceFile.at(jtl)], identity=outsider, today=TODAY)
    plan = plan_evidence(engine, "Claims triage", [EvidenceFile.at(jtl)], identity=ADMIN, today=TODAY)
    before = count_rows(engine)
    with pytest.raises(NotPermitted):
        store_evidence(engine, plan, interface="app", identity=outsider)
    assert count_rows(engine) == before


def test_unknown_pilot_and_unreadable_files_are_clear_and_write_nothing(engine, tmp_path: Path) -> None:
    before = count_rows(engine)
    with pytest.raises(InvalidInput, match="no pilot named 'Nobody'"):
        plan_evidence(engine, "Nobody", [EvidenceFile.at(tmp_path)], identity=ADMIN)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        plan_evidence(engine, "Claims triage", [EvidenceFile.at(wrong)], identity=ADMIN)
    assert refused.value.source == "wrong.csv"
    assert "not recognised" in refused.value.summary()
    assert count_rows(engine) == before


def test_two_files_measuring_the_same_metric_are_refused(engine, tmp_path: Path) -> None:
    first = write_jtl(tmp_path / "a.jtl", rows=2_000, duration_s=120.0)
    second = write_jtl(tmp_path / "b.jtl", rows=2_000, duration_s=120.0, seed=9)
    with pytest.raises(InvalidInput, match=re.escape("measured by both a.jtl and b.jtl")):
        plan_evidence(engine, "Claims triage", [EvidenceFile.at(first), EvidenceFile.at(second)], identity=ADMIN)


def test_an_incident_log_measures_time_to_detect(engine, tmp_path: Path) -> None:
    log = write_incident_log(tmp_path / "incidents.csv")
    plan = plan_evidence(engine, "Claims triage", [EvidenceFile.at(log)], identity=ADMIN, today=TODAY)
    assert [v.metric_id for v in plan.measured] == ["monitoring.time_to_detect_h"]
    assert plan.measured[0].source.startswith("measured from incidents.csv, ")
    assert plan.measured[0].status in {"green", "red", "between"}


def test_a_data_sample_needs_its_columns_named_to_be_recognised(engine, tmp_path: Path) -> None:
    sample = tmp_path / "extract.csv"
    sample.write_text("id,amount\n1,10\n1,10\n2,\n", encoding="utf-8")
    options = EvidenceOptions(required_columns=("id", "amount"), key_columns=("id",))
    plan = plan_evidence(engine, "Claims triage", [EvidenceFile.at(sample)], options=options, identity=ADMIN)
    values = {r.metric_id: r.value for r in plan.summaries[0].readings}
    # Stored as read: to four significant digits (1 of 3 records misses a field, 1 of 3 repeats a key).
    assert values == {"data.missing_field_rate": 33.33, "data.duplicate_rate": 33.33}


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([READINESS, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def store_file(tmp_path: Path, engine) -> str:
    return str(engine.url)


def test_the_command_prints_then_imports_with_exit_codes(store_file: str, jtl: Path, tmp_path: Path) -> None:
    shown = cli("evidence", str(jtl), "--pilot", "Claims triage", "--db", store_file)
    assert shown.returncode == 0, shown.stderr
    assert "p95 latency vs budget" in shown.stdout
    assert "Error rate at peak" in shown.stdout
    assert "Load tested vs peak" in shown.stdout
    assert "measured from results.jtl" in shown.stdout
    engine = make_engine(store_file)
    assert len(pilot_history(engine, "Claims triage")) == 1
    stored = cli("evidence", str(jtl), "--pilot", "Claims triage", "--import", "--json", "--db", store_file)
    assert stored.returncode == 0, stored.stderr
    payload = json.loads(stored.stdout)
    assert payload["stored"] is True
    assert {m["metric"] for m in payload["measurements"]} == {
        "scale.p95_latency_s",
        "scale.error_rate_at_peak",
        "scale.load_test_multiple",
    }
    assert payload["measurements"][0]["provenance"]["files"][0]["name"] == "results.jtl"
    assert len(pilot_history(engine, "Claims triage")) == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    refused = cli("evidence", str(bad), "--pilot", "Claims triage", "--import", "--db", store_file)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: bad.csv: ")
    assert "Traceback" not in refused.stderr
    assert len(pilot_history(engine, "Claims triage")) == 2
    engine.dispose()


def test_the_deck_and_the_html_report_name_the_measurement(engine, jtl: Path) -> None:
    from pptx import Presentation

    from readiness.service.exports import ExportRequest, ExportScope, render_export

    plan = plan_evidence(engine, "Claims triage", [EvidenceFile.at(jtl)], identity=ADMIN, today=TODAY)
    store_evidence(engine, plan, interface="cli", identity=ADMIN)
    request = ExportRequest(engine, ExportScope(pilots=("Claims triage",)))
    source = plan.measured[0].source
    html = render_export("html", request).decode("utf-8")
    assert f"<h3>Measured evidence</h3><ul><li>{source[:1].upper()}{source[1:]}: " in html
    deck = Presentation(io.BytesIO(render_export("deck", request)))
    pilot_page = deck.slides[len(deck.slides) - 1]
    text = " ".join(shape.text_frame.text for shape in pilot_page.shapes if shape.has_text_frame)
    assert "Measured from results.jtl, " in text
    assert "requests: p95 latency vs budget " in text
