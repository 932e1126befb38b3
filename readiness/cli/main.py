"""The ``readiness`` command group and its error contract.

Exit codes: 0 success, 2 invalid input with a message naming what and where, 1 any
other failure. A user never sees a traceback; set ``READINESS_DEBUG=1`` to get one.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from readiness.errors import InvalidInput


class ReadinessGroup(click.Group):
    """A click group that turns the core's errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except InvalidInput as problem:
            click.echo(f"error: {problem.summary()}", err=True)
            for issue in problem.issues[1:20]:
                click.echo(f"  {issue}", err=True)
            ctx.exit(2)
        except Exception as failure:
            if os.environ.get("READINESS_DEBUG"):
                raise
            click.echo(f"error: {type(failure).__name__}: {failure}", err=True)
            ctx.exit(1)


def examples(*lines: str) -> str:
    """A command's help epilog: example command lines, printed as written (``\\b`` stops click re-wrapping)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


# Help as wide as the terminal allows up to 120 columns (click's default stops at 80); every command also
# has a short_help of its own, so that the command list never cuts a summary with "...".
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 120}


@click.group(
    cls=ReadinessGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog=examples(
        "readiness demo                     # load the demo portfolio into data/readiness.db",
        "readiness portfolio                # each pilot's verdict, overall and weakest gap",
        "readiness template team.xlsx       # the self-assessment workbook to fill offline",
        "readiness import q3/*.xlsx         # store the filled workbooks",
        "readiness COMMAND --help           # a command's options and examples",
    ),
)
@click.version_option(package_name="readiness", prog_name="readiness")
def cli() -> None:
    """Readiness: which AI pilots are ready for production, which are not, and exactly why.

    Without --db, commands use READINESS_DATABASE_URL, else the SQLite file data/readiness.db.
    """


# Command modules register themselves on import; each area of the product owns its module.
from readiness.cli import (  # noqa: E402
    access_commands,  # noqa: F401
    core_commands,  # noqa: F401
    evidence_commands,  # noqa: F401
    excel_commands,  # noqa: F401
    integrity_commands,  # noqa: F401
    sensitivity_commands,  # noqa: F401
    store_commands,  # noqa: F401
    whatif_commands,  # noqa: F401
)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(standalone_mode=True))
