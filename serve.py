"""The dashboard's server: ``app.py`` (the router and its pages) with the first visit's work done at start.

``make run`` and ``readiness serve`` start this file (``streamlit run serve.py``). Before the server answers,
it imports the app's modules and scores the latest portfolio of the database in use, once: the first visit
after a restart then costs what a later one does (``make bench``, ``app.cold_start_portfolio``). Every page
it sends announces the scripts of the Portfolio's first screen (:mod:`ui.preload`), so that a browser's first
visit fetches them while it waits for the data. ``streamlit run app.py`` serves the same app without either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.middleware import Middleware

APP = Path(__file__).resolve().parent / "app.py"
log = logging.getLogger("readiness.serve")


def warm_up() -> None:
    """Import the app's modules and read the database's latest portfolio into the shared caches. A database
    that cannot be read is left to the pages, which say what is wrong; the server starts regardless."""
    try:
        from ui.state import warm_up as warm_caches

        warm_caches()
    except Exception:  # the pages report an unusable database themselves; never keep the server down
        log.exception("the warm-up could not read the database")


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Warm up in a thread before the server answers (the event loop stays free)."""
    await asyncio.to_thread(warm_up)
    yield


def preload_first_screen(app: Any) -> Any:
    """:class:`ui.preload.PreloadFirstScreen` around ``app``, imported when the server assembles itself, once
    Streamlit's runtime exists: importing the ``ui`` package earlier would declare its cached functions without
    a runtime (a warning for each at every start)."""
    from ui.preload import PreloadFirstScreen

    return PreloadFirstScreen(app)


app = st.App(APP, lifespan=lifespan, middleware=[Middleware(preload_first_screen)])
