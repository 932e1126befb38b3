"""The record adapters: a production data sample, a usage log and an incident log.

Every figure is checked against an independent computation on the same file (pandas, statistics), with the
definitions written out here again; then the forgiving column matching, the three sample formats, schema
drift, and the files these adapters must refuse with a clear message (no header, wrong columns, only blank
lines, over the size cap, binary, a workbook where a CSV log belongs).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from readiness.errors import InvalidInput
from readiness.evidence.base import EvidenceFile, EvidenceOptions, EvidenceSummary
from readiness.evidence.records import (
    decision_of,
    is_tabular_name,
    looks_like_incident_log,
    looks_like_usage_log,
    read_data_sample,
    read_incident_log,
    read_usage_log,
)
from tests.evidence_records_files import (
    SAMPLE_COLUMNS,
    sample_rows,
    write_incident_log,
    write_sample_csv,
    write_sample_parquet,
    write_sample_xlsx,
    write_usage_log,
)

ROOT = Path(__file__).resolve().parents[1]


def reading(summary: EvidenceSummary, metric_id: str) -> float:
    values = [r.value for r in summary.readings if r.metric_id == metric_id]
    assert len(values) == 1, f"{metric_id} not read once: {summary.readings}"
    return values[0]


def refusal(call, *args) -> str:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    message = str(caught.value)
    assert "Traceback" not in message
    return message


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------------------
# Independent computations
# --------------------------------------------------------------------------------------------------------


def blank_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing: null, or text that is empty or only whitespace."""
    text = frame.apply(lambda column: column.map(lambda v: isinstance(v, str) and v.strip() == ""))
    return frame.isna() | text


def expected_sample(frame: pd.DataFrame, required: list[str], key: list[str]) -> tuple[float, float]:
    missing = blank_frame(frame)[required].any(axis=1).mean() * 100
    duplicates = frame.duplicated(subset=key, keep="first").mean() * 100
    return round(float(missing), 6), round(float(duplicates), 6)


def parse_time(text: str) -> pd.Timestamp:
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return pd.to_datetime(float(text), unit="s", utc=True)
    return pd.Timestamp(text).tz_localize("UTC") if pd.Timestamp(text).tzinfo is None else pd.Timestamp(text)


ACCEPTED = {"accept", "accepted", "approved", "kept"}
OVERRIDDEN = {"override", "overridden", "rejected", "edited", "changed"}
ESCALATED = {"escalate", "escalated"}


def expected_usage(path: Path, intended: int) -> tuple[float, float, int]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = ["user", "time", "action"]
    times = frame["time"].map(parse_time)
    latest = times.max()
    recent = frame[(times >= latest - pd.Timedelta(days=30)) & (frame["user"].str.strip() != "")]
    adoption = min(recent["user"].nunique() / intended * 100, 100)
    word = frame["action"].str.lower().str.replace(r"[^a-z]", "", regex=True)
    accepted, overridden, escalated = (int(word.isin(s).sum()) for s in (ACCEPTED, OVERRIDDEN, ESCALATED))
    override = overridden / (accepted + overridden + escalated) * 100
    return round(adoption, 6), round(override, 6), len(frame) - (accepted + overridden + escalated)


# --------------------------------------------------------------------------------------------------------
# Production data sample
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return sample_rows(3_000, seed=1)


def test_csv_sample_defaults_match_pandas(tmp_path: Path, rows: list[dict]) -> None:
    path = write_sample_csv(tmp_path / "claims.csv", rows)
    summary = read_data_sample(EvidenceFile.at(path), EvidenceOptions())
    frame = pd.read_csv(path, dtype=str)  # every column as text; "", NA and NULL are NaN
    missing, duplicates = expected_sample(frame, list(frame.columns), list(frame.columns))
    assert 1 < missing < 20 and 1 < duplicates < 10  # the fixture has both, so the check means something
    assert reading(summary, "data.missing_field_rate") == pytest.approx(missing, abs=1e-6)
    assert reading(summary, "data.duplicate_rate") == pytest.approx(duplicates, abs=1e-6)
    provenance = summary.provenance
    assert (provenance.kind, provenance.count, provenance.count_unit) == ("data_sample", len(rows), "records")
    assert provenance.files[0].name == "claims.csv" and provenance.files[0].sha256 == sha256(path)
    assert provenance.tool is None
    assert any("every one of the 10 columns is treated as required" in n for n in summary.notes)
    assert any("identical to an earlier one in every column" in n for n in summary.notes)
    method = next(r.method for r in summary.readings if r.metric_id == "data.missing_field_rate")
    assert f"of {len(rows):,} records" in method and "claim_id" in method


def test_csv_sample_named_columns_match_pandas_and_are_matched_forgivingly(tmp_path: Path, rows: list[dict]) -> None:
    header = ["Claim ID", "Policy ID", "AMOUNT", "currency", "Channel", "submitted-at", "Status", "Description",
              "score", "Fraud Flag"]  # fmt: skip
    path = write_sample_csv(tmp_path / "claims.csv", rows, header=header)
    options = EvidenceOptions(required_columns=("claim_id", "amount", "description"), key_columns=("claim_id",))
    summary = read_data_sample(EvidenceFile.at(path), options)
    frame = pd.read_csv(path, dtype=str)
    missing, duplicates = expected_sample(frame, ["Claim ID", "AMOUNT", "Description"], ["Claim ID"])
    assert duplicates > 2  # whole-record copies and key-only repeats
    assert reading(summary, "data.missing_field_rate") == pytest.approx(missing, abs=1e-6)
    assert reading(summary, "data.duplicate_rate") == pytest.approx(duplicates, abs=1e-6)
    assert summary.columns == {
        "required:claim_id": "Claim ID",
        "required:amount": "AMOUNT",
        "required:description": "Description",
        "key:claim_id": "Claim ID",
    }
    assert not any("treated as required" in n or "identical to an earlier" in n for n in summary.notes)


def test_semicolon_csv_with_a_bom_and_leading_blank_lines(tmp_path: Path, rows: list[dict]) -> None:
    plain = write_sample_csv(tmp_path / "plain.csv", rows[:500], delimiter=";")
    path = tmp_path / "claims.csv"
    path.write_bytes(b"\xef\xbb\xbf\n\n" + plain.read_bytes())
    summary = read_data_sample(EvidenceFile.at(path), EvidenceOptions(key_columns=("claim_id",)))
    frame = pd.read_csv(plain, dtype=str, sep=";")
    missing, duplicates = expected_sample(frame, list(frame.columns), ["claim_id"])
    assert reading(summary, "data.missing_field_rate") == pytest.approx(missing, abs=1e-6)
    assert reading(summary, "data.duplicate_rate") == pytest.approx(duplicates, abs=1e-6)


def test_quoted_line_breaks_in_values(tmp_path: Path) -> None:
    lines = ["id,note"] + [f'{i},"line one\nline two {i % 7}"' for i in range(2_000)] + ['2000,""', "2001,  "]
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = read_data_sample(EvidenceFile.at(path), EvidenceOptions(key_columns=("note",)))
    frame = pd.read_csv(path, dtype=str)
    missing, duplicates = expected_sample(frame, ["id", "note"], ["note"])
    assert summary.provenance.count == 2_002
    assert reading(summary, "data.missing_field_rate") == pytest.approx(missing, abs=1e-6)
    assert reading(summary, "data.duplicate_rate") == pytest.approx(duplicates, abs=1e-6)


def test_parquet_sample_matches_pandas(tmp_path: Path, rows: list[dict]) -> None:
    path = write_sample_parquet(tmp_path / "claims.parquet", rows)
    options = EvidenceOptions(required_columns=("policy_id", "description", "score"), key_columns=("claim_id",))
    summary = read_data_sample(EvidenceFile.at(path), options)
    frame = pd.read_parquet(path)
    missing, duplicates = expected_sample(frame, ["policy_id", "description", "score"], ["claim_id"])
    assert reading(summary, "data.missing_field_rate") == pytest.approx(missing, abs=1e-6)
    assert reading(summary, "data.duplicate_rate") == pytest.approx(duplicates, abs=1e-6)
    whole = read_data_sample(EvidenceFile.at(path), EvidenceOptions())
    missing, duplicates = expected_sample(frame, list(frame.columns), list(frame.columns))
    assert reading(whole, "data.missing_field_rate") == pytest.approx(missing, abs=1e-6)
    assert reading(whole, "data.duplicate_rate") == pytest.approx(duplicates, abs=1e-6)
    assert whole.provenance.files[0].sha256 == sha256(path)


def test_xlsx_sample_matches_pandas(tmp_path: Path, rows: list[dict]) -> None:
    path = write_sample_xlsx(tmp_path / "claims.xlsx", rows[:1_500])
    summary = read_data_sample(EvidenceFile.at(path), EvidenceOptions(key_columns=("Claim ID",)))
    frame = pd.read_excel(path, sheet_name=0, engine="openpyxl")
    missing, duplicates = expected_sample(frame, list(frame.columns), ["claim_id"])
    assert missing > 1 and duplicates > 1
    assert reading(summary, "data.missing_field_rate") == pytest.approx(missing, abs=1e-6)
    assert reading(summary, "data.duplicate_rate") == pytest.approx(duplicates, abs=1e-6)
    assert summary.provenance.count == 1_500
    assert any("sheet 'Claims'" in n and "Notes" in n for n in summary.notes)


def test_schema_drift_against_the_pilot_sample(tmp_path: Path) -> None:
    pilot = tmp_path / "pilot_sample.csv"
    pilot.write_text(
        "claim_id,claim_channel,amount,submitted_at,approved\n"
        "1,web,120,2026-01-02T10:00:00,true\n2,phone,80,2026-01-03T11:00:00,false\n",
        encoding="utf-8",
    )
    production = tmp_path / "production.csv"
    production.write_text(
        "Claim ID,Amount,Submitted At,approved,fraud_score\n"
        "1,120 EUR,2026-02-02 10:00:00,true,0.2\n2,80 EUR,2026-02-03 11:00:00,false,0.7\n",
        encoding="utf-8",
    )
    summary = read_data_sample(EvidenceFile.at(production), EvidenceOptions(baseline=EvidenceFile.at(pilot)))
    assert (
        "Schema drift against pilot_sample.csv: missing claim_channel; added fraud_score; "
        "changed type: Amount (integer → text)"
    ) in summary.notes
    assert [f.name for f in summary.provenance.files] == ["production.csv", "pilot_sample.csv"]
    assert summary.provenance.files[1].sha256 == sha256(pilot)


def test_schema_drift_between_formats_and_none(tmp_path: Path, rows: list[dict]) -> None:
    csv_path = write_sample_csv(tmp_path / "pilot.csv", rows[:300])
    parquet = write_sample_parquet(tmp_path / "production.parquet", rows[300:900])
    summary = read_data_sample(EvidenceFile.at(parquet), EvidenceOptions(baseline=EvidenceFile.at(csv_path)))
    assert "No schema drift against pilot.csv: the same 10 columns, with the same types." in summary.notes
    workbook = write_sample_xlsx(tmp_path / "production.xlsx", [{**r, "score": str(r["score"])} for r in rows[:200]])
    summary = read_data_sample(EvidenceFile.at(workbook), EvidenceOptions(baseline=EvidenceFile.at(parquet)))
    assert "Schema drift against production.parquet: changed type: score (float → text)" in summary.notes


def test_a_named_column_not_in_the_sample_is_refused_with_the_columns_found(tmp_path: Path, rows: list[dict]) -> None:
    path = write_sample_csv(tmp_path / "claims.csv", rows[:50])
    options = EvidenceOptions(required_columns=("claim_id", "loss_date"))
    message = refusal(read_data_sample, EvidenceFile.at(path), options)
    assert "loss_date" in message and "'claim_id'" in message and "'policy_id'" in message
    message = refusal(read_data_sample, EvidenceFile.at(path), EvidenceOptions(key_columns=("member",)))
    assert "'member'" in message and "claims.csv" in message


def test_sample_with_a_header_and_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("claim_id,amount\n\n\n", encoding="utf-8")
    assert "no data rows" in refusal(read_data_sample, EvidenceFile.at(path), EvidenceOptions())


# --------------------------------------------------------------------------------------------------------
# Usage log
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("time_style", ["z", "mixed"])
def test_usage_log_matches_pandas(tmp_path: Path, time_style: str) -> None:
    path = write_usage_log(tmp_path / "usage.csv", events=6_000, users=180, time_style=time_style)
    summary = read_usage_log(EvidenceFile.at(path), EvidenceOptions(intended_users=200))
    adoption, override, not_decisions = expected_usage(path, 200)
    assert 20 < adoption < 95
    assert reading(summary, "trust.adoption_rate") == pytest.approx(adoption, abs=1e-6)
    assert reading(summary, "trust.override_rate") == pytest.approx(override, abs=1e-6)
    assert summary.columns == {"user": "user_id", "time": "timestamp", "action": "action"}
    assert any(n.startswith(f"{not_decisions:,} events with an action that is not a decision") for n in summary.notes)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    times = frame["timestamp"].map(parse_time)
    provenance = summary.provenance
    assert (provenance.kind, provenance.count, provenance.count_unit) == ("usage_log", len(frame), "events")
    assert provenance.period_start == times.min().to_pydatetime() and provenance.period_end == times.max()
    assert provenance.period_start.tzinfo is not None


def test_usage_log_headers_are_matched_forgivingly(tmp_path: Path) -> None:
    path = write_usage_log(tmp_path / "usage.csv", events=800, header=("User ID", "Event Time", "ACTION"))
    summary = read_usage_log(EvidenceFile.at(path), EvidenceOptions(intended_users=150))
    assert summary.columns == {"user": "User ID", "time": "Event Time", "action": "ACTION"}
    adoption, override, _ = expected_usage(path, 150)
    assert reading(summary, "trust.adoption_rate") == pytest.approx(adoption, abs=1e-6)
    assert reading(summary, "trust.override_rate") == pytest.approx(override, abs=1e-6)
    for header in (("email", "date", "decision"), ("Actor", "at", "Outcome"), ("username", "event_time", "event")):
        path = write_usage_log(tmp_path / "other.csv", events=200, header=header)
        assert set(read_usage_log(EvidenceFile.at(path), EvidenceOptions()).columns.values()) == set(header)


def test_adoption_needs_the_number_of_intended_users_and_is_capped(tmp_path: Path) -> None:
    path = write_usage_log(tmp_path / "usage.csv", events=2_000, users=120)
    for intended in (None, 0):
        summary = read_usage_log(EvidenceFile.at(path), EvidenceOptions(intended_users=intended))
        assert [r.metric_id for r in summary.readings] == ["trust.override_rate"]
        assert any("intended users" in n for n in summary.notes)
    summary = read_usage_log(EvidenceFile.at(path), EvidenceOptions(intended_users=10))
    assert reading(summary, "trust.adoption_rate") == 100
    assert any(n.startswith("Adoption capped at 100%") for n in summary.notes)


def test_adoption_window_is_the_last_30_days_of_the_log(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        "user,time,action\n"
        "old,2026-01-01T00:00:00Z,accepted\n"  # 59 days before the end: not active
        "edge,2026-01-30T12:00:00Z,viewed\n"  # exactly 30 days before the end: active
        "new,1772280000,Override\n"  # Unix seconds: 2026-02-28T12:00:00Z
        "new,2026-03-01T12:00:00+00:00,escalate\n",
        encoding="utf-8",
    )
    summary = read_usage_log(EvidenceFile.at(path), EvidenceOptions(intended_users=4))
    assert reading(summary, "trust.adoption_rate") == 50
    assert reading(summary, "trust.override_rate") == pytest.approx(100 / 3, abs=1e-6)
    assert summary.provenance.period_end == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert "2 distinct users" in summary.readings[0].method and "4 intended users" in summary.readings[0].method


def test_decision_words() -> None:
    assert [decision_of(w) for w in ("Accepted", " APPROVED ", "kept", "Over-ridden", "EDITED", "Escalate")] == [
        "accepted", "accepted", "accepted", "overridden", "overridden", "escalated",
    ]  # fmt: skip
    assert decision_of("suggestion_accepted") == "accepted"
    assert decision_of("accepted_then_edited") is None  # two kinds of decision: not counted as either
    assert decision_of("login") is None and decision_of("") is None


def test_usage_log_with_no_decisions(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("user,time,action\na,2026-03-01T10:00:00,login\nb,2026-03-02T10:00:00,viewed\n", encoding="utf-8")
    summary = read_usage_log(EvidenceFile.at(path), EvidenceOptions(intended_users=4))
    assert [r.metric_id for r in summary.readings] == ["trust.adoption_rate"]
    assert any("override rate is left out" in n for n in summary.notes)


def test_an_unparseable_time_names_its_row(tmp_path: Path) -> None:
    lines = ["user,time,action"] + [f"u{i},2026-03-01T10:{i % 60:02d}:00Z,accepted" for i in range(30)]
    lines[17] = "u16,yesterday afternoon,accepted"  # the 17th record: row 18 below the header row 1
    path = tmp_path / "usage.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = refusal(read_usage_log, EvidenceFile.at(path), EvidenceOptions())
    assert "row 18" in message and "yesterday afternoon" in message and "'time'" in message


# --------------------------------------------------------------------------------------------------------
# Incident log
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("time_style", ["z", "mixed"])
def test_incident_log_matches_statistics(tmp_path: Path, time_style: str) -> None:
    path = write_incident_log(tmp_path / "incidents.csv", incidents=41, time_style=time_style)
    summary = read_incident_log(EvidenceFile.at(path), EvidenceOptions())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    hours = [
        (parse_time(d) - parse_time(s)).total_seconds() / 3600
        for s, d in zip(frame["Started At"], frame["Detected At"], strict=True)
        if d.strip()
    ]
    undetected = len(frame) - len(hours)
    assert undetected == 5
    assert reading(summary, "monitoring.time_to_detect_h") == pytest.approx(round(statistics.median(hours), 6))
    assert summary.columns == {"started": "Started At", "detected": "Detected At"}
    assert f"{undetected:,} incidents with no detection time in column 'Detected At'" in summary.notes[0]
    provenance = summary.provenance
    assert (provenance.kind, provenance.count, provenance.count_unit) == ("incident_log", 41, "incidents")
    starts = frame["Started At"].map(parse_time)
    assert provenance.period_start == starts.min()
    assert provenance.files[0].sha256 == sha256(path)


def test_incident_headers_are_matched_forgivingly(tmp_path: Path) -> None:
    for header in (("id", "onset", "alerted"), ("ID", "START", "Detection"), ("n", "began_at", "alerted_at")):
        path = write_incident_log(tmp_path / "incidents.csv", incidents=9, header=(*header, "severity"))
        summary = read_incident_log(EvidenceFile.at(path), EvidenceOptions())
        assert summary.columns == {"started": header[1], "detected": header[2]}


def test_detected_before_started_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(
        "incident,started,detected\n"
        "A,2026-01-01T10:00:00Z,2026-01-01T11:00:00Z\n"
        "B,2026-01-02T10:00:00Z,2026-01-02T09:00:00Z\n",
        encoding="utf-8",
    )
    message = refusal(read_incident_log, EvidenceFile.at(path), EvidenceOptions())
    assert "row 3" in message and "before" in message


def test_no_incident_was_detected(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text("incident,started,detected\nA,2026-01-01T10:00:00Z,\nB,2026-01-02T10:00:00Z,  \n", encoding="utf-8")
    message = refusal(read_incident_log, EvidenceFile.at(path), EvidenceOptions())
    assert "no incident has both a start and a detection time" in message


# --------------------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------------------


def test_sniffers(tmp_path: Path) -> None:
    usage = write_usage_log(tmp_path / "usage.csv", events=50, header=("User ID", "Event Time", "ACTION"))
    incidents = write_incident_log(tmp_path / "incidents.csv", incidents=5)
    workbook = write_sample_xlsx(tmp_path / "claims.xlsx", sample_rows(20))
    assert looks_like_usage_log(usage.read_bytes(), "usage.csv")
    assert not looks_like_incident_log(usage.read_bytes(), "usage.csv")
    assert looks_like_incident_log(incidents.read_bytes(), "incidents.csv")
    assert not looks_like_usage_log(incidents.read_bytes(), "incidents.csv")
    assert not looks_like_usage_log(workbook.read_bytes(), "usage.csv")
    assert not looks_like_incident_log(b"\x00\x01\x02" * 100, "incidents.csv")
    assert not looks_like_usage_log(b"\n\n\n", "usage.csv")
    assert is_tabular_name("Sample.PARQUET") and is_tabular_name("x.csv") and not is_tabular_name("x.json")


# --------------------------------------------------------------------------------------------------------
# Files to refuse
# --------------------------------------------------------------------------------------------------------

READERS = [read_data_sample, read_usage_log, read_incident_log]


def test_csv_without_a_header(tmp_path: Path) -> None:
    usage = write_usage_log(tmp_path / "with_header.csv", events=100)
    path = tmp_path / "usage.csv"
    path.write_text("".join(usage.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    message = refusal(read_usage_log, EvidenceFile.at(path), EvidenceOptions())
    assert "not column names" in message and "add a header row" in message and "user, time, action" in message
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("A,2026-01-01T10:00:00Z,2026-01-01T11:00:00Z\n", encoding="utf-8")
    assert "not column names" in refusal(read_incident_log, EvidenceFile.at(incidents), EvidenceOptions())
    sample = tmp_path / "sample.csv"
    sample.write_text("1,2.5,3\n4,5,6\n", encoding="utf-8")
    assert "not column names" in refusal(read_data_sample, EvidenceFile.at(sample), EvidenceOptions())


def test_wrong_columns_name_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("who,when_it_happened,what\na,2026-01-01,accepted\n", encoding="utf-8")
    message = refusal(read_usage_log, EvidenceFile.at(path), EvidenceOptions())
    assert "'user'" in message and "'time'" in message and "'action'" in message and "'who'" in message
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("incident,started,resolved\nA,2026-01-01,2026-01-02\n", encoding="utf-8")
    message = refusal(read_incident_log, EvidenceFile.at(incidents), EvidenceOptions())
    assert "'detected'" in message and "'started'" not in message.split("the columns are")[0]
    assert "'resolved'" in message


@pytest.mark.parametrize("reader", READERS)
def test_binary_bytes(tmp_path: Path, reader) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(random.Random(7).randbytes(200_000))
    assert "binary file" in refusal(reader, EvidenceFile.at(path), EvidenceOptions())


@pytest.mark.parametrize("reader", [read_usage_log, read_incident_log])
def test_a_workbook_is_not_a_log(tmp_path: Path, reader) -> None:
    path = write_sample_xlsx(tmp_path / "log.csv", sample_rows(20))
    message = refusal(reader, EvidenceFile.at(path), EvidenceOptions())
    assert "workbook" in message and "CSV" in message


def test_other_zips_and_legacy_workbooks_are_not_samples(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "sample.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    assert "not an Excel workbook" in refusal(read_data_sample, EvidenceFile.at(path), EvidenceOptions())
    legacy = tmp_path / "sample.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    assert ".xls" in refusal(read_data_sample, EvidenceFile.at(legacy), EvidenceOptions())
    damaged = tmp_path / "sample.parquet"
    damaged.write_bytes(b"PAR1" + random.Random(3).randbytes(5_000))
    assert "Parquet" in refusal(read_data_sample, EvidenceFile.at(damaged), EvidenceOptions())


@pytest.mark.parametrize("reader", READERS)
def test_a_2_gb_file_is_refused_before_it_is_read(tmp_path: Path, reader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READINESS_MAX_EVIDENCE_MB", raising=False)
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"user,time,action\n")
    os.truncate(path, 2 * 1024**3)  # sparse: no disk used

    def never(*_args, **_kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(EvidenceFile, "head", never)
    message = refusal(reader, EvidenceFile.at(path), EvidenceOptions())
    assert "2,048 MB" in message and "1,024 MB limit" in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    for reader in READERS:
        assert "empty" in refusal(reader, EvidenceFile.at(path), EvidenceOptions())


BLANK_LINES_CHILD = textwrap.dedent(
    """
    import json, sys
    from tests.peak_memory import own_peak_mb
    from readiness.errors import InvalidInput
    from readiness.evidence.base import EvidenceFile, EvidenceOptions
    from readiness.evidence.records import read_data_sample, read_incident_log, read_usage_log

    messages = []
    for path in sys.argv[1:]:
        for reader in (read_data_sample, read_usage_log, read_incident_log):
            try:
                reader(EvidenceFile.at(path), EvidenceOptions())
                messages.append("accepted")
            except InvalidInput as error:
                messages.append(str(error))
    print(json.dumps({"messages": messages, "peak_mb": own_peak_mb()}))
    """
)


def test_ten_million_blank_lines_in_bounded_memory(tmp_path: Path) -> None:
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n" * 10_000_000)
    headed = tmp_path / "headed.csv"
    headed.write_bytes(b"user,time,action,started,detected\n" + b"\r\n" * 10_000_000)
    done = subprocess.run(
        [sys.executable, "-c", BLANK_LINES_CHILD, str(blank), str(headed)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["messages"][:3] == ["blank.csv: the file holds only blank lines: no header and no data"
                                      f" (expected {what})" for what in
                                      ("a production data sample", "a usage log", "an incident log")]  # fmt: skip
    assert all("no data rows" in m for m in report["messages"][3:]), report["messages"]
    assert report["peak_mb"] < 400, report


def test_readings_are_rounded_and_in_range(tmp_path: Path, rows: list[dict]) -> None:
    path = write_sample_csv(tmp_path / "claims.csv", rows[:700])
    summary = read_data_sample(EvidenceFile.at(path), EvidenceOptions())
    for item in summary.readings:
        assert 0 <= item.value <= 100 and round(item.value, 6) == item.value and not math.isnan(item.value)
        assert len(item.method) <= 500
    assert SAMPLE_COLUMNS[0] in summary.readings[0].method


def test_adapters_write_nothing(tmp_path: Path, rows: list[dict]) -> None:
    sample = write_sample_csv(tmp_path / "claims.csv", rows[:200])
    usage = write_usage_log(tmp_path / "usage.csv", events=100)
    incidents = write_incident_log(tmp_path / "incidents.csv", incidents=10)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir())
    read_data_sample(EvidenceFile.at(sample), EvidenceOptions(baseline=EvidenceFile.at(sample)))
    read_usage_log(EvidenceFile.at(usage), EvidenceOptions(intended_users=50))
    read_incident_log(EvidenceFile.at(incidents), EvidenceOptions())
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir()) == before


def test_window_edge_uses_the_latest_time(tmp_path: Path) -> None:
    end = datetime(2026, 6, 30, 23, 59, tzinfo=UTC)
    lines = ["user,time,action"]
    for i in range(60):
        lines.append(f"u{i},{(end - timedelta(days=i)).isoformat()},accepted")
    path = tmp_path / "usage.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = read_usage_log(EvidenceFile.at(path), EvidenceOptions(intended_users=100))
    assert reading(summary, "trust.adoption_rate") == 31  # days 0..30 before the latest event, both ends included


def test_malformed_rows_and_encodings_are_named_and_no_reader_thread_is_left(tmp_path: Path) -> None:
    import threading

    rows = "".join(f"{i},{i * 2}\n" for i in range(50_000))
    path = tmp_path / "claims.csv"
    path.write_text(f"claim_id,amount\n{rows}1,2,3\n", encoding="utf-8")
    message = refusal(read_data_sample, EvidenceFile.at(path), EvidenceOptions())
    assert "a row has 3 fields where the header has 2: '1,2,3'" in message
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,city\nJosé,Köln\n".encode("latin-1"))
    assert "not UTF-8" in refusal(read_data_sample, EvidenceFile.at(latin), EvidenceOptions())
    usage = tmp_path / "usage.csv"
    events = "a,2026-01-01T00:00:00Z,accepted\n" * 50_000
    usage.write_text(f"user,time,action\n{events}b,noon,kept\n", encoding="utf-8")
    assert "row 50,002" in refusal(read_usage_log, EvidenceFile.at(usage), EvidenceOptions())
    left = [t.name for t in threading.enumerate() if t.name.startswith("evidence-")]
    assert left == []
