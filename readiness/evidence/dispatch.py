"""From evidence files to summaries: :func:`read_evidence` recognises each file (or takes the kind it is
told), groups the files of one Locust run, runs the matching adapter and returns one
:class:`~readiness.evidence.base.EvidenceSummary` per evidence set."""

from __future__ import annotations

from collections.abc import Sequence

from readiness.errors import InvalidInput, Issue
from readiness.evidence.base import (
    EVIDENCE_KINDS,
    KIND_LABELS,
    EvidenceFile,
    EvidenceKind,
    EvidenceOptions,
    EvidenceSummary,
    Provenance,
    Reading,
    SourceFile,
    check_size,
    invalid,
    max_evidence_bytes,
)
from readiness.evidence.loadtest import (
    looks_like_jmeter,
    looks_like_k6,
    looks_like_locust,
    read_jmeter,
    read_k6,
    read_locust,
)
from readiness.evidence.records import (
    looks_like_incident_log,
    looks_like_usage_log,
    read_data_sample,
    read_incident_log,
    read_usage_log,
)

__all__ = [
    "EVIDENCE_KINDS",
    "KIND_LABELS",
    "MAX_EVIDENCE_FILES",
    "EvidenceFile",
    "EvidenceKind",
    "EvidenceOptions",
    "EvidenceSummary",
    "Provenance",
    "Reading",
    "SourceFile",
    "detect_kind",
    "max_evidence_bytes",
    "read_evidence",
]

# Files per call: a Locust run is two to four files; more is a mistake or an attack, not evidence.
MAX_EVIDENCE_FILES = 8

# Recognised by their first bytes, most specific first. A production data sample has no signature (any
# table can be one): it is read as such only when asked, or when the team names its columns.
SNIFFERS = (
    ("k6", looks_like_k6),
    ("locust", looks_like_locust),
    ("jmeter", looks_like_jmeter),
    ("usage_log", looks_like_usage_log),
    ("incident_log", looks_like_incident_log),
)
NOT_RECOGNISED = (
    "not recognised as a Locust, JMeter or k6 result, a usage log (user, time, action) or an incident log "
    "(started, detected); for a production data sample, name its required or key columns, or choose the "
    "kind 'data_sample'"
)


def detect_kind(file: EvidenceFile, options: EvidenceOptions | None = None) -> EvidenceKind:
    """The kind of evidence a file holds, from its first bytes; :class:`InvalidInput` when none fits."""
    check_size(file)
    head = file.head()
    for kind, looks_like in SNIFFERS:
        if looks_like(head, file.name):
            return kind  # type: ignore[return-value]
    if options is not None and (options.required_columns or options.key_columns):
        return "data_sample"
    raise invalid(file, "", NOT_RECOGNISED)


def read_evidence(
    files: Sequence[EvidenceFile], options: EvidenceOptions | None = None, kind: EvidenceKind | None = None
) -> list[EvidenceSummary]:
    """What the files measure: one summary per evidence set (each file, or the files of one Locust run).

    ``kind`` applies to every file; without it each file's kind is recognised. Raises :class:`InvalidInput`
    naming the file for the first file that cannot be read, and when two sets measure the same metric
    (which one counts would be a guess). Reads only: nothing is written anywhere.
    """
    options = options or EvidenceOptions()
    if not files:
        raise InvalidInput([Issue("error", "", "no evidence file given")])
    if len(files) > MAX_EVIDENCE_FILES:
        raise InvalidInput([Issue("error", "", f"{len(files)} files: at most {MAX_EVIDENCE_FILES} at a time")])
    kinds = [kind or detect_kind(f, options) for f in files]
    locust_runs: dict[str, list[EvidenceFile]] = {}
    summaries: list[EvidenceSummary] = []
    for file, file_kind in zip(files, kinds, strict=True):
        if file_kind == "locust":
            locust_runs.setdefault(_run_prefix(file.name), []).append(file)
        else:
            summaries.append(_read_one(file, file_kind, options))
    summaries[:0] = [read_locust(run, options) for run in locust_runs.values()]
    _refuse_overlaps(summaries)
    return [shown_precision(s) for s in summaries]


SIGNIFICANT_DIGITS = 4


def shown_precision(summary: EvidenceSummary) -> EvidenceSummary:
    """The summary with each value rounded to four significant digits: the value stored and scored is the
    one a person reads (1.244%, not 1.24397%); the method keeps the exact counts it came from."""
    readings = tuple(
        r.model_copy(update={"value": float(f"{r.value:.{SIGNIFICANT_DIGITS}g}")}) for r in summary.readings
    )
    return summary.model_copy(update={"readings": readings})


def _read_one(file: EvidenceFile, kind: EvidenceKind, options: EvidenceOptions) -> EvidenceSummary:
    match kind:
        case "jmeter":
            return read_jmeter(file, options)
        case "k6":
            return read_k6(file, options)
        case "data_sample":
            return read_data_sample(file, options)
        case "usage_log":
            return read_usage_log(file, options)
        case "incident_log":
            return read_incident_log(file, options)
    raise invalid(file, "", f"unknown evidence kind {kind!r}")


def _run_prefix(name: str) -> str:
    """The ``--csv`` prefix of a Locust file (``run_stats_history.csv`` → ``run``): one run per prefix."""
    stem = name.rsplit(".", 1)[0]
    for suffix in ("_stats_history", "_stats", "_failures", "_exceptions"):
        if stem.endswith(suffix):
            return stem.removesuffix(suffix)
    return stem


def _refuse_overlaps(summaries: list[EvidenceSummary]) -> None:
    seen: dict[str, str] = {}
    for summary in summaries:
        files = " and ".join(f.name for f in summary.provenance.files)
        for reading in summary.readings:
            if reading.metric_id in seen:
                message = f"{reading.metric_id} is measured by both {seen[reading.metric_id]} and {files}: keep one"
                raise InvalidInput([Issue("error", "", message)], files)
            seen[reading.metric_id] = files
