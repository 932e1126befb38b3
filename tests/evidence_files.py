"""JMeter results for the evidence tests and the benchmark, written to JMeter's documented CSV format.

``write_jtl`` writes a JTL in CSV form (JMeter 5's default columns, a header row, fields quoted only when
needed) for a deterministic run: the active threads ramp up to ``max_threads``, hold, and ramp down;
response times grow with the load and a few requests fail with a 500. It is vectorized: each chunk's lines
are joined by PyArrow's string kernels and written as they are, so the benchmark's 5,000,000 rows take
seconds. (Debian's ``jmeter`` package, 2.13, cannot run a test plan with the XStream it ships with, so
the tests do not run JMeter itself.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

JTL_COLUMNS = (
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Latency",
    "IdleTime",
    "Connect",
)
PATHS = ("/items", "/items/{id}", "/orders", "/health")
LABELS = pa.array(["GET /items", "GET /items/{id}", "POST /orders", "GET /health"])
URLS = pa.array([f"http://sut{path}" for path in PATHS])
# A failure message with a comma, quotes and a line break is written quoted, its quotes doubled (RFC 4180).
FAILURES = pa.array(["", "The operation lasted too long", '"Test failed: text expected /""ok"", got\nline 2"'])
JTL_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def jtl_threads(position: np.ndarray, max_threads: int) -> np.ndarray:
    """Active threads at ``position`` (0..1 of the run): ramp up over 40 %, hold for 50 %, ramp down over 10 %."""
    up = np.clip(position / 0.4, 0, 1)
    down = np.clip((1 - position) / 0.1, 0, 1)
    return np.maximum(1, np.round(max_threads * np.minimum(up, down))).astype(np.int64)


def write_jtl(
    path: Path,
    rows: int,
    seed: int = 7,
    max_threads: int = 200,
    duration_s: float = 600.0,
    failure_share: float = 0.02,
    columns: tuple[str, ...] = JTL_COLUMNS,
    chunk: int = 500_000,
    messy_messages: bool = True,
) -> Path:
    """Write a JMeter CSV JTL of ``rows`` samples over ``duration_s`` seconds; returns ``path``.

    ``columns`` picks (and orders) the columns written. With ``messy_messages`` some failure messages hold
    a comma, double quotes and a line break, as JMeter writes assertion failures (quoted, per RFC 4180);
    every other field is written bare, as JMeter does.
    """
    rng = np.random.default_rng(seed)
    with path.open("wb") as sink:
        sink.write((",".join(columns) + "\n").encode())
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            fields = _jtl_chunk(rng, start, n, rows, max_threads, duration_s, failure_share, messy_messages)
            strings = [pc.cast(fields[c], pa.string()) if fields[c].type != pa.string() else fields[c] for c in columns]
            lines = pc.binary_join_element_wise(*strings, ",")
            sink.write(_string_bytes(pc.binary_join_element_wise(lines, "", "\n")))  # each line, then "\n"
    return path


def _string_bytes(array: pa.Array) -> memoryview:
    """The characters of a string array, back to back (its data buffer between the first and last offset)."""
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset : array.offset + len(array) + 1]
    return memoryview(array.buffers()[2])[offsets[0] : offsets[-1]]


def _jtl_chunk(
    rng: np.random.Generator,
    start: int,
    n: int,
    rows: int,
    max_threads: int,
    duration_s: float,
    failure_share: float,
    messy: bool,
) -> dict[str, pa.Array]:
    position = (np.arange(start, start + n) + rng.random(n)) / rows
    threads = jtl_threads(position, max_threads)
    # Samples end in completion order, which is not quite start order: a little jitter on the timestamps.
    stamp = JTL_START_MS + np.round(position * duration_s * 1000 + rng.normal(0, 40, n)).astype(np.int64)
    load = threads / max_threads
    elapsed = np.round(rng.lognormal(np.log(40 + 160 * load), 0.45, n)).astype(np.int64) + 1
    failed = rng.random(n) < failure_share * (0.5 + load)
    thread_no = (rng.integers(0, 1 << 30, n) % threads) + 1
    label_idx = rng.integers(0, len(LABELS), n)
    failure = failed.astype(np.int8)
    if messy:
        failure[failed & (rng.random(n) < 0.3)] = 2
    thread_names = pc.binary_join_element_wise("Thread Group 1-", pc.cast(pa.array(thread_no), pa.string()), "")
    outcome = pa.array(failed.astype(np.int8))
    return {
        "timeStamp": pa.array(stamp),
        "elapsed": pa.array(elapsed),
        "label": LABELS.take(label_idx),
        "responseCode": pa.array(["200", "500"]).take(outcome),
        "responseMessage": pa.array(["OK", "Internal Server Error"]).take(outcome),
        "threadName": thread_names,
        "dataType": pa.array(["text"]).take(np.zeros(n, dtype=np.int8)),
        "success": pa.array(["true", "false"]).take(outcome),
        "failureMessage": FAILURES.take(failure),
        "bytes": pa.array(rng.integers(200, 4000, n)),
        "sentBytes": pa.array(rng.integers(100, 300, n)),
        "grpThreads": pa.array(threads),
        "allThreads": pa.array(threads),
        "URL": URLS.take(label_idx),
        "Latency": pa.array(np.maximum(0, elapsed - rng.integers(0, 5, n))),
        "IdleTime": pa.array(np.zeros(n, dtype=np.int64)),
        "Connect": pa.array(rng.integers(0, 4, n)),
    }
