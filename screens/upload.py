"""Upload: download the template, upload filled workbooks (or assessment JSON), read the validation report
and the score preview, then confirm to import, each file all or nothing.

Reading, checking and importing are :mod:`readiness.service.intake`, the same use case as the CLI's;
this page only shows their results. A file is read once per upload and only its summary is kept in the
session, by file id (counts, the first problems, the first preview rows: never its assessments), so reruns
stay fast and a session holds little; confirming reads each valid file again and imports it, one at a time.
An upload of more files than ``READINESS_MAX_FILES`` is refused before any file is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from readiness.assessment import Assessment
from readiness.charts import short_gap_labels
from readiness.excel import template_bytes
from readiness.limits import Limits
from readiness.model import GAP_IDS, load_model
from readiness.service.intake import (
    ANSWERED_SUFFIXES,
    MAX_PREVIEW_ROWS,
    FileSummary,
    ImportOutcome,
    import_uploads,
    issues_frame,
    summarize,
    validate_file,
)
from ui import (
    PAGES,
    PILOT_PARAM,
    clear_caches,
    get_engine,
    guarded,
    pilot_history_cached,
    pilot_names_cached,
    plain,
    searchable,
)

UPLOADER_KEY = "upload.files"
REPORTS_KEY = "upload.reports"
RESULTS_KEY = "upload.results"
BLANK = "Blank template"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PILOT_LINKS = 8
MAX_ISSUE_ROWS_SHOWN = 6  # more problems than this scroll inside the table
# Rows taller than 64 px let Streamlit's table wrap a long text over up to three lines instead of cutting it.
WRAPPING_ROW_HEIGHT = 66


def template_section(names: list[str]) -> None:
    """The template download: blank, or prefilled with a pilot's last snapshot."""
    st.subheader("1 · Get the template", anchor=False)
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    with left:
        names = searchable(names, "upload.template_search", keep=[st.session_state.get("upload.template_choice")])
        choice = st.selectbox(
            "Template",
            [BLANK, *names],
            key="upload.template_choice",
            format_func=lambda n: n if n == BLANK else f"Prefilled with {n}'s last snapshot",
            help="A prefilled template starts from the pilot's latest answers, evidence and metrics.",
        )
    prefill: Assessment | None = None
    if choice != BLANK:
        history = pilot_history_cached(choice)
        prefill = history[-1].assessment if history else None
    file_name = "readiness-template.xlsx" if prefill is None else f"readiness-{slug(prefill.pilot.name)}.xlsx"
    with right:
        st.download_button(
            "Download template",
            data=deferred_template(prefill),
            file_name=file_name,
            mime=XLSX_MIME,
            icon=":material/download:",
            key="upload.template_download",
        )


def deferred_template(prefill: Assessment | None) -> Callable[[], bytes]:
    """The template, written only when the download is clicked (not on every rerun)."""
    return lambda: template_bytes(prefill)


def plural(count: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def slug(name: str) -> str:
    """A file-name-safe version of a pilot name."""
    kept = "".join(c if c.isalnum() else "-" for c in name.strip().lower())
    return "-".join(part for part in kept.split("-") if part) or "pilot"


def summaries_for(files: list, limits: Limits) -> list[FileSummary]:
    """The summary of every uploaded file's validation, read once per upload and kept for the session (the
    report itself, with every parsed assessment, is dropped as soon as it is summarised)."""
    cache: dict[str, FileSummary] = st.session_state.setdefault(REPORTS_KEY, {})
    current = {f.file_id for f in files}
    for stale in set(cache) - current:
        del cache[stale]
    summaries = []
    for uploaded in files:
        if uploaded.file_id not in cache:
            cache[uploaded.file_id] = summarize(validate_file(uploaded.name, uploaded.getvalue(), limits=limits))
        summaries.append(cache[uploaded.file_id])
    return summaries


def status_line(report: FileSummary) -> str:
    """One line: how many assessments, errors and warnings."""
    parts = []
    if report.ok:
        parts.append(f":green[**✓ valid**] · {plural(report.assessments, 'assessment')}")
    else:
        parts.append(f":red[**✕ {plural(report.errors, 'error')}**] · nothing will be imported from this file")
    if report.warnings:
        parts.append(f":orange[{plural(report.warnings, 'warning')}]")
    return " · ".join(parts)


def preview_table(report: FileSummary) -> None:
    """The scores the file would give, one row per assessment: verdict, overall and the six gaps under the
    product's own gap labels, narrow enough to be read whole at 1280 pixels (the pilot and its date share
    one wrapping column)."""
    model = load_model()
    frame = report.preview
    shown = frame.drop(columns=["pilot", "as_of"])
    dates = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    shown.insert(0, "snapshot", frame["pilot"].astype(str) + " · " + dates)
    shorts = short_gap_labels(model)
    gap_columns = {
        gap: st.column_config.NumberColumn(shorts[gap], format="%d", help=model.gap(gap).label) for gap in GAP_IDS
    }
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        row_height=WRAPPING_ROW_HEIGHT,
        column_config={
            "snapshot": st.column_config.TextColumn("Pilot · as of", width=150),
            "verdict": st.column_config.TextColumn("Verdict"),
            "overall": st.column_config.NumberColumn("Overall", format="%d"),
            **gap_columns,
        },
        key=f"upload.preview.{report.source_hash[:12]}.{report.name}",
    )
    if report.assessments > MAX_PREVIEW_ROWS:
        st.caption(f"First {MAX_PREVIEW_ROWS} of {report.assessments:,} assessments shown; all will be imported.")


def issues_table(report: FileSummary) -> None:
    """The validation report: every problem with its sheet and cell (the first ones of a long report), the
    message wrapped rather than cut."""
    frame = issues_frame(report.issues)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        row_height=WRAPPING_ROW_HEIGHT,
        height="content" if len(frame) <= MAX_ISSUE_ROWS_SHOWN else 480,
        column_config={
            "severity": st.column_config.TextColumn("Severity", width=72),
            "sheet": st.column_config.TextColumn("Sheet", width=88),
            "cell": st.column_config.TextColumn("Cell / field", width=96),
            "message": st.column_config.TextColumn("Problem", width="large"),
        },
        key=f"upload.issues.{report.source_hash[:12]}.{report.name}",
    )
    if report.problems > len(report.issues):
        st.caption(f"First {len(report.issues)} of {report.problems:,} problems shown, errors first.")


def file_card(report: FileSummary) -> None:
    """One uploaded file: its status, its validation report with sheet and cell, its score preview."""
    with st.container(border=True):
        st.markdown(f"**{plain(report.name)}**")
        st.markdown(status_line(report))
        if report.issues:
            issues_table(report)
        if report.ok:
            preview_table(report)


def batch_key(reports: list[FileSummary]) -> frozenset[tuple[str, str]]:
    """Identifies the uploaded set of files, so that an import's outcome is shown only beside its files."""
    return frozenset((r.name, r.source_hash) for r in reports)


SUPERSEDE_LABEL = "These files replace same-day snapshots"


def import_files(
    files: list[tuple[str, Callable[[], bytes]]],
    actor: str | None,
    batch: frozenset[tuple[str, str]],
    supersede: bool = False,
    limits: Limits | None = None,
) -> None:
    """Import every valid file (its name and bytes: each is read again, then imported, one at a time), each
    all or nothing, with a progress bar; keep the outcome for display."""
    bar = st.progress(0.0, text="Importing…")

    def advance(done: int, total: int, name: str) -> None:
        # The file's name is user text, and a progress text reads Markdown.
        bar.progress(done / total, text=plain(f"Imported {done} of {total}: {name}"))

    try:
        outcomes, failures = import_uploads(get_engine(), files, interface="app", actor=actor, on_progress=advance,
                                            supersede=supersede, limits=limits)  # fmt: skip
        # The pilots as the registry names them (a file may spell a registered name another way); only the
        # first few are kept for their links, with how many there were.
        names = sorted({name for outcome in outcomes for name in outcome.pilot_names})
        pilots = (names[:MAX_PILOT_LINKS], len(names))
        outcomes = [replace(outcome, pilot_names=()) for outcome in outcomes]
    except SQLAlchemyError as problem:
        bar.empty()
        st.error(
            f"Import stopped: the database refused the write ({type(problem).__name__}). Nothing more was written."
        )
        return
    finally:
        clear_caches()
    bar.empty()
    st.session_state[RESULTS_KEY] = (batch, outcomes, failures, pilots)


def show_results(batch: frozenset[tuple[str, str]]) -> None:
    """What the last import of these files did: created, already present, or failed (with why); then where
    to see the result: each imported pilot's page and the Portfolio."""
    results = st.session_state.get(RESULTS_KEY)
    if not results or results[0] != batch:
        return
    outcomes: list[ImportOutcome] = results[1]
    failures: list[tuple[str, str]] = results[2]
    pilots: tuple[list[str], int] = results[3]
    created = sum(o.created for o in outcomes)
    if created:
        st.success(f"Imported {created} new snapshot{'s' if created != 1 else ''}. The portfolio is up to date.")
    for outcome in outcomes:
        (st.info if outcome.created == 0 else st.markdown)(plain(outcome.message))
    for name, reason in failures:
        st.error(plain(f"{name}: not imported. {reason}"))
    if outcomes:
        result_links(pilots)


def result_links(pilots: tuple[list[str], int]) -> None:
    """Links to the first pilots just imported (their Pilot page) and to the Portfolio."""
    first, total = pilots
    columns = st.columns(3)
    for index, name in enumerate(first[:MAX_PILOT_LINKS]):
        with columns[index % 3]:
            st.page_link(
                PAGES["pilot"],
                label=f"Open {plain(name)}",
                icon=":material/radar:",
                query_params={PILOT_PARAM: name},
                help="The pilot's page: verdict, reasons and history",
            )
    more = total - MAX_PILOT_LINKS
    label = f"See the Portfolio ({plural(more, 'more pilot')})" if more > 0 else "See the Portfolio"
    st.page_link(PAGES["portfolio"], label=label, icon=":material/grid_view:")


def upload_section() -> None:
    """Upload, validate, preview and confirm."""
    st.subheader("2 · Upload filled workbooks", anchor=False)
    files = st.file_uploader(
        "Workbooks (.xlsx) or assessment JSON files",
        # The names answered with advice (CSV: save it as .xlsx) are offered too, so that the advice is shown.
        type=[suffix.lstrip(".") for suffix in ANSWERED_SUFFIXES],
        accept_multiple_files=True,
        key=UPLOADER_KEY,
        help="Each file is checked on its own; a file with any error imports nothing. Other spreadsheet "
        "formats are answered with how to save them as .xlsx.",
    )
    if not files:
        st.caption(
            "Nothing uploaded yet. Files are checked as soon as they arrive; nothing is stored until you confirm."
        )
        return
    limits = Limits.from_env()
    if len(files) > limits.max_files:
        # Refused before any file is read: a batch is bounded like the CLI's (readiness import).
        st.error(plain(f"Nothing was read: {limits.too_many_files(len(files))}. Remove files above to go on."))
        st.session_state.pop(REPORTS_KEY, None)
        return
    reports = summaries_for(list(files), limits)
    valid = [r for r in reports if r.ok]
    st.markdown(f"**{plural(len(valid), 'valid file')}**, **{len(reports) - len(valid)}** with errors.")
    for report in reports:
        file_card(report)
    st.subheader("3 · Confirm", anchor=False)
    actor = st.text_input(
        "Imported by", key="upload.actor", placeholder="name@example.com", help="Recorded in the audit log."
    )
    count = sum(r.assessments for r in valid)
    label = f"Import {plural(len(valid), 'valid file')} ({plural(count, 'assessment')})"
    if not valid:
        st.caption("Nothing to import: correct the cells listed above in the workbook, then upload it again.")
    supersede = st.checkbox(
        SUPERSEDE_LABEL, key="upload.supersede",
        help="A pilot keeps one snapshot per day. Without this, a file dated the same day as a stored snapshot that "
             "says otherwise is refused; with it, the stored one is retracted (kept in the record) and replaced.",
    )  # fmt: skip
    if st.button(label, type="primary", disabled=not valid, key="upload.confirm"):
        # Each file's bytes are fetched when its turn comes (getvalue copies them): one file at a time.
        chosen = [(f.name, f.getvalue) for f, r in zip(files, reports, strict=True) if r.ok]
        import_files(chosen, actor.strip() or None, batch_key(reports), supersede, limits)
    show_results(batch_key(reports))


def main() -> None:
    """Draw the Upload page."""
    st.title("Upload assessments", anchor=False)
    st.caption(
        "Fill the Excel template offline, then upload it here: every problem is reported with its sheet and "
        "cell, the scores are previewed, and nothing is stored until you confirm."
    )
    template_section(pilot_names_cached())
    upload_section()


with guarded("the Upload page"):
    main()
