"""Load-test evidence: Locust (a real headless run against 127.0.0.1), JMeter JTLs (generated to JMeter's
documented CSV columns), k6 end-of-test summaries (both documented JSON forms), and hostile files.

Every reading is checked against an independent computation (pandas, statistics) on the same files, by
the definition of the highest sustained load in ``readiness.evidence.loadtest``. No timing is asserted;
the one resource bound (memory, on 10 million blank lines) is measured in a child process.
"""

from __future__ import annotations

import csv
import http.server
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from readiness.errors import InvalidInput
from readiness.evidence.base import EvidenceFile, EvidenceOptions, EvidenceSummary
from readiness.evidence.loadtest import (
    ERROR_RATE,
    MULTIPLE,
    NO_PEAK_NOTE,
    P95,
    duration_words,
    highest_sustained,
    level_spans,
    looks_like_jmeter,
    looks_like_k6,
    looks_like_locust,
    read_jmeter,
    read_k6,
    read_locust,
    sustain_seconds,
)
from tests.evidence_files import JTL_COLUMNS, write_jtl

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "evidence"


def values(summary: EvidenceSummary) -> dict[str, float]:
    return {r.metric_id: r.value for r in summary.readings}


def methods(summary: EvidenceSummary) -> dict[str, str]:
    return {r.metric_id: r.method for r in summary.readings}


def error_of(call, *args) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    return caught.value


def where_and_what(error: InvalidInput) -> tuple[str, str]:
    return error.issues[0].location, error.issues[0].message


def independent_level(stamps_s: np.ndarray, users: np.ndarray) -> tuple[int, float]:
    """The definition, by brute force: the highest L whose samples at ≥ L span SUSTAIN; (L, span)."""
    sustain = min(30.0, 0.25 * (stamps_s.max() - stamps_s.min()))
    for level in sorted(set(users.tolist()), reverse=True):
        at = stamps_s[users >= level]
        if at.max() - at.min() >= sustain - 1e-9:
            return int(level), float(at.max() - at.min())
    raise AssertionError("the lowest level always spans the run")


# --------------------------------------------------------------------------------------------
# The definition
# --------------------------------------------------------------------------------------------


def test_sustain_is_30_s_or_a_quarter_of_the_run() -> None:
    assert sustain_seconds(600) == 30
    assert sustain_seconds(60) == 15
    assert sustain_seconds(0) == 0


def test_a_short_spike_is_not_the_sustained_load() -> None:
    # Ramp 1 → 10 users over 100 s, hold 10 for 100 s, with a 2-second spike to 50 in the middle.
    stamps = np.arange(0, 200, 1.0)
    users = np.minimum(10, 1 + stamps // 10).astype(np.int64)
    users[150:152] = 50
    levels, first, last = level_spans(users, stamps)
    plateau = highest_sustained(levels, first, last, float(stamps.max() - stamps.min()))
    assert plateau.users == 10
    assert plateau.sustain_s == pytest.approx(30)
    assert plateau.held_s == pytest.approx(109)
    assert (plateau.users, plateau.held_s) == independent_level(stamps, users)


def test_level_spans_wide_and_narrow_levels_agree_with_a_loop() -> None:
    rng = np.random.default_rng(3)
    for spread in (5, 80, 10**9):
        levels = rng.integers(0, spread, 400)
        stamps = rng.integers(0, 10**6, 400)
        got = level_spans(levels, stamps)
        distinct = np.unique(levels)
        assert np.array_equal(got[0], distinct)
        assert np.array_equal(got[1], [stamps[levels == v].min() for v in distinct])
        assert np.array_equal(got[2], [stamps[levels == v].max() for v in distinct])


def test_duration_words() -> None:
    assert duration_words(130) == "2 min 10 s"
    assert duration_words(45) == "45 s"
    assert duration_words(1.75) == "1.75 s"
    assert duration_words(3720) == "1 h 2 min"


# --------------------------------------------------------------------------------------------
# Locust: a real headless run
# --------------------------------------------------------------------------------------------

LOCUSTFILE = """
from locust import HttpUser, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def items(self):
        self.client.get("/items")

    @task(1)
    def health(self):
        self.client.get("/health")
"""


class SlowSometimesFailing(http.server.BaseHTTPRequestHandler):
    """A few milliseconds of work, and a 500 for about one request in twenty."""

    def do_GET(self) -> None:
        time.sleep(random.uniform(0.001, 0.02))
        code = 500 if random.random() < 0.05 else 200
        body = b"fail" if code == 500 else b"ok"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def locust_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Locust 2's CSVs of an 8-second headless run (20 users spawned at 10/s) against a local server."""
    locust = shutil.which("locust", path=str(Path(sys.executable).parent)) or shutil.which("locust")
    if locust is None:  # a dev dependency: `make test` installs it
        pytest.fail("locust is not installed: run `make install`")
    folder = tmp_path_factory.mktemp("locust")
    (folder / "locustfile.py").write_text(LOCUSTFILE)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowSometimesFailing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        command = [locust, "-f", "locustfile.py", "--headless", "-u", "20", "-r", "10", "-t", "8s"]
        command += ["--host", f"http://127.0.0.1:{server.server_address[1]}", "--csv", "run", "--csv-full-history"]
        command += ["--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr[-2000:]
    history = pd.read_csv(folder / "run_stats_history.csv")
    aggregated = history[history["Name"] == "Aggregated"]
    top = aggregated["User Count"].max()
    assert top == 20 and (aggregated["User Count"] == top).sum() >= 3, aggregated.to_string()
    return folder


def locust_files(folder: Path, *suffixes: str) -> list[EvidenceFile]:
    return [EvidenceFile.at(folder / f"run_{suffix}.csv") for suffix in suffixes]


def test_locust_real_run_against_an_independent_computation(locust_csv: Path) -> None:
    files = locust_files(locust_csv, "stats", "stats_history", "failures", "exceptions")
    summary = read_locust(files, EvidenceOptions(peak_concurrent_users=8))

    history = pd.read_csv(locust_csv / "run_stats_history.csv")
    rows = history[history["Name"] == "Aggregated"].reset_index(drop=True)
    stamps, users = rows["Timestamp"].to_numpy(float), rows["User Count"].to_numpy()
    level, held = independent_level(stamps, users)
    plateau = rows[users >= level]
    p95s = [v for v in pd.to_numeric(plateau["95%"], errors="coerce") if v > 0]
    requests = plateau["Total Request Count"].iloc[-1] - plateau["Total Request Count"].iloc[0]
    failures = plateau["Total Failure Count"].iloc[-1] - plateau["Total Failure Count"].iloc[0]
    stats = pd.read_csv(locust_csv / "run_stats.csv")
    total = stats[stats["Name"] == "Aggregated"].iloc[0]

    got = values(summary)
    assert level == 20
    assert got[P95] == pytest.approx(round(statistics.median(p95s) / 1000, 6), abs=1e-9)
    assert got[ERROR_RATE] == pytest.approx(round(100 * failures / requests, 6), abs=1e-9)
    assert got[MULTIPLE] == pytest.approx(20 / 8)
    assert 0 < got[ERROR_RATE] < 20  # the server fails about 5 %
    assert f"while at least 20 users were active (held {duration_words(held)})" in methods(summary)[P95]
    assert "each over the last 10 s" in methods(summary)[P95]

    provenance = summary.provenance
    assert provenance.kind == "locust" and provenance.tool == "Locust" and provenance.tool_version is None
    assert [f.name for f in provenance.files] == ["run_stats_history.csv", "run_stats.csv"]
    assert provenance.count == total["Request Count"] and provenance.count_unit == "requests"
    assert provenance.period_start == datetime.fromtimestamp(stamps.min(), UTC)
    assert provenance.period_end == datetime.fromtimestamp(stamps.max(), UTC)
    assert provenance.period_start.tzinfo is not None
    assert summary.columns["users"] == "User Count" and summary.columns["p95"] == "95%"
    assert summary.notes == ()


def test_locust_stats_alone_covers_the_whole_run(locust_csv: Path) -> None:
    summary = read_locust(locust_files(locust_csv, "stats"), EvidenceOptions(peak_concurrent_users=8))
    stats = pd.read_csv(locust_csv / "run_stats.csv")
    total = stats[stats["Name"] == "Aggregated"].iloc[0]
    assert values(summary) == {
        P95: round(total["95%"] / 1000, 6),
        ERROR_RATE: round(100 * total["Failure Count"] / total["Request Count"], 6),
    }
    assert summary.provenance.count == total["Request Count"]
    assert summary.provenance.period_start is None
    assert any("without the stats history" in n.lower() and "multiple is left out" in n for n in summary.notes)


def test_locust_without_expected_peak_leaves_the_multiple_out(locust_csv: Path) -> None:
    summary = read_locust(locust_files(locust_csv, "stats_history", "stats"), EvidenceOptions())
    assert set(values(summary)) == {P95, ERROR_RATE}
    assert NO_PEAK_NOTE in summary.notes
    assert "no expected peak concurrent users" in NO_PEAK_NOTE


def test_locust_history_without_full_history_says_the_percentiles_are_cumulative(
    locust_csv: Path, tmp_path: Path
) -> None:
    history = pd.read_csv(locust_csv / "run_stats_history.csv", dtype=str, keep_default_na=False)
    only = tmp_path / "run_stats_history.csv"
    history[history["Name"] == "Aggregated"].to_csv(only, index=False)
    summary = read_locust([EvidenceFile.at(only)], EvidenceOptions(peak_concurrent_users=20))
    assert values(summary)[MULTIPLE] == 1.0
    assert any("--csv-full-history" in n for n in summary.notes)
    assert "over the run so far" in methods(summary)[P95]
    last = history[history["Name"] == "Aggregated"].iloc[-1]
    assert summary.provenance.count == int(last["Total Request Count"])


def test_locust_files_are_told_apart_by_header_not_name(locust_csv: Path, tmp_path: Path) -> None:
    shutil.copy(locust_csv / "run_stats.csv", tmp_path / "a.csv")
    shutil.copy(locust_csv / "run_stats_history.csv", tmp_path / "b.csv")
    renamed = read_locust([EvidenceFile.at(tmp_path / "a.csv"), EvidenceFile.at(tmp_path / "b.csv")], EvidenceOptions())
    original = read_locust(locust_files(locust_csv, "stats", "stats_history"), EvidenceOptions())
    assert renamed.readings == original.readings


def test_locust_two_histories_and_no_stats_are_refused(locust_csv: Path) -> None:
    twice = locust_files(locust_csv, "stats_history", "stats_history")
    assert "two Locust stats history files" in str(error_of(read_locust, twice, EvidenceOptions()))
    only_failures = locust_files(locust_csv, "failures")
    assert "no Locust stats file" in str(error_of(read_locust, only_failures, EvidenceOptions()))


def test_locust_bad_number_names_row_and_column(locust_csv: Path, tmp_path: Path) -> None:
    lines = (locust_csv / "run_stats_history.csv").read_text().splitlines()
    index = [i for i, line in enumerate(lines) if ",Aggregated," in line][2]
    fields = lines[index].split(",")
    fields[1] = "twenty"
    lines[index] = ",".join(fields)
    bad = tmp_path / "run_stats_history.csv"
    bad.write_text("\n".join(lines) + "\n")
    where, what = where_and_what(error_of(read_locust, [EvidenceFile.at(bad)], EvidenceOptions()))
    assert where == f"row {index + 1}"
    assert "User Count" in what and "'twenty'" in what


def test_sniffers_recognise_their_own_files_only(locust_csv: Path, tmp_path: Path) -> None:
    jtl = write_jtl(tmp_path / "run.jtl", 100)
    k6 = FIXTURES / "k6_summary_export.json"
    for suffix in ("stats", "stats_history", "failures", "exceptions"):
        head = (locust_csv / f"run_{suffix}.csv").read_bytes()[:65536]
        assert looks_like_locust(head, f"run_{suffix}.csv")
        assert not looks_like_jmeter(head, "x") and not looks_like_k6(head, "x")
    assert looks_like_jmeter(jtl.read_bytes()[:65536], "run.jtl")
    assert not looks_like_locust(jtl.read_bytes()[:65536], "x") and not looks_like_k6(jtl.read_bytes(), "x")
    for name in ("k6_summary_export.json", "k6_handle_summary.json"):
        head = (FIXTURES / name).read_bytes()[:65536]
        assert looks_like_k6(head, name) and not looks_like_locust(head, name) and not looks_like_jmeter(head, name)
    assert looks_like_k6(b'{"type":"Metric","data":{"type":"gauge"},"metric":"vus"}\n', "out.json")
    assert looks_like_k6(k6.read_bytes(), "x") and not looks_like_k6(b'{"metrics": 1}', "x")
    for junk in (b"", b"\x00\x01\x02PK", b"PK\x03\x04" + bytes(100), b"a,b,c\n1,2,3\n"):
        assert not looks_like_locust(junk, "x") and not looks_like_jmeter(junk, "x") and not looks_like_k6(junk, "x")


# --------------------------------------------------------------------------------------------
# JMeter: JTLs in CSV form
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jtl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120,000 samples over 4 minutes: ramp to 50 threads, hold, ramp down; quoted multi-line messages."""
    folder = tmp_path_factory.mktemp("jmeter")
    return write_jtl(folder / "results.jtl", 120_000, seed=11, max_threads=50, duration_s=240)


def independent_jmeter(path: Path, threads: str = "allThreads", sep: str = ",") -> dict[str, float]:
    frame = pd.read_csv(path, sep=sep)
    stamps = frame["timeStamp"].to_numpy() / 1000
    level, _ = independent_level(stamps, frame[threads].to_numpy())
    at = frame[frame[threads] >= level]
    return {
        "level": level,
        P95: round(at["elapsed"].quantile(0.95) / 1000, 6),
        ERROR_RATE: round(100 * (~at["success"].astype(bool)).mean(), 6),
        "count": len(frame),
        "start": frame["timeStamp"].min() / 1000,
        "end": (frame["timeStamp"] + frame["elapsed"]).max() / 1000,
    }


def test_jmeter_against_pandas(jtl: Path) -> None:
    summary = read_jmeter(EvidenceFile.at(jtl), EvidenceOptions(peak_concurrent_users=20))
    expected = independent_jmeter(jtl)
    got = values(summary)
    assert expected["level"] == 50
    assert got[P95] == pytest.approx(expected[P95], abs=1e-9)
    assert got[ERROR_RATE] == pytest.approx(expected[ERROR_RATE], abs=1e-9)
    assert got[MULTIPLE] == 2.5
    provenance = summary.provenance
    assert (provenance.kind, provenance.tool, provenance.tool_version) == ("jmeter", "Apache JMeter", None)
    assert provenance.count == expected["count"] == 120_000
    assert provenance.period_start == datetime.fromtimestamp(expected["start"], UTC)
    assert provenance.period_end == datetime.fromtimestamp(expected["end"], UTC)
    assert provenance.files[0].name == "results.jtl" and provenance.files[0].size_bytes == jtl.stat().st_size
    assert summary.columns == {"timestamp": "timeStamp", "elapsed": "elapsed", "success": "success",
                               "threads": "allThreads"}  # fmt: skip
    assert "while at least 50 threads (allThreads) were active (held" in methods(summary)[P95]
    assert summary.notes == ()


def test_jmeter_columns_in_any_order_with_only_grpthreads(tmp_path: Path) -> None:
    columns = ("label", "success", "grpThreads", "elapsed", "threadName", "timeStamp")
    path = write_jtl(tmp_path / "few.jtl", 20_000, seed=5, max_threads=30, duration_s=90, columns=columns)
    summary = read_jmeter(EvidenceFile.at(path), EvidenceOptions(peak_concurrent_users=30))
    expected = independent_jmeter(path, threads="grpThreads")
    assert values(summary) == {P95: expected[P95], ERROR_RATE: expected[ERROR_RATE], MULTIPLE: 1.0}
    assert summary.columns["threads"] == "grpThreads"
    assert any("no allThreads column" in n for n in summary.notes)


def test_jmeter_semicolons_and_text_timestamps(tmp_path: Path) -> None:
    path = write_jtl(tmp_path / "base.jtl", 5_000, seed=9, max_threads=10, duration_s=100, messy_messages=False)
    frame = pd.read_csv(path)
    semi = tmp_path / "semi.jtl"
    frame.to_csv(semi, sep=";", index=False)
    text = tmp_path / "text.jtl"
    seconds = frame.assign(timeStamp=(frame["timeStamp"] // 1000) * 1000)
    frame.assign(timeStamp=pd.to_datetime(seconds["timeStamp"], unit="ms").dt.strftime("%Y/%m/%d %H:%M:%S")).to_csv(
        text, index=False
    )
    whole_seconds = tmp_path / "seconds.jtl"
    seconds.to_csv(whole_seconds, index=False)
    assert values(read_jmeter(EvidenceFile.at(semi), EvidenceOptions())) == values(
        read_jmeter(EvidenceFile.at(path), EvidenceOptions())
    )
    as_text = read_jmeter(EvidenceFile.at(text), EvidenceOptions())
    assert values(as_text) == values(read_jmeter(EvidenceFile.at(whole_seconds), EvidenceOptions()))
    assert any("taken as UTC" in n for n in as_text.notes)


def test_jmeter_byte_order_mark_and_crlf_change_nothing(jtl: Path, tmp_path: Path) -> None:
    small = write_jtl(tmp_path / "small.jtl", 3_000, seed=2, max_threads=10, duration_s=60)
    raw = small.read_bytes()
    (tmp_path / "bom.jtl").write_bytes(b"\xef\xbb\xbf" + raw)
    (tmp_path / "crlf.jtl").write_bytes(raw.replace(b"\n", b"\r\n"))
    expected = read_jmeter(EvidenceFile.at(small), EvidenceOptions()).readings
    for name in ("bom.jtl", "crlf.jtl"):
        assert read_jmeter(EvidenceFile.at(tmp_path / name), EvidenceOptions()).readings == expected


def test_long_column_names_keep_methods_within_500_characters(tmp_path: Path) -> None:
    path = write_jtl(tmp_path / "long.jtl", 500, max_threads=5, duration_s=30, messy_messages=False)
    lines = path.read_text().splitlines(keepends=True)
    lines[0] = lines[0].replace("elapsed", "elapsed" + " " * 600)
    path.write_text("".join(lines))
    summary = read_jmeter(EvidenceFile.at(path), EvidenceOptions())
    assert all(len(m) <= 500 for m in methods(summary).values())


def rewrite_record(source: Path, target: Path, record: int, column: str, value: str) -> None:
    """Copy a JTL with one field of one record (0 = the header) changed; quoting kept as JMeter writes it."""
    with source.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[record][rows[0].index(column)] = value
    with target.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("elapsed", "abc", "elapsed is 'abc', not a whole number"),
        ("elapsed", "", "elapsed is empty, not a whole number"),
        ("allThreads", "12.5", "allThreads is '12.5', not a whole number"),
        ("success", "yes", "success is 'yes', not true or false"),
        ("elapsed", "-5", "elapsed is -5, below 0"),
        ("timeStamp", "1767225600", "timeStamp is 1767225600, not epoch milliseconds"),
    ],
)
def test_jmeter_bad_value_names_its_row_and_column(
    jtl: Path, tmp_path: Path, column: str, value: str, expected: str
) -> None:
    # Record 100,000 lies in a later block of the file, with multi-line quoted messages before it.
    bad = tmp_path / "bad.jtl"
    rewrite_record(jtl, bad, 100_000, column, value)
    where, what = where_and_what(error_of(read_jmeter, EvidenceFile.at(bad), EvidenceOptions()))
    assert where == "row 100,001"
    assert expected in what


def test_jmeter_row_with_an_extra_field(jtl: Path, tmp_path: Path) -> None:
    bad = tmp_path / "extra.jtl"
    with jtl.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[500].append("surplus")
    with bad.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    where, what = where_and_what(error_of(read_jmeter, EvidenceFile.at(bad), EvidenceOptions()))
    assert where == "row 501"
    assert f"{len(JTL_COLUMNS) + 1} fields where the header has {len(JTL_COLUMNS)}" in what


def test_jmeter_no_header_wrong_columns_and_xml(tmp_path: Path) -> None:
    path = write_jtl(tmp_path / "ok.jtl", 50, messy_messages=False)
    lines = path.read_text().splitlines(keepends=True)
    headless = tmp_path / "headless.jtl"
    headless.write_text("".join(lines[1:]))
    where, what = where_and_what(error_of(read_jmeter, EvidenceFile.at(headless), EvidenceOptions()))
    assert where == "header" and "no header row" in what and "print_field_names" in what

    no_elapsed = write_jtl(tmp_path / "no_elapsed.jtl", 50, columns=("timeStamp", "label", "success", "allThreads"))
    where, what = where_and_what(error_of(read_jmeter, EvidenceFile.at(no_elapsed), EvidenceOptions()))
    assert where == "header" and "no column for 'elapsed'" in what and "'timeStamp'" in what

    no_threads = write_jtl(tmp_path / "no_threads.jtl", 50, columns=("timeStamp", "elapsed", "success"))
    assert "'allThreads' (or 'grpThreads')" in str(
        error_of(read_jmeter, EvidenceFile.at(no_threads), EvidenceOptions())
    )

    xml = tmp_path / "results.jtl"
    xml.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<testResults version="1.2">\n<httpSample t="5"/>\n')
    assert looks_like_jmeter(xml.read_bytes(), "results.jtl")
    assert "XML form" in str(error_of(read_jmeter, EvidenceFile.at(xml), EvidenceOptions()))

    header_only = tmp_path / "header_only.jtl"
    header_only.write_text(lines[0])
    assert "no data rows" in str(error_of(read_jmeter, EvidenceFile.at(header_only), EvidenceOptions()))


def test_jmeter_without_thread_counts_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zero.jtl"
    path.write_text("timeStamp,elapsed,success,allThreads\n1767225600000,12,true,0\n1767225601000,15,true,0\n")
    assert "allThreads is 0 in every row" in str(error_of(read_jmeter, EvidenceFile.at(path), EvidenceOptions()))


def test_jmeter_peak_missing_note(jtl: Path) -> None:
    summary = read_jmeter(EvidenceFile.at(jtl), EvidenceOptions(peak_concurrent_users=0))
    assert MULTIPLE not in values(summary) and NO_PEAK_NOTE in summary.notes


# --------------------------------------------------------------------------------------------
# k6: the end-of-test summary in both forms
# --------------------------------------------------------------------------------------------

K6_FORMS = ["k6_summary_export.json", "k6_handle_summary.json"]


@pytest.mark.parametrize("name", K6_FORMS)
def test_k6_both_forms_give_the_same_readings(name: str) -> None:
    summary = read_k6(EvidenceFile.at(FIXTURES / name), EvidenceOptions(peak_concurrent_users=16))
    assert values(summary) == {P95: 0.231863, ERROR_RATE: 0.938511, MULTIPLE: 2.5}
    provenance = summary.provenance
    assert (provenance.kind, provenance.tool, provenance.count, provenance.count_unit) == ("k6", "k6", 6180, "requests")
    assert provenance.period_start is None and provenance.files[0].name == name
    assert any("whole run" in n and "at most 40 virtual users" in n for n in summary.notes)
    assert methods(summary)[ERROR_RATE].startswith("58 of 6,180 requests failed (http_req_failed) in the")
    assert methods(summary)[ERROR_RATE].endswith("run, with at most 40 VUs")
    assert methods(summary)[MULTIPLE] == "40 VUs (k6 vus_max) ÷ 16 expected peak concurrent users"


def test_k6_independent_check_and_fewer_active_vus(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "k6_handle_summary.json").read_text())
    data["metrics"]["vus"]["values"]["max"] = 25
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data))
    summary = read_k6(EvidenceFile.at(path), EvidenceOptions(peak_concurrent_users=10))
    metrics = data["metrics"]
    assert values(summary)[P95] == round(metrics["http_req_duration"]["values"]["p(95)"] / 1000, 6)
    failed = metrics["http_req_failed"]["values"]
    assert values(summary)[ERROR_RATE] == round(100 * failed["passes"] / (failed["passes"] + failed["fails"]), 6)
    assert values(summary)[MULTIPLE] == 4.0
    assert any("at most 25 were active" in n for n in summary.notes)
    assert methods(summary)[P95] == (
        "k6's p(95) of http_req_duration over all 6,180 requests in the 3 min 1 s run, with at most 40 VUs"
    )


@pytest.mark.parametrize("name", K6_FORMS)
def test_k6_without_p95_names_the_metric(name: str, tmp_path: Path) -> None:
    data = json.loads((FIXTURES / name).read_text())
    duration = data["metrics"]["http_req_duration"]
    del duration.get("values", duration)["p(95)"]
    path = tmp_path / name
    path.write_text(json.dumps(data))
    where, what = where_and_what(error_of(read_k6, EvidenceFile.at(path), EvidenceOptions()))
    assert where == "metrics.http_req_duration"
    assert "no p(95)" in what and "summary-trend-stats" in what


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"metrics": {}, "metrics": {}}', "the key 'metrics' appears twice"),
        ('{"metrics": {"http_req_duration": {"p(95)": NaN}}}', "NaN is not a number JSON allows"),
        ('{"metrics": {"http_req_duration": {"p(95)": 1e999}}}', "too large"),
        ('{"metrics": {"http_req_duration": {"p(95)": "fast"}}}', "'p(95)' is 'fast', not a number"),
        ('{"metrics": {"http_reqs": {"count": 3}}}', "missing: the run made no HTTP requests"),
        ("[1, 2, 3]", "no 'metrics' object"),
        ('{"metrics": ', "not valid JSON"),
        (
            '{"type":"Metric","data":{"type":"gauge"},"metric":"vus"}\n'
            '{"type":"Point","data":{"time":"2026-01-01T00:00:00Z","value":1},"metric":"vus"}\n',
            "per-point output (--out json)",
        ),
    ],
)
def test_k6_hostile_json(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "summary.json"
    path.write_text(text)
    assert expected in str(error_of(read_k6, EvidenceFile.at(path), EvidenceOptions()))


def test_k6_over_50_mb_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text('{"metrics": {}}')
    os.truncate(path, 60 * 2**20)
    assert "a k6 end-of-test summary is far smaller" in str(error_of(read_k6, EvidenceFile.at(path), EvidenceOptions()))


# --------------------------------------------------------------------------------------------
# Hostile files, for every adapter
# --------------------------------------------------------------------------------------------


def read_any(kind: str, path: Path) -> EvidenceSummary:
    file = EvidenceFile.at(path)
    if kind == "locust":
        return read_locust([file], EvidenceOptions())
    return read_jmeter(file, EvidenceOptions()) if kind == "jmeter" else read_k6(file, EvidenceOptions())


ADAPTERS = ["locust", "jmeter", "k6"]


@pytest.mark.parametrize("kind", ADAPTERS)
def test_a_2_gb_file_is_refused_by_the_size_cap(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.touch()
    os.truncate(path, 2 * 2**30)  # sparse: no disk used, and nothing may read it
    assert "larger than the 1,024 MB limit" in str(error_of(read_any, kind, path))


@pytest.mark.parametrize("kind", ADAPTERS)
def test_binary_bytes_and_workbooks_are_refused(kind: str, tmp_path: Path) -> None:
    binary = tmp_path / "results.csv"
    binary.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)) + b"\x00")
    assert "binary file" in str(error_of(read_any, kind, binary))
    workbook = tmp_path / "results.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["timeStamp", "elapsed", "success", "allThreads"])
    book.active.append([1767225600000, 12, True, 1])
    book.save(workbook)
    assert "Excel workbook" in str(error_of(read_any, kind, workbook))


def test_csv_that_is_not_a_locust_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("1795807681,20,,Aggregated,9.0\n1795807682,20,,Aggregated,9.0\n")
    where, what = where_and_what(error_of(read_any, "locust", path))
    assert where == "header" and "not a Locust CSV" in what


def test_locust_wrong_columns_name_the_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "run_stats_history.csv"
    path.write_text("Timestamp,User Count,Type,Name,Requests/s\n1795807681,0,,Aggregated,0\n")
    where, what = where_and_what(error_of(read_any, "locust", path))
    assert where == "header" and "no column for '95%'" in what and "'Total Request Count'" in what


# The child's own peak memory: tests.peak_memory says why not ru_maxrss.
BLANK_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from readiness.errors import InvalidInput
    from tests.peak_memory import own_peak_mb
    from readiness.evidence.base import EvidenceFile, EvidenceOptions
    from readiness.evidence.loadtest import read_jmeter, read_locust
    file = EvidenceFile.at(Path(sys.argv[2]))
    try:
        if sys.argv[1] == "locust":
            read_locust([file], EvidenceOptions())
        else:
            read_jmeter(file, EvidenceOptions())
        message = None
    except InvalidInput as error:
        message = str(error)
    print(json.dumps({"message": message, "peak_mb": own_peak_mb()}))
    """
)


@pytest.mark.parametrize(
    ("kind", "header", "expected"),
    [
        ("jmeter", "timeStamp,elapsed,success,allThreads\n", "no data rows"),
        ("jmeter", "", "no header row: the first 64 KB of the file are blank lines"),
        ("locust", "Timestamp,User Count,Type,Name,95%,Total Request Count,Total Failure Count\n", "no 'Aggregated'"),
    ],
)
def test_ten_million_blank_lines_are_no_data_in_bounded_memory(
    tmp_path: Path, kind: str, header: str, expected: str
) -> None:
    path = tmp_path / "blank.csv"
    with path.open("wb") as handle:
        handle.write(header.encode())
        handle.write(b"\n" * 10_000_000)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", BLANK_CHILD, kind, str(path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["message"] is not None and expected in result["message"]
    assert result["peak_mb"] < 400


def test_errors_are_one_line_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.jtl"
    path.write_text("timeStamp,elapsed,success,allThreads\n1767225600000,x,true,1\n")
    error = error_of(read_jmeter, EvidenceFile.at(path), EvidenceOptions())
    assert str(error) == "bad.jtl: row 2: elapsed is 'x', not a whole number"
    assert "Traceback" not in str(error) and "\n" not in str(error)
