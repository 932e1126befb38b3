"""Two PostgreSQL roles: the owner, who migrates, and the app, which may only read and append history.

A role that owns a table can ``ALTER TABLE … DISABLE TRIGGER`` or ``DROP TRIGGER`` and then rewrite history;
the append-only triggers protect nothing against it. So in a shared deployment the schema belongs to an owner
role that only ``readiness db upgrade`` uses, and the app and the CLI connect as a role granted here: SELECT
everywhere, INSERT on the history tables, and UPDATE/DELETE only where the product changes rows (the pilot
registry's context, access grants). Not being the owner, it can neither alter, disable nor drop a trigger.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from readiness.errors import InvalidInput, Issue
from readiness.store.tables import IMMUTABLE_TABLES

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def app_role_statements(schema: str, role: str) -> list[str]:
    """The GRANT statements that give ``role`` exactly what the app needs in ``schema``."""
    if not ROLE_NAME.match(role):
        raise InvalidInput([Issue("error", "ROLE", "a role name is lower-case letters, digits and _, at most 63")])
    s, r = f'"{schema}"', f'"{role}"'
    history = ", ".join(f"{s}.{table}" for table in IMMUTABLE_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT INSERT ON {history} TO {r}",
        f"GRANT INSERT, UPDATE ON {s}.pilot TO {r}",
        f'GRANT INSERT, UPDATE, DELETE ON {s}."grant" TO {r}',
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ]


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """Grant ``role`` (which must exist) the app's privileges on the current schema; returns the statements run.

    Run it as the owner, after ``readiness db upgrade`` (and again after each upgrade that adds a table)."""
    if engine.dialect.name != "postgresql":
        raise InvalidInput([Issue("error", "--db", "app roles are a PostgreSQL feature; SQLite has no roles")])
    with engine.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            missing = f"no role named {role!r}: create it first (CREATE ROLE … LOGIN)"
            raise InvalidInput([Issue("error", "ROLE", missing)])
        statements = app_role_statements(schema, role)
        for statement in statements:
            connection.execute(text(statement))
    return statements
