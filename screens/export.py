"""Export: the portfolio as an Excel workbook and as CSV, and the board pack (deck, offline report, chart
images), each built on request for a chosen date and scope.

Files are built only when asked (a build button, then the download buttons), so visiting the page costs
nothing; a build is kept for the session until its options change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from readiness.boardpack import HTML_MIME, PPTX_MIME, build_deck, build_html, images_available, images_zip
from readiness.boardpack import pack_from_store as board_pack
from readiness.excel.export import portfolio_csv_bytes, portfolio_workbook_bytes
from readiness.snapshots import export_assessments
from ui import empty_state, get_engine, guarded, is_database_empty, latest_portfolio


BUILD_KEY = "export.build"
PACK_KEY = "export.pack"
DEFAULT_PILOT_PAGES = 8  # a board reads a handful of pilot pages; the heatmap covers the rest
EARLIEST = date(1990, 1, 1)  # Streamlit's default lower bound (ten years back) would hide older snapshots
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Options:
    """What the export holds: the date it describes (None: latest) and whether every snapshot is included."""

    as_of: date | None
    history: bool

    def describe(self) -> str:
        """The options in words, for the page and the file name."""
        scope = "every snapshot" if self.history else "each pilot's latest snapshot"
        when = f"up to {self.as_of}" if self.as_of else "as of today"
        return f"{scope}, {when}"

    def stem(self) -> str:
        """The file name without extension."""
        day = (self.as_of or date.today()).isoformat()
        return f"readiness-portfolio{'-history' if self.history else ''}-{day}"


@dataclass(frozen=True)
class Build:
    """Built files and what they hold."""

    options: Options
    snapshots: int
    pilots: int
    xlsx: bytes
    csv: bytes


def choose_options() -> Options:
    """The export options: latest or as of a date, with or without history."""
    left, right = st.columns(2)
    with left:
        when = st.radio(
            "Portfolio as of", ["Latest", "A past date"], horizontal=True, key="export.when",
            help="A past date exports each pilot's latest snapshot dated on or before it.",
        )  # fmt: skip
        as_of = None
        if when == "A past date":
            as_of = st.date_input(
                "Date", value=date.today(), min_value=EARLIEST, key="export.as_of", format="YYYY-MM-DD"
            )
    with right:
        history = st.toggle(
            "Include history", key="export.history",
            help="Every snapshot of every pilot (one row per pilot and date) instead of each pilot's latest only.",
        )  # fmt: skip
    return Options(as_of=as_of, history=history)


def build(options: Options) -> Build:
    """Read the snapshots and write both files."""
    assessments = export_assessments(get_engine(), options.as_of, options.history)
    title = f"AI pilot portfolio: production readiness ({options.describe()})"
    return Build(
        options=options,
        snapshots=len(assessments),
        pilots=len({a.pilot.name for a in assessments}),
        xlsx=portfolio_workbook_bytes(assessments, title=title),
        csv=portfolio_csv_bytes(assessments),
    )


def portfolio_section() -> None:
    """Choose, build, download."""
    st.subheader("Portfolio workbook and CSV")
    st.caption(
        "The workbook has a Portfolio sheet (re-importable on the Upload page with the same scores), a Scores "
        "sheet and a Legend. The CSV holds the same rows with their scores."
    )
    options = choose_options()
    if st.button("Build the files", type="primary", key="export.build_button"):
        with st.spinner("Building the workbook and the CSV…"):
            st.session_state[BUILD_KEY] = build(options)
    built: Build | None = st.session_state.get(BUILD_KEY)
    if built is None or built.options != options:
        st.caption(f"Will export {options.describe()}.")
        return
    if built.snapshots == 0:
        st.warning(f"No snapshot matches ({options.describe()}): choose a later date.")
        return
    st.success(f"Ready: {built.snapshots} snapshot(s) of {built.pilots} pilot(s), {options.describe()}.")
    xlsx, csv = st.columns(2)
    xlsx.download_button(
        "Download the workbook (.xlsx)", data=built.xlsx, file_name=f"{options.stem()}.xlsx", mime=XLSX_MIME,
        icon=":material/table_view:", key="export.xlsx", on_click="ignore",
    )  # fmt: skip
    csv.download_button(
        "Download the CSV", data=built.csv, file_name=f"{options.stem()}.csv", mime="text/csv",
        icon=":material/download:", key="export.csv", on_click="ignore",
    )  # fmt: skip


@dataclass(frozen=True)
class PackOptions:
    """What the board pack holds: the date it describes (None: latest) and the pilots that get a page."""

    as_of: date | None
    pilots: tuple[str, ...]


@dataclass(frozen=True)
class PackBuild:
    """The built board pack files."""

    options: PackOptions
    deck: bytes
    html: bytes
    images: bytes | None


def choose_pack_options() -> PackOptions:
    """The pilots that get a page (least ready first by default) and the date of the pack."""
    latest = latest_portfolio().sort_values(["overall", "pilot"])
    names = latest["pilot"].tolist()
    left, right = st.columns([3, 1])
    pilots = left.multiselect(
        "Pilot pages", names, default=names[:DEFAULT_PILOT_PAGES], key="export.pack_pilots",
        help="Each chosen pilot gets a page with its radar, verdict, reasons and top actions. "
        "The portfolio pages always cover every pilot.",
    )  # fmt: skip
    use_date = right.toggle("As of a past date", key="export.pack_dated")
    as_of = (
        right.date_input("Date", value=date.today(), min_value=EARLIEST, key="export.pack_as_of") if use_date else None
    )
    return PackOptions(as_of=as_of, pilots=tuple(pilots))


def build_pack(options: PackOptions) -> PackBuild:
    """Build the deck, the offline report and (where Chromium is installed) the chart images, with progress."""
    bar = st.progress(0.0, text="Scoring the portfolio…")
    pack = board_pack(get_engine(), options.as_of, list(options.pilots) or None)
    steps = 3 if images_available() else 2

    def stage(index: int):
        return lambda done, what: bar.progress(min(1.0, (index + done) / steps), text=what)

    deck = build_deck(pack, progress=stage(0))
    html = build_html(pack, progress=stage(1)).encode("utf-8")
    images = images_zip(pack, ["png", "svg"], progress=stage(2)) if steps == 3 else None
    bar.empty()
    return PackBuild(options, deck, html, images)


def board_pack_section() -> None:
    """The board deck, the offline HTML report and every chart as PNG and SVG."""
    st.subheader("Board pack")
    st.caption(
        "A 16:9 deck with native, editable charts (the same numbers as the dashboard), a self-contained HTML "
        "report that opens offline, and every chart as PNG (2×) and SVG."
    )
    options = choose_pack_options()
    if st.button("Build the board pack", type="primary", key="export.pack_button"):
        st.session_state[PACK_KEY] = build_pack(options)
    built: PackBuild | None = st.session_state.get(PACK_KEY)
    if built is None or built.options != options:
        return
    stem = f"readiness-board-pack-{(options.as_of or date.today()).isoformat()}"
    deck, html, images = st.columns(3)
    deck.download_button(
        "Download the deck (.pptx)", data=built.deck, file_name=f"{stem}.pptx", mime=PPTX_MIME,
        icon=":material/slideshow:", key="export.deck", on_click="ignore",
    )  # fmt: skip
    html.download_button(
        "Download the report (.html)", data=built.html, file_name=f"{stem}.html", mime=HTML_MIME,
        icon=":material/description:", key="export.html", on_click="ignore",
    )  # fmt: skip
    if built.images is None:
        images.info("Chart images need Chromium on the server; each chart's camera button still downloads a PNG.")
    else:
        images.download_button(
            "Download the charts (PNG + SVG, .zip)", data=built.images, file_name=f"{stem}-charts.zip",
            mime="application/zip", icon=":material/image:", key="export.images", on_click="ignore",
        )  # fmt: skip


def main() -> None:
    """Draw the Export page."""
    st.title("Export")
    if is_database_empty():
        empty_state()
        return
    portfolio_section()
    st.divider()
    board_pack_section()


with guarded("the Export page"):
    main()
