"""The Readiness dashboard: a router over the pages, with the shared sidebar (filters, database, model).

Run with ``streamlit run app.py`` (or ``make run``). Everything shown comes from :mod:`readiness`; the
pages in ``screens/`` only wire widgets to it, through the shared layer in :mod:`ui`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import (
    guarded,
    is_database_empty,
    latest_portfolio,
    model_version,
    redacted_database,
    sidebar_filters,
)
from ui.state import PAGES

HERE = Path(__file__).resolve().parent
# (key, title, icon); Portfolio is the default page.
PAGE_SPECS = [
    ("portfolio", "Portfolio", ":material/grid_view:"),
    ("pilot", "Pilot", ":material/radar:"),
    ("assess", "Assess", ":material/checklist:"),
    ("upload", "Upload", ":material/upload_file:"),
    ("compare", "Compare", ":material/compare_arrows:"),
    ("export", "Export", ":material/download:"),
    ("methodology", "Methodology", ":material/menu_book:"),
]


def pages() -> list[st.Page]:
    """The pages whose file is present, Portfolio first and default."""
    found = []
    for key, title, icon in PAGE_SPECS:
        if (HERE / PAGES[key]).is_file():
            found.append(st.Page(PAGES[key], title=title, icon=icon, url_path=key, default=key == "portfolio"))
    return found


def sidebar() -> None:
    """Shared filters (when there is data), then the database in use and the model version."""
    with st.sidebar:
        with guarded("the filters"):
            if not is_database_empty():
                st.caption("FILTERS")
                sidebar_filters(latest_portfolio())
                st.divider()
        st.caption(f"Database: `{redacted_database()}`")
        st.caption(f"Readiness model {model_version()}")


st.set_page_config(page_title="AI pilot readiness", page_icon=":material/verified:", layout="wide")
navigation = st.navigation(pages())
sidebar()
navigation.run()
