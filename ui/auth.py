"""Sign-in for the dashboard: who is using it, and the gate that runs before anything is drawn.

Two modes, decided by ``.streamlit/secrets.toml``:

Local mode (no ``[auth]`` section: the default, what ``make run`` does)
    Nobody signs in and everyone who can open the page is an admin (:data:`~readiness.service.access.LOCAL_ADMIN`);
    the sidebar says so. Set ``READINESS_REQUIRE_SIGN_IN=1`` on a shared server so that a missing or
    unreadable secrets file stops the server instead of falling back to local mode.
Single sign-on (an ``[auth]`` section)
    OpenID Connect through Streamlit's ``st.login`` / ``st.user`` / ``st.logout`` (needs Authlib). Nothing
    renders before sign-in. The identity's roles come from the ID token's groups claim, mapped by
    ``[readiness.groups]`` (or ``READINESS_GROUP_ROLES``), plus the grants table. A configuration that
    cannot work (no cookie secret, a missing provider key, no Authlib, a bad group mapping) stops the
    server with the reason, on its first page request, instead of serving.

``gate()`` is called by ``app.py`` before ``st.navigation``; ``current_identity()`` by ``pages()``, the admin
page, and (through :func:`readiness.service.access.ambient_identity`) by every write of a page that does
not pass an identity.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config as st_config

from readiness.errors import InvalidInput
from readiness.service import access
from readiness.service.access import ANONYMOUS, LOCAL_ADMIN, Grant, GroupRoles, Identity
from readiness.service.grants import grants_for
from ui.state import data_version, database_in_use, get_engine, plain

log = logging.getLogger("readiness.auth")

GROUPS_ENV = "READINESS_GROUP_ROLES"
GROUPS_CLAIM_ENV = "READINESS_GROUPS_CLAIM"
IDENTITY_KEY = "_readiness.identity"
_stopping = threading.Event()


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _secret_files() -> list[Path]:
    """The secrets files Streamlit reads that exist (``.streamlit/secrets.toml`` of the app and the user)."""
    return [Path(p) for p in st_config.get_option("secrets.files") if Path(p).exists()]


def _section(name: str) -> dict[str, Any] | None:
    """A top-level section of the secrets, as a plain dict (None when absent or unreadable)."""
    if not st.secrets.load_if_toml_exists():
        return None
    try:
        value = st.secrets.get(name)
    except (FileNotFoundError, KeyError):
        return None
    if value is None:
        return None
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def auth_section() -> dict[str, Any] | None:
    """Streamlit's ``[auth]`` section, or None in local mode."""
    return _section("auth")


def sso_configured() -> bool:
    """Whether single sign-on is configured (an ``[auth]`` section in the secrets)."""
    return bool(auth_section())


def readiness_settings() -> dict[str, Any]:
    """The ``[readiness]`` section of the secrets (``groups``, ``groups_claim``)."""
    return _section("readiness") or {}


def group_roles() -> GroupRoles:
    """The groups-to-roles mapping: ``[readiness.groups]`` and ``READINESS_GROUP_ROLES`` together."""
    mapping = access.parse_group_roles(readiness_settings().get("groups"), "readiness.groups")
    for group, grants in access.parse_group_roles(os.environ.get(GROUPS_ENV), GROUPS_ENV).items():
        mapping[group] = (*mapping.get(group, ()), *grants)
    return mapping


def groups_claim() -> str:
    """The ID-token claim that lists the user's groups (``groups`` unless configured otherwise)."""
    return str(os.environ.get(GROUPS_CLAIM_ENV) or readiness_settings().get("groups_claim") or "groups")


def configuration_problems() -> list[str]:
    """What keeps sign-in from working safely; empty when it can work (or in a deliberate local mode)."""
    auth = auth_section()
    if not auth:
        unreadable = [str(p) for p in _secret_files()] if _secret_files() else []
        if unreadable and not st.secrets.load_if_toml_exists():
            return [f"the secrets file cannot be read (not valid TOML): {', '.join(unreadable)}"]
        return access.sign_in_problems(None)
    problems = access.sign_in_problems(auth)
    try:
        from streamlit.auth_util import is_authlib_installed
    except ImportError:  # pragma: no cover - Streamlit without auth support
        problems.append("this Streamlit has no sign-in support")
    else:
        if not is_authlib_installed():
            problems.append("Authlib (>= 1.3.2) is not installed: pip install 'Authlib>=1.3.2'")
    try:
        group_roles()
    except InvalidInput as problem:
        problems += [f"{i.location}: {i.message}" for i in problem.issues]
    return problems


# --------------------------------------------------------------------------------------------
# Who is using the app
# --------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=256, ttl=300)
def _grants(url: str, version: str, subject: str, email: str | None) -> list[Grant]:
    return grants_for(get_engine(), subject, email)


def _signed_in_claims() -> dict[str, Any] | None:
    """The ID token's claims of the signed-in user (as Streamlit's identity cookie holds them), or None."""
    user = st.user.to_dict()
    if not user.get("is_logged_in") or not user.get("sub"):
        return None
    return dict(user)


def _compute_identity() -> Identity:
    if not sso_configured():
        return LOCAL_ADMIN
    claims = _signed_in_claims()
    if claims is None:
        return ANONYMOUS
    subject, email = str(claims["sub"]), claims.get("email")
    granted = _grants(database_in_use(), data_version(), subject, str(email) if email else None)
    return access.identity_from_claims(claims, group_roles(), granted, groups_claim())


def current_identity() -> Identity:
    """Who is using this session: the local admin (local mode), the signed-in identity with its grants, or
    :data:`~readiness.service.access.ANONYMOUS` (single sign-on, not signed in). Computed once per run by
    :func:`gate`; a caller before it (a widget callback) gets the previous run's, or a fresh one."""
    stored = st.session_state.get(IDENTITY_KEY)
    expected = "sso" if sso_configured() else "local"
    if isinstance(stored, Identity) and stored.source == expected:
        return stored
    identity = _compute_identity()
    st.session_state[IDENTITY_KEY] = identity
    return identity


def _resolve() -> Identity | None:
    """The ambient identity for use cases called without one: this session's, inside a script run."""
    if not st.runtime.exists():  # a script or a test calling the use cases, not a session
        return None
    return current_identity()


# --------------------------------------------------------------------------------------------
# The gate
# --------------------------------------------------------------------------------------------


def gate() -> Identity:
    """Run before ``st.navigation``: in single sign-on mode nothing goes past it before sign-in, and a
    configuration that cannot work stops the server. Returns the identity of this run."""
    access.use_identity_resolver(_resolve)
    problems = configuration_problems()
    if problems:
        refuse_to_serve(problems)
    if not sso_configured():
        st.session_state[IDENTITY_KEY] = LOCAL_ADMIN
        with st.sidebar:
            st.caption(
                "No sign-in: this server runs in local mode, so everyone who can open it is an admin. "
                "See Deployment in the README to turn on single sign-on."
            )
        return LOCAL_ADMIN
    st.session_state.pop(IDENTITY_KEY, None)
    if _signed_in_claims() is None:
        st.session_state[IDENTITY_KEY] = ANONYMOUS
        sign_in_screen()
        st.stop()
    identity = current_identity()
    with st.sidebar:
        st.caption(plain(f"Signed in as {identity.label} · {identity.describe()}"))
        st.button("Sign out", key="auth.sign_out", on_click=st.logout, icon=":material/logout:")
    return identity


def sign_in_screen() -> None:
    """What someone who has not signed in sees: the product's name and a sign-in button, nothing else."""
    st.title("AI pilot readiness", anchor=False)
    st.write("Sign in with your organisation account to see the portfolio.")
    st.button("Sign in", key="auth.sign_in", type="primary", on_click=st.login, icon=":material/login:")


def refuse_to_serve(problems: list[str]) -> None:
    """Show why sign-in cannot work, log it, stop the run, and stop the server (once): a deployment that asked
    for sign-in never serves data without it."""
    message = "Sign-in is configured but cannot work, so this server stops: " + "; ".join(problems)
    log.critical("%s. Fix .streamlit/secrets.toml (see the README, Deployment) and start the server again.", message)
    st.error(plain(message))
    if not _stopping.is_set() and not st_config.get_option("global.appTest"):
        _stopping.set()
        # After this run has reached the browser; SIGTERM makes Streamlit shut down cleanly.
        threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)).start()
    st.stop()


def not_permitted(title: str, action: str) -> None:
    """The body of a page this identity may not open: the reason and no data."""
    role = access.needed_role(action)
    st.title(title, anchor=False)
    st.error(f"Not permitted: {title} needs the {role} role.")
    identity = current_identity()
    st.caption(plain(f"You are signed in as {identity.label} ({identity.describe()}). Ask an admin for access."))


def refused_page(key: str, title: str, icon: str, action: str) -> st.Page:
    """A page this identity may not open: hidden, still at its own URL, and its body (a callable, not the page's
    file) runs none of the page's code: it only says why."""
    return st.Page(partial(not_permitted, title, action), title=title, icon=icon, url_path=key, visibility="hidden")


def no_access() -> None:
    """The only page of an identity without any role."""
    identity = current_identity()
    st.title("AI pilot readiness", anchor=False)
    st.warning(plain(f"Signed in as {identity.label}, with no role in Readiness yet. Ask an admin for access."))


def settings_summary() -> Mapping[str, str]:
    """The sign-in settings in force, without secrets (for the admin page)."""
    if not sso_configured():
        return {"mode": "local (no sign-in)"}
    auth = auth_section() or {}
    return {
        "mode": "single sign-on (OpenID Connect)",
        "provider": str(auth.get("server_metadata_url", "")),
        "groups claim": groups_claim(),
        "mapped groups": ", ".join(sorted(group_roles())) or "none",
    }
