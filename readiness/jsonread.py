"""Strict JSON reading, shared by every reader of JSON files (assessment files, k6 summaries).

Python's ``json`` keeps the last of two equal keys silently; a file that says one thing twice is ambiguous, so
every reader refuses it through :func:`unique_keys` (``object_pairs_hook``).
"""

from __future__ import annotations

from typing import Any


class JsonRefused(ValueError):
    """A JSON text refused while parsing by one of the readers' hooks; the message says why."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An ``object_pairs_hook`` building the object, refusing a key that appears twice in it."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise JsonRefused(f"the key {key!r} appears twice in one object: keep only one")
        found[key] = value
    return found
