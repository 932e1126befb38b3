"""Load-test results (Locust, Apache JMeter, k6) → p95 latency, error rate and load multiple at the tested peak.

Three metrics of the readiness model come out of a load test: ``scale.p95_latency_s`` (seconds),
``scale.error_rate_at_peak`` (percent, 0-100) and ``scale.load_test_multiple`` (×: the highest load
sustained ÷ the pilot's expected peak concurrent users, left out with a note when the pilot has none).

**Highest sustained load.** The highest concurrent-user level L such that the samples (or history rows)
taken while at least L users were active span at least SUSTAIN = min(30 s, 25 % of the run's duration).
"Span" is the time from the first to the last of those samples; the run's duration is the time from the
first to the last sample (or history row) of the whole file. The p95 latency and the error rate are
computed over those samples only, and L ÷ the expected peak is the load multiple.

- **Locust** (``--csv PREFIX``): the ``Aggregated`` rows of ``PREFIX_stats_history.csv`` are the samples
  (User Count, Unix-second Timestamp). p95 = the median of the history's 95% values (ms) over the rows at
  ≥ L users that had requests; error rate = Δ Total Failure Count ÷ Δ Total Request Count from the first
  to the last of those rows. With ``PREFIX_stats.csv`` alone, the ``Aggregated`` row gives the p95 and the
  error rate of the whole run, and the multiple is left out. Files are told apart by their header, not
  their name; ``_failures.csv`` and ``_exceptions.csv`` are accepted and ignored.
- **JMeter** (a JTL in CSV form with a header row): every row is a sample (``timeStamp`` in epoch ms or
  ``yyyy/MM/dd HH:mm:ss``, ``elapsed`` ms, ``success``, ``allThreads`` or else ``grpThreads``). The file
  is streamed through PyArrow's CSV reader, four columns at a time, never whole in memory. p95 = numpy's
  (linear) 95th percentile of ``elapsed`` at ≥ L threads; error rate = the share with ``success`` false.
- **k6** (the end-of-test summary, ``--summary-export`` or ``handleSummary``'s data): k6 aggregates the
  whole run, so p95 (``http_req_duration`` ``p(95)``) and error rate (``http_req_failed``) cover all
  requests, made with at most ``vus_max`` virtual users; the multiple is ``vus_max`` ÷ the expected peak.

Values are rounded to 6 decimals. An error names the row as a spreadsheet shows it (the header is row 1;
blank lines are not counted) and the column. Nothing here writes anywhere.
"""

from __future__ import annotations

import csv
import json
import math
import re
import statistics
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from readiness.errors import InvalidInput
from readiness.evidence.base import (
    Accumulator,
    EvidenceFile,
    EvidenceOptions,
    EvidenceSummary,
    MiB,
    Provenance,
    Reading,
    SourceFile,
    check_size,
    fingerprint,
    invalid,
    match_columns,
    normalise_header,
    require_text,
)
from readiness.jsonread import JsonRefused, unique_keys

P95 = "scale.p95_latency_s"
ERROR_RATE = "scale.error_rate_at_peak"
MULTIPLE = "scale.load_test_multiple"

SUSTAIN_MAX_S = 30.0
SUSTAIN_SHARE = 0.25
K6_MAX_BYTES = 50 * MiB
JTL_BLOCK_BYTES = 1 * MiB
# Epoch milliseconds from 2000 to 2100: anything else is not a JMeter timeStamp (seconds, or a typo).
EPOCH_MS_RANGE = (946_684_800_000, 4_102_444_800_000)
NO_PEAK_NOTE = (
    "The pilot has no expected peak concurrent users, so the load multiple (highest sustained load ÷ expected "
    "peak) cannot be computed: enter the expected peak to get it."
)


# --------------------------------------------------------------------------------------------
# Recognising the files
# --------------------------------------------------------------------------------------------

LOCUST_HEADERS = {
    "stats": ("type", "name", "requestcount"),
    "stats_old": ("method", "name", "requests"),
    "history": ("timestamp", "usercount"),
    "failures": ("method", "name", "error", "occurrences"),
    "exceptions": ("count", "message", "traceback", "nodes"),
}


def _first_line(head: bytes) -> str:
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _header_keys(line: str, delimiter: str = ",") -> list[str]:
    try:
        fields = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    return [normalise_header(f) for f in fields]


def _locust_kind(line: str) -> str | None:
    keys = _header_keys(line)
    for kind, expected in LOCUST_HEADERS.items():
        if tuple(keys[: len(expected)]) == expected:
            return "stats" if kind == "stats_old" else kind
    return None


def looks_like_locust(head: bytes, name: str) -> bool:
    """Whether the first bytes are a Locust CSV (stats, stats history, failures or exceptions)."""
    return _locust_kind(_first_line(head)) is not None


def _jmeter_delimiter(line: str) -> str | None:
    for delimiter in (",", ";", "\t", "|"):
        keys = _header_keys(line, delimiter)
        if "timestamp" in keys and "elapsed" in keys:
            return delimiter
    return None


def looks_like_jmeter(head: bytes, name: str) -> bool:
    """Whether the first bytes are a JMeter JTL: CSV with ``timeStamp`` and ``elapsed`` columns, or XML."""
    line = _first_line(head)
    if line.lstrip().startswith("<"):
        return b"<testResults" in head
    return _jmeter_delimiter(line) is not None


def looks_like_k6(head: bytes, name: str) -> bool:
    """Whether the first bytes are k6 JSON: the end-of-test summary, or k6's per-point output."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if not text.startswith("{"):
        return False
    if '"metrics"' in text and ('"root_group"' in text or '"http_req_duration"' in text or '"vus_max"' in text):
        return True
    return bool(re.match(r'\{\s*"(type|metric)"\s*:\s*"(Metric|Point|vus|http_req\w*)"', text))


# --------------------------------------------------------------------------------------------
# Shared: the highest sustained load, the readings, the words
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plateau:
    """The highest sustained load: ``users`` (L), held for ``held_s`` (the span of the samples at ≥ L),
    against ``sustain_s`` (min(30 s, 25 % of the run's ``duration_s``))."""

    users: int
    held_s: float
    sustain_s: float
    duration_s: float


def sustain_seconds(duration_s: float) -> float:
    """SUSTAIN: how long a load must be held to count, min(30 s, 25 % of the run)."""
    return min(SUSTAIN_MAX_S, SUSTAIN_SHARE * max(0.0, duration_s))


def highest_sustained(levels: np.ndarray, first: np.ndarray, last: np.ndarray, duration_s: float) -> Plateau:
    """The highest level L whose samples at ≥ L span at least SUSTAIN.

    ``levels`` are the distinct user counts seen, ascending; ``first`` and ``last`` the times (seconds) of
    the first and last sample taken at exactly that level. The span at ≥ L only grows as L falls, and at
    the lowest level it is the whole run, so an L always exists.
    """
    sustain = sustain_seconds(duration_s)
    order = np.argsort(levels)[::-1]
    spans = np.maximum.accumulate(last[order]) - np.minimum.accumulate(first[order])
    held = np.flatnonzero(spans >= sustain - 1e-9)
    index = int(held[0]) if held.size else len(order) - 1
    return Plateau(int(levels[order][index]), float(spans[index]), sustain, duration_s)


def level_spans(levels: np.ndarray, first: np.ndarray, last: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """The distinct ``levels`` (ascending) with the earliest ``first`` and the latest ``last`` time at each
    (``last`` defaults to ``first``: one time per sample). A load test's levels lie close together, so they
    index small arrays directly; levels spread wider are sorted and each run of equal levels reduced."""
    last = first if last is None else last
    low, high = int(levels.min()), int(levels.max())
    if high - low < 4 * levels.size + 1024:
        index = levels - low
        earliest = np.full(high - low + 1, np.iinfo(first.dtype).max if first.dtype.kind == "i" else np.inf)
        latest = np.full(high - low + 1, np.iinfo(last.dtype).min if last.dtype.kind == "i" else -np.inf)
        np.minimum.at(earliest, index, first)
        np.maximum.at(latest, index, last)
        seen = np.flatnonzero(np.bincount(index, minlength=high - low + 1))
        return seen + low, earliest[seen].astype(first.dtype), latest[seen].astype(last.dtype)
    order = np.argsort(levels, kind="stable")
    sorted_levels = levels[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(sorted_levels)) + 1))
    return (
        sorted_levels[starts],
        np.minimum.reduceat(first[order], starts),
        np.maximum.reduceat(last[order], starts),
    )


def duration_words(seconds: float) -> str:
    """``2 h 5 min``, ``2 min 10 s``, ``45 s``, ``1.5 s``."""
    if seconds < 10:
        return f"{seconds:.3g} s"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _users(n: int) -> str:
    return f"{n:,} user{'s' if n != 1 else ''}"


def _r6(value: float) -> float:
    return round(float(value), 6)


def _reading(metric_id: str, value: float, method: str) -> Reading:
    """A reading; the method cut to 500 characters (column names in it come from the file)."""
    return Reading(metric_id=metric_id, value=value, method=method if len(method) <= 500 else method[:499] + "…")


def _multiple(
    users: int, options: EvidenceOptions, how: str, notes: list[str], tool_unit: str = "users"
) -> Reading | None:
    """L ÷ the expected peak, or None and a note when the pilot has no expected peak."""
    peak = options.peak_concurrent_users
    if not peak:
        notes.append(NO_PEAK_NOTE)
        return None
    method = f"{users:,} {tool_unit} {how} ÷ {peak:,} expected peak concurrent users"
    return _reading(metric_id=MULTIPLE, value=_r6(users / peak), method=method)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _clock(seconds: float) -> str:
    return _utc(seconds).strftime("%Y-%m-%d %H:%M:%S UTC")


def _summary(
    kind: str,
    files: list[SourceFile],
    tool: str,
    count: int,
    readings: list[Reading | None],
    columns: dict[str, str] | None = None,
    notes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> EvidenceSummary:
    provenance = Provenance(
        kind=kind,  # type: ignore[arg-type]
        files=tuple(files),
        tool=tool,
        tool_version=None,
        period_start=start,
        period_end=end,
        count=count,
        count_unit="requests",
    )
    return EvidenceSummary(
        provenance=provenance,
        readings=tuple(r for r in readings if r is not None),
        columns=columns or {},
        notes=tuple(notes or ()),
    )


# --------------------------------------------------------------------------------------------
# Locust
# --------------------------------------------------------------------------------------------

STATS_WANTED = {
    "name": ["Name"],
    "requests": ["Request Count", "# requests", "Requests"],
    "failures": ["Failure Count", "# failures", "Failures"],
    "p95": ["95%"],
}
HISTORY_WANTED = {
    "timestamp": ["Timestamp"],
    "users": ["User Count", "Users"],
    "name": ["Name"],
    "p95": ["95%"],
    "requests": ["Total Request Count", "Total Requests", "# requests"],
    "failures": ["Total Failure Count", "Total Failures", "# failures"],
}
AGGREGATED = {"aggregated", "total"}


def _csv_rows(file: EvidenceFile) -> Iterator[tuple[int, list[str]]]:
    """The records of a small CSV, numbered as a spreadsheet shows them (the header is row 1), blank
    lines skipped; :class:`InvalidInput` if it is not UTF-8 text or not CSV."""
    row = 0
    try:
        with file.path.open(encoding="utf-8-sig", newline="") as handle:
            for fields in csv.reader(handle):
                if not fields or not any(f.strip() for f in fields):
                    continue
                row += 1
                yield row, fields
    except UnicodeDecodeError as error:
        raise invalid(file, f"row {row + 1:,}", "the file is not UTF-8 text") from error
    except csv.Error as error:
        raise invalid(file, f"row {row + 1:,}", f"not a CSV record: {error}") from error


def _number(file: EvidenceFile, row: int, column: str, text: str, kind: type = float) -> float | None:
    """A cell's number; None for Locust's ``N/A``; :class:`InvalidInput` naming the row and column else."""
    value = text.strip()
    if value.upper() in ("N/A", ""):
        return None
    try:
        number = kind(value) if kind is int else float(value)
    except ValueError:
        raise invalid(file, f"row {row:,}", f"{column} is {value[:40]!r}, not a number") from None
    if not math.isfinite(number) or number < 0:
        raise invalid(file, f"row {row:,}", f"{column} is {value[:40]!r}, not a number of 0 or more")
    return number


@dataclass
class _LocustFile:
    file: EvidenceFile
    kind: str
    header: list[str]


def _classify_locust(file: EvidenceFile) -> _LocustFile:
    check_size(file)
    head = require_text(file, "a Locust CSV file")
    line = _first_line(head)
    kind = _locust_kind(line)
    if kind is None:
        shown = line[:160] or "nothing but blank lines"
        raise invalid(
            file,
            "header",
            "not a Locust CSV: expected the header of PREFIX_stats.csv (Type,Name,Request Count,...) or "
            f"PREFIX_stats_history.csv (Timestamp,User Count,...); the first line is {shown!r}",
        )
    return _LocustFile(file, kind, next(csv.reader([line.lstrip("\ufeff")])))


def read_locust(files: list[EvidenceFile], options: EvidenceOptions) -> EvidenceSummary:
    """Summarise Locust's ``--csv`` output: the stats history (for the highest sustained load) and/or
    the stats file; failures and exceptions files are accepted and ignored."""
    if not files:
        raise invalid("Locust", "", "no files: give PREFIX_stats_history.csv and PREFIX_stats.csv")
    by_kind: dict[str, _LocustFile] = {}
    for file in files:
        found = _classify_locust(file)
        if found.kind in ("stats", "history") and found.kind in by_kind:
            what = "stats history" if found.kind == "history" else "stats"
            other = by_kind[found.kind].file.name
            raise invalid(file, "", f"two Locust {what} files ({other} and {file.name}): give the files of one run")
        by_kind.setdefault(found.kind, found)
    stats, history = by_kind.get("stats"), by_kind.get("history")
    sources = [fingerprint(f.file) for f in (history, stats) if f is not None]
    if history is None:
        if stats is None:
            raise invalid(files[0], "", "no Locust stats file: give PREFIX_stats_history.csv and PREFIX_stats.csv")
        return _locust_whole_run(stats, _locust_stats(stats), sources)
    total = _locust_stats(stats) if stats is not None else None
    return _locust_history(history, total, sources, options)


@dataclass(frozen=True)
class _StatsTotal:
    requests: int
    failures: int
    p95_ms: float | None
    columns: dict[str, str]


def _locust_stats(stats: _LocustFile) -> _StatsTotal:
    file = stats.file
    columns = match_columns(file, stats.header, STATS_WANTED)
    index = {role: stats.header.index(col) for role, col in columns.items()}
    for row, fields in _csv_rows(file):
        if row == 1 or len(fields) <= max(index.values()):
            continue
        if fields[index["name"]].strip().lower() in AGGREGATED:
            requests = _number(file, row, columns["requests"], fields[index["requests"]], int)
            failures = _number(file, row, columns["failures"], fields[index["failures"]], int)
            p95 = _number(file, row, columns["p95"], fields[index["p95"]])
            return _StatsTotal(int(requests or 0), int(failures or 0), p95, columns)
    raise invalid(file, "", "no 'Aggregated' row: Locust writes one at the end of PREFIX_stats.csv")


def _locust_whole_run(stats: _LocustFile, total: _StatsTotal, sources: list[SourceFile]) -> EvidenceSummary:
    file = stats.file
    if total.requests == 0 or total.p95_ms is None:
        raise invalid(file, "Aggregated row", "the run made no requests, so there is no latency or error rate")
    cols = total.columns
    rate = 100 * total.failures / total.requests
    readings = [
        _reading(
            metric_id=P95,
            value=_r6(total.p95_ms / 1000),
            method=f"Locust's 95th percentile ({cols['p95']}) of all {total.requests:,} requests of the run "
            "(Aggregated row)",
        ),
        _reading(
            metric_id=ERROR_RATE,
            value=_r6(rate),
            method=f"{total.failures:,} failures of all {total.requests:,} requests of the run (Aggregated row)",
        ),
    ]
    notes = [
        "Without the stats history (PREFIX_stats_history.csv) the p95 and the error rate cover the whole run, "
        "ramp-up included, not the highest sustained load, and the load multiple is left out: give the history "
        "file too."
    ]
    return _summary("locust", sources, "Locust", total.requests, readings, cols, notes)


def _locust_history(
    history: _LocustFile, total: _StatsTotal | None, sources: list[SourceFile], options: EvidenceOptions
) -> EvidenceSummary:
    file = history.file
    columns = match_columns(file, history.header, HISTORY_WANTED)
    index = {role: history.header.index(col) for role, col in columns.items()}
    width = max(index.values())
    stamps: list[float] = []
    users: list[int] = []
    p95s: list[float | None] = []
    requests: list[int] = []
    failures: list[int] = []
    full_history = False
    counter = Accumulator(file)
    for row, fields in _csv_rows(file):
        if row == 1:
            continue
        counter.add(1)
        if len(fields) <= width:
            raise invalid(file, f"row {row:,}", f"{len(fields)} fields, fewer than the header's {len(history.header)}")
        if fields[index["name"]].strip().lower() not in AGGREGATED:
            full_history = True
            continue
        stamp = _number(file, row, columns["timestamp"], fields[index["timestamp"]])
        count = _number(file, row, columns["users"], fields[index["users"]], int)
        if stamp is None or count is None:
            raise invalid(file, f"row {row:,}", f"{columns['timestamp']} and {columns['users']} must be numbers")
        stamps.append(stamp)
        users.append(int(count))
        p95s.append(_number(file, row, columns["p95"], fields[index["p95"]]))
        requests.append(int(_number(file, row, columns["requests"], fields[index["requests"]], int) or 0))
        failures.append(int(_number(file, row, columns["failures"], fields[index["failures"]], int) or 0))
    if not stamps:
        raise invalid(file, "", "no 'Aggregated' rows: the stats history is empty")
    if min(stamps) < EPOCH_MS_RANGE[0] / 1000 or max(stamps) > EPOCH_MS_RANGE[1] / 1000:
        raise invalid(file, "", f"{columns['timestamp']} is not Unix time in seconds (from 2000 to 2100)")
    if max(users) <= 0:
        raise invalid(file, "", f"{columns['users']} is 0 in every row: no users ever ran")

    t = np.asarray(stamps, dtype=float)
    u = np.asarray(users, dtype=np.int64)
    levels, first, last = level_spans(u, t)
    plateau = highest_sustained(levels, first, last, float(t.max() - t.min()))
    at_peak = np.flatnonzero(u >= plateau.users)
    held = duration_words(plateau.held_s)
    notes: list[str] = []
    while_at = f"while at least {_users(plateau.users)} were active (held {held})"

    windowed = [p95s[i] for i in at_peak if p95s[i]]
    p95_reading = None
    if windowed:
        what = "each over the last 10 s" if full_history else "each over the run so far"
        p95_reading = _reading(
            metric_id=P95,
            value=_r6(statistics.median(windowed) / 1000),
            method=f"median of the {len(windowed):,} per-second 95% values ({what}) in the stats history {while_at}",
        )
    else:
        notes.append(f"No history row {while_at} had requests, so the p95 latency is left out.")
    if not full_history:
        notes.append(
            "The stats history was written without --csv-full-history, so each row's 95% covers the run so far "
            "(ramp-up included), not the last 10 s: rerun Locust with --csv-full-history for the p95 at peak."
        )

    i, j = int(at_peak[0]), int(at_peak[-1])
    delta_requests, delta_failures = requests[j] - requests[i], failures[j] - failures[i]
    error_reading = None
    if delta_requests > 0 and delta_failures >= 0:
        error_reading = _reading(
            metric_id=ERROR_RATE,
            value=_r6(100 * delta_failures / delta_requests),
            method=(
                f"{delta_failures:,} failures of the {delta_requests:,} requests from {_clock(t[i])} to "
                f"{_clock(t[j])} {while_at} (change in {columns['failures']} ÷ change in {columns['requests']})"
            ),
        )
    else:
        notes.append(f"No requests completed {while_at} by the history's totals, so the error rate is left out.")
    multiple = _multiple(plateau.users, options, f"held for {held}", notes)
    count = total.requests if total is not None else requests[-1]
    return _summary(
        "locust",
        sources,
        "Locust",
        count,
        [p95_reading, error_reading, multiple],
        columns,
        notes,
        _utc(float(t.min())),
        _utc(float(t.max())),
    )


# --------------------------------------------------------------------------------------------
# JMeter
# --------------------------------------------------------------------------------------------

JTL_WANTED = {
    "timestamp": ["timeStamp"],
    "elapsed": ["elapsed"],
    "success": ["success"],
    "threads": ["allThreads", "grpThreads"],
}
TEXT_TIMESTAMP = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$")
ARROW_ROW = re.compile(r"Row #(\d+)")
ARROW_COLUMN = re.compile(r"In CSV column #(\d+)")
ARROW_VALUE = re.compile(r"invalid value '(.*)'")


def _jtl_header(file: EvidenceFile, head: bytes) -> tuple[str, list[str], list[str] | None]:
    """The delimiter, the header fields and the first data row's fields (if within the first bytes)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise invalid(file, "header", "no header row: the first 64 KB of the file are blank lines")
    first = lines[0]
    if first.lstrip().startswith("<"):
        raise invalid(
            file,
            "",
            "this is a JTL in XML form: save the results as CSV (jmeter.save.saveservice.output_format=csv, "
            "or -Jjmeter.save.saveservice.output_format=csv on the command line)",
        )
    delimiter = _jmeter_delimiter(first)
    if delimiter is None:
        fields = first.split(",")
        if fields and re.fullmatch(r"\d{10,13}", fields[0].strip()):
            raise invalid(
                file,
                "header",
                f"no header row: the first line is a sample ({first[:80]!r}); JMeter writes the column names when "
                "jmeter.save.saveservice.print_field_names=true",
            )
        delimiter = ","
    header = next(csv.reader([first], delimiter=delimiter))
    data = None
    if len(lines) > 1 and len(text) > len(first):
        try:
            data = next(csv.reader([lines[1]], delimiter=delimiter))
        except (csv.Error, StopIteration):
            data = None
    return delimiter, header, data


def _timestamp_type(file: EvidenceFile, column: str, header: list[str], data: list[str] | None) -> str:
    """``"ms"`` (epoch milliseconds) or ``"text"`` (yyyy/MM/dd HH:mm:ss), from the first data row."""
    if data is None or header.index(column) >= len(data):
        return "ms"
    value = data[header.index(column)].strip()
    if re.fullmatch(r"-?\d+", value):
        return "ms"
    if TEXT_TIMESTAMP.match(value):
        return "text"
    raise invalid(
        file,
        "row 2",
        f"{column} is {value[:40]!r}: expected epoch milliseconds (JMeter's default) or yyyy/MM/dd HH:mm:ss; "
        "set jmeter.save.saveservice.timestamp_format=ms",
    )


@dataclass
class _JtlTotals:
    """What one pass over a JTL keeps: per batch, ``elapsed``, ``threads`` and ``success``; the first and
    last time (ms) of each thread level; and the run's first start and last end."""

    elapsed: list[np.ndarray]
    threads: list[np.ndarray]
    success: list[np.ndarray]
    levels: list[np.ndarray]
    first: list[np.ndarray]
    last: list[np.ndarray]
    start_ms: int
    end_ms: int
    last_stamp_ms: int


def _arrow_error(file: EvidenceFile, error: Exception, header: list[str]) -> InvalidInput:
    """PyArrow's complaint about a CSV, as the row and column (named) and what is wrong with it."""
    message = str(error)
    row = ARROW_ROW.search(message)
    where = f"row {int(row.group(1)):,}" if row else ""
    columns = re.search(r"Expected (\d+) columns, got (\d+)", message)
    if columns:
        return invalid(
            file,
            where,
            f"{columns.group(2)} fields where the header has {columns.group(1)} (a field holding the delimiter "
            "or a line break without quotes?)",
        )
    column = ARROW_COLUMN.search(message)
    value = ARROW_VALUE.search(message)
    if column is None or value is None:
        return invalid(file, where, f"not a readable CSV: {message.splitlines()[0][:200]}")
    index = int(column.group(1))
    name = header[index] if index < len(header) else f"column {index + 1}"
    expected = {"success": "true or false", "timestamp": "a time (epoch milliseconds or yyyy/MM/dd HH:mm:ss)"}
    role = normalise_header(name)
    kind = "success" if role == "success" else "timestamp" if role == "timestamp" else ""
    shown = repr(value.group(1)[:40]) if value.group(1) else "empty"
    return invalid(file, where, f"{name} is {shown}, not {expected.get(kind, 'a whole number')}")


def read_jmeter(file: EvidenceFile, options: EvidenceOptions) -> EvidenceSummary:
    """Summarise a JMeter JTL (CSV with a header row), streamed: the highest sustained thread count, and
    the p95 latency and error rate of the samples taken at it."""
    check_size(file)
    head = require_text(file, "a JMeter JTL (CSV) file")
    delimiter, header, data = _jtl_header(file, head)
    columns = match_columns(file, header, JTL_WANTED)
    for role, column in columns.items():
        if header.count(column) > 1:
            raise invalid(file, "header", f"the column {column!r} ({role}) appears twice")
    stamp_kind = _timestamp_type(file, columns["timestamp"], header, data)
    # The SHA-256 is computed on another thread while PyArrow parses (hashlib releases the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(fingerprint, file)
        try:
            totals = _read_jtl(file, delimiter, columns, stamp_kind, use_threads=True)
        except pa.ArrowInvalid as error:
            if ARROW_ROW.search(str(error)):
                raise _arrow_error(file, error, header) from None
            # PyArrow names the row of a bad value only when it reads on one thread: read again to find it.
            try:
                _read_jtl(file, delimiter, columns, stamp_kind, use_threads=False)
            except pa.ArrowInvalid as again:
                raise _arrow_error(file, again, header) from None
            raise _arrow_error(file, error, header) from None
        source = hashing.result()
    return _jmeter_summary(file, source, totals, columns, stamp_kind, options)


def _read_jtl(
    file: EvidenceFile, delimiter: str, columns: dict[str, str], stamp_kind: str, use_threads: bool
) -> _JtlTotals:
    """One streaming pass (PyArrow's ``open_csv``, four columns converted, 1 MB blocks); PyArrow's
    ``ArrowInvalid`` (a bad value, a row with too many fields) is left to the caller."""
    stamp_type = pa.int64() if stamp_kind == "ms" else pa.timestamp("ms")
    names = [columns["timestamp"], columns["elapsed"], columns["success"], columns["threads"]]
    convert = pacsv.ConvertOptions(
        include_columns=names,
        column_types={names[0]: stamp_type, names[1]: pa.int64(), names[2]: pa.bool_(), names[3]: pa.int64()},
        true_values=["true", "TRUE", "True"],
        false_values=["false", "FALSE", "False"],
        null_values=[],
        strings_can_be_null=False,
        timestamp_parsers=["%Y/%m/%d %H:%M:%S"] if stamp_kind == "text" else None,
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    read = pacsv.ReadOptions(block_size=JTL_BLOCK_BYTES, use_threads=use_threads)
    totals = _JtlTotals([], [], [], [], [], [], 2**62, -(2**62), 0)
    counter = Accumulator(file)
    reader = pacsv.open_csv(file.path, read_options=read, parse_options=parse, convert_options=convert)
    batch_names = list(reader.schema.names)
    for batch in reader:
        rows_before = counter.rows
        counter.add(batch.num_rows)
        if batch.num_rows:
            _add_batch(file, batch, batch_names, columns, totals, rows_before)
    if counter.rows == 0:
        raise invalid(file, "", "no data rows: the file has a header and nothing else")
    return totals


def _int64s(array: pa.Array) -> np.ndarray:
    """An int64 (or timestamp) column without nulls as a numpy view of its buffer (``to_numpy`` would import
    pandas, half a second and tens of MB, on its first call)."""
    if array.null_count:
        raise ValueError("unexpected nulls")  # null_values=[]: PyArrow refuses an empty value instead
    return np.frombuffer(array.buffers()[1], dtype=np.int64, count=len(array), offset=array.offset * 8)


def _bools(array: pa.Array) -> np.ndarray:
    """A boolean column without nulls as a numpy bool array (its bits unpacked)."""
    if array.null_count:
        raise ValueError("unexpected nulls")
    bits = np.unpackbits(np.frombuffer(array.buffers()[1], dtype=np.uint8), bitorder="little")
    return bits[array.offset : array.offset + len(array)].view(bool)


def _add_batch(
    file: EvidenceFile,
    batch: Any,
    names: list[str],
    columns: dict[str, str],
    totals: _JtlTotals,
    rows_before: int,
) -> None:
    stamps_ms = _int64s(batch.column(names.index(columns["timestamp"])))
    elapsed = _int64s(batch.column(names.index(columns["elapsed"])))
    success = _bools(batch.column(names.index(columns["success"])))
    threads = _int64s(batch.column(names.index(columns["threads"])))
    for column, values in ((columns["elapsed"], elapsed), (columns["threads"], threads)):
        if values.min() < 0:
            bad = int(np.flatnonzero(values < 0)[0])
            raise invalid(file, f"row {rows_before + bad + 2:,}", f"{column} is {int(values[bad])}, below 0")
    low, high = int(stamps_ms.min()), int(stamps_ms.max())
    if low < EPOCH_MS_RANGE[0] or high > EPOCH_MS_RANGE[1]:
        bad = int(np.flatnonzero((stamps_ms < EPOCH_MS_RANGE[0]) | (stamps_ms > EPOCH_MS_RANGE[1]))[0])
        raise invalid(
            file,
            f"row {rows_before + bad + 2:,}",
            f"{columns['timestamp']} is {int(stamps_ms[bad])}, not epoch milliseconds from 2000 to 2100",
        )
    totals.start_ms = min(totals.start_ms, low)
    totals.last_stamp_ms = max(totals.last_stamp_ms, high)
    totals.end_ms = max(totals.end_ms, int((stamps_ms + elapsed).max()))
    levels, first, last = level_spans(threads, stamps_ms)
    totals.levels.append(levels)
    totals.first.append(first)
    totals.last.append(last)
    totals.elapsed.append(elapsed)
    totals.threads.append(threads.astype(np.int32) if threads.max() < 2**31 else threads)
    totals.success.append(success)


def _jmeter_summary(
    file: EvidenceFile,
    source: SourceFile,
    totals: _JtlTotals,
    columns: dict[str, str],
    stamp_kind: str,
    options: EvidenceOptions,
) -> EvidenceSummary:
    levels, first, last = level_spans(
        np.concatenate(totals.levels), np.concatenate(totals.first), np.concatenate(totals.last)
    )
    if int(levels.max()) <= 0:
        raise invalid(file, "", f"{columns['threads']} is 0 in every row: the file does not say how many threads ran")
    duration_s = (totals.last_stamp_ms - totals.start_ms) / 1000
    plateau = highest_sustained(levels, first / 1000, last / 1000, duration_s)
    chosen = [e[t >= plateau.users] for e, t in zip(totals.elapsed, totals.threads, strict=True)]
    failed = sum(
        int(np.count_nonzero(~s[t >= plateau.users])) for s, t in zip(totals.success, totals.threads, strict=True)
    )
    at_peak = np.concatenate(chosen)
    samples = int(at_peak.size)
    count = sum(int(e.size) for e in totals.elapsed)
    thread_word = "threads" if plateau.users != 1 else "thread"
    held = duration_words(plateau.held_s)
    while_at = f"while at least {plateau.users:,} {thread_word} ({columns['threads']}) were active (held {held})"
    notes: list[str] = []
    if normalise_header(columns["threads"]) != "allthreads":
        notes.append(
            f"The file has no allThreads column: the load is counted by {columns['threads']} (one thread group), "
            "which understates it when several thread groups ran at once."
        )
    if stamp_kind != "ms":
        notes.append(f"{columns['timestamp']} is written as text without a time zone: it is taken as UTC.")
    readings = [
        _reading(
            metric_id=P95,
            value=_r6(np.percentile(at_peak, 95) / 1000),
            method=f"95th percentile of {columns['elapsed']} over {samples:,} samples {while_at}",
        ),
        _reading(
            metric_id=ERROR_RATE,
            value=_r6(100 * failed / samples),
            method=f"{failed:,} of {samples:,} samples with {columns['success']}=false {while_at}",
        ),
        _multiple(plateau.users, options, f"held for {held}", notes, tool_unit=thread_word),
    ]
    return _summary(
        "jmeter",
        [source],
        "Apache JMeter",
        count,
        readings,
        columns,
        notes,
        _utc(totals.start_ms / 1000),
        _utc(totals.end_ms / 1000),
    )


# --------------------------------------------------------------------------------------------
# k6
# --------------------------------------------------------------------------------------------


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:40]} is too large")
    return value


def _no_constant(text: str) -> float:
    raise JsonRefused(f"{text} is not a number JSON allows")


def _load_k6(file: EvidenceFile) -> Any:
    size = check_size(file)
    if size > K6_MAX_BYTES:
        raise invalid(
            file,
            "",
            f"the file is {size / MiB:,.0f} MB: a k6 end-of-test summary is far smaller "
            f"(the limit is {K6_MAX_BYTES // MiB} MB)",
        )
    require_text(file, "a k6 summary (JSON) file")
    raw = file.path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise invalid(file, "", "the file is not UTF-8 text") from error
    try:
        return json.loads(text, object_pairs_hook=unique_keys, parse_float=_finite_float, parse_constant=_no_constant)
    except JsonRefused as error:
        raise invalid(file, "", str(error)) from None
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and _is_k6_points(text):
            raise invalid(
                file,
                "",
                "this is k6's per-point output (--out json), not the end-of-test summary: export the summary with "
                "--summary-export=summary.json (or handleSummary)",
            ) from None
        raise invalid(file, f"line {error.lineno}, column {error.colno}", f"not valid JSON: {error.msg}") from None
    except RecursionError:
        raise invalid(file, "", "the JSON is nested too deeply") from None


def _is_k6_points(text: str) -> bool:
    line = text.lstrip().split("\n", 1)[0]
    try:
        first = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return False
    return isinstance(first, dict) and first.get("type") in ("Metric", "Point")


def _k6_number(file: EvidenceFile, where: str, values: dict[str, Any], key: str) -> float | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(file, where, f"{key!r} is {str(value)[:40]!r}, not a number")
    if value < 0:
        raise invalid(file, where, f"{key!r} is {value}, below 0")
    return float(value)


def _k6_values(file: EvidenceFile, metrics: dict[str, Any], name: str) -> tuple[dict[str, Any], str] | None:
    """A metric's values (either form) and where they are, or None if the summary has no such metric."""
    metric = metrics.get(name)
    if metric is None:
        return None
    if not isinstance(metric, dict):
        raise invalid(file, f"metrics.{name}", "expected an object")
    if isinstance(metric.get("values"), dict):
        return metric["values"], f"metrics.{name}.values"
    return metric, f"metrics.{name}"


def read_k6(file: EvidenceFile, options: EvidenceOptions) -> EvidenceSummary:
    """Summarise k6's end-of-test summary (``--summary-export`` or ``handleSummary``'s data): it covers the
    whole run, made with at most ``vus_max`` virtual users."""
    source = fingerprint(file)
    data = _load_k6(file)
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise invalid(
            file,
            "metrics",
            "no 'metrics' object: this is not k6's end-of-test summary (--summary-export or handleSummary)",
        )
    metrics: dict[str, Any] = data["metrics"]
    duration = _k6_values(file, metrics, "http_req_duration")
    if duration is None:
        raise invalid(file, "metrics.http_req_duration", "missing: the run made no HTTP requests (or this is not k6)")
    values, where = duration
    p95 = _k6_number(file, where, values, "p(95)")
    if p95 is None:
        stats = ", ".join(k for k in values if k != "thresholds") or "none"
        raise invalid(
            file,
            "metrics.http_req_duration",
            f"no p(95) (the summary has {stats}): add p(95) to the trend stats, e.g. "
            "--summary-trend-stats=avg,min,med,max,p(90),p(95)",
        )
    notes: list[str] = []
    requests = None
    reqs = _k6_values(file, metrics, "http_reqs")
    if reqs is not None:
        requests = _k6_number(file, reqs[1], reqs[0], "count")
    failed_reading = None
    failed = _k6_values(file, metrics, "http_req_failed")
    vus_max = None
    vus = _k6_values(file, metrics, "vus_max")
    if vus is not None:
        vus_max = _k6_number(file, vus[1], vus[0], "max")
        if vus_max is None:
            vus_max = _k6_number(file, vus[1], vus[0], "value")
    at_most = f", with at most {int(vus_max):,} VUs" if vus_max is not None else ""
    state = data.get("state") if isinstance(data.get("state"), dict) else {}
    run_ms = state.get("testRunDurationMs") if state else None
    over = (
        f" in the {duration_words(run_ms / 1000)} run"
        if isinstance(run_ms, int | float) and not isinstance(run_ms, bool) and run_ms > 0
        else " in the run"
    )
    if failed is not None:
        fvalues, fwhere = failed
        rate = _k6_number(file, fwhere, fvalues, "rate")
        if rate is None:
            rate = _k6_number(file, fwhere, fvalues, "value")
        passes = _k6_number(file, fwhere, fvalues, "passes")
        fails = _k6_number(file, fwhere, fvalues, "fails")
        if rate is None and passes is not None and fails is not None and passes + fails > 0:
            rate = passes / (passes + fails)
        if rate is not None:
            if rate > 1:
                raise invalid(file, fwhere, f"the rate is {rate}, above 1")
            if requests is None and passes is not None and fails is not None:
                requests = passes + fails
            # k6 counts a failed request as a "pass" of http_req_failed (the rate of true values).
            if passes is not None and requests is not None:
                how = f"{int(passes):,} of {int(requests):,} requests failed (http_req_failed){over}{at_most}"
            else:
                how = f"http_req_failed rate over all requests{over}{at_most}"
            failed_reading = _reading(metric_id=ERROR_RATE, value=_r6(100 * rate), method=how)
    if failed_reading is None:
        notes.append("The summary has no http_req_failed rate (k6 before v0.31), so the error rate is left out.")
    count_words = f"{int(requests):,}" if requests is not None else "the"
    p95_reading = _reading(
        metric_id=P95,
        value=_r6(p95 / 1000),
        method=f"k6's p(95) of http_req_duration over all {count_words} requests{over}{at_most}",
    )
    notes.append(
        "k6's summary aggregates the whole run: the p95 and the error rate cover all requests, ramp-up included, "
        f"made with at most {int(vus_max):,} virtual users (vus_max)."
        if vus_max is not None
        else "k6's summary aggregates the whole run: the p95 and the error rate cover all requests, ramp-up included."
    )
    multiple = None
    if vus_max is None:
        notes.append("The summary has no vus_max metric, so the load multiple is left out.")
    else:
        active = _k6_values(file, metrics, "vus")
        most_active = _k6_number(file, active[1], active[0], "max") if active is not None else None
        if most_active is not None and most_active < vus_max:
            notes.append(
                f"k6 allocated {int(vus_max):,} VUs (vus_max) but at most {int(most_active):,} were active at once "
                "(vus max): the load multiple counts vus_max."
            )
        multiple = _multiple(int(vus_max), options, "(k6 vus_max)", notes, tool_unit="VUs")
    return _summary(
        "k6",
        [source],
        "k6",
        int(requests or 0),
        [p95_reading, failed_reading, multiple],
        {},
        notes,
    )


__all__ = [
    "Plateau",
    "highest_sustained",
    "looks_like_jmeter",
    "looks_like_k6",
    "looks_like_locust",
    "read_jmeter",
    "read_k6",
    "read_locust",
    "sustain_seconds",
]
