"""The Readiness dashboard: a router over the pages, with the shared sidebar (filters, database, model).

Run with ``streamlit run app.py`` (or ``make run``). Everything shown comes from :mod:`readiness`; the
pages in ``screens/`` only wire widgets to it, through the shared layer in :mod:`ui`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from readiness.service.access import permits
from ui import (
    auth,
    guarded,
    integrity_alarm,
    is_database_empty,
    model_version,
    plain,
    redacted_database,
    sidebar_filters,
)
from ui.state import FILTERS, PAGES, begin_run

HERE = Path(__file__).resolve().parent
# (key, title, icon); Portfolio is the default page.
PAGE_SPECS = [
    ("portfolio", "Portfolio", ":material/grid_view:"),
    ("pilot", "Pilot", ":material/radar:"),
    ("assess", "Assess", ":material/checklist:"),
    ("upload", "Upload", ":material/upload_file:"),
    ("compare", "Compare", ":material/compare_arrows:"),
    ("whatif", "What-if", ":material/science:"),
    ("export", "Export", ":material/download:"),
    ("methodology", "Methodology", ":material/menu_book:"),
]


# The admin page (grants): listed in the navigation only when sign-in is on (in local mode everyone is an admin
# and it stays reachable at /admin); and the action each page needs (readiness.service.access).
ADMIN_SPEC = ("admin", "Admin", ":material/admin_panel_settings:")
PAGE_ACTIONS = {"portfolio": "read", "pilot": "read", "assess": "assess", "upload": "import", "compare": "read",
                "whatif": "read", "export": "export", "methodology": "read", "admin": "manage_grants"}  # fmt: skip


def pages() -> list[st.Page]:
    """The pages whose file is present, each at its own URL (``/portfolio``, ``/pilot``...), and a hidden home.

    Only the pages the identity may use are listed; every other one stays at its URL as a hidden page that runs
    none of its code: it only says "Not permitted: <page> needs the <role> role".
    Streamlit serves its default page only at ``/``, never at that page's own path; so the default is a hidden
    page that forwards to the first permitted page, keeping the query (``/?bu=Finance`` opens
    ``/portfolio?bu=Finance``).
    """
    identity = auth.current_identity()
    listed: list[st.Page] = []
    refused: list[st.Page] = []
    for key, title, icon in [*PAGE_SPECS, ADMIN_SPEC]:
        path = PAGES.get(key, f"screens/{key}.py")
        if not (HERE / path).is_file():
            continue
        if not permits(identity, PAGE_ACTIONS[key]):
            refused.append(auth.refused_page(key, title, icon, PAGE_ACTIONS[key]))
            continue
        shown = "visible" if key != "admin" or auth.sso_configured() else "hidden"
        listed.append(st.Page(path, title=title, icon=icon, url_path=key, visibility=shown))
    visible = [p for p in listed if p.visibility == "visible"]
    if visible:
        home = st.Page(lambda: forward_to(visible[0]), title=visible[0].title, url_path="home", default=True,
                       visibility="hidden")  # fmt: skip
    else:
        home = st.Page(auth.no_access, title="Readiness", url_path="home", default=True, visibility="hidden")
    return [home, *listed, *refused]


def forward_to(page: st.Page) -> None:
    """Switch to ``page`` with the current query parameters (repeated ones included); the sidebar's filters are
    bound to theirs, which follow by themselves (and cannot be set directly)."""
    bound = set(FILTERS.values())
    query = {name: st.query_params.get_all(name) for name in st.query_params if name not in bound}
    st.switch_page(page, query_params=query)


def sidebar() -> None:
    """Shared filters (when there is data), then the database in use (to admins only: its engine and name, never
    where it lives or who connects) and the model version."""
    with st.sidebar:
        with guarded("the filters"):
            if not is_database_empty():
                st.caption("FILTERS")
                sidebar_filters()
                st.divider()
        if permits(auth.current_identity(), "manage_grants"):
            st.caption(f"Database: {plain(redacted_database())}")
        st.caption(f"Readiness model {model_version()}")


# A local favicon: a Material icon as page icon is fetched from Google's font host, which fails offline.
st.set_page_config(page_title="AI pilot readiness", page_icon=str(HERE / "static" / "favicon.png"), layout="wide")
begin_run()  # one data-version query per rerun, whatever the page reads
auth.gate()  # single sign-on: nothing below runs before sign-in (local mode: everyone is an admin)
navigation = st.navigation(pages())
sidebar()
# Admins only: the record failed the check made at server start. Filled after the page has run, so that the
# check (seconds of hashing on a large store, in a thread) starts after the first visit's page is drawn.
alarm = st.container()
navigation.run()
with alarm:
    integrity_alarm()
