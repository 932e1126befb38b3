"""Export: the portfolio as an Excel workbook and as CSV, and the board pack (deck, offline report, chart
images), for a chosen date and the pilots the sidebar's filters keep in view.

Files are built only when asked, through the same export registry as ``readiness export``; a build stays
downloadable for the session until its options (date, history, filters, pilot pages, scenarios) change.
When what-if scenarios are saved, the chosen ones are added to the workbook, the deck and the report as
projections (a sheet, a slide, a section, each labelled so); the CSV and the chart images never hold one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from readiness.errors import InvalidInput
from readiness.service.decisions import decision_order, default_pilot_pages
from readiness.service.exports import ExportRequest, ExportScope, get_exporter, render_export
from readiness.service.portfolio import review_order
from readiness.service.whatif import list_scenarios
from ui import (
    apply_filters,
    empty_state,
    filters_active,
    get_engine,
    guarded,
    is_database_empty,
    latest_portfolio,
    plain,
    searchable,
)

BUILT_KEY = "export.built"  # (format, scope) → (bytes, what it holds), for this session
DEFAULT_PILOT_PAGES = 8  # a board reads a handful of pilot pages; the heatmap covers the rest
EARLIEST = date(1990, 1, 1)  # Streamlit's default lower bound (ten years back) would hide older snapshots
TABLES = ("xlsx", "csv")
PACK = ("deck", "html", "charts")
LABELS = {"xlsx": "the workbook (.xlsx)", "csv": "the CSV", "deck": "the deck (.pptx)", "html": "the report (.html)",
          "charts": "the charts (PNG + SVG, .zip)"}  # fmt: skip
ICONS = {"xlsx": ":material/table_view:", "csv": ":material/download:", "deck": ":material/slideshow:",
         "html": ":material/description:", "charts": ":material/image:"}  # fmt: skip


def in_view() -> tuple[str, ...]:
    """The pilots the sidebar's filters keep (empty when no filter is set: the whole portfolio)."""
    return tuple(review_order(apply_filters(latest_portfolio()))) if filters_active() else ()


def built() -> dict[tuple[str, ExportScope], tuple[bytes, str]]:
    """The files built in this session, by format and scope, with what each holds in words."""
    return st.session_state.setdefault(BUILT_KEY, {})


def build(formats: tuple[str, ...], scope: ExportScope) -> None:
    """Render each format through the export registry, with progress; keep the bytes for the session.

    A scope that selects nothing (a date before the first snapshot) is said in a warning, and nothing is kept.
    """
    bar = st.progress(0.0, text="Scoring the portfolio…")
    try:
        for k, name in enumerate(formats):

            def progress(done: float, what: str, k: int = k) -> None:
                # The step's name can be a pilot's (user text); a progress text reads Markdown.
                bar.progress(min(1.0, (k + done) / len(formats)), text=plain(what))

            # Scenarios go where a projection can be shown (workbook, deck, report), never into a CSV or images.
            asked = scope if get_exporter(name).scenarios else replace(scope, scenarios=())
            request = ExportRequest(get_engine(), asked, progress=progress)
            built()[(name, scope)] = render_export(name, request), request.selected.describe()
    except InvalidInput as problem:
        st.warning(plain(f"Nothing to export: {problem.summary()}."))  # the problem may name a pilot
    finally:
        bar.empty()


def downloads(formats: tuple[str, ...], scope: ExportScope, stem: str) -> None:
    """A download button for each built format of this scope."""
    for column, name in zip(st.columns(len(formats)), formats, strict=True):
        if (name, scope) not in built():
            continue
        data = built()[(name, scope)][0]
        export_format = get_exporter(name)
        column.download_button(f"Download {LABELS[name]}", data=data, file_name=f"{stem}{export_format.suffix}",
                               mime=export_format.mime, icon=ICONS[name], key=f"export.{name}",
                               on_click="ignore")  # fmt: skip


def as_of_choice(key: str) -> date | None:
    """Latest, or the portfolio as it stood on a past date."""
    if not st.toggle("As of a past date", key=f"{key}.dated",
                     help="Each pilot's latest snapshot dated on or before the day you choose."):  # fmt: skip
        return None
    return st.date_input("Date", value=date.today(), min_value=EARLIEST, key=f"{key}.as_of", format="YYYY-MM-DD")


def scenario_choice() -> tuple[str, ...]:
    """The saved what-if scenarios to add as projections; nothing is offered when none is saved."""
    names = [record.name for record in list_scenarios(get_engine())]
    if not names:
        return ()
    chosen = st.multiselect(
        "Include scenarios (projections)", names, key="export.scenarios",
        help="Each chosen scenario adds a sheet to the workbook, a slide to the deck and a section to the report: "
        "the portfolio as it would stand after the scenario's plan, labelled a projection. Nothing stored changes.",
    )  # fmt: skip
    return tuple(chosen)


def portfolio_section(within: tuple[str, ...], scenarios: tuple[str, ...]) -> None:
    """The workbook and the CSV: choose, build, download."""
    st.subheader("Portfolio workbook and CSV", anchor=False)
    st.caption("The workbook has a Portfolio sheet (re-importable on the Upload page with the same scores), a Scores "
               "sheet and a Legend. The CSV holds the same rows with their scores.")  # fmt: skip
    left, right = st.columns(2)
    with left:
        as_of = as_of_choice("export.table")
    history = right.toggle("Include history", key="export.history",
                           help="Every snapshot of the pilots in view, not only the latest.")  # fmt: skip
    scope = ExportScope(as_of=as_of, history=history, within=within, scenarios=scenarios)
    if st.button("Build the files", type="primary", key="export.build_button"):
        build(TABLES, scope)
    if all((name, scope) in built() for name in TABLES):
        st.success(f"Ready: {built()[('xlsx', scope)][1]} ({scope.describe()}).")
        downloads(TABLES, scope, scope.stem())
    else:
        st.caption(f"Will export {scope.describe()}.")


def board_pack_section(within: tuple[str, ...], scenarios: tuple[str, ...]) -> None:
    """The board deck, the offline HTML report and every chart as PNG and SVG."""
    st.subheader("Board pack", anchor=False)
    st.caption("A 16:9 deck with native, editable charts (the same numbers as the dashboard), a self-contained "
               "HTML report that opens offline, and every chart as PNG (2×) and SVG.")  # fmt: skip
    latest = latest_portfolio()
    if within:
        latest = latest[latest["pilot"].isin(within)]
    names = decision_order(latest)
    default = default_pilot_pages(latest, DEFAULT_PILOT_PAGES)
    left, right = st.columns([3, 1])
    with left:  # thousands of pilots: a search first; the pages chosen (or the default ones) stay offered
        chosen = st.session_state.get("export.pack_pilots", default)
        options = searchable(names, "export.pack_search", keep=[*chosen, *default])
    pilots = left.multiselect("Pilot pages", options, default=default, key="export.pack_pilots",
                              help="Each chosen pilot gets a page with its radar, verdict, reasons and top actions. "
                              "The portfolio pages cover every pilot in view.")  # fmt: skip
    with right:
        as_of = as_of_choice("export.pack")
    scope = ExportScope(as_of=as_of, within=within, pilots=tuple(pilots), scenarios=scenarios)
    formats = PACK if get_exporter("charts").render and _images_available() else PACK[:2]
    if st.button("Build the board pack", type="primary", key="export.pack_button"):
        build(formats, scope)
    if not all((name, scope) in built() for name in formats):
        return
    downloads(formats, scope, scope.stem("board-pack"))
    if formats == PACK[:2]:
        st.info("Chart images need Chromium on the server; each chart's camera button still downloads a PNG.")


def _images_available() -> bool:
    from readiness.boardpack import images_available

    return images_available()


def main() -> None:
    """Draw the Export page."""
    st.title("Export", anchor=False)
    if is_database_empty():
        empty_state()
        return
    within = in_view()
    if filters_active():
        if not within:
            st.warning("No pilot matches the filters in the sidebar. Clear a filter to export pilots again.")
            return
        st.caption(f"Filtered in the sidebar: exports cover the {len(within)} pilots in view.")
    scenarios = scenario_choice()
    portfolio_section(within, scenarios)
    st.divider()
    board_pack_section(within, scenarios)


with guarded("the Export page"):
    main()
