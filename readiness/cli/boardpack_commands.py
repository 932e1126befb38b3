"""The board pack on the command line: ``readiness export deck|html|png|svg OUT [--pilots ...] [--as-of DATE]``.

The ``export`` command itself lives in :mod:`readiness.cli.excel_commands` and dispatches through the
export registry; importing :mod:`readiness.boardpack.export` adds the board pack's four formats to it
(``readiness export --help`` lists them with their OUT conventions).
"""

from __future__ import annotations

from readiness.boardpack import export  # noqa: F401  (registers deck, html, png and svg)
