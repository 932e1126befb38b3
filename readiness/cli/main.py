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


@click.group(cls=ReadinessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="readiness", prog_name="readiness")
def cli() -> None:
    """Readiness: which AI pilots are ready for production, which are not, and exactly why."""


# Command modules register themselves on import; each area of the product owns its module.
from readiness.cli import (  # noqa: E402
    core_commands,  # noqa: F401
    excel_commands,  # noqa: F401
    store_commands,  # noqa: F401
)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(standalone_mode=True))
