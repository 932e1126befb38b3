"""Admin: who has access. The sign-in settings in force, the grants table, and granting or revoking roles.

Only admins reach this page (``app.py`` registers it for them only); every change goes through
:mod:`readiness.service.grants`, which checks the role again and audits the change with the admin's identity.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from readiness.errors import InvalidInput
from readiness.service import integrity
from readiness.service.access import ROLES
from readiness.service.grants import GrantRecord, all_grants, grant_role, revoke_role, scope_choices
from ui import clear_caches, get_engine, guarded, pilot_names_cached, plain
from ui.auth import current_identity, group_roles, settings_summary, sso_configured

SCOPE_KINDS = {"Owning team": "team", "Business unit": "unit"}
FLASH_KEY = "admin.flash"


def settings() -> None:
    """How people sign in, and which identity-provider groups give which role."""
    st.subheader("Sign-in", anchor=False)
    summary = settings_summary()
    if not sso_configured():
        st.info(
            "Local mode: nobody signs in, and everyone who can open this server is an admin. Grants given here "
            "apply once single sign-on is configured (README, Deployment)."
        )
    st.dataframe(pd.DataFrame([{"Setting": k, "Value": v} for k, v in summary.items()]), hide_index=True)
    mapping = group_roles()
    if mapping:
        rows = [{"Group": group, "Role": str(g)} for group, grants in sorted(mapping.items()) for g in grants]
        st.caption("Roles from the ID token's groups (configuration; change them in the identity provider):")
        st.dataframe(pd.DataFrame(rows), hide_index=True)


def grants_table(records: list[GrantRecord]) -> None:
    st.subheader("Grants", anchor=False)
    if not records:
        st.caption("No grants yet: give the first one below (or with `readiness grant`).")
        return
    rows = [
        {"#": r.id, "Person (subject or e-mail)": r.principal, "Role": r.role, "Pilots": r.scope_text,
         "Granted (UTC)": r.granted_at.strftime("%Y-%m-%d %H:%M"), "By": r.granted_by}
        for r in records
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def grant_form() -> None:
    st.subheader("Grant a role", anchor=False)
    teams, units = scope_choices(get_engine())
    with st.form("admin.grant", clear_on_submit=False, border=True):
        principal = st.text_input("E-mail address or subject", key="admin.principal", max_chars=320)
        role = st.radio("Role", [str(r) for r in ROLES], horizontal=True, key="admin.role")
        kind = st.radio("A contributor writes the pilots of", list(SCOPE_KINDS), horizontal=True, key="admin.kind")
        team = st.selectbox("Owning team", teams, index=None, key="admin.team", accept_new_options=True,
                            placeholder="Pick or type a team")  # fmt: skip
        unit = st.selectbox("Business unit", units, index=None, key="admin.unit", accept_new_options=True,
                            placeholder="Pick or type a business unit")  # fmt: skip
        st.caption("Viewers and admins see every pilot; the team or business unit applies to contributors only.")
        if st.form_submit_button("Grant", type="primary"):
            scoped = role == "contributor"
            chosen_team = team if scoped and SCOPE_KINDS[kind] == "team" else None
            chosen_unit = unit if scoped and SCOPE_KINDS[kind] == "unit" else None
            change(lambda: grant_role(get_engine(), current_identity(), principal, role, team=chosen_team,
                                      unit=chosen_unit), "granted")  # fmt: skip


def revoke_form(records: list[GrantRecord]) -> None:
    st.subheader("Revoke", anchor=False)
    if not records:
        st.caption("Nothing to revoke.")
        return
    by_id = {r.id: r for r in records}
    chosen = st.selectbox(
        "Grant", list(by_id), key="admin.revoke", format_func=lambda i: f"#{i} {by_id[i].principal}: "
        f"{by_id[i].role} for {by_id[i].scope_text}"
    )  # fmt: skip
    if st.button("Revoke", key="admin.revoke.confirm") and chosen in by_id:
        record = by_id[chosen]
        change(lambda: revoke_role(get_engine(), current_identity(), record.principal, record.role,
                                   team=record.team, unit=record.unit), "revoked")  # fmt: skip


def change(write: Callable[[], object], verb: str, describe: Callable[[object], str] | None = None) -> None:
    """Run a change (a grant by default); a refusal or bad input is a message, never a traceback. ``describe``
    says what was done, for the message shown after the page reloads."""
    try:
        result = write()
    except InvalidInput as problem:
        st.error(plain(f"Not {verb}: {problem.summary()}"))
        return
    except SQLAlchemyError as problem:
        st.error(f"Not {verb}: the database refused the write ({type(problem).__name__}). Try again in a moment.")
        return
    clear_caches()
    st.session_state[FLASH_KEY] = describe(result) if describe else grant_text(result, verb)
    st.rerun()


def grant_text(result: object, verb: str) -> str:
    """What a grant or revocation did, in one line."""
    records: list[GrantRecord] = result if isinstance(result, list) else [result[0]]  # type: ignore[index]
    again = isinstance(result, tuple) and not result[1]
    texts = [f"{r.principal}: {r.role} for {r.scope_text}" for r in records]
    return f"Already granted: {texts[0]}" if again else f"{verb.capitalize()}: " + "; ".join(texts)


def record_section() -> None:
    """Retract a wrong snapshot, or reinstate one: it stays in the record with who, when and why."""
    st.subheader("Retract or reinstate a snapshot", anchor=False)
    st.caption(
        "A retracted snapshot leaves every view and export and stays in the record; reinstating it is "
        "recorded too. A whole import: `readiness retract --import SHA256`, the file hash in the audit log."
    )
    names = pilot_names_cached()
    name = st.selectbox("Pilot", names, index=None, placeholder="Choose a pilot…", key="admin.record.pilot")
    if not name:
        return
    entries = integrity.record(get_engine(), current_identity(), name)
    if not entries:
        st.info("This pilot has no snapshot.")
        return
    chosen = st.selectbox("Snapshot", entries, index=len(entries) - 1, format_func=entry_text,
                          key="admin.record.snapshot")  # fmt: skip
    if chosen.last_action:
        when = f"{chosen.last_at:%d %b %Y %H:%M} UTC" if chosen.last_at else "at an unknown time"
        st.caption(plain(f"Last {chosen.last_action}ed {when} by {chosen.last_actor}: {chosen.last_reason}"))
    reason = st.text_input("Why", key="admin.record.reason", max_chars=integrity.MAX_REASON,
                           placeholder="e.g. typed against the wrong pilot")  # fmt: skip
    verb = "reinstate" if chosen.retracted else "retract"
    if st.button(f"{verb.capitalize()} snapshot #{chosen.snapshot_id}", key="admin.record.go",
                 disabled=not reason.strip()):  # fmt: skip
        change(lambda: integrity.retract(get_engine(), current_identity(), reason, [chosen.snapshot_id],
                                         reinstate=chosen.retracted), f"{verb}ed",
               lambda _: f"{verb.capitalize()}ed snapshot #{chosen.snapshot_id} of {name}.")  # fmt: skip


def entry_text(entry: integrity.RecordEntry) -> str:
    """One snapshot in the picker: its date, id, submitter and whether it is in force."""
    state = "retracted" if entry.retracted else "in force"
    by = f" · {entry.submitted_by}" if entry.submitted_by else ""
    return f"{entry.as_of:%d %b %Y} · #{entry.snapshot_id}{by} · {state}"


def main() -> None:
    st.title("Admin", anchor=False)
    st.caption("Who may read, contribute and administer. Every change is recorded in the audit log (Methodology).")
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(plain(flash))
    settings()
    records = all_grants(get_engine(), current_identity())
    grants_table(records)
    left, right = st.columns([3, 2])
    with left:
        grant_form()
    with right:
        revoke_form(records)
    with st.columns([3, 2])[0]:
        record_section()


with guarded("the admin page"):
    main()
