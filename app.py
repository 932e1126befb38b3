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
from ui.state import FILTERS, PAGES

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
    """The pages whose file is present, each at its own URL (``/portfolio``, ``/pilot``...), and a hidden home.

    Streamlit serves its default page only at ``/``, never at that page's own path; so the default is a hidden
    page that forwards to the Portfolio, keeping the query (``/?bu=Finance`` opens ``/portfolio?bu=Finance``).
    """
    found = [
        st.Page(PAGES[key], title=title, icon=icon, url_path=key)
        for key, title, icon in PAGE_SPECS
        if (HERE / PAGES[key]).is_file()
    ]
    home = st.Page(lambda: forward_to(found[0]), title=found[0].title, url_path="home", default=True,
                   visibility="hidden")  # fmt: skip
    return [home, *found]


def forward_to(page: st.Page) -> None:
    """Switch to ``page`` with the current query parameters (repeated ones included); the sidebar's filters are
    bound to theirs, which follow by themselves (and cannot be set directly)."""
    bound = set(FILTERS.values())
    query = {name: st.query_params.get_all(name) for name in st.query_params if name not in bound}
    st.switch_page(page, query_params=query)


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
