"""Taking assessment files in: the one way from a file to stored snapshots, for every interface.

The Upload page, ``readiness score`` and ``readiness import`` all go through this module, so a file is
judged by the same rules and answered with the same messages wherever it arrives:

* :func:`validate_file` reads and checks a file from its name and bytes; :func:`validate_path` does the
  same for a file on disk and refuses a too-large file before reading it. Neither writes anything nor
  raises for bad input: every problem is an :class:`~readiness.errors.Issue` of the returned
  :class:`FileReport`, located at its sheet and cell (workbooks) or its field (JSON). A file with any
  error holds no assessment.
* :func:`import_report` stores the assessments of a valid report in one transaction (all or nothing);
  :func:`import_reports` imports several files, each on its own.

Accepted files
    Assessment JSON (``.json``: one object or a list of them; arrays and objects nested at most 64 deep,
    numbers at most 100 characters long, no key twice in one object) and workbooks under any workbook name
    (``.xlsx``, ``.xltx``, ``.xlsm``, ``.xltm``, ``.xls``, ``.xlsb``, ``.ods``); each at most 20 MB (see
    "Bounded work"). A workbook is judged by its content, not its name: an ``.xls`` that is really an
    ``.xlsx`` is read, while a legacy ``.xls``, an ``.ods`` or a macro workbook is answered with what it is
    and how to save it as ``.xlsx``. CSV, TSV, text and Apple Numbers files get the same advice; any other
    name is refused as an unsupported file type.

Source tagging
    The store's ``snapshot.source`` holds one of ``app``, ``excel`` and ``cli`` (a CHECK constraint of
    the first migration, kept as is). It names the kind of file wherever the schema has a value for it:
    a workbook is ``excel`` whichever interface brought it. JSON has no value of its own, so a JSON file
    is tagged with its interface: ``app`` on the Upload page, ``cli`` for ``readiness import`` (the values
    the Assess form and ``readiness demo`` use too). So that the interface is never lost, every
    ``snapshot.add`` audit entry records it as ``interface`` (``app`` or ``cli``) beside the file's name
    (``origin``) and SHA-256 (``source_hash``). The actor is always the person: the name typed on the
    Upload page (else each assessment's submitter), or the user running the CLI.

Bounded work (:mod:`readiness.limits`, each cap an environment variable)
    A file is at most ``READINESS_MAX_FILE_MB`` (20) megabytes and holds at most
    ``READINESS_MAX_ASSESSMENTS_PER_FILE`` (2,000) assessments: a JSON list's items are counted before it is
    parsed, a Portfolio sheet's rows before any row is validated. One upload or ``readiness import`` call takes
    at most ``READINESS_MAX_FILES`` (20) files and adds at most ``READINESS_MAX_NEW_PILOTS`` (500) new pilots
    (counted over its files, in order: :class:`ImportBatch`); the store holds at most ``READINESS_MAX_PILOTS``
    (10,000) pilots. A file over a cap is refused whole, with the cap, what the file had and the variable
    that raises the cap; the other files of the batch still import. The Upload page keeps a
    :class:`FileSummary` of each file (counts, the first problems, the first preview rows), never its
    assessments: :func:`import_uploads` reads each file again when it is imported, one file at a time.

Batches
    Every file is judged on its own: a file that cannot be parsed (whatever its bytes: deep nesting,
    endless numbers, broken JSON) is a report with errors, never an exception, so the files beside it
    are still checked and imported. Nothing is ever written from a file with an error.

Pilot names
    An assessment of a pilot already registered under another spelling of its name (same
    :func:`~readiness.assessment.name_key`: ``claims  triage`` for ``Claims triage``) is attached to that
    pilot, under its registered name: the access check, the store and the outcome all name it so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from readiness import display
from readiness.assessment import Assessment, PilotContext, parse_assessment
from readiness.errors import InvalidInput, Issue, IssueReport
from readiness.excel.reader import read_workbook
from readiness.excel.safe import SAVE_AS
from readiness.jsonread import JsonRefused, unique_keys
from readiness.limits import Limits
from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.portfolio import assessments_to_frame, score_frame
from readiness.scoring import VERDICT_LABELS
from readiness.service.access import (
    Identity,
    NotPermitted,
    PilotScope,
    ambient_identity,
    audit_actor,
    permits,
    refusal_issue,
    unrestricted,
)
from readiness.service.grants import written_by
from readiness.store import AddResult, add_assessment, add_assessments
from readiness.store.grants import pilot_scopes
from readiness.store.repository import registry_names, with_registry_names
from readiness.store.tables import PILOT

Interface = Literal["app", "cli"]
FileKind = Literal["excel", "json", ""]

# Workbook-like names go to the workbook reader, which judges the content, not the name.
WORKBOOK_SUFFIXES = (".xlsx", ".xltx", ".xlsm", ".xltm", ".xls", ".xlsb", ".ods")
JSON_SUFFIXES = (".json",)
ACCEPTED_SUFFIXES = (*JSON_SUFFIXES, *WORKBOOK_SUFFIXES)
# Formats people save spreadsheets in that are not workbooks, each answered with what to do.
NOT_WORKBOOKS = {
    ".csv": "a CSV file",
    ".tsv": "a tab-separated text file",
    ".txt": "a text file",
    ".numbers": "an Apple Numbers file",
}
# What a file picker should offer: every accepted name, and the names answered with advice.
ANSWERED_SUFFIXES = (*ACCEPTED_SUFFIXES, *NOT_WORKBOOKS)
EXPECTED: dict[str, str] = {"json": "assessment JSON", "excel": "an Excel workbook (.xlsx)"}
ISSUE_COLUMNS = ["severity", "sheet", "cell", "message"]
NO_ASSESSMENT = "the file holds no assessment"
# Bounds of assessment JSON, far above any real file: an assessment is 3 levels deep, a number a few digits.
MAX_JSON_DEPTH = 64
MAX_NUMBER_CHARS = 100
# What the Upload page keeps of a file's report (FileSummary): the first problems and preview rows.
MAX_SUMMARY_ISSUES = 200
MAX_PREVIEW_ROWS = 200
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


@dataclass
class FileReport(IssueReport):
    """What one file holds and what is wrong with it; ``ok`` when it can be imported.

    ``kind`` is ``excel`` (a workbook name), ``json`` or ``""`` (a name this product does not read);
    ``source_hash`` the SHA-256 of the bytes read (``""`` when none could be read).
    """

    name: str
    source_hash: str
    kind: FileKind
    assessments: list[Assessment] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def problem(self) -> InvalidInput:
        """The report's errors as the exception the CLI prints, with the file name as its source."""
        return InvalidInput(self.errors or [Issue("error", "", NO_ASSESSMENT)], self.name)

    def raise_for_errors(self) -> list[Assessment]:
        """The assessments, or :class:`InvalidInput` naming every error when the file cannot be used."""
        if not self.ok:
            raise self.problem()
        return self.assessments


@dataclass(frozen=True)
class ImportOutcome:
    """The result of importing one file: how many snapshots were new, already stored, and of how many pilots."""

    name: str
    created: int
    already_present: int
    pilots: int = 0
    pilot_names: tuple[str, ...] = ()  # the pilots written, as the registry names them

    @property
    def message(self) -> str:
        """One line for the user."""
        if self.created == 0:
            return f"{self.name}: already present, nothing new to import"
        extra = f", {self.already_present} already present" if self.already_present else ""
        plural = "s" if self.created != 1 else ""
        return f"{self.name}: {self.created} snapshot{plural} imported{extra}"


# --------------------------------------------------------------------------------------------
# Reading and checking
# --------------------------------------------------------------------------------------------


def file_hash(data: bytes) -> str:
    """SHA-256 of the file's bytes: the same file always has the same hash, so re-imports are no-ops."""
    return hashlib.sha256(data).hexdigest()


def file_kind(name: str) -> FileKind:
    """``excel`` for any workbook name, ``json`` for ``.json``, ``""`` for anything else."""
    suffix = Path(name).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return "excel"
    if suffix in JSON_SUFFIXES:
        return "json"
    return ""


def validate_file(
    name: str, data: bytes, model: ReadinessModel | None = None, limits: Limits | None = None
) -> FileReport:
    """Read and check one file from its name and bytes, without writing anything.

    Never raises for bad input: every problem comes back as an :class:`Issue` of the report. ``limits``
    (default: :meth:`Limits.from_env`) bounds its size and how many assessments it may hold.
    """
    limits = limits or Limits.from_env()
    report = FileReport(name=name, source_hash=file_hash(data), kind=file_kind(name))
    try:
        _refuse_by_name(name)
        _refuse_by_size(report.kind, len(data), name, limits)
        report.assessments, report.issues = _read(report.kind, data, name, model or load_model(), limits)
    except InvalidInput as problem:
        report.assessments, report.issues = [], [*problem.issues, *problem.warnings]
    except (RecursionError, ValueError, OverflowError) as failure:
        # The last line of defence for bytes no reader foresaw: this file is refused, the batch goes on.
        message = f"the file cannot be read ({type(failure).__name__}): expected {EXPECTED.get(report.kind, 'a file')}"
        report.assessments, report.issues = [], [Issue("error", "", message)]
    if not report.assessments and not report.errors:
        report.issues.append(Issue("error", "", NO_ASSESSMENT))
    if report.errors:
        report.assessments = []  # a file with any error gives nothing
    return report


def validate_path(path: Path, model: ReadinessModel | None = None, limits: Limits | None = None) -> FileReport:
    """:func:`validate_file` for a file on disk (the report is named after the file, not its folder).

    A missing file, a name this product does not read and a file above the size limit are refused
    before a byte of it is read.
    """
    limits = limits or Limits.from_env()
    try:
        data = _bounded_read(path, limits)
    except InvalidInput as problem:
        return FileReport(name=path.name, source_hash="", kind=file_kind(path.name), issues=list(problem.issues))
    return validate_file(path.name, data, model, limits)


def _refuse_by_name(name: str) -> None:
    """:class:`InvalidInput` for a name this product does not read, saying what to do instead."""
    suffix = Path(name).suffix.lower()
    if suffix in NOT_WORKBOOKS:
        raise InvalidInput([Issue("error", "", f"this is {NOT_WORKBOOKS[suffix]}: {SAVE_AS}")], name)
    if not file_kind(name):
        message = f"unsupported file type '{suffix or 'none'}': expected .json or .xlsx"
        raise InvalidInput([Issue("error", "", message)], name)


def _refuse_by_size(kind: FileKind, size: int, name: str, limits: Limits) -> None:
    if size == 0:
        raise InvalidInput([Issue("error", "", f"the file is empty: expected {EXPECTED[kind]}")], name)
    if size > limits.max_file_bytes:
        raise InvalidInput([Issue("error", "", limits.file_too_large(size))], name)


def _bounded_read(path: Path, limits: Limits) -> bytes:
    """The file's bytes, once its name and size are acceptable (so a huge file is never read)."""
    name = path.name
    try:
        if not path.is_file():
            raise InvalidInput([Issue("error", "", "no such file")], name)
        _refuse_by_name(name)
        size = path.stat().st_size
        if size:  # an empty file is refused by validate_file, with the file's hash like any other
            _refuse_by_size(file_kind(name), size, name, limits)
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput([Issue("error", "", f"the file cannot be read: {error.strerror or error}")], name) from None


def _read(
    kind: FileKind, data: bytes, name: str, model: ReadinessModel, limits: Limits
) -> tuple[list[Assessment], list[Issue]]:
    if kind == "excel":
        workbook = read_workbook(data, name, model, caps=limits)
        return list(workbook.assessments), list(workbook.issues)
    return _read_json(data, name, model, limits), []


def _json_number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise JsonRefused(f"a number {len(text):,} characters long: numbers may have at most {MAX_NUMBER_CHARS}")
        return kind(text)

    return parse


def json_shape(text: str) -> tuple[int, int | None]:
    """How deep arrays and objects nest in JSON text (0 for a scalar) and, when the text is an array, how many
    items it holds at its top level (else None), both counted without parsing it (so without recursion and
    without building a single object); brackets and commas inside strings do not count."""
    outside = _JSON_STRING.sub("", text).encode("utf-8")
    codes = np.frombuffer(outside, dtype=np.uint8)
    marks = codes[np.isin(codes, (0x5B, 0x5D, 0x7B, 0x7D, 0x2C))]  # [ ] { } ,
    del codes
    steps = np.zeros(marks.size, dtype=np.int32)
    steps[(marks == 0x5B) | (marks == 0x7B)] = 1
    steps[(marks == 0x5D) | (marks == 0x7D)] = -1
    depth = np.cumsum(steps)
    deepest = int(depth.max()) if depth.size else 0
    if not outside.lstrip().startswith(b"["):
        return deepest, None
    # Items of the top-level array: its commas (at depth 1) plus one, unless it is empty ("[ ]").
    commas = int(np.count_nonzero((marks == 0x2C) & (depth == 1)))
    empty = outside.strip()[1:-1].strip() == b"" if commas == 0 else False
    return deepest, 0 if empty else commas + 1


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON text (0 for a scalar), counted without parsing it (so
    without recursion); brackets inside strings do not count."""
    return json_shape(text)[0]


def load_json(data: bytes, name: str, limits: Limits | None = None) -> Any:
    """Parse untrusted JSON bytes, or :class:`InvalidInput` naming the file: not UTF-8, not JSON, nested
    deeper than :data:`MAX_JSON_DEPTH`, a number longer than :data:`MAX_NUMBER_CHARS` characters, or a key
    twice in one object. Never a ``RecursionError`` or ``ValueError``, whatever the bytes.

    With ``limits``, a list of more than ``limits.max_assessments_per_file`` items is refused before it is
    parsed (its items are counted on the text), so a huge list never becomes Python objects.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([Issue("error", "", "not UTF-8 text: expected an assessment JSON file")], name) from None
    depth, items = json_shape(text)
    if depth > MAX_JSON_DEPTH:
        message = f"arrays and objects nested more than {MAX_JSON_DEPTH} levels deep: not an assessment file"
        raise InvalidInput([Issue("error", "", message)], name)
    if limits is not None and items is not None and items > limits.max_assessments_per_file:
        raise InvalidInput([Issue("error", "", limits.too_many_assessments(items))], name)
    try:
        return json.loads(
            text, object_pairs_hook=unique_keys, parse_int=_json_number(int), parse_float=_json_number(float)
        )
    except JsonRefused as refused:
        raise InvalidInput([Issue("error", "", str(refused))], name) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise InvalidInput([Issue("error", where, f"not valid JSON: {error.msg}")], name) from None
    except RecursionError:  # not reached after the depth check; kept so that no input can raise it
        message = f"arrays and objects nested more than {MAX_JSON_DEPTH} levels deep: not an assessment file"
        raise InvalidInput([Issue("error", "", message)], name) from None


def _read_json(data: bytes, name: str, model: ReadinessModel, limits: Limits) -> list[Assessment]:
    """The assessments of JSON bytes holding one assessment or a list of them (all valid, or an error); a
    list longer than the cap is refused before it is parsed."""
    payload = load_json(data, name, limits)
    records = payload if isinstance(payload, list) else [payload]
    if len(records) > limits.max_assessments_per_file:  # counted on the text already; kept as the rule itself
        raise InvalidInput([Issue("error", "", limits.too_many_assessments(len(records)))], name)
    if not records:
        raise InvalidInput([Issue("error", "", "the file holds an empty list: no assessment")], name)
    oversized = [Issue(i.severity, f"[{k}].{i.location}" if len(records) > 1 else i.location, i.message)
                 for k, record in enumerate(records) for i in _oversized(record, model)]  # fmt: skip
    if oversized:
        raise InvalidInput(oversized, name)
    if len(records) == 1:
        return [parse_assessment(records[0], name, model)]
    assessments, issues = [], []
    for index, record in enumerate(records):
        try:
            assessments.append(parse_assessment(record, name, model))
        except InvalidInput as problem:
            issues += [Issue(i.severity, f"[{index}].{i.location}", i.message) for i in problem.issues]
    if issues:
        raise InvalidInput(issues, name)
    return assessments


def _oversized(record: Any, model: ReadinessModel) -> list[Issue]:
    """The mappings of a JSON record with more entries than any assessment can have (the object's fields, the
    pilot's, one answer per question, one value per metric, one reference per question or metric): one issue
    each, before validation, which would report every entry (600,000 unknown IDs are 600,000 issues)."""
    if not isinstance(record, dict):
        return []
    bounds = {
        "": (record, len(Assessment.model_fields), "fields"),
        "pilot": (record.get("pilot"), len(PilotContext.model_fields), "fields"),
        "answers": (record.get("answers"), len(model.questions), "questions"),
        "metrics": (record.get("metrics"), len(model.metrics), "metrics"),
        "evidence": (record.get("evidence"), len(model.questions) + len(model.metrics), "questions and metrics"),
    }
    issues = []
    for location, (mapping, bound, what) in bounds.items():
        if isinstance(mapping, dict) and len(mapping) > bound:
            holds = "the object has" if not location else f"{location} has"
            message = f"{holds} {len(mapping):,} entries, more than the {bound} {what} an assessment can have"
            issues.append(Issue("error", location, message))
    return issues


# --------------------------------------------------------------------------------------------
# What the file would give, as tables
# --------------------------------------------------------------------------------------------


def split_location(location: str) -> tuple[str, str]:
    """``Metrics!E7`` → (``Metrics``, ``E7``); a JSON field such as ``metrics.x`` stays whole as the cell."""
    sheet, bang, cell = location.rpartition("!")
    if bang:
        return sheet.strip("'"), cell
    return "", location


def issues_frame(issues: Sequence[Issue]) -> pd.DataFrame:
    """The validation report as a table: severity, sheet, cell (or field) and message; errors first."""
    rows = []
    for issue in sorted(issues, key=lambda i: i.severity != "error"):
        sheet, cell = split_location(issue.location)
        rows.append({"severity": issue.severity, "sheet": sheet, "cell": cell, "message": issue.message})
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


def preview_frame(assessments: Sequence[Assessment], model: ReadinessModel | None = None) -> pd.DataFrame:
    """The scores the file would give, one row per assessment: pilot, date, verdict, overall, six gaps."""
    model = model or load_model()
    columns = ["pilot", "as_of", "verdict", "overall", *GAP_IDS]
    if not assessments:
        return pd.DataFrame(columns=columns)
    scored = score_frame(assessments_to_frame(assessments, model), model)
    frame = pd.DataFrame(
        {
            "pilot": scored["pilot"].to_numpy(),
            "as_of": scored["as_of"].to_numpy(),
            "verdict": scored["verdict"].map(VERDICT_LABELS).to_numpy(),
            "overall": scored["overall"].map(display.score_number).to_numpy(),
        }
    )
    for gap in GAP_IDS:
        frame[gap] = scored[f"score.{gap}"].map(display.score_number).to_numpy()
    return frame


@dataclass(frozen=True, eq=False)
class FileSummary:
    """What a page keeps of a :class:`FileReport`: no assessment, only what it shows (bounded by the caps).

    ``issues``: the first :data:`MAX_SUMMARY_ISSUES` problems, errors first (``errors`` and ``warnings``
    count them all); ``preview``: the first :data:`MAX_PREVIEW_ROWS` rows of :func:`preview_frame`.
    """

    name: str
    source_hash: str
    kind: FileKind
    assessments: int
    errors: int
    warnings: int
    issues: tuple[Issue, ...]
    preview: pd.DataFrame

    @property
    def ok(self) -> bool:
        """Whether the file can be imported: no error, and at least one assessment."""
        return self.errors == 0 and self.assessments > 0

    @property
    def problems(self) -> int:
        """How many problems the file has (errors and warnings), of which ``issues`` holds the first."""
        return self.errors + self.warnings


def summarize(report: FileReport, model: ReadinessModel | None = None) -> FileSummary:
    """The summary of a report (what the Upload page keeps in the session, instead of the report)."""
    ordered = sorted(report.issues, key=lambda i: i.severity != "error")
    preview = preview_frame(report.assessments[:MAX_PREVIEW_ROWS], model) if report.ok else preview_frame([], model)
    return FileSummary(
        name=report.name,
        source_hash=report.source_hash,
        kind=report.kind,
        assessments=len(report.assessments),
        errors=len(report.errors),
        warnings=len(report.warnings),
        issues=tuple(ordered[:MAX_SUMMARY_ISSUES]),
        preview=preview,
    )


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


@dataclass
class ImportBatch:
    """One upload or ``readiness import`` call: the caps in force and the new pilots its files added so far
    (the ``READINESS_MAX_NEW_PILOTS`` cap counts over the batch)."""

    limits: Limits = field(default_factory=Limits.from_env)
    new_pilots: int = 0

    def check_files(self, count: int) -> None:
        """:class:`InvalidInput` when a batch holds more files than ``READINESS_MAX_FILES``."""
        if count > self.limits.max_files:
            raise InvalidInput([Issue("error", "", self.limits.too_many_files(count))])


def stored_pilots(engine: Engine) -> int:
    """How many pilots the store's registry holds."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(PILOT)).scalar_one())


def new_pilots(engine: Engine, assessments: Sequence[Assessment]) -> list[str]:
    """The pilots of ``assessments`` (under their registry names, :func:`with_registry_names`) that the
    registry does not hold yet."""
    names = list(dict.fromkeys(a.pilot.name for a in assessments))
    registered = registry_names(engine, names)
    return [name for name in names if name not in registered]


def check_capacity(engine: Engine, assessments: Sequence[Assessment], batch: ImportBatch, source: str = "") -> int:
    """Refuse (:class:`InvalidInput`) assessments whose new pilots would take the batch over
    ``READINESS_MAX_NEW_PILOTS`` or the store over ``READINESS_MAX_PILOTS``; else how many pilots they add."""
    adds = len(new_pilots(engine, assessments))
    if not adds:
        return 0
    limits = batch.limits
    if batch.new_pilots + adds > limits.max_new_pilots:
        raise InvalidInput([Issue("error", "", limits.too_many_new_pilots(adds, batch.new_pilots))], source)
    stored = stored_pilots(engine)
    if stored + adds > limits.max_pilots:
        raise InvalidInput([Issue("error", "", limits.store_full(stored, adds))], source)
    return adds


def snapshot_source(kind: FileKind, interface: Interface) -> str:
    """The ``snapshot.source`` of a file: ``excel`` for a workbook, else the interface (see the module)."""
    return "excel" if kind == "excel" else interface


def check_write(
    engine: Engine, identity: Identity, action: str, assessments: Sequence[Assessment], source: str = ""
) -> None:
    """Refuse (:class:`~readiness.service.access.NotPermitted`, naming every pilot refused) unless
    ``identity`` may take ``action`` (``import`` or ``assess``) on every pilot of ``assessments``.

    A contributor writes a pilot only when its scope covers the pilot as the registry holds it (an existing
    pilot) and as the assessment describes it (a new pilot, or the team and unit the assessment gives it), so
    a file can neither write another team's pilot nor move a pilot out of the contributor's scope. Admins
    (and the local user) are not looked up at all.
    """
    if unrestricted(identity, action):
        return
    if not permits(identity, action):
        raise NotPermitted.of(identity, action, None, source)
    stored = pilot_scopes(engine, [a.pilot.name for a in assessments])
    issues = []
    for assessment in assessments:
        pilot = assessment.pilot
        issue = None
        if pilot.name in stored:
            unit, team = stored[pilot.name]
            registered = PilotScope(pilot.name, business_unit=unit, owning_team=team)
            if not permits(identity, action, registered):
                issue = refusal_issue(identity, action, registered)
        if issue is None and not permits(identity, action, pilot):
            issue = refusal_issue(identity, action, pilot)
            if pilot.name in stored:
                message = issue.message.replace(
                    f"pilot '{pilot.name}' belongs to", f"the file moves pilot '{pilot.name}' to"
                )
                issue = replace(issue, message=message)
        if issue is not None and issue not in issues:
            issues.append(issue)
    if issues:
        raise NotPermitted(issues, source)


def import_report(
    engine: Engine,
    report: FileReport,
    *,
    interface: Interface,
    actor: str | None = None,
    identity: Identity | None = None,
    supersede: bool = False,
    batch: ImportBatch | None = None,
) -> ImportOutcome:
    """Store every assessment of a valid file in one transaction (all or nothing).

    A pilot keeps one snapshot in force per day: an assessment dated the day of a stored snapshot with other
    content is refused unless ``supersede`` (the user says the file replaces it; the stored one is retracted,
    not deleted). See :func:`readiness.store.add_assessments`.

    ``interface`` is the one the file came through (``app`` or ``cli``) and ``actor`` who imports it (the
    name typed; once signed in, the audit log names the identity instead), both recorded in the audit log.
    ``identity`` is who imports (default: the interface's current identity, the local admin without
    sign-in): checked against every pilot of the file first, so a file with one pilot outside a
    contributor's scope writes nothing. Raises :class:`InvalidInput` when the file has errors (such a file
    never reaches the store), :class:`~readiness.service.access.NotPermitted` (an ``InvalidInput``) when
    the identity may not write one of its pilots, or when the store cannot hold one of its assessments.

    ``batch`` is the upload or import call the file belongs to (default: a batch of this file alone): a file
    whose new pilots take the batch over ``READINESS_MAX_NEW_PILOTS``, or the store over
    ``READINESS_MAX_PILOTS``, is refused (:class:`InvalidInput`, nothing written).
    """
    batch = batch or ImportBatch()
    # Each pilot under its registered name (another spelling of a registered name is that pilot).
    assessments = with_registry_names(engine, report.raise_for_errors())
    identity = identity or ambient_identity()
    check_write(engine, identity, "import", assessments)  # interfaces name the file before the reason
    adds = check_capacity(engine, assessments, batch)
    results = add_assessments(
        engine,
        assessments,
        source=snapshot_source(report.kind, interface),
        actor=audit_actor(identity, actor),
        source_hash=report.source_hash,
        origin=report.name,
        interface=interface,
        written_by=written_by(identity),
        supersede=supersede,
    )
    batch.new_pilots += adds
    created = sum(1 for r in results if r.created)
    names = tuple(dict.fromkeys(a.pilot.name for a in assessments))
    return ImportOutcome(
        name=report.name, created=created, already_present=len(results) - created, pilots=len(names), pilot_names=names
    )


def save_assessment(
    engine: Engine,
    assessment: Assessment,
    *,
    interface: Interface,
    actor: str | None = None,
    identity: Identity | None = None,
    supersede: bool = False,
) -> AddResult:
    """Store one assessment typed in (the Assess page) as a dated snapshot; the same content again is a no-op.

    ``identity`` (default: the interface's current one) must be allowed to ``assess`` the pilot, else
    :class:`~readiness.service.access.NotPermitted` and nothing is written. A snapshot of the same pilot and
    day with other content is refused unless ``supersede`` (see :func:`import_report`).
    """
    identity = identity or ambient_identity()
    (assessment,) = with_registry_names(engine, [assessment])
    check_write(engine, identity, "assess", [assessment])
    check_capacity(engine, [assessment], ImportBatch())  # a new pilot must fit in the store
    return add_assessment(
        engine,
        assessment,
        source=interface,
        actor=audit_actor(identity, actor),
        interface=interface,
        written_by=written_by(identity),
        supersede=supersede,
    )


def import_reports(
    engine: Engine,
    reports: Sequence[FileReport],
    *,
    interface: Interface,
    actor: str | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    identity: Identity | None = None,
    supersede: bool = False,
    limits: Limits | None = None,
) -> tuple[list[ImportOutcome], list[tuple[str, str]]]:
    """Import every valid file, each in its own transaction; a failing file does not stop the others.

    Returns the outcomes and, for files that could not be stored (or that ``identity`` may not write, see
    :func:`import_report`), (file name, reason) pairs. ``on_progress(done, total, name)`` is called after
    each file, for a progress bar. The files are one batch (:class:`ImportBatch`): more than
    ``READINESS_MAX_FILES`` of them is an :class:`InvalidInput` before anything is written.
    """
    batch = ImportBatch(limits or Limits.from_env())
    batch.check_files(len(reports))
    valid = [(r.name, lambda r=r: r) for r in reports if r.ok]
    return _import_each(engine, valid, batch, interface=interface, actor=actor, on_progress=on_progress,
                        identity=identity, supersede=supersede)  # fmt: skip


def import_uploads(
    engine: Engine,
    files: Sequence[tuple[str, bytes | Callable[[], bytes]]],
    *,
    interface: Interface,
    actor: str | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    identity: Identity | None = None,
    supersede: bool = False,
    limits: Limits | None = None,
) -> tuple[list[ImportOutcome], list[tuple[str, str]]]:
    """:func:`import_reports` from the files' names and bytes (or a function that returns them, called when the
    file's turn comes): each file is read again and imported before the next is read, so a batch never holds
    more than one file's assessments (the Upload page keeps summaries only). A file that no longer validates
    is a failure, with its first problem."""
    batch = ImportBatch(limits or Limits.from_env())
    batch.check_files(len(files))

    def reader(data: bytes | Callable[[], bytes], name: str) -> Callable[[], FileReport]:
        return lambda: validate_file(name, data() if callable(data) else data, limits=batch.limits)

    return _import_each(engine, [(name, reader(data, name)) for name, data in files], batch, interface=interface,
                        actor=actor, on_progress=on_progress, identity=identity, supersede=supersede)  # fmt: skip


def _import_each(
    engine: Engine,
    files: Sequence[tuple[str, Callable[[], FileReport]]],
    batch: ImportBatch,
    *,
    interface: Interface,
    actor: str | None,
    on_progress: Callable[[int, int, str], None] | None,
    identity: Identity | None,
    supersede: bool,
) -> tuple[list[ImportOutcome], list[tuple[str, str]]]:
    # One file read (or taken) and imported at a time, in its own transaction; a failure is noted, never fatal.
    outcomes: list[ImportOutcome] = []
    failures: list[tuple[str, str]] = []
    identity = identity or ambient_identity()
    for done, (name, read) in enumerate(files, start=1):
        try:
            outcomes.append(import_report(engine, read(), interface=interface, actor=actor, identity=identity,
                                          supersede=supersede, batch=batch))  # fmt: skip
        except InvalidInput as problem:
            failures.append((name, problem.summary()))
        if on_progress is not None:
            on_progress(done, len(files), name)
    return outcomes, failures
