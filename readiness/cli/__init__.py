"""The ``readiness`` command line: a thin layer of click commands over the core."""

from readiness.cli.main import cli

__all__ = ["cli"]
