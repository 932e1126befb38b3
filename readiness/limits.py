"""How much work one request may ask for: the caps on what an upload or an import brings in, read in one place.

Every cap is an environment variable with a default far above a real portfolio's needs and far below what
hurts the server; :meth:`Limits.from_env` reads them all (the Upload page, ``readiness score`` and
``readiness import`` call it each time they take files in, so a changed variable applies to the next file):

========================================  =======  ============================================================
Variable                                  Default  Cap
========================================  =======  ============================================================
``READINESS_MAX_FILE_MB``                 20       megabytes in one file (JSON or workbook)
``READINESS_MAX_ASSESSMENTS_PER_FILE``    2000     assessments (JSON items, Portfolio-sheet rows) in one file
``READINESS_MAX_FILES``                   20       files in one upload or one ``readiness import`` call
``READINESS_MAX_NEW_PILOTS``              500      pilots one upload or one ``readiness import`` call may add
``READINESS_MAX_PILOTS``                  10000    pilots the store holds
========================================  =======  ============================================================

A file over a cap is refused whole (nothing of it is written) with a message that says the cap, what the
file had and the variable that raises it (:meth:`Limits.refusal`); the other files of the batch go on.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from readiness.errors import InvalidInput, Issue

MiB = 2**20

# Field → (environment variable, the field's units in one unit of the variable).
VARIABLES: dict[str, tuple[str, int]] = {
    "max_file_bytes": ("READINESS_MAX_FILE_MB", MiB),
    "max_assessments_per_file": ("READINESS_MAX_ASSESSMENTS_PER_FILE", 1),
    "max_files": ("READINESS_MAX_FILES", 1),
    "max_new_pilots": ("READINESS_MAX_NEW_PILOTS", 1),
    "max_pilots": ("READINESS_MAX_PILOTS", 1),
}


@dataclass(frozen=True)
class Limits:
    """The caps on what one upload or import may bring in (see the module for the variables)."""

    max_file_bytes: int = 20 * MiB
    max_assessments_per_file: int = 2_000
    max_files: int = 20
    max_new_pilots: int = 500
    max_pilots: int = 10_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The caps as the environment sets them (each variable unset or blank: its default).

        A value that is not a whole number of at least 1 is an :class:`InvalidInput` naming the variable, so a
        typo never silently lifts or zeroes a cap.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for spec in fields(cls):
            variable, unit = VARIABLES[spec.name]
            raw = (environ.get(variable) or "").strip().replace("_", "")
            if not raw:
                continue
            try:
                number = int(raw)
            except ValueError:
                number = 0
            if number < 1:
                message = f"{variable}={environ.get(variable)!r} is not a whole number of at least 1"
                raise InvalidInput([Issue("error", variable, message)], "configuration")
            values[spec.name] = number * unit
        return cls(**values)

    @staticmethod
    def variable(name: str) -> str:
        """The environment variable of a field (``max_files`` → ``READINESS_MAX_FILES``)."""
        return VARIABLES[name][0]

    def shown(self, name: str) -> str:
        """A cap as its variable writes it: ``2,000``, or ``20 MB`` for the file size."""
        value = getattr(self, name)
        return f"{value / MiB:,.0f} MB" if name == "max_file_bytes" else f"{value:,}"

    def refusal(self, name: str, found: str, advice: str, over: str = "more than") -> str:
        """The message of a refused request: what it had, the cap, what to do, and the variable that raises it.

        ``the file holds 2,345 assessments, more than the 2,000 assessments one file may hold: split it, or raise
        the limit with READINESS_MAX_ASSESSMENTS_PER_FILE``.
        """
        variable = self.variable(name)
        return f"{found}, {over} the {self.shown(name)} {CAPS[name]}: {advice}, or raise the limit with {variable}"

    def file_too_large(self, size: int) -> str:
        """The refusal of a file larger than :attr:`max_file_bytes` (its size rounded up: never shown as equal)."""
        return self.refusal("max_file_bytes", f"the file is {math.ceil(size * 10 / MiB) / 10:,.1f} MB", "split it",
                            over="larger than")  # fmt: skip

    def too_many_assessments(self, count: int, what: str = "assessments") -> str:
        """The refusal of a file holding more than :attr:`max_assessments_per_file` assessments (``what``: how
        the file holds them, e.g. ``pilot rows``)."""
        return self.refusal("max_assessments_per_file", f"the file holds {count:,} {what}", "split it")

    def too_many_files(self, count: int) -> str:
        """The refusal of an upload or import of more than :attr:`max_files` files."""
        return self.refusal("max_files", f"{count:,} files at once", "send them in smaller batches")

    def too_many_new_pilots(self, adds: int, before: int = 0) -> str:
        """The refusal of a file that takes the new pilots of its upload or import call over the cap."""
        earlier = f" to the {before:,} the files before it added" if before else ""
        return self.refusal("max_new_pilots", f"the file adds {adds:,} new pilots{earlier}",
                            "import fewer new pilots at a time")  # fmt: skip

    def store_full(self, stored: int, adds: int) -> str:
        """The refusal of a file whose new pilots would take the store over :attr:`max_pilots`."""
        return self.refusal("max_pilots", f"the file adds {adds:,} new pilots to the {stored:,} the store holds",
                            "retire pilots to another store")  # fmt: skip


CAPS = {
    "max_file_bytes": "one file may be",
    "max_assessments_per_file": "assessments one file may hold",
    "max_files": "files one upload or import may take",
    "max_new_pilots": "new pilots one upload or import may add",
    "max_pilots": "pilots the store may hold",
}


def current_limits() -> Limits:
    """The caps in force now (:meth:`Limits.from_env`)."""
    return Limits.from_env()
