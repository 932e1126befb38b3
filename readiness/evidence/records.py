"""Record-level evidence: a production data sample, a usage log and an incident log.

* :func:`read_data_sample` profiles a production data sample (CSV, Parquet or .xlsx): the share of records
  missing a required field (``data.missing_field_rate``), the share repeating the key of an earlier record
  (``data.duplicate_rate``) and, given the pilot's own sample, the schema drift between the two (a note).
* :func:`read_usage_log` reads who did what when (CSV): the share of intended users active in the log's last
  30 days (``trust.adoption_rate``) and the share of decisions users overrode (``trust.override_rate``).
* :func:`read_incident_log` reads when each incident started and when it was detected (CSV): the median
  time to detect (``monitoring.time_to_detect_h``).

CSVs are streamed through PyArrow in blocks of a few MB, every column read as text (so a value that does not
fit the type guessed from the first rows never stops the read, and duplicates compare values as written);
Parquet is read in record batches; a workbook passes :mod:`readiness.excel.safe` (the bomb checks, with a
row and cell cap) before calamine reads its first visible sheet. Rows are numbered as a spreadsheet shows
them: the header is row 1, the first record row 2 (blank lines, which are skipped, are not counted).
Nothing here writes anything.
"""

from __future__ import annotations

import csv
import hashlib
import io
import queue
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from readiness.evidence.base import (
    OLE_MAGIC,
    PARQUET_MAGIC,
    ZIP_MAGIC,
    Accumulator,
    EvidenceFile,
    EvidenceKind,
    EvidenceOptions,
    EvidenceSummary,
    MiB,
    Provenance,
    Reading,
    SourceFile,
    check_size,
    fingerprint,
    invalid,
    looks_binary,
    match_columns,
    normalise_header,
    require_text,
)

__all__ = [
    "ADOPTION_WINDOW_DAYS",
    "is_tabular_name",
    "looks_like_incident_log",
    "looks_like_usage_log",
    "read_data_sample",
    "read_incident_log",
    "read_usage_log",
]

# --------------------------------------------------------------------------------------------------------
# Column names (the first of each list is the one cited in messages)
# --------------------------------------------------------------------------------------------------------

USAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "user": ("user", "user_id", "userid", "username", "user_name", "email", "user_email", "actor"),
    "time": ("time", "timestamp", "date", "datetime", "date_time", "event_time", "event_timestamp", "at"),
    "action": ("action", "event", "outcome", "decision", "event_type", "action_type"),
}
INCIDENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "started": ("started", "start", "started_at", "start_time", "onset", "began", "began_at", "occurred",
                "occurred_at", "start_date"),
    "detected": ("detected", "detected_at", "detection", "detection_time", "detected_time", "alerted",
                 "alerted_at", "alert_time"),
}  # fmt: skip

ACCEPTED = frozenset({"accept", "accepted", "approve", "approved", "kept", "keep"})
OVERRIDDEN = frozenset(
    {"override", "overridden", "overrode", "overrided", "reject", "rejected", "edit", "edited", "change", "changed"}
)
ESCALATED = frozenset({"escalate", "escalated"})
Decision = Literal["accepted", "overridden", "escalated"]
DECISION_WORDS: dict[Decision, frozenset[str]] = {
    "accepted": ACCEPTED,
    "overridden": OVERRIDDEN,
    "escalated": ESCALATED,
}

ADOPTION_WINDOW_DAYS = 30
TABULAR_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".xlsx")
Family = Literal["integer", "float", "text", "date-time", "boolean"]

# Reading
BLOCK_BYTES = 1 * MiB  # one CSV block (about 10,000 rows): parsed ahead, in parallel, while the last is counted
PREFETCH = 4  # batches read ahead of the one being counted
HEADER_BYTES = 1 * MiB  # the longest header line read
PARQUET_BATCH_ROWS = 64 * 1024
XLSX_CHUNK_ROWS = 64 * 1024
SEPARATOR = "\x1f"  # joins a record's key fields before hashing (the ASCII unit separator)
NULL_MARK = "\x00"
LIST_SHOWN = 12  # names listed in a note before "and N more"
UNIX_SECONDS_MAX = 7_258_118_400  # 2200-01-01: larger numbers are milliseconds or not times at all
US_PER_HOUR = 3_600_000_000
_DELIMITERS = (",", ";", "\t", "|")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$")


def is_tabular_name(name: str) -> bool:
    """Whether a file name has the extension of a table these adapters read (CSV, TSV, text, Parquet, .xlsx)."""
    return PurePath(name).suffix.lower() in TABULAR_SUFFIXES


# --------------------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------------------


def _sniff_header(head: bytes) -> list[str] | None:
    """The header of a text table from its first bytes, or None if these are not the bytes of text."""
    if head.startswith((ZIP_MAGIC, OLE_MAGIC, PARQUET_MAGIC)) or looks_binary(head):
        return None
    text = head.decode("utf-8-sig", errors="replace").lstrip(" \t\r\n")
    line = text.split("\n", 1)[0].rstrip("\r")
    if not line.strip():
        return None
    return _split_header(line, _delimiter(line))


def _has_roles(header: Sequence[str], wanted: dict[str, tuple[str, ...]]) -> bool:
    keys = {normalise_header(column) for column in header}
    return all(any(normalise_header(name) in keys for name in names) for names in wanted.values())


def looks_like_usage_log(head: bytes, name: str) -> bool:
    """Whether a file's first bytes are a CSV header naming a user, a time and an action column."""
    if PurePath(name).suffix.lower() in (".parquet", ".pq", ".xlsx", ".xls", ".json", ".jtl", ".xml"):
        return False
    header = _sniff_header(head)
    return header is not None and _has_roles(header, USAGE_COLUMNS)


def looks_like_incident_log(head: bytes, name: str) -> bool:
    """Whether a file's first bytes are a CSV header naming a start and a detection time column."""
    if PurePath(name).suffix.lower() in (".parquet", ".pq", ".xlsx", ".xls", ".json", ".jtl", ".xml"):
        return False
    header = _sniff_header(head)
    return header is not None and _has_roles(header, INCIDENT_COLUMNS)


# --------------------------------------------------------------------------------------------------------
# Small helpers: numbers and lists in words
# --------------------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    """A percentage for a sentence: 3.2%, 0.013%, 100%."""
    if value == 0 or value >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".") + "%"
    return f"{value:.3g}%"


def _count(number: int, noun: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _hours(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") + " h"


def _names(names: Sequence[str], limit: int = LIST_SHOWN, width: int = 40) -> str:
    """Names for a sentence, the first ``limit`` of them, each cut at ``width`` characters."""
    cut = [n if len(n) <= width else n[: width - 1] + "…" for n in names[:limit]]
    more = len(names) - limit
    return ", ".join(cut) + (f" and {more:,} more" if more > 0 else "")


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _utc(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))


def _fit(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------------
# CSV: finding the header, then streaming the records
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvLayout:
    """Where a CSV's header starts, the columns it names and the delimiter between them."""

    file: EvidenceFile
    offset: int
    header: tuple[str, ...]
    delimiter: str


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _split_header(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        cells = line.split(delimiter)
    return [cell.strip() for cell in cells]


def _looks_like_data(header: Sequence[str]) -> bool:
    """Whether a first line holds values rather than names: a date, or mostly numbers."""
    cells = [c for c in header if c]
    if any(_DATE_LIKE.match(c) for c in cells):
        return True
    numbers = sum(1 for c in cells if _NUMBER.match(c))
    return bool(cells) and numbers * 2 > len(cells)


def _first_text_offset(file: EvidenceFile) -> int | None:
    """The offset of the first byte that is not a BOM, a space or a line break; None if there is none.
    Reads 1 MB at a time, so a file of ten million blank lines costs no memory."""
    position = 0
    with file.path.open("rb") as handle:
        first = True
        while chunk := handle.read(MiB):
            if first and chunk.startswith(b"\xef\xbb\xbf"):
                chunk, position = chunk[3:], 3
            first = False
            stripped = chunk.lstrip(b" \t\r\n")
            if stripped:
                return position + len(chunk) - len(stripped)
            position += len(chunk)
    return None


def csv_layout(file: EvidenceFile, what: str, columns_hint: str = "") -> CsvLayout:
    """The header of a text table, or :class:`InvalidInput` saying why there is none (a workbook or binary
    file, only blank lines, a first line of data, a line too long to be a header, text that is not UTF-8)."""
    check_size(file)
    head = file.head()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise invalid(file, "", f"this is UTF-16 text, not {what} as CSV: save it as CSV UTF-8")
    require_text(file, what)
    offset = _first_text_offset(file)
    if offset is None:
        raise invalid(file, "", f"the file holds only blank lines: no header and no data (expected {what})")
    with file.path.open("rb") as handle:
        handle.seek(offset)
        chunk = handle.read(HEADER_BYTES)
    end = chunk.find(b"\n")
    if end < 0 and len(chunk) == HEADER_BYTES:
        raise invalid(file, "header", f"the first line is longer than {HEADER_BYTES // MiB} MB: not a CSV header")
    raw = chunk if end < 0 else chunk[:end]
    try:
        line = raw.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise invalid(file, "header", "the file is not UTF-8 text: save it as CSV UTF-8") from None
    delimiter = _delimiter(line)
    header = _split_header(line, delimiter)
    if not any(header):
        raise invalid(file, "header", "the header row names no column")
    if _looks_like_data(header):
        hint = f" ({columns_hint})" if columns_hint else ""
        raise invalid(
            file,
            "header",
            f"the first line holds values ({_names([repr(c) for c in header], 4)}), not column names: "
            f"add a header row naming the columns{hint}",
        )
    named = tuple(cell or f"column {i + 1}" for i, cell in enumerate(header))
    return CsvLayout(file, offset, named, delimiter)


@contextmanager
def arrow_errors(file: EvidenceFile, what: str = "CSV") -> Iterator[None]:
    """Turn PyArrow's errors into :class:`InvalidInput` naming the file (never a traceback)."""
    try:
        yield
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, pa.ArrowException) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        detail = detail.removeprefix("CSV parse error: ")
        fields = re.match(r"Expected (\d+) columns, got (\d+): ?(.*)", detail, re.DOTALL)
        if fields:
            expected, got, row = fields.groups()
            detail = f"a row has {got} fields where the header has {expected}: {_short(row.strip(), 80)}"
        if "invalid UTF8" in detail or "UTF8" in detail:
            raise invalid(file, "", "the file is not UTF-8 text: save it as CSV UTF-8") from None
        raise invalid(file, "", _fit(f"not valid {what}: {detail}", 300)) from None


class _NeedsNewlines(Exception):
    """A row had the wrong number of fields: perhaps a quoted value holds a line break; read again allowing it."""


def prefetched(batches: Iterator[Any], depth: int = PREFETCH) -> Iterator[Any]:
    """``batches``, read ``depth`` ahead in a thread: PyArrow parses (without the GIL) while the caller counts.
    Errors reach the caller; stopping early stops the thread. Memory: ``depth`` batches."""
    handoff: queue.Queue[tuple[bool, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put((True, batch)):
                    return
            put((False, None))
        except BaseException as error:  # noqa: BLE001 - handed to the caller, who raises it
            put((False, error))
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="evidence-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = handoff.get()
            if ok:
                yield item
            elif item is None:
                return
            else:
                raise item
    finally:
        stop.set()
        worker.join()


def csv_batches(
    layout: CsvLayout, columns: Sequence[int], newlines_in_values: bool = False
) -> Iterator[pa.RecordBatch]:
    """The records of ``columns`` (by position), every value as text: empty fields, whitespace aside, and
    PyArrow's null markers (NA, N/A, NULL, NaN, #N/A...) are null. Streams blocks of 1 MB, read ahead."""
    return prefetched(_csv_batches(layout, columns, newlines_in_values))


def _csv_batches(layout: CsvLayout, columns: Sequence[int], newlines_in_values: bool) -> Iterator[pa.RecordBatch]:
    names = [f"c{i}" for i in range(len(layout.header))]
    read = pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=True)
    parse = pcsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=newlines_in_values)
    wanted = [names[i] for i in columns]
    convert = pcsv.ConvertOptions(
        include_columns=wanted,
        column_types=dict.fromkeys(wanted, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    source = pa.OSFile(str(layout.file.path))
    try:
        source.seek(layout.offset)
        with arrow_errors(layout.file):
            try:
                reader = pcsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
                yield from reader
            except pa.ArrowInvalid as error:
                if "Expected" in str(error) and "columns" in str(error) and not newlines_in_values:
                    raise _NeedsNewlines from error
                raise
    finally:
        source.close()


class _Fingerprint:
    """:func:`~readiness.evidence.base.fingerprint`, computed in a thread while the records are read (file reads
    and SHA-256 release the GIL); stopped when the read fails. ``result()`` waits for it."""

    def __init__(self, file: EvidenceFile) -> None:
        self.file = file
        self.size = check_size(file)
        self._digest = hashlib.sha256()
        self._stop = threading.Event()
        self._failed = False
        self._thread = threading.Thread(target=self._run, name="evidence-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self.file.path.open("rb") as handle:
                while chunk := handle.read(4 * MiB):
                    if self._stop.is_set():
                        self._failed = True
                        return
                    self._digest.update(chunk)
        except OSError:
            self._failed = True

    def result(self) -> SourceFile:
        self._thread.join()
        if self._failed:
            return fingerprint(self.file)  # the file could not be read in the thread: again, here, with its error
        return SourceFile(name=self.file.name[:255], size_bytes=self.size, sha256=self._digest.hexdigest())

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def fingerprinting(file: EvidenceFile) -> Iterator[Callable[[], SourceFile]]:
    """A background :func:`~readiness.evidence.base.fingerprint` of ``file``: call what this yields for it."""
    running = _Fingerprint(file)
    try:
        yield running.result
    finally:
        running.cancel()


def _with_newline_retry(work: Callable[[bool], Any]) -> Any:
    """Run a CSV pass; when a row has the wrong number of fields, run it again allowing line breaks in
    quoted values (slower, so only when needed): if the row really is malformed, the error is the same."""
    try:
        return work(False)
    except _NeedsNewlines:
        return work(True)


# --------------------------------------------------------------------------------------------------------
# Values: blanks, type families, keys
# --------------------------------------------------------------------------------------------------------


def _is_text(type_: pa.DataType) -> bool:
    return pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_string_view(type_)


def missing_mask(column: pa.Array | pa.ChunkedArray, empty_is_null: bool = False) -> pa.Array:
    """True where a value is missing: null (or NaN), or text that is empty or only whitespace.
    ``empty_is_null``: the reader already made empty text null (a CSV's), so only whitespace is left to find."""
    if _is_text(column.type):
        if empty_is_null:
            return pc.fill_null(pc.utf8_is_space(column), True)
        return pc.fill_null(pc.or_(pc.utf8_is_space(column), pc.equal(pc.binary_length(column), 0)), True)
    if pa.types.is_floating(column.type):
        return pc.is_null(column, nan_is_null=True)
    return pc.is_null(column)


def _as_text(column: pa.Array) -> pa.Array:
    if _is_text(column.type):
        return column
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), pa.string())
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pa.array([None if v is None else repr(v) for v in column.to_pylist()], pa.string())


def row_hashes(columns: Sequence[pa.Array]) -> np.ndarray:
    """A 64-bit hash of each record's values in ``columns`` (null equals null; text compared as written).

    The fields are joined with the unit separator and hashed by Python's bytes hash (SipHash): two different
    keys share a hash with a probability of about n²/2⁶⁵, one in 36 million for a million distinct keys."""
    texts = [_as_text(c) for c in columns]
    if len(texts) == 1:
        joined = texts[0]
    else:
        joined = pc.binary_join_element_wise(*texts, SEPARATOR, null_handling="replace", null_replacement=NULL_MARK)
    if pa.types.is_string(joined.type):
        joined = joined.cast(pa.binary())  # a view: bytes objects are quicker to make than str
    values = joined.to_numpy(zero_copy_only=False)
    return np.fromiter(map(hash, values), dtype=np.int64, count=len(values))


def _distinct(parts: list[np.ndarray]) -> int:
    if not parts:
        return 0
    hashes = np.concatenate(parts)
    parts.clear()
    hashes.sort()
    return int(1 + np.count_nonzero(hashes[1:] != hashes[:-1])) if len(hashes) else 0


def family_of_type(type_: pa.DataType) -> Family | None:
    """The type family of a column PyArrow typed (Parquet, workbook); None for a column of nulls."""
    if pa.types.is_null(type_):
        return None
    if pa.types.is_boolean(type_):
        return "boolean"
    if pa.types.is_integer(type_):
        return "integer"
    if pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return "float"
    if pa.types.is_temporal(type_):
        return "date-time"
    return "text"


def family_of_text(column: pa.Array) -> Family | None:
    """The type family of a column of text (a CSV's): the narrowest of integer, float, boolean and date-time
    that every non-blank value fits, else text; None when every value is blank."""
    values = pc.utf8_trim_whitespace(pc.drop_null(column))
    values = pc.filter(values, pc.greater(pc.binary_length(values), 0))
    if len(values) == 0:
        return None
    for target, family in ((pa.int64(), "integer"), (pa.float64(), "float")):
        try:
            pc.cast(values, target)
            return family  # type: ignore[return-value]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    if pc.all(pc.is_in(pc.utf8_lower(values), pa.array(["true", "false"]))).as_py():
        return "boolean"
    for target in (pa.timestamp("us"), pa.timestamp("us", "UTC")):
        try:
            pc.cast(values, target)
            return "date-time"
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return "text"


def _merge_family(a: Family | None, b: Family | None) -> Family | None:
    if a is None or a == b:
        return b if a is None else a
    if b is None:
        return a
    return "float" if {a, b} == {"integer", "float"} else "text"


# --------------------------------------------------------------------------------------------------------
# Tables: one interface over CSV, Parquet and workbooks
# --------------------------------------------------------------------------------------------------------


@dataclass
class Table:
    """A table to stream: its columns, a way to read batches of some of them, and what was learnt on the way."""

    file: EvidenceFile
    fmt: Literal["CSV", "Parquet", "workbook"]
    header: tuple[str, ...]
    batches: Callable[[Sequence[int], bool], Iterator[pa.RecordBatch]]
    families: Callable[[], dict[int, Family | None]]
    notes: list[str] = field(default_factory=list)
    retries: bool = False  # whether a pass may need running again allowing line breaks in values (CSV)


def open_table(file: EvidenceFile, what: str) -> Table:
    """The CSV, Parquet or .xlsx table in ``file`` (recognised by its first bytes)."""
    check_size(file)
    head = file.head()
    if head.startswith(PARQUET_MAGIC):
        return _parquet_table(file)
    if head.startswith(ZIP_MAGIC):
        return _xlsx_table(file)
    if head.startswith(OLE_MAGIC):
        raise invalid(file, "", f"this is a legacy Excel 97-2003 file (.xls), not {what}: save it as .xlsx or CSV")
    if looks_binary(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise invalid(file, "", f"this is a binary file, not {what}: expected CSV, Parquet or a workbook (.xlsx)")
    layout = csv_layout(file, what)

    def batches(columns: Sequence[int], newlines: bool) -> Iterator[pa.RecordBatch]:
        return csv_batches(layout, columns, newlines)

    def families() -> dict[int, Family | None]:
        def first(newlines: bool) -> dict[int, Family | None]:
            with closing(csv_batches(layout, range(len(layout.header)), newlines)) as batches:
                for batch in batches:
                    return {i: family_of_text(batch.column(i)) for i in range(batch.num_columns)}
            return dict.fromkeys(range(len(layout.header)))

        return _with_newline_retry(first)

    return Table(file, "CSV", layout.header, batches, families, retries=True)


def _parquet_table(file: EvidenceFile) -> Table:
    import pyarrow.parquet as pq

    with arrow_errors(file, "Parquet"):
        try:
            parquet = pq.ParquetFile(str(file.path))
        except OSError as error:
            raise invalid(file, "", _fit(f"not a readable Parquet file: {error}", 300)) from None
        schema = parquet.schema_arrow
    header = tuple(name or f"column {i + 1}" for i, name in enumerate(schema.names))
    unique = len(set(schema.names)) == len(schema.names)

    def read(columns: Sequence[int], _newlines: bool) -> Iterator[pa.RecordBatch]:
        wanted = [schema.names[i] for i in columns] if unique else None
        with arrow_errors(file, "Parquet"):
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted, use_threads=True):
                yield (
                    batch
                    if unique
                    else pa.record_batch([batch.column(i) for i in columns], names=[f"c{i}" for i in columns])
                )

    def batches(columns: Sequence[int], _newlines: bool) -> Iterator[pa.RecordBatch]:
        return prefetched(read(columns, _newlines))

    def families() -> dict[int, Family | None]:
        return {i: family_of_type(schema.field(i).type) for i in range(len(schema))}

    return Table(file, "Parquet", header, batches, families)


XLSX_LIMIT_ROWS = 1_048_576  # Excel's own: a sample that fits in a sheet
XLSX_LIMIT_CELLS = 5_000_000  # calamine holds the sheet in memory: about 1 GB at this size


def _xlsx_limits() -> Any:
    from readiness.excel.safe import Limits

    return Limits(
        max_file_bytes=256 * MiB,
        max_uncompressed_bytes=2048 * MiB,
        max_rows=XLSX_LIMIT_ROWS,
        max_columns=1_024,
        max_cells=XLSX_LIMIT_CELLS,
        max_shared_strings=XLSX_LIMIT_CELLS,
    )


def _calamine(file: EvidenceFile, call: Callable[..., Any], *args: Any) -> Any:
    try:
        return call(*args)
    except Exception as error:  # noqa: BLE001 - calamine raises many types; each means a damaged file
        detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise invalid(file, "", f"the workbook cannot be read ({detail}): damaged file") from None
    except BaseException as error:
        if type(error).__name__ == "PanicException":  # a Rust panic, through pyo3
            raise invalid(file, "", "the workbook cannot be read: damaged file") from None
        raise


def _cell_name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_table(file: EvidenceFile) -> Table:
    from python_calamine import CalamineWorkbook

    from readiness.excel.safe import scan_workbook

    data = file.path.read_bytes()
    scanned = scan_workbook(data, file.name, _xlsx_limits())
    visible = [name for name, scan in scanned.sheets.items() if not scan.hidden]
    if not visible:
        raise invalid(file, "", "the workbook has no visible sheet")
    sheet_name = visible[0]
    book = _calamine(file, CalamineWorkbook.from_filelike, io.BytesIO(data))
    sheet = _calamine(file, book.get_sheet_by_name, sheet_name)
    rows = _calamine(file, lambda: list(sheet.iter_rows()))
    del data
    notes: list[str] = []
    others = [name for name in scanned.sheets if name != sheet_name]
    if others:
        notes.append(f"Read sheet '{sheet_name}' of the workbook; other sheets ignored: {_names(others)}.")
    start = next((i for i, row in enumerate(rows) if any(v != "" for v in row)), None)
    if start is None:
        raise invalid(file, "", f"sheet '{sheet_name}' is empty: no header and no data")
    header_row = [_cell_name(v) for v in rows[start]]
    while header_row and not header_row[-1]:
        header_row.pop()
    if _looks_like_data(header_row):
        message = "the first row holds values, not column names: add a header row"
        raise invalid(file, f"{sheet_name}!row {start + 1}", message)
    header = tuple(cell or f"column {i + 1}" for i, cell in enumerate(header_row))
    width = len(header)
    records = [row for row in rows[start + 1 :] if any(v != "" for v in row)]
    rows.clear()
    beyond = sum(1 for row in records if any(v != "" for v in row[width:]))
    if beyond:
        notes.append(f"{beyond:,} rows have values right of the last named column ('{header[-1]}'): ignored.")
    learnt: dict[int, Family | None] = dict.fromkeys(range(width))

    def column_array(values: list[Any], index: int) -> pa.Array:
        cleaned = [None if v == "" else v for v in values]
        try:
            array = pa.array(cleaned)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            array = pa.array([None if v is None else _cell_name(v) if not isinstance(v, str) else v for v in cleaned])
        family = family_of_type(array.type)
        if family == "float" and len(array) and pc.all(pc.equal(pc.floor(array), array)).as_py() is not False:
            family = "integer"  # Excel keeps every number as a float
        learnt[index] = _merge_family(learnt[index], family)
        return array

    def batches(columns: Sequence[int], _newlines: bool) -> Iterator[pa.RecordBatch]:
        for begin in range(0, len(records), XLSX_CHUNK_ROWS):
            chunk = records[begin : begin + XLSX_CHUNK_ROWS]
            arrays = [column_array([row[i] if i < len(row) else "" for row in chunk], i) for i in columns]
            yield pa.record_batch(arrays, names=[f"c{i}" for i in columns])

    def families() -> dict[int, Family | None]:
        for _ in batches(range(width), False):
            pass
        return dict(learnt)

    return Table(file, "workbook", header, batches, families, notes)


def _run(table: Table, work: Callable[[bool], Any]) -> Any:
    return _with_newline_retry(work) if table.retries else work(False)


# --------------------------------------------------------------------------------------------------------
# Production data sample
# --------------------------------------------------------------------------------------------------------


def schema_drift(production: Table, baseline: Table) -> str:
    """Columns in the baseline missing from production, columns added, and columns whose type family changed."""
    prod_families = production.families()
    base_families = baseline.families()
    prod = {normalise_header(name): i for i, name in reversed(list(enumerate(production.header)))}
    base = {normalise_header(name): i for i, name in reversed(list(enumerate(baseline.header)))}
    missing = [baseline.header[i] for key, i in sorted(base.items(), key=lambda kv: kv[1]) if key not in prod]
    added = [production.header[i] for key, i in sorted(prod.items(), key=lambda kv: kv[1]) if key not in base]
    changed = []
    for key, i in sorted(prod.items(), key=lambda kv: kv[1]):
        if key in base:
            before, after = base_families[base[key]], prod_families[i]
            if before and after and before != after:
                changed.append(f"{production.header[i]} ({before} → {after})")
    name = baseline.file.name
    if not (missing or added or changed):
        return f"No schema drift against {name}: the same {len(prod):,} columns, with the same types."
    parts = []
    if missing:
        parts.append(f"missing {_names(missing)}")
    if added:
        parts.append(f"added {_names(added)}")
    if changed:
        parts.append(f"changed type: {_names(changed, width=80)}")
    return f"Schema drift against {name}: {'; '.join(parts)}"


@dataclass
class _SampleCounts:
    rows: int = 0
    missing: int = 0
    distinct: int = 0


def read_data_sample(file: EvidenceFile, options: EvidenceOptions) -> EvidenceSummary:
    """Profile a production data sample (CSV, Parquet or .xlsx, first visible sheet).

    ``data.missing_field_rate``: records with at least one required field missing (null, NaN, or text that is
    empty or only whitespace; in a CSV also a null marker such as NA or NULL) ÷ records × 100. The required
    fields are ``options.required_columns``, or every column when none is named.
    ``data.duplicate_rate``: records whose key (``options.key_columns``, or the whole record when none is named)
    equals that of an earlier record ÷ records × 100, i.e. records − distinct keys. In a CSV values compare
    as written ("1" and "1.0" differ). With ``options.baseline`` a note gives the schema drift.
    """
    table = open_table(file, "a production data sample")
    # The baseline's header is read first: a baseline that cannot be read is said before the long pass.
    baseline = None if options.baseline is None else open_table(options.baseline, "a data sample (the baseline)")
    notes = list(table.notes)
    header = table.header
    index_of = {name: i for i, name in reversed(list(enumerate(header)))}
    required_names = tuple(dict.fromkeys(n.strip() for n in options.required_columns if n.strip()))
    key_names = tuple(dict.fromkeys(n.strip() for n in options.key_columns if n.strip()))
    columns: dict[str, str] = {}
    if required_names:
        matched = match_columns(file, header, {n: [n] for n in required_names})
        required = list(dict.fromkeys(index_of[matched[n]] for n in required_names))
        columns |= {f"required:{n}": matched[n] for n in required_names}
    else:
        required = list(range(len(header)))
        notes.append(
            f"No required columns were named: every one of the {len(header):,} columns is treated as required."
        )
    if key_names:
        matched = match_columns(file, header, {n: [n] for n in key_names})
        key = list(dict.fromkeys(index_of[matched[n]] for n in key_names))
        columns |= {f"key:{n}": matched[n] for n in key_names}
    else:
        key = list(range(len(header)))
        notes.append("No key columns were named: a duplicate is a record identical to an earlier one in every column.")
    needed = sorted(set(required) | set(key))
    position = {column: i for i, column in enumerate(needed)}

    def work(newlines: bool) -> _SampleCounts:
        counts = _SampleCounts()
        rows = Accumulator(file)
        parts: list[np.ndarray] = []
        with closing(table.batches(needed, newlines)) as batches:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                rows.add(batch.num_rows)
                mask = None
                for column in required:
                    blank = missing_mask(batch.column(position[column]), empty_is_null=table.fmt == "CSV")
                    mask = blank if mask is None else pc.or_(mask, blank)
                counts.missing += int(pc.sum(mask).as_py() or 0) if mask is not None else 0
                parts.append(row_hashes([batch.column(position[column]) for column in key]))
        counts.rows = rows.rows
        counts.distinct = _distinct(parts)
        return counts

    with fingerprinting(file) as production:
        counts = _run(table, work)
        if counts.rows == 0:
            raise invalid(file, "", "no data rows: the file has a header but no records")
        files = [production()]
    if baseline is not None:
        notes.append(schema_drift(table, baseline))
        files.append(fingerprint(baseline.file))

    rows = counts.rows
    duplicates = rows - counts.distinct
    required_list = [header[i] for i in required]
    key_list = [header[i] for i in key]
    which = _count(len(required_list), "required field") + ("" if required_names else " (every column)")
    blank_words = "empty, blank or a null marker such as NA" if table.fmt == "CSV" else "empty or blank"
    missing_method = (
        f"{_pct(counts.missing / rows * 100)} of {rows:,} records ({counts.missing:,}) miss at least one of {which}: "
        f"{_names(required_list, 8)}; missing means {blank_words}."
    )
    if key_names:
        duplicate_method = (
            f"{_pct(duplicates / rows * 100)} of {rows:,} records ({duplicates:,}) repeat the key "
            f"({_names(key_list, 8)}) of an earlier record."
        )
    else:
        duplicate_method = (
            f"{_pct(duplicates / rows * 100)} of {rows:,} records ({duplicates:,}) repeat an earlier record "
            f"in all {len(key_list)} columns."
        )
    readings = (
        Reading(
            metric_id="data.missing_field_rate",
            value=round(counts.missing / rows * 100, 6),
            method=_fit(missing_method),
        ),
        Reading(
            metric_id="data.duplicate_rate", value=round(duplicates / rows * 100, 6), method=_fit(duplicate_method)
        ),
    )
    provenance = Provenance(kind="data_sample", files=tuple(files), count=rows, count_unit="records")
    return EvidenceSummary(provenance=provenance, readings=readings, columns=columns, notes=tuple(notes))


# --------------------------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------------------------

_TIMESTAMP = pa.timestamp("us", "UTC")


def _one_time(text: str) -> int | None:
    """Microseconds since 1970 UTC from ISO 8601 (naive is UTC) or Unix seconds; None if neither."""
    value = text.strip()
    if _NUMBER.match(value):
        seconds = float(value)
        return round(seconds * 1_000_000) if 0 <= seconds <= UNIX_SECONDS_MAX else None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def parse_times(column: pa.Array, file: EvidenceFile, name: str, first_row: int) -> pa.Array:
    """A text column as UTC timestamps (blank is null), or :class:`InvalidInput` naming the first row whose
    value is neither ISO 8601 (with or without a zone; without is UTC) nor Unix seconds.
    ``first_row`` is the spreadsheet row number of the column's first value."""
    values = pc.utf8_trim_whitespace(column)
    values = pc.if_else(pc.equal(pc.binary_length(values), 0), pa.scalar(None, pa.string()), values)
    if values.null_count == len(values):
        return pa.nulls(len(values), _TIMESTAMP)
    try:
        seconds = pc.cast(values, pa.float64())
        present = pc.drop_null(seconds)
        if pc.min(present).as_py() >= 0 and pc.max(present).as_py() <= UNIX_SECONDS_MAX:
            micros = pc.cast(pc.round(pc.multiply(seconds, 1_000_000)), pa.int64())
            return pc.cast(micros, pa.timestamp("us")).cast(_TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    for target in (pa.timestamp("us"), _TIMESTAMP):
        try:
            parsed = pc.cast(values, target)
            return parsed if target.tz else pc.assume_timezone(parsed, "UTC")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    # Mixed forms (some zoned, some not, some numbers) or a bad value: one at a time, to name the row.
    out: list[int | None] = []
    for offset, text in enumerate(values.to_pylist()):
        if text is None:
            out.append(None)
            continue
        micros = _one_time(text)
        if micros is None:
            hint = " (this looks like milliseconds)" if _NUMBER.match(text) and float(text) > UNIX_SECONDS_MAX else ""
            raise invalid(
                file,
                f"row {first_row + offset:,}",
                f"{_short(text)} in column '{name}' is not a time: expected ISO 8601 (2026-03-31T14:05:00Z) "
                f"or Unix seconds{hint}",
            )
        out.append(micros)
    return pc.cast(pa.array(out, pa.int64()), pa.timestamp("us")).cast(_TIMESTAMP)


def _micros(times: pa.Array) -> pa.Array:
    return pc.cast(times, pa.int64())


# --------------------------------------------------------------------------------------------------------
# Usage log
# --------------------------------------------------------------------------------------------------------


def decision_of(action: str) -> Decision | None:
    """Which decision an action word records: accepted, overridden or escalated (case, spaces, dashes and
    underscores ignored; a phrase counts when exactly one kind of decision word appears in it); None otherwise."""
    whole = re.sub(r"[^a-z]", "", action.lower())
    for decision, words in DECISION_WORDS.items():
        if whole in words:
            return decision
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", action).lower()
    found = {d for w in re.findall(r"[a-z]+", spaced) for d, words in DECISION_WORDS.items() if w in words}
    return found.pop() if len(found) == 1 else None


@dataclass
class _UsageCounts:
    events: int = 0
    no_user: int = 0
    no_time: int = 0
    first: int | None = None
    last: int | None = None
    decisions: Counter[str] = field(default_factory=Counter)
    others: Counter[str] = field(default_factory=Counter)
    other_events: int = 0
    last_seen: pa.Table | None = None


def _last_seen(parts: list[pa.Table]) -> pa.Table:
    grouped = pa.concat_tables(parts).group_by("user").aggregate([("t", "max")])
    return pa.table({"user": grouped.column("user"), "t": grouped.column("t_max")})


def read_usage_log(file: EvidenceFile, options: EvidenceOptions) -> EvidenceSummary:
    """Read a usage log (CSV: one event a row, with user, time and action columns).

    ``trust.adoption_rate``: distinct users with an event in the last 30 days of the log (from its latest time
    back 30 days, both ends included) ÷ ``options.intended_users`` × 100, capped at 100 (with a note); left out
    with a note when the number of intended users is not given. ``trust.override_rate``: overridden ÷ decisions
    (accepted + overridden + escalated) × 100; other actions are not decisions and are counted in a note.
    Times are ISO 8601 (without a zone: UTC) or Unix seconds; a value that is neither is an error naming its row.
    """
    layout = csv_layout(file, "a usage log", "user, time, action")
    matched = match_columns(file, layout.header, USAGE_COLUMNS)
    index = {role: layout.header.index(column) for role, column in matched.items()}
    order = sorted(set(index.values()))
    position = {role: order.index(i) for role, i in index.items()}
    cache: dict[str, Decision | None] = {}

    def work(newlines: bool) -> _UsageCounts:
        counts = _UsageCounts()
        rows = Accumulator(file)
        seen: list[pa.Table] = []
        pending = 0
        with closing(csv_batches(layout, order, newlines)) as batches:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                first_row = rows.rows + 2
                rows.add(batch.num_rows)
                users = pc.utf8_trim_whitespace(batch.column(position["user"]))
                users = pc.if_else(pc.equal(pc.binary_length(users), 0), pa.scalar(None, pa.string()), users)
                times = parse_times(batch.column(position["time"]), file, matched["time"], first_row)
                counts.no_user += users.null_count
                counts.no_time += times.null_count
                micros = _micros(times)
                if times.null_count < len(times):
                    low, high = pc.min(micros).as_py(), pc.max(micros).as_py()
                    counts.first = low if counts.first is None else min(counts.first, low)
                    counts.last = high if counts.last is None else max(counts.last, high)
                known = pc.and_(pc.is_valid(users), pc.is_valid(micros))
                seen.append(pa.table({"user": pc.filter(users, known), "t": pc.filter(micros, known)}))
                pending += seen[-1].num_rows
                if pending > 2_000_000:
                    seen, pending = [_last_seen(seen)], 0
                actions = pc.utf8_trim_whitespace(batch.column(position["action"]))
                for item in pc.value_counts(actions).to_pylist():
                    action, count = item["values"], item["counts"]
                    if action not in cache:
                        cache[action] = decision_of(action) if action else None
                    decision = cache[action] if action else None
                    if decision:
                        counts.decisions[decision] += count
                    else:
                        counts.other_events += count
                        label = action or "(blank)"
                        if label in counts.others or len(counts.others) < 1_000:
                            counts.others[label] += count
                if len(cache) > 100_000:
                    cache.clear()
        counts.events = rows.rows
        counts.last_seen = _last_seen(seen) if seen else None
        return counts

    with fingerprinting(file) as running:
        counts = _with_newline_retry(work)
        source = running()
    if counts.events == 0:
        raise invalid(file, "", "no data rows: the file has a header but no events")
    notes: list[str] = []
    readings: list[Reading] = []

    # Adoption
    if counts.last is None:
        notes.append(f"No event has a time in column '{matched['time']}': adoption is left out.")
    elif not options.intended_users:
        notes.append(
            "Adoption is left out: give the number of intended users (the people the system is meant for) "
            "to compute it."
        )
    else:
        assert counts.last_seen is not None and counts.first is not None
        window_start = counts.last - ADOPTION_WINDOW_DAYS * 24 * US_PER_HOUR
        active = int(pc.sum(pc.greater_equal(counts.last_seen.column("t"), window_start)).as_py() or 0)
        rate = active / options.intended_users * 100
        end = _iso(_utc(counts.last))
        method = (
            f"{active:,} distinct users with at least one event in the {ADOPTION_WINDOW_DAYS} days to {end} "
            f"(the log's latest event) ÷ {options.intended_users:,} intended users."
        )
        if rate > 100:
            notes.append(
                f"Adoption capped at 100%: {active:,} active users is more than the {options.intended_users:,} "
                "intended users (check the number of intended users)."
            )
            rate = 100.0
        if counts.last - counts.first < ADOPTION_WINDOW_DAYS * 24 * US_PER_HOUR:
            days = (counts.last - counts.first) / (24 * US_PER_HOUR)
            notes.append(
                f"The log covers only {days:,.1f} days, less than the {ADOPTION_WINDOW_DAYS}-day adoption window: "
                "every user in it counts as active."
            )
        readings.append(Reading(metric_id="trust.adoption_rate", value=round(rate, 6), method=_fit(method)))
    if counts.no_user:
        notes.append(
            f"{_count(counts.no_user, 'event')} naming no user in column '{matched['user']}': not counted as users."
        )
    if counts.no_time:
        notes.append(
            f"{_count(counts.no_time, 'event')} with no time in column '{matched['time']}': left out of adoption."
        )

    # Override
    accepted, overridden, escalated = (counts.decisions[k] for k in ("accepted", "overridden", "escalated"))
    decisions = accepted + overridden + escalated
    if decisions:
        method = (
            f"{overridden:,} of {decisions:,} decisions overridden ({accepted:,} accepted, {overridden:,} "
            f"overridden, {escalated:,} escalated), from column '{matched['action']}'."
        )
        readings.append(
            Reading(metric_id="trust.override_rate", value=round(overridden / decisions * 100, 6), method=_fit(method))
        )
    else:
        notes.append(
            f"No accepted, overridden or escalated action in column '{matched['action']}': "
            "the override rate is left out."
        )
    if counts.other_events:
        top = ", ".join(f"'{_cut(a, 30)}' ({n:,})" for a, n in counts.others.most_common(5))
        notes.append(
            f"{_count(counts.other_events, 'event')} with an action that is not a decision (accepted, overridden or "
            f"escalated), left out of the override rate: {top}."
        )
    provenance = _log_provenance("usage_log", source, counts.first, counts.last, counts.events, "events")
    return EvidenceSummary(provenance=provenance, readings=tuple(readings), columns=matched, notes=tuple(notes))


def _log_provenance(
    kind: EvidenceKind, source: SourceFile, first: int | None, last: int | None, count: int, unit: str
) -> Provenance:
    """A log's provenance: its file, the period from its first to its last time (µs since the epoch), a count."""
    return Provenance(
        kind=kind,
        files=(source,),
        period_start=None if first is None else _utc(first),
        period_end=None if last is None else _utc(last),
        count=count,
        count_unit=unit,
    )


# --------------------------------------------------------------------------------------------------------
# Incident log
# --------------------------------------------------------------------------------------------------------


@dataclass
class _IncidentCounts:
    incidents: int = 0
    no_start: int = 0
    undetected: int = 0
    first: int | None = None
    last: int | None = None
    hours: list[np.ndarray] = field(default_factory=list)


def read_incident_log(file: EvidenceFile, options: EvidenceOptions) -> EvidenceSummary:
    """Read an incident log (CSV: one incident a row, with a start and a detection time).

    ``monitoring.time_to_detect_h``: the median of detected − started, in hours, over the incidents with both
    times. An incident detected before it started is an error naming its row; one with no detection time (or
    no start time) is left out with a note, and if none is left the log is refused.
    """
    del options  # nothing the team knows changes this reading
    layout = csv_layout(file, "an incident log", "started, detected")
    matched = match_columns(file, layout.header, INCIDENT_COLUMNS)
    started_at, detected_at = layout.header.index(matched["started"]), layout.header.index(matched["detected"])
    order = sorted({started_at, detected_at})

    def work(newlines: bool) -> _IncidentCounts:
        counts = _IncidentCounts()
        rows = Accumulator(file)
        with closing(csv_batches(layout, order, newlines)) as batches:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                first_row = rows.rows + 2
                rows.add(batch.num_rows)
                started, detected = (
                    _micros(parse_times(batch.column(order.index(at)), file, matched[role], first_row))
                    for at, role in ((started_at, "started"), (detected_at, "detected"))
                )
                counts.no_start += started.null_count
                counts.undetected += int(pc.sum(pc.and_(pc.is_valid(started), pc.is_null(detected))).as_py() or 0)
                for times in (started, detected):
                    if times.null_count < len(times):
                        low, high = pc.min(times).as_py(), pc.max(times).as_py()
                        counts.first = low if counts.first is None else min(counts.first, low)
                        counts.last = high if counts.last is None else max(counts.last, high)
                gaps = pc.subtract(detected, started)
                early = np.flatnonzero(pc.fill_null(pc.less(gaps, 0), False).to_numpy(zero_copy_only=False))
                if len(early):
                    where = int(early[0])
                    start, seen = _utc(started[where].as_py()), _utc(detected[where].as_py())
                    raise invalid(
                        file,
                        f"row {first_row + where:,}",
                        f"detected ({seen.isoformat()}) before it started ({start.isoformat()}) in columns "
                        f"'{matched['detected']}' and '{matched['started']}'",
                    )
                gaps = pc.drop_null(gaps).to_numpy(zero_copy_only=False)
                counts.hours.append(gaps / US_PER_HOUR)
        counts.incidents = rows.rows
        return counts

    with fingerprinting(file) as running:
        counts = _with_newline_retry(work)
        source = running()
    if counts.incidents == 0:
        raise invalid(file, "", "no data rows: the file has a header but no incidents")
    hours = np.concatenate(counts.hours) if counts.hours else np.empty(0)
    notes = []
    if counts.undetected:
        notes.append(
            f"{_count(counts.undetected, 'incident')} with no detection time in column '{matched['detected']}': "
            "left out of the time to detect."
        )
    if counts.no_start:
        notes.append(
            f"{_count(counts.no_start, 'incident')} with no start time in column '{matched['started']}': "
            "left out of the time to detect."
        )
    if len(hours) == 0:
        raise invalid(
            file,
            f"column '{matched['detected']}'",
            f"no incident has both a start and a detection time: the time to detect cannot be measured "
            f"({counts.incidents:,} incidents)",
        )
    median = float(np.median(hours))
    method = (
        f"Median of detected − started over {len(hours):,} incidents: {_hours(median)} "
        f"(fastest {_hours(float(hours.min()))}, slowest {_hours(float(hours.max()))}), "
        f"from columns '{matched['started']}' and '{matched['detected']}'."
    )
    provenance = _log_provenance("incident_log", source, counts.first, counts.last, counts.incidents, "incidents")
    reading = Reading(metric_id="monitoring.time_to_detect_h", value=round(median, 6), method=_fit(method))
    return EvidenceSummary(provenance=provenance, readings=(reading,), columns=matched, notes=tuple(notes))
