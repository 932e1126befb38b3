"""The Pilot page's evidence drop: upload evidence files, see what they measure, confirm to store.

Reading and storing are :mod:`readiness.service.evidence`, the use case ``readiness evidence`` calls too.
Uploads are written to a private temporary directory for the adapters, which stream files from disk, and
removed at once; the session keeps the computed plan (values and provenance), never the files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from readiness import display
from readiness.errors import InvalidInput
from readiness.evidence.base import column_list
from readiness.evidence.dispatch import EVIDENCE_KINDS, KIND_LABELS, EvidenceFile, EvidenceOptions
from readiness.scoring import VERDICT_LABELS
from readiness.service.access import permits
from readiness.service.evidence import EvidencePlan, plan_evidence, store_evidence
from ui.auth import current_identity
from ui.state import clear_caches, get_engine, plain

PLAN_KEY = "evidence.plan"
DONE_KEY = "evidence.done"
AUTO = "Recognise from the file"
EVIDENCE_TYPES = ["csv", "jtl", "json", "parquet", "xlsx", "txt"]
PLAN_COLUMNS = {
    "Metric": st.column_config.TextColumn("Metric"),
    "Measured": st.column_config.TextColumn("Measured"),
    "Anchor": st.column_config.TextColumn("Anchor", help="Green: at or better than the green anchor; red: at or "
                                          "worse than the red one; between: scored on the line between them"),
    "Green / red": st.column_config.TextColumn("Green / red"),
    "Was": st.column_config.TextColumn("Was", help="The value in the pilot's latest snapshot, with its evidence"),
}  # fmt: skip


def evidence_section(pilot: str, context: object) -> None:
    """The evidence drop for one pilot, for those allowed to import for it (checked again on the server)."""
    if not permits(current_identity(), "import", context):  # type: ignore[arg-type]
        return
    done = st.session_state.pop(DONE_KEY, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    with st.expander("Add measured evidence: load tests, a data sample, usage or incident logs"):
        st.caption(
            "Drop the files your tools already write: Locust's CSV output (stats and stats history), a JMeter "
            "JTL saved as CSV, k6's summary JSON, a production data sample (CSV, Parquet or Excel), a usage log "
            "(user, time, action) or an incident log (started, detected). Readiness computes the metrics itself "
            "and stores them as measured, the highest evidence level. Files up to 25 MB here; larger result "
            "files through `readiness evidence`."
        )
        with st.form("evidence.form", border=False):
            files = st.file_uploader("Evidence files", type=EVIDENCE_TYPES, accept_multiple_files=True,
                                     key="evidence.files")  # fmt: skip
            kind = st.selectbox("What the files are", [AUTO, *EVIDENCE_KINDS],
                                format_func=lambda k: k if k == AUTO else KIND_LABELS[k])  # fmt: skip
            left, middle, right = st.columns(3)
            required = left.text_input("Data sample: required columns", max_chars=500,
                                       help="Comma-separated; every record must have these")  # fmt: skip
            key = middle.text_input("Data sample: key columns", max_chars=500,
                                    help="Comma-separated; the columns that identify a record")  # fmt: skip
            intended = right.number_input("Usage log: intended users", min_value=0, max_value=10_000_000, value=0,
                                          help="How many people the system is meant for (0: not known)")  # fmt: skip
            computed = st.form_submit_button("Compute the metrics", key="evidence.compute")
        if computed:
            _compute(pilot, files or [], None if kind == AUTO else kind, required, key, int(intended))
        plan: EvidencePlan | None = st.session_state.get(PLAN_KEY)
        if plan is not None and plan.pilot == pilot:
            _show(plan)


def _compute(pilot: str, uploads: list, kind: str | None, required: str, key: str, intended: int) -> None:
    st.session_state.pop(PLAN_KEY, None)
    if not uploads:
        st.warning("Choose at least one evidence file.")
        return
    options = EvidenceOptions(required_columns=column_list(required), key_columns=column_list(key),
                              intended_users=intended or None)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="readiness-evidence-") as folder:
        files = []
        for number, upload in enumerate(uploads):
            path = Path(folder) / f"{number}.upload"  # never the uploaded name: it is user text
            path.write_bytes(upload.getvalue())
            files.append(EvidenceFile(path, upload.name))
        try:
            with st.spinner("Reading the evidence…"):
                plan = plan_evidence(get_engine(), pilot, files, kind=kind, options=options,  # type: ignore[arg-type]
                                     identity=current_identity())  # fmt: skip
        except InvalidInput as problem:
            st.error(plain(f"Nothing was computed. {problem.summary()}"), icon=":material/error:")
            return
    st.session_state[PLAN_KEY] = plan


def plan_frame(plan: EvidencePlan) -> pd.DataFrame:
    """The measured metrics as a table: label, value, anchor, and the value it replaces with its evidence level."""
    return pd.DataFrame(
        [{"Metric": v.label, "Measured": v.value, "Anchor": v.status, "Green / red": f"{v.green} / {v.red}",
          "Was": v.before} for v in plan.measured],
        columns=list(PLAN_COLUMNS),
    )  # fmt: skip


def _show(plan: EvidencePlan) -> None:
    for line in plan.read_lines():
        st.caption(plain(f"Read {line}."))
    st.dataframe(plan_frame(plan), hide_index=True, width="stretch", column_config=PLAN_COLUMNS)
    # How and from what, in full under the table: file names and methods are too long for a cell.
    for value in plan.measured:
        st.caption(plain(f"{value.label}: {value.method}; {value.source}."))
    for note in plan.notes:
        st.caption(plain(f"Note: {note}"))
    before, after = plan.before, plan.after
    st.markdown(
        f"Storing adds a snapshot dated {plan.assessment.as_of:%d %b %Y}: the latest one (of "
        f"{plan.based_on:%d %b %Y}) with these metrics measured. Verdict {VERDICT_LABELS[before.verdict]} → "
        f"{VERDICT_LABELS[after.verdict]}, overall {display.score_text(before.overall)} → "
        f"{display.score_text(after.overall)}, confidence {display.confidence_text(before.overall_confidence)} → "
        f"{display.confidence_text(after.overall_confidence)}."
    )
    if st.button("Store as a new snapshot", type="primary", key="evidence.store"):
        try:
            result = store_evidence(get_engine(), plan, interface="app", identity=current_identity())
        except InvalidInput as problem:
            st.error(plain(f"Nothing was stored. {problem.summary()}"), icon=":material/error:")
            return
        st.session_state.pop(PLAN_KEY, None)
        st.session_state[DONE_KEY] = (
            f"Stored: {len(plan.measured)} measured metrics in the snapshot of {plan.assessment.as_of:%d %b %Y}."
            if result.created
            else "Already stored: the same evidence gives the same snapshot."
        )
        clear_caches()
        st.rerun()
