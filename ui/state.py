"""What every dashboard page shares: the database, cached queries, the state in the URL, charts and errors.

Streamlit is allowed here (this is the UI side; ``readiness/`` never imports Streamlit). Pages import
from the package: ``from ui import get_engine, latest_portfolio, render_chart, ...``.

Database and caches
    ``database_in_use() -> str``             the URL in use (``READINESS_DATABASE_URL`` or ``data/readiness.db``)
    ``redacted_database() -> str``           only the engine and database name (``SQLite · readiness.db``), for admins
    ``get_engine() -> Engine``               one engine per URL (``st.cache_resource``), migrated when created
    ``begin_run() -> None``                  the router's first call in every rerun (see ``data_version``)
    ``data_version() -> str``                changes whenever a snapshot or pilot is written, by anyone; read
                                             once per rerun
    ``clear_caches() -> None``               call after a write in this process (the version also catches others)
    ``integrity_alarm() -> None``            admins see an alarm when the record failed the start-up check
    ``is_database_empty() -> bool``
    ``scored_history() -> DataFrame``        every snapshot, scored with the current model, scored once per process
                                             and then only the new snapshots (``queries.ScoredSnapshots``)
    ``latest_portfolio() -> DataFrame``      each pilot's latest snapshot, scored, plus ``weak.<gap>`` columns
    ``portfolio_on(day) -> DataFrame``       the portfolio as it stood on ``day`` (latest snapshot by then)
    ``filtered_portfolio() -> DataFrame``    the latest portfolio narrowed by the sidebar's filters (shared)
    ``filtered_portfolio_on(day)``           the same on a past day
    ``filtered_stats() -> PortfolioStats``   the statistics of the filtered portfolio (shared)
    ``assessment_frame() -> DataFrame``      each pilot's latest snapshot, unscored (what a what-if plan changes)
    ``pilot_token(name) -> str``             changes when that pilot gets a snapshot: its reads' cache key
    ``pilot_names_cached() -> list[str]``    the pilot registry's names, sorted
    ``pilot_history_cached(name) -> list[StoredAssessment]``  a pilot's snapshots, oldest first
    ``pilot_recent_cached(name) -> RecentSnapshots | None``  its latest and previous snapshots (two rows read)
    ``pilot_scored_history(name) -> DataFrame``  a pilot's snapshots scored (``score_frame`` rows)
    ``explained_score(name, snapshot_id) -> ScoreResult``    the explained score of its latest or previous one
    ``portfolio_sensitivity() -> PortfolioSensitivity``  the verdicts' sensitivity to the method and the ±5-point
                                             threshold band of the latest portfolio (``.within(names)``: a view)

State in the URL (so a pasted link opens the same view)
    Widgets are bound to query parameters (``bind="query-params"``; the widget key is the parameter name).
    ``selected_pilot() -> str | None``            the pilot in view (session, else ``?pilot=``)
    ``searchable(names, key, keep=()) -> list[str]``          a picker's options: above 500 names, a search
                                                              box first and at most 200 matches (+ ``keep``)
    ``pilot_picker(names, label="Pilot") -> str | None``      the selectbox bound to ``pilot``
    ``open_pilot(name)``                          switch to the Pilot page showing ``name``
    ``compare_set() -> list[str]``                the compare set (``?compare=A&compare=B``)
    ``compare_picker(names, default) -> list[str]``           the multiselect bound to ``compare``
    ``current_filters() -> dict[str, list[str]]`` column → values, parameters ``bu``, ``stage``, ``verdict``,
                                                  ``team`` (empty list: no filter; the URL carries what the
                                                  widget shows, e.g. ``?verdict=Not+ready``)
    ``apply_filters(frame, filters=None) -> DataFrame``
    ``sidebar_filters() -> dict[str, list[str]]``             the shared sidebar widgets (drawn by app.py; a
                                                              search first above 500 values, as ``searchable``)

Rendering
    ``cached_figure(name, key, build) -> Figure``  a chart built once per data version and key (fast reruns)
    ``cached_value(name, key, build, of=None) -> T``  a value derived from the portfolio, once per data version and
                                                   key, or while the frames ``of`` hold the same snapshots
    ``filters_key() -> tuple``                     the current filters, hashable, for ``cached_figure`` keys
    ``render_chart(fig, key=None, on_select="ignore", selection_mode="points", height=None)``
        ``st.plotly_chart`` with ``theme=None`` (the figure carries the readiness template) and a mode bar
        holding only the camera button, which downloads a high-resolution PNG
    ``lazy_expander(label, key, draw, icon=None)``  an expander whose content is made once it is opened
    ``plain(text) -> str``      user text escaped for Markdown (names, teams, e-mail addresses show as typed)
    ``guarded(what)``           context manager: any error becomes a clear message, never a stack trace
    ``empty_state()``           the three ways to start on an empty database
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Literal, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from readiness.errors import InvalidInput
from readiness.model import load_model
from readiness.scoring import VERDICT_LABELS, VERDICT_ORDER, ScoreResult
from readiness.service import integrity, queries
from readiness.service import portfolio as service_portfolio
from readiness.service import sensitivity as service_sensitivity
from readiness.service.access import permits, require
from readiness.store import StoredAssessment, database_url, describe_database, make_engine, migrate

log = logging.getLogger("readiness.ui")
T = TypeVar("T")

PAGES = {
    "portfolio": "screens/portfolio.py",
    "pilot": "screens/pilot.py",
    "assess": "screens/assess.py",
    "upload": "screens/upload.py",
    "compare": "screens/compare.py",
    "export": "screens/export.py",
    "whatif": "screens/whatif.py",
    "methodology": "screens/methodology.py",
}
# Filter column → query parameter.
FILTERS: dict[str, str] = {"business_unit": "bu", "stage": "stage", "verdict": "verdict", "owning_team": "team"}
FILTER_LABELS = {"business_unit": "Business unit", "stage": "Stage", "verdict": "Verdict", "owning_team": "Owning team"}
PILOT_PARAM = "pilot"
COMPARE_PARAM = "compare"
MAX_COMPARE = 8
CHART_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    # Executive charts: the mode bar holds only the camera (no zoom, pan, lasso or autoscale).
    "modeBarButtons": [["toImage"]],
    # The camera button: a 3× PNG, sharp enough for a slide.
    "toImageButtonOptions": {"format": "png", "scale": 3, "filename": "readiness-chart"},
}
# Characters Markdown (and Streamlit's :color[...] and :icon: directives, $math$) would read as markup.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:@&=])")
_AUTOLINK = re.compile(r"@|(?i:www)|(?i:https?)\\?:", re.ASCII)
# Every line ending Markdown knows (CR alone too): user text stays on one line, so it cannot start a block.
_LINE_BREAK = re.compile(r"\r\n?|\n")


# --------------------------------------------------------------------------------------------
# Database and caches
# --------------------------------------------------------------------------------------------


def database_in_use() -> str:
    """The database URL in use: ``READINESS_DATABASE_URL`` if set, else the embedded ``data/readiness.db``."""
    return database_url()


def redacted_database() -> str:
    """The database in use as an admin may see it: the engine and the database's name, nothing else.

    ``SQLite · readiness.db``, ``PostgreSQL · readiness``: never a host, port, user, password, folder or query
    parameter (:func:`readiness.store.describe_database`). The sidebar shows it to admins only.
    """
    try:
        return describe_database(database_in_use())
    except InvalidInput:
        return "an unusable database URL"


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)  # the app migrates on start: a new database is created, an old one upgraded
    return engine


class _StartUpCheck:
    """The integrity check of one database, run once per server process in a background thread, so that the
    first visit does not wait for it (on 24,000 snapshots it reads every audit entry)."""

    def __init__(self, url: str) -> None:
        self.report: integrity.ChainReport | None = None
        threading.Thread(target=self._run, args=(url,), name="readiness-integrity", daemon=True).start()

    def _run(self, url: str) -> None:
        try:
            self.report = integrity.quick_check(_engine(url))
        except (SQLAlchemyError, InvalidInput):  # an unusable database: the pages say so themselves
            log.exception("the start-up integrity check could not read the database")


@st.cache_resource(show_spinner=False)
def _integrity(url: str) -> _StartUpCheck:
    return _StartUpCheck(url)


def integrity_alarm() -> None:
    """Tell admins, on every page, when the record failed the integrity check made when the server started (the
    audit chain and each snapshot against its audit entry); others see nothing of it."""
    from ui.auth import current_identity  # here: ui.auth builds on this module

    if not permits(current_identity(), "retract"):
        return
    try:
        report = _integrity(database_in_use()).report
    except InvalidInput:  # an unusable database URL: the page itself says so
        return
    if report is not None and not report.intact:
        st.error(
            f"**Integrity alarm.** The record was changed outside Readiness: {plain(report.problem)}. "
            "Do not rely on these numbers: run `readiness verify` for the details, restore the last good "
            "backup (`readiness restore`) and find out who had write access to the database.",
            icon=":material/gpp_bad:",
        )


def get_engine() -> Engine:
    """The engine of the database in use, created and migrated once per process."""
    return _engine(database_in_use())


# The data version read in this rerun. Each session's script runs in its own thread and every rerun starts in
# the router (app.py), which calls begin_run(): so a rerun asks the database once, however many cached reads
# it makes, and the next rerun asks again.
_this_run = threading.local()


def begin_run() -> None:
    """Start a rerun: the data version is read again, once, at its first use (the router calls this first)."""
    _this_run.version = None


def data_version() -> str:
    """A token that changes on every write to the store, whoever made it (this app, the CLI, a replica).

    One cheap query per rerun; the cached reads below take it as an argument, so a write anywhere makes the
    next rerun read fresh data.
    """
    version = getattr(_this_run, "version", None)
    if version is None:
        version = _this_run.version = queries.data_version(get_engine())
    return version


def clear_caches() -> None:
    """Forget every cached read (call after writing, so this session sees its own write at once)."""
    # The scored snapshots need no clearing: they follow the data version by themselves.
    for cached in (
        _pilot_names,
        _pilot_history,
        _pilot_recent,
        _pilot_scored,
        _explained,
        _empty,
        _audit_log,
        _pilot_figure,
        _derived,
    ):
        cached.clear()
    begin_run()


@st.cache_data(show_spinner=False, max_entries=4)
def _empty(url: str, version: str) -> bool:
    return queries.is_empty(_engine(url))


def is_database_empty() -> bool:
    """Whether no snapshot is stored yet."""
    return _empty(database_in_use(), data_version())


@st.cache_resource(show_spinner=False)
def _scored_snapshots(url: str) -> queries.ScoredSnapshots:
    return queries.ScoredSnapshots(_engine(url))


def _scored() -> queries.ScoredSnapshots:
    # One scored copy of the store per process, shared by every session and brought up to date at most once
    # per data version: a write costs the next rerun the new snapshots' scoring, not the whole history's.
    scored = _scored_snapshots(database_in_use())
    scored.refresh(data_version())
    return scored


def _from_history(read: Callable[[queries.ScoredSnapshots], pd.DataFrame]) -> pd.DataFrame:
    # What the scored history gives, with a spinner while the history is read the first time (seconds).
    scored = _scored()
    if scored.has_history:
        return read(scored)
    with st.spinner("Scoring the portfolio's history…"):
        return read(scored)


def scored_history() -> pd.DataFrame:
    """Every stored snapshot scored with the current model, one row per snapshot."""
    return _from_history(lambda scored: scored.history())


def latest_portfolio() -> pd.DataFrame:
    """Each pilot's latest snapshot, scored, with ``weak.<gap>`` naming each gap's weakest items."""
    return _scored().latest()


def portfolio_on(day: date | None) -> pd.DataFrame:
    """The portfolio as it stood on ``day`` (None: as it stands), by the one as-of rule."""
    return latest_portfolio() if day is None else _from_history(lambda scored: scored.on(day))


def pilot_token(name: str) -> str:
    """A token that changes when pilot ``name`` gets a snapshot (and only then): the key of its cached reads."""
    return _scored().pilot_token(name)


def portfolio_stats(latest: pd.DataFrame) -> service_portfolio.PortfolioStats:
    """The statistics of a portfolio (the use-case layer's one definition of each)."""
    return service_portfolio.portfolio_stats(latest)


@st.cache_data(show_spinner=False, max_entries=4)
def _pilot_names(url: str, registry: str) -> list[str]:
    return queries.pilot_names(_engine(url))


def pilot_names_cached() -> list[str]:
    """Names of every pilot of the registry, sorted; read again when the registry changes, not at every
    snapshot written."""
    return _pilot_names(database_in_use(), queries.registry_version(data_version()))


@st.cache_data(show_spinner=False, max_entries=4)
def _audit_log(url: str, version: str, limit: int) -> pd.DataFrame:
    return queries.audit_log(_engine(url), limit)


def audit_log_cached(limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` entries of the audit log (one row each: at, actor, action, what, source hash)."""
    return _audit_log(database_in_use(), data_version(), limit)


# A pilot's reads are keyed by its own token (pilot_token), so a write to another pilot keeps them.
@st.cache_data(show_spinner=False, max_entries=64)
def _pilot_history(url: str, token: str, name: str) -> list[StoredAssessment]:
    return queries.pilot_snapshots(_engine(url), name)


def pilot_history_cached(name: str) -> list[StoredAssessment]:
    """Every snapshot of a pilot, oldest first (empty for an unknown pilot)."""
    return _pilot_history(database_in_use(), pilot_token(name), name)


@st.cache_data(show_spinner=False, max_entries=256)
def _pilot_recent(url: str, token: str, name: str) -> queries.RecentSnapshots | None:
    return queries.recent_snapshots(_engine(url), name)


def pilot_recent_cached(name: str) -> queries.RecentSnapshots | None:
    """A pilot's latest and previous snapshots and the model versions of its snapshots (None: no snapshot)."""
    return _pilot_recent(database_in_use(), pilot_token(name), name)


@st.cache_data(show_spinner=False, max_entries=64)
def _pilot_scored(url: str, token: str, name: str) -> pd.DataFrame:
    return queries.pilot_scored_history(_pilot_history(url, token, name))


def pilot_scored_history(name: str) -> pd.DataFrame:
    """One pilot's snapshots scored with the current model (the rows of ``score_frame``), oldest first."""
    scored = _scored()
    if scored.has_history:  # already scored with the whole history: its rows, not a second scoring
        return scored.pilot_history(name)
    return _pilot_scored(database_in_use(), pilot_token(name), name)


# Computed, not read: kept as it is and shared (a ScoreResult is never modified once made), since copying one
# through a pickle at every rerun of the Pilot page costs as much as the rest of a warm rerun.
@st.cache_resource(show_spinner=False, max_entries=128)
def _explained(url: str, token: str, name: str, snapshot_id: int) -> ScoreResult | None:
    recent = _pilot_recent(url, token, name)
    found = recent.find(snapshot_id) if recent is not None else None
    return queries.explain(found) if found else None


def explained_score(name: str, snapshot_id: int) -> ScoreResult | None:
    """The explained score (reasons, items, remediation), with the current model, of the pilot's latest or
    previous snapshot (:func:`pilot_recent_cached`); None for any other id."""
    return _explained(database_in_use(), pilot_token(name), name, snapshot_id)


# Apart from the portfolio's figures: visits to hundreds of pilots would otherwise push them out of the cache.
@st.cache_resource(show_spinner=False, max_entries=256)
def _pilot_figure(url: str, token: str, name: str, key: tuple, _build: Callable[[], go.Figure]) -> go.Figure:
    return _build()


@st.cache_resource(show_spinner=False, max_entries=256)
def _derived(url: str, version: str, name: str, key: tuple, _build: Callable[[], Any]) -> Any:
    return _build()


def cached_value(
    name: str, key: tuple, build: Callable[[], T], of: pd.DataFrame | tuple[pd.DataFrame, ...] | None = None
) -> T:
    """What ``build()`` derives from the scored portfolio (a filtered frame, the statistics, a page's rows),
    computed once per data version, ``name`` and ``key`` and then shared by every session.

    Fifty people reviewing the same portfolio would otherwise filter, sort and count the same thousand rows
    on every click; between two writes the answer cannot change. ``key`` must hold everything the value
    depends on besides the stored data (filters, dates, sort order...). Values are never modified once built
    (frames are pandas copy-on-write), so sharing them is safe.

    ``of``: the scored frame (or frames) the value is derived from, and from nothing else of the store. The
    value is then kept while those frames hold the same snapshots (:func:`queries.rows_token`), not only until
    the next write: a write to one pilot recomputes the views that show it, and leaves the others alone.
    """
    frames = (of,) if isinstance(of, pd.DataFrame) else of
    token = data_version() if frames is None else queries.rows_token(*frames)
    return _derived(database_in_use(), token, name, key, build)


def filtered_portfolio() -> pd.DataFrame:
    """Each pilot's latest snapshot, scored, narrowed by the sidebar's filters."""
    return cached_value("filtered", filters_key(), lambda: apply_filters(latest_portfolio()))


def filtered_portfolio_on(day: date | None) -> pd.DataFrame:
    """The portfolio as it stood on ``day`` (None: as it stands), narrowed by the sidebar's filters."""
    if day is None:
        return filtered_portfolio()
    return cached_value("filtered_on", (day, filters_key()), lambda: apply_filters(portfolio_on(day)))


def filtered_stats() -> service_portfolio.PortfolioStats:
    """The statistics of the filtered portfolio (:func:`portfolio_stats`), once per filters and pilots shown."""
    latest = filtered_portfolio()
    return cached_value("stats", filters_key(), lambda: portfolio_stats(latest), of=latest)


def cached_figure(
    name: str,
    key: tuple,
    build: Callable[[], go.Figure],
    pilot: str | None = None,
    of: pd.DataFrame | tuple[pd.DataFrame, ...] | None = None,
) -> go.Figure:
    """The figure ``build()`` makes, built once per data version, ``name`` and ``key`` and then shared.

    Building a Plotly figure costs tens of milliseconds of validation; a rerun that changes nothing the figure
    depends on reuses it. ``key`` must hold everything the figure depends on besides the stored data (filters,
    sort order, pilot...). A figure drawn from one pilot's snapshots alone names it as ``pilot``: it is then
    rebuilt only when that pilot gets a snapshot, not at every write to the store; one drawn from scored frames
    alone names them as ``of`` (:func:`cached_value`). Figures are never modified after they are built, so
    sharing them is safe.
    """
    if pilot is None:
        return cached_value(f"figure.{name}", key, build, of=of)
    return _pilot_figure(database_in_use(), pilot_token(pilot), name, (pilot, *key), build)


def filters_key() -> tuple:
    """The current filters as a hashable key for :func:`cached_figure`."""
    return tuple((column, tuple(values)) for column, values in current_filters().items())


# --------------------------------------------------------------------------------------------
# State in the URL
# --------------------------------------------------------------------------------------------


def selected_pilot() -> str | None:
    """The pilot in view: the Pilot page's choice (bound to the ``pilot`` query parameter), else the URL's."""
    return st.session_state.get(PILOT_PARAM) or st.query_params.get(PILOT_PARAM)


def searchable(
    names: list[str], key: str, keep: list[str | None] | tuple[str | None, ...] = (), noun: str = "pilot"
) -> list[str]:
    """The options a picker offers: every name of a short list; above ``SEARCH_ABOVE`` names, a search box
    (``key``) is drawn first and only the names matching it are offered, at most ``MAX_SHOWN``
    (:func:`readiness.service.portfolio.search_names`), so that thousands of names never reach the browser.

    ``keep`` (the current choice, the pilot the URL names) is always offered, first, when it is one of
    ``names``: a chosen or linked pilot stays selectable whatever the search.
    """
    if len(names) <= service_portfolio.SEARCH_ABOVE:
        return names
    query = st.text_input(f"Find a {noun}", key=key, placeholder=f"Part of a name: {len(names):,} {noun}s",
                          help=f"Part of a {noun}'s name, in any case: the list below offers the matches.")  # fmt: skip
    found = service_portfolio.search_names(names, query, service_portfolio.MAX_SHOWN)
    known, shown = set(names), set(found)
    kept = [n for n in dict.fromkeys(k for k in keep if k) if n in known and n not in shown]
    if not found:
        st.caption(f"No {noun} name contains “{plain(query)}”.")
    elif not query.strip():
        st.caption(f"The first {len(found):,} of {len(names):,} {noun}s: type part of a name to find another.")
    elif len(found) == service_portfolio.MAX_SHOWN:
        st.caption(f"The first {len(found):,} matches: type more of the name to narrow them.")
    return [*kept, *found]


def pilot_picker(names: list[str], label: str = "Pilot") -> str | None:
    """The pilot selectbox, bound to the ``pilot`` query parameter (``?pilot=NAME`` opens that pilot) and kept
    for the whole session. Warns when the URL names a pilot that does not exist. Above ``SEARCH_ABOVE``
    pilots it offers the matches of a search box (:func:`searchable`), always with the pilot in view."""
    wanted = st.query_params.get(PILOT_PARAM)
    if wanted and wanted not in names:
        st.warning(f"There is no pilot named “{plain(wanted)}”. Choose one below.")
    options = searchable(names, "pilot.search", keep=[st.session_state.get(PILOT_PARAM), wanted])
    return st.selectbox(label, options, index=None, placeholder="Choose a pilot…", key=PILOT_PARAM,
                        bind="query-params", persist_state="session")  # fmt: skip


def compare_set() -> list[str]:
    """The pilots being compared (the Compare page's choice, bound to the repeated ``compare`` parameter)."""
    return list(st.session_state.get(COMPARE_PARAM) or st.query_params.get_all(COMPARE_PARAM))[:MAX_COMPARE]


def compare_picker(names: list[str], default: list[str]) -> list[str]:
    """The compare-set multiselect (2-8 pilots), bound to the URL and kept for the whole session. Above
    ``SEARCH_ABOVE`` pilots it offers the matches of a search box (:func:`searchable`), always with the pilots
    chosen (or named in the URL)."""
    if COMPARE_PARAM not in st.session_state and not st.query_params.get_all(COMPARE_PARAM):
        st.session_state[COMPARE_PARAM] = [n for n in default if n in names][:MAX_COMPARE]
    chosen = [*(st.session_state.get(COMPARE_PARAM) or []), *st.query_params.get_all(COMPARE_PARAM)]
    options = searchable(names, "compare.search", keep=chosen)
    return st.multiselect("Pilots to compare (2-8)", options, key=COMPARE_PARAM, max_selections=MAX_COMPARE,
                          bind="query-params", persist_state="session", placeholder="Choose pilots…")  # fmt: skip


def current_filters() -> dict[str, list[str]]:
    """The shared filters (column → chosen values; an empty list means no filter)."""
    return {column: list(st.session_state.get(param) or []) for column, param in FILTERS.items()}


def apply_filters(frame: pd.DataFrame, filters: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The rows of ``frame`` that pass the filters (default: the sidebar's)."""
    return service_portfolio.apply_filters(frame, current_filters() if filters is None else filters)


def filters_active() -> bool:
    """Whether any sidebar filter is set."""
    return any(current_filters().values())


def filter_options(latest: pd.DataFrame) -> dict[str, list[str]]:
    """Each filter's values in the portfolio: sorted, the verdicts in review order."""
    options = {}
    for column in FILTERS:
        values = sorted(str(v) for v in latest[column].dropna().unique()) if column in latest else []
        options[column] = [v for v in VERDICT_ORDER if v in values] if column == "verdict" else values
    return options


def sidebar_filters() -> dict[str, list[str]]:
    """The shared filter widgets (drawn by app.py in the sidebar), each bound to its query parameter and offering
    the values of the latest portfolio."""
    every = cached_value("filter_options", (), lambda: filter_options(latest_portfolio()))
    for column, param in FILTERS.items():
        options = every[column]
        if column != "verdict":  # thousands of teams or units: a search first (the values chosen stay offered)
            chosen = [*(st.session_state.get(param) or []), *st.query_params.get_all(param)]
            options = searchable(options, f"{param}.search", keep=chosen, noun=FILTER_LABELS[column].lower())
        st.multiselect(FILTER_LABELS[column], options, key=param, placeholder="All", bind="query-params",
                       format_func=VERDICT_LABELS.get if column == "verdict" else str)  # fmt: skip
    return current_filters()


def open_pilot(name: str) -> None:
    """Go to the Pilot page showing ``name`` (the URL carries the pilot, so the link can be shared)."""
    st.session_state[PILOT_PARAM] = name
    st.switch_page(PAGES["pilot"], query_params={PILOT_PARAM: name})


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def render_chart(
    fig: go.Figure,
    key: str | None = None,
    on_select: Literal["rerun", "ignore"] = "ignore",
    selection_mode: str | tuple[str, ...] = "points",
    height: int | None = None,
) -> Any:
    """Draw a chart of :mod:`readiness.charts` as it is (``theme=None``) with the high-resolution PNG button.

    Returns the selection state when ``on_select="rerun"`` (``event.selection.points``), else None.
    """
    config = {**CHART_CONFIG, "toImageButtonOptions": {**CHART_CONFIG["toImageButtonOptions"],
                                                       "filename": f"readiness-{key or 'chart'}"}}  # fmt: skip
    kwargs: dict[str, Any] = {"theme": None, "width": "stretch", "config": config, "key": key}
    if height is not None:
        kwargs["height"] = height
    if on_select != "ignore":
        kwargs.update(on_select=on_select, selection_mode=selection_mode)
    return st.plotly_chart(fig, **kwargs)


def lazy_expander(label: str, key: str, draw: Callable[[], None], icon: str | None = None) -> None:
    """An expander whose content ``draw()`` makes only once it is opened (a click reruns the page, which then
    sends it): a table or chart few readers open costs a busy server nothing at the other reruns."""
    section = st.expander(label, key=key, icon=icon, on_change="rerun")
    if section.open:
        with section:
            draw()


def plain(text: object) -> str:
    """User text (a pilot's name, team, sponsor, an e-mail address) escaped for ``st.markdown``, ``st.caption``,
    ``st.title`` and messages, so that it shows exactly as typed: never as a link, emphasis, HTML or icon."""
    escaped = _LINE_BREAK.sub(" ", _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)))
    # Escapes do not stop GitHub-flavoured autolinks (found in the text after parsing): an invisible word
    # joiner after "@", "www" and "http(s):" keeps an e-mail address or a URL from becoming a link.
    return _AUTOLINK.sub("\\g<0>\u2060", escaped)


@contextmanager
def guarded(what: str = "this page") -> Iterator[None]:
    """Run a page body; turn any error into a message that says what failed (no stack trace on the page)."""
    try:
        yield
    except InvalidInput as error:
        # The problems can quote user text (a pilot's name, a value from the URL): escaped, never Markdown.
        problems = "; ".join(f"{issue.location or error.source}: {issue.message}" for issue in error.issues)
        st.error(f"{what.capitalize()} cannot be shown. {plain(problems) if problems else 'The input is not valid.'}")
    except SQLAlchemyError as error:
        # Where the database lives (host, user, path) goes to the server's log only, never to the page.
        log.exception("database error while drawing %s", what)
        st.error(
            f"The database could not be read while drawing {what} ({type(error).__name__}). Check that it is "
            "reachable and migrated (`readiness db upgrade`), then reload; the details are in the server's log."
        )
    except Exception as error:
        log.exception("error while drawing %s", what)
        st.error(f"Something went wrong while drawing {what}: {type(error).__name__}. The error was logged.")


def empty_state() -> None:
    """The greeting of an empty database: load the demo, download the template, or assess a first pilot."""
    from ui.auth import current_identity  # here: ui.auth builds on this module

    identity = current_identity()
    can_write = permits(identity, "import")
    st.info("The database holds no assessment yet. Start in one of three ways:")
    demo, template, assess = st.columns(3, border=True)
    with demo:
        st.markdown("**Explore the demo portfolio**  \nA sample portfolio of AI pilots with a year of monthly history.")
        if st.button("Load the demo", type="primary", key="empty.demo", disabled=not can_write,
                     help=None if can_write else "Loading the demo needs the contributor or admin role."):  # fmt: skip
            _load_demo()
    with template:
        st.markdown("**Fill in the Excel template**  \nOne workbook per pilot, then upload it.")
        st.download_button("Download the template", data=_template_bytes, file_name="readiness-template.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="empty.template", on_click="ignore")  # fmt: skip
    with assess:
        core = len(load_model().core_questions)
        st.markdown(f"**Assess a first pilot**  \nAnswer the {core}-question checklist in the app.")
        if permits(identity, "assess"):  # a refused page has no file to link to
            st.page_link(PAGES["assess"], label="Assess a pilot", icon=":material/checklist:")
        else:
            st.caption("Assessing needs the contributor role.")


def _template_bytes() -> bytes:
    from readiness.excel.template import template_bytes

    return template_bytes()


def _load_demo() -> None:
    from readiness.demo import load_demo
    from ui.auth import current_identity

    require(current_identity(), "import")  # checked on the server, not only by the disabled button

    with st.spinner("Loading the demo portfolio…"):
        load_demo(get_engine(), actor="demo", source="app")
    clear_caches()
    st.rerun()


def model_version() -> str:
    """The version of the readiness model the scores use."""
    return load_model().version


def portfolio_sensitivity() -> service_sensitivity.PortfolioSensitivity:
    """Each pilot's verdict under every method of the model and the pilots close to a threshold, for the latest
    portfolio (every pilot: a filtered page takes ``.within(names)``), computed once per data version and shared
    by every session (:func:`cached_value`: its frames and frozen results are never modified)."""
    return cached_value("sensitivity", (), lambda: service_sensitivity.portfolio_sensitivity(latest_portfolio()))


def assessment_frame() -> pd.DataFrame:
    """Each pilot's latest snapshot in force as the assessment frame (answers, metrics and evidence, the columns a
    what-if plan changes: :func:`readiness.store.portfolio_frame`), read once per data version and shared by every
    session, so that trying plans never reads the store again (``frame=`` of the what-if use case)."""
    return cached_value("assessment_frame", (), lambda: queries.latest_assessment_frame(get_engine()))


def warm_up() -> None:
    """Do a first visit's work before any visit (``serve.py`` calls it at server start): connect and migrate,
    and score the latest portfolio into the process-wide copy every session reads."""
    begin_run()
    latest_portfolio()
