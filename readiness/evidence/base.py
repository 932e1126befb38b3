"""What every evidence adapter shares: the file it reads, the provenance it reports, the readings it
returns, the limits it keeps, and the forgiving column matching.

An adapter reads one kind of file that teams already produce (a load-test result, a production data
sample, a usage log, an incident log) and computes readiness metrics from it. It never trusts the file:
the size is checked before a byte is parsed, rows are streamed (never a whole 500 MB file in memory), a
file that does not fit raises :class:`readiness.errors.InvalidInput` naming the file and what is missing,
and nothing in this package writes anywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import InvalidInput, Issue

EvidenceKind = Literal["locust", "jmeter", "k6", "data_sample", "usage_log", "incident_log"]
EVIDENCE_KINDS: tuple[EvidenceKind, ...] = ("locust", "jmeter", "k6", "data_sample", "usage_log", "incident_log")
KIND_LABELS: dict[EvidenceKind, str] = {
    "locust": "Locust load test",
    "jmeter": "JMeter load test",
    "k6": "k6 load test",
    "data_sample": "Production data sample",
    "usage_log": "Usage log",
    "incident_log": "Incident log",
}

MiB = 2**20


def max_evidence_bytes() -> int:
    """The largest evidence file read (``READINESS_MAX_EVIDENCE_MB``, default 1,024 MB).

    The files are streamed, so the cap bounds the time a file can take, not the memory it needs.
    """
    return int(float(os.environ.get("READINESS_MAX_EVIDENCE_MB", "1024")) * MiB)


# Rows beyond this are refused: more than any real load test or sample, and a bound on the work.
MAX_ROWS = 50_000_000
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class EvidenceFile:
    """A file to read: where its bytes are, and the name to report (an upload's name, not a temp path)."""

    path: Path
    name: str

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> EvidenceFile:
        """A file on disk, reported by its base name."""
        location = Path(path)
        return cls(location, location.name)

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        """The first bytes of the file (to recognise its format)."""
        with self.path.open("rb") as handle:
            return handle.read(size)


class SourceFile(BaseModel):
    """One file behind a measurement: its name, size and SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(max_length=255)
    size_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Provenance(BaseModel):
    """Where a measured value comes from: the files, the tool that wrote them, the period and the count
    of requests, rows or events it covers. Stored with the snapshot; shown beside the value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: EvidenceKind
    files: tuple[SourceFile, ...] = Field(min_length=1, max_length=8)
    tool: str | None = Field(default=None, max_length=80)
    tool_version: str | None = Field(default=None, max_length=40)
    period_start: datetime | None = None
    period_end: datetime | None = None
    count: int = Field(ge=0)
    count_unit: str = Field(max_length=20)


class Reading(BaseModel):
    """One metric value computed from evidence, and how (in words a reviewer can check)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric_id: str
    value: float
    method: str = Field(max_length=500)


class EvidenceSummary(BaseModel):
    """What one evidence set (one file, or the files of one run) yields: the readings, the provenance,
    the columns that were matched, and notes (a metric left out and why, schema drift)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provenance: Provenance
    readings: tuple[Reading, ...]
    columns: dict[str, str] = Field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceOptions:
    """What the files cannot say and the team knows: the pilot's expected peak load, the columns a
    production record requires and those that identify it, the users the system is meant for, and the
    pilot's own data sample to compare a production sample with."""

    peak_concurrent_users: int | None = None
    required_columns: tuple[str, ...] = ()
    key_columns: tuple[str, ...] = ()
    intended_users: int | None = None
    baseline: EvidenceFile | None = None


def column_list(text: str | None) -> tuple[str, ...]:
    """Column names typed as one comma-separated text (``id, amount``), blanks dropped."""
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def fingerprint(file: EvidenceFile) -> SourceFile:
    """The file's name, size and SHA-256, read in chunks; refuses a file over the size cap first."""
    size = check_size(file)
    digest = hashlib.sha256()
    with file.path.open("rb") as handle:
        while chunk := handle.read(4 * MiB):
            digest.update(chunk)
    return SourceFile(name=file.name[:255], size_bytes=size, sha256=digest.hexdigest())


def check_size(file: EvidenceFile) -> int:
    """The file's size in bytes; :class:`InvalidInput` if it is not a regular file, empty, or over the cap."""
    if not file.path.is_file():
        raise invalid(file, "", "not a regular file")
    size = file.path.stat().st_size
    if size == 0:
        raise invalid(file, "", "the file is empty")
    cap = max_evidence_bytes()
    if size > cap:
        limit = f"the {cap // MiB:,} MB limit for evidence"
        raise invalid(file, "", f"the file is {size / MiB:,.0f} MB, larger than {limit}")
    return size


def invalid(file: EvidenceFile | str, location: str, message: str) -> InvalidInput:
    """An :class:`InvalidInput` about one file (raise it): the file's name, where in it, and what is wrong."""
    name = file if isinstance(file, str) else file.name
    return InvalidInput([Issue("error", location, message)], name)


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
PARQUET_MAGIC = b"PAR1"


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes are not text: a NUL byte, or many bytes that no text encoding uses."""
    if b"\x00" in head:
        return True
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.01


def require_text(file: EvidenceFile, what: str) -> bytes:
    """The file's first bytes, or :class:`InvalidInput` if it is a workbook, Parquet or other binary file
    where a text file (``what``) is expected."""
    head = file.head()
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        raise invalid(file, "", f"this is an Excel workbook (or another zip file), not {what}: save it as CSV")
    if head.startswith(PARQUET_MAGIC) or looks_binary(head):
        raise invalid(file, "", f"this is a binary file, not {what}")
    return head


def normalise_header(name: str) -> str:
    """A column name as matching sees it: case, accents, spaces, underscores, dashes and dots ignored."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s_\-.()/%]+", "", folded.lower())


def match_columns(
    file: EvidenceFile,
    header: Sequence[str],
    wanted: Mapping[str, Iterable[str]],
    optional: Iterable[str] = (),
) -> dict[str, str]:
    """Map each role to the file's column, forgivingly: ``wanted`` lists, per role, the names it may go by
    (the first is the one to cite). Returns role → column as written in the file. Raises
    :class:`InvalidInput` naming every required role that no column matches, with the columns found."""
    by_key: dict[str, str] = {}
    for column in header:
        by_key.setdefault(normalise_header(column), column)
    optional_roles = set(optional)
    found: dict[str, str] = {}
    missing: list[str] = []
    for role, names in wanted.items():
        names = list(names)
        column = next((by_key[normalise_header(n)] for n in names if normalise_header(n) in by_key), None)
        if column is not None:
            found[role] = column
        elif role not in optional_roles:
            others = ", ".join(repr(n) for n in names[1:4])
            missing.append(f"'{names[0]}' (or {others})" if others else repr(names[0]))
    if missing:
        shown = ", ".join(repr(c) for c in list(header)[:12]) or "none"
        raise invalid(file, "header", f"no column for {'; '.join(missing)}; the columns are {shown}")
    return found


@dataclass
class Accumulator:
    """Counts rows while streaming and refuses more than :data:`MAX_ROWS` (a bound on the work)."""

    file: EvidenceFile
    rows: int = 0

    def add(self, count: int) -> None:
        """Count ``count`` more rows."""
        self.rows += count
        if self.rows > MAX_ROWS:
            raise invalid(self.file, "", f"more than {MAX_ROWS:,} rows: split the file")
